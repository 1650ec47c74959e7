"""The plain answer each analysis notebook opens with, generated from its results.

An :class:`Answer` is three to five sentences for a safeguarding-board member or a journalist:
what changed, how sure we are, what the data cannot say, with the caveat in the same paragraph
as the claim. Every number comes from the result objects passed in; nothing is typed. The text
is plain (no Markdown), so the notebook shows it escaped and the report's index page shows the
same words; :meth:`Answer.write` saves it for the index.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from scrlib.its import fmt


@dataclass(frozen=True)
class Answer:
    """A question and its plain answer; ``sentences`` joined make the paragraph."""

    notebook: str
    question: str
    sentences: tuple[str, ...]
    chart: str = ""  # the stem of a chart in the same folder that shows the answer (optional)
    # The headline numbers behind the sentences, by name, so a later run can say what moved.
    estimates: tuple[tuple[str, float], ...] = ()
    # Each cited or computed number in the sentences, as in :class:`KeyMessage`, so the report
    # links it to its evidence.
    numbers: tuple[dict, ...] = ()

    @property
    def text(self) -> str:
        """The answer as one paragraph of plain text."""
        return " ".join(self.sentences)

    def markdown(self):
        """The answer for a notebook: a bold lead-in, then the paragraph (escaped); in the
        report each of its numbers links to its evidence."""
        from scrlib.reader.evidence import number_anchor
        from scrlib.reader.notebook import LinkedMarkdown
        from scrlib.record.cite import escape_markdown

        return LinkedMarkdown(f"**In brief.** {escape_markdown(self.text)}",
                              [{"text": escape_markdown(n["text"]), "anchor": number_anchor(n)}
                               for n in self.numbers])

    def write(self, folder) -> Path | None:
        """Save as ``<folder>/<notebook>-answer.json`` for the report's index (none if no
        folder)."""
        if not folder:
            return None
        path = Path(folder) / f"{self.notebook}-answer.json"
        path.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        return path


def read(folder) -> list[Answer]:
    """Every answer saved in ``folder``, in notebook order."""
    out = []
    for path in sorted(Path(folder).glob("*-answer.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(Answer(data["notebook"], data["question"], tuple(data["sentences"]),
                          data.get("chart", ""),
                          tuple((k, float(v)) for k, v in data.get("estimates", [])),
                          tuple(data.get("numbers", []))))
    return out


# -- the report's key message ---------------------------------------------------------------------
@dataclass(frozen=True)
class KeyMessage:
    """Two or three plain sentences for the first screen of the report, the chart that goes
    with them and the events it marks (ids, for the glossary)."""

    sentences: tuple[str, ...]
    chart: str = ""
    events: tuple[str, ...] = ()
    # Each cited or computed number in the sentences: its exact words ("text"), the series and
    # periods it comes from, and how ("" for a figure as cited, "average" or "change").
    numbers: tuple[dict, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    def write(self, folder) -> Path | None:
        """Save as ``<folder>/key-message.json`` for the report's index (none if no folder)."""
        if not folder:
            return None
        path = Path(folder) / "key-message.json"
        path.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        return path


def read_key(folder) -> KeyMessage | None:
    """The key message saved in ``folder``, if any."""
    path = Path(folder) / "key-message.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return KeyMessage(tuple(data["sentences"]), data.get("chart", ""),
                      tuple(data.get("events", [])), tuple(data.get("numbers", [])))


def key_message(frame: pd.DataFrame, dates: dict, *, scan=None, against=None,
                series_name: str = "SCRs initiated", series: str = "scr-initiated", events=(),
                chart: str = "") -> KeyMessage:
    """What changed, whether a policy can be named as the cause, and what else rose, in plain
    words for a reader who reads nothing else; every number from ``frame`` (the yearly counts),
    ``scan`` (the search-adjusted test of the change seen) and ``against`` (``(paired frame,
    name)`` of a series the counts are set against)."""
    from scrlib.study.analysis import regimes

    ordered = sorted(dates.items(), key=lambda kv: pd.Timestamp(kv[1]))
    sentences = [_what_changed(frame, ordered, mid_sentence(series_name))]
    labelled = regimes(frame, {k: pd.Timestamp(v) for k, v in ordered})
    numbers = _changed_numbers(labelled, len(ordered), series)
    before = labelled[labelled["regime_order"] == 0]["count"].mean()
    after = labelled[labelled["regime_order"] == len(ordered)]["count"].mean()
    middle = labelled[(labelled["regime_order"] != 0)
                      & (labelled["regime_order"] != len(ordered))]["count"]
    when = [f"{label} ({pd.Timestamp(day):%B %Y})" for label, day in ordered]
    if len(middle) and middle.mean() < min(before, after):
        shape = (f"The fall came around {when[0]} and the recovery around "
                 f"{_join(when[1:])}")
    else:
        shape = f"The changes came around {_join(when)}"
    chance = ""
    if scan is not None:
        chance = (f": a dip and recovery of this size, placed anywhere in these years, turns "
                  f"up by chance in about {_one_in(scan.p_value)} series like this one "
                  f"({fmt.p_phrase(scan.p_value, scan.smallest_p)})"
                  if scan.p_value > 0.05 else "")
    sentences.append(f"{shape}, but {len(frame)} yearly figures cannot show that any one policy "
                     f"caused it{chance}.")
    if against is not None:
        paired, name = against[0], against[1]
        against_series = against[2] if len(against) > 2 else ""
        if len(paired) >= 2:
            first, last = paired.iloc[0], paired.iloc[-1]
            other = 100 * (last["trials"] / first["trials"] - 1)
            mine = 100 * (last["successes"] / first["successes"] - 1)
            ends = [f"FY{first['year']}", f"FY{last['year']}"]
            numbers += [{"text": f"{fmt.number(abs(other))}%", "series": against_series,
                         "periods": ends, "how": "change"},
                        {"text": f"{fmt.number(abs(mine))}%", "series": series,
                         "periods": ends, "how": "change"}]
            sentences.append(
                f"{name} also rose ({fmt.number(abs(other))}% from {first['year']} to "
                f"{last['year']}, against {fmt.number(abs(mine))}% for "
                f"{mid_sentence(series_name)}), so more incidents being reported may explain "
                "part of the rise; the figures cannot tell how much.")
    return KeyMessage(tuple(sentences), chart, tuple(events), tuple(numbers))


def _changed_numbers(labelled: pd.DataFrame, regimes_count: int, series: str) -> list[dict]:
    """The numbers of :func:`_what_changed` with where each comes from."""
    before = labelled[labelled["regime_order"] == 0]
    after = labelled[labelled["regime_order"] == regimes_count]
    middle = labelled[~labelled.index.isin(before.index.union(after.index))]
    out = []
    for rows in (before, after):
        if len(rows):
            out.append({"text": f"about {fmt.number(rows['count'].mean())} a year",
                        "series": series, "periods": [f"FY{y}" for y in rows["year"]],
                        "how": "average"})
    for year, count in zip(middle["year"], middle["count"], strict=True):
        out.append({"text": f"{fmt.number(count)} in {year}", "series": series,
                    "periods": [f"FY{year}"], "how": ""})
    return out


# -- 02: SCRs initiated around the policy dates ------------------------------------------------
def initiated(frame: pd.DataFrame, dates: dict, result, explanations, *, step_scan=None,
              dip_scan=None, detectable=None, influence=None, tipping=None, against=None,
              nearby=(),
              series_name: str = "SCRs initiated", notebook: str = "02-initiated",
              chart: str = "", series: str = "") -> Answer:
    """What happened to a yearly count around the policy dates, how sure, what is unknown.

    ``frame``: ``year`` and ``count``; ``dates``: {label: date}; ``result``: the ITS fit;
    ``explanations``: :func:`scrlib.its.explain`; ``detectable``: the
    :func:`scrlib.its.minimum_detectable_effect` table; ``influence``: the
    :func:`scrlib.its.leave_one_out` result; ``tipping``: the
    :func:`scrlib.study.sensitivity.tipping_points` table; ``against``: the count paired with
    a series it is set against (:func:`scrlib.study.analysis.paired`, e.g. serious incident
    notifications) and that series' name, as ``(frame, name)``; ``nearby``: labels of other
    events close to the policy dates (shown as what the data cannot separate); ``series``: the
    counted series' id, so its numbers link to their figures (none if empty).
    """
    ordered = sorted(dates.items(), key=lambda kv: pd.Timestamp(kv[1]))
    first, last = ordered[0][0], ordered[-1][0]
    question = (f"Did the number of {series_name} change after "
                f"{_join([f'{k} ({pd.Timestamp(v):%B %Y})' for k, v in ordered])}?")
    series_name = mid_sentence(series_name)
    sentences = [_what_changed(frame, ordered, series_name)]
    sentences.append(_allowing_for_the_search(step_scan, dip_scan, explanations))
    sentences.append(_which_explanation(explanations, result, ordered, frame))
    sentences.append(_one_at_a_time(result, influence, tipping))
    sentences.append(_cannot_say(frame, first, last, detectable, nearby,
                                 "" if against is None else _set_against(*against,
                                                                         series_name)))
    estimates = [*_effect_estimates(result)]
    if step_scan is not None and step_scan.p_value is not None:
        estimates.append(("one lasting change anywhere: bootstrap p", step_scan.p_value))
    if dip_scan is not None and dip_scan.p_value is not None:
        estimates.append(("a temporary change anywhere: bootstrap p", dip_scan.p_value))
    numbers = ()
    if series:
        from scrlib.study.analysis import regimes

        labelled = regimes(frame, {k: pd.Timestamp(v) for k, v in ordered})
        numbers = tuple(_changed_numbers(labelled, len(ordered), series))
    return Answer(notebook, question, tuple(s for s in sentences if s), chart,
                  _numbers(estimates), numbers)


def _effect_estimates(result):
    """(name, value) for each effect's rate ratio and 95% interval of an ITS result."""
    for r in result.effects.itertuples(index=False):
        what = f"{r.intervention}, {r.effect}"
        yield from ((f"{what}: rate ratio", r.rate_ratio), (f"{what}: 95% low", r.ci_low),
                    (f"{what}: 95% high", r.ci_high))


def _numbers(pairs) -> tuple[tuple[str, float], ...]:
    """Finite numbers only, as plain floats to the digits every machine shares (NaN has no
    place in JSON)."""
    import math

    from scrlib.its import digits

    return tuple((str(k), float(digits.significant(float(v), digits.OUTPUT_DIGITS)))
                 for k, v in pairs if v is not None and math.isfinite(float(v)))


def _what_changed(frame, ordered, series_name) -> str:
    from scrlib.study.analysis import regimes

    labelled = regimes(frame, {k: pd.Timestamp(v) for k, v in ordered})
    before = labelled[labelled["regime_order"] == 0]
    after = labelled[labelled["regime_order"] == len(ordered)]
    middle = labelled[~labelled.index.isin(before.index.union(after.index))]
    parts = []
    if len(before):
        parts.append(f"about {fmt.number(before['count'].mean())} a year from "
                     f"{before['year'].iloc[0]} to {before['year'].iloc[-1]}")
    if len(middle):
        parts.append(_join([f"{fmt.number(c)} in {y}" for y, c in
                            zip(middle["year"], middle["count"], strict=True)]))
    if len(after):
        parts.append(f"about {fmt.number(after['count'].mean())} a year from "
                     f"{after['year'].iloc[0]} to {after['year'].iloc[-1]}")
    missing = _missing_years(frame)
    gap = f" ({_join(missing)} is missing)" if len(missing) == 1 else (
        f" ({_join(missing)} are missing)" if missing else "")
    return f"{series_name[0].upper() + series_name[1:]} were " + _join(parts, "; then ") + gap + "."


def _missing_years(frame) -> list[str]:
    from scrlib.record.periods import fiscal_label

    years = pd.PeriodIndex(frame["fiscal_year"])
    full = pd.period_range(years[0], years[-1], freq=years.freq)
    return [fiscal_label(p) for p in full if p not in set(years)]


PLAIN = {
    "no change": "no change at all",
}


def plain_label(name: str) -> str:
    """An explanation's label as it reads in a sentence."""
    if name in PLAIN:
        return PLAIN[name]
    if name.startswith("permanent steps at "):
        return "lasting changes at " + name.removeprefix("permanent steps at ")
    if name.startswith("a temporary change between "):
        return name + " that then reversed"
    if name.startswith("one permanent change where the data put it"):
        return "one lasting change " + name.removeprefix(
            "one permanent change where the data put it ").replace("(", "around ").rstrip(")")
    if name.startswith("a temporary change where the data put it"):
        return "a temporary change " + name.removeprefix(
            "a temporary change where the data put it ").replace("(", "from about ").rstrip(")")
    return name


def _allowing_for_the_search(step_scan, dip_scan, explanations) -> str:
    """The lead on how sure we are: the test that allows for the search over dates, for the
    kind of change the leading explanation at the policy dates is."""
    table = explanations.table
    fixed = table[(table["searched_dates"] == 0) & table["criterion"].notna()]
    best = fixed.iloc[0]["explanation"] if len(fixed) else ""
    scan = dip_scan if "temporary" in best else step_scan
    if scan is None:
        return ""
    chance = (f"fewer than 1 in {scan.replicates + 1}" if scan.p_value <= scan.smallest_p
              else f"about {_one_in(scan.p_value)}")
    kind = scan.description.split(" (")[0]
    text = (f"How sure we are: allowing for a search over every placement of its dates, {kind} "
            f"as large as this turns up by chance in {chance} series like this one "
            f"({fmt.p_phrase(scan.p_value, scan.smallest_p)})")
    if scan.p_value > 0.05:
        text += ", so these data alone do not show that it is more than chance"
    return text + "."


def _which_explanation(explanations, result, ordered, frame) -> str:
    """The explanations at the policy dates: an exploratory one labelled, no "fits best" where
    a nested test cannot tell the leading two apart; then the model's counterfactual, described
    as fitted, beside the plain comparison of the years before and after."""
    from scrlib.its.explanations import BASIS, against_others, leading, support_words

    def named(row) -> str:
        note = (" (suggested by these data, so exploratory)"
                if row["basis"] == BASIS["suggested"] else "")
        return plain_label(row["explanation"]) + note

    def short(row) -> str:
        return plain_label(row["explanation"])

    best, tied, disputed, rest = leading(explanations.table, explanations.tests)
    if best is None:
        return ""
    text = f"Of the explanations at the policy dates, {named(best)}"
    if tied:
        direct = [f"p = {t['p_value']:.2f}" for _, t in tied if t is not None]
        test = (f"a direct test between them gives {_join(direct)}; " if direct else "")
        weights = [best, *(r for r, _ in tied)]
        text += (f" and {_join([named(r) for r, _ in tied])} fit about as well as each other "
                 f"({test}weights {_join([f'{r.weight:.2f}' for r in weights])} with the "
                 f"small-sample penalty, "
                 f"{_join([f'{r.weight_no_penalty:.2f}' for r in weights])} without)")
    elif disputed:
        text += " is favoured by the small-sample criterion"
    else:
        text += " fits best"
    for row, t in disputed:
        text += (f", but a direct test prefers {named(row)} (p = {t['p_value']:.2f}), so the "
                 "data do not settle which")
    leaders = [best, *(r for r, _ in tied), *(r for r, _ in disputed)]
    for row, _ in rest:
        text += (f"; {short(row)} has {support_words(row['delta'])} than {short(best)}")
        also = against_others(row, leaders, explanations.tests, short)
        if also:
            text += f", and {also}"
    steps = [f"{name}:step" for name, _ in ordered if f"{name}:step" in result.names]
    if len(steps) >= 2:
        both = result.contrast(dict.fromkeys(steps, 1.0))
        interval = fmt.interval(both["ci_low"], both["ci_high"])
        base = ("what the level and trend fitted across all the years, without the policy "
                "changes, would predict")
        if both["ci_low"] <= 1.0 <= both["ci_high"]:
            text += (f"; by the end the count was not clearly different from {base} (all the "
                     f"changes together: rate ratio {fmt.ratio(both['rate_ratio'])}, 95% "
                     f"interval {interval}), so whether any lasting change remained cannot be "
                     "pinned down")
        else:
            text += (f"; by the end the count was {fmt.times(both['rate_ratio'])} {base} (all "
                     f"the changes together: rate ratio {fmt.ratio(both['rate_ratio'])}, 95% "
                     f"interval {interval})")
        text += _without_a_model(frame, ordered)
    return text + "."


def _without_a_model(frame, ordered) -> str:
    """The years after the last date against the years before the first, as plain averages."""
    from scrlib.study.analysis import regimes

    labelled = regimes(frame, {k: pd.Timestamp(v) for k, v in ordered})
    before = labelled[labelled["regime_order"] == 0]["count"]
    after = labelled[labelled["regime_order"] == len(ordered)]["count"]
    if not (len(before) and len(after)):
        return ""
    return (f"; without a model, the {len(after)} years after averaged "
            f"{fmt.times(after.mean() / before.mean())} the {len(before)} years before "
            f"({fmt.number(after.mean())} against {fmt.number(before.mean())} a year)")


def _one_at_a_time(result, influence, tipping=None) -> str:
    """Each policy's own step: clear, not clear, or clear with the caveats that weaken it, and
    the smallest undercount of a year that would change that (``tipping``)."""
    flips = {} if influence is None else influence.influence().set_index(
        ["intervention", "effect"])
    pieces = []
    for r in result.effects.itertuples(index=False):
        if r.effect != "step":
            continue
        shown = (f"rate ratio {fmt.ratio(r.rate_ratio)}, 95% interval "
                 f"{fmt.interval(r.ci_low, r.ci_high)}")
        tip = _smallest_tip(tipping, r.intervention)
        if r.ci_low <= 1.0 <= r.ci_high:
            pieces.append(f"the change at {r.intervention} is not clear ({shown}, which "
                          "includes no change)" + (
                              f", though {tip} would make its interval exclude no change: it "
                              f"sits on the edge ({fmt.p_phrase(r.p_value)})" if tip else ""))
            continue
        caveats = []
        before, after = result.support(r.intervention)
        if min(before, after) < 3:
            side = "before it" if before < after else "after it"
            count = min(before, after)
            caveats.append(f"only {count} {'year lies' if count == 1 else 'years lie'} {side} "
                           "(up to the other policy date)")
        key = (r.intervention, r.effect)
        if len(flips) and key in flips.index and bool(flips.loc[key, "flips"]):
            years = [y for y in str(flips.loc[key, "flipped_by"]).split(", ") if y]
            caveats.append(f"leaving out {_join(years, ' or ')} makes its interval include no "
                           "change")
        if tip:
            caveats.append(f"{tip} would make its interval include no change")
        if caveats:
            pieces.append(f"the change at {r.intervention} has an interval that excludes no "
                          f"change ({shown}), but {_join(caveats)}")
        else:
            pieces.append(f"the change at {r.intervention} is clear on its own ({shown})")
    if not pieces:
        return ""
    text = "Taken one policy at a time, " + _join(pieces, "; ") + "."
    return text[0].upper() + text[1:]


def _set_against(paired: pd.DataFrame, name: str, series_name: str) -> str:
    """A clause: whether the rebound was more incidents notified or boards reviewing more
    readily, which the share's own comparison (the first year against the rest, allowing for
    year-to-year variation) cannot tell."""
    from scrlib.its import compare_shares

    if len(paired) < 4:
        return ""
    first, last = paired.iloc[0], paired.iloc[-1]
    other = 100 * (last["trials"] / first["trials"] - 1)
    mine = 100 * (last["successes"] / first["successes"] - 1)
    after = paired.iloc[1:]
    found = compare_shares([first["successes"]], [first["trials"]], after["successes"],
                           after["trials"])
    name = mid_sentence(name)
    verdict = ("the share of them that led to a review changed"
               if found.p_value <= 0.05 else
               "the share of them that led to a review cannot be told from no change")
    return (f"whether the rebound was more incidents notified or boards reviewing more readily: "
            f"{name} also rose ({fmt.number(abs(other))}% from {first['year']} to "
            f"{last['year']}, against {fmt.number(abs(mine))}% for {series_name}), and "
            f"{verdict} ({first['year']} against the years after, allowing for their "
            f"year-to-year variation: {fmt.p_phrase(found.p_value)})")


def _smallest_tip(tipping, policy: str) -> str:
    """The smallest undercount that changes ``policy``'s conclusion, in words ('' if none)."""
    if tipping is None or not len(tipping):
        return ""
    mine = tipping[(tipping["policy"] == policy) & tipping["tipping_share"].notna()]
    if mine.empty:
        return ""
    row = mine.loc[mine["tipping_share"].idxmin()]
    extra = int(row["tipping_count"] - row["recorded"])
    return (f"{extra} more {'review' if extra == 1 else 'reviews'} in {row['year']} than "
            f"recorded ({fmt.number(100 * row['tipping_share'])}%)")


def _one_in(p: float) -> str:
    n = max(2, round(1 / max(p, 1e-9)))
    return f"1 in {n}"


def _cannot_say(frame, first, last, detectable, nearby, against: str = "") -> str:
    text = ("What the data cannot say: which policy, if any, caused the change, since "
            + (f"{_join(list(nearby))} came within a year of {last}, " if nearby else "")
            + f"{len(frame)} yearly points are few"
            + (f"; {against}" if against else ""))
    if detectable is not None and len(detectable):
        steps = detectable[detectable["effect"] == "step"]
        row = steps.iloc[-1]
        others = [r for r in steps["intervention"] if r != row["intervention"]]
        held = (f", with the change at {_join(others)} as estimated,"
                if others and row.get("others", "estimated") == "estimated" else "")
        level = " just before it" if held else ""
        text += (f", and this design would reliably detect ({row['power']:.0%} of the time)"
                 f"{held} only a lasting change at {row['intervention']} to at least "
                 f"{fmt.ratio(row['mde_increase'])} times or at most "
                 f"{fmt.ratio(row['mde_decrease'])} times the level{level}, so smaller changes "
                 "could go unseen")
    return text + "."


def mid_sentence(name: str) -> str:
    """A series name as it reads inside a sentence ("Serious incident notifications" ->
    "serious incident notifications"; "SCRs initiated" stays)."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def _join(items, last_sep: str = " and ") -> str:
    """``a, b and c``; another ``last_sep`` (" or ", "; then ") joins every item with it."""
    items = [str(i) for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if last_sep == " and ":
        return ", ".join(items[:-1]) + " and " + items[-1]
    if last_sep == " or ":
        return ", ".join(items[:-1]) + " or " + items[-1]
    return last_sep.join(items)


# -- 03: the published share -------------------------------------------------------------------
def publication(shares: pd.DataFrame, comparison, before, after, *, variation, events=(),
                sources=(), notebook: str = "03-publication") -> Answer:
    """How the published share of commissioned reviews moved, how sure, and what is unknown.

    ``shares``: :func:`scrlib.study.analysis.paired` rows (``year``, ``successes``, ``trials``,
    ``share``); ``comparison``: the exact before/after comparison (binomial variation only);
    ``variation``: the same years compared allowing for year-to-year variation
    (:func:`scrlib.its.compare_shares`); ``sources``: the kinds of source the figures come from.
    """
    question = "Did the share of commissioned SCRs that were published rise?"
    events, sources = list(events), list(sources)
    years = _join([f"{fmt.number(r.share)}% in {r.year} ({fmt.number(r.successes)} of "
                   f"{fmt.number(r.trials)})" for r in shares.itertuples(index=False)])
    diff = comparison.table.set_index("quantity").loc["difference"]
    sentences = [f"Published SCRs as a share of those commissioned were {years}.",
                 f"Comparing {_join(list(before))} with {_join(list(after))}, the share "
                 f"{'rose' if variation.difference > 0 else 'fell'} by "
                 f"{_points(variation.difference)} percentage points. "
                 + _beyond_binomial(variation, diff, _at_low_dispersion(shares, before, after,
                                                                      variation)),
                 f"What the data cannot say: {len(shares)} years"
                 + (f" from {_join(sorted(set(sources)))}" if sources else "")
                 + " cannot separate "
                 + (_join(list(events)) if events else "the policy changes")
                 + " from each other or from a backlog of older reviews being published, and a "
                 "review published in one year may have been commissioned in an earlier one."]
    return Answer(notebook, question, tuple(sentences), estimates=_shares(variation, diff))


def _at_low_dispersion(shares, before, after, variation) -> str:
    """For a borrowed dispersion: its 95% range from its df, and the comparison at the low end,
    as a clause ('' when the dispersion is these years' own)."""
    from scipy import stats

    from scrlib.study.analysis import compare_share_years

    if variation.source == "these years":
        return ""
    low = variation.dispersion * variation.df / stats.chi2.ppf(0.975, variation.df)
    high = variation.dispersion * variation.df / stats.chi2.ppf(0.025, variation.df)
    at_low = compare_share_years(shares, before, after, dispersion=max(low, 1.0),
                                 dispersion_df=variation.df, source=variation.source)
    return (f"; that estimate rests on {fmt.number(variation.df)} df (95% range "
            f"{fmt.number(low, 1)} to {fmt.number(high)}), and at its low end "
            f"{fmt.p_phrase(at_low.p_value)}")


def _beyond_binomial(variation, diff, borrowed: str = "") -> str:
    """The comparison first as binomial counts would have it, then allowing for how much such
    shares vary from year to year, in words; ``borrowed`` adds the range of a borrowed
    dispersion."""
    clear = variation.p_value <= 0.05
    own = variation.source == "these years"
    how = (f"these years' shares varied {fmt.number(variation.dispersion, 1)} times as much as "
           f"binomial counts would (chi-squared {fmt.number(variation.chi2, 1)} on "
           f"{fmt.number(variation.df)} df, {fmt.p_phrase(variation.chi2_p)})" if own else
           f"these two years cannot show how much such shares vary, so this borrows an "
           f"assumption from another share: {variation.source} varied "
           f"{fmt.number(variation.dispersion, 1)} times as much as binomial counts would")
    return (f"If the shares varied from year to year only as binomial counts do, that would "
            f"{'be' if diff['p_value'] <= 0.05 else 'not be'} more than chance (Fisher's "
            f"exact {fmt.p_phrase(diff['p_value'])}); but {how}, and allowing for that the "
            f"change is {'' if clear else 'not clearly '}more than chance (95% interval "
            f"{fmt.number(100 * variation.difference_low)} to "
            f"{fmt.number(100 * variation.difference_high)} points; "
            f"{fmt.p_phrase(variation.p_value)}, t on {fmt.number(variation.df)} df"
            f"{borrowed}).")


def _points(share_difference: float) -> str:
    """A difference of shares in percentage points: one decimal below 10 points."""
    points = 100 * abs(share_difference)
    return fmt.number(points, 1 if points < 10 else 0)


def _shares(variation, diff) -> tuple[tuple[str, float], ...]:
    """The before/after difference in shares (percentage points) allowing for year-to-year
    variation, its interval and p, and the binomial-only exact p beside them."""
    return _numbers([("difference in share (points)", 100 * variation.difference),
                     ("difference: 95% low", 100 * variation.difference_low),
                     ("difference: 95% high", 100 * variation.difference_high),
                     ("difference: p (quasi-binomial)", variation.p_value),
                     ("year-to-year dispersion", variation.dispersion),
                     ("difference: Fisher's exact p (binomial only)", diff["p_value"])])


# -- 04: SCRs per serious incident notification ------------------------------------------------
def notifications(shares: pd.DataFrame, comparison, before, after, *, refusal: str | None,
                  event: str, variation, sources=(), numerator: str = "SCRs initiated",
                  denominator: str = "serious incident notifications",
                  notebook: str = "04-notifications") -> Answer:
    """Was a rise in reviews a rise in incidents, or in the share of incidents reviewed?"""
    numerator, denominator = mid_sentence(numerator), mid_sentence(denominator)
    question = (f"Was the rise in {numerator} a rise in {denominator}, or in the share of them "
                "that led to a review?")
    first, last = shares.iloc[0], shares.iloc[-1]
    change = 100 * (last["trials"] / first["trials"] - 1)
    reviews = 100 * (last["successes"] / first["successes"] - 1)
    years = _join([f"{fmt.number(r.share)} in {r.year}" for r in shares.itertuples(index=False)])
    diff = comparison.table.set_index("quantity").loc["difference"]
    clear = variation.p_value <= 0.05
    baseline = (f"a single baseline year ({_join(list(before))})" if len(before) == 1
                else _join(list(before)))
    if clear:
        verdict = (f"the share reviewed {'rose' if variation.difference > 0 else 'fell'}, so "
                   f"the change in {numerator} was not only a change in {denominator}.")
    else:
        verdict = ("the interval is too wide to tell whether the share reviewed changed: "
                   f"these years cannot say whether the change in {numerator} was more than "
                   f"the change in {denominator}.")
    cannot = []
    if refusal:
        cannot.append(f"with so few years before {event} no model of a change there is "
                      "reported")
    if sources:
        cannot.append(f"the counts come from {_join(sorted(set(sources)))}")
    cannot.append("a notification in one year may lead to a review decision in the next")
    sentences = [
        f"{numerator[0].upper() + numerator[1:]} per 100 {denominator} were {years}; "
        f"{denominator} went {'up' if change >= 0 else 'down'} {fmt.number(abs(change))}% and "
        f"{numerator} {'up' if reviews >= 0 else 'down'} {fmt.number(abs(reviews))}% from "
        f"{first['year']} to {last['year']}.",
        f"Comparing {baseline} with {_join(list(after))} pooled, the share "
        f"{'rose' if variation.difference > 0 else 'fell'} by "
        f"{_points(variation.difference)} points. "
        + _beyond_binomial(variation, diff) + " " + verdict[0].upper() + verdict[1:],
        "What the data cannot say: " + "; ".join(cannot) + "."]
    return Answer(notebook, question, tuple(sentences), estimates=_shares(variation, diff))


KIND_WORDS = {"news": "news reports", "blog": "blog posts", "web-page": "web pages",
              "report": "reports", "official-statistics": "official statistics",
              "parliamentary-answer": "parliamentary answers", "press-release": "press releases",
              "guidance": "guidance documents", "legislation": "legislation"}


def source_kinds(dataset, source_ids) -> list[str]:
    """The kinds of source behind ``source_ids`` (';'-joined ids allowed), in plain words."""
    ids = {i for value in source_ids for i in str(value).split(";") if i}
    kinds = sorted({dataset.source(i).kind for i in ids})
    return [KIND_WORDS.get(k, k) for k in kinds]


# -- 05: sensitivity -------------------------------------------------------------------------
def sensitivity(table: pd.DataFrame, choices: pd.DataFrame, joint, *, labels=None,
                notebook: str = "05-sensitivity") -> Answer:
    """How much the estimate depends on the choices, and whether the whole curve is more than
    no change would give. ``table``: :func:`scrlib.study.sensitivity.run`; ``choices``:
    :func:`scrlib.study.sensitivity.by_choice`; ``joint``:
    :func:`scrlib.study.sensitivity.joint_test`; ``labels``: event id -> label, to name events
    in words."""
    question = "How much do the estimates depend on the choices behind them?"
    fitted = table[table["status"] == "fitted"]
    distinct = fitted[fitted["distinct"]]
    used = distinct[distinct["passes_dispersion_check"]]
    repeated = len(fitted) - len(distinct)
    rejected = len(distinct) - len(used)
    if used.empty:
        return Answer(notebook, question, (
            f"Of {len(table)} specifications, {repeated} repeat a model already counted and "
            f"all {rejected} distinct models use a family the data's own overdispersion check "
            "rejects, so these choices give no estimate worth summarising; widen the choice of "
            "family.",))
    share = 100 * used["excludes_null"].mean()
    sentences = [
        f"Of {len(table)} specifications, {repeated} repeat a model already counted and "
        f"{rejected} use a family the data's own overdispersion check rejects; across the "
        f"remaining {len(used)} distinct models the step at the policy date tested ranges from "
        f"{fmt.ratio(used['rate_ratio'].min())} to {fmt.ratio(used['rate_ratio'].max())} "
        f"(median {fmt.ratio(used['rate_ratio'].median())}).",
        f"{fmt.number(share)}% of their intervals exclude no change"
        + _driver(choices, labels or {}) + "."]
    if joint is not None and joint.models:
        share, size = joint.p_values["share"], joint.p_values["median"]
        share_p = fmt.p_phrase(share, joint.smallest_p)
        size_p = fmt.p_phrase(size, joint.smallest_p)
        margin = 2 * max(joint.monte_carlo_se(share), joint.monte_carlo_se(size))
        lead = (f"Taken together, against {joint.replicates} simulated series with no change "
                f"at the date tested (the earlier changes kept as estimated, with "
                f"{joint.assumption_words}), ")
        if max(share, size) + margin <= 0.05:
            text = ("the curve as a whole is more than such series give (share of intervals "
                    f"excluding no change {share_p}, median size {size_p}), though not under "
                    "every choice.")
        elif min(share, size) - margin > 0.05:
            text = ("the curve is not clearly more than such series give (share of intervals "
                    f"excluding no change {share_p}, median size {size_p}), so no single "
                    "specification's interval should be read as a finding.")
        else:
            text = ("the curve is at the edge of what such series give (share of intervals "
                    f"excluding no change {share_p}, median size {size_p}; with "
                    f"{joint.replicates} simulated series each p is uncertain by about "
                    f"{fmt.number(margin, 2)} either way): read it as suggestive at most, and no "
                    "single specification's interval as a finding.")
        sentences.append(lead + text)
    sentences.append("What the data cannot say: the policy dates tested fall within a year of "
                     "each other, so the curve cannot say which of them mattered.")
    estimates = [("distinct models used", len(used)),
                 ("median rate ratio", used["rate_ratio"].median()),
                 ("share of intervals excluding no change (%)", share)]
    if joint is not None and joint.models:
        estimates += [("joint test p (share)", joint.p_values["share"]),
                      ("joint test p (median)", joint.p_values["median"])]
    return Answer(notebook, question, tuple(sentences), estimates=_numbers(estimates))


def _driver(choices: pd.DataFrame, labels: dict) -> str:
    """The choice whose values move the share of intervals excluding 1 the most, in words."""
    if choices.empty:
        return ""
    spread = choices.groupby("choice")["share excluding 1"].agg(lambda v: v.max() - v.min())
    choice = spread.idxmax()
    rows = choices[choices["choice"] == choice]
    low, high = rows.loc[rows["share excluding 1"].idxmin()], rows.loc[
        rows["share excluding 1"].idxmax()]
    def words(value: str) -> str:
        return _join([labels.get(v, v) for v in str(value).split(",")])

    return (f", and that depends most on the {choice.replace('_', ' ')}: "
            f"{fmt.number(100 * low['share excluding 1'])}% with {words(low['value'])} against "
            f"{fmt.number(100 * high['share excluding 1'])}% with {words(high['value'])}")
