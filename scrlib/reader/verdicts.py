"""How the competing explanations stand, in words: the reader's verdict on
:func:`scrlib.its.explain`.

The statistics stage gives numbers and relations (the table of explanations with their
criterion, gap, weights and basis; the nested tests); this module says which explanation
leads, by how much and on which criterion, with every word of strength taken from
:mod:`scrlib.reader.phrasebook` (two explanations are close when their gap is in Burnham and
Anderson's first band or a nested test cannot tell them apart at the 5% level).
"""

from __future__ import annotations

import pandas as pd

from scrlib.its import fmt
from scrlib.reader import phrasebook


def _fixed(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["searched_dates"] == 0) & table["criterion"].notna()]


def judge(explanations, better: pd.Series, other: pd.Series):
    """How ``other`` stands against ``better`` (the one with the lower criterion), and the nested
    test between them (or None): "disagree" when the nested test prefers ``other`` (the larger
    model, p at or below the level) although the criterion prefers ``better``; "close" when the
    gap is in the phrasebook's first band or the nested test cannot tell them apart; else
    "worse"."""
    test = explanations.nested(better["explanation"], other["explanation"])
    if (test is not None and phrasebook.beyond_chance(test["p_value"])
            and other["coefficients"] > better["coefficients"]):
        return "disagree", test
    if phrasebook.gap(other["criterion"] - better["criterion"]).index == 0 or (
            test is not None and not phrasebook.beyond_chance(test["p_value"])):
        return "close", test
    return "worse", test


def leading(explanations):
    """(best, tied, disputed, rest) among the identified explanations at the policy dates: the
    best by the criterion, then the others by how they stand against it (:func:`judge`), each
    with the nested test between them (or None). (None, [], [], []) when none was fitted."""
    fixed = _fixed(explanations.table)
    if fixed.empty:
        return None, [], [], []
    best = fixed.iloc[0]
    groups = {"close": [], "disagree": [], "worse": []}
    for _, row in fixed.iloc[1:].iterrows():
        relation, test = judge(explanations, best, row)
        groups[relation].append((row, test))
    return best, groups["close"], groups["disagree"], groups["worse"]


def labelled(row) -> str:
    """An explanation's name, with its basis where that is not a firm one."""
    if row["basis"] == "suggested":
        return row["explanation"] + " (suggested by the data: exploratory)"
    return row["explanation"]


def p_words(p: float) -> str:
    """'p = 0.036, moderate evidence' (the language of evidence beside the number)."""
    return f"{fmt.p_phrase(p)}, {phrasebook.evidence(p)}"


def gap_words(explanations, worse: pd.Series, best: pd.Series, named=labelled) -> str:
    """'<worse> has considerably less support than <best> (QAICc 5.1 higher, evidence ratio
    about 13)'."""
    delta = float(worse["criterion"] - best["criterion"])
    return (f"{phrasebook.support_against(delta, named(worse), named(best))} "
            f"({explanations.criterion} {fmt.number(delta, 1)} higher, evidence ratio about "
            f"{phrasebook.about(phrasebook.evidence_ratio(delta))})")


def penalty_words(explanations, rows) -> str:
    """The small-sample penalty each of ``rows`` is charged at these points, as a clause: why
    two explanations a direct test cannot tell apart can still get very different weights."""
    seen = {}
    for r in rows:
        seen.setdefault(int(r["k"]), explanations.penalty(int(r["k"])))
    parts = [f"{fmt.number(v)} for {k} parameters" for k, v in sorted(seen.items(),
                                                                       reverse=True)]
    return (f"the small-sample penalty at {explanations.n} points ("
            + _join(parts) + ")")


def against_others(explanations, row: pd.Series, others, named=labelled) -> str:
    """For an explanation with less support than the best: what a nested test that is not
    exploratory says of it against each leading explanation (``others``) it is nested with, in
    a clause naming the test's basis, and where the criterion prefers the other way, by how
    much."""
    clauses = []
    for other in others:
        test = explanations.nested(row["explanation"], other["explanation"])
        if (test is None or test["exploratory"]
                or not phrasebook.beyond_chance(test["p_value"])):
            continue
        prefers_other = other["coefficients"] > row["coefficients"]
        winner, loser = (other, row) if prefers_other else (row, other)
        text = (f"{phrasebook.test_basis(test['basis'])} prefers {named(winner)} to "
                f"{named(loser)} ({p_words(test['p_value'])})")
        if winner["criterion"] > loser["criterion"]:
            delta = float(winner["criterion"] - loser["criterion"])
            text += (f", though {explanations.criterion} gives {named(winner)} "
                     f"{phrasebook.support_phrase(delta)} {named(loser)} "
                     f"({fmt.number(delta, 1)} higher, evidence ratio about "
                     f"{phrasebook.about(phrasebook.evidence_ratio(delta))}): the criterion "
                     "and the test disagree")
        clauses.append(text)
    return "; ".join(clauses)


def verdict(explanations) -> str:
    """The plain conclusion: first what allows for a search over dates, then the explanations
    at the policy dates (:func:`leading`), an exploratory one labelled, and no "fits best"
    while a nested test cannot tell the leading ones apart."""
    table = explanations.table
    scans = dict(enumerate(explanations.scans)) if explanations.scans else {}
    pieces = []
    for row in table[(table["searched_dates"] > 0) & table["deviance"].notna()].itertuples(
            index=False):
        scan = scans.get(row.searched_dates)
        if scan is None:
            continue
        kind = scan.description.split(" (")[0]
        when = row.explanation.split("(")[-1].rstrip(")")
        text = (f"Allowing for the search over dates, {kind} where the data put it ({when}) is "
                f"{phrasebook.chance_words(row.search_p)} "
                f"({fmt.p_phrase(row.search_p, scan.smallest_p)}, "
                f"{phrasebook.evidence(row.search_p)})")
        inside = list(scan.candidates.loc[scan.candidates["in_set"], "candidate"])
        text += (f"; {_join(inside)} {'lies' if len(inside) == 1 else 'lie'} inside its 95% "
                 "confidence set, so the data cannot tell "
                 f"{'it' if len(inside) == 1 else 'them'} apart from the best placement"
                 if inside else "; no policy date lies inside its 95% confidence set")
        pieces.append(text)

    best, tied, disputed, rest = leading(explanations)
    name = explanations.criterion
    if best is None:
        return ". ".join(pieces) + "." if pieces else ""
    if tied:
        names = [labelled(best), *(labelled(r) for r, _ in tied)]
        tests_words = "; ".join(
            f"against {r['explanation']}: nested {t['test']} {p_words(t['p_value'])}"
            + (f" ({phrasebook.NOT_CONFIRMATION})" if t["exploratory"] else "")
            for r, t in tied if t is not None)
        rows = [best, *(r for r, _ in tied)]
        weights = (f"{name} weights " + _join([fmt.number(r["weight"], 2) for r in rows])
                   + " with " + penalty_words(explanations, rows) + ", "
                   + _join([fmt.number(r["weight_no_penalty"], 2) for r in rows])
                   + " without it")
        text = (f"Among the explanations at the policy dates, the data cannot tell apart "
                f"{_join(names)} ({tests_words + '; ' if tests_words else ''}{weights})")
    elif disputed:
        text = f"Among the explanations at the policy dates, {name} favours {labelled(best)}"
    else:
        text = f"Among the explanations at the policy dates, {labelled(best)} fits best"
    for row, test in disputed:
        text += (f"; but a nested {test['test']} test prefers {labelled(row)} "
                 f"({p_words(test['p_value'])}"
                 + (f"; {phrasebook.NOT_CONFIRMATION}" if test["exploratory"] else "")
                 + "): the criterion and the test disagree, so the data do not settle which")
    leaders = [best, *(r for r, _ in tied), *(r for r, _ in disputed)]
    for row, _ in rest:
        text += "; " + gap_words(explanations, row, best)
        also = against_others(explanations, row, leaders)
        if also:
            text += f", and {also}"
    pieces.append(text)
    dropped = table[table["note"].astype(str).str.startswith("not identified")]
    out = ". ".join(pieces) + "."
    if len(dropped):
        out += (" Left out because these data do not identify them: "
                + "; ".join(dropped["explanation"]) + ".")
    return out


def _join(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
