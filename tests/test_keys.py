"""Tests of gluestar.keys: distributed row numbering and stable surrogate keys."""

from __future__ import annotations

import re

import pytest
from chispa import assert_df_equality
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
    ordered = [(None, 5), ("a", 1), ("a", 2), ("b", None), ("b", 1), ("c", 1), ("f", 3), ("h", 1), ("k", 2), ("m", 1)]
    shuffled = [ordered[i] for i in (6, 2, 9, 0, 4, 7, 1, 8, 3, 5)]
    rows = spark.createDataFrame(shuffled, "code string, part int").repartition(3)
    expected = spark.createDataFrame(
        [(code, part, n) for n, (code, part) in enumerate(ordered, start=10)], "code string, part int, n int"
    )
    assert_df_equality(
        rows.transform(number_rows(["code", "part"], "n", start=10)),
        expected,
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_number_rows_needs_an_order():
    with pytest.raises(SchemaContractError, match=f"^{re.escape('number_rows needs at least one order_by column')}$"):
        number_rows([], "n")


MEMBERS = "key int, code string, name string"


@pytest.fixture(scope="module")
def first_run(spark):
    """The first run: no published dimension yet; members not in natural-key order."""
    members = spark.createDataFrame([("IT", None), ("FIN", "Finance"), ("HR", "People")], "code string, name string")
    published = members.transform(assign_surrogate_keys("key", ["code"])).cache()
    yield published
    published.unpersist()


@pytest.fixture(scope="module")
def second_run(spark, first_run):
    """The next run over the published dimension (plus its unknown member); members carry a stale key column."""
    existing = first_run.unionByName(spark.createDataFrame([(-1, None, "Unknown")], MEMBERS))
    members = spark.createDataFrame(
        [(99, "OPS", "Operations"), (99, "HR", "People"), (None, "ACC", "Accounting"), (99, "FIN", "Finance")], MEMBERS
    )
    keyed = members.transform(assign_surrogate_keys("key", ["code"], existing=existing)).cache()
    yield keyed
    keyed.unpersist()


def test_assign_surrogate_keys_numbers_fresh_members_from_1_in_natural_key_order(spark, first_run):
    expected = spark.createDataFrame([(1, "FIN", "Finance"), (2, "HR", "People"), (3, "IT", None)], MEMBERS)
    assert_df_equality(first_run, expected, ignore_row_order=True, ignore_nullable=True)


def test_assign_surrogate_keys_existing_members_keep_their_keys_over_runs(spark, second_run):
    expected = spark.createDataFrame([(1, "FIN", "Finance"), (2, "HR", "People")], MEMBERS)
    assert_df_equality(
        second_run.filter(F.col("code").isin("FIN", "HR")), expected, ignore_row_order=True, ignore_nullable=True
    )


def test_assign_surrogate_keys_numbers_new_members_above_the_maximum_in_natural_key_order(spark, second_run):
    expected = spark.createDataFrame([(4, "ACC", "Accounting"), (5, "OPS", "Operations")], MEMBERS)
    assert_df_equality(
        second_run.filter(F.col("code").isin("ACC", "OPS")), expected, ignore_row_order=True, ignore_nullable=True
    )


def test_assign_surrogate_keys_ignores_the_unknown_member_for_the_maximum(spark):
    existing = spark.createDataFrame([(-1, "Unknown")], "key int, code string")
    members = spark.createDataFrame([("B",), ("A",)], "code string")
    expected = spark.createDataFrame([(1, "A"), (2, "B")], "key int, code string")
    assert_df_equality(
        members.transform(assign_surrogate_keys("key", ["code"], existing=existing)),
        expected,
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_assign_surrogate_keys_puts_the_key_first(spark):
    members = spark.createDataFrame([], "code string, name string")
    assert members.transform(assign_surrogate_keys("key", ["code"])).columns == ["key", "code", "name"]


def test_assign_surrogate_keys_names_the_missing_natural_key_columns(spark):
    members = spark.createDataFrame([], "name string")
    message = "assign_surrogate_keys: missing natural key column(s): code"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        members.transform(assign_surrogate_keys("key", ["code"]))
