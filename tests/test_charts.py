"""Every chart the report draws, compared with a committed baseline image (pytest-mpl).

nbval compares text outputs only, so a chart that silently changed would pass it. Here each
notebook's code runs in this process with its default parameters (fewer bootstrap replicates),
every figure it saves through ``plot.save`` is caught, and pytest-mpl compares it with
``tests/baseline/<chart>.png`` (RMS tolerance below); a difference fails ``make test`` and the
images (baseline, result, difference) are saved under ``reports/mpl/``. After an intended change,
``make baselines`` regenerates them; review the new images before committing them.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import nbformat
import pytest

from scrlib.reader import plot
from scrlib.record.paths import notebooks_dir

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: make test-slow

# Every chart the report draws (the names of its figures/*.png), by notebook.
CHARTS = {
    "01-sources": ["01-sources-coverage", "01-sources-seed"],
    "02-initiated": ["02-initiated-headline", "02-initiated-series", "02-initiated-breaks",
                     "02-initiated-explanations", "02-initiated-break-dates", "02-initiated-its"],
    "03-publication": ["03-publication"],
    "04-notifications": ["04-notifications-share", "04-notifications-long"],
    "05-sensitivity": ["05-sensitivity-curve"],
    "06-explore": ["06-explore-default"],
    "07-long-record": ["07-long-record", "07-long-record-index", "07-long-record-rates"],
}
# The defaults, except fewer bootstrap replicates and a smaller specification grid (the charts
# are drawn by the same code; their numbers are those of these settings, fixed by the seeds).
FASTER = {"02-initiated": {"replicates": 19, "power_replicates": 100, "bayes_draws": 256,
                           "undercount_years": "2012-13"},
          "05-sensitivity": {"joint_replicates": 19, "families": "quasipoisson,poisson",
                             "transitions": "sum,whole"}}
TOLERANCE = 2  # RMS difference (0-255 scale) allowed, pytest-mpl's default


def _draw(notebook: Path, values: dict, output_dir: Path) -> dict:
    """Run a notebook's code cells here (the live widget's cell left out) and return the
    figures it saves, by name."""
    return _run(notebook, values, output_dir)[0]


def _run(notebook: Path, values: dict, output_dir: Path) -> tuple[dict, dict]:
    """The figures a notebook saves, by name, and the names its cells left behind."""
    caught, save = {}, plot.save

    def catch(fig, stem, data=None):
        caught[Path(stem).name] = fig
        fig.scrlib_test_data = data  # what plot.save would write beside it
        return []

    plot.save = catch
    try:
        namespace: dict = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for cell in nbformat.read(notebook, as_version=4).cells:
                tags = cell.metadata.get("tags", [])
                if cell.cell_type != "code" or "nbval-skip" in tags:
                    continue
                exec(compile(cell.source, notebook.name, "exec"), namespace)
                if "parameters" in tags:
                    namespace.update(values, output_dir=str(output_dir))
    finally:
        plot.save = save
    return caught, namespace


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[dict, dict]:
    """Every notebook run once here: the figures by chart, the namespaces by notebook."""
    out = tmp_path_factory.mktemp("charts")
    figures, namespaces = {}, {}
    for name in CHARTS:
        caught, namespaces[name] = _run(notebooks_dir() / f"{name}.ipynb", FASTER.get(name, {}),
                                        out)
        figures.update(caught)
    return figures, namespaces


@pytest.fixture(scope="module")
def drawn(ran) -> dict:
    return ran[0]


def test_every_chart_the_report_draws_is_compared(drawn):
    assert sorted(drawn) == sorted(c for charts in CHARTS.values() for c in charts)
    assert sorted(CHARTS) == sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))


def _comparison(chart: str):
    @pytest.mark.mpl_image_compare(baseline_dir="baseline", filename=f"{chart}.png",
                                   tolerance=TOLERANCE, style=dict(plot.RC),
                                   savefig_kwargs={"metadata": {"Software": None}})
    def test(drawn):
        return drawn[chart]

    test.__name__ = test.__qualname__ = f"test_chart_{chart.replace('-', '_')}"
    test.__doc__ = f"{chart}: the same image as tests/baseline/{chart}.png"
    return test


for _chart in (c for charts in CHARTS.values() for c in charts):
    globals()[f"test_chart_{_chart.replace('-', '_')}"] = _comparison(_chart)


def _rms_against_baseline(fig, chart: str, tmp_path: Path) -> float:
    """The RMS difference pytest-mpl would find between ``fig`` and the chart's baseline."""
    import matplotlib.style
    from matplotlib.testing.compare import compare_images

    image = tmp_path / f"{chart}.png"
    with matplotlib.style.context(dict(plot.RC)):
        fig.savefig(image, metadata={"Software": None})
    found = compare_images(str(Path(__file__).parent / "baseline" / f"{chart}.png"), str(image),
                           tol=0, in_decorator=True)
    return 0.0 if found is None else float(found["rms"])


def test_a_revised_cited_value_still_fails_the_compared_outputs(ran, tmp_path, monkeypatch):
    """Outputs are rounded to the digits every BLAS kernel shares, not to where a real change
    hides: with one cited value revised (2014-15's 166 SCRs initiated read as 156 in every
    source) notebook 02's chart fails its baseline and its answer's words change."""
    import shutil

    from scrlib.record.paths import data_dir

    chart = "02-initiated-its"
    figures, namespaces = ran
    assert _rms_against_baseline(figures[chart], chart, tmp_path) <= TOLERANCE
    revised = tmp_path / "data"
    shutil.copytree(data_dir(), revised)
    table = revised / "figures.csv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines)
            if ",scr-initiated," in line and ",FY2014-15,166," in line]
    assert len(hits) == 2
    for i in hits:
        lines[i] = lines[i].replace(",FY2014-15,166,", ",FY2014-15,156,").replace(
            "166 SCRs", "156 SCRs")
    table.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setenv("SCRLIB_DATA", str(revised))
    (tmp_path / "out").mkdir()
    changed, namespace = _run(notebooks_dir() / "02-initiated.ipynb", FASTER["02-initiated"],
                              tmp_path / "out")
    assert 156 in namespace["frame"]["count"].tolist()
    assert _rms_against_baseline(changed[chart], chart, tmp_path) > TOLERANCE
    assert namespace["answer"].text != namespaces["02-initiated"]["answer"].text


# -- what a reader sees of each chart (issue 34) ---------------------------------------------
COUNT_CHARTS = ["01-sources-seed", "02-initiated-headline", "02-initiated-series",
                "02-initiated-explanations", "02-initiated-its", "04-notifications-long",
                "06-explore-default"]


def test_no_chart_has_labels_that_collide_or_are_cut_off(drawn):
    """Every label measured on the drawn chart: no two overlap, none covers a marker of the
    data, none runs off the chart (02's series chart had "National panel (month)" over its
    166 and its 81 over the 93 marker)."""
    from scrlib.reader.labels import collisions

    found = {name: collisions(fig) for name, fig in drawn.items()}
    assert not any(found.values()), {k: v for k, v in found.items() if v}


def test_the_collision_check_sees_overlaps_and_cut_off_labels():
    from matplotlib.figure import Figure

    from scrlib.reader.labels import collisions

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], marker="o")
    ax.annotate("166", (1, 1), xytext=(0, 0), textcoords="offset points")
    ax.annotate("National panel", (1, 1), xytext=(-4, -2), textcoords="offset points")
    ax.annotate("a label running off the right of the chart", (1, 0.5))
    found = collisions(fig)
    assert any("overlaps" in f for f in found)
    assert any("covers a marker" in f for f in found)
    assert any("cut off" in f for f in found)


def _extreme_series():
    """Two series that meet at one year and a third that peaks under four policy dates a few
    months apart: the labels' worst case."""
    from types import SimpleNamespace

    import pandas as pd

    years = pd.period_range("2008", periods=9, freq="Y-MAR")
    rows = []
    for sid, values in (("a", [137, 131, 136, 72, 60, 93, 143, 166, 134]),
                        ("b", [None, None, None, None, 55, 92, 114, 165, 133]),
                        ("c", [120, 125, 130, 71, 58, 81, 142, 166, 135])):
        for p, v in zip(years, values, strict=True):
            if v is not None:
                rows.append({"series_id": sid, "period": f"FY{p.year - 1}-{p.year % 100:02d}",
                             "start": p.start_time.normalize(), "end": p.end_time.normalize(),
                             "value": float(v), "fiscal_year": p, "source_ids": "s"})
    table = pd.DataFrame(rows)
    events = pd.DataFrame({"when": pd.to_datetime(["2012-07-01", "2013-03-21", "2013-06-01",
                                                   "2013-09-01"]),
                           "label": ["A policy with a long name", "WT 2013 in force",
                                     "National panel", "Another body set up"],
                           "precision": ["month", "day", "month", "month"],
                           "source_id": ["s"] * 4, "event_id": list("wxyz")})
    names = {"a": "SCRs initiated", "b": "SCRs commissioned", "c": "SCRs of a third kind"}
    dataset = SimpleNamespace(
        series_info=lambda sid: SimpleNamespace(name=names[sid]),
        source=lambda sid: SimpleNamespace(publisher="A publisher with a long name"))
    return dataset, table, events


def test_labels_never_collide_at_the_data_extremes(monkeypatch):
    """Values a few apart at one year, peaks under four policy dates within fifteen months,
    an open circle beside a point: the series and headline charts still keep every label
    apart and inside the chart."""
    import pandas as pd

    from scrlib.reader.labels import collisions

    dataset, table, events = _extreme_series()
    monkeypatch.setattr(plot, "source_line", lambda ds, ids: "Source: a publisher (2014).")
    alternatives = pd.DataFrame({"figure_id": ["f"], "value": [94.0], "source_id": ["s"]})
    dataset.figures = pd.DataFrame({"figure_id": ["f"],
                                    "start": [pd.Timestamp("2012-04-01")],
                                    "end": [pd.Timestamp("2013-03-31")]})
    for rows in (table, table[table["series_id"] != "c"]):
        fig = plot.plot_series(dataset, rows, events, alternatives=alternatives,
                               title="Three series and four dates")
        assert collisions(fig) == [], collisions(fig)
    frame = table[table["series_id"] == "a"].rename(columns={"value": "count"})
    frame = frame[frame["period"] != "FY2011-12"]  # a missing year, marked "no figure"
    fig = plot.plot_headline(dataset, frame, events, ylabel="SCRs initiated per year",
                             title="The headline at its extreme")
    assert collisions(fig) == [], collisions(fig)


def test_every_count_chart_starts_at_zero(drawn):
    """02's fitted-model chart started at 40 where the headline starts at 0."""
    for name in COUNT_CHARTS:
        assert drawn[name].axes[0].get_ylim()[0] == 0, name


def test_source_lines_are_readable_at_the_size_a_page_shows_them(drawn):
    """About 9 points (12 pixels) on the page, where a chart 8 inches wide is shown
    ``plot.PAGE_WIDTH_PX`` wide; they were about 7 pixels."""
    for name, fig in drawn.items():
        sources = [t for t in [*fig.texts, *(ax_text for ax in fig.axes for ax_text in ax.texts)]
                   if t.get_text().startswith("Source:") and t.get_visible()]
        if fig._supxlabel is not None and fig._supxlabel.get_text().startswith("Source:"):
            sources.append(fig._supxlabel)
        assert sources, name
        for text in sources:
            shown = text.get_fontsize() * plot.PAGE_WIDTH_PX / (72 * fig.get_figwidth())
            assert shown >= 12, (name, shown)


def test_a_log_scale_reads_in_plain_numbers(drawn):
    """The sensitivity chart's log scale had a 10^0 tick; its ticks are 0.5, 1, 2, 5, ..."""
    from scrlib.reader.labels import renderer

    fig = drawn["05-sensitivity-curve"]
    renderer(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert "1" in ticks and all(t.replace(".", "").isdigit() for t in ticks), ticks


def test_alt_text_says_what_a_chart_shows_in_a_sentence_or_two(drawn):
    """Never a dump of values (the coverage chart's was 3,700 characters of "values: 0, 0;
    ..."; a fitted line's read "SCRs initiated per year: 112, 137, 142, 148")."""
    import re

    for name, fig in drawn.items():
        alt = plot.describe(fig)
        assert 40 < len(alt) < 600, (name, len(alt))
        assert len(re.findall(r"(?<![\w-])\d[\d,.]*(?![\w-])", alt)) <= 8, (name, alt)
        assert len(re.findall(r"[.!?](?:\s|$)", alt)) <= 3, (name, alt)
        assert "linked below" not in alt and ".0" not in alt, (name, alt)


def test_the_explanations_chart_draws_each_line_its_own_way(drawn):
    """Five grey lines, two with near-identical dashes: now each explanation has its own
    colour (Okabe-Ito), line style and marker."""
    ax = drawn["02-initiated-explanations"].axes[0]
    lines = [line for line in ax.get_lines() if line.get_linestyle() not in ("None", "")
             and not line.get_label().startswith("_")]
    assert len(lines) >= 4
    for look in (lambda line: line.get_color(), lambda line: str(line._dash_pattern),
                 lambda line: line.get_marker()):
        assert len({look(line) for line in lines}) == len(lines)


def test_chart_data_files_are_readers_tables(drawn, tmp_path):
    """Each chart's data file, as plot.save writes it: headers in words and capitalised,
    periods as a reader writes them, no ids or codes, whole numbers as whole numbers ("137",
    not "137.0")."""
    import csv
    import re

    from test_reader_words import found_code

    saved = 0
    for name, fig in drawn.items():
        data = getattr(fig, "scrlib_test_data", None)
        if data is None:
            continue
        path = plot.save(fig, tmp_path / name, data=data)[2]
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        head, body = rows[0], rows[1:]
        assert all(h[:1].isupper() or h[:1].isdigit() or h == "p" for h in head), (name, head)
        assert not found_code(path.read_text(encoding="utf-8")), (name, found_code(
            path.read_text(encoding="utf-8"))[:5])
        assert not any(re.fullmatch(r"-?\d+\.0", cell) for row in body for cell in row), name
        assert not any(h.endswith("_id") or h.endswith("_ids") for h in head), name
        saved += 1
    assert saved >= 12
