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
