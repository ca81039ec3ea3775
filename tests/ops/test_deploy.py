"""gluestar deploy against moto: uploads, job creation, updates that keep an operator's tuning, idempotence."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_glue import glue_update_job

from conftest import REGION
from gluestar.cli import main
from gluestar.exceptions import DeployError
from gluestar.ops.deploy import DeployTarget, deploy, job_definition, plan_job, target_from_stack
from gluestar.pipelines.registry import JOBS

REPO = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/gs-glue-job"
TOPIC = f"arn:aws:sns:{REGION}:123456789012:gs-alerts"


def _target(**changes: Any) -> DeployTarget:
    values = {
        "prefix": "gs",
        "artifacts_bucket": "gs-artifacts",
        "raw_bucket": "gs-raw",
        "processed_bucket": "gs-processed",
        "role_arn": ROLE,
        "alert_topic_arn": TOPIC,
        "log_group_prefix": "/aws-glue/gluestar/gs",
        "security_configuration": "gs-kms",
        "redshift_workgroup": "finance-wg",
        "redshift_database": "analytics",
        "redshift_copy_role_arn": "arn:aws:iam::123456789012:role/redshift-copy",
        "redshift_secret_arn": f"arn:aws:secretsmanager:{REGION}:123456789012:secret:gs/loader-AbCdEf",
    }
    return DeployTarget(**{**values, **changes})


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    path = tmp_path / "gluestar-0.1.0-py3-none-any.whl"
    path.write_bytes(b"PK fake wheel 0.1.0")
    return path


@pytest.fixture
def glue(aws: None) -> Any:
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="gs-artifacts", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    with glue_update_job() as updates:
        yield updates


def _deploy(wheel: Path, version: str = "0.1.0", **changes: Any) -> Any:
    return deploy(_target(**changes), wheel, REPO / "jobs", version=version)


#: Every job script the deploy uploads, in registry order.
_SCRIPTS = list(dict.fromkeys(spec.script for spec in JOBS.values()))


def _kb(script: str) -> str:
    return f"{(REPO / 'jobs' / script).stat().st_size / 1024:.1f} KB"


def test_a_first_deploy_uploads_everything_and_creates_every_job(glue, wheel):
    result = _deploy(wheel)
    lines = result.render().splitlines()
    assert lines[:3] == [
        "+ s3://gs-artifacts/gluestar/0.1.0/gluestar-0.1.0-py3-none-any.whl  (uploaded, 0.0 KB)",
        f"+ s3://gs-artifacts/gluestar/0.1.0/jobs/finance_star.py  (uploaded, {_kb('finance_star.py')})",
        f"+ s3://gs-artifacts/gluestar/0.1.0/jobs/load_redshift.py  (uploaded, {_kb('load_redshift.py')})",
    ]
    assert "+ glue job gs-finance  (created)" in lines
    assert "+ glue job gs-finance-load  (created)" in lines
    assert "    + --RAW_PATH: s3://gs-raw/finance/" in lines
    assert lines[-1] == f"{1 + len(_SCRIPTS) + len(JOBS)} change(s)"  # the wheel, the scripts, the jobs
    job = boto3.client("glue", region_name=REGION).get_job(JobName="gs-finance")["Job"]
    assert job["Command"] == {
        "Name": "glueetl",
        "ScriptLocation": "s3://gs-artifacts/gluestar/0.1.0/jobs/finance_star.py",
        "PythonVersion": "3",
    }
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"], job["Timeout"], job["MaxRetries"]) == (
        "5.1", "G.1X", 5, 120, 1,
    )  # fmt: skip
    assert job["DefaultArguments"] == {
        "--job-language": "python",
        "--extra-py-files": "s3://gs-artifacts/gluestar/0.1.0/gluestar-0.1.0-py3-none-any.whl",
        "--job-bookmark-option": "job-bookmark-enable",
        "--TempDir": "s3://gs-artifacts/glue/temp/",
        "--enable-metrics": "true",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": "s3://gs-artifacts/glue/spark-events/",
        "--LOG_FORMAT": "json",
        "--custom-logGroup-prefix": "/aws-glue/gluestar/gs",
        "--METRICS_NAMESPACE": "Gluestar",
        "--ALERT_TOPIC_ARN": TOPIC,
        "--RAW_PATH": "s3://gs-raw/finance/",
        "--PROCESSED_PATH": "s3://gs-processed",
    }
    head = boto3.client("s3", region_name=REGION).head_object(
        Bucket="gs-artifacts", Key="gluestar/0.1.0/gluestar-0.1.0-py3-none-any.whl"
    )
    assert len(head["Metadata"]["sha256"]) == 64


def test_a_second_deploy_changes_nothing(glue, wheel):
    _deploy(wheel)
    result = _deploy(wheel)
    assert result.render().splitlines() == [
        "= s3://gs-artifacts/gluestar/0.1.0/gluestar-0.1.0-py3-none-any.whl  (unchanged)",
        *[f"= s3://gs-artifacts/gluestar/0.1.0/jobs/{script}  (unchanged)" for script in _SCRIPTS],
        *[f"= glue job gs-{name}  (unchanged)" for name in JOBS],
        "no changes",
    ]
    assert glue == []  # no update_job call


def test_a_new_version_updates_the_jobs_and_keeps_an_operators_tuning(glue, wheel, tmp_path):
    _deploy(wheel)
    client = boto3.client("glue", region_name=REGION)
    job = client.get_job(JobName="gs-finance")["Job"]
    tuned = {
        k: job[k]
        for k in ("Description", "Role", "Command", "GlueVersion", "ExecutionProperty", "MaxRetries", "Timeout")
    }
    tuned.update(
        {"WorkerType": "G.2X", "NumberOfWorkers": 10, "SecurityConfiguration": "gs-kms",
         "DefaultArguments": {**job["DefaultArguments"], "--QUALITY_ENGINE": "native"}}
    )  # fmt: skip
    client.update_job(JobName="gs-finance", JobUpdate=tuned)
    new_wheel = tmp_path / "gluestar-0.2.0-py3-none-any.whl"
    new_wheel.write_bytes(b"PK fake wheel 0.2.0")
    glue.clear()

    result = _deploy(new_wheel, version="0.2.0")

    finance = next(j for j in result.jobs if j.name == "gs-finance")
    assert finance.render().splitlines() == [
        "~ glue job gs-finance  (updated)",
        "    Command.ScriptLocation: s3://gs-artifacts/gluestar/0.1.0/jobs/finance_star.py -> "
        "s3://gs-artifacts/gluestar/0.2.0/jobs/finance_star.py",
        "    ~ --extra-py-files: s3://gs-artifacts/gluestar/0.1.0/gluestar-0.1.0-py3-none-any.whl -> "
        "s3://gs-artifacts/gluestar/0.2.0/gluestar-0.2.0-py3-none-any.whl",
    ]
    job = client.get_job(JobName="gs-finance")["Job"]
    assert (job["WorkerType"], job["NumberOfWorkers"]) == ("G.2X", 10)
    assert job["DefaultArguments"]["--QUALITY_ENGINE"] == "native"
    assert job["DefaultArguments"]["--extra-py-files"].endswith("/0.2.0/gluestar-0.2.0-py3-none-any.whl")
    assert [u["JobName"] for u in glue] == [f"gs-{name}" for name in JOBS]
    assert _deploy(new_wheel, version="0.2.0").changed == 0


def test_a_changed_role_is_an_update(glue, wheel):
    _deploy(wheel)
    result = _deploy(wheel, role_arn="arn:aws:iam::123456789012:role/other")
    finance = next(j for j in result.jobs if j.name == "gs-finance")
    assert finance.changes == (f"Role: {ROLE} -> arn:aws:iam::123456789012:role/other",)


def test_the_load_job_is_skipped_without_the_redshift_settings(glue, wheel):
    result = _deploy(wheel, redshift_workgroup=None)
    load = next(j for j in result.jobs if j.name == "gs-finance-load")
    assert load.render() == (
        "! glue job gs-finance-load  (skipped)\n"
        "    job finance-load: argument --REDSHIFT_WORKGROUP needs redshift_workgroup, which is not set"
    )


def test_a_dry_run_uploads_and_changes_nothing(glue, wheel):
    result = deploy(_target(), wheel, REPO / "jobs", version="0.1.0", dry_run=True)
    assert [j.action for j in result.jobs] == ["create"] * len(JOBS)
    assert result.notes == ["dry run: nothing was uploaded or changed"]
    assert boto3.client("glue", region_name=REGION).get_jobs()["Jobs"] == []


def test_a_stack_of_another_version_is_noted(glue, wheel):
    result = _deploy(wheel, version="0.1.0", stack_version="0.0.9")
    assert result.notes == [
        "the stack's jobs were created for gluestar 0.0.9; this deploy points them at 0.1.0. Pass "
        "GluestarVersion=0.1.0 to the next `aws cloudformation deploy`, or it will point them back."
    ]


def test_a_missing_job_script_is_an_error(glue, wheel, tmp_path):
    message = f"job finance: script {tmp_path / 'finance_star.py'} not found"
    with pytest.raises(DeployError, match=f"^{re.escape(message)}$"):
        deploy(_target(), wheel, tmp_path, version="0.1.0")


def test_plan_job_keeps_arguments_gluestar_does_not_manage():
    desired = job_definition(JOBS["finance"], _target(), "0.1.0")
    current = {**desired, "DefaultArguments": {**desired["DefaultArguments"], "--extra": "x"}, "WorkerType": "G.2X"}
    assert plan_job(current, desired).action == "unchanged"


# target_from_stack -------------------------------------------------------------------------------


class _Stacks:
    def __init__(self, outputs: dict[str, str] | None) -> None:
        self.outputs = outputs

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if self.outputs is None:
            error = Exception("Stack with id gs does not exist")
            error.response = {
                "Error": {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}
            }  # type: ignore[attr-defined]
            raise error
        return {"Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]}]}


def test_the_target_comes_from_the_stack_outputs_with_overrides():
    outputs = {
        "JobNamePrefix": "gs", "ArtifactsBucketName": "gs-artifacts", "RawBucketName": "gs-raw",
        "ProcessedBucketName": "gs-processed", "GlueJobRoleArn": ROLE, "AlertTopicArn": TOPIC,
        "MetricsNamespace": "Gluestar", "GluestarVersion": "0.1.0", "DataKeyArn": "ignored",
    }  # fmt: skip
    target = target_from_stack("gs", client=_Stacks(outputs), raw_bucket="other-raw", prefix=None)
    assert (target.prefix, target.artifacts_bucket, target.raw_bucket, target.role_arn, target.stack_version) == (
        "gs", "gs-artifacts", "other-raw", ROLE, "0.1.0",
    )  # fmt: skip


def test_a_missing_stack_is_one_clear_error():
    with pytest.raises(DeployError, match=r"^cannot read stack 'gs': Stack with id gs does not exist$"):
        target_from_stack("gs", client=_Stacks(None))


def test_a_stack_without_gluestar_outputs_is_named():
    message = (
        "stack 'gs' lacks the output(s) ArtifactsBucketName, GlueJobRoleArn: is it a gluestar stack "
        "(infra/gluestar.yaml)?"
    )
    with pytest.raises(DeployError, match=f"^{re.escape(message)}$"):
        target_from_stack("gs", client=_Stacks({"JobNamePrefix": "gs"}))


# the command -------------------------------------------------------------------------------------


def _cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code)


def test_gluestar_deploy_is_idempotent(glue, wheel, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    options = [
        "deploy", "--region", REGION, "--wheel", str(wheel), "--job-prefix", "gs",
        "--artifacts-bucket", "gs-artifacts", "--raw-bucket", "gs-raw", "--processed-bucket", "gs-processed",
        "--role-arn", ROLE, "--alert-topic-arn", TOPIC,
    ]  # fmt: skip
    assert _cli(*options) == 0
    first = capsys.readouterr()
    assert "+ glue job gs-finance  (created)" in first.out
    assert "! glue job gs-finance-load  (skipped)" in first.out
    assert first.out.endswith(f"{1 + len(_SCRIPTS) + len(JOBS) - 1} change(s)\n")  # the load job is skipped
    assert "-> deploying gluestar 0.1.0 to s3://gs-artifacts and Glue jobs gs-*" in first.err
    assert _cli(*options) == 0
    second = capsys.readouterr().out
    assert "= glue job gs-finance  (unchanged)\n" in second
    assert second.endswith(
        "    job finance-load: argument --REDSHIFT_WORKGROUP needs redshift_workgroup, which is not set\n"
        + "".join(f"= glue job gs-{name}  (unchanged)\n" for name in list(JOBS)[2:])
        + "no changes\n"
    )


def test_gluestar_deploy_without_a_stack_or_options_says_what_is_missing(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert _cli("deploy", "--wheel", "x.whl") == 1
    assert capsys.readouterr().err == (
        "gluestar: error: deploy needs --job-prefix, --artifacts-bucket, --raw-bucket, --processed-bucket, "
        "--role-arn (or --stack to read them from its outputs)\n"
        "  hint: pass --stack <name>, or every one of the options it names\n"
    )


def test_gluestar_deploy_without_credentials_is_one_line(glue, wheel, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    from botocore.exceptions import NoCredentialsError

    def no_credentials(*_args: Any, **_kwargs: Any) -> Any:
        raise NoCredentialsError()

    monkeypatch.setattr("gluestar.ops.deploy.deploy", no_credentials)
    options = ["deploy", "--region", REGION, "--wheel", str(wheel), "--job-prefix", "gs", "--artifacts-bucket", "a",
               "--raw-bucket", "r", "--processed-bucket", "p", "--role-arn", ROLE]  # fmt: skip
    assert _cli(*options) == 1
    assert capsys.readouterr().err.endswith(
        "gluestar: error: no AWS credentials found\n"
        "  hint: configure them with `aws configure`, AWS_PROFILE or an instance role\n"
    )
