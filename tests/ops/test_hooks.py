"""Ops job arguments and the pipeline registry."""

from __future__ import annotations

import re

import pytest

from gluestar.exceptions import ConfigurationError
from gluestar.ops.hooks import OpsConfig, ops_config_from_argv
from gluestar.pipelines.registry import JOBS, job_spec, runnable_pipelines

TOPIC = "arn:aws:sns:eu-west-1:123456789012:gs-alerts"


def test_ops_arguments_are_read_from_argv_and_others_ignored():
    argv = ["job.py", "--JOB_NAME", "gs-finance", "--RAW_PATH", "s3://r", f"--ALERT_TOPIC_ARN={TOPIC}",
            "--NOTIFY_ON_SUCCESS", "yes", "--METRICS_NAMESPACE", "Team/Gluestar", "--JOB_RUN_ID", "jr_1"]  # fmt: skip
    assert ops_config_from_argv(argv, pipeline="finance") == OpsConfig(
        pipeline="finance",
        job_name="gs-finance",
        job_run_id="jr_1",
        alert_topic_arn=TOPIC,
        notify_on_success=True,
        metrics_namespace="Team/Gluestar",
        log_format="text",
    )


def test_without_ops_arguments_nothing_is_sent_locally():
    config = ops_config_from_argv(["job.py"])
    assert (config.alert_topic_arn, config.metrics_namespace_for(in_glue=False), config.log_format) == (
        None, None, "text",
    )  # fmt: skip
    assert config.metrics_namespace_for(in_glue=True) == "Gluestar"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--NOTIFY_ON_SUCCESS", "maybe"], "--NOTIFY_ON_SUCCESS must be true or false; got 'maybe'"),
        (["--METRICS_NAMESPACE", "AWS/Glue"], "--METRICS_NAMESPACE must be 1-255 characters, not start with ':' and "
         "not start with 'AWS/' (reserved for AWS services); got 'AWS/Glue'"),
        (["--ALERT_TOPIC_ARN"], "invalid job arguments: argument --ALERT_TOPIC_ARN: expected one argument"),
        (["--LOG_FORMAT", "xml"], "--LOG_FORMAT must be one of 'text', 'json'; got 'xml'"),
    ],
)  # fmt: skip
def test_invalid_ops_arguments_are_named(argv, message):
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        ops_config_from_argv(["job.py", *argv])


def test_the_registry_names_every_job_and_its_script(repo_root):
    for spec in JOBS.values():
        assert (repo_root / "jobs" / spec.script).is_file(), spec.script
    assert runnable_pipelines() == (
        "finance", "store_sales", "customer_transactions", "product_interactions", "json_orders"
    )  # fmt: skip
    message = (
        "job must be one of 'finance', 'finance-load', 'store_sales', 'customer_transactions', "
        "'product_interactions', 'json_orders'; got 'sales'"
    )
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        job_spec("sales")


def test_no_registry_argument_carries_a_secret():
    for spec in JOBS.values():
        for name in spec.arguments:
            assert not re.search("PASSWORD|TOKEN|CREDENTIAL", name), name
