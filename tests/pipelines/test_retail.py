"""The retail pipelines end to end: hand-computed KPIs through PostgreSQL, the samples, incremental runs."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluestar.contracts import load_star_schema
from gluestar.marts import load_marts
from gluestar.pipelines import run_pipeline
from gluestar.redshift import PostgresExecutor, load_run
from gluestar.redshift.files import SparkStorage
from gluestar.report import RunReport
from gluestar.snapshots import current_snapshot, read_published, read_table_version

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "retail" / "fixtures"
CSV_PIPELINES = ("store_sales", "customer_transactions", "product_interactions")
PIPELINES = (*CSV_PIPELINES, "json_orders")
NOW = dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc)


def _fixture(pipeline: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{pipeline}.json").read_text(encoding="utf-8"))


def _write_input(folder: Path, files: dict[str, list[Any]]) -> Path:
    """Write the files of a fixture: text lines as they are, JSON objects as JSON Lines."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
        (folder / name).write_text("\n".join(text) + "\n", encoding="utf-8")
    return folder


def _run(spark: SparkSession, pipeline: str, raw: Path, out: Path, run_id: str, **options: Any) -> RunReport:
    return run_pipeline(pipeline, spark, str(raw), str(out), run_id=run_id, now=NOW, quality_engine="native", **options)


def _plain(value: Any) -> Any:
    """A database value as the fixtures write it: dates as text, decimals as text with two places."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _project(rows: list[dict[str, Any]], like: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows with only the columns of ``like`` (a view may show more, e.g. the day of the week).

    A count comes back as ``numeric`` where PostgreSQL sums a ``bigint`` (Redshift keeps ``bigint``):
    a whole decimal is compared as the integer the fixture holds.
    """

    def value(column: str, row: dict[str, Any]) -> Any:
        found = row[column]
        if isinstance(like[column], int) and not isinstance(like[column], bool) and isinstance(found, str):
            return int(Decimal(found))
        return found

    return [{c: value(c, row) for c in like} for row in rows]


def _view_rows(pg_conn: Any, schema: str, view: str) -> list[dict[str, Any]]:
    cursor = pg_conn.execute(f'SELECT * FROM "{schema}"."{view}"')
    names = [d.name for d in cursor.description]
    return [dict(zip(names, map(_plain, row), strict=True)) for row in cursor.fetchall()]


def _sorted(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)


def _outcome(report: RunReport) -> dict[str, int]:
    (counts,) = report.sources
    return {
        "rows_read": counts.rows_read,
        "accepted": counts.accepted,
        "quarantined": counts.quarantined,
        "exact_duplicates": counts.exact_duplicates,
        "superseded": counts.superseded,
    }


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_kpi_views_return_the_hand_computed_rows(
    spark: SparkSession, tmp_path: Path, pipeline: str, pg_conn: Any, executor: PostgresExecutor, schema: str
) -> None:
    fixture = _fixture(pipeline)
    raw = _write_input(tmp_path / "raw", fixture["input"])
    out = tmp_path / "processed"

    report = _run(spark, pipeline, raw, out, "r1")
    load_run(executor, str(out), "r1", schema=schema, pipeline=pipeline)

    assert report.status == "succeeded" and report.reconciles
    assert _outcome(report) == {k: fixture["outcome"][k] for k in _outcome(report)}
    for view, expected in fixture["kpis"].items():
        actual = _project(_view_rows(pg_conn, schema, view), expected[0])
        assert _sorted(actual) == _sorted(expected), view


def test_customer_versions_and_the_facts_pointing_at_them(spark: SparkSession, tmp_path: Path) -> None:
    fixture = _fixture("customer_transactions")
    raw = _write_input(tmp_path / "raw", fixture["input"])
    out = tmp_path / "processed"

    _run(spark, "customer_transactions", raw, out, "r1")

    customers = read_published(spark, str(out), "customer_transactions", "dim_customer").filter("customer_key <> -1")
    versions = [
        {k: _plain(v) for k, v in row.asDict().items() if k != "customer_key"}
        for row in customers.collect()  # a handful of test rows
    ]
    assert _sorted(versions) == _sorted(fixture["dim_customer"])
    orders = read_published(spark, str(out), "customer_transactions", "fact_orders")
    pointed = orders.join(customers, "customer_key").select(
        "customer_id", F.to_date(F.col("date_key").cast("string"), "yyyyMMdd").alias("day"), "valid_from", "valid_to"
    )
    assert pointed.count() == orders.count() == fixture["outcome"]["accepted"]
    assert pointed.filter("day < valid_from OR day > valid_to").count() == 0


def _star_counts(spark: SparkSession, out: Path, pipeline: str) -> dict[str, int]:
    star = load_star_schema(pipeline)
    return {
        spec.name: read_published(spark, str(out), pipeline, spec.name)
        .filter(F.col(spec.key[0]) != -1 if spec.kind == "dimension" and spec.name != "dim_date" else F.lit(True))
        .count()
        for spec in star.tables
    }


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_sample_gives_its_expected_outcome_and_a_rerun_is_a_no_op(
    spark: SparkSession, tmp_path: Path, pipeline: str
) -> None:
    expected = json.loads((REPO / "data" / "raw" / pipeline / "expected.json").read_text(encoding="utf-8"))
    source = next(k for k in expected if k != "star")
    out = tmp_path / "processed"
    raw = REPO / "data" / "raw" / pipeline

    report = _run(spark, pipeline, raw, out, "r1")
    again = _run(spark, pipeline, raw, out, "r2")

    (counts,) = report.sources
    assert counts.rows_read == expected[source]["rows_read"]
    assert {
        "accepted": counts.accepted,
        "quarantined": counts.quarantined,
        "exact_duplicates": counts.exact_duplicates,
        "conflicts": counts.conflicts,
        "quarantine_reasons": counts.rejected_by_rule,
    } == {k: expected[source][k] for k in ("accepted", "quarantined", "exact_duplicates", "conflicts")} | {
        "quarantine_reasons": expected[source]["quarantine_reasons"]
    }
    assert counts.unknown_fields == expected.get("unknown_fields", {})
    counted = _star_counts(spark, out, pipeline)
    for table, rows in expected["star"].items():
        if table in counted:
            assert counted[table] == rows, table
    assert again.status == "succeeded" and again.snapshot is None
    assert again.messages == [
        "no new or changed raw files since run r1: nothing to do, the published state is unchanged"
    ]


def _facts(spark: SparkSession, out: Path, pipeline: str, fact: str, drop: tuple[str, ...]) -> DataFrame:
    return read_published(spark, str(out), pipeline, fact).drop("batch_id", "load_timestamp", *drop)


def test_store_sales_incremental_run_equals_a_rebuild(spark: SparkSession, tmp_path: Path) -> None:
    header = "Date,Product,Category,Units_Sold,Unit_Price,Total_Sales"
    first = {
        "store_sales_2025_01.csv": [
            header,
            "2025-01-05,Laptop,Electronics,2,900.00,1800.00",
            "2025-01-06,Novel,Books,1,15.00,15.00",
        ],
        "store_sales_2025_02.csv": [header, "2025-02-01,Novel,Books,3,15.00,45.00"],
    }
    # A correction of 5 January (in a later file), a new month, and a resent identical row.
    later = {
        "store_sales_2025_03.csv": [
            header,
            "2025-01-05,Laptop,Electronics,1,900.00,900.00",
            "2025-03-02,Jeans,Clothing,2,40.00,80.00",
            "2025-02-01,Novel,Books,3,15.00,45.00",
        ]
    }
    raw = _write_input(tmp_path / "raw", first)
    out = tmp_path / "processed"
    _run(spark, "store_sales", raw, out, "r1")
    _write_input(raw, later)
    second = _run(spark, "store_sales", raw, out, "r2")

    assert second.partitions_written["fact_sales"] == ["year=2025/month=1", "year=2025/month=3"]
    assert _outcome(second) == {"rows_read": 3, "accepted": 2, "quarantined": 0, "exact_duplicates": 1, "superseded": 0}
    rebuilt = tmp_path / "rebuilt"
    _run(spark, "store_sales", raw, rebuilt, "full")
    drop = ("product_key",)
    assert_df_equality(
        _facts(spark, out, "store_sales", "fact_sales", ())
        .join(read_published(spark, str(out), "store_sales", "dim_product"), "product_key")
        .drop(*drop),
        _facts(spark, rebuilt, "store_sales", "fact_sales", ())
        .join(read_published(spark, str(rebuilt), "store_sales", "dim_product"), "product_key")
        .drop(*drop),
        ignore_row_order=True,
        ignore_column_order=True,
    )
    january = _facts(spark, out, "store_sales", "fact_sales", ()).filter("date_key = 20250105").first()
    assert (january.units_sold, str(january.total_sales)) == (1, "900.00")


def test_a_late_purchase_splits_a_customer_version_and_repoints_earlier_months(
    spark: SparkSession, tmp_path: Path
) -> None:
    header = (
        "customer_id,age,gender,city,category,product_name,purchase_date,purchase_amount,payment_method,"
        "discount_applied,rating,repeat_customer"
    )
    first = {
        "customer_transactions_a.csv": [
            header,
            "C1,30,Female,Denver,Books,Novel,2025-01-10,20.00,Cash,No,5,No",
            "C1,30,Female,Denver,Books,Atlas,2025-03-10,30.00,Cash,No,4,No",
            "C2,40,Male,Austin,Books,Novel,2025-02-10,25.00,Cash,No,3,No",
        ]
    }
    # In February C1 was already a repeat customer: January stays, February starts a version that
    # runs until March, where the flag is No again.
    later = {"customer_transactions_b.csv": [header, "C1,30,Female,Denver,Toys,Kite,2025-02-10,15.00,Cash,No,,Yes"]}
    raw = _write_input(tmp_path / "raw", first)
    out = tmp_path / "processed"
    _run(spark, "customer_transactions", raw, out, "r1")
    before = read_published(spark, str(out), "customer_transactions", "dim_customer")
    first_key = before.filter("customer_id = 'C1'").first().customer_key
    _write_input(raw, later)
    second = _run(spark, "customer_transactions", raw, out, "r2")

    # Every month of C1 is rebuilt (January and March have no new row), February also for C2.
    assert second.partitions_written["fact_orders"] == [f"year=2025/month={m}" for m in (1, 2, 3)]
    customers = read_published(spark, str(out), "customer_transactions", "dim_customer")
    c1 = sorted(
        (str(r.valid_from), str(r.valid_to), r.is_repeat_customer, r.customer_key)
        for r in customers.filter("customer_id = 'C1'").collect()
    )
    assert [v[:3] for v in c1] == [
        ("2025-01-10", "2025-02-09", False),
        ("2025-02-10", "2025-03-09", True),
        ("2025-03-10", "9999-12-31", False),
    ]
    assert c1[0][3] == first_key  # the unchanged first version keeps its key
    orders = read_published(spark, str(out), "customer_transactions", "fact_orders").join(customers, "customer_key")
    pointed = {r.date_key: r.is_repeat_customer for r in orders.filter("customer_id = 'C1'").collect()}
    assert pointed == {20250110: False, 20250210: True, 20250310: False}
    rebuilt = tmp_path / "rebuilt"
    shutil.rmtree(rebuilt, ignore_errors=True)
    _run(spark, "customer_transactions", raw, rebuilt, "full")
    keys = read_published(spark, str(rebuilt), "customer_transactions", "dim_customer").drop("customer_key")
    assert_df_equality(customers.drop("customer_key"), keys, ignore_row_order=True)


def _published_mart(spark: SparkSession, out: Path, name: str) -> DataFrame:
    root = str(out / "json_orders")
    snapshot = current_snapshot(SparkStorage(spark), root)
    assert snapshot is not None
    return read_table_version(spark, root, load_marts().table(name), snapshot.tables[name])


def test_the_json_order_marts_published_for_athena_hold_the_hand_computed_rows(
    spark: SparkSession, tmp_path: Path
) -> None:
    fixture = _fixture("json_orders")
    raw = _write_input(tmp_path / "raw", fixture["input"])
    out = tmp_path / "processed"

    report = _run(spark, "json_orders", raw, out, "r1")

    for name, expected in fixture["kpis"].items():
        rows = [{k: _plain(v) for k, v in r.asDict().items()} for r in _published_mart(spark, out, name).collect()]
        assert _sorted(rows) == _sorted(expected), name
        assert report.tables[name] == len(expected)


def test_a_late_json_order_version_moves_the_order_and_the_marts_follow(spark: SparkSession, tmp_path: Path) -> None:
    def order(order_id: str, day: str, updated: str, quantity: int) -> str:
        total = f"{quantity * 10}.00"
        return json.dumps(
            {
                "order_id": order_id,
                "order_date": day,
                "updated_at": updated,
                "customer": {"id": "c1", "name": "Ann", "country": "fr"},
                "payments": [{"method": "Card", "amount": total}],
                "items": [{"sku": "a1", "name": "Pen", "category": "office", "quantity": quantity, "unit_price": 10}],
            }
        )

    raw = _write_input(
        tmp_path / "raw",
        {
            "orders_2025_01.json": [
                order("O1", "2025-01-10", "2025-01-10T10:00:00", 1),
                order("O2", "2025-01-11", "2025-01-11T10:00:00", 2),
            ]
        },
    )
    out = tmp_path / "processed"
    _run(spark, "json_orders", raw, out, "r1")
    # O1 is corrected and moved to February; an older version of O2 arrives late and loses.
    _write_input(
        raw,
        {
            "orders_2025_02.json": [
                order("O1", "2025-02-01", "2025-02-01T09:00:00", 3),
                order("O2", "2025-01-11", "2025-01-01T00:00:00", 9),
            ]
        },
    )
    second = _run(spark, "json_orders", raw, out, "r2")

    assert _outcome(second) == {"rows_read": 2, "accepted": 1, "quarantined": 0, "exact_duplicates": 0, "superseded": 1}
    assert second.partitions_written["fact_orders"] == [
        "order_year=2025/order_month=1",
        "order_year=2025/order_month=2",
    ]
    orders = read_published(spark, str(out), "json_orders", "fact_orders")
    assert sorted((r.order_id, r.date_key, r.units) for r in orders.collect()) == [
        ("O1", 20250201, 3),
        ("O2", 20250111, 2),
    ]
    revenue = {(r.year, r.month): str(r.revenue) for r in _published_mart(spark, out, "mart_monthly_revenue").collect()}
    assert revenue == {(2025, 1): "20.00", (2025, 2): "30.00"}


def test_a_version_a_late_purchase_merges_away_leaves_the_database_too(
    spark: SparkSession, tmp_path: Path, pg_conn: Any, executor: PostgresExecutor, schema: str
) -> None:
    header = (
        "customer_id,age,gender,city,category,product_name,purchase_date,purchase_amount,payment_method,"
        "discount_applied,rating,repeat_customer"
    )
    raw = _write_input(
        tmp_path / "raw",
        {
            "customer_transactions_a.csv": [
                header,
                "C1,30,Female,Denver,Books,Novel,2025-01-10,20.00,Cash,No,5,No",
                "C1,30,Female,Denver,Books,Atlas,2025-03-10,30.00,Cash,No,4,Yes",
            ]
        },
    )
    out = tmp_path / "processed"
    _run(spark, "customer_transactions", raw, out, "r1")
    load_run(executor, str(out), "r1", schema=schema, pipeline="customer_transactions")
    # A February purchase already flagged repeat: the second version now starts in February, and
    # the version starting in March no longer exists.
    _write_input(
        raw, {"customer_transactions_b.csv": [header, "C1,30,Female,Denver,Toys,Kite,2025-02-10,15.00,Cash,No,,Yes"]}
    )
    _run(spark, "customer_transactions", raw, out, "r2")
    load = load_run(executor, str(out), "r2", schema=schema, pipeline="customer_transactions")

    rows = pg_conn.execute(
        f'SELECT valid_from, valid_to, is_repeat_customer FROM "{schema}".dim_customer '
        "WHERE customer_id = 'C1' ORDER BY valid_from"
    ).fetchall()
    assert [(str(f), str(t), r) for f, t, r in rows] == [
        ("2025-01-10", "2025-02-09", False),
        ("2025-02-10", "9999-12-31", True),
    ]
    (customers,) = [t for t in load.tables if t.table == "dim_customer"]
    assert customers.rows_deleted == 3  # two restaged (the first version, the unknown member), one vanished
    orphans = pg_conn.execute(
        f'SELECT COUNT(*) FROM "{schema}".fact_orders f LEFT JOIN "{schema}".dim_customer d '
        "USING (customer_key) WHERE d.customer_key IS NULL"
    ).fetchone()
    assert orphans == (0,)
