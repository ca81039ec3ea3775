"""The extract generator: the committed sample is reproducible, and large extracts carry exact counts."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from gluestar.pipelines.finance import run_finance

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "data" / "generate_finance.py"
SAMPLE = REPO / "data" / "raw" / "finance"


def _generate(*args: str) -> None:
    subprocess.run([sys.executable, str(GENERATOR), *args], check=True, capture_output=True, timeout=120)


def test_sample_is_regenerated_byte_for_byte(tmp_path: Path) -> None:
    _generate("--sample", "--out", str(tmp_path))
    names = ["transactions_2025_q1.csv", "transactions_2025_q2.csv", "budget_2025.csv", "expected.json"]
    match, mismatch, errors = filecmp.cmpfiles(SAMPLE, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert sorted(match) == sorted(names)


def test_generated_extract_counts_are_what_the_pipeline_finds(spark: SparkSession, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _generate("--rows", "4000", "--out", str(raw), "--files", "2", "--seed", "7", "--months", "3")
    expected = json.loads((raw / "_expected.json").read_text())
    report = run_finance(spark, str(raw), str(tmp_path / "out"), run_id="generated")
    for source in ("transactions", "budget"):
        counts = report.source(source)
        assert {k: getattr(counts, k) for k in expected[source]} == expected[source]
        assert counts.rejected_by_rule == expected["quarantine_reasons"][source]
    by_month = expected["accepted_by_month"]["transactions"]
    assert sum(by_month.values()) == expected["transactions"]["accepted"] == report.tables["fact_gl_transaction"]
    assert sorted(by_month) == ["2025-01", "2025-02", "2025-03"]

    # The delta, read by a second run over the same output: counts and the rebuilt months' facts.
    _generate("--delta-of", str(raw), "--out", str(tmp_path / "delta"), "--rows", "400")
    delta = json.loads((tmp_path / "delta" / "_expected.json").read_text())
    shutil.copy(tmp_path / "delta" / "transactions_delta.csv", raw)
    second = run_finance(spark, str(raw), str(tmp_path / "out"), run_id="delta")
    for source in ("transactions", "budget"):
        counts = second.source(source)
        assert {k: getattr(counts, k) for k in delta[source]} == delta[source]
        assert counts.rejected_by_rule == delta["quarantine_reasons"][source]
    assert delta["touched_months"] == ["2025-03", "2025-04"]
    assert (
        delta["fact_gl_transaction_rows"] == by_month["2025-03"] + delta["accepted_by_month"]["transactions"]["2025-04"]
    )
    assert second.tables["fact_gl_transaction"] == delta["fact_gl_transaction_rows"]
    assert second.partitions_written["fact_gl_transaction"] == ["year=2025/month=3", "year=2025/month=4"]
