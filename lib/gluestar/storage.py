"""File-system edge of gluestar: listing, reading and writing tables, publishing a finished run.

Everything goes through Hadoop's ``FileSystem`` API of the running Spark, so the same code works on
local paths, HDFS and S3 (``s3://`` in Glue, ``s3a://`` elsewhere).

Publishing never moves data (S3 has no atomic rename): :func:`commit_text` creates the one small
file that publishes a run, see :mod:`gluestar.snapshots`.

Examples
--------
>>> write_text(spark, "/tmp/gluestar-doc/hello.txt", "hi")
>>> read_text(spark, "/tmp/gluestar-doc/hello.txt")
'hi'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from gluestar.contracts import TableSpec
from gluestar.exceptions import PublishError, SourceFileError

__all__ = [
    "join_path",
    "path_exists",
    "list_files",
    "file_size",
    "read_text",
    "write_text",
    "delete_path",
    "commit_text",
    "list_folders",
    "file_status",
    "read_table",
    "write_table",
    "list_partitions",
]


def join_path(base: str, *parts: str) -> str:
    """Join path segments with ``/`` (works for local paths and URIs alike).

    Examples
    --------
    >>> join_path("s3://bucket/processed/", "finance", "dim_date")
    's3://bucket/processed/finance/dim_date'
    """
    path = base.rstrip("/")
    for part in parts:
        path = f"{path}/{part.strip('/')}"
    return path


def _jvm(spark: SparkSession) -> Any:
    return spark.sparkContext._jvm


def _fs_path(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm = _jvm(spark)
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    return hadoop_path.getFileSystem(conf), hadoop_path


def path_exists(spark: SparkSession, path: str) -> bool:
    """True when ``path`` exists (file or folder)."""
    fs, hpath = _fs_path(spark, path)
    return bool(fs.exists(hpath))


def list_files(spark: SparkSession, folder: str, pattern: str) -> list[str]:
    """Files directly in ``folder`` whose name matches the glob ``pattern``, sorted by path.

    Raises
    ------
    SourceFileError
        If ``folder`` does not exist.
    """
    fs, hpath = _fs_path(spark, folder)
    if not fs.exists(hpath):
        raise SourceFileError(f"raw folder {folder} does not exist")
    statuses = fs.globStatus(_jvm(spark).org.apache.hadoop.fs.Path(join_path(folder, pattern))) or []
    return sorted(str(s.getPath().toString()) for s in statuses if s.isFile())


def file_size(spark: SparkSession, path: str) -> int:
    """Size of a file in bytes."""
    fs, hpath = _fs_path(spark, path)
    return int(fs.getFileStatus(hpath).getLen())


def read_text(spark: SparkSession, path: str) -> str:
    """Read a small UTF-8 text file (a report, a manifest)."""
    fs, hpath = _fs_path(spark, path)
    stream = fs.open(hpath)
    try:
        reader = _jvm(spark).java.io.BufferedReader(_jvm(spark).java.io.InputStreamReader(stream, "UTF-8"))
        lines = []
        line = reader.readLine()
        while line is not None:
            lines.append(line)
            line = reader.readLine()
        return "\n".join(lines)
    finally:
        stream.close()


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write a small UTF-8 text file, replacing it if present."""
    fs, hpath = _fs_path(spark, path)
    stream = fs.create(hpath, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def delete_path(spark: SparkSession, path: str) -> None:
    """Delete a file or folder (recursively) if it exists."""
    fs, hpath = _fs_path(spark, path)
    if fs.exists(hpath):
        fs.delete(hpath, True)


def commit_text(spark: SparkSession, path: str, text: str) -> None:
    """Create a small UTF-8 file that must not exist yet, so that readers see all of it or nothing.

    On a local or HDFS path the text is written under a hidden temporary name in the same folder
    and renamed (rename refuses an existing target there). On an object store (``s3://``,
    ``s3a://``) the single PUT is already atomic and strongly consistent; the existence check before
    it is a guard, the run lock is what excludes a second writer.

    Raises
    ------
    PublishError
        If ``path`` exists already or the write fails.
    """
    import uuid

    fs, hpath = _fs_path(spark, path)
    if fs.exists(hpath):
        raise PublishError(f"{path} exists already: another run published this version first")
    scheme = str(fs.getScheme())
    if scheme.startswith("s3"):
        write_text(spark, path, text)
        return
    parent = hpath.getParent()
    temporary = _jvm(spark).org.apache.hadoop.fs.Path(parent, f".{hpath.getName()}.{uuid.uuid4().hex}.tmp")
    fs.mkdirs(parent)
    stream = fs.create(temporary, False)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    if not fs.rename(temporary, hpath):
        fs.delete(temporary, False)
        raise PublishError(f"could not publish {path}: it appeared while this run was writing it")


def list_folders(spark: SparkSession, folder: str) -> list[str]:
    """Names of the visible sub-folders of ``folder``, sorted; [] when it does not exist."""
    fs, hpath = _fs_path(spark, folder)
    if not fs.exists(hpath):
        return []
    names = (str(s.getPath().getName()) for s in fs.listStatus(hpath) if s.isDirectory())
    return sorted(n for n in names if not n.startswith(("_", ".")))


def file_status(spark: SparkSession, path: str) -> tuple[int, int]:
    """A file's size in bytes and its modification time in epoch milliseconds."""
    fs, hpath = _fs_path(spark, path)
    status = fs.getFileStatus(hpath)
    return int(status.getLen()), int(status.getModificationTime())


def read_table(spark: SparkSession, path: str, spec: TableSpec) -> DataFrame | None:
    """Read a published Parquet table, or return None when it has never been published."""
    if not path_exists(spark, path):
        return None
    return spark.read.schema(spec.schema).parquet(path)


def write_table(df: DataFrame, path: str, spec: TableSpec) -> None:
    """Write a table as Parquet to ``path`` (replacing it), partitioned as its spec declares."""
    writer = df.write.mode("overwrite").format("parquet")
    if spec.partition_by:
        writer = writer.partitionBy(*spec.partition_by)
    writer.save(path)


def _partition_dirs(fs: Any, root: Any, depth: int, prefix: str = "") -> Iterator[str]:
    if depth == 0:
        yield prefix
        return
    for status in fs.listStatus(root):
        name = str(status.getPath().getName())
        if status.isDirectory() and "=" in name and not name.startswith(("_", ".")):
            yield from _partition_dirs(fs, status.getPath(), depth - 1, f"{prefix}/{name}" if prefix else name)


def list_partitions(spark: SparkSession, path: str, partition_by: Sequence[str]) -> list[str]:
    """Relative partition folders (``year=2025/month=1``) of a partitioned table, sorted."""
    fs, root = _fs_path(spark, path)
    if not fs.exists(root):
        return []
    return sorted(_partition_dirs(fs, root, len(partition_by)))
