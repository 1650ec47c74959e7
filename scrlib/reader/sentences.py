"""Sentences beside the evidence: plain-language statements generated from results, so the prose
never drifts from the numbers. (Each notebook's headline answer is :mod:`scrlib.reader.answers`.)

Each function returns Markdown text (data-derived strings escaped) for a notebook to display.
"""

from __future__ import annotations

import math

from scrlib.record.cite import escape_markdown


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
    from scrlib.its import mde_sentence

    rows = [r for r in table.itertuples(index=False) if r.effect == "step"]
    return "\n".join(f"- **{escape_markdown(r.intervention)}**: {escape_markdown(mde_sentence(r))}"
                     for r in rows)


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
            f"- **{escape_markdown(name)}, {escape_markdown(r.period.removeprefix('FY'))}:** "
            f"the value used ({_join([f'{v:g}' for v in used.unique()])}, "
            f"{escape_markdown(dataset.source(r.chosen_source_id).short)}) rests on a judgement "
            f"the sources do not settle, not on evidence: {escape_markdown(r.reason)} The other "
            f"value ({_join([f'{v:g}' for v in others])}) goes through {where} (conflict rule "
            "`alternative`).")
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
    text = ("Given these counts and weakly informative priors (they make very large "
            "changes unlikely but rule none out), " + _ranking(table, "the most probable "
                                                              "explanation in this set is"))
    lead = table.iloc[0]
    if lead.basis == bayes.BASIS["suggested"]:
        rest = table[table["basis"] != bayes.BASIS["suggested"]]
        rest = rest.assign(probability=rest["probability"] / rest["probability"].sum())
        text += (" That explanation was suggested by these same figures, so its probability "
                 "overstates the support it would have as a hypothesis fixed in advance: it is "
                 "exploratory, not a confirmation. Leaving it out, "
                 + _ranking(rest, "the most probable is"))
    lines = [f"- {text}"]
    if explanations is not None:
        lines.append(f"- {_bayes_against_criterion(default, explanations)}")
    lines.extend(f"- {s}" for s in _bayes_effect_sentences(default, result))
    words = bayes.depends_on_prior(by_prior)
    spread = [r.explanations.set_index("explanation")["probability"][lead.explanation]
              for r in by_prior.values()]
    others = _join([label for label in by_prior if label != default.priors.label])
    if words:
        count = {1: "one respect", 2: "two respects"}.get(len(words), f"{len(words)} respects")
        lines.append(f"- The answer depends on the choice of prior in {count}: "
                     f"{escape_markdown('; and '.join(words))}. These data do not settle "
                     f"{'that' if len(words) == 1 else 'those'} on their own.")
    else:
        lines.append(f"- Under the {others} priors the most probable explanation and whether "
                     "each effect is clearly different from no change stay the same: the "
                     "answer does not depend on the choice of prior.")
    lines[-1] += (f" The probability of {escape_markdown(lead.explanation)} runs from "
                  f"{fmt.probability(min(spread))} to {fmt.probability(max(spread))} across "
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
            f"{fmt.probability(lead.probability)}), then {escape_markdown(second.explanation)} "
            f"({fmt.probability(second.probability)})")
    none = table[table["explanation"] == "no change"]
    if len(none) and "no change" not in (lead.explanation, second.explanation):
        text += f"; no change has probability {fmt.probability(none.iloc[0]['probability'])}"
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
    best_f = max(shared, key=lambda item: item[1])[0]
    best_b = max(shared, key=lambda item: within[item[0]])[0]
    widest = max(shared, key=lambda item: abs(within[item[0]] - item[1]))
    pairs = _join([f"{escape_markdown(n)} ({fmt.probability(within[n])} against "
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


NEAR_ONE = 0.05  # an interval end within 5% of no change is too close to call either way


def _bayes_effect_sentences(default, result) -> list[str]:
    """Each step at a policy date: posterior median, credible interval, tail and practical-
    equivalence probabilities, and the frequentist estimate beside it; whether each interval
    excludes no change is said only where neither end is within ``NEAR_ONE`` of it."""
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
        tail = r.p_up_20 if up else r.p_down_20
        word = "rise" if up else "fall"
        text = (f"If the changes were permanent steps, the level after "
                f"**{escape_markdown(label)}** was {fmt.ratio(r.median)} times the level "
                f"before (95% credible interval {fmt.interval(r.low, r.high)}); the "
                f"probability of a {word} is {fmt.probability(r.p_rise if up else 1 - r.p_rise)}"
                f", of a {word} of more than 20% {fmt.probability(tail)}, and of practically no "
                f"change (within {low:g} to {high:g} times) {fmt.probability(r.p_rope)}.")
        f = estimates.get(r.effect)
        if f is not None:
            text += (f" The frequentist estimate is {fmt.ratio(f.rate_ratio)} (95% confidence "
                     f"interval {fmt.interval(f.ci_low, f.ci_high)}); ")
            ends = [r.low, r.high, f.ci_low, f.ci_high]
            if any(abs(e - 1) <= NEAR_ONE for e in ends):
                text += ("an end of one of the intervals is too close to 1 to say whether it "
                         "excludes no change, so read the probabilities instead.")
            else:
                bayes_clear, freq_clear = r.low > 1 or r.high < 1, f.ci_low > 1 or f.ci_high < 1
                if bayes_clear == freq_clear:
                    text += ("both intervals exclude no change." if bayes_clear else
                             "both intervals include no change.")
                else:
                    text += ("only the " + ("credible" if bayes_clear else "confidence")
                             + " interval excludes no change, so whether this change is clear "
                             "depends on the school of inference: it is not a finding.")
        out.append(text)
    return out
