"""The ``scr`` command (also ``python -m scrlib``).

Subcommands: check, export, cite, report, refresh, datapackage, ingest.

Exit codes: 0 success; 2 bad usage; 3 bad configuration (or a parameter a notebook would
refuse); 4 data that fail ``scr check``, or input ``scr ingest`` cannot take (data/ unchanged);
5 a notebook failed; 6 another run is writing the same
report folder; 7 a file or folder ``scr report`` needs could not be read or written (read-only,
disk full, a folder in the way; nothing lost); 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scr",
        description="Cited figures and before/after analysis of Serious Case Reviews in England.",
        epilog="Exit codes: 0 ok, 2 usage, 3 configuration or parameter, 4 data check or ingest, "
        "5 notebook, 6 another run is writing the same report, 7 a file or folder the report "
        "could not read or write, 130 interrupted.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser("check", help="validate every file in data/; one line per problem")
    check.add_argument("--data", type=Path, help="data folder (default: the project's data/)")
    export = sub.add_parser(
        "export", help="write a tidy CSV of all figures with citations",
        description="Write every figure with its citation columns as one CSV. A text cell that "
        "begins with =, +, -, @, a tab or a carriage return gets a single quote in front "
        "('=1+2), so that a spreadsheet shows it as text and never runs it as a formula (CSV "
        "injection, as OWASP recommends); --raw writes the cells as they are.")
    export.add_argument("--output", type=Path, required=True, help="CSV file to write")
    export.add_argument("--raw", action="store_true",
                        help="write cells as they are (for programs, not spreadsheets): no quote "
                        "in front of a cell beginning with =, +, -, @, tab or carriage return")
    export.add_argument("--data", type=Path, help="data folder")
    cite = sub.add_parser("cite", help="print the reference list")
    cite.add_argument(
        "--format", choices=["text", "markdown", "bibtex", "csl-json"], default="text"
    )
    cite.add_argument("--data", type=Path, help="data folder")
    report = sub.add_parser("report", help="run every notebook and build the HTML report")
    report.add_argument("--output", type=Path, help="report folder (default: reports/latest)")
    report.add_argument("--config", type=Path, help="YAML file of parameters, workers, timeout")
    report.add_argument("--workers", type=int, help="notebooks run at once (default: cores)")
    report.add_argument("--timeout", type=float, help="seconds allowed per notebook")
    report.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="if another run is writing the same report, wait up to this long "
                        "for it (default: stop at once, exit 6)")
    report.add_argument("--no-cache", action="store_true",
                        help="run every notebook, even one none of whose inputs (notebook, "
                        "parameters, data, code, packages) changed since it last ran (what "
                        "runs is still kept for the next run)")
    package = sub.add_parser("datapackage", help="regenerate data/datapackage.json")
    package.add_argument("--data", type=Path, help="data folder")
    refresh = sub.add_parser(
        "refresh", help="re-execute the committed notebooks in place with default parameters"
    )
    refresh.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: all)")
    ingest = sub.add_parser(
        "ingest", help="add an Explore Education Statistics release's values to data/",
        description="Read an EES open-data CSV (a file, an http(s) address, or a data set id "
        "through the EES public API), map its rows to series with data/ees-mapping.csv, and add "
        "each value as a cited figure. Exit 4 (data/ unchanged) on any problem.")
    ingest.add_argument("csv", nargs="?", help="a local CSV file or an http(s) address")
    ingest.add_argument("--api", metavar="DATASET_ID",
                        help="read this EES data set through the public API instead")
    ingest.add_argument("--api-base", default=None, metavar="URL",
                        help="the EES public API's address (default: the DfE service)")
    ingest.add_argument("--dataset", help="the data set's name in data/ees-mapping.csv "
                        "(found from the id with --api)")
    ingest.add_argument("--release", help="the release as the publisher names it, e.g. "
                        "'Reporting year 2026' (with --api: from the version's title)")
    ingest.add_argument("--version", default="", help="the data set version (with --api: the "
                        "latest unless given)")
    ingest.add_argument("--address", default="", metavar="URL",
                        help="for a local file: the address it was published at")
    ingest.add_argument("--published", default="", metavar="YYYY-MM-DD",
                        help="the release's publication date, as its page gives it: releases "
                        "are ordered by it, so that an older one never supersedes a newer one "
                        "(needed for a CSV that adds anything; with --api, the version's own "
                        "date unless given)")
    ingest.add_argument("--accessed", default=None, metavar="YYYY-MM-DD",
                        help="the day it was read (default: today)")
    ingest.add_argument("--finish", action="store_true",
                        help="only complete an ingest that was cut off (see scr check)")
    ingest.add_argument("--dry-run", action="store_true",
                        help="print what would be added or revised; change nothing")
    ingest.add_argument("--data", type=Path, help="data folder (default: the project's data/)")
    return parser


def _check(args) -> int:
    """Validate the data folder: one line per problem (exit 4 if there is any); a warning on
    stderr for each file a killed ``scr ingest`` left beside the tables (not a problem: the
    tables are whole, and the next ingest removes it; the exit code is unchanged)."""
    from scrlib.record.paths import data_dir
    from scrlib.record.validate import read_dataset

    started = time.perf_counter()
    folder = args.data or data_dir()
    raw, problems = read_dataset(folder)
    for problem in problems:
        print(problem)
    _warn_strays(folder)
    from scrlib.record.reprints import reprint_warnings

    for warning in reprint_warnings(raw):  # a reprint not marked: the exit code is unchanged
        print(f"scr check: {warning}", file=sys.stderr)
    if problems:
        print(f"scr check: {len(problems)} problem(s) in {folder}", file=sys.stderr)
        return 4
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in raw.rows.items())
    print(f"scr check: OK ({counts}) in {time.perf_counter() - started:.2f} s")
    return 0


def _warn_strays(folder: Path) -> None:
    """Warn (stderr; the exit code is unchanged) of files a killed ``scr ingest`` left in the
    data folder: not part of the data, removed by the next ``scr ingest``."""
    from scrlib.record.ingest import stray_files

    for path in stray_files(folder) if folder.is_dir() else []:
        print(f"scr check: warning: {path} was left by an ingest that was killed before it "
              "could finish; it is not part of the data, and the next scr ingest removes it",
              file=sys.stderr)


def _load(args):
    from scrlib.record.load import load

    return load(args.data)


def _export(args) -> int:
    from scrlib.record.export import spreadsheet_safe, tidy_figures, write_csv

    if args.output.is_dir():
        print(f"scr export: --output {args.output} is a folder; give the CSV file to write",
              file=sys.stderr)
        return 2
    frame = tidy_figures(_load(args))
    try:
        path = write_csv(frame if args.raw else spreadsheet_safe(frame), args.output)
    except OSError as exc:
        print(f"scr export: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"scr export: wrote {path}")
    return 0


def _cite(args) -> int:
    from scrlib.record.cite import reference_list

    print(reference_list(_load(args), style=args.format))
    return 0


def _report(args) -> int:
    from scrlib.publish import report

    config = report.load_config(args.config, [p.stem for p in report.notebook_paths()])
    if args.workers is not None:
        config.workers = args.workers
    if args.timeout is not None:
        config.timeout = args.timeout
    report.check_limits(config, "--")  # the same limits as a config file's
    if not 0 <= args.wait <= report.MAX_TIMEOUT:  # also refuses nan and inf
        raise report.ConfigError(f"--wait: {args.wait!r} must be zero or more seconds, at most "
                                 f"{report.MAX_TIMEOUT:g} (a day)")
    report.build(args.output, config=config, wait=args.wait, cache=not args.no_cache)
    return 0


def _datapackage(args) -> int:
    from scrlib.record.datapackage import write

    print(f"scr datapackage: wrote {write(_load(args))}")
    return 0


def _ingest(args) -> int:
    import datetime

    from scrlib.record import ingest
    from scrlib.record.paths import data_dir

    folder = args.data or data_dir()
    accessed = args.accessed or datetime.date.today().isoformat()
    if args.finish:
        return _finish(ingest, folder)
    if bool(args.csv) == bool(args.api):
        print("scr ingest: give a CSV file or address, or --api DATASET_ID (one of them)",
              file=sys.stderr)
        return 2
    wrong = _bad_dates(accessed=accessed, published=args.published)
    if not wrong and args.published and args.published[:len(accessed)] > accessed:
        wrong = (f"--published {args.published} is after --accessed {accessed}: a release is "
                 "read on or after the day it is published")
    if wrong:
        print(f"scr ingest: {wrong}", file=sys.stderr)
        return 2
    try:
        if args.api:
            result = ingest.ingest_api(args.api, version=args.version, base=args.api_base,
                                       accessed=accessed, folder=folder,
                                       mapping_path=folder / ingest.MAPPING_FILE,
                                       dry_run=args.dry_run, release=args.release,
                                       dataset=args.dataset, published=args.published)
        else:
            missing = [f"--{n}" for n in ("dataset", "release") if not getattr(args, n)]
            if missing:
                print(f"scr ingest: a CSV needs {' and '.join(missing)}", file=sys.stderr)
                return 2
            result = ingest.ingest(args.csv, dataset=args.dataset, release=args.release,
                                   accessed=accessed, folder=folder,
                                   mapping_path=folder / ingest.MAPPING_FILE,
                                   published_at=args.address, version=args.version,
                                   published=args.published, dry_run=args.dry_run)
    except ingest.IngestError as exc:
        print(f"scr ingest: {exc}", file=sys.stderr)
        if exc.unchanged:
            print("scr ingest: data/ is unchanged", file=sys.stderr)
        return ingest.EXIT_INGEST
    for line in result.lines():
        print(f"  {line}")
    if result.empty:
        print("scr ingest: nothing new in this release")
    elif args.dry_run:
        print("scr ingest: dry run; nothing was written")
    else:
        print(f"scr ingest: data/ updated from {result.release.source_id}; scr check passes")
    return 0


def _finish(ingest, folder: Path) -> int:
    """``scr ingest --finish``: complete a cut-off ingest and remove a killed one's files."""
    try:
        done, removed = ingest.finish(folder)
    except ingest.IngestError as exc:
        print(f"scr ingest: {exc}", file=sys.stderr)
        return ingest.EXIT_INGEST
    said = [f"swapped in {', '.join(done)}"] if done else []
    said += [f"removed {', '.join(removed)} (left by a killed ingest)"] if removed else []
    print(f"scr ingest: {'; '.join(said) or 'nothing to finish'}")
    return 0


def _bad_dates(**dates: str) -> str:
    """'--accessed: ...' for the first option whose date is malformed, else ''."""
    from scrlib.record.schema import SOURCES
    from scrlib.record.validate import field_problem

    kinds = {"accessed": "date_accessed", "published": "date_published"}
    columns = {c.name: c for c in SOURCES.columns}
    for option, value in dates.items():
        message = value and field_problem(columns[kinds[option]], value)
        if message:
            return f"--{option}: {message}"
    return ""


def _refresh(args) -> int:
    from scrlib.publish.refresh import refresh

    return refresh(args.notebooks or None)


RECORD_COMMANDS = ("check", "export", "cite", "datapackage", "ingest")


def main(argv: list[str] | None = None) -> int:
    """Run the ``scr`` command line; return the exit code."""
    args = _parser().parse_args(argv)
    from scrlib.record.problems import DataError

    try:
        return {
            "check": _check,
            "export": _export,
            "cite": _cite,
            "report": _report,
            "refresh": _refresh,
            "datapackage": _datapackage,
            "ingest": _ingest,
        }[args.command](args)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 4
    except OSError as exc:
        if args.command not in RECORD_COMMANDS:
            raise
        print(f"scr {args.command}: {exc}", file=sys.stderr)  # a file it could not read or write
        return 4
    except KeyboardInterrupt:
        print("scr: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        if args.command not in RECORD_COMMANDS:
            raise
        from scrlib.record.inputs import LIMIT_ENV

        print(f"scr {args.command}: not enough memory to finish: an input too large for this "
              f"machine? ({LIMIT_ENV} sets the most an input may hold)", file=sys.stderr)
        return 4
    except Exception as exc:
        from scrlib.publish.report import ReportError

        if isinstance(exc, ReportError):
            print(f"scr {args.command}: {exc}", file=sys.stderr)
            return exc.exit_code
        raise


if __name__ == "__main__":
    sys.exit(main())
