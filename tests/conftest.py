"""Shared test fixtures: one small, quiet, UTC SparkSession for the whole test session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

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
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    configure_session(session)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak-runs", type=int, default=3, help="runs of the finance soak test (make soak uses more)")


@pytest.fixture
def soak_runs(request: pytest.FixtureRequest) -> int:
    """How many runs the soak test makes."""
    return int(request.config.getoption("--soak-runs"))
