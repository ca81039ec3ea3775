"""The file side of a load: reading snapshots and Parquet footers, writing COPY manifests, reading rows.

The loader never picks files by listing a table's folder: it loads exactly the files the published
snapshot lists (:mod:`gluestar.snapshots`), so :meth:`Storage.list_files` only finds the snapshots
themselves. Two implementations of one small :class:`Storage` protocol:

* :class:`ArrowStorage` uses ``pyarrow.fs`` (local paths, ``file:`` URIs and ``s3://``); it needs no
  Spark, so tests, the local stand-in and small load jobs use it;
* :class:`SparkStorage` uses the running Spark's Hadoop ``FileSystem`` through
  :mod:`gluestar.storage`, like the rest of a Glue job (``s3://`` in Glue, ``s3a://`` elsewhere).

:func:`copy_manifest` builds the JSON manifest ``COPY ... MANIFEST`` needs for Parquet (every
entry ``mandatory`` and with its ``content_length``); :func:`parquet_tables` reads Parquet files as
Arrow tables typed for the target table (decimals, dates, timestamps, booleans, nulls) and
:func:`parquet_csv_chunks` writes them as CSV for PostgreSQL's ``COPY ... FROM STDIN``.

Examples
--------
>>> copy_manifest([DataFile("s3://bkt/t/part-0.parquet", 10)])
'{"entries": [{"url": "s3://bkt/t/part-0.parquet", "mandatory": true, "meta": {"content_length": 10}}]}'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from gluestar.contracts import TableColumn
from gluestar.exceptions import ConfigurationError
from gluestar.redshift.sql import s3_url

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession

__all__ = [
    "ArrowStorage",
    "DataFile",
    "SparkStorage",
    "Storage",
    "arrow_schema",
    "copy_manifest",
    "parquet_tables",
    "parquet_csv_chunks",
    "storage_for",
]

#: Rows per Arrow batch read from Parquet, and so per CSV chunk streamed to PostgreSQL (a few MB of text).
_BATCH_ROWS = 50_000
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


@dataclass(frozen=True)
class DataFile:
    """One data file: its full path or URI and its size in bytes."""

    path: str
    size: int


@runtime_checkable
class Storage(Protocol):
    """What the loader needs from a file system."""

    def list_files(self, folder: str, *, suffix: str = ".parquet") -> list[DataFile]:
        """Visible files directly in ``folder`` ending in ``suffix``, sorted by path; [] if absent."""
        ...

    def read_text(self, path: str) -> str:
        """Read a small UTF-8 file."""
        ...

    def write_text(self, path: str, text: str) -> None:
        """Write a small UTF-8 file, replacing it."""
        ...

    def exists(self, path: str) -> bool:
        """True when ``path`` exists."""
        ...

    def parquet_columns(self, path: str) -> list[str]:
        """Column names of a Parquet file, in file order."""
        ...

    def open_parquet(self, path: str) -> Any:
        """A ``pyarrow.parquet.ParquetFile`` (INT96 timestamps read at microsecond precision)."""
        ...


def _visible(name: str) -> bool:
    return not name.startswith(("_", "."))


class ArrowStorage:
    """:class:`Storage` on ``pyarrow.fs``: local paths, ``file:`` URIs and ``s3://`` URIs.

    Parameters
    ----------
    filesystem : pyarrow.fs.FileSystem, optional
        Use this file system for every path (paths are then given as that file system expects).
        By default the file system is inferred per path: local for plain paths and ``file:`` URIs,
        ``S3FileSystem`` (credentials from the environment or instance role) for ``s3://``.

    Examples
    --------
    >>> storage = ArrowStorage()
    >>> storage.list_files("/nonexistent")
    []
    """

    def __init__(self, filesystem: Any = None) -> None:
        self._filesystem = filesystem

    def _resolve(self, path: str) -> tuple[Any, str, str]:
        """(file system, path inside it, prefix that turns an inner path back into a full one)."""
        from pyarrow import fs as pafs

        if self._filesystem is not None:
            return self._filesystem, path, ""
        if path.startswith("file:"):
            return pafs.LocalFileSystem(), re.sub(r"^file:(//)?", "", path), ""
        if re.match(r"^s3[an]?://", path):
            uri = re.sub(r"^s3[an]://", "s3://", path)
            filesystem, inner = pafs.FileSystem.from_uri(uri)
            return filesystem, inner, "s3://"
        if "://" in path:
            raise ConfigurationError(f"ArrowStorage reads local paths, file: and s3:// URIs; got {path!r}")
        return pafs.LocalFileSystem(), str(path), ""

    def list_files(self, folder: str, *, suffix: str = ".parquet") -> list[DataFile]:
        """Visible files directly in ``folder`` ending in ``suffix``, sorted by path; [] if absent."""
        from pyarrow import fs as pafs

        filesystem, inner, prefix = self._resolve(folder)
        infos = filesystem.get_file_info(pafs.FileSelector(inner, recursive=False, allow_not_found=True))
        found = [
            DataFile(prefix + info.path, int(info.size))
            for info in infos
            if info.type == pafs.FileType.File and _visible(info.base_name) and info.base_name.endswith(suffix)
        ]
        return sorted(found, key=lambda f: f.path)

    def read_text(self, path: str) -> str:
        """Read a small UTF-8 file."""
        filesystem, inner, _ = self._resolve(path)
        with filesystem.open_input_stream(inner) as stream:
            return stream.read().decode("utf-8")

    def write_text(self, path: str, text: str) -> None:
        """Write a small UTF-8 file, replacing it (parent folders are created)."""
        filesystem, inner, _ = self._resolve(path)
        parent = inner.rsplit("/", 1)[0]
        if parent and parent != inner:
            filesystem.create_dir(parent, recursive=True)
        with filesystem.open_output_stream(inner) as stream:
            stream.write(text.encode("utf-8"))

    def exists(self, path: str) -> bool:
        """True when ``path`` exists."""
        from pyarrow import fs as pafs

        filesystem, inner, _ = self._resolve(path)
        return filesystem.get_file_info(inner).type != pafs.FileType.NotFound

    def open_parquet(self, path: str) -> Any:
        """A ``pyarrow.parquet.ParquetFile`` of ``path``."""
        import pyarrow.parquet as pq

        filesystem, inner, _ = self._resolve(path)
        return pq.ParquetFile(filesystem.open_input_file(inner), coerce_int96_timestamp_unit="us")

    def parquet_columns(self, path: str) -> list[str]:
        """Column names of a Parquet file, in file order."""
        return list(self.open_parquet(path).schema_arrow.names)


class SparkStorage:
    """:class:`Storage` on the running Spark's Hadoop ``FileSystem`` (what Glue jobs use for S3).

    Rows for the PostgreSQL stand-in are still read with pyarrow (:meth:`open_parquet`), which
    handles local paths, ``file:`` and ``s3://`` URIs.

    Parameters
    ----------
    spark : SparkSession
        The job's session.
    """

    def __init__(self, spark: SparkSession) -> None:
        self._spark = spark
        self._arrow = ArrowStorage()

    def list_files(self, folder: str, *, suffix: str = ".parquet") -> list[DataFile]:
        """Visible files directly in ``folder`` ending in ``suffix``, sorted by path; [] if absent."""
        from gluestar.storage import file_size, list_files, path_exists

        if not path_exists(self._spark, folder):
            return []
        paths = [p for p in list_files(self._spark, folder, f"*{suffix}") if _visible(p.rsplit("/", 1)[-1])]
        return [DataFile(p, file_size(self._spark, p)) for p in paths]

    def read_text(self, path: str) -> str:
        """Read a small UTF-8 file."""
        from gluestar.storage import read_text

        return read_text(self._spark, path)

    def write_text(self, path: str, text: str) -> None:
        """Write a small UTF-8 file, replacing it."""
        from gluestar.storage import write_text

        write_text(self._spark, path, text)

    def exists(self, path: str) -> bool:
        """True when ``path`` exists."""
        from gluestar.storage import path_exists

        return path_exists(self._spark, path)

    def open_parquet(self, path: str) -> Any:
        """A ``pyarrow.parquet.ParquetFile`` of ``path`` (read with pyarrow, not Spark)."""
        return self._arrow.open_parquet(path)

    def parquet_columns(self, path: str) -> list[str]:
        """Column names of a Parquet file, in file order (Spark reads only the footer)."""
        return list(self._spark.read.parquet(path).columns)


def storage_for(spark: SparkSession | None, path: str) -> Storage:
    """The storage to read ``path`` with: Hadoop's for remote URIs inside a Spark job, pyarrow otherwise.

    Remote URIs (``s3://``, ``s3a://``, ...) go through the job's Hadoop file system like the rest of
    a Glue job; local paths and ``file:`` URIs (and any path without a session) use pyarrow, which
    needs no Spark job.

    Examples
    --------
    >>> type(storage_for(None, "s3://bucket/processed")).__name__
    'ArrowStorage'
    >>> type(storage_for(spark, "output/processed")).__name__  # doctest: +SKIP
    'ArrowStorage'
    """
    remote = re.match(r"^[a-z][a-z0-9+.-]*://", path) is not None and not path.startswith("file:")
    return SparkStorage(spark) if spark is not None and remote else ArrowStorage()


def copy_manifest(files: Sequence[DataFile]) -> str:
    """The ``COPY ... MANIFEST`` JSON for exactly ``files``: each entry mandatory, with its size.

    Redshift needs ``meta.content_length`` for Parquet manifests; ``mandatory`` makes COPY fail when
    a listed file is missing instead of loading less. ``s3a://`` URIs are written as ``s3://``.

    Raises
    ------
    ConfigurationError
        If a file is not an ``s3://`` URI or there are no files.
    """
    if not files:
        raise ConfigurationError("a COPY manifest needs at least one file")
    entries = [{"url": s3_url(f.path), "mandatory": True, "meta": {"content_length": f.size}} for f in files]
    return json.dumps({"entries": entries})


def _arrow_type(column: TableColumn) -> pa.DataType:
    import pyarrow as pa

    simple = {
        "string": pa.string(),
        "int": pa.int32(),
        "bigint": pa.int64(),
        "smallint": pa.int16(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }
    if column.type in simple:
        return simple[column.type]
    match = _DECIMAL.match(column.type)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    raise ConfigurationError(f"column {column.name!r}: no Arrow type for {column.type!r}")


def arrow_schema(columns: Sequence[TableColumn]) -> pa.Schema:
    """The Arrow schema rows are cast to before they are sent to the database.

    Timestamps are microseconds without time zone (what Spark writes, as UTC wall-clock times).
    Every field is nullable here: NOT NULL is the database's to enforce, with its own message.

    Examples
    --------
    >>> str(arrow_schema([TableColumn("amount", "decimal(18,2)")]).field("amount").type)
    'decimal128(18, 2)'
    """
    import pyarrow as pa

    return pa.schema([pa.field(c.name, _arrow_type(c)) for c in columns])


def parquet_tables(storage: Storage, files: Sequence[str], columns: Sequence[TableColumn]) -> Iterator[pa.Table]:
    """Parquet ``files`` as Arrow tables of ``columns`` in their order, cast to the columns' types.

    Read one batch at a time (a bounded amount of memory however large the files): extra
    columns are left out, INT96 timestamps become microseconds, an ``int`` column is ``int32``.

    Raises
    ------
    KeyError
        If a file lacks one of ``columns``.
    pyarrow.ArrowInvalid
        If a value does not fit its column's type (the caller rolls back).

    Examples
    --------
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "p.parquet")
    >>> pq.write_table(pa.table({"v": ["a"], "k": pa.array([1], pa.int64())}), path)
    >>> [t.to_pylist() for t in parquet_tables(ArrowStorage(), [path], [TableColumn("k", "int")])]
    [[{'k': 1}]]
    """
    import pyarrow as pa

    schema = arrow_schema(columns)
    names = [c.name for c in columns]
    for path in files:
        parquet = storage.open_parquet(path)
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=names):
            yield pa.Table.from_batches([batch]).select(names).cast(schema)


def parquet_csv_chunks(
    storage: Storage, files: Sequence[str], columns: Sequence[TableColumn]
) -> Iterator[tuple[bytes, int]]:
    """Parquet ``files`` as CSV chunks for ``COPY ... FROM STDIN (FORMAT csv)``, with their row counts.

    Arrow casts each batch to the columns' types and writes it as CSV (no header, ``columns``
    order): no Python object per value, which makes it the fast way to load large facts into
    PostgreSQL. Every value is quoted and a null is an empty unquoted field, so PostgreSQL reads an
    empty string as an empty string and a null as NULL; a quote inside a value is doubled.
    Timestamps are written as UTC wall-clock times with microseconds.

    Raises
    ------
    pyarrow.ArrowInvalid
        If a file lacks a column or a value does not fit its type (the caller rolls back).

    Examples
    --------
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "p.parquet")
    >>> pq.write_table(pa.table({"k": pa.array([1, 2], pa.int32()), "v": ["a", None]}), path)
    >>> list(parquet_csv_chunks(ArrowStorage(), [path], [TableColumn("k", "int"), TableColumn("v", "string")]))
    [(b'"1","a"\\n"2",\\n', 2)]
    """
    import io

    import pyarrow.csv as pa_csv

    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    for table in parquet_tables(storage, files, columns):
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, options)
        yield buffer.getvalue(), table.num_rows
