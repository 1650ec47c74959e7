"""The ``scr`` command (also ``python -m scrlib``).

Subcommands: check, export, cite, report, refresh, datapackage.

Exit codes: 0 success; 2 bad usage; 3 bad configuration (or a parameter a notebook would
refuse); 4 data that fail ``scr check``; 5 a notebook failed; 6 another run is writing the same
report folder; 130 interrupted.
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
        epilog="Exit codes: 0 ok, 2 usage, 3 configuration or parameter, 4 data check, "
        "5 notebook, 6 another run is writing the same report, 130 interrupted.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser("check", help="validate every file in data/; one line per problem")
    check.add_argument("--data", type=Path, help="data folder (default: the project's data/)")
    export = sub.add_parser("export", help="write a tidy CSV of all figures with citations")
    export.add_argument("--output", type=Path, required=True, help="CSV file to write")
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
    package = sub.add_parser("datapackage", help="regenerate data/datapackage.json")
    package.add_argument("--data", type=Path, help="data folder")
    refresh = sub.add_parser(
        "refresh", help="re-execute the committed notebooks in place with default parameters"
    )
    refresh.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: all)")
    return parser


def _check(args) -> int:
    from scrlib.paths import data_dir
    from scrlib.validate import read_dataset

    started = time.perf_counter()
    folder = args.data or data_dir()
    raw, problems = read_dataset(folder)
    for problem in problems:
        print(problem)
    if problems:
        print(f"scr check: {len(problems)} problem(s) in {folder}", file=sys.stderr)
        return 4
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in raw.rows.items())
    print(f"scr check: OK ({counts}) in {time.perf_counter() - started:.2f} s")
    return 0


def _load(args):
    from scrlib.load import load

    return load(args.data)


def _export(args) -> int:
    from scrlib.export import tidy_figures, write_csv

    path = write_csv(tidy_figures(_load(args)), args.output)
    print(f"scr export: wrote {path}")
    return 0


def _cite(args) -> int:
    from scrlib.cite import reference_list

    print(reference_list(_load(args), style=args.format))
    return 0


def _report(args) -> int:
    from scrlib import report

    config = report.load_config(args.config, [p.stem for p in report.notebook_paths()])
    if args.workers is not None:
        if args.workers < 1:
            raise report.ConfigError("--workers must be at least 1")
        config.workers = args.workers
    if args.timeout is not None:
        if args.timeout <= 0:
            raise report.ConfigError("--timeout must be positive")
        config.timeout = args.timeout
    if args.wait < 0:
        raise report.ConfigError("--wait must be zero or more seconds")
    report.build(args.output, config=config, wait=args.wait)
    return 0


def _datapackage(args) -> int:
    from scrlib.datapackage import write

    print(f"scr datapackage: wrote {write(_load(args))}")
    return 0


def _refresh(args) -> int:
    from scrlib.refresh import refresh

    return refresh(args.notebooks or None)


def main(argv: list[str] | None = None) -> int:
    """Run the ``scr`` command line; return the exit code."""
    args = _parser().parse_args(argv)
    from scrlib.problems import DataError

    try:
        return {
            "check": _check,
            "export": _export,
            "cite": _cite,
            "report": _report,
            "refresh": _refresh,
            "datapackage": _datapackage,
        }[args.command](args)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        print("scr: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from scrlib.report import ReportError

        if isinstance(exc, ReportError):
            print(f"scr {args.command}: {exc}", file=sys.stderr)
            return exc.exit_code
        raise


if __name__ == "__main__":
    sys.exit(main())
