"""Tests of gluestar.facts: surrogate-key lookups and partition columns."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from gluestar.exceptions import SchemaContractError
from gluestar.facts import lookup_key, year_month_partitions

ACCOUNTS = "account_key int, account_number string, account_type string"


@pytest.fixture(scope="module")
def accounts(spark):
    return spark.createDataFrame([(-1, None, "Unknown"), (1, "4000", "Revenue"), (2, "5000", "Expense")], ACCOUNTS)


def test_lookup_key_adds_the_member_key_and_falls_back_to_the_unknown_member(spark, accounts):
    facts = spark.createDataFrame(
        [("T1", "4000", 1), ("T2", "5000", 2), ("T3", "9999", -1), ("T4", None, -1)],
        "id string, account_number string, expected int",
    )
    keyed = facts.transform(lookup_key(accounts, "account_key", {"account_number": "account_number"}))
    assert keyed.columns == ["id", "account_number", "expected", "account_key"]
    assert_column_equality(keyed, "account_key", "expected")


def test_lookup_key_brings_attributes_along_null_for_the_unknown_member(spark, accounts):
    facts = spark.createDataFrame(
        [("T1", "4000", "Revenue", 1), ("T2", "9999", None, -1)], "id string, acct string, type string, key int"
    )
    keyed = facts.transform(
        lookup_key(accounts, "account_key", {"acct": "account_number"}, attributes={"account_type": "_type"})
    )
    assert keyed.columns == ["id", "acct", "type", "key", "_type", "account_key"]
    compared = keyed.select(
        F.struct("_type", "account_key").alias("actual"),
        F.struct(F.col("type").alias("_type"), F.col("key").alias("account_key")).alias("expected"),
    )
    assert_column_equality(compared, "actual", "expected")


def test_lookup_key_matches_every_column_of_a_composite_natural_key(spark):
    dimension = spark.createDataFrame([(1, "2025", "A"), (2, "2024", "A")], "k int, year string, code string")
    facts = spark.createDataFrame(
        [("2024", "A", 2), ("2025", "B", -1), ("2025", "A", 1)], "fact_year string, fact_code string, expected int"
    )
    keyed = facts.transform(lookup_key(dimension, "k", {"fact_year": "year", "fact_code": "code"}))
    assert_column_equality(keyed, "k", "expected")


def test_lookup_key_names_the_missing_fact_columns(spark, accounts):
    facts = spark.createDataFrame([], "id string")
    message = "lookup of account_key: fact column(s) missing: account_number"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        facts.transform(lookup_key(accounts, "account_key", {"account_number": "account_number"}))


def test_lookup_key_refuses_to_overwrite_a_key_column(spark, accounts):
    facts = spark.createDataFrame([], "account_number string, account_key int")
    message = "lookup of account_key: the facts already have a column 'account_key'"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        facts.transform(lookup_key(accounts, "account_key", {"account_number": "account_number"}))


def test_year_month_partitions_adds_integer_year_and_month(spark):
    facts = spark.createDataFrame(
        [(dt.date(2025, 3, 7), 2025, 3), (dt.date(2024, 12, 31), 2024, 12)],
        "d date, expected_year int, expected_month int",
    )
    partitioned = facts.transform(year_month_partitions("d"))
    assert partitioned.columns == ["d", "expected_year", "expected_month", "year", "month"]
    compared = partitioned.select(
        F.struct("year", "month").alias("actual"),
        F.struct(F.col("expected_year").alias("year"), F.col("expected_month").alias("month")).alias("expected"),
    )
    assert_column_equality(compared, "actual", "expected")


def test_year_month_partitions_names_the_missing_column(spark):
    facts = spark.createDataFrame([], "id string")
    message = "year_month_partitions: missing column 'd'"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        facts.transform(year_month_partitions("d"))
