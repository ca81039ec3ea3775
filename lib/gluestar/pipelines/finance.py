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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gluestar.cleaning import validate_source
from gluestar.columns import date_key
from gluestar.constants import (
    ACTUAL_SCENARIO,
    BATCH_ID_COLUMN,
    CORRUPT_RECORD_COLUMN,
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
from gluestar.contracts import (
    SourceContract,
    StarSchema,
    TableColumn,
    TableSpec,
    load_source_contract,
    load_star_schema,
)
from gluestar.dedup import resolve_against_published, resolve_duplicates
from gluestar.dimensions import MAX_DATE, MIN_DATE, conform_dimension, conform_to, date_dimension, latest_attributes
from gluestar.exceptions import ConfigurationError, SourceFileError
from gluestar.facts import lookup_key, year_month_partitions
from gluestar.faults import checkpoint
from gluestar.glue import configure_session
from gluestar.ledger import ledger_key, plan_files
from gluestar.locking import RunLock
from gluestar.ops.logs import log_context, set_log_context
from gluestar.quality import MetricsRepository, QualityReport, RunMetrics, check_engine, load_checks, run_quality_gate
from gluestar.quality.anomaly import history_depth
from gluestar.quality.checks import QualityCheck, validate_checks
from gluestar.redshift.files import SparkStorage
from gluestar.report import RunReport, attach_report, check_source, count_source
from gluestar.snapshots import (
    DATA_FOLDER,
    Snapshot,
    TableVersion,
    collect_garbage,
    commit_snapshot,
    current_snapshot,
    read_table_version,
    written_version,
)
from gluestar.sources import read_csv_source
from gluestar.storage import file_status, join_path, list_files, write_table, write_text
from gluestar.variance import compare_to_budget, is_favorable, variance, variance_pct

__all__ = [
    "PIPELINE",
    "FINANCE_SOURCES",
    "ACCEPTED_BUDGET",
    "FinanceRun",
    "run_finance",
    "build_dimensions",
    "build_gl_fact",
    "build_financials",
]

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
        with log_context(stage=name):
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


def _month_date(year: str = "year", month: str = "month") -> Column:
    return F.make_date(F.col(year), F.col(month), F.lit(1))


def build_gl_fact(
    transactions: DataFrame, dimensions: Mapping[str, DataFrame], star: StarSchema, run: FinanceRun
) -> DataFrame:
    """``fact_gl_transaction`` rows (with ``year``/``month``) of accepted, cleaned transactions."""
    department = lookup_key(dimensions["dim_department"], "department_key", {"department_code": "department_code"})
    account = lookup_key(dimensions["dim_account"], "account_key", {"account_number": "account_number"})
    return (
        transactions.select(
            "transaction_id", "transaction_date", "department_code", "account_number", "amount", "last_modified"
        )
        .transform(department)
        .transform(account)
        .withColumn("date_key", date_key(F.col("transaction_date")))
        .transform(year_month_partitions("transaction_date"))
        .withColumns(_audit(run))
        .transform(conform_to(star.table("fact_gl_transaction")))
    )


def _audit(run: FinanceRun) -> dict[str, Column]:
    return {
        BATCH_ID_COLUMN: F.lit(run.run_id),
        LOAD_TIMESTAMP_COLUMN: F.lit(run.load_timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")).cast("timestamp"),
    }


def build_financials(
    gl: DataFrame,
    budgets: DataFrame,
    dimensions: Mapping[str, DataFrame],
    star: StarSchema,
    run: FinanceRun,
) -> DataFrame:
    """``fact_financials``: monthly actuals of ``gl`` against every budget scenario of ``budgets``.

    ``gl`` holds ``fact_gl_transaction`` rows and ``budgets`` accepted budgets (``budget_month``,
    ``department_code``, ``account_number``, ``scenario``, ``budget_amount``), both for the same
    months: every month present in either gets its complete variance rows.
    """
    grain = [_MONTH, "department_key", "account_key"]
    actuals = (
        gl.withColumn(_MONTH, _month_date())
        .groupBy(*grain)
        .agg(F.sum("amount").alias("actual_amount"), F.count(F.lit(1)).alias("transaction_count"))
    )
    keyed_budgets = (
        budgets.select(
            F.col("budget_month").alias(_MONTH),
            "department_code",
            "account_number",
            F.col("scenario").alias("scenario_name"),
            "budget_amount",
        )
        .transform(lookup_key(dimensions["dim_department"], "department_key", {"department_code": "department_code"}))
        .transform(lookup_key(dimensions["dim_account"], "account_key", {"account_number": "account_number"}))
        .drop("department_code", "account_number")
    )
    scenarios = dimensions["dim_scenario"].filter(F.col("scenario_name") != F.lit(ACTUAL_SCENARIO))
    account_types = dimensions["dim_account"].select("account_key", F.col("account_type").alias("_account_type"))
    return (
        actuals.transform(compare_to_budget(keyed_budgets, scenarios, keys=grain))
        .join(F.broadcast(account_types), on="account_key", how="left")
        .transform(lookup_key(dimensions["dim_scenario"], "scenario_key", {"scenario_name": "scenario_name"}))
        .withColumn("date_key", date_key(F.col(_MONTH)))
        .withColumn("variance", variance(F.col("actual_amount"), F.col("budget_amount")))
        .withColumn("variance_pct", variance_pct(F.col("variance"), F.col("budget_amount")))
        .withColumn("is_favorable", is_favorable(F.col("_account_type"), F.col("variance")))
        .transform(year_month_partitions(_MONTH))
        .withColumns(_audit(run))
        .transform(conform_to(star.table("fact_financials")))
    )


def _source_file_seq(seq: Mapping[str, int]) -> Column:
    """The ledger sequence number of each row's file (``_source_file`` as Spark reports it)."""
    normalised = F.regexp_replace(F.col(SOURCE_FILE_COLUMN), r"^file:(//)?(?=/)", "")
    pairs = [item for path, number in sorted(seq.items()) for item in (F.lit(ledger_key(path)), F.lit(number))]
    return F.create_map(*pairs)[normalised].cast("int") if pairs else F.lit(None).cast("int")


def _empty_raw(spark: SparkSession, contract: SourceContract) -> DataFrame:
    schema = T.StructType(
        [T.StructField(c, T.StringType()) for c in (*contract.column_names, SOURCE_FILE_COLUMN, CORRUPT_RECORD_COLUMN)]
    )
    return spark.createDataFrame([], schema)


def _classify(
    spark: SparkSession,
    files: Sequence[str],
    contract: SourceContract,
    seq: Mapping[str, int],
    published: DataFrame | None,
) -> tuple[DataFrame, dict]:
    """Read, validate and deduplicate one source's files, then resolve them against the published rows."""
    if files:
        read = read_csv_source(spark, files, contract)
        raw = read.frame
        findings = {
            "files": list(read.files),
            "unknown_columns": read.unknown_columns,
            "missing_optional": read.missing_optional,
        }
    else:
        raw = _empty_raw(spark, contract)
        findings = {"files": [], "unknown_columns": {}, "missing_optional": {}}
    versioned = contract.version_column is not None
    classified = (
        raw.transform(validate_source(contract))
        .withColumn(FILE_SEQ_COLUMN, _source_file_seq(seq))
        .transform(
            resolve_duplicates(
                contract.key,
                columns=contract.column_names,
                version=contract.version_column,
                conflict_reason=contract.conflict_reason,
                tiebreak=None if versioned else FILE_SEQ_COLUMN,
            )
        )
    )
    if published is not None:
        compared = [c for c in published.columns if c != FILE_SEQ_COLUMN]
        classified = classified.transform(
            resolve_against_published(
                published,
                contract.key,
                columns=compared,
                version=contract.version_column or FILE_SEQ_COLUMN,
                conflict_reason=contract.conflict_reason,
            )
        )
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
        join_path(root, QUARANTINE_FOLDER, contract.name)
    )


#: Folder (under ``<processed_path>/finance``) of quality results and of the metrics repository.
QUALITY_FOLDER = "_quality"
#: Folder (under ``<processed_path>/finance``) of quarantined rows, ``<source>/batch_id=<run_id>``.
QUARANTINE_FOLDER = "_quarantine"
#: Column of a source row's file sequence number (the version of rows of sources without one).
FILE_SEQ_COLUMN = "_file_seq"

#: Internal state published with the star schema: the accepted budgets, by month, from which
#: ``fact_financials`` is recomputed for the months a later run touches.
ACCEPTED_BUDGET = TableSpec(
    name="accepted_budget",
    kind="fact",
    columns=tuple(
        TableColumn(name, kind, nullable)
        for name, kind, nullable in (
            ("budget_month", "date", False),
            ("department_code", "string", False),
            ("account_number", "string", False),
            ("scenario", "string", False),
            ("budget_amount", "decimal(18,2)", False),
            (FILE_SEQ_COLUMN, "int", False),
            ("year", "int", False),
            ("month", "int", False),
        )
    ),
    key=("budget_month", "department_code", "account_number", "scenario"),
    partition_by=("year", "month"),
)


def _metrics_repository(spark: SparkSession, root: str) -> MetricsRepository:
    return MetricsRepository(spark, join_path(root, QUALITY_FOLDER, "metrics"))


def _quality_gate(
    spark: SparkSession,
    root: str,
    tables: Mapping[str, DataFrame],
    checks: tuple[QualityCheck, ...],
    *,
    run_id: str,
    engine: str,
    report: RunReport,
) -> QualityReport:
    """Check the run's tables, write the results whatever they are, and stop the run on error failures."""
    depth = history_depth(checks)
    history = _metrics_repository(spark, root).load(limit=depth) if depth else []
    quality = run_quality_gate(spark, tables, checks, engine=engine, history=history, run_id=run_id)
    results = join_path(root, QUALITY_FOLDER, f"{run_id}.json")
    write_text(spark, results, quality.to_json())
    report.quality = {**quality.summary(), "results": results}
    quality.raise_for_errors(note=f"nothing was published; results in {results}")
    return quality


def _save_metrics(spark: SparkSession, root: str, metrics: RunMetrics, report: RunReport) -> None:
    """Append the run's metrics to the history; the run is published already, so a failure only warns."""
    try:
        _metrics_repository(spark, root).save(metrics)
    except Exception as exc:
        log.warning("could not save the quality metrics of run %s: %s", metrics.run_id, exc)
        report.messages.append(f"warning: the quality metrics of this run were not saved to the history: {exc}")


def _partition_keys(frame: DataFrame) -> list[str]:
    """The distinct ``year=Y/month=M`` partitions of a frame with ``year`` and ``month`` (one small job)."""
    rows = frame.select("year", "month").distinct().collect()  # a few rows: the months, never data rows
    return sorted(f"year={r['year']}/month={r['month']}" for r in rows if r["year"] is not None)


def _published_transactions(gl: DataFrame, dimensions: Mapping[str, DataFrame]) -> DataFrame:
    """Published GL rows in the cleaned transaction shape the run's rows are compared with."""
    departments = dimensions["dim_department"].select("department_key", "department_code")
    accounts = dimensions["dim_account"].select("account_key", "account_number")
    return (
        gl.join(F.broadcast(departments), on="department_key", how="left")
        .join(F.broadcast(accounts), on="account_key", how="left")
        .select(
            "transaction_id",
            F.to_date(F.col("date_key").cast("string"), "yyyyMMdd").alias("transaction_date"),
            "department_code",
            "account_number",
            "amount",
            "last_modified",
        )
    )


def _list_sources(
    spark: SparkSession, raw_path: str, contracts: Mapping[str, SourceContract], *, first_run: bool
) -> tuple[dict[str, list[str]], dict[str, tuple[int, int]]]:
    """Every raw file of every source with its size and modification time.

    A source without files is an error on a first run or a full refresh; later, a source whose
    files were all processed (and perhaps moved away) simply has nothing new.
    """
    files = {name: list_files(spark, raw_path, contract.file_pattern) for name, contract in contracts.items()}
    for name, found in files.items():
        if not found and first_run:
            raise SourceFileError(f"no {name} files matching {contracts[name].file_pattern!r} were found")
    statuses = {path: file_status(spark, path) for found in files.values() for path in found}
    return files, statuses


@dataclass
class _Run:
    """The moving parts of one run, for the stage helper."""

    spark: SparkSession
    report: RunReport
    lock: RunLock


@contextmanager
def _step(run: _Run, name: str) -> Iterator[None]:
    run.lock.renew()
    with _stage(run.spark, run.report, name):
        yield


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
    full_refresh: bool = False,
    lock_ttl_minutes: float = 120.0,
    retention_hours: float = 168.0,
) -> RunReport:
    """Run the finance pipeline end to end and return its report.

    A run reads only the raw files the published ledger does not list (or lists with another size
    or modification time), merges them into the published star schema and publishes a new
    snapshot: new dimension members get new keys, existing keys stay, the GL fact's months that
    gain, change or lose transactions are rewritten whole, and ``fact_financials`` is recomputed for
    every month the new transactions or budgets touch. Nothing is published before the quality gate
    passes; any failure leaves the published snapshot as it was (see :mod:`gluestar.snapshots`).

    Parameters
    ----------
    spark : SparkSession
        The session (from :func:`gluestar.glue.start_job` in a job).
    raw_path : str
        Folder holding ``transactions*.csv`` and ``budget*.csv`` (local path or S3 URI).
    processed_path : str
        Root of the processed zone; the pipeline's files go to ``<processed_path>/finance/``.
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
    full_refresh : bool, default False
        Read every raw file again and rebuild every fact and the budget state from them alone;
        dimension members keep their surrogate keys.
    lock_ttl_minutes : float, default 120
        Expiry of the run lock; every stage renews it.
    retention_hours : float, default 168
        How long superseded snapshots and their files stay readable before garbage collection.

    Returns
    -------
    RunReport
        Reconciliation of every source and row counts of the partitions the run published; also
        written to ``<processed_path>/finance/_runs/<run_id>.json``.

    Raises
    ------
    ConfigurationError
        If an option is invalid.
    LockError
        If another run holds the pipeline's lock.
    SourceFileError, SchemaContractError
        If a source has no file, a file is empty or lacks a required column.
    DataQualityError
        If every row of a file was quarantined, or an ``error`` quality check failed: nothing is
        published then, and the quality results are in ``<processed_path>/finance/_quality/``.
    """
    started = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    run_id = run_id or started.strftime("%Y%m%dT%H%M%S%fZ")
    if not _RUN_ID.match(run_id):
        raise ConfigurationError(
            f"run id {run_id!r} must start with a letter or digit and hold only letters, digits, '_', '.', '-'"
        )
    set_log_context(run_id=run_id, pipeline=PIPELINE)
    check_engine(quality_engine)
    if lock_ttl_minutes <= 0 or retention_hours < 0:
        raise ConfigurationError(
            f"the lock time-to-live must be positive and the retention not negative; "
            f"got {lock_ttl_minutes} minutes and {retention_hours} hours"
        )
    finance = FinanceRun(run_id, started.replace(tzinfo=None), fiscal_year_start_month)
    configure_session(spark)
    root = join_path(processed_path, PIPELINE)
    report = RunReport(
        PIPELINE,
        run_id,
        started_at=started.isoformat(timespec="seconds"),
        options={
            "raw_path": raw_path,
            "processed_path": processed_path,
            "fiscal_year_start_month": fiscal_year_start_month,
            "quality_engine": quality_engine,
            "full_refresh": full_refresh,
        },
    )
    contracts = {name: load_source_contract(PIPELINE, name, directory=schemas_dir) for name in FINANCE_SOURCES}
    star = load_star_schema(PIPELINE, directory=schemas_dir)
    checks = load_checks(PIPELINE, directory=checks_dir)
    validate_checks(checks, star)
    run = _Run(spark, report, RunLock(root, run_id, ttl_seconds=lock_ttl_minutes * 60))
    classified: dict[str, DataFrame] = {}
    try:
        with _stage(spark, report, "prepare"):
            run.lock.acquire()
            storage = SparkStorage(spark)
            previous = current_snapshot(storage, root)
            if previous is not None and run_id in previous.referenced_runs():
                raise ConfigurationError(
                    f"run id {run_id!r} is part of the published snapshot {previous.version}; "
                    "a new run needs a new run id"
                )
            # Whatever an earlier attempt with this run id left (it failed) is not this run's output.
            collect_garbage(spark, root, now=started, retention_hours=retention_hours)
            files, statuses = _list_sources(spark, raw_path, contracts, first_run=previous is None or full_refresh)
            plan = plan_files(statuses, previous.ledger if previous else {}, run_id=run_id, full_refresh=full_refresh)
        report.files = {"read": list(plan.to_read), "skipped": len(plan.skipped), "changed": list(plan.changed)}
        if not plan.to_read:
            report.status = "succeeded"
            last = previous.run_id if previous else "-"
            report.messages.append(
                f"no new or changed raw files since run {last}: nothing to do, the published state is unchanged"
            )
            return report
        incremental = previous is not None and not full_refresh
        published = previous.tables if previous else {}

        def current(spec: TableSpec, partitions: Sequence[str] | None = None) -> DataFrame:
            version = published.get(spec.name) if previous else None
            return read_table_version(spark, root, spec, version, partitions=partitions)

        existing = {
            spec.name: current(spec) if spec.name in published else None
            for spec in star.tables
            if spec.kind == "dimension"
        }
        to_read = set(plan.to_read)
        against: dict[str, DataFrame | None] = {"transactions": None, "budget": None}
        published_gl = None
        if incremental:
            if "fact_gl_transaction" in published:
                published_gl = current(star.table("fact_gl_transaction"))
                against["transactions"] = _published_transactions(published_gl, existing)
            if ACCEPTED_BUDGET.name in previous.state:
                against["budget"] = read_table_version(
                    spark, root, ACCEPTED_BUDGET, previous.state[ACCEPTED_BUDGET.name]
                ).drop("year", "month")
        for name, contract in contracts.items():
            with _step(run, "read_validate_dedup"):
                checkpoint("read")
                source_files = [f for f in files[name] if f in to_read]
                frame, findings = _classify(spark, source_files, contract, plan.seq, against[name])
                classified[name] = frame
                counts = count_source(name, frame, conflict_reason=contract.conflict_reason)
            counts.files = findings["files"]
            counts.unknown_columns = findings["unknown_columns"]
            counts.missing_optional_columns = findings["missing_optional"]
            report.sources.append(counts)
            with _step(run, "quarantine"):
                _write_quarantine(frame, contract, root, run_id)
            log.info("%s: %s rows read, %s accepted", name, counts.rows_read, counts.accepted)
        with _step(run, "quarantine"):
            for counts in report.sources:
                check_source(counts, join_path(root, QUARANTINE_FOLDER, counts.source))

        transactions = _accepted(classified["transactions"])
        new_budgets = _accepted(classified["budget"])
        budgets_for_dimensions = new_budgets.select(
            F.col("budget_month").alias(_MONTH),
            "department_code",
            "account_number",
            F.col("scenario").alias("scenario_name"),
            "budget_amount",
        )
        data = join_path(root, DATA_FOLDER, run_id)
        with _step(run, "dimensions"):
            checkpoint("transform")
            dimensions = build_dimensions(
                transactions, budgets_for_dimensions, star, existing, fiscal_year_start_month=fiscal_year_start_month
            )
            versions: dict[str, TableVersion] = {}
            staged: dict[str, DataFrame] = {}
            for name, frame in dimensions.items():
                spec = star.table(name)
                write_table(frame.coalesce(1), join_path(data, name), spec)
                versions[name] = written_version(spark, root, run_id, spec, None)
                staged[name] = read_table_version(spark, root, spec, versions[name])
        with _step(run, "facts"):
            gl_spec = star.table("fact_gl_transaction")
            new_gl = build_gl_fact(transactions, staged, star, finance)
            touched_gl = _partition_keys(transactions.transform(year_month_partitions("transaction_date")))
            if incremental and published_gl is not None:
                replaced = published_gl.join(
                    transactions.select("transaction_id"), on="transaction_id", how="left_semi"
                )
                touched_gl = sorted(set(touched_gl) | set(_partition_keys(replaced)))
                kept = current(gl_spec, touched_gl).join(
                    transactions.select("transaction_id"), on="transaction_id", how="left_anti"
                )
                new_gl = kept.unionByName(new_gl)
            write_table(new_gl, join_path(data, gl_spec.name), gl_spec)
            checkpoint("write")
            versions[gl_spec.name] = written_version(
                spark,
                root,
                run_id,
                gl_spec,
                published.get(gl_spec.name),
                touched=touched_gl,
                replace_all=not incremental,
            )

            budget_rows = new_budgets.select(
                *[c.name for c in ACCEPTED_BUDGET.columns if c.name not in ("year", "month")]
            ).transform(year_month_partitions("budget_month"))
            touched_budget = _partition_keys(budget_rows)
            previous_budget = previous.state.get(ACCEPTED_BUDGET.name) if previous else None
            if incremental and previous_budget is not None:
                kept_budget = read_table_version(
                    spark, root, ACCEPTED_BUDGET, previous_budget, partitions=touched_budget
                ).join(new_budgets.select(*ACCEPTED_BUDGET.key), on=list(ACCEPTED_BUDGET.key), how="left_anti")
                budget_rows = kept_budget.unionByName(budget_rows)
            write_table(budget_rows, join_path(data, ACCEPTED_BUDGET.name), ACCEPTED_BUDGET)
            budget_version = written_version(
                spark,
                root,
                run_id,
                ACCEPTED_BUDGET,
                previous_budget,
                touched=touched_budget,
                replace_all=not incremental,
            )

            months = sorted(set(touched_gl) | set(touched_budget))
            fin_spec = star.table("fact_financials")
            gl_months = read_table_version(spark, root, gl_spec, versions[gl_spec.name], partitions=months)
            budget_months = read_table_version(spark, root, ACCEPTED_BUDGET, budget_version, partitions=months)
            financials = build_financials(gl_months, budget_months, staged, star, finance)
            write_table(financials, join_path(data, fin_spec.name), fin_spec)
            versions[fin_spec.name] = written_version(
                spark, root, run_id, fin_spec, published.get(fin_spec.name), touched=months, replace_all=not incremental
            )
        with _step(run, "quality"):
            checkpoint("quality")
            checked = {
                spec.name: read_table_version(
                    spark, root, spec, versions[spec.name], partitions=months if spec.partition_by else None
                )
                for spec in star.tables
            }
            quality = _quality_gate(spark, root, checked, checks, run_id=run_id, engine=quality_engine, report=report)
        with _step(run, "publish"):
            for spec in star.tables:
                report.tables[spec.name] = int(quality.metric(spec.name, "row_count"))
                if spec.partition_by:
                    report.partitions_written[spec.name] = sorted(
                        k for k, p in versions[spec.name].partitions.items() if p.run_id == run_id
                    )
                    before = published[spec.name].partitions if spec.name in published else {}
                    dropped = sorted(set(before) - set(versions[spec.name].partitions))
                    if dropped:
                        report.partitions_dropped[spec.name] = dropped
            snapshot = Snapshot(
                pipeline=PIPELINE,
                version=(previous.version if previous else 0) + 1,
                run_id=run_id,
                committed_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                tables=versions,
                state={ACCEPTED_BUDGET.name: budget_version},
                ledger=plan.ledger,
                full_refresh=full_refresh,
            )
            checkpoint("publish")
            report.snapshot = commit_snapshot(spark, root, snapshot)
        report.status = "succeeded"
        _save_metrics(spark, root, RunMetrics(run_id, started.isoformat(), quality.metrics, PIPELINE), report)
    except Exception as exc:
        report.status = "failed"
        if report.failed_stage is None:
            report.failed_stage = "prepare"
        report.messages.append(f"error: {exc}")
        attach_report(exc, report)
        raise
    finally:
        report.finished_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        for frame in classified.values():
            frame.unpersist()
        try:
            write_text(spark, join_path(root, "_runs", f"{run_id}.json"), report.to_json())
        finally:
            run.lock.release()
    return report
