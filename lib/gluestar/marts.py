"""The json_orders marts as Spark transforms, written as Parquet for Athena.

Each mart is declared in ``schemas/json_orders/marts.json`` (columns and types) and defined for
Redshift as a view of the same name and columns in ``ddl/json_orders/kpi_views.sql``. The functions
here compute exactly what those views compute, so Athena and Redshift users see the same numbers:

* revenue is the sum of the facts' stored totals (``order_total`` per order, ``line_total`` per item),
  which the quality gate holds equal to quantity × unit_price over the items; AOV = revenue / orders;
* a month is the calendar month of the order date (the fact's ``date_key``), and months run over a
  calendar spine from the first to the last order month, so a month without orders shows zeros;
* a customer is active in a month with an order, new in the month of the first order (the cohort)
  and returning afterwards; churn in month M counts the customers active in M-1 and not in M.

Amounts and percentages are rounded like SQL's ``ROUND(x, 2)`` (half away from zero). Only native
Spark functions are used, and no window: a ``LAG`` or a running total over the month spine is a join
of the (small) spine with itself followed by an aggregation, because a window over all months would
have no ``partitionBy`` and move every row to one partition.

Examples
--------
>>> import datetime as dt
>>> from decimal import Decimal
>>> orders = spark.createDataFrame(
...     [(20250105, 1, Decimal("20.00")), (20250302, 1, Decimal("30.00"))],
...     "date_key int, customer_key int, order_total decimal(18,2)")
>>> [(r.month, r.revenue) for r in mart_monthly_revenue(orders).orderBy("month").collect()]
[(1, Decimal('20.00')), (2, Decimal('0.00')), (3, Decimal('30.00'))]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, cast

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gluestar.contracts import StarSchema, TableColumn, TableKind, TableSpec, spark_type
from gluestar.dimensions import conform_to
from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.options import check_choice
from gluestar.packaged import read_packaged_json

__all__ = [
    "MART_KIND",
    "MART_NAMES",
    "RETENTION_MONTHS",
    "load_marts",
    "month_index",
    "mart_monthly_revenue",
    "mart_category_sales",
    "mart_monthly_active_customers",
    "mart_cohort_retention",
    "mart_monthly_churn",
    "build_marts",
]

#: The ``kind`` of every table in a ``marts.json``.
MART_KIND: Final[str] = "mart"
#: The marts :func:`build_marts` returns, in the order of ``schemas/json_orders/marts.json``.
MART_NAMES: Final[tuple[str, ...]] = (
    "mart_monthly_revenue",
    "mart_category_sales",
    "mart_monthly_active_customers",
    "mart_cohort_retention",
    "mart_monthly_churn",
)
#: Cohort retention covers months 0 to this many months after the cohort month.
RETENTION_MONTHS: Final[int] = 6

_SCHEMAS_PACKAGE = "gluestar.schemas"
_DEFAULT_PIPELINE = "json_orders"
#: Month number ``year * 12 + month - 1`` (portable month arithmetic, as in the views).
_MONTH = "month_index"
_CUSTOMER = "customer_key"
_HUNDRED = Decimal("100.0")  # a decimal(4,1) literal, as SQL's 100.0 (F.lit(100.0) would be a double)


# --------------------------------------------------------------------------- #
# Loading marts.json
# --------------------------------------------------------------------------- #


def _mart_spec(data: Any, source: str) -> TableSpec:
    """One mart of a ``marts.json`` as a :class:`~gluestar.contracts.TableSpec`, validated."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        raise ConfigurationError(f"{source}: every table needs a non-empty 'name'")
    name = data["name"]
    check_choice(data.get("kind"), (MART_KIND,), f"{source}: table {name!r}: 'kind'")
    raw_columns = data.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise ConfigurationError(f"{source}: table {name!r} declares no columns")
    columns = []
    for column in raw_columns:
        if not isinstance(column, dict) or not isinstance(column.get("name"), str) or "type" not in column:
            raise ConfigurationError(f"{source}: table {name!r}: every column needs a 'name' and a 'type'")
        spark_type(column["type"])
        columns.append(
            TableColumn(column["name"], column["type"], bool(column.get("nullable", True)), column.get("length"))
        )
    names = [c.name for c in columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigurationError(f"{source}: table {name!r} declares column(s) twice: {', '.join(duplicated)}")
    key = tuple(data.get("key", ()))
    unknown = [c for c in key if c not in names]
    if unknown:
        raise ConfigurationError(f"{source}: table {name!r}: key column(s) not declared: {', '.join(unknown)}")
    # contracts.TableKind lists "dimension" and "fact" only; a mart is neither (and TableSpec.from_dict
    # rejects it), so the spec is built here with kind "mart".
    return TableSpec(name=name, kind=cast(TableKind, MART_KIND), columns=tuple(columns), key=key)


def load_marts(pipeline: str = _DEFAULT_PIPELINE, *, directory: str | Path | None = None) -> StarSchema:
    """Load the mart definitions ``schemas/<pipeline>/marts.json``.

    Parameters
    ----------
    pipeline : str, default "json_orders"
        Pipeline folder.
    directory : str or Path, optional
        A folder laid out like ``schemas/`` to read instead of the copy inside the wheel.

    Returns
    -------
    StarSchema
        One :class:`~gluestar.contracts.TableSpec` of kind ``"mart"`` per mart, in file order.

    Raises
    ------
    ConfigurationError
        If the file is missing or not valid JSON, a table's kind is not ``"mart"``, a column type is
        unknown or a key column is not declared.

    Examples
    --------
    >>> load_marts().table("mart_monthly_revenue").key
    ('year', 'month')
    """
    source = f"{pipeline}/marts.json"
    data = read_packaged_json(_SCHEMAS_PACKAGE, source, directory=directory, what="schema file")
    tables = data.get("tables") if isinstance(data, dict) else None
    if not isinstance(tables, list) or not tables:
        raise ConfigurationError(f"{source}: 'tables' must be a non-empty list of marts")
    return StarSchema(pipeline=data.get("pipeline", pipeline), tables=tuple(_mart_spec(t, source) for t in tables))


@lru_cache(maxsize=1)
def _packaged_marts() -> StarSchema:
    return load_marts()


def _spec(name: str, spec: TableSpec | None) -> TableSpec:
    """The given spec, or the packaged one (read once, on first use: nothing is read at import)."""
    return spec if spec is not None else _packaged_marts().table(name)


# --------------------------------------------------------------------------- #
# Column logic
# --------------------------------------------------------------------------- #


def month_index(date_key: str | Column = "date_key") -> Column:
    """Month number ``year * 12 + month - 1`` of a ``yyyyMMdd`` date key (an int).

    Consecutive calendar months have consecutive numbers, so "the month before" is ``index - 1``.

    Examples
    --------
    >>> df = spark.createDataFrame([(20241231,), (20250105,)], "date_key int")
    >>> [r.i for r in df.select(month_index("date_key").alias("i")).collect()]
    [24299, 24300]
    """
    key = F.col(date_key) if isinstance(date_key, str) else date_key
    year_month = F.floor(key / F.lit(100))
    return (F.floor(year_month / F.lit(100)) * F.lit(12) + year_month % F.lit(100) - F.lit(1)).cast("int")


def _year(index: Column) -> Column:
    return F.floor(index / F.lit(12)).cast("int")


def _month(index: Column) -> Column:
    return (index % F.lit(12) + F.lit(1)).cast("int")


def _rounded_ratio(numerator: Column, denominator: Column) -> Column:
    """``ROUND(numerator / NULLIF(denominator, 0), 2)``: null for a zero or null denominator."""
    return F.round(numerator / F.when(denominator != F.lit(0), denominator), 2)


def _rounded_pct(numerator: Column, denominator: Column) -> Column:
    """``ROUND(100.0 * numerator / NULLIF(denominator, 0), 2)`` in decimal arithmetic."""
    return _rounded_ratio(F.lit(_HUNDRED) * numerator, denominator)


# --------------------------------------------------------------------------- #
# Shared building blocks
# --------------------------------------------------------------------------- #


def _require(df: DataFrame, columns: Sequence[str], mart: str, frame: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaContractError(f"{mart}: {frame} is missing column(s): {', '.join(missing)}")


def _month_spine(months: DataFrame, *, skip_first: bool = False) -> DataFrame:
    """Every month index from the first to the last of ``months[month_index]``, one row each.

    The bounds are a one-row aggregate; ``sequence`` + ``explode`` expands it. No months (no orders)
    give null bounds and an empty spine. ``skip_first`` leaves out the first month (it has no month
    before it); it is a filter, not ``sequence(first + 1, last)``, which counts down when
    ``first == last``.
    """
    bounds = months.agg(F.min(_MONTH).alias("_first"), F.max(_MONTH).alias("_last"))
    spine = bounds.select("_first", F.explode(F.sequence("_first", "_last")).alias(_MONTH))
    if skip_first:
        spine = spine.filter(F.col(_MONTH) > F.col("_first"))
    return spine.select(_MONTH)


def _customer_months(fact_orders: DataFrame) -> DataFrame:
    """One row per customer and month with an order: ``customer_key``, ``month_index``, ``orders``."""
    return (
        fact_orders.select(F.col(_CUSTOMER), month_index("date_key").alias(_MONTH))
        .groupBy(_CUSTOMER, _MONTH)
        .agg(F.count(F.lit(1)).alias("orders"))
    )


def _first_months(customer_months: DataFrame) -> DataFrame:
    """Each customer's first order month over all loaded history: ``customer_key``, ``first_index``."""
    return customer_months.groupBy(_CUSTOMER).agg(F.min(_MONTH).alias("first_index"))


# --------------------------------------------------------------------------- #
# The marts
# --------------------------------------------------------------------------- #


def mart_monthly_revenue(fact_orders: DataFrame, *, spec: TableSpec | None = None) -> DataFrame:
    """Revenue, orders, AOV, month-over-month growth and cumulative revenue per spine month.

    * ``revenue``: sum of ``order_total`` (0 in a month without orders); ``order_count``: orders;
    * ``aov``: revenue / orders rounded to cents, null without orders;
    * ``prev_month_revenue``: revenue of the calendar month before (null for the first month);
    * ``mom_growth_pct``: 100 × (revenue − previous) / previous rounded to 2 places, null for the
      first month and after a month without revenue;
    * ``cumulative_revenue``: revenue of every month up to and including this one.

    Parameters
    ----------
    fact_orders : DataFrame
        The order fact, with ``date_key`` (``yyyyMMdd``) and ``order_total``.
    spec : TableSpec, optional
        The mart's definition; defaults to ``mart_monthly_revenue`` of the packaged ``marts.json``.

    Raises
    ------
    SchemaContractError
        If ``fact_orders`` lacks a column it needs.

    Examples
    --------
    >>> from decimal import Decimal
    >>> orders = spark.createDataFrame([(20250105, Decimal("20.00")), (20250110, Decimal("10.00"))],
    ...     "date_key int, order_total decimal(18,2)")
    >>> row = mart_monthly_revenue(orders).first()
    >>> (row.revenue, row.order_count, row.aov, row.cumulative_revenue)
    (Decimal('30.00'), 2, Decimal('15.00'), Decimal('30.00'))
    """
    spec = _spec("mart_monthly_revenue", spec)
    _require(fact_orders, ["date_key", "order_total"], spec.name, "fact_orders")
    per_month = (
        fact_orders.select(month_index("date_key").alias(_MONTH), F.col("order_total"))
        .groupBy(_MONTH)
        .agg(F.sum("order_total").alias("revenue"), F.count(F.lit(1)).alias("order_count"))
    )
    monthly = (
        _month_spine(per_month)
        .join(per_month, on=_MONTH, how="left")
        .select(
            _MONTH,
            F.coalesce(F.col("revenue"), F.lit(0)).alias("revenue"),
            F.coalesce(F.col("order_count"), F.lit(0)).alias("order_count"),
        )
    )
    # LAG and the running total without a window: pair every month m with every month e <= m of the
    # (small, broadcast) spine. The pair with e = m - 1 is the previous month (none for the first
    # month: null); the sum over all pairs is the cumulative revenue.
    earlier = monthly.select(F.col(_MONTH).alias("_earlier"), F.col("revenue").alias("_earlier_revenue"))
    is_previous = F.col("_earlier") == F.col(_MONTH) - F.lit(1)
    with_history = (
        monthly.join(F.broadcast(earlier), on=F.col("_earlier") <= F.col(_MONTH), how="inner")
        .groupBy(_MONTH, "revenue", "order_count")
        .agg(
            F.max(F.when(is_previous, F.col("_earlier_revenue"))).alias("prev_month_revenue"),
            F.sum("_earlier_revenue").alias("cumulative_revenue"),
        )
    )
    revenue, previous = F.col("revenue"), F.col("prev_month_revenue")
    return with_history.select(
        _year(F.col(_MONTH)).alias("year"),
        _month(F.col(_MONTH)).alias("month"),
        revenue.alias("revenue"),
        F.col("order_count"),
        _rounded_ratio(revenue, F.col("order_count")).alias("aov"),
        previous.alias("prev_month_revenue"),
        _rounded_pct(revenue - previous, previous).alias("mom_growth_pct"),
        F.col("cumulative_revenue"),
    ).transform(conform_to(spec))


def mart_category_sales(
    fact_order_items: DataFrame, dim_product: DataFrame, *, spec: TableSpec | None = None
) -> DataFrame:
    """Revenue, units and orders per month and product category (categories with sales only).

    ``revenue`` is the sum of ``line_total``, ``units`` the sum of ``quantity`` and ``order_count``
    the number of distinct orders with an item of the category. Items join ``dim_product`` on
    ``product_key`` (inner, as the view); a null category is a group of its own.

    Parameters
    ----------
    fact_order_items : DataFrame
        The item fact, with ``order_id``, ``date_key``, ``product_key``, ``quantity``, ``line_total``.
    dim_product : DataFrame
        The product dimension, with ``product_key`` and ``category``.
    spec : TableSpec, optional
        The mart's definition; defaults to ``mart_category_sales`` of the packaged ``marts.json``.

    Raises
    ------
    SchemaContractError
        If an input lacks a column it needs.

    Examples
    --------
    >>> from decimal import Decimal
    >>> items = spark.createDataFrame([("O1", 20250105, 7, 2, Decimal("20.00"))],
    ...     "order_id string, date_key int, product_key int, quantity int, line_total decimal(18,2)")
    >>> products = spark.createDataFrame([(7, "Books")], "product_key int, category string")
    >>> row = mart_category_sales(items, products).first()
    >>> (row.category, row.revenue, row.units, row.order_count)
    ('Books', Decimal('20.00'), 2, 1)
    """
    spec = _spec("mart_category_sales", spec)
    _require(
        fact_order_items,
        ["order_id", "date_key", "product_key", "quantity", "line_total"],
        spec.name,
        "fact_order_items",
    )
    _require(dim_product, ["product_key", "category"], spec.name, "dim_product")
    items = fact_order_items.select(
        month_index("date_key").alias(_MONTH), "order_id", "product_key", "quantity", "line_total"
    )
    products = dim_product.select("product_key", "category")
    return (
        items.join(products, on="product_key", how="inner")
        .groupBy(_MONTH, "category")
        .agg(
            F.sum("line_total").alias("revenue"),
            F.sum("quantity").alias("units"),
            F.countDistinct("order_id").alias("order_count"),
        )
        .select(
            _year(F.col(_MONTH)).alias("year"),
            _month(F.col(_MONTH)).alias("month"),
            "category",
            "revenue",
            "units",
            "order_count",
        )
        .transform(conform_to(spec))
    )


def mart_monthly_active_customers(fact_orders: DataFrame, *, spec: TableSpec | None = None) -> DataFrame:
    """Active, new and returning customers per spine month.

    A customer is active in a month with at least one order, new in the month of the first order
    over all loaded history, and returning in a later month (whatever the gap). A month without
    orders shows zeros.

    Parameters
    ----------
    fact_orders : DataFrame
        The order fact, with ``customer_key`` and ``date_key``.
    spec : TableSpec, optional
        The mart's definition; defaults to ``mart_monthly_active_customers`` of ``marts.json``.

    Examples
    --------
    >>> orders = spark.createDataFrame([(1, 20250105), (1, 20250301), (2, 20250302)],
    ...     "customer_key int, date_key int")
    >>> [(r.month, r.active_customers, r.new_customers, r.returning_customers)
    ...  for r in mart_monthly_active_customers(orders).orderBy("month").collect()]
    [(1, 1, 1, 0), (2, 0, 0, 0), (3, 2, 1, 1)]
    """
    spec = _spec("mart_monthly_active_customers", spec)
    _require(fact_orders, [_CUSTOMER, "date_key"], spec.name, "fact_orders")
    active = _customer_months(fact_orders)
    with_first = active.join(_first_months(active), on=_CUSTOMER, how="inner")
    customer, first = F.col(_CUSTOMER), F.col("first_index")
    return (
        _month_spine(active)
        .join(with_first, on=_MONTH, how="left")
        .groupBy(_MONTH)
        .agg(
            F.count(customer).alias("active_customers"),
            F.count(F.when(F.col(_MONTH) == first, customer)).alias("new_customers"),
            F.count(F.when(F.col(_MONTH) > first, customer)).alias("returning_customers"),
        )
        .select(
            _year(F.col(_MONTH)).alias("year"),
            _month(F.col(_MONTH)).alias("month"),
            "active_customers",
            "new_customers",
            "returning_customers",
        )
        .transform(conform_to(spec))
    )


def mart_cohort_retention(fact_orders: DataFrame, *, spec: TableSpec | None = None) -> DataFrame:
    """Share of each monthly cohort active 0 to 6 months after its first order month.

    The cohort of a customer is the month of the first order. For each cohort and each
    ``months_since_first`` from 0 to :data:`RETENTION_MONTHS` there is one row with the cohort size,
    the members active in that month and ``retention_pct`` = 100 × active / size rounded to 2 places.
    Months after the last order month are left out (not observed yet), not shown as 0.

    Parameters
    ----------
    fact_orders : DataFrame
        The order fact, with ``customer_key`` and ``date_key``.
    spec : TableSpec, optional
        The mart's definition; defaults to ``mart_cohort_retention`` of the packaged ``marts.json``.

    Examples
    --------
    >>> orders = spark.createDataFrame([(1, 20250105), (2, 20250110), (1, 20250203)],
    ...     "customer_key int, date_key int")
    >>> [(r.months_since_first, r.active_customers, r.retention_pct)
    ...  for r in mart_cohort_retention(orders).orderBy("months_since_first").collect()]
    [(0, 2, Decimal('100.00')), (1, 1, Decimal('50.00'))]
    """
    spec = _spec("mart_cohort_retention", spec)
    _require(fact_orders, [_CUSTOMER, "date_key"], spec.name, "fact_orders")
    active = _customer_months(fact_orders)
    firsts = _first_months(active)
    cohorts = firsts.groupBy("first_index").agg(F.count(F.lit(1)).alias("cohort_size"))
    last = active.agg(F.max(_MONTH).alias("_last"))
    # Offsets 0..6, cut at the last order month: the cohort's first month is never after it.
    offsets = F.sequence(F.lit(0), F.least(F.lit(RETENTION_MONTHS), F.col("_last") - F.col("first_index")))
    grid = cohorts.join(F.broadcast(last), how="cross").select(
        "first_index", "cohort_size", F.explode(offsets).alias("months_since_first")
    )
    since_first = F.col(_MONTH) - F.col("first_index")
    retained = (
        active.join(firsts, on=_CUSTOMER, how="inner")
        .filter(since_first.between(0, RETENTION_MONTHS))
        .groupBy("first_index", since_first.alias("months_since_first"))
        .agg(F.count(F.lit(1)).alias("active_customers"))
    )
    active_customers = F.coalesce(F.col("active_customers"), F.lit(0))
    return (
        grid.join(retained, on=["first_index", "months_since_first"], how="left")
        .select(
            _year(F.col("first_index")).alias("cohort_year"),
            _month(F.col("first_index")).alias("cohort_month"),
            "months_since_first",
            "cohort_size",
            active_customers.alias("active_customers"),
            _rounded_pct(active_customers, F.col("cohort_size")).alias("retention_pct"),
        )
        .transform(conform_to(spec))
    )


def mart_monthly_churn(fact_orders: DataFrame, *, spec: TableSpec | None = None) -> DataFrame:
    """Customers active in the month before who placed no order this month, per spine month.

    ``churned_customers`` over ``customers_prev_month``, as ``churn_rate_pct`` rounded to 2 places
    (null when the month before had no active customers). The first month has no month before it
    and no row, so a single month of orders gives an empty mart.

    Parameters
    ----------
    fact_orders : DataFrame
        The order fact, with ``customer_key`` and ``date_key``.
    spec : TableSpec, optional
        The mart's definition; defaults to ``mart_monthly_churn`` of the packaged ``marts.json``.

    Examples
    --------
    >>> orders = spark.createDataFrame([(1, 20250105), (2, 20250110), (1, 20250203)],
    ...     "customer_key int, date_key int")
    >>> row = mart_monthly_churn(orders).first()
    >>> (row.month, row.customers_prev_month, row.churned_customers, row.churn_rate_pct)
    (2, 2, 1, Decimal('50.00'))
    """
    spec = _spec("mart_monthly_churn", spec)
    _require(fact_orders, [_CUSTOMER, "date_key"], spec.name, "fact_orders")
    active = _customer_months(fact_orders)
    # LAG as an equi-join: a customer active in month m - 1 is a row of month m of ``previous``.
    previous = active.select(F.col(_CUSTOMER).alias("_previous_customer"), (F.col(_MONTH) + F.lit(1)).alias(_MONTH))
    still_active = active.select(
        F.col(_CUSTOMER).alias("_previous_customer"), F.col(_MONTH), F.lit(True).alias("_still_active")
    )
    customer = F.col("_previous_customer")
    churned = F.count(F.when(F.col("_still_active").isNull(), customer))
    return (
        _month_spine(active, skip_first=True)
        .join(previous, on=_MONTH, how="left")
        .join(still_active, on=[_MONTH, "_previous_customer"], how="left")
        .groupBy(_MONTH)
        .agg(F.count(customer).alias("customers_prev_month"), churned.alias("churned_customers"))
        .select(
            _year(F.col(_MONTH)).alias("year"),
            _month(F.col(_MONTH)).alias("month"),
            "customers_prev_month",
            "churned_customers",
            _rounded_pct(F.col("churned_customers"), F.col("customers_prev_month")).alias("churn_rate_pct"),
        )
        .transform(conform_to(spec))
    )


def build_marts(
    fact_orders: DataFrame,
    fact_order_items: DataFrame,
    dim_product: DataFrame,
    *,
    marts: StarSchema | None = None,
) -> dict[str, DataFrame]:
    """Every json_orders mart, by name, in the order of :data:`MART_NAMES`.

    Parameters
    ----------
    fact_orders, fact_order_items, dim_product : DataFrame
        The json_orders star tables (accepted orders, newest versions).
    marts : StarSchema, optional
        The mart definitions, e.g. ``load_marts(directory=...)``; defaults to the packaged
        ``marts.json``. It must define every mart of :data:`MART_NAMES`.

    Returns
    -------
    dict of str to DataFrame
        Lazy frames; nothing is computed until they are written.

    Raises
    ------
    ConfigurationError
        If ``marts`` lacks one of the marts.

    Examples
    --------
    >>> list(build_marts(fact_orders, fact_order_items, dim_product))  # doctest: +SKIP
    ['mart_monthly_revenue', 'mart_category_sales', 'mart_monthly_active_customers', ...]
    """
    schema = marts if marts is not None else _packaged_marts()
    specs: Mapping[str, TableSpec] = {name: schema.table(name) for name in MART_NAMES}
    return {
        "mart_monthly_revenue": mart_monthly_revenue(fact_orders, spec=specs["mart_monthly_revenue"]),
        "mart_category_sales": mart_category_sales(fact_order_items, dim_product, spec=specs["mart_category_sales"]),
        "mart_monthly_active_customers": mart_monthly_active_customers(
            fact_orders, spec=specs["mart_monthly_active_customers"]
        ),
        "mart_cohort_retention": mart_cohort_retention(fact_orders, spec=specs["mart_cohort_retention"]),
        "mart_monthly_churn": mart_monthly_churn(fact_orders, spec=specs["mart_monthly_churn"]),
    }
