"""One analysis of an annual series around policy dates, as a value: a :class:`Specification`.

A specification names every choice an interrupted time series analysis of the cited data makes
(series, policy events, conflict rules, model family, effects, how a year containing a policy
date is coded, denominator), so notebooks and the sensitivity analysis fit exactly what they say
they fit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import pandas as pd

from scrlib.record.cite import source_line
from scrlib.study import analysis
from scrlib.study.params import ParameterError

EFFECTS = {"step": ("step",), "step+slope": ("step", "slope")}
EVENT_RULES = ("recorded", "alternative")
TRANSITIONS = ("sum", "fractional", "whole")  # how a year containing a policy date is coded
DENOMINATOR_USES = ("trials", "offset")


# Explanations at the policy dates that the data suggested rather than the study fixed before
# seeing them: lasting changes at the policy dates are the question the project set out with;
# a temporary change between two policy dates was noticed once the yearly figures had been
# assembled, so it is exploratory wherever it appears and its nested test is no confirmation.
SUGGESTED_BY_DATA = ("temporary",)


@dataclass(frozen=True)
class Specification:
    """Every choice of one fit: what is modelled, around which dates, with which model."""

    series: str = "scr-initiated"
    events: tuple[str, ...] = ("full-publication", "ofsted-evaluation-ends")
    conflict_rule: str = "recorded"
    event_rule: str = "recorded"
    family: str = "quasipoisson"
    effects: str = "step"
    transition: str = "sum"
    denominator: str | None = None
    breaks: tuple[str, ...] = ()
    moved: tuple[tuple[str, str], ...] = ()  # (event id, "YYYY-MM-DD"): a date moved by hand

    def with_(self, **changes) -> Specification:
        """A copy with some choices changed."""
        return replace(self, **changes)

    def as_dict(self) -> dict:
        """The choices as plain values (events joined with commas), for tables and manifests."""
        out = asdict(self)
        out["events"] = ",".join(self.events)
        out["denominator"] = self.denominator or ""
        out["breaks"] = ",".join(self.breaks)
        out["moved"] = ",".join(f"{e}={d}" for e, d in self.moved)
        return out

    @property
    def uses_trials(self) -> bool:
        """True when the denominator enters as binomial trials (else as a log offset)."""
        return self.denominator is not None and self.family == "binomial"

    def data(self, dataset) -> pd.DataFrame:
        """The annual rows the model sees: ``fiscal_year``, ``year``, ``count`` [, ``exposure``]."""
        frame = analysis.annual(dataset, self.series, rule=self.conflict_rule)
        if self.denominator is not None:
            den = analysis.annual(dataset, self.denominator, rule=self.conflict_rule,
                                  name="exposure")
            frame = frame.merge(den, on=["fiscal_year", "year"], suffixes=("", "_den"))
            frame["source_ids"] = frame["source_ids"] + ";" + frame["source_ids_den"]
            frame["conflict"] = frame["conflict"] | frame["conflict_den"]
            frame = frame.drop(columns=["source_ids_den", "conflict_den"])
        return frame.reset_index(drop=True)

    def dates(self, dataset) -> dict[str, pd.Timestamp]:
        """``{label: date}`` of the chosen events under the chosen event rule, with any date
        moved by hand (``moved``) in place of the recorded one."""
        dates = analysis.policy_dates(dataset, self.events, rule=self.event_rule)
        for event_id, when in self.moved:
            dates[dataset.event(event_id).label] = pd.Timestamp(when)
        return dates

    def _its_arguments(self, dataset, frame: pd.DataFrame) -> dict:
        if self.family == "binomial" and self.denominator is None:
            raise ValueError("family 'binomial' needs a denominator series")
        kwargs = {}
        if self.denominator is not None:
            kwargs = {"trials": "exposure"} if self.uses_trials else {"offset": "exposure"}
        if self.breaks:
            kwargs["breaks"] = [dataset_date(dataset, e, self.event_rule) for e in self.breaks]
        return {"outcome": "count", "time": "fiscal_year", "interventions": self.dates(dataset),
                "effects": EFFECTS[self.effects], "transition": self.transition,
                "source": source_line(dataset, _ids(frame)).removeprefix("Source: "), **kwargs}

    def fit(self, dataset, data: pd.DataFrame | None = None):
        """Fit the specification with :func:`scrlib.its.fit`; returns an ``ItsResult``."""
        from scrlib import its

        frame = self.data(dataset) if data is None else data
        try:
            return its.fit(frame, family=self.family, **self._its_arguments(dataset, frame))
        except its.IdentificationError as err:
            raise its.IdentificationError(f"{self.describe()}: {err}") from err

    def describe(self) -> str:
        """The design in one line: series, events, family, effects and coding."""
        return (f"the design {self.series} ~ {', '.join(self.events)} ({self.family}, "
                f"effects {self.effects}, transition {self.transition})")

    def compare_models(self, dataset, families=None):
        """Families side by side, with and without a change in slope (``its.compare_models``)."""
        from scrlib import its

        frame = self.data(dataset)
        arguments = self._its_arguments(dataset, frame)
        arguments["effects"] = ("step",)
        return its.compare_models(frame, families=families, **arguments)

    def placebo(self, dataset, event: str, *, only_before: bool = False,
                window_months: int = 12):
        """The in-time placebo check for one of the events (``its.placebo_in_time``): the
        event's date moved by whole years, leaving out dates within ``window_months`` of any
        other event in data/events.csv."""
        from scrlib import its

        frame = self.data(dataset)
        events = dataset.resolved_events(rule=self.event_rule)
        exclude = [pd.Timestamp(w) for e, w in zip(events["event_id"], events["when"],
                                                   strict=True) if e != event]
        return its.placebo_in_time(frame, intervention=dataset.event(event).label,
                                   only_before=only_before, family=self.family,
                                   exclude=exclude, window_months=window_months,
                                   **self._its_arguments(dataset, frame))

    def scan(self, dataset, *, breaks: int = 1, kind: str = "step", replicates: int = 999,
             seed: int = 2012, trend: bool = True):
        """Where the data put ``breaks`` break dates (``its.scan``), the policy dates as
        candidates; quasipoisson unless the specification's family is poisson."""
        from scrlib import its

        frame = self.data(dataset)
        return its.scan(frame, outcome="count", time="fiscal_year", breaks=breaks, kind=kind,
                        family="poisson" if self.family == "poisson" else "quasipoisson",
                        trend=trend, replicates=replicates, seed=seed,
                        candidates=self.dates(dataset),
                        offset="exposure" if self.denominator and not self.uses_trials
                        else None)

    def same_reports(self, dataset) -> tuple[str, ...]:
        """The explanations at the policy dates that are fixed in advance but dated by the same
        reports as the counts ("steps" when any of the events is dated only by publishers of
        the modelled series' figures): not independent of these data, so not confirmatory."""
        dated = analysis.dated_by_the_counts_reports(
            dataset, self.events, [self.series, *([self.denominator] if self.denominator
                                                  else [])])
        return ("steps",) if dated and "steps" not in SUGGESTED_BY_DATA else ()

    def explain(self, dataset, *, step_scan=None, dip_scan=None, trend: bool = True):
        """Competing explanations on one footing (``its.explain``), those the data suggested
        (``SUGGESTED_BY_DATA``) labelled exploratory and those dated by the counts' own reports
        (:meth:`same_reports`) graded so."""
        from scrlib import its

        frame = self.data(dataset)
        return its.explain(frame, outcome="count", time="fiscal_year",
                           policy=self.dates(dataset), step_scan=step_scan, dip_scan=dip_scan,
                           family="poisson" if self.family == "poisson" else "quasipoisson",
                           trend=trend, suggested=SUGGESTED_BY_DATA,
                           same_reports=self.same_reports(dataset))

    def bayes(self, dataset, *, prior_sets=None, draws: int = 2048, seed: int = 2012,
              trend: bool = True) -> dict:
        """The Bayesian cross-check of :meth:`explain` (``its.bayes.sensitivity``) under each set
        of priors (default ``its.bayes.PRIOR_SETS``): ``{label: BayesResult}``. Its likelihood is
        the negative binomial whatever ``family`` says, and a year containing a policy date is
        the sum of its parts."""
        from scrlib.its import bayes

        if self.uses_trials:
            raise ValueError(f"{self.describe()}: the Bayesian cross-check models counts, not "
                             "shares of trials")
        frame = self.data(dataset)
        return bayes.sensitivity(frame, prior_sets=prior_sets, outcome="count",
                                 time="fiscal_year", policy=self.dates(dataset), trend=trend,
                                 offset="exposure" if self.denominator else None,
                                 draws=draws, seed=seed, suggested=SUGGESTED_BY_DATA,
                                 same_reports=self.same_reports(dataset))

    def leave_one_out(self, dataset):
        """The fit with each year left out in turn (``its.leave_one_out``)."""
        from scrlib import its

        frame = self.data(dataset)
        return its.leave_one_out(frame, family=self.family,
                                 **self._its_arguments(dataset, frame))

    def detectable(self, result, *, replicates: int = 2000, seed: int = 2024):
        """The smallest changes this design would detect (``its.minimum_detectable_effect``),
        the other effects held at their estimates; solved by simulating ``replicates`` series
        where the family allows (poisson, quasipoisson, negativebinomial), else approximated."""
        from scrlib import its
        from scrlib.its.power import SIMULATED

        return its.minimum_detectable_effect(
            result, replicates=replicates if self.family in SIMULATED else 0, seed=seed)

    def codings(self, dataset) -> dict:
        """The same fit under each coding of a year that contains a policy date."""
        return {coding: self.with_(transition=coding).fit(dataset) for coding in TRANSITIONS}

    def nearby(self, dataset, *, months: int = 12) -> list[str]:
        """Labels of other dated events in the ``months`` after the last of the
        specification's events (what a change after it cannot be told apart from)."""
        events = dataset.resolved_events(rule=self.event_rule)
        when = dict(zip(events["event_id"], pd.to_datetime(events["when"]), strict=True))
        last = max(when[e] for e in self.events)
        end = last + pd.DateOffset(months=months)
        out = [label for e, label in zip(events["event_id"], events["label"], strict=True)
               if e not in self.events and last < when[e] <= end]
        return list(dict.fromkeys(out))

    def check(self, dataset) -> None:
        """Raise ParameterError, saying what is allowed, if the data cannot carry this fit."""
        frame = self.data(dataset)
        years = list(frame["year"])
        n_params = 2 + len(self.events) * len(EFFECTS[self.effects])
        if len(frame) < n_params + 1:
            raise ParameterError(
                f"series {self.series!r}{' per ' + self.denominator if self.denominator else ''}"
                f" has {len(frame)} annual figure(s) ({', '.join(years) or 'none'}); a model "
                f"with {len(self.events)} event(s) and effects {self.effects!r} has {n_params} "
                f"parameters and needs at least {n_params + 1} years. Choose a longer series "
                "(see allowed_series) or fewer events."
            )
        first = frame["fiscal_year"].iloc[0].start_time
        last = frame["fiscal_year"].iloc[-1].start_time
        inside = events_inside(dataset, first, last, self.event_rule)
        bad = [e for e in self.events if e not in inside]
        if bad:
            raise ParameterError(
                f"events {bad} fall outside the years of {self.series!r} ({years[0]} to "
                f"{years[-1]}) or leave no year before them; allowed events: {', '.join(inside)}"
            )


def dataset_date(dataset, event_id: str, rule: str) -> pd.Timestamp:
    """The resolved date of one event."""
    events = dataset.resolved_events(rule=rule).set_index("event_id")
    return pd.Timestamp(events.loc[event_id, "when"])


def date_floor(dataset, event_id: str) -> tuple[str, pd.Timestamp] | None:
    """``event_id``'s ``not_before`` event (``events.csv``) and its recorded date, the earliest
    date the sources allow for ``event_id``; None if it has no such bound."""
    rows = dataset.events[dataset.events["event_id"] == event_id]
    floors = [f for f in rows["not_before"] if f]
    if not floors:
        return None
    floor = max(floors, key=lambda f: dataset_date(dataset, f, "recorded"))
    return floor, dataset_date(dataset, floor, "recorded")


def events_inside(dataset, first: pd.Timestamp, last: pd.Timestamp, rule: str) -> list[str]:
    """Events dated after the first year starts and no later than the last year's start."""
    events = dataset.resolved_events(rule=rule)
    inside = events[(events["when"] > first) & (events["when"] <= last)]
    return list(inside["event_id"])


def allowed_series(dataset, *, min_years: int = 4, denominator: str | None = None) -> list[str]:
    """Count series with at least ``min_years`` financial-year figures (paired with denominator)."""
    out = []
    figures = dataset.figures
    # An upper bound first (the financial years any figure of the series touches), so only
    # series that could qualify are assembled.
    touched = {sid: len({y for s, e in zip(rows["start"], rows["end"], strict=True)
                         for y in pd.period_range(s, e, freq="Y-MAR")})
               for sid, rows in figures.groupby("series_id")}
    for info in dataset.series.itertuples(index=False):
        if info.unit != "count" or info.series_id == denominator:
            continue
        if touched.get(info.series_id, 0) < min_years:
            continue
        spec = Specification(series=info.series_id, denominator=denominator, events=())
        if len(spec.data(dataset)) >= min_years:
            out.append(info.series_id)
    return out


def _ids(frame: pd.DataFrame) -> list[str]:
    return sorted({s for ids in frame["source_ids"] for s in ids.split(";")})
