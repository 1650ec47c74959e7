"""No traceback, no hang, no setting silently ignored (issue 31, items 6 and 7): a config or an
input is read only if it is a regular file within the input limit (50 MB, or
``SCRLIB_MAX_INPUT_MB``), in pieces, so an endless or expanding download stops at the limit;
YAML with a loader that refuses aliases, tags, duplicated keys and deep nesting before anything
is built; an unknown key anywhere in a config is refused naming the closest known one; an
OSError while ingest writes data/ is one line with its exit code. Each refusal is one line."""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from scrlib.cli import main
from scrlib.record import ingest
from tests.ees_server import Server

FIXTURES = Path(__file__).parent / "fixtures" / "ees"
NEW = (FIXTURES / "sin-nature-2027-test-values.csv").read_text(encoding="utf-8")
ADDRESS = "https://explore-education-statistics.service.gov.uk/data-catalogue/data-set/test/csv"
RELEASE = ("--dataset", "sin-nature", "--release", "Reporting year 2027", "--published",
           "2027-07-01", "--accessed", "2027-07-02")


@pytest.fixture(scope="module")
def server():
    running = Server()
    yield running
    running.close()


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _report(tmp_path: Path, text: str, capsys) -> tuple[int, str]:
    config = tmp_path / "report.yml"
    config.write_text(text, encoding="utf-8")
    code = main(["report", "--config", str(config), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err[:2000]
    return code, err


def _capped(limit_gb: float = 3.0):
    """A child process's address space capped (the tests run hostile inputs in a child so that
    a regression hangs or fails the child, never the machine)."""
    def apply():
        size = int(limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return apply


def _scr(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrlib", *args], capture_output=True,
                          text=True, timeout=180, preexec_fn=_capped(),
                          env={**os.environ, **(env or {})})


# -- YAML: nothing expanded, nothing silently replaced ----------------------------------------

def _bomb(levels: int = 6) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]")
    return "parameters:\n  " + "\n  ".join(lines) + "\n"


@pytest.mark.parametrize(("text", "expected"), [
    (_bomb(), "line 2, column 7: an anchor (&l0) is not allowed"),
    ("parameters:\n  conflict_rule: &rule recorded\nnotebooks:\n  01-sources:\n"
     "    conflict_rule: *rule\n", "line 2, column 18: an anchor (&rule) is not allowed"),
    ("workers: &w 2\n", "an anchor (&w) is not allowed"),
])
def test_a_yaml_alias_is_refused_before_anything_is_expanded(tmp_path, capsys, text, expected):
    code, err = _report(tmp_path, text, capsys)
    assert code == 3 and expected in err and len(err) < 400


def test_deep_nesting_is_refused_in_one_line_not_a_recursion_error(tmp_path, capsys):
    code, err = _report(tmp_path, "parameters:\n  x: " + "[" * 3000 + "]" * 3000 + "\n", capsys)
    assert code == 3 and "nested more than 20 lists or mappings deep" in err


@pytest.mark.parametrize(("text", "expected"), [
    ("workers: 1\ntimeout: 60\nworkers: 2\n",
     "line 3, column 1: the key 'workers' appears twice (first on line 1)"),
    ("parameters:\n  conflict_rule: recorded\n  conflict_rule: alternative\n",
     "line 3, column 3: the key 'conflict_rule' appears twice (first on line 2)"),
    ("notebooks:\n  01-sources: {events: [full-publication]}\n  01-sources: {}\n",
     "the key '01-sources' appears twice (first on line 2)"),
])
def test_a_duplicated_key_is_refused_naming_both_lines(tmp_path, capsys, text, expected):
    code, err = _report(tmp_path, text, capsys)
    assert code == 3 and expected in err


@pytest.mark.parametrize(("text", "expected"), [
    ("worker: 2\n", "unknown key(s) worker (did you mean 'workers'?); allowed: notebooks"),
    ("parameters:\n  conflict_rul: alternative\n",
     "parameters: 'conflict_rul' is not a parameter of any notebook (did you mean "
     "'conflict_rule'?); the notebooks declare: "),
    ("notebooks:\n  01-sources:\n    seed_serie: [scr-published]\n",
     "notebooks: 01-sources: unknown parameter(s) seed_serie (did you mean 'seed_series'?)"),
    ("notebooks:\n  02-initiate:\n    family: poisson\n",
     "unknown notebook '02-initiate' (did you mean '02-initiated'?)"),
])
def test_an_unknown_key_anywhere_is_refused_naming_the_closest_known(tmp_path, capsys, text,
                                                                       expected):
    code, err = _report(tmp_path, text, capsys)
    assert code == 3 and expected in err and str(tmp_path / "report.yml") in err


# -- files that are not files, and files too large ------------------------------------------

@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_config_that_is_a_fifo_or_a_device_is_refused_before_it_is_read(tmp_path, kind):
    path = Path("/dev/zero")
    if kind == "fifo":
        path = tmp_path / "report.yml"
        os.mkfifo(path)  # nobody writes it: reading it would wait for ever
    done = _scr("report", "--config", str(path), "--output", str(tmp_path / "out"))
    said = {"fifo": "is a FIFO (named pipe)", "device": "is a character device"}[kind]
    assert done.returncode == 3, done.stderr[-2000:]
    assert done.stderr == (f"scr report: {path}: {said}, not a configuration file; nothing "
                           "was read from it\n")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_ingest_of_a_fifo_or_a_device_is_refused_before_it_is_read(tmp_path, data_copy, kind):
    path = Path("/dev/zero")
    if kind == "fifo":
        path = tmp_path / "release.csv"
        os.mkfifo(path)
    before = _digest(data_copy)
    done = _scr("ingest", str(path), *RELEASE, "--address", ADDRESS, "--data", str(data_copy))
    assert done.returncode == 4, done.stderr[-2000:]
    said = {"fifo": "is a FIFO (named pipe)", "device": "is a character device"}[kind]
    assert done.stderr.splitlines() == [
        f"scr ingest: {path}:0: -: {said}, not a file; nothing was read from it",
        "scr ingest: data/ is unchanged"]
    assert _digest(data_copy) == before


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)  # zeros that take no room on disk
    return path


def _args(command: str, path: Path, tmp_path: Path, folder: Path) -> list[str]:
    if command == "report":
        return ["report", "--config", str(path), "--output", str(tmp_path / "out")]
    return ["ingest", str(path), *RELEASE, "--address", ADDRESS, "--data", str(folder)]


@pytest.mark.parametrize("command", ["report", "ingest"])
def test_an_80_mb_input_is_refused_before_it_is_read(tmp_path, data_copy, command):
    big = _sparse(tmp_path / "big.yml", 80 * 2**20)
    done = _scr(*_args(command, big, tmp_path, data_copy))  # in a child with capped memory
    assert done.returncode == (3 if command == "report" else 4), done.stderr[-2000:]
    where = f"{big}:" if command == "report" else f"{big}:0: -:"
    assert (f"{where} is 83.9 MB: more than 50 MB, the limit for an input (set "
            "SCRLIB_MAX_INPUT_MB to a number of megabytes to allow more)") in done.stderr
    assert len(done.stderr.splitlines()) == (1 if command == "report" else 2)


@pytest.mark.parametrize("command", ["report", "ingest"])
def test_the_input_limit_is_set_by_scrlib_max_input_mb(tmp_path, data_copy, command, capsys,
                                                       monkeypatch):
    path = _sparse(tmp_path / "input.yml", 3 * 10**6)
    args = _args(command, path, tmp_path, data_copy)
    monkeypatch.setenv("SCRLIB_MAX_INPUT_MB", "2")
    assert main(args) == (3 if command == "report" else 4)
    where = f"{path}:" if command == "report" else f"{path}:0: -:"
    assert f"{where} is 3 MB: more than 2 MB, the limit" in capsys.readouterr().err
    monkeypatch.setenv("SCRLIB_MAX_INPUT_MB", "4")  # read, then refused for what it holds
    assert main(args) == (3 if command == "report" else 4)
    err = capsys.readouterr().err
    assert "more than" not in err and "Traceback" not in err, err


def test_a_limit_that_is_not_a_number_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCRLIB_MAX_INPUT_MB", "lots")
    code, err = _report(tmp_path, "workers: 1\n", capsys)
    assert code == 3 and "SCRLIB_MAX_INPUT_MB: 'lots' is not a number of megabytes" in err


# -- downloads that never end, or expand ------------------------------------------------------

def test_an_endless_download_stops_at_the_limit(server, data_copy):
    url = server.serve("/endless.csv", NEW * 20, endless=True)
    before = _digest(data_copy)
    done = _scr("ingest", url, *RELEASE, "--data", str(data_copy),
                env={"SCRLIB_MAX_INPUT_MB": "2"})
    assert done.returncode == 4, done.stderr[-2000:]
    assert done.stderr.splitlines() == [
        f"scr ingest: {url}:0: -: more than 2 MB, the limit for an input (set "
        "SCRLIB_MAX_INPUT_MB to a number of megabytes to allow more); stopped reading there",
        "scr ingest: data/ is unchanged"]
    assert _digest(data_copy) == before


def test_a_2_mb_gzip_body_that_expands_to_2_gib_stops_at_the_limit(server, data_copy, capsys):
    member = gzip.compress(bytes(2**24), compresslevel=9, mtime=0)  # 16 MiB of zeros
    body = member * 128  # 128 gzip members: about 2 MB that expand to 2 GiB
    assert len(body) < 2.5e6
    url = server.serve("/bomb.csv", body, headers={"Content-Encoding": "gzip"})
    before = _digest(data_copy)
    code = main(["ingest", url, *RELEASE, "--data", str(data_copy)])
    err = capsys.readouterr().err
    assert code == 4
    assert err.splitlines() == [
        f"scr ingest: {url}:0: -: the gzip body expands to more than 50 MB, the limit for an "
        "input (set SCRLIB_MAX_INPUT_MB to a number of megabytes to allow more); stopped "
        "unpacking there", "scr ingest: data/ is unchanged"]
    assert _digest(data_copy) == before


def test_a_download_announcing_more_than_the_limit_is_not_read(server, data_copy, capsys,
                                                              monkeypatch):
    monkeypatch.setenv("SCRLIB_MAX_INPUT_MB", "0.001")  # 1,000 bytes
    url = server.serve("/announced.csv", NEW)
    assert main(["ingest", url, *RELEASE, "--data", str(data_copy)]) == 4
    assert f"the server announces {len(NEW.encode())} bytes: more than 1000 bytes" in (
        capsys.readouterr().err)


# -- data/ that cannot be written ------------------------------------------------------------

def test_a_lock_path_that_is_a_folder_is_one_line(tmp_path, data_copy, capsys):
    (data_copy.parent / f".{data_copy.name}.lock").mkdir()
    release = tmp_path / "release.csv"
    release.write_text(NEW, encoding="utf-8")
    before = _digest(data_copy)
    code = main(["ingest", str(release), *RELEASE, "--address", ADDRESS, "--data",
                 str(data_copy)])
    assert code == 4
    assert capsys.readouterr().err.splitlines() == [
        f"scr ingest: {data_copy.parent / '.data.lock'}:0: -: cannot write it (Is a directory)",
        "scr ingest: data/ is unchanged"]
    assert _digest(data_copy) == before


def test_read_only_data_is_one_line_and_leaves_data_as_it_was(tmp_path, data_copy, capsys,
                                                              monkeypatch):
    def read_only(path, data):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(ingest, "_write_durably", read_only)
    release = tmp_path / "release.csv"
    release.write_text(NEW, encoding="utf-8")
    before = _digest(data_copy)
    code = main(["ingest", str(release), *RELEASE, "--address", ADDRESS, "--data",
                 str(data_copy)])
    err = capsys.readouterr().err.splitlines()
    assert code == 4
    assert err[0].startswith(f"scr ingest: {data_copy}/.") and err[0].endswith(
        ":0: -: cannot write it (Read-only file system)")
    assert err[1:] == ["scr ingest: data/ is unchanged"]
    assert _digest(data_copy) == before


# -- a second numeric column beside the mapped one --------------------------------------------

def test_a_second_numeric_column_beside_the_mapped_one_is_read_from_its_own_cell(
        tmp_path, data_copy, capsys):
    """``...,300,65.2``: the mapped column holds 300, another column 65.2. The value is taken
    from its cell and cited with the row as published (prose would read '300,65' as one
    number, which once gave 'does not contain the value 300 as written')."""
    lines = NEW.splitlines()
    text = "\n".join([lines[0] + ",percent_notifications",
                      *(line + ",65.2" for line in lines[1:])]) + "\n"
    release = tmp_path / "release.csv"
    release.write_text(text, encoding="utf-8")
    code = main(["ingest", str(release), *RELEASE, "--address", ADDRESS, "--data",
                 str(data_copy)])
    assert code == 0, capsys.readouterr().err
    from scrlib.record.load import load

    added = load(data_copy).figures.query(
        "source_id == 'ees-sin-nature-reporting-year-2027' and series_id == 'sin-total' "
        "and period == 'FY2026-27'")
    assert added["value"].tolist() == [300]
    assert added["excerpt"].item().endswith(",Total,300,65.2")
    assert main(["check", "--data", str(data_copy)]) == 0
    # a row whose cells do not hold the value is named as such
    figures = data_copy / "figures.csv"
    figures.write_text(figures.read_text(encoding="utf-8").replace(",Total,300,65.2",
                                                                   ",Total,301,65.2"))
    capsys.readouterr()
    assert main(["check", "--data", str(data_copy)]) == 4
    assert ("excerpt: no cell of the data set's row holds the value 300 (looked for a cell 300; "
            "the row as published: '2027,Reporting year") in capsys.readouterr().out


def test_an_api_answer_nested_thousands_deep_is_one_line(server, data_copy, capsys):
    api = "00000000-0000-4000-8000-00000000dee9"
    server.serve(f"/v1/data-sets/{api}/versions?page=1&pageSize=20", "[" * 100_000 + "]" * 100_000,
                 kind="application/json")
    code = main(["ingest", "--api", api, "--api-base", server.url, "--dataset", "sin-nature",
                 "--accessed", "2027-07-02", "--data", str(data_copy)])
    err = capsys.readouterr().err
    assert code == 4 and "not a JSON document this program reads (nested too deep)" in err
    assert len(err.splitlines()) == 2


def test_running_out_of_memory_while_ingesting_is_one_line(tmp_path, data_copy, capsys,
                                                          monkeypatch):
    from scrlib.record import ees

    def too_much(address):
        raise MemoryError

    monkeypatch.setattr(ees, "read_csv", too_much)
    release = tmp_path / "release.csv"
    release.write_text(NEW, encoding="utf-8")
    code = main(["ingest", str(release), *RELEASE, "--address", ADDRESS, "--data",
                 str(data_copy)])
    assert code == 4
    assert capsys.readouterr().err == (
        "scr ingest: not enough memory to finish: an input too large for this machine? "
        "(SCRLIB_MAX_INPUT_MB sets the most an input may hold)\n")
