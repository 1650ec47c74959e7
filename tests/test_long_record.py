"""The whole record, 2003 to 2026 (notebook 07): a series is never joined across a change of
system or a missing year, rates are counts over their denominators, a trend is fitted within one
system only, and the plain answer is short, computed and linked to its evidence."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest

from scrlib import its
from scrlib.reader import long_record as reader
from scrlib.reader import phrasebook
from scrlib.reader.evidence import number_anchor
from scrlib.record.periods import parse_period
from scrlib.study import long_record

REVIEWS = ["scr-cases-csci", "scr-initiated", "cspr-rapid-reviews", "lcspr-considered"]
NOTIFICATIONS = ["sin-total", "cspr-notifications"]


@pytest.fixture(scope="module")
def record(dataset):
    """The notebook's computations with its default parameters."""
    table = long_record.pieces(dataset, [*REVIEWS, *NOTIFICATIONS])
    gaps = long_record.missing_years(dataset, table)
    shares, apart = long_record.per_notification(dataset, table, REVIEWS, NOTIFICATIONS)
    trends = long_record.trends(dataset, table, "sin-total", ["sin-population", "cin-31-march", ""],
                                family="quasipoisson", min_years=5)
    return {"table": table, "gaps": gaps, "shares": shares, "apart": apart, "trends": trends}


class OtherSystems:
    """The dataset, but with ``series`` counted under another system from ``day`` on (a break
    of definition between two consecutive years)."""

    def __init__(self, dataset, series: str, day: str):
        self._dataset, self._series, self._day = dataset, series, pd.Timestamp(day)

    def __getattr__(self, name):
        return getattr(self._dataset, name)

    def system_of(self, series_id: str, period: str) -> str:
        found = self._dataset.system_of(series_id, period)
        if series_id == self._series and parse_period(period).start >= self._day:
            return "national-panel"
        return found


def _consecutive_years_of_one_system(points: pd.DataFrame) -> bool:
    years = [long_record.financial_year(s) for s in points["start"]]
    return (points["system_id"].nunique() == 1 and points["kind"].nunique() == 1
            and all(b == a + 1 for a, b in itertools.pairwise(years)))


def _drawn_lines(fig, table: pd.DataFrame, dataset) -> list[pd.DataFrame]:
    """The figures each line of the chart joins (its points matched back to the table)."""
    lines = []
    for ax in fig.axes:
        for line in ax.get_lines():
            x = [pd.Timestamp(v) for v in line.get_xdata()]
            y = [float(v) for v in line.get_ydata()]
            if len(x) < 2 or len({*x}) < 2 or "yearly average" in line.get_label():
                continue
            joined = []
            for xi, yi in zip(x, y, strict=True):
                if math.isnan(yi):
                    continue
                hit = table[(table["drawn"] == long_record.DRAWN)
                            & (table["start"] <= xi) & (table["end"] >= xi)
                            & (table["value"] == yi)]
                assert len(hit) >= 1, (line.get_label(), xi, yi)
                joined.append(hit.iloc[0])
            # a NaN inside one line would be a gap the eye could still read as one series
            assert not any(math.isnan(v) for v in y), line.get_label()
            lines.append(pd.DataFrame(joined))
    return lines


def test_no_line_joins_figures_across_a_missing_year_or_a_change_of_system(dataset, record):
    """Every drawn line joins consecutive whole years of one kind under one system only; the
    notifications are cut at 2017-18 (no figure) and at the change of system after it."""
    table, gaps = record["table"], record["gaps"]
    fig = reader.plot_record(dataset, table, gaps, [("Reviews", REVIEWS),
                                                     ("Notifications", NOTIFICATIONS)])
    lines = _drawn_lines(fig, table, dataset)
    assert lines and all(_consecutive_years_of_one_system(p) for p in lines)
    notified = [p for p in lines if p["series_id"].iloc[0] == "sin-total"]
    assert [list(p["period"].iloc[[0, -1]]) for p in notified] == [
        ["FY2012-13", "FY2016-17"], ["FY2018-19", "FY2025-26"]]
    assert notified[0]["system_id"].iloc[0] != notified[1]["system_id"].iloc[0]
    # the chart's data (its CSV) has the gap: a "no figure" row and a new line piece after it
    data = long_record.chart_data(dataset, table, gaps)
    mine = data[data["Series"] == "Serious incident notifications"].reset_index(drop=True)
    where = mine.index[mine["Period"] == "2017-18"][0]
    assert mine.loc[where, "Drawn as"] == long_record.NO_FIGURE
    assert pd.isna(mine.loc[where, "Line piece"])
    assert mine.loc[where - 1, "Line piece"] != mine.loc[where + 1, "Line piece"]
    scrs = data[data["Series"] == "SCRs initiated"]
    assert list(scrs.loc[scrs["Drawn as"] == long_record.NO_FIGURE, "Period"]) == [
        "2011-12", "2016-17 to 2018-19"]  # and on to the end of the SCRs' system


def test_each_review_system_is_named_beside_its_bar_not_across_it(dataset, record):
    """In the strip of review systems every name sits wholly before or after its own bar, on
    its own row, and inside the figure: none runs across a bar's edge or off the page."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = reader.plot_record(dataset, record["table"], record["gaps"],
                             [("Reviews", REVIEWS), ("Notifications", NOTIFICATIONS)])
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    strip = fig.axes[-1]
    bars, names = strip.patches, strip.texts
    assert len(bars) == len(names) >= 5
    page = fig.bbox
    for bar, name in zip(bars, names, strict=True):
        b, t = bar.get_window_extent(renderer), name.get_window_extent(renderer)
        assert t.x1 <= b.x0 or t.x0 >= b.x1, name.get_text()
        assert b.y0 <= (t.y0 + t.y1) / 2 <= b.y1, name.get_text()
        assert page.x0 <= t.x0 and t.x1 <= page.x1, name.get_text()
    assert not any("\u2190" in name.get_text() for name in names)


def test_a_change_of_system_between_consecutive_years_cuts_the_line(dataset):
    """With no year missing, a change of system alone starts a new line piece, and the chart
    draws two lines; the chart's data says so."""
    moved = OtherSystems(dataset, "sin-total", "2014-04-01")
    table = long_record.pieces(moved, ["sin-total"])
    years = table[(table["drawn"] == long_record.DRAWN) & (table["start"] >= "2012-04-01")
                  & (table["end"] <= "2017-03-31")]
    assert list(years["period"]) == ["FY2012-13", "FY2013-14", "FY2014-15", "FY2015-16",
                                     "FY2016-17"]
    assert years["piece"].tolist() == [2, 2, 3, 3, 3]
    gaps = long_record.missing_years(moved, table)
    fig = reader.plot_record(moved, table, gaps, [("Notifications", ["sin-total"])])
    lines = _drawn_lines(fig, table, moved)
    assert all(_consecutive_years_of_one_system(p) for p in lines)
    assert ["FY2013-14", "FY2014-15"] not in [list(p["period"]) for p in lines]
    assert not any({"FY2013-14", "FY2014-15"} <= set(p["period"]) for p in lines)


def test_rates_are_counts_over_their_denominators(dataset, record):
    """Each rate is the resolved count over the denominator the record pairs with its year
    (children in need at 31 March before the year; the population beside the year), with the
    exact Poisson interval of the count; the reader table shows the same numbers, rounded."""
    from statsmodels.stats.rates import confint_poisson

    table = record["table"]
    resolved = dataset.resolved()
    value = dict(zip(zip(resolved["series_id"], resolved["period"], strict=True),
                     resolved["value"], strict=True))
    for denominator, per in (("cin-31-march", 1_000), ("sin-population", 10_000)):
        rates = long_record.rates(dataset, table, denominator, per)
        assert len(rates) >= 4
        for r in rates.itertuples(index=False):
            count = value[(r.series_id, r.period)]
            if denominator == "cin-31-march":
                start = parse_period(r.period).start
                day = (start - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
                assert r.denominator_period == f"{day}..{day}"
            else:
                assert r.denominator_period == r.period
            below = value[(denominator, r.denominator_period)]
            assert r.rate == pytest.approx(per * count / below, rel=1e-12)
            low, high = confint_poisson(count, below / per, method="exact-c")
            assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=1e-9)
        shown = reader.rates_table(dataset, rates, denominator, per)
        column = next(c for c in shown.columns if c.startswith("Rate per"))
        digits = len(shown[column].iloc[0].split(".")[1])
        for text, r in zip(shown[column], rates.itertuples(index=False), strict=True):
            assert abs(float(text) - per * r.count / r.denominator) <= 0.5 * 10 ** -digits
    # DfE's own pairing agrees with the one used: the count beside a year is the same
    assert long_record.check_pairing(dataset, "cin-31-march", "sin-cin-31-march") == []


def test_reviews_are_set_against_notifications_only_within_one_system(dataset, record):
    shares = record["shares"]
    assert len(shares) and all(
        dataset.system_of(r.review, r.period) == dataset.system_of(r.notification, r.period)
        for r in shares.itertuples(index=False))
    assert (shares["share"] == 100 * shares["successes"] / shares["trials"]).all()
    # LCSPRs and notifications share 2023-24 but not a system: never divided
    assert ("lcspr-considered", "sin-total") in record["apart"]
    assert "lcspr-considered" not in set(shares["review"])


def test_a_trend_alone_is_the_quasi_poisson_glm_with_its_f_test():
    """its.fit with no intervention: the log-linear trend with the exposure as offset, as R's
    glm(count ~ t + offset(log(exposure)), quasipoisson) and its anova F test give it."""
    import statsmodels.api as sm
    from scipy import stats

    counts = np.array([498, 449, 536, 442, 456, 405, 338, 357], dtype=float)
    exposure = np.array([404710, 399510, 389260, 388490, 404310, 403090, 399460, 402400.0])
    data = pd.DataFrame({"year": [pd.Period(str(y), freq="Y-MAR") for y in range(2019, 2027)],
                         "count": counts, "exposure": exposure})
    result = its.fit(data, outcome="count", time="year", interventions={},
                     family="quasipoisson", offset="exposure")
    t = np.arange(len(counts), dtype=float)
    full = sm.GLM(counts, sm.add_constant(t), family=sm.families.Poisson(),
                  offset=np.log(exposure)).fit(scale="X2")
    null = sm.GLM(counts, np.ones((len(t), 1)), family=sm.families.Poisson(),
                  offset=np.log(exposure)).fit()
    trend = result.trend.iloc[0]
    assert trend["segment"] == "whole series" and result.effects.empty
    assert trend["rate_ratio"] == pytest.approx(math.exp(full.params[1]), rel=1e-8)
    f = (null.deviance - full.deviance) / full.scale
    assert trend["p_value"] == pytest.approx(stats.f.sf(f, 1, len(t) - 2), rel=1e-6)
    assert trend["ci_low"] < trend["rate_ratio"] < trend["ci_high"]


def test_a_trend_is_fitted_within_one_system_and_only_with_enough_years(dataset, record):
    found = record["trends"]
    fitted = [t for t in found if t.result is not None]
    assert fitted and all(
        len({dataset.system_of("sin-total", f"FY{y}") for y in t.years}) == 1 for t in fitted)
    population = [t for t in found if t.exposure == "sin-population"]
    assert population and all(t.result is None and "needs at least 5" in t.reason
                              for t in population)
    fewer = long_record.trends(dataset, record["table"], "sin-total", ["cin-31-march"],
                               family="quasipoisson", min_years=6)
    assert [t.result is None for t in fewer] == [True, False]  # 5 years, then 8


@pytest.mark.parametrize(("low", "high", "estimate", "years", "words"), [
    (0.912, 0.984, 0.948, 8, "a clear fall"), (1.047, 1.232, 1.135, 5, "a clear rise"),
    (0.99, 1.01, 1.0, 8, "no clear rise or fall"), (1.001, 1.02, 1.01, 3, "a rise at the edge "
                                                                          "of no change")])
def test_a_trend_is_read_over_the_years_it_spans(low, high, estimate, years, words):
    """An interval end 4.7% a year from no change is far from it over five years."""
    assert phrasebook.trend_words(low, high, estimate, years) == words


def _numbers_in(text: str) -> list[str]:
    """The numbers a reader sees in ``text``, with years and periods ('2012-13', 'June 2018')
    left out."""
    text = re.sub(r"\b(19|20)\d\d-\d\d\b", " ", text)
    text = re.sub(r"\b(January|February|March|April|May|June|July|August|September|October|"
                  r"November|December) (19|20)\d\d\b", " ", text)
    return re.findall(r"\d[\d,]*(?:\.\d+)?", text)


def test_the_answer_is_short_computed_and_linked(dataset, record):
    table, gaps = record["table"], record["gaps"]
    answer = reader.answer(dataset, table, gaps, notifications="sin-total", reviews=REVIEWS,
                           shares=record["shares"], found=record["trends"])
    text = answer.text
    assert len(text.split()) <= reader.LIMIT
    assert answer.question == "What does the record from 2003 to 2026 say?"
    # every number a reader sees is one of the linked numbers, each said once
    linked = [n["text"] for n in answer.numbers]
    assert all(text.count(t) == 1 for t in linked)
    for number in _numbers_in(text):
        assert any(number in t for t in linked), number
    resolved = dataset.resolved()
    for n in answer.numbers:
        first = float(re.search(r"\d[\d,]*(?:\.\d+)?", n["text"]).group().replace(",", ""))
        if not n["how"]:  # a cited figure: the record's value, and its words state it
            value = resolved[(resolved["series_id"] == n["series"])
                             & (resolved["period"] == n["periods"][0])]["value"].iloc[0]
            assert first == value
            assert number_anchor(n).startswith("sp-")
        elif n["how"].startswith("trend"):  # computed: the fitted trend, as shown
            trend = next(t for t in record["trends"] if t.result is not None
                         and [f"FY{y}" for y in t.years] == n["periods"]
                         and n["how"] == f"trend-{t.exposure or 'counts'}")
            shown = abs(long_record.trend_percent(trend.ratio["rate_ratio"]))
            assert first == pytest.approx(shown, abs=0.05 if shown < 10 else 0.5)
    # what rose, what fell, and the 2019 change said as a break, never an effect
    assert "rose from 231 in 2012-13" in text and "fell from 498 in 2018-19" in text
    assert "September 2019" in text and "not an effect" in text
    for word in phrasebook.VOCABULARY:
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
            assert word in {"clear"}, word  # only the phrasebook's trend words


def test_the_answer_drops_details_before_it_runs_over(dataset, record, monkeypatch):
    """With room for fewer words, the least needed details go first and the answer stays
    within the limit."""
    table, gaps = record["table"], record["gaps"]
    full = reader.answer(dataset, table, gaps, notifications="sin-total", reviews=REVIEWS,
                         shares=record["shares"], found=record["trends"])
    monkeypatch.setattr(reader, "LIMIT", len(full.text.split()) - 1)
    lean = reader.answer(dataset, table, gaps, notifications="sin-total", reviews=REVIEWS,
                         shares=record["shares"], found=record["trends"])
    assert len(lean.text.split()) <= reader.LIMIT
    assert "none was found" in full.text and "none was found" not in lean.text
    assert {n["text"] for n in lean.numbers} <= {n["text"] for n in full.numbers}


def test_the_index_sentences_link_each_number_to_words_that_state_it(dataset, record, tmp_path):
    from scrlib.publish import pages

    key = reader.index_message(dataset, record["table"], notifications="sin-total",
                               chart="07-long-record")
    assert 2 <= len(key.sentences) <= 3
    assert "September 2019" in key.sentences[-1] and "never compared" in key.sentences[-1]
    for n in key.numbers:
        anchor = number_anchor(n)
        assert anchor.startswith("sp-")
        assert pages._stated_by(n["text"], pages._figures_at(dataset, anchor))
    reader.write_index(key, tmp_path, alt="The chart")
    (tmp_path / "07-long-record.png").write_bytes(b"")
    section = pages.long_record_section(tmp_path)
    assert section.count('class="number"') == len(key.numbers)
    assert 'src="figures/07-long-record.png" alt="The chart"' in section
    assert pages.long_record_section(tmp_path / "none") == ""


def test_a_computed_trend_leads_to_every_figure_it_comes_from(dataset, record):
    from scrlib.publish import figures_page

    answer = reader.answer(dataset, record["table"], record["gaps"], notifications="sin-total",
                           reviews=REVIEWS, shares=record["shares"], found=record["trends"])
    html = figures_page.computed_numbers(dataset, [answer])
    trend = next(n for n in answer.numbers if n["how"].startswith("trend"))
    entry = re.search(rf'<li id="{re.escape(number_anchor(trend))}">(.*?)</li>', html).group(1)
    links = re.findall(r'href="#([^"]+)"', entry)
    wanted = [f"sp-sin-total-{p}" for p in trend["periods"]] + [
        f"sp-{trend['over']['series']}-{p}" for p in trend["over"]["periods"]]
    assert links == wanted
    shown = re.sub(r"<[^>]+>", "", entry)
    assert "FY20" not in shown and "..20" not in shown  # periods as a reader writes them
    assert "31 March 2012" in shown and "2012-13" in shown


def test_a_count_of_millions_links_to_the_words_that_state_it(dataset):
    """The population of children (12,183,016) is stated by its data set's row: the link check
    reads the value as digits, not as 1.2183e+07."""
    from scrlib.publish import pages

    anchor = "sp-sin-population-FY2025-26"
    assert pages._stated_by("12,183,016", pages._figures_at(dataset, anchor))
    assert not pages._stated_by("12,183,017", pages._figures_at(dataset, anchor))
