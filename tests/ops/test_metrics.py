"""CloudWatch metrics of a run, built from its report, sent to moto."""

from __future__ import annotations

import datetime as dt

import boto3

from conftest import REGION
from gluestar.ops.metrics import put_run_metrics, render_metrics, run_metrics
from gluestar.report import RunReport, SourceCounts


def _report(status: str = "succeeded") -> RunReport:
    return RunReport(
        "finance",
        "r1",
        status=status,
        started_at="2025-07-01T02:00:00+00:00",
        finished_at="2025-07-01T02:03:20+00:00",
        sources=[
            SourceCounts(
                "transactions", rows_read=300, accepted=251, quarantined=30, exact_duplicates=9, superseded=10
            ),
            SourceCounts("budget", rows_read=229, accepted=203, quarantined=22, exact_duplicates=4),
        ],
        tables={"dim_date": 365, "fact_gl_transaction": 251},
        stage_seconds={"read_validate_dedup": 60.5, "quality": 12.0},
        quality={
            "status": "warnings",
            "failures": [
                {"table": "fact_gl_transaction", "check": "amount in range", "level": "Warning", "message": "m"}
            ],
            "check_status": [
                {"table": "dim_date", "check": "has rows", "level": "Error", "status": "Success"},
                {"table": "fact_gl_transaction", "check": "amount in range", "level": "Warning", "status": "Warning"},
            ],
        },
    )


def _values(data: list[dict]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(d["MetricName"], tuple((x["Name"], x["Value"]) for x in d["Dimensions"])): d["Value"] for d in data}


def test_run_metrics_per_table_and_per_pipeline():
    values = _values(run_metrics(_report()))
    pipeline = (("Pipeline", "finance"),)

    def table(name: str) -> tuple[tuple[str, str], ...]:
        return (("Pipeline", "finance"), ("Table", name))

    assert values == {
        ("RowsRead", table("transactions")): 300.0,
        ("RowsRead", table("budget")): 229.0,
        ("RowsRead", pipeline): 529.0,
        ("RowsAccepted", table("transactions")): 251.0,
        ("RowsAccepted", table("budget")): 203.0,
        ("RowsAccepted", pipeline): 454.0,
        ("RowsQuarantined", table("transactions")): 30.0,
        ("RowsQuarantined", table("budget")): 22.0,
        ("RowsQuarantined", pipeline): 52.0,
        ("DuplicatesRemoved", table("transactions")): 19.0,
        ("DuplicatesRemoved", table("budget")): 4.0,
        ("DuplicatesRemoved", pipeline): 23.0,
        ("TableRows", table("dim_date")): 365.0,
        ("TableRows", table("fact_gl_transaction")): 251.0,
        ("QualityFailures", table("dim_date")): 0.0,
        ("QualityFailures", table("fact_gl_transaction")): 1.0,
        ("QualityFailures", pipeline): 1.0,
        ("DurationSeconds", pipeline): 200.0,
        ("StageSeconds", (("Pipeline", "finance"), ("Stage", "read_validate_dedup"))): 60.5,
        ("StageSeconds", (("Pipeline", "finance"), ("Stage", "quality"))): 12.0,
        ("RunSucceeded", pipeline): 1.0,
        ("RunFailed", pipeline): 0.0,
    }


def test_every_data_point_is_stamped_with_the_end_of_the_run():
    stamps = {d["Timestamp"] for d in run_metrics(_report())}
    assert stamps == {dt.datetime(2025, 7, 1, 2, 3, 20, tzinfo=dt.timezone.utc)}


def test_a_failed_run_counts_as_failed():
    values = _values(run_metrics(_report("failed")))
    assert values[("RunFailed", (("Pipeline", "finance"),))] == 1.0
    assert values[("RunSucceeded", (("Pipeline", "finance"),))] == 0.0


def test_render_metrics_lines():
    lines = render_metrics(run_metrics(_report()))
    assert lines[0] == "RowsRead{Pipeline=finance,Table=transactions} = 300 Count"
    assert "DurationSeconds{Pipeline=finance} = 200.000 Seconds" in lines


def test_put_run_metrics_sends_every_point_in_batches(aws):
    sent = put_run_metrics(_report(), "GluestarTest")
    assert sent == 22
    client = boto3.client("cloudwatch", region_name=REGION)
    metrics = client.list_metrics(Namespace="GluestarTest")["Metrics"]
    names = {(m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in metrics}
    assert ("RowsQuarantined", (("Pipeline", "finance"), ("Table", "transactions"))) in names
    assert ("QualityFailures", (("Pipeline", "finance"),)) in names
    assert len(names) == 22
    stats = client.get_metric_statistics(
        Namespace="GluestarTest",
        MetricName="RowsAccepted",
        Dimensions=[{"Name": "Pipeline", "Value": "finance"}, {"Name": "Table", "Value": "budget"}],
        StartTime=dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc),
        EndTime=dt.datetime(2025, 7, 2, tzinfo=dt.timezone.utc),
        Period=86400,
        Statistics=["Sum"],
    )
    assert [p["Sum"] for p in stats["Datapoints"]] == [203.0]
