"""Loading a finished run into Amazon Redshift, or into PostgreSQL as its local stand-in.

The public API, re-exported here:

* loading: :func:`load_run` (dimensions before facts, one transaction per table, idempotent),
  :func:`apply_ddl`, :func:`latest_run_id`, :class:`LoadReport`;
* from job arguments: :data:`REDSHIFT_JOB_ARGUMENTS`, :func:`config_from_args`,
  :func:`open_executor`, :func:`load_run_from_args`;
* executors: :class:`DbApiExecutor` (``redshift_connector``), :class:`DataApiExecutor`
  (boto3 ``redshift-data``), :class:`PostgresExecutor` (psycopg, ``COPY FROM STDIN``);
* credentials: :func:`redshift_credentials`, :func:`connect_redshift` (AWS Secrets Manager);
* DDL: :func:`ddl_text`, :func:`ddl_statements`, :func:`to_postgres`, :func:`ddl_drift`;
* SQL: :func:`quote_ident`, the one identifier helper;
* files: :class:`ArrowStorage`, :class:`SparkStorage`, :func:`storage_for`, :func:`copy_manifest`;
* the local stand-in: :func:`start_local_postgres`, :func:`stop_local_postgres`,
  :class:`LocalPostgres` (imported on first use, so ``python -m gluestar.redshift.local`` runs cleanly).

Examples
--------
>>> from gluestar.redshift import PostgresExecutor, load_run, start_local_postgres  # doctest: +SKIP
>>> pg = start_local_postgres("output/pg")  # doctest: +SKIP
>>> report = load_run(PostgresExecutor(pg.connect()), "output/processed", run_id, schema="finance")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from gluestar.redshift.config import (
    EXECUTORS,
    REDSHIFT_JOB_ARGUMENTS,
    ExecutorName,
    LoadConfig,
    config_from_args,
    load_run_from_args,
    open_executor,
)
from gluestar.redshift.ddl import DDL_FILES, Dialect, ddl_drift, ddl_statements, ddl_text, load_columns, to_postgres
from gluestar.redshift.executors import DataApiExecutor, DbApiExecutor, Executor, PostgresExecutor
from gluestar.redshift.files import (
    ArrowStorage,
    DataFile,
    SparkStorage,
    Storage,
    copy_manifest,
    parquet_csv_chunks,
    parquet_tables,
    storage_for,
)
from gluestar.redshift.loader import (
    LoadReport,
    TableLoad,
    apply_ddl,
    date_key_ranges,
    latest_run_id,
    load_order,
    load_run,
    read_run_report,
)
from gluestar.redshift.secrets import connect_redshift, redshift_credentials
from gluestar.redshift.sql import CopyCsv, Statement, quote_ident

_LOCAL = ("LocalPostgres", "postgres_binaries", "start_local_postgres", "stop_local_postgres", "local_postgres_status")

__all__ = [
    "load_run",
    "apply_ddl",
    "latest_run_id",
    "read_run_report",
    "load_order",
    "date_key_ranges",
    "LoadReport",
    "TableLoad",
    "REDSHIFT_JOB_ARGUMENTS",
    "EXECUTORS",
    "ExecutorName",
    "LoadConfig",
    "config_from_args",
    "open_executor",
    "load_run_from_args",
    "Executor",
    "DbApiExecutor",
    "DataApiExecutor",
    "PostgresExecutor",
    "redshift_credentials",
    "connect_redshift",
    "DDL_FILES",
    "Dialect",
    "ddl_text",
    "ddl_statements",
    "to_postgres",
    "ddl_drift",
    "load_columns",
    "Statement",
    "CopyCsv",
    "quote_ident",
    "Storage",
    "DataFile",
    "ArrowStorage",
    "SparkStorage",
    "storage_for",
    "copy_manifest",
    "parquet_tables",
    "parquet_csv_chunks",
    *_LOCAL,
]


def __getattr__(name: str) -> Any:
    """Import the local stand-in's names on first use (PEP 562)."""
    if name in _LOCAL:
        from gluestar.redshift import local

        return getattr(local, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
