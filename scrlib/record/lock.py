"""One run at a time per real folder (a report folder, or data/), and no partial folder left
behind for ever.

The lock is ``.<name>.lock`` beside the folder, held with ``flock``: the operating system
releases it when the holding process ends, however it ends (even SIGKILL), so a killed run
cannot leave it stuck. The file records the holder's process id for the message a second run
prints. Every spelling of a folder (a symlink to it, ``..`` in the path) names the same lock:
the lock is beside the folder the path resolves to.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path


class Busy(Exception):
    """Another run holds the output's lock."""


def real(folder: Path) -> Path:
    """The folder a path names once every symlink and ``..`` is resolved: what locks and the
    "is this a report / the data" tests compare, so that every spelling of a folder is one."""
    try:
        return Path(folder).resolve()
    except RuntimeError:  # a symlink loop (Python 3.11 words it so; later ones raise OSError)
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(folder)) from None


def lock_path(target: Path) -> Path:
    """The lock of the real folder ``target`` names (a symlink and its target share one)."""
    target = real(target)
    return target.parent / f".{target.name}.lock"


def _holder(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 200).decode("utf-8", "replace").strip()
    return text or "unknown"


WAIT_HINT = "use --wait SECONDS to wait for it"
"""What a busy report run is told to do (``scr report --wait``)."""


@contextmanager
def hold(target: Path, *, wait: float = 0.0, poll: float = 0.5, log=print,
         hint: str = WAIT_HINT):
    """Hold the lock of ``target`` while the block runs; wait up to ``wait`` seconds for another
    run to finish, then raise Busy naming it and, if it did not wait, ending with ``hint`` (what
    the caller's user can do: each command says its own). In a read-only place an existing lock
    file is locked all the same; an OSError (no lock file can be made, a folder in its way) is
    the caller's to word."""
    import fcntl

    target = real(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(target)
    writable = True
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or not path.is_file():
            raise
        # a read-only place (e.g. data/ on a read-only disk): the lock file an ingest would
        # hold is there, so lock it all the same, without writing the holder's id
        fd = os.open(path, os.O_RDONLY)
        writable = False
    try:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if time.monotonic() >= deadline:
                    how = f"waited {wait:g} s" if wait else hint
                    raise Busy(f"another run ({holder}) is writing {target}; this run did not "
                               f"start ({how})") from None
                if not told:
                    log(f"scr report: waiting up to {wait:g} s for another run ({holder}) "
                        f"writing {target}")
                    told = True
                time.sleep(poll)
        if writable:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"pid {os.getpid()}\n".encode())
        try:
            yield
        finally:
            if writable:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def alive(pid: int) -> bool:
    """Whether a process with this id exists (someone else's counts)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or not a process id at all
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_stale_partials(target: Path, log=print) -> list[Path]:
    """Remove ``.<name>.partial-<pid>`` folders beside ``target`` whose process is gone (a run
    killed before it could clean up); return what was removed."""
    removed = []
    target = real(target)
    for folder in sorted(target.parent.glob(f".{target.name}.partial-*")):
        pid = folder.name.rsplit("-", 1)[-1]
        if not (pid.isascii() and pid.isdigit() and len(pid) <= 9) or int(pid) == os.getpid() \
                or alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        log(f"scr report: removed {folder.name}, left by a run (pid {pid}) that is gone")
        removed.append(folder)
    return removed
