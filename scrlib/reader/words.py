"""Codes in words: what a reader sees in place of a parameter, a rule id, a model family or an
event's short label.

The record and the statistics name things by code (``conflict_rule``, ``alternative``,
``negativebinomial``, ``primary-over-retelling``, ``WT 2013 in force``); a page, a chart, an alt
text or a chart's CSV says them in words, from the tables here (one place, so a code never
reaches a reader by one path while another path words it).
"""

from __future__ import annotations

import re

# -- model and analysis choices --------------------------------------------------------------
FAMILY = {"poisson": "Poisson", "quasipoisson": "quasi-Poisson",
          "negativebinomial": "negative binomial", "binomial": "binomial",
          "gaussian": "least squares"}
EFFECTS = {"step": "changes in level", "step+slope": "changes in level and in trend",
           "slope": "changes in trend"}
TRANSITION = {"sum": "sum of its parts (default)",
              "fractional": "share of days, mixed on the log scale",
              "whole": "wholly on the side with most of its days"}
CONFLICT_RULE = {"recorded": "the value recorded as used",
                 "alternative": "the alternative figure where sources disagree",
                 "lowest": "the lowest value where sources disagree",
                 "highest": "the highest value where sources disagree"}
EVENT_RULE = {"recorded": "the date recorded as used",
              "alternative": "the alternative date where sources disagree"}
CI_METHOD = {"wilson": "Wilson intervals", "beta": "exact (Clopper-Pearson) intervals"}
CHOICE = {"events": "Policy dates in the model", "family": "Model family",
          "effects": "Effects", "transition": "A year containing a date counts as",
          "conflict_rule": "Where sources disagree on a count",
          "event_rule": "Where sources disagree on a date", "series": "Series"}
VALUES = {"family": FAMILY, "families": FAMILY, "effects": EFFECTS, "transition": TRANSITION,
          "transitions": TRANSITION, "conflict_rule": CONFLICT_RULE,
          "conflict_rules": CONFLICT_RULE, "event_rule": EVENT_RULE,
          "event_rules": EVENT_RULE, "ci_method": CI_METHOD}

# -- the notebooks' parameters ---------------------------------------------------------------
PARAMETERS = {
    "series": "the series", "seed_series": "the seed articles' series",
    "compare_with": "the series drawn alongside", "events": "the policy dates",
    "mark_events": "the other events drawn", "conflict_rule": "where sources disagree on a count",
    "conflict_rules": "where sources disagree on a count",
    "event_rule": "where sources disagree on a date",
    "event_rules": "where sources disagree on a date",
    "family": "the model family", "families": "the model families", "effects": "the effects",
    "transition": "how a year containing a date counts",
    "transitions": "how a year containing a date counts",
    "replicates": "the number of simulated series for the break scans",
    "seed": "the seed of the simulations",
    "power_replicates": "the number of simulated series for the smallest detectable changes",
    "bayes_draws": "the number of points per Bayesian integral",
    "set_against": "the series the rise is set against",
    "undercount_years": "the years whose undercount is tried",
    "published": "the published count", "commissioned": "the commissioned count",
    "before": "the years before", "after": "the years after",
    "ci_method": "the interval of each share", "numerator": "the counted reviews",
    "denominator": "the counted notifications", "stated_share": "the share as stated",
    "notification_series": "the notification series drawn",
    "break_event": "the break marked on the notifications",
    "policy_events": "the policy dates tested", "control_events": "the earlier events modelled",
    "placebo_event": "the event of the placebo check",
    "joint_replicates": "the number of simulated series for the joint test",
    "sweep_event": "the event whose date is swept", "sweep_from": "the earliest date swept",
    "dates": "dates moved by hand", "leave_out": "the year left out",
    "output_dir": "the folder for the charts",
}

# -- resolution rules (data/resolutions.csv), short --------------------------------------------
RULES = {
    "primary-over-retelling": "the source reporting the statement directly, over a retelling",
    "later-revision": "the producer's later count",
    "arithmetic-typo": "the other value contradicts its own source's arithmetic",
    "own-account": "a body's own report about itself, over the press",
    "official-over-secondary": "official statistics, over a report of them",
    "document-date": "the date printed on the document itself",
    "internal-evidence": "the other value is contradicted by its own source",
    "later-release": "the later release of the same official statistics",
}

# -- short labels of events, as a sentence says them -------------------------------------------
ABBREVIATIONS = ((r"\bWT\b", "Working Together"), (r"\bRegs\b", "Regulations"),
                 (r"\byr\b", "year"), (r"\bCSW\b", "Children and Social Work"))


def label(text: str) -> str:
    """An event's short chart label as prose says it ('WT 2013 in force' -> 'Working Together
    2013 in force')."""
    for pattern, words in ABBREVIATIONS:
        text = re.sub(pattern, words, str(text))
    return text


def parameter(name: str) -> str:
    """A notebook parameter's name in words ('conflict_rule' -> 'where sources disagree on a
    count'); an unknown name with its underscores as spaces."""
    return PARAMETERS.get(name, str(name).replace("_", " "))


def value(name: str, given) -> str:
    """A parameter's value in words ('alternative' for ``conflict_rule`` -> 'the alternative
    figure where sources disagree'); a list joined with commas; None as 'the default'."""
    if given is None:
        return "the default"
    if isinstance(given, (list, tuple)):
        return ", ".join(value(name, v) for v in given) or "none"
    table = VALUES.get(name, {})
    text = str(given)
    if "," in text and text not in table:
        return ", ".join(table.get(v, v) for v in text.split(",") if v)
    return table.get(text, text)


def rule(code: str) -> str:
    """A resolution rule id in words ('primary-over-retelling' -> 'the source reporting the
    statement directly, over a retelling')."""
    from scrlib.record.schema import RULES as WRITTEN

    return RULES.get(code, WRITTEN.get(code, str(code).replace("-", " ")))


def figure(value) -> str:
    """A figure as a reader writes it: a whole number with thousands separators ("378,030",
    "12,183,016", never "1.2183e+07"), otherwise up to six significant digits ("0.35")."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:g}"


def capitalised(text: str) -> str:
    """``text`` with its first letter capital (a table header, a chart label)."""
    text = str(text)
    return text[:1].upper() + text[1:]


# -- the specification curve's panel of choices: short, each value in words -------------------
SHORT_CHOICE = {"events": "Policy dates", "conflict_rule": "Where sources disagree",
                "event_rule": "Disputed dates", "transition": "Year with a date",
                "family": "Family", "effects": "Effects", "series": "Series"}
SHORT_VALUES = {
    "conflict_rule": {"recorded": "the recorded figure", "alternative": "the alternative figure",
                      "lowest": "the lowest figure", "highest": "the highest figure"},
    "event_rule": {"recorded": "the recorded date", "alternative": "the alternative date"},
    "transition": {"sum": "sum of its parts", "fractional": "share of days",
                   "whole": "wholly on its larger side"},
    "family": FAMILY,
    "effects": {"step": "change in level", "step+slope": "change in level and trend"},
}


def choice_label(choice: str, given, dataset=None) -> str:
    """A choice and its value as a short label ('conflict_rule', 'alternative' -> 'Where
    sources disagree: the alternative figure'; events by their labels)."""
    text = str(given)
    if choice == "events" and dataset is not None:
        shown = " and ".join(label(dataset.event(e).label) for e in text.split(",") if e)
    elif choice == "series" and dataset is not None:
        shown = dataset.series_info(text).name
    else:
        shown = SHORT_VALUES.get(choice, {}).get(text, text)
    return f"{SHORT_CHOICE.get(choice, parameter(choice))}: {shown}"
