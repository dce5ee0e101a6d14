# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1

.PHONY: run test lint demo bench install install-dev setup

# What runs the site and the workers.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU build of torch first (the version requirements.txt pins), or pip pulls a multi-GB CUDA build for lm-eval
	$(PY) -m pip install --quiet $$(grep '^torch==' requirements.txt)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Plus what the tests, the benchmarks and the linters use.
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py load_suites
	$(PY) manage.py reaper_schedule
	$(PY) manage.py collectstatic --noinput --verbosity 0

# gunicorn and a django-q2 cluster, as on a production host (DEBUG off unless DEBUG=1); Ctrl-C stops all of it.
run: setup
	$(PY) manage.py serve

demo: setup
	$(PY) manage.py demo

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports  # the layer contracts: [tool.importlinter] in pyproject.toml
	# types, with the django-stubs and DRF plugins ([tool.mypy] in pyproject.toml); the plugin loads the settings,
	# told of a database so that they start no embedded Postgres (mypy connects to none)
	DATABASE_URL=postgres://mypy@localhost/mypy SECRET_KEY=mypy $(VENV)/bin/mypy

# Three test processes by files (each its own database; the browser tests last in each): ~10 min on 2 cores.
PYTEST_ARGS ?= -n 3 --dist loadfile
test: lint
	HF_HOME=$(CURDIR)/.data/test-hf $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/evaluate_vs_cli.py
	$(PY) bench/ingest.py
	$(PY) bench/ranking.py
	$(PY) bench/samples.py
	$(PY) bench/compare.py
	$(PY) bench/import_leaderboard.py
