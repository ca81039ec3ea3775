# gluestar: one Makefile for set-up, the local run, tests and the wheel.
# `make run` and `make test` work on a fresh clone: they create .venv and install what they need.

PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
STAMP := $(VENV)/.installed-stamp
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' lib/gluestar/__init__.py)
WHEEL := dist/gluestar-$(VERSION)-py3-none-any.whl

RAW ?= data/raw/finance
OUT ?= output/processed
RUN_ID ?=
MASTER ?= local[2]
ROWS ?= 1000000
DATA_OUT ?= data/generated/finance

SPARK_ENV := PYSPARK_PYTHON=$(PY) PYSPARK_DRIVER_PYTHON=$(PY)
SPARK_SUBMIT := $(SPARK_ENV) $(abspath $(VENV))/bin/spark-submit --master '$(MASTER)' --driver-memory 2g \
	--conf spark.ui.showConsoleProgress=false --conf spark.sql.shuffle.partitions=8 \
	--driver-java-options '-Dlog4j2.configurationFile=file:$(abspath jobs/log4j2-local.properties)'

.PHONY: help venv run test test-fast wheel lint clean data

help:
	@echo "make run    - run the finance job on the bundled sample (output in $(OUT))"
	@echo "make test   - run the whole test suite"
	@echo "make wheel  - build $(WHEEL)"
	@echo "make lint   - ruff over the code"
	@echo "make data ROWS=n - generate a large GL extract in $(DATA_OUT)"
	@echo "make clean  - remove build output, outputs and the virtualenv"

$(STAMP): setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

$(WHEEL): $(STAMP) setup.py $(shell find lib schemas ddl -name "*.py" -o -name "*.json" -o -name "*.sql" -o -name py.typed)
	rm -rf build dist/gluestar-*.whl
	$(PY) -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .
	@echo "built $(WHEEL)"

wheel: $(WHEEL)

run: $(WHEEL)
	$(SPARK_SUBMIT) --py-files $(WHEEL) jobs/finance_star.py \
		--JOB_NAME finance_star --RAW_PATH $(RAW) --PROCESSED_PATH $(OUT) $(if $(RUN_ID),--RUN_ID $(RUN_ID))

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not e2e"

lint: $(STAMP)
	$(PY) -m ruff check lib tests jobs data
	$(PY) -m ruff format --check lib tests jobs data

data: $(STAMP)
	$(PY) data/generate_finance.py --rows $(ROWS) --out $(DATA_OUT)

clean:
	rm -rf build dist output spark-warehouse metastore_db derby.log .pytest_cache .ruff_cache
	rm -rf lib/*.egg-info $(VENV)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
