"""Finance dimensions from accepted rows: a member's latest attributes, ties and missing timestamps."""

from __future__ import annotations

from chispa import assert_df_equality
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from gluestar.contracts import load_star_schema
from gluestar.pipelines.finance import build_dimensions, transaction_members

TRANSACTIONS = (
    "transaction_id string, transaction_date date, department_code string, department_name string, "
    "business_unit string, account_number string, account_name string, account_type string, "
    "category string, last_modified timestamp"
)
BUDGETS = (
    "month_date date, department_code string, account_number string, scenario_name string, budget_amount decimal(18,2)"
)


def test_a_member_takes_the_attributes_of_its_latest_row(spark: SparkSession) -> None:
    day = "CAST('2025-01-05' AS date)"
    rows = [
        # D1: a newer name at the latest timestamp wins over an older one and a row without one;
        # two rows share the latest timestamp, the greater id breaks the tie.
        ("T1", "D1", "Old", None),
        ("T2", "D1", "Older", "2025-01-01 00:00:00"),
        ("T3", "D1", "Tie low", "2025-01-03 00:00:00"),
        ("T4", "D1", "Tie high", "2025-01-03 00:00:00"),
        # D2: no row has a timestamp: the greatest id wins.
        ("T5", "D2", "First", None),
        ("T6", "D2", "Second", None),
    ]
    transactions = spark.createDataFrame(
        [(i, d, name, ts) for i, d, name, ts in rows], "transaction_id string, d string, name string, ts string"
    ).selectExpr(
        "transaction_id",
        f"{day} AS transaction_date",
        "d AS department_code",
        "name AS department_name",
        "'Corporate' AS business_unit",
        "'6000' AS account_number",
        "name AS account_name",
        "'Expense' AS account_type",
        "'Personnel' AS category",
        "CAST(ts AS timestamp) AS last_modified",
    )
    budgets = spark.createDataFrame([], BUDGETS)
    star = load_star_schema("finance")

    dimensions = build_dimensions(transaction_members(transactions, star), budgets, star, {})

    departments = {r.department_code: r.department_name for r in dimensions["dim_department"].collect()}
    accounts = {r.account_number: r.account_name for r in dimensions["dim_account"].collect()}
    assert departments == {"D1": "Tie high", "D2": "Second", None: "Unknown"}  # None: the unknown member
    assert accounts == {"6000": "Tie high", None: "Unknown"}


def test_transaction_members_match_the_greatest_row_of_every_pair(spark: SparkSession) -> None:
    rows = [
        ("T1", "2025-01-02", "D1", "Ops", "4000", "Sales", "2025-01-03 00:00:00"),
        ("T2", "2025-02-02", "D1", "Ops 2", "4000", "Sales 2", "2025-01-03 00:00:00"),  # same time, greater id
        ("T0", "2025-03-01", "D1", "Ops 0", "4000", "Sales 0", None),
        ("T3", "2025-01-09", "D1", "Ops 3", "5000", "COGS", "2025-01-04 00:00:00"),
        ("T4", "2025-01-01", "D2", "HR", "5000", "COGS 2", None),  # a pair without any timestamp
        ("T5", "2025-01-05", "D2", "HR 2", "5000", "COGS 3", None),
        ("T6", "2025-04-01", None, "No code", "5000", "COGS 4", "2025-04-01 00:00:00"),  # a null key
    ]
    transactions = spark.createDataFrame(
        rows, "transaction_id string, d string, dc string, dn string, an string, a string, ts string"
    ).selectExpr(
        "transaction_id",
        "CAST(d AS date) AS transaction_date",
        "dc AS department_code",
        "dn AS department_name",
        "'BU' AS business_unit",
        "an AS account_number",
        "a AS account_name",
        "'Expense' AS account_type",
        "'C' AS category",
        "CAST(ts AS timestamp) AS last_modified",
    )
    star = load_star_schema("finance")

    members = transaction_members(transactions, star)

    expected = transactions.groupBy("department_code", "account_number").agg(
        F.max(F.struct("last_modified", "transaction_id", "department_name", "business_unit")).alias("_department"),
        F.max(F.struct("last_modified", "transaction_id", "account_name", "account_type", "category")).alias(
            "_account"
        ),
        F.min("transaction_date").alias("first_date"),
        F.max("transaction_date").alias("last_date"),
    )
    assert_df_equality(members, expected, ignore_row_order=True)
    names = {(r.department_code, r.account_number): r._department.department_name for r in members.collect()}
    assert names == {
        ("D1", "4000"): "Ops 2",
        ("D1", "5000"): "Ops 3",
        ("D2", "5000"): "HR 2",
        (None, "5000"): "No code",
    }
