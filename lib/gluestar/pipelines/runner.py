"""What every pipeline run shares: the lock, the ledger, stages, quarantine, staged writes, the gate, the commit.

A pipeline is its own module of pure table-building transforms; :class:`PipelineRun` carries a run
of it through the steps every pipeline takes, in this order:

1. ``prepare``: take the pipeline's lock, read the published snapshot, collect garbage, list the
   raw files and plan which to read (the ledger: new or changed files only, all on a full refresh);
2. ``classify`` each source: read, validate, deduplicate, resolve against the published rows,
   count (the reconciliation of the run report) and write the quarantine;
3. write the run's tables to its own data folder (``write_dimension``, ``write_partitioned``);
4. ``quality_gate``: the checks of ``schemas/<pipeline>/checks.json`` on the staged tables;
5. ``publish``: commit one snapshot naming every table version, the internal state and the ledger.

Used as a context manager, a run that fails records its failed stage and the error in its report
(attached to the exception, see :func:`gluestar.report.report_of`), and whatever happens the report
is written to ``<processed_path>/<pipeline>/_runs/<run_id>.json`` and the lock released. Nothing is
published before the commit, so a failed run leaves the published state as it was.

Examples
--------
>>> with PipelineRun(spark, "store_sales", ("sales",), "data/raw/store_sales", "/tmp/out",
...                  RunOptions()) as run:  # doctest: +SKIP
...     if run.prepare():
...         sales = run.classify("sales")
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gluestar.cleaning import candidate_keys, enforce_consistency, validate_source
from gluestar.constants import (
    BATCH_ID_COLUMN,
    CORRUPT_RECORD_COLUMN,
    LOAD_TIMESTAMP_COLUMN,
    RAW_COLUMN,
    REJECT_REASON_COLUMN,
    REJECT_RULES_COLUMN,
    SOURCE_FILE_COLUMN,
    STATUS_ACCEPTED,
    STATUS_COLUMN,
    STATUS_QUARANTINED,
)
from gluestar.contracts import (
    JsonContract,
    SourceContract,
    StarSchema,
    TableColumn,
    TableSpec,
    load_source_contract,
    load_star_schema,
)
from gluestar.dedup import resolve_against_published, resolve_duplicates
from gluestar.exceptions import ConfigurationError, SourceFileError
from gluestar.faults import checkpoint
from gluestar.glue import configure_session
from gluestar.json_source import read_json_source, validate_json_source
from gluestar.ledger import FilePlan, ledger_key, plan_files
from gluestar.locking import RunLock
from gluestar.ops.logs import log_context, set_log_context
from gluestar.quality import MetricsRepository, QualityReport, RunMetrics, check_engine, load_checks, run_quality_gate
from gluestar.quality.anomaly import history_depth
from gluestar.quality.checks import QualityCheck, validate_checks
from gluestar.redshift.files import SparkStorage
from gluestar.report import RunReport, SourceCounts, attach_report, check_source, count_source
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
from gluestar.sources import SourceRead, read_csv_source
from gluestar.storage import file_status, join_path, list_files, write_table, write_text

__all__ = [
    "QUALITY_FOLDER",
    "QUARANTINE_FOLDER",
    "RUNS_FOLDER",
    "FILE_SEQ_COLUMN",
    "RunOptions",
    "PipelineRun",
    "Published",
    "SourceReader",
    "accepted",
    "audit_columns",
    "classify_source",
    "month_partitions",
    "PERSISTED_PARTITION_BYTES",
    "persisted_partitions",
    "persisted_view",
    "rebalanced",
    "partition_keys",
    "state_table",
    "timed_stage",
]

log = logging.getLogger("gluestar.pipelines")

#: Folder (under ``<processed_path>/<pipeline>``) of quality results and of the metrics repository.
QUALITY_FOLDER = "_quality"
#: Folder (under ``<processed_path>/<pipeline>``) of quarantined rows, ``<source>/batch_id=<run_id>``.
QUARANTINE_FOLDER = "_quarantine"
#: Folder (under ``<processed_path>/<pipeline>``) of the run reports, ``<run_id>.json``.
RUNS_FOLDER = "_runs"
#: Column of a source row's file sequence number (the version of rows of sources without one).
FILE_SEQ_COLUMN = "_file_seq"

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

SourceReader = Any
"""A callable ``(spark, files, contract) -> SourceRead`` reading one source's raw files (CSV by default)."""


@dataclass(frozen=True)
class RunOptions:
    """The options every pipeline run takes (see :func:`gluestar.pipelines.finance.run_finance`).

    Examples
    --------
    >>> RunOptions(run_id="r1").quality_engine
    'auto'
    """

    run_id: str | None = None
    now: dt.datetime | None = None
    schemas_dir: str | None = None
    checks_dir: str | None = None
    quality_engine: str = "auto"
    full_refresh: bool = False
    lock_ttl_minutes: float = 120.0
    retention_hours: float = 168.0
    fiscal_year_start_month: int = 1


@contextmanager
def timed_stage(spark: SparkSession, report: RunReport, name: str) -> Iterator[None]:
    """Time a pipeline stage into the report (seconds, cumulative per name).

    The Spark jobs the stage starts carry the job group ``gluestar:<name>`` and the description
    ``<name>`` (in the Spark UI and the event log, which ``data/bench_finance.py`` reads); the
    previous values of both local properties are restored on exit. A failure inside records
    ``name`` as the report's failed stage (the first one only).
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


def accepted(classified: DataFrame) -> DataFrame:
    """The accepted rows of a classified source.

    Examples
    --------
    >>> df = spark.createDataFrame([("a", "accepted"), ("b", "quarantined")], "id string, _status string")
    >>> [r.id for r in df.transform(accepted).collect()]
    ['a']
    """
    return classified.filter(F.col(STATUS_COLUMN) == F.lit(STATUS_ACCEPTED))


def audit_columns(run_id: str, load_timestamp: dt.datetime) -> dict[str, Column]:
    """The audit columns every fact row carries: ``batch_id`` (the run id) and ``load_timestamp``.

    Examples
    --------
    >>> sorted(audit_columns("r1", dt.datetime(2025, 3, 1)))
    ['batch_id', 'load_timestamp']
    """
    return {
        BATCH_ID_COLUMN: F.lit(run_id),
        LOAD_TIMESTAMP_COLUMN: F.lit(load_timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")).cast("timestamp"),
    }


def partition_keys(frame: DataFrame, partition_by: Sequence[str] = ("year", "month")) -> list[str]:
    """The distinct ``year=Y/month=M`` partitions of a frame (one small job: months, never data rows).

    Examples
    --------
    >>> df = spark.createDataFrame([(2025, 1), (2025, 1), (2025, 3)], "year int, month int")
    >>> partition_keys(df)
    ['year=2025/month=1', 'year=2025/month=3']
    """
    rows = frame.select(*partition_by).distinct().collect()  # a few rows: the months, never data rows
    return sorted(
        "/".join(f"{c}={r[c]}" for c in partition_by) for r in rows if all(r[c] is not None for c in partition_by)
    )


def month_partitions(months: Sequence[str], partition_by: Sequence[str]) -> list[str]:
    """Month partitions (``year=Y/month=M``) named after a table's own two partition columns.

    Examples
    --------
    >>> month_partitions(["year=2025/month=1"], ("order_year", "order_month"))
    ['order_year=2025/order_month=1']
    """
    if len(partition_by) != 2:
        raise ConfigurationError(
            f"a monthly table is partitioned by a year and a month column; got {list(partition_by)}"
        )
    renamed = []
    for month in months:
        values = [part.split("=", 1)[1] for part in month.split("/")]
        renamed.append("/".join(f"{name}={value}" for name, value in zip(partition_by, values, strict=True)))
    return renamed


def state_table(contract: SourceContract | JsonContract, name: str, *, month_of: str) -> TableSpec:
    """The internal state table of a source: its accepted, cleaned rows by the month of ``month_of``.

    A run resolves its new rows against this state and rebuilds the facts of the months it touches
    from it; it is published with the snapshot (``Snapshot.state``) but is not a star table.

    Examples
    --------
    >>> from gluestar.contracts import load_source_contract
    >>> spec = state_table(load_source_contract("finance", "budget"), "accepted_budget", month_of="budget_month")
    >>> spec.column_names[-3:], spec.partition_by
    (('_file_seq', 'year', 'month'), ('year', 'month'))
    """
    if month_of not in contract.column_names:
        raise ConfigurationError(f"state of {contract.name!r}: {month_of!r} is not one of its columns")
    types = contract.value_types()
    columns = [TableColumn(c, types[c], c not in contract.key) for c in contract.column_names]
    columns += [TableColumn(FILE_SEQ_COLUMN, "int", False), TableColumn("year", "int", False)]
    columns.append(TableColumn("month", "int", False))
    return TableSpec(name=name, kind="fact", columns=tuple(columns), key=contract.key, partition_by=("year", "month"))


def _source_file_seq(seq: Mapping[str, int]) -> Column:
    """The ledger sequence number of each row's file (``_source_file`` as Spark reports it)."""
    normalised = F.regexp_replace(F.col(SOURCE_FILE_COLUMN), r"^file:(//)?(?=/)", "")
    pairs = [item for path, number in sorted(seq.items()) for item in (F.lit(ledger_key(path)), F.lit(number))]
    return F.create_map(*pairs)[normalised].cast("int") if pairs else F.lit(None).cast("int")


def rebalanced(frame: DataFrame, columns: Sequence[str]) -> DataFrame:
    """``frame`` with Spark's ``REBALANCE`` hint on ``columns``: rows of one value together, in
    partitions of adaptive execution's advisory size (small ones merged, skewed ones split).

    (PySpark 3.5's ``DataFrame.hint`` passes strings as literals, which the hint refuses.)

    Examples
    --------
    >>> frame = spark.range(6).selectExpr("id", "id % 2 AS month")
    >>> rebalanced(frame, ["month"]).count()
    6
    """
    if not columns:
        return frame
    names = ", ".join("`" + c.replace("`", "``") + "`" for c in columns)
    return frame.sparkSession.sql(f"SELECT /*+ REBALANCE({names}) */ * FROM {{frame}}", frame=frame)


def _file_names(spark: SparkSession, files: Sequence[str], seq: Mapping[str, int]) -> DataFrame | None:
    """``_file_seq`` and ``_source_file`` of every file, or None unless each file has its own number."""
    numbers = [seq.get(path) for path in files]
    if not files or None in numbers or len(set(numbers)) != len(files):
        return None
    rows = sorted(zip(numbers, files, strict=True))
    return spark.createDataFrame(rows, f"{FILE_SEQ_COLUMN} int, {SOURCE_FILE_COLUMN} string")


def _empty_raw(spark: SparkSession, contract: SourceContract) -> DataFrame:
    schema = T.StructType(
        [T.StructField(c, T.StringType()) for c in (*contract.column_names, SOURCE_FILE_COLUMN, CORRUPT_RECORD_COLUMN)]
    )
    return spark.createDataFrame([], schema)


#: The published rows a run's rows are resolved against: a frame, or a function of the run's
#: candidate keys (a frame of the source's key columns) that returns the published rows that can
#: share them, so that a large published table is read only where the run's keys can be.
Published = DataFrame | Callable[[DataFrame], DataFrame]


#: Input bytes per partition of a persisted classified frame (see :func:`persisted_partitions`).
PERSISTED_PARTITION_BYTES = 32 * 1024 * 1024


def persisted_partitions(input_bytes: int, shuffle_partitions: int) -> int:
    """How many partitions a source's persisted classified frame keeps: one per 32 MiB read, at most
    ``shuffle_partitions``.

    Spark 3.5 keeps a persisted frame at ``spark.sql.shuffle.partitions`` partitions whatever its
    size (adaptive execution leaves a cached plan's last shuffle as it is; setting
    ``spark.sql.optimizer.canChangeCachedPlanOutputPartitioning`` did not change that), and every
    later scan of it runs that many tasks, each carrying the whole validation plan: a 600-row budget
    cost three of the dimensions' queries over a second each, in 32 tasks.

    Examples
    --------
    >>> persisted_partitions(21_000, 32), persisted_partitions(126_000_000, 32), persisted_partitions(10**12, 32)
    (1, 4, 32)
    """
    return max(1, min(shuffle_partitions, -(-input_bytes // PERSISTED_PARTITION_BYTES)))


def persisted_view(frame: DataFrame) -> DataFrame:
    """The persisted ``frame`` as a frame whose plan is the cached relation alone, not its lineage.

    Every operation on a frame analyses its whole logical plan, and a classified source's plan holds
    the validation's hundreds of expressions: building the finance dimensions from it took the
    driver 6 s of analysis, during which no Spark job ran. Rooted at the cache, the plans stay
    small (an ``assign_surrogate_keys`` chain: 0.38 s to 0.14 s). The cache is shared: unpersist
    ``frame``, not the view. A frame that is not persisted is returned as it is.

    Examples
    --------
    >>> cached = spark.range(3).persist()
    >>> view = persisted_view(cached)
    >>> view.count(), view._jdf.queryExecution().analyzed().nodeName()
    (3, 'InMemoryRelation')
    """
    spark = frame.sparkSession
    cached = spark._jsparkSession.sharedState().cacheManager().lookupCachedData(frame._jdf)
    if cached.isEmpty():
        return frame
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    # The frame's own output (names, ids, nullability), as Spark's cache substitution does.
    relation = cached.get().cachedRepresentation().withOutput(frame._jdf.queryExecution().analyzed().output())
    return DataFrame(jvm.org.apache.spark.sql.Dataset.ofRows(spark._jsparkSession, relation), spark)


def classify_source(
    spark: SparkSession,
    files: Sequence[str],
    contract: SourceContract | JsonContract,
    seq: Mapping[str, int],
    published: Published | None,
    *,
    input_bytes: int | None = None,
) -> tuple[DataFrame, SourceRead | None]:
    """Read, validate and deduplicate one source's files, then resolve them against the published rows.

    Every input row keeps exactly one status (``accepted``, ``quarantined``, ``exact_duplicate`` or
    ``superseded``). Sources without a version column are versioned by file order: a row of a later
    file replaces the row of an earlier one (``_file_seq``). The result is persisted: the run counts
    it, writes its quarantine and builds its tables from it; ``_raw`` is kept on quarantined rows
    only.

    When ``published`` is a function it is called once, here, with a superset of the keys the run
    accepts: the cleaned keys of every raw row of a CSV source (see
    :func:`gluestar.cleaning.candidate_keys`), the keys that passed validation for a JSON source.

    ``input_bytes`` (the size of ``files``) sets the persisted frame's partitions (see
    :func:`persisted_partitions`); without it the frame keeps the shuffle's partitions.
    """
    read: SourceRead | None = None
    if isinstance(contract, JsonContract):
        read = read_json_source(spark, files, contract)
        validated = read.frame.transform(validate_json_source(contract))
    else:
        read = read_csv_source(spark, files, contract) if files else None
        raw = read.frame if read is not None else _empty_raw(spark, contract)
        validated = raw.transform(validate_source(contract))
    versioned = contract.version_column is not None
    numbered = validated.withColumn(FILE_SEQ_COLUMN, _source_file_seq(seq))
    columns = numbered.columns
    names = _file_names(spark, files, seq)
    if names is not None:
        # The file's name travels through the dedup's shuffle, sort and window as its sequence
        # number and is looked up again after it: a path of 70 characters was a quarter of each
        # row's bytes there.
        numbered = numbered.drop(SOURCE_FILE_COLUMN)
    classified = numbered.transform(
        resolve_duplicates(
            contract.key,
            columns=contract.column_names,
            version=contract.version_column,
            conflict_reason=contract.conflict_reason,
            tiebreak=None if versioned else FILE_SEQ_COLUMN,
        )
    )
    if contract.consistent_within:
        classified = classified.transform(enforce_consistency(contract))
    if published is not None and not isinstance(published, DataFrame):
        # A CSV source's keys come from its raw rows (only the key columns cleaned and parsed), not
        # from the validated frame: validating the rows a second time for their keys would cost as
        # much as the validation itself, and a filter on the validated status pushed into the
        # validation's projections makes a plan large enough to exhaust the driver's memory.
        if isinstance(contract, JsonContract):
            keys = accepted(validated).select(*contract.key)
        else:
            keys = raw.transform(candidate_keys(contract))
        published = published(keys)
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
    if names is not None:
        classified = classified.join(F.broadcast(names), on=FILE_SEQ_COLUMN, how="left").select(*columns)
    # Only a quarantined row's raw values are read again (the quarantine keeps them): the other
    # rows drop theirs before the persist, which roughly halves the persisted frame.
    quarantined = F.col(STATUS_COLUMN) == F.lit(STATUS_QUARANTINED)
    classified = classified.withColumn(RAW_COLUMN, F.when(quarantined, F.col(RAW_COLUMN)))
    if input_bytes is not None:
        shuffle = int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
        classified = classified.coalesce(persisted_partitions(input_bytes, shuffle))
    return classified.persist(StorageLevel.MEMORY_AND_DISK), read


def _write_quarantine(classified: DataFrame, root: str, source: str, run_id: str) -> None:
    quarantined = classified.filter(F.col(STATUS_COLUMN) == F.lit(STATUS_QUARANTINED)).select(
        F.col(f"{RAW_COLUMN}.*"),
        F.col(SOURCE_FILE_COLUMN).alias("source_file"),
        REJECT_REASON_COLUMN,
        REJECT_RULES_COLUMN,
        F.lit(run_id).alias(BATCH_ID_COLUMN),
    )
    quarantined.coalesce(1).write.mode("overwrite").partitionBy(BATCH_ID_COLUMN).parquet(
        join_path(root, QUARANTINE_FOLDER, source)
    )


class PipelineRun:
    """One run of one pipeline; see the module docstring.

    Parameters
    ----------
    spark : SparkSession
        The session.
    pipeline : str
        The pipeline's name: its folder under ``schemas/`` and under ``processed_path``.
    sources : sequence of str
        The source contracts to read, in order (``schemas/<pipeline>/<source>.json``).
    raw_path, processed_path : str
        Folder of the raw files; root of the processed zone (local paths or S3 URIs).
    options : RunOptions
        The run's options.
    details : mapping, optional
        Extra options recorded in the report.

    Raises
    ------
    ConfigurationError
        If an option is invalid, or the checks do not fit the star schema.
    """

    def __init__(
        self,
        spark: SparkSession,
        pipeline: str,
        sources: Sequence[str],
        raw_path: str,
        processed_path: str,
        options: RunOptions,
        *,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        started = (options.now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        run_id = options.run_id or started.strftime("%Y%m%dT%H%M%S%fZ")
        if not _RUN_ID.match(run_id):
            raise ConfigurationError(
                f"run id {run_id!r} must start with a letter or digit and hold only letters, digits, '_', '.', '-'"
            )
        set_log_context(run_id=run_id, pipeline=pipeline)
        check_engine(options.quality_engine)
        if options.lock_ttl_minutes <= 0 or options.retention_hours < 0:
            raise ConfigurationError(
                f"the lock time-to-live must be positive and the retention not negative; "
                f"got {options.lock_ttl_minutes} minutes and {options.retention_hours} hours"
            )
        configure_session(spark)
        self.spark = spark
        self.pipeline = pipeline
        self.options = options
        self.raw_path = raw_path
        self.run_id = run_id
        self.started = started
        self.load_timestamp = started.replace(tzinfo=None)
        self.root = join_path(processed_path, pipeline)
        self.report = RunReport(
            pipeline,
            run_id,
            started_at=started.isoformat(timespec="seconds"),
            options={
                "raw_path": raw_path,
                "processed_path": processed_path,
                **dict(details or {}),
                "quality_engine": options.quality_engine,
                "full_refresh": options.full_refresh,
            },
        )
        self.contracts: dict[str, SourceContract | JsonContract] = {
            name: load_source_contract(pipeline, name, directory=options.schemas_dir) for name in sources
        }
        self.star: StarSchema = load_star_schema(pipeline, directory=options.schemas_dir)
        self.checks: tuple[QualityCheck, ...] = load_checks(pipeline, directory=options.checks_dir)
        validate_checks(self.checks, self.star)
        self.lock = RunLock(self.root, run_id, ttl_seconds=options.lock_ttl_minutes * 60)
        self.previous: Snapshot | None = None
        self.plan: FilePlan | None = None
        self.files: dict[str, list[str]] = {}
        self.versions: dict[str, TableVersion] = {}
        self.state_versions: dict[str, TableVersion] = {}
        self._cached: list[DataFrame] = []

    # -- the run as a whole ------------------------------------------------------------------------

    def __enter__(self) -> PipelineRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        report = self.report
        try:
            if isinstance(exc, Exception):
                report.status = "failed"
                if report.failed_stage is None:
                    report.failed_stage = "prepare"
                report.messages.append(f"error: {exc}")
                attach_report(exc, report)
        finally:
            report.finished_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            for frame in self._cached:
                frame.unpersist()
            try:
                write_text(self.spark, join_path(self.root, RUNS_FOLDER, f"{self.run_id}.json"), report.to_json())
            finally:
                self.lock.release()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """A timed stage (see :func:`timed_stage`) that first renews the run's lock."""
        self.lock.renew()
        with timed_stage(self.spark, self.report, name):
            yield

    @property
    def incremental(self) -> bool:
        """True when the run merges into a published state (not the first run, not a full refresh)."""
        return self.previous is not None and not self.options.full_refresh

    @property
    def published(self) -> Mapping[str, TableVersion]:
        """The published star tables' versions (empty before the first snapshot)."""
        return self.previous.tables if self.previous is not None else {}

    def published_state(self, name: str) -> TableVersion | None:
        """The published version of an internal state table, when the run is incremental."""
        return self.previous.state.get(name) if self.incremental and self.previous is not None else None

    def prepare(self) -> bool:
        """Take the lock, read the published snapshot, collect garbage and plan the files to read.

        Returns
        -------
        bool
            False when no raw file is new or changed: the run then succeeded with nothing to do.

        Raises
        ------
        LockError
            If another run holds the pipeline's lock.
        ConfigurationError
            If the run id is part of the published snapshot already.
        SourceFileError
            If a source has no file on a first run or a full refresh.
        """
        with timed_stage(self.spark, self.report, "prepare"):
            self.lock.acquire()
            previous = current_snapshot(SparkStorage(self.spark), self.root)
            if previous is not None and self.run_id in previous.referenced_runs():
                raise ConfigurationError(
                    f"run id {self.run_id!r} is part of the published snapshot {previous.version}; "
                    "a new run needs a new run id"
                )
            # Whatever an earlier attempt with this run id left (it failed) is not this run's output.
            collect_garbage(self.spark, self.root, now=self.started, retention_hours=self.options.retention_hours)
            first = previous is None or self.options.full_refresh
            self.files, statuses = self._list_sources(first_run=first)
            self.plan = plan_files(
                statuses,
                previous.ledger if previous else {},
                run_id=self.run_id,
                full_refresh=self.options.full_refresh,
            )
            self.previous = previous
        plan = self.plan
        self.report.files = {"read": list(plan.to_read), "skipped": len(plan.skipped), "changed": list(plan.changed)}
        if plan.to_read:
            return True
        self.report.status = "succeeded"
        last = previous.run_id if previous else "-"
        self.report.messages.append(
            f"no new or changed raw files since run {last}: nothing to do, the published state is unchanged"
        )
        return False

    def _list_sources(self, *, first_run: bool) -> tuple[dict[str, list[str]], dict[str, tuple[int, int]]]:
        """Every raw file of every source with its size and modification time.

        A source without files is an error on a first run or a full refresh; later, a source whose
        files were all processed (and perhaps moved away) simply has nothing new.
        """
        files = {
            name: list_files(self.spark, self.raw_path, contract.file_pattern)
            for name, contract in self.contracts.items()
        }
        for name, found in files.items():
            if not found and first_run:
                raise SourceFileError(f"no {name} files matching {self.contracts[name].file_pattern!r} were found")
        statuses = {path: file_status(self.spark, path) for found in files.values() for path in found}
        return files, statuses

    # -- reading -----------------------------------------------------------------------------------

    def read_version(
        self, spec: TableSpec, version: TableVersion | None, partitions: Sequence[str] | None = None
    ) -> DataFrame:
        """Read a table version (optionally some partitions only); empty when there is none."""
        return read_table_version(self.spark, self.root, spec, version, partitions=partitions)

    def read_current(self, spec: TableSpec, partitions: Sequence[str] | None = None) -> DataFrame:
        """The published version of a star table (empty when it has none)."""
        return self.read_version(spec, self.published.get(spec.name), partitions)

    def existing_dimensions(self) -> dict[str, DataFrame | None]:
        """Every published dimension of the star, by name (None for one not published yet)."""
        return {
            spec.name: self.read_current(spec) if spec.name in self.published else None
            for spec in self.star.tables
            if spec.kind == "dimension"
        }

    def cache(self, frame: DataFrame) -> DataFrame:
        """Persist and compute now a frame several steps of the run read; the run unpersists it at its end.

        Computing it at once matters: adaptive execution submits the query stages of a write
        concurrently, and each stage that reads a persisted frame not computed yet computes it again
        (the finance dimensions scanned every transaction six times at once before).
        """
        cached = frame.persist(StorageLevel.MEMORY_AND_DISK)
        self._cached.append(cached)
        cached.count()  # materialises the cache (a small frame: its rows are never collected)
        return persisted_view(cached)

    def classify(self, name: str, *, against: Published | None = None) -> DataFrame:
        """Classify the new files of source ``name``; count them into the report; write the quarantine.

        ``against`` holds the published rows (cleaned shape, with ``_file_seq`` for sources without
        a version column) the new rows are resolved against, or a function of the run's keys
        returning them (see :func:`classify_source`). Returns the persisted classified rows (as a
        :func:`persisted_view`).
        """
        contract = self.contracts[name]
        assert self.plan is not None, "prepare() comes first"
        to_read = set(self.plan.to_read)
        with self.stage("read_validate_dedup"):
            checkpoint("read")
            files = [f for f in self.files[name] if f in to_read]
            size = sum(self.plan.ledger[ledger_key(f)].size for f in files)
            frame, read = classify_source(self.spark, files, contract, self.plan.seq, against, input_bytes=size)
            self._cached.append(frame)
            frame = persisted_view(frame)
            counts = count_source(name, frame, conflict_reason=contract.conflict_reason)
        self._record(counts, read)
        with self.stage("quarantine"):
            _write_quarantine(frame, self.root, contract.name, self.run_id)
        log.info("%s: %s rows read, %s accepted", name, counts.rows_read, counts.accepted)
        return frame

    def _record(self, counts: SourceCounts, read: SourceRead | None) -> None:
        if read is not None:
            counts.files = list(read.files)
            counts.unknown_columns = read.unknown_columns
            counts.missing_optional_columns = read.missing_optional
            counts.unknown_fields = read.unknown_fields
        self.report.sources.append(counts)

    def check_sources(self) -> None:
        """Fail the run when every row of a file was quarantined (see :func:`gluestar.report.check_source`)."""
        with self.stage("quarantine"):
            for counts in self.report.sources:
                check_source(counts, join_path(self.root, QUARANTINE_FOLDER, counts.source))

    # -- writing -----------------------------------------------------------------------------------

    def data_path(self, table: str) -> str:
        """Where this run writes ``table`` (its own folder: nothing published is overwritten)."""
        return join_path(self.root, DATA_FOLDER, self.run_id, table)

    def write_whole(self, spec: TableSpec, frame: DataFrame) -> DataFrame:
        """Write an unpartitioned table (a dimension, a mart) as one file; return the staged table."""
        write_table(frame.coalesce(1), self.data_path(spec.name), spec)
        self.versions[spec.name] = written_version(self.spark, self.root, self.run_id, spec, None)
        return self.read_version(spec, self.versions[spec.name])

    def write_partitioned(
        self, spec: TableSpec, frame: DataFrame, touched: Sequence[str], *, state: bool = False
    ) -> TableVersion:
        """Write the partitions of a partitioned table this run rebuilt; return the table's new version.

        ``touched`` lists every partition the run rebuilt: one it found empty is dropped from the
        table. The published partitions the run did not touch stay (all go on a full refresh).
        ``state`` marks an internal state table (published in the snapshot's ``state``).
        """
        # Rebalanced by the partition columns: each partition's rows are written by as few tasks as
        # adaptive execution's advisory size (64 MB of shuffle) allows, so a month is one file or a
        # few, not one small file per input partition (a 10M-row GL fact was 384 files of 330 KB).
        # Redshift COPY and Athena want files of 1-125 MB; a skewed month is split, not one task.
        write_table(rebalanced(frame, spec.partition_by), self.data_path(spec.name), spec)
        checkpoint("write")
        before = self.published_state(spec.name) if state else self.published.get(spec.name)
        version = written_version(
            self.spark, self.root, self.run_id, spec, before, touched=touched, replace_all=not self.incremental
        )
        (self.state_versions if state else self.versions)[spec.name] = version
        return version

    # -- gate and commit ---------------------------------------------------------------------------

    def staged_tables(self, partitions: Sequence[str]) -> dict[str, DataFrame]:
        """The run's star tables as written: dimensions whole, partitioned tables in ``partitions`` only."""
        return {
            spec.name: self.read_version(
                spec,
                self.versions[spec.name],
                partitions=month_partitions(partitions, spec.partition_by) if spec.partition_by else None,
            )
            for spec in self.star.tables
        }

    def _metrics(self) -> MetricsRepository:
        return MetricsRepository(self.spark, join_path(self.root, QUALITY_FOLDER, "metrics"))

    def quality_gate(self, partitions: Sequence[str]) -> QualityReport:
        """Check the staged tables, write the results whatever they are, stop the run on ``error`` failures.

        Raises
        ------
        DataQualityError
            If an ``error`` check failed: nothing is published.
        """
        with self.stage("quality"):
            checkpoint("quality")
            tables = self.staged_tables(partitions)
            depth = history_depth(self.checks)
            history = self._metrics().load(limit=depth) if depth else []
            quality = run_quality_gate(
                self.spark, tables, self.checks, engine=self.options.quality_engine, history=history, run_id=self.run_id
            )
            results = join_path(self.root, QUALITY_FOLDER, f"{self.run_id}.json")
            write_text(self.spark, results, quality.to_json())
            self.report.quality = {**quality.summary(), "results": results}
            quality.raise_for_errors(note=f"nothing was published; results in {results}")
        return quality

    def publish(self, quality: QualityReport) -> None:
        """Commit the snapshot of every table version and state this run wrote, then save its metrics."""
        report = self.report
        assert self.plan is not None, "prepare() comes first"
        with self.stage("publish"):
            for spec in self.star.tables:
                report.tables[spec.name] = int(quality.metric(spec.name, "row_count"))
            for name, version in self.versions.items():
                if version.partition_by:
                    report.partitions_written[name] = sorted(
                        k for k, p in version.partitions.items() if p.run_id == self.run_id
                    )
                    before = self.published[name].partitions if name in self.published else {}
                    dropped = sorted(set(before) - set(version.partitions))
                    if dropped:
                        report.partitions_dropped[name] = dropped
            snapshot = Snapshot(
                pipeline=self.pipeline,
                version=(self.previous.version if self.previous else 0) + 1,
                run_id=self.run_id,
                committed_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                tables=dict(self.versions),
                state=dict(self.state_versions),
                ledger=self.plan.ledger,
                full_refresh=self.options.full_refresh,
            )
            checkpoint("publish")
            report.snapshot = commit_snapshot(self.spark, self.root, snapshot)
        report.status = "succeeded"
        metrics = RunMetrics(self.run_id, self.started.isoformat(), quality.metrics, self.pipeline)
        try:  # the run is published already, so a failure here only warns
            self._metrics().save(metrics)
        except Exception as exc:
            log.warning("could not save the quality metrics of run %s: %s", self.run_id, exc)
            report.messages.append(f"warning: the quality metrics of this run were not saved to the history: {exc}")
