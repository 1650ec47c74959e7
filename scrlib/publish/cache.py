"""Reuse an executed notebook when nothing it depends on has changed.

A notebook's run depends on the notebook file, its parameters, the data (the run's snapshot of
``data/``), scrlib's code, the installed package versions (and ``requirements.lock``) and the
Python that runs it. :func:`inputs_key` hashes all of them; a run whose key is in the cache
takes the executed notebook and the files it wrote from there instead of starting a kernel.

The store is Executable Books' ``jupyter-cache`` (``.<report>.cache/`` beside the report): each
entry is keyed by a one-cell notebook that holds the inputs' hash, and keeps as artifacts the
executed notebook (its exact bytes), the files it wrote into ``figures/`` and its rendered page
with the hash of the page chrome it was rendered with (a page whose chrome changed, e.g. a new
commit, is rendered again from the cached notebook).

What is reused is what was kept: each entry's manifest (every artifact's size and SHA-256, and
the key) is written last, atomically, once jupyter-cache has written the rest; before anything
is reused every file is read and checked against it (no symlink, nothing missing or extra, each
hash equal). An entry that does not verify (edited, truncated, a symlink, half-written by a run
that was killed) is moved out of the store into ``.<report>.cache-set-aside/`` and its notebook
runs afresh; the report says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from scrlib.record.paths import PACKAGE_DIR, PROJECT_DIR

ENTRIES = 60  # jupyter-cache keeps this many executed notebooks, dropping the least used
NOTEBOOK, PAGE, PAGE_KEY, FILES = "executed.ipynb", "page.html", "page.key", "files"
SECONDS = "seconds"  # how long the run that made the entry took
MANIFEST = "scrlib-manifest.json"  # each file kept, with its size and SHA-256; written last


def cache_path(target: Path) -> Path:
    """The cache folder of a report folder."""
    return target.parent / f".{target.name}.cache"


def _digest(parts) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode())
        hasher.update(b"\0")
    return hasher.hexdigest()


CODE_DIR = PACKAGE_DIR
LOCK_FILE = PROJECT_DIR / "requirements.lock"


def code_version(folder: Path | None = None) -> str:
    """One hash of scrlib's code: every file under the package (not caches)."""
    folder = folder or CODE_DIR
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return _digest(x for p in files for x in (p.relative_to(folder).as_posix(), p.read_bytes()))


def packages_version(lock_file: Path | None = None) -> str:
    """One hash of the installed distributions (name and version), the lock file and Python."""
    lock_file = lock_file or LOCK_FILE
    installed = sorted({_name_version(d) for d in metadata.distributions()} - {""})
    locked = lock_file.read_bytes() if lock_file.is_file() else b""
    return _digest([sys.version, *installed, locked])


def _name_version(dist) -> str:
    """'name==version' of an installed distribution, from its folder's name where it has one
    (reading every METADATA file would cost a third of a second)."""
    folder = getattr(dist, "_path", None)
    name = getattr(folder, "name", "")
    if name.endswith((".dist-info", ".egg-info")):
        return name.rsplit(".", 1)[0]
    return f"{dist.metadata['Name']}=={dist.version}" if dist.metadata["Name"] else ""


@dataclass(frozen=True)
class Inputs:
    """What one notebook's run depends on, each as a hash (parameters as sorted JSON)."""

    notebook: str
    parameters: str
    data: str
    code: str
    packages: str

    @classmethod
    def of(cls, notebook: Path, parameters: dict, *, data: str, code: str,
           packages: str) -> Inputs:
        return cls(hashlib.sha256(notebook.read_bytes()).hexdigest(),
                   json.dumps(parameters, sort_keys=True, default=str), data, code, packages)

    def key(self) -> str:
        return _digest([self.notebook, self.parameters, self.data, self.code, self.packages])


@dataclass(frozen=True)
class Hit:
    """A cached run that verified: the executed notebook, the files it wrote, its page and the
    hash of the page chrome it was rendered with."""

    notebook: bytes
    files: dict  # relative path under figures/ -> bytes
    page: bytes
    page_key: str
    seconds: float | None = None  # how long the run that made it took


@dataclass(frozen=True)
class SetAside:
    """A cached run that did not verify: why, and the folder it was moved to (None if nothing
    was left to move). It is no longer in the store."""

    why: str
    kept_at: Path | None


class Unverified(Exception):
    """A stored entry is not exactly what was kept; the message says what differs."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_of(files: dict[str, bytes], key: str) -> bytes:
    """The manifest of an entry: its key, and each file's size and SHA-256 (JSON)."""
    listed = {name: {"size": len(data), "sha256": _sha256(data)}
              for name, data in sorted(files.items())}
    return (json.dumps({"format": 1, "key": key, "files": listed}, indent=1, sort_keys=True)
            + "\n").encode()


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, never through a symlink (even one put there mid-read)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Unverified(f"{path.name} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def _walk(folder: Path) -> list[str]:
    """Every file under ``folder`` (relative, '/'-separated); Unverified at a symlink or
    anything that is neither a file nor a folder."""
    found, pending = [], [folder]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                name = Path(entry.path).relative_to(folder).as_posix()
                if entry.is_symlink():
                    raise Unverified(f"{name} is a symlink")
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    found.append(name)
                else:
                    raise Unverified(f"{name} is not a regular file")
    return sorted(found)


def verify(folder: Path, key: str) -> dict[str, bytes]:
    """Every file of the entry in ``folder`` as kept for ``key``, checked against its manifest
    (no symlink, nothing missing or extra, each size and SHA-256 equal); else Unverified."""
    if folder.is_symlink() or not folder.is_dir():
        raise Unverified("its folder is missing")
    names = _walk(folder)
    if MANIFEST not in names:
        raise Unverified("it has no manifest: it was never completed (a run killed while "
                         "keeping it)")
    try:
        manifest = json.loads(_read_regular(folder / MANIFEST))
        listed, kept_for = dict(manifest["files"]), manifest["key"]
        expected = {name: (int(entry["size"]), str(entry["sha256"]))
                    for name, entry in listed.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Unverified("its manifest cannot be read") from None
    if kept_for != key:
        raise Unverified("its manifest was written for other inputs")
    present = set(names) - {MANIFEST}
    missing, extra = sorted(set(expected) - present), sorted(present - set(expected))
    if missing:
        raise Unverified(f"{', '.join(missing)} missing")
    if extra:
        raise Unverified(f"{', '.join(extra)} not in its manifest")
    files = {}
    for name in sorted(expected):
        data = _read_regular(folder / name)
        size, digest = expected[name]
        if len(data) != size:
            raise Unverified(f"{name} has {len(data)} bytes, not the {size} kept")
        if _sha256(data) != digest:
            raise Unverified(f"{name} differs from what was kept (SHA-256)")
        files[name] = data
    for needed in (NOTEBOOK, PAGE, PAGE_KEY):
        if needed not in files:
            raise Unverified(f"{needed} is not in it")
    return files


class NotebookCache:
    """Executed notebooks by :class:`Inputs` key, in a jupyter-cache store (thread-safe).

    jupyter-cache keeps the entries (its database, and a folder of artifacts per entry); this
    class adds what it lacks: a manifest of every artifact, written last and atomically, and a
    check of every byte against it before anything is reused. An entry that does not verify is
    moved out of the store, into ``aside``, and reported (:class:`SetAside`)."""

    def __init__(self, folder: Path, aside: Path | None = None):
        from jupyter_cache import get_cache

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.aside = aside or folder.parent / f"{folder.name}-set-aside"
        self._cache = get_cache(str(folder))
        self._lock = threading.Lock()
        with self._lock:
            if self._cache.get_cache_limit() != ENTRIES:
                self._cache.change_cache_limit(ENTRIES)

    @staticmethod
    def _key_notebook(key: str):
        from nbformat.v4 import new_code_cell, new_notebook

        nb = new_notebook(cells=[new_code_cell(f"# scrlib inputs {key}")])
        nb.metadata["kernelspec"] = {"name": "scrlib", "display_name": "scrlib",
                                     "language": "python"}
        return nb

    def _hashkey(self, key: str) -> str:
        return self._cache.create_hashed_notebook(self._key_notebook(key))[1]

    def _entry(self, hashkey: str) -> Path:
        """The folder jupyter-cache keeps an entry in (``executed/<hashkey>``: its notebook and,
        in ``artifacts/``, the files)."""
        return self.folder / "executed" / hashkey

    def has(self, key: str) -> bool:
        """Whether a run with this key is recorded (not checked: :meth:`find` checks)."""
        try:
            with self._lock:
                self._cache.match_cache_notebook(self._key_notebook(key))
        except Exception:  # none, or an unreadable store: nothing usable
            return False
        return True

    def find(self, key: str, label: str = "entry") -> Hit | SetAside | None:
        """The cached run for ``key`` once every file verified; None if there is none; SetAside
        (and the entry moved out of the store) if it does not verify. ``label`` names the
        set-aside folder (the notebook)."""
        with self._lock:
            try:
                record = self._cache.match_cache_notebook(self._key_notebook(key))
            except KeyError:
                return None
            try:
                bundle = self._cache.get_cache_bundle(record.pk)  # also marks it as used
                if bundle.nb.cells[0].source != f"# scrlib inputs {key}":
                    raise Unverified("jupyter-cache's copy of its key differs")
                with self._cache.cache_artefacts_temppath(record.pk) as folder:
                    if Path(folder).resolve() != self._entry(record.hashkey).resolve() / \
                            "artifacts" or self._entry(record.hashkey).is_symlink():
                        raise Unverified("its folder is reached through a symlink")
                    found = verify(Path(folder), key)
            except Unverified as exc:
                return self._set_aside(record, label, str(exc))
            except KeyError:
                return self._set_aside(record, label, "jupyter-cache's notebook of it is missing")
            except Exception as exc:  # unreadable: not what was kept either
                return self._set_aside(record, label, f"it cannot be read ({type(exc).__name__})")
        files = {name.removeprefix(f"{FILES}/"): data for name, data in found.items()
                 if name.startswith(f"{FILES}/")}
        try:
            seconds = float(found.get(SECONDS, b"").decode())
        except ValueError:
            seconds = None
        return Hit(found[NOTEBOOK], files, found[PAGE], found[PAGE_KEY].decode(), seconds)

    def _set_aside(self, record, label: str, why: str) -> SetAside:
        """Move an entry's folder out of the store (into ``aside``) and drop its record."""
        from jupyter_cache.cache.db import NbCacheRecord

        kept_at = self._move_aside(self._entry(record.hashkey), label)
        NbCacheRecord.remove_records([record.pk], self._cache.db)
        return SetAside(why, kept_at)

    def _move_aside(self, entry: Path, label: str) -> Path | None:
        if not entry.exists() and not entry.is_symlink():
            return None
        self.aside.mkdir(parents=True, exist_ok=True)
        n, place = 1, self.aside / f"{label}-{entry.name}"
        while place.exists() or place.is_symlink():
            n += 1
            place = self.aside / f"{label}-{entry.name}-{n}"
        os.replace(entry, place)
        return place

    def set_aside_strays(self, label: str = "stray") -> list[Path]:
        """Move out of the store every entry folder that no record names (left by a run killed
        while replacing an entry); return where they went."""
        with self._lock:
            named = {r.hashkey for r in self._cache.list_cache_records()}
            executed = self.folder / "executed"
            strays = sorted(p for p in executed.iterdir() if p.name not in named) \
                if executed.is_dir() else []
            return [self._move_aside(p, label) for p in strays]

    def store(self, key: str, chrome: str, notebook: Path, files: dict, page: Path,
              uri: str, seconds: float | None = None) -> SetAside | None:
        """Keep a successful run: the executed notebook, ``files`` (relative path -> file)
        and its page rendered with ``chrome``; its manifest last, atomically. An earlier entry
        for the same key that does not verify is set aside (returned), not overwritten."""
        from jupyter_cache.base import CacheBundleIn
        from jupyter_cache.cache.main import NbArtifacts

        from scrlib.record import scratch

        with scratch.folder("cache") as folder:
            kept = {NOTEBOOK: notebook.read_bytes(), PAGE: page.read_bytes(),
                    PAGE_KEY: chrome.encode(),
                    SECONDS: ("" if seconds is None else f"{seconds}").encode()}
            kept.update({f"{FILES}/{name}": Path(path).read_bytes()
                         for name, path in files.items()})
            for name, data in kept.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
            bundle = CacheBundleIn(self._key_notebook(key), uri, artifacts=NbArtifacts(
                [str(folder / name) for name in sorted(kept)], in_folder=folder))
            with self._lock:
                replaced = self._clear(key, label=Path(uri).stem)
                record = self._cache.cache_notebook_bundle(bundle, check_validity=False,
                                                           overwrite=False)
                try:
                    with self._cache.cache_artefacts_temppath(record.pk) as artifacts:
                        _write_atomically(Path(artifacts) / MANIFEST, manifest_of(kept, key))
                except Exception:
                    self._cache.remove_cache(record.pk)  # never left without its manifest
                    raise
        return replaced

    def _clear(self, key: str, label: str) -> SetAside | None:
        """Make room for a new entry for ``key``: an earlier one that verifies is removed (it is
        being replaced); anything else there (a half-written entry, a folder no record names)
        is set aside, so jupyter-cache starts from nothing (a run killed while jupyter-cache
        replaced an entry would otherwise stop every later one from keeping it)."""
        from jupyter_cache.cache.db import NbCacheRecord

        hashkey = self._hashkey(key)
        try:
            record = NbCacheRecord.record_from_hashkey(hashkey, self._cache.db)
        except KeyError:
            record = None
        entry = self._entry(hashkey)
        said = None
        if record is not None:
            try:
                if entry.is_symlink():
                    raise Unverified("its folder is a symlink")
                verify(entry / "artifacts", key)
            except Unverified as exc:
                said = self._set_aside(record, label, str(exc))
            else:
                self._cache.remove_cache(record.pk)
        if entry.exists() or entry.is_symlink():  # a folder no record names
            said = SetAside("it was left half-replaced by a run that was killed",
                            self._move_aside(entry, label))
        return said


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, flushed, then renamed."""
    part = path.with_name(f".{path.name}.part-{os.getpid()}")
    with open(part, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, path)
