"""Deduplication by key and explicit version ordering.

:func:`resolve_duplicates` works on the output of :func:`gluestar.cleaning.validate_source`. Among
the ``accepted`` rows it

1. collapses rows identical in every cleaned column to one (the others become ``exact_duplicate``);
2. per key, keeps the row with the greatest version (null is oldest); older rows become
   ``superseded``;
3. quarantines *all* the different rows tied at the greatest version with ``conflict_reason``:
   when a source holds two different truths, a flag beats a guess.

Quarantined rows pass through untouched, so every input row keeps exactly one status and the counts
reconcile. One window, partitioned by the key, does all three steps in one pass.

Examples
--------
>>> df = spark.createDataFrame(
...     [("t1", 1, "accepted"), ("t1", 2, "accepted"), ("t1", 2, "accepted")],
...     "id string, version int, _status string").withColumn("reject_reason", F.lit(None).cast("string")
...     ).withColumn("reject_rules", F.array().cast("array<string>"))
>>> out = df.transform(resolve_duplicates(["id"], version="version", columns=["id", "version"]))
>>> sorted(r._status for r in out.collect())
['accepted', 'exact_duplicate', 'superseded']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from gluestar.constants import (
    REJECT_REASON_COLUMN,
    REJECT_RULES_COLUMN,
    STATUS_ACCEPTED,
    STATUS_COLUMN,
    STATUS_EXACT_DUPLICATE,
    STATUS_QUARANTINED,
    STATUS_SUPERSEDED,
)
from gluestar.exceptions import SchemaContractError

__all__ = ["resolve_duplicates"]

_CANDIDATE = "_is_candidate"
_IS_DUPLICATE = "_is_exact_duplicate"
_IS_LATEST = "_is_latest"
_LATEST_VERSIONS = "_latest_versions"


def resolve_duplicates(
    keys: Sequence[str],
    *,
    columns: Sequence[str],
    version: str | None = None,
    conflict_reason: str = "conflicting rows",
) -> Callable[[DataFrame], DataFrame]:
    """Return a transform that resolves duplicates among the accepted rows.

    Parameters
    ----------
    keys : sequence of str
        The natural key: at most one row per key is accepted.
    columns : sequence of str
        The cleaned columns that decide whether two rows are identical (the key included).
    version : str, optional
        Column ordering versions of one key (greatest wins, null is oldest). Without it every
        accepted row of a key is a candidate, and two different ones conflict.
    conflict_reason : str, default "conflicting rows"
        The ``reject_reason`` of rows that conflict.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        A transform keeping the input's columns; ``_status`` and ``reject_reason`` updated.

    Raises
    ------
    SchemaContractError
        If a key, version or comparison column, ``_status`` or ``reject_reason`` is missing.

    Examples
    --------
    >>> df = spark.createDataFrame([("b1", 10, "accepted", None, []), ("b1", 20, "accepted", None, [])],
    ...     "id string, amount int, _status string, reject_reason string, reject_rules array<string>")
    >>> out = df.transform(resolve_duplicates(["id"], columns=["id", "amount"], conflict_reason="clash"))
    >>> sorted((r._status, r.reject_reason) for r in out.collect())
    [('quarantined', 'clash'), ('quarantined', 'clash')]
    """
    if not keys:
        raise SchemaContractError("resolve_duplicates needs at least one key column")
    compared = [c for c in columns if c not in keys and c != version]

    def transform(df: DataFrame) -> DataFrame:
        needed = [
            *keys,
            *columns,
            *([version] if version else []),
            STATUS_COLUMN,
            REJECT_REASON_COLUMN,
            REJECT_RULES_COLUMN,
        ]
        missing = sorted({c for c in needed if c not in df.columns})
        if missing:
            raise SchemaContractError(f"resolve_duplicates: missing column(s): {', '.join(missing)}")
        output_columns = df.columns
        # Rows already quarantined sit in windows of their own and keep their status: one pass,
        # no filter-and-union (a filter on _status would be pushed into validation and re-run it).
        by_key = Window.partitionBy(_CANDIDATE, *keys)
        version_order = [F.col(version).desc_nulls_last()] if version else []
        ordered = by_key.orderBy(*version_order, *[F.col(c).asc_nulls_first() for c in compared])
        same_as_previous = reduce(
            lambda acc, c: acc & F.lag(F.col(c)).over(ordered).eqNullSafe(F.col(c)),
            [*([version] if version else []), *compared],
            F.row_number().over(ordered) > 1,
        )
        is_latest = F.col(version).eqNullSafe(F.max(version).over(by_key)) if version else F.lit(True)
        flagged = (
            df.withColumn(_CANDIDATE, F.col(STATUS_COLUMN) == F.lit(STATUS_ACCEPTED))
            .withColumn(_IS_DUPLICATE, same_as_previous)
            .withColumn(_IS_LATEST, is_latest)
        )
        distinct_latest = F.sum(F.when(F.col(_IS_LATEST) & ~F.col(_IS_DUPLICATE), F.lit(1)).otherwise(F.lit(0))).over(
            by_key
        )
        candidate = F.col(_CANDIDATE)
        resolved_status = (
            F.when(~candidate, F.col(STATUS_COLUMN))
            .when(F.col(_IS_DUPLICATE), F.lit(STATUS_EXACT_DUPLICATE))
            .when(~F.col(_IS_LATEST), F.lit(STATUS_SUPERSEDED))
            .when(F.col(_LATEST_VERSIONS) > 1, F.lit(STATUS_QUARANTINED))
            .otherwise(F.lit(STATUS_ACCEPTED))
        )
        is_conflict = candidate & (F.col(STATUS_COLUMN) == F.lit(STATUS_QUARANTINED))
        return (
            flagged.withColumn(_LATEST_VERSIONS, distinct_latest)
            .withColumn(STATUS_COLUMN, resolved_status)
            .withColumn(
                REJECT_REASON_COLUMN,
                F.when(is_conflict, F.lit(conflict_reason)).otherwise(F.col(REJECT_REASON_COLUMN)),
            )
            .withColumn(
                REJECT_RULES_COLUMN,
                F.when(is_conflict, F.array(F.lit(conflict_reason))).otherwise(F.col(REJECT_RULES_COLUMN)),
            )
            .select(*output_columns)
        )

    return transform
