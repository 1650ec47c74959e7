"""Simulation study: is the minimum detectable effect notebook 02 reports really detected 80% of
the time? (issue 24, point 1)

On notebook 02's design (quasi-Poisson steps at Full publication and the end of Ofsted
evaluation, the transition years as the sum of their parts), the smallest rise and fall at each
date are found as the notebook finds them (2,000 simulated series, the other effect held at its
estimate), then 10,000 further series (another seed) are drawn at each value and tested as the
fit tests them. Recorded beside it: the old approximation (every other effect at 0, a Wald test)
and its simulated power, which was about half what it claimed.

Run: ``python benchmarks/sim_power.py`` (about a minute on 2 cores; ``make simulate`` runs it
with the others). Writes ``benchmarks/results/sim_power.json``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from scrlib.its.power import minimum_detectable_effect, simulated_power  # noqa: E402
from scrlib.record.load import load  # noqa: E402
from scrlib.study.design import Specification  # noqa: E402

CHECK = 10_000


def main() -> int:
    started = time.perf_counter()
    result = Specification().fit(load())
    reported = minimum_detectable_effect(result, replicates=2000, seed=2012)
    old = minimum_detectable_effect(result, others="absent")
    rows = []
    for new, before in zip(reported.itertuples(index=False), old.itertuples(index=False),
                           strict=True):
        for side, value, was in (("rise", new.mde_increase, before.mde_increase),
                                 ("fall", new.mde_decrease, before.mde_decrease)):
            if not math.isfinite(value):
                continue
            share, se = simulated_power(result, new.intervention, "step", value,
                                        replicates=CHECK, seed=7)
            old_share = (simulated_power(result, new.intervention, "step", was,
                                         replicates=CHECK, seed=7, others="estimated")[0]
                         if math.isfinite(was) else None)
            rows.append({"policy": new.intervention, "side": side,
                         "reported": round(value, 4), "simulated_power": round(share, 4),
                         "monte_carlo_se": round(math.hypot(se, new.power_se), 4),
                         "old_approximation": None if not math.isfinite(was) else round(was, 4),
                         "its_power_under_the_fitted_model": old_share})
    ok = all(abs(r["simulated_power"] - 0.8) < 3 * r["monte_carlo_se"] for r in rows)
    out = {"design": "notebook 02 (quasipoisson, steps, sum of parts)", "check_series": CHECK,
           "rows": rows, "within_3_se_of_0.80": ok,
           "seconds": round(time.perf_counter() - started, 1)}
    path = PROJECT / "benchmarks" / "results" / "sim_power.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    for r in rows:
        print(f"{r['policy']:<24} {r['side']}: {r['reported']:.3f}  power {r['simulated_power']}"
              f" (MC se {r['monte_carlo_se']})  old {r['old_approximation']} -> "
              f"{r['its_power_under_the_fitted_model']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
