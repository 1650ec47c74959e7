"""Model results as tables for readers: rounded, labelled in words, a dash where nothing is.

Each function takes a result object of :mod:`scrlib.its` and returns a DataFrame ready to show
in a report (strings, not floats), so a notebook displays results without console output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scrlib.its import fmt
from scrlib.reader import phrasebook, words

EFFECT_WORDS = {"step": "change in level", "slope": "change in trend per year"}
INTERVAL_WORDS = {"profile": "profile likelihood", "wald": "Wald (t where the scale is "
                  "estimated)", "wald-normal": "Wald, normal (large-sample)"}
CODING_WORDS = words.TRANSITION
FAMILY_WORDS = words.FAMILY
EFFECTS_WORDS = words.EFFECTS
RULE_WORDS = words.CONFLICT_RULE
CHOICE_WORDS = words.CHOICE
TREND_WORDS = {"without slope": "no", "with slope": "yes"}


def choice_value(choice: str, value, dataset=None) -> str:
    """One value of a specification choice in words (event ids as their labels)."""
    value = str(value)
    if choice == "events" and dataset is not None:
        return " and ".join(dataset.event(e).label for e in value.split(",") if e)
    if choice == "series" and dataset is not None:
        return dataset.series_info(value).name
    return words.value(choice, value)


def effects(result) -> pd.DataFrame:
    """One row per policy effect: estimate, 95% interval and p, as the fit reports them."""
    rows = []
    for r in result.effects.itertuples(index=False):
        rows.append({"Policy": r.intervention,
                     "Effect": EFFECT_WORDS.get(r.effect, r.effect),
                     result.measure.capitalize(): fmt.ratio(r.rate_ratio),
                     "95% interval": fmt.interval(r.ci_low, r.ci_high),
                     "p": fmt.p(r.p_value)})
    return fmt.labelled(pd.DataFrame(rows))


def facts(result) -> pd.DataFrame:
    """What was fitted, in words: model, years, parameters, dispersion, intervals, coding."""
    a = result.axis
    rows = [("Model", _model_words(result)),
            ("Years", f"{result.n} ({a.show(a.index[0])} to {a.show(a.index[-1])})"),
            ("Parameters", f"{result.k} (leaving {result.df_resid} residual degrees of "
                           "freedom)"),
            ("Dispersion", _dispersion_words(result)),
            ("Intervals and p-values", result.interval_text),
            ("A year containing a policy date", CODING_WORDS[result.transition])]
    return fmt.labelled(pd.DataFrame(rows, columns=["", "Value"]))


def _model_words(result) -> str:
    from scrlib.its.result import FAMILY_TEXT

    return FAMILY_TEXT[result.family] + ", level and trend, " + ", ".join(
        f"{EFFECT_WORDS[e]} at {name}" for name, terms in result.effect_terms.items()
        for e in terms)


def _dispersion_words(result) -> str:
    if result.family == "negativebinomial":
        return f"alpha {result.dispersion:.3g}"
    if result.family == "gaussian":
        return f"residual variance {result.dispersion:.3g}"
    return (f"{result.dispersion:.2f} (Pearson chi-squared / df; 1 means Poisson-like "
            "variation)")


def warnings_markdown(result) -> str:
    """The fit's warnings as a Markdown list (escaped), or a line saying there are none."""
    from scrlib.record.cite import escape_markdown

    if not result.warnings:
        return "No warnings."
    return "\n".join(f"- {escape_markdown(w)}" for w in result.warnings)


def codings(fits: dict) -> pd.DataFrame:
    """The same model with each coding of transition years ({coding: ItsResult})."""
    rows = []
    for coding, result in fits.items():
        for r in result.effects.itertuples(index=False):
            rows.append({"A year containing the date counts as": CODING_WORDS[coding],
                         "Policy": r.intervention,
                         "Effect": EFFECT_WORDS.get(r.effect, r.effect),
                         "Estimate": fmt.ratio(r.rate_ratio),
                         "95% interval": fmt.interval(r.ci_low, r.ci_high),
                         "p": fmt.p(r.p_value)})
    return fmt.labelled(pd.DataFrame(rows))


def models(comparison) -> pd.DataFrame:
    """Families with and without a change in trend: AICc and QAICc in columns of their own (each
    compares only the fits on its own scale: AICc the likelihood families with each other,
    QAICc the quasi-Poisson fits), dispersion, alpha, notes."""
    rows = []
    for r in comparison.table.itertuples(index=False):
        quasi = r.family == "quasipoisson"
        rows.append({"Family": words.capitalised(FAMILY_WORDS.get(r.family, r.family)),
                     "Change in trend too": TREND_WORDS.get(r.effects, r.effects),
                     "Parameters": fmt.number(r.k),
                     "AICc (likelihood families)": fmt.DASH if quasi else fmt.number(r.aicc, 1),
                     "QAICc (quasi-Poisson only)": fmt.number(r.qaicc, 1) if quasi else fmt.DASH,
                     "Variation, times Poisson (Pearson chi-squared per degree of freedom)":
                         fmt.number(r.pearson_dispersion, 2),
                     "Negative binomial extra variation (alpha)": fmt.number(r.nb_alpha, 3),
                     "Note": _model_note(r.note)})
    return fmt.labelled(pd.DataFrame(rows))


def _model_note(note: str) -> str:
    """A comparison's note for readers: a model the data do not identify says so in words."""
    if "not identified" in (note or ""):
        return "not fitted: these years cannot identify this model"
    return note or ""


def scans(*results) -> pd.DataFrame:
    """One row per scan: what was scanned, the best dates, the 95% set, the existence test."""
    rows = []
    for s in results:
        best = s.best
        start, end = s.span()
        dates = (f"{best['start']:%b %Y}" if s.breaks == 1
                 else f"{best['start']:%b %Y} to {best['end']:%b %Y}")
        share = f"{int(s.profile['in_set'].sum())} of {len(s.profile)}"
        low, high = s.set_size_range
        if high > low:
            share += f" (about: {low} to {high} within simulation error)"
        rows.append({"Scanned": s.description,
                     "Best fit": dates,
                     "Rate ratio there": fmt.ratio(best["rate_ratio"]) + (
                         f" and {fmt.ratio(best['rate_ratio_2'])}" if s.q == 2 else ""),
                     "Placements in the 95% set": share,
                     "Earliest to latest start in the set": f"{start:%b %Y} to {end:%b %Y}",
                     "A break exists at all: p": fmt.p(s.p_value, s.smallest_p)
                     + f" ({s.replicates} replicates)"})
    return fmt.labelled(pd.DataFrame(rows))


def scan_candidates(result) -> pd.DataFrame:
    """The policy dates' place in a scan: how much worse than the best, inside the set?"""
    rows = []
    for r in result.candidates.itertuples(index=False):
        when = (f"{r.start:%d %b %Y}" if pd.isna(r.end)
                else f"{r.start:%d %b %Y} to {r.end:%d %b %Y}")
        rows.append({"Policy date(s)": r.candidate, "When": when,
                     "Fit worse than the best (scaled deviance)": fmt.number(r.lr, 2),
                     "In the 95% set": "yes" if r.in_set else "no",
                     "Rate ratio": fmt.ratio(r.rate_ratio)})
    return fmt.labelled(pd.DataFrame(rows))


def explanations(result) -> pd.DataFrame:
    """The competing explanations: those fixed in advance ranked by the criterion, then those
    whose dates were found by searching, judged by their search-adjusted tests."""
    rows = []
    for r in result.table.itertuples(index=False):
        searched = bool(r.searched_dates)
        rows.append({"Explanation": r.explanation, "What it says": r.what,
                     "Basis": phrasebook.grade(r.basis),
                     "Parameters": str(r.k),
                     f"{result.criterion} above the best": fmt.DASH if searched
                     else fmt.number(r.delta, 1),
                     "Weight": fmt.DASH if searched else fmt.number(r.weight, 2),
                     "Weight without the small-sample penalty": fmt.DASH if searched
                     else fmt.number(getattr(r, "weight_no_penalty", float("nan")), 2),
                     "Allowing for the search: p": fmt.p(r.search_p) if searched
                     else "not searched",
                     "Policy dates in its 95% set": (r.policy_in_set or "none") if searched
                     else fmt.DASH,
                     "Estimate": r.estimate or getattr(r, "note", "") or fmt.DASH})
    return fmt.labelled(pd.DataFrame(rows))


def nested_tests(result) -> pd.DataFrame:
    """The explanations' nested comparisons and the scans' tests."""
    tests = result.tests
    return fmt.labelled(pd.DataFrame({"Comparison": tests["comparison"],
                         "Test": tests["test"],
                         "p": [fmt.p(v) for v in tests["p_value"]],
                         "Allows for searching": ["yes" if s else "no (dates fixed in advance)"
                                                  for s in tests["searched"]],
                         phrasebook.CONFIRMATORY_HEADING: [phrasebook.confirmatory(b)
                                                           for b in tests["basis"]]}))


def leave_one_out(result) -> pd.DataFrame:
    """Each policy effect with every year left out in turn (one column per effect), and why a
    refit could not be made."""
    table = result.table
    keys = list(dict.fromkeys(zip(table["intervention"], table["effect"], strict=True)))
    full = result.full.effects.set_index(["intervention", "effect"])
    rows = [{"Year left out": "none (all years)",
             **{_key(k): _cell(full.loc[k, "rate_ratio"], full.loc[k, "ci_low"],
                               full.loc[k, "ci_high"]) for k in keys}, "Note": ""}]
    for year, group in table.groupby("left_out", sort=False):
        g = group.set_index(["intervention", "effect"])
        fitted = (g["status"] == "fitted").all()
        rows.append({"Year left out": year, **{
            _key(k): (_cell(g.loc[k, "rate_ratio"], g.loc[k, "ci_low"], g.loc[k, "ci_high"])
                      if g.loc[k, "status"] == "fitted" else fmt.DASH) for k in keys},
            "Note": "" if fitted else _why(g["status"].iloc[0])})
    return fmt.labelled(pd.DataFrame(rows))


def _why(status: str) -> str:
    text = status.removeprefix("not fitted: ")
    if "non-finite" in text or "not identified" in text:
        return "cannot be fitted without this year: the remaining years do not identify it"
    return "cannot be fitted without this year: " + text.split(";")[0]


def _key(key) -> str:
    name, effect = key
    return f"{name}: {EFFECT_WORDS.get(effect, effect)}"


def _cell(value, low, high) -> str:
    return f"{fmt.ratio(value)} ({fmt.interval(low, high)})"


def detectable(table: pd.DataFrame) -> pd.DataFrame:
    """Minimum detectable effects (80% power, 5% level) per policy effect, the other effects
    held at their estimates, and how they were found."""
    rows = []
    for r in table.itertuples(index=False):
        found = getattr(r, "method", "")
        if found.startswith("simulation"):
            found = (f"by simulating {int(found.split()[2]):,} series: the test rejects "
                     f"no change in {r.power:.0%} of them" + _left_out(r))
        rows.append({"Policy": r.intervention, "Effect": EFFECT_WORDS.get(r.effect, r.effect),
                     "Smallest rise it would detect": fmt.ratio(r.mde_increase),
                     "Smallest fall it would detect": fmt.ratio(r.mde_decrease),
                     "Found": found or "approximation",
                     "Note": r.note or ""})
    return fmt.labelled(pd.DataFrame(rows))


def _left_out(row) -> str:
    """', of those whose refit is identified (at the smallest fall, 4.5% are not: left
    out)' where simulated series could not be refitted; '' where all could."""
    shares = [(way, getattr(row, f"not_identified_{key}", np.nan))
              for way, key in (("rise", "up"), ("fall", "down"))]
    shares = [(way, s) for way, s in shares if np.isfinite(s) and s > 0]
    if not shares:
        return ""
    parts = " and ".join(f"{fmt.percent(100 * s, 1)} at the smallest {way}" for way, s in shares)
    return (f" whose refit these data identify ({parts} are not identified: left out of the "
            "rate, not counted as misses)")


def curve_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`scrlib.study.sensitivity.summarise` as a two-column table for readers."""
    row = summary.iloc[0]
    out = []
    for name, value in row.items():
        if name.startswith("joint test p"):
            text = fmt.p(value)
        elif name.startswith("share"):
            text = fmt.percent(100 * value) if not fmt.missing(value) else fmt.DASH
        elif "rate ratio" in name or name in ("lowest", "highest"):
            text = fmt.ratio(value)
        else:
            text = fmt.number(value)
        out.append((name[0].upper() + name[1:], text))
    return fmt.labelled(pd.DataFrame(out, columns=["", "Value"]))


def curve_by_choice(choices: pd.DataFrame, dataset=None) -> pd.DataFrame:
    """:func:`scrlib.study.sensitivity.by_choice` for readers, every choice in words."""
    return fmt.labelled(pd.DataFrame({
        "Choice": [CHOICE_WORDS.get(c, c.replace("_", " ")) for c in choices["choice"]],
        "Value": [choice_value(c, v, dataset) for c, v in
                  zip(choices["choice"], choices["value"], strict=True)],
        "Models": choices["models"].astype(str),
        "Median rate ratio": [fmt.ratio(v) for v in choices["median rate ratio"]],
        "Share excluding 1": [fmt.percent(100 * v) for v in choices["share excluding 1"]]}))


def not_fitted(table: pd.DataFrame, dataset) -> pd.DataFrame:
    """The specifications that could not be fitted, in words, and why (once per reason)."""
    rows = []
    for r in table[table["status"] != "fitted"].itertuples(index=False):
        reason = str(r.status).removeprefix("not fitted: ")
        why = ("these years cannot identify the model (a combination of its terms runs off to "
               "infinity or cannot be told apart)" if "not identified" in reason
               else reason.split("; ")[0])
        rows.append({"Policy dates": choice_value("events", r.events, dataset),
                     "Model family": choice_value("family", r.family),
                     "Effects": choice_value("effects", r.effects),
                     "A year containing a date counts as": choice_value("transition",
                                                                         r.transition),
                     "Why not": why})
    frame = pd.DataFrame(rows, columns=["Policy dates", "Model family", "Effects",
                                        "A year containing a date counts as", "Why not"])
    return fmt.labelled(frame.drop_duplicates())


def curve_estimates(table: pd.DataFrame) -> pd.DataFrame:
    """What the distinct models estimate, how many of each, and how many repeat another."""
    fitted = table[table["status"] == "fitted"]
    rows = []
    for label, group in fitted.groupby("estimates", sort=True):
        distinct = group[group["distinct"]]
        rows.append({"The estimate is the": label, "Specifications": str(len(group)),
                     "Distinct models": str(len(distinct)),
                     "In the summary": str(int(distinct["passes_dispersion_check"].sum())),
                     "Median rate ratio (summary)": fmt.ratio(
                         distinct.loc[distinct["passes_dispersion_check"],
                                      "rate_ratio"].median())})
    return fmt.labelled(pd.DataFrame(rows))


def date_sweep(sweep: pd.DataFrame) -> pd.DataFrame:
    """:func:`scrlib.study.sensitivity.date_sweep` for readers: date, rate ratio, interval, p."""
    return pd.DataFrame({
        "Date of the event": [f"{d:%-d %B %Y}" for d in sweep["date"]],
        "Rate ratio": [fmt.ratio(v) for v in sweep["rate_ratio"]],
        "95% interval": [fmt.interval(lo, hi) for lo, hi in zip(sweep["ci_low"],
                                                                sweep["ci_high"], strict=True)],
        "p": [fmt.p(v) for v in sweep["p_value"]],
    }).set_index("Date of the event")


def share_comparison(variation) -> pd.DataFrame:
    """A before/after share comparison allowing for year-to-year variation
    (:func:`scrlib.its.compare_shares`): one method in the table (the binomial-only reading is
    another comparison, said beside it, not in it)."""
    rows = [("Share before", fmt.percent(100 * variation.before, 1)),
            ("Share after", fmt.percent(100 * variation.after, 1)),
            ("Difference (points)",
             f"{fmt.number(100 * variation.difference, 1)} (95% interval "
             f"{fmt.number(100 * variation.difference_low, 1)} to "
             f"{fmt.number(100 * variation.difference_high, 1)})"),
            ("Odds ratio", f"{fmt.ratio(variation.odds_ratio)} (95% interval "
                           f"{fmt.interval(variation.odds_ratio_low, variation.odds_ratio_high)})"),
            ("Year-to-year variation (times binomial)",
             f"{fmt.number(variation.dispersion, 2)}, from {variation.source}"),
            ("Test of no change", f"{fmt.p_phrase(variation.p_value)} (t-test with "
                                  f"{_df_words(variation.df)})")]
    if variation.source == "these years":
        rows.insert(5, ("Test of binomial variation",
                        f"chi-squared {fmt.number(variation.chi2, 1)} with "
                        f"{_df_words(variation.df)}, {fmt.p_phrase(variation.chi2_p)}"))
    return pd.DataFrame(rows, columns=["Quantity", "Value"]).set_index("Quantity")


def _df_words(df) -> str:
    """Degrees of freedom in words ("2 degrees of freedom", "1 degree of freedom")."""
    return f"{fmt.number(df)} degree{'' if float(df) == 1 else 's'} of freedom"


def dispersion_forms(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`scrlib.study.analysis.dispersion_forms` for readers: each form of extra variation,
    the multiple of binomial variance it gives each side, and the test of no change under it
    (one method, quasi-binomial, throughout)."""
    rows = [{"Extra variation": f"{r.form}: {r.which}",
             "Times binomial, before": fmt.number(r.before, 1),
             "Times binomial, after": fmt.number(r.after, 1),
             f"p (t-test with {_df_words(r.df)})": fmt.p(r.p)}
            for r in table.itertuples(index=False)]
    return fmt.labelled(pd.DataFrame(rows))


def tipping_points(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`scrlib.study.sensitivity.tipping_points` for readers: per year, policy and
    direction, the conclusion as recorded and the miscount that would change it."""
    rows = []
    for r in table.itertuples(index=False):
        sign = "+" if getattr(r, "direction", "more") == "more" else "\u2212"
        points = 100 * r.tipping_share
        rows.append({
            "Year miscounted": r.year, "Policy": r.policy,
            "True count": f"{getattr(r, 'direction', 'more')} than recorded",
            "As recorded": f"{fmt.number(r.recorded)}: rate ratio {fmt.ratio(r.estimate)} "
                           f"({fmt.interval(r.ci_low, r.ci_high)})",
            "Conclusion changes at": fmt.DASH if np.isnan(r.tipping_share) else
            f"{fmt.number(r.tipping_count)} ({sign}{fmt.number(points, 1 if points < 10 else 0)}"
            f"%): {fmt.ratio(r.estimate_there)} "
            f"({fmt.interval(r.ci_low_there, r.ci_high_there)})"})
    return fmt.labelled(pd.DataFrame(rows))


def alternatives(table: pd.DataFrame, dataset=None) -> pd.DataFrame:
    """:func:`scrlib.study.sensitivity.alternatives` for readers: each value the record keeps
    as an alternative, the step at each policy with the value used and with it, and whether the
    conclusion changes."""
    rows = []
    for r in table.itertuples(index=False):
        name = dataset.series_info(r.series).name if dataset is not None else r.series
        source = dataset.source(r.source_id).short if dataset is not None else r.source_id
        rows.append({
            "Figure": f"{name}, {r.year}", "Policy": r.policy,
            "Value used": fmt.number(r.used),
            "Other value (source)": f"{fmt.number(r.alternative)} ({source})",
            "With the value used": f"{fmt.ratio(r.estimate)} ({fmt.interval(r.ci_low, r.ci_high)}"
                                   f"; {fmt.p_phrase(r.p_value)})",
            "With the other value": fmt.DASH if fmt.missing(r.estimate_alt) else
            f"{fmt.ratio(r.estimate_alt)} ({fmt.interval(r.ci_low_alt, r.ci_high_alt)}; "
            f"{fmt.p_phrase(r.p_value_alt)})",
            "Conclusion changes": "yes" if r.changes else "no"})
    if not rows:
        return fmt.labelled(pd.DataFrame({"Figure": ["no modelled year has another value"]}))
    return fmt.labelled(pd.DataFrame(rows))


def bayes_explanations(by_prior: dict, explanations=None) -> pd.DataFrame:
    """Each explanation's posterior probability under each set of priors (``its.bayes``), beside
    the frequentist comparison's QAICc weight or search-adjusted p where ``explanations`` (from
    ``its.explain``) has the same explanation."""
    frequentist = {}
    if explanations is not None:
        for r in explanations.table.itertuples(index=False):
            frequentist[r.explanation.split(" (")[0]] = r
    first = next(iter(by_prior.values()))
    rows = []
    for r in first.explanations.itertuples(index=False):
        row = {"Explanation": r.explanation, "Basis": phrasebook.grade(r.basis)}
        for label, result in by_prior.items():
            p = result.explanations.set_index("explanation")["probability"]
            se = result.explanations.set_index("explanation")["probability_se"]
            row[f"Probability ({label} priors)"] = fmt.mc_probability(p[r.explanation],
                                                                      se[r.explanation])
        if explanations is not None:
            f = frequentist.get(r.explanation)
            searched = f is not None and bool(f.searched_dates)
            row[f"{explanations.criterion} weight"] = (fmt.DASH if f is None or searched
                                                      else fmt.number(f.weight, 2))
            row["Allowing for the search: p"] = fmt.p(f.search_p) if searched else fmt.DASH
        rows.append(row)
    return fmt.labelled(pd.DataFrame(rows))


def bayes_effects(posterior, result=None) -> pd.DataFrame:
    """Each effect at the policy dates (``its.bayes``) as a rate ratio: median, 95% credible
    interval, and the probabilities of a rise, of a change of more than 20% either way and of
    practically none; beside the frequentist estimate and interval from ``result`` where it has
    the effect. Effects of explanations whose dates the data place are left out: averaged over
    dates where the change rises and where it falls, they would read as no change."""
    estimates = {}
    if result is not None:
        for r in result.effects.itertuples(index=False):
            if r.effect == "step":
                estimates[f"step at {r.intervention}"] = r
    from scrlib.its.bayes import BASIS

    low, high = posterior.rope
    placed = set(posterior.explanations.loc[posterior.explanations["basis"] == BASIS["placed"],
                                            "explanation"])
    rows = []
    for r in posterior.effects.itertuples(index=False):
        if r.explanation in placed:  # averaged over dates where it rises and falls: misleading
            continue
        f = estimates.get(r.effect) if r.explanation.startswith("permanent steps") else None
        row = {"Explanation": r.explanation, "Effect": r.effect,
               "Rate ratio (posterior median)": fmt.mc_ratio(r.median, r.median_se),
               "95% credible interval": fmt.mc_interval(r.low, r.high, r.low_se, r.high_se),
               "Probability of a rise": fmt.mc_probability(r.p_rise, r.p_rise_se),
               "More than 20% higher": fmt.mc_probability(r.p_up_20, r.p_up_20_se),
               "More than 20% lower": fmt.mc_probability(r.p_down_20, r.p_down_20_se),
               f"Within {low:g} to {high:g} (practically none)":
                   fmt.mc_probability(r.p_rope, r.p_rope_se)}
        if result is not None:
            row["Frequentist estimate (95% interval)"] = (
                fmt.DASH if f is None else
                f"{fmt.ratio(f.rate_ratio)} ({fmt.interval(f.ci_low, f.ci_high)})")
        rows.append(row)
    return fmt.labelled(pd.DataFrame(rows))


def regimes(labelled: pd.DataFrame) -> pd.DataFrame:
    """:func:`scrlib.study.analysis.regimes` for readers: each year, its count and the policy
    period it falls in."""
    return fmt.labelled(pd.DataFrame({
        "Year": labelled["year"].to_numpy(),
        "Count": [fmt.number(v) for v in labelled["count"]],
        "Policy period": [words.capitalised(r) for r in labelled["regime"]]}))


def regime_comparisons(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`scrlib.study.analysis.regime_comparisons` for readers, headers in words."""
    return fmt.labelled(pd.DataFrame({
        "From": [words.capitalised(v) for v in table["from"]],
        "Years before": table["years before"].to_numpy(),
        "Per year before": [fmt.number(v, 1) for v in table["per year before"]],
        "To": [words.capitalised(v) for v in table["to"]],
        "Years after": table["years after"].to_numpy(),
        "Per year after": [fmt.number(v, 1) for v in table["per year after"]],
        "Rate ratio": [fmt.ratio(v) for v in table["rate ratio"]],
        "95% interval": table["95% interval"].to_numpy(),
        "p (exact test)": table["exact p"].to_numpy()}))


def rule_sensitivity(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`scrlib.study.analysis.rule_sensitivity` for readers: the value used where sources
    disagree in words, headers capitalised, the test named in words."""
    renamed = {}
    for column in table.columns:
        if column.startswith("p (quasi-binomial, t on"):
            df = column.split("t on ")[1].split(" df")[0]
            renamed[column] = (f"p (allowing for year-to-year variation; t-test with {df} "
                               "degrees of freedom)")
        elif column.startswith("difference (points, quasi-binomial"):
            renamed[column] = ("Difference in points (95% interval, allowing for year-to-year "
                               "variation)")
        elif column.startswith("difference (points, binomial"):
            renamed[column] = "Difference in points (95% interval, binomial)"
        elif column == "exact p (binomial only)":
            renamed[column] = "p (exact test, binomial variation only)"
        else:
            renamed[column] = {"rule": "Where sources disagree", "comparison": "Years compared",
                               "which": "Which comparison", "share before %": "Share before %",
                               "share after %": "Share after %"}.get(column, column)
    out = table.rename(columns=renamed)
    out["Where sources disagree"] = [words.capitalised(words.value("conflict_rule", v))
                                     for v in table["rule"]]
    out["Years compared"] = [str(v).replace(" vs ", " against ") for v in table["comparison"]]
    out["Which comparison"] = [words.capitalised(v) for v in table["which"]]
    for column in ("Share before %", "Share after %"):
        out[column] = [fmt.number(v, 1) for v in out[column]]
    return out.set_index("Where sources disagree")
