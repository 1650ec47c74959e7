"""The glossary on the report's index (:mod:`scrlib.reader.glossary`), and the pass that links
each term's first use on every page to its entry.

The pass works on the rendered HTML: it changes text only, never a tag or an attribute, and
leaves alone what is already a link, a heading, a quotation of a source, a title of a work,
code, the navigation, the footer and the glossary itself.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from scrlib.reader.glossary import TERMS, Term, record_words

INDEX = "index.html"
_TOKENS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>", re.S)
# Text inside these elements is never linked.
SKIP = frozenset({"head", "a", "h1", "h2", "h3", "h4", "h5", "h6", "q", "cite", "code", "pre",
                  "title", "style", "script", "nav", "footer", "svg", "button", "label",
                  "summary", "textarea", "select", "option", "figcaption"})
GLOSSARY_CLASS = "glossary-terms"


def glossary_html(dataset) -> str:
    """The glossary as an HTML definition list: each term (spelt out where it is an
    abbreviation), its meaning in plain words, and for an official term the record's words it
    rests on, each with a link to its source in the references."""
    from scrlib.record.cite import work_of

    e = html.escape
    items = []
    for term in TERMS:
        name = e(term.name) + (f" ({e(term.spelt_out)})" if term.spelt_out else "")
        support = []
        for words, source_id in record_words(dataset, term):
            if source_id:
                work = work_of(dataset.source(source_id))
                support.append(f'<q>{e(words)}</q> (<a href="#source-{e(source_id)}">'
                               f"{e(work.author)}</a>)")
        series = [f'<a href="figures.html#series-{e(s)}">'
                  f"{e(dataset.series_info(s).name)}</a>" for s in term.series]
        said = ""
        if support:
            said += " In the sources' words: " + "; ".join(support) + "."
        if series:
            said += " See also: " + ", ".join(series) + " on the figures page."
        items.append(f'<dt id="{e(term.anchor)}">{name}</dt><dd>{e(term.meaning)}{said}</dd>')
    return f'<dl class="glossary {GLOSSARY_CLASS}">' + "".join(items) + "</dl>"


def _first_match(text: str, terms: list[Term]) -> tuple[int, int, Term] | None:
    """The earliest (then longest) use of any of ``terms`` in ``text``."""
    best = None
    for term in terms:
        found = term.pattern().search(text)
        if found and (best is None or (found.start(), -found.end()) < (best[0], -best[1])):
            best = (found.start(), found.end(), term)
    return best


def link_terms(page: str, *, on_index: bool = False) -> str:
    """``page`` with each glossary term's first use in its text a link to the term's entry on
    the index (on the index itself, to the entry below)."""
    prefix = "" if on_index else INDEX
    done = set(re.findall(r'<a class="term" href="[^"#]*#([^"]+)"', page))
    left = [t for t in TERMS if t.anchor not in done]  # a page linked before keeps its links
    depth: dict[str, int] = {}
    glossary_depth = 0  # inside the glossary's own list
    out = []
    for token in _TOKENS.split(page):
        if not token:
            continue
        if token.startswith("<"):
            tag = _TAG.match(token)
            if tag and not token.startswith("<!"):
                closing, name, self_closing = tag.group(1), tag.group(2).lower(), tag.group(3)
                if name == "dl" and not self_closing:
                    if closing:
                        glossary_depth = max(0, glossary_depth - 1)
                    elif GLOSSARY_CLASS in token or glossary_depth:
                        glossary_depth += 1
                if name in SKIP and not self_closing:
                    depth[name] = max(0, depth.get(name, 0) + (-1 if closing else 1))
            out.append(token)
            continue
        if not left or glossary_depth or any(depth.values()):
            out.append(token)
            continue
        pieces, rest = [], token
        while left:
            hit = _first_match(rest, left)
            if hit is None:
                break
            start, end, term = hit
            pieces.append(rest[:start])
            pieces.append(f'<a class="term" href="{prefix}#{term.anchor}">{rest[start:end]}</a>')
            rest = rest[end:]
            left.remove(term)
        out.append("".join(pieces) + rest)
    return "".join(out)


def link_pages(folder: Path) -> None:
    """Link the terms' first uses on every page of a report folder (rewritten in place)."""
    for page in sorted(folder.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        linked = link_terms(text, on_index=page.name == INDEX)
        if linked != text:
            page.write_text(linked, encoding="utf-8")
