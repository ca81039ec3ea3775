"""Tests of gluestar.keys: distributed row numbering and stable surrogate keys."""

from __future__ import annotations

import re

import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from gluestar.exceptions import SchemaContractError
from gluestar.keys import assign_surrogate_keys, number_rows


@pytest.fixture
def three_range_partitions(spark):
    """Range-partition into 3 partitions that AQE does not coalesce, so numbering spans partitions."""
    settings = {"spark.sql.shuffle.partitions": "3", "spark.sql.adaptive.coalescePartitions.enabled": "false"}
    previous = {key: spark.conf.get(key) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    yield
    for key, value in previous.items():
        spark.conf.set(key, value)


def test_number_rows_is_consecutive_from_start_in_the_global_order_across_partitions(spark, three_range_partitions):
    # (code, part, expected number): the global order is code, then part, nulls first.
    rows = [
        ("f", 3, 16), ("a", 2, 12), ("m", 1, 19), (None, 5, 10), ("b", 1, 14),
        ("h", 1, 17), ("a", 1, 11), ("k", 2, 18), ("b", None, 13), ("c", 1, 15),
    ]  # fmt: skip
    numbered = (
        spark.createDataFrame(rows, "code string, part int, expected int")
        .repartition(3)
        .transform(number_rows(["code", "part"], "n", start=10))
    )
    assert_column_equality(numbered, "n", "expected")


def test_number_rows_needs_an_order():
    with pytest.raises(SchemaContractError, match=f"^{re.escape('number_rows needs at least one order_by column')}$"):
        number_rows([], "n")


# Members carry the key they must get in ``expected``, so each row checks itself whatever the order.
MEMBERS = "key int, code string, name string, expected int"


@pytest.fixture(scope="module")
def first_run(spark):
    """The first run: no published dimension yet; members not in natural-key order."""
    members = spark.createDataFrame(
        [("IT", None, 3), ("FIN", "Finance", 1), ("HR", "People", 2)], "code string, name string, expected int"
    )
    published = members.transform(assign_surrogate_keys("key", ["code"])).cache()
    yield published
    published.unpersist()


@pytest.fixture(scope="module")
def second_run(spark, first_run):
    """The next run over the published dimension and its unknown member; members carry a stale key."""
    existing = first_run.unionByName(spark.createDataFrame([(-1, None, "Unknown", None)], MEMBERS))
    members = spark.createDataFrame(
        [
            (99, "OPS", "Operations", 5),
            (99, "HR", "People", 2),
            (None, "ACC", "Accounting", 4),
            (99, "FIN", "Finance", 1),
        ],
        MEMBERS,
    )
    keyed = members.transform(assign_surrogate_keys("key", ["code"], existing=existing)).cache()
    yield keyed
    keyed.unpersist()


def test_assign_surrogate_keys_numbers_fresh_members_from_1_in_natural_key_order(first_run):
    assert_column_equality(first_run, "key", "expected")


def test_assign_surrogate_keys_existing_members_keep_their_keys_over_runs(second_run):
    assert_column_equality(second_run.filter(F.col("code").isin("FIN", "HR")), "key", "expected")


def test_assign_surrogate_keys_numbers_new_members_above_the_maximum_in_natural_key_order(second_run):
    assert_column_equality(second_run.filter(F.col("code").isin("ACC", "OPS")), "key", "expected")


def test_assign_surrogate_keys_ignores_the_unknown_member_for_the_maximum(spark):
    existing = spark.createDataFrame([(-1, "Unknown")], "key int, code string")
    members = spark.createDataFrame([("B", 2), ("A", 1)], "code string, expected int")
    assert_column_equality(
        members.transform(assign_surrogate_keys("key", ["code"], existing=existing)), "key", "expected"
    )


def test_assign_surrogate_keys_puts_the_key_first(spark):
    members = spark.createDataFrame([], "code string, name string")
    assert members.transform(assign_surrogate_keys("key", ["code"])).columns == ["key", "code", "name"]


def test_assign_surrogate_keys_names_the_missing_natural_key_columns(spark):
    members = spark.createDataFrame([], "name string")
    message = "assign_surrogate_keys: missing natural key column(s): code"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        members.transform(assign_surrogate_keys("key", ["code"]))
