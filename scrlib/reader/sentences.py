"""Sentences beside the evidence: plain-language statements generated from results, so the prose
never drifts from the numbers. (Each notebook's headline answer is :mod:`scrlib.reader.answers`.)

Each function returns Markdown text (data-derived strings escaped) for a notebook to display.
"""

from __future__ import annotations

import math

from scrlib.reader import phrasebook, words
from scrlib.record.cite import escape_markdown
from scrlib.record.periods import readable


def _interval(low: float, high: float) -> str:
    return f"{low:.2f} to {high:.2f}"


def effect_sentences(result) -> list[str]:
    """One sentence per estimated effect: estimate, 95% interval and what the interval includes."""
    null = 0.0 if result.family == "gaussian" else 1.0
    out = []
    for r in result.effects.itertuples(index=False):
        what = "step (immediate change in level)" if r.effect == "step" else "change in trend"
        covers = r.ci_low <= null <= r.ci_high
        verdict = (f"the interval includes {null:g} (no change), so these data cannot rule out "
                   "no change" if covers else
                   f"the interval excludes {null:g}, so a change of this direction is consistent "
                   "with the data, but the model's assumptions (below) carry that conclusion")
        out.append(f"**{escape_markdown(r.intervention)}**, {what}: {r.measure} "
                   f"{r.rate_ratio:.2f} (95% interval {_interval(r.ci_low, r.ci_high)}); "
                   f"{verdict}.")
    return out


def placebo_sentence(placebo, rank) -> str:
    """The in-time placebo in words, saying when it cannot give evidence."""
    if rank.n_placebo == 0:
        return (f"In-time placebo ({rank.effect}): no date qualifies (every other year has a "
                f"dated event within {placebo.window_months} months), so the check cannot be "
                "made.")
    text = (f"In-time placebo ({rank.effect}): {rank.n_placebo} date(s) with no dated event "
            f"within {placebo.window_months} months qualify; the real estimate ranks "
            f"{rank.rank} of {rank.n_placebo + 1} by size.")
    if not rank.can_give_evidence:
        return (text + f" With so few dates the share could not fall below "
                f"{rank.smallest_share:.2f}, so this check cannot give evidence either way.")
    return text + (f" Share of dates at least as extreme: {rank.share:.2f} (the smallest "
                   f"possible is {rank.smallest_share:.2f}).")


def what_the_data_show(result, *, placebo=None, comparisons=None) -> str:
    """A short Markdown account of what a fit (and optional placebo and exact comparisons) show."""
    lines = [
        f"- The model uses **{result.n} yearly points** and **{result.k} parameters** "
        f"({result.df_resid} residual degrees of freedom), family *{result.family}*"
        + (f", dispersion {result.dispersion:.2f}" if not math.isnan(result.dispersion) else "")
        + "."
    ]
    lines += [f"- {s}" for s in effect_sentences(result)]
    if placebo is not None:
        lines += [f"- {placebo_sentence(placebo, r)}"
                  for r in placebo.ranks.itertuples(index=False)]
    if comparisons is not None and len(comparisons):
        for r in comparisons.to_dict("records"):
            lines.append(
                f"- Exact comparison of yearly counts, {escape_markdown(r['to'])} "
                f"({r['years after']}) vs {escape_markdown(r['from'])} ({r['years before']}): "
                f"rate ratio {r['rate ratio']:.2f} (95% interval {r['95% interval']}, "
                f"exact p {r['exact p']})."
            )
    if result.warnings:
        lines.append("- What the data cannot support (warnings from the model):")
        lines += [f"  - {escape_markdown(w)}" for w in result.warnings]
    lines.append(
        "- Always: a yearly count is a few noisy points, the policy dates are close together "
        "(so their effects cannot be told apart), and other things changed at the same time. "
        "An interval that excludes no change is evidence of a change around the date, not proof "
        "that the policy caused it."
    )
    return "\n".join(lines)


MIN_POINTS_FOR_TREND = 3


def trend_refusal(result, minimum: int = MIN_POINTS_FOR_TREND) -> str | None:
    """Why the model is not reported, if fewer than ``minimum`` points lie before its first
    policy date (a trend, and a step against it, would rest on those few points); else None."""
    first = min(result.starts, key=lambda s: (s.t0, -s.fraction))
    before = result.points_before(first.name)
    if before >= minimum:
        return None
    years = "year lies" if before == 1 else "years lie"
    return (f"**The model is not reported.** Only {before} {years} wholly before "
            f"{escape_markdown(first.name)}, and a trend needs at least {minimum}: the 'trend "
            f"before' would be read off {'a single year' if before == 1 else 'too few years'}, "
            "and the step measured against that trend would only restate it. The exact "
            "comparison above is what these years can support.")


def scan_findings(*scans) -> str:
    """Where each scan puts the break, whether that is at a policy date, and which policy
    dates the data cannot tell apart (those inside the confidence set), as Markdown."""
    from scrlib.its import fmt

    lines = []
    for s in scans:
        best = s.best
        two = s.breaks == 2
        when = (f"from {best['start']:%B %Y}" if not two
                else f"from {best['start']:%B %Y} to {best['end']:%B %Y}")
        at_policy = best["candidate"] != ""
        what = (("which are the policy dates " if two else "which is the policy date ")
                + escape_markdown(best["candidate"]) if at_policy
                else ("which are not policy dates" if two else "which is not a policy date"))
        lines.append(
            f"- **{escape_markdown(s.description.split(' (')[0].capitalize())}**: the best fit "
            f"puts it {when}, {what}. The test that such a break exists at all, allowing for "
            f"the search over {len(s.profile)} placements, gives "
            f"{fmt.p_phrase(s.p_value, s.smallest_p)}.")
        inside = s.candidates[s.candidates["in_set"]]["candidate"].tolist()
        outside = s.candidates[~s.candidates["in_set"]]["candidate"].tolist()
        share = int(s.profile["in_set"].sum())
        if share == len(s.profile):
            text = (f"  The 95% confidence set holds all {share} placements: these data cannot "
                    "place such a break anywhere in particular")
        else:
            text = f"  The 95% confidence set holds {share} of the {len(s.profile)} placements"
            low, high = s.set_size_range
            if (low, high) != (share, share):
                text += (f" (between {low} and {high} within the Monte Carlo band of its "
                         f"{s.set_replicates} simulations: the count is approximate)")
        kind = "pair" if two else "date"
        if inside:
            text += (f"; it includes the policy {kind}{'s' if len(inside) > 1 else ''} "
                     f"{escape_markdown(_join(inside))}, so the data cannot tell "
                     + (f"these policy {kind}s apart from each other or from the best fit"
                        if len(inside) > 1 else f"this policy {kind} apart from the best fit"))
            if "in_set_surely" in s.candidates:
                edge = s.candidates[s.candidates["in_set"]
                                    & ~s.candidates["in_set_surely"]]["candidate"].tolist()
                if edge:
                    text += (f" ({escape_markdown(_join(edge))} near the set's edge: within "
                             "the simulations' error it could fall outside)")
        if outside:
            text += (f"; the policy {kind}{'s' if len(outside) > 1 else ''} "
                     f"{escape_markdown(_join(outside))} "
                     f"{'lie' if len(outside) > 1 else 'lies'} outside it")
        lines.append(text + ".")
    return "\n".join(lines)


def detectable_sentences(table) -> str:
    """The minimum detectable effects in plain words (one line per policy step)."""
    from scrlib.its import fmt, mde_sentence

    rows = [r for r in table.itertuples(index=False) if r.effect == "step"]
    lines = []
    for r in rows:
        text = f"- **{escape_markdown(r.intervention)}**: {escape_markdown(mde_sentence(r))}"
        gone = [(way, getattr(r, f"not_identified_{key}", float("nan")))
                for way, key in (("rise", "up"), ("fall", "down"))]
        gone = [(way, s) for way, s in gone if s == s and s > 0]
        if gone:
            text += (" At the smallest " + " and ".join(
                f"{way} {fmt.percent(100 * s, 1)}" for way, s in gone)
                + " of the simulated series could not be refitted (these data would not "
                  "identify the model): they give no test, so they are left out of the 80% "
                  "rather than counted as misses.")
        lines.append(text)
    return "\n".join(lines)


def _join(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def judgement_calls(dataset, series_ids=(), *, where: str = "the sensitivity analysis") -> str:
    """Flag each conflict among ``series_ids`` that a judgement (not evidence) resolves: the
    value used, the other value, the reason, and where both values are run ("" if none)."""
    res = dataset.resolutions
    calls = res[(res["subject"] == "figure") & (res["basis"] == "judgement")
                & res["series_id"].isin(list(series_ids))]
    lines = []
    for r in calls.itertuples(index=False):
        figures = dataset.figures[(dataset.figures["series_id"] == r.series_id)
                                  & (dataset.figures["period"] == r.period)]
        used = figures.loc[figures["source_id"] == r.chosen_source_id, "value"]
        others = sorted(set(figures["value"]) - set(used))
        name = dataset.series_info(r.series_id).name
        lines.append(
            f"- **{escape_markdown(name)}, {escape_markdown(readable(r.period))}:** "
            f"the value used ({_join([words.figure(v) for v in used.unique()])}, "
            f"{escape_markdown(dataset.source(r.chosen_source_id).short)}) rests on a judgement "
            f"the sources do not settle, not on evidence: {escape_markdown(r.reason)} The other "
            f"value ({_join([words.figure(v) for v in others])}) goes through {where}, "
            "which runs the analysis with it instead.")
    if not lines:
        return ""
    return "**Judgement calls in these data.**\n\n" + "\n".join(lines)


def bayes_sentences(by_prior: dict, explanations=None, result=None) -> str:
    """The Bayesian cross-check (``its.bayes``) in plain words beside the frequentist answer:
    the most probable explanation (and, where that one was suggested by the data, the most
    probable of the rest), the effects at the policy dates with tail probabilities, where the
    two schools agree and differ, and whether the answer depends on the priors."""
    from scrlib.its import bayes, fmt

    default = by_prior.get("default") or next(iter(by_prior.values()))
    table = _by_probability(default.explanations)
    suggested = bayes.BASIS["suggested"]
    text = ("Given these counts and weakly informative priors (they make very large "
            "changes unlikely but rule none out), " + _ranking(table, "the most probable "
                                                              "explanation in this set is"))
    lead = table.iloc[0]
    if lead.basis == suggested:
        rest = table[table["basis"] != suggested]
        rest = rest.assign(probability=rest["probability"] / rest["probability"].sum())
        text += (" That explanation was suggested by these same figures, so its probability "
                 "overstates the support it would have as a hypothesis fixed in advance: it is "
                 f"{phrasebook.NOT_CONFIRMATION}. Leaving it out, "
                 + _ranking(rest, "the most probable is"))
    lines = [f"- {text}"]
    if explanations is not None:
        lines.append(f"- {_bayes_against_criterion(default, explanations)}")
    lines.extend(f"- {s}" for s in _bayes_effect_sentences(default, result))
    words = prior_dependence(bayes.depends_on_prior(by_prior))
    spread = [r.explanations.set_index("explanation").loc[lead.explanation,
                                                           ["probability", "probability_se"]]
              for r in by_prior.values()]
    low = min(spread, key=lambda v: v["probability"])
    high = max(spread, key=lambda v: v["probability"])
    others = _join([label for label in by_prior if label != default.priors.label])
    if words:
        count = {1: "one respect", 2: "two respects"}.get(len(words), f"{len(words)} respects")
        lines.append(f"- The answer depends on the choice of prior in {count}: "
                     f"{escape_markdown('; and '.join(words))}. These data do not settle "
                     f"{'that' if len(words) == 1 else 'those'} on their own.")
    else:
        lines.append(f"- Under the {others} priors the most probable explanation and whether "
                     f"each effect is {phrasebook.CLEARLY_DIFFERENT} stay the same: the "
                     "answer does not depend on the choice of prior.")
    lines[-1] += (f" The probability of {escape_markdown(lead.explanation)} runs from "
                  f"{fmt.mc_probability(*low)} to {fmt.mc_probability(*high)} across "
                  f"the {len(by_prior)} sets of priors.")
    lines.extend(f"- **Warning.** {escape_markdown(w)}" for w in default.warnings)
    lines.append("- A posterior probability is a probability within this set of explanations "
                 "and this model of yearly counts; an explanation outside the set (another "
                 "policy, a change in how reviews were counted) gets none.")
    return "\n".join(lines)


def _by_probability(table):
    """Explanations from the most probable down (ties in the order given)."""
    from scrlib.its import digits

    order = table.assign(_key=-digits.key(table["probability"]))
    return order.sort_values("_key", kind="mergesort").drop(columns="_key")


def _ranking(table, opening: str) -> str:
    """"<opening> **A** (probability p), then B (q); no change has probability r."."""
    from scrlib.its import fmt

    lead, second = table.iloc[0], table.iloc[1]
    text = (f"{opening} **{escape_markdown(lead.explanation)}** (probability "
            f"{fmt.mc_probability(lead.probability, lead.probability_se)}), then "
            f"{escape_markdown(second.explanation)} "
            f"({fmt.mc_probability(second.probability, second.probability_se)})")
    none = table[table["explanation"] == "no change"]
    if len(none) and "no change" not in (lead.explanation, second.explanation):
        row = none.iloc[0]
        text += ("; no change has probability "
                 f"{fmt.mc_probability(row['probability'], row['probability_se'])}")
    return text + "."


def _bayes_against_criterion(default, explanations) -> str:
    """The Bayesian probabilities of the explanations the frequentist criterion compares,
    renormalised to that set, beside its weights: which each puts first, and where they
    differ most."""
    from scrlib.its import fmt

    compared = explanations.table[explanations.table["searched_dates"] == 0]
    names = [n.split(" (")[0] for n in compared["explanation"]]
    p = default.explanations.set_index("explanation")["probability"]
    shared = [(n, float(w)) for n, w in zip(names, compared["weight"], strict=True)
              if n in p.index]
    if not shared:
        return "The frequentist comparison has no explanation in common with this one."
    total = sum(p[n] for n, _ in shared)
    within = {n: float(p[n] / total) for n, _ in shared}
    se = default.explanations.set_index("explanation")["probability_se"]
    errors = {n: float(se[n] / total) for n, _ in shared}
    best_f = max(shared, key=lambda item: item[1])[0]
    best_b = max(shared, key=lambda item: within[item[0]])[0]
    widest = max(shared, key=lambda item: abs(within[item[0]] - item[1]))
    pairs = _join([f"{escape_markdown(n)} ({fmt.mc_probability(within[n], errors[n])} against "
                   f"{fmt.number(w, 2)})" for n, w in shared])
    verdict = ("both put the same one first" if best_f == best_b else
               f"they put different ones first: the {explanations.criterion} comparison "
               f"{escape_markdown(best_f)}, the Bayesian one {escape_markdown(best_b)}")
    return (f"The {explanations.criterion} comparison weighs the {len(shared)} explanations "
            f"whose dates were not searched for. Within those {len(shared)}, the posterior "
            f"probabilities against the {explanations.criterion} weights are {pairs}: {verdict}"
            f"; they differ most on {escape_markdown(widest[0])}. The posterior averages over "
            "the uncertain year-to-year variation and over every value of each effect the "
            "prior allows, where the criterion plugs in the best-fitting values and charges a "
            "fixed price per parameter, so the two need not give the same numbers.")


def _bayes_effect_sentences(default, result) -> list[str]:
    """Each step at a policy date: posterior median, credible interval, tail and practical-
    equivalence probabilities, and the frequentist estimate beside it; whether each interval
    excludes no change is said only where neither end is at the phrasebook's edge."""
    from scrlib.its import fmt

    estimates = {}
    if result is not None:
        estimates = {f"step at {r.intervention}": r for r in result.effects.itertuples(index=False)
                     if r.effect == "step"}
    low, high = default.rope
    out = []
    steps = default.effects[default.effects["explanation"].str.startswith("permanent steps")]
    for r in steps.itertuples(index=False):
        label = r.effect.removeprefix("step at ")
        up = r.median >= 1
        tail, tail_se = (r.p_up_20, r.p_up_20_se) if up else (r.p_down_20, r.p_down_20_se)
        word = "rise" if up else "fall"
        text = (f"If the changes were permanent steps, the level after "
                f"**{escape_markdown(label)}** was {fmt.mc_ratio(r.median, r.median_se)} times "
                f"the level before (95% credible interval "
                f"{fmt.mc_interval(r.low, r.high, r.low_se, r.high_se)}); the probability of a "
                f"{word} is {fmt.mc_probability(r.p_rise if up else 1 - r.p_rise, r.p_rise_se)}"
                f", of a {word} of more than 20% {fmt.mc_probability(tail, tail_se)}, and of "
                f"practically no change (within {low:g} to {high:g} times) "
                f"{fmt.mc_probability(r.p_rope, r.p_rope_se)}.")
        f = estimates.get(r.effect)
        if f is not None:
            text += (f" The frequentist estimate is {fmt.ratio(f.rate_ratio)} (95% confidence "
                     f"interval {fmt.interval(f.ci_low, f.ci_high)}); ")
            text += phrasebook.schools_agree((r.low, r.high), (f.ci_low, f.ci_high)) + "."
        out.append(text)
    return out


def prior_dependence(relations) -> list[str]:
    """What changes between prior sets (:func:`scrlib.its.bayes.depends_on_prior`) in words
    naming the sets on each side."""
    out = []
    for r in relations:
        if r["what"] == "leader":
            out.append("which explanation is most probable (" + "; ".join(
                f"{label} priors: {name}" for label, name in r["by_prior"].items()) + ")")
        else:
            out.append(f"whether the {r['effect']} ({r['explanation']}) is "
                       f"{phrasebook.CLEARLY_DIFFERENT} (it is under "
                       f"the {_join(r['excludes'])} priors, not under the "
                       f"{_join(r['includes'])} priors)")
    return out


def sweep_p_sentence(sweep, label: str, whole=None) -> str:
    """The date sweep of one policy step (:func:`scrlib.study.sensitivity.date_sweep`) in one
    sentence: its p at each month its sources allow (runs of months with the same model
    together), which date is used, and, from ``whole`` (a fit with the whole-year coding),
    the p of counting the year that contains the date wholly on one side."""
    from scrlib.its import fmt

    runs = []
    for row in sweep.itertuples(index=False):
        p = fmt.p(row.p_value)
        if runs and runs[-1][2] == p:
            runs[-1][1] = row.date
        else:
            runs.append([row.date, row.date, p])
    last = sweep.iloc[-1]
    smallest = sweep["p_value"].idxmin() == sweep.index[-1]

    def when(first, end) -> str:
        if first == end:
            return f"{end:%B %Y}"
        start = f"{first:%-d %B %Y}" if first.day != 1 else f"{first:%B}"
        return f"{start} to {end:%B %Y}"

    parts = [f"{p} ({when(first, end)})" for first, end, p in runs]
    text = (f"Moved to each month its sources allow, the step at {escape_markdown(label)} has "
            f"p = {_join(parts)}; the date used, {last['date']:%B %Y}, is the latest they allow"
            + (" and gives the smallest p" if smallest else ""))
    if whole is not None:
        step = whole.effect(label, "step")
        text += (f"; counting the year that contains it wholly on the side with most of its "
                 f"days gives {fmt.p_phrase(step['p_value'])}")
    return text + "."


def basis_sentence(dataset, events, series_ids) -> str:
    """Which policy dates come only from the reports that give the counts, in one sentence (a
    test at such a date is not independent of the data, so not confirmatory); '' if none."""
    from scrlib.study.analysis import dated_by_the_counts_reports

    dated = dated_by_the_counts_reports(dataset, events, series_ids)
    if not dated:
        return ""
    labels = [dataset.event(e).label for e in dated]
    publishers = sorted({dataset.source(s).publisher for e in dated for s in
                         dataset.events.loc[dataset.events["event_id"] == e, "source_id"]})
    return (f"The date of {escape_markdown(_join(labels))} comes only from "
            f"{escape_markdown(_join(publishers))}, which also reports the counts modelled "
            "here: a test at that date is fixed in advance but not independent of these data, "
            f"so it is graded \"{phrasebook.grade('same-reports')}\", "
            f"{phrasebook.NOT_CONFIRMATORY}.")


def multiplicity_sentence(adjusted) -> str:
    """The policy steps' p-values adjusted for testing them all (Holm's method,
    :func:`scrlib.study.analysis.holm`), in words, and what the other p-values are."""
    from scrlib.its import fmt

    if len(adjusted) < 2:
        return ""
    pairs = _join([f"{fmt.p(r.holm)} ({escape_markdown(r.intervention)}, "
                   f"{phrasebook.evidence(r.holm)})" for r in adjusted.itertuples(index=False)])
    every = "both" if len(adjusted) == 2 else f"all {len(adjusted)}"
    return (f"{_count_words(len(adjusted))} policy steps are tested, so one of them could "
            "fall below 0.05 by chance more often than one test would; adjusted for testing "
            f"{every} (Holm's method, which keeps the chance of any false finding at most "
            f"5%), their p-values become {pairs}. The other p-values in this notebook answer "
            "other questions (whether a break exists anywhere, which explanation fits, what a "
            "sensitivity check changes) and are not adjusted: read each on its own, not as "
            "separate pieces of evidence for one claim.")


def end_years_sentence(changes, name: str, series_name: str) -> str:
    """A count set against another over every end year the record allows
    (:func:`scrlib.study.analysis.end_year_changes`), and whether which rose faster depends on
    the end year."""
    from scrlib.its import fmt

    if changes.empty:
        return ""
    name = name if name[:2].isupper() else name[:1].lower() + name[1:]
    parts = _join([f"{fmt.number(r.successes_change)}% against "
                   f"{fmt.number(r.trials_change)}% to {r.year}"
                   for r in changes.itertuples(index=False)])
    faster = {bool(r.successes_change > r.trials_change)
              for r in changes.itertuples(index=False)}
    verdict = (f"whether {escape_markdown(series_name)} rose faster or slower than "
               f"{escape_markdown(name)} depends on the end year chosen" if len(faster) > 1 else
               f"{escape_markdown(series_name)} rose "
               f"{'faster' if faster.pop() else 'more slowly'} than {escape_markdown(name)} to "
               "every end year")
    return (f"Set against {escape_markdown(name)} from {changes['from'].iloc[0]}, "
            f"{escape_markdown(series_name)} changed by {parts} (the record allows no other end "
            f"year): {verdict}.")


def part_year_sentence(check) -> str:
    """The part-year figures the model leaves out against what it implies for the same days
    (:func:`scrlib.study.analysis.part_year_check`), in words."""
    from scrlib.its import fmt

    if check.empty:
        return ""
    parts = []
    for r in check.itertuples(index=False):
        inside = r.low <= r.observed <= r.high
        parts.append(f"{fmt.number(r.observed)} in {escape_markdown(r.period)} against about "
                     f"{fmt.number(r.expected)} implied (95% range {fmt.number(r.low)} to "
                     f"{fmt.number(r.high)}: {'inside' if inside else 'outside'} it, "
                     f"{fmt.p_phrase(r.p)})")
    return ("The model fits whole financial years, so the figures for part of a year are left "
            "out of it; set against the counts the fitted model implies for the same days (its "
            "level before and after each date, its noise and the uncertainty of its "
            f"coefficients; a normal approximation): {_join(parts)}.")


def _count_words(n: int) -> str:
    words = {2: "Two", 3: "Three", 4: "Four", 5: "Five"}
    return words.get(n, str(n))
