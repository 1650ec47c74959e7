"""Tables any reader can use: a caption, scoped header cells, one header row, and a box that
scrolls sideways on a narrow screen; done once, whatever page the table is on."""

from __future__ import annotations

import re

import pandas as pd

from scrlib.publish.access import accessible_tables


def _pandas_table() -> str:
    """A table as notebook outputs show one: pandas' HTML, with an index name."""
    frame = pd.DataFrame({"SCRs initiated": [137, 131]},
                         index=pd.Index(["2007-08", "2008-09"], name="Period"))
    return frame.to_html()


def test_a_pandas_table_gets_a_caption_scopes_one_header_row_and_its_own_box():
    page = (f"<main><h2>The yearly counts</h2><p><strong>Not this.</strong> A list:</p>"
            f"<ul><li>an item</li></ul>{_pandas_table()}"
            f"<h3>Shares</h3><p><strong>Published shares.</strong> Text.</p>{_pandas_table()}"
            f"{_pandas_table()}{_pandas_table()}</main>")
    done = accessible_tables(page)
    captions = re.findall(r"<caption>(.*?)</caption>", done)
    assert captions == ["The yearly counts", "Published shares", "Shares", "Shares (2)"]
    for table in re.findall(r"<table\b.*?</table>", done, re.S):
        head = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
        assert head.count("<tr") == 1  # the index's name folded into the first row
        assert re.findall(r"<th[^>]*>([^<]*)</th>", head) == ["Period", "SCRs initiated"]
        assert all('scope="col"' in th for th in re.findall(r"<th\b[^>]*>", head))
        body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
        assert all('scope="row"' in th for th in re.findall(r"<th\b[^>]*>", body))
    boxes = re.findall(r'<div class="table-wrap" role="region" aria-label="([^"]+)" '
                       r'tabindex="0"><table', done)
    assert boxes == captions
    assert accessible_tables(done) == done  # a second pass changes nothing


def test_a_table_with_its_own_caption_and_header_keeps_them():
    page = ('<table><caption>What this run was given</caption><thead><tr><th scope="col">A'
            '</th><th scope="col">B</th></tr></thead><tbody><tr><th scope="row">x</th><td>1'
            "</td></tr></tbody></table>")
    done = accessible_tables(page)
    assert done.count("<caption>") == 1 and "What this run was given" in done
    assert 'aria-label="What this run was given"' in done
    assert done.count("scope=") == 3


def test_an_empty_corner_is_a_plain_cell_and_an_empty_second_row_goes():
    frame = pd.DataFrame({"Value": ["quasi-Poisson", "8"]}, index=["Model", "Years"])
    frame.index.name = ""
    page = f"<h2>The model</h2>{frame.to_html()}"
    done = accessible_tables(page)
    head = re.search(r"<thead>(.*?)</thead>", done, re.S).group(1)
    assert head.count("<tr") == 1 and "<td></td>" in head
    assert not re.search(r"<th[^>]*>\s*</th>", done)  # no header cell that heads nothing
