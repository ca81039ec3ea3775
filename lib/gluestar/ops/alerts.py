"""SNS alerts: a failed run publishes its run id, the stage that failed and the error.

The topic comes from the job argument ``--ALERT_TOPIC_ARN``; ``--NOTIFY_ON_SUCCESS true`` also
announces successful runs. The run id and the failed stage come from the run report attached to
the exception (:func:`gluestar.report.report_of`); when the failure happened before the pipeline
started there is no report, and the message says so. Every text goes through
:func:`gluestar.ops.redact.redact`, and the message carries SNS message attributes (``pipeline``,
``status``, ``run_id``, ``stage``) that subscriptions can filter on.

Examples
--------
>>> from gluestar.exceptions import DataQualityError
>>> alert = failure_alert("finance", DataQualityError("quality gate failed: 1 error check failed"))
>>> alert.subject
'gluestar finance failed before the pipeline started'
>>> print(alert.message.splitlines()[0])
gluestar finance failed before the pipeline started, so there is no run id and no stage.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Final

from gluestar.exceptions import GluestarError
from gluestar.ops.redact import redact
from gluestar.report import RunReport, report_of

__all__ = ["MAX_ERROR_CHARS", "Alert", "error_text", "failure_alert", "publish_alert", "success_alert"]

log = logging.getLogger("gluestar.ops")

#: Longest error text put into a message (SNS allows 256 KB; an e-mail should stay readable).
MAX_ERROR_CHARS: Final[int] = 4000
_SUBJECT_CHARS: Final[int] = 100


@dataclass(frozen=True)
class Alert:
    """One SNS message: subject (at most 100 ASCII characters), text and message attributes."""

    subject: str
    message: str
    attributes: dict[str, str] = field(default_factory=dict)


def error_text(exc: BaseException) -> str:
    """The error as one masked line: its message for gluestar errors, ``Type: message`` for others.

    Examples
    --------
    >>> error_text(KeyError("fact_sales"))
    "KeyError: 'fact_sales'"
    """
    text = str(exc) if isinstance(exc, GluestarError) else f"{type(exc).__name__}: {exc}"
    text = redact(" ".join(text.split()))
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _subject(text: str) -> str:
    ascii_only = re.sub(r"[^\x20-\x7e]", "?", text)
    return ascii_only if len(ascii_only) <= _SUBJECT_CHARS else ascii_only[: _SUBJECT_CHARS - 3] + "..."


def _job_line(job_name: str | None, job_run_id: str | None) -> list[str]:
    if not job_name:
        return []
    return [f"job:      {job_name}" + (f" (job run {job_run_id})" if job_run_id else "")]


def failure_alert(
    pipeline: str,
    exc: BaseException,
    *,
    stage: str | None = None,
    job_name: str | None = None,
    job_run_id: str | None = None,
) -> Alert:
    """The alert of a failed run.

    Parameters
    ----------
    pipeline : str
        The pipeline (``finance``).
    exc : BaseException
        The exception that stopped the job; its attached run report gives the run id and stage.
    stage : str, optional
        Stage to name when the exception carries no report (the load job says ``load``).
    job_name, job_run_id : str, optional
        The Glue job and job run, to find the logs.

    Examples
    --------
    >>> from gluestar.report import RunReport, attach_report
    >>> exc = ValueError("boom")
    >>> attach_report(exc, RunReport("finance", "r1", status="failed", failed_stage="facts"))
    >>> failure_alert("finance", exc).subject
    'gluestar finance run r1 failed in stage facts'
    """
    report = report_of(exc)
    error = error_text(exc)
    if report is not None:
        failed_stage = report.failed_stage or stage or "unknown"
        headline = f"gluestar {report.pipeline} run {report.run_id} failed in stage {failed_stage}"
        lines = [
            f"{headline}.",
            "",
            f"pipeline: {report.pipeline}",
            f"run id:   {report.run_id}",
            f"stage:    {failed_stage}",
            f"error:    {error}",
            *_job_line(job_name, job_run_id),
        ]
        attributes = {"pipeline": report.pipeline, "status": "failed", "run_id": report.run_id, "stage": failed_stage}
        if report.options.get("processed_path"):
            lines.append(f"report:   {report.options['processed_path']}/{report.pipeline}/_runs/{report.run_id}.json")
    elif stage:
        headline = f"gluestar {pipeline} failed in stage {stage}"
        lines = [
            f"{headline} (no run report: the failure came before a run id was known).",
            "",
            f"pipeline: {pipeline}",
            "run id:   none",
            f"stage:    {stage}",
            f"error:    {error}",
            *_job_line(job_name, job_run_id),
        ]
        attributes = {"pipeline": pipeline, "status": "failed", "stage": stage}
    else:
        headline = f"gluestar {pipeline} failed before the pipeline started"
        lines = [
            f"{headline}, so there is no run id and no stage.",
            "",
            f"pipeline: {pipeline}",
            "run id:   none (the pipeline did not start)",
            "stage:    none (the pipeline did not start)",
            f"error:    {error}",
            *_job_line(job_name, job_run_id),
        ]
        attributes = {"pipeline": pipeline, "status": "failed"}
    return Alert(_subject(headline), redact("\n".join(lines)), attributes)


def success_alert(report: RunReport, *, job_name: str | None = None, job_run_id: str | None = None) -> Alert:
    """The (optional) notice of a successful run: its counts per source and table.

    Examples
    --------
    >>> success_alert(RunReport("finance", "r1", status="succeeded")).subject
    'gluestar finance run r1 succeeded'
    """
    headline = f"gluestar {report.pipeline} run {report.run_id} succeeded"
    lines = [f"{headline}.", "", *_job_line(job_name, job_run_id), "", report.render()]
    attributes = {"pipeline": report.pipeline, "status": "succeeded", "run_id": report.run_id}
    return Alert(_subject(headline), redact("\n".join(lines)), attributes)


def publish_alert(alert: Alert, topic_arn: str, *, client: Any = None) -> str:
    """Publish an alert to an SNS topic; returns the message id.

    Parameters
    ----------
    alert : Alert
        From :func:`failure_alert` or :func:`success_alert`.
    topic_arn : str
        ``--ALERT_TOPIC_ARN``; the client is created in the topic's region.
    client : optional
        A boto3 ``sns`` client (boto3 is imported lazily otherwise).

    Raises
    ------
    botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError
        When SNS refuses; :func:`gluestar.ops.hooks.after_run` catches and logs them.
    """
    if client is None:
        import boto3

        parts = topic_arn.split(":")
        client = boto3.client("sns", region_name=parts[3] if len(parts) > 3 and parts[3] else None)
    response = client.publish(
        TopicArn=topic_arn,
        Subject=alert.subject,
        Message=alert.message,
        MessageAttributes={
            name: {"DataType": "String", "StringValue": value} for name, value in alert.attributes.items() if value
        },
    )
    message_id = str(response.get("MessageId", ""))
    log.info("published alert %r to %s (message %s)", alert.subject, topic_arn, message_id)
    return message_id
