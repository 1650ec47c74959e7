"""The figures page: every cited figure, in the order of the report's story, with its source's
words; each computed number with the values it is computed from; where sources disagree, the
value the analysis uses and the rule that chose it, in words.

Every number a page links to leads here: a figure to ``fig-<id>``, a series and period to
``sp-<series>-<period>`` (a heading followed by the list of its figures), a computed number to
its own entry (:func:`scrlib.reader.evidence.number_anchor`).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from scrlib.reader.evidence import figure_anchor, number_anchor, single_figure_anchor
from scrlib.record.periods import readable

e = html.escape

# The report's story: SCRs initiated first, then the reviews commissioned and published, their
# evaluation, the incidents notified, and the two national panels; then analyses and the rest.
# Each series goes in the first group whose test it passes, in the record's own order within it.
STORY: tuple[tuple[str, Callable], ...] = (
    ("SCRs initiated", lambda s: s.stage == "initiated" and not _panel(s)),
    ("SCRs commissioned, received and published",
     lambda s: s.stage in ("commissioned", "received", "published") and not _panel(s)),
    ("Ofsted's evaluations of SCRs", lambda s: s.stage == "evaluated"),
    ("Serious incident notifications", lambda s: s.stage == "notified" and not _panel(s)),
    ("The national panel of independent experts on SCRs",
     lambda s: s.counted_by.startswith("National panel")),
    ("The Child Safeguarding Practice Review Panel, rapid reviews and LCSPRs",
     lambda s: s.counted_by.startswith("Child Safeguarding Practice Review Panel")),
    ("National analyses of SCRs", lambda s: s.stage == "analysed"),
    ("Other counts", lambda s: True),
)


def _panel(series) -> bool:
    return series.counted_by.startswith(("National panel", "Child Safeguarding Practice Review"))


def story_order(dataset) -> list[tuple[str, list[str]]]:
    """The series that have figures, grouped as :data:`STORY` tells (empty groups left out)."""
    with_figures = set(dataset.figures["series_id"])
    groups: dict[str, list[str]] = {title: [] for title, _ in STORY}
    for series_id in dataset.series["series_id"]:
        if series_id not in with_figures:
            continue
        info = dataset.series_info(series_id)
        title = next(t for t, belongs in STORY if belongs(info))
        groups[title].append(series_id)
    return [(title, ids) for title, ids in groups.items() if ids]


def _value(value: float, unit: str, qualifier: str = "exact") -> str:
    shown = f"{value:,g}" + ("%" if unit == "percent" else "")
    return shown if qualifier == "exact" else f"{qualifier} {shown}"


def _used_values(dataset) -> dict[tuple[str, str], float]:
    """The value the analysis uses for each series and period (the recorded resolution)."""
    resolved = dataset.resolved()
    return {(s, str(p)): float(v) for s, p, v in zip(
        resolved["series_id"], resolved["period"], resolved["value"], strict=True)}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def computed_numbers(dataset, messages) -> str:
    """Each computed number the key message and the answers use, with the values it is computed
    from shown inline, each linked to its figures; one entry for a number pages share."""
    used, units = _used_values(dataset), dict(zip(dataset.series["series_id"],
                                                  dataset.series["unit"], strict=True))
    conflicts = _conflicted(dataset)
    items = {}
    for message in messages:
        for number in getattr(message, "numbers", ()):
            anchor = number_anchor(number)
            if not anchor.startswith("computed-") or anchor in items:
                continue
            series = number["series"]

            def linked_values(series, periods):
                out = []
                for period in periods:
                    value = used.get((series, str(period)))
                    shown = "no figure" if value is None else _value(value, units[series])
                    disputed = (" (sources disagree: the value used)"
                                if (series, str(period)) in conflicts else "")
                    out.append(f'<a href="#{e(figure_anchor(series, period))}">{e(shown)} '
                               f"({e(readable(period))})</a>{disputed}")
                return out

            inputs = linked_values(series, number["periods"])
            name = dataset.series_info(series).name
            if number.get("words"):  # a computed number that says how (a trend, a rate)
                how = f"{e(number['words'])} {_join(inputs)}"
                over = number.get("over")
                if over:
                    how += (f", with {e(dataset.series_info(over['series']).name)}: "
                            f"{_join(linked_values(over['series'], over['periods']))}")
            else:
                how = {"average": f"the average of {_join(inputs)}",
                       "change": f"the change from {inputs[0]} to {inputs[-1]}"
                       if len(inputs) == 2 else f"the change across {_join(inputs)}"}.get(
                    number["how"], f"from {_join(inputs)}")
            items[anchor] = (f'<li id="{e(anchor)}"><strong>{e(number["text"])}</strong> '
                             f"({e(name)}): {how}.</li>")
    if not items:
        return ""
    return ('<section id="computed"><h2>Computed numbers, and the figures they come from</h2>'
            f"<ul>{''.join(items[k] for k in sorted(items))}</ul></section>")


def _conflicted(dataset) -> set[tuple[str, str]]:
    conflicts = dataset.conflicts()
    return {(s, str(p)) for s, p in zip(conflicts["series_id"], conflicts["period"], strict=True)}


def _resolution(dataset, series_id: str, period: str, rows) -> str:
    """Where sources disagree on a series and period: which value is used, by what rule (in
    words) and why, and whether that rests on evidence or judgement."""
    from scrlib.record.schema import RULES

    res = dataset.resolutions
    found = res[(res["subject"] == "figure") & (res["series_id"] == series_id)
                & (res["period"] == period)]
    unit = str(rows["unit"].iloc[0])
    values = sorted({float(v) for v in rows["value"]})
    said = _join([_value(v, unit) for v in values])
    if found.empty:
        return f'<p class="resolution">The sources disagree ({e(said)}).</p>'
    row = found.iloc[0]
    chosen = rows[rows["source_id"] == row["chosen_source_id"]]
    value = _value(float(chosen["value"].iloc[0]), unit) if not chosen.empty else ""
    basis = ("This rests on evidence." if row["basis"] == "evidence" else
             "The sources do not settle it: this is a judgement, and the sensitivity analysis "
             "also runs the other value.")
    rule = RULES.get(str(row["rule"]), str(row["rule"]))
    return (f'<p class="resolution"><strong>The sources disagree ({e(said)}); the analysis '
            f"uses {e(value)}.</strong> The rule: {e(rule)}. {e(str(row['reason']))} "
            f"{e(basis)}</p>")


def _where_read(dataset, source) -> str:
    """The address a figure was read at: the source's own, or for a copy, the original's
    address first (or what is known of it) and then the copy's, "read at"."""
    from scrlib.record.cite import original_of, work_of
    from scrlib.record.records import human_date

    read = f"(read {e(human_date(source.date_accessed))})"
    if not source.is_copy and original_of(dataset, source) is None:
        return f'<a href="{e(source.url)}">{e(source.url)}</a> {read}.'
    work = work_of(source, original_of(dataset, source))
    if work.original is not None:
        first = f'The original: <a href="{e(work.original.url)}">{e(work.original.url)}</a>.'
    elif work.address:
        first = ("The original's address, inferred from the copy's and not read: "
                 f'<a href="{e(work.address)}">{e(work.address)}</a>.')
    else:
        first = "The original's address is not known."
    from urllib.parse import urlsplit

    host = urlsplit(source.url).hostname or source.url
    return (f'{first} Read at a copy on {e(host)}: <a href="{e(source.url)}">{e(source.url)}</a>'
            f" {read}.")


def _entry(dataset, f, used: float | None, disputed: bool) -> str:
    from scrlib.record.cite import original_of, work_of
    from scrlib.record.records import human_date

    source = dataset.source(f.source_id)
    work = work_of(source, original_of(dataset, source))
    when = human_date(work.date) if work.date else "n.d."
    mark = ""
    if disputed:
        mark = (' <span class="used">(the value used)</span>' if float(f.value) == used else
                ' <span class="not-used">(not used)</span>')
    words = f' <q class="excerpt">{e(f.excerpt)}</q>' if f.excerpt else ""
    return (f'<li id="{e(single_figure_anchor(f.figure_id))}"><strong>'
            f"{e(_value(float(f.value), f.unit, f.value_qualifier))}</strong>{mark} "
            f"(the source's period: {e(str(f.period_stated))}) &mdash; {e(work.author)} "
            f"({e(when)}), <cite>{e(work.title)}</cite>:{words} {_where_read(dataset, source)}"
            "</li>")


def _series_section(dataset, series_id: str, rows, used, conflicts) -> str:
    from scrlib.reader.record_tables import plain_ids

    info = dataset.series_info(series_id)
    blocks = []
    for period, group in rows.groupby("period", sort=False):
        period = str(period)
        disputed = (series_id, period) in conflicts
        value = used.get((series_id, period))
        entries = "".join(_entry(dataset, f, value, disputed)
                          for f in group.itertuples(index=False))
        blocks.append(f'<h4 id="{e(figure_anchor(series_id, period))}">'
                      f"{e(info.name)}, {e(readable(period, months=True))}</h4>"
                      f"<ul>{entries}</ul>"
                      + (_resolution(dataset, series_id, period, group) if disputed else ""))
    return (f'<section id="series-{e(series_id)}"><h3>{e(info.name)}</h3>'
            f"<p>{e(plain_ids(info.definition, dataset))}</p>{''.join(blocks)}</section>")


def figures_body(dataset, messages=()) -> str:
    """The figures page's content: contents, computed numbers, then each group of series."""
    figs = dataset.figures.sort_values(["series_id", "start", "end", "source_id"])
    by_series = dict(tuple(figs.groupby("series_id", sort=False)))
    used, conflicts = _used_values(dataset), _conflicted(dataset)
    computed = computed_numbers(dataset, messages)
    contents, sections = [], []
    for number, (title, series_ids) in enumerate(story_order(dataset), start=1):
        links = "".join(f'<li><a href="#series-{e(s)}">{e(dataset.series_info(s).name)}</a>'
                        "</li>" for s in series_ids)
        contents.append(f'<li><a href="#group-{number}">{e(title)}</a><ul>{links}</ul></li>')
        body = "".join(_series_section(dataset, s, by_series[s], used, conflicts)
                       for s in series_ids)
        sections.append(f'<section id="group-{number}"><h2>{e(title)}</h2>{body}</section>')
    first = ('<li><a href="#computed">Computed numbers, and the figures they come from</a>'
             "</li>") if computed else ""
    return f"""<h1>Every figure and its source</h1>
<p>Each number the report uses, as its source states it: the value, the period, who published it
and when, the source's own words, and its address. Where sources disagree, every value is shown,
the one the analysis uses is marked, and the rule that chose it is given.</p>
<nav class="contents" aria-label="Contents of this page"><h2>Contents</h2>
<ol>{first}{''.join(contents)}</ol></nav>
{computed}
{''.join(sections)}"""
