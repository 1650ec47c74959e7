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
    assert readable("2020-03-31..2020-04-01") == "31 March 2020 to 1 April 2020"


@pytest.mark.parametrize(("code", "months", "text"), [
    ("FY2016-17", False, "2016-17"), ("FY2016-17", True, "2016-17 (April to March)"),
    ("PY2013-14", False, "2013-14 (July to June)"), ("CY2020", False, "2020"),
    ("2011-02..2011-03", False, "February to March 2011"),
    ("2018-07..2019-11", False, "July 2018 to November 2019"),
    ("2010-04-01..2011-01-31", False, "1 April 2010 to 31 January 2011")])
def test_a_period_reads_as_a_reader_writes_it(code, months, text):
    """Issue 34: no period code ("FY2016-17", "CY2020", "2011-02..2011-03") reaches a reader;
    a financial year says its months where asked, a July-June year always."""
    from scrlib.record.periods import readable

    assert readable(code, months=months) == text
    period = parse_period(code).period
    if period is not None:  # a pandas Period of the year reads the same
        assert readable(period, months) == text
