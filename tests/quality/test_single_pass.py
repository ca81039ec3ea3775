"""The native engine measures all checks of a table in one pass: more checks, not more Spark jobs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pyspark.sql import SparkSession

from gluestar.quality.checks import (
    AllowedValues,
    Completeness,
    ContainsValues,
    NonNegative,
    Pattern,
    PrimaryKey,
    QualityCheck,
    RowCount,
    Satisfies,
    Unique,
    ValueRange,
)
from gluestar.quality.native import evaluate_table

COLUMNS = [f"c{i}" for i in range(12)]


def _jobs(spark: SparkSession, action: Callable[[], object]) -> int:
    """Number of Spark jobs ``action`` starts, counted through a job group and the status tracker."""
    context = spark.sparkContext
    group = f"quality-single-pass-{uuid.uuid4().hex}"
    context.setJobGroup(group, "count the jobs of the native quality engine")
    try:
        action()
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    return len(context.statusTracker().getJobIdsForGroup(group))


def _checks(n: int) -> list[QualityCheck]:
    """``n`` checks of every single-table kind, each on its own column or predicate (nothing is shared)."""
    checks: list[QualityCheck] = [RowCount(table="t", min=1, max=1000 + n)]
    for i in range(n):
        a, b = COLUMNS[i % 12], COLUMNS[(i + 1) % 12]
        checks += [
            Completeness(table="t", name=f"complete {i}", columns=(a,), where=f"{b} >= {i}"),
            Unique(table="t", name=f"unique {i}", columns=(a, b)),
            PrimaryKey(table="t", name=f"pk {i}", columns=(b,), where=f"{a} > {i}"),
            NonNegative(table="t", name=f"non-negative {i}", column=a, where=f"{b} <> {i}"),
            ValueRange(table="t", name=f"range {i}", column=a, min=-i, max=10_000 + i, where=f"{b} < {i + 50}"),
            AllowedValues(table="t", name=f"allowed {i}", column=b, values=tuple(range(i + 5))),
            ContainsValues(table="t", name=f"contains {i}", column=a, values=(i,)),
            Pattern(table="t", name=f"pattern {i}", column=b, pattern=f"^[0-9]{{1,{i + 3}}}$"),
            Satisfies(table="t", name=f"satisfies {i}", predicate=f"{a} + {b} >= {i}"),
        ]
    return checks


def test_jobs_do_not_grow_with_the_number_of_checks(spark: SparkSession) -> None:
    df = spark.range(200).selectExpr(*[f"CAST((id * {i + 1}) % 97 AS INT) AS {c}" for i, c in enumerate(COLUMNS)])
    few, many = _checks(2), _checks(6)
    results: dict[int, int] = {}

    def run(checks: list[QualityCheck]) -> None:
        results[len(checks)] = len(evaluate_table(df, "t", checks).results)

    jobs_few = _jobs(spark, lambda: run(few))
    jobs_many = _jobs(spark, lambda: run(many))
    assert results[len(many)] > 2 * results[len(few)]  # three times the checks, all distinct constraints
    assert jobs_few >= 1
    assert jobs_many == jobs_few
