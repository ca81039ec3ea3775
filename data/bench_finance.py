#!/usr/bin/env python3
"""Benchmark the finance job end to end: ``make bench`` (``make bench ROWS=10000000``).

For every size (``--rows``, default 1,000,000 and 10,000,000):

1. generate the GL extract with ``data/generate_finance.py`` unless a matching one (same row count
   in its ``_expected.json``) is already there; the generation is timed;
2. run the job exactly as users run it: ``spark-submit --master local[2] --driver-memory 4g
   --py-files <wheel> jobs/finance_star.py`` into a fresh output folder, with Spark's event log on;
3. run it a second time over the same output with one more file, the extract's delta (1% more
   rows: new transactions of the month after the period, newer versions of transactions of its
   last month): the dimension keys exist already, and only the two months it touches are rebuilt.

Each run is measured: wall time, rows per second, the peak resident memory of the whole process
tree (spark-submit, the JVM, the Python workers; /proc sampled every 0.2 s), the seconds of every
pipeline stage (from the run report ``_runs/<run_id>.json``), and, from the event log, the Spark
jobs, tasks, shuffle and spilled bytes per pipeline stage (the pipeline labels its jobs with the job
group ``gluestar:<stage>``). The run report must reconcile and carry the generator's exact counts,
or the benchmark fails. The figures are printed as a table and written to
``<out>/bench-<UTC time>.json`` and ``<out>/latest.json`` with the machine they came from; the
targets of the performance issue are reported as PASS/FAIL for information only.

``--load`` also loads the first run into a throwaway local PostgreSQL (the Redshift stand-in) and
reports the load's rows per second.

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / "data" / "generate_finance.py"
JOB = REPO / "jobs" / "finance_star.py"
LOG4J = REPO / "jobs" / "log4j2-local.properties"
DEFAULT_ROWS = (1_000_000, 10_000_000)
MASTER = "local[2]"
DRIVER_MEMORY = "4g"
SOURCES = ("transactions", "budget")
#: The delta extract's one file (``generate_finance.py --delta-of``).
DELTA_FILE = "transactions_delta.csv"
COUNT_KEYS = ("rows_read", "accepted", "quarantined", "exact_duplicates", "superseded", "conflicts")
#: Job group prefix the pipeline's ``_stage`` sets on the Spark jobs of a stage.
GROUP_PREFIX = "gluestar:"
#: Label of the Spark jobs started outside any pipeline stage (session start, metrics history, ...).
UNLABELLED = "(outside stages)"
MIB = 1024 * 1024

#: The issue's targets: (name, description). Evaluated by :func:`evaluate_targets`.
TARGETS = {
    "wall_10m_under_180s": "10M rows end to end (first run, no load) in under 180 s",
    "peak_under_6gib": "peak memory (PSS) of the process tree under 6 GiB (every run)",
    "growth_at_most_linear": "wall time from the smallest to the largest size grows at most linearly",
    "quality_at_most_15pct": "the quality stage is at most 15% of the run's wall time (every run)",
    "no_spill": "nothing spilled (every run)",
    "load_at_least_150k_rows_s": "fact_gl_transaction loads at 150k rows/s or better (with --load)",
}


class BenchError(RuntimeError):
    """A run failed or did not reconcile."""


# --------------------------------------------------------------------------------------------
# memory of a process tree
# --------------------------------------------------------------------------------------------

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children_map(proc: Path = Path("/proc")) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(root: int, proc: Path = Path("/proc")) -> list[int]:
    """The process ``root`` and all its descendants that are alive now."""
    children = _children_map(proc)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_rss_bytes(root: int, proc: Path = Path("/proc")) -> int:
    """Resident memory (bytes) of ``root`` and all its descendants, summed."""
    total = 0
    for pid in process_tree(root, proc):
        try:
            resident = int((proc / str(pid) / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        total += resident * _PAGE_SIZE
    return total


def tree_pss_bytes(root: int, proc: Path = Path("/proc")) -> int:
    """Proportional set size (bytes) of the tree: pages shared by forked workers counted once in total."""
    total = 0
    for pid in process_tree(root, proc):
        try:
            text = (proc / str(pid) / "smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total


class RssSampler:
    """Sample the resident memory of a process tree in a background thread; keep the peak.

    Examples
    --------
    >>> with RssSampler(os.getpid()) as sampler:  # doctest: +SKIP
    ...     work()
    >>> sampler.peak_bytes  # doctest: +SKIP
    """

    def __init__(self, root: int, *, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.peak_bytes = 0
        self.peak_pss_bytes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def _loop(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> int:
        """Take one sample now and return it (bytes)."""
        rss = tree_rss_bytes(self.root)
        self.samples += 1
        self.peak_bytes = max(self.peak_bytes, rss)
        self.peak_pss_bytes = max(self.peak_pss_bytes, tree_pss_bytes(self.root))
        return rss

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------------------------
# the Spark event log
# --------------------------------------------------------------------------------------------


def _stage_label(properties: dict[str, Any] | None) -> str:
    group = (properties or {}).get("spark.jobGroup.id") or ""
    return group[len(GROUP_PREFIX) :] if group.startswith(GROUP_PREFIX) else UNLABELLED


def parse_event_log(lines: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Spark jobs, tasks, shuffle, spill and I/O bytes per pipeline stage, from event-log lines.

    A job belongs to the pipeline stage named by its job group ``gluestar:<stage>``; jobs without
    such a group go to ``(outside stages)``. Task metrics are summed over the tasks of every Spark
    stage of the job that started it (the first job to list a Spark stage owns it).

    Examples
    --------
    >>> start = {"Event": "SparkListenerJobStart", "Job ID": 0, "Stage IDs": [0],
    ...          "Properties": {"spark.jobGroup.id": "gluestar:facts"}}
    >>> end = {"Event": "SparkListenerTaskEnd", "Stage ID": 0,
    ...        "Task Metrics": {"Shuffle Write Metrics": {"Shuffle Bytes Written": 10}}}
    >>> parse_event_log([json.dumps(start), json.dumps(end)])["facts"]["shuffle_write_bytes"]
    10
    """
    stage_owner: dict[int, str] = {}
    totals: dict[str, Counter[str]] = {}

    def bucket(label: str) -> Counter[str]:
        return totals.setdefault(label, Counter())

    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        kind = event.get("Event")
        if kind == "SparkListenerJobStart":
            label = _stage_label(event.get("Properties"))
            bucket(label)["jobs"] += 1
            stage_ids = event.get("Stage IDs") or [info["Stage ID"] for info in event.get("Stage Infos", [])]
            for stage_id in stage_ids:
                stage_owner.setdefault(stage_id, label)
        elif kind == "SparkListenerStageCompleted":
            info = event.get("Stage Info", {})
            stage_id = info.get("Stage ID")
            bucket(stage_owner.get(stage_id, UNLABELLED))["spark_stages"] += 1
        elif kind == "SparkListenerTaskEnd":
            label = stage_owner.get(event.get("Stage ID"), UNLABELLED)
            metrics = event.get("Task Metrics") or {}
            read = metrics.get("Shuffle Read Metrics") or {}
            write = metrics.get("Shuffle Write Metrics") or {}
            counts = bucket(label)
            counts["tasks"] += 1
            counts["executor_run_ms"] += metrics.get("Executor Run Time", 0)
            counts["gc_ms"] += metrics.get("JVM GC Time", 0)
            counts["input_bytes"] += (metrics.get("Input Metrics") or {}).get("Bytes Read", 0)
            counts["output_bytes"] += (metrics.get("Output Metrics") or {}).get("Bytes Written", 0)
            counts["shuffle_read_bytes"] += read.get("Remote Bytes Read", 0) + read.get("Local Bytes Read", 0)
            counts["shuffle_write_bytes"] += write.get("Shuffle Bytes Written", 0)
            counts["memory_spilled_bytes"] += metrics.get("Memory Bytes Spilled", 0)
            counts["disk_spilled_bytes"] += metrics.get("Disk Bytes Spilled", 0)
            counts["peak_execution_memory_max"] = max(
                counts["peak_execution_memory_max"], metrics.get("Peak Execution Memory", 0)
            )
    fields = (
        "jobs",
        "spark_stages",
        "tasks",
        "executor_run_ms",
        "gc_ms",
        "input_bytes",
        "output_bytes",
        "shuffle_read_bytes",
        "shuffle_write_bytes",
        "memory_spilled_bytes",
        "disk_spilled_bytes",
        "peak_execution_memory_max",
    )
    return {label: {key: counts[key] for key in fields} for label, counts in totals.items()}


def read_event_log(directory: Path) -> dict[str, dict[str, Any]]:
    """Parse the one event log Spark wrote into ``directory`` (see :func:`parse_event_log`)."""
    logs = [path for path in directory.iterdir() if path.is_file()]
    if len(logs) != 1:
        raise BenchError(f"expected one Spark event log in {directory}, found {[p.name for p in logs]}")
    with logs[0].open(encoding="utf-8") as handle:
        return parse_event_log(handle)


# --------------------------------------------------------------------------------------------
# generation, runs, checks
# --------------------------------------------------------------------------------------------


def _expected(directory: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((directory / "_expected.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _expected_rows(directory: Path) -> int | None:
    try:
        return int(_expected(directory)["transactions"]["rows_read"])
    except (KeyError, TypeError, ValueError):
        return None


#: Cores of the benchmark's ``local[2]`` master.
CORES = 2
#: Most transaction rows per generated file.
ROWS_PER_FILE = 1_000_000


def extract_files(rows: int, cores: int = CORES) -> int:
    """Files to split an extract of ``rows`` rows into: a multiple of ``cores``, at most 1M rows each.

    The finance contract reads CSV with ``multiLine`` (a quoted value may hold a line break), and
    such a file cannot be split: each file is one task. With files a multiple of the cores every
    wave of tasks keeps every core busy (five files on two cores run in three waves, the last
    one half idle).

    Examples
    --------
    >>> extract_files(1_000_000), extract_files(10_000_000), extract_files(2_500_000)
    (2, 10, 4)
    """
    return cores * max(1, math.ceil(rows / (cores * ROWS_PER_FILE)))


def _extract_file_count(directory: Path) -> int:
    return len(list(directory.glob("transactions_part_*.csv")))


def _generate(command: list[str], what: str) -> float:
    print(f"generating {what}: {shlex.join(command)}", flush=True)
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise BenchError(f"the generator failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    print(f"  {done.stdout.strip()} ({seconds:.1f} s)", flush=True)
    return seconds


def delta_folder(directory: Path) -> Path:
    """Where the delta extract of the extract in ``directory`` goes (a sibling folder)."""
    return directory.with_name(directory.name + "-delta")


def ensure_extract(rows: int, directory: Path) -> dict[str, Any]:
    """Generate the extract of ``rows`` rows into ``directory``, and its delta, unless matching ones are there.

    The delta (``<directory>-delta``, see ``generate_finance.py --delta-of``) is the second run's
    input: 1% of ``rows``, new transactions of the month after the period and newer versions of
    transactions of its last month.
    """
    files = extract_files(rows)
    result: dict[str, Any] = {"path": str(directory), "generated": False, "seconds": None}
    base_ok = (
        _expected_rows(directory) == rows
        and _extract_file_count(directory) == files
        and "accepted_by_month" in _expected(directory)
    )
    if not base_ok:
        if directory.exists():
            shutil.rmtree(directory)
        command = [sys.executable, str(GENERATOR), "--rows", str(rows), "--out", str(directory), "--files", str(files)]
        result.update(generated=True, seconds=round(_generate(command, f"{rows:,} rows"), 2))
    delta = delta_folder(directory)
    result["delta"] = str(delta)
    made_for = _expected(delta).get("generator", {}).get("delta_of")
    if not base_ok or made_for != str(directory) or not (delta / DELTA_FILE).is_file():
        if delta.exists():
            shutil.rmtree(delta)
        command = [sys.executable, str(GENERATOR), "--delta-of", str(directory), "--out", str(delta)]
        result["delta_seconds"] = round(_generate(command, f"the delta of {rows:,} rows"), 2)
    return result


def link_inputs(files: Iterable[Path], folder: Path) -> None:
    """Hard-link ``files`` into ``folder`` (a symbolic link across file systems); the extract stays untouched.

    A run reads its own folder of links, so the second run can add the delta file without
    changing the generated extract (which later benchmarks reuse).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for source in files:
        target = folder / source.name
        if target.exists() or target.is_symlink():
            target.unlink()
        try:
            os.link(source, target)
        except OSError:
            target.symlink_to(source)


def spark_submit_command(
    *,
    wheel: Path,
    raw: Path,
    processed: Path,
    run_id: str,
    event_dir: Path,
    extra_args: Sequence[str] = (),
    spark_conf: Sequence[str] = (),
) -> list[str]:
    """The spark-submit command line of one benchmark run."""
    submit = Path(sys.executable).parent / "spark-submit"
    confs = [
        "spark.ui.showConsoleProgress=false",
        "spark.eventLog.enabled=true",
        f"spark.eventLog.dir=file://{event_dir}",
        *spark_conf,
    ]
    return [
        str(submit if submit.exists() else "spark-submit"),
        "--master",
        MASTER,
        "--driver-memory",
        DRIVER_MEMORY,
        *[part for conf in confs for part in ("--conf", conf)],
        "--driver-java-options",
        f"-Dlog4j2.configurationFile=file:{LOG4J}",
        "--py-files",
        str(wheel),
        str(JOB),
        "--JOB_NAME",
        "bench",
        "--RAW_PATH",
        str(raw),
        "--PROCESSED_PATH",
        str(processed),
        "--RUN_ID",
        run_id,
        *extra_args,
    ]


def check_report(report: dict[str, Any], expected: dict[str, Any], run_id: str, fact_rows: int) -> None:
    """Fail loudly unless the run succeeded, reconciles and carries the generator's exact counts.

    ``fact_rows`` is the rows of ``fact_gl_transaction`` in the partitions the run rebuilt (every
    accepted transaction on a first run).
    """
    problems = []
    if report.get("status") != "succeeded":
        problems.append(f"status is {report.get('status')!r}")
    if report.get("reconciles") is not True:
        problems.append("the run report does not reconcile")
    found = {source["source"]: source for source in report.get("sources", [])}
    for name in SOURCES:
        want = expected.get(name, {})
        got = {key: found.get(name, {}).get(key) for key in want}
        if got != want:
            problems.append(f"{name} counts {got} differ from the generator's {want}")
    facts = report.get("tables", {}).get("fact_gl_transaction")
    if facts != fact_rows:
        problems.append(
            f"fact_gl_transaction has {facts} rows in the partitions it rebuilt; the generator expects {fact_rows}"
        )
    if problems:
        raise BenchError(f"run {run_id}: " + "; ".join(problems))


_LOAD_LINE = re.compile(r"^\s+(?P<table>\w+)\s+(?P<cells>(?:\S+\s+){6}\S+)\s*$")


def parse_load_output(stdout: str) -> dict[str, dict[str, Any]]:
    """Per-table figures of the load report the job prints (``LoadReport.render``)."""
    tables: dict[str, dict[str, Any]] = {}
    in_report = False
    for line in stdout.splitlines():
        if line.startswith("gluestar load of "):
            in_report = True
            continue
        match = _LOAD_LINE.match(line) if in_report else None
        if not match or match["table"] == "table":
            continue
        files, size, _partitions, staged, _deleted, inserted, seconds = match["cells"].split()
        rows = int(inserted) if inserted.isdigit() else int(staged) if staged.isdigit() else None
        secs = float(seconds)
        tables[match["table"]] = {
            "files": int(files),
            "bytes": int(size),
            "rows": rows,
            "seconds": secs,
            "rows_per_second": round(rows / secs) if rows and secs > 0 else None,
        }
    return tables


def run_once(
    *,
    wheel: Path,
    raw: Path,
    processed: Path,
    run_id: str,
    work: Path,
    expected: dict[str, Any],
    fact_rows: int,
    rows: int,
    extra_args: Sequence[str] = (),
    spark_conf: Sequence[str] = (),
) -> dict[str, Any]:
    """One spark-submit of the job, measured; raises :class:`BenchError` when it fails."""
    event_dir = work / "events" / run_id
    if event_dir.exists():
        shutil.rmtree(event_dir)
    event_dir.mkdir(parents=True)
    command = spark_submit_command(
        wheel=wheel,
        raw=raw,
        processed=processed,
        run_id=run_id,
        event_dir=event_dir,
        extra_args=extra_args,
        spark_conf=spark_conf,
    )
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    stdout_path, stderr_path = work / "logs" / f"{run_id}.out", work / "logs" / f"{run_id}.err"
    stdout_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"run {run_id}: {shlex.join(command)}", flush=True)
    with stdout_path.open("w") as out, stderr_path.open("w") as err:
        began_epoch = time.time()
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=REPO)
        with RssSampler(process.pid) as sampler:
            returncode = process.wait()
        wall = time.perf_counter() - began
    if returncode != 0:
        tail = "".join(stderr_path.read_text(errors="replace").splitlines(keepends=True)[-40:])
        raise BenchError(f"run {run_id} failed (exit {returncode}); log {stderr_path}:\n{tail}")
    report_path = processed / "finance" / "_runs" / f"{run_id}.json"
    report = json.loads(report_path.read_text(encoding="utf-8"))
    check_report(report, expected, run_id, fact_rows)
    spark = read_event_log(event_dir)
    stages = dict(report.get("stage_seconds", {}))
    load = parse_load_output(stdout_path.read_text(errors="replace")) if extra_args else {}
    # The targets are for the job without its load: a run that also loads reports both.
    loading = sum(table["seconds"] for table in load.values())
    result = {
        "run_id": run_id,
        "rows": rows,
        "wall_seconds": round(wall, 2),
        "load_seconds": round(loading, 2),
        "wall_without_load_seconds": round(wall - loading, 2),
        "rows_per_second": round(rows / (wall - loading)),
        "peak_rss_bytes": sampler.peak_bytes,
        "peak_pss_bytes": sampler.peak_pss_bytes,
        "rss_samples": sampler.samples,
        "started_epoch": round(began_epoch, 3),
        "stage_seconds": stages,
        "stages_total_seconds": round(sum(stages.values()), 2),
        "spark": spark,
        "tables": report.get("tables", {}),
        "command": command,
        "report": str(report_path),
        "logs": [str(stdout_path), str(stderr_path)],
    }
    if load:
        result["load"] = load
    print(
        f"  {wall:.1f} s, {rows / wall:,.0f} rows/s, peak RSS {sampler.peak_bytes / MIB:,.0f} MiB "
        f"(PSS {sampler.peak_pss_bytes / MIB:,.0f} MiB); "
        f"stages {json.dumps(stages)}",
        flush=True,
    )
    return result


# --------------------------------------------------------------------------------------------
# targets, table, machine
# --------------------------------------------------------------------------------------------


def _spilled(run: dict[str, Any]) -> int:
    return sum(s["memory_spilled_bytes"] + s["disk_spilled_bytes"] for s in run["spark"].values())


def quality_share(run: dict[str, Any]) -> float:
    """Seconds of the quality stage over the run's wall time (without its load)."""
    return run["stage_seconds"].get("quality", 0.0) / _job_seconds(run)


def _job_seconds(run: dict[str, Any]) -> float:
    """A run's wall time without its load (the whole wall time of a run that did not load)."""
    return run.get("wall_without_load_seconds", run["wall_seconds"])


def evaluate_targets(sizes: dict[int, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """PASS/FAIL (or n/a) against the issue's targets, for ``{rows: {"first": run, "second": run}}``.

    Examples
    --------
    >>> run = {"wall_seconds": 100.0, "peak_rss_bytes": 2**30, "stage_seconds": {"quality": 5.0},
    ...        "spark": {}}
    >>> evaluate_targets({10_000_000: {"first": run}})["wall_10m_under_180s"]["status"]
    'PASS'
    """

    def verdict(ok: bool | None, value: Any) -> dict[str, Any]:
        status = "n/a" if ok is None else "PASS" if ok else "FAIL"
        return {"status": status, "value": value}

    runs = [run for size in sizes.values() for run in size.values() if isinstance(run, dict) and "wall_seconds" in run]
    out: dict[str, dict[str, Any]] = {}
    ten = sizes.get(10_000_000, {}).get("first")
    out["wall_10m_under_180s"] = verdict(_job_seconds(ten) < 180 if ten else None, ten and _job_seconds(ten))
    # PSS, not the RSS sum: a child forked by the JVM (Hadoop's chmod) briefly shows the JVM's whole RSS
    peak = max((run.get("peak_pss_bytes") or run["peak_rss_bytes"] for run in runs), default=None)
    out["peak_under_6gib"] = verdict(None if peak is None else peak < 6 * 1024**3, peak and round(peak / MIB))
    measured = sorted(rows for rows, size in sizes.items() if "first" in size)
    if len(measured) >= 2:
        small, large = measured[0], measured[-1]
        ratio = _job_seconds(sizes[large]["first"]) / _job_seconds(sizes[small]["first"])
        out["growth_at_most_linear"] = verdict(
            ratio <= large / small, {"ratio": round(ratio, 2), "rows_ratio": round(large / small, 2)}
        )
    else:
        out["growth_at_most_linear"] = verdict(None, None)
    share = max((quality_share(run) for run in runs), default=None)
    out["quality_at_most_15pct"] = verdict(None if share is None else share <= 0.15, share and round(share, 3))
    spilled = sum(_spilled(run) for run in runs) if runs else None
    out["no_spill"] = verdict(None if spilled is None else spilled == 0, spilled)
    rates = [
        table["rows_per_second"]
        for run in runs
        for name, table in run.get("load", {}).items()
        if name == "fact_gl_transaction" and table.get("rows_per_second")
    ]
    out["load_at_least_150k_rows_s"] = verdict(min(rates) >= 150_000 if rates else None, min(rates, default=None))
    return out


def _first_line(command: Sequence[str], *, stderr: bool = False) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stderr if stderr else done.stdout).strip()
    return text.splitlines()[0] if text else None


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    pyspark = _first_line([sys.executable, "-c", "import pyspark; print(pyspark.__version__)"])
    return {
        "hostname": platform.node(),
        "nproc": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_total_bytes": memory,
        "memory_total_gib": memory and round(memory / 1024**3, 1),
        "cpu_model": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "java": _first_line(["java", "-version"], stderr=True),
        "spark": pyspark,
        "master": MASTER,
        "driver_memory": DRIVER_MEMORY,
        "load_average_at_start": list(os.getloadavg()),
    }


def _mib(value: float) -> str:
    return f"{value / MIB:,.1f}"


def render(result: dict[str, Any]) -> str:
    """The benchmark as readable text."""
    m = result["machine"]
    lines = [
        f"gluestar finance benchmark {result['timestamp']} on {m['nproc']} cores, {m['memory_total_gib']} GiB, "
        f"{m['cpu_model']}; Spark {m['spark']}, {m['java']}, {MASTER}, driver {DRIVER_MEMORY}",
        "",
    ]
    header = ("size", "run", "rows read", "wall s", "rows/s", "peak RSS MiB", "peak PSS MiB", "gen s")
    table = []
    for rows, size in sorted(result["sizes"].items(), key=lambda item: int(item[0])):
        for which in ("first", "second"):
            run = size.get(which)
            if not run:
                continue
            gen = size["extract"].get("seconds" if which == "first" else "delta_seconds")
            table.append(
                (
                    f"{int(rows):,}",
                    "second (delta)" if which == "second" else which,
                    f"{run['rows']:,}",
                    f"{_job_seconds(run):.1f}",
                    f"{run['rows_per_second']:,}",
                    f"{run['peak_rss_bytes'] / MIB:,.0f}",
                    f"{run['peak_pss_bytes'] / MIB:,.0f}" if run.get("peak_pss_bytes") else "-",
                    "-" if gen is None else f"{gen:.1f}",
                )
            )
    lines.extend(_grid(header, table))
    for rows, size in sorted(result["sizes"].items(), key=lambda item: int(item[0])):
        for which in ("first", "second"):
            run = size.get(which)
            if not run:
                continue
            lines += ["", f"{int(rows):,} rows, {which} run ({run['run_id']}): per pipeline stage"]
            head = ("stage", "seconds", "jobs", "tasks", "task s", "shuffle w MiB", "shuffle r MiB", "spill MiB")
            body = []
            labels = list(run["stage_seconds"]) + [s for s in run["spark"] if s not in run["stage_seconds"]]
            for label in labels:
                spark = run["spark"].get(label, {})
                seconds = run["stage_seconds"].get(label)
                body.append(
                    (
                        label,
                        "-" if seconds is None else f"{seconds:.1f}",
                        str(spark.get("jobs", 0)),
                        str(spark.get("tasks", 0)),
                        f"{spark.get('executor_run_ms', 0) / 1000:.1f}",
                        _mib(spark.get("shuffle_write_bytes", 0)),
                        _mib(spark.get("shuffle_read_bytes", 0)),
                        _mib(spark.get("memory_spilled_bytes", 0) + spark.get("disk_spilled_bytes", 0)),
                    )
                )
            lines.extend(_grid(head, body))
            outside = _job_seconds(run) - run["stages_total_seconds"]
            loading = f" (+ {run['load_seconds']:.1f} s of load)" if run.get("load_seconds") else ""
            lines.append(
                f"  wall {_job_seconds(run):.1f} s{loading} = stages {run['stages_total_seconds']:.1f} s + "
                f"{outside:.1f} s outside (JVM start, session, metrics history, exit); "
                f"quality share {quality_share(run):.1%}"
            )
            for table_name, load in run.get("load", {}).items():
                lines.append(
                    f"  load {table_name}: {load['rows']} rows in {load['seconds']:.2f} s "
                    f"({load['rows_per_second'] or '-'} rows/s)"
                )
    lines.append("")
    for key, value in result["comparisons"].items():
        lines.append(f"{key}: {value}")
    lines += ["", "targets (informational):"]
    for key, verdict in result["targets"].items():
        lines.append(f"  {verdict['status']:<4}  {TARGETS[key]}: {verdict['value']}")
    return "\n".join(lines)


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for cells in (header, tuple("-" * w for w in widths), *rows):
        yield "  " + "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )


def comparisons(sizes: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Growth between sizes and second run versus first run."""
    out: dict[str, Any] = {}
    measured = sorted(rows for rows, size in sizes.items() if "first" in size)
    for small, large in pairwise(measured):
        a, b = sizes[small]["first"], sizes[large]["first"]
        out[f"growth {small:,} -> {large:,} rows (first runs)"] = (
            f"wall x{_job_seconds(b) / _job_seconds(a):.2f} for rows x{large / small:.0f}; "
            + ", ".join(
                f"{stage} x{b['stage_seconds'][stage] / a['stage_seconds'][stage]:.2f}"
                for stage in a["stage_seconds"]
                if a["stage_seconds"][stage] > 0 and stage in b["stage_seconds"]
            )
        )
    for rows in measured:
        first, second = sizes[rows].get("first"), sizes[rows].get("second")
        if first and second:
            out[f"second run / first run at {rows:,} rows"] = (
                f"wall x{second['wall_seconds'] / first['wall_seconds']:.2f}; "
                + ", ".join(
                    f"{stage} x{second['stage_seconds'][stage] / first['stage_seconds'][stage]:.2f}"
                    for stage in first["stage_seconds"]
                    if first["stage_seconds"][stage] > 0 and stage in second["stage_seconds"]
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def parse_rows(values: Sequence[str] | None) -> list[int]:
    """Sizes from ``--rows`` values, each a number or a comma-separated list (``1e6`` style allowed).

    Examples
    --------
    >>> parse_rows(["1000000,10000000", "3000000"])
    [1000000, 3000000, 10000000]
    """
    if not values:
        return list(DEFAULT_ROWS)
    sizes = set()
    for value in values:
        for part in value.replace("_", "").split(","):
            if not part.strip():
                continue
            rows = int(float(part)) if re.fullmatch(r"\s*\d+(\.\d+)?[eE]\d+\s*", part) else int(part)
            if rows <= 0:
                raise argparse.ArgumentTypeError(f"--rows must be positive; got {part!r}")
            sizes.add(rows)
    return sorted(sizes)


def _start_postgres(directory: Path) -> list[str]:
    local = [sys.executable, "-m", "gluestar.redshift.local"]
    if subprocess.run([*local, "available"], capture_output=True, check=False).returncode != 0:
        raise BenchError("--load needs the PostgreSQL server binaries (initdb, pg_ctl); they were not found")
    subprocess.run([*local, "start", "--dir", str(directory)], check=True, capture_output=True, text=True)
    args = subprocess.run([*local, "args", "--dir", str(directory)], check=True, capture_output=True, text=True).stdout
    return ["--REDSHIFT_EXECUTOR", "postgres", "--REDSHIFT_SCHEMA", "finance", *shlex.split(args)]


def _stop_postgres(directory: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "gluestar.redshift.local", "stop", "--dir", str(directory)],
        capture_output=True,
        check=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        action="append",
        help="transaction rows; repeat or give a comma-separated list (default 1000000,10000000)",
    )
    parser.add_argument("--wheel", required=True, type=Path, help="the gluestar wheel (make wheel builds it)")
    parser.add_argument("--out", type=Path, default=REPO / "output" / "bench", help="results and run folders")
    parser.add_argument("--data", type=Path, default=None, help="folder of the generated extracts (default <out>/data)")
    parser.add_argument(
        "--runs",
        type=int,
        choices=(1, 2),
        default=2,
        help="runs per size: 2 adds the rerun over the same output with the delta file",
    )
    parser.add_argument("--load", action="store_true", help="load the first run into a throwaway local PostgreSQL")
    parser.add_argument(
        "--conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark setting for the runs"
    )
    options = parser.parse_args(argv)
    sizes_wanted = parse_rows(options.rows)
    out = options.out.resolve()
    data_root = (options.data or out / "data").resolve()
    wheel = options.wheel.resolve()
    if not wheel.is_file():
        parser.error(f"wheel {wheel} not found; build it with `make wheel`")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result: dict[str, Any] = {
        "timestamp": stamp,
        "machine": machine(),
        "spark_conf": options.conf,
        "sizes": {},
        "comparisons": {},
        "targets": {},
    }
    sizes: dict[int, dict[str, Any]] = result["sizes"]
    failure: BaseException | None = None
    try:
        for rows in sizes_wanted:
            raw = data_root / f"finance-{rows}"
            size: dict[str, Any] = {"extract": ensure_extract(rows, raw)}
            sizes[rows] = size
            base, delta = _expected(raw), _expected(delta_folder(raw))
            work = out / "runs" / str(rows)
            processed, inputs = work / "processed", work / "raw"
            for folder in (processed, inputs):
                if folder.exists():
                    shutil.rmtree(folder)
            link_inputs(sorted(raw.glob("*.csv")), inputs)
            for number, which in ((1, "first"), (2, "second"))[: options.runs]:
                if number == 2:
                    link_inputs([delta_folder(raw) / DELTA_FILE], inputs)
                expected = base if number == 1 else delta
                fact_rows = base["transactions"]["accepted"] if number == 1 else delta["fact_gl_transaction_rows"]
                load_args: list[str] = []
                pg_dir = work / "pg"
                if options.load and number == 1:
                    if pg_dir.exists():
                        _stop_postgres(pg_dir)
                        shutil.rmtree(pg_dir)
                    load_args = _start_postgres(pg_dir)
                try:
                    size[which] = run_once(
                        wheel=wheel,
                        raw=inputs,
                        processed=processed,
                        run_id=f"bench-{rows}-{number}",
                        work=work,
                        expected={name: expected[name] for name in SOURCES},
                        fact_rows=fact_rows,
                        rows=expected["transactions"]["rows_read"],
                        extra_args=load_args,
                        spark_conf=options.conf,
                    )
                finally:
                    if load_args:
                        _stop_postgres(pg_dir)
    except (BenchError, subprocess.CalledProcessError, OSError, ValueError) as exc:
        failure = exc
    result["comparisons"] = comparisons(sizes)
    result["targets"] = evaluate_targets(sizes)
    if failure is not None:
        result["error"] = str(failure)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, default=str) + "\n"
    (out / f"bench-{stamp}.json").write_text(text, encoding="utf-8")
    (out / "latest.json").write_text(text, encoding="utf-8")
    print("\n" + render(result), flush=True)
    print(f"\nwritten: {out / f'bench-{stamp}.json'} and {out / 'latest.json'}", flush=True)
    if failure is not None:
        print(f"\nBENCHMARK FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
