"""Load a published run of a pipeline into Redshift (or its PostgreSQL stand-in), table by table.

The files come from the published snapshot (see :mod:`gluestar.snapshots`), never from listing
folders, so a load sees exactly what the pipeline published and never a half-written run:

* a dimension: the files of its version in the current snapshot (the latest members; keys are
  stable across runs, so the facts of an older run still find theirs);
* a fact: the partitions the run wrote (``partitions_written`` of its run report), each of which the
  current snapshot must still map to that run; a partition a later run replaced (or dropped) is
  refused, naming the run that holds it now.

For each table, dimensions first, one transaction:

1. ``CREATE TEMP TABLE stage (LIKE target)``;
2. load exactly those files into the stage: Redshift ``COPY ... FORMAT AS PARQUET MANIFEST``
   from a manifest listing them (written to ``<root>/_manifests/<run_id>/<table>.manifest``),
   or, for PostgreSQL, ``COPY ... FROM STDIN`` of the same files' rows;
3. guards that fail the load when staged rows repeat a key, or (facts) fall outside the run's
   partitions;
4. delete the target rows the stage replaces: a dimension by its key, a fact by the date-key ranges
   of the partitions the run wrote (its Hive ``year=/month=`` partitions);
5. insert the staged rows, drop the stage, commit.

Any error rolls the table back and raises :class:`~gluestar.exceptions.RedshiftLoadError` naming
the table and the failing statement. Loading a run twice leaves the tables as one load does; a later
run changes only the dimension rows and the fact partitions it carries.

Examples
--------
>>> report = load_run(executor, "s3://bucket/processed", "20250301T120000Z", schema="finance",
...                   iam_role="arn:aws:iam::123456789012:role/redshift-copy")  # doctest: +SKIP
>>> print(report.render())  # doctest: +SKIP
"""

from __future__ import annotations

import calendar
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from gluestar.contracts import StarSchema, TableSpec, load_star_schema
from gluestar.exceptions import ConfigurationError, PublishError, RedshiftLoadError
from gluestar.faults import checkpoint
from gluestar.redshift.ddl import ddl_statements, load_columns
from gluestar.redshift.executors import Executor
from gluestar.redshift.files import ArrowStorage, DataFile, Storage, copy_manifest, parquet_csv_chunks
from gluestar.redshift.sql import (
    Step,
    check_unique_keys,
    check_within_ranges,
    copy_csv_from_stdin,
    copy_from_manifest,
    create_stage,
    delete_absent,
    delete_by_keys,
    delete_by_ranges,
    drop_stage,
    iam_role_arn,
    insert_from_stage,
    quote_ident,
    stage_name,
)
from gluestar.report import RunReport
from gluestar.snapshots import SNAPSHOT_FOLDER, Snapshot, current_snapshot, snapshot_path
from gluestar.storage import join_path

__all__ = [
    "FACT_DATE_KEY",
    "FACT_PARTITIONS",
    "LoadReport",
    "TableLoad",
    "apply_ddl",
    "date_key_ranges",
    "latest_run_id",
    "load_order",
    "load_run",
    "partition_range",
    "read_run_report",
    "table_steps",
]

log = logging.getLogger("gluestar.redshift")

#: The fact column whose ranges stand for the Hive partitions in Redshift.
FACT_DATE_KEY: Final[str] = "date_key"
#: The partitioning a fact needs for date-key range replacement.
FACT_PARTITIONS: Final[tuple[str, ...]] = ("year", "month")
_PARTITION = re.compile(r"^\w*year=(\d{4})/\w*month=(\d{1,2})$")
_SUCCEEDED = "succeeded"


@dataclass
class TableLoad:
    """What loading one table did.

    Attributes
    ----------
    table, kind : str
        Table name and ``dimension`` / ``fact``.
    files, bytes : int
        Parquet files loaded and their total size.
    partitions : list of str
        Fact partitions replaced (``year=2025/month=1``); empty for dimensions.
    rows_staged, rows_deleted, rows_inserted : int or None
        Row counts where the executor reports them.
    seconds : float
        Wall time of the table's transaction, manifest writing included.
    manifest : str or None
        The COPY manifest written for the table (Redshift executors).
    """

    table: str
    kind: str
    files: int = 0
    bytes: int = 0
    partitions: list[str] = field(default_factory=list)
    rows_staged: int | None = None
    rows_deleted: int | None = None
    rows_inserted: int | None = None
    seconds: float = 0.0
    manifest: str | None = None


@dataclass
class LoadReport:
    """What a load did, for people (:meth:`render`) and machines (:meth:`to_dict`).

    ``snapshot`` is the path of the published snapshot whose files were loaded.
    """

    pipeline: str
    run_id: str
    schema: str
    executor: str
    tables: list[TableLoad] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    ddl_seconds: float = 0.0
    seconds: float = 0.0
    snapshot: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data."""
        return asdict(self)

    def render(self) -> str:
        """The report as a readable text table.

        Examples
        --------
        >>> report = LoadReport("finance", "r1", "finance", "postgres", [TableLoad("dim_date", "dimension", 1, 10)])
        >>> print(report.render().splitlines()[0])
        gluestar load of finance run r1 into schema finance (postgres executor): 1 table(s) in 0.0 s
        """

        def show(value: int | None) -> str:
            return "-" if value is None else str(value)

        lines = [
            f"gluestar load of {self.pipeline} run {self.run_id} into schema {self.schema} "
            f"({self.executor} executor): {len(self.tables)} table(s) in {self.seconds:.1f} s"
        ]
        header = ("table", "files", "bytes", "partitions", "staged", "deleted", "inserted", "seconds")
        rows = [
            (
                t.table,
                str(t.files),
                str(t.bytes),
                str(len(t.partitions)) if t.kind == "fact" else "-",
                show(t.rows_staged),
                show(t.rows_deleted),
                show(t.rows_inserted),
                f"{t.seconds:.2f}",
            )
            for t in self.tables
        ]
        widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
        for cells in (header, tuple("-" * w for w in widths), *rows):
            lines.append(
                "  "
                + "  ".join(
                    c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
                )
            )
        for name in self.skipped:
            lines.append(f"  {name}: the run wrote no partitions; nothing loaded")
        if self.snapshot:
            lines.append(f"  files of the published snapshot {self.snapshot}")
        return "\n".join(lines)


def partition_range(partition: str) -> tuple[int, int]:
    """The first and last ``yyyyMMdd`` date key of a ``year=YYYY/month=M`` partition.

    The partition columns may carry a prefix (``order_year=YYYY/order_month=M``).

    Raises
    ------
    ConfigurationError
        If ``partition`` is not a year/month partition.

    Examples
    --------
    >>> partition_range("year=2024/month=2")
    (20240201, 20240229)
    >>> partition_range("order_year=2025/order_month=1")
    (20250101, 20250131)
    """
    match = _PARTITION.match(partition)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ConfigurationError(f"partition {partition!r} is not of the form year=YYYY/month=M")
    year, month = int(match.group(1)), int(match.group(2))
    last_day = calendar.monthrange(year, month)[1]
    return year * 10000 + month * 100 + 1, year * 10000 + month * 100 + last_day


def date_key_ranges(partitions: Sequence[str]) -> list[tuple[int, int]]:
    """Inclusive date-key ranges covering ``partitions``, adjacent months merged, in order.

    Examples
    --------
    >>> date_key_ranges(["year=2025/month=2", "year=2025/month=1", "year=2025/month=4"])
    [(20250101, 20250228), (20250401, 20250430)]
    >>> date_key_ranges(["year=2024/month=12", "year=2025/month=1"])
    [(20241201, 20250131)]
    """
    months = sorted({(int(m.group(1)), int(m.group(2))) for m in map(_PARTITION.match, partitions) if m})
    for partition in partitions:
        partition_range(partition)
    ranges: list[tuple[int, int]] = []
    previous: tuple[int, int] | None = None
    for year, month in months:
        first, last = partition_range(f"year={year}/month={month}")
        follows = previous is not None and (year * 12 + month) - (previous[0] * 12 + previous[1]) == 1
        if follows and ranges:
            ranges[-1] = (ranges[-1][0], last)
        else:
            ranges.append((first, last))
        previous = (year, month)
    return ranges


def read_run_report(
    processed_path: str, run_id: str, *, pipeline: str = "finance", storage: Storage | None = None
) -> RunReport:
    """Read ``<processed_path>/<pipeline>/_runs/<run_id>.json``.

    Raises
    ------
    ConfigurationError
        If the report does not exist.
    """
    storage = storage or ArrowStorage()
    path = join_path(processed_path, pipeline, "_runs", f"{run_id}.json")
    if not storage.exists(path):
        raise ConfigurationError(f"no run report {path}: is {run_id!r} a run of the {pipeline} pipeline?")
    return RunReport.from_json(storage.read_text(path))


def _published(storage: Storage, root: str) -> Snapshot:
    """The current snapshot of a pipeline root; an error when there is none or it cannot be read."""
    try:
        snapshot = current_snapshot(storage, root)
    except PublishError as exc:
        raise RedshiftLoadError(str(exc)) from exc
    if snapshot is None:
        raise ConfigurationError(
            f"nothing is published under {root}: no snapshot in {join_path(root, SNAPSHOT_FOLDER)}"
        )
    return snapshot


def latest_run_id(processed_path: str, *, pipeline: str = "finance", storage: Storage | None = None) -> str:
    """The id of the run that committed the current snapshot: the latest published run.

    A run that failed, or succeeded without publishing (no new raw files), never counts.

    Raises
    ------
    ConfigurationError
        If the pipeline has published nothing yet.
    RedshiftLoadError
        If the current snapshot cannot be read.
    """
    return _published(storage or ArrowStorage(), join_path(processed_path, pipeline)).run_id


def load_order(star: StarSchema, tables: Sequence[str] | None = None) -> list[TableSpec]:
    """The tables to load, dimensions before facts, each kind in declaration order.

    Raises
    ------
    ConfigurationError
        If ``tables`` names a table the schema does not declare.

    Examples
    --------
    >>> from gluestar.contracts import load_star_schema
    >>> [t.name for t in load_order(load_star_schema("finance"), ["fact_financials", "dim_date"])]
    ['dim_date', 'fact_financials']
    """
    wanted = set(star.table_names if tables is None else (star.table(name).name for name in tables))
    specs = [spec for spec in star.tables if spec.name in wanted]
    return [s for s in specs if s.kind == "dimension"] + [s for s in specs if s.kind == "fact"]


def _check_fact(spec: TableSpec) -> None:
    monthly = len(spec.partition_by) == 2 and all(
        column.endswith(part) for column, part in zip(spec.partition_by, FACT_PARTITIONS, strict=True)
    )
    if not monthly or FACT_DATE_KEY not in spec.column_names:
        raise ConfigurationError(
            f"fact {spec.name} must be partitioned by {list(FACT_PARTITIONS)} (the names may carry a prefix, "
            f"as order_year) and carry {FACT_DATE_KEY!r}: "
            "the loader replaces its partitions by date-key ranges"
        )


@dataclass
class _TablePlan:
    load: TableLoad
    steps: list[Step]
    counted: dict[str, tuple[int, ...]]


def _table_files(
    root: str, spec: TableSpec, partitions: Sequence[str], run_id: str, snapshot: Snapshot
) -> list[DataFile]:
    """The files to load for a table, exactly as the snapshot lists them (a fact: ``partitions`` only)."""
    version = snapshot.tables.get(spec.name)
    if version is None:
        raise RedshiftLoadError(f"loading {spec.name}: the published snapshot {snapshot.version} has no {spec.name}")
    if spec.kind == "dimension":
        selected = [part for _, part in sorted(version.partitions.items())]
    else:
        moved: dict[str, str] = {}
        for partition in partitions:
            part = version.partitions.get(partition)
            if part is None:
                moved[partition] = "is no longer published"
            elif part.run_id != run_id:
                moved[partition] = f"now holds run {part.run_id}"
        if moved:
            detail = "; ".join(f"{p} {holder}" for p, holder in moved.items())
            raise RedshiftLoadError(
                f"loading {spec.name}: a later run replaced partitions of run {run_id} in the published snapshot "
                f"{snapshot.version} ({detail}); load the run that wrote them instead"
            )
        selected = [version.partitions[p] for p in partitions]
    files = [DataFile(join_path(root, part.location, name), size) for part in selected for name, size in part.files]
    if not files:
        raise RedshiftLoadError(f"loading {spec.name}: the published snapshot {snapshot.version} lists no files")
    return files


def table_steps(
    spec: TableSpec,
    files: Sequence[DataFile],
    *,
    schema: str,
    dialect: str,
    partitions: Sequence[str] = (),
    dropped: Sequence[str] = (),
    storage: Storage | None = None,
    manifest_url: str | None = None,
    iam_role: str | None = None,
) -> list[Step]:
    """The statements of one table's transaction (see the module docstring), in order.

    Parameters
    ----------
    spec : TableSpec
        The table.
    files : sequence of DataFile
        The run's files of the table.
    schema : str
        Target schema.
    dialect : {"redshift", "postgres"}
        ``"redshift"`` stages with ``COPY`` from ``manifest_url`` with ``iam_role``;
        ``"postgres"`` with ``COPY FROM STDIN`` of the files' rows read through ``storage``.
    partitions : sequence of str
        A fact's partitions of the run; ignored for dimensions.
    dropped : sequence of str
        A fact's partitions the run emptied (their rows moved to other months): deleted too.
    """
    stage = stage_name(spec.name)
    columns = load_columns(spec)
    names = [c.name for c in columns]
    steps: list[Step] = [create_stage(schema, spec.name, stage)]
    if dialect == "redshift":
        if manifest_url is None or iam_role is None:
            raise ConfigurationError("a Redshift load needs a manifest URL and an IAM role")
        steps.append(copy_from_manifest(stage, manifest_url, iam_role))
    elif dialect == "postgres":
        reader = storage or ArrowStorage()
        paths = [f.path for f in files]
        steps.append(copy_csv_from_stdin(stage, names, lambda: parquet_csv_chunks(reader, paths, columns)))
    else:
        raise ConfigurationError(f"dialect must be one of 'redshift', 'postgres'; got {dialect!r}")
    steps.append(check_unique_keys(stage, spec.key))
    if spec.kind == "fact":
        _check_fact(spec)
        ranges = date_key_ranges(partitions)
        steps.append(check_within_ranges(stage, FACT_DATE_KEY, ranges))
        steps.append(delete_by_ranges(schema, spec.name, FACT_DATE_KEY, date_key_ranges([*partitions, *dropped])))
    else:
        steps.append(delete_by_keys(schema, spec.name, stage, spec.key))
    steps.append(insert_from_stage(schema, spec.name, stage, names))
    steps.append(drop_stage(stage))
    return steps


def _plan(
    executor: Executor,
    storage: Storage,
    root: str,
    spec: TableSpec,
    run: RunReport,
    snapshot: Snapshot,
    *,
    schema: str,
    iam_role: str | None,
) -> _TablePlan | None:
    partitions = list(run.partitions_written.get(spec.name, [])) if spec.kind == "fact" else []
    if spec.kind == "fact":
        _check_fact(spec)
        if not partitions:
            return None
    files = _table_files(root, spec, partitions, run.run_id, snapshot)
    expected = [c.name for c in load_columns(spec)]
    try:
        found = storage.parquet_columns(files[0].path)
    except Exception as exc:  # pyarrow raises OSError, Spark an AnalysisException
        raise RedshiftLoadError(
            f"loading {spec.name}: cannot read {files[0].path}, which the published snapshot {snapshot.version} "
            f"lists: {exc}"
        ) from exc
    if found != expected:
        raise RedshiftLoadError(
            f"loading {spec.name}: {files[0].path} has columns {found}, but the table loads {expected} by position"
        )
    load = TableLoad(spec.name, spec.kind, len(files), sum(f.size for f in files), partitions)
    manifest_url = None
    if executor.dialect == "redshift":
        manifest_url = join_path(root, "_manifests", run.run_id, f"{spec.name}.manifest")
        storage.write_text(manifest_url, copy_manifest(files))
        load.manifest = manifest_url
    steps = table_steps(
        spec,
        files,
        schema=schema,
        dialect=executor.dialect,
        partitions=partitions,
        dropped=list(run.partitions_dropped.get(spec.name, [])) if spec.kind == "fact" else [],
        storage=storage,
        manifest_url=manifest_url,
        iam_role=iam_role,
    )
    counted = {"staged": (1,), "deleted": (len(steps) - 3,), "inserted": (len(steps) - 2,)}
    return _TablePlan(load, steps, counted)


def _total(counts: Sequence[int | None]) -> int | None:
    """The rows several statements touched, or None when a driver did not say for one of them."""
    return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)


def apply_ddl(
    executor: Executor, *, schema: str, pipeline: str = "finance", directory: str | Path | None = None
) -> float:
    """Create the pipeline's tables (if absent) and re-create its KPI views, in one transaction.

    Returns the seconds it took.

    Raises
    ------
    RedshiftLoadError
        If a DDL statement fails (nothing of the DDL is kept).
    """
    began = time.perf_counter()
    statements = ddl_statements(pipeline, schema=schema, dialect=executor.dialect, directory=directory)
    executor.run(f"creating the {pipeline} tables and views in schema {schema}", statements)
    return round(time.perf_counter() - began, 3)


def load_run(
    executor: Executor,
    processed_path: str,
    run_id: str,
    *,
    schema: str = "finance",
    iam_role: str | None = None,
    pipeline: str = "finance",
    tables: Sequence[str] | None = None,
    storage: Storage | None = None,
    create_tables: bool = True,
    schemas_dir: str | Path | None = None,
    ddl_dir: str | Path | None = None,
) -> LoadReport:
    """Load one finished run into Redshift or PostgreSQL: dimensions, then facts, a transaction each.

    Parameters
    ----------
    executor : Executor
        :class:`~gluestar.redshift.DbApiExecutor`, :class:`~gluestar.redshift.DataApiExecutor` or
        :class:`~gluestar.redshift.PostgresExecutor`.
    processed_path : str
        Root of the processed zone (``s3://...`` for the Redshift executors, whose ``COPY`` reads S3).
    run_id : str
        The run to load; its report ``<processed_path>/<pipeline>/_runs/<run_id>.json`` must say
        ``succeeded`` and name the snapshot it published. The files loaded are those of the current
        snapshot: its dimensions, and the run's fact partitions, which it must still hold.
    schema : str, default "finance"
        Target schema (created if absent when ``create_tables``).
    iam_role : str, optional
        ARN of the IAM role Redshift assumes to read S3 in ``COPY``; required by the Redshift
        executors, unused by PostgreSQL.
    pipeline : str, default "finance"
        Pipeline whose tables (``schemas/<pipeline>/star.json``) and DDL are used.
    tables : sequence of str, optional
        Load only these tables (still dimensions first). Default: every table.
    storage : Storage, optional
        File access; :class:`~gluestar.redshift.ArrowStorage` by default,
        :class:`~gluestar.redshift.SparkStorage` inside a Spark job.
    create_tables : bool, default True
        Run the DDL first (``CREATE TABLE IF NOT EXISTS``, views re-created). Turn off when the
        loading user may not run DDL and the tables exist.
    schemas_dir, ddl_dir : str or Path, optional
        Folders laid out like ``schemas/`` and ``ddl/`` to use instead of the wheel's copies.

    Returns
    -------
    LoadReport
        Per table: files, bytes, partitions, row counts, seconds.

    Raises
    ------
    ConfigurationError
        If an option is invalid, the run report is missing, nothing is published, or a Redshift
        executor is given a non-S3 path or no IAM role.
    RedshiftLoadError
        If the run did not succeed or published nothing, its fact partitions were replaced by a
        later run, a published file cannot be read, or a table's transaction fails (that table is
        rolled back; tables loaded before it stay loaded, and rerunning the load is safe).
    """
    began = time.perf_counter()
    storage = storage or ArrowStorage()
    quote_ident(schema)
    if executor.dialect == "redshift":
        if iam_role is None:
            raise ConfigurationError(
                f"the {executor.name} executor loads with COPY from S3 and needs an IAM role (--REDSHIFT_IAM_ROLE)"
            )
        iam_role_arn(iam_role)
        if not re.match(r"^s3[an]?://", processed_path):
            raise ConfigurationError(
                f"the {executor.name} executor loads with COPY from S3, so the processed path must be an "
                f"s3:// URI; got {processed_path!r} (the postgres executor loads local files)"
            )
    star = load_star_schema(pipeline, directory=schemas_dir)
    specs = load_order(star, tables)
    run = read_run_report(processed_path, run_id, pipeline=pipeline, storage=storage)
    if run.status != _SUCCEEDED:
        raise RedshiftLoadError(f"run {run_id} has status {run.status!r}; only a succeeded run can be loaded")
    root = join_path(processed_path, pipeline)
    snapshot = _published(storage, root)
    if not run.snapshot:
        raise RedshiftLoadError(
            f"run {run_id} published no snapshot (it found no new or changed raw files), so it has nothing to load; "
            f"the published state is run {snapshot.run_id}'s"
        )
    report = LoadReport(pipeline, run_id, schema, executor.name, snapshot=snapshot_path(root, snapshot.version))
    if create_tables:
        report.ddl_seconds = apply_ddl(executor, schema=schema, pipeline=pipeline, directory=ddl_dir)
    plans: dict[str, _TablePlan] = {}
    for spec in specs:
        table_began = time.perf_counter()
        if spec.kind == "fact":
            checkpoint("load")
        try:
            plan = _plan(executor, storage, root, spec, run, snapshot, schema=schema, iam_role=iam_role)
            if plan is None:
                report.skipped.append(spec.name)
                log.warning("%s: run %s wrote no partitions; nothing to load", spec.name, run_id)
                continue
            counts = executor.run(f"loading {spec.name}", plan.steps)
        except RedshiftLoadError as exc:
            if report.tables:
                loaded = ", ".join(t.table for t in report.tables)
                raise RedshiftLoadError(
                    f"{exc} (already loaded and committed: {loaded}; rerunning the load is safe)"
                ) from exc
            raise
        plans[spec.name] = plan
        load = plan.load
        load.rows_staged, load.rows_deleted, load.rows_inserted = (
            _total([counts[i] if i < len(counts) else None for i in plan.counted[k]])
            for k in ("staged", "deleted", "inserted")
        )
        load.seconds = round(time.perf_counter() - table_began, 3)
        report.tables.append(load)
        log.info("%s: loaded %d file(s) in %.2f s", spec.name, load.files, load.seconds)
    _prune_versions(executor, schema, specs, plans)
    report.seconds = round(time.perf_counter() - began, 3)
    return report


def _prune_versions(
    executor: Executor, schema: str, specs: Sequence[TableSpec], plans: Mapping[str, _TablePlan]
) -> None:
    """Delete the versions a type-2 dimension no longer has, once the facts no longer point at them.

    A late row can merge two versions of a member: the run's facts then point at the surviving one,
    and the vanished version can go only after the facts are loaded (dimensions load first, and a
    foreign key, enforced by PostgreSQL, would refuse it earlier). The dimension's files are staged
    again and every row whose key they lack is deleted; the count joins the dimension's deletions.
    """
    for spec in specs:
        plan = plans.get(spec.name)
        if spec.kind != "dimension" or spec.scd is None or plan is None:
            continue
        create, copy, drop = plan.steps[0], plan.steps[1], plan.steps[-1]
        absent = delete_absent(schema, spec.name, stage_name(spec.name), spec.key[0])
        counts = executor.run(f"pruning {spec.name}", [create, copy, absent, drop])
        if plan.load.rows_deleted is not None:
            plan.load.rows_deleted = _total([plan.load.rows_deleted, counts[2] if len(counts) > 2 else None])
