"""What readers see: numbers rounded, a dash for missing, plain answers generated from results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from scrlib.its import explain, fit, fmt, leave_one_out, minimum_detectable_effect, scan
from scrlib.reader import answers, result_tables

FY = "Y-MAR"


@pytest.mark.parametrize(("value", "text"), [
    (0.000182979, "< 0.001"), (0.0533, "0.053"), (0.0069, "0.0069"), (0.59, "0.59"),
    (0.996, "1.0"), (np.nan, fmt.DASH), (None, fmt.DASH)])
def test_p_values_are_rounded_for_readers(value, text):
    assert fmt.p(value) == text
    if not fmt.missing(value):
        assert fmt.p_phrase(value) in (f"p {text}", f"p = {text}")


def test_ratios_intervals_and_tables():
    assert fmt.ratio(2.4434) == "2.44" and fmt.ratio(0.0716) == "0.072"
    assert fmt.ratio(2.4e-11) == "< 0.001" and fmt.ratio(np.inf) == "unbounded"
    assert fmt.interval(0.65, np.inf) == "0.65 to no upper limit"
    table = fmt.readable(pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]}),
                         {"a": lambda v: fmt.number(v, 1)})
    assert table["a"].tolist() == ["1.0", fmt.DASH] and table["b"].tolist() == ["x", fmt.DASH]
    assert fmt.labelled(pd.DataFrame({"k": ["r"], "v": [1]})).index.tolist() == ["r"]


@pytest.fixture(scope="module")
def dip() -> pd.DataFrame:
    return pd.DataFrame({"fiscal_year": pd.period_range("2008", periods=9, freq=FY),
                         "year": [f"{y}-{(y + 1) % 100:02d}" for y in range(2007, 2016)],
                         "count": [140, 133, 138, 80, 78, 96, 139, 142, 137]})


@pytest.fixture(scope="module")
def analysis(dip):
    dates = {"first": pd.Timestamp("2010-06-10"), "second": pd.Timestamp("2012-07-01")}
    result = fit(dip, outcome="count", time="fiscal_year", interventions=dates,
                 family="quasipoisson")
    step = scan(dip, outcome="count", time="fiscal_year", replicates=19, resolution="year",
                candidates=dates)
    two = scan(dip, outcome="count", time="fiscal_year", breaks=2, kind="dip", replicates=19,
               resolution="year", candidates=dates)
    expl = explain(dip, outcome="count", time="fiscal_year", policy=dates, step_scan=step,
                   dip_scan=two)
    return dates, result, step, two, expl


def test_reader_tables_have_no_missing_values_or_long_decimals(analysis, dip):
    dates, result, step, two, expl = analysis
    loo = leave_one_out(dip, outcome="count", time="fiscal_year", interventions=dates,
                        family="quasipoisson")
    shown = [result_tables.effects(result), result_tables.facts(result),
             result_tables.scans(step, two), result_tables.scan_candidates(two),
             result_tables.explanations(expl), result_tables.nested_tests(expl),
             result_tables.leave_one_out(loo),
             result_tables.detectable(minimum_detectable_effect(result))]
    for table in shown:
        text = table.to_string()
        assert "NaN" not in text and "nan" not in text.lower().split(), text
        assert not any(len(w.split(".")[-1]) > 4 and w.replace(".", "").isdigit()
                       for w in text.split()), text
        assert not isinstance(table.index, pd.RangeIndex)  # labelled rows, no row numbers


def test_the_plain_answer_takes_its_numbers_from_the_results(analysis, dip, tmp_path):
    dates, result, step, two, expl = analysis
    mde = minimum_detectable_effect(result)
    answer = answers.initiated(dip, dates, result, expl, step_scan=step, dip_scan=two,
                               detectable=mde, nearby=["Other event"], chart="c")
    text, full = answer.text, answer.full_text
    assert 3 <= len(answer.sentences) <= 5
    assert answers.word_count(text) <= answers.LIMIT
    assert "about 137 a year from 2007-08 to 2009-10" in text  # mean of 140, 133, 138
    assert "80 in 2010-11" in text and "78 in 2011-12" in text
    assert "What the data cannot say" in text
    # the numbers behind the words: in "How sure, in detail"
    assert fmt.ratio(mde[mde["intervention"] == "second"]["mde_increase"].iloc[0]) in full
    best = expl.table.iloc[0]["explanation"]
    assert answers.plain_label(best) in full
    used = two if "temporary" in best else step
    assert fmt.p_phrase(used.p_value, used.smallest_p) in full
    assert fmt.p_phrase(used.p_value, used.smallest_p) not in text
    assert "Other event" in full
    written = json.loads(answer.write(tmp_path).read_text())
    assert written["sentences"] == list(answer.sentences) and written["chart"] == "c"
    assert answers.read(tmp_path) == [answer]
    assert answer.write("") is None


def test_the_answer_changes_its_words_with_the_evidence(dip):
    dates = {"first": pd.Timestamp("2010-06-10"), "second": pd.Timestamp("2012-07-01")}
    flat = dip.assign(count=[130, 128, 133, 129, 131, 127, 132, 130, 129])
    result = fit(flat, outcome="count", time="fiscal_year", interventions=dates,
                 family="quasipoisson")
    expl = explain(flat, outcome="count", time="fiscal_year", policy=dates)
    text = answers.initiated(flat, dates, result, expl).full_text
    assert "which includes no change" in text
    assert "is clear on its own" not in text


def test_a_table_names_its_numbers_evidence_and_the_page_links_only_the_cells_still_holding_them():
    import pandas as pd

    from scrlib.its.fmt import DASH
    from scrlib.publish.pages import _link_table
    from scrlib.reader.notebook import LINKS, table_html, with_links

    table = with_links(pd.DataFrame({"Value": ["72", DASH], "Note": ["a", "b"]},
                                    index=pd.Index(["2010-11", "2011-12"], name="Year")),
                       [(0, "Value", "sp-x-FY2010-11"), (1, "Value", "sp-x-FY2011-12")])
    body, meta = table_html(table)
    assert meta == {LINKS: [{"row": 0, "column": 0, "text": "72", "anchor": "sp-x-FY2010-11"}]}
    linked = _link_table(body, meta[LINKS])
    assert '<td><a class="number" href="figures.html#sp-x-FY2010-11">72</a></td>' in linked
    assert linked.count("<a ") == 1  # the dash is not a number and links nowhere
    moved = [{**meta[LINKS][0], "row": 1}]  # a link whose cell holds other words is not made
    assert _link_table(body, moved) == body
    assert table_html(pd.DataFrame({"A": [1]})) == pd.DataFrame({"A": [1]})._repr_html_()


def test_a_reader_table_has_one_header_row_and_capitalised_headers():
    """Issue 34: pandas gives the name of a table's row labels a header row of its own (an
    empty row to a reader) and the record's column names are lower case; a reader's table has
    one header row, the row labels' name in its corner, every header capitalised but "p"."""
    import re

    from scrlib.reader.notebook import table_html

    frame = pd.DataFrame({"year": ["2010-11"], "count": [72], "regime": ["before"],
                          "p (exact)": ["0.5"]}).set_index("year")
    body = table_html(frame)
    head = re.search(r"<thead>(.*?)</thead>", body, re.S).group(1)
    assert head.count("<tr") == 1
    assert re.findall(r"<th>([^<]*)</th>", head) == ["Year", "Count", "Regime", "p (exact)"]
    assert frame.index.name == "year" and frame.columns[0] == "count"  # not changed


@pytest.fixture(scope="module")
def bayesian():
    """The Bayesian cross-check of eight yearly counts under each prior set (no placed dates,
    for speed), with the temporary change marked as suggested by the data."""
    from scrlib.its import bayes

    frame = pd.DataFrame({"year": pd.period_range("2008", periods=8, freq=FY),
                          "count": [137.0, 131, 136, 72, 93, 143, 166, 134]})
    return bayes.sensitivity(frame, outcome="count", time="year", draws=512, placed=(),
                             policy={"first": "2010-06-10", "second": "2012-07-01"},
                             suggested=("temporary",))


def test_the_bayesian_answer_puts_the_exploratory_explanation_aside_with_numbers(bayesian):
    """Where the most probable explanation is the one the data suggested, the answer also
    ranks the rest on their own, with their probabilities renormalised."""
    from scrlib.reader import sentences

    default = bayesian["default"]
    table = default.explanations.set_index("explanation")["probability"]
    text = sentences.bayes_sentences(bayesian)
    lead = default.leading
    if lead["basis"] == "suggested":
        rest = table.drop(lead["explanation"])
        best = rest.idxmax()
        assert "Leaving it out, the most probable is" in text
        assert f"**{best}** (probability {fmt.probability(rest[best] / rest.sum())})" in text
    else:
        assert "Leaving it out" not in text
    assert f"(probability {fmt.probability(lead['probability'])})" in text
    assert "within this set of explanations" in text


def test_an_interval_end_near_one_is_not_called_either_way(bayesian):
    from scrlib.reader import sentences

    default = bayesian["default"]
    rows = default.effects[default.effects["explanation"].str.startswith("permanent")]
    lines = sentences._bayes_effect_sentences(default, None)
    assert len(lines) == len(rows)
    shifted = default.effects.copy()
    shifted.loc[rows.index, ["low", "high"]] = [[0.97, 2.0]] * len(rows)

    class Result:  # a frequentist fit whose intervals are far from 1
        effects = pd.DataFrame({"intervention": ["first", "second"], "effect": ["step"] * 2,
                                "rate_ratio": [0.3, 3.0], "ci_low": [0.1, 2.0],
                                "ci_high": [0.6, 5.0]})

    near = sentences._bayes_effect_sentences(
        type(default)(default.priors, default.explanations, shifted, default.dates,
                      default.draws, default.seed, default.rope), Result())
    assert all("too close to 1 to say" in line for line in near)
    assert not any("both intervals" in line for line in near)


def test_the_sensitivity_answer_counts_add_up_with_the_unfitted_included():
    """Item 8 of issue 32: every specification is accounted for once (not fitted, a repeat,
    a family the dispersion check rejects, or in the summary), and the counts said add up."""
    import re

    rows = ([{"status": "not fitted: not identified", "distinct": False,
              "passes_dispersion_check": False, "excludes_null": False, "rate_ratio": np.nan}]
            * 3
            + [{"status": "fitted", "distinct": False, "passes_dispersion_check": True,
                "excludes_null": False, "rate_ratio": 1.5}] * 5
            + [{"status": "fitted", "distinct": True, "passes_dispersion_check": False,
                "excludes_null": True, "rate_ratio": 2.0}] * 4
            + [{"status": "fitted", "distinct": True, "passes_dispersion_check": True,
                "excludes_null": r % 2 == 0, "rate_ratio": 1.0 + r / 10} for r in range(6)])
    table = pd.DataFrame(rows)
    choices = pd.DataFrame(columns=["choice", "value", "models", "median rate ratio",
                                    "share excluding 1"])
    first = answers.sensitivity(table, choices, None).detail[0]
    numbers = [int(n) for n in re.findall(r"\b\d+\b", first.split(";")[0] + first.split(
        "remaining")[1].split("distinct")[0])]
    total, *parts = numbers
    assert total == len(table) == 18
    assert parts == [3, 5, 4, 6] and sum(parts) == total, first
    assert "could not be fitted" in first



def test_the_key_message_gives_both_readings_each_tied_to_what_it_assumes(analysis, dip):
    """Item 10 of issue 32, within 120 words (issue 34): the key message gives the frequentist
    reading (what series with no change would give) and the Bayesian one (the probability of
    no change among the explanations fixed in advance) in one sentence, each with its words
    from the phrasebook; the answer's detail ties the Bayesian one to what it assumes (equally
    likely beforehand, its Bayes factor in Kass and Raftery's words)."""
    from scrlib.its import bayes
    from scrlib.reader import phrasebook

    dates, result, step, two, expl = analysis
    found = bayes.posterior(dip, outcome="count", time="fiscal_year", draws=512, placed=(),
                            policy=dates, suggested=("temporary",))
    key = answers.key_message(dip, dates, scan=two, bayes=found)
    assert answers.word_count(key.text) <= answers.LIMIT
    table = found.explanations[found.explanations["basis"] != "suggested"]
    row = table.set_index("explanation").loc["no change"]
    p = float(row["probability"] / table["probability"].sum())
    se = float(row["probability_se"] / table["probability"].sum())
    factor = phrasebook.posterior_odds_factor(p, 1 / len(table))
    sentence = next(s for s in key.sentences if "weighed the Bayesian way" in s)
    assert f"no change has probability {fmt.mc_probability(p, se)}" in sentence
    assert f"{phrasebook.evidence(two.p_value)} against no change" in sentence
    assert ("the Bayesian probability of no change", fmt.mc_probability(p, se)) in key.shown
    answer = answers.initiated(dip, dates, result, expl, step_scan=step, dip_scan=two,
                               bayes=found)
    detail = next(s for s in answer.detail if "weighed the Bayesian way" in s)
    assert "equally likely beforehand" in detail and "not suggested by these counts" in detail
    assert f"a Bayes factor of about {phrasebook.about(factor)}" in detail or (
        "a Bayes factor of about" in detail)
    assert phrasebook.bayes_factor(factor).words in detail
    assert sum("weighed the Bayesian way" in s for s in answer.detail) == 1


def _extreme_counts():
    """Fifteen financial years with four missing and three policy dates: the longest answer
    these functions can be asked for on yearly counts."""
    years = [p for p in pd.period_range("2004", periods=15, freq=FY)
             if p.year not in (2006, 2009, 2012, 2016)]
    counts = [140, 133, 138, 150, 80, 78, 96, 139, 142, 137, 160][:len(years)]
    return pd.DataFrame({"fiscal_year": years,
                         "year": [f"{p.year - 1}-{p.year % 100:02d}" for p in years],
                         "count": counts})


def test_answers_and_the_key_message_keep_within_120_words_at_the_data_extremes():
    """Issue 34: every answer and the key message is at most 120 words whatever the data: four
    missing years, three policy dates with long names, a series set against the counts, and
    a value the record keeps as an alternative that changes a verdict (said in the answer)."""
    from scrlib.its import compare_shares

    frame = _extreme_counts()
    dates = {"The first policy change with a long name": pd.Timestamp("2007-06-10"),
             "The second policy change with a long name": pd.Timestamp("2010-07-01"),
             "The third policy change with a long name": pd.Timestamp("2013-03-21")}
    result = fit(frame, outcome="count", time="fiscal_year", interventions=dates,
                 family="quasipoisson")
    two = scan(frame, outcome="count", time="fiscal_year", breaks=2, kind="dip",
               replicates=19, resolution="year", candidates=dates)
    expl = explain(frame, outcome="count", time="fiscal_year", policy=dates, dip_scan=two)
    paired = pd.DataFrame({"year": frame["year"], "successes": frame["count"],
                           "trials": frame["count"] * 2 + 7})
    flips = pd.DataFrame([{"policy": name, "year": "2010-11", "alternative": 71.0,
                           "changes": True, "ci_low_alt": 1.003, "ci_high_alt": 9.96,
                           "estimate_alt": 2.5, "p_value_alt": 0.0496} for name in dates])
    answer = answers.initiated(frame, dates, result, expl, dip_scan=two,
                               against=(paired, "Serious incident notifications of a kind",
                                        "other"),
                               alternatives=flips, nearby=["Another event"] * 3,
                               counted=("Ofsted", list(dates)), series="scr-initiated",
                               series_name="SCRs initiated by local boards")
    assert answers.word_count(answer.text) <= answers.LIMIT, answer.text
    said = next(s for s in answer.sentences if "the record's other value" in s)
    assert all(name in said for name in dates), said  # every verdict it changes, said once
    key = answers.key_message(frame, dates, scan=two, against=(paired, "Notifications", "x"),
                              series_name="SCRs initiated by local boards")
    assert answers.word_count(key.text) <= answers.LIMIT, key.text
    before, after = ["2003-04"], list(frame["year"][1:])
    shares = paired.assign(share=100 * paired["successes"] / paired["trials"])
    variation = compare_shares([paired["successes"].iloc[0]], [paired["trials"].iloc[0]],
                               paired["successes"].iloc[1:], paired["trials"].iloc[1:])

    class Comparison:
        table = pd.DataFrame({"quantity": ["difference"], "p_value": [0.001]})

    for made in (answers.notifications(shares, Comparison, before, after, refusal="no model",
                                       event="A long event", variation=variation,
                                       sources=["news", "blogs", "official statistics"],
                                       series=("a", "b")),
                 answers.publication(shares, Comparison, before, after, variation=variation,
                                     events=["One event", "Another event", "A third event"],
                                     sources=["news", "blogs"], series=("a", "b"))):
        assert answers.word_count(made.text) <= answers.LIMIT, made.text
        assert made.detail, made.notebook  # the p-values went to "How sure, in detail"
        assert "p = " not in made.text and "p < " not in made.text


def test_each_number_of_an_answer_links_once_where_it_is_first_said(analysis, dip):
    """Issue 34: the answer's numbers (in the answer, or in its detail) lead to their evidence;
    a link's words stand at their first place as a number of their own (never inside a
    longer number), and no words are linked twice."""
    import re

    dates, result, step, two, expl = analysis
    paired = pd.DataFrame({"year": dip["year"][5:], "successes": dip["count"][5:],
                           "trials": dip["count"][5:] * 2})
    answer = answers.initiated(dip, dates, result, expl, step_scan=step, dip_scan=two,
                               against=(paired, "Notifications", "sin-total"),
                               series="scr-initiated")
    shown = answer.markdown()
    texts = [link["text"] for link in shown.links]
    assert len(texts) == len(set(texts)) and len(texts) == len(answer.numbers)
    for words in texts:
        first = shown.text.index(words)
        assert not re.match(r"[\d.]", shown.text[first - 1]), words
    changes = [n["text"] for n in answer.numbers if n["how"] == "change"]
    assert len(changes) == 2 and all(t in answer.text for t in changes)  # 02's 64% and 44%
