# gluestar: one Makefile for set-up, the local run, tests and the wheel.
# `make run` and `make test` work on a fresh clone: they create .venv and install what they need.

PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
STAMP := $(VENV)/.installed-stamp
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' lib/gluestar/__init__.py)
WHEEL := dist/gluestar-$(VERSION)-py3-none-any.whl

RAW ?=
OUT ?= output/processed
RUN_ID ?=
MASTER ?= local[2]
ROWS ?= 1000000
DATA_OUT ?= data/generated/finance

SPARK_ENV := PYSPARK_PYTHON=$(PY) PYSPARK_DRIVER_PYTHON=$(PY)
SPARK_SUBMIT := $(SPARK_ENV) $(abspath $(VENV))/bin/spark-submit --master '$(MASTER)' --driver-memory 2g \
	--conf spark.ui.showConsoleProgress=false --conf spark.sql.shuffle.partitions=8 \
	--driver-java-options '-Dlog4j2.configurationFile=file:$(abspath jobs/log4j2-local.properties)'

.PHONY: help venv run test test-fast soak wheel lint clean data bench deploy

help:
	@echo "make run    - run every pipeline on its bundled sample (output in $(OUT)), load each into a local PostgreSQL"
	@echo "make run-<pipeline> - one of: $(PIPELINES)"
	@echo "make test   - run the whole test suite"
	@echo "make soak [SOAK_RUNS=n] - many finance runs over random extracts with random faults"
	@echo "make wheel  - build $(WHEEL)"
	@echo "make lint   - ruff over the code"
	@echo "make data ROWS=n - generate a large GL extract in $(DATA_OUT)"
	@echo "make bench [ROWS=n[,m..]] - benchmark the finance job (default sizes $(BENCH_ROWS)); results in $(BENCH_OUT)"
	@echo "make run-load [RUN_ID=..] - load a finished run into the local PostgreSQL again"
	@echo "make pg-start / pg-stop - start or stop the local PostgreSQL in $(PG_DIR)"
	@echo "make deploy STACK=name - build the wheel, upload it and the job scripts, create or update the Glue jobs"
	@echo "make clean  - stop the local PostgreSQL, remove build output, outputs and the virtualenv"

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

# `make run`: every pipeline on its bundled sample, finance first (`make run-<pipeline>` runs one).
# When PostgreSQL's server binaries exist, a local cluster (the Redshift stand-in) is started first and
# each job loads its run into the schema named after its pipeline at the end, through the same loader
# code Redshift uses; a few rows of its KPI views follow. Without them the jobs run alone and say how
# to point the loader at a real database. RAW overrides the sample folder of a single run-<pipeline>.
PIPELINES := finance store_sales customer_transactions product_interactions json_orders
PG_DIR ?= output/pg
PIPELINE ?= finance
PG_SCHEMA ?= $(PIPELINE)
LOCAL_PG := $(PY) -m gluestar.redshift.local
PIPELINE_JOB = $(SPARK_SUBMIT) --py-files $(WHEEL) jobs/$(1)_star.py --JOB_NAME $(1)_star \
	--RAW_PATH $(or $(RAW),data/raw/$(1)) --PROCESSED_PATH $(OUT) $(if $(RUN_ID),--RUN_ID $(RUN_ID))
.PHONY: run-load pg-start pg-stop $(addprefix run-,$(PIPELINES))

define NO_POSTGRES
echo "PostgreSQL server binaries (initdb, pg_ctl) not found: the run was not loaded into a local stand-in."; \
echo "Install PostgreSQL (e.g. apt-get install postgresql) and rerun, or point the loader at a real database:"; \
echo "  Redshift (COPY reads S3: upload $(OUT) first):"; \
echo "    spark-submit --py-files $(WHEEL) jobs/load_redshift.py --JOB_NAME load_redshift \\"; \
echo "      --PROCESSED_PATH s3://<bucket>/processed --RUN_ID <run id> --REDSHIFT_SCHEMA finance \\"; \
echo "      --REDSHIFT_EXECUTOR data_api --REDSHIFT_WORKGROUP <workgroup> --REDSHIFT_DATABASE <db> \\"; \
echo "      --REDSHIFT_IAM_ROLE arn:aws:iam::<account>:role/<copy-role> [--REDSHIFT_SECRET_ID <name or ARN>]"; \
echo "    (or --REDSHIFT_EXECUTOR connector --REDSHIFT_SECRET_ID <name or ARN> --REDSHIFT_IAM_ROLE <role ARN>)"; \
echo "  any PostgreSQL (a password comes from ~/.pgpass, never an argument):"; \
echo "    ... --PROCESSED_PATH $(OUT) --REDSHIFT_EXECUTOR postgres --PG_HOST <host> --PG_PORT 5432 --PG_USER <user> --PG_DATABASE <db>"
endef

define SHOW_KPIS
$(LOCAL_PG) kpis --dir $(PG_DIR) --schema $(1) --rows 3 && \
echo "local PostgreSQL keeps running for queries: $$($(LOCAL_PG) status --dir $(PG_DIR)) (make pg-stop stops it)"
endef

define RUN_PIPELINE
if $(LOCAL_PG) available >/dev/null; then \
	$(LOCAL_PG) start --dir $(PG_DIR) && \
	$(call PIPELINE_JOB,$(1)) --REDSHIFT_EXECUTOR postgres --REDSHIFT_SCHEMA $(1) $$($(LOCAL_PG) args --dir $(PG_DIR)) && \
	$(call SHOW_KPIS,$(1)); \
else \
	$(call PIPELINE_JOB,$(1)) && $(NO_POSTGRES); \
fi
endef

run: $(WHEEL)
	@for pipeline in $(PIPELINES); do \
		echo "== make run-$$pipeline"; $(MAKE) --no-print-directory run-$$pipeline || exit 1; \
	done

$(addprefix run-,$(PIPELINES)): run-%: $(WHEEL)
	@$(call RUN_PIPELINE,$*)

# Load a published run of PIPELINE (RUN_ID, default the latest published one) into the local PostgreSQL
# (schema PG_SCHEMA, default the pipeline's name) and show KPI rows.
run-load: $(WHEEL)
	@if $(LOCAL_PG) available >/dev/null; then \
		$(LOCAL_PG) start --dir $(PG_DIR) && \
		$(SPARK_SUBMIT) --py-files $(WHEEL) jobs/load_redshift.py --JOB_NAME load_redshift --PROCESSED_PATH $(OUT) \
			--PIPELINE $(PIPELINE) $(if $(RUN_ID),--RUN_ID $(RUN_ID)) --REDSHIFT_EXECUTOR postgres --REDSHIFT_SCHEMA $(PG_SCHEMA) \
			$$($(LOCAL_PG) args --dir $(PG_DIR)) && \
		$(call SHOW_KPIS,$(PG_SCHEMA)); \
	else \
		$(NO_POSTGRES); \
	fi

pg-start: $(STAMP)
	$(LOCAL_PG) start --dir $(PG_DIR)

pg-stop: $(STAMP)
	$(LOCAL_PG) stop --dir $(PG_DIR)

test: $(STAMP)
	$(PY) -m pytest

# `make soak [SOAK_RUNS=n]`: the finance soak test with more runs than the 3 of `make test`.
SOAK_RUNS ?= 12
soak: $(STAMP)
	$(PY) -m pytest -m soak --soak-runs $(SOAK_RUNS) tests/reliability

test-fast: $(STAMP)
	$(PY) -m pytest -m "not e2e"

lint: $(STAMP)
	$(PY) -m ruff check lib tests jobs data
	$(PY) -m ruff format --check lib tests jobs data

data: $(STAMP)
	$(PY) data/generate_finance.py --rows $(ROWS) --out $(DATA_OUT)

# `make bench`: generate extracts and time the finance job (spark-submit, local[2], driver 4g) at each
# size, twice: the second run reads the extract plus its delta file (the keys exist, two months are
# rebuilt). Per-stage Spark metrics and the peak memory of the process tree. `make bench ROWS=10000000`
# (or a comma-separated list) picks the sizes; without ROWS on the command line BENCH_ROWS applies.
# BENCH_ARGS passes more options, e.g. BENCH_ARGS=--load.
BENCH_ROWS ?= 1000000,10000000
BENCH_OUT ?= output/bench
BENCH_ARGS ?=
BENCH_SIZES = $(if $(filter command line environment,$(origin ROWS)),$(ROWS),$(BENCH_ROWS))

bench: $(WHEEL)
	$(PY) data/bench_finance.py --rows $(BENCH_SIZES) --wheel $(WHEEL) --out $(BENCH_OUT) $(BENCH_ARGS)

# `make deploy STACK=gluestar [REGION=eu-west-1]`: the stack of infra/gluestar.yaml must exist (see the README).
STACK ?=
REGION ?=
deploy: $(WHEEL)
	@test -n "$(STACK)" || { echo "make deploy needs STACK=<CloudFormation stack name>"; exit 2; }
	$(VENV)/bin/gluestar deploy --stack $(STACK) --wheel $(WHEEL) $(if $(REGION),--region $(REGION))

clean:
	-@[ -x $(PY) ] && $(LOCAL_PG) stop --dir $(PG_DIR) 2>/dev/null || true
	rm -rf build dist output spark-warehouse metastore_db derby.log .pytest_cache .ruff_cache
	rm -rf lib/*.egg-info $(VENV)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
