"""The analyst's explorer: move a policy date, change a choice, and watch the answer change.

:class:`Explorer` holds the logic and is tested without a browser: :meth:`Explorer.view` fits one
set of :class:`Choices` and returns a :class:`View` (the fit, its table, the answer in words and
the break profile); :meth:`Explorer.figure` draws it. :class:`ExplorerWidget` puts ipywidgets
controls on top: every change refits and redraws, an error is shown as a message (never a
traceback) with the last good chart left in place, and the bootstraps of the break scans run on
a button with a progress bar. :meth:`Explorer.static` gives the default state as ordinary
outputs, which is what papermill, nbval and the HTML report see.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from functools import cached_property

import pandas as pd

from scrlib.its import fmt
from scrlib.study import design
from scrlib.study.params import ParameterError

FAMILIES = ("quasipoisson", "poisson", "negativebinomial", "gaussian")


class ExploreError(ValueError):
    """A choice the data cannot carry; the message says why, in words."""


@dataclass(frozen=True)
class Choices:
    """One state of the explorer: the specification's choices, dates moved by hand (event id ->
    "YYYY-MM-DD"), events whose date may move over the whole series, and a year left out."""

    series: str = "scr-initiated"
    events: tuple[str, ...] = ("full-publication", "ofsted-evaluation-ends")
    dates: tuple[tuple[str, str], ...] = ()
    free: tuple[str, ...] = ()
    conflict_rule: str = "recorded"
    event_rule: str = "recorded"
    family: str = "quasipoisson"
    effects: str = "step"
    transition: str = "sum"
    leave_out: str = ""

    def with_(self, **changes) -> Choices:
        """A copy with some choices changed."""
        return replace(self, **changes)

    def moved(self, event_id: str, when) -> Choices:
        """A copy with ``event_id``'s date moved to ``when``."""
        kept = tuple((e, d) for e, d in self.dates if e != event_id)
        return replace(self, dates=(*kept, (event_id, f"{pd.Timestamp(when):%Y-%m-%d}")))

    def specification(self) -> design.Specification:
        """The :class:`~scrlib.study.design.Specification` these choices describe."""
        moved = tuple((e, d) for e, d in self.dates if e in self.events)
        return design.Specification(series=self.series, events=self.events,
                                    conflict_rule=self.conflict_rule,
                                    event_rule=self.event_rule, family=self.family,
                                    effects=self.effects, transition=self.transition,
                                    moved=moved)


@dataclass
class View:
    """One fitted state: the choices, the data, the fit, the break profile and the words."""

    choices: Choices
    data: pd.DataFrame
    dates: dict
    result: object
    profile: object
    answer: str
    posterior: object = field(default=None, repr=False)  # () -> the Bayesian cross-check

    @cached_property
    def bayes(self):
        """The Bayesian cross-check of these data and dates (``its.bayes``), computed when
        first asked for; None where the series cannot carry it."""
        return self.posterior() if self.posterior is not None else None

    def estimate(self, label: str, effect: str = "step") -> float:
        """The shown estimate (rate ratio) of one policy's effect."""
        eff = self.result.effects
        row = eff[(eff["intervention"] == label) & (eff["effect"] == effect)]
        return float(row["rate_ratio"].iloc[0])


LIVE_NOTE = ("What follows is the explorer at its default choices. Its live version, in "
             "JupyterLab, lets you move each policy date within what its sources allow, take a "
             "disputed figure's other value, change the model or leave out a year, and redraws "
             "the answer, the table and the chart as you do; open this notebook (06-explore."
             "ipynb, beside this report's pages) in the project's JupyterLab to use it.")
"""Said above the explorer's default state wherever it is not live (the report's page)."""


class Explorer:
    """The explorer's logic over one dataset (cached where the data do not change)."""

    def __init__(self, dataset):
        self.dataset = dataset
        self._profiles: dict = {}
        self._integrals: dict = {}  # the Bayesian cross-check's integrals, by what they rest on
        self._figures: dict = {}  # height -> the kept figure of fast redraws

    # -- what may be chosen ---------------------------------------------------------------------
    def series_options(self) -> list[str]:
        """Cited annual series long enough to model (six financial years or more)."""
        return design.allowed_series(self.dataset, min_years=6)

    def event_options(self, choices: Choices) -> list[str]:
        """Events dated inside the chosen series."""
        frame = choices.specification().with_(events=()).data(self.dataset)
        first = frame["fiscal_year"].iloc[0].start_time
        last = frame["fiscal_year"].iloc[-1].start_time
        return design.events_inside(self.dataset, first, last, choices.event_rule)

    def year_options(self, choices: Choices) -> list[str]:
        """The years that can be left out ("" for none)."""
        frame = choices.with_(leave_out="").specification().data(self.dataset)
        return ["", *frame["year"]]

    def date_options(self, choices: Choices, event_id: str) -> list[pd.Timestamp]:
        """Dates an event may take: the earliest its sources allow (its ``not_before`` event's
        date, else the earliest it is given), then the first day of each month up to the latest
        date it is given; every month of the series if it is free."""
        rows = self.dataset.events[self.dataset.events["event_id"] == event_id]
        if rows.empty:
            raise ExploreError(f"event {event_id!r} has no source in data/events.csv, so it has "
                               "no date to move")
        if event_id in choices.free:  # a change needs a year before it and one from it on
            frame = choices.with_(leave_out="").specification().data(self.dataset)
            first = frame["fiscal_year"].iloc[1].start_time
            last = frame["fiscal_year"].iloc[-1].start_time
        else:
            first = pd.Timestamp(rows["when"].min())
            last = pd.Timestamp(rows["when"].max())
            floor = design.date_floor(self.dataset, event_id)
            if floor is not None and floor[1] < first:
                months = pd.period_range(floor[1], last, freq="M").start_time[1:]
                return [floor[1], *(pd.Timestamp(m) for m in months)]
        months = pd.period_range(first, last, freq="M").start_time
        return [pd.Timestamp(m) for m in months]

    def current_date(self, choices: Choices, event_id: str) -> pd.Timestamp:
        """The event's date under these choices (moved by hand, or the recorded one)."""
        moved = dict(choices.dates)
        if event_id in moved:
            return pd.Timestamp(moved[event_id])
        return design.dataset_date(self.dataset, event_id, choices.event_rule)

    # -- fitting ---------------------------------------------------------------------------------
    def view(self, choices: Choices) -> View:
        """Fit the choices; ExploreError (in words) if the data cannot carry them."""
        from scrlib import its

        spec = choices.specification()
        unknown = [e for e in choices.events if e not in set(self.dataset.events["event_id"])]
        if unknown:
            raise ExploreError(f"event(s) {', '.join(unknown)} have no source in "
                               "data/events.csv")
        if not choices.events:
            raise ExploreError("choose at least one policy event")
        try:
            frame = spec.data(self.dataset)
            if choices.leave_out:
                frame = frame[frame["year"] != choices.leave_out].reset_index(drop=True)
            dates = spec.dates(self.dataset)
            first, last = frame["fiscal_year"].iloc[0], frame["fiscal_year"].iloc[-1]
            for label, when in dates.items():
                if not first.start_time < when <= last.start_time:
                    raise ExploreError(
                        f"{label} on {when:%d %B %Y} leaves no whole year of this series "
                        f"({first.start_time:%B %Y} to {last.end_time:%B %Y}) before it or "
                        "from it on: a change needs at least one year on each side, so it can "
                        f"fall from {first.end_time + pd.Timedelta(days=1):%B %Y} to "
                        f"{last.start_time:%B %Y}")
            result = spec.fit(self.dataset, data=frame)
            _ = result.effects  # compute the intervals now, so their errors surface here
        except ExploreError:
            raise
        except (ParameterError, its.ConvergenceError, ValueError) as err:
            raise ExploreError(f"these choices cannot be fitted: {err}") from err
        answer = " ".join(_plain(r) for r in result.effects.itertuples(index=False))
        answer += _same_model_note(frame, dates)
        if result.warnings:
            count = len(result.warnings)
            answer += (f" The model gives {count} {'warning' if count == 1 else 'warnings'} "
                       "about what these data can support, listed below.")
        return View(choices, frame, dates, result, self._profile(choices, frame), answer,
                    lambda: self._bayes(frame, dates))

    BAYES_DRAWS = 1024  # points per integral while a slider moves (notebook 02 uses 2048)

    def _bayes(self, frame: pd.DataFrame, dates: dict):
        """The Bayesian cross-check's probabilities of the explanations for these data and
        dates (default priors), the integrals that do not depend on the dates kept between
        views; None where the series cannot carry it."""
        from scrlib.its import bayes
        from scrlib.study.design import SUGGESTED_BY_DATA

        try:
            return bayes.posterior(frame, outcome="count", time="fiscal_year", policy=dates,
                                   draws=self.BAYES_DRAWS, suggested=SUGGESTED_BY_DATA,
                                   cache=self._integrals)
        except ValueError:
            return None

    def _profile(self, choices: Choices, frame: pd.DataFrame):
        """The one-break profile of these data (no bootstrap), cached by the data it depends
        on; None where a scan cannot be made (too few years, a family it does not fit)."""
        from scrlib import its

        family = "poisson" if choices.family == "poisson" else "quasipoisson"
        key = (tuple(frame["year"]), tuple(frame["count"]), family)
        if key not in self._profiles:
            try:
                self._profiles[key] = its.scan(frame, outcome="count", time="fiscal_year",
                                               family=family, replicates=0)
            except ValueError:
                self._profiles[key] = None
        return self._profiles[key]

    def bootstrap(self, choices: Choices, *, replicates: int = 999, seed: int = 2012,
                  progress=None):
        """Both break scans with their bootstraps (slow: run on a button); ``progress(done,
        total, what)`` is told as each finishes."""
        spec = choices.specification()
        jobs = (("one lasting change", 1, "step"), ("a temporary change", 2, "dip"))
        out = []
        for i, (what, breaks, kind) in enumerate(jobs):
            if progress:
                progress(i, len(jobs), f"scanning for {what}")
            out.append(spec.scan(self.dataset, breaks=breaks, kind=kind, replicates=replicates,
                                 seed=seed))
        if progress:
            progress(len(jobs), len(jobs), "done")
        return out

    # -- drawing ---------------------------------------------------------------------------------
    def figure(self, view: View, *, source: bool = True, reuse: bool = False):
        """The series with the fit, counterfactual and band (top); the break profile with the
        chosen dates marked (bottom, where a scan exists). Fixed margins, not constrained
        layout, so a redraw stays quick while a slider is dragged; ``source=False`` leaves the
        source line out of the image (the live widget shows it as text under it); ``reuse``
        draws into one kept figure, whose renderer caches the text layout between redraws."""
        import textwrap

        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from scrlib.reader import plot

        plot.configure()
        panels = 2 if view.profile is not None else 1
        height = 3.3 * panels + (0.9 if source else 0.6)
        if reuse:
            fig = self._figures.get(height)
            if fig is None:
                fig = self._figures[height] = Figure(figsize=(8, height), dpi=90)
                FigureCanvasAgg(fig)
            fig.clear()
            fig.subplots_adjust(left=0.11, right=0.97, top=1 - 0.35 / height,
                                bottom=(0.9 if source else 0.6) / height, hspace=0.42)
        else:  # a still image (the report, a saved chart): laid out, its labels kept apart
            fig = Figure(figsize=(8, height + 0.6), layout="constrained")
        # A fixed title height: matplotlib otherwise measures every tick label to place it.
        with matplotlib.rc_context({"axes.titley": 1.0}):
            axes = fig.subplots(panels, 1, squeeze=False)[:, 0]
        name = self.dataset.series_info(view.choices.series).name
        view.result.plot(ax=axes[0], title=f"{name}: fit and counterfactual", source="")
        for text in list(axes[0].texts):
            if text.get_gid() == "its-source":
                text.remove()  # one source line for the figure, below
        axes[0].set_ylabel(f"{name} per year")
        axes[0].set_ylim(bottom=0)
        if view.profile is not None:
            view.profile.plot(axes[1], marks=view.dates,
                              title="Where the data put one lasting change (profile of fit)")
        if source and not reuse:
            plot.add_source_line(fig, self.source(view))
            fig.scrlib_alt = (
                f"{name} each year with the model's fit, its 95% band and the counterfactual "
                "without the policy changes, on an axis from zero"
                + (", and below, how well one lasting change fits at each date"
                   if view.profile is not None else "")
                + f"; lines mark {plot._join(list(view.dates))}.")
            from scrlib.reader import labels

            labels.declutter(fig)
        elif source:
            fig.text(0.01, 0.01, textwrap.fill(self.source(view), 150), fontsize=6.5,
                     color="0.2", va="bottom", ha="left")
        return fig

    def source(self, view: View) -> str:
        """The chart's "Source: ..." line, generated from the figures it draws."""
        from scrlib.record.cite import source_line

        ids = sorted({s for ids in view.data["source_ids"] for s in ids.split(";")})
        return source_line(self.dataset, ids)

    def png(self, view: View, *, fast: bool = False) -> bytes:
        """The figure as PNG bytes (no software or date in the metadata); ``fast``: for the
        live widget, which shows the source line as text, lightly compressed at 90 dpi."""
        buffer = io.BytesIO()
        self.figure(view, source=not fast, reuse=fast).savefig(
            buffer, format="png", metadata={"Software": None}, dpi=90 if fast else None,
            pil_kwargs={"compress_level": 1} if fast else None)
        return buffer.getvalue()

    def table(self, view: View) -> pd.DataFrame:
        """The effects as a reader table (small-sample intervals)."""
        from scrlib.reader import result_tables

        return result_tables.effects(view.result)

    def warnings_html(self, view: View) -> str:
        """The model's warnings as an HTML list (empty if there are none)."""
        import html

        if not view.result.warnings:
            return ""
        items = "".join(f"<li>{html.escape(w)}</li>" for w in view.result.warnings)
        return f'<ul class="scr-warnings">{items}</ul>'

    def estimate_html(self, view: View) -> str:
        """Each policy step as HTML a browser test can read (``span.scr-estimate``)."""
        import html

        parts = []
        for r in view.result.effects.itertuples(index=False):
            if r.effect != "step":
                continue
            parts.append(f'<span class="scr-estimate" data-policy="{html.escape(r.intervention)}"'
                         f' data-value="{r.rate_ratio:.6g}">{html.escape(r.intervention)}: '
                         f"{fmt.ratio(r.rate_ratio)} ({fmt.interval(r.ci_low, r.ci_high)})"
                         "</span>")
        return "<br>".join(parts)

    def bayes_html(self, view: View) -> str:
        """The Bayesian cross-check's probability of each explanation as an HTML table a browser
        test can read (``tr.scr-bayes``); empty where it cannot be made."""
        import html

        from scrlib.its.bayes import BASIS

        if view.bayes is None:
            return ""
        rows = "".join(
            f'<tr class="scr-bayes" data-explanation="{html.escape(r.explanation)}" '
            f'data-probability="{r.probability:.6g}"><td>{html.escape(r.explanation)}'
            f"{' (exploratory)' if r.basis == BASIS['suggested'] else ''}</td>"
            f"<td>{fmt.mc_probability(r.probability, r.probability_se)}</td></tr>"
            for r in view.bayes.explanations.itertuples(index=False))
        return ("<p><b>How probable is each explanation?</b> (Bayesian cross-check, default "
                "priors, each explanation equally likely beforehand)</p>"
                f'<table class="scr-bayes-table">{rows}</table>')

    def static(self, choices: Choices | None = None, chart: str = "") -> list:
        """The default state as ordinary outputs: the answer, the table and the chart (with its
        alt text; ``chart``: the name its files were saved under, so the page links them)."""
        from IPython.display import HTML, Image, Markdown

        from scrlib.record.cite import escape_markdown

        view = self.view(choices or Choices())
        note = f"*{LIVE_NOTE}*"
        warnings = "".join(f"\n- {escape_markdown(w)}" for w in view.result.warnings)
        fig = self.figure(view)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        about = {"chart": chart, "chart_data": True} if chart else None
        return [Markdown(note), Markdown(f"**Answer.** {escape_markdown(view.answer)}{warnings}"),
                HTML(self.estimate_html(view)), self.table(view), HTML(self.bayes_html(view)),
                Image(data=buffer.getvalue(), format="png", alt=self.alt(view),
                      metadata=about)]

    def alt(self, view: View) -> str:
        """The chart's alt text: a sentence or two on what it shows (its values are in the
        answer and the table above it)."""
        from scrlib.record.periods import fiscal_label
        from scrlib.record.records import human_date

        name = self.dataset.series_info(view.choices.series).name
        years = [fiscal_label(p) for p in view.data["fiscal_year"]]
        dates = "; ".join(f"{label}, {human_date(f'{when:%Y-%m}')}"
                          for label, when in view.dates.items())
        text = (f"A chart of {name} each year from {years[0]} to {years[-1]} on an axis from "
                "zero, with the model's fitted line and its 95% band, and the line it expects "
                "had nothing changed at "
                f"the policy dates, which are marked ({dates}).")
        if view.profile is not None:
            text += (" Below it, how well one lasting change fits when placed at each date, "
                     "with the chosen dates marked.")
        return text


def _plain(row) -> str:
    """One effect in plain words (no Markdown): estimate, interval, what the interval says, in
    the fit's own measure (a rate ratio, or a difference for least squares)."""
    what = "change in level" if row.effect == "step" else "change in trend"
    measure = str(row.measure).split(" per ")[0]
    if measure.startswith("difference"):
        null, shown = 0.0, (f"{row.rate_ratio:+.1f}", f"{row.ci_low:.1f} to {row.ci_high:.1f}")
    else:
        null, shown = 1.0, (fmt.ratio(row.rate_ratio), fmt.interval(row.ci_low, row.ci_high))
    covers = row.ci_low <= null <= row.ci_high
    return (f"{row.intervention}, {what}: {measure} {shown[0]} (95% interval {shown[1]}), "
            + ("which includes no change." if covers else "which excludes no change."))


def _same_model_note(frame: pd.DataFrame, dates: dict) -> str:
    """A note for each date that falls in a year with no figure: every date from there to the
    start of the next year with a figure gives the same model."""
    from scrlib.record.periods import fiscal_label

    years = pd.PeriodIndex(frame["fiscal_year"])
    notes = []
    for label, when in dates.items():
        year = pd.Period(pd.Timestamp(when), freq=years.freq)
        if years[0] < year < years[-1] and year not in set(years):
            following = min(y for y in years if y > year)
            notes.append(f" {label} falls in {fiscal_label(year)}, which has no figure, so any "
                         f"date from there to the start of {fiscal_label(following)} gives the "
                         "same model (the change shows from "
                         f"{fiscal_label(following)}).")
    return "".join(notes)


class ExplorerWidget:
    """The live explorer: ipywidgets controls over an :class:`Explorer`."""

    def __init__(self, explorer: Explorer, choices: Choices | None = None):
        import ipywidgets as w

        self.explorer = explorer
        self.choices = choices or Choices()
        self.view: View | None = None
        style = {"description_width": "13em"}
        layout = w.Layout(width="30em")
        x = self.explorer

        def dropdown(name, options, value):
            return w.Dropdown(options=options, value=value, description=name, style=style,
                              layout=layout)

        from scrlib.reader.result_tables import choice_value

        def worded(choice, values):
            return [(choice_value(choice, v, x.dataset), v) for v in values]

        c = self.choices
        self.series = dropdown("Series", worded("series", x.series_options()), c.series)
        labels = [(x.dataset.event(e).label, e) for e in x.event_options(c)]
        self.events = w.SelectMultiple(options=labels, value=c.events,
                                       description="Policy events", rows=len(labels),
                                       style=style, layout=layout)
        self.conflict = dropdown("Disputed counts", worded(
            "conflict_rule", ["recorded", "alternative", "lowest", "highest"]), c.conflict_rule)
        self.event_rule = dropdown("Disputed dates", worded("event_rule", design.EVENT_RULES),
                                   c.event_rule)
        self.family = dropdown("Family", worded("family", FAMILIES), c.family)
        self.effects = dropdown("Effects", worded("effects", design.EFFECTS), c.effects)
        self.transition = dropdown("Year with a date", worded("transition", design.TRANSITIONS),
                                   c.transition)
        self.leave_out = dropdown("Leave out", [("none", ""), *[(y, y) for y in
                                                               x.year_options(c)[1:]]],
                                  c.leave_out)
        self.dates = w.VBox()
        self.message = w.HTML()
        self.estimates = w.HTML()
        self.answer = w.HTML()
        self.table_out = w.Output()
        self.bayes = w.HTML()
        self.chart = w.Image(format="png")
        self.source = w.HTML()
        self.run = w.Button(description="Run the bootstraps (999 replicates)",
                            layout=w.Layout(width="30em"))
        self.progress = w.IntProgress(min=0, max=2, value=0, description="",
                                      layout=w.Layout(width="30em", visibility="hidden"))
        self.boot_out = w.Output()
        for control in (self.series, self.conflict, self.event_rule, self.family, self.effects,
                        self.transition, self.leave_out):
            control.observe(self._changed, names="value")
        self.events.observe(self._events_changed, names="value")
        self.run.on_click(self._bootstrap)
        self._build_dates()
        controls = w.VBox([self.series, self.events, self.dates, self.conflict, self.event_rule,
                           self.family, self.effects, self.transition, self.leave_out,
                           self.run, self.progress],
                          layout=w.Layout(min_width="37em", flex="0 0 37em"))
        self.results = w.VBox([self.estimates, self.answer, self.table_out, self.bayes,
                               self.chart, self.source, self.boot_out],
                              layout=w.Layout(flex="1 1 auto", min_width="30em"))
        self.stale = False
        self.stale_style = w.HTML("<style>.scr-stale { opacity: 0.4; filter: grayscale(1); }"
                                  "</style>")
        results = w.VBox([self.stale_style, self.message, self.results],
                         layout=w.Layout(flex="1 1 auto", min_width="30em"))
        self.widget = w.HBox([controls, results])
        self.widget.add_class("scr-explorer")
        self.refresh()

    def _build_dates(self) -> None:
        import ipywidgets as w

        rows = []
        for event_id in self.choices.events:
            months = self.explorer.date_options(self.choices, event_id)
            current = self.explorer.current_date(self.choices, event_id)
            value = min(months, key=lambda m: abs((m - current).days))
            label = self.explorer.dataset.event(event_id).label
            slider = w.SelectionSlider(options=[(_month_label(m), m) for m in months], value=value,
                                       description=label, continuous_update=False,
                                       style={"description_width": "13em"},
                                       layout=w.Layout(width="31em"))
            slider.add_class("scr-date")
            slider.observe(lambda change, e=event_id: self._moved(e, change["new"]),
                           names="value")
            free = w.Checkbox(value=event_id in self.choices.free, description="free",
                              indent=False, layout=w.Layout(width="5em"))
            free.observe(lambda change, e=event_id: self._freed(e, change["new"]),
                         names="value")
            rows.append(w.HBox([slider, free]))
        self.dates.children = rows

    def _moved(self, event_id: str, when) -> None:
        self.choices = self.choices.moved(event_id, when)
        self.refresh()

    def _freed(self, event_id: str, free: bool) -> None:
        chosen = set(self.choices.free) - {event_id} | ({event_id} if free else set())
        self.choices = self.choices.with_(free=tuple(sorted(chosen)))
        self._build_dates()

    def _events_changed(self, change) -> None:
        self.choices = self.choices.with_(events=tuple(change["new"]))
        self._build_dates()
        self.refresh()

    def _changed(self, _change) -> None:
        self.choices = self.choices.with_(
            series=self.series.value, conflict_rule=self.conflict.value,
            event_rule=self.event_rule.value, family=self.family.value,
            effects=self.effects.value, transition=self.transition.value,
            leave_out=self.leave_out.value)
        self.refresh()

    def refresh(self) -> None:
        """Refit and redraw; on an error show the message and keep the last good outputs."""
        import html

        try:
            view = self.explorer.view(self.choices)
        except ExploreError as err:
            kept = ("" if self.view is None else
                    " The results below are still those of the last choices that could be "
                    "fitted, not of these.")
            self.message.value = (f'<div class="scr-message" style="color:#8a1c1c">'
                                  f"{html.escape(str(err))}{kept}</div>")
            self.results.add_class("scr-stale")
            self.stale = True
            return
        self.view = view
        self.stale = False
        self.results.remove_class("scr-stale")
        self.message.value = ""
        self.estimates.value = self.explorer.estimate_html(view)
        self.answer.value = (f"<p>{html.escape(view.answer)}</p>"
                             + self.explorer.warnings_html(view))
        self.table_out.clear_output(wait=True)
        with self.table_out:
            from IPython.display import display

            display(self.explorer.table(view))
        self.bayes.value = self.explorer.bayes_html(view)
        self.chart.value = self.explorer.png(view, fast=True)
        self.source.value = (f'<div style="font-size:0.8em;color:#333">'
                             f"{html.escape(self.explorer.source(view))}</div>")

    def _bootstrap(self, _button) -> None:
        self.progress.layout.visibility = "visible"

        def tell(done, total, what):
            self.progress.max = total
            self.progress.value = done
            self.progress.description = what[:20]

        from scrlib.reader import result_tables

        scans = self.explorer.bootstrap(self.choices, progress=tell)
        self.boot_out.clear_output(wait=True)
        with self.boot_out:
            from IPython.display import display

            display(result_tables.scans(*scans))
        self.progress.layout.visibility = "hidden"


def _month_label(when: pd.Timestamp) -> str:
    """'Jul 2012' for a month's first day; '3 Jan 2012' for a day within a month."""
    return f"{when:%b %Y}" if when.day == 1 else f"{when.day} {when:%b %Y}"
