"""The ``gluestar`` command: run a pipeline locally, load a run, deploy to AWS Glue, read reports.

::

    gluestar run finance                      # spark-submit jobs/finance_star.py with the wheel, as Glue runs it
    gluestar load --executor postgres ...     # load a finished run into Redshift or PostgreSQL (no Spark)
    gluestar deploy --stack gluestar          # build, upload, create or update the Glue jobs
    gluestar report latest                    # print a run report
    gluestar quality <run_id>                 # print a run's quality results

Every subcommand has ``--help``. Errors are one line, ``gluestar: error: ...``, followed by a
``hint:`` line saying how to fix it, and exit code 1; there is no traceback. Only this module imports
click: the Glue job scripts never load it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from gluestar.exceptions import GluestarError
from gluestar.pipelines.registry import JOBS, job_spec, runnable_pipelines

__all__ = ["cli", "main", "spark_submit_command"]

_PROCESSED_DEFAULT = "output/processed"


class _Failure(click.ClickException):
    """One error line plus a hint, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def show(self, file: Any = None) -> None:
        click.echo(f"gluestar: error: {self.message}", err=True)
        if self.hint:
            click.echo(f"  hint: {self.hint}", err=True)


@contextmanager
def _hint(hint: str) -> Iterator[None]:
    """Turn a gluestar error raised in the block into one line plus ``hint``."""
    try:
        yield
    except GluestarError as exc:
        raise _Failure(str(exc), hint) from None


@contextmanager
def _step(message: str) -> Iterator[None]:
    """Show a long step as it starts and how long it took."""
    click.echo(f"-> {message} ...", err=True)
    began = time.perf_counter()
    yield
    click.echo(f"   done in {time.perf_counter() - began:.1f} s", err=True)


def _aws_failure(exc: Exception) -> _Failure:
    """A botocore error as one line and a hint."""
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError", "NoAuthTokenError"):
        return _Failure(
            "no AWS credentials found", "configure them with `aws configure`, AWS_PROFILE or an instance role"
        )
    if name == "NoRegionError":
        return _Failure("no AWS region set", "pass --region or set AWS_REGION (or a region in ~/.aws/config)")
    error = getattr(exc, "response", {}).get("Error", {})
    code = error.get("Code", name)
    hint = {
        "AccessDenied": "the caller's IAM identity lacks this permission; see the IAM table in the README",
        "AccessDeniedException": "the caller's IAM identity lacks this permission; see the IAM table in the README",
        "ExpiredToken": "refresh the AWS credentials (e.g. aws sso login)",
        "ExpiredTokenException": "refresh the AWS credentials (e.g. aws sso login)",
    }.get(code, "check the AWS account, region and permissions")
    return _Failure(f"AWS call failed: {code}: {error.get('Message', exc)}", hint)


def _repo_root(source_dir: str | None) -> Path:
    root = Path(source_dir or ".").resolve()
    if not (root / "jobs").is_dir() or not (root / "setup.py").is_file():
        raise _Failure(
            f"{root} is not a gluestar clone (no jobs/ and setup.py)",
            "run the command from the repository root or pass --source-dir",
        )
    return root


def _wheel(root: Path, wheel: str | None) -> Path:
    from gluestar.ops.deploy import build_wheel

    if wheel:
        path = Path(wheel)
        if not path.is_file():
            raise _Failure(f"wheel {path} not found", "build it with `make wheel` or leave out --wheel")
        return path
    with _step("building the wheel"), _hint("fix the build error above; `make wheel` shows pip's full output"):
        return build_wheel(root)


# --- the command group ------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="gluestar", prog_name="gluestar")
def cli() -> None:
    """gluestar: run, load, deploy and inspect the star-schema pipelines."""


# --- run --------------------------------------------------------------------------------------


def spark_submit_command(
    root: Path,
    pipeline: str,
    wheel: Path,
    *,
    raw_path: str,
    processed_path: str,
    run_id: str | None = None,
    master: str = "local[2]",
    log_format: str = "text",
    extra: Sequence[str] = (),
    spark_submit: str = "spark-submit",
) -> list[str]:
    """The ``spark-submit`` command ``gluestar run`` starts (the same as ``make run``).

    Examples
    --------
    >>> cmd = spark_submit_command(Path("/r"), "finance", Path("/r/dist/g.whl"), raw_path="raw", processed_path="out")
    >>> cmd[cmd.index("--py-files") + 1], cmd[cmd.index("--py-files") + 2]
    ('/r/dist/g.whl', '/r/jobs/finance_star.py')
    """
    spec = job_spec(pipeline)
    log4j = root / "jobs" / "log4j2-local.properties"
    command = [spark_submit, "--master", master, "--conf", "spark.ui.showConsoleProgress=false"]
    if log4j.is_file():
        command += ["--driver-java-options", f"-Dlog4j2.configurationFile=file:{log4j}"]
    command += [
        "--py-files",
        str(wheel),
        str(root / "jobs" / spec.script),
        "--JOB_NAME",
        spec.script.removesuffix(".py"),
    ]
    command += ["--RAW_PATH", raw_path, "--PROCESSED_PATH", processed_path, "--LOG_FORMAT", log_format]
    if run_id:
        command += ["--RUN_ID", run_id]
    return [*command, *extra]


def _spark_submit() -> str:
    beside = Path(sys.executable).parent / "spark-submit"
    found = str(beside) if beside.is_file() else shutil.which("spark-submit")
    if not found:
        raise _Failure("spark-submit not found", "install the local extra: pip install 'gluestar[local]'")
    return found


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("pipeline", type=click.Choice(runnable_pipelines()))
@click.option("--raw-path", help="Raw extract folder (default: the bundled sample of the pipeline).")
@click.option("--processed-path", default=_PROCESSED_DEFAULT, show_default=True, help="Processed zone root.")
@click.option("--run-id", help="Run id (default: the UTC start time).")
@click.option("--master", default="local[2]", show_default=True, help="Spark master.")
@click.option("--wheel", help="Use this wheel instead of building one.")
@click.option("--source-dir", help="The gluestar clone (default: the current folder).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the spark-submit command and stop.")
@click.argument("job_args", nargs=-1, type=click.UNPROCESSED)
def run(
    pipeline: str,
    raw_path: str | None,
    processed_path: str,
    run_id: str | None,
    master: str,
    wheel: str | None,
    source_dir: str | None,
    log_format: str,
    dry_run: bool,
    job_args: tuple[str, ...],
) -> None:
    """Run PIPELINE locally, the way Glue runs it: spark-submit of its job script with the wheel.

    Extra job arguments after the options go to the job unchanged, e.g.
    `gluestar run finance -- --QUALITY_ENGINE native`. No Glue is needed: the job falls back to a
    plain SparkSession, and no CloudWatch call is made (the figures are in the run report).
    """
    root = _repo_root(source_dir)
    spec = job_spec(pipeline)
    raw = raw_path or str(root / (spec.sample_raw_path or f"data/raw/{pipeline}"))
    if dry_run:
        from gluestar.ops.deploy import source_version, wheel_name

        with _hint("run the command from a gluestar clone"):
            built = Path(wheel) if wheel else root / "dist" / wheel_name(source_version(root))
        spark_submit = "spark-submit"
    else:
        built, spark_submit = _wheel(root, wheel), _spark_submit()
    command = spark_submit_command(
        root, pipeline, built, raw_path=raw, processed_path=processed_path, run_id=run_id, master=master,
        log_format=log_format, extra=[a for a in job_args if a != "--"], spark_submit=spark_submit,
    )  # fmt: skip
    if dry_run:
        click.echo(" ".join(command))
        return
    click.echo(f"-> running {spec.script} with spark-submit (master {master}) ...", err=True)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    code = subprocess.run(command, env=env, check=False).returncode
    if code != 0:
        # The job printed its own one-line error; say where to look and keep its exit code.
        click.echo(f"gluestar: error: the {pipeline} job exited with code {code}", err=True)
        click.echo(f"  hint: see the job's error line above; `gluestar report latest --pipeline {pipeline}`", err=True)
        sys.exit(code)


# --- load -------------------------------------------------------------------------------------


@cli.command()
@click.option("--processed-path", default=_PROCESSED_DEFAULT, show_default=True, help="Processed zone root.")
@click.option("--run-id", help="Run to load (default: the latest succeeded run).")
@click.option("--pipeline", default="finance", show_default=True)
@click.option("--executor", type=click.Choice(["connector", "data_api", "postgres"]), required=True)
@click.option("--schema", default="finance", show_default=True, help="Target schema.")
@click.option("--iam-role", help="Role ARN Redshift assumes for COPY (connector, data_api).")
@click.option("--secret-id", help="Secrets Manager secret with the database credentials (never a password).")
@click.option("--database", help="Database (data_api: required).")
@click.option("--workgroup", help="Redshift Serverless workgroup (data_api).")
@click.option("--cluster-id", help="Provisioned cluster (data_api).")
@click.option("--region", help="Region of the secret and the Data API.")
@click.option("--pg-host")
@click.option("--pg-port", default="5432", show_default=True)
@click.option("--pg-user")
@click.option("--pg-database")
def load(processed_path: str, run_id: str | None, pipeline: str, executor: str, **target: str | None) -> None:
    """Load a finished run into Redshift (or the local PostgreSQL stand-in), in-process, without Spark.

    The same code as the Glue load job: dimensions first, one transaction per table. The password
    comes from Secrets Manager (--secret-id) or ~/.pgpass, never from an option.
    """
    from gluestar.redshift import load_run_from_args

    args = {
        "REDSHIFT_EXECUTOR": executor,
        **{
            ("REDSHIFT_" + name.upper() if not name.startswith("pg_") else name.upper()): value
            for name, value in target.items()
        },
    }
    with (
        _step(f"loading {pipeline} run {run_id or '(latest succeeded)'} with the {executor} executor"),
        _hint("check the run id (gluestar report latest) and the executor options (gluestar load --help)"),
    ):
        report = load_run_from_args(None, processed_path, run_id, args, pipeline=pipeline, require=True)
    if report is not None:
        click.echo(report.render())


# --- deploy -----------------------------------------------------------------------------------


@cli.command()
@click.option("--stack", help="CloudFormation stack of infra/gluestar.yaml: buckets, role and topic from its outputs.")
@click.option("--region", help="AWS region (default: the AWS CLI's).")
@click.option("--job-prefix", help="Glue job names are <prefix>-<job> (default: the stack's).")
@click.option("--artifacts-bucket", help="Overrides the stack output.")
@click.option("--raw-bucket", help="Overrides the stack output.")
@click.option("--processed-bucket", help="Overrides the stack output.")
@click.option("--role-arn", help="Glue job role; overrides the stack output.")
@click.option("--alert-topic-arn", help="SNS topic for alerts; overrides the stack output.")
@click.option("--metrics-namespace", help="CloudWatch namespace; overrides the stack output.")
@click.option("--wheel", help="Deploy this wheel instead of building one.")
@click.option("--source-dir", help="The gluestar clone (default: the current folder).")
@click.option("--job", "only", multiple=True, type=click.Choice(list(JOBS)), help="Deploy only this job (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would change; upload and change nothing.")
def deploy(
    stack: str | None,
    region: str | None,
    job_prefix: str | None,
    wheel: str | None,
    source_dir: str | None,
    only: tuple[str, ...],
    dry_run: bool,
    **overrides: str | None,
) -> None:
    """Build the wheel, upload it and the job scripts, create or update the Glue jobs.

    Idempotent: an unchanged artifact is not uploaded again and an unchanged job is not updated; the
    summary lists what changed (+ created or uploaded, ~ updated, = unchanged).
    """
    import boto3

    from gluestar.ops.deploy import DeployTarget, source_version, target_from_stack
    from gluestar.ops.deploy import deploy as run_deploy

    root = _repo_root(source_dir)
    with _hint("run the command from a gluestar clone"):
        version = source_version(root)
    session = boto3.session.Session(region_name=region)
    fields = {**overrides, "prefix": job_prefix}
    if stack:
        with (
            _step(f"reading the outputs of stack {stack}"),
            _hint(
                "create the stack first: aws cloudformation deploy --template-file infra/gluestar.yaml "
                f"--stack-name {stack} --capabilities CAPABILITY_NAMED_IAM (see the README)"
            ),
        ):
            target = target_from_stack(stack, client=session.client("cloudformation"), **fields)
    else:
        with _hint("pass --stack <name>, or every one of the options it names"):
            target = DeployTarget(**{k: v for k, v in fields.items() if v is not None})  # type: ignore[arg-type]
    built = _wheel(root, wheel)
    jobs = [JOBS[name] for name in only] if only else None
    click.echo(
        f"-> deploying gluestar {version} to s3://{target.artifacts_bucket} and Glue jobs {target.prefix}-*", err=True
    )
    with _hint("check the stack's outputs and your permissions (see the IAM table in the README)"):
        result = run_deploy(
            target, built, root / "jobs", version=version, jobs=jobs, dry_run=dry_run,
            s3_client=session.client("s3"), glue_client=session.client("glue"),
            progress=lambda line: click.echo(f"   {line}", err=True),
        )  # fmt: skip
    click.echo(result.render())


# --- report, quality --------------------------------------------------------------------------


def _storage() -> Any:
    from gluestar.redshift.files import ArrowStorage

    return ArrowStorage()


def _latest_run(processed_path: str, pipeline: str) -> str:
    from gluestar.report import RunReport
    from gluestar.storage import join_path

    storage = _storage()
    folder = join_path(processed_path, pipeline, "_runs")
    reports = [RunReport.from_json(storage.read_text(f.path)) for f in storage.list_files(folder, suffix=".json")]
    if not reports:
        raise _Failure(
            f"no {pipeline} run under {folder}", f"run one with `gluestar run {pipeline}` or pass --processed-path"
        )
    return max(reports, key=lambda r: (r.started_at, r.run_id)).run_id


def _read(path: str, what: str, hint: str) -> str:
    storage = _storage()
    if not storage.exists(path):
        raise _Failure(f"no {what} at {path}", hint)
    return str(storage.read_text(path))


@cli.command()
@click.argument("run_id")
@click.option("--processed-path", default=_PROCESSED_DEFAULT, show_default=True, help="Local folder or s3:// URI.")
@click.option("--pipeline", default="finance", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report's JSON.")
@click.option("--metrics", is_flag=True, help="Also print the CloudWatch metrics the run reports in Glue.")
def report(run_id: str, processed_path: str, pipeline: str, as_json: bool, metrics: bool) -> None:
    """Print the report of RUN_ID (`latest`: the most recently started run, whatever its status)."""
    from gluestar.ops.metrics import render_metrics, run_metrics
    from gluestar.report import RunReport
    from gluestar.storage import join_path

    run_id = _latest_run(processed_path, pipeline) if run_id == "latest" else run_id
    path = join_path(processed_path, pipeline, "_runs", f"{run_id}.json")
    text = _read(
        path, "run report", f"list the runs under {join_path(processed_path, pipeline, '_runs')} or try `latest`"
    )
    parsed = RunReport.from_json(text)
    click.echo(json.dumps(json.loads(text), indent=2) if as_json else parsed.render())
    if metrics:
        click.echo("\nmetrics (CloudWatch, in Glue):")
        click.echo("\n".join(f"  {line}" for line in render_metrics(run_metrics(parsed))))


@cli.command()
@click.argument("run_id")
@click.option("--processed-path", default=_PROCESSED_DEFAULT, show_default=True, help="Local folder or s3:// URI.")
@click.option("--pipeline", default="finance", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results' JSON (one row per constraint).")
def quality(run_id: str, processed_path: str, pipeline: str, as_json: bool) -> None:
    """Print the quality-gate results of RUN_ID (`latest`: the most recently started run)."""
    from gluestar.quality.results import QualityReport
    from gluestar.storage import join_path

    run_id = _latest_run(processed_path, pipeline) if run_id == "latest" else run_id
    path = join_path(processed_path, pipeline, "_quality", f"{run_id}.json")
    text = _read(path, "quality results", f"the run may have stopped before its quality gate: gluestar report {run_id}")
    click.echo(text if as_json else QualityReport.from_json(text).render())


# --- entry point ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console-script entry point: run the command, turn every failure into one line and a hint."""
    code = 0
    try:
        cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="gluestar", standalone_mode=False)
    except _Failure as exc:
        exc.show()
        code = exc.exit_code
    except click.ClickException as exc:  # usage errors: click's own message and usage line
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("gluestar: aborted", err=True)
        code = 130
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except GluestarError as exc:
        _Failure(str(exc), "see `gluestar <command> --help`").show()
        code = 1
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "boto3")):
            _aws_failure(exc).show()
            code = 1
        else:
            raise
    sys.exit(code)
