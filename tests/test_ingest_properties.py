"""Nothing harmful gets in, nothing is lost (issue 26), as properties: for any EES-format file
``scr ingest`` is given, and for any change to the tables of data/, either the command exits 0,
``scr check`` passes and every command that loads the data (check, export, cite) works; or it
exits 4 and data/ is byte-identical. Never a traceback: ``scrlib.cli.main`` returns 0 or 4 and
no exception escapes. Each example works on its own copy of data/; the examples are the same on
every run (derandomized)."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrlib.cli import main
from scrlib.record import ees
from scrlib.record.paths import data_dir

ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"
HEADER = ("time_period", "time_identifier", "quarter", "geographic_level", "country_code",
          "country_name", "breakdown_topic", "breakdown", "nature_of_notification",
          "number_notifications")  # as tests/fixtures/ees/sin-nature-2026.csv
NATURES = ("Total", "Child death", "Serious harm", "Other")
# Text that broke something once, or could: other digits, long numbers, controls, formulas.
NASTY = ("\uff14\uff12", "\u0664\u0662", "9" * 16, "9" * 400, "9" * 5000, "1\x002", "\x1f7",
         "=1+2*cmd|' /C calc'!A0", "+1", "-5", "@SUM(1)", "\t7", "7\r", "12.5", "0000",
         "1e5", "1,234", "NaN", "inf", "", " ", "\u2028", '"', "a,b", "FY2012-13", "0001-01-01",
         "2199-12-31", "FY0001-02", "x;y", "\u00e9", "\ufeff1")
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
VALUES = st.one_of(st.integers(0, 999).map(str), st.sampled_from(sorted(ees.SYMBOLS)),
                   st.sampled_from(NASTY), TEXT)
YEARS = st.sampled_from(("0000", "202324", "1799", "2200", "\uff12\uff10\uff12\uff17"))
FAST = settings(max_examples=20, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _quiet(argv: list[str]) -> int:
    """``scr`` with its output swallowed; the exit code (an exception fails the test)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


def _loads_everywhere(folder: Path) -> None:
    """check, export and cite all work on ``folder``."""
    assert _quiet(["check", "--data", str(folder)]) == 0
    assert _quiet(["export", "--output", str(folder.parent / "export.csv"), "--data",
                   str(folder)]) == 0
    assert _quiet(["cite", "--format", "csl-json", "--data", str(folder)]) == 0


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@st.composite
def ees_files(draw) -> str:
    """An EES open-data CSV in the shape of the fixtures: some years, the four natures of
    notification each, values that are counts or symbols; in three files of four, one harm
    done to it: a cell made nasty, a header broken, a row repeated or the end cut off."""
    rows = [list(HEADER)]
    for year in draw(st.lists(st.integers(2022, 2030), min_size=1, max_size=3, unique=True)):
        for nature in NATURES:
            value = draw(st.one_of(st.integers(0, 999).map(str),
                                   st.sampled_from(sorted(ees.SYMBOLS))))
            rows.append([str(year), "Reporting year", "Total", "National", "E92000001",
                         "England", "Total", "Total", nature, value])
    harm = draw(st.sampled_from(("none", "cell", "cell", "cell", "header", "repeat", "cut")))
    if harm == "cell":
        row, column = draw(st.integers(1, len(rows) - 1)), draw(st.integers(0, len(HEADER) - 1))
        rows[row][column] = draw(st.one_of(st.sampled_from(NASTY), TEXT, YEARS))
    elif harm == "header":
        column = draw(st.integers(0, len(HEADER) - 1))
        rows[0][column] = draw(st.one_of(st.sampled_from(HEADER), TEXT))
    elif harm == "repeat":
        rows.append(list(draw(st.sampled_from(rows[1:]))))
    text = _csv(rows)
    if harm == "cut":
        text = text[:draw(st.integers(0, len(text) - 1))]
    return text


@FAST
@given(text=ees_files())
@example(text=_csv([list(HEADER), ["2027", "Reporting year", "Total", "National", "E92000001",
                                   "England", "Total", "Total", "Total", "\uff14\uff12"]]))
@example(text=_csv([list(HEADER), ["2027", "Reporting year", "Total", "National", "E92000001",
                                   "England", "Total", "Total", "Total", "300"]]))
def test_ingest_of_any_ees_file_leaves_data_whole_or_unchanged(text):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        shutil.copytree(data_dir(), folder)
        release = Path(tmp) / "release.csv"
        release.write_text(text, encoding="utf-8")
        before = _digest(folder)
        code = _quiet(["ingest", str(release), "--dataset", "sin-nature", "--release",
                       "Reporting year 2099", "--address", ADDRESS, "--published", "2099-07-01",
                       "--accessed", "2099-07-02",
                       "--data", str(folder)])
        assert code in (0, 4)
        if code == 4 or _digest(folder) == before:
            assert _digest(folder) == before
            assert _quiet(["check", "--data", str(folder)]) == 0
        else:
            _loads_everywhere(folder)


TABLES = ("sources.csv", "series.csv", "figures.csv", "events.csv", "resolutions.csv")


@st.composite
def table_edits(draw) -> tuple[str, int, int, str]:
    """(table, row, column, new text): one field of data/ changed (row 0 is the header)."""
    table = draw(st.sampled_from(TABLES))
    with (data_dir() / table).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    row = draw(st.integers(0, len(rows) - 1))
    column = draw(st.integers(0, len(rows[0]) - 1))
    old = rows[row][column]
    new = draw(st.one_of(VALUES, st.sampled_from(NASTY).map(lambda n: old + n),
                         st.sampled_from(NASTY).map(lambda n: n + old)))
    return table, row, column, new


@FAST
@given(edit=table_edits())
@example(edit=("figures.csv", 2, 4, "\uff18\uff11"))
@example(edit=("figures.csv", 2, 4, "8" * 5000))
@example(edit=("sources.csv", 0, 3, "title\x00"))
def test_any_change_to_the_tables_is_refused_whole_or_loads_everywhere(edit):
    table, row, column, new = edit
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        shutil.copytree(data_dir(), folder)
        path = folder / table
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        rows[row][column] = new
        path.write_text(_csv(rows), encoding="utf-8")
        code = _quiet(["check", "--data", str(folder)])
        assert code in (0, 4)
        if code == 0:
            _loads_everywhere(folder)
        else:  # what check refuses, nothing loads, and nothing is written into
            for command in (["export", "--output", str(Path(tmp) / "out.csv")], ["cite"]):
                assert _quiet([*command, "--data", str(folder)]) == 4
            before = _digest(folder)
            release = Path(__file__).parent / "fixtures" / "ees" / "sin-nature-2026.csv"
            assert _quiet(["ingest", str(release), "--dataset", "sin-nature", "--release",
                           "Test", "--address", ADDRESS, "--data", str(folder)]) == 4
            assert _digest(folder) == before
