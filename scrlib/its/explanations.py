"""Competing explanations of a short count series, compared on the same footing.

:func:`explain` fits, to the same data with the same family, baseline (level, and trend if
chosen) and coding of transition years (the sum of their parts):

* **no change**: the baseline alone;
* **permanent steps at the policy dates**: one step at each policy date (the ITS model);
* **a temporary change between the policy dates**: one level between the first and the second
  policy date, and the baseline before and after (the two steps constrained to cancel);
* **one permanent change where the data put it** and **a temporary change where the data put
  it**: the best placements of :func:`scrlib.its.breaks.scan`.

The explanations fixed in advance (no change; steps at the policy dates; a temporary change
between them) are ranked by QAICc (quasipoisson; AICc for poisson) with one dispersion for all,
that of the model with the most coefficients, and nested pairs are compared by F (or
likelihood-ratio) tests. The explanations whose dates were found by searching are not given a
QAICc: at this length the small-sample penalty for a searched date swamps any fit, and counting
a date as one parameter understates what searching buys. They are judged by what allows for the
search: the scans' bootstrap tests, and whether the policy dates lie in their confidence sets.

This module returns numbers and relations only (the table, the nested tests, each
explanation's basis as a code of ``GRADES``); the words that judge them are the reader's
(:mod:`scrlib.reader.verdicts`, with the thresholds of :mod:`scrlib.reader.phrasebook`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrlib.its import criteria, digits
from scrlib.its._engine import IdentificationError
from scrlib.its._timing import time_axis
from scrlib.its.breaks import (
    Placement,
    _base,
    _no_break,
    _patterns,
    _shares_by_pattern,
    fit_patterns,
)


@dataclass(frozen=True)
class Explanations:
    """``table``: one row per explanation (fixed-date ones ranked by the criterion, then the
    searched ones with ``search_p`` and ``policy_in_set``); ``tests``: nested comparisons and
    the scans' tests, each with the basis of its weaker side (``basis``); ``fitted``: yearly
    means; ``n``: the points fitted; ``scans``: the scans behind the searched explanations,
    indexed by their number of searched dates (``scans[1]``, ``scans[2]``)."""

    table: pd.DataFrame
    tests: pd.DataFrame
    criterion: str
    c_hat: float
    fitted: pd.DataFrame
    observed: pd.DataFrame
    c_from: str = ""  # the identified explanation whose dispersion all share (quasipoisson)
    n: int = 0
    scans: tuple = ()  # the scans that placed the searched explanations, by searched dates

    def nested(self, a: str, b: str):
        """The nested test comparing explanations ``a`` and ``b`` (either way round), as a
        dict, or None."""
        for row in self.tests.itertuples(index=False):
            if row.comparison in (f"{a} vs {b}", f"{b} vs {a}"):
                return row._asdict()
        return None

    def penalty(self, k: int) -> float:
        """The small-sample part of the criterion for ``k`` parameters at these points."""
        return criteria.small_sample_penalty(int(k), self.n)

    def summary(self) -> str:
        """The ranking and the nested tests as text (numbers only; the words are the reader's)."""
        source = f", from {self.c_from}" if self.c_from else ""
        lines = [f"Competing explanations ({self.criterion}, dispersion c = {self.c_hat:.3g} "
                 f"for all{source}; k counts coefficients and searched dates):"]
        for r in self.table.itertuples(index=False):
            judged = (f"{self.criterion}={r.criterion:7.2f}  delta={r.delta:5.2f}  "
                      f"weight={r.weight:.2f}" if not r.searched_dates else
                      f"deviance={r.deviance:.2f}  search-adjusted p={r.search_p:.3g}")
            lines.append(f"  {r.explanation:<52} k={r.k:<2} {judged}  {r.estimate}")
        lines.append("Nested comparisons:")
        for r in self.tests.itertuples(index=False):
            lines.append(f"  {r.comparison}: {r.test} = {r.statistic:.3g}, p = {r.p_value:.2g}"
                         f"  [{r.basis}]")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, ax=None, *, title: str | None = None, marks: dict | None = None):
        """The observed counts with each explanation's fitted yearly means; returns the Axes."""
        from scrlib.its._plot import plot_explanations

        return plot_explanations(self, ax=ax, title=title, marks=marks)


SUGGESTIBLE = ("steps", "temporary")  # explanations at the policy dates a study may mark
# The basis of an explanation, from the firmest to the weakest: its dates independent of these
# data; fixed in advance but dated by the same reports as these data; suggested by these data
# (exploratory); placed by a search over dates.
GRADES = ("independent", "same-reports", "suggested", "searched")


def weakest(*codes: str) -> str:
    """The weakest of some bases (``GRADES`` order)."""
    return max(codes, key=GRADES.index)


def explain(data: pd.DataFrame, *, outcome: str, time: str, policy: Mapping[str, object],
            family: str = "quasipoisson", trend: bool = True, offset: str | None = None,
            step_scan=None, dip_scan=None, suggested=(), same_reports=()) -> Explanations:
    """Fit and rank the competing explanations (see the module docstring).

    ``policy`` maps labels to dates (one or more; the temporary change uses the first two in
    date order). ``step_scan`` and ``dip_scan`` are :class:`~scrlib.its.breaks.BreakScan`
    results on the same data (``breaks=1`` and ``breaks=2, kind="dip"``); without them the
    data-placed explanations are left out. ``suggested`` names the explanations at the policy
    dates that were suggested by the data rather than fixed before they were seen ("steps",
    "temporary"): each is labelled exploratory in ``table["basis"]``, and a nested test that
    involves it is marked so in ``tests["exploratory"]``. ``same_reports`` names those whose
    dates were fixed in advance but come from the same reports as the counts. ``table["basis"]``
    holds each explanation's code of ``GRADES``, ``tests["basis"]`` the weaker side's.
    """
    suggested, same_reports = tuple(suggested), tuple(same_reports)
    for argument, values in (("suggested", suggested), ("same_reports", same_reports)):
        unknown = [v for v in values if v not in SUGGESTIBLE]
        if unknown:
            raise ValueError(f"{argument} names {unknown}; allowed: {', '.join(SUGGESTIBLE)}")

    def grade(kind: str) -> str:
        return ("suggested" if kind in suggested else "same-reports" if kind in same_reports
                else "independent")

    from scipy import special

    if family not in ("poisson", "quasipoisson"):
        raise ValueError(f"family={family!r}: explanations are compared for poisson or "
                         "quasipoisson")
    if not policy:
        raise ValueError("policy must name at least one policy date")
    y = data[outcome].to_numpy(dtype=float)
    m = None if offset is None else data[offset].to_numpy(dtype=float)
    axis = time_axis(data, time)
    starts, ends = axis.periods.start_time, axis.periods.end_time.normalize()
    X = _base(axis, trend)
    n, kb = X.shape
    dates = sorted(((pd.Timestamp(v).normalize(), str(k)) for k, v in policy.items()))
    models = [("no change", "the baseline level" + (" and trend" if trend else "")
               + " throughout", *_no_break(n), 0)]

    steps_shares, steps_patterns = _policy_steps(dates, starts, ends)
    names = " and ".join(label for _, label in dates)
    roles = {"no change": "independent", f"permanent steps at {names}": grade("steps")}
    models.append((f"permanent steps at {names}", "a lasting change at each policy date",
                   steps_shares, steps_patterns, 0))
    if len(dates) >= 2:
        patterns, segment = _patterns(2, "dip")
        shares = _shares_by_pattern([Placement((dates[0][0], dates[1][0]))], segment, starts,
                                    ends)[0]
        models.append((f"a temporary change between {dates[0][1]} and {dates[1][1]}",
                       "a different level between the two policy dates, then a return",
                       shares, patterns, 0))
        roles[models[-1][0]] = grade("temporary")
    for scan_result, searched in ((step_scan, 1), (dip_scan, 2)):
        if scan_result is None:
            continue
        best = scan_result.best
        found = (best["start"],) if searched == 1 else (best["start"], best["end"])
        patterns, segment = _patterns(scan_result.breaks, scan_result.kind)
        shares = _shares_by_pattern([Placement(tuple(found))], segment, starts, ends)[0]
        when = " to ".join(f"{d:%b %Y}" for d in found)
        label = ("one permanent change where the data put it" if searched == 1
                 else "a temporary change where the data put it")
        models.append((f"{label} ({when})", f"dates found by scanning ({when})", shares,
                       patterns, searched))

    fits, dropped = [], []
    for name, what, shares, patterns, searched in models:
        fit = fit_patterns(y, X, shares, patterns, m=m)
        if bool(fit.usable):  # only identified fits enter the comparison and its dispersion
            fits.append((name, what, patterns, searched, fit))
        else:
            dropped.append((name, what, patterns, searched))
    if not fits or fits[0][0] != "no change":
        raise IdentificationError("the baseline (no change) is not identified by these data at "
                                  "its estimate, so no explanation can be compared with it")
    biggest = max(fits, key=lambda f: (f[4].theta.shape[-1], -digits.key(float(f[4].deviance))))
    k_big = biggest[4].theta.shape[-1]
    c_hat = float(biggest[4].pearson) / (n - k_big) if family == "quasipoisson" else 1.0
    c_used = max(c_hat, 1.0)
    scans = {1: step_scan, 2: dip_scan}
    rows, fitted = [], {}
    for name, what, patterns, searched, fit in fits:
        coefficients = fit.theta.shape[-1]
        k = coefficients + searched + (1 if family == "quasipoisson" else 0)
        llf = float(np.sum(special.xlogy(y, fit.mu) - fit.mu - special.gammaln(y + 1)))
        value = (np.nan if searched else criteria.qaicc(llf, k, n, c_used)
                 if family == "quasipoisson" else criteria.aicc(llf, k, n))
        found = scans.get(searched) if searched else None
        plain = (np.nan if searched else criteria.qaicc(llf, k, n, c_used)
                 - criteria.small_sample_penalty(k, n) if family == "quasipoisson"
                 else criteria.aicc(llf, k, n) - criteria.small_sample_penalty(k, n))
        rows.append({"explanation": name, "what": what, "k": k,
                     "coefficients": coefficients, "searched_dates": searched,
                     "basis": roles.get(name, "searched"),
                     "deviance": float(fit.deviance),
                     "pearson_dispersion": float(fit.pearson) / max(n - coefficients, 1),
                     "criterion": value, "criterion_no_penalty": plain,
                     "estimate": _estimate(fit.theta, kb, patterns),
                     "search_p": np.nan if found is None else found.p_value,
                     "policy_in_set": "" if found is None else ", ".join(
                         found.candidates.loc[found.candidates["in_set"], "candidate"]),
                     "note": ""})
        fitted[name] = np.asarray(fit.mu, dtype=float)
    for name, what, patterns, searched in dropped:  # kept in view, out of the comparison
        coefficients = kb + patterns.shape[1]
        rows.append({"explanation": name, "what": what,
                     "k": coefficients + searched + (1 if family == "quasipoisson" else 0),
                     "coefficients": coefficients, "searched_dates": searched,
                     "basis": roles.get(name, "searched"),
                     "deviance": np.nan, "pearson_dispersion": np.nan, "criterion": np.nan,
                     "criterion_no_penalty": np.nan,
                     "estimate": "", "search_p": np.nan, "policy_in_set": "",
                     "note": "not identified by these data (left out of the comparison)"})
    table = pd.DataFrame(rows)
    table["delta"] = table["criterion"] - table["criterion"].min()
    table["weight"] = criteria.akaike_weights(table["criterion"])
    table["weight_no_penalty"] = criteria.akaike_weights(table["criterion_no_penalty"])
    table = (table.assign(order=digits.key(table["criterion"]))
             .sort_values(["searched_dates", "order", "k"], kind="mergesort")
             .drop(columns="order").reset_index(drop=True))
    tests = _nested_tests(fits, family, n, c_hat, step_scan, dip_scan)
    tests["basis"] = [
        "searched" if searched else weakest(*(roles.get(side, "searched")
                                              for side in str(c).split(" vs ")))
        for c, searched in zip(tests["comparison"], tests["searched"], strict=True)]
    tests["exploratory"] = tests["basis"] == "suggested"
    name = "QAICc" if family == "quasipoisson" else "AICc"
    observed = pd.DataFrame({"time": axis.values.array, "observed": y})
    fitted_frame = pd.DataFrame({"time": axis.values.array, **fitted})
    return Explanations(table, tests, name, c_used, fitted_frame, observed,
                        biggest[0] if family == "quasipoisson" else "", n,
                        (None, step_scan, dip_scan))


def _policy_steps(dates, starts, ends):
    """Shares and patterns of permanent steps at every policy date (cumulative patterns)."""
    q = len(dates)
    patterns = np.tril(np.ones((q + 1, q)), k=-1)  # row s: the first s steps are on
    shares = _shares_by_pattern([Placement(tuple(d for d, _ in dates))], list(range(q + 1)),
                                starts, ends)[0]
    return shares, patterns


def _estimate(theta, kb, patterns) -> str:
    """The break terms as rate ratios, in words."""
    gamma = np.asarray(theta, dtype=float)[kb:]
    if not gamma.size:
        return ""
    ratios = np.exp(gamma)
    if patterns.shape[1] == 1:
        return f"rate ratio {ratios[0]:.2f}"
    parts = ", ".join(f"{r:.2f}" for r in ratios)
    return f"rate ratios {parts} (together {np.exp(gamma.sum()):.2f})"


def _nested_tests(fits, family, n, c_hat, step_scan, dip_scan) -> pd.DataFrame:
    from scipy import stats
    by_name = {f[0]: f for f in fits}
    none = "no change"
    steps = next((n for n in by_name if n.startswith("permanent steps at")), None)
    dip = next((n for n in by_name if n.startswith("a temporary change between")), None)
    pairs = [(none, steps), (none, dip), (dip, steps)]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    rows = []
    for small, big in pairs:
        f_small, f_big = by_name[small][4], by_name[big][4]
        q = f_big.theta.shape[-1] - f_small.theta.shape[-1]
        if q <= 0:
            continue
        k_big = f_big.theta.shape[-1]
        drop = float(f_small.deviance) - float(f_big.deviance)
        if family == "quasipoisson":
            phi = float(f_big.pearson) / (n - k_big)
            stat = drop / q / phi
            p = float(stats.f.sf(stat, q, n - k_big))
            test = f"F({q}, {n - k_big})"
        else:
            stat, p, test = drop, float(stats.chi2.sf(max(drop, 0.0), q)), f"LR chi2({q})"
        rows.append({"comparison": f"{big} vs {small}", "test": test, "statistic": stat,
                     "p_value": p, "searched": False})
    for scan_result in (step_scan, dip_scan):
        if scan_result is not None:
            rows.append({"comparison": f"{scan_result.description} (dates found by scanning) "
                                       "vs no change",
                         "test": f"bootstrap sup-F ({scan_result.replicates} replicates)",
                         "statistic": scan_result.statistic, "p_value": scan_result.p_value,
                         "searched": True})
    return pd.DataFrame(rows, columns=["comparison", "test", "statistic", "p_value",
                                       "searched"])
