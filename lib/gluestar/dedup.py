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

__all__ = ["resolve_duplicates", "resolve_against_published"]

_CANDIDATE = "_is_candidate"
_IS_DUPLICATE = "_is_exact_duplicate"
_IS_LATEST = "_is_latest"
_CONFLICT = "_has_conflict"
_ROW_NUMBER = "_row_number"
_PREVIOUS = "_previous_"
_FIRST = "_first_of_key"
_GREATEST = "_greatest_of_key"


def resolve_duplicates(
    keys: Sequence[str],
    *,
    columns: Sequence[str],
    version: str | None = None,
    conflict_reason: str = "conflicting rows",
    tiebreak: str | None = None,
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
    tiebreak : str, optional
        Column ordering rows tied at the greatest version (greatest wins), e.g. the sequence
        number of the file a row came from. Unlike ``version`` it plays no part in deciding that
        two rows are exact duplicates.

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
    compared = [c for c in columns if c not in keys and c not in (version, tiebreak)]
    ordering = [c for c in (version, tiebreak) if c]

    def transform(df: DataFrame) -> DataFrame:
        needed = [
            *keys,
            *columns,
            *ordering,
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
        # Every function below runs over one window specification (a single Window operator): the
        # rows of a key sorted by version, newest first, then by their compared values.
        by_key = Window.partitionBy(_CANDIDATE, *keys)
        version_order = [F.col(c).desc_nulls_last() for c in ordering]
        # When every compared column is in the key (and there is no version), the rows of a key are
        # identical: any order serves, and the key itself is one (a window function needs an order).
        order = [*version_order, *[F.col(c).asc_nulls_first() for c in compared]] or [F.col(k) for k in keys]
        ordered = by_key.orderBy(*order)
        whole_key = ordered.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
        # The first row of a key has its greatest rank (version, then tiebreak) and, among the rows
        # of that rank, the smallest compared values; the greatest (rank, values) has that rank and
        # the greatest values. They differ exactly when the latest rows hold two different truths.
        rank = F.struct(*[F.col(c) for c in ordering]) if ordering else F.struct(F.lit(0))
        signature = F.struct(rank.alias("rank"), *[F.col(c) for c in compared])
        matched = [*([version] if version else []), *compared]
        # All window functions in one select: Spark gives the window functions of one select and one
        # specification a single Window operator (a withColumn each would stack one per column).
        windowed = df.withColumn(_CANDIDATE, F.col(STATUS_COLUMN) == F.lit(STATUS_ACCEPTED)).select(
            "*",
            F.row_number().over(ordered).alias(_ROW_NUMBER),
            *[F.lag(F.col(c)).over(ordered).alias(f"{_PREVIOUS}{i}") for i, c in enumerate(matched)],
            F.first(signature).over(whole_key).alias(_FIRST),
            F.max(signature).over(whole_key).alias(_GREATEST),
        )
        same_as_previous = reduce(
            lambda acc, pair: acc & F.col(f"{_PREVIOUS}{pair[0]}").eqNullSafe(F.col(pair[1])),
            enumerate(matched),
            F.col(_ROW_NUMBER) > 1,
        )
        flagged = windowed.select(
            "*",
            same_as_previous.alias(_IS_DUPLICATE),
            rank.eqNullSafe(F.col(_FIRST)["rank"]).alias(_IS_LATEST),
            (~F.col(_FIRST).eqNullSafe(F.col(_GREATEST))).alias(_CONFLICT),
        )
        candidate = F.col(_CANDIDATE)
        resolved_status = (
            F.when(~candidate, F.col(STATUS_COLUMN))
            .when(F.col(_IS_DUPLICATE), F.lit(STATUS_EXACT_DUPLICATE))
            .when(~F.col(_IS_LATEST), F.lit(STATUS_SUPERSEDED))
            .when(F.col(_CONFLICT), F.lit(STATUS_QUARANTINED))
            .otherwise(F.lit(STATUS_ACCEPTED))
        )
        is_conflict = candidate & (F.col(STATUS_COLUMN) == F.lit(STATUS_QUARANTINED))
        return (
            flagged.withColumn(STATUS_COLUMN, resolved_status)
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


_PUBLISHED = "_published_"


def resolve_against_published(
    published: DataFrame,
    keys: Sequence[str],
    *,
    columns: Sequence[str],
    version: str | None = None,
    conflict_reason: str = "conflicting rows",
) -> Callable[[DataFrame], DataFrame]:
    """Return a transform resolving a run's accepted rows against the rows already published.

    ``published`` holds one row per key: ``keys``, ``columns`` and ``version`` (when given), named
    as in the run's rows. An accepted row whose key is published becomes

    * ``exact_duplicate`` when every column of ``columns`` equals the published row's;
    * ``superseded`` when its version is older than the published one (null is oldest);
    * ``quarantined`` with ``conflict_reason`` when the versions tie but the rows differ (the
      published row stays: a new truth at the same version is a flag, not a replacement);
    * left ``accepted`` otherwise (a newer version, or any new row of a source without versions):
      it replaces the published row.

    Examples
    --------
    >>> run = spark.createDataFrame([("t1", 2, "accepted", None, []), ("t2", 1, "accepted", None, [])],
    ...     "id string, v int, _status string, reject_reason string, reject_rules array<string>")
    >>> published = spark.createDataFrame([("t1", 3), ("t2", 1)], "id string, v int")
    >>> out = run.transform(resolve_against_published(published, ["id"], columns=["id", "v"], version="v"))
    >>> sorted((r.id, r._status) for r in out.collect())
    [('t1', 'superseded'), ('t2', 'exact_duplicate')]
    """
    compared = [c for c in columns if c not in keys]
    carried = [*dict.fromkeys([*compared, *([version] if version else [])])]

    def transform(df: DataFrame) -> DataFrame:
        missing = sorted({c for c in (*keys, *carried, STATUS_COLUMN) if c not in df.columns})
        missing_published = sorted({c for c in (*keys, *carried) if c not in published.columns})
        if missing or missing_published:
            raise SchemaContractError(
                "resolve_against_published: missing column(s): "
                + ", ".join([*missing, *[f"published.{c}" for c in missing_published]])
            )
        output_columns = df.columns
        theirs = published.select(
            *keys, *[F.col(c).alias(_PUBLISHED + c) for c in carried], F.lit(True).alias(_PUBLISHED)
        )
        joined = df.join(theirs, on=list(keys), how="left")
        found = (F.col(STATUS_COLUMN) == F.lit(STATUS_ACCEPTED)) & F.col(_PUBLISHED).isNotNull()
        same = reduce(lambda acc, c: acc & F.col(c).eqNullSafe(F.col(_PUBLISHED + c)), compared, F.lit(True))
        if version:
            mine, published_version = F.col(version), F.col(_PUBLISHED + version)
            older = published_version.isNotNull() & (mine.isNull() | (mine < published_version))
            tied = mine.eqNullSafe(published_version)
        else:
            older, tied = F.lit(False), F.lit(False)
        conflict = found & ~same & tied
        status = (
            F.when(~found, F.col(STATUS_COLUMN))
            .when(same, F.lit(STATUS_EXACT_DUPLICATE))
            .when(older, F.lit(STATUS_SUPERSEDED))
            .when(tied, F.lit(STATUS_QUARANTINED))
            .otherwise(F.lit(STATUS_ACCEPTED))
        )
        return (
            joined.withColumn(
                REJECT_REASON_COLUMN, F.when(conflict, F.lit(conflict_reason)).otherwise(F.col(REJECT_REASON_COLUMN))
            )
            .withColumn(
                REJECT_RULES_COLUMN,
                F.when(conflict, F.array(F.lit(f"{conflict_reason}: differs from the published row"))).otherwise(
                    F.col(REJECT_RULES_COLUMN)
                ),
            )
            .withColumn(STATUS_COLUMN, status)
            .select(*output_columns)
        )

    return transform
