"""Runtime edge for Glue job scripts: arguments, the Spark/Glue context, clean failures.

The same job script runs in AWS Glue, under ``spark-submit`` in the Glue Docker image or on a
laptop. :func:`start_job` starts a ``GlueContext`` and ``Job`` where Glue's JVM classes exist and a
plain ``SparkSession`` elsewhere; :func:`run_job` turns gluestar errors into one clear line on
stderr and a non-zero exit instead of a bare traceback, and runs the ops hooks of
:mod:`gluestar.ops` around the job (log format, SNS alerts, CloudWatch metrics).

Examples
--------
>>> resolve_options(["job.py", "--JOB_NAME", "j", "--RAW_PATH", "r"], ["JOB_NAME", "RAW_PATH"],
...                 {"RUN_ID": None})
{'JOB_NAME': 'j', 'RAW_PATH': 'r', 'RUN_ID': None}
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pyspark.sql import SparkSession

from gluestar.exceptions import ConfigurationError, GluestarError
from gluestar.ops.alerts import error_text
from gluestar.ops.hooks import after_failure, after_success, ops_config_from_argv
from gluestar.ops.logs import configure_logging, set_log_context
from gluestar.ops.redact import redact

__all__ = [
    "SESSION_SETTINGS",
    "JobContext",
    "configure_session",
    "shuffle_partitions",
    "current_job",
    "parse_bool",
    "parse_int",
    "parse_float",
    "resolve_options",
    "run_job",
    "start_job",
]

log = logging.getLogger("gluestar")

#: Session settings gluestar relies on; each is a runtime SQL setting, so it applies in Glue too.
SESSION_SETTINGS: Mapping[str, str] = {
    # Dates are stored and bucketed in UTC whatever the machine's time zone.
    "spark.sql.session.timeZone": "UTC",
    # A partitioned overwrite replaces only the partitions written, never the whole table.
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # With pruning, which CSV rows count as malformed depends on the columns a query touches
    # (SPARK-28058), so reconciliation counts could drift.
    "spark.sql.csv.parser.columnPruning.enabled": "false",
    # number_rows (surrogate keys) numbers rows per range partition and offsets them by the sizes of
    # the earlier partitions; both branches must read the same range shuffle, which exchange reuse
    # guarantees (the quality gate's key checks would catch a violation before publishing).
    "spark.sql.exchange.reuse": "true",
    # AQE coalesces small shuffle partitions, which keeps Parquet file counts sane.
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.parquet.compression.codec": "snappy",
    # Validation generates one large method per stage; above 8,000 bytes of bytecode the JVM never
    # compiles a method (it is interpreted), so Spark's default limit of 65,535 leaves it slow. At
    # 8,000 Spark falls back to expression-level code split into small methods: validating a million
    # transactions took 35% less time (see the README's Performance section).
    "spark.sql.codegen.hugeMethodLimit": "8000",
}


@dataclass
class JobContext:
    """A started job: the session, and Glue's context and job when running in Glue."""

    spark: SparkSession
    glue_context: Any = None
    job: Any = None

    @property
    def in_glue(self) -> bool:
        """True when Glue's JVM classes were available."""
        return self.glue_context is not None

    def commit(self) -> None:
        """Commit the Glue job (job bookmarks); a no-op outside Glue."""
        if self.job is not None:
            self.job.commit()


# The job started by start_job in this run, so run_job knows whether it ran in Glue.
_CURRENT_JOB: ContextVar[JobContext | None] = ContextVar("gluestar_current_job", default=None)


def current_job() -> JobContext | None:
    """The :class:`JobContext` :func:`start_job` returned in this run, or None before it was called."""
    return _CURRENT_JOB.get()


def resolve_options(
    argv: Sequence[str], required: Sequence[str], optional: Mapping[str, str | None] | None = None
) -> dict[str, str | None]:
    """Parse ``--NAME value`` job arguments with awsglue's ``getResolvedOptions``.

    ``getResolvedOptions`` only knows required arguments; optional ones are resolved when present
    in ``argv`` and take their default otherwise.

    Parameters
    ----------
    argv : sequence of str
        ``sys.argv``.
    required : sequence of str
        Argument names (without ``--``) that must be given.
    optional : mapping of str to str or None
        Optional argument names and their defaults.

    Raises
    ------
    ConfigurationError
        If a required argument is missing, an argument has no value, or awsglue is not installed.
    """
    try:
        from awsglue.utils import GlueArgumentError, getResolvedOptions
    except ImportError:
        raise ConfigurationError(
            "the awsglue package is not installed; locally install it with: pip install 'gluestar[local]'"
        ) from None
    optional = dict(optional or {})

    def given(name: str) -> bool:
        # "--NAME value" and "--NAME=value" are both accepted by getResolvedOptions.
        return any(arg == f"--{name}" or arg.startswith(f"--{name}=") for arg in argv[1:])

    present = [name for name in optional if given(name)]
    names = [*required, *present]
    missing = [name for name in required if not given(name)]
    if missing:
        raise ConfigurationError(f"missing job argument(s): {', '.join('--' + m for m in missing)}")
    try:
        resolved = getResolvedOptions(list(argv), names)
    except (GlueArgumentError, argparse.ArgumentError, RuntimeError) as exc:  # no value, or a name Glue reserves
        raise ConfigurationError(f"invalid job arguments: {exc}") from None
    return {
        **{n: resolved[n] for n in required},
        **{n: resolved.get(n, d) if n in present else d for n, d in optional.items()},
    }


def parse_bool(value: str | None, name: str) -> bool:
    """Parse a ``true``/``false`` job argument.

    Examples
    --------
    >>> parse_bool("TRUE", "FULL_REFRESH")
    True
    """
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    raise ConfigurationError(f"--{name} must be true or false; got {value!r}")


def parse_int(value: str | None, name: str) -> int:
    """Parse an integer job argument, naming the argument when it is not one.

    Examples
    --------
    >>> parse_int("7", "FISCAL_YEAR_START_MONTH")
    7
    """
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigurationError(f"--{name} must be an integer; got {value!r}") from None


def parse_float(value: str | None, name: str) -> float:
    """Parse a number job argument, naming the argument when it is not one.

    Examples
    --------
    >>> parse_float("1.5", "RETENTION_HOURS")
    1.5
    """
    try:
        return float(str(value).strip())
    except ValueError:
        raise ConfigurationError(f"--{name} must be a number; got {value!r}") from None


#: Shuffle partitions per core when a job does not set ``spark.sql.shuffle.partitions`` itself.
SHUFFLE_PARTITIONS_PER_CORE = 16


def shuffle_partitions(cores: int) -> int:
    """Shuffle partitions for a session of ``cores`` cores: a few waves of tasks per core.

    Spark's default of 200 is sized for clusters: on two cores every shuffle of a run then costs 200
    tasks, and AQE does not coalesce all of them (range repartitioning, windows and cached frames keep
    their count), so the small dimension and quality jobs spend their time scheduling tasks. Sixteen
    per core keeps the partitions of a 10-million-row run near 50 MB (its 1.6 GB dedup shuffle in 32
    parts on two cores): four per core ran out of execution memory there, in the sort after
    ``fact_financials``' join (measured in the README's Performance section).

    Examples
    --------
    >>> shuffle_partitions(2), shuffle_partitions(40)
    (32, 640)
    """
    return max(SHUFFLE_PARTITIONS_PER_CORE, SHUFFLE_PARTITIONS_PER_CORE * cores)


def configure_session(spark: SparkSession) -> SparkSession:
    """Apply :data:`SESSION_SETTINGS` to a running session and return it.

    ``spark.sql.shuffle.partitions`` is set from the session's cores (:func:`shuffle_partitions`)
    unless the job set it at launch (``--conf`` or Glue job parameters), which always wins.
    """
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)
    if not spark.sparkContext.getConf().contains("spark.sql.shuffle.partitions"):
        spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions(spark.sparkContext.defaultParallelism)))
    return spark


def _glue_classes_present(spark: SparkSession) -> bool:
    try:
        jvm = spark.sparkContext._jvm
        jvm.java.lang.Class.forName("com.amazonaws.services.glue.GlueContext")
        return True
    except Exception:
        return False


def _package_version() -> str:
    from gluestar import __version__

    return __version__


def _package_origin() -> str:
    """Where the gluestar package was imported from: the wheel on ``--py-files``, or a folder."""
    import gluestar

    return str(Path(gluestar.__file__).resolve().parents[1])


def start_job(job_name: str, args: Mapping[str, Any], *, app_name: str | None = None) -> JobContext:
    """Start the job's Spark side: Glue context and job in Glue, a plain session elsewhere.

    Outside Glue the session uses the master given by ``spark-submit`` (or ``local[*]``).

    Parameters
    ----------
    job_name : str
        ``--JOB_NAME``.
    args : mapping
        The resolved arguments, passed to ``Job.init`` (bookmarks need them).
    app_name : str, optional
        Spark application name outside Glue (defaults to ``job_name``).
    """
    builder = SparkSession.builder.appName(app_name or job_name)
    spark = builder.getOrCreate()
    context = JobContext(spark=spark)
    if _glue_classes_present(spark):
        from awsglue.context import GlueContext
        from awsglue.job import Job

        glue_context = GlueContext(spark.sparkContext)
        job = Job(glue_context)
        job.init(job_name, dict(args))
        context = JobContext(spark=glue_context.spark_session, glue_context=glue_context, job=job)
        log.info("gluestar: running in AWS Glue as job %s", job_name)
    else:
        log.info("gluestar: Glue's JVM classes are absent; running on a plain SparkSession")
    log.info("gluestar %s loaded from %s", _package_version(), _package_origin())
    configure_session(context.spark)
    _CURRENT_JOB.set(context)
    return context


def run_job(
    main: Callable[[], object],
    *,
    pipeline: str | None = None,
    stage: str | None = None,
    argv: Sequence[str] | None = None,
) -> NoReturn:
    """Run a job's ``main`` and exit: 0 on success, 1 with one clear line on a gluestar error.

    Unexpected errors keep their traceback (they are bugs), preceded by the same one-line summary.
    Around ``main`` it applies the ops job arguments of :mod:`gluestar.ops.hooks`, read here so that
    a job whose own arguments are wrong still alerts: ``--LOG_FORMAT`` (text or JSON lines with
    the run id, pipeline and stage), ``--ALERT_TOPIC_ARN`` (SNS alert on failure with the run id,
    the failed stage and the error; ``--NOTIFY_ON_SUCCESS`` for successes) and
    ``--METRICS_NAMESPACE`` (CloudWatch metrics of the :class:`~gluestar.report.RunReport`
    ``main`` returns; on by default in Glue). An alert or metric that cannot be published is
    logged as a warning and never changes the job's outcome.

    Parameters
    ----------
    main : callable
        The job; it parses its own arguments and may return its :class:`~gluestar.report.RunReport`.
    pipeline : str, optional
        The pipeline, for alerts, metrics and log lines.
    stage : str, optional
        What an alert names as the failed stage when the error carries no run report (``load``).
    argv : sequence of str, optional
        Defaults to ``sys.argv``.

    Examples
    --------
    >>> if __name__ == "__main__":  # doctest: +SKIP
    ...     run_job(main, pipeline="finance")
    """
    argv = list(sys.argv if argv is None else argv)
    _CURRENT_JOB.set(None)
    try:
        ops = ops_config_from_argv(argv, pipeline=pipeline, stage=stage)
    except GluestarError as exc:
        print(f"gluestar: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    configure_logging(ops.log_format)
    set_log_context(pipeline=pipeline, job_name=ops.job_name, job_run_id=ops.job_run_id)

    def failed(exc: BaseException) -> None:
        if ops.log_format == "json":
            log.error("job failed: %s", error_text(exc), extra={"error_type": type(exc).__name__})
        job = current_job()
        after_failure(ops, exc, in_glue=job is not None and job.in_glue)

    try:
        result = main()
    except GluestarError as exc:
        failed(exc)
        print(f"gluestar: error: {redact(str(exc))}", file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception as exc:
        failed(exc)
        print(f"gluestar: unexpected error ({type(exc).__name__}): {redact(str(exc))}", file=sys.stderr, flush=True)
        raise
    job = current_job()
    after_success(ops, result, in_glue=job is not None and job.in_glue)
    sys.exit(0)
