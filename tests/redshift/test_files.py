"""Listing a run's files, COPY manifests, and Parquet rows typed for the database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gluestar.contracts import TableColumn
from gluestar.exceptions import ConfigurationError
from gluestar.redshift.executors import PostgresExecutor
from gluestar.redshift.files import (
    ArrowStorage,
    DataFile,
    arrow_schema,
    copy_manifest,
    parquet_csv_chunks,
    parquet_tables,
)
from gluestar.redshift.sql import Statement, copy_csv_from_stdin


def test_listing_skips_hidden_files_markers_and_checksums(tmp_path: Path) -> None:
    for name in (
        "part-1.parquet",
        "part-0.parquet",
        "_SUCCESS",
        ".part-0.parquet.crc",
        "_temporary.parquet",
        "notes.txt",
    ):
        (tmp_path / name).write_bytes(b"1234")
    (tmp_path / "year=2025").mkdir()

    listed = ArrowStorage().list_files(str(tmp_path))

    assert listed == [DataFile(f"{tmp_path}/part-0.parquet", 4), DataFile(f"{tmp_path}/part-1.parquet", 4)]


def test_listing_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert ArrowStorage().list_files(str(tmp_path / "absent")) == []


def test_file_uris_are_read_like_paths(tmp_path: Path) -> None:
    storage = ArrowStorage()
    storage.write_text(f"file:{tmp_path}/a/b/report.json", '{"x": 1}')

    assert storage.read_text(f"{tmp_path}/a/b/report.json") == '{"x": 1}'
    assert storage.exists(f"file://{tmp_path}/a/b/report.json")


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ArrowStorage().list_files("hdfs://namenode/processed")

    assert str(caught.value) == "ArrowStorage reads local paths, file: and s3:// URIs; got 'hdfs://namenode/processed'"


def test_a_manifest_lists_exactly_the_files_with_their_sizes() -> None:
    manifest = copy_manifest(
        [DataFile("s3a://bkt/t/year=2025/month=1/part-0.parquet", 120), DataFile("s3://bkt/t/part-1.parquet", 7)]
    )

    assert json.loads(manifest) == {
        "entries": [
            {"url": "s3://bkt/t/year=2025/month=1/part-0.parquet", "mandatory": True, "meta": {"content_length": 120}},
            {"url": "s3://bkt/t/part-1.parquet", "mandatory": True, "meta": {"content_length": 7}},
        ]
    }


def test_a_manifest_needs_s3_files() -> None:
    with pytest.raises(ConfigurationError) as empty:
        copy_manifest([])
    with pytest.raises(ConfigurationError) as local:
        copy_manifest([DataFile("/tmp/part-0.parquet", 1)])

    assert str(empty.value) == "a COPY manifest needs at least one file"
    assert (
        str(local.value)
        == "COPY needs an s3://bucket/key URL of letters, digits and _ . = + - /; got '/tmp/part-0.parquet'"
    )


COLUMNS = (
    TableColumn("k", "int", nullable=False),
    TableColumn("n", "bigint"),
    TableColumn("amount", "decimal(18,2)"),
    TableColumn("day", "date"),
    TableColumn("at", "timestamp"),
    TableColumn("flag", "boolean"),
    TableColumn("name", "string", length=10),
)


def test_rows_come_out_typed_for_the_database(tmp_path: Path) -> None:
    # As Spark writes them: INT96 timestamps, columns in a different physical order, an extra column.
    table = pa.table(
        {
            "name": ["a", None],
            "extra": [1, 2],
            "k": pa.array([1, 2], pa.int32()),
            "n": pa.array([10**12, None], pa.int64()),
            "amount": pa.array([Decimal("1.50"), None], pa.decimal128(18, 2)),
            "day": pa.array([dt.date(2025, 1, 31), None], pa.date32()),
            "at": pa.array([dt.datetime(2025, 1, 31, 23, 59, 59, 999999), None], pa.timestamp("us")),
            "flag": [True, None],
        }
    )
    pq.write_table(table, tmp_path / "part-0.parquet", use_deprecated_int96_timestamps=True)

    tables = list(parquet_tables(ArrowStorage(), [str(tmp_path / "part-0.parquet")], COLUMNS))
    rows = [tuple(row.values()) for table in tables for row in table.to_pylist()]

    assert rows == [
        (1, 10**12, Decimal("1.50"), dt.date(2025, 1, 31), dt.datetime(2025, 1, 31, 23, 59, 59, 999999), True, "a"),
        (2, None, None, None, None, None, None),
    ]


def test_a_missing_column_fails_while_reading(tmp_path: Path) -> None:
    pq.write_table(pa.table({"k": pa.array([1], pa.int32())}), tmp_path / "part-0.parquet")

    with pytest.raises(KeyError, match='Field "n" does not exist in schema'):
        list(parquet_tables(ArrowStorage(), [str(tmp_path / "part-0.parquet")], COLUMNS))


def test_the_arrow_schema_follows_the_definitions() -> None:
    assert [str(f.type) for f in arrow_schema(COLUMNS)] == [
        "int32",
        "int64",
        "decimal128(18, 2)",
        "date32[day]",
        "timestamp[us]",
        "bool",
        "string",
    ]


def test_csv_chunks_load_into_postgres_exactly_as_the_rows(tmp_path: Path, pg_conn: Any, schema: str) -> None:
    tricky = ['a "quoted", value', "line\nbreak", "", "tab\there", "\\.", "naïve €", None]
    table = pa.table(
        {
            "k": pa.array(range(len(tricky)), pa.int32()),
            "n": pa.array([10**12, None, -1, 0, 1, 2, 3], pa.int64()),
            "amount": pa.array(
                [Decimal("1.50"), None, Decimal("-0.01"), Decimal("0"), None, None, None], pa.decimal128(18, 2)
            ),
            "day": pa.array([dt.date(2025, 1, 31), None, dt.date(1, 1, 1), None, None, None, None], pa.date32()),
            "at": pa.array(
                [dt.datetime(2025, 1, 31, 23, 59, 59, 999999), None, dt.datetime(2025, 1, 1), None, None, None, None],
                pa.timestamp("us"),
            ),
            "flag": [True, None, False, None, None, None, None],
            "name": tricky,
        }
    )
    pq.write_table(table, tmp_path / "part-0.parquet")
    files = [str(tmp_path / "part-0.parquet")]
    pg_conn.execute(f'CREATE SCHEMA "{schema}"')
    pg_conn.execute(
        f'CREATE TABLE "{schema}".t '
        "(k int, n bigint, amount numeric(18,2), day date, at timestamp, flag boolean, name text)"
    )

    counts = PostgresExecutor(pg_conn).run(
        "unit",
        [
            Statement("path", f'SET LOCAL search_path TO "{schema}"'),
            copy_csv_from_stdin(
                "t", [c.name for c in COLUMNS], lambda: parquet_csv_chunks(ArrowStorage(), files, COLUMNS)
            ),
        ],
    )

    assert counts[1] == len(tricky)
    loaded = pg_conn.execute(f'SELECT * FROM "{schema}".t ORDER BY k').fetchall()
    assert loaded == [
        tuple(row.values()) for table in parquet_tables(ArrowStorage(), files, COLUMNS) for row in table.to_pylist()
    ]
    assert [row[-1] for row in loaded] == tricky
