"""The quality gate inside the finance pipeline: warnings publish, errors publish nothing and exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from gluestar.exceptions import ConfigurationError, DataQualityError
from gluestar.pipelines.finance import run_finance
from gluestar.quality.metrics import RunMetrics
from gluestar.quality.results import QualityReport
from gluestar.report import RunReport
from published_state import published_state

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "raw" / "finance"
TABLES = ("dim_date", "dim_department", "dim_account", "dim_scenario", "fact_gl_transaction", "fact_financials")
TRANSACTION_HEADER = (
    "transaction_id,transaction_date,department_code,department_name,business_unit,"
    "account_number,account_name,account_type,category,amount,last_modified\n"
)
BUDGET_HEADER = "budget_month,department_code,account_number,budget_amount,scenario\n"
AMOUNT_WARNING = "fact_gl_transaction: amount is within +/-1,000,000 (larger postings need review)"
ACCOUNT_TYPE_CHECK = "dim_account: account_type is a known type"
ALLOWED_TYPES = (
    "`account_type` IS NULL OR `account_type` IN ('Asset','Liability','Equity','Revenue','Expense','Unknown')"
)


def _bad_extract(folder: Path) -> Path:
    """A valid extract (cleaning accepts every row) whose new account has a misspelt type, 'Expence'."""
    folder.mkdir(parents=True)
    (folder / "transactions_2025_07.csv").write_text(
        TRANSACTION_HEADER + "TXN-Q001,2025-07-03,FIN-01,Finance,Corporate,6800,Misc Charges,expence,Other,10.00,\n"
    )
    (folder / "budget_2025_07.csv").write_text(BUDGET_HEADER + "2025-07,FIN-01,6800,5.00,\n")
    return folder


@pytest.fixture(scope="module")
def published(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunReport]:
    """The committed sample, run once: it passes every error check and fails one warning."""
    out = tmp_path_factory.mktemp("processed")
    return out, run_finance(spark, str(SAMPLE), str(out), run_id="good-1", quality_engine="auto")


def test_a_warning_failure_publishes_and_is_reported(published: tuple[Path, RunReport]) -> None:
    out, report = published
    assert report.status == "succeeded"
    assert (report.quality["engine"], report.quality["status"], report.quality["failed_checks"]) == (
        "native",
        "warnings",
        {"error": 0, "warning": 1},
    )
    assert [(f["check"], f["level"]) for f in report.quality["failures"]] == [(AMOUNT_WARNING, "Warning")]
    assert report.quality["failures"][0]["message"] == (
        "Value: 12345678.9 does not meet the constraint requirement! the maximum of amount is 12345678.9"
    )
    files = published_state(out / "finance")["files"]
    assert all(any(name.startswith(f"_data/good-1/{table}/") for name in files) for table in TABLES)
    assert (
        "  quality gate (native): warnings - 47 check(s), 74 constraint(s), 0 error(s), 1 warning(s)" in report.render()
    )


def test_quality_results_and_metrics_are_written(published: tuple[Path, RunReport]) -> None:
    out, report = published
    quality = out / "finance" / "_quality"
    results = QualityReport.from_json((quality / "good-1.json").read_text())
    assert (results.run_id, results.status, len(results.results)) == ("good-1", "warnings", 74)
    assert report.quality["results"] == str(quality / "good-1.json")
    (metrics_file,) = (quality / "metrics").glob("*_good-1.json")
    metrics = RunMetrics.from_json(metrics_file.read_text())
    assert metrics.value("fact_gl_transaction", "row_count") == 251.0
    assert metrics.value("fact_gl_transaction", "sum", "amount") == 12717361.37
    assert metrics.value("dim_department", "null_fraction", "department_name") == 1 / 9  # LEG-08, budget only
    assert "quality" in report.stage_seconds


def test_an_error_failure_publishes_nothing_and_keeps_the_previous_tables(
    spark: SparkSession, published: tuple[Path, RunReport], tmp_path: Path
) -> None:
    out = tmp_path / "processed"
    shutil.copytree(published[0], out)
    before = published_state(out / "finance")
    results = out / "finance" / "_quality" / "bad-1.json"

    with pytest.raises(DataQualityError) as raised:
        run_finance(spark, str(_bad_extract(tmp_path / "raw")), str(out), run_id="bad-1")

    assert str(raised.value) == (
        f"quality gate failed: 1 error check failed: [dim_account] {ACCOUNT_TYPE_CHECK}: Value: 0.933333 does not "
        f"meet the constraint requirement! 14 of 15 row(s) satisfy: {ALLOWED_TYPES}; nothing was published; "
        f"results in {results}"
    )
    assert published_state(out / "finance") == before
    report = RunReport.from_json((out / "finance" / "_runs" / "bad-1.json").read_text())
    assert (report.status, report.quality["status"], report.messages) == (
        "failed",
        "failed",
        [f"error: {raised.value}"],
    )
    written = QualityReport.from_json(results.read_text())
    assert [r.check for r in written.errors] == [ACCOUNT_TYPE_CHECK]
    assert not list((out / "finance" / "_quality" / "metrics").glob("*_bad-1.json"))


def test_an_unknown_quality_engine_stops_before_any_work(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^quality engine must be one of 'auto', 'native', 'deequ'; got 'x'$"):
        run_finance(spark, str(SAMPLE), str(tmp_path), run_id="r", quality_engine="x")
    assert not (tmp_path / "finance").exists()


def test_the_job_exits_1_with_the_failed_checks_on_one_line(tmp_path: Path) -> None:
    raw = _bad_extract(tmp_path / "raw")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "lib"),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_SUBMIT_ARGS": "--master local[1] --conf spark.ui.enabled=false "
        "--conf spark.sql.shuffle.partitions=2 pyspark-shell",
    }
    command = [
        sys.executable, str(REPO / "jobs" / "finance_star.py"), "--JOB_NAME", "finance_star",
        "--RAW_PATH", str(raw), "--PROCESSED_PATH", str(tmp_path / "out"), "--RUN_ID", "bad-2",
        "--QUALITY_ENGINE", "native",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert result.returncode == 1, result.stderr[-3000:]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("gluestar: error:")]
    assert line == (
        f"gluestar: error: quality gate failed: 1 error check failed: [dim_account] {ACCOUNT_TYPE_CHECK}: "
        f"Value: 0.5 does not meet the constraint requirement! 1 of 2 row(s) satisfy: {ALLOWED_TYPES}; "
        f"nothing was published; results in {tmp_path / 'out' / 'finance' / '_quality' / 'bad-2.json'}"
    )
    assert "Traceback" not in result.stderr
    assert published_state(tmp_path / "out" / "finance") == {"version": None}
