"""The metrics repository: one JSON file per successful run, on Hadoop-FS storage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from gluestar.exceptions import ConfigurationError
from gluestar.quality.metrics import MetricsRepository, RunMetrics
from gluestar.quality.results import Metric


def _run(run_id: str, timestamp: str, rows: float) -> RunMetrics:
    return RunMetrics(
        run_id, timestamp, (Metric("fact", "row_count", "*", rows), Metric("fact", "sum", "amount", None)), "finance"
    )


def test_save_writes_one_file_per_run_keyed_by_time_and_run_id(spark: SparkSession, tmp_path: Path) -> None:
    repo = MetricsRepository(spark, str(tmp_path / "metrics"))
    path = repo.save(_run("run-1", "2025-03-01T12:00:00.5+00:00", 3.0))
    assert path == f"{tmp_path}/metrics/20250301T120000500000Z_run-1.json"
    data = json.loads((tmp_path / "metrics" / "20250301T120000500000Z_run-1.json").read_text())
    assert data == {
        "run_id": "run-1",
        "timestamp": "2025-03-01T12:00:00.5+00:00",
        "dataset_date": 1740830400500,
        "pipeline": "finance",
        "metrics": [
            {"table": "fact", "name": "row_count", "instance": "*", "value": 3.0},
            {"table": "fact", "name": "sum", "instance": "amount", "value": None},
        ],
    }


def test_load_returns_runs_oldest_first_and_the_latest_with_limit(spark: SparkSession, tmp_path: Path) -> None:
    repo = MetricsRepository(spark, str(tmp_path / "metrics"))
    for run_id, stamp, rows in [("b", "2025-03-02T00:00:00+00:00", 2.0), ("c", "2025-03-03T00:00:00+00:00", 3.0),
                                ("a", "2025-03-01T00:00:00+00:00", 1.0)]:  # fmt: skip
        repo.save(_run(run_id, stamp, rows))
    assert [r.run_id for r in repo.load()] == ["a", "b", "c"]
    assert [(r.run_id, r.value("fact", "row_count")) for r in repo.load(limit=2)] == [("b", 2.0), ("c", 3.0)]
    assert repo.load()[0] == _run("a", "2025-03-01T00:00:00+00:00", 1.0)


def test_a_missing_folder_is_an_empty_history(spark: SparkSession, tmp_path: Path) -> None:
    assert MetricsRepository(spark, str(tmp_path / "none")).load() == []
    with pytest.raises(ConfigurationError, match=r"^limit must be a positive integer; got 0$"):
        MetricsRepository(spark, str(tmp_path / "none")).load(limit=0)
