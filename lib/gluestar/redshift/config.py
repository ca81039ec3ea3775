"""Job arguments to a load: which executor, which target, which credentials source.

A Glue job passes :data:`REDSHIFT_JOB_ARGUMENTS` as optional arguments to
:func:`gluestar.glue.resolve_options` and hands the result to :func:`load_run_from_args`; nothing
here reads the environment at import time, and no argument carries a password:

================================  ===================================================================
``--REDSHIFT_EXECUTOR``           ``connector`` (redshift_connector), ``data_api`` (boto3
                                  ``redshift-data``) or ``postgres`` (local stand-in). Absent: no load.
``--REDSHIFT_SCHEMA``             Target schema (default ``finance``).
``--REDSHIFT_IAM_ROLE``           Role ARN Redshift assumes for ``COPY`` from S3 (connector, data_api).
``--REDSHIFT_SECRET_ID``          Secrets Manager secret name or ARN with the database credentials
                                  (connector: required; data_api: required for a cluster).
``--REDSHIFT_DATABASE``           Database (data_api: required; connector: overrides the secret's).
``--REDSHIFT_WORKGROUP``          Redshift Serverless workgroup (data_api; or ``--REDSHIFT_CLUSTER_ID``).
``--REDSHIFT_CLUSTER_ID``         Provisioned cluster identifier (data_api).
``--REDSHIFT_REGION``             AWS region of the secret and the Data API (default: boto3's).
``--REDSHIFT_TIMEOUT_SECONDS``    Data API: overall wait per table (default 900).
``--PG_HOST`` / ``--PG_PORT``     postgres: server (port default 5432).
``--PG_USER`` / ``--PG_DATABASE`` postgres: user and database; the password, if any, comes from
                                  libpq's usual sources (``~/.pgpass``, ``PGPASSFILE``), never an argument.
================================  ===================================================================

Examples
--------
>>> config_from_args({"REDSHIFT_EXECUTOR": "postgres", "PG_HOST": "127.0.0.1", "PG_DATABASE": "dw"}).pg_port
5432
>>> config_from_args({"REDSHIFT_EXECUTOR": None}) is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from gluestar.exceptions import ConfigurationError
from gluestar.options import check_choice
from gluestar.redshift.executors import DataApiExecutor, DbApiExecutor, Executor, PostgresExecutor
from gluestar.redshift.files import Storage, storage_for
from gluestar.redshift.loader import LoadReport, latest_run_id, load_run
from gluestar.redshift.secrets import connect_redshift
from gluestar.redshift.sql import iam_role_arn, quote_ident

__all__ = [
    "EXECUTORS",
    "REDSHIFT_JOB_ARGUMENTS",
    "ExecutorName",
    "LoadConfig",
    "config_from_args",
    "load_run_from_args",
    "open_executor",
]

ExecutorName = Literal["connector", "data_api", "postgres"]
EXECUTORS: Final[tuple[str, ...]] = get_args(ExecutorName)

#: Optional job arguments of a load and their defaults, for :func:`gluestar.glue.resolve_options`.
REDSHIFT_JOB_ARGUMENTS: Final[Mapping[str, str | None]] = {
    "REDSHIFT_EXECUTOR": None,
    "REDSHIFT_SCHEMA": "finance",
    "REDSHIFT_IAM_ROLE": None,
    "REDSHIFT_SECRET_ID": None,
    "REDSHIFT_DATABASE": None,
    "REDSHIFT_WORKGROUP": None,
    "REDSHIFT_CLUSTER_ID": None,
    "REDSHIFT_REGION": None,
    "REDSHIFT_TIMEOUT_SECONDS": "900",
    "PG_HOST": None,
    "PG_PORT": "5432",
    "PG_USER": None,
    "PG_DATABASE": None,
}


@dataclass(frozen=True)
class LoadConfig:
    """Where and how to load; see the module docstring for the matching job arguments."""

    executor: ExecutorName
    schema: str = "finance"
    iam_role: str | None = None
    secret_id: str | None = None
    database: str | None = None
    workgroup: str | None = None
    cluster_id: str | None = None
    region: str | None = None
    timeout_seconds: float = 900.0
    pg_host: str | None = None
    pg_port: int = 5432
    pg_user: str | None = None
    pg_database: str | None = None

    def __post_init__(self) -> None:
        check_choice(self.executor, EXECUTORS, "--REDSHIFT_EXECUTOR")
        quote_ident(self.schema)
        missing: list[str] = []
        if self.executor in ("connector", "data_api"):
            if not self.iam_role:
                missing.append("--REDSHIFT_IAM_ROLE")
            else:
                iam_role_arn(self.iam_role)
        if self.executor == "connector" and not self.secret_id:
            missing.append("--REDSHIFT_SECRET_ID")
        if self.executor == "data_api":
            if not self.database:
                missing.append("--REDSHIFT_DATABASE")
            if bool(self.workgroup) == bool(self.cluster_id):
                missing.append("exactly one of --REDSHIFT_WORKGROUP and --REDSHIFT_CLUSTER_ID")
            elif self.cluster_id and not self.secret_id:
                missing.append("--REDSHIFT_SECRET_ID (a provisioned cluster needs it)")
        if self.executor == "postgres":
            if not self.pg_host:
                missing.append("--PG_HOST")
            if not self.pg_database:
                missing.append("--PG_DATABASE")
        if missing:
            raise ConfigurationError(f"the {self.executor} executor needs {', '.join(missing)}")
        if not self.timeout_seconds > 0:
            raise ConfigurationError(f"--REDSHIFT_TIMEOUT_SECONDS must be positive; got {self.timeout_seconds!r}")


def _number(args: Mapping[str, Any], name: str, kind: Callable[[str], Any]) -> Any:
    value = args.get(name)
    if value is None or str(value).strip() == "":
        value = REDSHIFT_JOB_ARGUMENTS[name]
    try:
        return kind(str(value).strip())
    except ValueError:
        raise ConfigurationError(f"--{name} must be a number; got {value!r}") from None


def config_from_args(args: Mapping[str, Any]) -> LoadConfig | None:
    """Build a :class:`LoadConfig` from resolved job arguments; None when no executor is named.

    Parameters
    ----------
    args : mapping
        Arguments as :func:`gluestar.glue.resolve_options` returns them (names without ``--``).

    Raises
    ------
    ConfigurationError
        If the executor is unknown or an argument it needs is missing or malformed.

    Examples
    --------
    >>> config_from_args({"REDSHIFT_EXECUTOR": "postgres", "PG_HOST": "localhost"})
    Traceback (most recent call last):
    ...
    gluestar.exceptions.ConfigurationError: the postgres executor needs --PG_DATABASE
    """
    executor = (args.get("REDSHIFT_EXECUTOR") or "").strip()
    if not executor:
        return None

    def text(name: str) -> str | None:
        value = args.get(name)
        if value is None:
            value = REDSHIFT_JOB_ARGUMENTS[name]
        if value is None:
            return None
        return str(value).strip() or None

    return LoadConfig(
        executor=executor,  # type: ignore[arg-type] - validated in __post_init__
        schema=text("REDSHIFT_SCHEMA") or "finance",
        iam_role=text("REDSHIFT_IAM_ROLE"),
        secret_id=text("REDSHIFT_SECRET_ID"),
        database=text("REDSHIFT_DATABASE"),
        workgroup=text("REDSHIFT_WORKGROUP"),
        cluster_id=text("REDSHIFT_CLUSTER_ID"),
        region=text("REDSHIFT_REGION"),
        timeout_seconds=_number(args, "REDSHIFT_TIMEOUT_SECONDS", float),
        pg_host=text("PG_HOST"),
        pg_port=_number(args, "PG_PORT", int),
        pg_user=text("PG_USER"),
        pg_database=text("PG_DATABASE"),
    )


@contextmanager
def open_executor(
    config: LoadConfig,
    *,
    boto3_session: Any = None,
    connect: Callable[..., Any] | None = None,
) -> Iterator[Executor]:
    """Open the executor ``config`` names and close its connection afterwards.

    Parameters
    ----------
    config : LoadConfig
        From :func:`config_from_args`.
    boto3_session : boto3.Session, optional
        Session for the Secrets Manager and Data API clients (default: boto3's default session).
    connect : callable, optional
        Replaces ``redshift_connector.connect`` / ``psycopg.connect`` (tests).

    Examples
    --------
    >>> with open_executor(config) as executor:  # doctest: +SKIP
    ...     load_run(executor, "s3://bucket/processed", "run-1", schema=config.schema, iam_role=config.iam_role)
    """
    if config.executor == "postgres":
        if connect is None:
            import psycopg

            connect = psycopg.connect
        kwargs: dict[str, Any] = {"host": config.pg_host, "port": config.pg_port, "dbname": config.pg_database}
        if config.pg_user:
            kwargs["user"] = config.pg_user
        connection = connect(autocommit=True, **kwargs)
        try:
            yield PostgresExecutor(connection)
        finally:
            connection.close()
        return
    if config.executor == "connector":
        client = boto3_session.client("secretsmanager", region_name=config.region) if boto3_session else None
        connection = connect_redshift(
            str(config.secret_id), database=config.database, region=config.region, client=client, connect=connect
        )
        try:
            yield DbApiExecutor(connection, name="connector")
        finally:
            connection.close()
        return
    if boto3_session is None:
        import boto3

        boto3_session = boto3.session.Session()
    yield DataApiExecutor(
        boto3_session.client("redshift-data", region_name=config.region),
        database=str(config.database),
        workgroup=config.workgroup,
        cluster_id=config.cluster_id,
        secret_arn=config.secret_id,
        timeout_seconds=config.timeout_seconds,
    )


def load_run_from_args(
    spark: Any,
    processed_path: str,
    run_id: str | None,
    args: Mapping[str, Any],
    *,
    pipeline: str = "finance",
    storage: Storage | None = None,
    require: bool = False,
) -> LoadReport | None:
    """Load a run as the job arguments say; None (nothing done) when ``--REDSHIFT_EXECUTOR`` is absent.

    Parameters
    ----------
    spark : SparkSession or None
        The job's session: files under a remote URI (``s3://``, ``s3a://``, ...) are then listed
        through Hadoop's file system (:class:`SparkStorage`), like the rest of the job. Local paths,
        ``file:`` URIs and ``spark=None`` use pyarrow (:class:`ArrowStorage`), which needs no Spark job.
    processed_path : str
        ``--PROCESSED_PATH`` of the run.
    run_id : str or None
        The run to load; None loads the latest published run (that of the current snapshot).
    args : mapping
        Resolved job arguments including :data:`REDSHIFT_JOB_ARGUMENTS`.
    pipeline : str, default "finance"
        The pipeline.
    storage : Storage, optional
        Overrides the choice above.
    require : bool, default False
        Raise instead of returning None when no executor is named (a load job's case).

    Raises
    ------
    ConfigurationError
        If the arguments are incomplete or invalid (see :func:`config_from_args`).
    RedshiftLoadError
        If the load fails (see :func:`gluestar.redshift.load_run`).

    Examples
    --------
    >>> load = load_run_from_args(job.spark, args["PROCESSED_PATH"], report.run_id, args)  # doctest: +SKIP
    >>> if load is not None:  # doctest: +SKIP
    ...     print(load.render())
    """
    config = config_from_args(args)
    if config is None:
        if require:
            raise ConfigurationError(f"--REDSHIFT_EXECUTOR is required: one of {', '.join(EXECUTORS)}")
        return None
    storage = storage or storage_for(spark, processed_path)
    run_id = run_id or latest_run_id(processed_path, pipeline=pipeline, storage=storage)
    with open_executor(config) as executor:
        return load_run(
            executor,
            processed_path,
            run_id,
            schema=config.schema,
            iam_role=config.iam_role,
            pipeline=pipeline,
            storage=storage,
        )
