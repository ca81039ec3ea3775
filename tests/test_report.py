"""Tests of gluestar.report: source reconciliation counts and the run report."""

from __future__ import annotations

import pytest

from gluestar.report import RunReport, SourceCounts, count_source

CLASSIFIED = "_status string, reject_reason string, reject_rules array<string>"
MISSING = "amount is missing"
INVALID_DATE = "transaction_date is not a valid date"
CONFLICT = "conflicting versions"


@pytest.fixture(scope="module")
def counts(spark):
    classified = spark.createDataFrame(
        [
            ("accepted", None, []),
            ("accepted", None, []),
            ("accepted", None, []),
            ("exact_duplicate", None, []),
            ("superseded", None, []),
            ("superseded", None, []),
            ("quarantined", MISSING, [MISSING]),
            ("quarantined", f"{INVALID_DATE} (…); {MISSING}", [INVALID_DATE, MISSING]),
            ("quarantined", CONFLICT, [CONFLICT]),
            ("quarantined", CONFLICT, [CONFLICT]),
        ],
        CLASSIFIED,
    )
    return count_source("transactions", classified, conflict_reason=CONFLICT)


def test_count_source_counts_every_status(counts):
    assert (
        counts.source,
        counts.rows_read,
        counts.accepted,
        counts.quarantined,
        counts.exact_duplicates,
        counts.superseded,
    ) == ("transactions", 10, 3, 4, 1, 2)


def test_count_source_counts_conflicts_among_the_quarantined(counts):
    assert counts.conflicts == 2


def test_count_source_counts_quarantined_rows_under_every_rule_they_broke(counts):
    assert counts.rejected_by_rule == {MISSING: 2, CONFLICT: 2, INVALID_DATE: 1}


def test_count_source_reconciles(counts):
    assert (counts.duplicates_removed, counts.reconciles) == (3, True)


def test_count_source_of_an_empty_source_is_all_zeros(spark):
    empty = count_source("budget", spark.createDataFrame([], CLASSIFIED), conflict_reason="clash")
    assert empty == SourceCounts("budget")


def test_source_counts_that_do_not_add_up_do_not_reconcile():
    assert not SourceCounts("budget", rows_read=10, accepted=7, quarantined=2).reconciles


def _report():
    return RunReport(
        "finance",
        "r1",
        status="succeeded",
        started_at="2025-03-01T12:00:00+00:00",
        finished_at="2025-03-01T12:01:00+00:00",
        sources=[
            SourceCounts(
                "transactions",
                rows_read=12,
                accepted=9,
                quarantined=2,
                exact_duplicates=1,
                rejected_by_rule={MISSING: 2},
                files=["raw/transactions_2025.csv"],
                unknown_columns={"raw/transactions_2025.csv": ["note"]},
            ),
            SourceCounts(
                "budget",
                rows_read=4,
                accepted=4,
                missing_optional_columns={"raw/budget_2025.csv": ["scenario"]},
            ),
        ],
        tables={"dim_date": 731, "fact_financials": 40},
        partitions_written={"fact_financials": ["year=2025/month=1"]},
        messages=["note: a message"],
        options={"fiscal_year_start_month": 7},
        stage_seconds={"dimensions": 1.5},
    )


def test_run_report_json_round_trip():
    report = _report()
    assert RunReport.from_json(report.to_json()) == report


def test_run_report_json_carries_the_reconciliation():
    data = _report().to_dict()
    assert data["reconciles"] is True
    assert [(s["source"], s["duplicates_removed"], s["reconciles"]) for s in data["sources"]] == [
        ("transactions", 1, True),
        ("budget", 0, True),
    ]


def test_run_report_does_not_reconcile_when_a_source_does_not():
    report = _report()
    report.sources.append(SourceCounts("extra", rows_read=1))
    assert not report.reconciles


def test_run_report_source_lookup():
    report = _report()
    assert report.source("budget").rows_read == 4
    with pytest.raises(KeyError, match=r"^'payroll'$"):
        report.source("payroll")


def test_run_report_render_shows_the_reconciliation_table():
    lines = _report().render().splitlines()
    assert lines[:7] == [
        "gluestar finance run r1: succeeded",
        "  started 2025-03-01T12:00:00+00:00   finished 2025-03-01T12:01:00+00:00",
        "",
        "  source        read  accepted  quarantined  exact dup  superseded  reconciles",
        "  ------------  ----  --------  -----------  ---------  ----------  ----------",
        "  transactions    12         9            2          1           0         yes",
        "  budget           4         4            0          0           0         yes",
    ]


def test_run_report_render_lists_rules_header_notes_tables_and_messages():
    rendered = _report().render()
    for expected in [
        "  quarantined transactions rows by rule:\n           2  amount is missing\n",
        "  note: raw/transactions_2025.csv: unknown column(s) left out: note\n",
        "  note: raw/budget_2025.csv: optional column(s) absent, read as null: scenario\n",
        "  table            rows\n  ---------------  ----\n  dim_date          731\n  fact_financials    40\n",
    ]:
        assert expected in rendered
    assert rendered.endswith("\n  note: a message")


def test_run_report_render_flags_a_source_that_does_not_reconcile():
    report = RunReport("finance", "r2", sources=[SourceCounts("budget", rows_read=3, accepted=1)])
    assert (
        report.render().splitlines()[-1] == "  budget     3         1            0          0           0          NO"
    )
