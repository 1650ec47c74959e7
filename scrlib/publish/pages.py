"""The report's pages as a publication: one stylesheet, a navigation bar, a footer that says what a
page was built from and how to cite it, and notebook pages rendered with nothing loaded from the
network.

Every page carries "Data as of <date>, built from commit <hash>": the date is the latest day a
source in ``data/`` was read (never the clock, so two builds of the same inputs are the same
bytes) and the commit is the code's.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from scrlib.publish.downloads import PDF, Citation, citation, pdf_wanted
from scrlib.reader.evidence import figure_anchor, number_anchor

TEMPLATES = Path(__file__).resolve().parent / "templates"
TITLE = ("Serious Case Reviews in England: how the numbers changed around the policy changes of "
         "2010-2013")
SHORT_TITLE = "Serious Case Reviews in England"
LAB_ONLY = "lab-only"  # a notebook cell with this tag is left out of the report's pages

STYLE = """
body.scrlib-page, body.scrlib-index {
  font-family: Georgia, "Times New Roman", serif; color: #161616; background: #fff;
  line-height: 1.55; margin: 0; }
body.scrlib-page main, body.scrlib-index main {
  max-width: 50rem; margin: 0 auto; padding: 0 1.2rem 3rem; }
nav.scrlib-nav { background: #f3f1ec; border-bottom: 1px solid #d8d4ca; font-family: Arial,
  Helvetica, sans-serif; font-size: 0.9rem; }
nav.scrlib-nav ul { list-style: none; margin: 0 auto; padding: 0.5rem 1.2rem; max-width: 50rem;
  display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; }
nav.scrlib-nav a { color: #1d3f6e; text-decoration: none; }
nav.scrlib-nav a[aria-current] { font-weight: bold; color: #161616; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 1.2rem 0 0.6rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; }
p, li { max-width: 42rem; }
a { color: #1d3f6e; overflow-wrap: anywhere; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.8rem 0; }
th, td { border-bottom: 1px solid #d8d4ca; padding: 0.3rem 0.6rem; text-align: left;
  vertical-align: top; }
th { background: #f3f1ec; }
img { max-width: 100%; height: auto; }
p.chart-links { font-family: Arial, Helvetica, sans-serif; font-size: 0.8rem; margin: 0.2rem 0; }
footer.scrlib-footer { border-top: 1px solid #d8d4ca; margin-top: 3rem; padding-top: 0.8rem;
  font-family: Arial, Helvetica, sans-serif; font-size: 0.8rem; color: #3b3b3b; }
footer.scrlib-footer pre { white-space: pre-wrap; font-size: 0.75rem; background: #f7f6f2;
  padding: 0.5rem; }
body.scrlib-index main { max-width: 74rem; }
body.scrlib-index main > h1, body.scrlib-index main > p, body.scrlib-index main > h2,
body.scrlib-index main > section.answer, body.scrlib-index main > ol,
body.scrlib-index main > dl { max-width: 48rem; }
section.key { display: grid; grid-template-columns: minmax(16rem, 25rem) minmax(0, 1fr);
  gap: 1.5rem; align-items: start; }
@media (max-width: 60rem) { section.key { grid-template-columns: 1fr; } }
.key-message { font-size: 1.05rem; margin-top: 0; }
figure.key-chart { margin: 0; }
figure.long-chart { margin: 0; max-width: 40rem; }
figure.key-chart figcaption { font-family: Arial, Helvetica, sans-serif; font-size: 0.8rem; }
h1 { font-size: 1.5rem; }
dl.glossary dt { font-weight: bold; margin-top: 0.5rem; }
dl.glossary dd { margin-left: 1rem; }
.jp-OutputArea-output pre { white-space: pre-wrap; }
a.skip-link { position: absolute; left: -999rem; top: 0; z-index: 10; background: #fff;
  color: #1d3f6e; padding: 0.5rem 1rem; font-family: Arial, Helvetica, sans-serif; }
a.skip-link:focus { left: 0.5rem; top: 0.5rem; }
div.table-wrap { overflow-x: auto; max-width: 100%; margin: 0.8rem 0; }
div.table-wrap:focus { outline: 2px solid #1d3f6e; outline-offset: 2px; }
div.table-wrap table { margin: 0; }
caption { caption-side: top; text-align: left; font-family: Arial, Helvetica, sans-serif;
  font-weight: bold; font-size: 0.85rem; padding: 0 0 0.3rem; }
svg, video, canvas { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
main { overflow-wrap: break-word; }
q, td, th { overflow-wrap: anywhere; }
body.scrlib-page main a:link, body.scrlib-page main a:visited, body.scrlib-index main a {
  text-decoration: underline; text-underline-offset: 0.15em; }
body.scrlib-page main a.term:link, body.scrlib-page main a.term:visited,
body.scrlib-index main a.term { text-decoration-style: dotted; }
nav.contents ol ul { margin: 0.2rem 0 0.5rem; }
@media (max-width: 40rem) {
  body.scrlib-page main, body.scrlib-index main { padding: 0 0.8rem 2rem; }
  h1 { font-size: 1.3rem; }
  body.scrlib-page .jp-Cell { padding: 0; }
  body.scrlib-page .jp-OutputArea-output { overflow-x: auto; }
}
"""


SKIP_LINK = '<a class="skip-link" href="#main">Skip to the content</a>'


@dataclass(frozen=True)
class Chrome:
    """What every page shares: the build's data date and commit, the sections to link, and how
    to cite the report (from the repository's CITATION.cff unless given)."""

    data_as_of: str
    commit: str
    sections: tuple[tuple[str, str], ...] = ()  # (notebook name, title)
    cite: Citation | None = None
    pdf: bool = field(default_factory=pdf_wanted)  # the build writes the PDF its pages link

    def __post_init__(self):
        if self.cite is None:
            object.__setattr__(self, "cite", citation(self.data_as_of, self.commit, TITLE))

    @property
    def short_commit(self) -> str:
        return self.commit[:12] if self.commit not in ("", "unknown") else "unknown"

    def nav(self, current: str = "index") -> str:
        """The navigation bar: the report's home, its figures page, each section (by a short
        name from its file: '02-initiated' -> 'Initiated')."""
        e = html.escape
        links = [("index", "Report home"), ("figures", "Every figure and its source"),
                 *((name, short_name(name)) for name, _ in self.sections)]
        items = "".join(
            f'<li><a href="{e(name)}.html"'
            + (' aria-current="page"' if name == current else "")
            + f">{e(text)}</a></li>" for name, text in links)
        return f'<nav class="scrlib-nav" aria-label="Report"><ul>{items}</ul></nav>'

    def cite_text(self) -> str:
        return self.cite.text()

    def cite_bibtex(self) -> str:
        return self.cite.bibtex()

    def footer(self) -> str:
        """Data date and commit, where the data and the PDF are, and how to cite the report
        (text and BibTeX)."""
        e = html.escape
        from scrlib.record.records import human_date

        when = human_date(self.data_as_of) if self.data_as_of[:1].isdigit() else self.data_as_of
        return (f'<footer class="scrlib-footer"><p>Data as of {e(when)}, built from '
                f"commit {e(self.short_commit)}. Every figure is cited to its source: see "
                '<a href="figures.html">every figure and its source</a>. '
                '<a href="index.html#data">Download the data</a>'
                + (f' or <a href="{PDF}">the whole report as a PDF</a>' if self.pdf else "")
                + ".</p>"
                f"<p>Cite this report: {e(self.cite_text())}</p>"
                f"<details><summary>BibTeX</summary><pre>{e(self.cite_bibtex())}</pre>"
                "</details></footer>")


def short_name(notebook: str) -> str:
    """'02-initiated' -> 'Initiated': a section's name for the navigation bar."""
    words = notebook.split("-", 1)[-1].replace("-", " ")
    return words[:1].upper() + words[1:]


def data_as_of(dataset) -> str:
    """The latest day any source in the record was read (``date_accessed``)."""
    days = [d for d in dataset.sources["date_accessed"] if isinstance(d, str) and d]
    return max(days) if days else "unknown"


def notebook_title(notebook: Path) -> str:
    """A notebook's first level-one heading, or its name."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def render_notebook(notebook: Path, target: Path, chrome: Chrome) -> None:
    """An executed notebook as a page for readers: code hidden, outputs and prose shown, with
    the report's style, navigation and footer, and nothing loaded from the network."""
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()  # a cell tagged lab-only (the live explorer) is for JupyterLab alone
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {LAB_ONLY}
    exporter = HTMLExporter(
        config=config,
        template_name="scrlib",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = f"{notebook_title(notebook)} | {SHORT_TITLE}"
    link_numbers(nb)
    resources = {"metadata": {"name": notebook.stem}, "scrlib_css": STYLE,
                 "scrlib_nav": chrome.nav(notebook.stem), "scrlib_footer": chrome.footer()}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    target.write_text(body, encoding="utf-8")


def link_numbers(nb) -> None:
    """Turn the numbers an output names in its metadata (``scrlib_links``, see
    :mod:`scrlib.reader.notebook`) into links to the figures page: a paragraph's words, or a
    table's cell that still holds the number it named."""
    from scrlib.reader.notebook import LINKS

    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            data, meta = output.get("data", {}), output.get("metadata", {})
            for mime, rewrite in (("text/markdown", _link_markdown), ("text/html", _link_table)):
                links = meta.get(mime, {}).get(LINKS)
                if links and mime in data:
                    data[mime] = rewrite(data[mime], links)


def _link_markdown(text: str, links) -> str:
    for link in links:
        words = link["text"]
        text = text.replace(words, number_link(words, link["anchor"]), 1)
    return text


def _link_table(body: str, links) -> str:
    """A pandas HTML table with the named cells (row and column positions in its body) as links;
    a cell whose text is not the number named is left as it is."""
    import re

    wanted = {(link["row"], link["column"]): link for link in links}
    head, found, rest = body.partition("<tbody>")
    if not found:
        return body
    rows_html, end, tail = rest.partition("</tbody>")
    rows = re.split(r"(?=<tr>)", rows_html)
    out, i = [], -1
    for row in rows:
        if not row.startswith("<tr>"):
            out.append(row)
            continue
        i += 1
        cells = re.split(r"(?=<td>)", row)
        for j in range(1, len(cells)):
            link = wanted.get((i, j - 1))
            if link is None:
                continue
            shown = html.escape(link["text"])
            before = f"<td>{shown}</td>"
            if cells[j].startswith(before):
                cells[j] = (f"<td>{number_link(link['text'], link['anchor'])}</td>"
                            + cells[j][len(before):])
        out.append("".join(cells))
    return head + found + "".join(out) + end + tail


def glossary(dataset, event_ids) -> str:
    """Each event the key chart marks: what it was, when, and on whose word (every source that
    dates it), as an HTML definition list."""
    from scrlib.record.cite import original_of, work_of
    from scrlib.record.records import human_date

    e = html.escape
    items = []
    resolved = dataset.resolved_events().set_index("event_id")
    for event_id in dict.fromkeys(event_ids):
        if event_id not in resolved.index:
            continue
        row = resolved.loc[event_id]
        rows = dataset.events[dataset.events["event_id"] == event_id]
        words = "; ".join(dict.fromkeys(
            work_of(dataset.source(s), original_of(dataset, dataset.source(s))).author
            for s in rows["source_id"]))
        when = human_date(str(row["date"])) if "date" in row else str(row["when"])
        items.append(f'<dt id="event-{e(event_id)}">{e(str(row["label"]))} ({e(when)})</dt>'
                     f"<dd>{e(str(row['description']))} On the word of: {e(words)}.</dd>")
    return '<dl class="glossary">' + "".join(items) + "</dl>" if items else ""


def index_page(stage: Path, runs: list, config, dataset, changes, chrome: Chrome) -> str:
    """The report's front page: the key message and its chart first (what a reader sees at
    1280 x 800 without scrolling), a glossary of the events it marks, then each notebook's
    answer, the sections, the references (as links) and what the run used."""
    from scrlib.publish.downloads import data_section, json_ld
    from scrlib.publish.terms import glossary_html
    from scrlib.reader import answers as answer_files
    from scrlib.record.cite import work_html, works

    e = html.escape
    found = {a.notebook: a for a in answer_files.read(stage / "figures")}
    key = answer_files.read_key(stage / "figures")
    titles = dict(chrome.sections)
    if key is not None:
        chart = ""
        if key.chart and (stage / "figures" / f"{key.chart}.png").is_file():
            chart = (f'<figure class="key-chart"><img src="figures/{e(key.chart)}.png" '
                     f'alt="{e(_key_chart_alt(stage / "figures" / f"{key.chart}.csv"))}">'
                     f'<figcaption><a href="figures/{e(key.chart)}.csv">The chart\'s data '
                     f'(CSV)</a> &middot; <a href="figures/{e(key.chart)}.json">What it shows '
                     "and where from</a></figcaption></figure>")
        lead = (f'<section class="key"><p class="key-message">{linked(key)}</p>{chart}'
                "</section>")
        terms = glossary(dataset, key.events)
        terms = f"<h2>The policy changes on the chart</h2>{terms}" if terms else ""
    else:
        lead, terms = "", ""
    longer = long_record_section(stage / "figures")
    briefs = "\n".join(
        f'<section class="answer"><h3>{e(a.question)}</h3>\n<p>{linked(a)}</p>\n'
        f'<p class="more"><a href="{e(a.notebook)}.html">The evidence: '
        f"{e(titles.get(a.notebook, a.notebook))}</a></p></section>"
        for a in (found[r.name] for r in runs if r.name in found))
    items = "\n".join(
        f'<li><a href="{e(r.name)}.html">{e(titles.get(r.name, r.name))}</a> '
        f'(<a href="{e(r.name)}.ipynb">notebook</a>)</li>' for r in runs)
    params = "\n".join(f'<tr><th scope="row">{e(titles.get(r.name, r.name))}</th>'
                       f"<td>{_parameters_text(r.parameters)}</td></tr>" for r in runs)
    refs = "\n".join(f"<li>{work_html(w)}</li>" for w in works(dataset))
    changed = "" if changes is None else (
        f'<p class="changes">{e(changes.sentence())} <a href="changes.html">What changed since '
        "the last report</a>.</p>")
    head = json_ld(dataset, chrome.cite, stage, chrome.pdf) + "\n"
    return _document(f"{SHORT_TITLE}: the report", "index", chrome, f"""<h1>{e(TITLE)}</h1>
{lead}
{changed}
{terms}
{longer}
<h2>The answers in detail</h2>
{briefs or "<p>No notebook in this run gives a brief answer.</p>"}
<h2>Sections</h2>
<p>Each section is a notebook run by this report, with the evidence behind its answer. The data
and the run manifest are in this folder (<a href="data/figures.csv">data/figures.csv</a>,
<a href="manifest.json">manifest.json</a>).</p>
<ol>
{items}
</ol>
{data_section(stage, titles, chrome.pdf)}
<h3>How to cite this report</h3>
<p>{e(chrome.cite_text())}</p>
<details><summary>BibTeX</summary><pre>{e(chrome.cite_bibtex())}</pre></details>
<h2 id="glossary">Words used in this report</h2>
<p>Each term links here from its first use on every page.</p>
{glossary_html(dataset)}
<h2>References</h2>
<ol class="references">
{refs}
</ol>
<h2>About this run</h2>
<table class="run"><caption>What this run was given</caption>
<thead><tr><th scope="col">Section</th><th scope="col">Parameters changed from the notebook's
defaults</th></tr></thead>
<tbody>
{params}
</tbody></table>
<p>Timeout per notebook: {e(f"{config.timeout:g}")} s.</p>""", head)


def long_record_section(folder: Path) -> str:
    """The whole record in a few sentences, numbers linked, and its chart (written by the
    long-record notebook beside its answer); empty if this run wrote none."""
    from scrlib.reader.long_record import read_alt, read_index

    message = read_index(folder)
    if message is None:
        return ""
    e = html.escape
    chart = ""
    if message.chart and (folder / f"{message.chart}.png").is_file():
        chart = (f'<figure class="long-chart"><img src="figures/{e(message.chart)}.png" '
                 f'alt="{e(read_alt(folder) or "A chart; its data are linked below it.")}">'
                 f'<figcaption><a href="figures/{e(message.chart)}.csv">The chart\'s data '
                 f'(CSV)</a> &middot; <a href="figures/{e(message.chart)}.json">What it shows '
                 "and where from</a></figcaption></figure>")
    return (f'<section class="long"><h2>The longer record</h2><p>{linked(message)}</p>'
            f"{chart}</section>")


def _parameters_text(values: dict) -> str:
    """A run's parameters for readers: "name: value" lines, or that the defaults were used
    (where a notebook writes its files is the run's business, not a reader's, so not shown)."""
    shown = []
    for name, value in sorted(values.items()):
        if name == "output_dir":
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        shown.append(f"{html.escape(name.replace('_', ' '))}: {html.escape(text)}")
    return "<br>".join(shown) or "none (the defaults)"


def _key_chart_alt(path: Path) -> str:
    """Alt text for the key chart: what it shows and over which years, in a sentence (its values
    are in the message beside it and in its data, which the caption links)."""
    import csv
    import json

    about = path.with_suffix(".json")
    title = (json.loads(about.read_text(encoding="utf-8")).get("title", "")
             if about.is_file() else "")
    rows = []
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
    span = f", from {rows[0][0]} to {rows[-1][0]}" if len(rows) >= 2 else ""
    what = f"A chart: {title}" if title else "A chart"
    linked = "; its figures are in the chart's data, linked below it" if rows else ""
    return f"{what}{span}, with the policy dates marked{linked}."


def number_link(text: str, anchor: str) -> str:
    """A number as a link to its entry on the figures page (both escaped)."""
    return (f'<a class="number" href="figures.html#{html.escape(anchor)}">'
            f"{html.escape(text)}</a>")


def linked(message) -> str:
    """A key message or answer as HTML, each of its numbers a link to its evidence (escaped)."""
    text = html.escape(message.text)
    for number in message.numbers:
        words = html.escape(number["text"])
        text = text.replace(words, number_link(number["text"], number_anchor(number)), 1)
    return text


def figures_page(dataset, chrome: Chrome, messages=()) -> str:
    """Every cited figure in the order of the report's story, each with its value as the source
    gives it, the source and its own words, and each computed number with its inputs
    (:mod:`scrlib.publish.figures_page`): what a number on any page links to."""
    from scrlib.publish.figures_page import figures_body

    return _document(f"Every figure and its source | {SHORT_TITLE}", "figures", chrome,
                     figures_body(dataset, messages))


def _document(title: str, page: str, chrome: Chrome, body: str, head: str = "") -> str:
    """A page of the report's own (the index, the figures page): head, navigation with ``page``
    marked, ``body`` and the footer."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title>
{head}<style>{STYLE}</style>
</head>
<body class="scrlib-index">
{SKIP_LINK}
{chrome.nav(page)}
<main id="main">
{body}
{chrome.footer()}
</main>
</body>
</html>
"""


def finish_pages(folder: Path) -> None:
    """The last pass over every page of a report folder (rewritten in place): tables captioned,
    scoped and in boxes that scroll on a narrow screen (:mod:`scrlib.publish.access`), and each
    glossary term's first use linked (:mod:`scrlib.publish.terms`)."""
    from scrlib.publish.access import accessible_tables
    from scrlib.publish.terms import INDEX, link_terms

    for page in sorted(folder.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        done = link_terms(accessible_tables(text), on_index=page.name == INDEX)
        if done != text:
            page.write_text(done, encoding="utf-8")


NUMBER_LINK = r'<a class="number" href="figures\.html#([^"]*)">(.*?)</a>'


def broken_number_links(folder: Path, dataset) -> list[str]:
    """Every number link in the pages of ``folder`` that leads nowhere, or to figures none of whose
    words state that number, as 'page: what is wrong' (none for a sound report)."""
    import re

    figures_page_html = (folder / "figures.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'\bid="([^"]+)"', figures_page_html))
    problems = []
    for page in sorted(folder.glob("*.html")):
        for anchor, shown in re.findall(NUMBER_LINK, page.read_text(encoding="utf-8")):
            anchor, text = html.unescape(anchor), html.unescape(re.sub(r"<[^>]+>", "", shown))
            if anchor not in anchors:
                problems.append(f"{page.name}: the number '{text}' links to #{anchor}, which "
                                "the figures page does not have")
                continue
            figures = _figures_at(dataset, anchor)
            if figures is not None and not _stated_by(text, figures):
                named = ", ".join(figures["figure_id"]) or "no figure"
                problems.append(f"{page.name}: the number '{text}' links to {named}, whose "
                                "words do not state it")
    return list(dict.fromkeys(problems))  # a number shown twice on a page is named once


def _figures_at(dataset, anchor: str):
    """The figures an sp- or fig- anchor gathers (None for any other anchor)."""
    figs = dataset.figures
    if anchor.startswith("fig-"):
        return figs[figs["figure_id"] == anchor.removeprefix("fig-")]
    if anchor.startswith("sp-"):
        keys = [figure_anchor(s, str(p)) for s, p in zip(figs["series_id"], figs["period"],
                                                         strict=True)]
        return figs[[k == anchor for k in keys]]
    return None


def _stated_by(text: str, figures) -> bool:
    """Whether the first number in ``text`` is a figure's value that its words state."""
    import re

    from scrlib.record.validate import _token_in, value_forms

    found = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    if found is None:
        return False
    number = float(found.group().replace(",", ""))
    for f in figures.itertuples(index=False):
        if float(f.value) != number:
            continue
        excerpt = f.excerpt if isinstance(f.excerpt, str) else ""
        written = getattr(f, "value_as_written", "")
        forms = ([written] if isinstance(written, str) and written else
                 value_forms(f"{float(f.value):.15g}", f.unit))  # no exponent
        if any(_token_in(form, excerpt) for form in forms):
            return True
    return False
