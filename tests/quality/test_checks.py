"""Declared checks: loading, validation, and the completeness of the finance set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gluestar.contracts import load_star_schema
from gluestar.exceptions import ConfigurationError
from gluestar.quality.checks import (
    AggregateOf,
    Anomaly,
    Completeness,
    ContainsValues,
    ForeignKey,
    PrimaryKey,
    Reconciliation,
    References,
    RowCount,
    Unique,
    ValueRange,
    load_checks,
    parse_checks,
    validate_checks,
)


@pytest.fixture(scope="module")
def finance() -> tuple:
    return load_checks("finance")


def test_finance_checks_load_from_the_wheel_and_match_the_star_schema(finance: tuple, repo_root: Path) -> None:
    validate_checks(finance, load_star_schema("finance"))
    assert finance == load_checks("finance", directory=repo_root / "schemas")
    assert {c.severity for c in finance} == {"error", "warning"}


def test_every_finance_table_has_checks_and_every_dimension_key_is_a_primary_key(finance: tuple) -> None:
    star = load_star_schema("finance")
    assert {c.table for c in finance} == set(star.table_names)
    keys = {(c.table, c.columns) for c in finance if isinstance(c, PrimaryKey) and c.where is None}
    for spec in star.tables:
        assert (spec.name, spec.key) in keys, spec.name
        assert all(c.severity == "error" for c in finance if isinstance(c, PrimaryKey) and c.table == spec.name)


def test_every_fact_key_must_resolve_in_its_dimension(finance: tuple) -> None:
    relations = {(c.table, c.columns, c.references.table) for c in finance if isinstance(c, ForeignKey)}
    assert relations == {
        ("fact_gl_transaction", ("date_key",), "dim_date"),
        ("fact_gl_transaction", ("department_key",), "dim_department"),
        ("fact_gl_transaction", ("account_key",), "dim_account"),
        ("fact_financials", ("date_key",), "dim_date"),
        ("fact_financials", ("department_key",), "dim_department"),
        ("fact_financials", ("account_key",), "dim_account"),
        ("fact_financials", ("scenario_key",), "dim_scenario"),
    }


def test_amounts_complete_unknown_members_present_and_actuals_reconciled(finance: tuple) -> None:
    complete = {(c.table, col) for c in finance if isinstance(c, Completeness) for col in c.columns}
    assert {
        ("fact_gl_transaction", "amount"),
        ("fact_financials", "actual_amount"),
        ("fact_financials", "budget_amount"),
    } <= complete
    unknown = {c.table for c in finance if isinstance(c, ContainsValues) and c.values == (-1,)}
    assert unknown == {"dim_department", "dim_account"}
    (actuals,) = [c for c in finance if isinstance(c, Reconciliation) and c.column == "actual_amount"]
    assert (actuals.group_by, actuals.equals, actuals.severity) == (
        ("scenario_key",),
        AggregateOf("fact_gl_transaction", "sum", "amount"),
        "error",
    )


def test_default_names_are_readable() -> None:
    assert PrimaryKey(table="dim_date", columns=("date_key",)).name == "dim_date: date_key is unique and not null"
    assert Unique(table="f", columns=("a", "b")).name == "f: (a, b) is unique"
    assert ValueRange(table="f", column="amount", max=10).name == "f: amount is at most 10"
    assert ForeignKey(table="f", columns=("k",), references=References("d", ("key",))).name == "f: k exists in d.key"
    check = Anomaly(table="f", metric="sum", column="amount", strategy="band", tolerance_pct=20, window=3)
    assert check.name == "f: sum(amount) within 20% of the mean of the last 3 runs"


def test_unknown_kind_lists_the_allowed_kinds() -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_checks({"tables": {"t": [{"name": "x", "kind": "is_good"}]}})
    assert str(raised.value) == (
        "t: check 'x': 'kind' must be one of 'row_count', 'completeness', 'unique', 'primary_key', 'non_negative', "
        "'range', 'allowed_values', 'contains', 'pattern', 'satisfies', 'foreign_key', 'reconciliation', 'anomaly'; "
        "got 'is_good'"
    )


def test_unknown_severity_lists_the_allowed_severities() -> None:
    with pytest.raises(
        ConfigurationError, match=r"^t: check 'x': 'severity' must be one of 'error', 'warning'; got 'fatal'$"
    ):
        parse_checks({"tables": {"t": [{"name": "x", "kind": "row_count", "min": 1, "severity": "fatal"}]}})


def test_a_misspelt_key_is_rejected_with_the_allowed_keys() -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_checks({"tables": {"t": [{"name": "x", "kind": "row_count", "minimum": 1}]}})
    assert str(raised.value) == (
        "t: check 'x' (row_count) has unknown key(s) minimum; allowed: max, min, name, severity, where"
    )


def test_kind_specific_values_are_validated() -> None:
    with pytest.raises(ConfigurationError, match=r"^t: row_count 'min' \(5\) is above 'max' \(1\)$"):
        RowCount(table="t", min=5, max=1)
    with pytest.raises(ConfigurationError, match=r"^t: completeness 'min_fraction' must be between 0 and 1; got 2$"):
        Completeness(table="t", columns=("a",), min_fraction=2)
    with pytest.raises(ConfigurationError, match=r"^t: foreign_key has 2 column\(s\) but references 1$"):
        ForeignKey(table="t", columns=("a", "b"), references=References("d", ("a",)))
    with pytest.raises(
        ConfigurationError, match=r"^t: anomaly: 'tolerance_pct' does not apply to strategy 'relative_change'"
    ):
        Anomaly(table="t", metric="row_count", strategy="relative_change", tolerance_pct=5)
    with pytest.raises(ConfigurationError, match=r"^t: anomaly: metric 'sum' needs a 'column'$"):
        Anomaly(table="t", metric="sum", strategy="band", tolerance_pct=5)


def test_check_names_must_be_unique_per_table() -> None:
    doc = {
        "tables": {
            "t": [{"name": "same", "kind": "row_count", "min": 1}, {"name": "same", "kind": "unique", "columns": ["a"]}]
        }
    }
    with pytest.raises(ConfigurationError, match=r"^t: two checks are named 'same'; names must be unique per table$"):
        parse_checks(doc)


def test_unknown_tables_and_columns_are_all_listed() -> None:
    checks = [
        Unique(table="t", columns=("id", "nope")),
        ForeignKey(table="t", columns=("id",), references=References("missing", ("id",))),
    ]
    with pytest.raises(ConfigurationError) as raised:
        validate_checks(checks, {"t": ["id"]})
    assert str(raised.value) == (
        "check 't: (id, nope) is unique' (t) refers to unknown column(s) of t: nope; "
        "check 't: id exists in missing.id' (t) refers to unknown table 'missing' (tables: t)"
    )


def test_a_checks_directory_overrides_the_wheel(tmp_path: Path) -> None:
    (tmp_path / "finance").mkdir()
    (tmp_path / "finance" / "checks.json").write_text(
        json.dumps({"tables": {"dim_date": [{"name": "dim_date: few rows", "kind": "row_count", "max": 3}]}})
    )
    assert load_checks("finance", directory=tmp_path) == (RowCount(table="dim_date", name="dim_date: few rows", max=3),)
    with pytest.raises(ConfigurationError, match=rf"^no checks file {tmp_path}/budget/checks.json$"):
        load_checks("budget", directory=tmp_path)
