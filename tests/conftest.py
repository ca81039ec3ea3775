"""Shared test fixtures: one small, quiet, UTC SparkSession for the whole test session."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from gluestar.redshift import PostgresExecutor
from gluestar.redshift.local import LocalPostgres, postgres_binaries, start_local_postgres, stop_local_postgres

REPO = Path(__file__).resolve().parents[1]

# Spark's Python workers must run the interpreter that runs the tests (the project's virtualenv).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """A ``local[1]`` session: 2 shuffle partitions, UI off, UTC, gluestar's session settings."""
    from gluestar.glue import configure_session

    session = (
        SparkSession.builder.master("local[1]")
        .appName("gluestar-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.rdd.compress", "false")
        .config("spark.shuffle.compress", "false")
        .config("spark.sql.warehouse.dir", str(REPO / "output" / "spark-warehouse-tests"))
        # The status store keeps the last 1,000 SQL executions (plans, metrics), jobs and stages
        # and 100,000 tasks even with the UI off: over the suite's thousands of queries that filled
        # the 1 GiB driver heap (the JVM then spent most of its time in full collections).
        .config("spark.sql.ui.retainedExecutions", "10")
        .config("spark.ui.retainedJobs", "100")
        .config("spark.ui.retainedStages", "100")
        .config("spark.ui.retainedTasks", "1000")
        .config("spark.ui.dagGraph.retainedRootRDDs", "20")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    configure_session(session)
    yield session
    session.stop()


@pytest.fixture(autouse=True, scope="module")
def _release_spark_memory() -> Iterator[None]:
    """After each test module, drop the frames its tests cached and let Spark clean its broadcasts.

    The suite shares one ``local[1]`` session with the default 1 GiB driver (about 430 MiB of
    Spark memory). Frames tests cache and the broadcast blocks of earlier pipeline runs stay in the
    storage region until the JVM collects them (up to 100 MiB after a module, measured), and
    storage inside its protected half is never evicted for execution: a fresh-clone run once failed
    with ``UNABLE_TO_ACQUIRE_MEMORY`` in a late finance run. A job has a JVM of its own.
    """
    yield
    session = SparkSession.getActiveSession()
    if session is not None:
        session.catalog.clearCache()
        session.sparkContext._jvm.System.gc()  # Spark's cleaner removes blocks of collected broadcasts


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak-runs", type=int, default=3, help="runs of the finance soak test (make soak uses more)")


@pytest.fixture
def soak_runs(request: pytest.FixtureRequest) -> int:
    """How many runs the soak test makes."""
    return int(request.config.getoption("--soak-runs"))
