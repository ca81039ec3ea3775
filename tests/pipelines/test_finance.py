"""The finance pipeline in-process: counts, stable keys across runs, idempotent reruns, later extracts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluestar.exceptions import ConfigurationError, DataQualityError, SchemaContractError, SourceFileError
from gluestar.pipelines.finance import run_finance
from gluestar.report import RunReport
from gluestar.snapshots import read_published

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "finance"
AUDIT = ["batch_id", "load_timestamp"]

TRANSACTION_HEADER = (
    "transaction_id,transaction_date,department_code,department_name,business_unit,"
    "account_number,account_name,account_type,category,amount,last_modified\n"
)
BUDGET_HEADER = "budget_month,department_code,account_number,budget_amount,scenario\n"


def _table(spark: SparkSession, root: Path, name: str) -> DataFrame:
    return read_published(spark, str(root), "finance", name)


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def sample_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunReport]:
    """The committed sample extract, run once into a fresh processed folder."""
    out = tmp_path_factory.mktemp("processed")
    report = run_finance(spark, str(SAMPLE), str(out), run_id="run-1")
    return out, report


def test_sample_run_counts_match_the_expected_tally(sample_run: tuple[Path, RunReport]) -> None:
    _, report = sample_run
    expected = json.loads((SAMPLE / "expected.json").read_text())
    for source, counts in expected.items():
        got = report.source(source)
        assert {k: getattr(got, k) for k in counts} == counts
    assert report.reconciles
    assert report.status == "succeeded"


def test_sample_run_writes_every_table(sample_run: tuple[Path, RunReport]) -> None:
    _, report = sample_run
    assert report.tables == {
        "dim_date": 365,
        "dim_department": 9,
        "dim_account": 14,
        "dim_scenario": 3,
        "fact_gl_transaction": 251,
        "fact_financials": 349,
    }
    assert report.partitions_written["fact_gl_transaction"] == [f"year=2025/month={m}" for m in range(1, 7)]


def test_run_report_is_written_as_json(sample_run: tuple[Path, RunReport]) -> None:
    out, report = sample_run
    written = RunReport.from_json((out / "finance" / "_runs" / "run-1.json").read_text())
    assert written.to_dict() == report.to_dict()


def test_quarantine_keeps_raw_values_reason_and_batch(spark: SparkSession, sample_run: tuple[Path, RunReport]) -> None:
    out, _ = sample_run
    quarantine = spark.read.parquet(str(out / "finance" / "_quarantine" / "transactions"))
    assert quarantine.count() == 30
    row = quarantine.filter(F.col("transaction_id") == "TXN-E020").first()
    assert (row.transaction_date, row.reject_reason, row.batch_id) == (
        "2025-02-30",
        "transaction_date '2025-02-30' is not a valid date (accepted: yyyy-MM-dd, yyyy/MM/dd)",
        "run-1",
    )


def test_facts_amounts_reconcile_with_accepted_transactions(
    spark: SparkSession, sample_run: tuple[Path, RunReport]
) -> None:
    out, _ = sample_run
    gl_total = _table(spark, out, "fact_gl_transaction").agg(F.sum("amount")).first()[0]
    per_scenario = (
        _table(spark, out, "fact_financials").groupBy("scenario_key").agg(F.sum("actual_amount").alias("a")).collect()
    )
    assert str(gl_total) == "12717361.37"
    assert sorted(str(r.a) for r in per_scenario) == ["12717361.37", "12717361.37"]


def test_budget_only_department_is_an_inferred_member(spark: SparkSession, sample_run: tuple[Path, RunReport]) -> None:
    out, _ = sample_run
    leg = _table(spark, out, "dim_department").filter(F.col("department_code") == "LEG-08").first()
    assert (leg.department_name, leg.business_unit) == (None, None)
    assert leg.department_key > 0


def test_rerun_over_processed_files_does_nothing(
    spark: SparkSession, sample_run: tuple[Path, RunReport], tmp_path: Path
) -> None:
    first, _ = sample_run
    second = tmp_path / "processed"
    shutil.copytree(first, second)
    report = run_finance(spark, str(SAMPLE), str(second), run_id="run-2")
    assert (report.status, report.sources, report.snapshot) == ("succeeded", [], None)
    assert report.files == {"read": [], "skipped": 3, "changed": []}
    assert report.messages == [
        "no new or changed raw files since run run-1: nothing to do, the published state is unchanged"
    ]
    published = sorted(p.name for p in (second / "finance" / "_published").iterdir() if not p.name.startswith("."))
    assert published == ["0000000001.json"]


def test_full_refresh_of_the_same_extract_gives_the_same_tables(
    spark: SparkSession, sample_run: tuple[Path, RunReport], tmp_path: Path
) -> None:
    first, _ = sample_run
    second = tmp_path / "processed"
    shutil.copytree(first, second)
    report = run_finance(spark, str(SAMPLE), str(second), run_id="run-2", full_refresh=True)
    assert report.reconciles
    assert report.source("transactions").accepted == 251
    for name in ("dim_date", "dim_department", "dim_account", "dim_scenario"):
        assert_df_equality(_table(spark, second, name), _table(spark, first, name), ignore_row_order=True)
    for name in ("fact_gl_transaction", "fact_financials"):
        rerun = _table(spark, second, name)
        assert {r.batch_id for r in rerun.select("batch_id").distinct().collect()} == {"run-2"}
        assert_df_equality(rerun.drop(*AUDIT), _table(spark, first, name).drop(*AUDIT), ignore_row_order=True)


def test_later_extract_keeps_keys_and_merges_into_its_months(
    spark: SparkSession, sample_run: tuple[Path, RunReport], tmp_path: Path
) -> None:
    first, _ = sample_run
    out = tmp_path / "processed"
    shutil.copytree(first, out)
    departments_before = _table(spark, out, "dim_department").collect()
    june_before = _table(spark, out, "fact_gl_transaction").filter("month = 6").count()
    raw = tmp_path / "raw"
    _write(
        raw,
        "transactions_2025_07.csv",
        TRANSACTION_HEADER
        + "TXN-900001,2025-07-02,OPS-09,Operations,Corporate,6000,Salaries and Wages,Expense,Personnel,100.00,\n"
        + "TXN-900002,2025-07-03,FIN-01,Finance (renamed),Corporate,4000,Product Sales,Revenue,Sales Revenue,50,\n"
        + "TXN-900003,2025-06-30,AAA-00,Audit,Corporate,6000,Salaries and Wages,Expense,Personnel,7.5,\n",
    )
    _write(raw, "budget_2025_07.csv", BUDGET_HEADER + "2025-07,OPS-09,6000,80.00,\n")
    report = run_finance(spark, str(raw), str(out), run_id="run-3")

    departments = {r.department_code: r for r in _table(spark, out, "dim_department").collect()}
    for before in departments_before:
        after = departments[before.department_code]
        assert after.department_key == before.department_key
    # New members get keys above the previous maximum (8), in natural-key order.
    assert (departments["AAA-00"].department_key, departments["OPS-09"].department_key) == (9, 10)
    assert departments["FIN-01"].department_name == "Finance (renamed)"

    gl = _table(spark, out, "fact_gl_transaction")
    by_month = {(r.year, r.month): r["count"] for r in gl.groupBy("year", "month").count().collect()}
    assert by_month == {
        (2025, 1): 46,
        (2025, 2): 43,
        (2025, 3): 46,
        (2025, 4): 38,
        (2025, 5): 43,
        (2025, 6): june_before + 1,
        (2025, 7): 2,
    }
    assert report.partitions_written["fact_financials"] == ["year=2025/month=6", "year=2025/month=7"]
    untouched = _table(spark, out, "fact_financials").filter("month < 6").drop(*AUDIT)
    assert_df_equality(
        untouched, _table(spark, first, "fact_financials").filter("month < 6").drop(*AUDIT), ignore_row_order=True
    )


def test_a_revision_is_found_by_id_when_it_moves_to_another_month(
    spark: SparkSession, sample_run: tuple[Path, RunReport], tmp_path: Path
) -> None:
    # The run reads the published fact only in the months that hold its ids (found by id, not by
    # the new row's date): the February row a May-dated revision replaces must still go.
    first, _ = sample_run
    out = tmp_path / "processed"
    shutil.copytree(first, out)
    gl = _table(spark, out, "fact_gl_transaction")
    months_before = {(r.month, r["count"]) for r in gl.groupBy("month").count().collect()}
    row = (
        gl.filter("month = 2 AND last_modified IS NOT NULL")
        .join(_table(spark, out, "dim_department"), "department_key")
        .join(_table(spark, out, "dim_account"), "account_key")
        .orderBy("transaction_id")
        .select("transaction_id", "department_code", "account_number")
        .first()
    )
    raw = tmp_path / "raw"
    _write(
        raw,
        "transactions_2025_late.csv",
        TRANSACTION_HEADER
        + f"{row.transaction_id},2025-05-15,{row.department_code},,,{row.account_number},,,,123.45,"
        + "2026-01-01T00:00:00\n",
    )

    report = run_finance(spark, str(raw), str(out), run_id="run-moved")

    counts = report.source("transactions")
    assert (counts.rows_read, counts.accepted, counts.superseded) == (1, 1, 0)
    assert report.partitions_written["fact_gl_transaction"] == ["year=2025/month=2", "year=2025/month=5"]
    after = _table(spark, out, "fact_gl_transaction")
    moved = after.filter(F.col("transaction_id") == row.transaction_id).select("month", "amount").collect()
    assert [(r.month, str(r.amount)) for r in moved] == [(5, "123.45")]
    expected = {(m, c - 1 if m == 2 else c + 1 if m == 5 else c) for m, c in months_before}
    assert {(r.month, r["count"]) for r in after.groupBy("month").count().collect()} == expected


def test_missing_raw_folder_is_a_clear_error(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(SourceFileError) as error:
        run_finance(spark, str(tmp_path / "nope"), str(tmp_path / "out"), run_id="r")
    assert str(error.value) == f"raw folder {tmp_path}/nope does not exist"


def test_missing_budget_files_is_a_clear_error(spark: SparkSession, tmp_path: Path) -> None:
    _write(tmp_path / "raw", "transactions.csv", TRANSACTION_HEADER)
    with pytest.raises(SourceFileError) as error:
        run_finance(spark, str(tmp_path / "raw"), str(tmp_path / "out"), run_id="r")
    assert str(error.value) == "no budget files matching 'budget*.csv' were found"


def test_missing_required_column_names_the_file(spark: SparkSession, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(raw, "transactions.csv", TRANSACTION_HEADER.replace(",amount", ""))
    _write(raw, "budget.csv", BUDGET_HEADER)
    with pytest.raises(SchemaContractError) as error:
        run_finance(spark, str(raw), str(tmp_path / "out"), run_id="r")
    header = TRANSACTION_HEADER.strip().replace(",amount", "").replace(",", ", ")
    assert str(error.value) == (
        f"file:{raw}/transactions.csv: missing required column(s): amount (header has: {header})"
    )


def test_every_row_rejected_stops_the_run_and_publishes_nothing(spark: SparkSession, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(raw, "transactions.csv", TRANSACTION_HEADER + "T1,2025-02-30,D1,,,4000,,,,1,\n")
    _write(raw, "budget.csv", BUDGET_HEADER + "2025-01,D1,4000,10,\n")
    out = tmp_path / "out"
    with pytest.raises(DataQualityError) as error:
        run_finance(spark, str(raw), str(out), run_id="r")
    assert str(error.value) == (
        "every one of the 1 transactions rows was rejected or removed as a duplicate; nothing was published "
        f"(quarantined rows are in {out}/finance/_quarantine/transactions)"
    )
    assert sorted(p.name for p in (out / "finance").iterdir()) == ["_quarantine", "_runs"]
    assert RunReport.from_json((out / "finance" / "_runs" / "r.json").read_text()).status == "failed"


def test_invalid_run_id_is_rejected(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as error:
        run_finance(spark, str(SAMPLE), str(tmp_path), run_id="../x")
    assert str(error.value) == (
        "run id '../x' must start with a letter or digit and hold only letters, digits, '_', '.', '-'"
    )


def test_a_published_run_id_cannot_be_reused(
    spark: SparkSession, sample_run: tuple[Path, RunReport], tmp_path: Path
) -> None:
    out = tmp_path / "processed"
    shutil.copytree(sample_run[0], out)
    with pytest.raises(ConfigurationError) as error:
        run_finance(spark, str(SAMPLE), str(out), run_id="run-1")
    assert str(error.value) == ("run id 'run-1' is part of the published snapshot 1; a new run needs a new run id")
