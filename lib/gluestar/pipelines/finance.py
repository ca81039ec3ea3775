"""The finance pipeline: GL transactions and budgets in, a published finance star schema out.

Stages, in order:

1. **read** every ``transactions*.csv`` and ``budget*.csv`` under ``raw_path`` (headers checked);
2. **validate** each row against its source contract (bad rows are quarantined with a reason);
3. **deduplicate** (exact copies collapse, newest version wins, conflicts are quarantined);
4. **dimensions** with stable surrogate keys: ``dim_date``, ``dim_department``, ``dim_account``,
   ``dim_scenario``;
5. **facts**: ``fact_gl_transaction`` and the variance fact ``fact_financials``;
6. **write** every table to a staging folder;
7. **quality gate**: the checks of ``schemas/finance/checks.json`` run on the staged tables; the
   results go to ``_quality/<run_id>.json``; a failed ``error`` check deletes the staging folder
   and stops the run (nothing is published), ``warning`` failures are reported;
8. **publish**: dimensions replaced whole, fact partitions (``year``/``month``) replaced for the
   months this run carries; then the run's metrics are appended to ``_quality/metrics/``;
9. **report**: the reconciliation of every source and each table's row count.

Examples
--------
>>> report = run_finance(spark, "data/raw/finance", "/tmp/gluestar-out")  # doctest: +SKIP
>>> report.reconciles  # doctest: +SKIP
True
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluestar.cleaning import validate_source
from gluestar.columns import date_key
from gluestar.constants import (
    ACTUAL_SCENARIO,
    BATCH_ID_COLUMN,
    DEFAULT_BUDGET_SCENARIO,
    LOAD_TIMESTAMP_COLUMN,
    RAW_COLUMN,
    REJECT_REASON_COLUMN,
    REJECT_RULES_COLUMN,
    SOURCE_FILE_COLUMN,
    STATUS_ACCEPTED,
    STATUS_COLUMN,
    STATUS_QUARANTINED,
    UNKNOWN_LABEL,
)
from gluestar.contracts import SourceContract, StarSchema, TableSpec, load_source_contract, load_star_schema
from gluestar.dedup import resolve_duplicates
from gluestar.dimensions import MAX_DATE, MIN_DATE, conform_dimension, conform_to, date_dimension, latest_attributes
from gluestar.exceptions import ConfigurationError
from gluestar.facts import lookup_key, year_month_partitions
from gluestar.glue import configure_session
from gluestar.quality import MetricsRepository, QualityReport, RunMetrics, check_engine, load_checks, run_quality_gate
from gluestar.quality.anomaly import history_depth
from gluestar.quality.checks import QualityCheck, validate_checks
from gluestar.report import RunReport, attach_report, check_source, count_source
from gluestar.sources import read_csv_source
from gluestar.storage import (
    delete_path,
    join_path,
    list_files,
    list_partitions,
    publish_tables,
    read_table,
    write_table,
    write_text,
)
from gluestar.variance import compare_to_budget, is_favorable, variance, variance_pct

__all__ = ["PIPELINE", "FINANCE_SOURCES", "FinanceRun", "run_finance", "build_dimensions", "build_facts"]

log = logging.getLogger("gluestar.finance")

PIPELINE = "finance"
FINANCE_SOURCES = ("transactions", "budget")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_MONTH = "month_date"


@dataclass(frozen=True)
class FinanceRun:
    """What identifies one run: its id, its timestamp and its options."""

    run_id: str
    load_timestamp: dt.datetime
    fiscal_year_start_month: int = 1


@contextmanager
def _stage(spark: SparkSession, report: RunReport, name: str) -> Iterator[None]:
    """Time a pipeline stage into the report (seconds, cumulative per name).

    The Spark jobs the stage starts carry the job group ``gluestar:<name>`` and the description
    ``<name>`` (in the Spark UI and the event log, which ``data/bench_finance.py`` reads); the
    previous values of both local properties are restored on exit.
    """
    context = spark.sparkContext
    labels = {"spark.jobGroup.id": f"gluestar:{name}", "spark.job.description": name}
    previous = {key: context.getLocalProperty(key) for key in labels}
    for key, value in labels.items():
        context.setLocalProperty(key, value)
    began = time.perf_counter()
    try:
        yield
    except BaseException:
        if report.failed_stage is None:
            report.failed_stage = name
        raise
    finally:
        for key, value in previous.items():
            context.setLocalProperty(key, value)  # None removes the property
        elapsed = time.perf_counter() - began
        report.stage_seconds[name] = round(report.stage_seconds.get(name, 0.0) + elapsed, 3)
        log.info("stage %s took %.1f s", name, elapsed)


def _accepted(classified: DataFrame) -> DataFrame:
    return classified.filter(F.col(STATUS_COLUMN) == F.lit(STATUS_ACCEPTED))


def _type1_dimension(
    spec: TableSpec,
    transactions: DataFrame,
    budgets: DataFrame,
    existing: DataFrame | None,
) -> DataFrame:
    """Members from accepted transactions (latest attributes) plus budget-only inferred members."""
    natural_key = list(spec.natural_key)
    attributes = [c for c in spec.column_names if c not in spec.key and c not in natural_key]
    from_transactions = transactions.transform(
        latest_attributes(natural_key, attributes, order_by=["last_modified", "transaction_id"])
    )
    budget_only = budgets.select(*natural_key).distinct().join(from_transactions, on=natural_key, how="left_anti")
    members = from_transactions.unionByName(budget_only, allowMissingColumns=True)
    unknown = {c: UNKNOWN_LABEL for c in attributes}
    return members.transform(conform_dimension(spec, existing=existing, unknown_member=unknown))


def _scenario_dimension(spec: TableSpec, budgets: DataFrame, existing: DataFrame | None) -> DataFrame:
    spark = budgets.sparkSession
    fixed = spark.createDataFrame([(ACTUAL_SCENARIO,), (DEFAULT_BUDGET_SCENARIO,)], "scenario_name string")
    members = fixed.unionByName(budgets.select("scenario_name")).distinct()
    return members.transform(conform_dimension(spec, existing=existing))


def _date_bounds(transactions: DataFrame, budgets: DataFrame, existing: DataFrame | None) -> DataFrame:
    bounds = [
        transactions.agg(F.min("transaction_date").alias(MIN_DATE), F.max("transaction_date").alias(MAX_DATE)),
        budgets.agg(F.min(_MONTH).alias(MIN_DATE), F.max(_MONTH).alias(MAX_DATE)),
    ]
    if existing is not None:
        bounds.append(existing.agg(F.min("full_date").alias(MIN_DATE), F.max("full_date").alias(MAX_DATE)))
    frame = bounds[0]
    for other in bounds[1:]:
        frame = frame.unionByName(other)
    return frame


def build_dimensions(
    transactions: DataFrame,
    budgets: DataFrame,
    star: StarSchema,
    existing: Mapping[str, DataFrame | None],
    *,
    fiscal_year_start_month: int = 1,
) -> dict[str, DataFrame]:
    """Build the four finance dimensions from accepted rows and the published dimensions.

    ``transactions`` are accepted, cleaned transactions; ``budgets`` accepted budgets with
    ``month_date`` and ``scenario_name``; ``existing`` maps a dimension name to its published frame
    (or None).
    """
    return {
        "dim_date": _date_bounds(transactions, budgets, existing.get("dim_date"))
        .transform(date_dimension(fiscal_year_start_month=fiscal_year_start_month))
        .transform(conform_to(star.table("dim_date"))),
        "dim_department": _type1_dimension(
            star.table("dim_department"), transactions, budgets, existing.get("dim_department")
        ),
        "dim_account": _type1_dimension(star.table("dim_account"), transactions, budgets, existing.get("dim_account")),
        "dim_scenario": _scenario_dimension(star.table("dim_scenario"), budgets, existing.get("dim_scenario")),
    }


def build_facts(
    transactions: DataFrame,
    budgets: DataFrame,
    dimensions: Mapping[str, DataFrame],
    star: StarSchema,
    run: FinanceRun,
) -> dict[str, DataFrame]:
    """Build ``fact_gl_transaction`` and ``fact_financials`` against published-or-staged dimensions."""
    department = lookup_key(dimensions["dim_department"], "department_key", {"department_code": "department_code"})
    account = lookup_key(dimensions["dim_account"], "account_key", {"account_number": "account_number"})
    audit = {
        BATCH_ID_COLUMN: F.lit(run.run_id),
        LOAD_TIMESTAMP_COLUMN: F.lit(run.load_timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")).cast("timestamp"),
    }
    gl = (
        transactions.select(
            "transaction_id", "transaction_date", "department_code", "account_number", "amount", "last_modified"
        )
        .transform(department)
        .transform(account)
        .withColumn("date_key", date_key(F.col("transaction_date")))
        .transform(year_month_partitions("transaction_date"))
        .withColumns(audit)
        .transform(conform_to(star.table("fact_gl_transaction")))
    )

    grain = [_MONTH, "department_code", "account_number"]
    actuals = (
        transactions.withColumn(_MONTH, F.trunc("transaction_date", "month"))
        .groupBy(*grain)
        .agg(F.sum("amount").alias("actual_amount"), F.count(F.lit(1)).alias("transaction_count"))
    )
    scenarios = dimensions["dim_scenario"].filter(F.col("scenario_name") != F.lit(ACTUAL_SCENARIO))
    variance_amount = variance(F.col("actual_amount"), F.col("budget_amount"))
    financials = (
        actuals.transform(compare_to_budget(budgets, scenarios, keys=grain))
        .transform(department)
        .transform(
            lookup_key(
                dimensions["dim_account"],
                "account_key",
                {"account_number": "account_number"},
                attributes={"account_type": "_account_type"},
            )
        )
        .transform(lookup_key(dimensions["dim_scenario"], "scenario_key", {"scenario_name": "scenario_name"}))
        .withColumn("date_key", date_key(F.col(_MONTH)))
        .withColumn("variance", variance_amount)
        .withColumn("variance_pct", variance_pct(F.col("variance"), F.col("budget_amount")))
        .withColumn("is_favorable", is_favorable(F.col("_account_type"), F.col("variance")))
        .transform(year_month_partitions(_MONTH))
        .withColumns(audit)
        .transform(conform_to(star.table("fact_financials")))
    )
    return {"fact_gl_transaction": gl, "fact_financials": financials}


def _classify(spark: SparkSession, raw_path: str, contract: SourceContract) -> tuple[DataFrame, dict]:
    files = list_files(spark, raw_path, contract.file_pattern)
    read = read_csv_source(spark, files, contract)
    classified = read.frame.transform(validate_source(contract)).transform(
        resolve_duplicates(
            contract.key,
            columns=contract.column_names,
            version=contract.version_column,
            conflict_reason=contract.conflict_reason,
        )
    )
    findings = {
        "files": list(read.files),
        "unknown_columns": read.unknown_columns,
        "missing_optional": read.missing_optional,
    }
    return classified.persist(StorageLevel.MEMORY_AND_DISK), findings


def _write_quarantine(classified: DataFrame, contract: SourceContract, root: str, run_id: str) -> None:
    quarantined = classified.filter(F.col(STATUS_COLUMN) == F.lit(STATUS_QUARANTINED)).select(
        *[F.col(f"{RAW_COLUMN}.{c}").alias(c) for c in contract.column_names],
        F.col(SOURCE_FILE_COLUMN).alias("source_file"),
        REJECT_REASON_COLUMN,
        REJECT_RULES_COLUMN,
        F.lit(run_id).alias(BATCH_ID_COLUMN),
    )
    quarantined.coalesce(1).write.mode("overwrite").partitionBy(BATCH_ID_COLUMN).parquet(
        join_path(root, "_quarantine", contract.name)
    )


#: Folder (under ``<processed_path>/finance``) of quality results and of the metrics repository.
QUALITY_FOLDER = "_quality"


def _metrics_repository(spark: SparkSession, root: str) -> MetricsRepository:
    return MetricsRepository(spark, join_path(root, QUALITY_FOLDER, "metrics"))


def _quality_gate(
    spark: SparkSession,
    root: str,
    staging: str,
    star: StarSchema,
    checks: tuple[QualityCheck, ...],
    *,
    run_id: str,
    engine: str,
    report: RunReport,
) -> QualityReport:
    """Check the staged tables, write the results whatever they are, and stop the run on error failures."""
    staged = {spec.name: spark.read.schema(spec.schema).parquet(join_path(staging, spec.name)) for spec in star.tables}
    depth = history_depth(checks)
    history = _metrics_repository(spark, root).load(limit=depth) if depth else []
    quality = run_quality_gate(spark, staged, checks, engine=engine, history=history, run_id=run_id)
    results = join_path(root, QUALITY_FOLDER, f"{run_id}.json")
    write_text(spark, results, quality.to_json())
    report.quality = {**quality.summary(), "results": results}
    quality.raise_for_errors(note=f"nothing was published; results in {results}")
    return quality


def _row_count(spark: SparkSession, quality: QualityReport, spec: TableSpec, path: str) -> int:
    """A staged table's row count: from the gate's profile when it has one, else one count."""
    try:
        return int(quality.metric(spec.name, "row_count"))
    except KeyError:
        return spark.read.schema(spec.schema).parquet(path).count()


def _save_metrics(spark: SparkSession, root: str, metrics: RunMetrics, report: RunReport) -> None:
    """Append the run's metrics to the history; the run is published already, so a failure only warns."""
    try:
        _metrics_repository(spark, root).save(metrics)
    except Exception as exc:
        log.warning("could not save the quality metrics of run %s: %s", metrics.run_id, exc)
        report.messages.append(f"warning: the quality metrics of this run were not saved to the history: {exc}")


def run_finance(
    spark: SparkSession,
    raw_path: str,
    processed_path: str,
    *,
    run_id: str | None = None,
    fiscal_year_start_month: int = 1,
    schemas_dir: str | None = None,
    now: dt.datetime | None = None,
    quality_engine: str = "auto",
    checks_dir: str | None = None,
) -> RunReport:
    """Run the finance pipeline end to end and return its report.

    Parameters
    ----------
    spark : SparkSession
        The session (from :func:`gluestar.glue.start_job` in a job).
    raw_path : str
        Folder holding ``transactions*.csv`` and ``budget*.csv`` (local path or S3 URI).
    processed_path : str
        Root of the processed zone; tables go to ``<processed_path>/finance/<table>``.
    run_id : str, optional
        Identifier of the run (letters, digits, ``_ . -``); the batch id of its rows. Defaults to
        the UTC start time, e.g. ``20250301T120000123456Z``.
    fiscal_year_start_month : int, default 1
        First month of the fiscal year, for ``dim_date``.
    schemas_dir : str, optional
        A folder laid out like ``schemas/`` to use instead of the contracts inside the wheel.
    now : datetime, optional
        The run's load timestamp (UTC); defaults to the current time.
    quality_engine : {"auto", "native", "deequ"}, default "auto"
        Engine of the quality gate: ``auto`` uses pydeequ where the Deequ jar is on the classpath
        and the native Spark engine elsewhere; ``deequ`` fails when the jar is missing.
    checks_dir : str, optional
        A folder laid out like ``schemas/`` whose ``finance/checks.json`` replaces the quality
        checks inside the wheel.

    Returns
    -------
    RunReport
        Reconciliation of every source and row counts of every table; also written to
        ``<processed_path>/finance/_runs/<run_id>.json``.

    Raises
    ------
    ConfigurationError
        If an option is invalid.
    SourceFileError, SchemaContractError
        If a source file is missing, empty or lacks a required column.
    DataQualityError
        If every row of a source was rejected, or an ``error`` quality check failed: nothing is
        published then, the published tables stay as they were, and the quality results are in
        ``<processed_path>/finance/_quality/<run_id>.json``.
    """
    started = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    run_id = run_id or started.strftime("%Y%m%dT%H%M%S%fZ")
    if not _RUN_ID.match(run_id):
        raise ConfigurationError(
            f"run id {run_id!r} must start with a letter or digit and hold only letters, digits, '_', '.', '-'"
        )
    check_engine(quality_engine)
    run = FinanceRun(run_id, started.replace(tzinfo=None), fiscal_year_start_month)
    configure_session(spark)
    root = join_path(processed_path, PIPELINE)
    staging = join_path(root, "_staging", run_id)
    report = RunReport(
        PIPELINE,
        run_id,
        started_at=started.isoformat(timespec="seconds"),
        options={
            "raw_path": raw_path,
            "processed_path": processed_path,
            "fiscal_year_start_month": fiscal_year_start_month,
        },
    )
    contracts = {name: load_source_contract(PIPELINE, name, directory=schemas_dir) for name in FINANCE_SOURCES}
    star = load_star_schema(PIPELINE, directory=schemas_dir)
    checks = load_checks(PIPELINE, directory=checks_dir)
    validate_checks(checks, star)
    report.options["quality_engine"] = quality_engine
    classified: dict[str, DataFrame] = {}
    try:
        for name, contract in contracts.items():
            with _stage(spark, report, "read_validate_dedup"):
                frame, findings = _classify(spark, raw_path, contract)
                classified[name] = frame
                counts = count_source(name, frame, conflict_reason=contract.conflict_reason)
            counts.files = findings["files"]
            counts.unknown_columns = findings["unknown_columns"]
            counts.missing_optional_columns = findings["missing_optional"]
            report.sources.append(counts)
            with _stage(spark, report, "quarantine"):
                _write_quarantine(frame, contract, root, run_id)
            log.info("%s: %s rows read, %s accepted", name, counts.rows_read, counts.accepted)
        with _stage(spark, report, "quarantine"):
            for counts in report.sources:
                check_source(counts, join_path(root, "_quarantine", counts.source))

        transactions = _accepted(classified["transactions"])
        budgets = _accepted(classified["budget"]).select(
            F.col("budget_month").alias(_MONTH),
            "department_code",
            "account_number",
            F.col("scenario").alias("scenario_name"),
            "budget_amount",
        )
        with _stage(spark, report, "dimensions"):
            existing = {
                spec.name: read_table(spark, join_path(root, spec.name), spec)
                for spec in star.tables
                if spec.kind == "dimension"
            }
            dimensions = build_dimensions(
                transactions, budgets, star, existing, fiscal_year_start_month=fiscal_year_start_month
            )
            staged_dimensions = {}
            for name, frame in dimensions.items():
                spec = star.table(name)
                write_table(frame.coalesce(1), join_path(staging, name), spec)
                staged_dimensions[name] = read_table(spark, join_path(staging, name), spec)
        with _stage(spark, report, "facts"):
            facts = build_facts(transactions, budgets, staged_dimensions, star, run)
            for name, frame in facts.items():
                write_table(frame, join_path(staging, name), star.table(name))
        with _stage(spark, report, "quality"):
            quality = _quality_gate(
                spark, root, staging, star, checks, run_id=run_id, engine=quality_engine, report=report
            )
        with _stage(spark, report, "publish"):
            for spec in star.tables:
                report.tables[spec.name] = _row_count(spark, quality, spec, join_path(staging, spec.name))
                if spec.partition_by:
                    report.partitions_written[spec.name] = list_partitions(
                        spark, join_path(staging, spec.name), spec.partition_by
                    )
            publish_tables(spark, staging, root, star.tables)
            delete_path(spark, staging)
        report.status = "succeeded"
        _save_metrics(spark, root, RunMetrics(run_id, started.isoformat(), quality.metrics, PIPELINE), report)
    except Exception as exc:
        report.status = "failed"
        report.messages.append(f"error: {exc}")
        attach_report(exc, report)
        delete_path(spark, staging)
        raise
    finally:
        report.finished_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        for frame in classified.values():
            frame.unpersist()
        write_text(spark, join_path(root, "_runs", f"{run_id}.json"), report.to_json())
    return report
