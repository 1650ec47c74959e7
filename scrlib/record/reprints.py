"""Reprints not marked: a source whose excerpt also appears word for word in a source registered
as another publisher's page, with neither marked as the other's copy.

``scr check`` prints what :func:`unmarked_reprints` finds as warnings: the record is still valid
(two outlets can quote the same press release), but a reprint should be marked ``copy=yes`` with
``mirror_of`` (its registered original) or ``original_note``, so that a value is not counted as
confirmed by two independent pages when one only repeats the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_WORDS = 8
"""The fewest words a run of an excerpt (the whole excerpt, or a part between its cuts '...')
must have to be looked for elsewhere: a shorter run, such as '379 serious incident notifications
in 2021', is a fact two reports can state alike."""

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})
_CUT = re.compile(r"\.\.\.|\u2026")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Reprint:
    """A run of an excerpt found word for word in another publisher's source's excerpt:
    ``reprint`` is the one that looks the later copy (see :func:`unmarked_reprints`)."""

    reprint: str
    original: str
    publisher: str  # the original's publisher
    words: str

    def __str__(self) -> str:
        shown = self.words if len(self.words) <= 80 else self.words[:77] + "..."
        return (f"warning: source {self.reprint}: its excerpt's words '{shown}' also appear word "
                f"for word in {self.original} ({self.publisher}); if one page reprints the "
                "other, mark the copy in sources.csv (copy=yes, with mirror_of naming its "
                "registered original, or original_note)")


def publisher_family(publisher: str) -> str:
    """The publisher without what its parentheses add ('BBC News (mirror at ...)' is 'bbc
    news'): pages of one publisher may share words."""
    return " ".join(_WORD.findall(re.sub(r"\([^)]*\)", " ", publisher).casefold()))


def words(text: str) -> list[str]:
    """The words of an excerpt, lower-cased, quotes and dashes made plain, punctuation dropped."""
    return _WORD.findall(text.translate(_QUOTES).casefold())


def _pieces(excerpt: str) -> list[list[str]]:
    """An excerpt's runs between its cuts ('...'), each as words."""
    return [w for w in (words(p) for p in _CUT.split(excerpt)) if w]


def _within(piece: list[str], other: list[str]) -> bool:
    """Whether the run of words ``piece`` occurs, whole and in order, in ``other``."""
    return f" {' '.join(piece)} " in f" {' '.join(other)} "


def _linked(a: dict, b: dict) -> bool:
    """Whether the record already says how two sources relate: one is the other's copy, both
    copy the same original, or either's note or original_note names the other."""
    if a["mirror_of"] == b["source_id"] or b["mirror_of"] == a["source_id"]:
        return True
    if a["mirror_of"] and a["mirror_of"] == b["mirror_of"]:
        return True
    return any(x["source_id"] in f"{y['note']} {y['original_note']}" for x, y in ((a, b), (b, a)))


def _later(a: dict, b: dict, order: dict[str, int]) -> tuple[dict, dict]:
    """(the likely reprint, the likely original): an unmarked page against a marked copy of
    another original is the reprint; else the later dated (an undated page counts as later);
    else the one registered later."""
    if (a["copy"] == "yes") != (b["copy"] == "yes"):
        return (b, a) if a["copy"] == "yes" else (a, b)
    da, db = a["date_published"], b["date_published"]
    if da != db:
        if not da or (db and da > db):
            return a, b
        return b, a
    return (a, b) if order[a["source_id"]] > order[b["source_id"]] else (b, a)


def unmarked_reprints(sources: list[dict], excerpts: list[tuple[str, str]]) -> list[Reprint]:
    """Every pair of sources of different publishers where a run of one's excerpt (the whole
    excerpt, or a part between its cuts, of at least :data:`MIN_WORDS` words) appears word for
    word in the other's, and the record does not already say how they relate (see
    :func:`_linked`). ``sources`` are ``sources.csv``'s rows; ``excerpts`` are (source_id,
    excerpt) pairs from figures and events. One warning per pair, longest shared run."""
    by_id = {s["source_id"]: s for s in sources}
    order = {s["source_id"]: i for i, s in enumerate(sources)}
    texts: dict[str, list[list[str]]] = {}  # each source's excerpts, as words
    pieces: dict[str, list[list[str]]] = {}  # their runs between cuts, long enough to tell
    for source_id, excerpt in excerpts:
        if source_id in by_id and excerpt:
            texts.setdefault(source_id, []).append(words(excerpt))
            pieces.setdefault(source_id, []).extend(p for p in _pieces(excerpt)
                                                    if len(p) >= MIN_WORDS)
    found: dict[tuple[str, str], list[str]] = {}
    for a_id, runs in pieces.items():
        a = by_id[a_id]
        for b_id, others in texts.items():
            b = by_id[b_id]
            if a_id == b_id or publisher_family(a["publisher"]) == publisher_family(
                    b["publisher"]) or _linked(a, b):
                continue
            key = tuple(sorted((a_id, b_id)))
            for run in runs:
                for other in others:
                    if _within(run, other) and len(run) > len(found.get(key, [])):
                        found[key] = run
    out = []
    for (x, y), shared in sorted(found.items()):
        reprint, original = _later(by_id[x], by_id[y], order)
        out.append(Reprint(reprint["source_id"], original["source_id"], original["publisher"],
                           " ".join(shared)))
    return out


def reprint_warnings(raw) -> list[str]:
    """The warnings ``scr check`` prints for a read data folder (a RawDataset)."""
    sources = [row.values for row in raw.rows.get("sources", [])]
    excerpts = [(row["source_id"], row["excerpt"])
                for name in ("figures", "events") for row in raw.rows.get(name, [])]
    return [str(r) for r in unmarked_reprints(sources, excerpts)]
