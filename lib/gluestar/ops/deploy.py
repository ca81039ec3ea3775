"""``gluestar deploy``: build the wheel, upload it with the job scripts, create or update the Glue jobs.

The CloudFormation stack (``infra/gluestar.yaml``) owns the infrastructure: buckets, key, role,
topic, log groups, workflow, triggers, and the Glue jobs themselves. Deploying publishes code:

1. the wheel and every job script go to ``s3://<artifacts>/gluestar/<version>/`` (an object whose
   SHA-256, kept in its metadata, is unchanged is not uploaded again);
2. each job of :data:`gluestar.pipelines.registry.JOBS` is read with ``get_job`` and then updated
   (``update_job``) when its code, role or gluestar-managed arguments differ, or created
   (``create_job``) when it does not exist yet.

What an update manages: description, role, command (script), Glue version, security configuration,
concurrency and the arguments gluestar sets; everything else already on a job (worker type and
count, timeout, retries, extra arguments an operator added) is kept. Running it twice changes
nothing the second time. :class:`DeployResult` lists each change, diff-style.

Examples
--------
>>> artifact_prefix("0.1.0")
'gluestar/0.1.0'
>>> wheel_name("0.1.0")
'gluestar-0.1.0-py3-none-any.whl'
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from gluestar.exceptions import ConfigurationError, DeployError
from gluestar.pipelines.registry import JOBS, GlueJobSpec

__all__ = [
    "DEFAULT_GLUE_VERSION",
    "STACK_OUTPUTS",
    "ArtifactChange",
    "DeployResult",
    "DeployTarget",
    "JobChange",
    "artifact_prefix",
    "build_wheel",
    "deploy",
    "job_arguments",
    "job_definition",
    "plan_job",
    "source_version",
    "target_from_stack",
    "upload_artifact",
    "wheel_name",
]

log = logging.getLogger("gluestar.ops")

#: Glue version of the jobs (Spark 3.5.6, Python 3.11, Java 17: what gluestar is tested with).
DEFAULT_GLUE_VERSION: Final[str] = "5.1"
#: CloudFormation output -> DeployTarget field.
STACK_OUTPUTS: Final[Mapping[str, str]] = {
    "JobNamePrefix": "prefix",
    "ArtifactsBucketName": "artifacts_bucket",
    "RawBucketName": "raw_bucket",
    "ProcessedBucketName": "processed_bucket",
    "GlueJobRoleArn": "role_arn",
    "AlertTopicArn": "alert_topic_arn",
    "MetricsNamespace": "metrics_namespace",
    "LogGroupPrefix": "log_group_prefix",
    "SecurityConfigurationName": "security_configuration",
    "GlueVersion": "glue_version",
    "GluestarVersion": "stack_version",
    "RedshiftWorkgroup": "redshift_workgroup",
    "RedshiftDatabase": "redshift_database",
    "RedshiftSchema": "redshift_schema",
    "RedshiftCopyRoleArn": "redshift_copy_role_arn",
    "RedshiftSecretArn": "redshift_secret_arn",
}
# Fields of a job an update copies from the existing job (those not in the desired definition are kept).
_UPDATABLE: Final[tuple[str, ...]] = (
    "Description", "LogUri", "Role", "ExecutionProperty", "Command", "DefaultArguments", "NonOverridableArguments",
    "Connections", "MaxRetries", "Timeout", "WorkerType", "NumberOfWorkers", "SecurityConfiguration",
    "NotificationProperty", "GlueVersion", "ExecutionClass", "JobRunQueuingEnabled", "MaintenanceWindow", "JobMode",
)  # fmt: skip
# Fields deploy owns on an existing job; a difference in any of them is an update.
_MANAGED: Final[tuple[str, ...]] = ("Description", "Role", "Command", "GlueVersion", "SecurityConfiguration")
_VERSION = re.compile(r'^__version__ = "([^"]+)"', re.M)


@dataclass(frozen=True)
class DeployTarget:
    """Where to deploy: the stack's buckets, role, topic and settings (see :data:`STACK_OUTPUTS`).

    Attributes
    ----------
    prefix : str
        Glue job names are ``<prefix>-<job>`` (the stack name).
    artifacts_bucket, raw_bucket, processed_bucket : str
        Bucket names.
    role_arn : str
        The Glue job role.
    alert_topic_arn, metrics_namespace, log_group_prefix, security_configuration : str, optional
        Ops settings passed to the jobs.
    glue_version : str
        Glue version of the jobs.
    stack_version : str, optional
        The gluestar version the stack's jobs were created with (a different one is reported).
    redshift_workgroup, redshift_database, redshift_schema, redshift_copy_role_arn, redshift_secret_arn : str, optional
        The load job's target; without them the load job is skipped.
    """

    prefix: str = ""
    artifacts_bucket: str = ""
    raw_bucket: str = ""
    processed_bucket: str = ""
    role_arn: str = ""
    alert_topic_arn: str | None = None
    metrics_namespace: str | None = "Gluestar"
    log_group_prefix: str | None = None
    security_configuration: str | None = None
    glue_version: str = DEFAULT_GLUE_VERSION
    stack_version: str | None = None
    redshift_workgroup: str | None = None
    redshift_database: str | None = None
    redshift_schema: str | None = "finance"
    redshift_copy_role_arn: str | None = None
    redshift_secret_arn: str | None = None

    def __post_init__(self) -> None:
        missing = [
            "--job-prefix" if name == "prefix" else f"--{name.replace('_', '-')}"
            for name in ("prefix", "artifacts_bucket", "raw_bucket", "processed_bucket", "role_arn")
            if not getattr(self, name)
        ]
        if missing:
            raise ConfigurationError(f"deploy needs {', '.join(missing)} (or --stack to read them from its outputs)")

    def placeholders(self) -> dict[str, str]:
        """Values for the ``{placeholders}`` of registry arguments (unset ones are absent)."""
        return {name: str(value) for name, value in self.__dict__.items() if value}


def target_from_stack(stack_name: str, *, client: Any = None, **overrides: str | None) -> DeployTarget:
    """Read a :class:`DeployTarget` from a CloudFormation stack's outputs; ``overrides`` win when not None.

    Raises
    ------
    DeployError
        If the stack does not exist or lacks the outputs deploy needs.
    """
    if client is None:
        import boto3

        client = boto3.client("cloudformation")
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as exc:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", str(exc))
        raise DeployError(f"cannot read stack {stack_name!r}: {message}") from None
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stacks[0].get("Outputs", [])}
    values: dict[str, Any] = {STACK_OUTPUTS[k]: v for k, v in outputs.items() if k in STACK_OUTPUTS and v != ""}
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return DeployTarget(**values)
    except ConfigurationError:
        needed = [k for k, f in STACK_OUTPUTS.items() if f in ("artifacts_bucket", "role_arn") and k not in outputs]
        raise DeployError(
            f"stack {stack_name!r} lacks the output(s) {', '.join(needed) or 'deploy needs'}: is it a gluestar stack "
            "(infra/gluestar.yaml)?"
        ) from None


def wheel_name(version: str) -> str:
    """File name of gluestar's wheel."""
    return f"gluestar-{version}-py3-none-any.whl"


def artifact_prefix(version: str) -> str:
    """Key prefix of one version's artifacts in the artifacts bucket."""
    return f"gluestar/{version}"


def source_version(source_dir: Path) -> str:
    """``__version__`` of the gluestar source tree in ``source_dir`` (what ``build_wheel`` builds).

    Raises
    ------
    DeployError
        If ``source_dir`` is not a gluestar source tree.
    """
    init = Path(source_dir) / "lib" / "gluestar" / "__init__.py"
    match = _VERSION.search(init.read_text()) if init.is_file() else None
    if match is None or not (Path(source_dir) / "setup.py").is_file():
        raise DeployError(f"{source_dir} is not a gluestar source tree (no setup.py and lib/gluestar/__init__.py)")
    return match.group(1)


def build_wheel(source_dir: Path, *, python: str | None = None) -> Path:
    """Build ``dist/gluestar-<version>-py3-none-any.whl`` as ``make wheel`` does; returns its path.

    Raises
    ------
    DeployError
        If pip fails (its output ends the message).
    """
    source_dir = Path(source_dir).resolve()
    version = source_version(source_dir)
    shutil.rmtree(source_dir / "build", ignore_errors=True)
    for old in (source_dir / "dist").glob("gluestar-*.whl"):
        old.unlink()
    command = [python or sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    result = subprocess.run(
        [*command, "--wheel-dir", "dist", "."], cwd=source_dir, capture_output=True, text=True, check=False
    )
    wheel = source_dir / "dist" / wheel_name(version)
    if result.returncode != 0 or not wheel.is_file():
        tail = " ".join((result.stderr or result.stdout).split()[-60:])
        raise DeployError(f"building the wheel failed (exit {result.returncode}): {tail}")
    return wheel


@dataclass(frozen=True)
class ArtifactChange:
    """One uploaded (or unchanged) object."""

    uri: str
    action: Literal["uploaded", "unchanged"]
    size: int

    def render(self) -> str:
        """``+ s3://...  (uploaded, 12.3 KB)`` or ``= s3://...  (unchanged)``."""
        if self.action == "unchanged":
            return f"= {self.uri}  (unchanged)"
        return f"+ {self.uri}  (uploaded, {self.size / 1024:.1f} KB)"


def upload_artifact(client: Any, path: Path, bucket: str, key: str) -> ArtifactChange:
    """Upload ``path`` to ``s3://bucket/key`` unless an object with the same SHA-256 is there.

    The digest is kept in the object's metadata (``x-amz-meta-sha256``): with SSE-KMS an ETag is not
    the MD5 of the content, so it cannot tell an unchanged file.
    """
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    uri = f"s3://{bucket}/{key}"
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code not in ("404", "NoSuchKey", "NotFound"):
            raise
        head = None
    if head is not None and head.get("Metadata", {}).get("sha256") == digest:
        return ArtifactChange(uri, "unchanged", len(data))
    client.put_object(Bucket=bucket, Key=key, Body=data, Metadata={"sha256": digest})
    return ArtifactChange(uri, "uploaded", len(data))


def job_arguments(spec: GlueJobSpec, target: DeployTarget, version: str) -> dict[str, str]:
    """The default arguments gluestar sets on a job: Glue's own, the ops hooks', then the job's.

    Raises
    ------
    ConfigurationError
        If a placeholder of the job's arguments has no value in ``target``.
    """
    artifacts = f"s3://{target.artifacts_bucket}"
    arguments = {
        "--job-language": "python",
        "--extra-py-files": f"{artifacts}/{artifact_prefix(version)}/{wheel_name(version)}",
        "--job-bookmark-option": "job-bookmark-enable" if spec.bookmarks else "job-bookmark-disable",
        "--TempDir": f"{artifacts}/glue/temp/",
        "--enable-metrics": "true",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": f"{artifacts}/glue/spark-events/",
        "--LOG_FORMAT": "json",
    }
    if target.log_group_prefix:
        arguments["--custom-logGroup-prefix"] = target.log_group_prefix
    if target.metrics_namespace:
        arguments["--METRICS_NAMESPACE"] = target.metrics_namespace
    if target.alert_topic_arn:
        arguments["--ALERT_TOPIC_ARN"] = target.alert_topic_arn
    values = target.placeholders()
    for name, template in spec.arguments.items():
        try:
            arguments[name] = template.format_map(values)
        except KeyError as exc:
            raise ConfigurationError(
                f"job {spec.name}: argument {name} needs {exc.args[0]}, which is not set"
            ) from None
    return arguments


def job_definition(spec: GlueJobSpec, target: DeployTarget, version: str) -> dict[str, Any]:
    """The ``create_job`` request of one job.

    Examples
    --------
    >>> target = DeployTarget("gs", "art", "raw", "proc", "arn:aws:iam::123456789012:role/gs-glue")
    >>> job_definition(JOBS["finance"], target, "0.1.0")["Command"]["ScriptLocation"]
    's3://art/gluestar/0.1.0/jobs/finance_star.py'
    """
    definition: dict[str, Any] = {
        "Name": f"{target.prefix}-{spec.name}",
        "Description": spec.description,
        "Role": target.role_arn,
        "ExecutionProperty": {"MaxConcurrentRuns": 1},
        "Command": {
            "Name": "glueetl",
            "ScriptLocation": f"s3://{target.artifacts_bucket}/{artifact_prefix(version)}/jobs/{spec.script}",
            "PythonVersion": "3",
        },
        "DefaultArguments": job_arguments(spec, target, version),
        "GlueVersion": target.glue_version,
        "WorkerType": spec.worker_type,
        "NumberOfWorkers": spec.number_of_workers,
        "Timeout": spec.timeout_minutes,
        "MaxRetries": spec.max_retries,
        "Tags": {"project": "gluestar", "pipeline": spec.pipeline},
    }
    if target.security_configuration:
        definition["SecurityConfiguration"] = target.security_configuration
    return definition


@dataclass(frozen=True)
class JobChange:
    """What deploy does to one job: ``create``, ``update`` (with the differences) or ``unchanged``."""

    name: str
    action: Literal["create", "update", "unchanged", "skipped"]
    changes: tuple[str, ...] = ()
    request: dict[str, Any] = field(default_factory=dict, compare=False)

    def render(self) -> str:
        """Diff-like lines: ``+ glue job x (created)``, ``~ glue job x (updated)`` and its changes, ``= ...``."""
        mark = {"create": "+", "update": "~", "unchanged": "=", "skipped": "!"}[self.action]
        label = {"create": "created", "update": "updated", "unchanged": "unchanged", "skipped": "skipped"}[self.action]
        return "\n".join([f"{mark} glue job {self.name}  ({label})", *(f"    {c}" for c in self.changes)])


def _short(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def plan_job(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> JobChange:
    """Compare an existing job (``get_job()["Job"]``, or None) with its desired definition.

    Returns
    -------
    JobChange
        ``create`` with the ``create_job`` request; ``update`` with the ``update_job`` request (the
        existing job's fields, gluestar's managed fields and arguments laid over them); or ``unchanged``.

    Examples
    --------
    >>> desired = {"Name": "j", "Role": "r2", "DefaultArguments": {"--A": "1"}}
    >>> plan_job({"Name": "j", "Role": "r1", "DefaultArguments": {"--A": "1", "--B": "x"}}, desired).changes
    ('Role: r1 -> r2',)
    """
    name = str(desired["Name"])
    if current is None:
        args = desired.get("DefaultArguments", {})
        return JobChange(name, "create", tuple(f"+ {k}: {v}" for k, v in sorted(args.items())), dict(desired))
    changes: list[str] = []
    update: dict[str, Any] = {k: current[k] for k in _UPDATABLE if current.get(k) not in (None, "", {}, [])}
    if "WorkerType" not in update and current.get("MaxCapacity") is not None:
        update["MaxCapacity"] = current["MaxCapacity"]
    for key in _MANAGED:
        if key not in desired:
            continue
        if key == "Command":
            old_command, new_command = dict(current.get("Command") or {}), dict(desired["Command"])
            for part, value in new_command.items():
                if old_command.get(part) != value:
                    changes.append(f"Command.{part}: {_short(old_command.get(part))} -> {value}")
            update["Command"] = {**old_command, **new_command}
        elif current.get(key) != desired[key]:
            changes.append(f"{key}: {_short(current.get(key))} -> {_short(desired[key])}")
            update[key] = desired[key]
    concurrency = desired.get("ExecutionProperty", {}).get("MaxConcurrentRuns")
    old_concurrency = (current.get("ExecutionProperty") or {}).get("MaxConcurrentRuns")
    if concurrency is not None and old_concurrency != concurrency:
        changes.append(f"ExecutionProperty.MaxConcurrentRuns: {old_concurrency} -> {concurrency}")
        update["ExecutionProperty"] = {**(current.get("ExecutionProperty") or {}), "MaxConcurrentRuns": concurrency}
    old_args = dict(current.get("DefaultArguments") or {})
    new_args = {**old_args, **desired.get("DefaultArguments", {})}
    for key in sorted(desired.get("DefaultArguments", {})):
        if key not in old_args:
            changes.append(f"+ {key}: {new_args[key]}")
        elif old_args[key] != new_args[key]:
            changes.append(f"~ {key}: {old_args[key]} -> {new_args[key]}")
    update["DefaultArguments"] = new_args
    if not changes:
        return JobChange(name, "unchanged")
    return JobChange(name, "update", tuple(changes), {"JobName": name, "JobUpdate": update})


@dataclass
class DeployResult:
    """Everything one deploy did."""

    version: str
    artifacts: list[ArtifactChange] = field(default_factory=list)
    jobs: list[JobChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """Number of uploads, creations and updates."""
        return sum(a.action == "uploaded" for a in self.artifacts) + sum(
            j.action in ("create", "update") for j in self.jobs
        )

    def render(self) -> str:
        """The summary ``gluestar deploy`` prints."""
        lines = [*(a.render() for a in self.artifacts), *(j.render() for j in self.jobs)]
        lines += [f"note: {note}" for note in self.notes]
        lines.append(f"{self.changed} change(s)" if self.changed else "no changes")
        return "\n".join(lines)


def _job_of(client: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(client.get_job(JobName=name)["Job"])
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "EntityNotFoundException":
            return None
        raise


def deploy(
    target: DeployTarget,
    wheel: Path,
    jobs_dir: Path,
    *,
    version: str,
    jobs: Sequence[GlueJobSpec] | None = None,
    s3_client: Any = None,
    glue_client: Any = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DeployResult:
    """Upload the wheel and the job scripts, then create or update every job.

    Parameters
    ----------
    target : DeployTarget
        From :func:`target_from_stack` or explicit options.
    wheel : Path
        The built wheel (``gluestar-<version>-py3-none-any.whl``).
    jobs_dir : Path
        The repository's ``jobs/`` folder.
    version : str
        gluestar's version: the artifacts go to ``s3://<artifacts>/gluestar/<version>/``.
    jobs : sequence of GlueJobSpec, optional
        Default: every entry of :data:`gluestar.pipelines.registry.JOBS`.
    s3_client, glue_client : optional
        boto3 clients (created lazily otherwise).
    dry_run : bool, default False
        Compare only: report what would change, upload and change nothing.
    progress : callable, optional
        Called with a line before each step (the CLI shows it).

    Raises
    ------
    DeployError
        If a job script is missing or AWS refuses a call.
    """
    say = progress or (lambda _line: None)
    jobs = list(JOBS.values() if jobs is None else jobs)
    if s3_client is None or glue_client is None:
        import boto3

        s3_client = s3_client or boto3.client("s3")
        glue_client = glue_client or boto3.client("glue")
    result = DeployResult(version)
    if target.stack_version and target.stack_version != version:
        result.notes.append(
            f"the stack's jobs were created for gluestar {target.stack_version}; this deploy points them at {version}. "
            f"Pass GluestarVersion={version} to the next `aws cloudformation deploy`, or it will point them back."
        )
    prefix = artifact_prefix(version)
    uploads = [(Path(wheel), f"{prefix}/{wheel_name(version)}")]
    for spec in jobs:
        script = Path(jobs_dir) / spec.script
        if not script.is_file():
            raise DeployError(f"job {spec.name}: script {script} not found")
        uploads.append((script, f"{prefix}/jobs/{spec.script}"))
    for path, key in dict.fromkeys(uploads):
        say(f"uploading {path.name} to s3://{target.artifacts_bucket}/{key}")
        if dry_run:
            continue
        try:
            result.artifacts.append(upload_artifact(s3_client, path, target.artifacts_bucket, key))
        except Exception as exc:
            raise DeployError(f"uploading {path.name} to s3://{target.artifacts_bucket}/{key} failed: {exc}") from None
    for spec in jobs:
        try:
            desired = job_definition(spec, target, version)
        except ConfigurationError as exc:
            result.jobs.append(JobChange(f"{target.prefix}-{spec.name}", "skipped", (str(exc),)))
            continue
        say(f"checking glue job {desired['Name']}")
        try:
            change = plan_job(_job_of(glue_client, desired["Name"]), desired)
            if not dry_run and change.action == "create":
                glue_client.create_job(**change.request)
            elif not dry_run and change.action == "update":
                glue_client.update_job(**change.request)
        except Exception as exc:
            raise DeployError(f"glue job {desired['Name']}: {exc}") from None
        result.jobs.append(change)
    if dry_run:
        result.notes.append("dry run: nothing was uploaded or changed")
    return result
