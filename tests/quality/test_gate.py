"""The gate: checks of every kind over several tables, one report, raising as a separate step."""

from __future__ import annotations

import pytest
from pyspark.sql import DataFrame, SparkSession

from gluestar.exceptions import ConfigurationError, DataQualityError
from gluestar.quality.checks import (
    AggregateOf,
    Anomaly,
    Completeness,
    ForeignKey,
    PrimaryKey,
    QualityCheck,
    Reconciliation,
    References,
    RowCount,
    ValueRange,
)
from gluestar.quality.gate import run_quality_gate
from gluestar.quality.metrics import RunMetrics
from gluestar.quality.results import ConstraintResult, Metric, QualityReport, with_check_status


@pytest.fixture(scope="module")
def tables(spark: SparkSession) -> dict[str, DataFrame]:
    return {
        "dim": spark.createDataFrame([(-1, None), (1, "A"), (2, "B")], "key int, code string"),
        "fact": spark.createDataFrame([(1, 10.0), (2, -3.0), (7, 1.0)], "key int, amount double"),
        "summary": spark.createDataFrame([("x", 8.0), ("y", 8.0)], "grp string, total double"),
    }


CHECKS: list[QualityCheck] = [
    PrimaryKey(table="dim", columns=("key",)),
    Completeness(table="dim", columns=("code",), where="key <> -1", severity="warning"),
    RowCount(table="fact", min=1),
    ForeignKey(table="fact", columns=("key",), references=References("dim", ("key",))),
    ValueRange(table="fact", column="amount", min=0, severity="warning"),
    Reconciliation(table="summary", column="total", group_by=("grp",), equals=AggregateOf("fact", "sum", "amount")),
    Anomaly(table="fact", metric="row_count", strategy="relative_change", max_decrease_pct=10, severity="warning"),
]


@pytest.fixture(scope="module")
def report(spark: SparkSession, tables: dict[str, DataFrame]) -> QualityReport:
    history = [RunMetrics("before", "2025-01-01T00:00:00+00:00", (Metric("fact", "row_count", "*", 4.0),))]
    return run_quality_gate(spark, tables, CHECKS, engine="native", history=history, run_id="r1")


def test_results_follow_the_declaration_order_with_pydeequs_columns(report: QualityReport) -> None:
    assert [(r.table, r.check, r.constraint_status) for r in report.results] == [
        ("dim", "dim: key is unique and not null", "Success"),
        ("dim", "dim: key is unique and not null", "Success"),
        ("dim", "dim: code is never null", "Success"),
        ("fact", "fact: has at least 1 row(s)", "Success"),
        ("fact", "fact: key exists in dim.key", "Failure"),
        ("fact", "fact: amount is at least 0", "Failure"),
        ("summary", "summary: sum(total) per grp equals fact.sum(amount)", "Success"),
        ("fact", "fact: row_count changes by at most -10%..any since the previous run", "Failure"),
    ]
    assert report.engine == "native"


def test_errors_and_warnings_are_split_by_severity(report: QualityReport) -> None:
    assert [r.check for r in report.errors] == ["fact: key exists in dim.key"]
    assert [r.check for r in report.warnings] == [
        "fact: amount is at least 0",
        "fact: row_count changes by at most -10%..any since the previous run",
    ]
    assert (report.status, report.passed) == ("failed", False)
    assert {r.check_status for r in report.results if r.check == "fact: key exists in dim.key"} == {"Error"}


def test_raise_for_errors_lists_each_failed_error_check(report: QualityReport) -> None:
    with pytest.raises(DataQualityError) as raised:
        report.raise_for_errors(note="nothing was published")
    assert str(raised.value) == (
        "quality gate failed: 1 error check failed: [fact] fact: key exists in dim.key: "
        '1 row(s) of fact have a key missing from dim.key, e.g. {"key":7}; nothing was published'
    )


def test_warnings_alone_do_not_raise(spark: SparkSession, tables: dict[str, DataFrame]) -> None:
    report = run_quality_gate(
        spark, tables, [ValueRange(table="fact", column="amount", min=0, severity="warning")], engine="native"
    )
    assert report.status == "warnings"
    report.raise_for_errors()


def test_metrics_cover_every_table(report: QualityReport) -> None:
    assert report.metric("fact", "row_count") == 3.0
    assert report.metric("fact", "sum", "amount") == 8.0
    assert report.metric("dim", "null_fraction", "code") == pytest.approx(1 / 3)
    assert report.metric("summary", "sum", "total") == 16.0


def test_json_round_trip_and_summary(report: QualityReport) -> None:
    again = QualityReport.from_json(report.to_json())
    assert again.results == report.results
    assert again.metrics == report.metrics
    summary = report.summary()
    assert {k: summary[k] for k in ("engine", "status", "checks", "constraints", "failed_checks")} == {
        "engine": "native",
        "status": "failed",
        "checks": 7,
        "constraints": 8,
        "failed_checks": {"error": 1, "warning": 2},
    }


def test_render_lists_every_check_and_each_failure(report: QualityReport) -> None:
    lines = report.render().splitlines()
    assert lines[0] == "quality gate (native): failed - 7 check(s), 8 constraint(s), 1 error(s), 2 warning(s)"
    assert lines[-3] == (
        '  ERROR: [fact] fact: key exists in dim.key: 1 row(s) of fact have a key missing from dim.key, e.g. {"key":7}'
    )


def test_results_as_a_dataframe_have_pydeequs_columns_first(spark: SparkSession, report: QualityReport) -> None:
    df = report.to_dataframe(spark)
    assert df.columns[:6] == [
        "check",
        "check_level",
        "check_status",
        "constraint",
        "constraint_status",
        "constraint_message",
    ]


def test_an_unknown_engine_lists_the_allowed_ones(spark: SparkSession, tables: dict[str, DataFrame]) -> None:
    with pytest.raises(
        ConfigurationError, match=r"^quality engine must be one of 'auto', 'native', 'deequ'; got 'fast'$"
    ):
        run_quality_gate(spark, tables, CHECKS, engine="fast")  # type: ignore[arg-type]


def test_a_check_on_a_table_not_given_is_a_configuration_error(
    spark: SparkSession, tables: dict[str, DataFrame]
) -> None:
    with pytest.raises(
        ConfigurationError, match=r"^check 'other: has at least 1 row\(s\)' \(other\) refers to unknown table"
    ):
        run_quality_gate(spark, tables, [RowCount(table="other", min=1)], engine="native")


def test_check_status_is_settled_over_all_constraints_of_a_check() -> None:
    ok = ConstraintResult("t", "c", "Error", "Success", "a", "Success", "")
    bad = ConstraintResult("t", "c", "Error", "Success", "b", "Failure", "x")
    settled = with_check_status([ok, bad])
    assert [r.check_status for r in settled] == ["Error", "Error"]
    assert QualityReport("native", settled).summary()["check_status"] == [
        {"table": "t", "check": "c", "level": "Error", "status": "Error"}
    ]


def test_an_invalid_predicate_is_a_configuration_error_before_any_job(
    spark: SparkSession, tables: dict[str, DataFrame]
) -> None:
    checks = [Completeness(table="dim", columns=("code",), where="nope > 1")]
    with pytest.raises(ConfigurationError) as raised:
        run_quality_gate(spark, tables, checks, engine="native")
    assert str(raised.value).startswith(
        "check 'dim: code is never null' (dim): invalid SQL predicate 'nope > 1': [UNRESOLVED_COLUMN.WITH_SUGGESTION]"
    )


def test_range_needs_a_numeric_column(spark: SparkSession, tables: dict[str, DataFrame]) -> None:
    with pytest.raises(
        ConfigurationError, match=r"^check 'dim: code is at least 1' \(dim\): column code is string, not numeric$"
    ):
        run_quality_gate(spark, tables, [ValueRange(table="dim", column="code", min=1)], engine="native")
