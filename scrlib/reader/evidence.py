"""Where a number a reader sees leads: the anchor of its entry on the report's figures page.

A cited figure has its own entry (``fig-<figure id>``); every figure of one series and period is
gathered under ``sp-<series>-<period>``; a number computed from figures (an average, a change)
has an entry named after what it is computed from, so the same number on two pages shares it.
"""

from __future__ import annotations


def figure_anchor(series_id: str, period: str) -> str:
    """The figures page's anchor for one series and period (every figure that states it)."""
    return f"sp-{series_id}-{period}"


def single_figure_anchor(figure_id: str) -> str:
    """The figures page's anchor for one figure."""
    return f"fig-{figure_id}"


def number_anchor(number: dict) -> str:
    """Where a number (``{"text", "series", "periods", "how"}``) links: the figures themselves
    for one cited value, else the entry that says how it was computed from them."""
    periods = list(number["periods"])
    if not number.get("how") and len(periods) == 1:
        return figure_anchor(number["series"], periods[0])
    how = number.get("how") or "from"
    return f"computed-{how}-{number['series']}-{periods[0]}-{periods[-1]}-{len(periods)}"


def link(number: dict) -> dict:
    """A number as an output's link entry (``{"text", "anchor"}``)."""
    return {"text": number["text"], "anchor": number_anchor(number)}
