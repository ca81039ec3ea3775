"""Versioned publishing: every run writes new files, and one small manifest written last publishes them.

S3 has no atomic rename, so gluestar never moves data into place. The protocol, per pipeline root
(``<processed_path>/<pipeline>``):

1. A run writes each table version it produces under its own folder,
   ``_data/<run_id>/<table>/`` (a fact only the partitions it changes, ``year=YYYY/month=M/``).
   Nothing there is published yet, and no reader looks there without a manifest.
2. After the quality gate passes, the run writes **one** JSON snapshot,
   ``_published/<version>.json`` (version = previous + 1, zero-padded). It maps every table (and
   every partition of a partitioned table) to the folder and the exact files holding its current
   version, and carries the processed-files ledger. Creating that one object is the commit: on S3 a
   PUT is atomic and strongly consistent; on a local or HDFS path the file is written under a hidden
   name and renamed.
3. Readers (the next run, :func:`read_table_version`, the Redshift loader) resolve the highest
   snapshot and read only the files it lists. A run that dies before step 2 leaves only an unlisted
   ``_data/<run_id>/`` folder: the published state is the previous snapshot, byte for byte.
4. :func:`collect_garbage` (run at the start of each run, under the run lock) deletes data folders
   no snapshot references (failed or killed runs), snapshots older than the retention period
   (always keeping the latest ``keep`` of them), and then the data folders only those referenced.
   A reader holding an older snapshot has the retention period to finish.

Examples
--------
>>> part = PartitionVersion("r1", "_data/r1/dim_date", (("part-0.parquet", 10),))
>>> table = TableVersion("dim_date", (), {"": part})
>>> snap = Snapshot("finance", 1, "r1", "2025-03-01T00:00:00+00:00", {"dim_date": table})
>>> Snapshot.from_json(snap.to_json()) == snap
True
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyspark.sql import DataFrame, SparkSession

from gluestar.contracts import TableSpec
from gluestar.exceptions import PublishError
from gluestar.storage import commit_text, delete_path, join_path, list_folders, list_partitions, path_exists

if TYPE_CHECKING:
    from gluestar.redshift.files import Storage

__all__ = [
    "SNAPSHOT_FOLDER",
    "DATA_FOLDER",
    "LedgerEntry",
    "PartitionVersion",
    "TableVersion",
    "Snapshot",
    "data_location",
    "snapshot_path",
    "current_snapshot",
    "commit_snapshot",
    "written_version",
    "read_table_version",
    "read_published",
    "collect_garbage",
]

log = logging.getLogger("gluestar.snapshots")

#: Folder (under the pipeline root) of the snapshots; the highest version is the published state.
SNAPSHOT_FOLDER = "_published"
#: Folder (under the pipeline root) of every run's table versions, ``_data/<run_id>/<table>``.
DATA_FOLDER = "_data"
_FORMAT = 1
_SNAPSHOT_NAME = re.compile(r"^(\d{10})\.json$")


@dataclass(frozen=True)
class PartitionVersion:
    """One published partition (or a whole unpartitioned table): who wrote it, where, which files.

    ``location`` is relative to the pipeline root; ``files`` are ``(name, size in bytes)`` pairs
    relative to ``location``.
    """

    run_id: str
    location: str
    files: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class TableVersion:
    """A table's published version: its partitions (key ``""`` for an unpartitioned table)."""

    name: str
    partition_by: tuple[str, ...]
    partitions: Mapping[str, PartitionVersion]

    def runs(self) -> set[str]:
        """The runs whose files make up this version."""
        return {p.run_id for p in self.partitions.values()}


@dataclass(frozen=True)
class LedgerEntry:
    """A processed raw file: its size and modification time when read, its order, the run that read it."""

    size: int
    modified: int
    seq: int
    run_id: str


@dataclass(frozen=True)
class Snapshot:
    """A published state of a pipeline: its tables, internal state tables and the file ledger."""

    pipeline: str
    version: int
    run_id: str
    committed_at: str
    tables: Mapping[str, TableVersion]
    state: Mapping[str, TableVersion] = field(default_factory=dict)
    ledger: Mapping[str, LedgerEntry] = field(default_factory=dict)
    full_refresh: bool = False

    def table(self, name: str) -> TableVersion | None:
        """A published table (or internal state table) by name, or None."""
        return self.tables.get(name) or self.state.get(name)

    def referenced_runs(self) -> set[str]:
        """Every run whose data folder holds part of this snapshot."""
        return {run for version in (*self.tables.values(), *self.state.values()) for run in version.runs()}

    def to_json(self) -> str:
        """The snapshot as JSON (what :func:`commit_snapshot` writes)."""

        def table(version: TableVersion) -> dict[str, Any]:
            return {
                "partition_by": list(version.partition_by),
                "partitions": {
                    key: {"run_id": p.run_id, "location": p.location, "files": [list(f) for f in p.files]}
                    for key, p in sorted(version.partitions.items())
                },
            }

        data = {
            "format": _FORMAT,
            "pipeline": self.pipeline,
            "version": self.version,
            "run_id": self.run_id,
            "committed_at": self.committed_at,
            "full_refresh": self.full_refresh,
            "tables": {name: table(v) for name, v in self.tables.items()},
            "state": {name: table(v) for name, v in self.state.items()},
            "ledger": {path: vars(entry) for path, entry in sorted(self.ledger.items())},
        }
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        """Parse :meth:`to_json` output.

        Raises
        ------
        ValueError
            If the text is not a snapshot of a known format.
        """
        data = json.loads(text)
        if data.get("format") != _FORMAT:
            raise ValueError(f"unknown snapshot format {data.get('format')!r}")

        def table(name: str, raw: Mapping[str, Any]) -> TableVersion:
            partitions = {
                key: PartitionVersion(p["run_id"], p["location"], tuple((str(n), int(s)) for n, s in p["files"]))
                for key, p in raw["partitions"].items()
            }
            return TableVersion(name, tuple(raw["partition_by"]), partitions)

        return cls(
            pipeline=data["pipeline"],
            version=int(data["version"]),
            run_id=data["run_id"],
            committed_at=data["committed_at"],
            tables={name: table(name, raw) for name, raw in data["tables"].items()},
            state={name: table(name, raw) for name, raw in data.get("state", {}).items()},
            ledger={path: LedgerEntry(**entry) for path, entry in data.get("ledger", {}).items()},
            full_refresh=bool(data.get("full_refresh", False)),
        )


def data_location(run_id: str, table: str, partition: str = "") -> str:
    """Location (relative to the pipeline root) of a run's version of a table or partition.

    Examples
    --------
    >>> data_location("r1", "fact_gl_transaction", "year=2025/month=1")
    '_data/r1/fact_gl_transaction/year=2025/month=1'
    """
    return "/".join(p for p in (DATA_FOLDER, run_id, table, partition) if p)


def snapshot_path(root: str, version: int) -> str:
    """Path of snapshot ``version`` under a pipeline root.

    Examples
    --------
    >>> snapshot_path("s3://b/processed/finance", 7)
    's3://b/processed/finance/_published/0000000007.json'
    """
    return join_path(root, SNAPSHOT_FOLDER, f"{version:010d}.json")


def _versions(storage: Storage, root: str) -> list[int]:
    found = storage.list_files(join_path(root, SNAPSHOT_FOLDER), suffix=".json")
    names = (f.path.rsplit("/", 1)[-1] for f in found)
    return sorted(int(m.group(1)) for m in map(_SNAPSHOT_NAME.match, names) if m)


def read_snapshot(storage: Storage, root: str, version: int) -> Snapshot:
    """Read snapshot ``version``.

    Raises
    ------
    PublishError
        If it is missing or unreadable.
    """
    path = snapshot_path(root, version)
    try:
        return Snapshot.from_json(storage.read_text(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PublishError(f"the published snapshot {path} is unreadable: {exc}") from None


def current_snapshot(storage: Storage, root: str) -> Snapshot | None:
    """The published state of a pipeline root: its highest snapshot, or None before the first publish.

    Parameters
    ----------
    storage : Storage
        :class:`gluestar.redshift.files.ArrowStorage` or ``SparkStorage``.
    root : str
        ``<processed_path>/<pipeline>``.
    """
    versions = _versions(storage, root)
    return read_snapshot(storage, root, versions[-1]) if versions else None


def commit_snapshot(spark: SparkSession, root: str, snapshot: Snapshot) -> str:
    """Publish ``snapshot``: create its file, which must not exist yet. Returns its path.

    Raises
    ------
    PublishError
        If that version was committed already (another writer got there first) or the write fails.
    """
    path = snapshot_path(root, snapshot.version)
    commit_text(spark, path, snapshot.to_json())
    return path


def written_version(
    spark: SparkSession,
    root: str,
    run_id: str,
    spec: TableSpec,
    previous: TableVersion | None,
    *,
    touched: Iterable[str] = (),
    replace_all: bool = False,
) -> TableVersion:
    """The table version after a run: the previous one with the run's written partitions swapped in.

    An unpartitioned table is replaced whole. A partitioned table keeps the previous version's
    partitions the run did not write, except those in ``touched`` (partitions the run recomputed
    and found empty: they are dropped), unless ``replace_all`` (a full refresh) drops them all.

    Raises
    ------
    PublishError
        If the run wrote nothing for an unpartitioned table, or a written partition has no files.
    """
    from gluestar.redshift.files import SparkStorage

    storage = SparkStorage(spark)
    base = data_location(run_id, spec.name)
    written = list_partitions(spark, join_path(root, base), spec.partition_by) if spec.partition_by else [""]
    partitions: dict[str, PartitionVersion] = {}
    if previous is not None and spec.partition_by and not replace_all:
        dropped = set(touched)
        partitions.update({k: p for k, p in previous.partitions.items() if k not in dropped})
    for key in written:
        location = "/".join(p for p in (base, key) if p)
        files = storage.list_files(join_path(root, location))
        if not files:
            raise PublishError(f"{spec.name}: run {run_id} wrote no Parquet files in {join_path(root, location)}")
        names = tuple((f.path.rsplit("/", 1)[-1], f.size) for f in files)
        partitions[key] = PartitionVersion(run_id, location, names)
    return TableVersion(spec.name, tuple(spec.partition_by), partitions)


def read_table_version(
    spark: SparkSession,
    root: str,
    spec: TableSpec,
    version: TableVersion | None,
    *,
    partitions: Iterable[str] | None = None,
) -> DataFrame:
    """Read a table version (optionally only some partitions) with the spec's schema.

    The files of one run's folder are read in one scan; folders of different runs are unioned.
    A missing version or an empty selection gives an empty frame.
    """
    empty = spark.createDataFrame([], spec.schema)
    if version is None:
        return empty
    wanted = set(partitions) if partitions is not None else None
    groups: dict[str, list[str]] = {}
    for key, part in sorted(version.partitions.items()):
        if wanted is None or key in wanted:
            groups.setdefault(part.run_id, []).append(join_path(root, part.location))
    frames = []
    for run_id, paths in groups.items():
        reader = spark.read.schema(spec.schema)
        if spec.partition_by:
            reader = reader.option("basePath", join_path(root, data_location(run_id, spec.name)))
        frames.append(reader.parquet(*paths))
    if not frames:
        return empty
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    return frame.select(*spec.column_names)


def read_published(
    spark: SparkSession, processed_path: str, pipeline: str, table: str, *, schemas_dir: str | None = None
) -> DataFrame:
    """Read a published star table as of the latest snapshot: what a reader of the processed zone sees.

    Examples
    --------
    >>> read_published(spark, "s3://bucket/processed", "finance", "dim_account").count()  # doctest: +SKIP
    42

    Raises
    ------
    PublishError
        If the pipeline has never published, or not that table.
    """
    from gluestar.contracts import load_star_schema
    from gluestar.redshift.files import SparkStorage

    root = join_path(processed_path, pipeline)
    snapshot = current_snapshot(SparkStorage(spark), root)
    version = snapshot.tables.get(table) if snapshot else None
    if version is None:
        raise PublishError(f"{root} has no published table {table!r}")
    return read_table_version(spark, root, load_star_schema(pipeline, directory=schemas_dir).table(table), version)


def _age_seconds(snapshot: Snapshot, now: dt.datetime) -> float:
    committed = dt.datetime.fromisoformat(snapshot.committed_at)
    return (now - committed).total_seconds()


def collect_garbage(
    spark: SparkSession,
    root: str,
    *,
    now: dt.datetime,
    retention_hours: float = 168.0,
    keep: int = 2,
    protect: Sequence[str] = (),
) -> list[str]:
    """Delete what no reader can need any more; call it only while holding the run lock.

    Snapshots older than ``retention_hours`` go, except the newest ``keep`` (at least the latest).
    Then every ``_data/<run_id>`` folder that no remaining snapshot references goes: old versions and
    the leftovers of failed or killed runs. Runs in ``protect`` (the running one) are kept.

    Returns
    -------
    list of str
        The paths deleted.
    """
    from gluestar.redshift.files import SparkStorage

    storage = SparkStorage(spark)
    versions = _versions(storage, root)
    kept: list[Snapshot] = []
    deleted: list[str] = []
    for index, version in enumerate(reversed(versions)):
        snapshot = read_snapshot(storage, root, version)
        if index < max(keep, 1) or _age_seconds(snapshot, now) < retention_hours * 3600:
            kept.append(snapshot)
        else:
            path = snapshot_path(root, version)
            delete_path(spark, path)
            deleted.append(path)
    referenced = set(protect).union(*(s.referenced_runs() for s in kept))
    data = join_path(root, DATA_FOLDER)
    if path_exists(spark, data):
        for run_id in list_folders(spark, data):
            if run_id not in referenced:
                path = join_path(data, run_id)
                delete_path(spark, path)
                deleted.append(path)
    if deleted:
        log.info("garbage collection removed %d path(s) under %s", len(deleted), root)
    return deleted
