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

# `make run`: the finance job on the sample, then the same run loaded into a local PostgreSQL (the
# Redshift stand-in) when its server binaries exist. The run id is fixed up front so the load picks
# this run even when others write runs into $(OUT) at the same time.
PG_DIR ?= output/pg
PG_SCHEMA ?= finance
LOCAL_PG := $(PY) -m gluestar.redshift.local
.PHONY: run-load pg-start pg-stop

# $(call LOAD_LOCAL,run id or empty for the latest succeeded run)
define LOAD_LOCAL
if $(LOCAL_PG) available >/dev/null; then \
	$(LOCAL_PG) start --dir $(PG_DIR) && \
	$(SPARK_SUBMIT) --py-files $(WHEEL) jobs/load_redshift.py --JOB_NAME load_redshift --PROCESSED_PATH $(OUT) \
		$(if $(1),--RUN_ID $(1)) --REDSHIFT_EXECUTOR postgres --REDSHIFT_SCHEMA $(PG_SCHEMA) \
		$$($(LOCAL_PG) args --dir $(PG_DIR)) && \
	$(LOCAL_PG) kpis --dir $(PG_DIR) --schema $(PG_SCHEMA) && \
	echo "local PostgreSQL keeps running for queries: $$($(LOCAL_PG) status --dir $(PG_DIR)) (make pg-stop stops it)"; \
else \
	echo "PostgreSQL server binaries (initdb, pg_ctl) not found: the run was not loaded into a local stand-in."; \
	echo "Install PostgreSQL (e.g. apt-get install postgresql) and rerun, or point the loader at a real database:"; \
	echo "  Redshift (COPY reads S3: upload $(OUT) first):"; \
	echo "    spark-submit --py-files $(WHEEL) jobs/load_redshift.py --JOB_NAME load_redshift \\"; \
	echo "      --PROCESSED_PATH s3://<bucket>/processed --RUN_ID <run id> --REDSHIFT_SCHEMA finance \\"; \
	echo "      --REDSHIFT_EXECUTOR data_api --REDSHIFT_WORKGROUP <workgroup> --REDSHIFT_DATABASE <db> \\"; \
	echo "      --REDSHIFT_IAM_ROLE arn:aws:iam::<account>:role/<copy-role> [--REDSHIFT_SECRET_ID <name or ARN>]"; \
	echo "    (or --REDSHIFT_EXECUTOR connector --REDSHIFT_SECRET_ID <name or ARN> --REDSHIFT_IAM_ROLE <role ARN>)"; \
	echo "  any PostgreSQL (a password comes from ~/.pgpass, never an argument):"; \
	echo "    ... --PROCESSED_PATH $(OUT) --REDSHIFT_EXECUTOR postgres --PG_HOST <host> --PG_PORT 5432 --PG_USER <user> --PG_DATABASE <db>"; \
fi
endef

run: $(WHEEL)
	@run_id="$(or $(RUN_ID),$$($(PY) -c 'import datetime as d; print(d.datetime.now(d.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ"))'))"; \
	$(SPARK_SUBMIT) --py-files $(WHEEL) jobs/finance_star.py \
		--JOB_NAME finance_star --RAW_PATH $(RAW) --PROCESSED_PATH $(OUT) --RUN_ID "$$run_id" && \
	$(call LOAD_LOCAL,"$$run_id")

# Load a finished run (RUN_ID, default the latest succeeded one) into the local PostgreSQL and show KPI rows.
run-load: $(WHEEL)
	@$(call LOAD_LOCAL,$(RUN_ID))

pg-start: $(STAMP)
	$(LOCAL_PG) start --dir $(PG_DIR)

pg-stop: $(STAMP)
	$(LOCAL_PG) stop --dir $(PG_DIR)

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
