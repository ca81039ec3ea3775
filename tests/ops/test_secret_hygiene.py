"""A finance job run with a Redshift secret configured: the password appears in no report, log line or alert.

``jobs/finance_star.py`` runs in-process with ``--REDSHIFT_EXECUTOR connector`` and the secret in
moto's Secrets Manager. The driver is replaced by a deliberately leaky one that logs its connection
arguments, password included, as a careless driver at debug level would; the load then fails (the
connector executor needs an s3:// processed path), so the failure path (alert, error line) is covered too.

The fast test replaces the Spark side (``start_job`` and ``run_pipeline`` of
``gluestar.pipelines.job``; the stub writes the run report as the pipeline does); the ``e2e`` test
runs the real pipeline on the sample extract (about 1-2 minutes on a 2-core machine, so it runs in
``make test`` and not in ``make test-fast``).
"""

from __future__ import annotations

import json
import logging
import runpy
from pathlib import Path
from typing import Any

import boto3
import pytest

from conftest import REGION
from gluestar.glue import JobContext
from gluestar.report import RunReport, SourceCounts
from gluestar.storage import join_path

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Tr0ub4dor&3-not-for-logs"
SECRET = {"username": "loader", "password": PASSWORD, "host": "finance.example.internal", "port": 5439, "dbname": "dw"}


class _LeakyConnection:
    autocommit = False

    def close(self) -> None:
        pass


def _leaky_connect(**kwargs: Any) -> _LeakyConnection:
    logging.getLogger("redshift_connector").warning("connecting with %s", kwargs)
    return _LeakyConnection()


@pytest.fixture
def secret_arn(aws: None) -> str:
    client = boto3.client("secretsmanager", region_name=REGION)
    return client.create_secret(Name="gluestar/redshift-loader", SecretString=json.dumps(SECRET))["ARN"]


def _argv(processed: Path, secret_arn: str, topic_arn: str) -> list[str]:
    return [
        "finance_star.py", "--JOB_NAME", "gs-finance", "--JOB_RUN_ID", "jr_secret",
        "--RAW_PATH", str(REPO / "data" / "raw" / "finance"), "--PROCESSED_PATH", str(processed),
        "--RUN_ID", "secret-run", "--QUALITY_ENGINE", "native",
        "--REDSHIFT_EXECUTOR", "connector", "--REDSHIFT_SECRET_ID", secret_arn, "--REDSHIFT_REGION", REGION,
        "--REDSHIFT_IAM_ROLE", "arn:aws:iam::123456789012:role/redshift-copy",
        "--ALERT_TOPIC_ARN", topic_arn, "--LOG_FORMAT", "json",
    ]  # fmt: skip


def _run_finance_job(argv: list[str], monkeypatch: pytest.MonkeyPatch, *, stub_spark: bool) -> int:
    monkeypatch.setattr("redshift_connector.connect", _leaky_connect)
    monkeypatch.setattr("sys.argv", argv)
    if stub_spark:

        def run_pipeline(
            pipeline: str, _spark: Any, raw_path: str, processed_path: str, *, run_id: str, **options: Any
        ) -> RunReport:
            report = RunReport(
                pipeline, run_id, status="succeeded", started_at="2025-07-01T02:00:00+00:00",
                finished_at="2025-07-01T02:01:00+00:00", sources=[SourceCounts("budget", 3, 3)],
                options={"raw_path": raw_path, "processed_path": processed_path, **options},
                snapshot=join_path(processed_path, pipeline, "_published", "0000000001.json"),
            )  # fmt: skip
            path = Path(join_path(processed_path, pipeline, "_runs", f"{run_id}.json"))
            path.parent.mkdir(parents=True)
            path.write_text(report.to_json())
            return report

        monkeypatch.setattr("gluestar.pipelines.job.start_job", lambda name, args: JobContext(spark=None))
        monkeypatch.setattr("gluestar.pipelines.job.run_pipeline", run_pipeline)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(REPO / "jobs" / "finance_star.py"), run_name="__main__")
    return int(exit_info.value.code)


def _assert_nothing_secret(processed: Path, argv: list[str], err: str, alerts: list[dict], secret_arn: str) -> None:
    assert PASSWORD not in " ".join(argv)
    assert err.splitlines()[-1] == (
        "gluestar: error: the connector executor loads with COPY from S3, so the processed path must be an s3:// "
        f"URI; got {str(processed)!r} (the postgres executor loads local files)"
    )
    records = [json.loads(line) for line in err.splitlines()[:-1] if line.startswith("{")]
    leak = [r for r in records if r["logger"] == "redshift_connector"]
    assert len(leak) == 1 and "'password': '***'" in leak[0]["message"]
    assert leak[0]["run_id"] == "secret-run" and leak[0]["stage"] == "load"
    assert PASSWORD not in err

    report = (processed / "finance" / "_runs" / "secret-run.json").read_text()
    assert json.loads(report)["status"] == "succeeded"
    assert PASSWORD not in report
    assert secret_arn not in report
    for written in processed.rglob("*.json"):
        assert PASSWORD not in written.read_text(), written

    (alert,) = alerts
    assert alert["subject"] == "gluestar finance run secret-run failed in stage load"
    assert PASSWORD not in json.dumps(alert)


def test_nothing_secret_in_the_run_report_logs_or_alert(tmp_path, secret_arn, inbox, capsys, monkeypatch):
    pytest.importorskip("redshift_connector")
    processed = tmp_path / "processed"
    argv = _argv(processed, secret_arn, inbox.topic_arn)
    assert _run_finance_job(argv, monkeypatch, stub_spark=True) == 1
    _assert_nothing_secret(processed, argv, capsys.readouterr().err, inbox.messages(), secret_arn)


@pytest.mark.e2e
def test_nothing_secret_in_a_real_finance_run(spark, tmp_path, secret_arn, inbox, capsys, monkeypatch):
    pytest.importorskip("redshift_connector")
    processed = tmp_path / "processed"
    argv = _argv(processed, secret_arn, inbox.topic_arn)
    assert _run_finance_job(argv, monkeypatch, stub_spark=False) == 1
    _assert_nothing_secret(processed, argv, capsys.readouterr().err, inbox.messages(), secret_arn)
