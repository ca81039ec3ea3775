"""The native engine: every check kind passing and failing on tiny DataFrames."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pyspark.sql import DataFrame, SparkSession

from gluestar.quality.checks import (
    AggregateOf,
    AllowedValues,
    Completeness,
    ContainsValues,
    ForeignKey,
    NonNegative,
    Pattern,
    PrimaryKey,
    QualityCheck,
    Reconciliation,
    References,
    RowCount,
    Satisfies,
    Unique,
    ValueRange,
)
from gluestar.quality.native import evaluate_foreign_key, evaluate_reconciliation, evaluate_table
from gluestar.quality.results import ConstraintResult

ROWS = [
    (1, "A", Decimal("10.00"), 1, "x", -1),
    (2, "B", Decimal("-5.00"), 12, "y", 1),
    (3, None, None, 7, None, 2),
    (3, "D", Decimal("2.50"), 13, "z", 3),
]
SCHEMA = "id int, code string, amount decimal(10,2), month int, kind string, key int"

CHECKS: list[QualityCheck] = [
    RowCount(table="t", name="rows pass", min=1, max=4),
    RowCount(table="t", name="rows fail", min=5),
    Completeness(table="t", name="complete pass", columns=("id", "month")),
    Completeness(table="t", name="complete fail", columns=("code",)),
    Completeness(table="t", name="complete fraction pass", columns=("code",), min_fraction=0.75),
    Completeness(table="t", name="complete where pass", columns=("code",), where="id <> 3 OR kind IS NOT NULL"),
    Unique(table="t", name="unique pass", columns=("id", "code")),
    Unique(table="t", name="unique fail", columns=("id",)),
    PrimaryKey(table="t", name="pk pass", columns=("month",)),
    PrimaryKey(table="t", name="pk fail", columns=("code",)),
    NonNegative(table="t", name="non-negative pass", column="month"),
    NonNegative(table="t", name="non-negative fail", column="amount"),
    ValueRange(table="t", name="range pass", column="month", min=1, max=13),
    ValueRange(table="t", name="range fail", column="month", min=1, max=12),
    AllowedValues(table="t", name="allowed pass", column="kind", values=("x", "y", "z")),
    AllowedValues(table="t", name="allowed fail", column="kind", values=("x", "y")),
    ContainsValues(table="t", name="contains pass", column="key", values=(-1, 3)),
    ContainsValues(table="t", name="contains fail", column="key", values=(-1, 99)),
    Pattern(table="t", name="pattern pass", column="code", pattern="^[A-Z]$", where="code IS NOT NULL"),
    Pattern(table="t", name="pattern fail", column="month", pattern="^[0-9]$"),
    Pattern(table="t", name="pattern null fails", column="code", pattern="^[A-Z]$"),
    Satisfies(table="t", name="satisfies pass", predicate="month BETWEEN 1 AND 13"),
    Satisfies(table="t", name="satisfies fail", predicate="amount > 0"),
    Satisfies(table="t", name="satisfies fraction pass", predicate="amount > 0", min_fraction=0.5),
]


@pytest.fixture(scope="module")
def results(spark: SparkSession) -> dict[str, list[ConstraintResult]]:
    """Every check above, evaluated in one pass over the frame."""
    evaluation = evaluate_table(spark.createDataFrame(ROWS, SCHEMA), "t", CHECKS)
    grouped: dict[str, list[ConstraintResult]] = {}
    for row in evaluation.results:
        grouped.setdefault(row.check, []).append(row)
    return grouped


def _outcome(rows: list[ConstraintResult]) -> list[tuple[str, str, str]]:
    return [(r.constraint, r.constraint_status, r.constraint_message) for r in rows]


def _passed(rows: list[ConstraintResult]) -> bool:
    return all(r.constraint_status == "Success" and r.constraint_message == "" for r in rows)


@pytest.mark.parametrize("check", [c.name for c in CHECKS if c.name.endswith("pass")])
def test_passing_checks_pass(results: dict[str, list[ConstraintResult]], check: str) -> None:
    assert _passed(results[check])


def test_row_count_below_min_fails(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["rows fail"]) == [
        ("5 <= Size", "Failure", "Value: 4 does not meet the constraint requirement! 4 row(s)")
    ]
    assert results["rows fail"][0].metric_value == 4.0


def test_completeness_fails_with_the_null_count(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["complete fail"]) == [
        (
            "Completeness(code) == 1",
            "Failure",
            "Value: 0.75 does not meet the constraint requirement! 1 of 4 row(s) have a null code",
        )
    ]


def test_completeness_where_restricts_the_rows(results: dict[str, list[ConstraintResult]]) -> None:
    (row,) = results["complete where pass"]
    assert row.constraint == "Completeness(code) == 1 where id <> 3 OR kind IS NOT NULL"
    assert row.metric_value == 1.0


def test_uniqueness_fails_on_a_repeated_key(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["unique fail"]) == [
        (
            "Uniqueness(id) == 1",
            "Failure",
            "Value: 0.75 does not meet the constraint requirement! 1 of 4 row(s) repeat a value of (id) or have none",
        )
    ]


def test_primary_key_checks_completeness_and_uniqueness(results: dict[str, list[ConstraintResult]]) -> None:
    assert [(r.constraint, r.constraint_status) for r in results["pk pass"]] == [
        ("Completeness(month) == 1", "Success"),
        ("Uniqueness(month) == 1", "Success"),
    ]
    # A null key is incomplete and is not a distinct value either.
    assert [(r.constraint, r.constraint_status, r.metric_value) for r in results["pk fail"]] == [
        ("Completeness(code) == 1", "Failure", 0.75),
        ("Uniqueness(code) == 1", "Failure", 0.75),
    ]


def test_non_negative_fails_on_a_negative_amount(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["non-negative fail"]) == [
        (
            "Compliance(amount is non-negative) == 1",
            "Failure",
            "Value: 0.75 does not meet the constraint requirement! 3 of 4 row(s) satisfy: "
            "`amount` IS NULL OR `amount` >= 0",
        )
    ]


def test_range_reports_the_bound_that_failed(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["range fail"]) == [
        ("Minimum(month) >= 1", "Success", ""),
        (
            "Maximum(month) <= 12",
            "Failure",
            "Value: 13 does not meet the constraint requirement! the maximum of month is 13",
        ),
    ]


def test_allowed_values_let_nulls_pass_and_fail_other_values(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["allowed fail"]) == [
        (
            "Compliance(kind contained in x,y) == 1",
            "Failure",
            "Value: 0.75 does not meet the constraint requirement! 3 of 4 row(s) satisfy: "
            "`kind` IS NULL OR `kind` IN ('x','y')",
        )
    ]


def test_contains_fails_for_each_missing_value(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["contains fail"]) == [
        ("Compliance(`key` = -1) > 0", "Success", ""),
        (
            "Compliance(`key` = 99) > 0",
            "Failure",
            "Value: 0 does not meet the constraint requirement! 0 of 4 row(s) satisfy: `key` = 99",
        ),
    ]


def test_pattern_matches_the_value_as_a_string(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["pattern fail"]) == [
        (
            "PatternMatch(month, ^[0-9]$) == 1",
            "Failure",
            "Value: 0.5 does not meet the constraint requirement! 2 of 4 row(s) do not match: "
            "CAST(`month` AS STRING) RLIKE '^[0-9]$'",
        )
    ]


def test_pattern_fails_on_null(results: dict[str, list[ConstraintResult]]) -> None:
    assert [(r.constraint_status, r.metric_value) for r in results["pattern null fails"]] == [("Failure", 0.75)]


def test_satisfies_counts_a_null_result_as_failing(results: dict[str, list[ConstraintResult]]) -> None:
    assert _outcome(results["satisfies fail"]) == [
        (
            "Compliance(amount > 0) == 1",
            "Failure",
            "Value: 0.5 does not meet the constraint requirement! 2 of 4 row(s) satisfy: amount > 0",
        )
    ]
    assert [r.metric_value for r in results["satisfies fraction pass"]] == [0.5]


def test_profile_records_row_count_null_fractions_and_sums(spark: SparkSession) -> None:
    evaluation = evaluate_table(spark.createDataFrame(ROWS, SCHEMA), "t", [], metrics=[("sum", "month")])
    assert evaluation.raw[("row_count", "*")] == 4
    assert evaluation.raw[("null_fraction", "code")] == 0.25
    assert evaluation.raw[("sum", "amount")] == Decimal("7.50")
    assert evaluation.raw[("sum", "month")] == 33
    assert ("sum", "id") not in evaluation.raw  # int keys are not summed by the profile
    assert {(m.name, m.instance, m.value) for m in evaluation.metrics} >= {
        ("sum", "amount", 7.5),
        ("row_count", "*", 4.0),
    }


def test_an_empty_table_leaves_fractions_undefined_and_fails(spark: SparkSession) -> None:
    empty = spark.createDataFrame([], "id int")
    checks = [RowCount(table="t", name="any size", min=0), Completeness(table="t", name="complete", columns=("id",))]
    rows = evaluate_table(empty, "t", checks).results
    assert [(r.constraint_status, r.constraint_message, r.metric_value) for r in rows] == [
        ("Success", "", 0.0),
        ("Failure", "Empty state for Completeness(id): no rows", None),
    ]


@pytest.fixture(scope="module")
def star(spark: SparkSession) -> dict[str, DataFrame]:
    return {
        "f": spark.createDataFrame([(1, "a", 5), (2, "a", 5), (None, "b", 1)], "k int, c string, v int"),
        "d": spark.createDataFrame([(1, "a"), (-1, "b")], "key int, code string"),
    }


def test_foreign_key_passes_when_every_key_resolves(star: dict[str, DataFrame]) -> None:
    check = ForeignKey(table="f", columns=("c",), references=References("d", ("code",)))
    row = evaluate_foreign_key(check, star)
    assert (row.constraint, row.constraint_status, row.metric_value) == (
        "ReferentialIntegrity(c -> d.code) orphans == 0",
        "Success",
        0.0,
    )


def test_foreign_key_counts_orphans_and_null_keys(star: dict[str, DataFrame]) -> None:
    check = ForeignKey(table="f", columns=("k",), references=References("d", ("key",)), severity="warning")
    row = evaluate_foreign_key(check, star)
    assert (row.check_level, row.constraint_status, row.metric_value) == ("Warning", "Failure", 2.0)
    assert row.constraint_message == '2 row(s) of f have a k missing from d.key, e.g. {"k":2}'


def test_foreign_key_on_several_columns(star: dict[str, DataFrame]) -> None:
    check = ForeignKey(table="f", columns=("k", "c"), references=References("d", ("key", "code")))
    assert evaluate_foreign_key(check, star).constraint_message == (
        '2 row(s) of f have a k, c missing from d.key, code, e.g. {"c":"b"}'
    )


def test_grouped_reconciliation_fails_on_the_group_that_differs(star: dict[str, DataFrame]) -> None:
    check = Reconciliation(table="f", column="v", group_by=("c",), equals=AggregateOf("r", "sum", "x"))
    row = evaluate_reconciliation(check, star, {("r", "sum", "x"): Decimal("10")})
    assert row.constraint == "Reconciliation(sum(v) per c == r.sum(x)) |difference| <= 0"
    assert row.constraint_message == (
        '1 of 2 group(s) of f differ from r.sum(x) = 10; the largest difference is 9 at {"c":"b","value":1}'
    )
    assert row.metric_value == 9.0


def test_grouped_reconciliation_within_tolerance_passes(star: dict[str, DataFrame]) -> None:
    check = Reconciliation(table="f", column="v", group_by=("c",), equals=AggregateOf("r", "count"), tolerance=9)
    row = evaluate_reconciliation(check, star, {("r", "row_count", "*"): 10})
    assert (row.constraint_status, row.constraint_message, row.metric_value) == ("Success", "", 9.0)


def test_ungrouped_reconciliation_uses_the_single_pass_totals(star: dict[str, DataFrame]) -> None:
    check = Reconciliation(table="f", aggregate="count", equals=AggregateOf("r", "sum", "x"))
    passing = evaluate_reconciliation(check, star, {("f", "row_count", "*"): 3, ("r", "sum", "x"): Decimal("3.00")})
    failing = evaluate_reconciliation(check, star, {("f", "row_count", "*"): 3, ("r", "sum", "x"): None})
    assert passing.constraint_status == "Success"
    assert failing.constraint_message == "f.count(*) = 3 differs from r.sum(x) = 0 by 3"
