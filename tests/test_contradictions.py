"""What ``scr check`` passes, ``scr report`` can build (issue 31, item 5): series that contradict
each other (a part above its whole for the same period: more SCRs initiated than serious
incident notifications, more published than commissioned, more child deaths notified than
notifications) are refused by ``scr check`` naming both figures with their lines, and by
``scr ingest`` (which checks its copy as ``scr check`` does, a dry run too) at the input's line.
The committed data pass."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.record.validate import read_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "ees"
FINANCIAL = (FIXTURES / "sin-national-fy2022-23.csv").read_text(encoding="utf-8")
ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"
INITIATED_2010 = {  # the committed figures of SCRs initiated in 2010-11: figure id -> value
    "scr-initiated-fy2010-11-cypnow-scrs-instigated-plummets": "71",
    "scr-initiated-fy2010-11-cypnow-steep-rise-in-scrs": "72",
}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _line(folder: Path, figure_id: str) -> int:
    return next(n for n, row in enumerate(_rows(folder / "figures.csv"), start=1)
                if row[0] == figure_id)


def _edit(folder: Path, figure_id: str, value: str, old: str, new: str) -> int:
    """Set a figure's value and the number its excerpt states; return its line."""
    rows = _rows(folder / "figures.csv")
    header = rows[0]
    line = _line(folder, figure_id)
    row = rows[line - 1]
    row[header.index("value")] = value
    assert old in row[header.index("excerpt")]
    row[header.index("excerpt")] = row[header.index("excerpt")].replace(old, new)
    _write(folder / "figures.csv", rows)
    return line


def _check(folder: Path, capsys) -> tuple[int, list[str]]:
    code = main(["check", "--data", str(folder)])
    return code, capsys.readouterr().out.splitlines()


def test_the_committed_data_have_no_part_above_its_whole(capsys):
    assert main(["check"]) == 0
    assert "contradicts" not in capsys.readouterr().out


def _add_total_of_50(folder: Path) -> int:
    """Add a figure of 50 serious incident notifications in 2010-11; return its line."""
    rows = _rows(folder / "figures.csv")
    header = rows[0]
    new = dict.fromkeys(header, "")
    new.update(figure_id="sin-total-fy2010-11-test", series_id="sin-total",
               period_stated="2010-11", period="FY2010-11", value="50", unit="count",
               source_id="ofsted-sins-2015-16-key-findings", value_qualifier="exact",
               period_basis="stated",
               excerpt="50 serious incident notifications in 2010-11 (a test value)")
    rows.append([new[c] for c in header])
    _write(folder / "figures.csv", rows)
    return len(rows)


def test_check_refuses_fewer_notifications_than_scrs_initiated_naming_both(data_copy, capsys):
    """The issue's case: a total of 50 serious incident notifications for 2010-11, below the
    72 (and 71) SCRs initiated that year."""
    added = _add_total_of_50(data_copy)
    code, out = _check(data_copy, capsys)
    assert code == 4
    path = data_copy / "figures.csv"
    for figure_id, value in INITIATED_2010.items():
        line = _line(data_copy, figure_id)
        assert (f"{path}:{added}: value: contradicts figures.csv line {line}: {value} SCRs "
                f"initiated (scr-initiated) in FY2010-11 from ") in "\n".join(out)
    assert all("50 Serious incident notifications (sin-total) in FY2010-11 from "
               f"ofsted-sins-2015-16-key-findings (line {added})" in line
               and "SCRs initiated counts a part of Serious incident notifications" in line
               for line in out if "contradicts" in line)
    assert len([line for line in out if "contradicts" in line]) == 2


def test_the_report_stops_on_it_before_any_kernel_starts(tmp_path, data_copy, monkeypatch,
                                                        capsys):
    """Where the report once failed in notebooks 02 and 04 (exit 5, after 43 s), it now stops
    at its data check (exit 4) naming the contradiction, and writes nothing."""
    from scrlib.publish import report

    _add_total_of_50(data_copy)
    monkeypatch.setenv("SCRLIB_DATA", str(data_copy))
    code = main(["report", "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == report.EXIT_DATA == 4
    assert "failed scr check; no notebook was run" in err
    assert "contradicts figures.csv line" in err
    written = [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")]
    assert written == ["data"]  # no report, no partial run


@pytest.mark.parametrize(("case", "figure_id", "value", "old", "new", "whole"), [
    ("more published than commissioned", "cypnow-published-fy2012-13", "91", "31 published",
     "91 published", ("stowe-commissioned-fy2012-13", "cypnow-commissioned-fy2012-13")),
    ("more child deaths notified than notifications",
     "sin-deaths-fy2014-15-ofsted-sins-2015-16-key-findings", "390", "compared with 190",
     "compared with 390", ("sin-total-fy2014-15-ofsted-sins-2015-16-key-findings",)),
])
def test_check_refuses_a_part_above_its_whole_naming_both_lines(
        data_copy, capsys, case, figure_id, value, old, new, whole):
    line = _edit(data_copy, figure_id, value, old, new)
    code, out = _check(data_copy, capsys)
    assert code == 4, case
    found = [o for o in out if "contradicts" in o]
    assert len(found) == len(whole), found
    for other in whole:
        first, second = sorted((line, _line(data_copy, other)))
        assert any(o.startswith(f"{data_copy / 'figures.csv'}:{second}: value: contradicts "
                                f"figures.csv line {first}: ") for o in found), found
    assert all(f"{value} " in o and f"(line {line})" in o for o in found)


@pytest.mark.parametrize(("part_of", "expected"), [
    ("sin-totals", "part_of: unknown series 'sin-totals'"),
    ("sin-deaths", "part_of: sin-total would be a part of itself (through part_of)"),
])
def test_a_part_of_naming_no_series_or_making_a_loop_is_refused(data_copy, capsys, part_of,
                                                                 expected):
    rows = _rows(data_copy / "series.csv")
    column = rows[0].index("part_of")
    line = next(n for n, row in enumerate(rows, start=1) if row[0] == "sin-total")
    rows[line - 1][column] = part_of
    _write(data_copy / "series.csv", rows)
    code, out = _check(data_copy, capsys)
    assert code == 4
    assert any(o.startswith(f"{data_copy / 'series.csv'}:{line}: {expected}") for o in out), out


@pytest.mark.parametrize("dry_run", [False, True])
def test_ingest_refuses_a_release_whose_total_is_below_the_scrs_initiated(
        tmp_path, data_copy, capsys, dry_run):
    """The issue's case through ``scr ingest``: an EES total of 50 serious incident
    notifications for 2010-11 is refused at its line of the input, naming the 72 (and 71)
    SCRs initiated; data/ is unchanged, and a dry run says the same."""
    header = FINANCIAL.splitlines()[0]
    rows = [f"201011,Financial year,Total,National,E92000001,England,Total,Total,{nature},{n}"
            for nature, n in (("Total", 50), ("Child death", 30), ("Serious harm", 19),
                              ("Other", 1))]  # test values
    release = tmp_path / "release.csv"
    release.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    before = _digest(data_copy)
    code = main(["ingest", str(release), "--dataset", "sin-national-fy", "--release",
                 "Financial year 2010-11 (test values)", "--address", ADDRESS, "--published",
                 "2027-07-01", "--accessed", "2027-07-02", "--data", str(data_copy),
                 *(["--dry-run"] if dry_run else [])])
    err = capsys.readouterr().err.splitlines()
    assert code == 4
    found = [line for line in err if "contradicts figures.csv line" in line]
    assert len(found) == 2
    for figure_id, value in INITIATED_2010.items():
        assert any(line.removeprefix("scr ingest: ").startswith(
                   f"{release}:2: number_notifications: "
                                   f"contradicts figures.csv line {_line(data_copy, figure_id)}: "
                                   f"{value} SCRs initiated (scr-initiated) in FY2010-11")
                   for line in found), found
    assert err[-1] == "scr ingest: data/ is unchanged"
    assert _digest(data_copy) == before
    assert read_dataset(data_copy)[1] == []
