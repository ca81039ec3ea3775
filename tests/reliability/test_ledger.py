"""The processed-files ledger: new, unchanged, changed files and full refreshes."""

from __future__ import annotations

from gluestar.ledger import ledger_key, plan_files
from gluestar.snapshots import LedgerEntry


def test_a_first_run_reads_every_file_in_path_order() -> None:
    plan = plan_files({"/raw/b.csv": (5, 2), "/raw/a.csv": (10, 1)}, {}, run_id="r1")
    assert (plan.to_read, plan.skipped, plan.changed) == (("/raw/a.csv", "/raw/b.csv"), (), ())
    assert plan.seq == {"/raw/a.csv": 1, "/raw/b.csv": 2}
    assert plan.ledger == {"/raw/a.csv": LedgerEntry(10, 1, 1, "r1"), "/raw/b.csv": LedgerEntry(5, 2, 2, "r1")}


def test_a_later_run_skips_unchanged_files_and_rereads_changed_ones() -> None:
    ledger = {"/raw/a.csv": LedgerEntry(10, 1, 1, "r1"), "/raw/b.csv": LedgerEntry(5, 2, 2, "r1")}
    statuses = {"/raw/a.csv": (10, 1), "/raw/b.csv": (5, 9), "/raw/c.csv": (7, 3)}
    plan = plan_files(statuses, ledger, run_id="r2")
    assert plan.to_read == ("/raw/b.csv", "/raw/c.csv")
    assert (plan.skipped, plan.changed) == (("/raw/a.csv",), ("/raw/b.csv",))
    # A changed file is newer than every file before it: it restates them.
    assert plan.seq == {"/raw/b.csv": 3, "/raw/c.csv": 4}
    assert plan.ledger["/raw/a.csv"] == LedgerEntry(10, 1, 1, "r1")
    assert plan.ledger["/raw/b.csv"] == LedgerEntry(5, 9, 3, "r2")


def test_a_full_refresh_reads_everything_and_keeps_the_order_of_known_files() -> None:
    ledger = {"/raw/a.csv": LedgerEntry(10, 1, 1, "r1")}
    plan = plan_files({"/raw/a.csv": (10, 1), "/raw/0.csv": (1, 1)}, ledger, run_id="r2", full_refresh=True)
    assert plan.to_read == ("/raw/0.csv", "/raw/a.csv")
    assert plan.seq == {"/raw/0.csv": 2, "/raw/a.csv": 1}


def test_a_file_listed_under_another_scheme_is_the_same_file() -> None:
    ledger = {"s3://bucket/raw/a.csv": LedgerEntry(10, 1, 1, "r1")}
    plan = plan_files({"s3a://bucket/raw/a.csv": (10, 1)}, ledger, run_id="r2")
    assert plan.skipped == ("s3a://bucket/raw/a.csv",)
    assert ledger_key("file:/data/raw/a.csv") == "/data/raw/a.csv"
