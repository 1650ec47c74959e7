"""Temporary folders that a killed run does not leave behind for ever.

Each folder is ``scrlib-<kind>-<pid>-<random>`` in the system's temporary folder; its process
keeps the folder itself locked (``flock``) while it lives, and marks it with a file ``.owner``
once the lock is held. The operating system drops the lock when the process ends, however it
ends (even SIGKILL), so the next run can tell a killed run's folder (marked, lock free) from a
live one's (lock held, even by a process in another pid namespace or one whose id was reused)
and removes only the former: :func:`sweep`, called whenever a folder is made. A folder without
the mark (being made, or made by something else) is left alone.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

OWNER = ".owner"
NAME = re.compile(r"scrlib-(?P<kind>[a-z]+)-(?P<pid>\d{1,9})-")
_HELD: dict[str, int] = {}  # folder -> the descriptor holding its lock, in this process


def make(kind: str) -> Path:
    """A new private folder ``scrlib-<kind>-<pid>-*`` whose owner lock this process holds until
    :func:`remove` (or its end). Stale folders of killed runs are swept first."""
    sweep()
    path = Path(tempfile.mkdtemp(prefix=f"scrlib-{kind}-{os.getpid()}-"))
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(os.open(path / OWNER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # then mark it
    _HELD[str(path)] = fd
    return path


def remove(path: Path) -> None:
    """Remove a folder :func:`make` gave, and let go of its lock."""
    shutil.rmtree(path, ignore_errors=True)
    fd = _HELD.pop(str(path), None)
    if fd is not None:
        os.close(fd)


@contextmanager
def folder(kind: str):
    """A private folder for the block (see :func:`make`), removed when it ends."""
    path = make(kind)
    try:
        yield path
    finally:
        remove(path)


def _abandoned(path: Path) -> bool:
    """Whether ``path`` is a folder :func:`make` made whose process is gone: it is marked, and
    its lock can be taken (and is let go at once)."""
    if str(path) in _HELD or path.is_symlink() or not path.is_dir():
        return False
    marked = path / OWNER
    if marked.is_symlink() or not marked.is_file():  # being made, or not ours: left alone
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: its process is alive
        return False
    finally:
        os.close(fd)
    return True


def sweep(log=lambda *_: None, root: Path | None = None) -> list[Path]:
    """Remove the ``scrlib-*`` folders in the temporary folder whose process is gone (a run
    killed before it could clean up); say and return what was removed."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    try:
        candidates = sorted(root.glob("scrlib-*-*-*"))
    except OSError:
        return removed
    for path in candidates:
        found = NAME.match(path.name)
        if found is None or not _abandoned(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            log(f"scr: removed {path}, left by a run (pid {found['pid']}) that was killed")
            removed.append(path)
    return removed
