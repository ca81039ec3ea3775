"""Operating gluestar on AWS: structured logs, SNS alerts, CloudWatch metrics, secret masking, deploys.

The public API, re-exported here:

* logs: :func:`configure_logging`, :func:`set_log_context`, :func:`log_context`,
  :class:`JsonFormatter`, :class:`LogContextFilter`;
* alerts: :func:`failure_alert`, :func:`success_alert`, :func:`publish_alert`;
* metrics: :func:`run_metrics`, :func:`put_run_metrics`;
* the job hooks :func:`gluestar.glue.run_job` calls: :data:`OPS_JOB_ARGUMENTS`, :class:`OpsConfig`,
  :func:`ops_config_from_argv`, :func:`after_success`, :func:`after_failure`, :func:`run_stage`;
* secrets: :func:`register_secret`, :func:`redact`.

Deploying (:mod:`gluestar.ops.deploy`) is imported on its own by the ``gluestar`` command.
boto3 is imported lazily, only when an alert or a metric is actually sent.
"""

from __future__ import annotations

from gluestar.ops.alerts import Alert, error_text, failure_alert, publish_alert, success_alert
from gluestar.ops.hooks import (
    OPS_JOB_ARGUMENTS,
    OpsConfig,
    after_failure,
    after_success,
    ops_config_from_argv,
    run_stage,
)
from gluestar.ops.logs import (
    JsonFormatter,
    LogContextFilter,
    TextFormatter,
    configure_logging,
    current_log_context,
    log_context,
    set_log_context,
)
from gluestar.ops.metrics import DEFAULT_NAMESPACE, put_run_metrics, render_metrics, run_metrics
from gluestar.ops.redact import forget_secrets, redact, register_secret

__all__ = [
    "configure_logging",
    "set_log_context",
    "log_context",
    "current_log_context",
    "JsonFormatter",
    "TextFormatter",
    "LogContextFilter",
    "Alert",
    "error_text",
    "failure_alert",
    "success_alert",
    "publish_alert",
    "DEFAULT_NAMESPACE",
    "run_metrics",
    "render_metrics",
    "put_run_metrics",
    "OPS_JOB_ARGUMENTS",
    "OpsConfig",
    "ops_config_from_argv",
    "after_success",
    "after_failure",
    "run_stage",
    "register_secret",
    "forget_secrets",
    "redact",
]
