# Two commands on a fresh machine (only python3 and make needed):
#   make report   set up .venv, install the project, register its kernel, build reports/latest/
#   make test     the same set-up, then every test: data check, unit tests, nbval, lint
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.scrlib-installed

.PHONY: setup report test unit nbval lint check refresh lab bench simulate clean

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
unit: setup
	$(PY) -m pytest -n auto

# nbval: a notebook's cells run in order in one kernel, so pytest-randomly must not shuffle them.
nbval: setup
	$(PY) -m pytest -p no:randomly -n auto --dist loadscope --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg notebooks/

lint: setup
	$(VENV)/bin/ruff check .

test: lint check unit nbval

refresh: setup
	$(PY) -m scrlib refresh

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

bench: setup
	$(PY) benchmarks/bench_its.py
	$(PY) benchmarks/bench_breaks.py
	$(PY) benchmarks/bench_explore.py
	$(PY) benchmarks/bench_report.py

# The long simulation studies (about 30 minutes on 2 cores); results in benchmarks/results/.
simulate: setup
	$(PY) benchmarks/sim_breaks.py
	$(PY) benchmarks/sim_inference.py

clean:
	rm -rf $(VENV) reports/ .pytest_cache .ruff_cache
