# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1

.PHONY: run test demo bench install setup

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU build of torch first, or pip pulls a multi-GB CUDA build for lm-eval
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py load_suites
	$(PY) manage.py reaper_schedule

run: setup
	$(PY) manage.py serve

demo: setup
	$(PY) manage.py demo

test: install
	HF_HOME=$(CURDIR)/.data/test-hf $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/evaluate_vs_cli.py
	$(PY) bench/ingest.py
	$(PY) bench/ranking.py
	$(PY) bench/samples.py
