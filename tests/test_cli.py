"""The gluestar command: help everywhere, local run, reports, quality results, load, one-line errors."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from gluestar.cli import main
from gluestar.quality.results import ConstraintResult, QualityReport
from gluestar.report import RunReport, SourceCounts

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return int(exit_info.value.code)


@pytest.fixture
def processed(tmp_path: Path) -> Path:
    root = tmp_path / "processed"
    (root / "finance" / "_runs").mkdir(parents=True)
    (root / "finance" / "_quality").mkdir(parents=True)
    for run_id, started, status in (
        ("r1", "2025-07-01T02:00:00+00:00", "succeeded"),
        ("r2", "2025-07-02T02:00:00+00:00", "failed"),
    ):
        report = RunReport(
            "finance", run_id, status=status, started_at=started, finished_at=started.replace("02:00:00", "02:01:40"),
            sources=[SourceCounts("budget", rows_read=10, accepted=7, quarantined=2, exact_duplicates=1)],
            tables={"dim_date": 365}, failed_stage=None if status == "succeeded" else "quality",
        )  # fmt: skip
        (root / "finance" / "_runs" / f"{run_id}.json").write_text(report.to_json())
    row = ConstraintResult(
        "dim_date", "dim_date: has rows", "Error", "Success", "SizeConstraint(Size(None))", "Success", "", 365.0
    )
    (root / "finance" / "_quality" / "r1.json").write_text(QualityReport("native", (row,), run_id="r1").to_json())
    return root


# help --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["run"], ["load"], ["deploy"], ["report"], ["quality"]])
def test_every_command_has_help(command, capsys):
    assert _cli(*command, "--help") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: gluestar {' '.join(command)}".rstrip() + " ")


def test_version(capsys):
    assert _cli("--version") == 0
    assert capsys.readouterr().out == "gluestar, version 0.1.0\n"


# run ---------------------------------------------------------------------------------------------


def test_run_is_spark_submit_of_the_job_script_with_the_wheel(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert _cli("run", "finance", "--run-id", "r9", "--dry-run", "--", "--QUALITY_ENGINE", "native") == 0
    assert capsys.readouterr().out.split() == [
        "spark-submit", "--master", "local[2]", "--conf", "spark.ui.showConsoleProgress=false",
        "--driver-java-options", f"-Dlog4j2.configurationFile=file:{REPO / 'jobs' / 'log4j2-local.properties'}",
        "--py-files", str(REPO / "dist" / "gluestar-0.1.0-py3-none-any.whl"), str(REPO / "jobs" / "finance_star.py"),
        "--JOB_NAME", "finance_star", "--RAW_PATH", str(REPO / "data" / "raw" / "finance"),
        "--PROCESSED_PATH", "output/processed", "--LOG_FORMAT", "text", "--RUN_ID", "r9", "--QUALITY_ENGINE", "native",
    ]  # fmt: skip


def test_run_of_an_unknown_pipeline_is_a_usage_error(capsys):
    assert _cli("run", "sales") == 2
    err = capsys.readouterr().err
    assert (
        "'sales' is not one of 'finance', 'store_sales', 'customer_transactions', 'product_interactions', "
        "'json_orders'." in err
    )


def test_run_outside_a_clone_says_where_to_run_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _cli("run", "finance") == 1
    assert capsys.readouterr().err == (
        f"gluestar: error: {tmp_path} is not a gluestar clone (no jobs/ and setup.py)\n"
        "  hint: run the command from the repository root or pass --source-dir\n"
    )


# report, quality ---------------------------------------------------------------------------------


def test_report_prints_the_run_report(processed, capsys):
    assert _cli("report", "r1", "--processed-path", str(processed)) == 0
    out = capsys.readouterr().out
    assert out.startswith("gluestar finance run r1: succeeded\n")
    assert "  budget    10         7            2          1           0         yes" in out


def test_report_latest_is_the_most_recently_started_run(processed, capsys):
    assert _cli("report", "latest", "--processed-path", str(processed)) == 0
    assert capsys.readouterr().out.startswith("gluestar finance run r2: failed in stage quality\n")


def test_report_json_and_metrics(processed, capsys):
    assert _cli("report", "r1", "--processed-path", str(processed), "--json") == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == "r1"
    assert _cli("report", "r1", "--processed-path", str(processed), "--metrics") == 0
    out = capsys.readouterr().out
    assert "\nmetrics (CloudWatch, in Glue):\n" in out
    assert "  RowsQuarantined{Pipeline=finance,Table=budget} = 2 Count\n" in out
    assert "  DurationSeconds{Pipeline=finance} = 100.000 Seconds\n" in out


def test_report_of_an_unknown_run_is_one_line_and_a_hint(processed, capsys):
    assert _cli("report", "nope", "--processed-path", str(processed)) == 1
    runs = processed / "finance" / "_runs"
    assert capsys.readouterr().err == (
        f"gluestar: error: no run report at {runs / 'nope.json'}\n  hint: list the runs under {runs} or try `latest`\n"
    )


def test_report_latest_without_runs(tmp_path, capsys):
    assert _cli("report", "latest", "--processed-path", str(tmp_path)) == 1
    assert capsys.readouterr().err == (
        f"gluestar: error: no finance run under {tmp_path / 'finance' / '_runs'}\n"
        "  hint: run one with `gluestar run finance` or pass --processed-path\n"
    )


def test_quality_prints_the_results(processed, capsys):
    assert _cli("quality", "r1", "--processed-path", str(processed)) == 0
    assert capsys.readouterr().out.startswith(
        "quality gate (native): passed - 1 check(s), 1 constraint(s), 0 error(s), 0 warning(s)\n"
    )
    assert _cli("quality", "r1", "--processed-path", str(processed), "--json") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "passed"


def test_quality_of_a_run_stopped_before_its_gate(processed, capsys):
    assert _cli("quality", "r2", "--processed-path", str(processed)) == 1
    assert capsys.readouterr().err == (
        f"gluestar: error: no quality results at {processed / 'finance' / '_quality' / 'r2.json'}\n"
        "  hint: the run may have stopped before its quality gate: gluestar report r2\n"
    )


# load --------------------------------------------------------------------------------------------


def test_load_with_incomplete_options_is_one_line_and_a_hint(processed, capsys):
    assert _cli("load", "--processed-path", str(processed), "--executor", "postgres", "--pg-host", "localhost") == 1
    err = capsys.readouterr().err
    assert err.endswith(
        "gluestar: error: the postgres executor needs --PG_DATABASE\n"
        "  hint: check the run id (gluestar report latest) and the executor options (gluestar load --help)\n"
    )


def test_load_has_no_password_option(capsys):
    assert _cli("load", "--help") == 0
    options = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.startswith("  --")]
    assert "--secret-id" in options
    assert not [o for o in options if "pass" in o or "token" in o]


# the job scripts stay free of click --------------------------------------------------------------


def test_no_job_script_and_no_library_module_but_the_cli_imports_click():
    importers = []
    for path in [*(REPO / "jobs").glob("*.py"), *(REPO / "lib" / "gluestar").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            if any(n == "click" or n.startswith("click.") for n in names):
                importers.append(path.relative_to(REPO).as_posix())
    assert sorted(set(importers)) == ["lib/gluestar/cli.py"]


def test_the_console_script_is_declared():
    assert '"gluestar = gluestar.cli:main"' in (REPO / "setup.py").read_text()
