"""The methods section: definitions, windows, tests, corrections and the decision rule, in English and German.

Numbers quoted here (window, pre-period, thresholds, margin) come from the code that applies them, so the
text cannot drift from what was computed.
"""

from __future__ import annotations

import html

from pipelines.contract import ATTRIBUTION_WINDOW_MINUTES, PRE_PERIOD_DAYS
from pipelines.metrics import CATALOGUE, Metric
from pipelines.registry import Experiment
from pipelines.report import trust
from pipelines.report.text import Lang, number, percent, t
from pipelines.results import ALPHA

_TEST = {
    "ratio": {"en": "ratio, delta method over users", "de": "Quotient, Delta-Methode über Personen"},
    "proportion": {"en": "proportion, unpooled z (Fisher if a cell < 10)",
                   "de": "Anteil, z-Test ungepoolt (Fisher bei Zelle < 10)"},
    "mean": {"en": "mean, Welch", "de": "Mittelwert, Welch"},
}

_SECTIONS: dict[Lang, list[tuple[str, str]]] = {
    "en": [
        ("Who is compared",
         "Users are randomised to an arm; a user's first assignment to the experiment is their arm, and their "
         "country and platform are taken from it. Users seen in two arms are excluded from every metric (they "
         "still count in the sample-ratio check, which is about the assignment mechanism). Control users are "
         "never shown a prompt, but their drafts above the threshold are logged the same way, so both sides "
         "are counted alike."),
        ("Flagged comments and their outcome",
         "A flagged comment is the first prompt trigger of a draft whose toxicity score is at or above the "
         "experiment's threshold ({threshold}). Its outcome is decided within {window} minutes of the "
         "trigger: <i>changed</i> when the draft was posted with a different text, <i>posted unchanged</i> when "
         "posted with the same text, <i>withdrawn</i> when nothing was posted in the window. What the user "
         "clicked in the prompt is not used. Toxicity bands split the flagged drafts at {edge}."),
        ("Windows",
         "In-experiment activity counts from a user's assignment to the experiment's last day. The "
         "{pre} days before assignment are the pre-period used for variance reduction (CUPED) of posts and "
         "toxic posts per user."),
        ("Tests",
         "Every prompt arm is compared with control. Ratio metrics (per flagged comment, per post) use the "
         "delta method over users, so a user with many flagged comments does not count as many independent "
         "people; proportions use the unpooled z-test (Fisher's exact test when a cell has fewer than 10); "
         "means use Welch's test, with CUPED on the 14-day pre-period for posts and toxic posts per user. "
         "Intervals are {level} % two-sided. <i>Chance better</i> is the Bayesian probability that the arm beats "
         "control (flat prior, Gaussian approximation)."),
        ("Corrections for multiple comparisons",
         "The CSV's <code>p_value</code> is unadjusted; <code>p_value_adjusted</code> is corrected: Holm across "
         "arms × primary metrics (withdrawn or changed; toxic comments per user), Holm across arms for every "
         "other metric, Benjamini–Hochberg across the segment values × arms of a metric."),
        ("Decision rule",
         "A metric is a <b>clear win</b> when its corrected p-value is below {alpha} <b>and</b> its always-valid "
         "confidence sequence (Waudby-Smith et al. 2024) excludes zero, in the metric's good direction; "
         "<b>harm</b> when both hold in the bad direction; otherwise <b>no evidence</b>. Because the sequence "
         "is valid at every look, re-running the analysis every night cannot turn noise into a win. The status "
         "of an arm at the top of the report is the decision on <i>withdrawn or changed</i>, turned into harm "
         "when a primary metric or the guardrail shows harm."),
        ("Guardrail",
         "Commenting overall (comments posted per user) must not drop: non-inferiority holds when the whole "
         "95 % interval of the relative change lies above {margin}."),
        ("Trust checks",
         "The arms must have the planned sizes (chi-square sample-ratio check; a failure at p &lt; 0.001 "
         "withholds the whole report). The banner turns red when more than {rej_fail} of the rows read were "
         "rejected as malformed, more than {cont_fail} of assigned users were in two arms, or more than "
         "{una_fail} of prompts could not be attributed to an assigned user's arm; amber from {rej_caution} "
         "rejected rows or {una_caution} unattributed prompts, or when a segment's arms are off-plan. Events "
         "are deduplicated by event id (first delivery kept); late events up to 48 hours are used; raw comment "
         "text is never stored."),
    ],
    "de": [
        ("Wer verglichen wird",
         "Personen werden zufällig einer Gruppe zugewiesen; die erste Zuweisung zum Experiment bestimmt die "
         "Gruppe, Land und Plattform stammen aus ihr. Personen in zwei Gruppen werden aus allen Kennzahlen "
         "ausgeschlossen (im Stichprobenverhältnis-Test zählen sie weiter, denn er prüft die Zuweisung). Die "
         "Kontrollgruppe sieht nie einen Hinweis, ihre Entwürfe über der Schwelle werden aber gleich "
         "protokolliert, sodass beide Seiten gleich gezählt werden."),
        ("Beanstandete Kommentare und ihr Ausgang",
         "Ein beanstandeter Kommentar ist die erste Hinweis-Auslösung eines Entwurfs, dessen Toxizitätswert die "
         "Schwelle des Experiments ({threshold}) erreicht. Der Ausgang wird binnen {window} Minuten nach der "
         "Auslösung bestimmt: <i>geändert</i>, wenn der Entwurf mit anderem Text veröffentlicht wurde, "
         "<i>unverändert veröffentlicht</i> bei gleichem Text, <i>zurückgezogen</i>, wenn im Fenster nichts "
         "veröffentlicht wurde. Was im Hinweis angeklickt wurde, zählt nicht. Die Toxizitätsbänder teilen die "
         "beanstandeten Entwürfe bei {edge}."),
        ("Zeitfenster",
         "Aktivität im Experiment zählt ab der Zuweisung bis zum letzten Experimenttag. Die {pre} Tage vor der "
         "Zuweisung sind die Vorperiode für die Varianzreduktion (CUPED) von Kommentaren und toxischen "
         "Kommentaren je Person."),
        ("Tests",
         "Jede Hinweis-Gruppe wird mit der Kontrollgruppe verglichen. Quotienten (je beanstandetem Kommentar, "
         "je Kommentar) nutzen die Delta-Methode über Personen, damit eine Person mit vielen beanstandeten "
         "Kommentaren nicht als viele unabhängige Personen zählt; Anteile den ungepoolten z-Test (Fishers "
         "exakter Test bei einer Zelle unter 10); Mittelwerte den Welch-Test, mit CUPED über die 14-tägige "
         "Vorperiode für Kommentare und toxische Kommentare je Person. Intervalle sind zweiseitig {level} %. "
         "<i>W. besser</i> ist die bayessche Wahrscheinlichkeit, dass die Gruppe besser ist als die "
         "Kontrollgruppe (flacher Prior, Normalapproximation)."),
        ("Korrektur für Mehrfachtests",
         "<code>p_value</code> in der CSV-Datei ist unkorrigiert; <code>p_value_adjusted</code> ist korrigiert: "
         "Holm über Gruppen × primäre Kennzahlen (zurückgezogen oder geändert; toxische Kommentare je Person), "
         "Holm über Gruppen für jede andere Kennzahl, Benjamini–Hochberg über die Segmentwerte × Gruppen einer "
         "Kennzahl."),
        ("Entscheidungsregel",
         "Eine Kennzahl ist ein <b>klarer Erfolg</b>, wenn ihr korrigierter p-Wert unter {alpha} liegt "
         "<b>und</b> ihre stets gültige Konfidenzfolge (Waudby-Smith et al. 2024) null ausschließt, in der "
         "guten Richtung der Kennzahl; <b>Schaden</b>, wenn beides in der schlechten Richtung gilt; sonst "
         "<b>noch kein Nachweis</b>. Da die Folge bei jedem Blick gültig ist, kann das nächtliche Neuberechnen "
         "keinen Zufall zum Erfolg machen. Der Status einer Gruppe oben im Bericht ist die Entscheidung zu "
         "<i>zurückgezogen oder geändert</i>, die zu Schaden wird, wenn eine primäre Kennzahl oder die "
         "Leitplanke Schaden zeigt."),
        ("Leitplanke",
         "Das Kommentieren insgesamt (veröffentlichte Kommentare je Person) darf nicht sinken: Nicht-Unterlegenheit "
         "gilt, wenn das ganze 95-%-Intervall der relativen Veränderung über {margin} liegt."),
        ("Vertrauensprüfungen",
         "Die Gruppen müssen die geplante Größe haben (Chi-Quadrat-Test des Stichprobenverhältnisses; ein "
         "Fehlschlag bei p &lt; 0,001 hält den ganzen Bericht zurück). Das Banner wird rot, wenn mehr als "
         "{rej_fail} der gelesenen Zeilen als fehlerhaft verworfen wurden, mehr als {cont_fail} der "
         "zugewiesenen Personen in zwei Gruppen waren oder mehr als {una_fail} der Hinweise keiner Gruppe "
         "zuzuordnen waren; gelb ab {rej_caution} verworfenen Zeilen oder {una_caution} nicht zuordenbaren "
         "Hinweisen oder wenn die Gruppen eines Segments vom Plan abweichen. Ereignisse werden über die "
         "event_id dedupliziert (erste Lieferung zählt); verspätete Ereignisse bis 48 Stunden werden verwendet; "
         "Klartext von Kommentaren wird nie gespeichert."),
    ],
}


def _metric_rows(lang: Lang) -> str:
    rows = []
    for m in CATALOGUE:
        role = [t("primary", lang)] if m.primary else []
        role += [t("guardrail", lang)] if m.guardrail else []
        test = _TEST[m.kind][lang] + (" + CUPED" if m.pre else "")
        rows.append(
            f"<tr><td>{html.escape(_label(m, lang))}</td><td><code>{m.id}</code></td>"
            f"<td>{html.escape(m.unit_de if lang == 'de' else m.unit_en)}</td><td>{test}</td>"
            f"<td class=num>{t('higher_better' if m.higher_is_better else 'lower_better', lang)}</td>"
            f"<td>{', '.join(role)}</td></tr>"
        )
    return "".join(rows)


def _label(m: Metric, lang: Lang) -> str:
    return m.label_de if lang == "de" else m.label_en


def methods_html(exp: Experiment, lang: Lang, *, rejected_limit: float = 0.05) -> str:
    """The methods section (HTML fragment) for one experiment; ``rejected_limit`` as in ReportData."""
    values = {
        "threshold": number(exp.trigger_threshold, lang, 2), "edge": number(exp.band_edge, lang, 2),
        "window": ATTRIBUTION_WINDOW_MINUTES, "pre": PRE_PERIOD_DAYS, "level": number((1 - ALPHA) * 100, lang, 0),
        "alpha": number(ALPHA, lang, 2), "margin": percent(exp.guardrail_margin, lang, 1),
        "rej_fail": percent(rejected_limit, lang, 0),
        "rej_caution": percent(min(trust.REJECTED_CAUTION, rejected_limit), lang, 0),
        "cont_fail": percent(trust.CONTAMINATED_FAIL, lang, 0),
        "una_fail": percent(trust.UNATTRIBUTED_FAIL, lang, 0), "una_caution": percent(trust.UNATTRIBUTED_CAUTION,
                                                                                       lang, 0),
    }
    parts = [f"<h3>{title}</h3><p>{body.format(**values)}</p>" for title, body in _SECTIONS[lang]]
    head = "".join(f"<th>{t(h, lang)}</th>" for h in ("metric", "id", "unit", "test", "direction", "role"))
    parts.append(f'<h3>{t("catalogue", lang)}</h3><div class="scroll"><table class="small"><tr>{head}</tr>'
                 f"{_metric_rows(lang)}</table></div>")
    return "\n".join(parts)
