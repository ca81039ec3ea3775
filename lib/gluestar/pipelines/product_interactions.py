"""The product interactions pipeline: events in, ``fact_events`` with users, items and event types out.

``events*.csv`` (``user_id, item_id, event_type, timestamp``) is checked by
``schemas/product_interactions/events.json``: the timestamp is epoch seconds (UTC), an event type
outside VIEW, ADD_TO_CART and PURCHASE is quarantined, and identical events (every column equal)
collapse to one. ``dim_event_type`` is static: its members and keys are fixed in ``star.json``
(``members``), with the funnel step the conversion views use.

Examples
--------
>>> from gluestar.pipelines import run_pipeline
>>> run_pipeline("product_interactions", spark, "data/raw/product_interactions", "/tmp/out")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluestar.columns import date_key
from gluestar.dimensions import conform_to
from gluestar.facts import lookup_key, year_month_partitions
from gluestar.pipelines.star import StarInputs, StarPipeline, static_dimension, type1_dimension

__all__ = ["PRODUCT_INTERACTIONS", "build_dimensions", "build_facts"]


def build_dimensions(inputs: StarInputs) -> dict[str, DataFrame]:
    """``dim_user``, ``dim_item`` and the static ``dim_event_type``."""
    star, existing, new = inputs.star, inputs.existing, inputs.new
    event_types = star.table("dim_event_type")
    return {
        "dim_user": type1_dimension(star.table("dim_user"), new.select("user_id"), existing.get("dim_user")),
        "dim_item": type1_dimension(star.table("dim_item"), new.select("item_id"), existing.get("dim_item")),
        "dim_event_type": static_dimension(new.sparkSession, event_types, event_types.members),
    }


def build_facts(inputs: StarInputs, dimensions: Mapping[str, DataFrame]) -> dict[str, DataFrame]:
    """``fact_events``: one row per distinct event of the rebuilt months, with its date and time of day."""
    fact = (
        inputs.rows.transform(lookup_key(dimensions["dim_user"], "user_key", {"user_id": "user_id"}))
        .transform(lookup_key(dimensions["dim_item"], "item_key", {"item_id": "item_id"}))
        .transform(lookup_key(dimensions["dim_event_type"], "event_type_key", {"event_type": "event_type"}))
        .withColumn("event_timestamp", F.col("timestamp"))
        .withColumn("date_key", date_key(F.to_date("event_timestamp")))
        .withColumn("time_of_day", F.date_format("event_timestamp", "HH:mm:ss"))
        .withColumn("hour_of_day", F.hour("event_timestamp"))
        .transform(year_month_partitions("event_timestamp"))
        .withColumns(dict(inputs.audit))
        .transform(conform_to(inputs.star.table("fact_events")))
    )
    return {"fact_events": fact}


#: The product interactions pipeline, for :func:`gluestar.pipelines.star.run_star_pipeline`.
PRODUCT_INTERACTIONS = StarPipeline(
    name="product_interactions",
    source="events",
    month_of="timestamp",
    dimensions=build_dimensions,
    facts=build_facts,
)
