"""Build the report: check the data, run every notebook, render HTML, then swap it in atomically.

The run writes into a staging folder beside the target and replaces the previous report only when
every notebook and page succeeded. On any failure (a cell error, a timeout, SIGINT/SIGTERM) the last
good report is left exactly as it was and the partial run is kept in ``<target>.failed/``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from scrlib.record.paths import PROJECT_DIR, data_dir, notebooks_dir

EXIT_OK, EXIT_USAGE, EXIT_CONFIG, EXIT_DATA, EXIT_NOTEBOOK, EXIT_BUSY, EXIT_INTERRUPTED = (
    0, 2, 3, 4, 5, 6, 130)
EXIT_STORAGE = 7  # a file or folder could not be read or written (read-only, full, in the way)
JOURNAL = ".ingest-journal.json"  # scrlib.record.ingest.JOURNAL (not imported: a report need
# not load the ingest's network code); while it is there an ingest was cut off midway
CONFIG_KEYS = {"parameters", "notebooks", "workers", "timeout"}
PACKAGES = (
    "scrlib",
    "pandas",
    "numpy",
    "matplotlib",
    "statsmodels",
    "scipy",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jupyter_client",
)


class ReportError(Exception):
    """A report run that did not produce a report; ``exit_code`` tells a scheduler why."""

    exit_code = EXIT_NOTEBOOK


class ConfigError(ReportError, ValueError):
    """The configuration file is malformed or asks for something not allowed."""

    exit_code = EXIT_CONFIG


class OutputRefused(ConfigError):
    """``--output`` names a folder a report may not replace (one that is not a report, or the
    data); nothing ran and nothing changed."""


class DataCheckError(ReportError):
    """The data failed ``scr check``; no kernel was started."""

    exit_code = EXIT_DATA


class EvidenceLinkError(DataCheckError):
    """A number on a page leads nowhere, or to figures whose words do not state it; the message
    names the page and the figure."""


class NotebookError(ReportError):
    """A notebook failed; the message names it and the cell."""

    exit_code = EXIT_NOTEBOOK


class OutputBusy(ReportError):
    """Another run is writing the same report folder; this one did not start."""

    exit_code = EXIT_BUSY


class StorageError(ReportError):
    """A file or folder the run needs could not be read or written (a read-only folder, a full
    disk, a folder where a file belongs); the message names it and what to do."""

    exit_code = EXIT_STORAGE


ADVICE = {"EACCES": "this run may not write there", "EPERM": "this run may not write there",
          "EROFS": "the folder is read-only", "ENOSPC": "the disk is full: free some space",
          "EDQUOT": "the disk quota is used up: free some space",
          "EISDIR": "a folder is in the way of a file: remove it",
          "ENOTDIR": "a file is in the way of a folder: remove it"}


def storage_error(exc: OSError, doing: str, outcome: str) -> StorageError:
    """One line for an OSError: what the run was doing, the file, the system's reason, what to
    do, and what became of the report (``outcome``)."""
    import errno

    code = errno.errorcode.get(exc.errno or 0, "")
    where = f" ({exc.filename})" if exc.filename else ""
    reason = exc.strerror or type(exc).__name__
    advice = ADVICE.get(code, "")
    return StorageError(f"{doing}{where}: {reason}" + (f"; {advice}" if advice else "")
                        + f"; {outcome}")


class Interrupted(ReportError):
    """The run was interrupted by SIGINT or SIGTERM."""

    exit_code = EXIT_INTERRUPTED


def cores() -> int:
    """The CPUs this process may use (at least 1): the default number of notebooks run at once."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class ReportConfig:
    """What a run may set: parameters for all notebooks, per notebook, workers and timeout."""

    parameters: dict = field(default_factory=dict)
    notebooks: dict = field(default_factory=dict)
    workers: int | None = None  # None: one per core this process may use (see ``cores``)
    timeout: float = 600.0
    where: str = ""  # the file it was read from, with ': ', for messages

    def check_names(self, declared) -> None:
        """ConfigError for a shared parameter no notebook of the run declares (``declared``:
        each notebook's parameter names), naming the closest name one does declare."""
        from scrlib.record.inputs import closest

        known = sorted({n for names in declared for n in names if n != "output_dir"})
        for name in self.parameters:
            if name not in known:
                raise ConfigError(
                    f"{self.where}parameters: {name!r} is not a parameter of any notebook"
                    f"{closest(name, known)}; the notebooks declare: {', '.join(known)}")

    def parameters_for(self, name: str, declared=None) -> dict:
        """The parameters for one notebook: the shared ones it declares, then its own.

        With ``declared`` (the names in the notebook's parameters cell), a shared parameter the
        notebook does not declare is left out, and a notebook's own undeclared one is an error.
        """
        shared = dict(self.parameters)
        own = dict(self.notebooks.get(name, {}))
        if declared is None:
            return {**shared, **own}
        from scrlib.record.inputs import closest

        declared = list(declared)
        unknown = sorted(set(own) - set(declared))
        if unknown:
            known = [d for d in declared if d != "output_dir"]
            raise ConfigError(
                f"{self.where}notebooks: {name}: unknown parameter(s) {', '.join(unknown)}"
                f"{closest(unknown[0], known)}; this notebook declares: {', '.join(known)}"
            )
        return {**{k: v for k, v in shared.items() if k in declared}, **own}


def _shown(value) -> str:
    """``repr(value)`` for a message, cut short if it is long."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_values(where: str, values) -> dict:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a mapping of parameter names to values")
    for name, value in values.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f"{where}: {_shown(name)} is not a parameter name")
        if name == "output_dir":
            raise ConfigError(f"{where}: output_dir is set by the report run, not the config")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, str | int | float | bool) or item is None:
                raise ConfigError(
                    f"{where}.{name}: {_shown(item)} is not allowed; use text, numbers, true/false "
                    "or a list of those"
                )
    return dict(values)


def load_config(path: Path | str | None, notebook_names: list[str] | None = None) -> ReportConfig:
    """Read a YAML config (a regular file of at most the input limit, with a loader that refuses
    aliases, tags, duplicated keys and deep nesting: ``scrlib.record.inputs``) and validate it;
    ConfigError says what is wrong, in one line, naming the closest known name of a misspelt
    one. Shared parameters are checked against the notebooks when a run starts."""
    if path is None:
        return ReportConfig()
    from scrlib.record.inputs import InputError, closest, load_yaml

    try:
        raw = load_yaml(path)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with keys {', '.join(sorted(CONFIG_KEYS))}")
    unknown = sorted(map(str, set(raw) - CONFIG_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(k[:40] for k in unknown[:5])}"
            f"{closest(unknown[0], CONFIG_KEYS)}; allowed: {', '.join(sorted(CONFIG_KEYS))}")
    config = ReportConfig(
        parameters=_check_values(f"{path}: parameters", raw.get("parameters", {})),
        where=f"{path}: ")
    notebooks = raw.get("notebooks", {}) or {}
    if not isinstance(notebooks, dict):
        raise ConfigError(f"{path}: notebooks: expected a mapping of notebook names")
    for name, values in notebooks.items():
        if notebook_names is not None and name not in notebook_names:
            raise ConfigError(
                f"{path}: notebooks: unknown notebook {_shown(name)}"
                f"{closest(name, notebook_names)}; known: {', '.join(notebook_names)}")
        config.notebooks[name] = _check_values(f"{path}: notebooks.{name}", values or {})
    config.workers = raw.get("workers", config.workers)
    config.timeout = raw.get("timeout", config.timeout)
    check_limits(config, f"{path}: ")
    config.timeout = float(config.timeout)
    return config


MAX_TIMEOUT = 86400.0  # a day: longer than any notebook should take, and finite


def check_limits(config: ReportConfig, where: str = "") -> None:
    """ConfigError unless ``workers`` is 1 to 32 (or unset) and ``timeout`` a finite number of
    seconds above 0 and at most a day (``where`` prefixes the message: the file, or an option)."""
    import math

    workers, timeout = config.workers, config.timeout
    if workers is not None and (
        not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 32
    ):
        raise ConfigError(f"{where}workers: {_shown(workers)} must be a whole number from 1 to 32")
    if (not isinstance(timeout, int | float) or isinstance(timeout, bool)
            or not math.isfinite(timeout) or not 0 < timeout <= MAX_TIMEOUT):
        raise ConfigError(f"{where}timeout: {_shown(timeout)} must be a number of seconds above 0 "
                          f"and at most {MAX_TIMEOUT:g} (a day)")


def notebook_paths(folder: Path | None = None) -> list[Path]:
    """The report's notebooks, in name order."""
    folder = folder or notebooks_dir()
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def render_html(notebook: Path, target: Path, chrome=None) -> None:
    """Render an executed notebook to HTML for readers (:func:`scrlib.publish.pages.
    render_notebook`): code hidden, outputs and prose shown, nothing loaded from the network."""
    from scrlib.publish import pages

    if chrome is None:
        chrome = pages.Chrome("unknown", _git_commit())
    pages.render_notebook(notebook, target, chrome)


def _title(notebook: Path) -> str:
    from scrlib.publish.pages import notebook_title

    return notebook_title(notebook)


def write_index(stage: Path, runs: list, config: ReportConfig, dataset, changes=None,
                chrome=None) -> None:
    """Write index.html (:func:`scrlib.publish.pages.index_page`): the key message and its
    chart first, then the answers, sections, references and what this run used."""
    from scrlib.publish import pages

    if chrome is None:
        chrome = pages.Chrome(pages.data_as_of(dataset), _git_commit(),
                              tuple((r.name, _title(r.output)) for r in runs))
    (stage / "index.html").write_text(
        pages.index_page(stage, runs, config, dataset, changes, chrome), encoding="utf-8")


def _manifest(stage: Path, runs: list, started: float, kernel: str, changes) -> dict:
    notebooks = {str(p.relative_to(PROJECT_DIR)) if p.is_relative_to(PROJECT_DIR) else str(p):
                 sha256(p) for p in notebook_paths()}
    return {
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "kernel": kernel,
        "packages": {name: _version(name) for name in PACKAGES},
        "parameters": {r.name: r.parameters for r in runs},
        "inputs": dict(sorted({**data_hashes(data_dir()), **notebooks}.items())),
        "data_version": data_version(data_dir()),
        "outputs": {
            str(p.relative_to(stage)): sha256(p) for p in sorted(stage.rglob("*")) if p.is_file()
        },
        # like the times, which notebooks were taken from the cache differs from run to run
        "notebook_seconds": {r.name: r.seconds for r in runs},
        "notebooks_reused": [r.name for r in runs if r.reused],
        "changes": changes.summary(),
        "run_started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_seconds": round(time.time() - started, 1),
    }


def old_path(target: Path) -> Path:
    """Where the last good report waits while the new one is swapped in."""
    return target.parent / f".{target.name}.old"


def _swap(stage: Path, target: Path) -> None:
    """Put ``stage`` in place of ``target``. The last good report is moved aside first and
    removed only once the new one is in place; a run killed between the two renames leaves it
    aside, and the next run puts it back (:func:`recover`)."""
    old = old_path(target)
    recover(target)
    _fsync_tree(stage)  # the new report's bytes are on disk before any rename names it
    if target.exists():
        os.replace(target, old)
        _fsync_dir(target.parent)
    os.replace(stage, target)
    _fsync_dir(target.parent)
    if old.exists():
        shutil.rmtree(old)


def recover(target: Path, log=lambda *_: None) -> str:
    """Finish what a run killed during its swap left: put the last good report back if it is
    missing, or remove the aside copy once the new report is in place. Says what it did."""
    old = old_path(target)
    if not old.exists():
        return ""
    if target.exists():
        shutil.rmtree(old)
        said = f"removed {old.name}, left by a run killed after its report was in place"
    else:
        os.replace(old, target)
        _fsync_dir(target.parent)
        said = f"restored the last good report from {old.name} (a run was killed while swapping)"
    log(f"scr report: {said}")
    return said


def _fsync_tree(folder: Path) -> None:
    """fsync every file and folder under ``folder``."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        _fsync_dir(path)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _open_cache(target: Path, log):
    """The report's notebook cache, or None (and a line saying so) if it cannot be used."""
    from scrlib.publish.cache import NotebookCache, cache_path

    folder = cache_path(target)
    try:
        store = NotebookCache(folder)
        for place in store.set_aside_strays():
            log(f"scr report: an entry of the notebook cache that no record names (left by a "
                f"run killed while keeping it) was set aside in {place}")
        return store
    except Exception as exc:  # a broken cache costs a full run, never the report
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    shutil.rmtree(folder, ignore_errors=True)  # only copies of earlier runs: start it afresh
    try:
        store = NotebookCache(folder)
    except Exception:
        store = None
    log(f"scr report: the notebook cache could not be read ({why}); it was "
        + ("emptied" if store is not None else "left unused") + ", so every notebook runs")
    return store


def _cache_keys(notebooks: list[Path], parameters: dict) -> dict:
    """Each notebook's :class:`scrlib.publish.cache.Inputs` key for this run."""
    from scrlib.publish import cache

    data, code, packages = data_version(data_dir()), cache.code_version(), cache.packages_version()
    return {nb: cache.Inputs.of(nb, {**parameters[nb], "output_dir": "figures"}, data=data,
                                code=code, packages=packages).key() for nb in notebooks}


def _lookup(store, keys: dict, notebooks: list[Path], target: Path, log):
    """Each notebook's cached run that verified ({notebook: Hit}), and what did not verify, as
    said on the changes page (each set aside, so its notebook runs afresh)."""
    from scrlib.publish.cache import SetAside

    hits, aside = {}, []
    for nb in notebooks:
        try:
            found = store.find(keys[nb], nb.stem)
        except Exception as exc:  # an unreadable store: the notebook runs
            log(f"scr report: the cache could not be read for {nb.stem} "
                f"({type(exc).__name__}); it runs")
            continue
        if isinstance(found, SetAside):
            aside.append(_said_aside(nb.stem, found, target, log))
        elif found is not None:
            hits[nb] = found
    return hits, aside


def _said_aside(name: str, found, target: Path, log) -> dict:
    """Log a cached run that did not verify; the row the changes page shows for it."""
    where = (found.kept_at.relative_to(target.parent).as_posix()
             if found.kept_at is not None and found.kept_at.is_relative_to(target.parent)
             else str(found.kept_at or "nowhere: nothing was left of it"))
    log(f"scr report: the cached run of {name} did not verify ({found.why}); it was set "
        f"aside in {where} and runs afresh")
    return {"notebook": name, "why": found.why, "kept_at": where}


def _reuse(store, hit, key: str, chrome_key: str, nb: Path, stage: Path, values: dict, chrome,
           log):
    """Put a verified cached run of ``nb`` into ``stage`` (a NotebookRun); None (and nothing
    left in ``stage``) if its page cannot be rendered again, so that it runs afresh."""
    from scrlib.publish import run as runner

    written = [stage / nb.name, *(stage / "figures" / name for name in hit.files)]
    (stage / nb.name).write_bytes(hit.notebook)
    for name, data in hit.files.items():
        path = stage / "figures" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    run = runner.NotebookRun(nb.stem, stage / nb.name, dict(values), seconds=hit.seconds,
                             reused=True)
    page = stage / f"{nb.stem}.html"
    if hit.page_key == chrome_key:
        page.write_bytes(hit.page)
        return run
    try:  # the chrome changed (a new commit, data date or sections): render, and keep the page
        render_html(run.output, page, chrome)
    except Exception as exc:
        log(f"scr report: the cached run of {nb.stem} could not be rendered again "
            f"({type(exc).__name__}); it runs afresh")
        for path in (*written, page):
            path.unlink(missing_ok=True)
        return None
    files = {name: stage / "figures" / name for name in hit.files}
    _keep(store, key, chrome_key, run.output, files, page, nb, log, hit.seconds)
    return run


def _move_written(source: Path, figures: Path) -> dict:
    """Move the files a notebook wrote into the report's figures/; return name -> new path."""
    moved = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        name = path.relative_to(source).as_posix()
        (figures / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, figures / name)
        moved[name] = figures / name
    return moved


def _keep(store, key, chrome_key, notebook, written, page, nb, log, seconds=None) -> None:
    try:
        replaced = store.store(key, chrome_key, notebook, written, page, uri=str(nb),
                               seconds=seconds)
    except Exception as exc:  # the report stands; the next run simply runs it again
        log(f"scr report: could not keep {nb.stem} in the cache ({type(exc).__name__}: {exc})")
        return
    if replaced is not None:
        log(f"scr report: an earlier cached run of {nb.stem} did not verify ({replaced.why}); "
            f"it was set aside in {replaced.kept_at} and replaced")


def _longest_first(notebooks: list[Path], target: Path) -> list[Path]:
    """Notebooks ordered by the last report's time for each, longest first (unknown first)."""
    try:
        seconds = json.loads((target / "manifest.json").read_text())["notebook_seconds"]
    except (OSError, ValueError, KeyError, TypeError):
        return list(notebooks)
    known = {k: v for k, v in seconds.items() if isinstance(v, int | float)}
    return sorted(notebooks, key=lambda nb: -known.get(nb.stem, float("inf")))


def _keep_failed(stage: Path, target: Path) -> Path:
    failed = target.parent / f"{target.name}.failed"
    if failed.exists():
        shutil.rmtree(failed)
    if stage.exists():
        os.replace(stage, failed)
    return failed


class _Signals:
    """Turn SIGTERM into an exception while a run is going, so clean-up happens."""

    def __enter__(self):
        self.previous = None
        if hasattr(signal, "SIGTERM") and _main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        return False


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def build(
    output: Path | str | None = None,
    *,
    config: ReportConfig | None = None,
    notebooks: list[Path] | None = None,
    wait: float = 0.0,
    cache: bool = True,
    log=print,
) -> Path:
    """Build the report into ``output`` (default reports/latest); raise ReportError if it fails.

    ``output`` must be new, empty or an earlier report, and never the data (else OutputRefused,
    before any notebook runs). One run at a time per output folder (as it resolves): another
    run's lock is waited for up to ``wait`` seconds, then OutputBusy. With ``cache`` a notebook
    none of whose inputs changed is taken from the last run that had them, once verified
    (:mod:`scrlib.publish.cache`); without, every one runs (and what runs is kept in the cache
    for the next run)."""
    from scrlib.publish import timings

    spent = timings.start()
    try:
        return _build_locked(output, config=config, notebooks=notebooks, wait=wait,
                             cache=cache, log=log)
    finally:
        spent.write()  # with $SCRLIB_TIMINGS set: where the seconds went


def _build_locked(output, *, config, notebooks, wait, cache, log) -> Path:
    from scrlib.publish.output import refusal
    from scrlib.record import lock, scratch
    from scrlib.record.paths import default_report_dir

    scratch.sweep(log)  # temporary folders of runs that were killed
    given = Path(output) if output is not None else default_report_dir()
    try:
        target = lock.real(given)
        refused = refusal(given, data_dir())  # the data is never an output, however spelt
    except OSError as exc:
        raise storage_error(exc, f"--output {given} cannot be used", "nothing was written") \
            from None
    if refused:
        raise OutputRefused(refused)
    unchanged = (f"the last good report at {target} is as it was" if target.exists()
                 else "no report was written")
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(lock.hold(target, wait=wait, log=log))
        except lock.Busy as exc:
            raise OutputBusy(str(exc)) from None
        except OSError as exc:
            raise storage_error(exc, f"the report folder's lock {lock.lock_path(target)} "
                                     "cannot be taken", unchanged) from None
        try:
            lock.remove_stale_partials(target, log=log)
            recover(target, log=log)
            refused = refusal(given, data_dir())  # only a report (or nothing) is replaced
            if refused:
                raise OutputRefused(refused)
            return _build(target, config=config, notebooks=notebooks, log=log, cache=cache)
        except OSError as exc:  # what the steps of the run did not say more precisely
            raise storage_error(exc, f"the report run into {target} failed", unchanged) from None


def _build(target: Path, *, config: ReportConfig | None, notebooks: list[Path] | None,
           log, cache: bool = True) -> Path:
    """One version of ``data/`` for the whole run: a copy taken under data/'s lock (so never
    half an ingest), which every notebook, page and the manifest read."""
    from scrlib.publish import timings

    snapshot = target.parent / f".{target.name}.partial-data-{os.getpid()}"
    with timings.current().step("data snapshot"):
        take_snapshot(data_dir(), snapshot, log=log,
                      outcome=(f"the last good report at {target} is as it was"
                               if target.exists() else "no report was written"))
    before = os.environ.get("SCRLIB_DATA")
    os.environ["SCRLIB_DATA"] = str(snapshot)  # for this process and the kernels it starts
    try:
        return _build_from(target, config=config, notebooks=notebooks, log=log, cache=cache)
    finally:
        if before is None:
            os.environ.pop("SCRLIB_DATA", None)
        else:
            os.environ["SCRLIB_DATA"] = before
        shutil.rmtree(snapshot, ignore_errors=True)


def take_snapshot(source: Path, snapshot: Path, *, wait: float = 60.0, log=print,
                  outcome: str = "nothing was changed") -> None:
    """Copy the tables of ``source`` (its visible files) into ``snapshot`` while holding its lock,
    so an ingest is either wholly in the copy or not at all (an ingest cut off midway, whose
    journal is there, is DataCheckError: no copy). A file that cannot be read or written is
    StorageError (``outcome`` says what became of the report), and no copy is left."""
    from scrlib.record import lock

    if not source.is_dir():
        raise DataCheckError(f"{source}: the data folder does not exist or is not a folder")
    try:
        if snapshot.exists():
            shutil.rmtree(snapshot)
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        with lock.hold(source, wait=wait, log=log):
            if (source / JOURNAL).exists():  # some tables swapped in, some not: never a copy
                raise DataCheckError(
                    f"{source / JOURNAL}: an ingest was cut off before all its checked tables "
                    "were swapped in, so the data is not whole; scr ingest --finish completes "
                    f"it; no notebook was run; {outcome}")
            snapshot.mkdir()
            for path in sorted(source.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    try:
                        shutil.copy2(path, snapshot / path.name)
                    except OSError as exc:
                        raise storage_error(exc, f"copying {path} into the data snapshot "
                                                 f"{snapshot} failed", outcome) from None
    except lock.Busy as exc:
        raise OutputBusy(f"{exc} (the data folder)") from None
    except OSError as exc:
        shutil.rmtree(snapshot, ignore_errors=True)
        raise storage_error(exc, f"the data snapshot of {source} could not be taken "
                                 f"(its lock is {lock.lock_path(source)})", outcome) from None
    except StorageError:
        shutil.rmtree(snapshot, ignore_errors=True)
        raise


def data_hashes(folder: Path) -> dict[str, str]:
    """``{"data/<file>": sha256}`` for the tables of a data folder, keyed the same wherever the
    folder is."""
    return {f"data/{p.name}": sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def data_version(folder: Path) -> str:
    """One hash for the whole data folder: what a report was built from."""
    joined = "".join(f"{name} {digest}\n" for name, digest in data_hashes(folder).items())
    return hashlib.sha256(joined.encode()).hexdigest()


def _build_from(target: Path, *, config: ReportConfig | None, notebooks: list[Path] | None,
                log, cache: bool = True) -> Path:
    from scrlib.publish import changes as what_changed
    from scrlib.publish import timings
    from scrlib.record.validate import read_dataset
    from scrlib.study.params import ParameterError, precheck

    started = time.time()
    step = timings.current().step
    config = config or ReportConfig()
    check_limits(config)
    notebooks = notebooks if notebooks is not None else notebook_paths()
    if not notebooks:
        raise ConfigError(f"no notebooks found in {notebooks_dir()}")

    from scrlib.publish import run as runner

    runner.defer_iri_grammar()  # before anything imports nbformat (jupyter-cache, the titles)
    with step("parameters declared"):
        declared = {nb: runner.declared_parameters(nb) for nb in notebooks}
        config.check_names(declared.values())
        parameters = {nb: config.parameters_for(nb.stem, declared[nb]) for nb in notebooks}

    with step("data check"):
        _, problems = read_dataset(data_dir())
    if problems:
        shown = "\n".join(str(p) for p in problems[:20])
        raise DataCheckError(f"the data failed scr check; no notebook was run:\n{shown}")
    with step("cache open and keys"):
        store = _open_cache(target, log)  # without ``cache``, nothing is taken from it, but
        keys = _cache_keys(notebooks, parameters) if store is not None else {}  # what runs is
    with step("cache lookup and verification"):  # kept; every reused byte is verified first
        hits, aside = (_lookup(store, keys, notebooks, target, log)
                       if cache and store is not None else ({}, []))
    with step("parameter precheck"):
        for nb in notebooks:  # what a notebook would refuse stops the run before any kernel
            if nb in hits:
                continue  # the same notebook, parameters, data and code passed it and ran
            try:
                precheck(nb, parameters[nb])
            except ParameterError as exc:
                raise ConfigError(f"{exc}; no notebook was run") from None

    from scrlib.record.export import tidy_figures, write_csv
    from scrlib.record.load import load

    target.parent.mkdir(parents=True, exist_ok=True)
    kept = (f"last good report kept at {target}" if target.exists()
            else f"no earlier report at {target}, so none was kept")
    stage = target.parent / f".{target.name}.partial-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    kernel = f"{runner.KERNEL_NAME} ({sys.executable}, IPC transport)"
    workers = min(config.workers or cores(), len(notebooks))
    from scrlib.publish import pages

    with step("page chrome"):
        dataset = load()  # the snapshot's: the same for the whole run
        chrome = pages.Chrome(pages.data_as_of(dataset), _git_commit(),
                              tuple((nb.stem, pages.notebook_title(nb)) for nb in notebooks))
    log(f"scr report: kernel {kernel}; {len(notebooks)} notebook(s), {workers} at a time")
    try:
        with _Signals():
            (stage / "figures").mkdir()

            chrome_key = repr(chrome)

            def work(nb: Path):
                values = {**parameters[nb], "output_dir": "figures"}
                part = functools.partial(timings.current().notebook, nb.stem)
                if nb in hits:
                    with part("reused"):
                        reused = _reuse(store, hits[nb], keys[nb], chrome_key, nb, stage,
                                        values, chrome, log)
                    if reused is not None:
                        return reused
                # each notebook writes its files in a folder of its own, so what it wrote is
                # known (for the cache), then they join the report's figures/
                own = stage / f".work-{nb.stem}"
                (own / "figures").mkdir(parents=True)
                with part("papermill"):
                    run = runner.execute(nb, stage / nb.name, values, cwd=own,
                                         timeout=config.timeout)
                written = _move_written(own / "figures", stage / "figures")
                shutil.rmtree(own, ignore_errors=True)
                page = stage / f"{run.name}.html"
                if run.error is None:
                    try:
                        with part("page"):
                            render_html(run.output, page, chrome)
                    except Exception as exc:  # reported with the notebook's name, like a cell error
                        run.error = f"HTML rendering failed: {type(exc).__name__}: {exc}"
                if run.error is None and store is not None:
                    with part("cache store"):
                        _keep(store, keys[nb], chrome_key, run.output, written, page, nb, log,
                              run.seconds)
                return run

            pool = ThreadPoolExecutor(max_workers=workers)
            try:
                # the longest notebooks (by the last run's times) start first; runs stay in
                # notebook order
                order = _longest_first(notebooks, target)
                with step("notebooks"):
                    running = pool.map(work, order)
                    # while the kernels work, this thread writes what needs only the data
                    with step("figures.csv (beside the notebooks)"):
                        write_csv(tidy_figures(dataset), stage / "data" / "figures.csv")
                    done = dict(zip(order, running, strict=True))
                runs = [done[nb] for nb in notebooks]
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                runner.kill_kernels()  # running notebooks fail fast instead of being waited on
                raise
            pool.shutdown()
            failed = [r for r in runs if r.error]
            if failed:
                where = "; ".join(
                    f"{r.name}"
                    + (f" (cell In[{r.cell}])" if r.cell is not None else "")
                    + f": {r.error}"
                    for r in failed
                )
                raise NotebookError(f"notebook failed: {where}")
            for r in runs:
                log(f"  reused {r.name} (no input changed since it ran)" if r.reused
                    else f"  ok {r.name} ({r.seconds:.1f} s)")
            with step("data package"):
                from scrlib.publish.downloads import write_package

                write_package(stage, data_dir())  # the data package it was built from, a ZIP
            with step("changes"):
                now = {"parameters": {r.name: r.parameters for r in runs},
                       "git_commit": chrome.commit,
                       "packages": {name: _version(name) for name in PACKAGES},
                       "inputs": data_hashes(data_dir())}
                changes = what_changed.compare(target if target.is_dir() else None, stage, now)
                changes.cache_set_aside = aside
                what_changed.write(changes, stage, chrome, dataset)
            with step("index page"):
                write_index(stage, runs, config, dataset, changes, chrome)
            from scrlib.reader import answers as answer_files

            with step("figures page"):
                from scrlib.reader.long_record import read_index

                messages = [answer_files.read_key(stage / "figures"),
                            read_index(stage / "figures"), *answer_files.read(stage / "figures")]
                (stage / "figures.html").write_text(
                    pages.figures_page(dataset, chrome, [m for m in messages if m is not None]),
                    encoding="utf-8")
            with step("finish pages"):
                pages.finish_pages(stage)  # tables for every reader; each term's first use linked
            with step("number link check"):
                broken = pages.broken_number_links(stage, dataset)
            if broken:
                raise EvidenceLinkError(
                    "a number would not lead to words that state it (no report was "
                    "published): " + "; ".join(broken))
            pdf_inputs = None
            if chrome.pdf:  # the whole report as one PDF, which every page links
                from scrlib.publish import pdf

                with step("PDF"):
                    pdf_inputs = pdf.publish(stage, target if target.is_dir() else None,
                                             workers=config.workers or cores())
            with step("manifest (hashes)"):
                manifest = _manifest(stage, runs, started, kernel, changes)
                manifest["pdf_inputs"] = pdf_inputs
                (stage / "manifest.json").write_text(
                    json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
                )
    except KeyboardInterrupt as exc:
        failed_dir = _keep_failed(stage, target)
        raise Interrupted(f"interrupted ({exc}); {kept}; partial run in {failed_dir}") from exc
    except ReportError as exc:
        failed_dir = _keep_failed(stage, target)
        exc.args = (f"{exc.args[0]}\n{kept}; partial run in {failed_dir}",)
        raise
    except OSError as exc:
        failed_dir = _keep_failed(stage, target)
        raise storage_error(exc, "writing the report failed",
                            f"{kept}; partial run in {failed_dir}") from None
    except Exception as exc:
        failed_dir = _keep_failed(stage, target)
        raise NotebookError(
            f"report failed: {type(exc).__name__}: {exc}; {kept}; partial run in {failed_dir}"
        ) from exc
    try:
        with step("swap (fsync, rename)"):
            _swap(stage, target)
    except OSError as exc:  # the next run puts back whatever a half-done swap left
        raise storage_error(exc, f"putting the new report in place of {target} failed",
                            f"the new report is in {stage}; the next run restores the last "
                            "good one if it was moved aside") from None
    log(f"scr report: wrote {target}; {changes.sentence()}")
    return target
