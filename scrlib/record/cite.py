"""Citations: the source and excerpt behind any figure, reference lists and chart source lines.

Formats: plain text, Markdown (data strings escaped), BibTeX and CSL-JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from scrlib.record.records import Figure, Source, human_date

CSL_TYPES = {
    "parliamentary-answer": "legislation",
    "official-statistics": "dataset",
    "news": "article-newspaper",
    "blog": "post-weblog",
    "report": "report",
    "press-release": "webpage",
    "guidance": "webpage",
    "legislation": "legislation",
    "web-page": "webpage",
}


def escape_markdown(text: str) -> str:
    """Text from data made safe for Markdown and HTML: specials escaped, <&> as entities."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+!|$~])", r"\\\1", text)


@dataclass(frozen=True)
class Citation:
    """A figure with the source that states it and the words it uses."""

    figure: Figure
    source: Source

    def text(self) -> str:
        """One line: the value, its series and period, the quoted excerpt and the reference."""
        f = self.figure
        value = f"{f.value:g}" + ("%" if f.unit == "percent" else "")
        return (
            f"{value} ({f.series_id}, {f.period}): \u201c{f.excerpt}\u201d \u2014 "
            f"{reference(self.source)}"
        )


def citation(dataset, figure_id: str) -> Citation:
    """The :class:`Citation` of one figure (KeyError if the figure id is unknown)."""
    hit = dataset.figures[dataset.figures["figure_id"] == figure_id]
    if hit.empty:
        raise KeyError(f"unknown figure {figure_id!r}")
    figure = Figure.from_row(hit.iloc[0])
    return Citation(figure, dataset.source(figure.source_id))


def _date_published(source: Source) -> str:
    return human_date(source.date_published) if source.date_published else "n.d."


def reference(source: Source, original: Source | None = None) -> str:
    """A plain-text reference: publisher (date). Title. URL (accessed ...). For a copy whose
    ``original`` is registered: the original first, then "Read at:" the copy."""
    if original is not None:
        return (f"{reference(original)} Read at: {source.publisher}, {source.url} (accessed "
                f"{human_date(source.date_accessed)}).")
    parts = [f"{source.publisher} ({_date_published(source)}). {source.title}."]
    if source.producer and source.producer != source.publisher:
        parts.append(f"Figures: {source.producer}.")
    if source.mirror_of:
        parts.append(f"Mirror or reprint of {source.mirror_of}.")
    parts.append(f"{source.url} (accessed {human_date(source.date_accessed)}).")
    return " ".join(parts)


def reference_html(source: Source, original: Source | None = None) -> str:
    """An HTML reference (every string escaped), its address a link, anchored as
    ``source-<id>`` (for a copy whose ``original`` is registered: the original first, then
    "Read at:" the copy)."""
    import html

    e = html.escape
    link = f'<a href="{e(source.url)}">{e(source.url)}</a>'
    if original is not None:
        return (f'<span id="source-{e(source.source_id)}">{reference_html(original)} Read at: '
                f"{e(source.publisher)}, {link} (accessed "
                f"{e(human_date(source.date_accessed))}).</span>")
    parts = [f"{e(source.publisher)} ({e(_date_published(source))}). <cite>{e(source.title)}"
             "</cite>."]
    if source.producer and source.producer != source.publisher:
        parts.append(f"Figures: {e(source.producer)}.")
    parts.append(f"{link} (accessed {e(human_date(source.date_accessed))}).")
    return f'<span id="source-{e(source.source_id)}">' + " ".join(parts) + "</span>"


def reference_markdown(source: Source, original: Source | None = None) -> str:
    """A Markdown reference with every data string escaped, and the URL as a link (for a copy
    whose ``original`` is registered: the original first, then "Read at:" the copy)."""
    url = source.url.replace(" ", "%20").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    e = escape_markdown
    if original is not None:
        return (f"{reference_markdown(original)} Read at: {e(source.publisher)}, <{url}> "
                f"(accessed {e(human_date(source.date_accessed))}).")
    parts = [f"{e(source.publisher)} ({e(_date_published(source))}). *{e(source.title)}*."]
    if source.producer and source.producer != source.publisher:
        parts.append(f"Figures: {e(source.producer)}.")
    if source.mirror_of:
        parts.append(f"Mirror or reprint of {e(source.mirror_of)}.")
    parts.append(f"<{url}> (accessed {e(human_date(source.date_accessed))}).")
    return " ".join(parts)


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text).replace("~", r"\textasciitilde{}")


def bibtex(source: Source) -> str:
    """A BibTeX ``@misc`` entry keyed by the source id."""
    fields = {
        "author": "{" + _bibtex_escape(source.publisher) + "}",
        "title": "{" + _bibtex_escape(source.title) + "}",
        "howpublished": r"\url{" + source.url + "}",
        "url": source.url,
        "urldate": source.date_accessed,
    }
    if source.date_published:
        fields["year"] = source.date_published[:4]
        if len(source.date_published) >= 7:
            fields["month"] = str(int(source.date_published[5:7]))
    note = f"Figures: {source.producer}" if source.producer != source.publisher else ""
    if source.mirror_of:
        note = (note + ". " if note else "") + f"Mirror or reprint of {source.mirror_of}"
    if note:
        fields["note"] = _bibtex_escape(note)
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items())
    return f"@misc{{{source.source_id},\n{body}\n}}"


def _date_parts(value: str) -> dict:
    return {"date-parts": [[int(p) for p in value.split("-")]]}


def csl_item(source: Source) -> dict:
    """A CSL-JSON item for the source."""
    item = {
        "id": source.source_id,
        "type": CSL_TYPES[source.kind],
        "title": source.title,
        "author": [{"literal": source.publisher}],
        "publisher": source.publisher,
        "URL": source.url,
        "accessed": _date_parts(source.date_accessed),
    }
    if source.date_published:
        item["issued"] = _date_parts(source.date_published)
    if source.producer != source.publisher:
        item["note"] = f"Figures: {source.producer}"
    return item


def original_of(dataset, source: Source) -> Source | None:
    """The registered original of a copy (``mirror_of`` naming a source id), else None."""
    if source.mirror_of and source.mirror_of in set(dataset.sources["source_id"]):
        return dataset.source(source.mirror_of)
    return None


def sources_of(dataset, source_ids: Iterable[str] | None = None) -> list[Source]:
    """Sources in a stable order (publisher, date, id); all of them if ``source_ids`` is None."""
    ids = list(dataset.sources["source_id"]) if source_ids is None else source_ids
    unique = {s for i in ids for s in str(i).split(";") if s}
    found = [dataset.source(i) for i in unique]
    return sorted(found, key=lambda s: (s.publisher.lower(), s.date_published, s.source_id))


def reference_list(dataset, source_ids: Iterable[str] | None = None, style: str = "text") -> str:
    """The references for ``source_ids`` (all if None) as text, markdown, bibtex or csl-json."""
    found = sources_of(dataset, source_ids)
    if style == "text":
        return "\n".join(reference(s, original_of(dataset, s)) for s in found)
    if style == "markdown":
        return "\n".join(f"- {reference_markdown(s, original_of(dataset, s))}" for s in found)
    if style == "bibtex":
        return "\n\n".join(bibtex(s) for s in found)
    if style == "csl-json":
        return json.dumps([csl_item(s) for s in found], indent=2, ensure_ascii=False)
    raise ValueError(f"unknown style {style!r}; allowed: text, markdown, bibtex, csl-json")


def source_line(dataset, source_ids: Iterable[str]) -> str:
    """'Source: A (2014); B (n.d., 4 articles).' for the sources of the points a chart shows;
    sources that read alike are named once, with how many there are."""
    found = sources_of(dataset, source_ids)
    counts: dict[str, int] = {}
    for s in found:
        counts[s.short] = counts.get(s.short, 0) + 1
    shown = [short if n == 1 else short.removesuffix(")") + f", {n} items)"
             for short, n in counts.items()]
    return "Source: " + "; ".join(shown) + "."
