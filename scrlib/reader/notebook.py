"""Set-up shared by every notebook: display options and chart settings that keep outputs stable."""

from __future__ import annotations

import pandas as pd

# Where a reader table or a paragraph says which of its numbers lead to their evidence: a table
# keeps ``{"row": i, "column": j, "text": words, "anchor": id}`` entries in ``attrs[LINKS]``; an
# output carries them in its metadata under the same key, and the report turns each into a link
# to ``figures.html#<anchor>`` (JupyterLab shows the output as it is).
LINKS = "scrlib_links"


def setup() -> None:
    """Show whole excerpts in tables and make charts reproducible; call once in a notebook.
    Tables that name their numbers' evidence keep it in their output's metadata."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 120)
    pd.set_option("display.float_format", "{:g}".format)
    from scrlib.reader import plot  # (here, so the report's pages need not import matplotlib)

    plot.configure()
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook packages
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)


def table_html(frame: pd.DataFrame):
    """A DataFrame's HTML for readers (:func:`for_readers`: one header row, capitalised), with
    the links of ``frame.attrs[LINKS]`` (if any) as its metadata."""
    body = for_readers(frame)._repr_html_()
    links = frame.attrs.get(LINKS)
    return (body, {LINKS: list(links)}) if links else body


def for_readers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a reader's table: one header row (the name of its row labels in the
    corner, where pandas would give it a header row of its own, otherwise empty) and every
    header with a capital letter ("p" for a p-value excepted)."""
    from scrlib.reader.words import capitalised

    def header(name):
        if not isinstance(name, str) or name == "p" or name.startswith(("p ", "p,")):
            return name
        return capitalised(name)

    out = frame.copy(deep=False)
    if isinstance(out.columns, pd.MultiIndex) or isinstance(out.index, pd.MultiIndex):
        return out
    out.columns = [header(c) for c in out.columns]
    corner = out.index.name if out.index.name is not None else out.columns.name
    out = out.rename_axis(index=None, columns=header(corner) if corner is not None else None)
    return out


def with_links(frame: pd.DataFrame, cells) -> pd.DataFrame:
    """``frame`` with ``cells`` (``(row position, column name, anchor)``) recorded as the numbers
    that lead to their evidence (a dash or an empty cell links nowhere)."""
    from scrlib.its import fmt

    links = []
    for row, column, anchor in cells:
        j = frame.columns.get_loc(column)
        text = frame.iat[row, j]
        if not anchor or fmt.missing(text) or str(text) in ("", fmt.DASH):
            continue
        links.append({"row": int(row), "column": int(j), "text": str(text), "anchor": anchor})
    frame.attrs[LINKS] = links
    return frame


class LinkedMarkdown:
    """Markdown whose numbers lead to their evidence in the report (``links``: ``{"text",
    "anchor"}`` entries)."""

    def __init__(self, text: str, links=()):
        self.text, self.links = text, [dict(link) for link in links]

    def _repr_markdown_(self):
        return (self.text, {LINKS: self.links}) if self.links else self.text

    def __repr__(self) -> str:  # the plain-text form of the output: the words, nothing else
        return self.text


def show(fig):
    """Display a Figure as a PNG made without pyplot (same bytes on every run on one machine),
    with alt text from its data and, once saved, the name of its files for the page's links."""
    import io

    from IPython.display import Image

    from scrlib.reader import plot

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    chart = getattr(fig, "scrlib_chart", "")
    about = {"chart": chart, "chart_data": bool(getattr(fig, "scrlib_chart_data", False))}
    return Image(data=buffer.getvalue(), format="png", alt=plot.describe(fig),
                 metadata=about if chart else None)


def markdown(text: str):
    """Display Markdown text (e.g. a reference list) as a cell output."""
    from IPython.display import Markdown

    return Markdown(text)
