"""CloudWatch metrics of a run, built from its :class:`~gluestar.report.RunReport`.

The figures are the report's, so a local run (no CloudWatch) has exactly the same numbers in its run
report (``<pipeline>/_runs/<run_id>.json``); ``gluestar report <run_id> --metrics`` prints them as
they would be sent. In AWS Glue, :func:`put_run_metrics` sends them with ``PutMetricData``.

============================  ==================  ===========================================================
metric                        unit                dimensions
============================  ==================  ===========================================================
``RowsRead``                  Count               ``Pipeline, Table`` (per source) and ``Pipeline`` (total)
``RowsAccepted``              Count               same
``RowsQuarantined``           Count               same
``DuplicatesRemoved``         Count               same (exact duplicates + superseded versions)
``TableRows``                 Count               ``Pipeline, Table`` (per published table)
``QualityFailures``           Count               ``Pipeline, Table`` (failed constraints per checked table)
                                                  and ``Pipeline`` (total)
``DurationSeconds``           Seconds             ``Pipeline``
``StageSeconds``              Seconds             ``Pipeline, Stage``
``RunSucceeded``/``RunFailed``  Count             ``Pipeline`` (1 or 0: alarm on ``RunFailed >= 1``)
============================  ==================  ===========================================================

CloudWatch does not add up dimensions, so pipeline totals are sent as well as per-table figures.

Examples
--------
>>> from gluestar.report import RunReport, SourceCounts
>>> report = RunReport("finance", "r1", status="succeeded", sources=[SourceCounts("budget", 10, 7, 2, 1)])
>>> [(d["MetricName"], d["Value"]) for d in run_metrics(report) if d["MetricName"] == "RowsRead"]
[('RowsRead', 10.0), ('RowsRead', 10.0)]
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any, Final

from gluestar.report import RunReport

__all__ = ["DEFAULT_NAMESPACE", "MAX_DATUMS_PER_CALL", "put_run_metrics", "render_metrics", "run_metrics"]

log = logging.getLogger("gluestar.ops")

#: The namespace used in Glue when the job names none (``--METRICS_NAMESPACE``).
DEFAULT_NAMESPACE: Final[str] = "Gluestar"
#: Data points per ``PutMetricData`` call (the API allows 1,000; 20 keeps each request small).
MAX_DATUMS_PER_CALL: Final[int] = 20


def _timestamp(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _duration(report: RunReport) -> float:
    started, finished = _timestamp(report.started_at), _timestamp(report.finished_at)
    if started is not None and finished is not None:
        return max((finished - started).total_seconds(), 0.0)
    return float(sum(report.stage_seconds.values()))


def run_metrics(report: RunReport) -> list[dict[str, Any]]:
    """The ``MetricData`` entries of one run (see the module docstring for the list).

    Parameters
    ----------
    report : RunReport
        A finished run, succeeded or failed (a failed run sends what it counted before it stopped).

    Returns
    -------
    list of dict
        Entries for ``cloudwatch.put_metric_data(MetricData=...)``, all stamped with the run's end.

    Examples
    --------
    >>> from gluestar.report import RunReport
    >>> [d["MetricName"] for d in run_metrics(RunReport("finance", "r1", status="failed"))]
    ['QualityFailures', 'DurationSeconds', 'RunSucceeded', 'RunFailed']
    """
    pipeline = report.pipeline
    when = _timestamp(report.finished_at) or dt.datetime.now(dt.timezone.utc)

    def datum(name: str, value: float, unit: str = "Count", **dimensions: str) -> dict[str, Any]:
        return {
            "MetricName": name,
            "Dimensions": [{"Name": "Pipeline", "Value": pipeline}]
            + [{"Name": key, "Value": str(val)} for key, val in dimensions.items()],
            "Value": float(value),
            "Unit": unit,
            "Timestamp": when,
        }

    data: list[dict[str, Any]] = []
    source_figures = (
        ("RowsRead", lambda s: s.rows_read),
        ("RowsAccepted", lambda s: s.accepted),
        ("RowsQuarantined", lambda s: s.quarantined),
        ("DuplicatesRemoved", lambda s: s.duplicates_removed),
    )
    for name, figure in source_figures:
        for source in report.sources:
            data.append(datum(name, figure(source), Table=source.source))
        if report.sources:
            data.append(datum(name, sum(figure(s) for s in report.sources)))
    for table, rows in report.tables.items():
        data.append(datum("TableRows", rows, Table=table))
    failures: dict[str, int] = {}
    for failure in report.quality.get("failures", []):
        failures[failure.get("table", "")] = failures.get(failure.get("table", ""), 0) + 1
    checked = [entry.get("table", "") for entry in report.quality.get("check_status", [])]
    for table in dict.fromkeys([*checked, *failures]):
        data.append(datum("QualityFailures", failures.get(table, 0), Table=table))
    data.append(datum("QualityFailures", sum(failures.values())))
    data.append(datum("DurationSeconds", _duration(report), "Seconds"))
    for stage, seconds in report.stage_seconds.items():
        data.append(datum("StageSeconds", seconds, "Seconds", Stage=stage))
    succeeded = report.status == "succeeded"
    data.append(datum("RunSucceeded", 1 if succeeded else 0))
    data.append(datum("RunFailed", 0 if succeeded else 1))
    return data


def render_metrics(data: Sequence[dict[str, Any]]) -> list[str]:
    """Metric entries as readable lines: ``name{Dim=value,...} = value unit``.

    Examples
    --------
    >>> from gluestar.report import RunReport
    >>> render_metrics(run_metrics(RunReport("finance", "r1", status="succeeded")))[-1]
    'RunFailed{Pipeline=finance} = 0 Count'
    """
    lines = []
    for entry in data:
        dims = ",".join(f"{d['Name']}={d['Value']}" for d in entry["Dimensions"])
        value = entry["Value"]
        shown = f"{value:g}" if entry["Unit"] == "Count" else f"{value:.3f}"
        lines.append(f"{entry['MetricName']}{{{dims}}} = {shown} {entry['Unit']}")
    return lines


def put_run_metrics(
    report: RunReport, namespace: str = DEFAULT_NAMESPACE, *, client: Any = None, region: str | None = None
) -> int:
    """Send a run's metrics to CloudWatch; returns the number of data points sent.

    Parameters
    ----------
    report : RunReport
        The run.
    namespace : str, default "Gluestar"
        CloudWatch namespace (the job role may put metrics into this namespace only).
    client : optional
        A boto3 ``cloudwatch`` client; one is created (boto3 imported lazily) otherwise.
    region : str, optional
        Region of that client (default: boto3's resolution, the job's region in Glue).

    Raises
    ------
    botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError
        When CloudWatch refuses; :func:`gluestar.ops.hooks.after_run` catches and logs them.
    """
    if client is None:
        import boto3

        client = boto3.client("cloudwatch", region_name=region)
    data = run_metrics(report)
    for start in range(0, len(data), MAX_DATUMS_PER_CALL):
        client.put_metric_data(Namespace=namespace, MetricData=data[start : start + MAX_DATUMS_PER_CALL])
    log.info(
        "put %d metric data points of %s run %s into namespace %s", len(data), report.pipeline, report.run_id, namespace
    )
    return len(data)
