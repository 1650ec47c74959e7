"""Reprints not marked: ``scr check`` warns (exit status unchanged) of a source whose excerpt
appears word for word in another publisher's registered source, unless the record says how the
two relate; the committed record gives no such warning."""

from __future__ import annotations

import csv

from scrlib.cli import main
from scrlib.record.paths import data_dir
from scrlib.record.reprints import MIN_WORDS, unmarked_reprints
from scrlib.record.validate import read_dataset

ORIGINAL = "cypnow-steep-rise-in-scrs"
REPRINTED = "There were just 72 SCRs initiated in 2010/11, compared with 136 in 2009/10."


def _record(folder):
    raw, problems = read_dataset(folder)
    assert not problems
    sources = [dict(row.values) for row in raw.rows["sources"]]
    excerpts = [(row["source_id"], row["excerpt"])
                for name in ("figures", "events") for row in raw.rows[name]]
    return sources, excerpts


def _append(path, row):
    with path.open(encoding="utf-8", newline="") as handle:
        columns = csv.DictReader(handle).fieldnames
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, columns, lineterminator="\n").writerow(
            {c: row.get(c, "") for c in columns})


def _reprint(folder, **marks):
    """Register another publisher's page whose figure quotes CYP Now's sentence word for word."""
    _append(folder / "sources.csv", {
        "source_id": "example-weekly-scrs", "publisher": "Example Weekly",
        "producer": "Ofsted (figures retold)", "title": "SCRs fall", "kind": "news",
        "url": "https://example.org/scrs-fall", "date_accessed": "2026-12-06", **marks})
    _append(folder / "figures.csv", {
        "figure_id": "example-weekly-initiated-fy2010-11", "series_id": "scr-initiated",
        "period_stated": "2010/11", "period": "FY2010-11", "value": "72", "unit": "count",
        "source_id": "example-weekly-scrs", "excerpt": REPRINTED, "value_qualifier": "exact",
        "period_basis": "stated"})


def test_the_committed_record_has_no_unmarked_reprint():
    assert unmarked_reprints(*_record(data_dir())) == []


def test_a_reprint_not_marked_is_a_warning_and_the_exit_status_is_unchanged(data_copy, capsys):
    _reprint(data_copy)
    assert main(["check", "--data", str(data_copy)]) == 0
    out, err = capsys.readouterr()
    assert "scr check: OK" in out
    [warning] = [line for line in err.splitlines() if "example-weekly-scrs" in line]
    assert warning.startswith("scr check: warning: source example-weekly-scrs:")
    assert f"in {ORIGINAL} (Children & Young People Now)" in warning
    assert "there were just 72 scrs initiated" in warning


def test_marking_the_reprint_as_a_copy_ends_the_warning(data_copy, capsys):
    _reprint(data_copy, copy="yes", mirror_of=ORIGINAL)
    assert main(["check", "--data", str(data_copy)]) == 0
    assert "example-weekly-scrs" not in capsys.readouterr().err


def test_no_registered_original_is_flagged_and_each_copy_is_once_its_marks_are_gone():
    """Take away one registered copy's marks (copy, mirror_of, and every note that names it or
    its original): where their excerpts share a passage, the copy is flagged, never its original."""
    sources, excerpts = _record(data_dir())
    copies = [s for s in sources if s["mirror_of"]]
    flagged = set()
    for copy in copies:
        pair = (copy["source_id"], copy["mirror_of"])
        unmarked = [dict(s, copy="", mirror_of="", note="", original_note="")
                    if s["source_id"] == copy["source_id"]
                    else dict(s, note="", original_note="") if s["source_id"] in pair else s
                    for s in sources]
        found = [r for r in unmarked_reprints(unmarked, excerpts)
                 if {r.reprint, r.original} == {copy["source_id"], copy["mirror_of"]}]
        assert all(r.reprint == copy["source_id"] for r in found), copy["source_id"]
        flagged |= {r.reprint for r in found}
    assert "fostertalk-sharp-rise-covid" in flagged  # Community Care's paragraphs, unmarked


def test_a_short_shared_phrase_or_one_publisher_is_no_reprint():
    base = {"copy": "", "mirror_of": "", "note": "", "original_note": "", "date_published": ""}
    sources = [dict(base, source_id="a", publisher="A News"),
               dict(base, source_id="b", publisher="B Post"),
               dict(base, source_id="c", publisher="A News (mirror at a.example)")]
    fact = "379 serious incident notifications in 2021"  # fewer words than MIN_WORDS
    assert len(fact.split()) < MIN_WORDS
    assert unmarked_reprints(sources, [("a", fact), ("b", f"the panel received {fact}.")]) == []
    long = "The report analyses 330 serious safeguarding incidents which occurred in the year"
    assert unmarked_reprints(sources, [("a", long), ("c", long)]) == []  # one publisher
    # a part between cuts is looked for on its own, quotes and case made plain
    found = unmarked_reprints(sources, [("a", f"Overall ... {long}"),
                                        ("b", f"\u201c{long.upper()}\u201d, it said")])
    assert [(r.reprint, r.original) for r in found] == [("b", "a")]
