"""Set-up shared by every notebook: display options and chart settings that keep outputs stable."""

from __future__ import annotations

import pandas as pd

from scrlib.reader import plot


def setup() -> None:
    """Show whole excerpts in tables and make charts reproducible; call once in a notebook."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 120)
    pd.set_option("display.float_format", "{:g}".format)
    plot.configure()


def show(fig):
    """Display a Figure as a PNG made without pyplot (same bytes on every run on one machine),
    with alt text from its data and, once saved, the name of its files for the page's links."""
    import io

    from IPython.display import Image

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
