"""The words of the verdict, the segment differences, prompt fatigue and the rare-count rule (English, German).

Merged into :data:`pipelines.report.words.WORDS`; placeholders in braces are filled with formatted, HTML-escaped
values.
"""

from __future__ import annotations

VERDICT_WORDS: dict[str, dict[str, str]] = {
    # verdicts (the pill of each arm in the answer)
    "ship": {"en": "Ship", "de": "Einführen"},
    "do_not_ship": {"en": "Don't ship", "de": "Nicht einführen"},
    "inconclusive": {"en": "Not decided yet", "de": "Noch offen"},
    "too_few_events": {"en": "Too few events", "de": "Zu wenige Ereignisse"},
    "why_ship": {
        "en": "Why: it clearly works, and nothing it must not harm got worse than tolerated ({guards}).",
        "de": "Warum: Er wirkt klar, und nichts, dem er nicht schaden darf, hat sich stärker als toleriert "
        "verschlechtert ({guards}).",
    },
    "why_harm": {"en": "Why: it harms {metrics}.", "de": "Warum: Er schadet bei {metrics}."},
    "why_breached": {
        "en": "Why: {guards} got worse than tolerated.",
        "de": "Warum: Bei {guards} gab es eine stärkere Verschlechterung als toleriert.",
    },
    "why_no_evidence": {
        "en": "Why: there is no clear evidence yet that it changes what people do with flagged comments.",
        "de": "Warum: Noch gibt es keinen klaren Nachweis, dass er verändert, was Menschen mit beanstandeten "
        "Kommentaren tun.",
    },
    "why_guard_open": {
        "en": "Why: it clearly works, but it is not yet ruled out that {guards} got worse than tolerated.",
        "de": "Warum: Er wirkt klar, aber noch ist nicht ausgeschlossen, dass sich {guards} stärker als toleriert "
        "verschlechtert hat.",
    },
    "sure_exact": {
        "en": "too few events for an interval that stays valid at every look; the always-valid p-value is {p}",
        "de": "zu wenige Ereignisse für ein bei jedem Blick gültiges Intervall; der stets gültige p-Wert ist {p}",
    },
    "guard_margin": {"en": "{metric} (tolerated: {margin})", "de": "{metric} (toleriert: {margin})"},
    # does it work everywhere?
    "het_intro": {
        "en": "Does the effect on withdrawn or changed differ between segments? Cochran's Q test per dimension, "
        "corrected for every dimension, metric and arm looked at (Holm):",
        "de": "Unterscheidet sich der Effekt auf „zurückgezogen oder geändert“ zwischen Segmenten? Cochrans "
        "Q-Test je Dimension, korrigiert für alle betrachteten Dimensionen, Kennzahlen und Gruppen (Holm):",
    },
    "het_differs": {
        "en": "<b>{dim}: the effect differs</b> between segments ({arms}, corrected).",
        "de": "<b>{dim}: Der Effekt unterscheidet sich</b> zwischen den Segmenten ({arms}, korrigiert).",
    },
    "het_same": {
        "en": "{dim}: no evidence that the effect differs (corrected {p} for the arm closest to a difference).",
        "de": "{dim}: kein Nachweis, dass sich der Effekt unterscheidet (korrigiert {p} für die Gruppe, die einem "
        "Unterschied am nächsten kommt).",
    },
    "het_untestable": {
        "en": "{dim}: cannot be tested (fewer than two segments with enough events).",
        "de": "{dim}: nicht testbar (weniger als zwei Segmente mit genug Ereignissen).",
    },
    "het_descriptive": {
        "en": " Beyond the first prompt this is descriptive: who sees a sixth prompt can depend on the arm.",
        "de": " Ab dem zweiten Hinweis ist das beschreibend: Wer einen sechsten Hinweis sieht, kann von der "
        "Gruppe abhängen.",
    },
    "het_others": {
        "en": "Other metrics whose effect differs between segments: {items}.",
        "de": "Weitere Kennzahlen, deren Effekt sich zwischen Segmenten unterscheidet: {items}.",
    },
    "het_none_other": {
        "en": "No other metric's effect differs between segments.",
        "de": "Bei keiner anderen Kennzahl unterscheidet sich der Effekt zwischen Segmenten.",
    },
    "seg_prompt_number": {"en": "Prompt number", "de": "Hinweis Nr."},
    # prompt fatigue
    "fig_fatigue": {"en": "Does it still work the fifth time?", "de": "Wirkt er auch beim fünften Mal?"},
    "cap_fatigue": {
        "en": "The headline effect (withdrawn or changed, in points, 95 % CI) by the flagged comment's number "
        "among the person's flagged comments in the experiment (control numbers its would-have-been prompts the "
        "same way). Descriptive beyond the first: who reaches a later prompt can depend on the arm.",
        "de": "Der Haupteffekt (zurückgezogen oder geändert, in Prozentpunkten, 95-%-KI) nach der Nummer des "
        "beanstandeten Kommentars unter den beanstandeten Kommentaren der Person im Experiment (die "
        "Kontrollgruppe nummeriert ihre nicht gezeigten Hinweise ebenso). Ab dem zweiten beschreibend: Wer "
        "einen späteren Hinweis erreicht, kann von der Gruppe abhängen.",
    },
    "prompt_n": {"en": "prompt {n}", "de": "Hinweis {n}"},
    "nth_prompt": {"en": "flagged comment number", "de": "beanstandeter Kommentar Nr."},
    # rare counts in the metrics table
    "events_exact": {"en": "{c} vs {v} events, exact test", "de": "{c} vs. {v} Ereignisse, exakter Test"},
    "events_few": {"en": "{c} vs {v} events", "de": "{c} vs. {v} Ereignisse"},
}
