"""What a job does around its run: alerts, metrics and the log format, from job arguments.

:func:`gluestar.glue.run_job` reads these optional job arguments itself (so that a job whose own
arguments are wrong still alerts) and calls :func:`after_success` / :func:`after_failure`:

==========================  =====================================================================
``--ALERT_TOPIC_ARN``       SNS topic for alerts; absent: no alert.
``--NOTIFY_ON_SUCCESS``     ``true`` also publishes a notice of each successful run (default ``false``).
``--METRICS_NAMESPACE``     CloudWatch namespace of the run metrics. Absent: ``Gluestar`` in AWS Glue,
                            and no CloudWatch call elsewhere (the figures stay in the run report).
``--LOG_FORMAT``            ``json`` (one object per line, for CloudWatch Logs Insights) or ``text``
                            (default; the deployed jobs use ``json``).
==========================  =====================================================================

``--JOB_NAME`` and ``--JOB_RUN_ID`` (Glue passes both) go into alerts and log lines. Publishing an
alert or a metric never raises: a failure is logged as a warning and the job's own outcome (its exit
code and error line) is unchanged.

Examples
--------
>>> config = ops_config_from_argv(["job.py", "--JOB_NAME", "j", "--LOG_FORMAT=json"], pipeline="finance")
>>> config.log_format, config.alert_topic_arn, config.metrics_namespace_for(in_glue=True)
('json', None, 'Gluestar')
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Final

from gluestar.exceptions import ConfigurationError
from gluestar.ops.alerts import Alert, failure_alert, publish_alert, success_alert
from gluestar.ops.logs import LOG_FORMATS, LogFormat, log_context
from gluestar.ops.metrics import DEFAULT_NAMESPACE, put_run_metrics
from gluestar.ops.redact import redact
from gluestar.options import check_choice
from gluestar.report import RunReport, attach_report, report_of

__all__ = ["OPS_JOB_ARGUMENTS", "OpsConfig", "after_failure", "after_success", "ops_config_from_argv", "run_stage"]

log = logging.getLogger("gluestar.ops")

#: Optional job arguments of the ops hooks and their defaults.
OPS_JOB_ARGUMENTS: Final[Mapping[str, str | None]] = {
    "ALERT_TOPIC_ARN": None,
    "NOTIFY_ON_SUCCESS": "false",
    "METRICS_NAMESPACE": None,
    "LOG_FORMAT": "text",
}
_GLUE_ARGUMENTS: Final[tuple[str, ...]] = ("JOB_NAME", "JOB_RUN_ID")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")


@dataclass(frozen=True)
class OpsConfig:
    """The ops settings of one job run (see the module docstring for the job arguments)."""

    pipeline: str | None = None
    stage: str | None = None
    job_name: str | None = None
    job_run_id: str | None = None
    alert_topic_arn: str | None = None
    notify_on_success: bool = False
    metrics_namespace: str | None = None
    log_format: LogFormat = "text"

    def __post_init__(self) -> None:
        check_choice(self.log_format, LOG_FORMATS, "--LOG_FORMAT")
        if self.alert_topic_arn is not None and not _TOPIC_ARN.match(self.alert_topic_arn):
            raise ConfigurationError(
                f"--ALERT_TOPIC_ARN must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>); "
                f"got {self.alert_topic_arn!r}"
            )
        if self.metrics_namespace is not None and (
            self.metrics_namespace.startswith(("AWS/", ":")) or not 0 < len(self.metrics_namespace) <= 255
        ):
            raise ConfigurationError(
                "--METRICS_NAMESPACE must be 1-255 characters, not start with ':' and not start with 'AWS/' "
                f"(reserved for AWS services); got {self.metrics_namespace!r}"
            )

    @property
    def subject(self) -> str:
        """What alerts name: the pipeline, else the job, else ``job``."""
        return self.pipeline or self.job_name or "job"

    def metrics_namespace_for(self, *, in_glue: bool) -> str | None:
        """The namespace to put metrics into, or None for no CloudWatch call (local runs by default)."""
        return self.metrics_namespace or (DEFAULT_NAMESPACE if in_glue else None)


def _argument_values(argv: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    args = list(argv[1:])
    for index, arg in enumerate(args):
        for name in names:
            if arg.startswith(f"--{name}="):
                found[name] = arg.split("=", 1)[1]
            elif arg == f"--{name}":
                if index + 1 >= len(args):
                    raise ConfigurationError(f"invalid job arguments: argument --{name}: expected one argument")
                found[name] = args[index + 1]
    return found


def ops_config_from_argv(argv: Sequence[str], *, pipeline: str | None = None, stage: str | None = None) -> OpsConfig:
    """Read the ops arguments (and ``--JOB_NAME``, ``--JOB_RUN_ID``) from ``sys.argv``; others are ignored.

    Parameters
    ----------
    argv : sequence of str
        ``sys.argv``.
    pipeline : str, optional
        The job's pipeline, for alerts, metrics and log lines.
    stage : str, optional
        Stage named by an alert when a failure carries no run report (``load`` for the load job).

    Raises
    ------
    ConfigurationError
        If an ops argument has no value or an invalid one.

    Examples
    --------
    >>> ops_config_from_argv(["job.py", "--LOG_FORMAT", "xml"])
    Traceback (most recent call last):
    ...
    gluestar.exceptions.ConfigurationError: --LOG_FORMAT must be one of 'text', 'json'; got 'xml'
    """
    from gluestar.glue import parse_bool

    values = {**OPS_JOB_ARGUMENTS, **_argument_values(argv, [*OPS_JOB_ARGUMENTS, *_GLUE_ARGUMENTS])}

    def text(name: str) -> str | None:
        value = values.get(name)
        return value.strip() or None if value is not None else None

    return OpsConfig(
        pipeline=pipeline,
        stage=stage,
        job_name=text("JOB_NAME"),
        job_run_id=text("JOB_RUN_ID"),
        alert_topic_arn=text("ALERT_TOPIC_ARN"),
        notify_on_success=parse_bool(values.get("NOTIFY_ON_SUCCESS"), "NOTIFY_ON_SUCCESS"),
        metrics_namespace=text("METRICS_NAMESPACE"),
        log_format=(text("LOG_FORMAT") or "text").lower(),  # type: ignore[arg-type] - checked in __post_init__
    )


def _guarded(what: str, action: Callable[[], object]) -> bool:
    """Run an ops side effect; log a warning instead of raising when it fails."""
    try:
        action()
    except Exception as exc:
        log.warning("could not %s: %s: %s", what, type(exc).__name__, redact(str(exc)))
        return False
    return True


def _publish(config: OpsConfig, alert: Alert, sns_client: Any) -> bool:
    topic = str(config.alert_topic_arn)
    return _guarded(
        f"publish the alert {alert.subject!r} to {topic}", lambda: publish_alert(alert, topic, client=sns_client)
    )


def after_success(
    config: OpsConfig, result: object, *, in_glue: bool, sns_client: Any = None, cloudwatch_client: Any = None
) -> None:
    """After a successful run: metrics of a returned :class:`RunReport`, and the optional notice.

    Parameters
    ----------
    config : OpsConfig
        From :func:`ops_config_from_argv`.
    result : object
        What the job's ``main`` returned: a :class:`RunReport` gives metrics and a detailed notice;
        anything with a ``render()`` method (a load report) is quoted in the notice.
    in_glue : bool
        Whether the job ran in AWS Glue (metrics go to CloudWatch by default there).
    sns_client, cloudwatch_client : optional
        boto3 clients (created lazily otherwise).
    """
    namespace = config.metrics_namespace_for(in_glue=in_glue)
    if isinstance(result, RunReport) and namespace:
        _guarded(
            f"put the metrics of run {result.run_id} into CloudWatch namespace {namespace}",
            lambda: put_run_metrics(result, namespace, client=cloudwatch_client),
        )
    if not (config.notify_on_success and config.alert_topic_arn):
        return
    if isinstance(result, RunReport):
        alert = success_alert(result, job_name=config.job_name, job_run_id=config.job_run_id)
    else:
        headline = f"gluestar {config.subject} job {config.job_name or ''} succeeded".replace("  ", " ")
        render = getattr(result, "render", None)
        body = render() if callable(render) else ""
        alert = Alert(
            headline, redact(f"{headline}.\n\n{body}".rstrip()), {"pipeline": config.subject, "status": "succeeded"}
        )
    _publish(config, alert, sns_client)


def after_failure(
    config: OpsConfig, exc: BaseException, *, in_glue: bool, sns_client: Any = None, cloudwatch_client: Any = None
) -> None:
    """After a failed run: the alert (run id, failed stage, error) and the metrics counted so far.

    The run id and stage come from :func:`gluestar.report.report_of`; without a report (the pipeline
    never started) the alert says so and no run metrics are sent. Never raises.
    """
    report = report_of(exc)
    namespace = config.metrics_namespace_for(in_glue=in_glue)
    if report is not None and namespace:
        _guarded(
            f"put the metrics of run {report.run_id} into CloudWatch namespace {namespace}",
            lambda: put_run_metrics(report, namespace, client=cloudwatch_client),
        )
    if config.alert_topic_arn:
        alert = failure_alert(
            config.subject, exc, stage=config.stage, job_name=config.job_name, job_run_id=config.job_run_id
        )
        _publish(config, alert, sns_client)


@contextmanager
def run_stage(report: RunReport, stage: str) -> Iterator[None]:
    """A job step after the pipeline (the finance job's load): log lines and a failure name the run and ``stage``.

    Inside the block the log context carries the run id and the stage; an exception leaving it gets a
    copy of ``report`` with ``failed_stage=stage`` attached (unless it already carries one), so the
    alert names the run and the step that failed.

    Examples
    --------
    >>> report = RunReport("finance", "r1", status="succeeded")
    >>> try:
    ...     with run_stage(report, "load"):
    ...         raise ValueError("no database")
    ... except ValueError as exc:
    ...     report_of(exc).failed_stage
    'load'
    """
    try:
        with log_context(run_id=report.run_id, stage=stage):
            yield
    except Exception as exc:
        if report_of(exc) is None:
            attach_report(exc, replace(report, failed_stage=stage))
        raise
