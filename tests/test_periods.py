import pandas as pd
import pytest

from scrlib.record.periods import PeriodError, fiscal_label, fiscal_year, parse_period


def test_financial_year_runs_april_to_march():
    p = parse_period("FY2012-13")
    assert p.kind == "FY"
    assert p.start == pd.Timestamp("2012-04-01")
    assert p.end == pd.Timestamp("2013-03-31")
    assert p.period == pd.Period("2013", freq="Y-MAR")


def test_panel_year_runs_july_to_june_and_calendar_year():
    p = parse_period("PY2013-14")
    assert (p.start, p.end) == (pd.Timestamp("2013-07-01"), pd.Timestamp("2014-06-30"))
    c = parse_period("CY2020")
    assert (c.start, c.end) == (pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31"))


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2010-04-01..2011-01-31", "2010-04-01", "2011-01-31"),
        ("2011-02..2011-03", "2011-02-01", "2011-03-31"),
        ("FY2011-12..FY2013-14", "2011-04-01", "2014-03-31"),
        ("FY1999-00", "1999-04-01", "2000-03-31"),
    ],
)
def test_ranges_span_from_start_of_first_to_end_of_last(code, start, end):
    p = parse_period(code)
    assert (p.start, p.end) == (pd.Timestamp(start), pd.Timestamp(end))


def test_part_year_length_in_months():
    assert parse_period("2010-04-01..2011-01-31").months == 10.0
    assert parse_period("FY2012-13").months == 12.0
    assert parse_period("2020-04-16..2020-04-30").months == 0.5


@pytest.mark.parametrize(
    "code",
    [
        "",
        "2012-13",
        "FY2012-14",
        "FY2012/13",
        "CY20",
        "2013-02-30..2013-03-01",
        "2013-13..2014-01",
        "FY2013-14..FY2012-13",
        "PY2013",
        "next year",
    ],
)
def test_malformed_periods_are_refused_with_the_allowed_forms(code):
    with pytest.raises(PeriodError) as err:
        parse_period(code)
    assert str(err.value)


def test_fiscal_year_helpers_round_trip():
    assert fiscal_year("2012-13") == pd.Period("2013", freq="Y-MAR")
    assert fiscal_year(2013) == fiscal_year("FY2012-13")
    assert fiscal_label(fiscal_year("2019-20")) == "2019-20"
    with pytest.raises(PeriodError):
        fiscal_year("CY2012")


def test_a_count_at_a_date_reads_as_that_day():
    """A stock (children in need at 31 March) has a one-day period: it reads as the day."""
    from scrlib.record.periods import parse_period, readable

    parsed = parse_period("2020-03-31..2020-03-31")
    assert parsed.start == parsed.end
    assert readable("2020-03-31..2020-03-31") == "31 March 2020"
    assert readable("2020-03-31..2020-04-01") == "31 March to 1 April 2020"


@pytest.mark.parametrize(("code", "plain", "with_months"), [
    ("FY2016-17", "2016-17", "2016-17 (April to March)"),
    ("PY2013-14", "2013-14 (July to June)", "2013-14 (July to June)"),
    ("CY2020", "2020", "2020"),
    ("2011-02..2011-03", "February to March 2011", "February to March 2011"),
    ("2018-07..2019-11", "July 2018 to November 2019", "July 2018 to November 2019"),
    ("2010-04-01..2010-12-31", "1 April to 31 December 2010", "1 April to 31 December 2010"),
    ("2010-04-01..2011-01-31", "1 April 2010 to 31 January 2011",
     "1 April 2010 to 31 January 2011"),
    ("FY2011-12..FY2013-14", "2011-12 to 2013-14", "2011-12 to 2013-14 (April to March)"),
    ("PY2013-14..PY2015-16", "2013-14 to 2015-16 (July to June)",
     "2013-14 to 2015-16 (July to June)"),
])
def test_a_period_reads_as_a_reader_writes_it(code, plain, with_months):
    from scrlib.record.periods import readable

    assert readable(code) == plain
    assert readable(code, months=True) == with_months


def test_every_period_in_the_record_reads_without_a_code():
    """No period of the record keeps a code prefix, a '..' or a month in digits for a reader:
    the only 'yyyy-yy' left is a split year (2012-13)."""
    import re

    from scrlib.record.load import load
    from scrlib.record.periods import readable

    for code in load().figures["period"].astype(str).unique():
        shown = readable(code, months=True)
        assert not re.search(r"\b(FY|PY|CY)\d|\.\.|\d{4}-\d{2}-", shown), (code, shown)
        for first, second in re.findall(r"\b(\d{4})-(\d{2})\b", shown):
            assert (int(first) + 1) % 100 == int(second), (code, shown)


def test_period_codes_in_free_text_read_as_a_reader_writes_them(dataset):
    """A note or definition keeps its words; only its period codes change."""
    from scrlib.reader.record_tables import plain_ids
    from scrlib.record.periods import readable_in

    assert (readable_in("Figures for FY2016-17 to FY2018-19 were not found; 2011-02..2011-03 "
                        "too, and CY2020.") ==
            "Figures for 2016-17 to 2018-19 were not found; February to March 2011 too, and 2020.")
    assert readable_in("In 2012-13, on 2013-04-01.") == "In 2012-13, on 2013-04-01."
    import re

    for text in [*dataset.series["definition"], *dataset.series["note"]]:
        assert not re.search(r"\b(FY|PY|CY)\d{4}|\d\.\.\d", plain_ids(text, dataset)), text


@pytest.mark.parametrize("code", ["FY2016-17", "PY2013-14", "CY2020"])
def test_a_yearly_period_reads_as_its_code(code):
    """A pandas Period of a financial, July-June or calendar year reads as its code would."""
    from scrlib.record.periods import readable

    period = parse_period(code).period
    assert readable(period) == readable(code)
    assert readable(period, months=True) == readable(code, months=True)
