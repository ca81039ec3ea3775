"""The Glue job script jobs/load_redshift.py, run as a process, and SparkStorage on a real session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession
from sample_runs import STAR, RunWriter

from gluestar.redshift.ddl import load_columns
from gluestar.redshift.files import ArrowStorage, SparkStorage, parquet_tables, storage_for
from gluestar.redshift.local import LocalPostgres
from gluestar.snapshots import current_snapshot


@pytest.mark.e2e
def test_the_load_job_lands_the_latest_run(
    runs: RunWriter, local_pg: LocalPostgres, pg_conn: Any, schema: str, repo_root: Path
) -> None:
    runs.first_run()
    runs.second_run()
    command = [
        sys.executable,
        "jobs/load_redshift.py",
        "--JOB_NAME",
        "load_redshift",
        "--PROCESSED_PATH",
        runs.path,
        "--REDSHIFT_EXECUTOR",
        "postgres",
        "--REDSHIFT_SCHEMA",
        schema,
        *local_pg.job_arguments(),
    ]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}

    result = subprocess.run(command, cwd=repo_root, capture_output=True, text=True, timeout=300, env=env, check=False)

    assert result.returncode == 0, result.stderr[-3000:]
    assert f"gluestar load of finance run run-2 into schema {schema} (postgres executor): 6 table(s)" in result.stdout
    counts = pg_conn.execute(
        f'SELECT (SELECT COUNT(*) FROM "{schema}".fact_gl_transaction), '
        f'(SELECT COUNT(*) FROM "{schema}".dim_department)'
    ).fetchone()
    assert counts == (3, 4)  # run-2 alone: February and March, four departments


def test_spark_storage_sees_the_run_like_arrow_does(spark: SparkSession, runs: RunWriter) -> None:
    runs.first_run()
    storage = SparkStorage(spark)
    folder = f"{runs.path}/finance/_data/run-1/fact_gl_transaction/year=2025/month=2"

    files = storage.list_files(folder)

    assert [f.path.rsplit("/", 1)[0] for f in files] == [f"file:{folder}"] * 2
    assert all(f.size > 0 for f in files)
    spec = STAR.table("fact_gl_transaction")
    assert storage.parquet_columns(files[0].path) == [c.name for c in load_columns(spec)]
    tables = parquet_tables(storage, [f.path for f in files], load_columns(spec))
    assert [id_ for table in tables for id_ in table.column("transaction_id").to_pylist()] == ["T3", "T6"]
    assert storage.list_files(f"{runs.path}/finance/absent") == []
    published = current_snapshot(storage, f"{runs.path}/finance")
    assert published is not None and published == current_snapshot(ArrowStorage(), f"{runs.path}/finance")


def test_storage_is_chosen_by_path(spark: SparkSession) -> None:
    assert isinstance(storage_for(spark, "s3://bucket/processed"), SparkStorage)
    assert isinstance(storage_for(spark, "s3a://bucket/processed"), SparkStorage)
    assert isinstance(storage_for(spark, "file:/work/output/processed"), ArrowStorage)
    assert isinstance(storage_for(spark, "output/processed"), ArrowStorage)
    assert isinstance(storage_for(None, "s3://bucket/processed"), ArrowStorage)
