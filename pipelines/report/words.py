"""Every word of the reports, in English and German (read through :func:`pipelines.report.text.t`).

Placeholders in braces are filled with already formatted, already HTML-escaped values.
"""

from __future__ import annotations

from pipelines.report.words_verdict import VERDICT_WORDS

WORDS: dict[str, dict[str, str]] = {
    # page frame
    "title": {"en": "Does the “reconsider” prompt work?", "de": "Wirkt der „Überdenken“-Hinweis?"},
    "experiment": {"en": "Experiment", "de": "Experiment"},
    "other_language": {"en": "Deutsche Fassung", "de": "English version"},
    "download": {"en": "Download all results (CSV)", "de": "Alle Ergebnisse herunterladen (CSV)"},
    "all_experiments": {"en": "All experiments", "de": "Alle Experimente"},
    "generated": {
        "en": "Generated {when} UTC from data that arrived up to {last}.",
        "de": "Erstellt am {when} UTC aus Daten, die bis {last} eingegangen sind.",
    },
    "generated_at": {"en": "Generated {when} UTC.", "de": "Erstellt am {when} UTC."},
    "level_ok": {"en": "Data trustworthy", "de": "Daten vertrauenswürdig"},
    "level_caution": {"en": "Data: read with care", "de": "Daten: mit Vorsicht lesen"},
    "level_fail": {"en": "Data: do not trust", "de": "Daten: nicht vertrauen"},
    "index_title": {"en": "nudge-impact: experiment reports", "de": "nudge-impact: Berichte der Experimente"},
    "index_intro": {
        "en": "One report per experiment. Each answers: which prompt works, by how much, how sure we are, and "
        "whether the data can be trusted.",
        "de": "Ein Bericht je Experiment. Jeder beantwortet: Welcher Hinweis wirkt, wie stark, wie sicher wir "
        "sind und ob man den Daten trauen kann.",
    },
    "index_none": {"en": "No reports yet.", "de": "Noch keine Berichte."},
    "index_withheld": {"en": "withheld: sample-ratio mismatch", "de": "zurückgehalten: Stichprobenverhältnis verletzt"},
    "dates": {"en": "Dates", "de": "Zeitraum"},
    "trust_short": {"en": "Data", "de": "Daten"},
    "result": {"en": "Withdrawn or changed: effect (with vs without prompt)",
               "de": "Zurückgezogen oder geändert: Effekt (mit vs. ohne Hinweis)"},
    "vs": {"en": "vs", "de": "vs."},
    "report": {"en": "Report", "de": "Bericht"},
    "english": {"en": "English", "de": "Englisch"},
    "german": {"en": "German", "de": "Deutsch"},
    "points_short": {"en": "pp", "de": "Pp"},
    "points_long": {"en": "points", "de": "Prozentpunkte"},
    # the answer
    "answer": {"en": "The answer", "de": "Die Antwort"},
    "win": {"en": "Clear win", "de": "Klarer Erfolg"},
    "no_evidence": {"en": "No evidence yet", "de": "Noch kein Nachweis"},
    "harm": {"en": "Harm", "de": "Schaden"},
    "arm_label": {"en": "“{name}” prompt", "de": "Hinweis „{name}“"},
    "arm_nom": {"en": "the “{name}” prompt", "de": "der Hinweis „{name}“"},
    "arm_dat": {"en": "the “{name}” prompt", "de": "dem Hinweis „{name}“"},
    "arm_acc": {"en": "the “{name}” prompt", "de": "den Hinweis „{name}“"},
    "headline": {
        "en": "With {arm}, {value} of flagged comments were withdrawn or changed, against {control} without a "
        "prompt: {diff} (95 % CI {low} to {high}).",
        "de": "Mit {arm} wurden {value} der beanstandeten Kommentare zurückgezogen oder geändert, ohne Hinweis "
        "{control}: {diff} (95-%-KI {low} bis {high}).",
    },
    "toxic_fewer": {
        "en": "People in this arm posted {x} fewer toxic comments",
        "de": "Personen in dieser Gruppe veröffentlichten {x} weniger toxische Kommentare",
    },
    "toxic_more": {
        "en": "People in this arm posted {x} more toxic comments",
        "de": "Personen in dieser Gruppe veröffentlichten {x} mehr toxische Kommentare",
    },
    "toxic_unclear": {
        "en": "Toxic comments per person: {x} against control, not yet distinguishable from chance",
        "de": "Toxische Kommentare je Person: {x} gegenüber der Kontrollgruppe, noch nicht vom Zufall zu "
        "unterscheiden",
    },
    "guard_held": {"en": "commenting overall did not drop.", "de": "insgesamt wurde nicht weniger kommentiert."},
    "guard_not_shown": {
        "en": "a drop in commenting overall of more than {margin} cannot be ruled out yet ({x} observed).",
        "de": "ein Rückgang der Kommentare insgesamt um mehr als {margin} ist noch nicht ausgeschlossen "
        "({x} beobachtet).",
    },
    "guard_harm": {
        "en": "people commented less overall ({x}).",
        "de": "insgesamt wurde weniger kommentiert ({x}).",
    },
    "guard_unknown": {
        "en": "the effect on commenting overall could not be measured.",
        "de": "die Wirkung auf das Kommentieren insgesamt ließ sich nicht messen.",
    },
    "sure": {"en": "How sure:", "de": "Wie sicher:"},
    "sure_win": {
        "en": "the effect stays clear of zero at every daily look (always-valid interval {low} to {high} points)",
        "de": "der Effekt bleibt bei jedem täglichen Blick von null getrennt (stets gültiges Intervall {low} "
        "bis {high} Prozentpunkte)",
    },
    "sure_none": {
        "en": "the always-valid interval ({low} to {high} points) still includes zero",
        "de": "das stets gültige Intervall ({low} bis {high} Prozentpunkte) schließt null noch ein",
    },
    "sure_p": {"en": "{p} after correcting for multiple comparisons", "de": "{p} nach Korrektur für Mehrfachtests"},
    "sure_chance": {
        "en": "chance that the prompt is better than no prompt: {x}",
        "de": "Wahrscheinlichkeit, dass der Hinweis besser ist als kein Hinweis: {x}",
    },
    "best": {
        "en": "Most effective: {arm} ({diff}, against {others}). Each prompt is tested against no prompt, not "
        "against the other prompts.",
        "de": "Am wirksamsten: {arm} ({diff}, gegenüber {others}). Jeder Hinweis wird gegen „kein Hinweis“ "
        "getestet, nicht gegen die anderen Hinweise.",
    },
    "best_other": {"en": "{diff} for {arm}", "de": "{diff} für {arm}"},
    "no_answer": {
        "en": "No result yet: no flagged comment has been analysed for this experiment.",
        "de": "Noch kein Ergebnis: Für dieses Experiment wurde noch kein beanstandeter Kommentar ausgewertet.",
    },
    # trust
    "trust": {"en": "Can the data be trusted?", "de": "Kann man den Daten trauen?"},
    "trust_ok": {"en": "Yes: the data passed every check.", "de": "Ja: Die Daten haben alle Prüfungen bestanden."},
    "trust_caution": {"en": "Mostly, but read with care:", "de": "Weitgehend, aber mit Vorsicht lesen:"},
    "trust_fail": {"en": "No: do not trust this result.", "de": "Nein: Diesem Ergebnis nicht vertrauen."},
    "srm_ok": {
        "en": "The arms have the planned sizes (sample-ratio check passed, {p}).",
        "de": "Die Gruppen haben die geplante Größe (Stichprobenverhältnis-Test bestanden, {p}).",
    },
    "srm_fail": {
        "en": "Do not trust these results: the arms are not the planned sizes (sample-ratio mismatch, {p}). "
        "Something in assignment or logging lost or added users.",
        "de": "Diesen Ergebnissen nicht vertrauen: Die Gruppen haben nicht die geplante Größe "
        "(Stichprobenverhältnis verletzt, {p}). Bei Zuweisung oder Logging gingen Personen verloren "
        "oder kamen hinzu.",
    },
    "srm_segment": {
        "en": "The arms are off-plan within {segments} (sample-ratio check p < 0.001 there): treat results for "
        "those segments with suspicion.",
        "de": "Innerhalb von {segments} weichen die Gruppen vom Plan ab (Stichprobenverhältnis-Test dort "
        "p < 0,001): Ergebnisse für diese Segmente mit Vorsicht lesen.",
    },
    "quarantine_high": {
        "en": "{share} of all rows read were rejected as malformed (the limit is {limit}).",
        "de": "{share} aller gelesenen Zeilen wurden als fehlerhaft verworfen (Grenze: {limit}).",
    },
    "quarantine_some": {
        "en": "{share} of all rows read were rejected as malformed (see the details below).",
        "de": "{share} aller gelesenen Zeilen wurden als fehlerhaft verworfen (Details unten).",
    },
    "contamination_high": {
        "en": "{n} users ({share}) were assigned to more than one arm and excluded (the limit is {limit}).",
        "de": "{n} Personen ({share}) wurden mehr als einer Gruppe zugewiesen und ausgeschlossen "
        "(Grenze: {limit}).",
    },
    "unattributed_high": {
        "en": "{share} of prompts could not be attributed to an assigned user's arm (the limit is {limit}).",
        "de": "{share} der Hinweise ließen sich keiner Gruppe einer zugewiesenen Person zuordnen "
        "(Grenze: {limit}).",
    },
    "no_results": {
        "en": "There is nothing to analyse yet: no flagged comment was found for this experiment.",
        "de": "Noch nichts auszuwerten: Für dieses Experiment wurde kein beanstandeter Kommentar gefunden.",
    },
    "running": {
        "en": "Interim result: the experiment runs until {end}; the data reach {last}. Looking early is safe: "
        "the decision uses always-valid intervals.",
        "de": "Zwischenstand: Das Experiment läuft bis {end}; die Daten reichen bis {last}. Frühes Nachsehen ist "
        "unbedenklich: Die Entscheidung nutzt stets gültige Intervalle.",
    },
    "fact_dates": {"en": "Experiment", "de": "Experiment"},
    "fact_data": {"en": "Data analysed", "de": "Ausgewertete Daten"},
    "fact_users": {"en": "Users assigned (planned share)", "de": "Zugewiesene Personen (geplanter Anteil)"},
    "fact_attempts": {"en": "Flagged comments analysed", "de": "Ausgewertete beanstandete Kommentare"},
    "fact_srm": {"en": "Sample-ratio check", "de": "Stichprobenverhältnis-Test"},
    "fact_rejected": {"en": "Rows rejected as malformed", "de": "Als fehlerhaft verworfene Zeilen"},
    "fact_late": {"en": "Late events (used)", "de": "Verspätete Ereignisse (verwendet)"},
    "fact_duplicates": {"en": "Duplicates (counted once)", "de": "Duplikate (einmal gezählt)"},
    "fact_contaminated": {"en": "Users in two arms (excluded)", "de": "Personen in zwei Gruppen (ausgeschlossen)"},
    "fact_unattributed": {"en": "Prompts not attributable", "de": "Nicht zuordenbare Hinweise"},
    "fact_scrubbed": {"en": "Raw comment text dropped at read time",
                      "de": "Beim Einlesen verworfener Kommentar-Klartext"},
    "passed": {"en": "passed", "de": "bestanden"},
    "failed": {"en": "FAILED", "de": "NICHT BESTANDEN"},
    "of_rows": {"en": "of {n} rows", "de": "von {n} Zeilen"},
    "to": {"en": "to", "de": "bis"},
    "arrived": {"en": "arrived {first} to {last}", "de": "eingegangen {first} bis {last}"},
    "days_analysed": {"en": "{n} experiment days", "de": "{n} Experimenttage"},
    # figures
    "figures": {"en": "The evidence", "de": "Die Belege"},
    "fig_funnel": {"en": "What happened to flagged comments", "de": "Was mit beanstandeten Kommentaren geschah"},
    "cap_funnel": {
        "en": "Every comment draft that crossed the toxicity threshold, by arm. In control no prompt was shown: "
        "that bar is what people do anyway.",
        "de": "Jeder Kommentarentwurf über der Toxizitätsschwelle, nach Gruppe. In der Kontrollgruppe wurde "
        "kein Hinweis gezeigt: Dieser Balken zeigt, was Menschen ohnehin tun.",
    },
    "withdrawn": {"en": "withdrawn", "de": "zurückgezogen"},
    "changed": {"en": "changed", "de": "geändert"},
    "posted_unchanged": {"en": "posted unchanged", "de": "unverändert veröffentlicht"},
    "flagged_n": {"en": "{n} flagged", "de": "{n} beanstandet"},
    "share_of_flagged": {"en": "share of flagged comments", "de": "Anteil der beanstandeten Kommentare"},
    "fig_forest": {"en": "Effect on every metric", "de": "Effekt auf jede Kennzahl"},
    "cap_forest": {
        "en": "Dot: estimated difference to control; bar: 95 % confidence interval. Filled dot: a clear "
        "difference by the decision rule (after correcting for multiple comparisons); open dot: no evidence yet. "
        "Top: shares of flagged comments, in percentage points. Bottom: everything else, relative to control.",
        "de": "Punkt: geschätzter Unterschied zur Kontrollgruppe; Balken: 95-%-Konfidenzintervall. Gefüllter "
        "Punkt: klarer Unterschied nach der Entscheidungsregel (nach Korrektur für Mehrfachtests); offener "
        "Punkt: noch kein Nachweis. Oben: Anteile beanstandeter Kommentare in Prozentpunkten. Unten: alles "
        "andere, relativ zur Kontrollgruppe.",
    },
    "forest_left": {"en": "Difference in points", "de": "Unterschied in Prozentpunkten"},
    "forest_right": {"en": "Change relative to control", "de": "Veränderung relativ zur Kontrollgruppe"},
    "higher_better": {"en": "↑ better", "de": "↑ besser"},
    "lower_better": {"en": "↓ better", "de": "↓ besser"},
    "fig_daily": {"en": "Effect over time: does it hold at every look?", "de": "Effekt im Zeitverlauf: Hält er bei "
                  "jedem Blick?"},
    "cap_daily": {
        "en": "The headline effect as it stood after each day. Dark band: 95 % confidence interval, valid for "
        "a single look. Light band: always-valid interval, valid however often we look; the decision uses it.",
        "de": "Der Haupteffekt, wie er nach jedem Tag stand. Dunkles Band: 95-%-Konfidenzintervall, gültig "
        "für einen einzigen Blick. Helles Band: stets gültiges Intervall, gültig bei beliebig häufigem "
        "Nachsehen; die Entscheidung nutzt es.",
    },
    "band_fixed": {"en": "95 % CI (one look)", "de": "95-%-KI (ein Blick)"},
    "band_seq": {"en": "always-valid interval", "de": "stets gültiges Intervall"},
    "estimate": {"en": "estimate", "de": "Schätzung"},
    "fig_segments": {"en": "Does it work everywhere?", "de": "Wirkt es überall?"},
    "cap_segments": {
        "en": "The headline effect (withdrawn or changed, in points) per country, platform and toxicity of the "
        "draft. Small segments have wide intervals; segments with fewer than {min} users in an arm are not shown.",
        "de": "Der Haupteffekt (zurückgezogen oder geändert, in Prozentpunkten) je Land, Plattform und "
        "Toxizität des Entwurfs. Kleine Segmente haben breite Intervalle; Segmente mit weniger als {min} "
        "Personen in einer Gruppe werden nicht gezeigt.",
    },
    "hidden_segments": {"en": "Not shown (too few users): {names}.", "de": "Nicht gezeigt (zu wenige Personen): "
                        "{names}."},
    "seg_country": {"en": "Country", "de": "Land"},
    "seg_platform": {"en": "Platform", "de": "Plattform"},
    "seg_toxicity_band": {"en": "Toxicity", "de": "Toxizität"},
    "fig_learning": {"en": "Do people learn? Further flagged comments over time",
                     "de": "Lernen Menschen? Weitere beanstandete Kommentare im Zeitverlauf"},
    "cap_learning": {
        "en": "Flagged comments per person and day, by days since the person's first flagged comment. Lower "
        "lines in a prompt arm than in control mean people write fewer toxic drafts after seeing the prompt.",
        "de": "Beanstandete Kommentare je Person und Tag, nach Tagen seit dem ersten beanstandeten Kommentar "
        "der Person. Liegen die Linien einer Hinweis-Gruppe unter der Kontrollgruppe, schreiben Menschen "
        "nach dem Hinweis weniger toxische Entwürfe.",
    },
    "days_since": {"en": "days since the first flagged comment", "de": "Tage seit dem ersten beanstandeten Kommentar"},
    "per_user_day": {"en": "per person and day", "de": "je Person und Tag"},
    "no_data": {"en": "No data yet.", "de": "Noch keine Daten."},
    # tables
    "all_metrics": {"en": "All metrics", "de": "Alle Kennzahlen"},
    "metric": {"en": "Metric", "de": "Kennzahl"},
    "arm": {"en": "Arm", "de": "Gruppe"},
    "control": {"en": "Control", "de": "Kontrolle"},
    "arm_value": {"en": "With prompt", "de": "Mit Hinweis"},
    "effect": {"en": "Difference (95 % CI)", "de": "Unterschied (95-%-KI)"},
    "p_adj": {"en": "p (corrected)", "de": "p (korrigiert)"},
    "chance": {"en": "Chance better", "de": "W. besser"},
    "decision": {"en": "Status", "de": "Status"},
    "primary": {"en": "primary", "de": "primär"},
    "guardrail": {"en": "guardrail", "de": "Leitplanke"},
    "data_quality": {"en": "Data quality in detail", "de": "Datenqualität im Detail"},
    "dq_intro": {
        "en": "Every kind of bad or suspicious input found, over all arrival dates. Rows rejected at read time "
        "are counted for the whole log (all experiments).",
        "de": "Jede Art fehlerhafter oder auffälliger Eingaben, über alle Eingangstage. Beim Einlesen verworfene "
        "Zeilen gelten für das ganze Log (alle Experimente).",
    },
    "reason": {"en": "Finding", "de": "Befund"},
    "meaning": {"en": "What it means", "de": "Bedeutung"},
    "count": {"en": "Count", "de": "Anzahl"},
    "scope": {"en": "Scope", "de": "Geltung"},
    "scope_log": {"en": "whole log", "de": "ganzes Log"},
    "scope_experiment": {"en": "this experiment", "de": "dieses Experiment"},
    "dq_none": {"en": "No bad input found.", "de": "Keine fehlerhaften Eingaben gefunden."},
    "methods": {"en": "Methods", "de": "Methoden"},
    "catalogue": {"en": "Metric catalogue", "de": "Katalog der Kennzahlen"},
    "id": {"en": "id", "de": "id"},
    "unit": {"en": "Unit", "de": "Einheit"},
    "test": {"en": "Test", "de": "Test"},
    "direction": {"en": "Direction", "de": "Richtung"},
    "role": {"en": "Role", "de": "Rolle"},
    # withheld page
    "withheld_title": {"en": "Results withheld", "de": "Ergebnisse zurückgehalten"},
    "withheld": {
        "en": "The results of this experiment are withheld until the cause is found and fixed. No effect of "
        "the prompt can be read from it.",
        "de": "Die Ergebnisse dieses Experiments werden zurückgehalten, bis die Ursache gefunden und behoben ist. "
        "Aus ihm lässt sich keine Wirkung des Hinweises ablesen.",
    },
    "withheld_next": {
        "en": "What to check: was assignment logged for every arm on every platform and app version? Did one "
        "arm's events arrive late or get dropped? The table shows where the arms drift from the plan.",
        "de": "Was zu prüfen ist: Wurde die Zuweisung für jede Gruppe auf jeder Plattform und App-Version "
        "geloggt? Kamen Ereignisse einer Gruppe verspätet an oder gingen verloren? Die Tabelle zeigt, wo die "
        "Gruppen vom Plan abweichen.",
    },
    "segment": {"en": "Segment", "de": "Segment"},
    "users": {"en": "Assigned users", "de": "Zugewiesene Personen"},
    "planned": {"en": "Planned share", "de": "Geplanter Anteil"},
    "observed": {"en": "Observed share", "de": "Beobachteter Anteil"},
    "all": {"en": "all users", "de": "alle Personen"},
}
WORDS.update(VERDICT_WORDS)

#: German counterparts of pipelines.contract.REASON_TEXT_EN (one per data-quality reason code).
REASON_TEXT_DE: dict[str, str] = {
    "truncated_line": "letzte Zeile einer Datei beim Schreiben abgeschnitten",
    "not_json": "Zeile ist kein JSON-Objekt",
    "missing_field": "ein Pflichtfeld fehlt, ist null oder leer",
    "wrong_type": "ein Feld hat den falschen Typ",
    "unsupported_schema_version": "schema_version ist nicht 1",
    "unknown_event_type": "event_type nicht im Vertrag",
    "bad_timestamp": "event_ts ist kein ISO-8601-Zeitstempel mit Zeitzone",
    "implausible_timestamp": "Ereignisdatum nach dem Eingangstag oder mehr als 48 h davor",
    "score_out_of_range": "toxicity_score außerhalb von [0, 1]",
    "invalid_value": "ein Wert außerhalb seiner erlaubten Menge oder seines Formats",
    "unreadable_file": "Datei ließ sich nicht oder nicht bis zum Ende lesen (Zeilen vor dem Schaden zählen)",
    "corrupt_gzip": "beschädigte gzip-Datei: Zeilen vor der Beschädigung wurden verwendet",
    "empty_file": "leere Datei",
    "duplicate_event": "erneut geliefertes Ereignis, einmal gezählt",
    "conflicting_duplicate": "erneut geliefertes Ereignis mit anderem Inhalt (erstes behalten)",
    "late_event": "Ereignis kam nach seinem Ereignisdatum an (verwendet)",
    "text_field_scrubbed": "Klartext eines Kommentars beim Einlesen verworfen",
    "unknown_experiment": "Experiment nicht im Register",
    "unknown_variant": "Gruppe nicht im Register",
    "outside_experiment_dates": "Ereignis außerhalb des Experimentzeitraums",
    "contaminated_user": "Person zwei Gruppen zugewiesen; ausgeschlossen",
    "trigger_without_assignment": "Hinweis-Auslösung einer Person ohne Zuweisung",
    "trigger_variant_mismatch": "Hinweis-Auslösung nennt eine andere Gruppe als die der Person",
    "trigger_without_draft": "Hinweis-Auslösung, deren Entwurf nie eingereicht wurde",
}
