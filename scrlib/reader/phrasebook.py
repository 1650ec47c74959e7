"""Words of strength, computed from numbers: the one place such words are written.

Every word that says how strong a piece of evidence is ("about as much support", "moderate
evidence", "at the edge") comes from a table here, keyed by a number and its kind; no other
module types such a word beside a number (``tests/test_phrasebook.py`` greps the rest of
``scrlib/``). Each table cites where its thresholds come from, and says them as the source does:

* **A gap in AICc or QAICc** from the best model (:func:`gap`): Burnham and Anderson (2002,
  *Model Selection and Multimodel Inference*, 2nd ed., p. 70): "Models having Δi ≤ 2 have
  substantial support (evidence), those in which 4 ≤ Δi ≤ 7 have considerably less support, and
  models having Δi > 10 have essentially no support." They name no band between 2 and 4 or
  between 7 and 10; there the words here lie between theirs ("less support", "much less
  support"). The evidence ratio of the two models is exp(Δ / 2) (their section 2.10).
* **A Bayes factor** (:func:`bayes_factor`): Kass and Raftery (1995, "Bayes factors", *JASA*
  90, p. 777): 1 to 3 "not worth more than a bare mention", 3 to 20 "positive", 20 to 150
  "strong", above 150 "very strong". Below 1 the same scale read the other way round.
* **A p-value** (:func:`p_value`): the "language of evidence" of Muff, Nilsen, O'Hara and Nater
  (2022, *Trends in Ecology & Evolution* 37, 203-210, after Bland): below 0.001 "very strong
  evidence", 0.001 to 0.01 "strong evidence", 0.01 to 0.05 "moderate evidence", 0.05 to 0.1
  "weak evidence", above 0.1 "little or no evidence".
* **A simulated p-value and its Monte Carlo error** (:func:`simulated_p`): below 0.05, above
  it, or "at the edge" when its band of two standard errors holds 0.05.
* **An interval set against no change** (:func:`interval`): it excludes no change, includes
  it, or is "at the edge" when an end lies within ``NEAR`` (5%) of it on the ratio scale.
* **The grade of a test's basis** (:data:`GRADES`): independent of these data; taken from the
  same reports as these data; suggested by these data (exploratory). Only the first is called
  confirmatory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# -- AICc and QAICc gaps: Burnham and Anderson (2002), p. 70 ------------------------------------
# (upper end of the band, the words for a model this far above the best)
GAP_BANDS = ((2.0, "substantial support"),
             (4.0, "less support"),          # unnamed by Burnham and Anderson (between bands)
             (7.0, "considerably less support"),
             (10.0, "much less support"),    # unnamed by Burnham and Anderson (between bands)
             (math.inf, "essentially no support"))
GAP_SOURCE = "Burnham and Anderson 2002"

# -- Bayes factors: Kass and Raftery (1995), p. 777 --------------------------------------------
BAYES_FACTOR_BANDS = ((3.0, "not worth more than a bare mention"),
                      (20.0, "positive"),
                      (150.0, "strong"),
                      (math.inf, "very strong"))
BAYES_FACTOR_SOURCE = "Kass and Raftery 1995"

# -- p-values: Muff, Nilsen, O'Hara and Nater (2022) -------------------------------------------
P_BANDS = ((0.001, "very strong evidence"),
           (0.01, "strong evidence"),
           (0.05, "moderate evidence"),
           (0.1, "weak evidence"),
           (1.0, "little or no evidence"))
P_SOURCE = "Muff and others 2022"
LEVEL = 0.05  # the line a test is judged at (the level of the 95% intervals)

NEAR = 0.05  # an interval end within 5% of no change (on the ratio scale) is at the edge
EDGE = "at the edge"

# -- the basis of a test ---------------------------------------------------------------------
GRADES = {
    "independent": "fixed in advance, from sources independent of these counts",
    "same-reports": "fixed in advance, but dated by the same reports as these counts",
    "suggested": "suggested by these counts (exploratory)",
    "searched": "placed by a search over dates",
}
GRADE_SHORT = {"independent": "yes", "same-reports": "no: its dates come from the same reports",
               "suggested": "no: an explanation the data suggested is in it",
               "searched": "no: dates found by searching"}
CONFIRMATORY_HEADING = "Confirmatory"
NOT_CONFIRMATION = "exploratory, not a confirmation"
NOT_CONFIRMATORY = "not confirmatory"
TEST_BASIS = {"independent": "a confirmatory test",
              "same-reports": "a test at dates taken from the same reports as these counts",
              "suggested": "an exploratory test", "searched": "a test of searched dates"}


@dataclass(frozen=True)
class Band:
    """A number's band: its words, the band's index (0 the strongest or closest) and source."""

    words: str
    index: int
    source: str = ""


def _band(value: float, bands, source: str, *, inclusive: bool = True) -> Band:
    for i, (limit, words) in enumerate(bands):
        if value < limit or (inclusive and value == limit):
            return Band(words, i, source)
    return Band(bands[-1][1], len(bands) - 1, source)


# -- gaps -------------------------------------------------------------------------------------
def gap(delta: float) -> Band:
    """Burnham and Anderson's words for a model ``delta`` AICc (QAICc) units above the best:
    at most 2 "substantial support", 4 to 7 "considerably less support", above 10
    "essentially no support" (between: "less support", "much less support")."""
    delta = float(delta)
    if not math.isfinite(delta) or delta < 0:
        raise ValueError(f"a gap from the best model is 0 or more, not {delta!r}")
    return _band(delta, GAP_BANDS, GAP_SOURCE)


def evidence_ratio(delta: float) -> float:
    """How many times more support the best model has than one ``delta`` units above it."""
    return math.exp(float(delta) / 2)


def support_phrase(delta: float) -> str:
    """The words that set a model ``delta`` units above the best against it: "about as much
    support as", "considerably less support than", "essentially no support beside", ..."""
    band = gap(delta)
    if band.index == 0:
        return "about as much support as"
    if band.index == len(GAP_BANDS) - 1:
        return f"{band.words} beside"
    return f"{band.words} than"


def support_against(delta: float, worse: str, best: str) -> str:
    """A clause: how much support ``worse``, ``delta`` units above ``best``, has against it."""
    return f"{worse} has {support_phrase(delta)} {best}"


def about(ratio: float) -> str:
    """An evidence ratio or Bayes factor as a reader reads it: two significant figures with
    thousands separators ("240", "8.2"), "more than 1,000" beyond that."""
    ratio = float(ratio)
    if not math.isfinite(ratio) or ratio > 1000:
        return "more than 1,000"
    if ratio <= 0:
        return "0"
    digits = 1 - math.floor(math.log10(ratio))
    return f"{round(ratio, digits):,.{max(digits, 0)}f}"


# -- Bayes factors ----------------------------------------------------------------------------
def bayes_factor(factor: float) -> Band:
    """Kass and Raftery's words for a Bayes factor of ``factor`` in favour of a hypothesis
    (below 1, the same words for 1 / ``factor``, in favour of the other)."""
    factor = float(factor)
    if not factor > 0:
        raise ValueError(f"a Bayes factor is above 0, not {factor!r}")
    return _band(max(factor, 1 / factor), BAYES_FACTOR_BANDS, BAYES_FACTOR_SOURCE,
                 inclusive=False)


def bayes_factor_words(factor: float, se: float = 0.0) -> str:
    """'positive evidence' (etc.): Kass and Raftery's word as evidence for the hypothesis the
    factor favours; where the factor's Monte Carlo error ``se`` (two of them either way)
    reaches into the next band, "at the edge between" the two bands' words."""
    def words(band: Band) -> str:
        if band.index == 0:
            return "evidence not worth more than a bare mention"
        return f"{band.words} evidence"

    factor, se = float(factor), float(se) if se == se else 0.0
    low, high = (bayes_factor(max(factor - 2 * se, 1e-300)),
                 bayes_factor(factor + 2 * se))
    if factor >= 1 and low.index != high.index:
        return f"{EDGE} between {words(low)} and {words(high)}"
    return words(bayes_factor(factor))


def posterior_odds_factor(probability: float, prior: float) -> float:
    """The Bayes factor against a hypothesis given its posterior and prior probabilities
    (posterior odds against it over prior odds against it)."""
    probability, prior = float(probability), float(prior)
    return ((1 - probability) / probability) / ((1 - prior) / prior)


# -- p-values ---------------------------------------------------------------------------------
def p_value(p: float) -> Band:
    """The language of evidence (Muff and others 2022) for a p-value ``p``."""
    p = float(p)
    if not 0 <= p <= 1:
        raise ValueError(f"a p-value lies between 0 and 1, not {p!r}")
    return _band(p, P_BANDS, P_SOURCE, inclusive=False)


def evidence(p: float) -> str:
    """'moderate evidence' (etc.) for a p-value."""
    return p_value(p).words


def beyond_chance(p: float, level: float = LEVEL) -> bool:
    """True when ``p`` is at or below the level a test is judged at."""
    return float(p) <= level


def chance_words(p: float, level: float = LEVEL) -> str:
    """'more than chance' or 'not clearly more than chance' at ``level``."""
    return "more than chance" if beyond_chance(p, level) else "not clearly more than chance"


def would_be(p: float, level: float = LEVEL) -> str:
    """'would be more than chance' or 'would not clearly be more than chance'."""
    return ("would be more than chance" if beyond_chance(p, level)
            else "would not clearly be more than chance")


def simulated_p(p: float, se: float, level: float = LEVEL) -> str:
    """Where a simulated p-value with Monte Carlo standard error ``se`` lies against ``level``:
    "below", "above", or "at the edge" when its band of two standard errors holds the level."""
    if float(p) + 2 * float(se) <= level:
        return "below"
    if float(p) - 2 * float(se) > level:
        return "above"
    return EDGE


def simulated_together(pairs, level: float = LEVEL) -> str:
    """Several simulated p-values ``(p, se)`` read together: "below" when all are, "above" when
    all are, else "at the edge"."""
    found = {simulated_p(p, se, level) for p, se in pairs}
    return found.pop() if len(found) == 1 else EDGE


EDGE_READING = "read it as suggestive at most"  # what a result at the edge supports
NOT_BEYOND = "not clearly more than"  # a simulated p above the level, with its error


# -- intervals --------------------------------------------------------------------------------
def interval(low: float, high: float, null: float = 1.0) -> str:
    """How an interval stands against no change: "excludes", "includes", or "at the edge" when
    an end lies within ``NEAR`` of it (on the ratio scale; for a difference, ``null`` 0, within
    ``NEAR`` of the interval's width)."""
    low, high = float(low), float(high)
    if null == 0:
        margin = NEAR * abs(high - low)
        near = any(abs(e) <= margin for e in (low, high))
    else:
        near = any(math.isfinite(e) and e > 0 and abs(math.log(e / null)) <= math.log1p(NEAR)
                   for e in (low, high))
    if near:
        return EDGE
    return "includes" if low <= null <= high else "excludes"


def excludes(low: float, high: float, null: float = 1.0) -> bool:
    """True when the interval leaves no change outside it (whatever its distance)."""
    return not float(low) <= null <= float(high)


def clear_words(low: float, high: float, null: float = 1.0) -> str:
    """A change in words by its interval: "clear" where the interval excludes no change with
    neither end at the edge, "not clear" where it includes it, "at the edge" otherwise."""
    where = interval(low, high, null)
    return {"excludes": "clear", "includes": "not clear"}.get(where, EDGE)


def trend_words(low: float, high: float, estimate: float, years: int, up: str = "rise",
                down: str = "fall") -> str:
    """A yearly trend's direction by its rate-ratio interval, read over the ``years`` it is
    fitted to (each end raised to the power ``years - 1``, so "at the edge" means within
    ``NEAR`` of no change over the whole span, not in one year): "a clear rise", "a fall at the
    edge of no change", or "no clear rise or fall" where the interval includes no change."""
    span = max(int(years) - 1, 1)
    where = clear_words(float(low) ** span, float(high) ** span)
    way = up if float(estimate) > 1 else down
    if where == "clear":
        return f"a clear {way}"
    if where == EDGE:
        return f"a {way} {EDGE} of no change"
    return f"no clear {up} or {down}"


CLEARLY_DIFFERENT = "clearly different from no change"  # a 95% interval that excludes it


def clearly(low: float, high: float, null: float = 1.0) -> str:
    """"clearly" where the interval excludes no change with neither end at the edge, else
    "not clearly" (as in "not clearly different from")."""
    return "clearly" if clear_words(low, high, null) == "clear" else "not clearly"


def schools_agree(credible: tuple, confidence: tuple, null: float = 1.0) -> str:
    """Whether a credible and a confidence interval agree on no change, in a clause."""
    ends = [*credible, *confidence]
    if any(interval(e, e, null) == EDGE for e in ends):
        return ("an end of one of the intervals is too close to 1 to say whether it excludes "
                "no change, so read the probabilities instead")
    bayes_clear, freq_clear = excludes(*credible, null), excludes(*confidence, null)
    if bayes_clear == freq_clear:
        return ("both intervals exclude no change" if bayes_clear else
                "both intervals include no change")
    return ("only the " + ("credible" if bayes_clear else "confidence")
            + " interval excludes no change, so whether this change is clear depends on the "
              "school of inference: it is not a finding")


# -- the basis of a test ------------------------------------------------------------------------
def grade(code: str) -> str:
    """The basis of an explanation or test in words (``GRADES``)."""
    return GRADES[code]


def confirmatory(code: str) -> str:
    """Whether a nested test on this basis confirms anything: yes only when its dates are
    independent of the data (else "no: " and why)."""
    return GRADE_SHORT[code]


def test_basis(code: str) -> str:
    """A nested test named by its basis ("a confirmatory test", "an exploratory test", ...)."""
    return TEST_BASIS[code]


# -- the vocabulary --------------------------------------------------------------------------
# Every phrase of strength: no other module of scrlib writes one (tests/test_phrasebook.py).
VOCABULARY = (
    *(words for _, words in GAP_BANDS), "about as much support",
    *(f"{words} evidence" for _, words in BAYES_FACTOR_BANDS[1:]),
    BAYES_FACTOR_BANDS[0][1],
    *(words for _, words in P_BANDS),
    EDGE, "on the edge", "suggestive", EDGE_READING, "borderline", "marginally",
    "slightly", "clearly", "clear", "not clear", "about as well", "strongly", "convincing",
    "decisive", "confirmatory", "confirmation", "more than chance",
)
