"""Tests of gluestar.dedup: exact duplicates, versions and conflicts among accepted rows.

``resolve_duplicates`` works per key, so the rows of every test are resolved together in one frame,
sorted once (what chispa's ``ignore_row_order`` would do in every test) and cached; each test reads
back its own key and compares its rows in that order: by version (nulls first), amount, status.
"""

from __future__ import annotations

import re

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from gluestar.dedup import resolve_duplicates
from gluestar.exceptions import SchemaContractError

VERSIONED = "id string, version int, amount int, _status string, reject_reason string, reject_rules array<string>"
UNVERSIONED = "month string, dept string, amount int, _status string, reject_reason string, reject_rules array<string>"
BAD_AMOUNT = "amount 'x' is not a valid amount"


def _ok(*values):
    """An accepted row."""
    return (*values, "accepted", None, [])


def _bad(*values, reason=BAD_AMOUNT):
    """A row already quarantined by validation."""
    return (*values, "quarantined", reason, [reason])


VERSIONED_CASES = {
    "dup": [_ok("dup", 1, 10), _ok("dup", 1, 10)],
    "latest": [_ok("latest", 1, 10), _ok("latest", 3, 30), _ok("latest", 2, 20)],
    "null-oldest": [_ok("null-oldest", None, 10), _ok("null-oldest", 1, 20)],
    "all-null": [_ok("all-null", None, 10), _ok("all-null", None, 20)],
    "conflict": [_ok("conflict", 1, 5), _ok("conflict", 2, 10), _ok("conflict", 2, 20)],
    "collapse": [_ok("collapse", 2, 10), _ok("collapse", 2, 10), _ok("collapse", 1, 30)],
    "null-values": [_ok("null-values", 1, None), _ok("null-values", 1, None)],
    "untouched": [_bad("untouched", 9, None), _ok("untouched", 1, 10), _bad("untouched", 1, 10, reason="other")],
    "single": [_ok("single", 1, 10)],
}


@pytest.fixture(scope="module")
def versioned(spark):
    raw = spark.createDataFrame([row for rows in VERSIONED_CASES.values() for row in rows], VERSIONED)
    resolved = raw.transform(
        resolve_duplicates(
            ["id"], columns=["id", "version", "amount"], version="version", conflict_reason="conflicting versions"
        )
    )
    ordered = resolved.sort("id", F.col("version").asc_nulls_first(), F.col("amount").asc_nulls_first(), "_status")
    ordered.cache()
    yield ordered
    ordered.unpersist()


def _assert_resolved(spark, resolved, case, expected):
    """Compare the rows of key ``case`` with ``expected``, listed by version, amount and status."""
    actual = resolved.filter(F.col("id") == case).drop("id")
    schema = "version int, amount int, _status string, reject_reason string, reject_rules array<string>"
    assert_df_equality(actual, spark.createDataFrame(expected, schema), ignore_nullable=True)


def test_exact_duplicates_collapse_to_one_accepted_row(spark, versioned):
    _assert_resolved(spark, versioned, "dup", [(1, 10, "accepted", None, []), (1, 10, "exact_duplicate", None, [])])


def test_the_latest_version_wins_and_older_ones_are_superseded(spark, versioned):
    _assert_resolved(
        spark,
        versioned,
        "latest",
        [(1, 10, "superseded", None, []), (2, 20, "superseded", None, []), (3, 30, "accepted", None, [])],
    )


def test_a_null_version_is_the_oldest(spark, versioned):
    _assert_resolved(
        spark, versioned, "null-oldest", [(None, 10, "superseded", None, []), (1, 20, "accepted", None, [])]
    )


def test_different_rows_tied_at_the_latest_version_are_all_quarantined(spark, versioned):
    conflict = ("quarantined", "conflicting versions", ["conflicting versions"])
    _assert_resolved(
        spark, versioned, "conflict", [(1, 5, "superseded", None, []), (2, 10, *conflict), (2, 20, *conflict)]
    )


def test_different_rows_all_without_a_version_conflict(spark, versioned):
    conflict = ("quarantined", "conflicting versions", ["conflicting versions"])
    _assert_resolved(spark, versioned, "all-null", [(None, 10, *conflict), (None, 20, *conflict)])


def test_identical_latest_rows_collapse_first_so_they_do_not_conflict(spark, versioned):
    _assert_resolved(
        spark,
        versioned,
        "collapse",
        [(1, 30, "superseded", None, []), (2, 10, "accepted", None, []), (2, 10, "exact_duplicate", None, [])],
    )


def test_null_values_compare_equal_when_collapsing_duplicates(spark, versioned):
    _assert_resolved(
        spark,
        versioned,
        "null-values",
        [(1, None, "accepted", None, []), (1, None, "exact_duplicate", None, [])],
    )


def test_quarantined_rows_are_untouched_and_ignored(spark, versioned):
    _assert_resolved(
        spark,
        versioned,
        "untouched",
        [
            (1, 10, "accepted", None, []),
            (1, 10, "quarantined", "other", ["other"]),
            (9, None, "quarantined", BAD_AMOUNT, [BAD_AMOUNT]),
        ],
    )


def test_every_input_row_keeps_exactly_one_status(spark, versioned):
    counts = versioned.groupBy("_status").agg(F.count(F.lit(1)).cast("int").alias("rows"))
    expected = spark.createDataFrame(
        [("accepted", 7), ("exact_duplicate", 3), ("superseded", 5), ("quarantined", 6)], "_status string, rows int"
    )
    assert_df_equality(counts, expected, ignore_row_order=True, ignore_nullable=True)
    assert sum(len(rows) for rows in VERSIONED_CASES.values()) == 21


def test_resolve_duplicates_keeps_the_input_columns(versioned):
    assert versioned.columns == ["id", "version", "amount", "_status", "reject_reason", "reject_rules"]


def test_budgets_without_a_version_collapse_duplicates_and_quarantine_conflicts(spark):
    conflict = ("quarantined", "conflicting budget rows", ["conflicting budget rows"])
    raw = spark.createDataFrame(
        [
            _ok("2025-01", "D1", 10),
            _ok("2025-01", "D1", 10),
            _ok("2025-02", "D1", 10),
            _ok("2025-01", "D2", 10),
            _ok("2025-01", "D2", 20),
            _ok("2025-01", "D2", 20),
        ],
        UNVERSIONED,
    )
    resolved = raw.transform(
        resolve_duplicates(
            ["month", "dept"], columns=["month", "dept", "amount"], conflict_reason="conflicting budget rows"
        )
    )
    expected = spark.createDataFrame(
        [
            ("2025-01", "D1", 10, "accepted", None, []),
            ("2025-01", "D1", 10, "exact_duplicate", None, []),
            ("2025-02", "D1", 10, "accepted", None, []),
            ("2025-01", "D2", 10, *conflict),
            ("2025-01", "D2", 20, *conflict),
            ("2025-01", "D2", 20, "exact_duplicate", None, []),
        ],
        UNVERSIONED,
    )
    assert_df_equality(resolved, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_key_of_every_column_collapses_identical_rows(spark):
    raw = spark.createDataFrame(
        [_ok("u1", 1, 5), _ok("u1", 1, 5), _ok("u1", 1, 5), _ok("u1", 2, 5)],
        "id string, version int, amount int, _status string, reject_reason string, reject_rules array<string>",
    )
    columns = ["id", "version", "amount"]
    resolved = raw.transform(resolve_duplicates(columns, columns=columns, conflict_reason="conflicting events"))
    expected = spark.createDataFrame(
        [
            ("u1", 1, 5, "accepted", None, []),
            ("u1", 1, 5, "exact_duplicate", None, []),
            ("u1", 1, 5, "exact_duplicate", None, []),
            ("u1", 2, 5, "accepted", None, []),
        ],
        VERSIONED,
    )
    assert_df_equality(resolved, expected, ignore_row_order=True, ignore_nullable=True)


def test_resolve_duplicates_names_the_missing_columns(spark):
    df = spark.createDataFrame([], "id string, _status string")
    message = "resolve_duplicates: missing column(s): amount, reject_reason, reject_rules, version"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        df.transform(resolve_duplicates(["id"], columns=["id", "amount"], version="version"))


def test_resolve_duplicates_needs_a_key():
    with pytest.raises(SchemaContractError, match=f"^{re.escape('resolve_duplicates needs at least one key column')}$"):
        resolve_duplicates([], columns=["id"])
