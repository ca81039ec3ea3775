"""Soak: many runs over a stream of small random extracts, with random faults.

After every run the published star schema must equal a rebuild from scratch of every raw file so far
(``--FULL_REFRESH`` into a fresh zone): facts exactly, dimensions as a superset (a member, once seen,
is never deleted, and ``dim_date`` never shrinks). A fault leaves the published state unchanged, byte
for byte. ``pytest --soak-runs N`` (``make soak``) sets the number of runs; the default suite makes 3.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import pytest
from finance_extracts import BUDGET_HEADER, DEPARTMENTS, TRANSACTION_HEADER, natural_tables, transaction, write_extract
from pyspark.sql import SparkSession

from gluestar.faults import inject
from gluestar.pipelines.finance import run_finance
from published_state import published_state

FAULTS = (None, None, "read", "transform", "write", "quality", "publish")


class Stream:
    """Random extracts: new transactions, newer versions (some moving months or departments), exact
    resends, stale versions, invalid rows, and budgets that restate earlier ones."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = dt.datetime(2025, 1, 1)
        self.latest: dict[str, str] = {}  # transaction id -> its current line
        self.older: dict[str, str] = {}  # transaction id -> a line older than the current one
        self.next_id = 1

    def _line(self, tid: str) -> str:
        self.clock += dt.timedelta(hours=1)
        month = self.rng.randint(1, 6)
        return transaction(
            tid,
            f"2025-{month:02d}-{self.rng.randint(1, 28):02d}",
            self.rng.choice(sorted(DEPARTMENTS)),
            self.rng.choice(["4000", "6000"]),
            f"{self.rng.randint(1, 99999) / 100:.2f}",
            self.clock.strftime("%Y-%m-%dT%H:%M:%S"),
        )

    def transactions(self) -> list[str]:
        lines = []
        for _ in range(self.rng.randint(2, 5)):
            tid = f"T{self.next_id:05d}"
            self.next_id += 1
            self.latest[tid] = self._line(tid)
            lines.append(self.latest[tid])
        known = sorted(self.latest)
        for tid in self.rng.sample(known, min(2, len(known))):
            self.older[tid] = self.latest[tid]
            self.latest[tid] = self._line(tid)
            lines.append(self.latest[tid])
        lines.append(self.latest[self.rng.choice(known)])  # an exact resend
        if self.older:
            lines.append(self.older[self.rng.choice(sorted(self.older))])  # a stale version
        lines.append("BAD,2025-02-30,D1,x,y,4000,a,Revenue,c,1.00,\n")  # an invalid date
        self.rng.shuffle(lines)
        return lines

    def budgets(self) -> list[str]:
        return [
            f"2025-{self.rng.randint(1, 6):02d},{self.rng.choice(sorted(DEPARTMENTS))},"
            f"{self.rng.choice(['4000', '6000'])},{self.rng.randint(1, 9999)}.00,"
            f"{self.rng.choice(['Budget', 'Forecast'])}\n"
            for _ in range(self.rng.randint(1, 4))
        ]


def _contains(bigger: list[tuple], smaller: list[tuple]) -> bool:
    return set(smaller) <= set(bigger)


@pytest.mark.soak
def test_random_runs_with_random_faults_match_a_rebuild_from_scratch(
    spark: SparkSession, tmp_path: Path, soak_runs: int
) -> None:
    stream = Stream(seed=20251124)
    raw, out = tmp_path / "raw", tmp_path / "out"
    rng = random.Random(7)
    for run in range(soak_runs):
        write_extract(raw, f"transactions_{run:03d}.csv", TRANSACTION_HEADER, stream.transactions())
        if run == 0 or rng.random() < 0.7:
            write_extract(raw, f"budget_{run:03d}.csv", BUDGET_HEADER, stream.budgets())
        fault = FAULTS[rng.randrange(len(FAULTS))] if run else None
        if fault is not None:
            before = published_state(out / "finance")
            with inject(fault, RuntimeError(f"soak fault at {fault}")), pytest.raises(RuntimeError):
                run_finance(spark, str(raw), str(out), run_id=f"soak-{run}")
            assert published_state(out / "finance") == before, f"run {run}: fault at {fault} changed the state"
        report = run_finance(spark, str(raw), str(out), run_id=f"soak-{run}")
        assert report.status == "succeeded" and report.reconciles, report.render()

        scratch = tmp_path / "scratch"
        run_finance(spark, str(raw), str(scratch), run_id=f"scratch-{run}", full_refresh=True)
        published, rebuilt = natural_tables(spark, out), natural_tables(spark, scratch)
        for name in ("fact_gl_transaction", "fact_financials"):
            assert published[name] == rebuilt[name], f"run {run}: {name} differs from a rebuild"
        for name in ("dim_date", "dim_department", "dim_account", "dim_scenario"):
            assert _contains(published[name], rebuilt[name]), f"run {run}: {name} lost members of a rebuild"
        shutil.rmtree(scratch)
