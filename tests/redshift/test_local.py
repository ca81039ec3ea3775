"""The throwaway PostgreSQL cluster and its command line (what `make run` uses)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sample_runs import RunWriter

from gluestar.exceptions import ConfigurationError
from gluestar.redshift import PostgresExecutor, load_run
from gluestar.redshift import local as local_module
from gluestar.redshift.local import LocalPostgres, main, start_local_postgres, stop_local_postgres


def test_starting_a_running_cluster_reuses_it(local_pg: LocalPostgres) -> None:
    assert start_local_postgres(local_pg.directory) == local_pg


def test_a_cluster_stops_and_starts_again_on_its_data(local_pg: LocalPostgres) -> None:
    directory = Path(tempfile.mkdtemp(prefix="gluestar-pg-cycle-"))
    try:
        first = start_local_postgres(directory)
        with first.connect() as connection:
            connection.execute("CREATE TABLE kept (k int)")

        assert stop_local_postgres(directory) is True
        assert stop_local_postgres(directory) is False
        again = start_local_postgres(directory)

        with again.connect() as connection:
            assert connection.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)
    finally:
        stop_local_postgres(directory)
        shutil.rmtree(directory, ignore_errors=True)


def test_the_command_line_prints_job_arguments_and_status(
    local_pg: LocalPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["args", "--dir", str(local_pg.directory)]) == 0
    assert main(["status", "--dir", str(local_pg.directory)]) == 0
    assert main(["available"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"--PG_HOST 127.0.0.1 --PG_PORT {local_pg.port} --PG_USER postgres --PG_DATABASE postgres"
    assert out[1] == f"host=127.0.0.1 port={local_pg.port} user=postgres dbname=postgres"
    assert out[2].startswith("PostgreSQL server binaries: /")


def test_status_of_a_folder_without_a_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--dir", str(tmp_path)]) == 1

    assert capsys.readouterr().err == f"no local PostgreSQL running in {tmp_path}\n"


def test_the_command_line_prints_kpi_rows(
    runs: RunWriter, local_pg: LocalPostgres, pg_conn: Any, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.first_run()
    load_run(PostgresExecutor(pg_conn), runs.path, "run-1", schema=schema)

    assert main(["kpis", "--dir", str(local_pg.directory), "--schema", schema, "--rows", "2"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "kpi_monthly_variance: largest monthly variances by department and account"
    header = "year month department_code account_number scenario_name actual_amount budget_amount variance"
    assert out[1].split() == header.split(" ")
    assert out[3].split() == ["2025", "1", "OPS", "4000", "Budget", "250.50", "300.00", "-49.50"]
    assert "kpi_top_over_budget: top over-budget expense lines" in out
    assert "kpi_ytd_business_unit: year-to-date actual vs budget per business unit" in out


def test_without_binaries_start_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(local_module, "postgres_binaries", lambda: None)

    with pytest.raises(ConfigurationError) as caught:
        start_local_postgres(tmp_path)

    assert main(["available"]) == 1
    assert str(caught.value) == (
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or under "
        "/usr/lib/postgresql/*/bin; install PostgreSQL (e.g. apt-get install postgresql)"
    )
