"""Tests of gluestar.report: source reconciliation counts and the run report."""

from __future__ import annotations

import json
import re

import pytest

from gluestar.exceptions import DataQualityError
from gluestar.report import FileCounts, RunReport, SourceCounts, check_source, count_source

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


def test_source_counts_with_a_file_that_does_not_add_up_do_not_reconcile():
    counts = SourceCounts("budget", rows_read=2, accepted=2, by_file={"b.csv": FileCounts(rows_read=2, accepted=1)})
    assert not counts.reconciles


def test_count_source_counts_every_file_in_the_same_aggregation(spark):
    classified = spark.createDataFrame(
        [
            ("accepted", None, [], "b1.csv"),
            ("quarantined", MISSING, [MISSING], "b1.csv"),
            ("exact_duplicate", None, [], "b2.csv"),
            ("superseded", None, [], "b2.csv"),
            ("quarantined", MISSING, [MISSING], "b3.csv"),
        ],
        f"{CLASSIFIED}, _source_file string",
    )
    counts = count_source("budget", classified, conflict_reason="clash")
    assert counts.by_file == {
        "b1.csv": FileCounts(rows_read=2, accepted=1, quarantined=1),
        "b2.csv": FileCounts(rows_read=2, exact_duplicates=1, superseded=1),
        "b3.csv": FileCounts(rows_read=1, quarantined=1),
    }
    assert (counts.rows_read, counts.accepted, counts.quarantined, counts.duplicates_removed) == (5, 1, 2, 2)
    assert counts.reconciles


def test_count_source_without_a_source_file_column_has_no_file_counts(counts):
    assert counts.by_file == {}


def test_files_without_rows_are_the_files_read_that_have_no_counts():
    counts = SourceCounts(
        "budget", 2, 2, files=["b1.csv", "b2.csv"], by_file={"b1.csv": FileCounts(rows_read=2, accepted=2)}
    )
    assert counts.files_without_rows == ["b2.csv"]


def test_files_without_rows_of_a_source_without_rows_are_all_its_files():
    assert SourceCounts("budget", files=["b1.csv"]).files_without_rows == ["b1.csv"]


def test_files_without_rows_are_unknown_without_file_counts():
    assert SourceCounts("budget", 2, 2, files=["b1.csv"]).files_without_rows == []


# check_source ------------------------------------------------------------------------------------


def _source(**by_file):
    files = {name.replace("_", "."): counts for name, counts in by_file.items()}
    return SourceCounts(
        "budget",
        **{k: sum(getattr(f, k) for f in files.values()) for k in ("rows_read", "accepted", "quarantined")},
        exact_duplicates=sum(f.exact_duplicates for f in files.values()),
        superseded=sum(f.superseded for f in files.values()),
        files=list(files),
        by_file=files,
    )


def test_check_source_passes_when_every_file_has_an_accepted_row():
    check_source(_source(b1_csv=FileCounts(2, 1, 1), b2_csv=FileCounts(1, 1)), "/q")


def test_check_source_passes_a_re_sent_file_of_duplicates_and_superseded_rows():
    check_source(_source(b1_csv=FileCounts(2, 2), b2_csv=FileCounts(3, exact_duplicates=2, superseded=1)), "/q")


def test_check_source_passes_a_header_only_file():
    check_source(_source(b1_csv=FileCounts(2, 2)), "/q")


def test_check_source_fails_naming_every_file_whose_rows_were_all_quarantined():
    counts = _source(b1_csv=FileCounts(2, 2), b2_csv=FileCounts(3, quarantined=3), b3_csv=FileCounts(1, quarantined=1))
    message = (
        "b2.csv: every one of its 3 budget rows was quarantined; b3.csv: every one of its 1 budget rows was "
        "quarantined; nothing was published (quarantined rows are in /q/budget)"
    )
    with pytest.raises(DataQualityError, match=f"^{re.escape(message)}$"):
        check_source(counts, "/q/budget")


def test_check_source_fails_a_source_without_an_accepted_row_with_the_whole_source_message():
    counts = _source(b1_csv=FileCounts(2, quarantined=1, exact_duplicates=1), b2_csv=FileCounts(1, quarantined=1))
    message = (
        "every one of the 3 budget rows was rejected or removed as a duplicate; nothing was published "
        "(quarantined rows are in /q/budget)"
    )
    with pytest.raises(DataQualityError, match=f"^{re.escape(message)}$"):
        check_source(counts, "/q/budget")


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
                by_file={"raw/transactions_2025.csv": FileCounts(12, 9, 2, 1)},
            ),
            SourceCounts(
                "budget",
                rows_read=4,
                accepted=4,
                files=["raw/budget_2025.csv", "raw/budget_empty.csv"],
                missing_optional_columns={"raw/budget_2025.csv": ["scenario"]},
                by_file={"raw/budget_2025.csv": FileCounts(4, 4)},
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


def test_run_report_json_carries_the_file_counts_and_the_files_without_rows():
    budget = _report().to_dict()["sources"][1]
    assert (budget["by_file"], budget["files_without_rows"]) == (
        {
            "raw/budget_2025.csv": {
                "rows_read": 4,
                "accepted": 4,
                "quarantined": 0,
                "exact_duplicates": 0,
                "superseded": 0,
                "reconciles": True,
            }
        },
        ["raw/budget_empty.csv"],
    )


def test_run_report_from_json_without_file_counts():
    data = _report().to_dict()
    for source in data["sources"]:
        del source["by_file"], source["files_without_rows"]
    report = RunReport.from_json(json.dumps(data))
    assert [s.by_file for s in report.sources] == [{}, {}]


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
        "  note: raw/budget_empty.csv: has a header but no data rows\n",
        "  transactions file          read  accepted  quarantined  exact dup  superseded\n"
        "  -------------------------  ----  --------  -----------  ---------  ----------\n"
        "  raw/transactions_2025.csv    12         9            2          1           0\n",
        "  table            rows\n  ---------------  ----\n  dim_date          731\n  fact_financials    40\n",
    ]:
        assert expected in rendered
    assert rendered.endswith("\n  note: a message")


def test_run_report_render_flags_a_source_that_does_not_reconcile():
    report = RunReport("finance", "r2", sources=[SourceCounts("budget", rows_read=3, accepted=1)])
    assert (
        report.render().splitlines()[-1] == "  budget     3         1            0          0           0          NO"
    )


def test_run_report_render_lists_at_most_20_files_per_source():
    by_file = {f"b{i:02}.csv": FileCounts(1, 1) for i in range(23)}
    report = RunReport("finance", "r1", sources=[SourceCounts("budget", 23, 23, files=list(by_file), by_file=by_file)])
    lines = report.render().splitlines()
    assert "  b19.csv         1         1            0          0           0" in lines
    assert not any(line.startswith("  b20.csv") for line in lines)
    assert "  … and 3 more file(s) (see the JSON report)" in lines


def _json_report():
    unknown = {"coupon_code": 1, "customer.loyalty_tier": 3}
    return RunReport(
        "json_orders", "r1", status="succeeded", sources=[SourceCounts("orders", 3, 3, unknown_fields=unknown)]
    )


def test_run_report_json_round_trips_the_unknown_fields():
    report = _json_report()
    assert report.to_dict()["sources"][0]["unknown_fields"] == {"coupon_code": 1, "customer.loyalty_tier": 3}
    assert RunReport.from_json(report.to_json()) == report


def test_run_report_from_json_without_unknown_fields():
    data = _report().to_dict()
    for source in data["sources"]:
        del source["unknown_fields"]
    assert [s.unknown_fields for s in RunReport.from_json(json.dumps(data)).sources] == [{}, {}]


def test_run_report_render_lists_the_unknown_fields():
    assert "  note: orders: unknown field(s) ignored: coupon_code (1 line), customer.loyalty_tier (3 lines)" in (
        _json_report().render().splitlines()
    )
    assert "unknown field" not in _report().render()
