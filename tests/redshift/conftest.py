"""Fixtures for the Redshift loader tests: a throwaway PostgreSQL cluster, a schema per test, runs on disk."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sample_runs import RunWriter

from gluestar.redshift import PostgresExecutor
from gluestar.redshift.local import LocalPostgres, postgres_binaries, start_local_postgres, stop_local_postgres


@pytest.fixture(scope="session")
def local_pg() -> Iterator[LocalPostgres]:
    """One local PostgreSQL cluster for the session (initdb in a temp folder, free port), stopped at the end."""
    if postgres_binaries() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed on this machine")
    # Not under pytest's tmp_path: that tree is private to the test user, and the server may run as `postgres`.
    directory = Path(tempfile.mkdtemp(prefix="gluestar-pg-"))
    try:
        yield start_local_postgres(directory)
    finally:
        stop_local_postgres(directory)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def pg_conn(local_pg: LocalPostgres) -> Iterator[Any]:
    """An autocommit psycopg connection to the local cluster."""
    connection = local_pg.connect()
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def schema(pg_conn: Any) -> Iterator[str]:
    """A fresh schema name per test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    pg_conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def executor(pg_conn: Any) -> PostgresExecutor:
    """The PostgreSQL executor on the test's connection."""
    return PostgresExecutor(pg_conn)


@pytest.fixture
def runs(tmp_path: Path) -> RunWriter:
    """Writes finance runs (Parquet as Spark lays it out, plus run reports) under a processed root."""
    return RunWriter(tmp_path / "processed")
