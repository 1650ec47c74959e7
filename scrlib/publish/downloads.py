"""What a reader can take away: the data package and each chart's data, how to cite the report
(from the repository's ``CITATION.cff``), and the schema.org ``Dataset`` description that dataset
search engines read from the index's head.

Everything here is the same bytes for the same inputs: the data package's ZIP stores its files
uncompressed, in name order, with a fixed date.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from scrlib.record.paths import PROJECT_DIR

PACKAGE_DIR = "data/package"
PACKAGE_ZIP = "data/scr-england-data.zip"
FIGURES_CSV = "data/figures.csv"
PDF = "report.pdf"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a ZIP can hold: no clock in the bytes


def pdf_wanted() -> bool:
    """Whether a report build writes the PDF: yes, unless ``SCRLIB_REPORT_PDF=0`` asks for a
    quicker build of the HTML pages alone (the tests do, outside the PDF's own)."""
    return os.environ.get("SCRLIB_REPORT_PDF", "1") != "0"


@dataclass(frozen=True)
class Citation:
    """How to cite the report: the repository's CITATION.cff, with this build's commit and data
    date."""

    authors: str
    title: str
    version: str
    license: str
    address: str  # where the report is published (CITATION.cff ``url``), if it says
    code: str  # where its code is kept (``repository-code``), if it says
    data_as_of: str
    commit: str

    @property
    def year(self) -> str:
        return self.data_as_of[:4]

    def text(self) -> str:
        from scrlib.record.records import human_date

        where = f" {self.address}" if self.address else ""
        date = human_date(self.data_as_of) if self.data_as_of[:1].isdigit() else self.data_as_of
        return (f"{self.authors} ({self.year}). {self.title}. Report and data, version "
                f"{self.version}, built from commit {self.commit[:12]}; data as of {date}."
                f"{where}")

    def bibtex(self) -> str:
        fields = {"author": "{" + self.authors + "}", "title": "{" + self.title + "}",
                  "year": self.year, "version": self.version,
                  "note": f"Report and data, built from commit {self.commit[:12]}; data as of "
                          f"{self.data_as_of}"}
        if self.address:
            fields["url"] = self.address
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items())
        return f"@techreport{{scrlib{self.year},\n{body}\n}}"


def read_citation_file(path: Path | None = None) -> dict:
    """The repository's CITATION.cff as a mapping (empty if there is none)."""
    import yaml

    path = path or PROJECT_DIR / "CITATION.cff"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def citation(data_as_of: str, commit: str, title: str, path: Path | None = None) -> Citation:
    """This build's citation: the authors, version, licence and addresses CITATION.cff gives."""
    cff = read_citation_file(path)
    authors = "; ".join(a.get("name") or " ".join(
        p for p in (a.get("given-names"), a.get("family-names")) if p)
        for a in cff.get("authors", [])) or "scrlib"
    return Citation(authors, cff.get("title", title), str(cff.get("version", "")),
                    str(cff.get("license", "")), str(cff.get("url", "")),
                    str(cff.get("repository-code", "")), data_as_of, commit)


def write_package(stage: Path, data_folder: Path) -> None:
    """The data package this report was built from, as files (``data/package/``) and as one
    ZIP: every table, its descriptor and README."""
    target = stage / PACKAGE_DIR
    target.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in data_folder.iterdir() if p.is_file() and not p.name.startswith("."))
    for path in files:
        shutil.copyfile(path, target / path.name)
    with zipfile.ZipFile(stage / PACKAGE_ZIP, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"scr-england-data/{path.name}", date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever machine builds it
            archive.writestr(info, path.read_bytes())


def charts(stage: Path) -> list[tuple[str, str]]:
    """Each chart whose data the report has: (file stem, title), in file order."""
    found = []
    for data in sorted((stage / "figures").glob("*.csv")):
        about = data.with_suffix(".json")
        title = data.stem
        if about.is_file():
            title = json.loads(about.read_text(encoding="utf-8")).get("title", title)
        found.append((data.stem, title))
    return found


def data_section(stage: Path, titles: dict[str, str] | None = None, pdf: bool = True) -> str:
    """The index's "Data" section: every figure with its source, the data package, the PDF of
    the report (which the report's build writes after its pages) and each chart's data, with
    the section (``titles``: notebook name -> title) it belongs to."""
    e = html.escape
    titles = titles or {}
    def section(stem: str) -> str:
        return next((t for name, t in sorted(titles.items(), key=lambda i: -len(i[0]))
                     if stem.startswith(f"{name}-") or stem == name), "")

    rows = "".join(
        f'<tr><th scope="row">{e(title)}</th><td>{e(section(stem))}</td>'
        f'<td><a href="figures/{e(stem)}.csv">CSV</a> &middot; <a href="figures/{e(stem)}.json">'
        "what it shows (JSON)</a></td></tr>"
        for stem, title in charts(stage))
    pdf = (f'<li><a href="{PDF}">The whole report as a PDF</a>, for reading offline or '
           "printing.</li>") if pdf else ""
    return f"""<h2 id="data">Data</h2>
<ul class="downloads">
<li><a href="{FIGURES_CSV}">Every figure with its source (CSV)</a>: one row per figure, with its
series, period, value, the source's words, publisher, title, address and the date it was read,
and whether it is the value used where sources disagree.</li>
<li><a href="{PACKAGE_ZIP}">The data package (ZIP)</a>: the cited record this report was built
from, as a Frictionless Data Package: the tables of sources, series, figures, events and
resolutions, with <a href="{PACKAGE_DIR}/datapackage.json">their description</a> and
<a href="{PACKAGE_DIR}/README.md">how to read them</a>.</li>
{pdf}
</ul>
<table class="charts">
<caption>Each chart's data</caption>
<thead><tr><th scope="col">Chart</th><th scope="col">Section</th><th scope="col">Files</th>
</tr></thead>
<tbody>{rows}</tbody></table>"""


def json_ld(dataset, cite: Citation, stage: Path, pdf: bool = True) -> str:
    """The schema.org ``Dataset`` the index describes itself as (for its head): name,
    description, creator, licence, coverage and each download."""
    from scrlib.record.datapackage import descriptor

    package = descriptor(dataset)
    starts, ends = dataset.figures["start"], dataset.figures["end"]
    downloads = [(FIGURES_CSV, "text/csv", "Every figure with its source"),
                 (PACKAGE_ZIP, "application/zip", "The data package"),
                 (f"{PACKAGE_DIR}/datapackage.json", "application/json",
                  "The data package's description")]
    if pdf:
        downloads.append((PDF, "application/pdf", "The whole report"))
    downloads += [(f"figures/{stem}.csv", "text/csv", f"Chart data: {title}")
                  for stem, title in charts(stage)]
    data = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": cite.title,
        "description": package["description"],
        "creator": {"@type": "Organization", "name": cite.authors},
        "license": {"@type": "CreativeWork", "name": package["licenses"][0]["title"]},
        "version": cite.version,
        "dateModified": cite.data_as_of,
        "temporalCoverage": f"{starts.min():%Y-%m-%d}/{ends.max():%Y-%m-%d}",
        "spatialCoverage": {"@type": "Place", "name": "England"},
        "isAccessibleForFree": True,
        "keywords": ["Serious Case Reviews", "child safeguarding", "England",
                     "interrupted time series"],
        "citation": cite.text(),
        "distribution": [{"@type": "DataDownload", "name": name, "encodingFormat": kind,
                          "contentUrl": path} for path, kind, name in downloads],
    }
    if cite.address:
        data["url"] = cite.address
    text = json.dumps(data, indent=1, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'
