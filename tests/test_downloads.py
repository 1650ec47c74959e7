"""What a reader takes away: the data package (files and a ZIP, the same bytes every time),
each chart's data, a citation from the repository's CITATION.cff, and the schema.org Dataset
in the index's head."""

from __future__ import annotations

import json
import re
import tomllib
import zipfile

import pytest
import yaml

from scrlib.publish import downloads, pages, report
from scrlib.record.paths import PROJECT_DIR, data_dir


def test_citation_cff_is_valid_and_agrees_with_the_project():
    import jsonschema

    schema = json.loads((PROJECT_DIR / "tests" / "fixtures" / "cff-1.2.0" / "schema.json")
                        .read_text(encoding="utf-8"))
    cff = yaml.safe_load((PROJECT_DIR / "CITATION.cff").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(cff)
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    assert cff["title"] == pages.TITLE
    assert str(cff["version"]) == project["version"]
    assert cff["license"] == project["license"]["text"]


def test_the_citation_names_the_build_and_any_address(tmp_path):
    cite = downloads.citation("2026-12-05", "0123456789abcdef", pages.TITLE)
    assert cite.title == pages.TITLE and "0123456789ab" in cite.text()
    assert "5 December 2026" in cite.text() and "@techreport{" in cite.bibtex()
    cff = yaml.safe_load((PROJECT_DIR / "CITATION.cff").read_text(encoding="utf-8"))
    cff["url"] = "https://reports.example.org/scr/"
    own = tmp_path / "CITATION.cff"
    own.write_text(yaml.safe_dump(cff), encoding="utf-8")
    cite = downloads.citation("2026-12-05", "0123456789abcdef", pages.TITLE, own)
    assert cite.text().endswith(" https://reports.example.org/scr/")
    assert "url = {https://reports.example.org/scr/}" in cite.bibtex()


def test_the_data_package_is_every_table_and_the_same_bytes_each_time(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for stage in (first, second):
        downloads.write_package(stage, data_dir())
    zipped = (first / downloads.PACKAGE_ZIP).read_bytes()
    assert zipped == (second / downloads.PACKAGE_ZIP).read_bytes()
    tables = sorted(p for p in data_dir().iterdir() if p.is_file() and not p.name.startswith("."))
    assert "datapackage.json" in {p.name for p in tables}
    with zipfile.ZipFile(first / downloads.PACKAGE_ZIP) as archive:
        names = archive.namelist()
        assert names == [f"scr-england-data/{p.name}" for p in tables]
        for path in tables:
            assert archive.read(f"scr-england-data/{path.name}") == path.read_bytes()
            assert (first / downloads.PACKAGE_DIR / path.name).read_bytes() == path.read_bytes()


@pytest.fixture
def stage(tmp_path, dataset):
    """A report folder with the figures, the data package and two charts' files, as a build
    leaves them."""
    from scrlib.record.export import tidy_figures, write_csv

    write_csv(tidy_figures(dataset), tmp_path / downloads.FIGURES_CSV)
    downloads.write_package(tmp_path, data_dir())
    figures = tmp_path / "figures"
    figures.mkdir()
    for stem, title in (("02-initiated-headline", "SCRs initiated in England"),
                        ("04-notifications-long", "Notifications over the years")):
        (figures / f"{stem}.csv").write_text("year,count\n2007-08,137\n")
        (figures / f"{stem}.json").write_text(json.dumps({"title": title}))
    return tmp_path


@pytest.mark.parametrize("pdf", [True, False])
def test_the_index_offers_the_data_and_describes_itself_as_a_dataset(stage, dataset, pdf):
    chrome = pages.Chrome("2026-12-05", "0123456789abcdef",
                          (("02-initiated", "SCRs initiated"), ("04-notifications", "Notes")),
                          pdf=pdf)
    index = pages.index_page(stage, [], report.ReportConfig(), dataset, None, chrome)
    data = index.split('<h2 id="data">')[1].split("<h2")[0]
    linked = set(re.findall(r'href="([^"#]+)"', data))
    assert {downloads.FIGURES_CSV, downloads.PACKAGE_ZIP} <= linked
    assert (downloads.PDF in linked) == pdf  # linked only when the build writes it
    assert (f'href="{downloads.PDF}"' in index.split("<footer")[1]) == pdf
    for stem in ("02-initiated-headline", "04-notifications-long"):
        assert f"figures/{stem}.csv" in linked
    assert "<caption>" in data and 'scope="col"' in data
    head = index.split("</head>")[0]
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', head, re.S)
    assert len(found) == 1
    described = json.loads(found[0])
    assert described["@type"] == "Dataset" and described["name"] == pages.TITLE
    assert described["description"] and described["creator"]["name"]
    assert described["license"]["name"]
    urls = [d["contentUrl"] for d in described["distribution"]]
    assert all(d["@type"] == "DataDownload" and d["encodingFormat"]
               for d in described["distribution"])
    assert {downloads.FIGURES_CSV, downloads.PACKAGE_ZIP, "figures/02-initiated-headline.csv"} \
        <= set(urls)
    assert (downloads.PDF in urls) == pdf
    for url in urls:
        assert url == downloads.PDF or (stage / url).is_file(), url
    assert "0123456789ab" in index.split("How to cite this report")[1]
