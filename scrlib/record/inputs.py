"""Read what a user hands scrlib (a configuration file, an EES file or address, a data table)
without a traceback or a hang: only regular files (a FIFO or a device is refused before it is
opened for reading), never more than a size limit (read in pieces, so an endless or expanding
input stops at the limit), and YAML with a loader that refuses aliases, anchors, tags, merge
keys, duplicated keys and deep nesting before anything is built.

The limit is :data:`DEFAULT_LIMIT_MB` megabytes (10^6 bytes); the environment variable
``SCRLIB_MAX_INPUT_MB`` sets another (a number above 0, e.g. ``200``).
"""

from __future__ import annotations

import os
import stat
import time
import zlib
from pathlib import Path

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

LIMIT_ENV = "SCRLIB_MAX_INPUT_MB"
DEFAULT_LIMIT_MB = 50.0
MAX_YAML_DEPTH = 20
"""The deepest nesting of lists and mappings a YAML file may have (a config needs 3)."""
CHUNK = 1 << 20
DOWNLOAD_SECONDS = 600.0
"""How long one download may take in all (an endless trickle stops here)."""


class InputError(Exception):
    """An input refused before it could do harm: ``where`` (file or address) and ``reason``."""

    def __init__(self, where: str, reason: str, line: int = 0):
        super().__init__(f"{where}: {reason}")
        self.where, self.reason, self.line = str(where), reason, line


def limit_bytes() -> int:
    """The most bytes an input may have: ``SCRLIB_MAX_INPUT_MB`` megabytes, else 50 MB."""
    text = os.environ.get(LIMIT_ENV, "").strip()
    if not text:
        return int(DEFAULT_LIMIT_MB * 1e6)
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = float("nan")
    if not 0 < megabytes < 1e9:  # also refuses nan and inf
        raise InputError(LIMIT_ENV, f"{text[:24]!r} is not a number of megabytes above 0 "
                         "(the most an input file or download may hold)")
    return max(1, int(megabytes * 1e6))


def size_words(count: int) -> str:
    """A number of bytes in words a person reads (``80 MB``, ``512 bytes``)."""
    if count < 10_000:
        return f"{count} bytes"
    return f"{count / 1e6:.3g} MB"


def too_large(limit: int) -> str:
    return (f"more than {size_words(limit)}, the limit for an input (set {LIMIT_ENV} to a "
            "number of megabytes to allow more)")


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def read_file(path: Path | str, *, what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (default :func:`limit_bytes`).
    InputError, before anything is read, for a missing file, a folder, a FIFO, a device, a file
    over the limit or one that cannot be opened; and if it grows past the limit while read."""
    where = str(path)
    limit = limit_bytes() if limit is None else limit
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise InputError(where, f"no such {what}") from None
    except OSError as exc:
        raise InputError(where, f"cannot read it ({exc.strerror or exc})") from None
    kind = _kind(before.st_mode)
    if kind:
        raise InputError(where, f"is {kind}, not a {what}; nothing was read from it")
    if before.st_size > limit:
        raise InputError(where, f"is {size_words(before.st_size)}: {too_large(limit)}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: a FIFO put in its place cannot hang the open
    except OSError as exc:
        raise InputError(where, f"cannot read it ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        kind = _kind(os.fstat(fd).st_mode)  # what was opened, if it was swapped meanwhile
        if kind:
            raise InputError(where, f"is {kind}, not a {what}; nothing was read from it")
        try:
            return read_capped(handle.read, where, limit)
        except OSError as exc:
            raise InputError(where, f"cannot read it ({exc.strerror or exc})") from None


def read_capped(read, where: str, limit: int, *, deadline: float | None = None) -> bytes:
    """Call ``read(n)`` until it returns nothing; InputError once more than ``limit`` bytes
    came, or (with ``deadline``, a ``time.monotonic()`` value) once the time is up."""
    chunks, total = [], 0
    while True:
        chunk = read(min(CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise InputError(where, f"{too_large(limit)}; stopped reading there")
        chunks.append(chunk)
        if deadline is not None and time.monotonic() > deadline:
            raise InputError(where, f"{size_words(total)} arrived in {DOWNLOAD_SECONDS:g} s, "
                             "the most one download may take; stopped reading there")


def gunzip(body: bytes, where: str, limit: int | None = None) -> bytes:
    """The bytes a gzip body expands to, at most ``limit``; InputError for more (a small body
    can expand to gigabytes: it stops at the limit) or for a truncated or corrupt body."""
    limit = limit_bytes() if limit is None else limit
    out, total, data = [], 0, body
    try:
        while data:
            unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)  # one gzip member
            while data and not unpack.eof:
                piece = unpack.decompress(data, limit + 1 - total)
                total += len(piece)
                if total > limit:
                    raise InputError(where, f"the gzip body expands to {too_large(limit)}; "
                                     "stopped unpacking there")
                out.append(piece)
                data = unpack.unconsumed_tail
            if not unpack.eof:
                raise InputError(where, "truncated gzip body (it ends before its last block)")
            data = unpack.unused_data  # the next member, if any
    except zlib.error as exc:
        raise InputError(where, f"truncated or corrupt gzip body ({exc})") from None
    return b"".join(out)


def closest(name, known) -> str:
    """' (did you mean 'x'?)' for the known name nearest to a misspelt ``name``, else ''."""
    import difflib

    found = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {found[0]!r}?)" if found else ""


def load_yaml(path: Path | str, *, what: str = "configuration file"):
    """A YAML file's value, read with :class:`StrictLoader`; InputError (one line, with the
    file, line and column) for anything it refuses or cannot read."""
    where = str(path)
    data = read_file(path, what=what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(where, f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    loader = None
    try:
        loader = StrictLoader(text)  # its reader refuses non-printable characters here
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        said = " ".join(filter(None, (exc.context, exc.problem)))
        if isinstance(exc, yaml.scanner.ScannerError | yaml.parser.ParserError):
            said = f"not valid YAML: {said}"
        raise InputError(where, f"{at}{said}".replace("\n", " "),
                         line=mark.line + 1 if mark else 0) from None
    except yaml.YAMLError as exc:
        raise InputError(where, f"not valid YAML ({' '.join(str(exc).split())})") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. an int of 5,000 digits
        said = " ".join(str(exc).split(";")[0].split())[:200]
        raise InputError(where, f"a value cannot be read ({said})") from None
    finally:
        if loader is not None:
            loader.dispose()


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing (while composing, before anything is built or expanded)
    aliases and anchors, explicit tags and nesting deeper than :data:`MAX_YAML_DEPTH`, and
    (while building a mapping) merge keys and duplicated keys."""

    _depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise ComposerError(None, None, f"an alias (*{event.anchor}) is not allowed: write "
                                "the value out", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise ComposerError(None, None, f"an anchor (&{event.anchor}) is not allowed: write "
                                "each value out", event.start_mark)
        if getattr(event, "tag", None) is not None:
            raise ComposerError(None, None, f"a tag ({event.tag}) is not allowed: write plain "
                                "values", event.start_mark)
        nesting = isinstance(event, yaml.CollectionStartEvent)
        if nesting and self._depth >= MAX_YAML_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} lists or "
                                "mappings deep", event.start_mark)
        self._depth += nesting
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= nesting

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ConstructorError(None, None, "a merge key (<<) is not allowed: write each "
                                       "key out", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: the base class says so
            if first is not None:
                raise ConstructorError(None, None, f"the key {str(key)[:40]!r} appears twice "
                                       f"(first on line {first}); the second would silently "
                                       "replace the first", key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)
