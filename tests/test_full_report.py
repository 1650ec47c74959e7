"""The full report holds every notebook's page, charts and data; the index opens with the
answers and the headline chart; pages read like a publication. (Its own module, so the test
runner can build it beside the notebooks' papermill runs.)"""

from __future__ import annotations

import html
import json
import re

from test_notebooks import CHARTS, OTHER
from test_report import _Checker

from scrlib.publish import pages, report


def test_full_report_pages_index_and_charts(tmp_path):
    """One test (so one worker builds the report): every page, chart and dataset; the index
    opens with the answers and the headline chart; pages read like a publication. Smaller
    bootstraps than the defaults keep it short; the committed notebooks use the defaults."""
    full_report = tmp_path / "latest"
    config = report.ReportConfig(notebooks={"02-initiated": {"replicates": 49,
                                                             "power_replicates": 200,
                                                             "bayes_draws": 256,
                                                             "undercount_years": "2012-13"},
                                            "05-sensitivity": {"joint_replicates": 19,
                                                               "families": "quasipoisson,"
                                                                           "poisson",
                                                               "transitions": "sum,whole"}})
    report.build(full_report, config=config, log=lambda *_: None)
    _every_page_chart_and_dataset(full_report)
    _index_opens_with_the_answers_and_the_headline_chart(full_report)
    _pages_read_like_a_publication(full_report)


def _every_page_chart_and_dataset(full_report):
    index = (full_report / "index.html").read_text()
    for name in OTHER:
        page = (full_report / f"{name}.html").read_text()
        checker = _Checker()
        checker.feed(page)
        assert not checker.errors and checker.images >= 1, name
        assert "References" in page and "choose_one(" not in page, name
        assert f'href="{name}.html"' in index
    for stems in CHARTS.values():
        for stem in stems:
            for suffix in (".png", ".svg"):
                assert (full_report / "figures" / f"{stem}{suffix}").is_file(), stem
            assert (full_report / "figures" / f"{stem}.csv").is_file(), stem


ANSWERING = ["02-initiated", "03-publication", "04-notifications", "05-sensitivity",
             "07-long-record"]


def _index_opens_with_the_answers_and_the_headline_chart(full_report):
    index = (full_report / "index.html").read_text()
    first = index.index("<h2>Sections")
    key = json.loads((full_report / "figures" / "key-message.json").read_text())
    assert 2 <= len(key["sentences"]) <= 3
    lead = index[:index.index("The policy changes on the chart")]
    assert '<section class="key">' in lead and 'src="figures/02-initiated-headline.png"' in lead
    plain = re.sub(r"<[^>]+>", "", lead)
    assert html.escape(" ".join(key["sentences"])) in plain
    assert index.index("The answers in detail") < first
    # the longer record follows the key message: its sentences, linked, and its chart
    longer = json.loads((full_report / "figures" / "long-record.json").read_text())
    section = index[index.index('<section class="long">'):index.index("The answers in detail")]
    assert index.index('<section class="key">') < index.index('<section class="long">')
    assert 'src="figures/07-long-record-index.png"' in section
    assert html.escape(" ".join(longer["sentences"])) in re.sub(r"<[^>]+>", "", section)
    assert section.count('class="number"') == len(longer["numbers"]) >= 4
    for name in ANSWERING:
        answer = json.loads((full_report / "figures" / f"{name}-answer.json").read_text())
        assert 3 <= len(answer["sentences"]) <= 5, name
        assert html.escape(answer["question"]) in index[:first], name
        assert html.escape(" ".join(answer["sentences"])) in re.sub(r"<[^>]+>", "",
                                                                   index[:first]), name
    assert index.index("About this run") > index.index("<h2>References")
    params = index.split("About this run")[1].split("<footer")[0]
    assert "{" not in params  # parameters as text, not dicts
    assert "cdn" not in index.lower() and "<script" not in index


def _pages_read_like_a_publication(full_report):
    for name in OTHER:
        page = (full_report / f"{name}.html").read_text()
        text = re.sub(r"<[^>]+>", " ", re.sub(r"data:image/[^\"]+", "", page))
        assert not re.search(r"\bNaN\b", text), name
        assert "{'" not in text, name  # no raw parameter dicts
        assert not re.search(r"\d\.\d{6,}", text), name  # no unrounded numbers
        assert "No description has been provided" not in page, name  # alt text from the data
        assert "<script src=" not in page and "cdnjs" not in page, name  # nothing from the web
        assert f"<title>{html.escape(pages.notebook_title(full_report / f'{name}.ipynb'))}" \
            in page, name
        assert 'href="index.html"' in page and "Data as of " in page, name
