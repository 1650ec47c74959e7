"""scrlib.reader.explore: the explorer's logic and widget, without a browser (see tests/ui)."""

from __future__ import annotations

import pandas as pd
import pytest

from scrlib import its
from scrlib.reader import explore
from scrlib.reader.explore import Choices, ExploreError, Explorer, ExplorerWidget

OFSTED = "ofsted-evaluation-ends"


@pytest.fixture(scope="module")
def explorer(dataset) -> Explorer:
    return Explorer(dataset)


def test_default_view_is_the_specification_fit(explorer, dataset):
    view = explorer.view(Choices())
    direct = Choices().specification().fit(dataset)
    pd.testing.assert_frame_equal(view.result.effects, direct.effects)
    assert "Ofsted evaluation ends, change in level: rate ratio" in view.answer
    assert view.profile is not None and view.profile.replicates == 0


def test_the_model_warnings_are_shown_in_words_not_pointed_at(explorer):
    view = explorer.view(Choices())
    assert view.result.warnings  # one year between the two policies: the model says so
    count = len(view.result.warnings)
    assert f"gives {count} {'warning' if count == 1 else 'warnings'} " in view.answer
    assert "warning(s)" not in view.answer
    html = explorer.warnings_html(view)
    assert html.count("<li>") == len(view.result.warnings)
    assert "fewer than 3 cannot separate" in html
    answer = explorer.static()[1].data
    assert answer.count("\n- ") == len(view.result.warnings)


def test_moving_a_date_refits_at_that_date(explorer, dataset):
    moved = Choices().moved(OFSTED, "2012-10-01")
    view = explorer.view(moved)
    frame = Choices().specification().data(dataset)
    direct = its.fit(frame, outcome="count", time="fiscal_year", family="quasipoisson",
                     interventions={"Full publication": "2010-06-10",
                                    "Ofsted evaluation ends": "2012-10-01"})
    estimate = view.estimate("Ofsted evaluation ends")
    assert estimate == pytest.approx(direct.effects["rate_ratio"].iloc[1], rel=1e-9)
    assert estimate != pytest.approx(explorer.view(Choices()).estimate("Ofsted evaluation ends"))
    assert f'data-value="{estimate:.6g}"' in explorer.estimate_html(view)


def test_date_options_span_what_the_sources_allow_or_the_whole_series(explorer):
    panel = Choices(events=("national-panel-established",))
    months = explorer.date_options(panel, "national-panel-established")
    assert [f"{m:%Y-%m}" for m in months] == ["2013-06", "2013-07"]  # the two sources' dates
    free = explorer.date_options(panel.with_(free=("national-panel-established",)),
                                 "national-panel-established")
    # a change needs a whole year before it and one from it on: 2008-09 to the start of 2015-16
    assert f"{free[0]:%Y-%m}" == "2008-04" and f"{free[-1]:%Y-%m}" == "2015-04"
    for month in (free[0], free[-1]):  # every month offered can be fitted
        explorer.view(panel.with_(free=("national-panel-established",)).moved(
            "national-panel-established", month))


def test_a_date_bounded_by_an_earlier_event_starts_at_that_event(explorer, dataset):
    """The end of Ofsted's evaluation cannot precede the streamlined evaluation Ofsted's own
    page dates (``not_before``): the slider runs from that day to the recorded month."""
    options = explorer.date_options(Choices(), "ofsted-evaluation-ends")
    floor = dataset.events.set_index("event_id").loc["ofsted-streamlined-evaluation", "when"]
    assert options[0] == pd.Timestamp(floor)
    recorded = dataset.events.set_index("event_id").loc["ofsted-evaluation-ends", "when"]
    assert floor < recorded
    assert options[1:] == list(pd.period_range(floor, recorded, freq="M").start_time[1:])
    assert all(m.day == 1 for m in options[1:]) and options[-1] == recorded
    assert explore._month_label(options[0]) == f"{floor.day} {floor:%b %Y}"
    assert explore._month_label(options[-1]) == "Jul 2012"
    moved = explorer.view(Choices(dates=(("ofsted-evaluation-ends", options[0]),)))
    assert moved.estimate("Ofsted evaluation ends") > 0


def test_leaving_a_year_out_refits_without_it(explorer):
    view = explorer.view(Choices(leave_out="2014-15"))
    assert "2014-15" not in set(view.data["year"]) and view.result.n == 7


@pytest.mark.parametrize(("choices", "words"), [
    (Choices().moved(OFSTED, "2006-01-01"), "leaves no whole year of this series"),
    (Choices().moved(OFSTED, "2015-11-01"), "it can fall from April 2008 to April 2015"),
    (Choices(events=("no-such-event",)), "no source in data/events.csv"),
    (Choices(events=("full-publication", OFSTED, "working-together-2013"),
             effects="step+slope"), "cannot be fitted"),
])
def test_bad_choices_give_a_message_in_words(explorer, choices, words):
    with pytest.raises(ExploreError, match=words):
        explorer.view(choices)


def test_the_widget_shows_a_message_and_keeps_the_last_good_chart(explorer):
    widget = ExplorerWidget(explorer)
    chart, estimates = widget.chart.value, widget.estimates.value
    assert chart and "scr-estimate" in estimates and widget.message.value == ""
    widget.choices = widget.choices.moved(OFSTED, "2006-01-01")
    widget.refresh()
    assert "leaves no whole year" in widget.message.value
    assert "Traceback" not in widget.message.value
    assert widget.chart.value == chart and widget.estimates.value == estimates
    # the kept results are marked as belonging to the last good choices
    assert widget.stale and "scr-stale" in widget.results._dom_classes
    assert "last choices that could be fitted" in widget.message.value
    widget.family.value = "negativebinomial"  # a good change clears the message
    widget.choices = widget.choices.moved(OFSTED, "2012-07-01")
    widget.refresh()
    assert widget.message.value == "" and widget.chart.value != chart
    assert not widget.stale and "scr-stale" not in widget.results._dom_classes


def test_the_explorer_speaks_in_words_and_the_fit_s_own_measure(explorer):
    """Issue 25: least squares reports a difference, not a 'rate ratio'; options are named,
    not coded; every event is listed without scrolling; a date in a year with no figure says
    why moving it changes nothing."""
    gaussian = explorer.view(Choices(family="gaussian"))
    assert "rate ratio" not in gaussian.answer and "difference" in gaussian.answer
    widget = ExplorerWidget(explorer)
    assert ("quasi-Poisson", "quasipoisson") in widget.family.options
    assert all(label != value for label, value in widget.series.options)
    assert widget.events.rows == len(widget.events.options)
    january = explorer.view(Choices().moved(OFSTED, "2012-01-01"))
    april = explorer.view(Choices().moved(OFSTED, "2012-04-01"))
    assert "falls in 2011-12, which has no figure" in january.answer
    assert january.estimate("Ofsted evaluation ends") == pytest.approx(
        april.estimate("Ofsted evaluation ends"))


def test_static_outputs_and_the_bootstrap_button_logic(explorer):
    outputs = explorer.static()
    kinds = [type(o).__name__ for o in outputs]
    assert kinds == ["Markdown", "Markdown", "HTML", "DataFrame", "HTML", "Image"]
    assert "live version" in outputs[0].data and "make lab" not in outputs[0].data
    # the chart says what it shows, and promises no data file it was not saved with
    alt = outputs[-1].alt
    assert "on an axis from zero" in alt and "linked" not in alt and len(alt) < 400
    assert not outputs[-1].metadata
    linked = explorer.static(chart="06-explore-default")[-1]
    assert linked.metadata == {"chart": "06-explore-default", "chart_data": True}
    assert "How probable is each explanation?" in outputs[4].data
    told = []
    scans = explorer.bootstrap(Choices(), replicates=19, progress=lambda *a: told.append(a))
    assert [s.replicates for s in scans] == [19, 19] and told[-1] == (2, 2, "done")


def test_normalise_drops_live_widgets_and_their_saved_state(tmp_path):
    import nbformat

    from scrlib.publish.run import WIDGET_VIEW, normalise

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("explorer")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "text/plain": "HBox(children=...)", WIDGET_VIEW: {"model_id": "3f2a", "version_major": 2,
                                                         "version_minor": 0}}),
                    nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    normalise(path)
    again = nbformat.read(path, as_version=4)
    assert "widgets" not in again.metadata
    assert [o.output_type for o in again.cells[0].outputs] == ["stream"]


def test_a_fast_redraw_into_the_kept_figure_leaves_nothing_of_the_last_one(dataset):
    first, second = Choices(), Choices().moved(OFSTED, "2012-10-01")
    kept = Explorer(dataset)
    kept.png(kept.view(first), fast=True)
    again = kept.png(kept.view(second), fast=True)
    fresh = Explorer(dataset)
    assert again == fresh.png(fresh.view(second), fast=True)
    assert again != fresh.png(fresh.view(first), fast=True)


def test_the_bayesian_probabilities_follow_the_dates_and_match_scrlib(explorer):
    """Moving a date changes the probabilities of the explanations at the policy dates, to
    exactly what its.bayes gives for those dates, and leaves the data-placed ones (whose
    integrals are kept between views) as they were."""
    import re

    from scrlib.its import bayes

    before = explorer.view(Choices())
    moved = explorer.view(Choices().moved("ofsted-evaluation-ends", "2013-04-01"))
    p0 = before.bayes.explanations.set_index("explanation")["log_evidence"]
    p1 = moved.bayes.explanations.set_index("explanation")["log_evidence"]
    placed = [n for n in p0.index if "where the data put it" in n]
    assert placed and all(p0[n] == p1[n] for n in placed)
    steps = [n for n in p0.index if n.startswith("permanent steps")]
    assert p0[steps[0]] != p1[steps[0]]
    direct = bayes.posterior(moved.data, outcome="count", time="fiscal_year",
                             policy=moved.dates, draws=explorer.BAYES_DRAWS,
                             suggested=("temporary",))
    assert list(direct.explanations["probability"]) == list(
        moved.bayes.explanations["probability"])
    shown = dict(re.findall(r'data-explanation="([^"]+)" data-probability="([^"]+)"',
                            explorer.bayes_html(moved)))
    assert {k: float(v) for k, v in shown.items()} == pytest.approx(
        dict(zip(direct.explanations["explanation"], direct.explanations["probability"],
                 strict=True)), rel=1e-5)


def test_the_default_state_reads_for_a_reader_and_its_chart_is_described():
    """What the report's explore page shows: what the live version offers and where, in words
    for a reader (no make command), and alt text that says what the chart shows without listing
    its values or promising data it does not link."""
    import re

    from scrlib.record.load import load

    note = explore.LIVE_NOTE
    assert "make " not in note and "`" not in note
    assert "JupyterLab" in note and "move each policy date" in note
    explorer = explore.Explorer(load())
    view = explorer.view(explore.Choices())
    alt = explorer.alt(view)
    name = explorer.dataset.series_info(view.choices.series).name
    assert alt.startswith(f"A chart of {name}") and "linked below" not in alt
    assert all(label in alt for label in view.dates)
    assert len(re.findall(r"\b\d+(?:\.\d+)?\b", alt)) <= 8  # years and dates, not the values
