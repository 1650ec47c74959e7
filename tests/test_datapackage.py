import json

from frictionless import validate

from scrlib.record.datapackage import descriptor
from scrlib.record.schema import TABLES


def test_committed_datapackage_is_in_step_with_schema_and_sources(dataset):
    committed = json.loads((dataset.folder / "datapackage.json").read_text(encoding="utf-8"))
    assert committed == descriptor(dataset), "run `scr datapackage` to regenerate it"


def test_datapackage_describes_every_table_and_column(dataset):
    desc = descriptor(dataset)
    names = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in desc["resources"]}
    assert names == {t.name: list(t.column_names) for t in TABLES}
    assert len(desc["sources"]) == len(dataset.sources)


def test_frictionless_validates_the_package_including_foreign_keys(dataset):
    report = validate(str(dataset.folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_frictionless_catches_a_broken_foreign_key(data_copy):
    path = data_copy / "figures.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",stowe-scrs-on-the-rise,", ",nobody,", 1),
        encoding="utf-8",
    )
    report = validate(str(data_copy / "datapackage.json"))
    assert not report.valid
    assert "foreign-key" in {row[0] for row in report.flatten(["type"])}
