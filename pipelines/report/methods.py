"""The methods section: definitions, windows, tests, corrections and the decision rule, in English and German.

Numbers quoted here (window, pre-period, thresholds, margin) come from the code that applies them, so the
text cannot drift from what was computed.
"""

from __future__ import annotations

import html

from pipelines.contract import ATTRIBUTION_WINDOW_MINUTES, PRE_PERIOD_DAYS
from pipelines.metrics import BY_ID, CATALOGUE, Metric
from pipelines.registry import Experiment
from pipelines.report import trust
from pipelines.report.text import Lang, number, percent, relative, t
from pipelines.results import ALPHA
from pipelines.stats import MIN_EVENTS

_TEST = {
    "ratio": {"en": "ratio, delta method over users", "de": "Quotient, Delta-Methode über Personen"},
    "proportion": {"en": "proportion, unpooled z (Fisher if a cell < 10)",
                   "de": "Anteil, z-Test ungepoolt (Fisher bei Zelle < 10)"},
    "mean": {"en": "mean, Welch", "de": "Mittelwert, Welch"},
}
_RARE = {"en": "; exact or none below {n} events", "de": "; exakt oder keiner unter {n} Ereignissen"}

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
         "control (flat prior, Gaussian approximation; not given for exact tests)."),
        ("Rare events and small segments",
         "A normal approximation needs events. A count metric gets the test above only when every arm has at "
         "least {min_events} events (for shares of flagged comments, the rarer of the two outcomes). Below that, "
         "if no person holds more than one event (or every person is one flagged comment), an exact test runs: "
         "for rates per post or per person-day the conditional binomial test of the arms' event counts given their "
         "exposure (Przyborowski &amp; Wilenski 1940), with the rate ratio's Clopper–Pearson interval and a MOVER "
         "interval of the difference (Zou &amp; Donner 2008); for counts per person Fisher's exact test on the "
         "people with and without an event. Otherwise the row reads <i>too few events</i>: no p-value, no "
         "interval, no decision, because the few events cluster in too few people for any valid test. The "
         "threshold comes from A/A simulations of rare, clustered events (<code>bench/rare_counts.py</code>): "
         "with one arm empty the normal tests find a difference that is not there in 7–10 % of experiments; from "
         "{min_events} events per arm on they stay at 5 %. The CSV's <code>method</code> names the test of every "
         "row, <code>events_control</code> and <code>events_variant</code> the counts."),
        ("Corrections for multiple comparisons",
         "The CSV's <code>p_value</code> is unadjusted; <code>p_value_adjusted</code> is corrected: Holm across "
         "arms × primary metrics (withdrawn or changed; toxic comments per user), Holm across arms for every "
         "other metric, Benjamini–Hochberg across the segment values × arms of a metric."),
        ("Decision rule",
         "A metric is a <b>clear win</b> when its corrected p-value is below {alpha} <b>and</b> its always-valid "
         "p-value is too - the confidence sequence of Waudby-Smith et al. (2024) excludes zero, or for an exact "
         "test the beta-binomial mixture (Robbins 1970) says so - in the metric's good direction; <b>harm</b> "
         "when both hold in the bad direction; <b>too few events</b> as above; otherwise <b>no evidence</b>. "
         "Because these are valid at every look, re-running the analysis every night cannot turn noise into a "
         "win, and no arm with zero events is called different from one with a handful."),
        ("Guardrails and the verdict",
         "Guardrails must not get worse beyond a margin: comments posted per person by more than {margin} (people "
         "must not stop commenting){extra}. Each gets a non-inferiority test: a one-sided test of the relative "
         "change against the margin (log scale, delta method; <code>guardrail_p_value</code>). A guardrail "
         "<i>held</i> when that p-value is below {alpha} and its always-valid interval lies wholly on the good "
         "side of the margin; it is <i>breached</i> when the always-valid interval lies wholly beyond the margin; "
         "otherwise it is <i>not shown</i> yet. Requiring every guardrail is an intersection-union test, so they "
         "need no correction among themselves (Berger 1982; Schultzberg et al. 2024, the rule of Spotify's "
         "Confidence). The verdict per arm, at the top of the report: <b>ship</b> when <i>withdrawn or "
         "changed</i> is a clear win, no primary metric shows harm and every guardrail held; <b>don't ship</b> "
         "when a primary metric shows harm or a guardrail is breached; otherwise <b>not decided yet</b>."),
        ("Do segments differ?",
         "For each metric, segment dimension and arm, Cochran's Q tests whether the effect differs between the "
         "dimension's values (inverse-variance weights, k − 1 degrees of freedom; only segments with a "
         "normal-approximation estimate count, and fewer than two give no test). Its p-values are corrected by "
         "Holm over every dimension, metric and arm of the experiment, and the report claims a difference only "
         "below {alpha} after that correction (table <code>segment_heterogeneity</code>)."),
        ("Prompt number",
         "Each flagged comment is numbered among its person's flagged comments in the experiment by time (1, 2, "
         "3–5, 6+); control numbers the prompts it would have seen the same way, and people stay the unit. The "
         "first is a fair comparison; beyond it the number is post-treatment - how many flagged comments a person "
         "reaches can depend on the prompt - so the rows and the figure by prompt number are descriptive."),
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
         "Kontrollgruppe (flacher Prior, Normalapproximation; nicht bei exakten Tests)."),
        ("Seltene Ereignisse und kleine Segmente",
         "Eine Normalapproximation braucht Ereignisse. Eine Zählkennzahl erhält den obigen Test nur, wenn jede "
         "Gruppe mindestens {min_events} Ereignisse hat (bei Anteilen beanstandeter Kommentare der seltenere der "
         "beiden Ausgänge). Darunter läuft ein exakter Test, wenn keine Person mehr als ein Ereignis hat (oder "
         "jede Person ein beanstandeter Kommentar ist): für Raten je Kommentar oder Personentag der bedingte "
         "Binomialtest der Ereigniszahlen bei gegebener Exposition (Przyborowski &amp; Wilenski 1940), mit "
         "Clopper-Pearson-Intervall des Ratenverhältnisses und MOVER-Intervall der Differenz (Zou &amp; Donner "
         "2008); für Zählungen je Person Fishers exakter Test über Personen mit und ohne Ereignis. Sonst steht "
         "<i>zu wenige Ereignisse</i>: kein p-Wert, kein Intervall, keine Entscheidung, weil sich die wenigen "
         "Ereignisse auf zu wenige Personen ballen. Die Schwelle stammt aus A/A-Simulationen seltener, gehäufter "
         "Ereignisse (<code>bench/rare_counts.py</code>): Ist eine Gruppe leer, finden die Normaltests in 7–10 % "
         "der Experimente einen Unterschied, den es nicht gibt; ab {min_events} Ereignissen je Gruppe bleiben sie "
         "bei 5 %. In der CSV nennt <code>method</code> den Test jeder Zeile, <code>events_control</code> und "
         "<code>events_variant</code> die Zahlen."),
        ("Korrektur für Mehrfachtests",
         "<code>p_value</code> in der CSV-Datei ist unkorrigiert; <code>p_value_adjusted</code> ist korrigiert: "
         "Holm über Gruppen × primäre Kennzahlen (zurückgezogen oder geändert; toxische Kommentare je Person), "
         "Holm über Gruppen für jede andere Kennzahl, Benjamini–Hochberg über die Segmentwerte × Gruppen einer "
         "Kennzahl."),
        ("Entscheidungsregel",
         "Eine Kennzahl ist ein <b>klarer Erfolg</b>, wenn ihr korrigierter p-Wert unter {alpha} liegt "
         "<b>und</b> ihr stets gültiger p-Wert ebenso - die Konfidenzfolge nach Waudby-Smith et al. (2024) "
         "schließt null aus, bei einem exakten Test die Beta-Binomial-Mischung (Robbins 1970) -, in der guten "
         "Richtung der Kennzahl; <b>Schaden</b>, wenn beides in der schlechten Richtung gilt; <b>zu wenige "
         "Ereignisse</b> wie oben; sonst <b>noch kein Nachweis</b>. Da beide bei jedem Blick gültig sind, kann "
         "das nächtliche Neuberechnen keinen Zufall zum Erfolg machen, und keine Gruppe ohne Ereignis gilt als "
         "verschieden von einer mit einer Handvoll."),
        ("Leitplanken und das Urteil",
         "Leitplanken dürfen sich nicht über eine Toleranz hinaus verschlechtern: veröffentlichte Kommentare je "
         "Person um mehr als {margin} (niemand soll aufhören zu kommentieren){extra}. Jede erhält einen Test auf "
         "Nicht-Unterlegenheit: einen einseitigen Test der relativen Veränderung gegen die Toleranz "
         "(Log-Skala, Delta-Methode; <code>guardrail_p_value</code>). Eine Leitplanke <i>hält</i>, wenn dieser "
         "p-Wert unter {alpha} liegt und ihr stets gültiges Intervall ganz auf der guten Seite der Toleranz "
         "liegt; sie ist <i>verletzt</i>, wenn das stets gültige Intervall ganz jenseits der Toleranz liegt; sonst "
         "ist sie <i>noch nicht gezeigt</i>. Alle Leitplanken zu verlangen ist ein Intersection-Union-Test; sie "
         "brauchen untereinander keine Korrektur (Berger 1982; Schultzberg et al. 2024, die Regel von Spotifys "
         "Confidence). Das Urteil je Gruppe oben im Bericht: <b>einführen</b>, wenn <i>zurückgezogen oder "
         "geändert</i> ein klarer Erfolg ist, keine primäre Kennzahl Schaden zeigt und jede Leitplanke hält; "
         "<b>nicht einführen</b>, wenn eine primäre Kennzahl Schaden zeigt oder eine Leitplanke verletzt ist; "
         "sonst <b>noch offen</b>."),
        ("Unterscheiden sich Segmente?",
         "Für jede Kennzahl, Segment-Dimension und Gruppe prüft Cochrans Q, ob sich der Effekt zwischen den "
         "Werten der Dimension unterscheidet (inverse Varianzgewichte, k − 1 Freiheitsgrade; nur Segmente mit "
         "einer Schätzung aus der Normalapproximation zählen, weniger als zwei ergeben keinen Test). Die p-Werte "
         "werden nach Holm über alle Dimensionen, Kennzahlen und Gruppen des Experiments korrigiert; der Bericht "
         "behauptet einen Unterschied nur unter {alpha} nach dieser Korrektur (Tabelle "
         "<code>segment_heterogeneity</code>)."),
        ("Nummer des Hinweises",
         "Jeder beanstandete Kommentar wird unter den beanstandeten Kommentaren seiner Person im Experiment "
         "zeitlich nummeriert (1, 2, 3–5, 6+); die Kontrollgruppe nummeriert die Hinweise, die sie gesehen hätte, "
         "ebenso, und Personen bleiben die Einheit. Der erste ist ein fairer Vergleich; danach ist die Nummer "
         "eine Folge der Behandlung - wie viele beanstandete Kommentare jemand erreicht, kann vom Hinweis "
         "abhängen -, daher sind die Zeilen und die Grafik nach Hinweisnummer beschreibend."),
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


def _metric_rows(exp: Experiment, lang: Lang) -> str:
    rows = []
    for m in CATALOGUE:
        role = [t("primary", lang)] if m.primary else []
        role += [t("guardrail", lang)] if m.id in exp.guardrails else []
        test = _TEST[m.kind][lang] + (" + CUPED" if m.pre else "")
        if m.counts is not None:
            test += _RARE[lang].format(n=MIN_EVENTS)
        rows.append(
            f"<tr><td>{html.escape(_label(m, lang))}</td><td><code>{m.id}</code></td>"
            f"<td>{html.escape(m.unit_de if lang == 'de' else m.unit_en)}</td><td>{test}</td>"
            f"<td class=num>{t('higher_better' if m.higher_is_better else 'lower_better', lang)}</td>"
            f"<td>{', '.join(role)}</td></tr>"
        )
    return "".join(rows)


def _extra_guardrails(exp: Experiment, lang: Lang) -> str:
    """', and reports per posted comment by more than +10 %' for the registry's further guardrails."""
    word = {"en": ", and {metric} by more than {margin}", "de": ", und {metric} um mehr als {margin}"}[lang]
    return "".join(word.format(metric=html.escape(_label(BY_ID[g], lang)), margin=relative(margin, lang, 0))
                   for g, margin in exp.extra_guardrails.items())


def _label(m: Metric, lang: Lang) -> str:
    return m.label_de if lang == "de" else m.label_en


def methods_html(exp: Experiment, lang: Lang, *, rejected_limit: float = 0.05) -> str:
    """The methods section (HTML fragment) for one experiment; ``rejected_limit`` as in ReportData."""
    values = {
        "threshold": number(exp.trigger_threshold, lang, 2), "edge": number(exp.band_edge, lang, 2),
        "window": ATTRIBUTION_WINDOW_MINUTES, "pre": PRE_PERIOD_DAYS, "level": number((1 - ALPHA) * 100, lang, 0),
        "alpha": number(ALPHA, lang, 2), "margin": percent(abs(exp.guardrail_margin), lang, 1),
        "min_events": MIN_EVENTS, "extra": _extra_guardrails(exp, lang),
        "rej_fail": percent(rejected_limit, lang, 0),
        "rej_caution": percent(min(trust.REJECTED_CAUTION, rejected_limit), lang, 0),
        "cont_fail": percent(trust.CONTAMINATED_FAIL, lang, 0),
        "una_fail": percent(trust.UNATTRIBUTED_FAIL, lang, 0), "una_caution": percent(trust.UNATTRIBUTED_CAUTION,
                                                                                       lang, 0),
    }
    parts = [f"<h3>{title}</h3><p>{body.format(**values)}</p>" for title, body in _SECTIONS[lang]]
    head = "".join(f"<th>{t(h, lang)}</th>" for h in ("metric", "id", "unit", "test", "direction", "role"))
    parts.append(f'<h3>{t("catalogue", lang)}</h3><div class="scroll"><table class="small"><tr>{head}</tr>'
                 f"{_metric_rows(exp, lang)}</table></div>")
    return "\n".join(parts)
