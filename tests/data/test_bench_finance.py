"""The benchmark harness's pure parts: event-log attribution, the RSS sampler, targets (no Spark)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_finance", REPO / "data" / "bench_finance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def _job(job_id: int, stages: list[int], group: str | None) -> dict:
    properties = {"spark.jobGroup.id": group, "spark.job.description": group} if group else {}
    return {"Event": "SparkListenerJobStart", "Job ID": job_id, "Stage IDs": stages, "Properties": properties}


def _task(stage: int, *, written: int = 0, remote: int = 0, local: int = 0, spilled: int = 0) -> dict:
    return {
        "Event": "SparkListenerTaskEnd",
        "Stage ID": stage,
        "Task Metrics": {
            "Executor Run Time": 1000,
            "Memory Bytes Spilled": spilled,
            "Disk Bytes Spilled": spilled // 2,
            "Shuffle Read Metrics": {"Remote Bytes Read": remote, "Local Bytes Read": local},
            "Shuffle Write Metrics": {"Shuffle Bytes Written": written},
        },
    }


def test_event_log_metrics_are_summed_per_pipeline_stage(tmp_path: Path) -> None:
    events = [
        {"Event": "SparkListenerApplicationStart", "Timestamp": 1},
        _job(0, [0], None),
        _job(1, [1, 2], "gluestar:read_validate_dedup"),
        _task(0),
        _task(1, written=100),
        _task(1, written=50),
        _task(2, local=120, remote=30, spilled=10),
        _job(2, [2, 3], "gluestar:facts"),  # stage 2 is reused (skipped): it stays with job 1
        _task(3, written=7),
    ]
    (tmp_path / "local-123").write_text("\n".join(json.dumps(event) for event in events) + "\n")

    metrics = bench.read_event_log(tmp_path)

    dedup, facts, outside = metrics["read_validate_dedup"], metrics["facts"], metrics[bench.UNLABELLED]
    assert (dedup["jobs"], dedup["tasks"], dedup["shuffle_write_bytes"], dedup["shuffle_read_bytes"]) == (
        1,
        3,
        150,
        150,
    )
    assert (dedup["memory_spilled_bytes"], dedup["disk_spilled_bytes"]) == (10, 5)
    assert (facts["jobs"], facts["tasks"], facts["shuffle_write_bytes"]) == (1, 1, 7)
    assert (outside["jobs"], outside["tasks"], outside["executor_run_ms"]) == (1, 1, 1000)


def test_event_log_folder_must_hold_exactly_one_log(tmp_path: Path) -> None:
    with pytest.raises(bench.BenchError, match="expected one Spark event log"):
        bench.read_event_log(tmp_path)


def test_rss_sampler_sees_the_process_tree() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.2)
        assert child.pid in bench.process_tree(os.getpid())
        own = bench.tree_rss_bytes(child.pid)
        with bench.RssSampler(os.getpid(), interval=0.05) as sampler:
            time.sleep(0.2)
    finally:
        child.kill()
        child.wait()
    assert own > 1024 * 1024
    assert sampler.samples >= 2
    assert sampler.peak_bytes > own
    assert 0 < sampler.peak_pss_bytes <= sampler.peak_bytes


def _run(wall: float, *, quality: float = 1.0, peak_gib: float = 2.0, spilled: int = 0) -> dict:
    spark = {"facts": {"memory_spilled_bytes": spilled, "disk_spilled_bytes": 0}}
    return {
        "wall_seconds": wall,
        "peak_rss_bytes": int(peak_gib * 1024**3),
        "stage_seconds": {"quality": quality},
        "spark": spark,
    }


def test_targets_pass_when_every_figure_is_inside() -> None:
    sizes = {1_000_000: {"first": _run(30.0)}, 10_000_000: {"first": _run(150.0, quality=10.0)}}

    targets = bench.evaluate_targets(sizes)

    assert {key: value["status"] for key, value in targets.items()} == {
        "wall_10m_under_180s": "PASS",
        "peak_under_6gib": "PASS",
        "growth_at_most_linear": "PASS",
        "quality_at_most_15pct": "PASS",
        "no_spill": "PASS",
        "load_at_least_150k_rows_s": "n/a",
    }
    assert targets["growth_at_most_linear"]["value"] == {"ratio": 5.0, "rows_ratio": 10.0}


def test_targets_fail_on_each_missed_figure() -> None:
    sizes = {
        1_000_000: {"first": _run(10.0), "second": _run(12.0, quality=3.0)},
        10_000_000: {"first": _run(200.0, peak_gib=7.0, spilled=1)},
    }

    targets = bench.evaluate_targets(sizes)

    assert {key: value["status"] for key, value in targets.items() if value["status"] == "FAIL"} == {
        "wall_10m_under_180s": "FAIL",
        "peak_under_6gib": "FAIL",
        "growth_at_most_linear": "FAIL",
        "quality_at_most_15pct": "FAIL",
        "no_spill": "FAIL",
    }


def test_targets_leave_the_load_out_of_the_wall_time() -> None:
    ten = {**_run(250.0, quality=10.0), "load_seconds": 90.0, "wall_without_load_seconds": 160.0}
    ten["load"] = {"fact_gl_transaction": {"rows": 9_000_000, "seconds": 60.0, "rows_per_second": 150_000}}

    targets = bench.evaluate_targets({1_000_000: {"first": _run(40.0)}, 10_000_000: {"first": ten}})

    assert targets["wall_10m_under_180s"] == {"status": "PASS", "value": 160.0}
    assert targets["growth_at_most_linear"]["value"] == {"ratio": 4.0, "rows_ratio": 10.0}
    assert targets["load_at_least_150k_rows_s"]["status"] == "PASS"


def test_targets_without_a_10m_run_are_not_applicable() -> None:
    targets = bench.evaluate_targets({1_000_000: {"first": _run(30.0)}})

    assert targets["wall_10m_under_180s"]["status"] == "n/a"
    assert targets["growth_at_most_linear"]["status"] == "n/a"


def test_report_must_reconcile_with_the_generator_counts() -> None:
    expected = {"transactions": {"rows_read": 10, "accepted": 8}, "budget": {"rows_read": 2, "accepted": 2}}
    report = {
        "status": "succeeded",
        "reconciles": True,
        "sources": [
            {"source": "transactions", "rows_read": 10, "accepted": 7},
            {"source": "budget", "rows_read": 2, "accepted": 2},
        ],
        "tables": {"fact_gl_transaction": 7},
    }

    with pytest.raises(bench.BenchError, match=r"transactions counts .* differ"):
        bench.check_report(report, expected, "r1", 7)


def test_report_must_carry_the_expected_fact_rows_of_the_rebuilt_partitions() -> None:
    expected = {"transactions": {"rows_read": 10, "accepted": 8}}
    report = {
        "status": "succeeded",
        "reconciles": True,
        "sources": [{"source": "transactions", "rows_read": 10, "accepted": 8}],
        "tables": {"fact_gl_transaction": 50},
    }
    bench.check_report(report, expected, "r2", 50)

    with pytest.raises(bench.BenchError) as caught:
        bench.check_report(report, expected, "r2", 58)

    assert str(caught.value) == (
        "run r2: fact_gl_transaction has 50 rows in the partitions it rebuilt; the generator expects 58"
    )


def test_load_report_lines_give_rows_per_second() -> None:
    stdout = (
        "gluestar load of finance run r1 into schema finance (postgres executor): 2 table(s) in 3.0 s\n"
        "  table                files  bytes  partitions  staged  deleted  inserted  seconds\n"
        "  -------------------  -----  -----  ----------  ------  -------  --------  -------\n"
        "  dim_date                 1    100           -     365        0       365     0.10\n"
        "  fact_gl_transaction      4   9000          12  300000        0    300000     2.00\n"
    )

    load = bench.parse_load_output(stdout)

    assert load["fact_gl_transaction"]["rows_per_second"] == 150_000
    assert load["dim_date"]["rows"] == 365


def test_rows_accept_lists_and_repeats() -> None:
    assert bench.parse_rows(["1000000,10000000", "3000000"]) == [1_000_000, 3_000_000, 10_000_000]
    assert bench.parse_rows(None) == [1_000_000, 10_000_000]


def test_extracts_are_split_into_a_multiple_of_the_cores_of_at_most_a_million_rows() -> None:
    assert [bench.extract_files(rows) for rows in (1, 1_000_000, 2_000_001, 10_000_000)] == [2, 2, 4, 10]
    assert bench.extract_files(10_000_000, cores=4) == 12


def test_runs_read_links_so_the_delta_never_lands_in_the_extract(tmp_path: Path) -> None:
    extract, inputs = tmp_path / "finance-10", tmp_path / "runs" / "raw"
    extract.mkdir()
    (extract / "transactions_part_000.csv").write_text("a\n1\n")
    delta = bench.delta_folder(extract)
    delta.mkdir()
    (delta / bench.DELTA_FILE).write_text("a\n2\n")

    bench.link_inputs(sorted(extract.glob("*.csv")), inputs)
    bench.link_inputs([delta / bench.DELTA_FILE], inputs)
    bench.link_inputs(sorted(extract.glob("*.csv")), inputs)  # again: links are replaced, not doubled

    assert delta == tmp_path / "finance-10-delta"
    assert sorted(p.name for p in inputs.iterdir()) == [bench.DELTA_FILE, "transactions_part_000.csv"]
    assert (inputs / bench.DELTA_FILE).read_text() == "a\n2\n"
    assert sorted(p.name for p in extract.iterdir()) == ["transactions_part_000.csv"]
