"""Analysis-ready tables built from the cited dataset: annual series, shares and policy dates.

Each table keeps the ``source_ids`` of its values, so charts and tables built on it can cite them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from scrlib.its import fmt
from scrlib.record.periods import fiscal_label


def annual(dataset, series_id: str, *, rule: str = "recorded", name: str = "count") -> pd.DataFrame:
    """A financial-year series: one row per year with a figure (gaps stay gaps), oldest first.

    Columns: ``fiscal_year`` (Period, April-March), ``year`` ('2012-13'), ``name`` (the value),
    ``source_ids`` and ``conflict`` (sources disagreed and ``rule`` picked the value). A bound
    ("more than 800") is not a count: it is kept out (a gap), so no model or share uses it.
    """
    frame = dataset.resolved(series_id, rule=rule)
    if frame.empty:
        frame = pd.DataFrame(columns=["period_kind", "start", "fiscal_year", "value",
                                      "source_ids", "conflict", "value_qualifier"])
    frame = frame[(frame["period_kind"] == "FY")
                  & (frame["value_qualifier"] == "exact")].sort_values("start")
    return pd.DataFrame(
        {
            "fiscal_year": frame["fiscal_year"].to_numpy(),
            "year": [fiscal_label(p) for p in frame["fiscal_year"]],
            name: frame["value"].to_numpy(),
            "source_ids": frame["source_ids"].to_numpy(),
            "conflict": frame["conflict"].to_numpy(),
        }
    ).reset_index(drop=True)


def paired(dataset, numerator: str, denominator: str, *, rule: str = "recorded") -> pd.DataFrame:
    """Two annual series side by side for the years both have (e.g. published of commissioned).

    Columns: ``fiscal_year``, ``year``, ``successes``, ``trials``, ``share`` (percent),
    ``source_ids`` (of both).
    """
    num = annual(dataset, numerator, rule=rule, name="successes")
    den = annual(dataset, denominator, rule=rule, name="trials")
    both = num.merge(den, on=["fiscal_year", "year"], suffixes=("_num", "_den"))
    both["share"] = 100 * both["successes"] / both["trials"]
    both["source_ids"] = both["source_ids_num"] + ";" + both["source_ids_den"]
    both["conflict"] = both["conflict_num"] | both["conflict_den"]
    return both[["fiscal_year", "year", "successes", "trials", "share", "source_ids", "conflict"]]


def policy_dates(dataset, event_ids, *, rule: str = "recorded") -> dict[str, pd.Timestamp]:
    """``{label: date}`` for the events, using the recorded date where sources disagree."""
    events = dataset.resolved_events(rule=rule).set_index("event_id")
    missing = [e for e in event_ids if e not in events.index]
    if missing:
        raise KeyError(f"unknown events {missing}; known: {', '.join(events.index)}")
    return {events.loc[e, "label"]: pd.Timestamp(events.loc[e, "when"]) for e in event_ids}


def event_rows(dataset, event_ids, *, rule: str = "recorded") -> pd.DataFrame:
    """The resolved rows of the chosen events (for marking charts and citing their sources)."""
    events = dataset.resolved_events(rule=rule)
    return events[events["event_id"].isin(list(event_ids))].reset_index(drop=True)


def event_evidence(dataset, event_ids, *, rule: str = "recorded") -> pd.DataFrame:
    """For each event: the date used, how many independent sources date it (copies of one
    original counted once) and of what kind (``events.csv`` ``evidence``): primary (the acting
    body's own statement, or a copy of it) or secondary (a report of it)."""
    from scrlib.record.records import human_date

    used = dataset.resolved_events(rule=rule).set_index("event_id")
    rows = []
    for event_id in event_ids:
        group = dataset.events[dataset.events["event_id"] == event_id]
        originals: dict[str, str] = {}
        for source_id, kind in zip(group["source_id"], group["evidence"], strict=True):
            source = dataset.source(source_id)
            original = source.mirror_of if source.mirror_of else source_id
            if originals.get(original) != "primary":
                originals[original] = kind
        kinds = list(originals.values())
        dates = sorted(set(group["date"]))
        rows.append({
            "Event": dataset.event(event_id).label,
            "Date used": human_date(str(used.loc[event_id, "date"])),
            "Dates the sources give": ", ".join(human_date(d) for d in dates),
            "Independent sources": len(originals),
            "Primary": kinds.count("primary"),
            "Secondary": kinds.count("secondary"),
        })
    return pd.DataFrame(rows)


def dated_by_the_counts_reports(dataset, event_ids, series_ids) -> list[str]:
    """The events among ``event_ids`` whose every dating source comes from a publisher that
    also reports figures of ``series_ids``: a hypothesis at such a date is fixed in advance but
    not independent of the counts (the same reports gave both)."""
    figures = dataset.figures[dataset.figures["series_id"].isin(list(series_ids))]
    publishers = {dataset.source(s).publisher for s in figures["source_id"].unique()}
    out = []
    for event_id in event_ids:
        sources = dataset.events.loc[dataset.events["event_id"] == event_id, "source_id"]
        if len(sources) and all(dataset.source(s).publisher in publishers for s in sources):
            out.append(event_id)
    return out


def copy_only(dataset) -> pd.DataFrame:
    """The series-periods whose every figure cites a copy (``sources.csv`` ``copy``): no stored
    page of the publisher, or independent of the copy, states them. One row per series-period:
    ``series_id``, ``period``, ``values`` and the ``copies`` cited."""
    figs = dataset.figures
    is_copy = {s: dataset.source(s).is_copy for s in figs["source_id"].unique()}
    rows = []
    for (series_id, period), group in figs.groupby(["series_id", "period"], sort=True):
        if all(is_copy[s] for s in group["source_id"]):
            rows.append({"series_id": series_id, "period": period,
                         "values": ", ".join(dict.fromkeys(group["value"].map("{:g}".format))),
                         "copies": ";".join(dict.fromkeys(group["source_id"]))})
    return pd.DataFrame(rows, columns=["series_id", "period", "values", "copies"])


def copy_only_events(dataset) -> pd.DataFrame:
    """The events whose every dating cites a copy: ``event_id``, ``dates`` and ``copies``."""
    rows = []
    for event_id, group in dataset.events.groupby("event_id", sort=False):
        if all(dataset.source(s).is_copy for s in group["source_id"]):
            rows.append({"event_id": event_id, "dates": ", ".join(dict.fromkeys(group["date"])),
                         "copies": ";".join(dict.fromkeys(group["source_id"]))})
    return pd.DataFrame(rows, columns=["event_id", "dates", "copies"])


def copy_reliance_sentence(dataset) -> str:
    """How much of the record rests on copies alone, in one plain sentence."""
    copies = [s for s in dataset.sources["source_id"] if dataset.source(s).is_copy]
    registered = sum(bool(dataset.source(s).mirror_of) for s in copies)
    alone, events = copy_only(dataset), copy_only_events(dataset)
    return (f"{len(copies)} of the {len(dataset.sources)} sources are copies; {registered} of "
            f"them name a registered original, and the record describes the others' originals "
            f"and says why they are not registered. {len(alone)} series-periods and "
            f"{len(events)} event dates rest on copies alone: no stored page of the original "
            "publisher, and no independent report, states them.")


def share_intervals(frame: pd.DataFrame, method: str = "wilson") -> pd.DataFrame:
    """Add a 95% interval for each year's share (``wilson`` or ``beta`` = Clopper-Pearson)."""
    from statsmodels.stats.proportion import proportion_confint

    if method not in ("wilson", "beta"):
        raise ValueError(f"unknown interval method {method!r}; allowed: wilson, beta")
    low, high = proportion_confint(frame["successes"].clip(upper=frame["trials"]),
                                   frame["trials"], alpha=0.05, method=method)
    return frame.assign(ci_low=100 * low, ci_high=100 * high)


def split_years(frame: pd.DataFrame, years) -> pd.DataFrame:
    """The rows of an annual table whose ``year`` label ('2012-13') is in ``years``."""
    return frame[frame["year"].isin(list(years))]


def compare_years(frame: pd.DataFrame, before, after, *, value: str = "count",
                  kind: str = "rate", ci_method: str = "wilson"):
    """Exact comparison of the chosen 'before' and 'after' years (rates per year, or shares)."""
    from scrlib.its import compare_periods

    b, a = split_years(frame, before), split_years(frame, after)
    if kind == "proportion":
        return compare_periods(b["successes"], a["successes"], kind="proportion",
                               before_trials=b["trials"], after_trials=a["trials"],
                               ci_method=ci_method)
    return compare_periods(b[value], a[value], kind="rate")


# Where shares of this kind show how much they vary from year to year: SCRs initiated per
# serious incident notification, 2012-13 against the three years after (the only cited run of
# such shares with more than one year on a side). Notebook 03's two publication years have
# none of their own, so its comparison borrows this estimate, and says so.
VARIATION_REFERENCE = ("scr-initiated", "sin-total", ("2012-13",),
                       ("2013-14", "2014-15", "2015-16"))


# The national panel's counts about publication (written question 68088), in reading order.
PANEL_PUBLICATION = ("panel-scrs-received", "panel-nonpublication-considered",
                     "panel-nonpublication-agreed", "panel-nonpublication-disagreed",
                     "panel-anonymous-publication", "panel-summary-publication")


def panel_publication_sentence(dataset, panel: pd.DataFrame) -> str:
    """The panel's publication decisions over its years, in one plain sentence, every number
    from ``panel`` (``Dataset.resolved`` rows of ``PANEL_PUBLICATION``)."""
    wide = panel.pivot_table(index="period", columns="series_id", values="value",
                             aggfunc="first")
    needed = [s for s in PANEL_PUBLICATION if s in wide.columns]
    if "panel-scrs-received" not in needed or len(needed) < 2:
        return ""
    wide = wide.sort_index()
    years = [str(p).removeprefix("PY") for p in wide.index]

    def counts(series: str) -> str:
        values = [fmt.number(v) for v in wide[series]]
        return ", ".join(values[:-1]) + " and " + values[-1] if len(values) > 1 else values[0]

    received = wide["panel-scrs-received"].sum()
    withheld = wide.get("panel-nonpublication-agreed")
    text = (f"In the panel years {years[0]} to {years[-1]} the panel received "
            f"{counts('panel-scrs-received')} completed SCRs")
    if "panel-nonpublication-considered" in wide:
        text += (f"; it considered a case for not publishing in "
                 f"{counts('panel-nonpublication-considered')} of them")
    if withheld is not None:
        text += (f", agreed not to publish in {counts('panel-nonpublication-agreed')} "
                 f"({fmt.number(100 * withheld.sum() / received, 1)}% of all it received)")
    if "panel-nonpublication-disagreed" in wide:
        text += f" and disagreed in {counts('panel-nonpublication-disagreed')}"
    extra = [f"anonymous publication on the NSPCC website in "
             f"{counts('panel-anonymous-publication')}"
             if "panel-anonymous-publication" in wide else "",
             f"a summary in {counts('panel-summary-publication')}"
             if "panel-summary-publication" in wide else ""]
    extra = [e for e in extra if e]
    if extra:
        text += "; it agreed to " + " and to ".join(extra)
    text += "."
    if "panel-nonpublication-considered" in wide and withheld is not None:
        considered = wide["panel-nonpublication-considered"].sum()
        share = "a minority" if considered < received / 2 else "most"
        fewer = "fewer still" if withheld.sum() < considered else "all of them"
        text += (f" So a case for not publishing was made for {share} of the reviews it "
                 f"received, and the panel agreed to it for {fewer}.")
    return text


def compare_share_years(frame: pd.DataFrame, before, after, *, dispersion=None,
                        dispersion_df=None, source: str = ""):
    """The chosen 'before' and 'after' years' shares compared allowing for year-to-year
    variation beyond binomial (:func:`scrlib.its.compare_shares`)."""
    from scrlib.its import compare_shares

    b, a = split_years(frame, before), split_years(frame, after)
    return compare_shares(b["successes"], b["trials"], a["successes"], a["trials"],
                          dispersion=dispersion, dispersion_df=dispersion_df,
                          dispersion_source=source)


def borrowed_dispersion(dataset, *, rule: str = "recorded") -> tuple[float, float, str]:
    """(dispersion, its df, where it comes from in words) of ``VARIATION_REFERENCE``."""
    numerator, denominator, before, after = VARIATION_REFERENCE
    frame = paired(dataset, numerator, denominator, rule=rule)
    found = compare_share_years(frame, before, after)
    words = (f"{dataset.series_info(numerator).name} as a share of "
             f"{dataset.series_info(denominator).name.lower()} ({before[0]} to {after[-1]})")
    return found.dispersion, found.df, words


def dispersion_forms(dataset, frame: pd.DataFrame, before, after, *,
                     rule: str = "recorded") -> pd.DataFrame:
    """The borrowed dispersion (:func:`borrowed_dispersion`) under two forms of extra
    variation, and the comparison of ``before`` with ``after`` under each: quasi-binomial (the
    same multiple of binomial variance at every size: the estimate as borrowed, and the ends
    of its 95% range from its df) and beta-binomial-like (the multiple grows with the
    denominator, 1 + (n - 1) rho, rho from the reference share at the smallest and largest of
    its denominators). One row per (form, end): ``form``, ``which``, the multiple before and
    after, and ``p`` (t on the borrowed df)."""
    from scipy import stats

    phi, df, source = borrowed_dispersion(dataset, rule=rule)
    numerator, denominator, ref_before, ref_after = VARIATION_REFERENCE
    reference = paired(dataset, numerator, denominator, rule=rule)
    sizes = reference[reference["year"].isin([*ref_before, *ref_after])]["trials"]
    b, a = split_years(frame, before), split_years(frame, after)
    n_before, n_after = float(b["trials"].mean()), float(a["trials"].mean())
    rows = []

    def add(form, which, phi_b, phi_a):
        found = compare_share_years(frame, before, after, dispersion=(phi_b, phi_a),
                                    dispersion_df=df, source=source)
        rows.append({"form": form, "which": which, "before": max(phi_b, 1.0),
                     "after": max(phi_a, 1.0), "p": found.p_value, "df": df})

    low = phi * df / stats.chi2.ppf(0.975, df)
    high = phi * df / stats.chi2.ppf(0.025, df)
    for which, value in (("as estimated", phi), ("low end of its 95% range", low),
                         ("high end of its 95% range", high)):
        add("quasi-binomial", which, value, value)
    for which, size in (("its largest denominator", float(sizes.max())),
                        ("its smallest denominator", float(sizes.min()))):
        rho = (phi - 1) / (size - 1)
        add("beta-binomial-like", f"rho from {which} ({size:,.0f})",
            1 + (n_before - 1) * rho, 1 + (n_after - 1) * rho)
    return pd.DataFrame(rows, columns=["form", "which", "before", "after", "p", "df"])


def comparison_table(comparison) -> pd.DataFrame:
    """A PeriodComparison as a compact table for readers (estimates to 3 significant figures)."""
    table = comparison.table
    return pd.DataFrame(
        {
            "Quantity": table["quantity"],
            "Estimate": table["estimate"].map("{:.3g}".format),
            "95% interval": [f"{lo:.3g} to {hi:.3g}" for lo, hi in
                             zip(table["ci_low"], table["ci_high"], strict=True)],
            "Exact p": [fmt.p(v) if not fmt.missing(v) else "" for v in table["p_value"]],
        }
    ).set_index("Quantity")


def rule_sensitivity(dataset, numerator: str, denominator: str, before, after, *,
                     ci_method: str = "wilson", dispersion=None, dispersion_df=None,
                     source: str = "") -> pd.DataFrame:
    """The before/after share comparison under every conflict rule, one row per rule and
    comparison, all by one method: quasi-binomial with the given ``dispersion`` (as the
    notebook's main comparison), or, without one, exact binomial (column names say which)."""
    from scrlib.record.load import CONFLICT_RULES

    rows = []
    for rule in CONFLICT_RULES:
        frame = paired(dataset, numerator, denominator, rule=rule)
        for label, b, a in (("chosen years", before, after),
                            *_neighbours(frame, dataset, numerator, denominator)):
            row = {"rule": rule, "comparison": f"{', '.join(b)} vs {', '.join(a)}",
                   "which": label}
            if dispersion is not None:
                found = compare_share_years(frame, b, a, dispersion=dispersion,
                                            dispersion_df=dispersion_df, source=source)
                row.update({
                    "share before %": round(100 * found.before, 1),
                    "share after %": round(100 * found.after, 1),
                    "difference (points, quasi-binomial 95% interval)":
                        f"{100 * found.difference:.1f} ({100 * found.difference_low:.1f} to "
                        f"{100 * found.difference_high:.1f})",
                    f"p (quasi-binomial, t on {found.df:g} df)": fmt.p(found.p_value)})
            else:
                table = compare_years(frame, b, a, kind="proportion",
                                      ci_method=ci_method).table
                diff = table[table["quantity"] == "difference"].iloc[0]
                row.update({
                    "share before %": round(100 * table["estimate"].iloc[0], 1),
                    "share after %": round(100 * table["estimate"].iloc[1], 1),
                    "difference (points, binomial 95% interval)":
                        f"{100 * diff['estimate']:.1f} ({100 * diff['ci_low']:.1f} to "
                        f"{100 * diff['ci_high']:.1f})",
                    "exact p (binomial only)": fmt.p(diff["p_value"])})
            rows.append(row)
    return pd.DataFrame(rows)


def _neighbours(frame, dataset, numerator, denominator):
    """Comparisons of each disputed year with the years next to it."""
    disputed = set(dataset.conflicts().query("series_id in [@numerator, @denominator]")["period"])
    years = list(frame["year"])
    out = []
    for i, year in enumerate(years):
        if f"FY{year}" in disputed:
            if i > 0:
                out.append(("disputed year vs the year before", [years[i - 1]], [year]))
            if i + 1 < len(years):
                out.append(("disputed year vs the year after", [year], [years[i + 1]]))
    return out


def regimes(frame: pd.DataFrame, dates: dict[str, pd.Timestamp]) -> pd.DataFrame:
    """Label each year by the policy regime it falls in; a year containing a date is 'transition'.

    Regimes are named by the last policy date before them ("before <first>" for the first).
    Adds columns ``regime`` and ``regime_order`` (transition years: -1).
    """
    ordered = sorted(dates.items(), key=lambda kv: kv[1])
    names, orders = [], []
    for fy in frame["fiscal_year"]:
        start, end = fy.start_time, fy.end_time
        inside = [label for label, when in ordered if start < when <= end]
        if inside:
            names.append("transition (" + ", ".join(inside) + ")")
            orders.append(-1)
            continue
        passed = [label for label, when in ordered if when <= start]
        names.append(f"after {passed[-1]}" if passed else f"before {ordered[0][0]}")
        orders.append(len(passed))
    return frame.assign(regime=names, regime_order=orders)


def regime_comparisons(frame: pd.DataFrame, dates: dict[str, pd.Timestamp], *,
                       value: str = "count") -> pd.DataFrame:
    """Exact comparison of the mean yearly count in each regime with the regime before it.

    Transition years (containing a policy date) are left out of both sides. One row per pair of
    neighbouring regimes that both have years: years, mean per year, rate ratio, exact interval
    and exact conditional p-value (``scrlib.its.compare_periods``).
    """
    from scrlib.its import compare_periods

    labelled = regimes(frame, dates)
    kept = labelled[labelled["regime_order"] >= 0]
    groups = [g for _, g in kept.groupby("regime_order", sort=True)]
    rows = []
    for before, after in itertools.pairwise(groups):
        table = compare_periods(before[value], after[value], kind="rate").table
        ratio = table[table["quantity"] == "rate ratio"].iloc[0]
        rows.append({
            "from": before["regime"].iloc[0],
            "years before": ", ".join(before["year"]),
            "per year before": round(float(before[value].mean()), 1),
            "to": after["regime"].iloc[0],
            "years after": ", ".join(after["year"]),
            "per year after": round(float(after[value].mean()), 1),
            "rate ratio": round(float(ratio["estimate"]), 2),
            "95% interval": f"{ratio['ci_low']:.2f} to {ratio['ci_high']:.2f}",
            "exact p": fmt.p(ratio["p_value"]),
        })
    return pd.DataFrame(rows, columns=["from", "years before", "per year before", "to",
                                       "years after", "per year after", "rate ratio",
                                       "95% interval", "exact p"])


def other_values(dataset, resolved: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``Dataset.conflicts()`` whose value the resolved table did not use (to draw them)."""
    conf = dataset.conflicts()
    used = resolved.set_index(["series_id", "period"])["value"]
    keys = list(zip(conf["series_id"], conf["period"], strict=True))
    keep = [k in used.index and used.loc[k] != v for k, v in zip(keys, conf["value"], strict=True)]
    return conf[keep].reset_index(drop=True)


def counted_by_an_actor(dataset, series_id: str, event_ids) -> list[str]:
    """The events among ``event_ids`` whose label or description names the body that counts
    ``series_id`` (``series.csv`` ``counted_by``): at such a date a change in how the counts
    were made would look exactly like an effect."""
    body = str(dataset.series_info(series_id).counted_by or "").split(" (")[0].split(" to ")[0]
    if not body.strip():
        return []
    out = []
    for event_id in event_ids:
        event = dataset.event(event_id)
        if body.lower() in f"{event.label} {event.description}".lower():
            out.append(event_id)
    return out


def holm(result) -> pd.DataFrame:
    """The policy steps' p-values of an ITS fit, adjusted for testing them all by Holm's
    method: ``intervention``, ``p_value``, ``holm``."""
    from statsmodels.stats.multitest import multipletests

    steps = result.effects[result.effects["effect"] == "step"]
    adjusted = (multipletests(steps["p_value"].to_numpy(dtype=float), method="holm")[1]
                if len(steps) else [])
    return pd.DataFrame({"intervention": steps["intervention"].to_numpy(),
                         "p_value": steps["p_value"].to_numpy(dtype=float),
                         "holm": np.asarray(adjusted, dtype=float)})


def end_year_changes(paired: pd.DataFrame) -> pd.DataFrame:
    """For a paired frame (``successes`` set against ``trials``): the percentage change of each
    from the first year to every later year the record allows: ``year``, ``trials_change``,
    ``successes_change``."""
    first = paired.iloc[0]
    rows = [{"from": first["year"], "year": r.year,
             "trials_change": 100 * (r.trials / first["trials"] - 1),
             "successes_change": 100 * (r.successes / first["successes"] - 1)}
            for r in paired.iloc[1:].itertuples(index=False)]
    return pd.DataFrame(rows, columns=["from", "year", "trials_change", "successes_change"])


def part_year_check(dataset, spec, result, *, rule: str = "recorded") -> pd.DataFrame:
    """The figures for part of a year that the model leaves out (it fits whole financial
    years), set against what the fitted model implies for the same days: ``period`` (in
    words), ``observed``, ``expected``, a 95% prediction range (the fit's noise, dispersion x
    mean, and the uncertainty of its coefficients, by the delta method; normal approximation)
    and ``p`` (two-sided, the same approximation)."""
    from scipy import stats

    from scrlib.record.periods import readable

    frame = dataset.resolved(spec.series, rule=rule)
    parts = frame[(frame["period_kind"] != "FY") & (frame["value_qualifier"] == "exact")]
    data = spec.data(dataset)
    index = {p: i for i, p in enumerate(data["fiscal_year"])}
    dates = sorted(spec.dates(dataset).values())
    beta = np.asarray(result._beta, dtype=float)
    vcov = np.asarray(result._vcov, dtype=float)
    phi = max(float(result.dispersion), 1.0) if result.family == "quasipoisson" else 1.0
    kb = 2
    rows = []
    for r in parts.itertuples(index=False):
        start, end = pd.Timestamp(r.start), pd.Timestamp(r.end)
        year = pd.Period(start, freq="Y-MAR")
        if year != pd.Period(end, freq="Y-MAR") or year not in index:
            continue  # only a part of one modelled financial year
        days = pd.date_range(start, end, freq="D")
        in_year = (year.end_time.normalize() - year.start_time).days + 1
        x = np.zeros((len(days), len(beta)))
        x[:, :kb] = result.design[index[year], :kb]
        for j, when in enumerate(dates):
            x[:, kb + j] = days >= when
        rate = np.exp(x @ beta) / in_year
        expected = float(rate.sum())
        gradient = rate @ x
        variance = phi * expected + float(gradient @ vcov @ gradient)
        z = (float(r.value) - expected) / np.sqrt(variance)
        half = stats.norm.isf(0.025) * np.sqrt(variance)
        rows.append({"period": readable(str(r.period)), "observed": float(r.value),
                     "expected": expected, "low": max(expected - half, 0.0),
                     "high": expected + half, "p": float(2 * stats.norm.sf(abs(z)))})
    return pd.DataFrame(rows, columns=["period", "observed", "expected", "low", "high", "p"])
