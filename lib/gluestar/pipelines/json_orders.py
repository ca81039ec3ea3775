"""The JSON orders pipeline: monthly nested order files in, order and item facts plus marts out.

``orders_YYYY_MM.json`` (JSON Lines: one order per line with a ``customer`` object, a ``payments``
array and an ``items`` array) is read and validated by :mod:`gluestar.json_source` against
``schemas/json_orders/orders.json``: unknown fields are ignored and counted, a missing optional field
reads as null, and a malformed line, a missing required field, an empty ``items`` array or payments
that do not add up to the items quarantine the order. The newest ``updated_at`` of an order wins
(null is the oldest), and an order belongs to the month of its ``order_date``, not of its file.

Flattening is native Spark (``posexplode`` and higher-order functions, no UDF):

* ``fact_orders``: one row per order with its item count, units, totals, payment count and
  ``primary_payment_method`` (the method of the largest payment; the first listed on a tie);
* ``fact_order_items``: one row per item, ``line_number`` its 1-based position in ``items``.

The marts of ``schemas/json_orders/marts.json`` (:mod:`gluestar.marts`) are rebuilt whole from the
complete facts by every run and published with them, for Athena; Redshift has them as views.

Examples
--------
>>> from gluestar.pipelines import run_pipeline
>>> run_pipeline("json_orders", spark, "data/raw/json_orders", "/tmp/out")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gluestar.columns import date_key
from gluestar.contracts import TableSpec
from gluestar.dimensions import conform_to
from gluestar.facts import lookup_key
from gluestar.marts import build_marts, load_marts
from gluestar.pipelines.runner import FILE_SEQ_COLUMN, PipelineRun
from gluestar.pipelines.star import StarInputs, StarPipeline, type1_dimension

__all__ = [
    "JSON_ORDERS",
    "build_dimensions",
    "build_facts",
    "build_order_marts",
    "order_items",
    "primary_payment_method",
]

_PARTITIONS = ("order_year", "order_month")
_LATEST = ["updated_at", FILE_SEQ_COLUMN]


def primary_payment_method(payments: Column) -> Column:
    """The method of the largest payment of an array of ``{method, amount}``; the first listed on a tie.

    Examples
    --------
    >>> df = spark.createDataFrame([([("Card", 10), ("Cash", 30), ("Gift", 30)],)],
    ...     "p array<struct<method:string,amount:int>>")
    >>> df.select(primary_payment_method(F.col("p")).alias("m")).first().m
    'Cash'
    """
    largest = F.array_max(F.transform(payments, lambda p: p["amount"]))
    return F.filter(payments, lambda p: p["amount"] == largest)[0]["method"]


def order_items(orders: DataFrame) -> DataFrame:
    """One row per item of each order: the order's columns plus ``line_number`` (1-based) and the item's fields.

    Examples
    --------
    >>> df = spark.createDataFrame([("O1", [("A", 2), ("B", 1)])],
    ...     "order_id string, items array<struct<sku:string,quantity:int>>")
    >>> [(r.line_number, r.sku) for r in order_items(df).collect()]
    [(1, 'A'), (2, 'B')]
    """
    exploded = orders.select("*", F.posexplode("items").alias("_position", "_item"))
    return exploded.select(
        *[c for c in orders.columns if c != "items"],
        (F.col("_position") + F.lit(1)).alias("line_number"),
        "_item.*",
    )


def _total(amounts: Column) -> Column:
    """The sum of an array of amounts, as ``decimal(28,2)`` (wide enough for any order)."""
    money = "decimal(28,2)"
    return F.aggregate(amounts, F.lit(0).cast(money), lambda total, amount: (total + amount).cast(money))


def _partitions(order_date: str = "order_date") -> dict[str, Column]:
    return {_PARTITIONS[0]: F.year(order_date).cast("int"), _PARTITIONS[1]: F.month(order_date).cast("int")}


def build_dimensions(inputs: StarInputs) -> dict[str, DataFrame]:
    """``dim_customer`` (name and country of the newest order) and ``dim_product``."""
    star, existing, new = inputs.star, inputs.existing, inputs.new
    customers = new.select(
        F.col("customer.id").alias("customer_id"),
        F.col("customer.name").alias("customer_name"),
        F.col("customer.country").alias("country"),
        *_LATEST,
    )
    products = order_items(new.select("items", *_LATEST)).select(
        "sku", F.col("name").alias("product_name"), "category", *_LATEST, "line_number"
    )
    return {
        "dim_customer": type1_dimension(
            star.table("dim_customer"), customers, existing.get("dim_customer"), order_by=_LATEST
        ),
        "dim_product": type1_dimension(
            star.table("dim_product"), products, existing.get("dim_product"), order_by=[*_LATEST, "line_number"]
        ),
    }


def build_facts(inputs: StarInputs, dimensions: Mapping[str, DataFrame]) -> dict[str, DataFrame]:
    """``fact_orders`` and ``fact_order_items`` of the rebuilt months."""
    star = inputs.star
    orders = (
        inputs.rows.withColumn("customer_id", F.col("customer.id"))
        .transform(lookup_key(dimensions["dim_customer"], "customer_key", {"customer_id": "customer_id"}))
        .withColumn("date_key", date_key(F.col("order_date")))
        .withColumns(_partitions())
        .withColumns(dict(inputs.audit))
    )
    fact_orders = orders.select(
        "*",
        F.size("items").alias("item_count"),
        F.aggregate(F.transform("items", lambda i: i["quantity"]), F.lit(0), lambda a, q: a + q).alias("units"),
        _total(F.transform("items", lambda i: i["quantity"] * i["unit_price"])).alias("order_total"),
        _total(F.transform("payments", lambda p: p["amount"])).alias("payment_total"),
        F.size("payments").alias("payment_count"),
        primary_payment_method(F.col("payments")).alias("primary_payment_method"),
    ).transform(conform_to(star.table("fact_orders")))
    fact_items = (
        order_items(orders.select("order_id", "items", "date_key", "customer_key", *_PARTITIONS, *inputs.audit))
        .transform(lookup_key(dimensions["dim_product"], "product_key", {"sku": "sku"}))
        .withColumn("line_total", F.col("quantity") * F.col("unit_price"))
        .transform(conform_to(star.table("fact_order_items")))
    )
    return {"fact_orders": fact_orders, "fact_order_items": fact_items}


def build_order_marts(
    run: PipelineRun, facts: Mapping[str, DataFrame], dimensions: Mapping[str, DataFrame]
) -> dict[str, tuple[TableSpec, DataFrame]]:
    """The marts of ``marts.json`` from the complete facts, each with its table spec."""
    marts = load_marts(run.pipeline, directory=run.options.schemas_dir)
    frames = build_marts(facts["fact_orders"], facts["fact_order_items"], dimensions["dim_product"], marts=marts)
    return {name: (marts.table(name), frame) for name, frame in frames.items()}


#: The JSON orders pipeline, for :func:`gluestar.pipelines.star.run_star_pipeline`.
JSON_ORDERS = StarPipeline(
    name="json_orders",
    source="orders",
    month_of="order_date",
    dimensions=build_dimensions,
    facts=build_facts,
    marts=build_order_marts,
)
