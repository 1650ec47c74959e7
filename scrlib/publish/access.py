"""Tables any reader can use, on every page of the report: a caption naming the table, header
cells that say whether they head a column or a row, one header row (pandas' separate row for the
index's name is folded into the first), and a box that scrolls sideways on a narrow screen
instead of the page.

This works on the rendered HTML of every page (notebook outputs included), so the tables are
the same whichever notebook or page made them; a table already done is left as it is.
"""

from __future__ import annotations

import html
import re

_TABLE = re.compile(r"<table\b[^>]*>.*?</table>", re.S)
_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S)
_LEAD = re.compile(r"<p>\s*<strong>(.*?)</strong>", re.S)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)
_CELL = re.compile(r"<t([hd])\b([^>]*)>(.*?)</t\1>", re.S)
WRAP = "table-wrap"


def _text(fragment: str) -> str:
    """Markup as plain text (entities kept escaped), spaces tidied, a pilcrow anchor dropped."""
    text = re.sub(r"<a class=\"anchor-link\".*?</a>", "", fragment, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip().rstrip(":.").strip()


def _one_header_row(table: str) -> str:
    """pandas writes the index's name in a second header row with nothing else in it (or an
    empty row where the name is empty): put the name in the first row's empty corner and drop
    the second row. An empty corner left is a plain cell, not a header that heads nothing."""
    head = re.search(r"<thead>(.*?)</thead>", table, re.S)
    if not head:
        return table
    rows = _ROW.findall(head.group(1))
    new_head = head.group(1)
    if len(rows) == 2:
        first, second = (_CELL.findall(r) for r in rows)
        if (first and len(first) == len(second) and not first[0][2].strip()
                and not any(c[2].strip() for c in second[1:])):
            name = second[0][2].strip()
            corner = (re.sub(r"<t([hd])\b([^>]*)></t\1>", f"<th>{name}</th>", rows[0], count=1)
                      if name else rows[0])
            new_head = new_head.replace(rows[0], corner, 1).replace(rows[1], "", 1)
    new_head = re.sub(r"(<tr\b[^>]*>\s*)<th\b[^>]*>\s*</th>", r"\1<td></td>", new_head, count=1)
    return table.replace(head.group(0), f"<thead>{new_head}</thead>", 1)


def _scoped(table: str) -> str:
    """Header cells with their scope: a column in the head, a row in the body."""
    def scope(section: str, kind: str) -> str:
        return re.sub(r"<th(?![^>]*\bscope=)(\s[^>]*)?>",
                      lambda m: f'<th scope="{kind}"{m.group(1) or ""}>', section)

    table = re.sub(r"<thead>.*?</thead>", lambda m: scope(m.group(0), "col"), table, flags=re.S)
    table = re.sub(r"<tbody>.*?</tbody>", lambda m: scope(m.group(0), "row"), table, flags=re.S)
    if "<thead>" not in table:  # a table of rows only: a first row of th heads the columns
        table = re.sub(r"<th(?![^>]*\bscope=)(\s[^>]*)?>",
                       lambda m: f'<th scope="col"{m.group(1) or ""}>', table, count=0)
    return table


def _name_above(above: str) -> str:
    """What the text above a table calls it: a bold lead-in right above it (nothing but markup
    between its paragraph and the table), else the nearest heading."""
    headings = list(_HEADING.finditer(above))
    leads = list(_LEAD.finditer(above))
    if leads and (not headings or leads[-1].start() >= headings[-1].end()):
        lead = leads[-1]
        end = above.find("</p>", lead.end())
        between = above[end:] if end >= 0 else ""
        if end >= 0 and not re.search(r"<(?:p|ul|ol|li|table|h[1-6])\b", between):
            return _text(lead.group(1)) or "A table"
    return _text(headings[-1].group(2)) if headings else "A table"


def accessible_tables(page: str) -> str:
    """``page`` with each table captioned (by the heading or bold lead-in above it: numbered
    when several share one), its header cells scoped, one header row, in a box of its own that
    scrolls sideways when the table is wider than the screen."""
    out, last, seen = [], 0, {}
    for found in _TABLE.finditer(page):
        before = page[last:found.start()]
        out.append(before)
        table = found.group(0)
        done = WRAP in page[max(0, found.start() - 200):found.start()]
        caption = re.search(r"<caption\b[^>]*>(.*?)</caption>", table, re.S)
        if caption:
            name = _text(caption.group(1))
        else:
            name = _name_above(page[:found.start()])
            seen[name] = seen.get(name, 0) + 1
            shown = name if seen[name] == 1 else f"{name} ({seen[name]})"
            opened = table.index(">") + 1
            table = f"{table[:opened]}<caption>{shown}</caption>{table[opened:]}"
            name = shown
        table = _scoped(_one_header_row(table))
        if not done:
            label = html.escape(html.unescape(name), quote=True)
            table = (f'<div class="{WRAP}" role="region" aria-label="{label}" tabindex="0">'
                     f"{table}</div>")
        out.append(table)
        last = found.end()
    out.append(page[last:])
    return "".join(out)
