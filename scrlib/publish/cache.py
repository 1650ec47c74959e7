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
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from scrlib.record.paths import PACKAGE_DIR, PROJECT_DIR

ENTRIES = 60  # jupyter-cache keeps this many executed notebooks, dropping the least used
NOTEBOOK, PAGE, PAGE_KEY, FILES = "executed.ipynb", "page.html", "page.key", "files"
SECONDS = "seconds"  # how long the run that made the entry took


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
    """A cached run: the executed notebook, the files it wrote, and its page if the chrome
    matches (else ``page`` is None)."""

    notebook: bytes
    files: dict  # relative path under figures/ -> bytes
    page: bytes | None
    seconds: float | None = None  # how long the run that made it took


class NotebookCache:
    """Executed notebooks by :class:`Inputs` key, in a jupyter-cache store (thread-safe)."""

    def __init__(self, folder: Path):
        from jupyter_cache import get_cache

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
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

    def has(self, key: str) -> bool:
        """Whether a run with this key is kept."""
        try:
            with self._lock:
                self._cache.match_cache_notebook(self._key_notebook(key))
        except KeyError:
            return False
        except Exception:  # an unreadable store holds nothing usable
            return False
        return True

    def find(self, key: str, chrome: str) -> Hit | None:
        """The cached run for ``key``, if any (its page only if rendered with ``chrome``)."""
        with self._lock:
            try:
                record = self._cache.match_cache_notebook(self._key_notebook(key))
            except KeyError:
                return None
            bundle = self._cache.get_cache_bundle(record.pk)
            found = {path.as_posix(): handle.read() for path, handle in bundle.artifacts}
        if NOTEBOOK not in found:
            return None
        files = {name.removeprefix(f"{FILES}/"): data for name, data in found.items()
                 if name.startswith(f"{FILES}/")}
        page = found.get(PAGE) if found.get(PAGE_KEY, b"").decode() == chrome else None
        try:
            seconds = float(found.get(SECONDS, b"").decode())
        except ValueError:
            seconds = None
        return Hit(found[NOTEBOOK], files, page, seconds)

    def store(self, key: str, chrome: str, notebook: Path, files: dict, page: Path,
              uri: str, seconds: float | None = None) -> None:
        """Keep a successful run: the executed notebook, ``files`` (relative path -> file)
        and its page rendered with ``chrome``."""
        import tempfile

        from jupyter_cache.base import CacheBundleIn
        from jupyter_cache.cache.main import NbArtifacts

        with tempfile.TemporaryDirectory(prefix="scrlib-cache-") as tmp:
            folder = Path(tmp)
            shutil.copyfile(notebook, folder / NOTEBOOK)
            shutil.copyfile(page, folder / PAGE)
            (folder / PAGE_KEY).write_text(chrome, encoding="utf-8")
            (folder / SECONDS).write_text("" if seconds is None else f"{seconds}",
                                          encoding="utf-8")
            for name, path in files.items():
                (folder / FILES / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, folder / FILES / name)
            paths = [str(p) for p in sorted(folder.rglob("*")) if p.is_file()]
            bundle = CacheBundleIn(self._key_notebook(key), uri,
                                   artifacts=NbArtifacts(paths, in_folder=folder))
            with self._lock:
                self._cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
