"""Check notebook parameters early, with messages that list what is allowed.

papermill passes ``-p`` values as strings (lists only through ``-y``/``-f``), and only warns on
unknown names, so every notebook validates its own parameters in its first cells.
"""

from __future__ import annotations

from collections.abc import Iterable


class ParameterError(ValueError):
    """A notebook parameter outside what the notebook accepts."""


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value]
    return [str(value)]


def choose_one(name: str, value, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``, else a ParameterError listing the allowed values."""
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(
            f"parameter {name!r} = {value!r} is not allowed; allowed values: {', '.join(allowed)}"
        )
    return value


def choose_many(name: str, value, allowed: Iterable[str], *, min_count: int = 1,
                max_count: int | None = None) -> list[str]:
    """A list of allowed values from a list or a comma-separated string; errors list the allowed."""
    allowed = list(allowed)
    chosen = _as_list(value)
    bad = [v for v in chosen if v not in allowed]
    many = max_count is not None and len(dict.fromkeys(chosen)) > max_count
    if bad or len(chosen) < min_count or many:
        what = (f"{', '.join(map(repr, bad))} not allowed" if bad else
                f"at most {max_count} value(s)" if many else f"needs at least {min_count}")
        raise ParameterError(
            f"parameter {name!r} = {value!r}: {what}; allowed values (a list, or comma-separated "
            f"text): {', '.join(allowed)}"
        )
    return list(dict.fromkeys(chosen))


def choose_number(name: str, value, *, low: float, high: float) -> float:
    """A number within [low, high], else a ParameterError saying the range."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:
        raise ParameterError(
            f"parameter {name!r} = {value!r} must be a number from {low} to {high}"
        )
    return number


def choose_flag(name: str, value) -> bool:
    """True/False from a bool or the text true/false/yes/no/1/0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ParameterError(f"parameter {name!r} = {value!r} must be True or False")


def choose_int(name: str, value, *, low: int, high: int) -> int:
    """A whole number within [low, high], else a ParameterError saying the range."""
    try:
        number = int(value) if float(value) == int(float(value)) and not isinstance(
            value, bool) else None
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or not low <= number <= high:
        raise ParameterError(
            f"parameter {name!r} = {value!r} must be a whole number from {low} to {high}"
        )
    return number


def choose_dates(name: str, value, events) -> dict:
    """``event=YYYY-MM-DD`` pairs (comma-separated, or a list) for events in ``events``, as
    {event: date text}; a ParameterError says what is allowed."""
    import re

    allowed = list(events)
    out = {}
    for item in _as_list(value):
        found = re.fullmatch(r"([\w-]+)=(\d{4}-\d{2}-\d{2})", item)
        if not found or found.group(1) not in allowed:
            raise ParameterError(
                f"parameter {name!r} = {value!r}: {item!r} is not allowed; give event=YYYY-MM-DD "
                f"with an event of the model: {', '.join(allowed)}"
            )
        out[found.group(1)] = found.group(2)
    return out


CHECK_TAG = "check-parameters"


def precheck(notebook, values: dict) -> None:
    """Run a notebook's ``parameters`` cell, then ``values``, then its cell tagged
    ``check-parameters``, in this process (no kernel); a refusal is a ParameterError that names
    the notebook. The same code the kernel would run, so it refuses exactly what the notebook
    would."""
    import contextlib
    import io
    from pathlib import Path

    import nbformat

    path = Path(notebook)
    nb = nbformat.read(path, as_version=4)
    tagged = {tag: cell for cell in nb.cells if cell.cell_type == "code"
              for tag in cell.metadata.get("tags", [])}
    if "parameters" not in tagged or CHECK_TAG not in tagged:
        return  # nothing declared to check before the run
    namespace: dict = {"__name__": "__scrlib_precheck__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(tagged["parameters"].source, f"{path.name}:parameters", "exec"), namespace)
        namespace.update(values)
        try:
            exec(compile(tagged[CHECK_TAG].source, f"{path.name}:{CHECK_TAG}", "exec"),
                 namespace)
        except ParameterError as err:
            raise ParameterError(f"{path.stem}: {err}") from None
        except Exception as err:  # the check cell refuses these values in its own words
            raise ParameterError(f"{path.stem}: its parameter check refused these values: "
                                 f"{type(err).__name__}: {err}") from None
