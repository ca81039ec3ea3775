"""Actual-versus-budget variance: column logic and the monthly comparison transform.

Examples
--------
>>> df = spark.createDataFrame([(Decimal("110.00"), Decimal("100.00"))], "a decimal(28,2), b decimal(28,2)")
>>> row = df.select(variance(F.col("a"), F.col("b")).alias("v"),
...                 variance_pct(variance(F.col("a"), F.col("b")), F.col("b")).alias("p")).first()
>>> (str(row.v), str(row.p))
('10.00', '0.1000')
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gluestar.constants import EXPENSE, REVENUE
from gluestar.exceptions import SchemaContractError

__all__ = [
    "MONEY_TYPE",
    "RATIO_TYPE",
    "variance",
    "variance_pct",
    "is_favorable",
    "compare_to_budget",
]

#: Type of aggregated money columns: a sum of ``decimal(18,2)`` needs headroom.
MONEY_TYPE = "decimal(28,2)"
#: Type of ``variance_pct``.
RATIO_TYPE = "decimal(38,4)"


def variance(actual: Column, budget: Column) -> Column:
    """``actual - budget``.

    Examples
    --------
    >>> df = spark.createDataFrame([(5, 8)], "a int, b int")
    >>> df.select(variance(F.col("a"), F.col("b")).alias("v")).first().v
    Decimal('-3.00')
    """
    return (actual - budget).cast(MONEY_TYPE)


def variance_pct(variance_amount: Column, budget: Column) -> Column:
    """``round(variance / abs(budget), 4)``; null when the budget is zero (or null).

    Examples
    --------
    >>> df = spark.createDataFrame([(-5, -40), (3, 0)], "v int, b int")
    >>> [r.p for r in df.select(variance_pct(F.col("v"), F.col("b")).alias("p")).collect()]
    [Decimal('-0.1250'), None]
    """
    ratio = variance_amount.cast(MONEY_TYPE) / F.abs(budget.cast(MONEY_TYPE))
    return F.when(budget != F.lit(0), F.round(ratio, 4)).cast(RATIO_TYPE)


def is_favorable(account_type: Column, variance_amount: Column) -> Column:
    """Revenue: ``variance >= 0``; Expense: ``variance <= 0``; any other account type: null.

    Examples
    --------
    >>> df = spark.createDataFrame([("Revenue", 1), ("Expense", 1), ("Asset", 1)], "t string, v int")
    >>> [r.f for r in df.select(is_favorable(F.col("t"), F.col("v")).alias("f")).collect()]
    [True, False, None]
    """
    return F.when(account_type == F.lit(REVENUE), variance_amount >= F.lit(0)).when(
        account_type == F.lit(EXPENSE), variance_amount <= F.lit(0)
    )


def compare_to_budget(budgets: DataFrame, scenarios: DataFrame, *, keys: list[str]) -> Callable[[DataFrame], DataFrame]:
    """Return a transform pairing monthly actuals with the budget of every scenario.

    For every scenario S in ``scenarios`` the output has one row per ``keys`` value that has actuals
    or a budget in S, with ``actual_amount`` and ``transaction_count`` (0 when there are no actuals)
    and ``budget_amount`` (0 when S has no budget there).

    Parameters
    ----------
    budgets : DataFrame
        ``keys``, ``scenario_name`` and ``budget_amount``; one row per key and scenario.
    scenarios : DataFrame
        ``scenario_name``: the budget scenarios to compare against.
    keys : list of str
        Grain of the comparison, e.g. ``["month_date", "department_code", "account_number"]``.

    Examples
    --------
    >>> actuals = spark.createDataFrame([("D1", 10, 2)], "dept string, actual_amount int, transaction_count long")
    >>> budgets = spark.createDataFrame([("D2", "Budget", 5)], "dept string, scenario_name string, budget_amount int")
    >>> scenarios = spark.createDataFrame([("Budget",)], "scenario_name string")
    >>> out = actuals.transform(compare_to_budget(budgets, scenarios, keys=["dept"]))
    >>> sorted((r.dept, str(r.actual_amount), str(r.budget_amount)) for r in out.collect())
    [('D1', '10.00', '0.00'), ('D2', '0.00', '5.00')]
    """
    grain = [*keys, "scenario_name"]

    def transform(actuals: DataFrame) -> DataFrame:
        for frame, needed, what in (
            (actuals, [*keys, "actual_amount", "transaction_count"], "actuals"),
            (budgets, [*grain, "budget_amount"], "budgets"),
            (scenarios, ["scenario_name"], "scenarios"),
        ):
            missing = [c for c in needed if c not in frame.columns]
            if missing:
                raise SchemaContractError(f"compare_to_budget: {what} lack column(s): {', '.join(missing)}")
        per_scenario = actuals.select(*keys, "actual_amount", "transaction_count").crossJoin(
            F.broadcast(scenarios.select("scenario_name"))
        )
        paired = per_scenario.join(
            budgets.join(F.broadcast(scenarios.select("scenario_name")), on="scenario_name", how="left_semi").select(
                *grain, "budget_amount"
            ),
            on=grain,
            how="full_outer",
        )
        return paired.select(
            *grain,
            F.coalesce(F.col("actual_amount").cast(MONEY_TYPE), F.lit(0).cast(MONEY_TYPE)).alias("actual_amount"),
            F.coalesce(F.col("budget_amount").cast(MONEY_TYPE), F.lit(0).cast(MONEY_TYPE)).alias("budget_amount"),
            F.coalesce(F.col("transaction_count").cast("bigint"), F.lit(0).cast("bigint")).alias("transaction_count"),
        )

    return transform
