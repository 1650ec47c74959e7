"""The plain answer each analysis notebook opens with, generated from its results.

An :class:`Answer` is a short paragraph for a safeguarding-board member or a journalist, at
most :data:`LIMIT` words: what changed, how sure we are in words (the phrasebook's), what the
data cannot say, with a value the record keeps as an alternative said where it changes a
verdict. The p-values, weights and intervals behind it follow in its ``detail`` ("How sure, in
detail"). Every number comes from the result objects passed in; nothing is typed. The text is
plain (no Markdown), so the notebook shows it escaped and the report's index page shows the
same words; :meth:`Answer.write` saves it for the index.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scrlib.its import fmt
from scrlib.reader import phrasebook, words

LIMIT = 120  # the most words an answer or the key message may have


def word_count(text: str) -> int:
    """The words of ``text`` as a reader counts them (runs of characters between spaces)."""
    return len(str(text).split())


def fitted(compose, optional) -> tuple[str, ...]:
    """The sentences ``compose(dropped)`` gives with the fewest of ``optional`` (keys, dropped
    first to last) left out that keep them within :data:`LIMIT` words; with every key dropped
    when none does."""
    return fitting(compose, optional)[0]


def fitting(compose, optional) -> tuple[tuple[str, ...], set]:
    """:func:`fitted` and the keys it left out."""
    dropped: set = set()
    sentences = tuple(s for s in compose(dropped) if s)
    for key in optional:
        if word_count(" ".join(sentences)) <= LIMIT:
            break
        dropped.add(key)
        sentences = tuple(s for s in compose(dropped) if s)
    return sentences, dropped


@dataclass(frozen=True)
class Answer:
    """A question and its plain answer; ``sentences`` joined make the paragraph (at most
    :data:`LIMIT` words) and ``detail`` the numbers behind it, one item each."""

    notebook: str
    question: str
    sentences: tuple[str, ...]
    chart: str = ""  # the stem of a chart in the same folder that shows the answer (optional)
    # The headline numbers behind the sentences, by name, so a later run can say what moved.
    estimates: tuple[tuple[str, float], ...] = ()
    # Each cited or computed number in the sentences and the detail, as in :class:`KeyMessage`,
    # so the report links it to its evidence.
    numbers: tuple[dict, ...] = ()
    # "How sure, in detail": the p-values, weights and intervals behind the answer.
    detail: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The answer as one paragraph of plain text."""
        return " ".join(self.sentences)

    @property
    def full_text(self) -> str:
        """The answer and its detail, as plain text."""
        return " ".join((*self.sentences, *self.detail))

    def markdown(self):
        """The answer for a notebook: a bold lead-in, then the paragraph (escaped), then "How
        sure, in detail" as a list; in the report each of its numbers links to its evidence
        (each at its first place, so a number said in the answer links there)."""
        from scrlib.reader.evidence import number_anchor
        from scrlib.reader.notebook import LinkedMarkdown
        from scrlib.record.cite import escape_markdown

        text = f"**In brief.** {escape_markdown(self.text)}"
        if self.detail:
            text += ("\n\n**How sure, in detail.**\n\n"
                     + "\n".join(f"- {escape_markdown(d)}" for d in self.detail))
        links = [{"text": escape_markdown(n["text"]), "anchor": number_anchor(n)}
                 for n in self.numbers]
        seen, unique = set(), []
        for link in links:  # a number said twice links once, where it is first said
            if link["text"] not in seen and link["text"] in text:
                seen.add(link["text"])
                unique.append(link)
        return LinkedMarkdown(text, unique)

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
                          tuple(data.get("numbers", [])), tuple(data.get("detail", []))))
    return out


# -- the report's key message ---------------------------------------------------------------------
@dataclass(frozen=True)
class KeyMessage:
    """Two or three plain sentences for the first screen of the report (at most :data:`LIMIT`
    words), the chart that goes with them and the events it marks (ids, for the glossary)."""

    sentences: tuple[str, ...]
    chart: str = ""
    events: tuple[str, ...] = ()
    # Each cited or computed number in the sentences: its exact words ("text"), the series and
    # periods it comes from, and how ("" for a figure as cited, "average" or "change").
    numbers: tuple[dict, ...] = ()
    # Every number the sentences show, as shown, by what it is ((name, text) pairs): a later
    # report lists each whose text changed, at the digits a reader sees.
    shown: tuple[tuple[str, str], ...] = ()
    # The values behind the words (a p-value, a probability), by name, so a later report can
    # say when a verdict changed (a p crossing 0.05).
    estimates: tuple[tuple[str, float], ...] = ()

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
                      tuple(data.get("events", [])), tuple(data.get("numbers", [])),
                      tuple(tuple(x) for x in data.get("shown", [])),
                      tuple((k, float(v)) for k, v in data.get("estimates", [])))


def key_message(frame: pd.DataFrame, dates: dict, *, scan=None, against=None,
                series_name: str = "SCRs initiated", series: str = "scr-initiated", events=(),
                chart: str = "", bayes=None) -> KeyMessage:
    """What changed, whether a policy can be named as the cause, and what else rose, in plain
    words for a reader who reads nothing else (at most :data:`LIMIT` words); every number from
    ``frame`` (the yearly counts), ``scan`` (the search-adjusted test of the change seen),
    ``bayes`` (the Bayesian cross-check, said in one short clause beside the test) and
    ``against`` (``(paired frame, name[, series id])`` of a series the counts are set
    against)."""
    from scrlib.study.analysis import regimes

    ordered = sorted(dates.items(), key=lambda kv: pd.Timestamp(kv[1]))
    labelled = regimes(frame, {k: pd.Timestamp(v) for k, v in ordered})
    numbers = _changed_numbers(labelled, len(ordered), series)
    shown = [(_number_name(n, series_name), n["text"]) for n in numbers]
    estimates = []
    before = labelled[labelled["regime_order"] == 0]["count"].mean()
    after = labelled[labelled["regime_order"] == len(ordered)]["count"].mean()
    middle = labelled[(labelled["regime_order"] != 0)
                      & (labelled["regime_order"] != len(ordered))]["count"]
    def shape_of(dropped):
        when = [words.label(label) + ("" if "when" in dropped else
                                      f" ({pd.Timestamp(day):%B %Y})") for label, day in ordered]
        if len(middle) and middle.mean() < min(before, after):
            return (f"The fall came around {when[0]} and the recovery around "
                    f"{_join(when[1:])}"), "a dip and recovery"
        if len(middle) and middle.mean() > max(before, after):
            return (f"The rise came around {when[0]} and the fall around "
                    f"{_join(when[1:])}"), "a rise and fall"
        return f"The changes came around {_join(when)}", "a change"
    if scan is not None and scan.p_value is not None:
        one_in = _chance(scan)
        shown.append(("how often a change this large turns up by chance with no change",
                      one_in))
        estimates.append(("the search-adjusted test of no change: p", float(scan.p_value)))
    reading = _bayes_short(bayes)
    if reading:
        shown.append(("the Bayesian probability of no change", reading[1]))
        estimates.append(("the Bayesian probability of no change", reading[2]))
    paired = against[0] if against is not None else None
    name = against[1] if against is not None else ""
    against_series = against[2] if against is not None and len(against) > 2 else ""
    rises = None
    if paired is not None and len(paired) >= 2:
        first, last = paired.iloc[0], paired.iloc[-1]
        found = _rises(paired)
        rises = (found[0], found[1], first, last)
        numbers += _rise_numbers(found, against_series, series)
        shown += [(f"the change in {mid_sentence(name)}", f"{rises[0]}%"),
                  (f"the change in {mid_sentence(series_name)}", f"{rises[1]}%")]

    def compose(dropped):
        out = [_what_changed(frame, ordered, mid_sentence(series_name),
                             short="missing" in dropped)]
        shape, kind = shape_of(dropped)
        text = (f"{shape}, but {len(frame)} yearly figures cannot show that any one policy "
                "caused it") if "shape" not in dropped else (
            f"{len(frame)} yearly figures cannot show that any one policy caused the change")
        if scan is not None and scan.p_value is not None:
            where = "" if "anywhere" in dropped else ", placed anywhere in these years,"
            text += (f": with no change, {kind} this large would turn up in {_chance(scan)} "
                     "such series" if "short chance" in dropped else
                     f": if nothing had changed, {kind} this large{where} would turn up by "
                     f"chance in {_chance(scan)} such series")
            text += f" ({phrasebook.evidence(scan.p_value)} against no change"
            if reading and "bayes" not in dropped:
                text += f"; {reading[0] if 'bayes words' in dropped else reading[3]}"
            text += ")"
        out.append(text + ".")
        if rises is not None:
            first, last = rises[2], rises[3]
            ends = "" if "end year" in dropped else _end_year_words(paired)
            out.append(f"{name} also rose ({rises[0]}% from {first['year']} to {last['year']}, "
                       f"against {rises[1]}%"
                       + ("" if "for series" in dropped else f" for {mid_sentence(series_name)}")
                       + f"{ends}), so more incidents being reported may explain part of the "
                       "rise"
                       + ("" if "how much" in dropped else "; the figures cannot tell how much")
                       + ".")
        return out

    sentences = fitted(compose, ["bayes words", "end year", "how much", "anywhere",
                                 "short chance", "for series", "missing", "when", "bayes",
                                 "shape"])
    return KeyMessage(sentences, chart, tuple(events), tuple(numbers), tuple(shown),
                      _numbers(estimates))


def _number_name(number: dict, series_name: str) -> str:
    """What a number of :func:`_changed_numbers` is, in words, for the changes page."""
    periods = [p.removeprefix("FY") for p in number["periods"]]
    if number.get("how") == "average":
        return f"{series_name} a year, {periods[0]} to {periods[-1]}"
    return f"{series_name}, {_join(periods)}"


def _chance(scan) -> str:
    """'about 1 in 19' (or 'fewer than 1 in 1000' at the simulation's floor)."""
    if scan.p_value <= scan.smallest_p:
        return f"fewer than 1 in {scan.replicates + 1}"
    return f"about {_one_in(scan.p_value)}"


def _bayes_short(bayes):
    """The Bayesian reading in one short clause: (short clause, the probability as shown, the
    probability, the clause with the Bayes factor in Kass and Raftery's words), or None."""
    found = _no_change_probability(bayes)
    if found is None:
        return None
    p, se, factor, factor_se, _, _ = found
    shown = fmt.mc_probability(p, se)
    short = f"weighed the Bayesian way, no change has probability {shown}"
    return (short, shown, p,
            f"{short}, {phrasebook.bayes_factor_words(factor, factor_se)} against it")


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
              alternatives=None, sweep=None, bayes=None, counted=None,
              nearby=(),
              series_name: str = "SCRs initiated", notebook: str = "02-initiated",
              chart: str = "", series: str = "") -> Answer:
    """What happened to a yearly count around the policy dates, how sure, what is unknown.

    ``frame``: ``year`` and ``count``; ``dates``: {label: date}; ``result``: the ITS fit;
    ``explanations``: :func:`scrlib.its.explain`; ``detectable``: the
    :func:`scrlib.its.minimum_detectable_effect` table; ``influence``: the
    :func:`scrlib.its.leave_one_out` result; ``tipping``: the
    :func:`scrlib.study.sensitivity.tipping_points` table; ``alternatives``: the
    :func:`scrlib.study.sensitivity.alternatives` table (a value the record keeps as an
    alternative that changes a verdict is said); ``sweep``: ``(label, table)`` of
    :func:`scrlib.study.sensitivity.date_sweep` for one policy (the largest p over the dates its
    sources allow is said beside that step); ``bayes``: the Bayesian cross-check (default
    priors), whose reading is said beside the frequentist one; ``counted``: ``(body, event
    labels)`` where the body that counted the series changed role at those dates (said as a
    caveat); ``against``: the count paired with
    a series it is set against (:func:`scrlib.study.analysis.paired`, e.g. serious incident
    notifications) and that series' name, as ``(frame, name)``; ``nearby``: labels of other
    events close to the policy dates (shown as what the data cannot separate); ``series``: the
    counted series' id, so its numbers link to their figures (none if empty).
    """
    ordered = sorted(dates.items(), key=lambda kv: pd.Timestamp(kv[1]))
    first, last = ordered[0][0], ordered[-1][0]
    question = (f"Did the number of {series_name} change after "
                f"{_join([f'{words.label(k)} ({pd.Timestamp(v):%B %Y})' for k, v in ordered])}?")
    series_name = mid_sentence(series_name)
    nearby = [words.label(n) for n in nearby]
    counted = None if counted is None else (counted[0], [words.label(c) for c in counted[1]])
    against_series = against[2] if against is not None and len(against) > 2 else ""
    detail = [_allowing_for_the_search(step_scan, dip_scan, explanations, bayes),
              _which_explanation(explanations, result, ordered, frame),
              _one_at_a_time(result, influence, tipping, alternatives, sweep),
              _cannot_say(frame, first, last, detectable, nearby,
                          "" if against is None else _set_against(against[0], against[1],
                                                                  series_name),
                          counted)]
    estimates = [*_effect_estimates(result)]
    if step_scan is not None and step_scan.p_value is not None:
        estimates.append(("one lasting change anywhere: bootstrap p", step_scan.p_value))
    if dip_scan is not None and dip_scan.p_value is not None:
        estimates.append(("a temporary change anywhere: bootstrap p", dip_scan.p_value))
    numbers = []
    if series:
        from scrlib.study.analysis import regimes

        labelled = regimes(frame, {k: pd.Timestamp(v) for k, v in ordered})
        numbers = _changed_numbers(labelled, len(ordered), series)
    rises = _rises(against[0]) if against is not None else None
    if rises is not None and series and against_series:
        numbers += _rise_numbers(rises, against_series, series)
    scan = _leading_scan(explanations, step_scan, dip_scan)
    steps = _brief_steps(result, influence, alternatives)

    def compose(dropped):
        out = [_what_changed(frame, ordered, series_name, short="missing" in dropped)]
        if scan is not None and scan.p_value is not None:
            kind = SCAN_WORDS.get((scan.breaks, scan.kind), "a change")
            out.append(f"How sure we are: if nothing had changed, {kind} this large would turn "
                       f"up by chance in {_chance(scan)} such series "
                       f"({phrasebook.evidence(scan.p_value)} against no change).")
        out.append(_steps_sentence(steps, dropped))
        cannot = ["which policy, if any, caused the change"]
        if counted and counted[1] and "counting" not in dropped:
            cannot.append(f"{counted[0]}, which counted these reviews, changed its role at "
                          f"{_join(list(counted[1]))}")
        if rises is not None and "against" not in dropped:
            cannot.append(f"{mid_sentence(against[1])} also rose"
                          + ("" if "rises" in dropped else
                             f" ({rises[0]}% against {rises[1]}%"
                             + ("" if "for series" in dropped else f" for {series_name}")
                             + ")"))
        out.append("What the data cannot say: " + _join(cannot, "; ") + ".")
        return out

    optional = ["for series", "caveats", "rises",
                *(f"step {key}" for key, *_, flip in steps if not flip),
                "counting", "missing", *(f"step {key}" for key, *_, flip in steps if flip),
                "against"]
    return Answer(notebook, question, fitted(compose, optional), chart, _numbers(estimates),
                  tuple(numbers), tuple(d for d in detail if d))


SCAN_WORDS = {(1, "step"): "a lasting change", (2, "dip"): "a temporary change",
              (2, "step"): "two lasting changes"}  # a break scan's kind, short


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rises(paired):
    """(rise of the paired series as shown, rise of the counts as shown, the end periods) from
    its first year to its last, or None with fewer than two years."""
    if paired is None or len(paired) < 2:
        return None
    first, last = paired.iloc[0], paired.iloc[-1]
    other = 100 * (last["trials"] / first["trials"] - 1)
    mine = 100 * (last["successes"] / first["successes"] - 1)
    return (fmt.number(abs(other)), fmt.number(abs(mine)),
            [f"FY{first['year']}", f"FY{last['year']}"])


def _rise_numbers(rises, against_series: str, series: str) -> list[dict]:
    """The two rises of :func:`_rises` as number entries; where they read the same, the
    second's words are 'against <n>%' (as every sentence that says both has them), so each
    links to its own figures."""
    mine = f"{rises[1]}%" if rises[1] != rises[0] else f"against {rises[1]}%"
    return [{"text": f"{rises[0]}%", "series": against_series, "periods": rises[2],
             "how": "change"},
            {"text": mine, "series": series, "periods": rises[2], "how": "change"}]


def _leading_scan(explanations, step_scan, dip_scan):
    """The search-adjusted test for the kind of change the leading explanation at the policy
    dates is (the temporary change's, or the lasting change's)."""
    table = explanations.table
    fixed = table[(table["searched_dates"] == 0) & table["criterion"].notna()]
    best = fixed.iloc[0]["explanation"] if len(fixed) else ""
    return dip_scan if "temporary" in best else step_scan


def _brief_steps(result, influence, alternatives) -> list[tuple]:
    """Each policy's own step in a short clause, by its interval in the phrasebook's words, with
    the first caveat that weakens a clear one: (policy, clause, the clause without its caveat,
    the value the record keeps as an alternative that changes its verdict as (value, year,
    'exclude' or 'include'), or None)."""
    flips = {} if influence is None else influence.influence().set_index(
        ["intervention", "effect"])
    out = []
    for r in result.effects.itertuples(index=False):
        if r.effect != "step":
            continue
        way = "fall" if r.rate_ratio < 1 else "rise"
        where = phrasebook.interval(r.ci_low, r.ci_high)
        short = (f"the {way} at {words.label(r.intervention)} is "
                 f"{phrasebook.clear_words(r.ci_low, r.ci_high)}")
        caveat = ""
        if where == "excludes":
            before, after = result.support(r.intervention)
            key = (r.intervention, r.effect)
            if min(before, after) < 3:
                count = min(before, after)
                caveat = (f" but rests on {count} {'year' if count == 1 else 'years'} "
                          f"{'before' if before < after else 'after'} it")
            elif len(flips) and key in flips.index and bool(flips.loc[key, "flips"]):
                years = [y for y in str(flips.loc[key, "flipped_by"]).split(", ") if y]
                caveat = f" but not without {_join(years, ' or ')}"
        changed = _alternative_flips(alternatives, r.intervention)
        flip = None
        for row in changed[:1]:
            now = "exclude" if phrasebook.excludes(row.ci_low_alt, row.ci_high_alt) else "include"
            flip = (fmt.number(row.alternative), row.year, now)
        out.append((r.intervention, short + caveat, short, flip))
    return out


def _steps_sentence(steps, dropped) -> str:
    """The policies' own steps (:func:`_brief_steps`) in one sentence: each verdict kept (not
    in ``dropped`` as "step <policy>"; "caveats": without its caveat), and each value the
    record keeps as an alternative that changes a verdict, said once for the steps it
    changes."""
    groups = _flipped_steps(steps)
    alone = {names[0]: flip for flip, names in groups.items() if len(names) == 1}
    shown = []
    for key, text, short, flip in steps:
        if f"step {key}" in dropped:
            continue
        clause = short if "caveats" in dropped else text
        if flip is not None and words.label(key) in alone:
            value, year, now = flip
            clause += (f", and with {value} for {year}, the record's other value, its interval "
                       f"would {now} no change")
            alone.pop(words.label(key))
        shown.append(clause)
    parts = []
    if shown:
        lead = "On its own, " if len(shown) == 1 else "Taken one at a time, "
        parts.append(lead + _join(shown, "; "))
    for (value, year, now), names in groups.items():
        if len(names) == 1 and names[0] not in alone:
            continue  # said with its verdict
        at = (f"the interval at {names[0]} would" if len(names) == 1 else
              f"the intervals at {_join(names)} would")
        parts.append(f"with {value} for {year}, the record's other value, {at} {now} no change")
    return _capital("; ".join(parts)) + "." if parts else ""


def _flipped_steps(steps) -> dict:
    """The steps a value the record keeps as an alternative changes, by (value, year, how the
    interval would then stand): {key: [policy labels]}."""
    found: dict = {}
    for key, _, _, flip in steps:
        if flip is not None:
            found.setdefault(flip, []).append(words.label(key))
    return found


def _effect_estimates(result):
    """(name, value) for each effect's rate ratio and 95% interval of an ITS result."""
    for r in result.effects.itertuples(index=False):
        what = f"{r.intervention}, {r.effect}"
        yield from ((f"{what}: rate ratio", r.rate_ratio), (f"{what}: 95% low", r.ci_low),
                    (f"{what}: 95% high", r.ci_high), (f"{what}: p", r.p_value))


def _numbers(pairs) -> tuple[tuple[str, float], ...]:
    """Finite numbers only, as plain floats to the digits every machine shares (NaN has no
    place in JSON)."""
    import math

    from scrlib.its import digits

    return tuple((str(k), float(digits.significant(float(v), digits.OUTPUT_DIGITS)))
                 for k, v in pairs if v is not None and math.isfinite(float(v)))


def _what_changed(frame, ordered, series_name, short: bool = False) -> str:
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
    if short and len(missing) > 1:
        gap = f" ({_count(len(missing))} years are missing)"
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


def _allowing_for_the_search(step_scan, dip_scan, explanations, bayes=None) -> str:
    """The lead on how sure we are: the test that allows for the search over dates, for the
    kind of change the leading explanation at the policy dates is, and beside it the Bayesian
    reading (:func:`_bayes_reading`), each tied to what it assumes."""
    table = explanations.table
    fixed = table[(table["searched_dates"] == 0) & table["criterion"].notna()]
    best = fixed.iloc[0]["explanation"] if len(fixed) else ""
    scan = dip_scan if "temporary" in best else step_scan
    if scan is None:
        return ""
    chance = (f"fewer than 1 in {scan.replicates + 1}" if scan.p_value <= scan.smallest_p
              else f"about {_one_in(scan.p_value)}")
    kind = scan.description.split(" (")[0]
    text = (f"How sure we are: if nothing had changed, {kind} as large as this, placed anywhere "
            f"in these years, would turn up by chance in {chance} series like this one "
            f"({fmt.p_phrase(scan.p_value, scan.smallest_p)}: "
            f"{phrasebook.evidence(scan.p_value)} against no change")
    if not phrasebook.beyond_chance(scan.p_value):
        text += f", {phrasebook.chance_words(scan.p_value)}"
    text += ")"
    reading = _bayes_reading(bayes)
    return text + (f"; {reading}" if reading else "") + "."


def _which_explanation(explanations, result, ordered, frame) -> str:
    """The explanations at the policy dates: an exploratory one labelled, no "fits best" where
    a nested test cannot tell the leading two apart (and the small-sample penalty said where
    the weights differ all the same); then the model's counterfactual, described as fitted,
    beside the plain comparison of the years before and after."""
    from scrlib.reader import verdicts

    def named(row) -> str:
        note = (" (suggested by these data, so exploratory)"
                if row["basis"] == "suggested" else "")
        return plain_label(row["explanation"]) + note

    def short(row) -> str:
        return plain_label(row["explanation"])

    best, tied, disputed, rest = verdicts.leading(explanations)
    if best is None:
        return ""
    if tied:
        rows = [best, *(r for r, _ in tied)]
        direct = [t["p_value"] for _, t in tied if t is not None]
        names = _join([named(r) for r in rows])
        text = ("Of the explanations at the policy dates, "
                + (f"a direct test finds {phrasebook.evidence(max(direct))} that {names} differ "
                   f"({_join([fmt.p_phrase(p) for p in direct])}), but " if direct
                   else f"{names} cannot be told apart, but ")
                + f"{verdicts.penalty_words(explanations, rows)} gives them weights "
                f"{_join([fmt.number(r.weight, 2) for r in rows])} "
                f"({_join([fmt.number(r.weight_no_penalty, 2) for r in rows])} without it)")
    elif disputed:
        text = (f"Of the explanations at the policy dates, {named(best)} is favoured by the "
                "small-sample criterion")
    else:
        text = f"Of the explanations at the policy dates, {named(best)} fits best"
    for row, t in disputed:
        text += (f", but a direct test prefers {named(row)} ({fmt.p_phrase(t['p_value'])}), so "
                 "the data do not settle which")
    leaders = [best, *(r for r, _ in tied), *(r for r, _ in disputed)]
    for row, _ in rest:
        text += "; " + verdicts.gap_words(explanations, row, best, short)
        also = verdicts.against_others(explanations, row, leaders, short)
        if also:
            text += f", and {also}"
    steps = [f"{name}:step" for name, _ in ordered if f"{name}:step" in result.names]
    if len(steps) >= 2:
        both = result.contrast(dict.fromkeys(steps, 1.0))
        interval = fmt.interval(both["ci_low"], both["ci_high"])
        base = ("what the level and trend fitted across all the years, without the policy "
                "changes, would predict")
        if not phrasebook.excludes(both["ci_low"], both["ci_high"]):
            text += (f"; by the end the count was "
                     f"{phrasebook.clearly(both['ci_low'], both['ci_high'])} different from "
                     f"{base} (all the "
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


def _one_at_a_time(result, influence, tipping=None, alternatives=None, sweep=None) -> str:
    """Each policy's own step: clear, not clear, at the edge (an end of its interval near no
    change), or clear with the caveats that weaken it, and the smallest undercount of a year
    that would change that either way (``tipping``); a value the record keeps as an
    alternative that changes it (``alternatives``) is said with its numbers."""
    flips = {} if influence is None else influence.influence().set_index(
        ["intervention", "effect"])
    pieces = []
    for r in result.effects.itertuples(index=False):
        if r.effect != "step":
            continue
        shown = (f"rate ratio {fmt.ratio(r.rate_ratio)}, 95% interval "
                 f"{fmt.interval(r.ci_low, r.ci_high)}")
        changed = _alternative_flips(alternatives, r.intervention)
        said = [_alternative_words(f) for f in changed] + _sweep_words(sweep, r)
        tip = _smallest_tip(tipping, r.intervention,
                            skip=[(f.year, float(f.alternative)) for f in changed])
        where = phrasebook.interval(r.ci_low, r.ci_high)
        if where != "excludes":
            which = ("which includes no change" if where == "includes" else
                     f"an end within {phrasebook.NEAR:.0%} of no change")
            pieces.append(f"the change at {r.intervention} is "
                          f"{phrasebook.clear_words(r.ci_low, r.ci_high)} ({shown}, {which}; "
                          f"{fmt.p_phrase(r.p_value)}, {phrasebook.evidence(r.p_value)})"
                          + (": " + _join(said) if said else "")
                          + (f", and {tip} would make its interval "
                             f"{'exclude' if r.ci_low <= 1 <= r.ci_high else 'include'} no "
                             "change" if tip else ""))
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
        caveats += said
        if tip:
            caveats.append(f"{tip} would make its interval include no change")
        if caveats:
            pieces.append(f"the change at {r.intervention} has an interval that excludes no "
                          f"change ({shown}), but {_join(caveats)}")
        else:
            pieces.append(f"the change at {r.intervention} is "
                          f"{phrasebook.clear_words(r.ci_low, r.ci_high)} on its own ({shown})")
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
               if phrasebook.beyond_chance(found.p_value) else
               "the share of them that led to a review cannot be told from no change")
    return (f"whether the rebound was more incidents notified or boards reviewing more readily: "
            f"{name} also rose ({fmt.number(abs(other))}% from {first['year']} to "
            f"{last['year']}, against {fmt.number(abs(mine))}% for {series_name}"
            f"{_end_year_words(paired)}), and "
            f"{verdict} ({first['year']} against the years after, allowing for their "
            f"year-to-year variation: {fmt.p_phrase(found.p_value)})")


def _end_year_words(paired: pd.DataFrame) -> str:
    """'; which rose faster depends on the end year' where it does, over every end year the
    record allows ('' where it does not)."""
    from scrlib.study.analysis import end_year_changes

    changes = end_year_changes(paired)
    faster = set(np.sign(changes["successes_change"] - changes["trials_change"]))
    return "; which rose faster depends on the end year" if len(faster) > 1 else ""


def _smallest_tip(tipping, policy: str, skip=()) -> str:
    """The smallest miscount of a year that changes ``policy``'s conclusion, either way, in
    words ('' if none, or if it is one of ``skip``: (year, count) pairs said already)."""
    if tipping is None or not len(tipping):
        return ""
    mine = tipping[(tipping["policy"] == policy) & tipping["tipping_share"].notna()]
    if mine.empty:
        return ""
    row = mine.loc[mine["tipping_share"].idxmin()]
    if (row["year"], float(row["tipping_count"])) in set(skip):
        return ""
    moved = int(abs(row["tipping_count"] - row["recorded"]))
    way = "more" if row["tipping_count"] > row["recorded"] else "fewer"
    points = 100 * row["tipping_share"]
    return (f"{moved} {way} {'review' if moved == 1 else 'reviews'} in {row['year']} than "
            f"recorded ({fmt.number(points, 1 if points < 10 else 0)}%)")


def _sweep_words(sweep, row) -> list[str]:
    """A clause for the step at the policy whose date was swept: the largest p over the dates
    its sources allow, where that is larger than at the date used."""
    if sweep is None or sweep[0] != row.intervention or not len(sweep[1]):
        return []
    worst = sweep[1].loc[sweep[1]["p_value"].idxmax()]
    if fmt.p(worst["p_value"]) == fmt.p(row.p_value):
        return []
    return [f"dated earlier within what its sources allow, its p rises to "
            f"{fmt.p(worst['p_value'])} ({worst['date']:%B %Y})"]


def _alternative_flips(alternatives, policy: str) -> list:
    """The record's alternative values that change ``policy``'s conclusion (rows)."""
    if alternatives is None or not len(alternatives):
        return []
    mine = alternatives[(alternatives["policy"] == policy) & alternatives["changes"]]
    return list(mine.itertuples(index=False))


def _alternative_words(row) -> str:
    """'with 71 for 2010-11, the record's other value, its interval excludes no change (rate
    ratio 2.50, 95% interval 1.003 to 9.96; p = 0.0496)'."""
    now = "excludes" if phrasebook.excludes(row.ci_low_alt, row.ci_high_alt) else "includes"
    return (f"with {fmt.number(row.alternative)} for {row.year}, the record's other value, "
            f"its interval {now} no change (rate ratio {fmt.ratio(row.estimate_alt)}, 95% "
            f"interval {fmt.interval(row.ci_low_alt, row.ci_high_alt)}; "
            f"{fmt.p_phrase(row.p_value_alt)})")


def _one_in(p: float) -> str:
    n = max(2, round(1 / max(p, 1e-9)))
    return f"1 in {n}"


def _cannot_say(frame, first, last, detectable, nearby, against: str = "",
                counted=None) -> str:
    text = ("What the data cannot say: which policy, if any, caused the change, since "
            + (f"{_join(list(nearby))} came within a year of {last}, " if nearby else "")
            + f"{len(frame)} yearly points are few"
            + (f"; {_counting_words(*counted)}" if counted and counted[1] else "")
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


def _counting_words(body: str, labels) -> str:
    """The counting caveat in one clause: the body that counted the series is the one whose
    role changed at the tested date(s)."""
    return (f"{body} counted these reviews and its role changed at {_join(list(labels))}, so a "
            "change in counting would look exactly like an effect")


def _no_change_probability(bayes):
    """(probability, its Monte Carlo error, Bayes factor against no change, its error, the
    explanations counted, the explanations left out) for no change among the explanations not
    suggested by these counts, under their prior odds; None without a result or a no-change
    explanation."""
    if bayes is None:
        return None
    every = bayes.explanations
    table = every[every["basis"] != "suggested"]
    none = table[table["explanation"] == "no change"]
    if none.empty:
        return None
    total, prior_total = float(table["probability"].sum()), float(table["prior"].sum())
    row = none.iloc[0]
    p, se = float(row["probability"]) / total, float(row["probability_se"]) / total
    prior = float(row["prior"]) / prior_total
    factor = phrasebook.posterior_odds_factor(p, prior)
    # the factor's Monte Carlo error from the probability's: d factor / d p = -factor / (p q)
    factor_se = factor * se / (p * (1 - p)) if 0 < p < 1 else float("nan")
    return p, se, factor, factor_se, table, every


def _bayes_reading(bayes) -> str:
    """The Bayesian reading in one clause, tied to what it assumes: the posterior probability
    of no change among the explanations not suggested by these counts (an explanation the data
    suggested would make no change look less probable than a test fixed in advance could),
    under their prior odds, the Bayes factor against it in Kass and Raftery's words, and the
    probability with every explanation counted beside it ('' without a result, or without a
    no-change explanation)."""
    found = _no_change_probability(bayes)
    if found is None:
        return ""
    p, se, factor, factor_se, table, every = found
    row = every[every["explanation"] == "no change"].iloc[0]
    prior = float(table.loc[table["explanation"] == "no change", "prior"].iloc[0]) / float(
        table["prior"].sum())
    equal = bool(np.allclose(table["prior"], table["prior"].iloc[0]))
    left = len(every) - len(table)
    which = (f"the {_count(len(table))} explanations not suggested by these counts" if left
             else f"the {_count(len(table))} explanations")
    odds = (f"{which} equally likely beforehand" if equal
            else f"{which}, no change given prior probability {fmt.number(prior, 2)}")
    shown = phrasebook.about(factor)
    if fmt.mc_step(factor_se) > 10 ** (math.floor(math.log10(factor)) - 1):
        shown = fmt.with_error(factor, factor_se)
    also = (f"; {fmt.mc_probability(row['probability'], row['probability_se'])} if the one "
            "these counts suggested is counted too" if left else "")
    return (f"weighed the Bayesian way ({odds}), no change has probability "
            f"{fmt.mc_probability(p, se)} after seeing the counts (a Bayes factor of about "
            f"{shown} against it: {phrasebook.bayes_factor_words(factor, factor_se)}{also})")


def _count(n: int) -> str:
    """A small count in words ("five"), a larger one in figures."""
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if 0 <= n < len(words) else str(n)


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
                sources=(), forms=None, series=(), notebook: str = "03-publication") -> Answer:
    """How the published share of commissioned reviews moved, how sure, and what is unknown.

    ``shares``: :func:`scrlib.study.analysis.paired` rows (``year``, ``successes``, ``trials``,
    ``share``); ``comparison``: the exact before/after comparison (binomial variation only);
    ``variation``: the same years compared allowing for year-to-year variation
    (:func:`scrlib.its.compare_shares`); ``sources``: the kinds of source the figures come from;
    ``forms``: :func:`scrlib.study.analysis.dispersion_forms` (a form of the extra variation
    under which the verdict changes is said, in the answer too); ``series``: the ids of the
    two counts (published, commissioned), so each count links to its figures.
    """
    question = "Did the share of commissioned SCRs that were published rise?"
    events = [words.label(e) for e in events]
    sources = list(sources)
    numbers = _share_numbers(shares, series, ("published", "commissioned"))

    def years(dropped) -> str:
        rows = list(shares.itertuples(index=False))
        if "years" in dropped and len(rows) > 2:
            rows = [rows[0], rows[-1]]
        return _join([f"{fmt.number(r.share)}% in {r.year} ({fmt.number(r.successes)} "
                       f"published, {fmt.number(r.trials)} commissioned)" if series else
                       f"{fmt.number(r.share)}% in {r.year} ({fmt.number(r.successes)} of "
                       f"{fmt.number(r.trials)})" for r in rows])
    diff = comparison.table.set_index("quantity").loc["difference"]
    flipped = _forms_flipped(forms, variation)

    def compose(dropped):
        sure = (f"Comparing {_join(list(before))} with {_join(list(after))}, the share "
                f"{'rose' if variation.difference > 0 else 'fell'} by "
                f"{_points(variation.difference)} percentage points; allowing for how much such "
                "shares vary from year to year, that is "
                f"{phrasebook.chance_words(variation.p_value)}")
        if phrasebook.beyond_chance(diff["p_value"]) != phrasebook.beyond_chance(
                variation.p_value) and "binomial" not in dropped:
            sure += (", though binomial counts alone would make it "
                     f"{phrasebook.chance_words(diff['p_value'])}")
        if flipped:
            sure += (f", and if the extra variation grew with the denominator it would be "
                     f"{phrasebook.chance_words(min(flipped))}")
        cannot = (f"What the data cannot say: {len(shares)} years"
                  + (f" from {_join(sorted(set(sources)))}" if sources else "")
                  + " cannot separate " + (_join(events) if events else "the policy changes")
                  + " from each other or from a backlog of older reviews being published")
        if "earlier" not in dropped:
            cannot += (", and a review published in one year may have been commissioned in an "
                       "earlier one")
        if "full" in dropped:
            return [cannot.replace("What the data cannot say:", "What the data cannot say, in "
                                   "full:") + "."]
        return [f"Published SCRs as a share of those commissioned were {years(dropped)}.",
                sure + ".", cannot + "."]

    detail = [_beyond_binomial(variation, diff, _at_low_dispersion(shares, before, after,
                                                                   variation)
                               + _other_forms(forms, variation))]
    brief, dropped = fitting(compose, ["earlier", "binomial", "years"])
    if "earlier" in dropped:
        detail += compose({"full"})
    return Answer(notebook, question, brief, estimates=_shares(variation, diff),
                  numbers=tuple(numbers), detail=tuple(detail))


def _share_numbers(shares, series, names=None) -> list[dict]:
    """Each year's share (computed from the two counts) and, with ``names``, each count as
    '<n> <name>' (a cited figure), as number entries ('' series: none)."""
    if len(series) != 2:
        return []
    out = []
    for r in shares.itertuples(index=False):
        period = [f"FY{r.year}"]
        if names:
            out += [{"text": f"{fmt.number(r.successes)} {names[0]}", "series": series[0],
                     "periods": period, "how": ""},
                    {"text": f"{fmt.number(r.trials)} {names[1]}", "series": series[1],
                     "periods": period, "how": ""}]
    return out


def _forms_flipped(forms, variation) -> list[float]:
    """The p-values of the forms of extra variation under which the verdict changes."""
    if forms is None or not len(forms):
        return []
    main = phrasebook.beyond_chance(variation.p_value)
    other = forms[forms["form"] != "quasi-binomial"]
    return [float(p) for p in other["p"] if phrasebook.beyond_chance(p) != main]


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
    return (f"; that estimate rests on {_df_words(variation.df)} (95% range "
            f"{fmt.number(low, 1)} to {fmt.number(high)}), and at its low end "
            f"{fmt.p_phrase(at_low.p_value)}")


def _other_forms(forms, variation) -> str:
    """A clause for each form of the extra variation under which the verdict changes ('' if
    none does)."""
    if forms is None or not len(forms):
        return ""
    main = phrasebook.beyond_chance(variation.p_value)
    out = []
    for form, rows in forms[forms["form"] != "quasi-binomial"].groupby("form", sort=False):
        flipped = rows[rows["p"].map(phrasebook.beyond_chance) != main]
        if len(flipped):
            out.append(f"; if the extra variation grew with the denominator ({form}) p would be "
                       f"{_join(sorted({fmt.p(v) for v in rows['p']}), ' to ')}")
    return "".join(out)


def _beyond_binomial(variation, diff, borrowed: str = "") -> str:
    """The comparison first as binomial counts would have it, then allowing for how much such
    shares vary from year to year, in words; ``borrowed`` adds the range of a borrowed
    dispersion."""
    own = variation.source == "these years"
    how = (f"these years' shares varied {fmt.number(variation.dispersion, 1)} times as much as "
           f"binomial counts would (chi-squared {fmt.number(variation.chi2, 1)} with "
           f"{_df_words(variation.df)}, {fmt.p_phrase(variation.chi2_p)})" if own else
           f"these two years cannot show how much such shares vary, so this borrows an "
           f"assumption from another share: {variation.source} varied "
           f"{fmt.number(variation.dispersion, 1)} times as much as binomial counts would")
    return (f"If the shares varied from year to year only as binomial counts do, that "
            f"{phrasebook.would_be(diff['p_value'])} (Fisher's "
            f"exact {fmt.p_phrase(diff['p_value'])}); but {how}, and allowing for that the "
            f"change is {phrasebook.chance_words(variation.p_value)} (95% interval "
            f"{fmt.number(100 * variation.difference_low)} to "
            f"{fmt.number(100 * variation.difference_high)} points; "
            f"{fmt.p_phrase(variation.p_value)}, a t-test with {_df_words(variation.df)}"
            f"{borrowed}).")


def _df_words(df) -> str:
    """Degrees of freedom in words ("2 degrees of freedom")."""
    return f"{fmt.number(df)} degree{'' if float(df) == 1 else 's'} of freedom"


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
                  denominator: str = "serious incident notifications", series=(),
                  notebook: str = "04-notifications") -> Answer:
    """Was a rise in reviews a rise in incidents, or in the share of incidents reviewed?
    ``series``: the ids of the two counts (reviews, notifications), so the changes in them
    link to their figures."""
    numerator, denominator = mid_sentence(numerator), mid_sentence(denominator)
    event = words.label(event)
    question = (f"Was the rise in {numerator} a rise in {denominator}, or in the share of them "
                "that led to a review?")
    first, last = shares.iloc[0], shares.iloc[-1]
    change = 100 * (last["trials"] / first["trials"] - 1)
    reviews = 100 * (last["successes"] / first["successes"] - 1)
    numbers = []
    if len(series) == 2:
        ends = [f"FY{first['year']}", f"FY{last['year']}"]
        numbers = [{"text": f"{fmt.number(abs(change))}%", "series": series[1],
                    "periods": ends, "how": "change"},
                   {"text": f"{fmt.number(abs(reviews))}%", "series": series[0],
                    "periods": ends, "how": "change"}]
    diff = comparison.table.set_index("quantity").loc["difference"]
    clear = phrasebook.beyond_chance(variation.p_value)
    baseline = _join(list(before))
    later = (f"the {_count(len(after))} years after it, pooled" if len(after) > 2
             else _join(list(after)))
    if clear:
        verdict = (f"so the change in {numerator} was not only a change in {denominator}")
    else:
        verdict = (f"so these years cannot say whether the change in {numerator} was more "
                   f"than the change in {denominator}")

    def compose(dropped):
        cannot = []
        if refusal:
            cannot.append(f"with so few years before {event} no model of a change there is "
                          "reported")
        if sources and "sources" not in dropped:
            cannot.append(f"the counts come from {_join(sorted(set(sources)))}")
        if "next year" not in dropped:
            cannot.append("a notification in one year may lead to a review decision in the "
                          "next")
        sure = (f"Comparing {baseline} with {later}, the share "
                f"{'rose' if variation.difference > 0 else 'fell'} by "
                f"{_points(variation.difference)} points; allowing for how much such shares vary "
                f"from year to year, that is {phrasebook.chance_words(variation.p_value)}")
        if phrasebook.beyond_chance(diff["p_value"]) != clear and "binomial" not in dropped:
            sure += (", though binomial counts alone would make it "
                     f"{phrasebook.chance_words(diff['p_value'])}")
        if "full" in dropped:
            return ["What the data cannot say, in full: " + "; ".join(cannot) + "."]
        years = (_join([f"{fmt.number(r.share)} in {r.year}"
                        for r in shares.itertuples(index=False)]) if "years" not in dropped
                 else f"{fmt.number(first['share'])} in {first['year']} and "
                      f"{fmt.number(last['share'])} in {last['year']}, between them from "
                      f"{fmt.number(shares['share'].min())} to "
                      f"{fmt.number(shares['share'].max())}")
        return [
            f"{numerator[0].upper() + numerator[1:]} per 100 {denominator} were {years}; "
            f"{denominator} went {'up' if change >= 0 else 'down'} {fmt.number(abs(change))}% "
            f"and {numerator} {'up' if reviews >= 0 else 'down'} {fmt.number(abs(reviews))}% "
            f"from {first['year']} to {last['year']}"
            + ("" if "end year" in dropped else _end_year_words(shares)) + ".",
            f"{sure}, {verdict}.",
            ("What the data cannot say: " + "; ".join(cannot) + ".") if cannot else ""]

    detail = [_beyond_binomial(variation, diff) + " " + (
        "The share reviewed changed." if clear else
        "The interval is too wide to tell whether the share reviewed changed.")]
    brief, dropped = fitting(compose, ["sources", "next year", "binomial", "years",
                                       "end year"])
    if dropped & {"sources", "next year"}:
        detail += compose({"full"})
    return Answer(notebook, question, brief, estimates=_shares(variation, diff),
                  numbers=tuple(numbers), detail=tuple(detail))


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
                data=None, notebook: str = "05-sensitivity") -> Answer:
    """How much the estimate depends on the choices, and whether the whole curve is more than
    no change would give. ``table``: :func:`scrlib.study.sensitivity.run`; ``choices``:
    :func:`scrlib.study.sensitivity.by_choice`; ``joint``:
    :func:`scrlib.study.sensitivity.joint_test`; ``labels``: event id -> label, to name events
    in words; ``data``: ``(series id, period codes)`` of the counts the models are fitted to,
    so the range of estimates links to the figures it is computed from."""
    question = "How much do the estimates depend on the choices behind them?"
    fitted_rows = table[table["status"] == "fitted"]
    distinct = fitted_rows[fitted_rows["distinct"]]
    used = distinct[distinct["passes_dispersion_check"]]
    unfitted = len(table) - len(fitted_rows)
    repeated = len(fitted_rows) - len(distinct)
    rejected = len(distinct) - len(used)
    counts = (f"Of {len(table)} specifications, "
              + (f"{unfitted} could not be fitted (these years do not identify them), "
                 if unfitted else "")
              + f"{repeated} repeat a model already counted and ")
    if used.empty:
        return Answer(notebook, question, (
            counts + f"all {rejected} distinct models use a family the data's own "
            "overdispersion check rejects, so these choices give no estimate worth summarising; "
            "widen the choice of family.",))
    share = 100 * used["excludes_null"].mean()
    span = (f"{fmt.ratio(used['rate_ratio'].min())} to "
            f"{fmt.ratio(used['rate_ratio'].max())} times the level before (median "
            f"{fmt.ratio(used['rate_ratio'].median())})")
    numbers = []
    if data is not None and data[0] and len(data[1]):
        numbers = [{"text": span, "series": data[0], "periods": list(data[1]), "how": "model"}]
    detail = [counts + f"{rejected} use a family the data's own overdispersion check rejects; "
              f"the remaining {len(used)} distinct models are summarised."]
    reading = ""
    if joint is not None and joint.models:
        p_share, p_size = joint.p_values["share"], joint.p_values["median"]
        share_p = fmt.p_phrase(p_share, joint.smallest_p)
        size_p = fmt.p_phrase(p_size, joint.smallest_p)
        margin = 2 * max(joint.monte_carlo_se(p_share), joint.monte_carlo_se(p_size))
        where = phrasebook.simulated_together(
            [(p_share, joint.monte_carlo_se(p_share)), (p_size, joint.monte_carlo_se(p_size))])
        if where == "below":
            reading = ("Taken together, the curve as a whole is more than series with no change "
                       "give, though not under every choice.")
        elif where == "above":
            reading = (f"Taken together, the curve is {phrasebook.NOT_BEYOND} series with no "
                       "change give, so no single specification's interval should be read as a "
                       "finding.")
        else:
            reading = (f"Taken together, the curve is {phrasebook.EDGE} of what series with no "
                       f"change give: {phrasebook.EDGE_READING}, and no single specification's "
                       "interval as a finding.")
        detail.append(
            f"The joint test: against {joint.replicates} simulated series with no change at the "
            f"date tested (the earlier changes kept as estimated, with "
            f"{joint.assumption_words}), the share of intervals excluding no change has "
            f"{share_p} and the median size {size_p}"
            + (f"; with {joint.replicates} simulated series each p is uncertain by about "
               f"{fmt.number(margin, 2)} either way" if where == phrasebook.EDGE else "") + ".")

    def compose(dropped):
        return [
            f"Across the {len(used)} distinct models that fit how much the counts vary, the "
            f"step at the policy date tested ranges from {span}; {fmt.number(share)}% of their "
            "intervals exclude no change"
            + ("" if "driver" in dropped else _driver(choices, labels or {})) + ".",
            reading,
            "What the data cannot say: the policy dates tested fall within a year of each "
            "other, so the curve cannot say which of them mattered."]

    estimates = [("distinct models used", len(used)),
                 ("median rate ratio", used["rate_ratio"].median()),
                 ("share of intervals excluding no change (%)", share)]
    if joint is not None and joint.models:
        estimates += [("joint test p (share)", joint.p_values["share"]),
                      ("joint test p (median)", joint.p_values["median"])]
    return Answer(notebook, question, fitted(compose, ["driver"]), estimates=_numbers(estimates),
                  numbers=tuple(numbers), detail=tuple(detail))


def _driver(choices: pd.DataFrame, labels: dict) -> str:
    """The choice whose values move the share of intervals excluding 1 the most, in words."""
    if choices.empty:
        return ""
    spread = choices.groupby("choice")["share excluding 1"].agg(lambda v: v.max() - v.min())
    choice = spread.idxmax()
    rows = choices[choices["choice"] == choice]
    low, high = rows.loc[rows["share excluding 1"].idxmin()], rows.loc[
        rows["share excluding 1"].idxmax()]
    def named(value: str) -> str:
        return _join([words.label(labels.get(v, v)) for v in str(value).split(",")])

    what = words.CHOICE.get(choice, choice.replace("_", " "))
    return (f", and that depends most on the {what[:1].lower() + what[1:]}: "
            f"{fmt.number(100 * low['share excluding 1'])}% with {named(low['value'])} against "
            f"{fmt.number(100 * high['share excluding 1'])}% with {named(high['value'])}")
