"""The customer transactions pipeline: purchases with demographics in, a type-2 customer star out.

``customer_transactions*.csv`` is checked by ``schemas/customer_transactions/transactions.json``:
ages 18-120 as integers, genders and payment methods from their lists, yes/no flags as booleans,
ratings 1-5; a customer whose age, gender or repeat flag differ within one day is quarantined
(every row of that day: a flag beats a guess).

``dim_customer`` is a type-2 slowly changing dimension (``scd`` in ``star.json``) tracking the age
group (``derived`` bins of the age), the gender and the repeat flag; its versions are rebuilt from
*every* purchase of each customer the run touches, and every month holding a purchase of such a
customer is rebuilt, so each fact points at the version valid on its purchase date (see
:mod:`gluestar.scd`).

Examples
--------
>>> from gluestar.pipelines import run_pipeline
>>> run_pipeline("customer_transactions", spark, "data/raw/customer_transactions", "/tmp/out")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluestar.columns import date_key
from gluestar.contracts import TableSpec
from gluestar.dimensions import bin_label, conform_to
from gluestar.exceptions import ConfigurationError
from gluestar.facts import lookup_key, year_month_partitions
from gluestar.pipelines.runner import FILE_SEQ_COLUMN
from gluestar.pipelines.star import StarInputs, StarPipeline, type1_dimension
from gluestar.scd import Scd2Spec, conform_scd2_dimension, point_in_time_key, scd2_versions

__all__ = ["CUSTOMER_TRANSACTIONS", "build_dimensions", "build_facts", "customer_history", "customer_versions"]

_CUSTOMER = "customer_id"


def _scd(table: TableSpec) -> Scd2Spec:
    if table.scd is None:
        raise ConfigurationError(f"{table.name}: star.json declares no 'scd' settings")
    return Scd2Spec.from_dict(table.scd)


def customer_history(new: DataFrame, state: DataFrame) -> DataFrame:
    """Every accepted purchase (``state``) of the customers with a purchase in this run (``new``)."""
    return state.join(new.select(_CUSTOMER).distinct(), on=_CUSTOMER, how="left_semi")


def customer_versions(table: TableSpec, purchases: DataFrame, existing: DataFrame | None) -> DataFrame:
    """``dim_customer``: the versions of the customers of ``purchases`` (complete histories) merged into ``existing``.

    Examples
    --------
    >>> import datetime as dt
    >>> from gluestar.contracts import load_star_schema
    >>> table = load_star_schema("customer_transactions").table("dim_customer")
    >>> rows = spark.createDataFrame([("C1", dt.date(2025, 1, 10), 24, "Female", False),
    ...     ("C1", dt.date(2025, 3, 10), 25, "Female", False)],
    ...     "customer_id string, purchase_date date, age int, gender string, repeat_customer boolean")
    >>> sorted((r.customer_key, r.age_group) for r in customer_versions(table, rows, None).collect())
    [(-1, None), (1, '18-24'), (2, '25-34')]
    """
    spec = _scd(table)
    derived = table.derived.get("age_group")
    if derived is None:
        raise ConfigurationError(f"{table.name}: star.json declares no 'derived' age_group bins")
    observations = purchases.select(
        _CUSTOMER,
        "purchase_date",
        bin_label(F.col(derived["from"]), derived["bins"]).alias("age_group"),
        "gender",
        F.col("repeat_customer").alias("is_repeat_customer"),
    )
    return observations.transform(scd2_versions(spec, "purchase_date")).transform(
        conform_scd2_dimension(table, spec, existing=existing)
    )


def build_dimensions(inputs: StarInputs) -> dict[str, DataFrame]:
    """The type-2 ``dim_customer`` and the type-1 city, product and payment method."""
    star, existing, new = inputs.star, inputs.existing, inputs.new
    latest = [FILE_SEQ_COLUMN, "purchase_date"]
    return {
        "dim_customer": customer_versions(star.table("dim_customer"), inputs.history, existing.get("dim_customer")),
        "dim_city": type1_dimension(star.table("dim_city"), new.select("city"), existing.get("dim_city")),
        "dim_product": type1_dimension(
            star.table("dim_product"), new.select("category", "product_name"), existing.get("dim_product")
        ),
        "dim_payment_method": type1_dimension(
            star.table("dim_payment_method"),
            new.select("payment_method", *latest),
            existing.get("dim_payment_method"),
            order_by=latest,
        ),
    }


def build_facts(inputs: StarInputs, dimensions: Mapping[str, DataFrame]) -> dict[str, DataFrame]:
    """``fact_orders``: one row per purchase of the rebuilt months, keyed to the customer version of its date."""
    customers = dimensions["dim_customer"]
    spec = _scd(inputs.star.table("dim_customer"))
    fact = (
        inputs.rows.transform(
            point_in_time_key(customers, "customer_key", {_CUSTOMER: _CUSTOMER}, "purchase_date", spec)
        )
        .transform(lookup_key(dimensions["dim_city"], "city_key", {"city": "city"}))
        .transform(
            lookup_key(
                dimensions["dim_product"], "product_key", {"category": "category", "product_name": "product_name"}
            )
        )
        .transform(
            lookup_key(dimensions["dim_payment_method"], "payment_method_key", {"payment_method": "payment_method"})
        )
        .withColumn("date_key", date_key(F.col("purchase_date")))
        .transform(year_month_partitions("purchase_date"))
        .withColumns(dict(inputs.audit))
        .transform(conform_to(inputs.star.table("fact_orders")))
    )
    return {"fact_orders": fact}


#: The customer transactions pipeline, for :func:`gluestar.pipelines.star.run_star_pipeline`.
CUSTOMER_TRANSACTIONS = StarPipeline(
    name="customer_transactions",
    source="transactions",
    month_of="purchase_date",
    dimensions=build_dimensions,
    facts=build_facts,
    related=customer_history,
)
