"""load_run on a real PostgreSQL: first load, idempotent reload, a later run, rollbacks, dimensions first."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sample_runs import (
    ACCOUNTS,
    DATES,
    DEPARTMENTS_1,
    DEPARTMENTS_2,
    FIN_1,
    FIN_2,
    GL_1,
    GL_2,
    LOAD_2,
    SCENARIOS,
    STAR,
    LocalS3,
    PlanRecorder,
    RunWriter,
    rows_of,
)

from gluestar.exceptions import ConfigurationError, RedshiftLoadError
from gluestar.redshift import PostgresExecutor, load_run
from gluestar.redshift.loader import date_key_ranges, latest_run_id, load_order, partition_range

GL_COLUMNS = ", ".join(f'"{c.name}"' for c in STAR.table("fact_gl_transaction").columns[:-2])
TABLE_ORDER = ("dim_date", "dim_department", "dim_account", "dim_scenario", "fact_gl_transaction", "fact_financials")


def snapshot(connection: Any, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by the table's key."""
    tables = {}
    for spec in STAR.tables:
        order = ", ".join(f'"{k}"' for k in spec.key)
        tables[spec.name] = connection.execute(f'SELECT * FROM "{schema}"."{spec.name}" ORDER BY {order}').fetchall()
    return tables


def by_key(rows: Sequence[tuple[Any, ...]], width: int = 1) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda r: r[:width])


class Recording:
    """Wraps an executor and records the units it runs, in order."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dialect = inner.dialect
        self.units: list[str] = []

    def run(self, unit: str, steps: Sequence[Any]) -> list[int | None]:
        self.units.append(unit)
        return self.inner.run(unit, steps)


def test_first_load_lands_every_row(runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str) -> None:
    runs.first_run()

    report = load_run(executor, runs.path, "run-1", schema=schema)

    assert snapshot(pg_conn, schema) == {
        "dim_date": DATES,
        "dim_department": DEPARTMENTS_1,
        "dim_account": ACCOUNTS,
        "dim_scenario": SCENARIOS,
        "fact_gl_transaction": by_key(rows_of(GL_1)),
        "fact_financials": by_key(rows_of(FIN_1), 4),
    }
    assert [(t.table, t.rows_staged, t.rows_deleted, t.rows_inserted) for t in report.tables] == [
        ("dim_date", 90, 0, 90),
        ("dim_department", 3, 0, 3),
        ("dim_account", 3, 0, 3),
        ("dim_scenario", 2, 0, 2),
        ("fact_gl_transaction", 4, 0, 4),
        ("fact_financials", 4, 0, 4),
    ]
    assert report.tables[4].partitions == ["year=2025/month=1", "year=2025/month=2"]
    assert report.tables[4].files == 4


def test_types_survive_the_load(runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str) -> None:
    runs.first_run()

    load_run(executor, runs.path, "run-1", schema=schema)

    row = pg_conn.execute(f'SELECT * FROM "{schema}".fact_gl_transaction WHERE transaction_id = %s', ("T3",)).fetchone()
    assert row == (
        "T3",
        20250203,
        1,
        10,
        Decimal("75.25"),
        dt.datetime(2025, 2, 3, 8, 0, 0, 123456),
        "run-1",
        dt.datetime(2025, 3, 1, 10),
    )
    nulls = pg_conn.execute(
        f'SELECT variance_pct, is_favorable FROM "{schema}".fact_financials '
        "WHERE department_key = 2 AND date_key = 20250201"
    ).fetchone()
    assert nulls == (None, True)


def test_reloading_the_same_run_changes_nothing(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    once = snapshot(pg_conn, schema)

    report = load_run(executor, runs.path, "run-1", schema=schema)

    assert snapshot(pg_conn, schema) == once
    assert [(t.rows_deleted, t.rows_inserted) for t in report.tables] == [
        (90, 90),
        (3, 3),
        (3, 3),
        (2, 2),
        (4, 4),
        (4, 4),
    ]


def test_a_later_run_changes_only_its_rows_and_partitions(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    runs.second_run()

    report = load_run(executor, runs.path, "run-2", schema=schema)

    january = {"year=2025/month=1": GL_1["year=2025/month=1"]}
    january_fin = {"year=2025/month=1": FIN_1["year=2025/month=1"]}
    assert snapshot(pg_conn, schema) == {
        "dim_date": DATES,
        "dim_department": DEPARTMENTS_2,
        "dim_account": ACCOUNTS,
        "dim_scenario": SCENARIOS,
        # January stays as run-1 loaded it; February is run-2's (T3 changed, T6 gone, T4 new); March is new.
        "fact_gl_transaction": by_key(rows_of(january) + rows_of(GL_2)),
        "fact_financials": by_key(rows_of(january_fin) + rows_of(FIN_2), 4),
    }
    gl = report.tables[4]
    assert (gl.partitions, gl.rows_deleted, gl.rows_inserted) == (["year=2025/month=2", "year=2025/month=3"], 2, 3)


def test_the_kpi_views_read_the_loaded_run(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    runs.second_run()
    load_run(
        executor,
        runs.path,
        "run-1",
        schema=schema,
        tables=["dim_date", "dim_department", "dim_account", "dim_scenario"],
    )
    load_run(executor, runs.path, "run-2", schema=schema)

    variance = pg_conn.execute(
        f"SELECT month, department_name, account_name, scenario_name, actual_amount, budget_amount, variance "
        f'FROM "{schema}".kpi_monthly_variance ORDER BY month, department_name'
    ).fetchall()
    over = pg_conn.execute(
        f"SELECT month, department_code, account_name, overrun, over_budget_rank "
        f'FROM "{schema}".kpi_top_over_budget ORDER BY month'
    ).fetchall()
    ytd = pg_conn.execute(
        f"SELECT fiscal_month, business_unit, month_actual, month_budget, ytd_actual, ytd_budget, ytd_variance "
        f'FROM "{schema}".kpi_ytd_business_unit ORDER BY business_unit, fiscal_month'
    ).fetchall()

    d = Decimal
    assert variance == [
        (2, "Finance", "Salaries", "Budget", d("80.00"), d("80.00"), d("0.00")),
        (2, "Marketing", "Salaries", "Budget", d("42.00"), d("0.00"), d("42.00")),
        (3, "Operations & Logistics", "Sales", "Budget", d("500.00"), d("400.00"), d("100.00")),
    ]
    assert over == [(2, "MKT", "Salaries", d("42.00"), 1)]
    assert ytd == [
        (2, "Corporate", d("122.00"), d("80.00"), d("122.00"), d("80.00"), d("42.00")),
        (3, "Retail", d("500.00"), d("400.00"), d("500.00"), d("400.00"), d("100.00")),
    ]


def test_ytd_accumulates_over_the_fiscal_year(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)

    ytd = pg_conn.execute(
        f'SELECT fiscal_month, business_unit, ytd_actual, ytd_budget FROM "{schema}".kpi_ytd_business_unit '
        "ORDER BY business_unit, fiscal_month"
    ).fetchall()

    d = Decimal
    assert ytd == [
        (1, "Corporate", d("100.00"), d("90.00")),
        (2, "Corporate", d("175.25"), d("170.00")),
        (1, "Retail", d("250.50"), d("300.00")),
        (2, "Retail", d("262.84"), d("300.00")),
    ]


def test_a_failure_after_the_delete_rolls_the_fact_back(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    before = snapshot(pg_conn, schema)
    # February is replaced by T3 and T1, but T1 is a January transaction already loaded: the stage is unique
    # and inside February, so the guards pass, February's rows are deleted, and the INSERT breaks the key.
    bad = {
        "year=2025/month=2": [
            ("T1", 20250210, 1, 10, Decimal("1.00"), None, "run-3", LOAD_2),
            ("T3", 20250203, 1, 10, Decimal("75.25"), None, "run-3", LOAD_2),
        ]
    }
    runs.publish("run-3", dimensions={}, facts={"fact_gl_transaction": bad})

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-3", schema=schema)

    assert str(caught.value) == (
        "loading fact_gl_transaction: statement 6 of 7 (insert the staged rows) failed and the transaction was "
        'rolled back: duplicate key value violates unique constraint "pk_fact_gl_transaction" DETAIL: Key '
        f'(transaction_id)=(T1) already exists. [SQL: INSERT INTO "{schema}"."fact_gl_transaction" ({GL_COLUMNS}) '
        f'SELECT {GL_COLUMNS} FROM "gluestar_stage_fact_gl_transaction"] (already loaded and committed: '
        "dim_date, dim_department, dim_account, dim_scenario; rerunning the load is safe)"
    )
    assert snapshot(pg_conn, schema) == before


def test_a_failure_at_commit_rolls_the_fact_back(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    before = snapshot(pg_conn, schema)
    # February replaced by a row whose department does not exist: the deferred foreign key fails at COMMIT,
    # after the delete and the insert ran.
    bad = {"year=2025/month=2": [("T9", 20250210, 99, 10, Decimal("5.00"), None, "run-3", LOAD_2)]}
    runs.publish("run-3", dimensions={"dim_department": DEPARTMENTS_1}, facts={"fact_gl_transaction": bad})

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-3", schema=schema)

    assert str(caught.value) == (
        "loading fact_gl_transaction: COMMIT failed and the transaction was rolled back: insert or update on table "
        '"fact_gl_transaction" violates foreign key constraint "fk_fact_gl_transaction_department" DETAIL: Key '
        '(department_key)=(99) is not present in table "dim_department". (already loaded and committed: '
        "dim_date, dim_department, dim_account, dim_scenario; rerunning the load is safe)"
    )
    assert snapshot(pg_conn, schema) == before


def test_a_bad_value_in_the_copy_rolls_back(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    before = snapshot(pg_conn, schema)
    bad = {"year=2025/month=2": [("T9", 20250210, 1, 10, None, None, "run-3", LOAD_2)]}
    runs.publish("run-3", dimensions={}, facts={"fact_gl_transaction": bad})

    with pytest.raises(RedshiftLoadError, match=r"statement 2 of 7 \(copy the run's files into the staging table\)"):
        load_run(executor, runs.path, "run-3", schema=schema, tables=["fact_gl_transaction"], create_tables=False)

    assert snapshot(pg_conn, schema) == before


def test_repeated_keys_in_the_run_fail_the_guard(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    before = snapshot(pg_conn, schema)
    twice = [(2, "OPS", "Operations", "Retail"), (2, "OPS", "Ops", "Retail")]
    runs.publish("run-3", dimensions={"dim_department": twice}, facts={})

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-3", schema=schema, tables=["dim_department"], create_tables=False)

    assert str(caught.value) == (
        "loading dim_department: statement 3 of 6 (check the staged rows for repeated keys) failed and the "
        'transaction was rolled back: invalid input syntax for type integer: "staged rows repeat a key" '
        "[SQL: SELECT CAST(CASE WHEN COUNT(*) = 0 THEN '0' ELSE 'staged rows repeat a key' END AS INTEGER) "
        'FROM (SELECT "department_key" FROM "gluestar_stage_dim_department" GROUP BY "department_key" '
        "HAVING COUNT(*) > 1) AS repeated]"
    )
    assert snapshot(pg_conn, schema) == before


def test_rows_outside_the_run_partitions_fail_the_guard(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    before = snapshot(pg_conn, schema)
    misplaced = {"year=2025/month=2": [("T9", 20250310, 1, 10, Decimal("5.00"), None, "run-3", LOAD_2)]}
    runs.publish("run-3", dimensions={}, facts={"fact_gl_transaction": misplaced})

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-3", schema=schema, tables=["fact_gl_transaction"], create_tables=False)

    assert str(caught.value).startswith(
        "loading fact_gl_transaction: statement 4 of 7 (check the staged rows lie in the run's partitions) failed "
        "and the transaction was rolled back: invalid input syntax for type integer: "
        '"staged rows outside the run partitions"'
    )
    assert str(caught.value).endswith('WHERE NOT ("date_key" BETWEEN %s AND %s) -- params (20250201, 20250228)]')
    assert snapshot(pg_conn, schema) == before


def test_dimensions_load_before_facts_whatever_the_order_asked(
    runs: RunWriter, executor: PostgresExecutor, schema: str
) -> None:
    runs.first_run()
    recording = Recording(executor)

    load_run(recording, runs.path, "run-1", schema=schema, tables=list(reversed(TABLE_ORDER)))

    assert recording.units == [
        f"creating the finance tables and views in schema {schema}",
        *(f"loading {t}" for t in TABLE_ORDER),
    ]


def test_facts_before_their_dimensions_would_fail(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()

    with pytest.raises(RedshiftLoadError, match=r"^loading fact_gl_transaction: COMMIT failed .* violates foreign key"):
        load_run(executor, runs.path, "run-1", schema=schema, tables=["fact_gl_transaction"])

    assert pg_conn.execute(f'SELECT COUNT(*) FROM "{schema}".fact_gl_transaction').fetchone() == (0,)


def test_a_run_replaced_by_a_later_run_is_refused(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    runs.second_run()

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema, tables=["fact_financials"], create_tables=False)

    assert str(caught.value) == (
        "loading fact_financials: a later run replaced partitions of run run-1 in the published snapshot 2 "
        "(year=2025/month=2 now holds run run-2); load the run that wrote them instead"
    )


def test_a_run_whose_partition_a_later_run_dropped_is_refused(
    runs: RunWriter, executor: PostgresExecutor, schema: str
) -> None:
    runs.first_run()
    runs.publish(
        "run-2",
        dimensions={},
        facts={"fact_gl_transaction": GL_2},
        dropped={"fact_gl_transaction": ["year=2025/month=1"]},
    )

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema, tables=["fact_gl_transaction"], create_tables=False)

    assert str(caught.value) == (
        "loading fact_gl_transaction: a later run replaced partitions of run run-1 in the published snapshot 2 "
        "(year=2025/month=1 is no longer published; year=2025/month=2 now holds run run-2); "
        "load the run that wrote them instead"
    )


def test_a_half_written_run_is_never_loaded(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    # run-2 wrote all its files but failed before committing its snapshot: they are not published.
    runs.second_run(status="failed")

    report = load_run(executor, runs.path, "run-1", schema=schema)

    assert snapshot(pg_conn, schema)["dim_department"] == DEPARTMENTS_1
    assert snapshot(pg_conn, schema)["fact_gl_transaction"] == by_key(rows_of(GL_1))
    assert report.snapshot == f"{runs.path}/finance/_published/0000000001.json"


def test_a_run_that_published_nothing_is_refused(runs: RunWriter, executor: PostgresExecutor, schema: str) -> None:
    runs.first_run()
    runs.idle_run("run-2")

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-2", schema=schema)

    assert str(caught.value) == (
        "run run-2 published no snapshot (it found no new or changed raw files), so it has nothing to load; "
        "the published state is run run-1's"
    )


def test_nothing_published_is_a_configuration_error(runs: RunWriter, executor: PostgresExecutor, schema: str) -> None:
    runs.first_run()
    for published in (runs.finance / "_published").glob("*.json"):
        published.unlink()

    with pytest.raises(ConfigurationError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema)

    assert str(caught.value) == (
        f"nothing is published under {runs.path}/finance: no snapshot in {runs.path}/finance/_published"
    )


def test_a_failed_run_is_refused(runs: RunWriter, executor: PostgresExecutor, schema: str) -> None:
    runs.first_run(status="failed")

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema)

    assert str(caught.value) == "run run-1 has status 'failed'; only a succeeded run can be loaded"


def test_an_unknown_run_is_a_configuration_error(runs: RunWriter, executor: PostgresExecutor, schema: str) -> None:
    runs.first_run()

    with pytest.raises(ConfigurationError) as caught:
        load_run(executor, runs.path, "run-9", schema=schema)

    assert (
        str(caught.value)
        == f"no run report {runs.path}/finance/_runs/run-9.json: is 'run-9' a run of the finance pipeline?"
    )


def test_an_unreadable_snapshot_is_refused(runs: RunWriter, executor: PostgresExecutor, schema: str) -> None:
    runs.first_run()
    broken = runs.finance / "_published" / "0000000002.json"
    broken.write_text("{", encoding="utf-8")

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema)

    assert str(caught.value) == (
        f"the published snapshot {broken} is unreadable: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)"
    )


def test_files_whose_columns_are_out_of_order_are_refused(
    runs: RunWriter, executor: PostgresExecutor, schema: str
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    runs.first_run()
    (published,) = runs.data("run-1", "dim_scenario").glob("*.parquet")
    pq.write_table(pa.table({"scenario_name": ["Actual"], "scenario_key": [1]}), published)

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema, tables=["dim_scenario"], create_tables=False)

    assert str(caught.value) == (
        f"loading dim_scenario: {published} has columns ['scenario_name', 'scenario_key'], "
        "but the table loads ['scenario_key', 'scenario_name'] by position"
    )


def test_a_fact_the_run_did_not_write_is_skipped(runs: RunWriter, executor: PostgresExecutor, schema: str) -> None:
    runs.first_run()
    runs.publish("run-3", dimensions={"dim_scenario": SCENARIOS}, facts={})

    report = load_run(executor, runs.path, "run-3", schema=schema, tables=["dim_scenario", "fact_financials"])

    assert [t.table for t in report.tables] == ["dim_scenario"]
    assert report.skipped == ["fact_financials"]


def test_latest_run_id_picks_the_run_of_the_current_snapshot(runs: RunWriter) -> None:
    runs.first_run()
    runs.second_run()
    runs.publish("run-3", dimensions={}, facts={}, status="failed", started_at="2025-05-01T00:00:00+00:00")
    runs.idle_run("run-4")

    assert latest_run_id(runs.path) == "run-2"


def test_latest_run_id_before_the_first_publish_is_a_configuration_error(runs: RunWriter) -> None:
    runs.first_run(status="failed")

    with pytest.raises(ConfigurationError) as caught:
        latest_run_id(runs.path)

    assert str(caught.value) == (
        f"nothing is published under {runs.path}/finance: no snapshot in {runs.path}/finance/_published"
    )


def test_redshift_plan_writes_a_manifest_of_exactly_the_run_files(runs: RunWriter, tmp_path: Path) -> None:
    runs.first_run()
    runs.second_run()
    storage = LocalS3(runs.root)
    recorder = PlanRecorder()

    report = load_run(
        recorder,
        "s3://bucket/processed",
        "run-2",
        schema="finance",
        iam_role="arn:aws:iam::123456789012:role/redshift-copy",
        storage=storage,
        tables=["fact_financials"],
        create_tables=False,
    )

    manifest_path = "s3://bucket/processed/finance/_manifests/run-2/fact_financials.manifest"
    manifest = json.loads(storage.read_text(manifest_path))
    listed = [e["url"] for e in manifest["entries"]]
    expected = [
        f.path
        for p in ("year=2025/month=2", "year=2025/month=3")
        for f in storage.list_files(f"s3://bucket/processed/finance/_data/run-2/fact_financials/{p}")
    ]
    assert listed == expected and len(listed) == 3
    assert all(e["mandatory"] is True and e["meta"]["content_length"] > 0 for e in manifest["entries"])
    assert report.tables[0].manifest == manifest_path
    unit, steps = recorder.runs[0]
    assert unit == "loading fact_financials"
    assert [(s.label, s.sql, s.params) for s in steps] == [
        (
            "create the staging table",
            'CREATE TEMP TABLE "gluestar_stage_fact_financials" (LIKE "finance"."fact_financials")',
            (),
        ),
        (
            "copy the run's files into the staging table",
            f"COPY \"gluestar_stage_fact_financials\" FROM '{manifest_path}' "
            "IAM_ROLE 'arn:aws:iam::123456789012:role/redshift-copy' FORMAT AS PARQUET MANIFEST",
            (),
        ),
        (
            "check the staged rows for repeated keys",
            "SELECT CAST(CASE WHEN COUNT(*) = 0 THEN '0' ELSE 'staged rows repeat a key' END AS INTEGER) FROM "
            '(SELECT "date_key", "department_key", "account_key", "scenario_key" FROM "gluestar_stage_fact_financials" '
            'GROUP BY "date_key", "department_key", "account_key", "scenario_key" HAVING COUNT(*) > 1) AS repeated',
            (),
        ),
        (
            "check the staged rows lie in the run's partitions",
            "SELECT CAST(CASE WHEN COUNT(*) = 0 THEN '0' ELSE 'staged rows outside the run partitions' END AS INTEGER) "
            'FROM "gluestar_stage_fact_financials" WHERE NOT ("date_key" BETWEEN %s AND %s)',
            (20250201, 20250331),
        ),
        (
            "delete the target rows of the run's partitions",
            'DELETE FROM "finance"."fact_financials" WHERE "date_key" BETWEEN %s AND %s',
            (20250201, 20250331),
        ),
        (
            "insert the staged rows",
            'INSERT INTO "finance"."fact_financials" ("date_key", "department_key", "account_key", "scenario_key", '
            '"actual_amount", "budget_amount", "variance", "variance_pct", "is_favorable", "transaction_count", '
            '"batch_id", "load_timestamp") SELECT "date_key", "department_key", "account_key", "scenario_key", '
            '"actual_amount", "budget_amount", "variance", "variance_pct", "is_favorable", "transaction_count", '
            '"batch_id", "load_timestamp" FROM "gluestar_stage_fact_financials"',
            (),
        ),
        ("drop the staging table", 'DROP TABLE "gluestar_stage_fact_financials"', ()),
    ]


def test_a_redshift_executor_needs_an_s3_path_and_a_role(runs: RunWriter) -> None:
    runs.first_run()
    with pytest.raises(ConfigurationError) as no_role:
        load_run(PlanRecorder(), runs.path, "run-1")
    with pytest.raises(ConfigurationError) as local_path:
        load_run(PlanRecorder(), runs.path, "run-1", iam_role="arn:aws:iam::123456789012:role/r")

    assert (
        str(no_role.value)
        == "the recorder executor loads with COPY from S3 and needs an IAM role (--REDSHIFT_IAM_ROLE)"
    )
    assert str(local_path.value) == (
        f"the recorder executor loads with COPY from S3, so the processed path must be an s3:// URI; got {runs.path!r} "
        "(the postgres executor loads local files)"
    )


def test_partition_ranges() -> None:
    assert partition_range("year=2024/month=2") == (20240201, 20240229)
    assert partition_range("year=2025/month=12") == (20251201, 20251231)
    assert date_key_ranges(["year=2025/month=3", "year=2025/month=1", "year=2025/month=2", "year=2025/month=6"]) == [
        (20250101, 20250331),
        (20250601, 20250630),
    ]
    assert date_key_ranges(["year=2024/month=12", "year=2025/month=1"]) == [(20241201, 20250131)]


def test_a_partition_that_is_not_year_month_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        date_key_ranges(["year=2025/month=13"])

    assert str(caught.value) == "partition 'year=2025/month=13' is not of the form year=YYYY/month=M"


def test_load_order_refuses_unknown_tables() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_order(STAR, ["dim_nope"])

    assert str(caught.value).startswith("pipeline 'finance' has no table 'dim_nope'")


def test_a_published_file_that_is_gone_fails_the_copy_and_rolls_back(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    before = snapshot(pg_conn, schema)
    (gone, _) = sorted(runs.data("run-1", "fact_gl_transaction", "year=2025/month=2").glob("*.parquet"))
    gone.unlink()

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema, tables=["fact_gl_transaction"], create_tables=False)

    assert str(caught.value) == (
        "loading fact_gl_transaction: statement 2 of 7 (copy the run's files into the staging table) failed and "
        f"the transaction was rolled back: [Errno 2] Failed to open local file '{gone}'. Detail: [errno 2] No such "
        f'file or directory [SQL: COPY "gluestar_stage_fact_gl_transaction" ({GL_COLUMNS}) FROM STDIN (FORMAT csv)]'
    )
    assert snapshot(pg_conn, schema) == before


def test_a_published_file_that_cannot_be_read_is_refused(
    runs: RunWriter, executor: PostgresExecutor, schema: str
) -> None:
    runs.first_run()
    (gone,) = runs.data("run-1", "dim_scenario").glob("*.parquet")
    gone.unlink()

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema, tables=["dim_scenario"], create_tables=False)

    assert str(caught.value) == (
        f"loading dim_scenario: cannot read {gone}, which the published snapshot 1 lists: "
        f"[Errno 2] Failed to open local file '{gone}'. Detail: [errno 2] No such file or directory"
    )


def test_a_fact_refused_after_the_dimensions_says_they_are_loaded(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    runs.second_run()

    with pytest.raises(RedshiftLoadError) as caught:
        load_run(executor, runs.path, "run-1", schema=schema)

    assert str(caught.value) == (
        "loading fact_gl_transaction: a later run replaced partitions of run run-1 in the published snapshot 2 "
        "(year=2025/month=2 now holds run run-2); load the run that wrote them instead (already loaded and "
        "committed: dim_date, dim_department, dim_account, dim_scenario; rerunning the load is safe)"
    )
    assert pg_conn.execute(f'SELECT COUNT(*) FROM "{schema}".dim_department').fetchone() == (4,)


def test_partitions_a_run_emptied_are_deleted_but_not_expected_in_the_stage() -> None:
    from gluestar.contracts import load_star_schema
    from gluestar.redshift.files import DataFile
    from gluestar.redshift.loader import table_steps

    spec = load_star_schema("finance").table("fact_gl_transaction")
    steps = table_steps(
        spec,
        [DataFile("s3://bucket-1/f.parquet", 1)],
        schema="finance",
        dialect="redshift",
        partitions=["year=2025/month=3"],
        dropped=["year=2025/month=1"],
        manifest_url="s3://bucket-1/m.manifest",
        iam_role="arn:aws:iam::123456789012:role/copy",
    )
    deleted = next(s for s in steps if s.sql.startswith("DELETE"))
    checked = [s for s in steps if s.params and not s.sql.startswith("DELETE")]
    assert [s.params for s in checked] == [(20250301, 20250331)]
    assert deleted.params == (20250101, 20250131, 20250301, 20250331)


def test_a_fault_during_the_load_keeps_the_facts_and_a_reload_recovers(
    runs: RunWriter, executor: PostgresExecutor, pg_conn: Any, schema: str
) -> None:
    from gluestar.faults import inject

    runs.first_run()
    load_run(executor, runs.path, "run-1", schema=schema)
    before = snapshot(pg_conn, schema)
    runs.second_run()

    with inject("load", RuntimeError("injected fault at load")), pytest.raises(RuntimeError):
        load_run(executor, runs.path, "run-2", schema=schema)
    after_fault = snapshot(pg_conn, schema)
    # The dimensions (loaded first, each in its own transaction) may hold run-2's members; no fact changed.
    facts = ("fact_gl_transaction", "fact_financials")
    assert {t: after_fault[t] for t in facts} == {t: before[t] for t in facts}

    load_run(executor, runs.path, "run-2", schema=schema)
    recovered = snapshot(pg_conn, schema)
    assert recovered["dim_department"] == DEPARTMENTS_2
    january = {"year=2025/month=1": GL_1["year=2025/month=1"]}
    assert recovered["fact_gl_transaction"] == by_key(rows_of(january) + rows_of(GL_2))
