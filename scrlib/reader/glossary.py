"""The words a reader may not know, in plain words: the official terms (each resting on what the
record's sources say, quoted from the record) and the statistical ones.

:data:`TERMS` is in the order the index shows them. Each term has the patterns that find it in
a page's text (its first use on a page links to its entry), and for an official term the record
rows whose words it rests on: an event and the source that dates it, or a series whose
definition it uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One glossary entry: its name, what it stands for, its meaning in plain words, the
    patterns that find it in text, and the record's words it rests on."""

    key: str  # the entry's anchor: term-<key>
    name: str
    meaning: str
    patterns: tuple[str, ...]
    spelt_out: str = ""  # what an abbreviation stands for
    events: tuple[tuple[str, str], ...] = ()  # (event id, source id) whose words it rests on
    series: tuple[str, ...] = ()  # series whose definitions it rests on

    @property
    def anchor(self) -> str:
        return f"term-{self.key}"

    def pattern(self) -> re.Pattern:
        """One expression that finds any of the term's forms as a whole word or phrase."""
        return re.compile(r"(?<![\w-])(?:" + "|".join(self.patterns) + r")(?![\w-])")


OFFICIAL = (
    Term("scr", "SCR", "A review of a serious case: after a child died, or was seriously harmed, "
         "the Local Safeguarding Children Board decided whether to initiate one and told "
         "Ofsted. This report counts SCRs initiated, commissioned and published. From the end "
         "of September 2019 local child safeguarding practice reviews took their place.",
         (r"SCRs?", r"[Ss]erious [Cc]ase [Rr]eviews?"), "Serious Case Review",
         events=(("scrs-replaced-by-lcsprs", "cypnow-replace-lscbs-by-september-2019"),),
         series=("scr-initiated", "scr-initiated-death", "scr-initiated-serious-harm")),
    Term("lscb", "LSCB", "The board every local authority in England had to have from April "
         "2006, under the Children Act 2004; it decided when to initiate an SCR. The Children "
         "and Social Work Act 2017 replaced LSCBs and SCRs.",
         (r"LSCBs?", r"Local Safeguarding Children Boards?"), "Local Safeguarding Children Board",
         events=(("lscbs-required", "cypnow-replace-lscbs-by-september-2019"),
                 ("cswa-royal-assent", "localgovlawyer-children-and-social-work-act-2017")),
         series=("scr-initiated",)),
    Term("notification", "Serious incident notification", "A local authority's report of a "
         "serious incident: a child's death or serious harm to a child. Made to Ofsted from "
         "April 2007, and to the Child Safeguarding Practice Review Panel from 29 June 2018, so "
         "the counts before and after that date are not quite the same series.",
         (r"[Ss]erious incident notifications?", r"[Nn]otifications?"),
         events=(("ofsted-evaluation-begins", "hansard-2009-10-22-children-social-services"),
                 ("cspr-panel-notification-duty", "ees-sins-methodology")),
         series=("sin-deaths", "sin-serious-harm")),
    Term("rapid-review", "Rapid review", "A local review after a serious incident notification, "
         "from June 2018; the Child Safeguarding Practice Review Panel reads them.",
         (r"[Rr]apid reviews?",), series=("cspr-rapid-reviews",)),
    Term("lcspr", "LCSPR", "The local review that replaced the SCR: from the end of September "
         "2019 a new system of local and national reviews of safeguarding practice was used.",
         (r"LCSPRs?", r"[Ll]ocal [Cc]hild [Ss]afeguarding [Pp]ractice [Rr]eviews?"),
         "Local Child Safeguarding Practice Review",
         events=(("scrs-replaced-by-lcsprs", "cypnow-streamlined-system-new-era"),),
         series=("lcspr-considered",)),
    Term("cspr-panel", "Child Safeguarding Practice Review Panel", "The independent national "
         "panel set up in July 2018 under the Children and Social Work Act 2017; local "
         "authorities notify serious incidents to it from 29 June 2018.",
         (r"Child Safeguarding Practice Review Panel", r"CSPR Panel"),
         events=(("cspr-panel-established", "whatdotheyknow-kb-panel-annual-report-2020"),
                 ("cspr-panel-notification-duty", "govuk-report-a-serious-child-safeguarding-"
                  "incident"))),
    Term("national-panel", "National panel of independent experts", "The panel set up in June "
         "2013 that was advised of LSCBs' decisions to initiate SCRs and considered cases for "
         "not publishing them; it worked until 2018.",
         (r"[Nn]ational panel(?: of independent experts)?",),
         events=(("national-panel-established", "docslib-scr-panel-first-report"),),
         series=("panel-initiations-advised", "panel-nonpublication-considered")),
    Term("ofsted-evaluation", "Ofsted evaluation", "From April 2007 Ofsted evaluated each SCR "
         "and judged it good, adequate or inadequate; it stopped in July 2012.",
         (r"Ofsted evaluation", r"Ofsted's evaluation"),
         events=(("ofsted-evaluation-begins", "ofsted-scr-evaluations-2007-onwards"),
                 ("ofsted-evaluation-ends", "cypnow-absence-of-ofsted-evaluation")),
         series=("scr-evaluated-good",)),
    Term("working-together", "Working Together", "Working Together to Safeguard Children: the "
         "government's statutory guidance on safeguarding children, which sets out how SCRs "
         "(chapter 8 in 2006) and the reviews after them are done. Revised in 2006, 2010, 2013, "
         "2015, 2018 and 2023; 'WT 2013 in force' marks the day the 2013 revision took effect.",
         (r"Working Together(?: to Safeguard Children)?", r"WT"),
         events=(("working-together-2006", "hansard-debate-1004072000007"),
                 ("working-together-2013", "teescpp-working-together-2013"),
                 ("working-together-2013-in-force", "norfolk-misheet-working-together-2013"))),
)

STATISTICAL = (
    Term("financial-year", "Financial year", "A year from 1 April to 31 March: 2012-13 runs from "
         "1 April 2012 to 31 March 2013. Most counts here are by financial year.",
         (r"[Ff]inancial years?",)),
    Term("rate-ratio", "Rate ratio", "How many times larger the yearly number is after a change "
         "than the model expects without it: 1 means no change, 0.5 half as many, 2 twice as "
         "many.", (r"[Rr]ate ratios?",)),
    Term("interval", "95% interval", "The range of values the data are compatible with (a "
         "confidence interval). If a rate ratio's interval includes 1, the data cannot rule out "
         "no change; with eight yearly figures intervals are wide.",
         (r"95% (?:confidence )?intervals?", r"[Cc]onfidence intervals?")),
    Term("p-value", "p-value", "How often a difference at least as large as the one seen would "
         "turn up by chance if nothing had changed: p = 0.05 is 1 time in 20. A small p is "
         "evidence of a change around a date, not proof of what caused it.",
         (r"p-values?", r"p(?= [=<>] ?\d)")),
    Term("credible-interval", "Credible interval", "In the Bayesian cross-check: the range that "
         "holds the value with 95% probability, given the data and the stated assumptions made "
         "before seeing them (the priors).", (r"[Cc]redible intervals?",)),
    Term("bayesian", "Bayesian cross-check", "A second way of weighing the same evidence: it "
         "states its assumptions before seeing the data (priors) and gives the probability of "
         "each explanation and the range a change probably lies in.",
         (r"Bayesian(?: cross-check)?",)),
    Term("qaicc", "QAICc", "A score for comparing explanations fitted to the same counts: how "
         "well each fits, with a penalty for each thing it estimates, corrected for short "
         "series and for counts that vary more than chance alone would make them. Lower is "
         "better; the weights turn the scores into shares of support.",
         (r"Q?AICc(?: weights?)?",)),
    Term("quasi-poisson", "Quasi-Poisson", "A model for yearly counts that lets them vary more "
         "from year to year than chance alone would (overdispersion), widening the intervals "
         "to match.", (r"[Qq]uasi-Poisson",)),
    Term("negative-binomial", "Negative binomial", "Another model for counts that vary more "
         "than chance: it estimates how much more (its dispersion, called alpha).",
         (r"[Nn]egative binomial", r"NB(?= alpha)")),
    Term("df", "Degrees of freedom", "The number of figures left over once a model's unknowns "
         "are estimated; with few (as in 't on 2 df'), intervals and tests must be wide to be "
         "honest.", (r"degrees of freedom", r"df")),
    Term("exploratory", "Exploratory", "Suggested by the data themselves (for example a date "
         "placed by searching every year), not fixed beforehand: something to check on other "
         "data, not a finding.", (r"[Ee]xploratory",)),
)

TERMS = OFFICIAL + STATISTICAL


def record_words(dataset, term: Term) -> list[tuple[str, str]]:
    """The record's words an official term rests on, as (words, source id): each event's
    excerpt from the source named, and each series' definition (source id '')."""
    out = []
    events = dataset.events
    for event_id, source_id in term.events:
        rows = events[(events["event_id"] == event_id) & (events["source_id"] == source_id)]
        if rows.empty:
            raise KeyError(f"glossary {term.name}: no event {event_id} from {source_id}")
        out.append((str(rows["excerpt"].iloc[0]), source_id))
    for series_id in term.series:
        out.append((dataset.series_info(series_id).definition, ""))
    return out
