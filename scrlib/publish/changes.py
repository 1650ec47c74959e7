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
import re
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
    # Verdicts that changed: an interval that now excludes (or includes) no change, a p-value
    # that crossed the level tests are judged at; each a dict {"notebook", "what", "before",
    # "after", "now"}.
    verdicts_changed: list = field(default_factory=list)
    # The key message's numbers whose shown text changed: {"what", "before", "after"}.
    key_numbers_changed: list = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        """True when there was an earlier report and nothing above differs from it."""
        return self.previous and not any(
            (self.figures_added, self.figures_revised, self.figures_removed,
             self.estimates_moved, self.charts_changed, self.notebooks_changed,
             self.verdicts_changed, self.key_numbers_changed))

    def summary(self) -> dict:
        """Counts for the manifest and a scheduler: did anything change, and what."""
        return {"previous_report": self.previous, "nothing_new": self.nothing_new,
                "previous_unreadable": bool(self.unreadable),
                "figures_added": len(self.figures_added),
                "figures_revised": len(self.figures_revised),
                "figures_removed": len(self.figures_removed),
                "estimates_moved": len(self.estimates_moved),
                "charts_changed": len(self.charts_changed),
                "notebooks_changed": len(self.notebooks_changed),
                "verdicts_changed": len(self.verdicts_changed),
                "key_numbers_changed": len(self.key_numbers_changed)}

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
        parts = [_count(n, one, many) for n, one, many in (
            (len(self.verdicts_changed), "verdict changed", "verdicts changed"),
            (len(self.key_numbers_changed), "number of the key message changed",
             "numbers of the key message changed"),
            (len(self.figures_added), "figure added", "figures added"),
            (len(self.figures_revised), "figure revised", "figures revised"),
            (len(self.figures_removed), "figure removed", "figures removed"),
            (len(self.estimates_moved), "headline estimate moved", "headline estimates moved"),
            (len(self.charts_changed), "chart changed", "charts changed"),
            (len(self.notebooks_changed), "section with changed outputs",
             "sections with changed outputs")) if n]
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


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


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
    out.verdicts_changed = verdicts(previous / "figures", current / "figures")
    out.key_numbers_changed = _key_numbers(previous / "figures", current / "figures")
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
                found.append({"cause": "parameters", "notebook": notebook, "name": name,
                              "before": a.get(name), "after": b.get(name),
                              "detail": f"{notebook}: {name} {_shown(a.get(name))} -> "
                                        f"{_shown(b.get(name))}"})
    if before.get("git_commit") != now.get("git_commit"):
        found.append({"cause": "code", "detail": f"commit {str(before.get('git_commit'))[:12]} "
                                                 f"-> {str(now.get('git_commit'))[:12]}"})
    was_pkg, now_pkg = before.get("packages", {}), now.get("packages", {})
    for name in sorted(set(was_pkg) | set(now_pkg)):
        if name != "scrlib" and was_pkg.get(name) != now_pkg.get(name):
            found.append({"cause": "packages", "name": name, "before": was_pkg.get(name),
                          "after": now_pkg.get(name),
                          "detail": f"{name} {was_pkg.get(name)} -> {now_pkg.get(name)}"})
    was_in, now_in = before.get("inputs", {}), now.get("inputs", {})
    for name in sorted(set(was_in) | set(now_in)):
        if "data/" in name and was_in.get(name) != now_in.get(name):
            found.append({"cause": "data", "name": name, "detail": f"{name} "
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
                "figure_id": key, "fields": fields, "series_id": after[key].get("series_id"),
                "period": after[key].get("period"),
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


def _all_estimates(folder: Path) -> dict[str, dict[str, float]]:
    """Each answer's estimates by notebook, and the key message's as ``key message``."""
    from scrlib.reader import answers

    if not folder.is_dir():
        return {}
    out = {a.notebook: dict(a.estimates) for a in answers.read(folder)}
    key = answers.read_key(folder)
    if key is not None and key.estimates:
        out[KEY] = dict(key.estimates)
    return out


KEY = "key message"
P_NAME = re.compile(r"(?:^|[:\s])p(?:$|[\s(])")


def verdicts(before: Path, after: Path) -> list[dict]:
    """Where a verdict changed between two reports' estimates: a 95% interval that now
    excludes no change or now includes it (1 for a ratio, 0 for a difference), a p-value that
    crossed the level tests are judged at (:data:`scrlib.reader.phrasebook.LEVEL`)."""
    from scrlib.reader import phrasebook

    old, new = _all_estimates(before), _all_estimates(after)
    found = []
    for notebook in sorted(set(old) & set(new)):
        was, now = old[notebook], new[notebook]
        for name in sorted(set(was) & set(now)):
            if name.endswith(": 95% low"):
                stem = name.removesuffix(": 95% low")
                high = f"{stem}: 95% high"
                if high not in was or high not in now:
                    continue
                null = 1.0 if any(k.startswith(stem) and "ratio" in k for k in now) else 0.0
                a = (was[name], was[high])
                b = (now[name], now[high])
                excl_a, excl_b = _excludes(a, null), _excludes(b, null)
                if excl_a != excl_b:
                    found.append({"notebook": notebook, "what": stem, "kind": "interval",
                                  "null": null, "before": list(a), "after": list(b),
                                  "now": "excludes" if excl_b else "includes"})
            elif P_NAME.search(name):
                a, b = was[name], now[name]
                if phrasebook.beyond_chance(a) != phrasebook.beyond_chance(b):
                    found.append({"notebook": notebook, "what": name, "kind": "p",
                                  "level": phrasebook.LEVEL, "before": a, "after": b,
                                  "now": "at or below" if phrasebook.beyond_chance(b)
                                  else "above"})
    return found


def _excludes(interval: tuple[float, float], null: float) -> bool:
    return interval[0] > null or interval[1] < null


def _key_numbers(before: Path, after: Path) -> list[dict]:
    """The key message's numbers whose text, as shown, differs (or that came or went)."""
    from scrlib.reader import answers

    old = answers.read_key(before) if before.is_dir() else None
    new = answers.read_key(after) if after.is_dir() else None
    if old is None or new is None:
        return []
    was, now = dict(old.shown), dict(new.shown)
    return [{"what": name, "before": was.get(name), "after": now.get(name)}
            for name in list(dict.fromkeys([*was, *now])) if was.get(name) != now.get(name)]


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


def write(changes: Changes, folder: Path, chrome=None, dataset=None) -> None:
    """Write ``changes.json`` and ``changes.html`` into a report folder (the page in the report's
    frame, :func:`scrlib.publish.pages._document`, with ``chrome``'s navigation and footer; in
    words, with ``dataset``'s names for series and sources where given)."""
    from scrlib.publish import pages

    if chrome is None:
        chrome = pages.Chrome("unknown", "unknown")
    (folder / "changes.json").write_text(changes.to_json(), encoding="utf-8")
    (folder / "changes.html").write_text(_page(changes, chrome, dataset, folder),
                                         encoding="utf-8")


FIELD_WORDS = {"value": "the value", "excerpt": "the source's words", "url": "the address",
               "source_id": "the source", "period": "the period", "unit": "the unit",
               "series_id": "the series", "used_when_resolved": "whether the analysis uses it",
               "value_qualifier": "how exact it is"}
CHART_WORDS = {"added": "new", "removed": "no longer drawn", "data changed": "its data changed",
               "image changed": "its drawing changed, not its data"}


def _table(caption: str, columns: list[str], rows: list[list]) -> str:
    """A reader's table: a caption, headers with their scope, each cell escaped."""
    e = html.escape
    if not rows:
        return "<p>None.</p>"
    head = "".join(f'<th scope="col">{e(c)}</th>' for c in columns)
    body = "\n".join("<tr>" + "".join(f"<td>{e(_cell(v))}</td>" for v in r) + "</tr>"
                     for r in rows)
    return (f"<table><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>\n"
            f"<tbody>{body}</tbody></table>")


def _cell(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


class _Names:
    """Names a reader knows for the ids a comparison holds: sections, series, sources,
    periods, charts (the id itself where no name is known)."""

    def __init__(self, chrome, dataset, folder: Path | None):
        self.sections = dict(getattr(chrome, "sections", ()) or ())
        self.dataset, self.folder = dataset, folder

    def section(self, notebook: str) -> str:
        return "The key message" if notebook == KEY else self.sections.get(notebook, notebook)

    def series(self, series_id: str) -> str:
        try:
            return self.dataset.series_info(series_id).name
        except Exception:  # not in this record (a figure removed with its series)
            return series_id

    def source(self, source_id: str) -> str:
        try:
            return self.dataset.source(source_id).short
        except Exception:
            return source_id

    @staticmethod
    def period(code: str) -> str:
        from scrlib.record.periods import readable

        try:
            return readable(code)
        except Exception:
            return code

    @staticmethod
    def value(text) -> str:
        from scrlib.reader.words import figure

        try:
            return figure(float(text))
        except (TypeError, ValueError):
            return str(text)

    def chart(self, name: str) -> str:
        about = self.folder / "figures" / f"{name}.json" if self.folder else None
        if about is not None and about.is_file():
            try:
                return json.loads(about.read_text(encoding="utf-8")).get("title") or name
            except ValueError:
                pass
        return name


def _cause_words(cause: dict, names: _Names) -> str:
    """What this run was given that the last was not, in a sentence."""
    from scrlib.reader import words

    kind = cause["cause"]
    if kind == "parameters":
        return (f"{names.section(cause['notebook'])}: {words.parameter(cause['name'])} was "
                f"{words.value(cause['name'], cause['before'])} and is now "
                f"{words.value(cause['name'], cause['after'])}.")
    if kind == "code":
        return "The program that builds the report changed."
    if kind == "packages":
        return (f"The package {cause['name']} changed version, from {cause['before'] or 'none'} "
                f"to {cause['after'] or 'none'}.")
    what = cause.get("name", cause.get("detail", "a data file"))
    return f"The data file {what.removeprefix('data/')} was {cause['detail'].rsplit(' ', 1)[-1]}."


def verdict_sentence(row: dict, names: _Names) -> str:
    """A changed verdict in words, with the numbers before and now."""
    where = f"{names.section(row['notebook'])}, {row['what']}"
    if row["kind"] == "interval":
        (a0, a1), (b0, b1) = row["before"], row["after"]
        null = "no change (1)" if row["null"] == 1.0 else "no difference (0)"
        return (f"{where}: the 95% interval now {row['now']} {null}: {b0:.4g} to {b1:.4g} "
                f"(it was {a0:.4g} to {a1:.4g}).")
    return (f"{where}: now {row['now']} {row['level']:g}: {row['after']:.3g} (it was "
            f"{row['before']:.3g}).")


def _sections(changes: Changes, names: _Names) -> str:
    e = html.escape
    verdict_items = "".join(f"<li>{e(verdict_sentence(r, names))}</li>"
                            for r in changes.verdicts_changed)
    cause_items = "".join(f"<li>{e(_cause_words(c, names))}</li>" for c in changes.causes)

    def figure_rows(rows):
        return [[names.series(r["series_id"]), names.period(r["period"]),
                 names.value(r["value"]), names.source(r["source_id"])] for r in rows]

    figure_columns = ["Series", "Period", "Value", "Source"]
    revised = []
    for r in changes.figures_revised:
        series, period = r["figure_id"], ""
        known = changes_figure(r)
        if known:
            series, period = names.series(known[0]), names.period(known[1])
        revised.append([series, period, _join([FIELD_WORDS.get(f, f) for f in r["fields"]]),
                        "; ".join(str(v) for v in r["before"].values()),
                        "; ".join(str(v) for v in r["after"].values())])
    no_verdict = ("<p>None: every interval still includes or excludes no change as before, "
                  "and no p-value crossed the level tests are judged at.</p>")
    no_cause = ("<p>No recorded input changed (parameters, the program, package versions, "
                "data).</p>")
    parts = [
        "<h2>Verdicts that changed</h2>",
        f"<ul>{verdict_items}</ul>" if verdict_items else no_verdict,
        "<h2>The key message's numbers</h2>",
        _table("The key message's numbers that read differently now",
               ["Number", "Before", "Now"],
               [[r["what"], r["before"], r["after"]] for r in changes.key_numbers_changed]),
        "<h2>Why</h2>",
        f"<ul>{cause_items}</ul>" if cause_items else no_cause,
        "<h2>Figures added</h2>",
        _table("Figures added to the record", figure_columns,
               figure_rows(changes.figures_added)),
        "<h2>Figures revised</h2>",
        _table("Figures revised", ["Series", "Period", "What changed", "Before", "Now"],
               revised),
        "<h2>Figures removed</h2>",
        _table("Figures removed from the record", figure_columns,
               figure_rows(changes.figures_removed)),
        "<h2>Headline estimates that moved</h2>",
        f"<p>{e(TOLERANCE_TEXT[0].upper() + TOLERANCE_TEXT[1:])}.</p>",
        _table("Headline estimates that moved", ["Section", "Estimate", "Before", "Now", "Why"],
               [[names.section(r["notebook"]), r["estimate"], r["before"], r["after"],
                 r.get("because", "")] for r in changes.estimates_moved]),
        "<h2>Charts that changed</h2>",
        _table("Charts that changed", ["Chart", "What changed"],
               [[names.chart(c["chart"]), CHART_WORDS.get(c["what"], c["what"])]
                for c in changes.charts_changed]),
        "<h2>Sections whose outputs changed</h2>",
        ("<ul>" + "".join(f"<li>{e(names.section(n))}</li>" for n in changes.notebooks_changed)
         + "</ul>") if changes.notebooks_changed else "<p>None.</p>"]
    return "\n" + "\n".join(parts) + "\n"


def changes_figure(row: dict) -> tuple[str, str] | None:
    """The series and period of a revised figure, from the fields it kept ("before" holds only
    what changed, so the id's own series and period are read from the row when present)."""
    before, after = row.get("before", {}), row.get("after", {})
    series = row.get("series_id") or after.get("series_id") or before.get("series_id")
    period = row.get("period") or after.get("period") or before.get("period")
    return (series, period) if series and period else None


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


def _page(changes: Changes, chrome, dataset=None, folder: Path | None = None) -> str:
    from scrlib.publish.pages import _document

    e = html.escape
    names = _Names(chrome, dataset, folder)
    sections = _sections(changes, names) if changes.previous else ""
    return _document("What changed since the last report", "changes", chrome, f"""\
<h1>What changed since the last report</h1>
<p class="changes-summary">{e(changes.sentence())}</p>
{set_aside_section(changes.cache_set_aside)}{sections}
<p><a href="index.html">Back to the report</a> · <a href="changes.json">The same, as data
(JSON)</a></p>""")
