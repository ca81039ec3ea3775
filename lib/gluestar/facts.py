"""Fact-building helpers shared by every pipeline: surrogate-key lookups and partition columns.

Examples
--------
>>> dim = spark.createDataFrame([(1, "D1")], "department_key int, department_code string")
>>> facts = spark.createDataFrame([("D1",), ("D9",)], "department_code string")
>>> out = facts.transform(lookup_key(dim, "department_key", {"department_code": "department_code"}))
>>> sorted(r.department_key for r in out.collect())
[-1, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluestar.constants import UNKNOWN_KEY
from gluestar.exceptions import SchemaContractError

__all__ = ["lookup_key", "year_month_partitions"]


def lookup_key(
    dimension: DataFrame,
    key: str,
    on: Mapping[str, str],
    *,
    attributes: Mapping[str, str] | None = None,
) -> Callable[[DataFrame], DataFrame]:
    """Return a transform adding a dimension's surrogate key to each fact row.

    The dimension is broadcast (dimensions are small next to facts); a fact row whose natural key
    has no member gets the unknown member's key ``-1`` rather than being dropped.

    Parameters
    ----------
    dimension : DataFrame
        The dimension, with ``key`` and the natural-key columns named in ``on``'s values.
    key : str
        The surrogate key column to add.
    on : mapping of str to str
        Fact column -> dimension column, for each natural-key column.
    attributes : mapping of str to str, optional
        Dimension column -> output name, for attributes to bring along (null for unknown members).

    Examples
    --------
    >>> dim = spark.createDataFrame(
    ...     [(3, "4000", "Revenue")], "account_key int, account_number string, account_type string")
    >>> facts = spark.createDataFrame([("4000",)], "account_number string")
    >>> row = facts.transform(lookup_key(dim, "account_key", {"account_number": "account_number"},
    ...     attributes={"account_type": "account_type"})).first()
    >>> (row.account_key, row.account_type)
    (3, 'Revenue')
    """
    extra = dict(attributes or {})

    def transform(facts: DataFrame) -> DataFrame:
        missing = [c for c in on if c not in facts.columns]
        if missing:
            raise SchemaContractError(f"lookup of {key}: fact column(s) missing: {', '.join(missing)}")
        if key in facts.columns:
            raise SchemaContractError(f"lookup of {key}: the facts already have a column {key!r}")
        aliases = {dim_col: f"_dim_{i}" for i, dim_col in enumerate(on.values())}
        members = dimension.filter(F.col(key) != F.lit(UNKNOWN_KEY)).select(
            F.col(key).alias(f"_dim_{key}"),
            *[F.col(dim_col).alias(alias) for dim_col, alias in aliases.items()],
            *[F.col(dim_col).alias(name) for dim_col, name in extra.items()],
        )
        condition = None
        for fact_col, dim_col in on.items():
            clause = F.col(fact_col) == F.col(aliases[dim_col])
            condition = clause if condition is None else condition & clause
        joined = facts.join(F.broadcast(members), on=condition, how="left")
        return joined.withColumn(key, F.coalesce(F.col(f"_dim_{key}"), F.lit(UNKNOWN_KEY)).cast("int")).drop(
            f"_dim_{key}", *aliases.values()
        )

    return transform


def year_month_partitions(date_column: str) -> Callable[[DataFrame], DataFrame]:
    """Return a transform adding integer ``year`` and ``month`` partition columns from a date.

    Examples
    --------
    >>> import datetime as dt
    >>> df = spark.createDataFrame([(dt.date(2025, 3, 7),)], "d date")
    >>> row = df.transform(year_month_partitions("d")).first()
    >>> (row.year, row.month)
    (2025, 3)
    """

    def transform(df: DataFrame) -> DataFrame:
        if date_column not in df.columns:
            raise SchemaContractError(f"year_month_partitions: missing column {date_column!r}")
        return df.withColumn("year", F.year(date_column).cast("int")).withColumn(
            "month", F.month(date_column).cast("int")
        )

    return transform
