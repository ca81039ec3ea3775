"""Tests of gluestar.variance: variance columns and the actual-versus-budget comparison."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from chispa import assert_column_equality, assert_df_equality
from pyspark.sql import functions as F

from gluestar.exceptions import SchemaContractError
from gluestar.variance import compare_to_budget, is_favorable, variance, variance_pct

MONEY = "decimal(28,2)"


def test_variance_is_actual_minus_budget_as_money(spark):
    cases = spark.createDataFrame(
        [
            (Decimal("110.00"), Decimal("100.00"), Decimal("10.00")),
            (Decimal("0.00"), Decimal("250.50"), Decimal("-250.50")),
            (Decimal("-30.00"), Decimal("-40.00"), Decimal("10.00")),
        ],
        f"actual {MONEY}, budget {MONEY}, expected {MONEY}",
    )
    actual = cases.withColumn("actual_variance", variance(F.col("actual"), F.col("budget")))
    assert actual.schema["actual_variance"].dataType.simpleString() == MONEY
    assert_column_equality(actual, "actual_variance", "expected")


def test_variance_pct_is_rounded_variance_over_the_absolute_budget(spark):
    cases = spark.createDataFrame(
        [
            (Decimal("10.00"), Decimal("100.00"), Decimal("0.1000")),
            (Decimal("1.00"), Decimal("3.00"), Decimal("0.3333")),
            (Decimal("2.00"), Decimal("3.00"), Decimal("0.6667")),
            (Decimal("-0.01"), Decimal("200.00"), Decimal("-0.0001")),
            (Decimal("0.01"), Decimal("400.00"), Decimal("0.0000")),
            (Decimal("10.00"), Decimal("-40.00"), Decimal("0.2500")),
            (Decimal("-5.00"), Decimal("-40.00"), Decimal("-0.1250")),
        ],
        f"variance {MONEY}, budget {MONEY}, expected decimal(38,4)",
    )
    actual = cases.withColumn("actual_pct", variance_pct(F.col("variance"), F.col("budget")))
    assert actual.schema["actual_pct"].dataType.simpleString() == "decimal(38,4)"
    assert_column_equality(actual, "actual_pct", "expected")


def test_variance_pct_is_null_when_the_budget_is_zero_or_missing(spark):
    cases = spark.createDataFrame(
        [
            (Decimal("10.00"), Decimal("0.00"), None),
            (Decimal("0.00"), Decimal("0.00"), None),
            (Decimal("1.00"), None, None),
        ],
        f"variance {MONEY}, budget {MONEY}, expected decimal(38,4)",
    )
    actual = cases.withColumn("actual_pct", variance_pct(F.col("variance"), F.col("budget")))
    assert_column_equality(actual, "actual_pct", "expected")


def test_is_favorable_for_revenue_expense_and_other_accounts(spark):
    cases = spark.createDataFrame(
        [
            ("Revenue", Decimal("5.00"), True),
            ("Revenue", Decimal("0.00"), True),
            ("Revenue", Decimal("-5.00"), False),
            ("Expense", Decimal("5.00"), False),
            ("Expense", Decimal("0.00"), True),
            ("Expense", Decimal("-5.00"), True),
            ("Asset", Decimal("5.00"), None),
            ("Unknown", Decimal("-5.00"), None),
            (None, Decimal("5.00"), None),
            ("revenue", Decimal("5.00"), None),
        ],
        f"account_type string, variance {MONEY}, expected boolean",
    )
    actual = cases.withColumn("actual_favorable", is_favorable(F.col("account_type"), F.col("variance")))
    assert_column_equality(actual, "actual_favorable", "expected")


# compare_to_budget -------------------------------------------------------------------------------

KEYS = ["month", "dept", "account"]
ACTUALS = f"month string, dept string, account string, actual_amount {MONEY}, transaction_count bigint"
BUDGETS = "month string, dept string, account string, scenario_name string, budget_amount decimal(18,2)"
OUTPUT = (
    f"month string, dept string, account string, scenario_name string, actual_amount {MONEY}, "
    f"budget_amount {MONEY}, transaction_count bigint"
)


@pytest.fixture(scope="module")
def compared(spark):
    actuals = spark.createDataFrame(
        [
            ("2025-01", "D1", "4000", Decimal("110.00"), 3),
            ("2025-01", "D2", "4000", Decimal("20.00"), 1),
        ],
        ACTUALS,
    )
    budgets = spark.createDataFrame(
        [
            ("2025-01", "D1", "4000", "Budget", Decimal("100.00")),
            ("2025-01", "D3", "5000", "Budget", Decimal("50.00")),
            ("2025-01", "D1", "4000", "Forecast", Decimal("105.00")),
            ("2025-01", "D1", "4000", "Stretch", Decimal("999.00")),
        ],
        BUDGETS,
    )
    scenarios = spark.createDataFrame([("Budget",), ("Forecast",)], "scenario_name string")
    result = actuals.transform(compare_to_budget(budgets, scenarios, keys=KEYS)).cache()
    yield result
    result.unpersist()


def test_compare_to_budget_pairs_actuals_with_every_scenario_zero_filling_both_sides(spark, compared):
    expected = spark.createDataFrame(
        [
            ("2025-01", "D1", "4000", "Budget", Decimal("110.00"), Decimal("100.00"), 3),
            ("2025-01", "D2", "4000", "Budget", Decimal("20.00"), Decimal("0.00"), 1),
            ("2025-01", "D3", "5000", "Budget", Decimal("0.00"), Decimal("50.00"), 0),
            ("2025-01", "D1", "4000", "Forecast", Decimal("110.00"), Decimal("105.00"), 3),
            ("2025-01", "D2", "4000", "Forecast", Decimal("20.00"), Decimal("0.00"), 1),
        ],
        OUTPUT,
    )
    assert_df_equality(compared, expected, ignore_row_order=True, ignore_nullable=True)


def test_compare_to_budget_output_columns_and_types(compared):
    assert [(f.name, f.dataType.simpleString()) for f in compared.schema] == [
        ("month", "string"),
        ("dept", "string"),
        ("account", "string"),
        ("scenario_name", "string"),
        ("actual_amount", MONEY),
        ("budget_amount", MONEY),
        ("transaction_count", "bigint"),
    ]


@pytest.mark.parametrize(
    ("lacking", "message"),
    [
        ("actuals", "compare_to_budget: actuals lack column(s): transaction_count"),
        ("budgets", "compare_to_budget: budgets lack column(s): scenario_name, budget_amount"),
        ("scenarios", "compare_to_budget: scenarios lack column(s): scenario_name"),
    ],
)
def test_compare_to_budget_names_what_an_input_lacks(spark, lacking, message):
    frames = {
        "actuals": spark.createDataFrame([], "month string, actual_amount int, transaction_count bigint"),
        "budgets": spark.createDataFrame([], "month string, scenario_name string, budget_amount int"),
        "scenarios": spark.createDataFrame([], "scenario_name string"),
    }
    frames[lacking] = frames[lacking].drop(*message.rsplit(": ", 1)[1].split(", "))
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        frames["actuals"].transform(compare_to_budget(frames["budgets"], frames["scenarios"], keys=["month"]))
