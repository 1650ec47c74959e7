"""The report's own pages (index, figures page) built from the record, without running a
notebook: references, the figures page's order and its accounts of computed numbers."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from scrlib.publish import pages, report


@pytest.fixture
def chrome():
    return pages.Chrome("2026-12-05", "0123456789abcdef", (("02-initiated", "Initiated"),))


def _stage(tmp_path: Path) -> Path:
    (tmp_path / "figures").mkdir(parents=True, exist_ok=True)
    return tmp_path


def _index(tmp_path, dataset, chrome) -> str:
    return pages.index_page(_stage(tmp_path), [], report.ReportConfig(), dataset, None, chrome)


def test_the_index_lists_each_work_once_led_by_its_author(tmp_path, dataset, chrome):
    from scrlib.record.cite import works

    index = _index(tmp_path, dataset, chrome)
    refs = re.findall(r"<li>(.*?)</li>", index.split('<ol class="references">')[1]
                      .split("</ol>")[0], flags=re.S)
    found = works(dataset)
    assert len(refs) == len(found) < len(dataset.sources)
    for ref, work in zip(refs, found, strict=True):
        assert html.unescape(re.sub(r"<[^>]+>", "", ref)).startswith(f"{work.author} ("), ref
    for copy in dataset.sources[dataset.sources["mirror_of"] != ""].itertuples():
        original = dataset.source(copy.mirror_of)
        shown = [r for r in refs if copy.url in r]
        assert len(shown) == 1 and shown[0].index(f'href="{original.url}"') < shown[0].index(
            f'href="{copy.url}"')
