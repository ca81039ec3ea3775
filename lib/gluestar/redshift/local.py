"""A throwaway local PostgreSQL cluster: the stand-in for Redshift in tests and ``make run``.

:func:`start_local_postgres` runs ``initdb`` (once) and ``pg_ctl start`` in a folder, on a free
loopback port, with the Unix socket in that folder and ``trust`` authentication (no password
exists anywhere). PostgreSQL refuses to run as root, so when the caller is root the binaries run as
the ``postgres`` OS user (``runuser``, or ``su``) and the folder is handed to that user. Durability
is switched off (``fsync=off``): the data is disposable.

Command line (what the Makefile uses)::

    python -m gluestar.redshift.local available            # exit 0 when the binaries exist
    python -m gluestar.redshift.local start --dir output/pg  # start (or reuse) and print how to connect
    python -m gluestar.redshift.local args --dir output/pg   # --PG_HOST ... job arguments
    python -m gluestar.redshift.local kpis --dir output/pg --schema finance
    python -m gluestar.redshift.local stop --dir output/pg

Examples
--------
>>> pg = start_local_postgres("/tmp/gluestar-pg")  # doctest: +SKIP
>>> pg.conninfo()  # doctest: +SKIP
'host=127.0.0.1 port=54321 user=postgres dbname=postgres'
>>> stop_local_postgres("/tmp/gluestar-pg")  # doctest: +SKIP
True
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from gluestar.exceptions import ConfigurationError, RedshiftLoadError
from gluestar.redshift.sql import quote_ident

__all__ = [
    "LocalPostgres",
    "kpi_samples",
    "local_postgres_status",
    "main",
    "postgres_binaries",
    "start_local_postgres",
    "stop_local_postgres",
]

#: OS user the server runs as when the caller is root.
POSTGRES_OS_USER: Final[str] = "postgres"
#: Database superuser created by initdb, and the database used.
_SUPERUSER: Final[str] = "postgres"
_DATABASE: Final[str] = "postgres"
_HOST: Final[str] = "127.0.0.1"
_CONNECTION_FILE: Final[str] = "connection.json"
_SEARCH: Final[tuple[str, ...]] = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin")
_SERVER_SETTINGS: Final[tuple[str, ...]] = (
    "listen_addresses=127.0.0.1",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
)
#: Queries ``kpis`` prints: title, view, columns, ORDER BY.
_KPI_QUERIES: Final[tuple[tuple[str, str, str, str], ...]] = (
    (
        "largest monthly variances by department and account",
        "kpi_monthly_variance",
        "year, month, department_code, account_number, scenario_name, actual_amount, budget_amount, variance",
        "ABS(variance) DESC, year, month, department_code, account_number",
    ),
    (
        "top over-budget expense lines",
        "kpi_top_over_budget",
        "year, month, department_code, account_name, scenario_name, overrun, overrun_pct, over_budget_rank",
        "over_budget_rank, overrun DESC, year, month, department_code",
    ),
    (
        "year-to-date actual vs budget per business unit",
        "kpi_ytd_business_unit",
        "fiscal_year, fiscal_month, business_unit, scenario_name, ytd_actual, ytd_budget, ytd_variance",
        "fiscal_year DESC, fiscal_month DESC, business_unit, scenario_name",
    ),
)


@dataclass(frozen=True)
class LocalPostgres:
    """A running local cluster and how to reach it (password-less, ``trust`` authentication)."""

    directory: Path
    host: str
    port: int
    user: str = _SUPERUSER
    dbname: str = _DATABASE

    def conninfo(self) -> str:
        """A libpq connection string.

        Examples
        --------
        >>> LocalPostgres(Path("/tmp/pg"), "127.0.0.1", 5433).conninfo()
        'host=127.0.0.1 port=5433 user=postgres dbname=postgres'
        """
        return f"host={self.host} port={self.port} user={self.user} dbname={self.dbname}"

    def job_arguments(self) -> list[str]:
        """The loader's job arguments for this cluster.

        Examples
        --------
        >>> LocalPostgres(Path("/tmp/pg"), "127.0.0.1", 5433).job_arguments()
        ['--PG_HOST', '127.0.0.1', '--PG_PORT', '5433', '--PG_USER', 'postgres', '--PG_DATABASE', 'postgres']
        """
        return [
            "--PG_HOST",
            self.host,
            "--PG_PORT",
            str(self.port),
            "--PG_USER",
            self.user,
            "--PG_DATABASE",
            self.dbname,
        ]

    def connect(self) -> Any:
        """A psycopg connection in autocommit mode (what :class:`PostgresExecutor` needs)."""
        import psycopg

        return psycopg.connect(self.conninfo(), autocommit=True)


def postgres_binaries() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None when they are absent.

    Looks on ``PATH`` first (following symlinks), then under ``/usr/lib/postgresql/*/bin`` and the
    other usual places, newest version first.
    """
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    for pattern in _SEARCH:
        candidates += sorted((Path(p) for p in glob.glob(pattern)), key=lambda p: p.as_posix(), reverse=True)
    for folder in candidates:
        if all(
            (folder / name).is_file() and os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")
        ):
            return folder
    return None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", POSTGRES_OS_USER, "--", *command]
    return ["su", POSTGRES_OS_USER, "-s", "/bin/sh", "-c", shlex.join(command)]


def _run(command: list[str], what: str, *, timeout: float, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(_as_postgres(command), capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RedshiftLoadError(f"local PostgreSQL: {what} did not finish within {timeout:g} s") from None
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        if log is not None and log.is_file():
            output += "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-10:])
        raise RedshiftLoadError(f"local PostgreSQL: {what} failed (exit {result.returncode}): {output}")
    return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        return int(probe.getsockname()[1])


def _prepare(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return
    import pwd

    user = pwd.getpwnam(POSTGRES_OS_USER)
    for path in (directory, *directory.glob("*")):
        if path.name != _CONNECTION_FILE:
            os.chown(path, user.pw_uid, user.pw_gid)
    check = subprocess.run(_as_postgres(["test", "-w", str(directory)]), capture_output=True, check=False)
    if check.returncode != 0:
        raise ConfigurationError(
            f"the {POSTGRES_OS_USER} OS user cannot write {directory}: every parent folder must be traversable "
            "by it (o+x); use a folder under /tmp or the repository"
        )


def _running(bin_dir: Path, data: Path) -> bool:
    if not (data / "PG_VERSION").is_file():
        return False
    result = subprocess.run(
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "status"]), capture_output=True, check=False
    )
    return result.returncode == 0


def _read_connection(directory: Path) -> LocalPostgres | None:
    path = directory / _CONNECTION_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return LocalPostgres(directory, data["host"], int(data["port"]), data["user"], data["dbname"])


def start_local_postgres(directory: str | Path, *, port: int | None = None, timeout: float = 60.0) -> LocalPostgres:
    """Start a local cluster in ``directory`` (creating it on first use), or reuse the running one.

    Parameters
    ----------
    directory : str or Path
        Folder for the cluster (``data/``), its log (``postgres.log``), its Unix socket and
        ``connection.json``.
    port : int, optional
        TCP port on 127.0.0.1; a free one by default.
    timeout : float, default 60
        Seconds to wait for ``initdb`` and for the server to accept connections.

    Raises
    ------
    ConfigurationError
        If the PostgreSQL binaries are not installed, or the ``postgres`` user cannot use the folder.
    RedshiftLoadError
        If ``initdb`` or the server start fails (the message holds the tail of the server log).
    """
    bin_dir = postgres_binaries()
    if bin_dir is None:
        raise ConfigurationError(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or under "
            "/usr/lib/postgresql/*/bin; install PostgreSQL (e.g. apt-get install postgresql)"
        )
    directory = Path(directory).resolve()
    data = directory / "data"
    _prepare(directory)
    known = _read_connection(directory)
    if _running(bin_dir, data) and known is not None:
        return known
    if not (data / "PG_VERSION").is_file():
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                _SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ],
            "initdb",
            timeout=timeout,
        )
    chosen = port or _free_port()
    options = " ".join(["-p", str(chosen), "-k", shlex.quote(str(directory)), *(f"-c {s}" for s in _SERVER_SETTINGS)])
    log = directory / "postgres.log"
    _run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            str(int(timeout)),
            "-o",
            options,
            "start",
        ],
        "server start",
        timeout=timeout + 10,
        log=log,
    )
    info = LocalPostgres(directory, _HOST, chosen)
    (directory / _CONNECTION_FILE).write_text(
        json.dumps({"host": info.host, "port": info.port, "user": info.user, "dbname": info.dbname}), encoding="utf-8"
    )
    return info


def local_postgres_status(directory: str | Path) -> LocalPostgres | None:
    """The running cluster in ``directory``, or None."""
    bin_dir = postgres_binaries()
    directory = Path(directory).resolve()
    if bin_dir is None or not _running(bin_dir, directory / "data"):
        return None
    return _read_connection(directory)


def stop_local_postgres(directory: str | Path, *, timeout: float = 60.0) -> bool:
    """Stop the cluster in ``directory`` (fast shutdown); False when it was not running."""
    bin_dir = postgres_binaries()
    data = Path(directory).resolve() / "data"
    if bin_dir is None or not _running(bin_dir, data):
        return False
    _run(
        [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", str(int(timeout)), "stop"],
        "server stop",
        timeout=timeout + 10,
    )
    return True


def kpi_samples(connection: Any, schema: str, *, rows: int = 5) -> list[tuple[str, list[str], list[tuple[Any, ...]]]]:
    """A few rows of each KPI view: (title, column names, rows).

    Parameters
    ----------
    connection
        A DB-API connection to the database the run was loaded into.
    schema : str
        The schema holding the views.
    rows : int, default 5
        Rows per view.
    """
    quoted = quote_ident(schema)
    samples = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.views WHERE table_schema = %s ORDER BY table_name", (schema,)
        )
        views = [row[0] for row in cursor.fetchall()]
        curated = {view for _, view, _, _ in _KPI_QUERIES}
        queries = [
            (f"{view}: {title}", view, columns, order_by)
            for title, view, columns, order_by in _KPI_QUERIES
            if view in views
        ]
        # Views without a curated query (the retail pipelines'): every column, in the view's own order.
        queries += [(view, view, "*", "1") for view in views if view not in curated]
        for title, view, columns, order_by in queries:
            cursor.execute(f"SELECT {columns} FROM {quoted}.{quote_ident(view)} ORDER BY {order_by} LIMIT %s", (rows,))
            samples.append((title, [d[0] for d in cursor.description], list(cursor.fetchall())))
    return samples


def _format(title: str, names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(n), *(len(r[i]) for r in cells)) if cells else len(n) for i, n in enumerate(names)]
    lines = [title, "  " + "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  " + "  ".join("-" * w for w in widths))
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m gluestar.redshift.local", description="local PostgreSQL stand-in")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("available", help="exit 0 when the PostgreSQL server binaries exist")
    for name in ("start", "stop", "status", "args", "kpis"):
        command = sub.add_parser(name)
        command.add_argument("--dir", required=True, help="cluster folder")
        if name == "start":
            command.add_argument("--port", type=int, default=None)
        if name == "kpis":
            command.add_argument("--schema", default="finance")
            command.add_argument("--rows", type=int, default=5)
    options = parser.parse_args(argv)
    if options.command == "available":
        folder = postgres_binaries()
        print(f"PostgreSQL server binaries: {folder}" if folder else "PostgreSQL server binaries: not found")
        return 0 if folder else 1
    if options.command == "start":
        pg = start_local_postgres(options.dir, port=options.port)
        print(f"local PostgreSQL running in {pg.directory}: {pg.conninfo()}")
        return 0
    if options.command == "stop":
        print("stopped" if stop_local_postgres(options.dir) else "not running")
        return 0
    pg = local_postgres_status(options.dir)
    if pg is None:
        print(f"no local PostgreSQL running in {options.dir}", file=sys.stderr)
        return 1
    if options.command == "status":
        print(pg.conninfo())
    elif options.command == "args":
        print(shlex.join(pg.job_arguments()))
    else:
        with pg.connect() as connection:
            for title, names, rows in kpi_samples(connection, options.schema, rows=options.rows):
                print(_format(title, names, rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
