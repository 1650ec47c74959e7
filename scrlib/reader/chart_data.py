"""A chart's data file as a reader's table: what the chart draws, headed in words.

Each function takes what a notebook draws (a result, a resolved series, a table of shares) and
returns the frame :func:`scrlib.reader.plot.save` writes beside the chart: capitalised headers
in words, periods and dates as a reader writes them, no record ids or codes; ``plot.save``
then writes counts as whole numbers and yes/no for true/false.
"""

from __future__ import annotations

import pandas as pd

from scrlib.reader import words
from scrlib.record.periods import readable


def counts(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A yearly count (``year``, ``count``) as Year and ``name``."""
    return pd.DataFrame({"Year": frame["year"].to_numpy(), name: frame["count"].to_numpy()})


def fit(predicted: pd.DataFrame) -> pd.DataFrame:
    """An interrupted time series' fit (:meth:`ItsResult.predict`): each year, the observed
    count, the fitted mean and its 95% band."""
    return pd.DataFrame({"Year": [readable(t) for t in predicted["time"]],
                         "Observed": predicted["observed"].to_numpy(),
                         "Fitted": predicted["mean"].to_numpy(),
                         "Fit, 95% low": predicted["ci_low"].to_numpy(),
                         "Fit, 95% high": predicted["ci_high"].to_numpy()})


def shares(frame: pd.DataFrame, successes: str, trials: str) -> pd.DataFrame:
    """Yearly shares with their intervals (``analysis.share_intervals``) named by their two
    counts."""
    return pd.DataFrame({"Year": frame["year"].to_numpy(),
                         successes: frame["successes"].to_numpy(),
                         trials: frame["trials"].to_numpy(),
                         "Share (%)": frame["share"].to_numpy(),
                         "95% low (%)": frame["ci_low"].to_numpy(),
                         "95% high (%)": frame["ci_high"].to_numpy(),
                         "Sources disagree": frame["conflict"].astype(bool).to_numpy()})


def explanations(found) -> pd.DataFrame:
    """Each explanation's fitted yearly means beside the observed counts
    (:class:`scrlib.its.explanations.Explanations`)."""
    times = pd.PeriodIndex(found.observed["time"])
    out = pd.DataFrame({"Year": [readable(t) for t in times],
                        "Observed": found.observed["observed"].to_numpy()})
    for name in found.fitted.columns:
        if name != "time":
            out[words.capitalised(name)] = found.fitted[name].to_numpy()
    return out


def profiles(frame: pd.DataFrame) -> pd.DataFrame:
    """The break scans' profiles (:func:`scrlib.its.breaks.profiles`) in words."""
    def day(value) -> str:
        return "" if pd.isna(value) else f"{pd.Timestamp(value):%-d %B %Y}"

    return pd.DataFrame({
        "Scan": [words.capitalised(s) for s in frame["scan"]],
        "Start": [day(v) for v in frame["start"]],
        "End": [day(v) for v in frame["end"]],
        "Fit worse than the best (scaled deviance)": frame["lr"].to_numpy(),
        "Cutoff of the 95% set": frame["cutoff"].to_numpy(),
        "In the 95% set": frame["in_set"].astype(bool).to_numpy(),
        "Policy dates": frame["candidate"].fillna("").to_numpy(),
        "Rate ratio": frame["rate_ratio"].to_numpy()})


def posterior(table: pd.DataFrame) -> pd.DataFrame:
    """The posterior of each date the data place (``plot.break_date_posterior``) in words."""
    which = {"date": "its date", "start": "its start", "end": "its end"}
    return pd.DataFrame({
        "Explanation": [words.capitalised(e) for e in table["explanation"]],
        "Which date": [which.get(w, w) for w in table["which"]],
        "Date": [f"{pd.Timestamp(d):%-d %B %Y}" for d in table["date"]],
        "Posterior probability": table["probability"].to_numpy()})


def curve(table: pd.DataFrame, dataset=None) -> pd.DataFrame:
    """The specification curve's models (``sensitivity.run``): each choice in words, the step
    and its interval, and whether the model is in the summary."""
    out = pd.DataFrame({words.CHOICE[c]: [words.choice_label(c, v, dataset).split(": ", 1)[1]
                                          for v in table[c]]
                        for c in ("series", "events", "conflict_rule", "event_rule",
                                  "transition", "family", "effects") if c in table})
    out["The estimate is the"] = table["estimates"].to_numpy()
    out["Fitted"] = [s == "fitted" for s in table["status"]]
    out["Why not fitted"] = [_why_not(s) for s in table["status"]]
    out["Rate ratio"] = table["rate_ratio"].to_numpy()
    out["95% low"] = table["ci_low"].to_numpy()
    out["95% high"] = table["ci_high"].to_numpy()
    out["p"] = table["p_value"].to_numpy()
    for name, column in (("Interval excludes 1", "excludes_null"),
                         ("Family fits the counts' variation", "passes_dispersion_check"),
                         ("Distinct model", "distinct")):
        out[name] = [_flag(v) if fitted else "" for v, fitted in zip(table[column], out["Fitted"],
                                                                      strict=True)]
    return out


def _why_not(status) -> str:
    """Why a model was not fitted, in a reader's words ('' when it was): the fitter's own
    message names coefficients and designs, which belong in the notebook, not in a table."""
    status = str(status)
    if status == "fitted":
        return ""
    if "not identified" in status:
        return ("the years available cannot tell its changes apart (more changes than the "
                "points can separate)")
    return "the model could not be estimated from these counts"


def _flag(value) -> str:
    """True or false as a reader writes it ('' for none)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return "yes" if bool(value) else "no"
