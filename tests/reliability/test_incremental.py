"""Incremental runs, faults at every stage, a killed run, and garbage collection.

One raw folder receives two extracts: the first run publishes extract 1; the second run must merge
extract 2 (an updated transaction moving months, an exact resend, a stale version, a new member, a
restated budget) into it and equal a from-scratch rebuild of both. A fault at any checkpoint of the
second run leaves the published state untouched, and a rerun then gives the uninterrupted result.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from finance_extracts import (
    BUDGET_HEADER,
    TRANSACTION_HEADER,
    key_map,
    natural_tables,
    transaction,
    write_extract,
)
from pyspark.sql import SparkSession

from gluestar.faults import inject
from gluestar.pipelines.finance import run_finance
from gluestar.report import report_of
from published_state import published_state

REPO = Path(__file__).resolve().parents[2]

EXTRACT_1 = [
    transaction("T1", "2025-01-05", "D1", "4000", "100.00", "2025-01-06T00:00:00"),
    transaction("T2", "2025-01-20", "D2", "6000", "50.00", "2025-01-21T00:00:00"),
    transaction("T3", "2025-02-03", "D1", "6000", "70.00", "2025-02-04T00:00:00"),
]
BUDGET_1 = ["2025-01,D1,4000,90.00,\n", "2025-01,D2,6000,60.00,\n", "2025-02,D1,6000,65.00,\n"]
EXTRACT_2 = [
    transaction("T1", "2025-03-02", "D1", "4000", "120.00", "2025-03-03T00:00:00"),  # newer, moves Jan -> Mar
    transaction("T3", "2025-02-03", "D1", "6000", "70.00", "2025-02-04T00:00:00"),  # resent as published
    transaction("T2", "2025-01-20", "D2", "6000", "55.00", "2025-01-19T00:00:00"),  # older than published
    transaction("T4", "2025-03-10", "D3", "6000", "30.00", "2025-03-11T00:00:00"),  # new department
]
BUDGET_2 = ["2025-02,D1,6000,75.00,\n", "2025-03,D3,6000,40.00,\n"]  # restates Feb, adds Mar


@pytest.fixture(scope="module")
def first_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The raw folder with both extracts, and a processed zone holding only the first run."""
    base = tmp_path_factory.mktemp("incremental")
    raw, out = base / "raw", base / "out"
    write_extract(raw, "transactions_1.csv", TRANSACTION_HEADER, EXTRACT_1)
    write_extract(raw, "budget_1.csv", BUDGET_HEADER, BUDGET_1)
    run_finance(spark, str(raw), str(out), run_id="run-1")
    write_extract(raw, "transactions_2.csv", TRANSACTION_HEADER, EXTRACT_2)
    write_extract(raw, "budget_2.csv", BUDGET_HEADER, BUDGET_2)
    return raw, out


@pytest.fixture(scope="module")
def second_run(spark: SparkSession, first_run: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    """The uninterrupted second run, on a copy of the first run's zone."""
    raw, first = first_run
    out = tmp_path_factory.mktemp("second") / "out"
    shutil.copytree(first, out)
    report = run_finance(spark, str(raw), str(out), run_id="run-2")
    return out, report, natural_tables(spark, out)


def test_a_second_run_reads_only_the_new_files_and_reconciles(second_run) -> None:
    _, report, _ = second_run
    assert sorted(Path(p).name for p in report.files["read"]) == ["budget_2.csv", "transactions_2.csv"]
    assert report.files["skipped"] == 2
    tx = report.source("transactions")
    assert (tx.rows_read, tx.accepted, tx.exact_duplicates, tx.superseded, tx.quarantined) == (4, 2, 1, 1, 0)
    budget = report.source("budget")
    assert (budget.rows_read, budget.accepted) == (2, 2)
    assert report.reconciles


def test_the_second_run_rewrites_exactly_the_touched_months(second_run) -> None:
    _, report, tables = second_run
    # January loses T1 (moved to March) and March is new; February's GL is untouched (T3 was resent
    # unchanged), but its budget is restated, so its variance is recomputed.
    months = ["year=2025/month=1", "year=2025/month=2", "year=2025/month=3"]
    assert report.partitions_written == {
        "fact_gl_transaction": ["year=2025/month=1", "year=2025/month=3"],
        "fact_financials": months,
    }
    gl = {row[-1]: row for row in tables["fact_gl_transaction"]}  # columns sorted: ..., transaction_id last
    assert sorted(gl) == ["T1", "T2", "T3", "T4"]
    assert (gl["T1"][2], str(gl["T1"][1])) == (20250302, "120.00")
    assert str(gl["T2"][1]) == "50.00"


def test_keys_stay_and_new_members_get_new_ones(spark, first_run, second_run) -> None:
    _, first = first_run
    out, _, _ = second_run
    before = key_map(spark, first, "dim_department", "department_key", "department_code")
    after = key_map(spark, out, "dim_department", "department_key", "department_code")
    assert {code: after[code] for code in before} == before
    assert after["D3"] == max(before.values()) + 1


def test_incremental_equals_a_rebuild_from_scratch(spark, first_run, second_run, tmp_path) -> None:
    raw, _ = first_run
    _, _, incremental = second_run
    report = run_finance(spark, str(raw), str(tmp_path / "scratch"), run_id="scratch", full_refresh=True)
    assert report.reconciles
    assert natural_tables(spark, tmp_path / "scratch") == incremental


def _copy_of_first_run(first_run: tuple[Path, Path], tmp_path: Path) -> tuple[Path, dict[str, object]]:
    """A copy of the first run's zone to break, and its published state."""
    out = tmp_path / "out"
    shutil.copytree(first_run[1], out)
    return out, published_state(out / "finance")


def _rerun_recovers(spark: SparkSession, raw: Path, out: Path, failed: str, expected: dict) -> None:
    report = run_finance(spark, str(raw), str(out), run_id="rerun")
    assert report.status == "succeeded"
    assert not (out / "finance" / "_data" / failed).exists()  # the failed run's files are collected
    assert natural_tables(spark, out) == expected


@pytest.mark.parametrize("checkpoint", ["read", "transform", "write", "quality", "publish"])
def test_a_fault_at_any_stage_publishes_nothing_and_a_rerun_recovers(
    spark, first_run, second_run, tmp_path, checkpoint
) -> None:
    raw = first_run[0]
    out, before = _copy_of_first_run(first_run, tmp_path)
    with inject(checkpoint, RuntimeError(f"injected fault at {checkpoint}")), pytest.raises(RuntimeError) as fault:
        run_finance(spark, str(raw), str(out), run_id="broken")
    assert str(fault.value) == f"injected fault at {checkpoint}"
    assert report_of(fault.value).status == "failed"
    assert published_state(out / "finance") == before
    assert not (out / "finance" / "_lock.json").exists()
    _rerun_recovers(spark, raw, out, "broken", second_run[2])


KILLED_RUN = """
import sys
from pyspark.sql import SparkSession
from gluestar.faults import KILL, inject
from gluestar.pipelines.finance import run_finance
spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "2").getOrCreate())
with inject(sys.argv[3], KILL):
    run_finance(spark, sys.argv[1], sys.argv[2], run_id="killed")
"""


@pytest.mark.parametrize("checkpoint", ["write"])
def test_a_killed_run_leaves_the_published_state_and_a_rerun_takes_over_its_lock(
    spark, first_run, second_run, tmp_path, checkpoint
) -> None:
    raw = first_run[0]
    out, before = _copy_of_first_run(first_run, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO / "lib"), "PYSPARK_PYTHON": sys.executable}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(raw), str(out), checkpoint],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert (out / "finance" / "_lock.json").exists()  # nobody released it
    assert (out / "finance" / "_data" / "killed").exists()  # half a run on disk, unpublished
    assert published_state(out / "finance") == before
    _rerun_recovers(spark, raw, out, "killed", second_run[2])
