"""Break good data files in many ways; each must be rejected by ``scr check`` and by the loader,
with a message naming the file, the line and the field, and never with a traceback."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrlib.cli import main
from scrlib.record.load import load
from scrlib.record.problems import DataError


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def set_field(folder: Path, file: str, key: str, field: str, value: str) -> int:
    """Set one field of the row whose first column is ``key``; return the row's line number."""
    path = folder / file
    header, rows = _read(path)
    index = next(i for i, r in enumerate(rows) if r[0] == key)
    rows[index][header.index(field)] = value
    _write(path, header, rows)
    return index + 2


def append_row(folder: Path, file: str, values: dict[str, str]) -> int:
    path = folder / file
    header, rows = _read(path)
    rows.append([values.get(h, "") for h in header])
    _write(path, header, rows)
    return len(rows) + 1


def copy_row(folder: Path, file: str, key: str, **changes: str) -> int:
    path = folder / file
    header, rows = _read(path)
    row = list(next(r for r in rows if r[0] == key))
    for name, value in changes.items():
        row[header.index(name)] = value
    rows.append(row)
    _write(path, header, rows)
    return len(rows) + 1


def line_of(folder: Path, file: str, key: str) -> int:
    _, rows = _read(folder / file)
    return next(i for i, r in enumerate(rows) if r[0] == key) + 2


FIG = "cypnow-commissioned-fy2012-13"  # a seed figure: value 81, from CYP Now
SRC = "stowe-scrs-on-the-rise"
EVT = "ofsted-evaluation-ends"
RES = "published-fy2012-13"


@dataclass
class Mutation:
    name: str
    file: str
    field: str
    apply: Callable[[Path], int]  # returns the line that must be reported


def _header_edit(file, old, new):
    def apply(folder):
        path = folder / file
        text = path.read_text(encoding="utf-8")
        first, rest = text.split("\n", 1)
        path.write_text(first.replace(old, new, 1) + "\n" + rest, encoding="utf-8")
        return 1

    return apply


def _truncate_inside_quotes(folder):
    path = folder / "figures.csv"
    text = path.read_text(encoding="utf-8")
    cut = text.index('"compared with 2012/13') + 10
    path.write_text(text[:cut], encoding="utf-8")
    return text[:cut].count("\n") + 1


def _truncate_row(folder):
    path = folder / "figures.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(FIG))
    lines[index] = lines[index][: lines[index].index(",count,")]
    path.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


def _latin1(folder):
    path = folder / "sources.csv"
    text = path.read_text(encoding="utf-8").replace("Stowe Family Law", "Stow\u00e9 Family Law", 1)
    path.write_bytes(text.encode("latin-1", errors="replace"))
    return 1


def _percent_series(folder, value):
    append_row(
        folder,
        "series.csv",
        {
            "series_id": "test-share",
            "name": "Share",
            "definition": "A test share.",
            "stage": "other",
            "counted_by": "Test",
            "unit": "percent",
        },
    )
    return append_row(
        folder,
        "figures.csv",
        {
            "figure_id": "test-share-fy2012-13",
            "series_id": "test-share",
            "period_stated": "2012/13",
            "period": "FY2012-13",
            "value": value,
            "unit": "percent",
            "source_id": SRC,
            "excerpt": f"a share of {value}% of all",
        },
    )


def _unresolved_event(folder):
    return copy_row(
        folder, "events.csv", EVT, source_id=SRC, date="2012-08", excerpt="ceased in August 2012"
    )


MUTATIONS = [
    Mutation(
        "non-numeric value",
        "figures.csv",
        "value",
        lambda d: set_field(d, "figures.csv", FIG, "value", "8l"),
    ),
    Mutation(
        "blank value",
        "figures.csv",
        "value",
        lambda d: set_field(d, "figures.csv", FIG, "value", ""),
    ),
    Mutation(
        "negative count",
        "figures.csv",
        "value",
        lambda d: set_field(d, "figures.csv", FIG, "value", "-81"),
    ),
    Mutation(
        "fractional count",
        "figures.csv",
        "value",
        lambda d: set_field(d, "figures.csv", FIG, "value", "81.5"),
    ),
    Mutation(
        "thousands separator in value",
        "figures.csv",
        "value",
        lambda d: set_field(d, "figures.csv", FIG, "value", "1,081"),
    ),
    Mutation("percent over 100", "figures.csv", "value", lambda d: _percent_series(d, "135")),
    Mutation(
        "swapped digits against the excerpt",
        "figures.csv",
        "excerpt",
        lambda d: set_field(d, "figures.csv", FIG, "value", "18"),
    ),
    Mutation(
        "value not in excerpt",
        "figures.csv",
        "excerpt",
        lambda d: set_field(d, "figures.csv", FIG, "excerpt", "when many were commissioned"),
    ),
    Mutation(
        "blank excerpt",
        "figures.csv",
        "excerpt",
        lambda d: set_field(d, "figures.csv", FIG, "excerpt", ""),
    ),
    Mutation(
        "value_as_written not in excerpt",
        "figures.csv",
        "excerpt",
        lambda d: set_field(d, "figures.csv", FIG, "value_as_written", "eighty-one"),
    ),
    Mutation(
        "value_as_written states another number",
        "figures.csv",
        "value_as_written",
        lambda d: set_field(d, "figures.csv", FIG, "value_as_written", "31"),
    ),
    Mutation(
        "unknown source id",
        "figures.csv",
        "source_id",
        lambda d: set_field(d, "figures.csv", FIG, "source_id", "no-such-source"),
    ),
    Mutation(
        "unknown series id",
        "figures.csv",
        "series_id",
        lambda d: set_field(d, "figures.csv", FIG, "series_id", "scr-lost"),
    ),
    Mutation(
        "unparseable period",
        "figures.csv",
        "period",
        lambda d: set_field(d, "figures.csv", FIG, "period", "FY2012/13"),
    ),
    Mutation(
        "impossible financial year",
        "figures.csv",
        "period",
        lambda d: set_field(d, "figures.csv", FIG, "period", "FY2012-14"),
    ),
    Mutation(
        "impossible date in a range",
        "figures.csv",
        "period",
        lambda d: set_field(d, "figures.csv", FIG, "period", "2013-02-30..2013-03-31"),
    ),
    Mutation(
        "unit not allowed",
        "figures.csv",
        "unit",
        lambda d: set_field(d, "figures.csv", FIG, "unit", "number"),
    ),
    Mutation(
        "unit differs from its series",
        "figures.csv",
        "unit",
        lambda d: set_field(d, "figures.csv", FIG, "unit", "percent"),
    ),
    Mutation(
        "identifier with capitals and spaces",
        "figures.csv",
        "figure_id",
        lambda d: set_field(d, "figures.csv", FIG, "figure_id", "Figure 81"),
    ),
    Mutation(
        "unknown derived_from",
        "figures.csv",
        "derived_from",
        lambda d: set_field(d, "figures.csv", FIG, "derived_from", "no-such-figure"),
    ),
    Mutation(
        "duplicate row", "figures.csv", "figure_id", lambda d: copy_row(d, "figures.csv", FIG)
    ),
    Mutation(
        "duplicate series, period and source",
        "figures.csv",
        "source_id",
        lambda d: copy_row(d, "figures.csv", FIG, figure_id="another-id"),
    ),
    Mutation(
        "conflicting value without a resolution",
        "figures.csv",
        "value",
        lambda d: copy_row(
            d,
            "figures.csv",
            FIG,
            figure_id="cc-81",
            source_id="12cp-disclosure-of-scrs",
            value="80",
            excerpt="when 80 were commissioned",
        ),
    ),
    Mutation(
        "extra column",
        "figures.csv",
        "weight",
        _header_edit("figures.csv", ",note", ",note,weight"),
    ),
    Mutation(
        "missing column",
        "figures.csv",
        "excerpt",
        _header_edit("figures.csv", ",excerpt,", ",words,"),
    ),
    Mutation("row with too few fields", "figures.csv", "-", _truncate_row),
    Mutation("file truncated inside a quoted field", "figures.csv", "-", _truncate_inside_quotes),
    Mutation(
        "a bound stored as an exact count",
        "figures.csv",
        "value_qualifier",
        lambda d: set_field(d, "figures.csv", FIG, "excerpt",
                            "compared with 2012/13, when more than 81 were commissioned"),
    ),
    Mutation(
        "an inferred period without its reason",
        "figures.csv",
        "period_inference",
        lambda d: set_field(d, "figures.csv", FIG, "period_basis", "inferred"),
    ),
    Mutation(
        "a resolution that is neither evidence nor judgement",
        "resolutions.csv",
        "basis",
        lambda d: set_field(d, "resolutions.csv", "published-fy2012-13", "basis", "hunch"),
    ),
    Mutation(
        "an event source that is neither primary nor secondary",
        "events.csv",
        "evidence",
        lambda d: set_field(d, "events.csv", "ofsted-evaluation-ends", "evidence", "hearsay"),
    ),
    Mutation(
        "a copy without its original or a reason",
        "sources.csv",
        "mirror_of",
        lambda d: set_field(d, "sources.csv", "docslib-wood-review", "original_note", ""),
    ),
    Mutation(
        "an event bounded by an unknown event",
        "events.csv",
        "not_before",
        lambda d: set_field(d, "events.csv", EVT, "not_before", "ofsted-evaluation-starts"),
    ),
    Mutation(
        "an event bounded by a later event",
        "events.csv",
        "not_before",
        lambda d: set_field(d, "events.csv", EVT, "not_before", "working-together-2013"),
    ),
    Mutation(
        "an unknown value qualifier",
        "figures.csv",
        "value_qualifier",
        lambda d: set_field(d, "figures.csv", FIG, "value_qualifier", "roughly"),
    ),
    Mutation(
        "impossible access date",
        "sources.csv",
        "date_accessed",
        lambda d: set_field(d, "sources.csv", SRC, "date_accessed", "2026-02-30"),
    ),
    Mutation(
        "date in another format",
        "sources.csv",
        "date_published",
        lambda d: set_field(d, "sources.csv", SRC, "date_published", "22/04/2014"),
    ),
    Mutation(
        "URL without a scheme",
        "sources.csv",
        "url",
        lambda d: set_field(d, "sources.csv", SRC, "url", "www.stowefamilylaw.co.uk"),
    ),
    Mutation(
        "unknown source kind",
        "sources.csv",
        "kind",
        lambda d: set_field(d, "sources.csv", SRC, "kind", "tweet"),
    ),
    Mutation(
        "blank publisher",
        "sources.csv",
        "publisher",
        lambda d: set_field(d, "sources.csv", SRC, "publisher", ""),
    ),
    Mutation(
        "duplicate source id", "sources.csv", "source_id", lambda d: copy_row(d, "sources.csv", SRC)
    ),
    Mutation(
        "mirror_of naming no registered source",
        "sources.csv",
        "mirror_of",
        lambda d: set_field(d, "sources.csv", SRC, "mirror_of", "the CYP Now story"),
    ),
    Mutation(
        "mirror_of holding an address instead of a registered original",
        "sources.csv",
        "mirror_of",
        lambda d: set_field(d, "sources.csv", "mirror-govuk-expert-panel-stronger-measures",
                            "mirror_of", "https://www.gov.uk/government/news/expert-panel"),
    ),
    Mutation("not UTF-8", "sources.csv", "-", _latin1),
    Mutation(
        "series without a definition",
        "series.csv",
        "definition",
        lambda d: set_field(d, "series.csv", "scr-published", "definition", ""),
    ),
    Mutation(
        "unknown stage",
        "series.csv",
        "stage",
        lambda d: set_field(d, "series.csv", "scr-published", "stage", "finished"),
    ),
    Mutation(
        "event precision does not match its date",
        "events.csv",
        "precision",
        lambda d: set_field(d, "events.csv", EVT, "precision", "day"),
    ),
    Mutation(
        "impossible event date",
        "events.csv",
        "date",
        lambda d: set_field(d, "events.csv", "full-publication", "date", "2010-06-31"),
    ),
    Mutation(
        "event from an unknown source",
        "events.csv",
        "source_id",
        lambda d: set_field(d, "events.csv", EVT, "source_id", "hearsay"),
    ),
    Mutation(
        "conflicting event dates without a resolution", "events.csv", "date", _unresolved_event
    ),
    Mutation(
        "unknown resolution rule",
        "resolutions.csv",
        "rule",
        lambda d: set_field(d, "resolutions.csv", RES, "rule", "coin-toss"),
    ),
    Mutation(
        "resolution choosing a source not in conflict",
        "resolutions.csv",
        "chosen_source_id",
        lambda d: set_field(
            d, "resolutions.csv", RES, "chosen_source_id", "12cp-disclosure-of-scrs"
        ),
    ),
    Mutation(
        "resolution of something that is not a conflict",
        "resolutions.csv",
        "conflict_id",
        lambda d: set_field(d, "resolutions.csv", RES, "period", "FY2013-14"),
    ),
    Mutation(
        "resolution without a reason",
        "resolutions.csv",
        "reason",
        lambda d: set_field(d, "resolutions.csv", RES, "reason", ""),
    ),
]


def _expected(folder: Path, mutation: Mutation, line: int) -> str:
    return f"{folder / mutation.file}:{line}: {mutation.field}: "


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_check_and_loader_reject_each_mutation_precisely(data_copy, mutation, capsys):
    line = mutation.apply(data_copy)
    code = main(["check", "--data", str(data_copy)])
    out = capsys.readouterr().out
    assert code == 4
    assert _expected(data_copy, mutation, line) in out, out
    with pytest.raises(DataError) as err:
        load(data_copy)
    assert any(
        (p.path, p.line, p.field) == (str(data_copy / mutation.file), line, mutation.field)
        for p in err.value.problems
    ), str(err.value)


def test_there_are_at_least_thirty_distinct_mutations():
    assert len({m.name for m in MUTATIONS}) >= 30


@pytest.mark.parametrize(
    "mutation", [MUTATIONS[0], MUTATIONS[26], MUTATIONS[34]], ids=lambda m: m.name
)
def test_scr_check_process_reports_without_traceback(data_copy, mutation):
    line = mutation.apply(data_copy)
    proc = subprocess.run(
        [sys.executable, "-m", "scrlib", "check", "--data", str(data_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 4
    assert "Traceback" not in proc.stdout + proc.stderr
    assert _expected(data_copy, mutation, line) in proc.stdout


def test_bom_and_windows_line_endings_are_accepted(data_copy, capsys):
    for path in data_copy.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert main(["check", "--data", str(data_copy)]) == 0
    typed, committed = load(data_copy).figures, load().figures
    assert list(typed["figure_id"]) == list(committed["figure_id"])
    assert list(typed["value"]) == list(committed["value"])
    assert list(typed["excerpt"]) == list(committed["excerpt"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(new=st.integers(min_value=0, max_value=5000))
@example(new=31)  # stated in the excerpt, but another source gives 81 for that year: a conflict
def test_any_count_the_excerpt_does_not_state_is_rejected(data_copy, new):
    from scrlib.record.validate import _token_in

    header, rows = _read(data_copy / "figures.csv")
    excerpt = next(r for r in rows if r[0] == FIG)[header.index("excerpt")]
    set_field(data_copy, "figures.csv", FIG, "value", str(new))
    states_it = _token_in(str(new), excerpt) or _token_in(f"{new:,}", excerpt)
    if states_it:  # the excerpt check accepts it (the value may still clash with another source)
        try:
            load(data_copy)
        except DataError as err:
            assert "excerpt:" not in str(err)
            assert "conflict without a resolution" in str(err)
    else:
        with pytest.raises(DataError, match="excerpt: does not contain the value"):
            load(data_copy)
