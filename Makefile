# Two commands on a fresh machine (only python3 and make needed):
#   make report   set up .venv, install the project, register its kernel, build reports/latest/
#   make test-all the same set-up, then every test CI runs (make test, test-slow, numerics, ui-test)
# make test (lint, data check, unit tests, nbval; under 3 minutes) is the one to run before a commit.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.scrlib-installed

.PHONY: setup report test test-slow test-all unit nbval lint check refresh lab ui-test chromium screenshots bench \
	simulate bayes-check baselines numerics same-bytes clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name scrlib --display-name "Python (scrlib)"
	@$(PY) -c "import sys; print('scrlib set up in', sys.executable)"
	@touch $(STAMP)

setup: $(STAMP)

report: setup
	$(PY) -m scrlib report $(if $(CONFIG),--config $(CONFIG))

check: setup
	$(PY) -m scrlib check

# Tests run on every core (pytest-xdist); each passes alone and in any order (pytest-randomly).
# A module's tests stay on one worker (--dist loadscope), so its shared fixtures are built once.
# The tests marked slow (they build whole reports from the real notebooks, run every notebook end
# to end, or simulate hundreds of series) run in make test-slow, which CI runs too; make test
# keeps to under 3 minutes.
unit: setup
	$(PY) -m pytest -n auto --dist loadscope -m "not ui and not slow"

test-slow: setup
	$(PY) -m pytest -n auto --dist loadscope -m "slow and not ui"

# After an intended change to a chart: regenerate tests/baseline/ (review the images, then commit).
baselines: setup
	$(PY) -m pytest -p no:randomly tests/test_charts.py --mpl-generate-path=tests/baseline

# nbval: a notebook's cells run in order in one kernel; notebooks/conftest.py keeps them in file
# order whatever pytest-randomly does (so `pytest --nbval notebooks/` passes too).
nbval: setup
	$(PY) -m pytest -n auto --dist loadscope --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg notebooks/

lint: setup
	$(VENV)/bin/ruff check .

# The lint, the data check, the unit tests and nbval run side by side (the tests each on every
# core), so none waits for another's slow tail; each one's output is printed whole when it ends.
test: setup
	$(MAKE) --no-print-directory -j4 --output-sync=target lint check unit nbval

# Every test CI runs, one after another: make test, the slow tests, the numerical tests under
# other BLAS kernels, the browser tests.
test-all: setup
	$(MAKE) --no-print-directory test
	$(MAKE) --no-print-directory test-slow
	$(MAKE) --no-print-directory numerics
	$(MAKE) --no-print-directory ui-test

# The numerical tests once more under each OpenBLAS kernel and thread count that
# tests/blas_kernels.py picks from /proc/cpuinfo (two vector widths, one and several threads):
# every notebook (nbval), every chart (pytest-mpl) and the statistics' unit tests must pass
# against the same committed outputs. The variables are set per command, never globally.
NUMERIC_TESTS := tests/test_charts.py tests/test_digits.py tests/test_explore.py \
	$(wildcard tests/test_its*.py)
numerics: setup
	@set -e; for run in $$($(PY) tests/blas_kernels.py); do \
	  kernel=$${run%%:*}; threads=$${run##*:}; \
	  export OPENBLAS_NUM_THREADS=$$threads; \
	  if [ -n "$$kernel" ]; then export OPENBLAS_CORETYPE=$$kernel; fi; \
	  $(PY) tests/blas_kernels.py --check; \
	  $(PY) -m pytest -q -p no:randomly -n auto --dist loadscope --nbval --nbval-current-env \
	    --nbval-sanitize-with notebooks/sanitize.cfg notebooks/ $(NUMERIC_TESTS); \
	  unset OPENBLAS_CORETYPE; \
	done

# scr report under the machine's kernel and each kernel above: every file byte-identical (only
# the manifest's timing fields may differ); result in benchmarks/results/same_bytes.json.
same-bytes: setup
	$(PY) benchmarks/same_bytes.py

refresh: setup
	$(PY) -m scrlib refresh

# JupyterLab on the project's notebooks; they open with the project's kernel, "Python (scrlib)".
lab: setup
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

# In a real browser (Playwright driving Debian's chromium): every notebook runs in JupyterLab with
# no error, and the explorer's date slider moves the estimate to what scrlib computes.
ui-test: setup chromium
	$(PY) -m pytest -p no:randomly -m ui tests/ui

# Debian's chromium: installed when we can (root with apt), otherwise one line saying what to do.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "make ui-test needs Debian's chromium: as root, run apt-get install chromium" >&2; \
	    exit 1; \
	  fi; }

# The README's pictures: the explorer as the browser test saw it, and the first screen of the
# report make report builds (the browser test's report uses fewer replicates, so other numbers).
screenshots: ui-test report
	mkdir -p docs
	cp reports/ui/explorer.png docs/
	$(PY) tests/ui/screenshot.py

bench: setup
	$(PY) benchmarks/bench_its.py
	$(PY) benchmarks/bench_breaks.py
	$(PY) benchmarks/bench_explore.py
	$(PY) benchmarks/bench_report.py

# The long simulation studies (about 30 minutes on 2 cores); results in benchmarks/results/.
simulate: setup
	$(PY) benchmarks/sim_breaks.py
	$(PY) benchmarks/sim_inference.py
	$(PY) benchmarks/sim_power.py
	$(PY) benchmarks/sim_power_fall.py
	$(PY) benchmarks/sim_bayes.py

# The Bayesian cross-check against PyMC (NUTS and SMC; an optional extra, several minutes);
# result in benchmarks/results/bayes_pymc.json.
bayes-check: setup
	$(PY) -m pip install --quiet -c requirements.lock -e ".[test,bayes]"
	$(PY) benchmarks/bayes_pymc.py

clean:
	rm -rf $(VENV) reports/ .pytest_cache .ruff_cache
