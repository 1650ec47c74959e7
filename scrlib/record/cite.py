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


def reference(source: Source, original: Source | None = None) -> str:
    """A plain-text reference: author (date). Title. Address (accessed ...). For a copy, the
    work it reproduces leads (``original`` if registered), then "Read at a copy" its address."""
    return work_reference(work_of(source, original))


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text).replace("~", r"\textasciitilde{}")


def _work_fields(source: Source, work: Work | None) -> tuple[str, str, str, str, str]:
    """(author, title, address, date published, note) for a machine-readable entry: the work's
    when given (its copies in the note), else the source's own."""
    if work is None:
        note = f"Figures: {source.producer}" if source.producer != source.publisher else ""
        return source.publisher, source.title, source.url, source.date_published, note
    notes = []
    if work.original is not None and work.original.producer != work.original.publisher:
        notes.append(f"Figures: {work.original.producer}")
    address = work.original.url if work.original is not None else work.address
    if work.original is None:
        notes.append(f"The original: {work.what}" if work.what else "")
        if work.address:
            notes.append("The original's address is inferred from the copy's and not read")
    for copy in work.copies:
        if not address:
            address = copy.url
        if copy.url != address:
            notes.append(f"Read at a copy: {copy.url} (accessed {copy.date_accessed})")
    return work.author, work.title, address, work.date, ". ".join(n for n in notes if n)


def bibtex(source: Source, work: Work | None = None) -> str:
    """A BibTeX ``@misc`` entry keyed by the source id (with ``work``: the work's author, title
    and own address, the copies it was read at in a note)."""
    author, title, url, published, note = _work_fields(source, work)
    fields = {
        "author": "{" + _bibtex_escape(author) + "}",
        "title": "{" + _bibtex_escape(title) + "}",
        "howpublished": r"\url{" + url + "}",
        "url": url,
        "urldate": source.date_accessed,
    }
    if published:
        fields["year"] = published[:4]
        if len(published) >= 7:
            fields["month"] = str(int(published[5:7]))
    if note:
        fields["note"] = _bibtex_escape(note)
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items())
    return f"@misc{{{source.source_id},\n{body}\n}}"


def _date_parts(value: str) -> dict:
    return {"date-parts": [[int(p) for p in value.split("-")]]}


def csl_item(source: Source, work: Work | None = None) -> dict:
    """A CSL-JSON item for the source (with ``work``: the work's author, title and own
    address, the copies it was read at in a note)."""
    author, title, url, published, note = _work_fields(source, work)
    item = {
        "id": source.source_id,
        "type": CSL_TYPES[source.kind],
        "title": title,
        "author": [{"literal": author}],
        "publisher": author,
        "URL": url,
        "accessed": _date_parts(source.date_accessed),
    }
    if published:
        item["issued"] = _date_parts(published)
    if note:
        item["note"] = note
    return item


def original_of(dataset, source: Source) -> Source | None:
    """The registered original of a copy (``mirror_of`` naming a source id), else None."""
    if source.mirror_of and source.mirror_of in set(dataset.sources["source_id"]):
        return dataset.source(source.mirror_of)
    return None


_HOST_NOTE = re.compile(r"\s*\((?:mirror at|via|document copy)\b[^)]*\)\s*$")
_INFERRED_ADDRESS = re.compile(r"[Ii]ts address[^:]*inferred[^:]*:\s*(https?://\S+?)[.,;)]*(?:\s|$)")


@dataclass(frozen=True)
class Work:
    """One work a reader can cite, whatever pages it was read at: who made it, when, its title,
    its own address, and the copies of it that were read.

    ``original`` is the work's own page when it was read (a registered source). For a work read
    only at a copy, ``author`` is the copy's named producer (or its publisher without the
    mirror's host), ``what`` describes the original from the record's note, and ``address`` is
    the original's address only if the record infers one (not read)."""

    key: str  # the source id an entry is anchored on: the original's, else the first copy's
    author: str
    date: str  # as published: YYYY-MM-DD, YYYY-MM, YYYY or ""
    title: str
    address: str
    original: Source | None
    copies: tuple[Source, ...]
    what: str = ""

    @property
    def sort_key(self) -> tuple:
        return (self.author.casefold(), self.date, self.title.casefold(), self.key)

    @property
    def sources(self) -> tuple[Source, ...]:
        return ((self.original,) if self.original is not None else ()) + self.copies


def _author_of_copy(copy: Source) -> str:
    """Who made the work a copy reproduces: its publisher without the mirror's host when the
    record names the original publisher ('BBC News (mirror at ...)'), else its producer."""
    if re.search(r"\((?:mirror at|via)\b", copy.publisher):
        return _HOST_NOTE.sub("", copy.publisher)
    return copy.producer.split(" (")[0].strip() or _HOST_NOTE.sub("", copy.publisher)


def _original_words(copy: Source) -> str:
    """What the original is, in the record's words ('Ofsted press release ...'), without the
    curator's notes on whether it was stored or registered."""
    note = copy.original_note.strip()
    if note.startswith("Original:"):
        note = note.removeprefix("Original:").strip()
        note = re.split(r"\.\s+Original stored\b|;\s+its address\b", note)[0].strip()
    return note.rstrip(".")


def _work(key: str, original: Source | None, copies: list[Source]) -> Work:
    if original is not None:
        return Work(key, original.publisher, original.date_published, original.title,
                    original.url, original, tuple(copies))
    copy = copies[0]
    inferred = _INFERRED_ADDRESS.search(copy.original_note)
    return Work(key, _author_of_copy(copy), copy.date_published, copy.title,
                inferred.group(1) if inferred else "", None, tuple(copies),
                what=_original_words(copy))


def work_of(source: Source, original: Source | None = None) -> Work:
    """The work a source is, or (for a copy) reproduces: ``original`` is a copy's registered
    original, if it has one."""
    if original is not None:
        return _work(original.source_id, original, [source])
    if source.is_copy:
        return _work(source.source_id, None, [source])
    return _work(source.source_id, source, [])


def works(dataset, source_ids: Iterable[str] | None = None) -> list[Work]:
    """The works behind ``source_ids`` (all sources if None), one per work: an original and the
    copies of it that were read are one work; sorted by author, date and title."""
    ids = list(dataset.sources["source_id"]) if source_ids is None else source_ids
    unique = sorted({s for i in ids for s in str(i).split(";") if s})
    found: dict[str, tuple[Source | None, list[Source]]] = {}
    for source_id in unique:
        source = dataset.source(source_id)
        original = original_of(dataset, source)
        if original is not None:
            found.setdefault(original.source_id, (original, []))[1].append(source)
        elif source.is_copy:
            found.setdefault(source.source_id, (None, []))[1].append(source)
        else:
            found.setdefault(source.source_id, (source, []))
    out = [_work(key, original, sorted(copies, key=lambda c: c.source_id))
           for key, (original, copies) in found.items()]
    return sorted(out, key=lambda w: w.sort_key)


def _sentence(text: str) -> str:
    """``text`` ending in one full stop (or the mark it already ends with)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or url


def work_reference(work: Work) -> str:
    """A plain-text reference for one work: author (date). Title. The original's address
    (accessed ...); then "Read at" each copy's address."""
    date = human_date(work.date) if work.date else "n.d."
    parts = [f"{work.author} ({date}). {_sentence(work.title)}"]
    source = work.original
    if source is not None:
        if source.producer and source.producer != source.publisher:
            parts.append(f"Figures: {source.producer}.")
        parts.append(f"{source.url} (accessed {human_date(source.date_accessed)}).")
    else:
        if work.what:
            parts.append(f"The original: {work.what}.")
        parts.append(f"The original's address, inferred and not read: {work.address}."
                     if work.address else "The original's address is not known.")
    for copy in work.copies:
        parts.append(f"Read at a copy on {_host(copy.url)}: {copy.url} (accessed "
                     f"{human_date(copy.date_accessed)}).")
    return " ".join(parts)


def linkify_html(escaped: str) -> str:
    """Escaped HTML text with every web address in it a link (the address as its text)."""
    return re.sub(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)]",
                  lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)


def work_html(work: Work) -> str:
    """One work as an HTML reference (every string escaped), anchored ``source-<key>``: the
    original's address is the link; each copy it was read at follows, "read at" its address."""
    import html

    e = html.escape
    date = human_date(work.date) if work.date else "n.d."
    parts = [f"{e(work.author)} ({e(date)}). <cite>{e(work.title.rstrip('.'))}</cite>."]
    source = work.original
    if source is not None:
        if source.producer and source.producer != source.publisher:
            parts.append(f"Figures: {e(source.producer)}.")
        parts.append(f'<a href="{e(source.url)}">{e(source.url)}</a> (accessed '
                     f"{e(human_date(source.date_accessed))}).")
    else:
        if work.what:
            parts.append(f"The original: {linkify_html(e(work.what))}.")
        parts.append("The original's address, inferred from the copy's and not read: "
                     f'<a href="{e(work.address)}">{e(work.address)}</a>.' if work.address
                     else "The original's address is not known.")
    for copy in work.copies:
        anchor = f' id="source-{e(copy.source_id)}"' if copy.source_id != work.key else ""
        parts.append(f"<span{anchor}>Read at a copy on "
                     f'{e(_host(copy.url))}: <a href="{e(copy.url)}">{e(copy.url)}</a> '
                     f"(accessed {e(human_date(copy.date_accessed))}).</span>")
    return f'<span id="source-{e(work.key)}">' + " ".join(parts) + "</span>"


def _markdown_url(url: str) -> str:
    return url.replace(" ", "%20").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def work_markdown(work: Work) -> str:
    """One work as a Markdown reference (data strings escaped, addresses as links)."""
    e = escape_markdown
    date = human_date(work.date) if work.date else "n.d."
    parts = [f"{e(work.author)} ({e(date)}). *{e(work.title.rstrip('.'))}*."]
    source = work.original
    if source is not None:
        if source.producer and source.producer != source.publisher:
            parts.append(f"Figures: {e(source.producer)}.")
        parts.append(f"<{_markdown_url(source.url)}> (accessed "
                     f"{e(human_date(source.date_accessed))}).")
    else:
        if work.what:
            parts.append(f"The original: {e(work.what)}.")
        parts.append("The original's address, inferred from the copy's and not read: "
                     f"<{_markdown_url(work.address)}>." if work.address
                     else "The original's address is not known.")
    for copy in work.copies:
        parts.append(f"Read at a copy on {e(_host(copy.url))}: <{_markdown_url(copy.url)}> "
                     f"(accessed {e(human_date(copy.date_accessed))}).")
    return " ".join(parts)


def sources_of(dataset, source_ids: Iterable[str] | None = None) -> list[Source]:
    """Sources in a stable order (publisher, date, id); all of them if ``source_ids`` is None."""
    ids = list(dataset.sources["source_id"]) if source_ids is None else source_ids
    unique = {s for i in ids for s in str(i).split(";") if s}
    found = [dataset.source(i) for i in unique]
    return sorted(found, key=lambda s: (s.publisher.lower(), s.date_published, s.source_id))


def reference_list(dataset, source_ids: Iterable[str] | None = None, style: str = "text") -> str:
    """The references for ``source_ids`` (all if None), one per work (an original and the copies
    of it that were read are one), as text, markdown, bibtex or csl-json."""
    found = works(dataset, source_ids)
    if style == "text":
        return "\n".join(work_reference(w) for w in found)
    if style == "markdown":
        return "\n".join(f"- {work_markdown(w)}" for w in found)
    if style == "bibtex":
        return "\n\n".join(bibtex(w.original or w.copies[0], w) for w in found)
    if style == "csl-json":
        return json.dumps([csl_item(w.original or w.copies[0], w) for w in found], indent=2,
                          ensure_ascii=False)
    raise ValueError(f"unknown style {style!r}; allowed: text, markdown, bibtex, csl-json")


def short_reference(dataset, source: Source) -> str:
    """'Stowe Family Law (2014)': the work's author or publisher and year, never a copy's site
    (a copy names the work it reproduces)."""
    work = work_of(source, original_of(dataset, source))
    return f"{work.author} ({work.date[:4] if work.date else 'n.d.'})"


def source_line(dataset, source_ids: Iterable[str]) -> str:
    """'Source: A (2014); B (n.d., 4 items).' for the sources of the points a chart shows, each
    named by its work's author (never a copy's site); sources that read alike are named once,
    with how many there are."""
    found = sources_of(dataset, source_ids)
    counts: dict[str, int] = {}
    for s in found:
        short = short_reference(dataset, s)
        counts[short] = counts.get(short, 0) + 1
    shown = [short if n == 1 else short.removesuffix(")") + f", {n} items)"
             for short, n in counts.items()]
    return "Source: " + "; ".join(shown) + "."
