"""The processed-files ledger: which raw files a pipeline has read, so a run reads only new ones.

The ledger lives in every published snapshot (:mod:`gluestar.snapshots`), so it changes in the
same atomic step as the tables: a run that fails reads the same files again next time, a run that
publishes never reads them again. A file is identified by its path (``s3a://``/``s3n://`` read as
``s3://``) and counts as processed while its size and modification time are unchanged; a file
rewritten under the same name (new content, so a new modification time) is read again.

Every file also gets a sequence number in the order files were first seen (new files of one run in
path order). Sources without a version column use it as the version of their rows: a row of a later
file restates the same key of an earlier one.

Examples
--------
>>> plan = plan_files({"s3://b/raw/a.csv": (10, 1)}, {}, run_id="r1")
>>> plan.to_read, plan.seq
(('s3://b/raw/a.csv',), {'s3://b/raw/a.csv': 1})
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gluestar.snapshots import LedgerEntry

__all__ = ["FilePlan", "ledger_key", "plan_files"]


def ledger_key(path: str) -> str:
    """The ledger's name for a file: ``s3a://``/``s3n://`` as ``s3://``, ``file:`` URIs as plain paths.

    Examples
    --------
    >>> ledger_key("s3a://bucket/raw/a.csv"), ledger_key("file:///data/raw/a.csv")
    ('s3://bucket/raw/a.csv', '/data/raw/a.csv')
    """
    path = re.sub(r"^s3[an]://", "s3://", path)
    return re.sub(r"^file:(//)?(?=/)", "", path)


@dataclass(frozen=True)
class FilePlan:
    """What a run reads and the ledger it publishes.

    Attributes
    ----------
    to_read : tuple of str
        Files to read (new, changed, or all of them on a full refresh), as listed.
    skipped : tuple of str
        Files already processed and unchanged.
    changed : tuple of str
        Files processed before whose size or modification time changed since.
    seq : dict of str to int
        Sequence number of every file to read (keyed as listed).
    ledger : dict of str to LedgerEntry
        The ledger after the run (keyed by :func:`ledger_key`).
    """

    to_read: tuple[str, ...]
    skipped: tuple[str, ...]
    changed: tuple[str, ...]
    seq: dict[str, int]
    ledger: dict[str, LedgerEntry]


def plan_files(
    statuses: Mapping[str, tuple[int, int]],
    ledger: Mapping[str, LedgerEntry],
    *,
    run_id: str,
    full_refresh: bool = False,
) -> FilePlan:
    """Decide which listed files a run reads, and the ledger it will publish.

    Parameters
    ----------
    statuses : mapping of str to (int, int)
        Every listed raw file: size in bytes and modification time (epoch ms).
    ledger : mapping of str to LedgerEntry
        The published ledger ({} before the first run).
    run_id : str
        The run.
    full_refresh : bool, default False
        Read every listed file again; unchanged files keep their sequence numbers.
    """
    next_seq = max((e.seq for e in ledger.values()), default=0) + 1
    new_ledger = dict(ledger)
    to_read, skipped, changed = [], [], []
    seq: dict[str, int] = {}
    for path in sorted(statuses):
        size, modified = statuses[path]
        key = ledger_key(path)
        known = ledger.get(key)
        unchanged = known is not None and (known.size, known.modified) == (size, modified)
        if unchanged and not full_refresh:
            skipped.append(path)
            continue
        if known is not None and not unchanged:
            changed.append(path)
        if unchanged and known is not None:
            number = known.seq
        else:
            number, next_seq = next_seq, next_seq + 1
        seq[path] = number
        new_ledger[key] = LedgerEntry(size, modified, number, run_id)
        to_read.append(path)
    return FilePlan(tuple(to_read), tuple(skipped), tuple(changed), seq, new_ledger)
