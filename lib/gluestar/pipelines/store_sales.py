"""The store sales pipeline: daily product sales extracts in, ``dim_product`` and ``fact_sales`` out.

``store_sales*.csv`` (``Date, Product, Category, Units_Sold, Unit_Price, Total_Sales``) is checked
by ``schemas/store_sales/sales.json``: a row whose ``Total_Sales`` is not ``Units_Sold * Unit_Price``
within one cent is quarantined (a wrong total is a wrong fact, and a flag on a published row would
still be summed by every dashboard); negative units are returns and are kept (``is_return``). A
later file's row for the same date and product replaces the earlier one.

Examples
--------
>>> from gluestar.pipelines import run_pipeline
>>> run_pipeline("store_sales", spark, "data/raw/store_sales", "/tmp/out").reconciles  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluestar.columns import date_key
from gluestar.dimensions import conform_to
from gluestar.facts import lookup_key, year_month_partitions
from gluestar.pipelines.runner import FILE_SEQ_COLUMN
from gluestar.pipelines.star import StarInputs, StarPipeline, type1_dimension

__all__ = ["STORE_SALES", "build_dimensions", "build_facts"]


def build_dimensions(inputs: StarInputs) -> dict[str, DataFrame]:
    """``dim_product`` (category of the product's latest row)."""
    star, existing = inputs.star, inputs.existing
    products = inputs.new.select(F.col("product").alias("product_name"), "category", FILE_SEQ_COLUMN, "date")
    return {
        "dim_product": type1_dimension(
            star.table("dim_product"), products, existing.get("dim_product"), order_by=[FILE_SEQ_COLUMN, "date"]
        ),
    }


def build_facts(inputs: StarInputs, dimensions: Mapping[str, DataFrame]) -> dict[str, DataFrame]:
    """``fact_sales``: one row per date and product of the rebuilt months."""
    fact = (
        inputs.rows.transform(lookup_key(dimensions["dim_product"], "product_key", {"product": "product_name"}))
        .withColumn("date_key", date_key(F.col("date")))
        .withColumn("is_return", F.col("units_sold") < F.lit(0))
        .transform(year_month_partitions("date"))
        .withColumns(dict(inputs.audit))
        .transform(conform_to(inputs.star.table("fact_sales")))
    )
    return {"fact_sales": fact}


#: The store sales pipeline, for :func:`gluestar.pipelines.star.run_star_pipeline`.
STORE_SALES = StarPipeline(
    name="store_sales", source="sales", month_of="date", dimensions=build_dimensions, facts=build_facts
)
