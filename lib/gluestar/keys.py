"""Surrogate keys that are stable across runs.

A dimension member keeps the key it was first given, forever. New members get keys above the
current maximum, numbered in natural-key order, so the same input always yields the same keys and a
later run never reassigns one. Only the *new* members are sorted, never the facts.

The numbering is distributed: the new members are range-partitioned and sorted by the natural key,
each partition numbers its rows, and a tiny per-partition count turns local numbers into global
ones. No window spans all rows, nothing is collected to the driver.

Hash keys (``xxhash64`` of the natural key) are the alternative when dimensions are built by many
independent writers: no state to read, but 64-bit keys, a small collision risk, and no meaningful
order. gluestar uses sequential keys because BI tools and Redshift joins favour small integers.

Examples
--------
>>> members = spark.createDataFrame([("B",), ("A",)], "code string")
>>> existing = spark.createDataFrame([(7, "C")], "key int, code string")
>>> out = members.transform(assign_surrogate_keys("key", ["code"], existing=existing))
>>> sorted((r.code, r.key) for r in out.collect())
[('A', 8), ('B', 9)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from gluestar.constants import UNKNOWN_KEY
from gluestar.exceptions import SchemaContractError

__all__ = ["assign_surrogate_keys", "number_rows"]

_PARTITION = "_partition"
_LOCAL_NUMBER = "_local_number"
_PARTITION_SIZE = "_partition_size"
_OFFSET = "_offset"


def number_rows(order_by: Sequence[str], column: str, *, start: int = 1) -> Callable[[DataFrame], DataFrame]:
    """Return a transform adding consecutive numbers in the global order of ``order_by``.

    Rows tied on ``order_by`` get distinct numbers in an unspecified order, so pass a unique key.

    The local numbers and the partition sizes are computed from one range partitioning, which
    Spark shares between the two through exchange reuse (``spark.sql.exchange.reuse``, on by
    default, and pinned by :data:`gluestar.glue.SESSION_SETTINGS`). With reuse off, a large input is
    range-partitioned twice from two different samples and numbers can repeat or skip; the quality
    gate's key-uniqueness checks stop such a run before it publishes.

    Parameters
    ----------
    order_by : sequence of str
        Columns giving the global order (ascending, nulls first).
    column : str
        Name of the new integer column.
    start : int, default 1
        Number of the first row.

    Examples
    --------
    >>> df = spark.createDataFrame([("b",), ("a",), ("c",)], "code string")
    >>> sorted((r.code, r.n) for r in df.transform(number_rows(["code"], "n", start=10)).collect())
    [('a', 10), ('b', 11), ('c', 12)]
    """
    if not order_by:
        raise SchemaContractError("number_rows needs at least one order_by column")

    def transform(df: DataFrame) -> DataFrame:
        order = [F.col(c).asc_nulls_first() for c in order_by]
        ranged = df.repartitionByRange(*order).withColumn(_PARTITION, F.spark_partition_id())
        local = ranged.withColumn(_LOCAL_NUMBER, F.row_number().over(Window.partitionBy(_PARTITION).orderBy(*order)))
        sizes = ranged.groupBy(_PARTITION).agg(F.count(F.lit(1)).alias(_PARTITION_SIZE))
        earlier = sizes.select(F.col(_PARTITION).alias("_earlier"), F.col(_PARTITION_SIZE).alias("_earlier_size"))
        offsets = (
            sizes.join(earlier, F.col("_earlier") < F.col(_PARTITION), how="left")
            .groupBy(_PARTITION)
            .agg(F.coalesce(F.sum("_earlier_size"), F.lit(0)).alias(_OFFSET))
        )
        numbered = local.join(F.broadcast(offsets), on=_PARTITION, how="inner")
        value = (F.lit(start - 1) + F.col(_OFFSET) + F.col(_LOCAL_NUMBER)).cast("int")
        return numbered.withColumn(column, value).drop(_PARTITION, _LOCAL_NUMBER, _OFFSET)

    return transform


def assign_surrogate_keys(
    key: str,
    natural_key: Sequence[str],
    *,
    existing: DataFrame | None = None,
) -> Callable[[DataFrame], DataFrame]:
    """Return a transform giving every member its stable surrogate key.

    Members found in ``existing`` keep their key; the others get ``max(existing key) + 1, + 2, …``
    in natural-key order (``1, 2, …`` when there is no existing dimension). The unknown member
    (key ``-1``) never counts towards the maximum.

    Parameters
    ----------
    key : str
        Name of the surrogate key column.
    natural_key : sequence of str
        Columns identifying a member; one input row per value.
    existing : DataFrame, optional
        The published dimension (at least ``key`` and ``natural_key``).

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        A transform adding ``key`` as the first column.

    Examples
    --------
    >>> members = spark.createDataFrame([("X",)], "code string")
    >>> members.transform(assign_surrogate_keys("key", ["code"])).first().key
    1
    """

    def transform(members: DataFrame) -> DataFrame:
        missing = [c for c in natural_key if c not in members.columns]
        if missing:
            raise SchemaContractError(f"assign_surrogate_keys: missing natural key column(s): {', '.join(missing)}")
        member_columns = [c for c in members.columns if c != key]
        if existing is None:
            known = members.sparkSession.createDataFrame([], members.select(*natural_key).schema).withColumn(
                key, F.lit(None).cast("int")
            )
        else:
            known = existing.filter(F.col(key) != F.lit(UNKNOWN_KEY)).select(key, *natural_key)
        matched = members.drop(key).join(known, on=list(natural_key), how="left")
        old = matched.filter(F.col(key).isNotNull())
        new = matched.filter(F.col(key).isNull()).drop(key)
        highest = known.agg(F.coalesce(F.max(key), F.lit(0)).alias("_highest"))
        numbered = new.transform(number_rows(natural_key, "_rank")).crossJoin(F.broadcast(highest))
        fresh = numbered.withColumn(key, (F.col("_highest") + F.col("_rank")).cast("int")).drop("_rank", "_highest")
        return old.unionByName(fresh).select(F.col(key).cast("int").alias(key), *member_columns)

    return transform
