"""Dimension builders shared by every pipeline: the conformed date dimension, type-1 members, bins.

Examples
--------
>>> import datetime as dt
>>> bounds = spark.createDataFrame([(dt.date(2025, 3, 4), dt.date(2025, 3, 4))], "min_date date, max_date date")
>>> bounds.transform(date_dimension()).count()
365
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gluestar.columns import date_key
from gluestar.constants import UNKNOWN_KEY
from gluestar.contracts import TableSpec
from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.keys import assign_surrogate_keys

__all__ = [
    "MAX_DATE",
    "MIN_DATE",
    "bin_label",
    "conform_dimension",
    "conform_to",
    "date_dimension",
    "fiscal_month",
    "fiscal_year",
    "latest_attributes",
]

#: Column names of the one-row bounds frame :func:`date_dimension` expands.
MIN_DATE = "min_date"
MAX_DATE = "max_date"


def _check_fiscal_start(fiscal_year_start_month: int) -> None:
    is_integer = isinstance(fiscal_year_start_month, int) and not isinstance(fiscal_year_start_month, bool)
    if not is_integer or not 1 <= fiscal_year_start_month <= 12:
        raise ConfigurationError(
            f"fiscal_year_start_month must be an integer from 1 to 12; got {fiscal_year_start_month!r}"
        )


def fiscal_month(month: Column, fiscal_year_start_month: int = 1) -> Column:
    """Month number within the fiscal year (1 = the fiscal year's first month).

    Examples
    --------
    >>> df = spark.createDataFrame([(7,), (6,)], "m int")
    >>> [r.f for r in df.select(fiscal_month(F.col("m"), 7).alias("f")).collect()]
    [1, 12]
    """
    _check_fiscal_start(fiscal_year_start_month)
    return (((month - F.lit(fiscal_year_start_month) + F.lit(12)) % F.lit(12)) + F.lit(1)).cast("int")


def fiscal_year(year: Column, month: Column, fiscal_year_start_month: int = 1) -> Column:
    """Fiscal year, named after the calendar year in which it ends.

    With a July start, July 2024 – June 2025 is fiscal year 2025.

    Examples
    --------
    >>> df = spark.createDataFrame([(2024, 7), (2025, 6)], "y int, m int")
    >>> [r.f for r in df.select(fiscal_year(F.col("y"), F.col("m"), 7).alias("f")).collect()]
    [2025, 2025]
    """
    _check_fiscal_start(fiscal_year_start_month)
    if fiscal_year_start_month == 1:
        return year.cast("int")
    return F.when(month >= F.lit(fiscal_year_start_month), year + 1).otherwise(year).cast("int")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_bins(bins: Sequence[Sequence[Any]]) -> list[tuple[float, float | None, str]]:
    if isinstance(bins, str | bytes) or not bins:
        raise ConfigurationError(f"bin_label needs at least one (low, high, label) bin; got {bins!r}")
    checked: list[tuple[float, float | None, str]] = []
    for b in bins:
        if isinstance(b, str | bytes) or not isinstance(b, Sequence) or len(b) != 3:
            raise ConfigurationError(f"bin_label: a bin is (low, high, label); got {b!r}")
        low, high, label = b
        if not isinstance(label, str) or not label:
            raise ConfigurationError(f"bin_label: the label of a bin must be a non-empty string; got {label!r}")
        if not _is_number(low):
            raise ConfigurationError(f"bin_label: low of bin {label!r} must be a number; got {low!r}")
        if high is not None and not _is_number(high):
            raise ConfigurationError(f"bin_label: high of bin {label!r} must be a number or None (open); got {high!r}")
        if high is not None and high < low:
            raise ConfigurationError(f"bin_label: bin {label!r} has high {high!r} below low {low!r}")
        checked.append((low, high, label))
    ordered = sorted(checked, key=lambda b: b[0])
    for (_, high, label), (low, _, next_label) in pairwise(ordered):
        if high is None or high >= low:
            raise ConfigurationError(f"bin_label: bins {label!r} and {next_label!r} overlap")
    return checked


def _in_bin(col: Column, low: float, high: float | None) -> Column:
    return col >= F.lit(low) if high is None else col.between(F.lit(low), F.lit(high))


def bin_label(col: Column, bins: Sequence[Sequence[Any]]) -> Column:
    """Label of the bin a number falls in: ``low <= value <= high``, both ends inclusive.

    Each bin is ``(low, high, label)``; ``high`` ``None`` leaves the bin open upwards. A null input
    or a value in no bin gives null (no catch-all label). Inclusive ends suit integers such as
    ages: with bins ``[18, 24]`` and ``[25, 34]`` a fractional 24.5 is in no bin.

    Parameters
    ----------
    col : Column
        The numeric value.
    bins : sequence of (low, high, label)
        Non-overlapping bins, in any order; lists as read from JSON are accepted
        (``star.json``'s ``derived`` ``bins``).

    Raises
    ------
    ConfigurationError
        No bins, a malformed bin, ``high`` below ``low``, or two overlapping bins.

    Examples
    --------
    >>> bins = [(18, 24, "18-24"), (25, None, "25+")]
    >>> df = spark.createDataFrame([(17,), (24,), (70,)], "age int")
    >>> [r.g for r in df.select(bin_label(F.col("age"), bins).alias("g")).collect()]
    [None, '18-24', '25+']
    """
    (low, high, name), *others = _check_bins(bins)
    label = F.when(_in_bin(col, low, high), F.lit(name))
    for low, high, name in others:
        label = label.when(_in_bin(col, low, high), F.lit(name))
    return label


def date_dimension(*, fiscal_year_start_month: int = 1) -> Callable[[DataFrame], DataFrame]:
    """Return a transform expanding date bounds into the date dimension.

    The input holds ``min_date`` and ``max_date`` (one row, or several: the overall bounds are used).
    The output has one row per day from 1 January of the earliest year to 31 December of the latest.

    Parameters
    ----------
    fiscal_year_start_month : int, default 1
        First month of the fiscal year (1–12).

    Examples
    --------
    >>> import datetime as dt
    >>> bounds = spark.createDataFrame([(dt.date(2024, 7, 1), dt.date(2024, 7, 1))], "min_date date, max_date date")
    >>> row = bounds.transform(date_dimension(fiscal_year_start_month=7)).filter("date_key = 20240701").first()
    >>> (row.day_of_week, row.fiscal_year, row.fiscal_quarter, row.fiscal_month)
    ('Monday', 2025, 1, 1)
    """
    _check_fiscal_start(fiscal_year_start_month)

    def transform(bounds: DataFrame) -> DataFrame:
        missing = [c for c in (MIN_DATE, MAX_DATE) if c not in bounds.columns]
        if missing:
            raise SchemaContractError(f"date_dimension: missing column(s): {', '.join(missing)}")
        span = bounds.agg(
            F.make_date(F.year(F.min(MIN_DATE)), F.lit(1), F.lit(1)).alias("_start"),
            F.make_date(F.year(F.max(MAX_DATE)), F.lit(12), F.lit(31)).alias("_end"),
        ).filter(F.col("_start").isNotNull())
        days = span.select(F.explode(F.sequence("_start", "_end")).alias("full_date"))
        d = F.col("full_date")
        iso_day = ((F.dayofweek(d) + F.lit(5)) % F.lit(7) + F.lit(1)).cast("int")
        f_month = fiscal_month(F.month(d), fiscal_year_start_month)
        return days.select(
            date_key(d).alias("date_key"),
            d.alias("full_date"),
            F.year(d).cast("int").alias("year"),
            F.quarter(d).cast("int").alias("quarter"),
            F.month(d).cast("int").alias("month"),
            F.date_format(d, "MMMM").alias("month_name"),
            F.dayofmonth(d).cast("int").alias("day"),
            F.date_format(d, "EEEE").alias("day_of_week"),
            iso_day.alias("day_of_week_number"),
            F.weekofyear(d).cast("int").alias("week_of_year"),
            (iso_day >= F.lit(6)).alias("is_weekend"),
            fiscal_year(F.year(d), F.month(d), fiscal_year_start_month).alias("fiscal_year"),
            (((f_month - F.lit(1)) / F.lit(3)).cast("int") + F.lit(1)).alias("fiscal_quarter"),
            f_month.alias("fiscal_month"),
        )

    return transform


def latest_attributes(
    natural_key: Sequence[str], attributes: Sequence[str], *, order_by: Sequence[str]
) -> Callable[[DataFrame], DataFrame]:
    """Return a transform keeping, per natural key, the attributes of the latest row.

    "Latest" is the greatest ``order_by`` tuple, nulls oldest, compared left to right, so
    ``order_by=["last_modified", "transaction_id"]`` breaks ties by the greatest id. One aggregation,
    no window.

    Examples
    --------
    >>> df = spark.createDataFrame([("D1", "Old", 1), ("D1", "New", 2)], "code string, name string, v int")
    >>> df.transform(latest_attributes(["code"], ["name"], order_by=["v"])).first().name
    'New'
    """

    def transform(df: DataFrame) -> DataFrame:
        missing = [c for c in (*natural_key, *attributes, *order_by) if c not in df.columns]
        if missing:
            raise SchemaContractError(f"latest_attributes: missing column(s): {', '.join(missing)}")
        latest = F.max(F.struct(*[F.col(c) for c in (*order_by, *attributes)])).alias("_latest")
        return (
            df.groupBy(*natural_key)
            .agg(latest)
            .select(*natural_key, *[F.col(f"_latest.{c}").alias(c) for c in attributes])
        )

    return transform


def conform_dimension(
    spec: TableSpec,
    *,
    existing: DataFrame | None = None,
    unknown_member: Mapping[str, Any] | None = None,
) -> Callable[[DataFrame], DataFrame]:
    """Return a transform turning this run's members into the full type-1 dimension.

    The input has one row per natural key with the attribute columns of ``spec``; a member whose
    attributes are all null is *inferred* (seen only where its attributes are unknown, e.g. in
    budgets). The output holds:

    * every member of ``existing`` (the published dimension) and of the input, each once;
    * attributes from the input, except that an inferred member keeps the attributes it already has;
    * the member's existing surrogate key, or a new one (see :func:`assign_surrogate_keys`);
    * the unknown member (key ``-1``) when ``unknown_member`` is given;

    with exactly the columns of ``spec``, in order.

    Parameters
    ----------
    spec : TableSpec
        The dimension's definition: one key column, its natural key, its attributes.
    existing : DataFrame, optional
        The published dimension, when there is one.
    unknown_member : mapping, optional
        Attribute values of the unknown member (missing attributes are null).

    Examples
    --------
    >>> from gluestar.contracts import load_star_schema
    >>> spec = load_star_schema("finance").table("dim_scenario")
    >>> members = spark.createDataFrame([("Budget",), ("Actual",)], "scenario_name string")
    >>> sorted((r.scenario_key, r.scenario_name) for r in members.transform(conform_dimension(spec)).collect())
    [(1, 'Actual'), (2, 'Budget')]
    """
    if len(spec.key) != 1 or not spec.natural_key:
        raise ConfigurationError(f"table {spec.name!r} needs exactly one key column and a natural key")
    key = spec.key[0]
    natural_key = list(spec.natural_key)
    attributes = [c for c in spec.column_names if c != key and c not in natural_key]

    def transform(members: DataFrame) -> DataFrame:
        missing = [c for c in (*natural_key, *attributes) if c not in members.columns]
        if missing:
            raise SchemaContractError(f"{spec.name}: members lack column(s): {', '.join(missing)}")
        inferred = F.lit(True)
        for attribute in attributes:
            inferred = inferred & F.col(f"new.{attribute}").isNull()
        current = members.select(*natural_key, *attributes)
        if existing is not None:
            previous = existing.filter(F.col(key) != F.lit(UNKNOWN_KEY)).select(*natural_key, *attributes)
            in_run = current.withColumn("_in_run", F.lit(True))
            merged = in_run.alias("new").join(previous.alias("old"), on=natural_key, how="full_outer")
            take_old = F.col("new._in_run").isNull() | inferred
            current = merged.select(
                *natural_key,
                *[F.when(take_old, F.col(f"old.{a}")).otherwise(F.col(f"new.{a}")).alias(a) for a in attributes],
            )
        keyed = current.transform(assign_surrogate_keys(key, natural_key, existing=existing))
        result = keyed.transform(conform_to(spec))
        if unknown_member is None:
            return result
        values = {key: UNKNOWN_KEY, **unknown_member}
        unknown = keyed.sparkSession.range(1).select(
            *[F.lit(values.get(c)).cast(spec.schema[c].dataType).alias(c) for c in spec.column_names]
        )
        return result.unionByName(unknown)

    return transform


def conform_to(spec: TableSpec) -> Callable[[DataFrame], DataFrame]:
    """Return a transform selecting exactly the table's columns, cast to its declared types.

    It is the schema contract at the end of every table-building transform: a column the table
    declares but the frame lacks is an error, never a silent null.

    Examples
    --------
    >>> from gluestar.contracts import load_star_schema
    >>> spec = load_star_schema("finance").table("dim_scenario")
    >>> df = spark.createDataFrame([(1, "Actual", "x")], "scenario_key long, scenario_name string, extra string")
    >>> df.transform(conform_to(spec)).columns
    ['scenario_key', 'scenario_name']
    """

    def transform(df: DataFrame) -> DataFrame:
        missing = [c for c in spec.column_names if c not in df.columns]
        if missing:
            raise SchemaContractError(f"{spec.name}: missing column(s): {', '.join(missing)}")
        return df.select(*[F.col(c).cast(spec.schema[c].dataType).alias(c) for c in spec.column_names])

    return transform
