"""What changed since the last report: figures, headline estimates, charts and notebook outputs.

``scr report`` compares the report it has just built with the one it replaces and writes
``changes.json`` (for a scheduler) and ``changes.html`` (for a reader); the manifest carries the
summary. A headline estimate has moved when it differs by more than ``TOLERANCE`` of its old
size (or by more than ``TOLERANCE`` itself when the old value is within 1 of zero).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

TOLERANCE = 0.01
TOLERANCE_TEXT = ("a headline estimate counts as moved when it changed by more than 1% of its "
                  "earlier value (by more than 0.01 when that value was between -1 and 1)")
FIGURE_FIELDS = ("series_id", "period", "value", "unit", "source_id", "excerpt", "url",
                 "used_when_resolved", "value_qualifier")


@dataclass
class Changes:
    """The differences between an earlier report and this one (``previous`` False: none)."""

    previous: bool
    figures_added: list = field(default_factory=list)
    figures_revised: list = field(default_factory=list)
    figures_removed: list = field(default_factory=list)
    estimates_moved: list = field(default_factory=list)
    charts_changed: list = field(default_factory=list)
    notebooks_changed: list = field(default_factory=list)
    # Why: what this run was given that differs from what the last one was given (parameters,
    # code, package versions, data), each a dict {"cause", "detail"[, "notebook"]}.
    causes: list = field(default_factory=list)
    unreadable: str = ""  # why an earlier report could not be compared, if it could not
    # Cached runs that did not verify, so were set aside and ran afresh: each a dict
    # {"notebook", "why", "kept_at"}. Said apart from the rest: it is about this run, not
    # about what the report says.
    cache_set_aside: list = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        """True when there was an earlier report and nothing above differs from it."""
        return self.previous and not any(
            (self.figures_added, self.figures_revised, self.figures_removed,
             self.estimates_moved, self.charts_changed, self.notebooks_changed))

    def summary(self) -> dict:
        """Counts for the manifest and a scheduler: did anything change, and what."""
        return {"previous_report": self.previous, "nothing_new": self.nothing_new,
                "previous_unreadable": bool(self.unreadable),
                "figures_added": len(self.figures_added),
                "figures_revised": len(self.figures_revised),
                "figures_removed": len(self.figures_removed),
                "estimates_moved": len(self.estimates_moved),
                "charts_changed": len(self.charts_changed),
                "notebooks_changed": len(self.notebooks_changed)}

    def sentence(self) -> str:
        """One plain line: what this run changed."""
        if self.unreadable:
            return ("The earlier report in this folder could not be read, so nothing is "
                    f"compared ({self.unreadable}).")
        if not self.previous:
            return "This is the first report in this folder: there is nothing to compare with."
        if self.nothing_new:
            return ("Nothing changed since the last report: the same figures, estimates, "
                    "charts and notebook outputs.")
        parts = [f"{n} {what}" for n, what in (
            (len(self.figures_added), "figure(s) added"),
            (len(self.figures_revised), "figure(s) revised"),
            (len(self.figures_removed), "figure(s) removed"),
            (len(self.estimates_moved), "headline estimate(s) moved"),
            (len(self.charts_changed), "chart(s) changed"),
            (len(self.notebooks_changed), "notebook(s) with changed outputs")) if n]
        text = "Since the last report: " + ", ".join(parts) + "."
        kinds = list(dict.fromkeys(c["cause"] for c in self.causes))
        if kinds:
            text += " Because " + _join([CAUSE_WORDS[k] for k in kinds]) + "."
        elif parts:
            text += " No recorded input changed (parameters, code, packages, data)."
        return text

    def to_json(self) -> str:
        data = {"summary": self.summary(), "tolerance": TOLERANCE_TEXT, **asdict(self)}
        data.pop("previous")
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


CAUSE_WORDS = {"parameters": "parameters or the configuration changed",
               "data": "the data changed", "code": "the code changed",
               "packages": "package versions changed"}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def compare(previous: Path | None, current: Path, now: dict | None = None) -> Changes:
    """Compare two report folders (``previous`` None or missing: the first report). ``now``
    holds what this run was given (``parameters`` by notebook, ``git_commit``, ``packages``,
    ``inputs``: file -> sha256), set against the earlier manifest to say why things moved."""
    if previous is None or not (previous / "manifest.json").is_file():
        return Changes(previous=False)
    try:
        return _compare(previous, current, now)
    except Exception as exc:  # a damaged earlier report must not stop this one
        out = Changes(previous=False)
        out.unreadable = f"{type(exc).__name__}: {exc}"
        return out


def _compare(previous: Path, current: Path, now: dict | None = None) -> Changes:
    out = Changes(previous=True)
    _figures(out, _rows(previous / "data" / "figures.csv"), _rows(current / "data" / "figures.csv"))
    out.estimates_moved = _estimates(previous / "figures", current / "figures")
    if now is not None:
        before = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
        out.causes = causes(before, now)
        _attribute(out)
    out.charts_changed = _charts(previous / "figures", current / "figures")
    out.notebooks_changed = [name for name in sorted(
        {p.stem for p in (*previous.glob("*.ipynb"), *current.glob("*.ipynb"))})
        if _outputs(previous / f"{name}.ipynb") != _outputs(current / f"{name}.ipynb")]
    return out


def causes(before: dict, now: dict) -> list[dict]:
    """What this run was given that differs from what the earlier run was given (its
    manifest): each notebook's parameters, the code's commit, package versions, data files."""
    found = []
    was_params, now_params = before.get("parameters", {}), now.get("parameters", {})
    for notebook in sorted(set(was_params) | set(now_params)):
        a, b = was_params.get(notebook, {}), now_params.get(notebook, {})
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                found.append({"cause": "parameters", "notebook": notebook,
                              "detail": f"{notebook}: {name} {_shown(a.get(name))} -> "
                                        f"{_shown(b.get(name))}"})
    if before.get("git_commit") != now.get("git_commit"):
        found.append({"cause": "code", "detail": f"commit {str(before.get('git_commit'))[:12]} "
                                                 f"-> {str(now.get('git_commit'))[:12]}"})
    was_pkg, now_pkg = before.get("packages", {}), now.get("packages", {})
    for name in sorted(set(was_pkg) | set(now_pkg)):
        if name != "scrlib" and was_pkg.get(name) != now_pkg.get(name):
            found.append({"cause": "packages", "detail": f"{name} {was_pkg.get(name)} -> "
                                                         f"{now_pkg.get(name)}"})
    was_in, now_in = before.get("inputs", {}), now.get("inputs", {})
    for name in sorted(set(was_in) | set(now_in)):
        if "data/" in name and was_in.get(name) != now_in.get(name):
            found.append({"cause": "data", "detail": f"{name} "
                          + ("added" if name not in was_in else "removed"
                             if name not in now_in else "changed")})
    return found


def _shown(value) -> str:
    if value is None:
        return "(default)"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _attribute(out: Changes) -> None:
    """Each moved estimate's likely cause: its notebook's parameters, else the data, else the
    code or packages; said as "not recorded" when none of them changed."""
    kinds = {c["cause"] for c in out.causes}
    by_notebook = {c["notebook"] for c in out.causes if c["cause"] == "parameters"}
    for row in out.estimates_moved:
        if row["notebook"] in by_notebook:
            row["because"] = "its parameters changed"
        elif "data" in kinds:
            row["because"] = CAUSE_WORDS["data"]
        elif kinds & {"code", "packages"}:
            row["because"] = _join([CAUSE_WORDS[k] for k in ("code", "packages") if k in kinds])
        else:
            row["because"] = "no recorded input changed"


def _rows(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["figure_id"]: row for row in csv.DictReader(handle)}


def _figures(out: Changes, before: dict, after: dict) -> None:
    def brief(row):
        return {k: row.get(k, "") for k in ("figure_id", *FIGURE_FIELDS[:5])}

    out.figures_added = [brief(after[k]) for k in sorted(set(after) - set(before))]
    out.figures_removed = [brief(before[k]) for k in sorted(set(before) - set(after))]
    for key in sorted(set(before) & set(after)):
        fields = [f for f in FIGURE_FIELDS if before[key].get(f) != after[key].get(f)]
        if fields:
            out.figures_revised.append({
                "figure_id": key, "fields": fields,
                "before": {f: before[key].get(f, "") for f in fields},
                "after": {f: after[key].get(f, "") for f in fields}})


def _estimates(before: Path, after: Path) -> list[dict]:
    from scrlib.reader import answers

    old = {a.notebook: dict(a.estimates) for a in answers.read(before)} if before.is_dir() else {}
    new = {a.notebook: dict(a.estimates) for a in answers.read(after)} if after.is_dir() else {}
    moved = []
    for notebook in sorted(set(old) | set(new)):
        was, now = old.get(notebook, {}), new.get(notebook, {})
        for name in sorted(set(was) | set(now)):
            a, b = was.get(name), now.get(name)
            if a is None or b is None or _moved(a, b):
                moved.append({"notebook": notebook, "estimate": name, "before": a, "after": b})
    return moved


def _moved(before: float, after: float) -> bool:
    return abs(after - before) > TOLERANCE * max(1.0, abs(before))


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _charts(before: Path, after: Path) -> list[dict]:
    """Charts (PNG) whose data (the CSV beside them) or image differ, or that came or went."""
    names = sorted({p.stem for folder in (before, after) if folder.is_dir()
                    for p in folder.glob("*.png")})
    out = []
    for name in names:
        old_png, new_png = before / f"{name}.png", after / f"{name}.png"
        if not old_png.is_file() or not new_png.is_file():
            out.append({"chart": name, "what": "added" if new_png.is_file() else "removed"})
            continue
        data = _digest(before / f"{name}.csv") != _digest(after / f"{name}.csv")
        image = _digest(old_png) != _digest(new_png)
        if data or image:
            out.append({"chart": name, "what": "data changed" if data else "image changed"})
    return out


def _outputs(path: Path) -> str | None:
    """A digest of a notebook's cell outputs (what a reader sees), or None if it is absent."""
    if not path.is_file():
        return None
    import nbformat

    nb = nbformat.read(path, as_version=4)
    outputs = [c.get("outputs", []) for c in nb.cells if c.cell_type == "code"]
    text = json.dumps(outputs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write(changes: Changes, folder: Path, chrome=None) -> None:
    """Write ``changes.json`` and ``changes.html`` into a report folder (the page in the report's
    frame, :func:`scrlib.publish.pages._document`, with ``chrome``'s navigation and footer)."""
    from scrlib.publish import pages

    if chrome is None:
        chrome = pages.Chrome("unknown", "unknown")
    (folder / "changes.json").write_text(changes.to_json(), encoding="utf-8")
    (folder / "changes.html").write_text(_page(changes, chrome), encoding="utf-8")


def _table(rows: list[dict], columns: list[str]) -> str:
    e = html.escape
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = "\n".join("<tr>" + "".join(f"<td>{e(_cell(r.get(c)))}</td>" for c in columns)
                     + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>\n{body}\n</table>"


def _cell(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


SET_ASIDE_START, SET_ASIDE_END = '<section id="cache-set-aside">', "</section>"


def set_aside_section(rows: list[dict]) -> str:
    """What this run did not reuse because it did not verify (empty when everything did)."""
    if not rows:
        return ""
    e = html.escape
    items = "\n".join(
        f"<li>{e(r['notebook'])}: {e(r['why'])}; set aside in {e(r['kept_at'])}; it ran "
        "afresh.</li>" for r in rows)
    return (f"{SET_ASIDE_START}<h2>Kept results that did not verify</h2>\n<p>These results kept "
            "from an earlier run were not exactly what was kept, so none of their files was "
            f"used: each notebook ran afresh.</p>\n<ul>\n{items}\n</ul>{SET_ASIDE_END}\n")


def _page(changes: Changes, chrome) -> str:
    from scrlib.publish.pages import _document

    e = html.escape
    sections = ""
    if changes.previous:
        sections = f"""
<h2>Why</h2>
{_table(changes.causes, ["cause", "detail"])}
<h2>Figures added</h2>
{_table(changes.figures_added, ["figure_id", "series_id", "period", "value", "source_id"])}
<h2>Figures revised</h2>
{_table(changes.figures_revised, ["figure_id", "fields", "before", "after"])}
<h2>Figures removed</h2>
{_table(changes.figures_removed, ["figure_id", "series_id", "period", "value", "source_id"])}
<h2>Headline estimates that moved</h2>
<p>{e(TOLERANCE_TEXT[0].upper() + TOLERANCE_TEXT[1:])}.</p>
{_table(changes.estimates_moved, ["notebook", "estimate", "before", "after", "because"])}
<h2>Charts that changed</h2>
{_table(changes.charts_changed, ["chart", "what"])}
<h2>Notebooks whose outputs changed</h2>
{_table([{"notebook": n} for n in changes.notebooks_changed], ["notebook"])}
"""
    return _document("What changed since the last report", "changes", chrome, f"""\
<h1>What changed since the last report</h1>
<p class="changes-summary">{e(changes.sentence())}</p>
{set_aside_section(changes.cache_set_aside)}{sections}
<p><a href="index.html">Back to the report</a> · <a href="changes.json">changes.json</a></p>""")
