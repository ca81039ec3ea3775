"""SNS alerts: the message a failed run publishes, and run_job publishing it (moto)."""

from __future__ import annotations

import json
import logging
import re

import boto3
import pytest

from conftest import REGION
from gluestar.exceptions import ConfigurationError, DataQualityError
from gluestar.glue import JobContext, run_job
from gluestar.ops.alerts import MAX_ERROR_CHARS, error_text, failure_alert, publish_alert, success_alert
from gluestar.ops.redact import register_secret
from gluestar.report import RunReport, SourceCounts, attach_report

ERROR = "quality gate failed: 1 error check failed: [dim_date] dim_date: has rows: Value: 0; nothing was published"


def _failed(stage: str = "quality") -> DataQualityError:
    exc = DataQualityError(ERROR)
    report = RunReport(
        "finance", "20250701T020000Z", status="failed", failed_stage=stage, options={"processed_path": "s3://proc"}
    )
    attach_report(exc, report)
    return exc


# the messages ------------------------------------------------------------------------------------


def test_a_failed_run_names_its_run_id_stage_and_error():
    alert = failure_alert("finance", _failed(), job_name="gs-finance", job_run_id="jr_1")
    assert alert.subject == "gluestar finance run 20250701T020000Z failed in stage quality"
    assert alert.message == (
        "gluestar finance run 20250701T020000Z failed in stage quality.\n"
        "\n"
        "pipeline: finance\n"
        "run id:   20250701T020000Z\n"
        "stage:    quality\n"
        f"error:    {ERROR}\n"
        "job:      gs-finance (job run jr_1)\n"
        "report:   s3://proc/finance/_runs/20250701T020000Z.json"
    )
    assert alert.attributes == {
        "pipeline": "finance",
        "status": "failed",
        "run_id": "20250701T020000Z",
        "stage": "quality",
    }


def test_a_failure_before_the_pipeline_started_says_so():
    alert = failure_alert("finance", ConfigurationError("missing job argument(s): --RAW_PATH"))
    assert alert.subject == "gluestar finance failed before the pipeline started"
    assert alert.message == (
        "gluestar finance failed before the pipeline started, so there is no run id and no stage.\n"
        "\n"
        "pipeline: finance\n"
        "run id:   none (the pipeline did not start)\n"
        "stage:    none (the pipeline did not start)\n"
        "error:    missing job argument(s): --RAW_PATH"
    )
    assert alert.attributes == {"pipeline": "finance", "status": "failed"}


def test_a_load_failure_without_a_report_names_the_load_stage():
    alert = failure_alert(
        "finance", ConfigurationError("no succeeded finance run under s3://p/finance/_runs"), stage="load"
    )
    assert alert.subject == "gluestar finance failed in stage load"
    assert alert.message.splitlines()[4] == "stage:    load"


def test_an_unexpected_error_shows_its_type_and_long_errors_are_cut():
    assert error_text(KeyError("fact_sales")) == "KeyError: 'fact_sales'"
    text = error_text(ValueError("x" * 10_000))
    assert len(text) == MAX_ERROR_CHARS and text.endswith("…")


def test_secrets_are_masked_in_alerts():
    register_secret("s3cr3t-Passw0rd!")
    alert = failure_alert("finance", ValueError("login s3cr3t-Passw0rd! refused"))
    assert "s3cr3t" not in alert.message
    assert "error:    ValueError: login *** refused" in alert.message


def test_a_long_subject_is_cut_to_100_ascii_characters():
    exc = ValueError("x")
    attach_report(exc, RunReport("finance", "r" * 120, status="failed", failed_stage="facts"))
    subject = failure_alert("finance", exc).subject
    assert len(subject) == 100 and subject.endswith("...")


def test_a_success_notice_carries_the_rendered_report():
    report = RunReport("finance", "r1", status="succeeded", sources=[SourceCounts("budget", 3, 3)])
    alert = success_alert(report)
    assert alert.subject == "gluestar finance run r1 succeeded"
    assert "gluestar finance run r1: succeeded" in alert.message


def test_publish_alert_to_sns(inbox):
    publish_alert(failure_alert("finance", _failed()), inbox.topic_arn)
    (message,) = inbox.messages()
    assert message["subject"] == "gluestar finance run 20250701T020000Z failed in stage quality"
    assert f"error:    {ERROR}" in message["message"]
    assert message["attributes"]["stage"] == "quality"


# through run_job ---------------------------------------------------------------------------------


def _run(main, *args: str, pipeline: str = "finance", stage: str | None = None) -> int:
    with pytest.raises(SystemExit) as exit_info:
        run_job(main, pipeline=pipeline, stage=stage, argv=["job.py", "--JOB_NAME", "gs-finance", *args])
    return int(exit_info.value.code)


def test_run_job_publishes_the_failure_and_still_exits_with_the_error_line(inbox, capsys):
    def main():
        raise _failed("publish")

    assert _run(main, "--ALERT_TOPIC_ARN", inbox.topic_arn, "--JOB_RUN_ID", "jr_7") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"gluestar: error: {ERROR}"
    assert (
        " INFO gluestar.ops: published alert 'gluestar finance run 20250701T020000Z failed in stage publish'" in err[0]
    )
    (message,) = inbox.messages()
    assert message["subject"] == "gluestar finance run 20250701T020000Z failed in stage publish"
    assert "job:      gs-finance (job run jr_7)" in message["message"]


def test_run_job_alerts_a_failure_before_the_pipeline_started(inbox):
    def main():
        raise ConfigurationError("raw folder s3://raw/finance does not exist")

    assert _run(main, f"--ALERT_TOPIC_ARN={inbox.topic_arn}") == 1
    (message,) = inbox.messages()
    assert message["subject"] == "gluestar finance failed before the pipeline started"


def test_run_job_alerts_an_unexpected_error_and_reraises_it(inbox, capsys):
    def main():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        run_job(main, pipeline="finance", argv=["job.py", "--ALERT_TOPIC_ARN", inbox.topic_arn])
    assert capsys.readouterr().err.splitlines()[-1] == "gluestar: unexpected error (KeyError): 'boom'"
    (message,) = inbox.messages()
    assert "error:    KeyError: 'boom'" in message["message"]


def test_an_alert_that_cannot_be_published_never_hides_the_error(aws, capsys, caplog):
    missing = f"arn:aws:sns:{REGION}:123456789012:no-such-topic"

    def main():
        raise _failed()

    with caplog.at_level(logging.WARNING, logger="gluestar.ops"):
        assert _run(main, "--ALERT_TOPIC_ARN", missing) == 1
    assert capsys.readouterr().err.endswith(f"gluestar: error: {ERROR}\n")
    (warning,) = [r for r in caplog.records if r.name == "gluestar.ops"]
    assert warning.levelname == "WARNING"
    assert warning.getMessage().startswith(
        f"could not publish the alert 'gluestar finance run 20250701T020000Z failed in stage quality' to {missing}: "
        "NotFoundException: "
    )


def test_success_notifies_only_when_asked(inbox):
    report = RunReport("finance", "r1", status="succeeded")
    assert _run(lambda: report, "--ALERT_TOPIC_ARN", inbox.topic_arn) == 0
    assert inbox.messages() == []
    assert _run(lambda: report, "--ALERT_TOPIC_ARN", inbox.topic_arn, "--NOTIFY_ON_SUCCESS", "true") == 0
    (message,) = inbox.messages()
    assert (message["subject"], message["attributes"]["status"]) == ("gluestar finance run r1 succeeded", "succeeded")


def test_run_job_puts_metrics_when_a_namespace_is_given(aws):
    report = RunReport("finance", "r1", status="succeeded", sources=[SourceCounts("budget", 3, 3)])
    assert _run(lambda: report, "--METRICS_NAMESPACE", "GluestarTest") == 0
    names = {m["MetricName"] for m in boto3.client("cloudwatch").list_metrics(Namespace="GluestarTest")["Metrics"]}
    assert {"RowsRead", "RowsAccepted", "DurationSeconds", "RunSucceeded", "RunFailed"} <= names


def test_run_job_puts_the_failed_runs_metrics(aws):
    def main():
        raise _failed()

    assert _run(main, "--METRICS_NAMESPACE", "GluestarTest") == 1
    stats = boto3.client("cloudwatch").list_metrics(Namespace="GluestarTest", MetricName="RunFailed")["Metrics"]
    assert [m["Dimensions"] for m in stats] == [[{"Name": "Pipeline", "Value": "finance"}]]


def test_locally_without_a_namespace_no_metric_is_sent(aws):
    assert _run(lambda: RunReport("finance", "r1", status="succeeded")) == 0
    assert boto3.client("cloudwatch").list_metrics()["Metrics"] == []


def test_in_glue_metrics_go_to_the_default_namespace(aws, monkeypatch):
    monkeypatch.setattr("gluestar.glue.current_job", lambda: JobContext(spark=None, glue_context=object()))
    assert _run(lambda: RunReport("finance", "r1", status="succeeded")) == 0
    assert boto3.client("cloudwatch").list_metrics(Namespace="Gluestar")["Metrics"]


def test_an_invalid_topic_arn_is_one_error_line(capsys):
    assert _run(lambda: None, "--ALERT_TOPIC_ARN", "my-topic") == 1
    assert capsys.readouterr().err == (
        "gluestar: error: --ALERT_TOPIC_ARN must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>); "
        "got 'my-topic'\n"
    )


def test_json_logs_carry_the_failure_with_the_pipeline(capsys):
    def main():
        logging.getLogger("gluestar.finance").info("stage facts took 1.0 s")
        raise _failed()

    assert _run(main, "--LOG_FORMAT", "json") == 1
    err = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in err[:-1]]
    assert [(r["level"], r["pipeline"], r["job_name"]) for r in records] == [
        ("INFO", "finance", "gs-finance"),
        ("ERROR", "finance", "gs-finance"),
    ]
    assert records[1]["message"] == f"job failed: {ERROR}"
    assert records[1]["error_type"] == "DataQualityError"
    assert err[-1] == f"gluestar: error: {ERROR}"
    assert re.match(r"^\d{4}-", records[0]["timestamp"])
