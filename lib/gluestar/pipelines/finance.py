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
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from gluestar.columns import date_key
from gluestar.constants import ACTUAL_SCENARIO, DEFAULT_BUDGET_SCENARIO, UNKNOWN_LABEL
from gluestar.contracts import StarSchema, TableColumn, TableSpec
from gluestar.dimensions import conform_dimension, conform_to, latest_attributes
from gluestar.facts import lookup_key, year_month_partitions
from gluestar.faults import checkpoint
from gluestar.parallel import run_concurrently
from gluestar.pipelines.runner import (
    FILE_SEQ_COLUMN,
    QUALITY_FOLDER,
    QUARANTINE_FOLDER,
    PipelineRun,
    Published,
    RunOptions,
    accepted,
    audit_columns,
    partition_keys,
)
from gluestar.pipelines.star import conformed_dates
from gluestar.report import RunReport
from gluestar.variance import compare_to_budget, is_favorable, variance, variance_pct

__all__ = [
    "PIPELINE",
    "FINANCE_SOURCES",
    "ACCEPTED_BUDGET",
    "FinanceRun",
    "run_finance",
    "build_dimensions",
    "transaction_members",
    "build_gl_fact",
    "build_financials",
    "QUALITY_FOLDER",
    "QUARANTINE_FOLDER",
    "FILE_SEQ_COLUMN",
]

log = logging.getLogger("gluestar.finance")

PIPELINE = "finance"
FINANCE_SOURCES = ("transactions", "budget")
_MONTH = "month_date"


@dataclass(frozen=True)
class FinanceRun:
    """What identifies one run: its id, its timestamp and its options."""

    run_id: str
    load_timestamp: dt.datetime
    fiscal_year_start_month: int = 1


#: The order that picks a member's latest attributes: the newest transaction version, then the greatest id.
_LATEST = ("last_modified", "transaction_id")


def _attributes(spec: TableSpec) -> list[str]:
    return [c for c in spec.column_names if c not in spec.key and c not in spec.natural_key]


def transaction_members(transactions: DataFrame, star: StarSchema) -> DataFrame:
    """What the dimensions need from the transactions, in one aggregation: a row per department and account.

    Each row holds the attributes of the pair's latest transaction for the department
    (``_department``) and for the account (``_account``), each with its ordering
    (``last_modified``, ``transaction_id``), and the pair's first and last transaction dates. A
    department's latest attributes are the greatest over its pairs, so the dimensions read this
    small frame (at most departments x accounts rows) instead of every transaction, once each.

    Examples
    --------
    >>> import datetime as dt
    >>> from gluestar.contracts import load_star_schema
    >>> rows = spark.createDataFrame([("T1", dt.date(2025, 1, 2), "D1", "Ops", "BU", "4000", "Sales", "Revenue", "C",
    ...     dt.datetime(2025, 1, 2))], "transaction_id string, transaction_date date, department_code string, "
    ...     "department_name string, business_unit string, account_number string, account_name string, "
    ...     "account_type string, category string, last_modified timestamp")
    >>> transaction_members(rows, load_star_schema("finance")).first()._department.department_name
    'Ops'
    """

    def latest(spec: TableSpec) -> Column:
        return F.max(F.struct(*[F.col(c) for c in (*_LATEST, *_attributes(spec))]))

    return transactions.groupBy("department_code", "account_number").agg(
        latest(star.table("dim_department")).alias("_department"),
        latest(star.table("dim_account")).alias("_account"),
        F.min("transaction_date").alias("first_date"),
        F.max("transaction_date").alias("last_date"),
    )


def _type1_dimension(
    spec: TableSpec,
    members: DataFrame,
    latest: str,
    budgets: DataFrame,
    existing: DataFrame | None,
) -> DataFrame:
    """Members from the transactions (latest attributes) plus budget-only inferred members."""
    natural_key = list(spec.natural_key)
    attributes = _attributes(spec)
    from_transactions = members.select(*natural_key, f"{latest}.*").transform(
        latest_attributes(natural_key, attributes, order_by=list(_LATEST))
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


def build_dimensions(
    members: DataFrame,
    budgets: DataFrame,
    star: StarSchema,
    existing: Mapping[str, DataFrame | None],
    *,
    fiscal_year_start_month: int = 1,
) -> dict[str, DataFrame]:
    """Build the four finance dimensions from accepted rows and the published dimensions.

    ``members`` is :func:`transaction_members` of the accepted, cleaned transactions (persist it:
    every dimension reads it); ``budgets`` accepted budgets with ``month_date`` and
    ``scenario_name``; ``existing`` maps a dimension name to its published frame (or None).
    """
    return {
        "dim_date": conformed_dates(
            star.table("dim_date"),
            [(members, "first_date"), (members, "last_date"), (budgets, _MONTH)],
            existing.get("dim_date"),
            fiscal_year_start_month=fiscal_year_start_month,
        ),
        "dim_department": _type1_dimension(
            star.table("dim_department"), members, "_department", budgets, existing.get("dim_department")
        ),
        "dim_account": _type1_dimension(
            star.table("dim_account"), members, "_account", budgets, existing.get("dim_account")
        ),
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
    return audit_columns(run.run_id, run.load_timestamp)


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


class _PublishedTransactions:
    """The published GL rows the run's transactions can replace, read only in the months that hold them.

    Called with the run's candidate keys (see :func:`gluestar.pipelines.runner.classify_source`):
    one scan of the published fact's ``transaction_id`` column (and the month partition columns)
    finds the months holding those ids, and only those months are read whole. A revision that
    moves a transaction to another month is still found: the lookup is by id, not by date.
    """

    def __init__(self, run: PipelineRun, dimensions: Mapping[str, DataFrame | None]) -> None:
        self.run = run
        self.spec = run.star.table("fact_gl_transaction")
        self.dimensions = dimensions
        #: ``year=Y/month=M`` partitions holding the run's keys; None until called.
        self.months: list[str] | None = None

    def __call__(self, keys: DataFrame) -> DataFrame:
        ids = self.run.read_current(self.spec).select("transaction_id", *self.spec.partition_by)
        self.months = partition_keys(ids.join(keys.select("transaction_id"), on="transaction_id", how="left_semi"))
        return _published_transactions(self.rows(), self.dimensions)

    def rows(self) -> DataFrame:
        """The published fact rows of :attr:`months` (every month before the lookup ran)."""
        return self.run.read_current(self.spec, self.months)


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
    options = RunOptions(
        run_id=run_id,
        now=now,
        schemas_dir=schemas_dir,
        checks_dir=checks_dir,
        quality_engine=quality_engine,
        full_refresh=full_refresh,
        lock_ttl_minutes=lock_ttl_minutes,
        retention_hours=retention_hours,
        fiscal_year_start_month=fiscal_year_start_month,
    )
    details = {"fiscal_year_start_month": fiscal_year_start_month}
    with PipelineRun(spark, PIPELINE, FINANCE_SOURCES, raw_path, processed_path, options, details=details) as run:
        if run.prepare():
            _merge(run)
    return run.report


def _merge(run: PipelineRun) -> None:
    """Merge the run's new files into the published finance star schema and publish it."""
    star = run.star
    finance = FinanceRun(run.run_id, run.load_timestamp, run.options.fiscal_year_start_month)
    incremental = run.incremental
    published = run.published
    existing = run.existing_dimensions()
    against: dict[str, Published | None] = {"transactions": None, "budget": None}
    published_gl = None
    previous_budget = run.published_state(ACCEPTED_BUDGET.name)
    if incremental:
        if "fact_gl_transaction" in published:
            published_gl = _PublishedTransactions(run, existing)
            against["transactions"] = published_gl
        if previous_budget is not None:
            against["budget"] = run.read_version(ACCEPTED_BUDGET, previous_budget).drop("year", "month")
    classified = {name: run.classify(name, against=against[name]) for name in FINANCE_SOURCES}
    run.check_sources()

    transactions = accepted(classified["transactions"])
    new_budgets = accepted(classified["budget"])
    budgets_for_dimensions = new_budgets.select(
        F.col("budget_month").alias(_MONTH),
        "department_code",
        "account_number",
        F.col("scenario").alias("scenario_name"),
        "budget_amount",
    )
    with run.stage("dimensions"):
        checkpoint("transform")
        # At most departments x accounts rows: one partition, so each of the many small scans the
        # dimensions make of it is one task, not one per shuffle partition.
        members = run.cache(transaction_members(transactions, star).coalesce(1))
        dimensions = build_dimensions(
            members,
            budgets_for_dimensions,
            star,
            existing,
            fiscal_year_start_month=finance.fiscal_year_start_month,
        )
        staged = run_concurrently(
            {name: partial(run.write_whole, star.table(name), frame) for name, frame in dimensions.items()}
        )
    with run.stage("facts"):
        gl_spec = star.table("fact_gl_transaction")
        new_gl = build_gl_fact(transactions, staged, star, finance)
        touched_gl = partition_keys(transactions.transform(year_month_partitions("transaction_date")))
        if incremental and published_gl is not None:
            # Published rows an accepted transaction replaces sit in the months the lookup found.
            replaced = published_gl.rows().join(
                transactions.select("transaction_id"), on="transaction_id", how="left_semi"
            )
            touched_gl = sorted(set(touched_gl) | set(partition_keys(replaced)))
            kept = run.read_current(gl_spec, touched_gl).join(
                transactions.select("transaction_id"), on="transaction_id", how="left_anti"
            )
            new_gl = kept.unionByName(new_gl)
        gl_version = run.write_partitioned(gl_spec, new_gl, touched_gl)

        budget_rows = new_budgets.select(
            *[c.name for c in ACCEPTED_BUDGET.columns if c.name not in ("year", "month")]
        ).transform(year_month_partitions("budget_month"))
        touched_budget = partition_keys(budget_rows)
        if previous_budget is not None:
            kept_budget = run.read_version(ACCEPTED_BUDGET, previous_budget, partitions=touched_budget).join(
                new_budgets.select(*ACCEPTED_BUDGET.key), on=list(ACCEPTED_BUDGET.key), how="left_anti"
            )
            budget_rows = kept_budget.unionByName(budget_rows)
        budget_version = run.write_partitioned(ACCEPTED_BUDGET, budget_rows, touched_budget, state=True)

        months = sorted(set(touched_gl) | set(touched_budget))
        gl_months = run.read_version(gl_spec, gl_version, partitions=months)
        budget_months = run.read_version(ACCEPTED_BUDGET, budget_version, partitions=months)
        financials = build_financials(gl_months, budget_months, staged, star, finance)
        run.write_partitioned(star.table("fact_financials"), financials, months)
    quality = run.quality_gate(months)
    run.publish(quality)
