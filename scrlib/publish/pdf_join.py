"""Join the parts of the report's PDF into one (pikepdf): their pages in order, every named place
of every part, links from one part to another made links inside the PDF, the bookmarks of each
part in one outline, the first part's title and author, and a running footer on every page
("Page 12 of 153"), which no part can number alone.

The footer is set in Helvetica, one of the fonts every PDF reader has (so it is not embedded),
and measured with its published metrics (the AFM file matplotlib ships), so the page number ends
at the right margin whatever its digits.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

GREY = "0.333 0.333 0.333"  # #555, as the pages' own small print


@functools.cache
def _helvetica():
    """Helvetica's metrics: its glyph widths (in thousandths of the size) by character."""
    import matplotlib
    from fontTools.afmLib import AFM
    from fontTools.agl import UV2AGL

    afm = AFM(str(Path(matplotlib.get_data_path()) / "fonts" / "pdfcorefonts" / "Helvetica.afm"))

    def width(text: str) -> float:
        return sum(afm[UV2AGL[ord(char)]][1] for char in text)

    return width


def _text(x: float, y: float, size: float, words: str) -> bytes:
    escaped = words.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return (f"BT /ScrlibFooter {size:g} Tf {GREY} rg {x:.3f} {y:.3f} Td ({escaped}) Tj ET\n"
            .encode("latin-1"))


def footer_drawing(width: float, number: int, pages: int, title: str, size: float,
           margins: tuple[float, float]) -> bytes:
    """The drawing of one page's footer: ``title`` at the left margin, "Page n of N" ending at
    the right one, centred in the bottom margin."""
    side, bottom = margins
    baseline = bottom / 2 - size * 0.35  # the line's middle on the margin's middle
    words = f"Page {number} of {pages}"
    right = width - side - _helvetica()(words) * size / 1000
    return _text(side, baseline, size, title) + _text(right, baseline, size, words)


def _outline_items(source, place):
    """A part's bookmarks, as new items leading to the same places in the joined PDF."""
    import pikepdf

    def copy(item):
        new = pikepdf.OutlineItem(item.title, destination=place(item.destination))
        new.is_closed = item.is_closed
        new.children.extend(copy(child) for child in item.children)
        return new

    with source.open_outline() as outline:
        return [copy(item) for item in outline.root]


def join(files: list[Path], target: Path, title: str, *, size: float,
         margins: tuple[float, float], elsewhere: str) -> Path:
    """Join the PDFs ``files`` (made by WeasyPrint from one document's parts) into ``target``;
    a link to an address starting ``elsewhere`` leads to the place named by the rest of it."""
    import pikepdf

    joined = pikepdf.new()
    places, bookmarks = {}, []
    sources = [pikepdf.open(file) for file in files]
    try:
        for source in sources:
            start = len(joined.pages)
            with warnings.catch_warnings():  # the named places are carried over below
                warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
                joined.pages.extend(source.pages)
            copied = {page.objgen: joined.pages[start + n].obj
                      for n, page in enumerate(source.pages)}

            def place(dest, copied=copied):
                return pikepdf.Array([copied[dest[0].objgen], *list(dest)[1:]])

            names = source.Root.get("/Names", {}).get("/Dests")
            if names is not None:
                for name, dest in pikepdf.NameTree(names).items():
                    places[name] = place(dest)
            bookmarks.extend(_outline_items(source, place))
        tree = pikepdf.NameTree.new(joined)
        for name in sorted(places):
            tree[name] = places[name]
        joined.Root.Names = pikepdf.Dictionary(Dests=tree.obj)
        with joined.open_outline() as outline:
            outline.root.extend(bookmarks)
        first = sources[0]
        if "/Lang" in first.Root:
            joined.Root.Lang = first.Root.Lang
        for key, value in first.docinfo.items():
            joined.docinfo[key] = value
        font = joined.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding))
        total = len(joined.pages)
        for number, page in enumerate(joined.pages, start=1):
            _link_across(page, places, elsewhere)
            page.add_resource(font, pikepdf.Name.Font, pikepdf.Name.ScrlibFooter)
            width = float(page.mediabox[2]) - float(page.mediabox[0])
            page.contents_add(pikepdf.Stream(joined, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(joined, b"\nQ\n" + footer_drawing(
                width, number, total, title, size, margins)))
        joined.save(target, static_id=True,
                    object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for source in sources:
            source.close()
    return target


def _link_across(page, places: dict, elsewhere: str) -> None:
    """Turn a part's link to a place in another part into a link inside the PDF; drop one to a
    place that does not exist (as WeasyPrint drops an internal link it cannot resolve)."""
    from urllib.parse import unquote

    import pikepdf

    annots = page.obj.get("/Annots")
    if annots is None:
        return
    kept = []
    for annot in annots:
        action = annot.get("/A")
        uri = str(action.get("/URI", "")) if action is not None else ""
        if uri.startswith(elsewhere):
            name = unquote(uri[len(elsewhere):])
            if name not in places:
                continue
            del annot["/A"]
            annot.Dest = pikepdf.String(name)
        kept.append(annot)
    page.obj.Annots = pikepdf.Array(kept)
