"""What changed since the last report: figures, headline estimates, charts, notebook outputs."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from scrlib.publish import changes, report
from scrlib.reader.answers import Answer

FIELDS = ["figure_id", "series_id", "period", "value", "unit", "source_id", "excerpt", "url"]


def _report(folder: Path, figures: list[dict], estimates=(), charts=None, outputs="1") -> Path:
    """A minimal report folder: manifest, data/figures.csv, one answer, charts, a notebook."""
    (folder / "data").mkdir(parents=True)
    (folder / "figures").mkdir()
    (folder / "manifest.json").write_text("{}")
    with (folder / "data" / "figures.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(figures)
    Answer("02-initiated", "Q?", ("A.",), estimates=tuple(estimates)).write(folder / "figures")
    for name, (png, data) in (charts or {}).items():
        (folder / "figures" / f"{name}.png").write_bytes(png)
        (folder / "figures" / f"{name}.csv").write_text(data)
    nb = new_notebook(cells=[new_code_cell("1", outputs=[
        new_output("execute_result", data={"text/plain": outputs}, execution_count=1)])])
    nbformat.write(nb, folder / "02-initiated.ipynb")
    return folder


def _figure(fid, value, period="FY2012-13"):
    return {"figure_id": fid, "series_id": "scr-published", "period": period,
            "value": str(value), "unit": "count", "source_id": "s", "excerpt": f"{value} x",
            "url": "https://example.org/"}


def test_the_first_report_has_nothing_to_compare_with(tmp_path):
    now = _report(tmp_path / "now", [_figure("a", 31)])
    found = changes.compare(None, now)
    assert not found.previous and not found.nothing_new
    assert "first report" in found.sentence()
    assert changes.compare(tmp_path / "missing", now).previous is False


def test_the_same_report_twice_says_nothing_changed(tmp_path):
    kwargs = {"estimates": [("step", 2.5)], "charts": {"c": (b"png", "x,y\n1,2\n")}}
    before = _report(tmp_path / "before", [_figure("a", 31)], **kwargs)
    now = _report(tmp_path / "now", [_figure("a", 31)], **kwargs)
    found = changes.compare(before, now)
    assert found.nothing_new and found.summary()["nothing_new"] is True
    assert found.sentence().startswith("Nothing changed since the last report")


def test_figures_added_revised_and_removed_are_listed_with_their_fields(tmp_path):
    before = _report(tmp_path / "before", [_figure("a", 31), _figure("b", 13)])
    now = _report(tmp_path / "now", [_figure("a", 32), _figure("c", 71, "FY2013-14")])
    found = changes.compare(before, now)
    assert [f["figure_id"] for f in found.figures_added] == ["c"]
    assert [f["figure_id"] for f in found.figures_removed] == ["b"]
    (revised,) = found.figures_revised
    assert revised["figure_id"] == "a" and revised["fields"] == ["value", "excerpt"]
    assert revised["before"]["value"] == "31" and revised["after"]["value"] == "32"
    assert "1 figure added, 1 figure revised, 1 figure removed" in found.sentence()


def test_an_estimate_moves_only_beyond_the_stated_tolerance(tmp_path):
    before = _report(tmp_path / "before", [], estimates=[("big", 2.50), ("small", 0.300),
                                                         ("gone", 1.0)])
    now = _report(tmp_path / "now", [], estimates=[("big", 2.52), ("small", 0.312),
                                                   ("new", 4.0)])
    moved = {m["estimate"]: m for m in changes.compare(before, now).estimates_moved}
    assert "big" not in moved  # 0.8% of 2.5
    assert moved["small"]["before"] == 0.3 and moved["small"]["after"] == 0.312  # 0.012 > 0.01
    assert moved["gone"]["after"] is None and moved["new"]["before"] is None


def test_charts_with_changed_data_or_image_and_notebooks_with_changed_outputs(tmp_path):
    before = _report(tmp_path / "before", [], charts={
        "same": (b"p", "1\n"), "data": (b"p", "1\n"), "image": (b"p", "1\n"),
        "gone": (b"p", "1\n")}, outputs="old")
    now = _report(tmp_path / "now", [], charts={
        "same": (b"p", "1\n"), "data": (b"q", "2\n"), "image": (b"q", "1\n"),
        "new": (b"p", "1\n")}, outputs="new")
    found = changes.compare(before, now)
    assert {c["chart"]: c["what"] for c in found.charts_changed} == {
        "data": "data changed", "image": "image changed", "gone": "removed", "new": "added"}
    assert found.notebooks_changed == ["02-initiated"]


def test_the_pages_escape_what_they_show(tmp_path):
    before = _report(tmp_path / "before", [_figure("a", 31)])
    now = _report(tmp_path / "now", [_figure("a", 31) | {"excerpt": "<b>31</b> & more"}])
    found = changes.compare(before, now)
    changes.write(found, now)
    page = (now / "changes.html").read_text()
    assert "&lt;b&gt;31&lt;/b&gt; &amp; more" in page and "<b>31</b>" not in page
    assert json.loads((now / "changes.json").read_text())["summary"]["figures_revised"] == 1


@pytest.mark.slow
def test_a_report_run_after_a_revision_says_what_changed(tmp_path, data_copy, monkeypatch):
    """Two real runs of a small notebook that reports one cited figure as its headline estimate,
    the second after a test revision of that figure (value and excerpt alike)."""
    from tests.test_report import _notebook

    notebook = _notebook(tmp_path / "nbs", "01-headline", (
        "from scrlib.reader.answers import Answer\n"
        "from scrlib.record.load import load\n"
        "rows = load().resolved(['scr-published']).query('period == \"FY2013-14\"')\n"
        "value = float(rows['value'].iloc[0])\n"
        "Answer('01-headline', 'How many?', (f'{value:g}.',),\n"
        "       estimates=(('published 2013-14', value),)).write(output_dir)\n"
        "value"))
    target = tmp_path / "latest"
    monkeypatch.setenv("SCRLIB_DATA", str(data_copy))
    report.build(target, notebooks=[notebook], log=lambda *_: None)
    first = json.loads((target / "manifest.json").read_text())["changes"]
    assert first["previous_report"] is False
    figures = data_copy / "figures.csv"
    with figures.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    # Test values, not cited ones: every source's 71 published in 2013-14 becomes 70 (value and
    # excerpt alike), so scr check still passes and no conflict arises.
    revised = sorted(r["figure_id"] for r in rows
                     if r["series_id"] == "scr-published" and r["period"] == "FY2013-14")
    for r in rows:
        if r["figure_id"] in revised:
            r["value"], r["excerpt"] = "70", r["excerpt"].replace("71", "70")
    with figures.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    report.build(target, notebooks=[notebook], log=lambda *_: None)
    found = json.loads((target / "changes.json").read_text())
    assert [f["figure_id"] for f in found["figures_revised"]] == revised
    assert {float(f["after"]["value"]) for f in found["figures_revised"]} == {70.0}
    assert found["summary"]["nothing_new"] is False
    assert found["estimates_moved"] == [{"notebook": "01-headline",
                                         "estimate": "published 2013-14",
                                         "before": 71.0, "after": 70.0,
                                         "because": "the data changed"}]
    assert {c["cause"] for c in found["causes"]} == {"data"}
    assert any(c["detail"].endswith("figures.csv changed") for c in found["causes"])
    assert "Because the data changed." in (target / "changes.html").read_text()
    assert found["notebooks_changed"] == ["01-headline"]
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["changes"] == found["summary"]
    index = (target / "index.html").read_text()
    assert 'href="changes.html"' in index and "2 figures revised" in index
    report.build(target, notebooks=[notebook], log=lambda *_: None)  # and once more: no news
    assert json.loads((target / "manifest.json").read_text())["changes"]["nothing_new"] is True
    shutil.rmtree(target)


def test_a_damaged_earlier_report_is_said_and_does_not_stop_the_run(tmp_path):
    before = _report(tmp_path / "before", [_figure("a", 31)])
    (before / "figures" / "02-initiated-answer.json").write_text("{not json")
    now = _report(tmp_path / "now", [_figure("a", 31)])
    found = changes.compare(before, now)
    assert found.summary()["previous_unreadable"] is True and not found.nothing_new
    assert "could not be read" in found.sentence()


def test_changes_say_why_a_setting_moved_an_estimate(tmp_path):
    """Issue 25: a run with another conflict rule says that a parameter changed, which, and
    attributes the moved estimate to it; code and package changes are named too."""
    from scrlib.publish import changes as what_changed
    from scrlib.reader.answers import Answer

    before, after = tmp_path / "before", tmp_path / "after"
    for folder, value in ((before, 0.83), (after, 0.91)):
        (folder / "figures").mkdir(parents=True)
        Answer("02-initiated", "q", ("s",), estimates=(("ratio", value),)).write(
            folder / "figures")
    manifest = {"parameters": {"02-initiated": {}}, "git_commit": "a" * 40,
                "packages": {"numpy": "2.4.6"}, "inputs": {"data/figures.csv": "x"}}
    (before / "manifest.json").write_text(json.dumps(manifest))
    now = {"parameters": {"02-initiated": {"conflict_rule": "alternative"}},
           "git_commit": "b" * 40, "packages": {"numpy": "2.5.0"},
           "inputs": {"data/figures.csv": "x"}}
    found = what_changed.compare(before, after, now)
    details = [c["detail"] for c in found.causes]
    assert "02-initiated: conflict_rule (default) -> alternative" in details
    assert f"commit {'a' * 12} -> {'b' * 12}" in details and "numpy 2.4.6 -> 2.5.0" in details
    assert found.estimates_moved[0]["because"] == "its parameters changed"
    assert found.sentence().endswith("Because parameters or the configuration changed, the "
                                     "code changed and package versions changed.")


def test_the_changes_page_has_the_frame_of_every_other_page(tmp_path):
    """Navigation, the build's data date and commit, a mobile viewport and a main landmark, the
    same as the index and figures pages (one frame: pages._document)."""
    from scrlib.publish import pages

    before = _report(tmp_path / "before", [_figure("a", 31)])
    now = _report(tmp_path / "now", [_figure("a", 32)])
    chrome = pages.Chrome("2026-11-25", "c" * 40, (("02-initiated", "Initiated"),))
    changes.write(changes.compare(before, now), now, chrome)
    page = (now / "changes.html").read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1.0">' in page
    assert chrome.nav("changes") in page and 'href="02-initiated.html"' in page
    assert chrome.footer() in page
    assert "Data as of 25 November 2026, built from commit cccccccccccc" in page
    assert page.count("<main") == 1 and page.index("<main") < page.index("<h1>")
    assert page.index("</h1>") < page.index("1 figure revised") < page.index("</main>")
    assert pages.STYLE in page  # the report's one stylesheet


def _estimates_report(folder: Path, estimates, key=None) -> Path:
    """A report folder holding one answer's estimates and, if given, a key message (its shown
    numbers and estimates)."""
    from scrlib.reader.answers import KeyMessage

    (folder / "figures").mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    Answer("02-initiated", "q", ("s",), estimates=tuple(estimates)).write(folder / "figures")
    if key is not None:
        shown, key_estimates = key
        KeyMessage(("A.",), shown=tuple(shown), estimates=tuple(key_estimates)).write(
            folder / "figures")
    return folder


def test_a_verdict_that_changes_is_said_in_words(tmp_path):
    """Issue 34: an interval end moving from 0.9806 to 1.003 is a verdict that changed (the
    interval now excludes no change), and so is a p crossing 0.05; a move that keeps the
    verdict is not; a difference's interval is judged against 0, a ratio's against 1."""
    step = "Ofsted evaluation ends, step"
    before = _estimates_report(tmp_path / "before", [
        (f"{step}: rate ratio", 2.2), (f"{step}: 95% low", 0.9806), (f"{step}: 95% high", 9.1),
        (f"{step}: p", 0.052), ("difference: 95% low", -3.0), ("difference: 95% high", 5.0),
        ("difference: p (quasi-binomial)", 0.40), ("other: rate ratio", 1.5),
        ("other: 95% low", 1.2), ("other: 95% high", 2.0)])
    now = _estimates_report(tmp_path / "now", [
        (f"{step}: rate ratio", 2.5), (f"{step}: 95% low", 1.003), (f"{step}: 95% high", 9.96),
        (f"{step}: p", 0.0496), ("difference: 95% low", 0.5), ("difference: 95% high", 9.0),
        ("difference: p (quasi-binomial)", 0.30), ("other: rate ratio", 1.6),
        ("other: 95% low", 1.1), ("other: 95% high", 2.4)])
    found = changes.compare(before, now)
    got = {(v["what"], v["kind"]): v for v in found.verdicts_changed}
    assert set(got) == {(step, "interval"), (f"{step}: p", "p"), ("difference", "interval")}
    assert got[(step, "interval")]["now"] == "excludes" and got[(step, "interval")]["null"] == 1
    assert got[("difference", "interval")]["null"] == 0
    assert got[(f"{step}: p", "p")]["now"] == "at or below"
    assert found.sentence().startswith("Since the last report: 3 verdicts changed")
    from scrlib.publish import pages

    chrome = pages.Chrome("2026-11-25", "c" * 40, (("02-initiated", "SCRs initiated"),))
    changes.write(found, now, chrome)
    page = (now / "changes.html").read_text()
    assert ("SCRs initiated, Ofsted evaluation ends, step: the 95% interval now excludes no "
            "change (1): 1.003 to 9.96 (it was 0.9806 to 9.1).") in page
    assert "now at or below 0.05: 0.0496 (it was 0.052)." in page
    back = _estimates_report(tmp_path / "back", [
        (f"{step}: rate ratio", 2.2), (f"{step}: 95% low", 0.9806), (f"{step}: 95% high", 9.1),
        (f"{step}: p", 0.052)])
    again = {v["what"]: v["now"] for v in changes.compare(now, back).verdicts_changed}
    assert again == {step: "includes", f"{step}: p": "above"}


def test_the_key_messages_numbers_are_listed_when_they_read_differently(tmp_path):
    """The key message's own numbers, as shown ("1 in 19" to "1 in 18"), always listed when
    they move at the digits shown, even when the estimate behind them moves little."""
    name = "how often a change this large turns up by chance with no change"
    before = _estimates_report(tmp_path / "before", [], key=(
        [(name, "1 in 19"), ("SCRs a year before", "about 135")], [(f"{name}: p", 0.052)]))
    same = _estimates_report(tmp_path / "same", [], key=(
        [(name, "1 in 19"), ("SCRs a year before", "about 135")], [(f"{name}: p", 0.052)]))
    now = _estimates_report(tmp_path / "now", [], key=(
        [(name, "1 in 18"), ("SCRs a year before", "about 135")], [(f"{name}: p", 0.0525)]))
    assert changes.compare(before, same).nothing_new
    found = changes.compare(before, now)
    assert found.key_numbers_changed == [{"what": name, "before": "1 in 19", "after": "1 in 18"}]
    assert not found.nothing_new and "1 number of the key message changed" in found.sentence()
    changes.write(found, now)
    page = (now / "changes.html").read_text()
    assert "<td>1 in 19</td><td>1 in 18</td>" in page


def test_the_changes_page_is_in_words(tmp_path):
    """No ids, codes or arrows a reader would not write: series and sources by name, periods
    as a reader writes them, a parameter and its values in words, the program's change without
    its commit."""
    import re

    from scrlib.publish import pages
    from scrlib.record.load import load

    dataset = load()
    source = dataset.figures.query("series_id == 'scr-published'")["source_id"].iloc[0]
    before = _report(tmp_path / "before", [_figure("a", 31) | {"source_id": source},
                                           _figure("b", 12, "FY2011-12")])
    now = _report(tmp_path / "now", [_figure("a", 13) | {"source_id": source},
                                     _figure("c", 71, "FY2013-14") | {"source_id": source}])
    manifest = {"parameters": {"02-initiated": {}}, "git_commit": "a" * 40, "packages": {},
                "inputs": {}}
    (before / "manifest.json").write_text(json.dumps(manifest))
    found = changes.compare(before, now, {
        "parameters": {"02-initiated": {"conflict_rule": "alternative"}},
        "git_commit": "b" * 40, "packages": {}, "inputs": {}})
    chrome = pages.Chrome("2026-11-25", "c" * 40, (("02-initiated", "SCRs initiated"),))
    changes.write(found, now, chrome, dataset)
    page = (now / "changes.html").read_text()
    main = page[page.index("<main"):page.index("</main>")]
    text = re.sub(r"<[^>]+>", " ", main)
    name = dataset.series_info("scr-published").name
    assert name in text and "2013-14" in text and "2011-12" in text
    assert dataset.source(source).short in html_unescape(text)
    assert "SCRs initiated: where sources disagree on a count was" in html_unescape(text)
    assert "The program that builds the report changed." in text
    for code in ("scr-published", "FY20", "conflict_rule", "->", "a" * 12, "b" * 12,
                 "02-initiated", "figure_id", "(s)"):
        assert code not in text, code
    assert "<caption>" in main and 'scope="col"' in main


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)
