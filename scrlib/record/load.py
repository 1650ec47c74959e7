"""Load the cited dataset into typed pandas tables, or refuse with every problem listed.

``load()`` returns a :class:`Dataset`; nothing half-loaded is ever returned: if any file has a
problem, :class:`~scrlib.record.problems.DataError` is raised naming each file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from scrlib.record.paths import data_dir
from scrlib.record.periods import parse_period
from scrlib.record.problems import DataError
from scrlib.record.records import PolicyEvent, Series, Source
from scrlib.record.systems import spans_of, system_of
from scrlib.record.validate import RawDataset, dates_agree, read_dataset

CONFLICT_RULES = {
    "recorded": "the value chosen in resolutions.csv, by its written rule",
    "alternative": "the value the recorded resolution rejected (for sensitivity analysis)",
    "lowest": "the lowest of the conflicting values",
    "highest": "the highest of the conflicting values",
}
"""Ways to pick one value where sources disagree (``Dataset.resolved(rule=...)``)."""

KIND_ORDER = ("official-statistics", "parliamentary-answer", "report", "legislation", "guidance",
              "press-release", "web-page", "news", "blog")
"""Where sources agree, the one a resolved row cites first: official statistics or a
parliamentary answer (a copy of one too) before any other; then an original before a copy; then
by this order of kinds (a report, ..., the trade press last)."""
OFFICIAL_KINDS = ("official-statistics", "parliamentary-answer")
PRESS_KINDS = ("news", "blog")
"""A value every source of which is of these kinds is 'press only' (``Dataset.resolved``)."""


def _frame(raw: RawDataset, name: str) -> pd.DataFrame:
    rows = raw.rows[name]
    from scrlib.record.schema import TABLES

    columns = next(t.column_names for t in TABLES if t.name == name)
    frame = pd.DataFrame([r.values for r in rows], columns=list(columns))
    frame.insert(0, "line", [r.line for r in rows])
    return frame.fillna("").astype({c: "string" for c in columns})


def _figures(raw: RawDataset) -> pd.DataFrame:
    frame = _frame(raw, "figures")
    parsed = [parse_period(code) for code in frame["period"]]
    frame["value"] = pd.to_numeric(frame["value"]).astype("float64")
    frame["period_kind"] = pd.Series([p.kind for p in parsed], dtype="string")
    frame["start"] = pd.to_datetime(pd.Series([p.start for p in parsed], dtype="object"))
    frame["end"] = pd.to_datetime(pd.Series([p.end for p in parsed], dtype="object"))
    frame["fiscal_year"] = pd.Series(
        [p.period if p.kind == "FY" else pd.NaT for p in parsed], dtype="period[Y-MAR]"
    )
    frame["derived"] = frame["derived_from"] != ""
    return frame


def _events(raw: RawDataset) -> pd.DataFrame:
    frame = _frame(raw, "events")
    # A month or year is placed at its first day; ``precision`` says how much of it is known.
    frame["when"] = pd.to_datetime(
        [
            d if d.count("-") == 2 else (d + "-01" if d.count("-") == 1 else d + "-01-01")
            for d in frame["date"]
        ]
    )
    return frame


@dataclass
class Dataset:
    """All tables of ``data/``, typed, with lookups for citations, conflicts and resolved series.

    The tables are read-only once loaded: lookups and resolved views are memoised.
    """

    folder: Path
    sources: pd.DataFrame
    series: pd.DataFrame
    figures: pd.DataFrame
    events: pd.DataFrame
    resolutions: pd.DataFrame
    systems: pd.DataFrame  # the review systems, dated by their events (see _dated_systems)
    series_systems: pd.DataFrame  # which system each series counts under, over which periods
    # Resolved views, memoised per arguments: the tables are treated as read-only after loading.
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def _memoised(self, key, compute) -> pd.DataFrame:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key].copy()

    # -- records -----------------------------------------------------------------------------
    def source(self, source_id: str) -> Source:
        """The :class:`Source` with this id (KeyError otherwise)."""
        if "sources" not in self._memo:
            self._memo["sources"] = {
                row["source_id"]: Source.from_row(row) for _, row in self.sources.iterrows()
            }
        try:
            return self._memo["sources"][source_id]
        except KeyError:
            raise KeyError(f"unknown source {source_id!r}") from None

    def series_info(self, series_id: str) -> Series:
        """The :class:`Series` definition with this id."""
        hit = self.series[self.series["series_id"] == series_id]
        if hit.empty:
            known = ", ".join(self.series["series_id"])
            raise KeyError(f"unknown series {series_id!r}; known: {known}")
        return Series.from_row(hit.iloc[0])

    def event(self, event_id: str) -> PolicyEvent:
        """The resolved :class:`PolicyEvent` (the recorded choice where sources disagree)."""
        if "event records" not in self._memo:
            self._memo["event records"] = {
                row["event_id"]: PolicyEvent.from_row(row)
                for _, row in self.resolved_events().iterrows()
            }
        records = self._memo["event records"]
        if event_id not in records:
            raise KeyError(f"unknown event {event_id!r}; known: {', '.join(records)}")
        return records[event_id]

    # -- conflicts ---------------------------------------------------------------------------
    def conflicts(self) -> pd.DataFrame:
        """Every figure whose (series, period) has more than one value, with its resolution."""
        figs = self.figures
        nvalues = figs.groupby(["series_id", "period"])["value"].transform("nunique")
        rows = figs[nvalues > 1].copy()
        res = self.resolutions[self.resolutions["subject"] == "figure"]
        rows = rows.merge(
            res[["series_id", "period", "conflict_id", "chosen_source_id", "rule", "reason"]],
            on=["series_id", "period"],
            how="left",
        )
        rows["chosen"] = rows["source_id"] == rows["chosen_source_id"]
        columns = [
            "conflict_id",
            "series_id",
            "period",
            "value",
            "source_id",
            "figure_id",
            "excerpt",
            "chosen",
            "rule",
            "reason",
        ]
        return rows[columns].sort_values(["series_id", "period", "source_id"], ignore_index=True)

    def event_conflicts(self) -> pd.DataFrame:
        """Every event row whose event has more than one candidate date, with its resolution."""
        ev = self.events
        disputed = ev.groupby("event_id")["date"].transform(lambda d: not dates_agree(d))
        rows = ev[disputed.astype(bool)].merge(
            self.resolutions[self.resolutions["subject"] == "event"][
                ["event_id", "conflict_id", "chosen_source_id", "rule", "reason"]
            ],
            on="event_id",
            how="left",
        )
        rows["chosen"] = rows["source_id"] == rows["chosen_source_id"]
        return rows[
            ["conflict_id", "event_id", "date", "source_id", "excerpt", "chosen", "rule", "reason"]
        ].sort_values(["event_id", "date"], ignore_index=True)

    # -- resolved views ----------------------------------------------------------------------
    def resolved(self, series_ids=None, *, rule: str = "recorded") -> pd.DataFrame:
        """One row per (series, period): where sources disagree, the value picked by ``rule``.

        ``source_ids`` lists every source that states the value used, official statistics
        first (:data:`KIND_ORDER`), and the row is that first source's figure; ``conflict``
        marks rows where some source gave another value; ``official`` that official statistics
        or a parliamentary answer state the value used, ``press_only`` that only the press does.
        Rules: see :data:`CONFLICT_RULES`.
        """
        if rule not in CONFLICT_RULES:
            raise ValueError(
                f"unknown conflict rule {rule!r}; allowed: {', '.join(CONFLICT_RULES)}"
            )
        if series_ids is not None:
            series_ids = [series_ids] if isinstance(series_ids, str) else list(series_ids)
        key = ("resolved", None if series_ids is None else tuple(series_ids), rule)
        return self._memoised(key, lambda: self._resolve(series_ids, rule))

    def _resolve(self, series_ids, rule: str) -> pd.DataFrame:
        """One row per (series, period), as :meth:`resolved` promises: each group's figures in
        the order that puts official statistics first, then the agreeing ones' first row."""
        import numpy as np

        figs = self.figures
        if series_ids is not None:
            unknown = sorted(set(series_ids) - set(self.series["series_id"]))
            if unknown:
                raise KeyError(
                    f"unknown series {unknown}; known: {', '.join(self.series['series_id'])}"
                )
            figs = figs[figs["series_id"].isin(series_ids)]
        if figs.empty:
            return pd.DataFrame()
        res = self.resolutions[self.resolutions["subject"] == "figure"].set_index(
            ["series_id", "period"]
        )
        kinds = dict(zip(self.sources["source_id"], self.sources["kind"], strict=True))
        copies = dict(zip(self.sources["source_id"], self.sources["copy"] == "yes", strict=True))
        sources = figs["source_id"].to_numpy(dtype=object)
        values = figs["value"].to_numpy(dtype=float)
        group = figs.groupby(["series_id", "period"], sort=True).ngroup().to_numpy()
        # within a group: official statistics first, an original before a copy, then by kind
        # and line; a stable sort, so ties keep the file's order
        order = np.lexsort((
            figs["line"].to_numpy(),
            [KIND_ORDER.index(kinds[s]) for s in sources],
            [copies[s] for s in sources],
            [kinds[s] not in OFFICIAL_KINDS for s in sources],
            group,
        ))
        starts = np.flatnonzero(np.diff(group[order], prepend=-1))
        firsts, stated, conflict, official, press_only = [], [], [], [], []
        for rows in np.split(order, starts[1:]):
            observed = values[rows]
            disputed = len(np.unique(observed[~np.isnan(observed)])) > 1
            if disputed:
                key = (figs["series_id"].iat[rows[0]], figs["period"].iat[rows[0]])
                value = self._pick(figs.iloc[np.sort(rows)], res, *key, rule)
            else:
                value = float(values[rows.min()])  # the group's first figure in the file
            agreeing = rows[observed == value]
            by = [kinds[s] for s in sources[agreeing]]
            firsts.append(agreeing[0])
            stated.append(";".join(sources[agreeing]))
            conflict.append(disputed)
            official.append(any(k in OFFICIAL_KINDS for k in by))
            press_only.append(all(k in PRESS_KINDS for k in by))
        # built from rows, as one would append them, so each column's type is read from its
        # values (a text column of the figures becomes plain text)
        frame = pd.DataFrame([figs.iloc[i] for i in firsts]).reset_index(drop=True)
        frame["source_ids"] = stated
        frame["conflict"] = np.array(conflict, dtype=bool)
        frame["rule"] = [rule if c else "" for c in conflict]
        frame["official"] = np.array(official, dtype=bool)
        frame["press_only"] = np.array(press_only, dtype=bool)
        return frame.sort_values(["series_id", "start", "end"], ignore_index=True)

    @staticmethod
    def _pick(group, res, series_id, period, rule) -> float:
        values = group["value"]
        if values.nunique() == 1:
            return float(values.iloc[0])
        if rule == "lowest":
            return float(values.min())
        if rule == "highest":
            return float(values.max())
        chosen_source = res.loc[(series_id, period), "chosen_source_id"]
        chosen = float(group.loc[group["source_id"] == chosen_source, "value"].iloc[0])
        if rule == "recorded":
            return chosen
        others = group[group["value"] != chosen].sort_values("line")
        return float(others["value"].iloc[0])

    def system_of(self, series_id: str, period: str) -> str:
        """The review system that counts ``series_id`` in ``period`` ('' for none: a
        denominator, or a total across systems)."""
        parsed = parse_period(period)
        if "spans" not in self._memo:
            self._memo["spans"] = spans_of(self.series_systems)
        return system_of(self._memo["spans"], series_id, parsed.start, parsed.end)

    def resolved_events(self, *, rule: str = "recorded") -> pd.DataFrame:
        """One row per event: the recorded date (``rule="alternative"``: the rejected one)."""
        if rule not in ("recorded", "alternative"):
            raise ValueError(f"unknown event rule {rule!r}; allowed: recorded, alternative")
        return self._memoised(("events", rule), lambda: self._resolve_events(rule))

    def _resolve_events(self, rule: str) -> pd.DataFrame:
        res = self.resolutions[self.resolutions["subject"] == "event"].set_index("event_id")
        out = []
        for event_id, group in self.events.groupby("event_id", sort=False):
            group = group.sort_values("line")
            if not dates_agree(group["date"]):
                chosen = res.loc[event_id, "chosen_source_id"]
                pick = group["source_id"] == chosen
                pick = (
                    pick if rule == "recorded" else (group["date"] != group[pick]["date"].iloc[0])
                )
                out.append(group[pick].iloc[0])
            else:  # the sources agree: keep the most precise date
                out.append(group.loc[group["date"].str.len().idxmax()])
        return pd.DataFrame(out).sort_values(["when", "event_id"], ignore_index=True)


def _dated_systems(frame: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """``systems.csv`` with each end's date, precision, first day, source and excerpt, from the
    resolved dates of its events (``end`` is NaT for a system still in force)."""
    by_event = events.set_index("event_id")
    out = frame.copy()
    for side in ("start", "end"):
        ids = out[f"{side}_event_id"]
        for column in ("date", "precision", "source_id", "excerpt"):
            out[f"{side}_{column}"] = pd.Series(
                [str(by_event.loc[e, column]) if e else "" for e in ids], index=out.index,
                dtype="string")
        out[side] = pd.to_datetime(
            pd.Series([by_event.loc[e, "when"] if e else pd.NaT for e in ids], index=out.index))
    return out


def load(folder: Path | str | None = None) -> Dataset:
    """Load and check every table in ``folder`` (default: the project's ``data/``)."""
    folder = Path(folder) if folder is not None else data_dir()
    raw, problems = read_dataset(folder)
    if problems:
        raise DataError(problems)
    mapping = _frame(raw, "series_systems")
    figures = _figures(raw)
    spans = spans_of(mapping)
    figures["system_id"] = pd.Series(
        [system_of(spans, s, a, b) for s, a, b in zip(
            figures["series_id"], figures["start"], figures["end"], strict=True)],
        index=figures.index, dtype="string")
    dataset = Dataset(
        folder=folder,
        sources=_frame(raw, "sources"),
        series=_frame(raw, "series"),
        figures=figures,
        events=_events(raw),
        resolutions=_frame(raw, "resolutions"),
        systems=_frame(raw, "systems"),
        series_systems=mapping,
    )
    dataset.systems = _dated_systems(dataset.systems, dataset.resolved_events())
    return dataset
