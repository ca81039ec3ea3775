"""Metrics repository: the metrics of every successful run, kept on the same storage as the tables.

Like Deequ's ``FileSystemMetricsRepository``, but one small JSON file per run, so it works on S3
without appends (S3 objects cannot be appended to)::

    <PROCESSED_PATH>/finance/_quality/metrics/
        20250301T120000123456Z_run-1.json
        20250302T120000654321Z_run-2.json

Each file holds the run id, its time (ISO-8601 and, as Deequ's ``ResultKey.dataSetDate``, epoch
milliseconds) and one entry per metric keyed by table, name and instance::

    {"run_id": "run-1", "timestamp": "2025-03-01T12:00:00.123456+00:00", "dataset_date": 1740830400123,
     "pipeline": "finance",
     "metrics": [{"table": "fact_gl_transaction", "name": "row_count", "instance": "*", "value": 251.0}, ...]}

File names start with the UTC time, so a listing sorted by name is in run order and loading the last
``n`` runs reads only ``n`` files.

Examples
--------
>>> repo = MetricsRepository(spark, "/tmp/gluestar-doc/metrics")
>>> _ = repo.save(RunMetrics("r1", "2025-03-01T12:00:00+00:00", (Metric("t", "row_count", "*", 3.0),)))
>>> repo.load()[-1].value("t", "row_count")
3.0
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pyspark.sql import SparkSession

from gluestar.exceptions import ConfigurationError
from gluestar.quality.results import Metric
from gluestar.storage import join_path, list_files, path_exists, read_text, write_text

__all__ = ["MetricsRepository", "RunMetrics"]


def _parse_time(timestamp: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        raise ConfigurationError(f"metrics timestamp must be ISO-8601; got {timestamp!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class RunMetrics:
    """The metrics of one run.

    Attributes
    ----------
    run_id : str
    timestamp : str
        When the run started, ISO-8601 (UTC when no offset is given).
    metrics : tuple of Metric
    pipeline : str
    """

    run_id: str
    timestamp: str
    metrics: tuple[Metric, ...]
    pipeline: str = ""

    @property
    def time(self) -> dt.datetime:
        """``timestamp`` as an aware datetime."""
        return _parse_time(self.timestamp)

    def value(self, table: str, name: str, instance: str = "*") -> float | None:
        """The value of a metric in this run, None if absent or undefined.

        Examples
        --------
        >>> RunMetrics("r", "2025-01-01T00:00:00", (Metric("t", "sum", "x", 2.0),)).value("t", "sum", "x")
        2.0
        """
        for metric in self.metrics:
            if metric.key == (table, name, instance):
                return metric.value
        return None

    def to_json(self) -> str:
        """The run's metrics as the JSON document the repository stores."""
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "timestamp": self.timestamp,
            "dataset_date": int(self.time.timestamp() * 1000),
            "pipeline": self.pipeline,
            "metrics": [asdict(m) for m in self.metrics],
        }
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> RunMetrics:
        """Read a document written by :meth:`to_json`."""
        data = json.loads(text)
        return cls(
            run_id=data["run_id"],
            timestamp=data["timestamp"],
            metrics=tuple(Metric(**m) for m in data.get("metrics", [])),
            pipeline=data.get("pipeline", ""),
        )


class MetricsRepository:
    """Metrics of successful runs under one folder (local path, HDFS or S3 prefix).

    Parameters
    ----------
    spark : SparkSession
        For Hadoop's file-system API (the same code reads local paths and S3).
    path : str
        The folder, e.g. ``s3://bucket/processed/finance/_quality/metrics``.
    """

    def __init__(self, spark: SparkSession, path: str) -> None:
        self._spark = spark
        self.path = path

    def file_for(self, run: RunMetrics) -> str:
        """Where ``run`` is stored: ``<path>/<yyyyMMddTHHmmssffffffZ>_<run_id>.json``."""
        stamp = run.time.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        return join_path(self.path, f"{stamp}_{run.run_id}.json")

    def save(self, run: RunMetrics) -> str:
        """Store the metrics of one run (replacing a file of the same run and time); return the file."""
        target = self.file_for(run)
        write_text(self._spark, target, run.to_json())
        return target

    def load(self, *, limit: int | None = None) -> list[RunMetrics]:
        """The stored runs, oldest first; with ``limit``, only the latest ``limit`` runs.

        Examples
        --------
        >>> MetricsRepository(spark, "/tmp/gluestar-doc/none").load()
        []
        """
        if limit is not None and limit < 1:
            raise ConfigurationError(f"limit must be a positive integer; got {limit!r}")
        if not path_exists(self._spark, self.path):
            return []
        files = list_files(self._spark, self.path, "*.json")
        chosen: Sequence[str] = files if limit is None else files[-limit:]
        runs = [RunMetrics.from_json(read_text(self._spark, f)) for f in chosen]
        return sorted(runs, key=lambda r: r.time)
