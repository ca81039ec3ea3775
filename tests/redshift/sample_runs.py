"""Tiny finance runs written the way the pipeline publishes them, for the loader tests.

Parquet files are written with pyarrow (fast, no Spark) in Spark's layout, under the run's own data
folder like :func:`gluestar.pipelines.finance.run_finance` writes them: dimensions whole in
``finance/_data/<run_id>/<table>/``, facts Hive-partitioned in
``finance/_data/<run_id>/<table>/year=YYYY/month=M/`` without the partition columns, timestamps as
INT96, ``_SUCCESS`` markers and ``.crc`` side files. A succeeded run then commits the next snapshot
``finance/_published/<version>.json`` (:class:`gluestar.snapshots.Snapshot`): the previous one with
the run's dimensions and fact partitions swapped in, its accepted-budget state and its ledger. Every
run writes ``finance/_runs/<run_id>.json`` with ``partitions_written`` and ``snapshot``; a failed run
leaves its data folder unpublished.

Two runs tell a story: ``run-1`` carries January and February; ``run-2`` (later) renames a
department, adds one, and carries February (one transaction changed, one gone, one new) and March.
"""

from __future__ import annotations

import calendar
import datetime as dt
import shutil
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gluestar.contracts import load_star_schema
from gluestar.pipelines.finance import ACCEPTED_BUDGET
from gluestar.redshift.ddl import load_columns
from gluestar.redshift.files import ArrowStorage, DataFile, arrow_schema
from gluestar.redshift.sql import CopyCsv, Statement
from gluestar.report import RunReport
from gluestar.snapshots import (
    LedgerEntry,
    PartitionVersion,
    Snapshot,
    TableVersion,
    current_snapshot,
    data_location,
    snapshot_path,
)

STAR = load_star_schema("finance")
Row = tuple[Any, ...]

LOAD_1 = dt.datetime(2025, 3, 1, 10, 0, 0)
LOAD_2 = dt.datetime(2025, 4, 1, 10, 0, 0)


def date_rows(first: dt.date, last: dt.date) -> list[Row]:
    """dim_date rows (calendar fiscal year) from ``first`` to ``last``."""
    rows = []
    day = first
    while day <= last:
        quarter = (day.month - 1) // 3 + 1
        rows.append(
            (
                int(day.strftime("%Y%m%d")),
                day,
                day.year,
                quarter,
                day.month,
                calendar.month_name[day.month],
                day.day,
                calendar.day_name[day.weekday()],
                day.isoweekday(),
                day.isocalendar()[1],
                day.isoweekday() >= 6,
                day.year,
                quarter,
                day.month,
            )
        )
        day += dt.timedelta(days=1)
    return rows


DATES = date_rows(dt.date(2025, 1, 1), dt.date(2025, 3, 31))
ACCOUNTS: list[Row] = [
    (-1, None, "Unknown", "Unknown", "Unknown"),
    (10, "6000", "Salaries", "Expense", "Payroll"),
    (11, "4000", "Sales", "Revenue", "Income"),
]
SCENARIOS: list[Row] = [(1, "Actual"), (2, "Budget")]
DEPARTMENTS_1: list[Row] = [
    (-1, None, "Unknown", "Unknown"),
    (1, "FIN", "Finance", "Corporate"),
    (2, "OPS", "Operations", "Retail"),
]
DEPARTMENTS_2: list[Row] = [
    (-1, None, "Unknown", "Unknown"),
    (1, "FIN", "Finance", "Corporate"),
    (2, "OPS", "Operations & Logistics", "Retail"),
    (3, "MKT", "Marketing", "Corporate"),
]

GL_1: dict[str, list[Row]] = {
    "year=2025/month=1": [
        ("T1", 20250105, 1, 10, Decimal("100.00"), dt.datetime(2025, 1, 5, 9, 30), "run-1", LOAD_1),
        ("T2", 20250120, 2, 11, Decimal("250.50"), None, "run-1", LOAD_1),
    ],
    "year=2025/month=2": [
        ("T3", 20250203, 1, 10, Decimal("75.25"), dt.datetime(2025, 2, 3, 8, 0, 0, 123456), "run-1", LOAD_1),
        ("T6", 20250227, 2, 11, Decimal("12.34"), None, "run-1", LOAD_1),
    ],
}
FIN_1: dict[str, list[Row]] = {
    "year=2025/month=1": [
        (
            20250101,
            1,
            10,
            2,
            Decimal("100.00"),
            Decimal("90.00"),
            Decimal("10.00"),
            Decimal("0.1111"),
            False,
            1,
            "run-1",
            LOAD_1,
        ),
        (
            20250101,
            2,
            11,
            2,
            Decimal("250.50"),
            Decimal("300.00"),
            Decimal("-49.50"),
            Decimal("-0.1650"),
            False,
            1,
            "run-1",
            LOAD_1,
        ),
    ],
    "year=2025/month=2": [
        (
            20250201,
            1,
            10,
            2,
            Decimal("75.25"),
            Decimal("80.00"),
            Decimal("-4.75"),
            Decimal("-0.0594"),
            True,
            1,
            "run-1",
            LOAD_1,
        ),
        (20250201, 2, 11, 2, Decimal("12.34"), Decimal("0.00"), Decimal("12.34"), None, True, 1, "run-1", LOAD_1),
    ],
}
GL_2: dict[str, list[Row]] = {
    "year=2025/month=2": [
        ("T3", 20250203, 1, 10, Decimal("80.00"), dt.datetime(2025, 2, 4, 8, 0), "run-2", LOAD_2),
        ("T4", 20250214, 3, 10, Decimal("42.00"), None, "run-2", LOAD_2),
    ],
    "year=2025/month=3": [
        ("T5", 20250310, 2, 11, Decimal("500.00"), None, "run-2", LOAD_2),
    ],
}
FIN_2: dict[str, list[Row]] = {
    "year=2025/month=2": [
        (
            20250201,
            1,
            10,
            2,
            Decimal("80.00"),
            Decimal("80.00"),
            Decimal("0.00"),
            Decimal("0.0000"),
            True,
            1,
            "run-2",
            LOAD_2,
        ),
        (20250201, 3, 10, 2, Decimal("42.00"), Decimal("0.00"), Decimal("42.00"), None, False, 1, "run-2", LOAD_2),
    ],
    "year=2025/month=3": [
        (
            20250301,
            2,
            11,
            2,
            Decimal("500.00"),
            Decimal("400.00"),
            Decimal("100.00"),
            Decimal("0.2500"),
            True,
            1,
            "run-2",
            LOAD_2,
        ),
    ],
}


class RunWriter:
    """Writes runs under ``root`` (the processed zone) and publishes the succeeded ones as snapshots."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.finance = root / "finance"

    @property
    def path(self) -> str:
        """The processed path as the loader takes it."""
        return str(self.root)

    def data(self, run_id: str, table: str, partition: str = "") -> Path:
        """The folder holding a run's version of a table (or of one fact partition)."""
        return self.finance / data_location(run_id, table, partition)

    def published(self) -> Snapshot | None:
        """The current snapshot, or None before the first publish."""
        return current_snapshot(ArrowStorage(), str(self.finance))

    def _write_files(self, run_id: str, table: str, partition: str, rows: list[Row], *, files: int) -> PartitionVersion:
        folder = self.data(run_id, table, partition)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        spec = STAR.table(table) if table in STAR.table_names else ACCEPTED_BUDGET
        columns = load_columns(spec)
        schema = arrow_schema(columns)
        chunk = max(1, -(-len(rows) // files))
        written = []
        for start in range(0, max(len(rows), 1), chunk):
            part = rows[start : start + chunk]
            data = {c.name: [r[i] for r in part] for i, c in enumerate(columns)}
            name = f"part-{start:05d}-{uuid.uuid4()}-c000.snappy.parquet"
            pq.write_table(pa.table(data, schema=schema), folder / name, use_deprecated_int96_timestamps=True)
            (folder / f".{name}.crc").write_bytes(b"crc")
            written.append((name, (folder / name).stat().st_size))
        (folder / "_SUCCESS").write_bytes(b"")
        return PartitionVersion(run_id, data_location(run_id, table, partition), tuple(sorted(written)))

    def _fact_version(
        self,
        run_id: str,
        table: str,
        partitions: Mapping[str, list[Row]],
        previous: TableVersion | None,
        dropped: Sequence[str],
    ) -> TableVersion:
        """Like :func:`gluestar.snapshots.written_version`: the previous partitions, the run's swapped in."""
        spec = STAR.table(table) if table in STAR.table_names else ACCEPTED_BUDGET
        kept = {k: p for k, p in (previous.partitions if previous else {}).items() if k not in dropped}
        written = {key: self._write_files(run_id, table, key, rows, files=2) for key, rows in partitions.items()}
        return TableVersion(table, tuple(spec.partition_by), kept | written)

    def publish(
        self,
        run_id: str,
        *,
        dimensions: dict[str, list[Row]],
        facts: dict[str, dict[str, list[Row]]],
        dropped: Mapping[str, Sequence[str]] | None = None,
        status: str = "succeeded",
        started_at: str = "2025-03-01T10:00:00+00:00",
    ) -> None:
        """Write a run's files and report; a succeeded run also commits the next snapshot.

        The run writes ``dimensions`` whole and the fact partitions in ``facts``; the snapshot keeps
        the previous version of every table (and fact partition) it does not write, except the fact
        partitions in ``dropped`` (partitions the run recomputed and found empty).
        """
        previous = self.published()
        tables = dict(previous.tables) if previous else {}
        state = dict(previous.state) if previous else {}
        for table, rows in dimensions.items():
            tables[table] = TableVersion(table, (), {"": self._write_files(run_id, table, "", rows, files=1)})
        gone = dropped or {}
        for table, partitions in facts.items():
            tables[table] = self._fact_version(run_id, table, partitions, tables.get(table), gone.get(table, ()))
        budgets = {p: [budget_row(p)] for p in sorted({p for parts in facts.values() for p in parts})}
        state[ACCEPTED_BUDGET.name] = self._fact_version(
            run_id, ACCEPTED_BUDGET.name, budgets, state.get(ACCEPTED_BUDGET.name), ()
        )
        report = RunReport("finance", run_id, status=status, started_at=started_at)
        if status == "succeeded":
            # Like the pipeline, only a run that reaches the publish step records what it wrote.
            report.tables = {t: len(r) for t, r in dimensions.items()} | {
                t: sum(len(r) for r in p.values()) for t, p in facts.items()
            }
            report.partitions_written = {s.name: sorted(facts.get(s.name, {})) for s in STAR.tables if s.partition_by}
            version = (previous.version if previous else 0) + 1
            ledger = dict(previous.ledger) if previous else {}
            ledger[f"s3://bucket/raw/finance/transactions/{run_id}.csv"] = LedgerEntry(100, 1740823200, version, run_id)
            snapshot = Snapshot("finance", version, run_id, started_at, tables, state, ledger)
            path = snapshot_path(str(self.finance), version)
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(snapshot.to_json(), encoding="utf-8")
            report.snapshot = path
        self._write_report(report)

    def idle_run(self, run_id: str) -> None:
        """A run that found no new or changed raw files: it succeeds and publishes nothing."""
        report = RunReport("finance", run_id, status="succeeded", started_at="2025-05-01T10:00:00+00:00")
        report.messages.append("no new or changed raw files: nothing to do, the published state is unchanged")
        self._write_report(report)

    def _write_report(self, report: RunReport) -> None:
        runs = self.finance / "_runs"
        runs.mkdir(parents=True, exist_ok=True)
        (runs / f"{report.run_id}.json").write_text(report.to_json(), encoding="utf-8")

    def first_run(self, run_id: str = "run-1", **options: Any) -> None:
        """January and February."""
        self.publish(
            run_id,
            dimensions={
                "dim_date": DATES,
                "dim_department": DEPARTMENTS_1,
                "dim_account": ACCOUNTS,
                "dim_scenario": SCENARIOS,
            },
            facts={"fact_gl_transaction": GL_1, "fact_financials": FIN_1},
            **options,
        )

    def second_run(self, run_id: str = "run-2", **options: Any) -> None:
        """February again (T3 changed, T6 gone, T4 new) and March; a department renamed, one added."""
        self.publish(
            run_id,
            dimensions={
                "dim_date": DATES,
                "dim_department": DEPARTMENTS_2,
                "dim_account": ACCOUNTS,
                "dim_scenario": SCENARIOS,
            },
            facts={"fact_gl_transaction": GL_2, "fact_financials": FIN_2},
            started_at="2025-04-01T10:00:00+00:00",
            **options,
        )


def budget_row(partition: str) -> Row:
    """An accepted-budget row (internal state, never loaded) for a ``year=YYYY/month=M`` partition."""
    year, month = (int(p.split("=")[1]) for p in partition.split("/"))
    return (dt.date(year, month, 1), "FIN", "6000", "Budget", Decimal("80.00"), 1)


def rows_of(partitions: dict[str, list[Row]]) -> list[Row]:
    """Every row of a fact's partitions."""
    return [row for rows in partitions.values() for row in rows]


class PlanRecorder:
    """A Redshift-dialect executor that records what it is asked to run and reports success."""

    name = "recorder"
    dialect = "redshift"

    def __init__(self) -> None:
        self.runs: list[tuple[str, list[Statement | CopyCsv]]] = []

    def run(self, unit: str, steps: Sequence[Any]) -> list[int | None]:
        self.runs.append((unit, list(steps)))
        return [None] * len(steps)


class LocalS3:
    """A Storage that maps s3://bucket/processed onto a local folder (the plan test needs S3 URLs)."""

    PREFIX = "s3://bucket/processed"

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.arrow = ArrowStorage()

    def _local(self, path: str) -> str:
        return path.replace(self.PREFIX, self.root)

    def list_files(self, folder: str, *, suffix: str = ".parquet") -> list[DataFile]:
        return [
            DataFile(f.path.replace(self.root, self.PREFIX), f.size)
            for f in self.arrow.list_files(self._local(folder), suffix=suffix)
        ]

    def read_text(self, path: str) -> str:
        return self.arrow.read_text(self._local(path))

    def write_text(self, path: str, text: str) -> None:
        self.arrow.write_text(self._local(path), text)

    def exists(self, path: str) -> bool:
        return self.arrow.exists(self._local(path))

    def parquet_columns(self, path: str) -> list[str]:
        return self.arrow.parquet_columns(self._local(path))

    def open_parquet(self, path: str) -> Any:
        return self.arrow.open_parquet(self._local(path))
