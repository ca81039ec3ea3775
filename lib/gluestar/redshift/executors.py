"""Executors: run one table's statements as one transaction, against Redshift or its stand-in.

Every executor has the same small interface (:class:`Executor`): ``run(unit, steps)`` runs the steps
in one transaction and either commits all of them or rolls all of them back and raises a
:class:`~gluestar.exceptions.RedshiftLoadError` that names the unit (the table), the failing
statement's number and label, the database's message and the SQL.

* :class:`DbApiExecutor` drives a DB-API connection (``redshift_connector`` in AWS) in autocommit
  mode and brackets the steps with explicit ``BEGIN`` / ``COMMIT`` (``ROLLBACK`` on error);
* :class:`PostgresExecutor` is the same against PostgreSQL through psycopg 3, and also runs
  ``COPY ... FROM STDIN`` steps (the local stand-in's staging load);
* :class:`DataApiExecutor` sends the steps to the Redshift Data API as one
  ``batch_execute_statement`` (which runs them as one transaction in one session, so temporary
  tables and ``COPY`` work as over a connection), then polls ``describe_statement`` with capped
  exponential backoff until it finishes, fails or times out (then it cancels the batch).

Examples
--------
>>> import psycopg  # doctest: +SKIP
>>> executor = PostgresExecutor(psycopg.connect("host=127.0.0.1 dbname=postgres", autocommit=True))  # doctest: +SKIP
>>> executor.run("demo", [Statement("create t", "CREATE TEMP TABLE t (k int)")])  # doctest: +SKIP
[-1]
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol, runtime_checkable

from gluestar.exceptions import ConfigurationError, RedshiftLoadError
from gluestar.redshift.ddl import Dialect
from gluestar.redshift.sql import CopyCsv, Statement, Step, one_line, render_for_data_api

__all__ = [
    "DATA_API_MAX_STATEMENTS",
    "DataApiExecutor",
    "DbApiExecutor",
    "Executor",
    "PostgresExecutor",
    "error_text",
]

log = logging.getLogger("gluestar.redshift")

#: Most SQL statements one ``batch_execute_statement`` accepts.
DATA_API_MAX_STATEMENTS: Final[int] = 40
_DATA_API_DONE: Final[frozenset[str]] = frozenset({"FINISHED", "FAILED", "ABORTED"})


@runtime_checkable
class Executor(Protocol):
    """Runs a unit of work (one table) as one transaction.

    Attributes
    ----------
    name : str
        Short name for reports (``"connector"``, ``"data_api"``, ``"postgres"``).
    dialect : {"redshift", "postgres"}
        Which SQL the executor speaks; it decides how the loader stages files (``COPY`` from an S3
        manifest, or ``COPY FROM STDIN``) and whether the DDL is transpiled.
    """

    name: str
    dialect: Dialect

    def run(self, unit: str, steps: Sequence[Step]) -> list[int | None]:
        """Run ``steps`` in one transaction; return each step's row count (None when unknown).

        Raises
        ------
        RedshiftLoadError
            If any step or the commit fails; everything the steps did is rolled back.
        """
        ...


def error_text(exc: BaseException) -> str:
    """A driver error as one line: the server's message (and detail) when the driver exposes them.

    ``redshift_connector`` puts the server's fields in a dict (``M`` message, ``D`` detail);
    psycopg's and boto's messages are used as they are.

    Examples
    --------
    >>> error_text(Exception({"S": "ERROR", "C": "42P01", "M": 'relation "x" does not exist'}))
    'relation "x" does not exist'
    """
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], dict) and "M" in args[0]:
        fields = args[0]
        text = str(fields["M"]) + (f" DETAIL: {fields['D']}" if fields.get("D") else "")
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _step_failure(unit: str, index: int, total: int, step: Step, error: str, sql: str | None = None) -> str:
    shown = one_line(sql if sql is not None else step.sql)
    params = getattr(step, "params", ())
    if params and sql is None:
        shown += f" -- params {tuple(params)}"
    return (
        f"{unit}: statement {index} of {total} ({step.label}) failed and the transaction was rolled back: "
        f"{error} [SQL: {shown}]"
    )


class DbApiExecutor:
    """Run steps over a DB-API 2.0 connection with explicit ``BEGIN``/``COMMIT``/``ROLLBACK``.

    Parameters
    ----------
    connection
        An open connection in autocommit mode (``connection.autocommit = True``), so that the
        transaction boundaries are the executor's ``BEGIN`` and ``COMMIT`` and nothing else; for
        Redshift, :func:`gluestar.redshift.connect_redshift` returns one.
    name : str, default "connector"
        Name shown in load reports.

    Raises
    ------
    ConfigurationError
        If the connection is not in autocommit mode.

    Notes
    -----
    ``COPY ... FROM STDIN`` steps need :class:`PostgresExecutor`; this class runs SQL statements
    only, with parameters bound by the driver (``%s`` placeholders).
    """

    dialect: Dialect = "redshift"
    _copies_rows = False

    def __init__(self, connection: Any, *, name: str = "connector") -> None:
        if getattr(connection, "autocommit", None) is not True:
            raise ConfigurationError(
                f"{type(self).__name__} needs a connection in autocommit mode (it sends BEGIN and COMMIT "
                "itself): set connection.autocommit = True"
            )
        self._connection = connection
        self.name = name

    def run(self, unit: str, steps: Sequence[Step]) -> list[int | None]:
        """Run ``steps`` between ``BEGIN`` and ``COMMIT``; roll back and raise on any error."""
        if not self._copies_rows and any(isinstance(step, CopyCsv) for step in steps):
            raise ConfigurationError(f"{type(self).__name__} cannot run COPY FROM STDIN; use PostgresExecutor")
        cursor = self._connection.cursor()
        try:
            try:
                cursor.execute("BEGIN")
            except Exception as exc:
                raise RedshiftLoadError(f"{unit}: could not begin a transaction: {error_text(exc)}") from exc
            counts: list[int | None] = []
            for index, step in enumerate(steps, start=1):
                try:
                    counts.append(self._run_step(cursor, step))
                except Exception as exc:
                    message = _step_failure(unit, index, len(steps), step, error_text(exc))
                    raise RedshiftLoadError(message + self._rollback(cursor)) from exc
                except BaseException:
                    self._rollback(cursor)
                    raise
            try:
                cursor.execute("COMMIT")
            except Exception as exc:
                message = f"{unit}: COMMIT failed and the transaction was rolled back: {error_text(exc)}"
                raise RedshiftLoadError(message + self._rollback(cursor)) from exc
            return counts
        finally:
            cursor.close()

    def _run_step(self, cursor: Any, step: Step) -> int | None:
        params = step.params if isinstance(step, Statement) else ()
        if params:
            cursor.execute(step.sql, params)
        else:
            cursor.execute(step.sql)
        return _rowcount(cursor)

    def _rollback(self, cursor: Any) -> str:
        """Roll back; return '' or a note that the rollback itself failed (the server then rolls back)."""
        try:
            cursor.execute("ROLLBACK")
        except Exception as exc:
            return f" (ROLLBACK also failed: {error_text(exc)}; the server rolls back when the session ends)"
        return ""


def _rowcount(cursor: Any) -> int | None:
    count = getattr(cursor, "rowcount", -1)
    return count if isinstance(count, int) and count >= 0 else None


class PostgresExecutor(DbApiExecutor):
    """:class:`DbApiExecutor` for PostgreSQL (psycopg 3), the local stand-in for Redshift.

    Runs the same statements as Redshift; only the staging load differs: a :class:`CopyCsv` step
    streams CSV chunks with ``cursor.copy("COPY ... FROM STDIN (FORMAT csv)")`` instead of
    ``COPY ... FROM 's3://...'``.

    Parameters
    ----------
    connection : psycopg.Connection
        Opened with ``autocommit=True``.
    name : str, default "postgres"
        Name shown in load reports.
    """

    dialect: Dialect = "postgres"
    _copies_rows = True

    def __init__(self, connection: Any, *, name: str = "postgres") -> None:
        super().__init__(connection, name=name)

    def _run_step(self, cursor: Any, step: Step) -> int | None:
        if not isinstance(step, CopyCsv):
            return super()._run_step(cursor, step)
        rows = 0
        with cursor.copy(step.sql) as copy:
            for chunk, count in step.chunks():
                copy.write(chunk)
                rows += count
        return rows


class DataApiExecutor:
    """Run steps through the Redshift Data API as one ``batch_execute_statement`` transaction.

    Parameters
    ----------
    client
        A boto3 ``redshift-data`` client.
    database : str
        Database name.
    workgroup : str, optional
        Redshift Serverless workgroup; give exactly one of ``workgroup`` and ``cluster_id``.
    cluster_id : str, optional
        Provisioned cluster identifier.
    secret_arn : str, optional
        Name or ARN of the Secrets Manager secret holding the database user's credentials; the
        Data API reads it on the server side, the job never sees the password. Required with
        ``cluster_id`` unless ``db_user`` is given; with ``workgroup`` the caller's IAM identity is
        used when it is absent.
    db_user : str, optional
        Database user for temporary IAM credentials on a provisioned cluster.
    timeout_seconds : float, default 900
        Overall time to wait for the batch; then it is cancelled (and rolls back) and the load fails.
    first_poll_seconds, max_poll_seconds : float, default 0.25 and 5
        ``describe_statement`` is polled after ``first_poll_seconds``, then after twice the
        previous wait, capped at ``max_poll_seconds``.
    sleep, clock : callable, optional
        ``time.sleep`` and ``time.monotonic`` by default; injectable for tests.

    Raises
    ------
    ConfigurationError
        If the target or credentials are not given as described, or a timing is not positive.

    Notes
    -----
    The batch call takes no bind parameters, so the only parameters the loader uses (integer
    date-key bounds) are inlined by :func:`gluestar.redshift.sql.render_for_data_api`, which
    accepts ``int`` only. A batch holds at most :data:`DATA_API_MAX_STATEMENTS` statements.
    """

    name = "data_api"
    dialect: Dialect = "redshift"

    def __init__(
        self,
        client: Any,
        *,
        database: str,
        workgroup: str | None = None,
        cluster_id: str | None = None,
        secret_arn: str | None = None,
        db_user: str | None = None,
        timeout_seconds: float = 900.0,
        first_poll_seconds: float = 0.25,
        max_poll_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not database:
            raise ConfigurationError("the Data API executor needs a database name")
        if bool(workgroup) == bool(cluster_id):
            raise ConfigurationError(
                "the Data API executor needs exactly one of a workgroup (Redshift Serverless) and a cluster id"
            )
        if cluster_id and not (secret_arn or db_user):
            raise ConfigurationError(
                "the Data API executor needs a secret (name or ARN) or a database user to reach a provisioned cluster"
            )
        for label, value in (
            ("timeout_seconds", timeout_seconds),
            ("first_poll_seconds", first_poll_seconds),
            ("max_poll_seconds", max_poll_seconds),
        ):
            if not value > 0:
                raise ConfigurationError(f"{label} must be positive; got {value!r}")
        self._client = client
        self._target: dict[str, str] = {"Database": database}
        if workgroup:
            self._target["WorkgroupName"] = workgroup
        else:
            self._target["ClusterIdentifier"] = str(cluster_id)
        if secret_arn:
            self._target["SecretArn"] = secret_arn
        elif db_user:
            self._target["DbUser"] = db_user
        self._timeout = float(timeout_seconds)
        self._first_poll = float(first_poll_seconds)
        self._max_poll = float(max_poll_seconds)
        self._sleep = sleep
        self._clock = clock

    def run(self, unit: str, steps: Sequence[Step]) -> list[int | None]:
        """Submit ``steps`` as one batch and wait for it; raise naming the failing statement."""
        sqls = []
        for step in steps:
            if isinstance(step, CopyCsv):
                raise ConfigurationError("the Data API executor cannot run COPY FROM STDIN; stage through S3")
            sqls.append(render_for_data_api(step))
        if not sqls:
            return []
        if len(sqls) > DATA_API_MAX_STATEMENTS:
            raise ConfigurationError(
                f"{unit}: {len(sqls)} statements exceed the Data API's {DATA_API_MAX_STATEMENTS} per batch"
            )
        try:
            response = self._client.batch_execute_statement(
                Sqls=sqls, StatementName=f"gluestar: {unit}"[:500], WithEvent=False, **self._target
            )
        except Exception as exc:
            raise RedshiftLoadError(f"{unit}: the Data API did not accept the batch: {error_text(exc)}") from exc
        batch_id = response["Id"]
        log.info("%s: Data API batch %s submitted (%d statements)", unit, batch_id, len(sqls))
        description = self._wait(unit, batch_id)
        status = description.get("Status")
        if status == "FAILED":
            raise self._failure(unit, batch_id, steps, sqls, description)
        if status == "ABORTED":
            raise RedshiftLoadError(
                f"{unit}: Data API batch {batch_id} was aborted before it finished; the transaction was rolled back"
            )
        return _result_rows(description, len(steps))

    def _wait(self, unit: str, batch_id: str) -> dict[str, Any]:
        deadline = self._clock() + self._timeout
        delay = self._first_poll
        while True:
            try:
                description = self._client.describe_statement(Id=batch_id)
            except Exception as exc:
                raise RedshiftLoadError(
                    f"{unit}: could not read the status of Data API batch {batch_id}, so its outcome is unknown: "
                    f"{error_text(exc)}"
                ) from exc
            status = description.get("Status")
            if status in _DATA_API_DONE:
                return description
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise RedshiftLoadError(self._cancel(unit, batch_id, status))
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, self._max_poll)

    def _cancel(self, unit: str, batch_id: str, status: str | None) -> str:
        message = (
            f"{unit}: Data API batch {batch_id} did not finish within {self._timeout:g} s "
            f"(last status {status}); it was cancelled and its transaction rolls back"
        )
        try:
            self._client.cancel_statement(Id=batch_id)
        except Exception as exc:
            return f"{message} (cancel_statement failed: {error_text(exc)}; check the batch's final status)"
        return message

    def _failure(
        self, unit: str, batch_id: str, steps: Sequence[Step], sqls: Sequence[str], description: dict[str, Any]
    ) -> RedshiftLoadError:
        for position, sub in enumerate(description.get("SubStatements") or [], start=1):
            if sub.get("Status") != "FAILED":
                continue
            sub_id = str(sub.get("Id", ""))
            index = int(sub_id.rsplit(":", 1)[1]) if ":" in sub_id and sub_id.rsplit(":", 1)[1].isdigit() else position
            if 1 <= index <= len(steps):
                error = sub.get("Error") or description.get("Error") or "no error message"
                return RedshiftLoadError(
                    _step_failure(
                        unit, index, len(steps), steps[index - 1], " ".join(str(error).split()), sqls[index - 1]
                    )
                )
        error = " ".join(str(description.get("Error") or "no error message").split())
        return RedshiftLoadError(
            f"{unit}: Data API batch {batch_id} failed and the transaction was rolled back: {error}"
        )


def _result_rows(description: dict[str, Any], count: int) -> list[int | None]:
    subs = description.get("SubStatements") or []
    rows: list[int | None] = []
    for position in range(count):
        value = subs[position].get("ResultRows") if position < len(subs) else None
        rows.append(value if isinstance(value, int) and value >= 0 else None)
    return rows
