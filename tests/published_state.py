"""What a reader of a processed zone sees: the current snapshot and every file it publishes, hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gluestar.redshift.files import ArrowStorage
from gluestar.snapshots import current_snapshot


def published_state(root: Path) -> dict[str, object]:
    """The current snapshot's version and run, and (size, sha256) of every file it references.

    ``root`` is ``<processed>/<pipeline>``; an unpublished root gives ``{"version": None}``.
    """
    snapshot = current_snapshot(ArrowStorage(), str(root))
    if snapshot is None:
        return {"version": None}
    files: dict[str, tuple[int, str]] = {}
    for table in (*snapshot.tables.values(), *snapshot.state.values()):
        for partition in table.partitions.values():
            for name, _ in partition.files:
                path = root / partition.location / name
                files[str(path.relative_to(root))] = (
                    path.stat().st_size,
                    hashlib.sha256(path.read_bytes()).hexdigest(),
                )
    return {"version": snapshot.version, "run_id": snapshot.run_id, "files": files}
