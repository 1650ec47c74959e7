"""Chart labels that never collide: measured on the drawn figure, placed, and checked.

A chart's words are measured where the reader will see them (the figure laid out and drawn by
Agg), not guessed from font sizes. :func:`declutter` moves what may move: a policy date's label
goes above the plot, in as many rows as its neighbours need; the legend goes to the corner
that covers no marker and no label; a value's label tries above its point, then below, right
and left, until it overlaps nothing. :func:`collisions` says what still overlaps (nothing, for
every chart the report draws: ``tests/test_charts.py``).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

EVENT = "scrlib-event"  # gid of a policy date's label (placed above the plot by declutter)
FIXED = "scrlib-fixed"  # gid of a label that stays where it was drawn
ROW = 11.0  # points between rows of event labels above a plot
PAD = 1.5  # pixels of clear space a label keeps around it
# Where a value's label may go, tried in order: (dx, dy) in points, horizontal and vertical
# alignment (above its point, below, right, left, then diagonals).
OFFSETS = ((0, 6, "center", "bottom"), (0, -7, "center", "top"), (7, 0, "left", "center"),
           (-7, 0, "right", "center"), (6, 5, "left", "bottom"), (-6, 5, "right", "bottom"),
           (6, -5, "left", "top"), (-6, -5, "right", "top"), (0, 14, "center", "bottom"),
           (0, -15, "center", "top"))
LEGEND_PLACES = ("upper left", "upper right", "lower right", "lower left", "center right",
                 "center left", "upper center", "lower center", "center")


def renderer(fig):
    """The figure laid out and drawn (Agg), and the renderer that measured it."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _box(artist, r) -> Bbox | None:
    if not artist.get_visible():
        return None
    if isinstance(artist, Text) and not artist.get_text().strip():
        return None
    box = artist.get_window_extent(r)
    return box if box.width > 0 and box.height > 0 else None


def _padded(box: Bbox, pad: float = PAD) -> Bbox:
    return Bbox.from_extents(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)


def _overlap(a: Bbox, b: Bbox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def marker_boxes(ax, r) -> list[tuple[Line2D, Bbox]]:
    """A box round every marker a line draws (its points, at the marker's size)."""
    out = []
    frame = ax.get_window_extent(r)
    for line in ax.get_lines():
        if not line.get_visible() or line.get_marker() in (None, "None", "", " ", ","):
            continue
        if line.get_marker() in ("|", "_"):
            continue  # a tick mark of a panel of choices, not a point of data
        try:
            points = line.get_transform().transform(line.get_xydata())
        except (TypeError, ValueError):
            continue
        half = r.points_to_pixels(line.get_markersize()) / 2
        for x, y in points:
            if (math.isfinite(x) and math.isfinite(y)
                    and frame.x0 - 1 <= x <= frame.x1 + 1 and frame.y0 - 1 <= y <= frame.y1 + 1):
                out.append((line, Bbox.from_extents(x - half, y - half, x + half, y + half)))
    return out


def labels(fig) -> list[Text]:
    """Every word a reader reads on the chart that could land on another: the axes' texts and
    annotations, titles, axis labels, legends' texts and the figure's own texts (tick labels
    are laid out by matplotlib, which keeps them apart)."""
    out = []
    for ax in fig.axes:
        out += [t for t in ax.texts]
        out += [t for t in (ax.title, ax._left_title, ax._right_title)]
        out += [ax.xaxis.label, ax.yaxis.label]
        legend = ax.get_legend()
        if legend is not None:
            out += list(legend.get_texts())
    out += list(fig.texts)
    for legend in fig.legends:
        out += list(legend.get_texts())
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def collisions(fig) -> list[str]:
    """Every pair of labels that overlap, every label over a marker of the data and every
    label cut off at the chart's edge, on the drawn figure, in words (none for a clean
    chart)."""
    r = renderer(fig)
    found = []
    boxes = [(t, b) for t in labels(fig) if (b := _box(t, r)) is not None]
    whole = fig.bbox
    for t, box in boxes:
        if box.x0 < whole.x0 - 1 or box.x1 > whole.x1 + 1 or box.y0 < whole.y0 - 1 or (
                box.y1 > whole.y1 + 1):
            found.append(f"{t.get_text()!r} is cut off at the chart's edge")
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            if _same_legend(a, b):
                continue
            if _overlap(box_a, box_b):
                found.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    for ax in fig.axes:
        marks = marker_boxes(ax, r)
        for t, box in boxes:
            if t.axes is not ax:
                continue
            for line, mark in marks:
                if _overlap(box, mark):
                    found.append(f"{t.get_text()!r} covers a marker of "
                                 f"{line.get_label()!r}")
                    break
        legend = ax.get_legend()
        if legend is not None:
            lbox = legend.get_window_extent(r)
            for line, mark in marks:
                if _overlap(lbox, mark):
                    found.append(f"the legend covers a marker of {line.get_label()!r}")
                    break
            for t, box in boxes:
                if t in ax.texts and _overlap(lbox, box):
                    found.append(f"the legend covers {t.get_text()!r}")
    return list(dict.fromkeys(found))


def _same_legend(a: Text, b: Text) -> bool:
    parent = getattr(a, "_scrlib_legend", None)
    return parent is not None and parent is getattr(b, "_scrlib_legend", None)


def _tag_legends(fig) -> None:
    for legend in [*(ax.get_legend() for ax in fig.axes), *fig.legends]:
        if legend is not None:
            for t in legend.get_texts():
                t._scrlib_legend = legend


def event_label(ax, text: str, when, **style) -> Annotation:
    """A policy date's label at the top of its line (placed above the plot by
    :func:`declutter`)."""
    return ax.annotate(text, xy=(when, 1.0), xycoords=("data", "axes fraction"),
                       xytext=(2, 3), textcoords="offset points", va="bottom", ha="left",
                       annotation_clip=False, gid=EVENT, **style)


def declutter(fig, rounds: int = 3) -> list[str]:
    """Place every movable label of ``fig`` where it overlaps nothing (see the module's
    docstring) and return what still collides (nothing, normally). The layout is then fixed
    where it was measured, so the chart is the same however often it is drawn again."""
    try:
        return _declutter(fig, rounds)
    finally:
        renderer(fig)
        fig.set_layout_engine("none")  # constrained layout moves a little on each draw


def _declutter(fig, rounds: int) -> list[str]:
    _tag_legends(fig)
    r = renderer(fig)
    for ax in fig.axes:
        _events_above(ax, r)
    for _ in range(rounds):
        r = renderer(fig)
        for ax in fig.axes:
            _place_legend(ax, r)
            _place_values(ax, r)
        left = collisions(fig)
        if not left:
            return []
    return collisions(fig)


def _is_event(t: Text) -> bool:
    if t.get_gid() == EVENT:
        return True
    if isinstance(t, Annotation) and t.get_gid() != FIXED:
        coords = t.xycoords
        return (isinstance(coords, tuple) and coords[1] == "axes fraction"
                and float(t.xy[1]) >= 0.99)
    return False


def _events_above(ax, r) -> None:
    """The policy dates' labels above the plot, each row holding labels that do not touch, and
    the title lifted above the rows."""
    events = sorted((t for t in ax.texts if _is_event(t)),
                    key=lambda t: float(ax.convert_xunits(t.xy[0])))
    if not events:
        return
    rows: list[float] = []  # the right edge (pixels) of the last label in each row
    for t in events:
        t.set_gid(EVENT)
        t.set_annotation_clip(False)
        t.set_va("bottom")
        t.set_ha("left")
        t.set_bbox(None)
        t.xyann = (2, 3)
        box = t.get_window_extent(r)
        for i, right in enumerate(rows):
            if box.x0 > right + 4:
                rows[i] = box.x1
                row = i
                break
        else:
            rows.append(box.x1)
            row = len(rows) - 1
        t.xyann = (2, 3 + ROW * row)
    pad = 6 + ROW * len(rows) + t.get_fontsize()
    for loc in ("left", "center", "right"):
        title = ax.get_title(loc=loc)
        if title:
            font = {"left": ax._left_title, "center": ax.title,
                    "right": ax._right_title}[loc].get_fontsize()
            ax.set_title(title, loc=loc, pad=pad, fontsize=font)


def _obstacles(ax, r, skip=()) -> list[Bbox]:
    """What a label must not cover: markers, every other label, the legend, tick labels."""
    out = [_padded(b) for _, b in marker_boxes(ax, r)]
    for t in labels(ax.figure):
        if t in skip:
            continue
        box = _box(t, r)
        if box is not None:
            out.append(_padded(box))
    legend = ax.get_legend()
    if legend is not None and legend not in skip:
        out.append(_padded(legend.get_window_extent(r)))
    for tick in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        box = _box(tick, r)
        if box is not None:
            out.append(box)
    return out


def _place_values(ax, r) -> None:
    """Each label beside a point (an annotation in offset points that is not a date's label)
    moved to the first place among ``OFFSETS`` that covers nothing and stays in the plot."""
    movable = [t for t in ax.texts if isinstance(t, Annotation) and not _is_event(t)
               and t.get_gid() != FIXED and t.anncoords == "offset points"]
    frame = ax.get_window_extent(r)
    for t in movable:
        others = _obstacles(ax, r, skip=(t,))
        box = _box(t, r)
        if box is not None and not any(_overlap(box, o) for o in others) and _within(box, frame):
            continue
        for dx, dy, ha, va in OFFSETS:
            t.xyann = (dx, dy)
            t.set_ha(ha)
            t.set_va(va)
            box = _box(t, r)
            if box is not None and _within(box, frame) and not any(
                    _overlap(box, o) for o in others):
                break


def _within(box: Bbox, frame: Bbox) -> bool:
    return box.x0 >= frame.x0 - 2 and box.x1 <= frame.x1 + 40 and box.y1 <= frame.y1 + 2


def _place_legend(ax, r) -> None:
    """The legend in the first corner where it covers no marker and no label (the least
    covered one if none is clear); a legend placed outside the plot stays."""
    legend = ax.get_legend()
    if legend is None or legend._bbox_to_anchor is not None or not ax.axison:
        return  # placed by hand, or the legend's own panel
    others = _obstacles(ax, r, skip=(legend, *legend.get_texts()))
    lines = _line_points(ax)
    best, best_cost = None, None
    for place in LEGEND_PLACES:
        legend.set_loc(place)
        box = legend.get_window_extent(r)
        hits = sum(_overlap(box, o) for o in others)
        crossed = int(np.sum((lines[:, 0] > box.x0) & (lines[:, 0] < box.x1)
                             & (lines[:, 1] > box.y0) & (lines[:, 1] < box.y1))) if len(
            lines) else 0
        cost = (hits, crossed)
        if best_cost is None or cost < best_cost:
            best, best_cost = place, cost
        if cost == (0, 0):
            break
    legend.set_loc(best)


def _line_points(ax) -> np.ndarray:
    """Points along every line of the plot, in pixels, closely spaced, and every scattered
    point (a legend should not sit on them either)."""
    out = []
    for line in ax.get_lines():
        if not line.get_visible() or line.get_linestyle() in ("None", "", " "):
            continue
        try:
            path = line.get_transform().transform_path(line.get_path())
        except (TypeError, ValueError):
            continue
        for a, b in zip(path.vertices[:-1], path.vertices[1:], strict=True):
            if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                continue
            n = max(2, int(np.hypot(*(b - a)) / 4))
            out.append(np.linspace(a, b, n))
    for collection in ax.collections:  # scattered points (a map of squares, say)
        offsets = collection.get_offsets()
        if collection.get_visible() and len(offsets) and collection.get_offset_transform():
            try:
                out.append(collection.get_offset_transform().transform(np.asarray(offsets)))
            except (TypeError, ValueError):
                continue
    return np.vstack(out) if out else np.empty((0, 2))
