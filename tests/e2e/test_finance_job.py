"""End to end: build the wheel, run ``jobs/finance_star.py`` with ``spark-submit --py-files <wheel>``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from published_state import published_state

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "raw" / "finance"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gluestar wheel, built from this checkout the way ``make wheel`` builds it."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        check=True,
        cwd=REPO,
    )
    (built,) = out.glob("gluestar-*-py3-none-any.whl")
    return built


def _spark_submit(wheel: Path, *args: str, script: str = "finance_star.py") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    command = [
        str(BIN / "spark-submit"),
        "--master", "local[1]",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.shuffle.partitions=2",
        "--driver-java-options", f"-Dlog4j2.configurationFile=file:{REPO / 'jobs' / 'log4j2-local.properties'}",
        "--py-files", str(wheel),
        str(REPO / "jobs" / script),
        *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)


def test_wheel_ships_the_package_contracts_and_typing_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "gluestar/__init__.py",
        "gluestar/py.typed",
        "gluestar/pipelines/finance.py",
        "gluestar/schemas/finance/transactions.json",
        "gluestar/schemas/finance/budget.json",
        "gluestar/schemas/finance/star.json",
        "gluestar/schemas/json_orders/orders.json",
        "gluestar/schemas/json_orders/marts.json",
        "gluestar/ddl/shared/dim_date.sql",
    } <= names


def test_finance_job_runs_from_the_wheel_and_reconciles(wheel: Path, tmp_path: Path) -> None:
    out = tmp_path / "processed"
    result = _spark_submit(
        wheel,
        "--JOB_NAME",
        "finance_star",
        "--RAW_PATH",
        str(SAMPLE),
        "--PROCESSED_PATH",
        str(out),
        "--RUN_ID",
        "e2e-1",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    # spark-submit's Python runner merges the job's stderr into its stdout.
    assert f" loaded from {wheel}\n" in result.stdout
    assert "gluestar finance run e2e-1: succeeded" in result.stdout
    assert "  transactions   300       251           30          9          10         yes" in result.stdout

    report = json.loads((out / "finance" / "_runs" / "e2e-1.json").read_text())
    expected = json.loads((SAMPLE / "expected.json").read_text())
    assert report["reconciles"] is True
    for source in report["sources"]:
        counts = expected[source["source"]]
        assert {k: source[k] for k in counts} == counts
        assert source["rows_read"] == source["accepted"] + source["quarantined"] + source["duplicates_removed"]
    assert report["tables"]["fact_gl_transaction"] == 251
    state = published_state(out / "finance")
    for table in report["tables"]:
        assert any(name.startswith(f"_data/e2e-1/{table}/") for name in state["files"]), table
    assert report["partitions_written"]["fact_financials"] == [f"year=2025/month={m}" for m in range(1, 7)]
    assert report["snapshot"] == f"{out}/finance/_published/0000000001.json"


def test_finance_job_fails_with_one_clear_line(wheel: Path, tmp_path: Path) -> None:
    result = _spark_submit(
        wheel, "--JOB_NAME", "finance_star", "--RAW_PATH", str(tmp_path / "missing"), "--PROCESSED_PATH", str(tmp_path)
    )
    assert result.returncode == 1
    assert f"\ngluestar: error: raw folder {tmp_path / 'missing'} does not exist\n" in result.stdout
    assert "Traceback" not in result.stdout


def test_finance_job_names_a_missing_argument() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "jobs" / "finance_star.py"), "--JOB_NAME", "j", "--RAW_PATH", "x"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "lib")},
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == "gluestar: error: missing job argument(s): --PROCESSED_PATH\n"


def test_the_json_orders_job_runs_from_the_wheel_with_its_marts(wheel: Path, tmp_path: Path) -> None:
    out = tmp_path / "processed"
    raw = REPO / "data" / "raw" / "json_orders"
    result = _spark_submit(
        wheel,
        *("--JOB_NAME", "json_orders_star", "--RAW_PATH", str(raw), "--PROCESSED_PATH", str(out), "--RUN_ID", "e2e-j"),
        script="json_orders_star.py",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "gluestar json_orders run e2e-j: succeeded" in result.stdout
    report = json.loads((out / "json_orders" / "_runs" / "e2e-j.json").read_text())
    expected = json.loads((raw / "expected.json").read_text())
    (orders,) = report["sources"]
    assert {k: orders[k] for k in ("rows_read", "accepted", "quarantined")} == {
        k: expected["orders"][k] for k in ("rows_read", "accepted", "quarantined")
    }
    assert report["tables"]["fact_order_items"] == expected["star"]["fact_order_items"]
    assert report["tables"]["mart_monthly_revenue"] == 6
