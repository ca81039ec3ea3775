"""Finance dimensions from accepted rows: a member's latest attributes, ties and missing timestamps."""

from __future__ import annotations

from pyspark.sql import SparkSession

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
