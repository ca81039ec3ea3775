"""The executors: DB-API on a real PostgreSQL, and the Data API against moto (a simulation of the service).

moto (5.x) simulates ``redshift-data``'s ``execute_statement``, ``describe_statement`` and
``cancel_statement`` but not ``batch_execute_statement``, and never runs SQL: its statements stay
``STARTED`` until told otherwise. :class:`MotoDataApi` therefore validates each batch request against
botocore's model of the real API, registers it as a moto statement, and moves that statement through
the statuses a test scripts (via moto's backend) before moto's own ``describe_statement`` answers.
What this proves: the request shape, the call sequence, polling with backoff, the timeout and its
cancel_statement, and how a failure is reported. It does not prove that Redshift accepts the SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import boto3
import psycopg
import pytest
from botocore.validate import validate_parameters
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.redshiftdata.models import redshiftdata_backends
from sample_runs import LocalS3, RunWriter

from gluestar.exceptions import ConfigurationError, RedshiftLoadError
from gluestar.redshift import DataApiExecutor, DbApiExecutor, PostgresExecutor, Statement, load_run
from gluestar.redshift.executors import error_text
from gluestar.redshift.local import LocalPostgres
from gluestar.redshift.sql import copy_csv_from_stdin

REGION = "eu-west-1"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:redshift-loader-AbCdEf"
STEPS = [
    Statement("create the staging table", 'CREATE TEMP TABLE "s" (LIKE "finance"."dim_date")'),
    Statement("delete a range", 'DELETE FROM "finance"."f" WHERE "date_key" BETWEEN %s AND %s', (20250101, 20250131)),
    Statement("insert the staged rows", 'INSERT INTO "finance"."f" SELECT * FROM "s"'),
]


class Clock:
    """A fake monotonic clock whose sleep advances it and records the wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class MotoDataApi:
    """A moto-backed ``redshift-data`` client that also takes ``batch_execute_statement`` (see module docstring)."""

    def __init__(
        self, client: Any, statuses: Sequence[str] = ("FINISHED",), *, failed_at: int = 0, error: str = ""
    ) -> None:
        self.client = client
        self.statuses = list(statuses)
        self.failed_at = failed_at
        self.error = error
        self.requests: list[dict[str, Any]] = []
        self.describes: list[str] = []
        self.cancels: list[str] = []

    def batch_execute_statement(self, **params: Any) -> dict[str, Any]:
        model = self.client.meta.service_model.operation_model("BatchExecuteStatement")
        validate_parameters(params, model.input_shape)  # raises ParamValidationError like the real client
        self.requests.append(params)
        single = {k: v for k, v in params.items() if k != "Sqls"}
        response = self.client.execute_statement(Sql=";\n".join(params["Sqls"]), **single)
        self._statement(response["Id"]).batch = list(params["Sqls"])
        self._polls = 0
        return response

    def _statement(self, statement_id: str) -> Any:
        return redshiftdata_backends[DEFAULT_ACCOUNT_ID][REGION].statements[statement_id]

    def describe_statement(self, **params: Any) -> dict[str, Any]:
        statement = self._statement(params["Id"])
        if statement.status != "ABORTED":
            status = self.statuses[min(self._polls, len(self.statuses) - 1)]
            statement.status = status
            statement.sub_statements = [
                self._sub(statement, i, sql, status) for i, sql in enumerate(statement.batch, 1)
            ]
        self._polls += 1
        self.describes.append(statement.status)
        return self.client.describe_statement(**params)

    def _sub(self, statement: Any, index: int, sql: str, status: str) -> dict[str, Any]:
        sub: dict[str, Any] = {"Id": f"{statement.id}:{index}", "QueryString": sql}
        if status == "FAILED":
            sub["Status"] = "FINISHED" if index < self.failed_at else "FAILED" if index == self.failed_at else "ABORTED"
            if index == self.failed_at:
                sub["Error"] = self.error
        else:
            sub["Status"] = status
        if sub["Status"] == "FINISHED":
            sub["ResultRows"] = 10 * index
        return sub

    def cancel_statement(self, **params: Any) -> dict[str, Any]:
        self.cancels.append(params["Id"])
        return self.client.cancel_statement(**params)


@pytest.fixture
def moto_client() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("redshift-data", region_name=REGION)


def data_api(api: MotoDataApi, clock: Clock, **options: Any) -> DataApiExecutor:
    settings = {"database": "analytics", "workgroup": "finance-wg", "secret_arn": SECRET} | options
    return DataApiExecutor(api, sleep=clock.sleep, clock=clock, **settings)


def test_a_unit_is_one_batch_with_every_statement(moto_client: Any) -> None:
    api, clock = MotoDataApi(moto_client), Clock()

    counts = data_api(api, clock).run("loading f", STEPS)

    assert api.requests == [
        {
            "Sqls": [
                'CREATE TEMP TABLE "s" (LIKE "finance"."dim_date")',
                'DELETE FROM "finance"."f" WHERE "date_key" BETWEEN 20250101 AND 20250131',
                'INSERT INTO "finance"."f" SELECT * FROM "s"',
            ],
            "StatementName": "gluestar: loading f",
            "WithEvent": False,
            "Database": "analytics",
            "WorkgroupName": "finance-wg",
            "SecretArn": SECRET,
        }
    ]
    assert counts == [10, 20, 30]
    assert api.describes == ["FINISHED"]
    assert clock.sleeps == []


def test_a_provisioned_cluster_is_addressed_by_id(moto_client: Any) -> None:
    api, clock = MotoDataApi(moto_client), Clock()

    data_api(api, clock, workgroup=None, cluster_id="finance-cluster", secret_arn=None, db_user="loader").run(
        "u", STEPS[:1]
    )

    request = api.requests[0]
    assert (request["ClusterIdentifier"], request["DbUser"], "WorkgroupName" in request) == (
        "finance-cluster",
        "loader",
        False,
    )


def test_polling_backs_off_until_the_batch_finishes(moto_client: Any) -> None:
    api, clock = MotoDataApi(moto_client, ["SUBMITTED", "PICKED", "STARTED", "STARTED", "STARTED", "FINISHED"]), Clock()

    data_api(api, clock, first_poll_seconds=0.25, max_poll_seconds=1.0).run("loading f", STEPS)

    assert api.describes == ["SUBMITTED", "PICKED", "STARTED", "STARTED", "STARTED", "FINISHED"]
    assert clock.sleeps == [0.25, 0.5, 1.0, 1.0, 1.0]


def test_a_batch_that_runs_too_long_is_cancelled(moto_client: Any) -> None:
    api, clock = MotoDataApi(moto_client, ["STARTED"]), Clock()

    with pytest.raises(RedshiftLoadError) as caught:
        data_api(api, clock, timeout_seconds=5, first_poll_seconds=1, max_poll_seconds=2).run("loading f", STEPS)

    batch_id = api.cancels[0]
    assert str(caught.value) == (
        f"loading f: Data API batch {batch_id} did not finish within 5 s (last status STARTED); "
        "it was cancelled and its transaction rolls back"
    )
    assert clock.sleeps == [1, 2, 2]
    assert moto_client.describe_statement(Id=batch_id)["Status"] == "ABORTED"


def test_a_failed_batch_names_the_failing_statement(moto_client: Any) -> None:
    error = "ERROR: Invalid digit, Value 's', Pos 0, Type: Integer"
    api, clock = MotoDataApi(moto_client, ["STARTED", "FAILED"], failed_at=2, error=error), Clock()

    with pytest.raises(RedshiftLoadError) as caught:
        data_api(api, clock).run("loading f", STEPS)

    assert str(caught.value) == (
        "loading f: statement 2 of 3 (delete a range) failed and the transaction was rolled back: "
        "ERROR: Invalid digit, Value 's', Pos 0, Type: Integer "
        '[SQL: DELETE FROM "finance"."f" WHERE "date_key" BETWEEN 20250101 AND 20250131]'
    )


def test_a_failed_batch_without_statement_detail_is_still_reported(moto_client: Any) -> None:
    api, clock = MotoDataApi(moto_client, ["FAILED"], failed_at=0), Clock()

    with pytest.raises(RedshiftLoadError) as caught:
        data_api(api, clock).run("loading f", STEPS)

    assert str(caught.value) == (
        f"loading f: Data API batch {moto_batch_id(api)} failed and the transaction was rolled back: no error message"
    )


def moto_batch_id(api: MotoDataApi) -> str:
    statements = redshiftdata_backends[DEFAULT_ACCOUNT_ID][REGION].statements
    return next(reversed(statements))


def test_an_aborted_batch_is_reported(moto_client: Any) -> None:
    api, clock = MotoDataApi(moto_client, ["ABORTED"]), Clock()

    with pytest.raises(RedshiftLoadError) as caught:
        data_api(api, clock).run("loading f", STEPS)

    assert str(caught.value) == (
        f"loading f: Data API batch {moto_batch_id(api)} was aborted before it finished; "
        "the transaction was rolled back"
    )


def test_a_refused_batch_is_reported(moto_client: Any) -> None:
    executor = DataApiExecutor(moto_client, database="analytics", workgroup="finance-wg")

    with pytest.raises(RedshiftLoadError) as caught:
        executor.run("loading f", STEPS)

    assert str(caught.value) == (
        "loading f: the Data API did not accept the batch: The batch_execute_statement action has not been implemented"
    )


def test_the_data_api_inlines_only_integers(moto_client: Any) -> None:
    api, clock = MotoDataApi(moto_client), Clock()
    step = Statement("by name", "DELETE FROM t WHERE name = %s", ("x'; DROP TABLE t; --",))

    with pytest.raises(ConfigurationError) as caught:
        data_api(api, clock).run("u", [step])

    assert str(caught.value) == "statement 'by name': the Data API executor inlines only int parameters; got str"
    assert api.requests == []


def test_the_data_api_refuses_copy_from_stdin_and_oversized_batches(moto_client: Any) -> None:
    executor = data_api(MotoDataApi(moto_client), Clock())

    with pytest.raises(ConfigurationError) as copy:
        executor.run("u", [copy_csv_from_stdin("s", ["a"], list)])
    with pytest.raises(ConfigurationError) as many:
        executor.run("u", [Statement("x", "SELECT 1")] * 41)

    assert str(copy.value) == "the Data API executor cannot run COPY FROM STDIN; stage through S3"
    assert str(many.value) == "u: 41 statements exceed the Data API's 40 per batch"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"workgroup": "finance-wg", "cluster_id": "c1"},
            "the Data API executor needs exactly one of a workgroup (Redshift Serverless) and a cluster id",
        ),
        (
            {"workgroup": None},
            "the Data API executor needs exactly one of a workgroup (Redshift Serverless) and a cluster id",
        ),
        (
            {"workgroup": None, "cluster_id": "c1", "secret_arn": None},
            "the Data API executor needs a secret (name or ARN) or a database user to reach a provisioned cluster",
        ),
        ({"database": ""}, "the Data API executor needs a database name"),
        ({"timeout_seconds": 0}, "timeout_seconds must be positive; got 0"),
    ],
)
def test_the_data_api_executor_checks_its_target(moto_client: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        data_api(MotoDataApi(moto_client), Clock(), **options)

    assert str(caught.value) == message


def test_a_whole_run_through_the_data_api_is_one_batch_per_table(moto_client: Any, runs: RunWriter) -> None:
    runs.first_run()
    api, clock = MotoDataApi(moto_client), Clock()

    report = load_run(
        data_api(api, clock),
        "s3://bucket/processed",
        "run-1",
        schema="finance",
        iam_role="arn:aws:iam::123456789012:role/redshift-copy",
        storage=LocalS3(runs.root),
    )

    names = [r["StatementName"] for r in api.requests]
    assert names == [
        "gluestar: creating the finance tables and views in schema finance",
        "gluestar: loading dim_date",
        "gluestar: loading dim_department",
        "gluestar: loading dim_account",
        "gluestar: loading dim_scenario",
        "gluestar: loading fact_gl_transaction",
        "gluestar: loading fact_financials",
    ]
    ddl = api.requests[0]["Sqls"]
    assert (ddl[0], ddl[1], ddl[-1], len(ddl)) == (
        'CREATE SCHEMA IF NOT EXISTS "finance"',
        'SET search_path TO "finance"',
        "RESET search_path",
        15,
    )
    assert any("DISTSTYLE ALL" in sql for sql in ddl)
    gl = api.requests[5]["Sqls"]
    assert gl[1] == (
        'COPY "gluestar_stage_fact_gl_transaction" FROM '
        "'s3://bucket/processed/finance/_manifests/run-1/fact_gl_transaction.manifest' "
        "IAM_ROLE 'arn:aws:iam::123456789012:role/redshift-copy' FORMAT AS PARQUET MANIFEST"
    )
    assert gl[4] == 'DELETE FROM "finance"."fact_gl_transaction" WHERE "date_key" BETWEEN 20250101 AND 20250228'
    assert [t.rows_inserted for t in report.tables] == [50] * 4 + [60] * 2  # the wrapper's scripted ResultRows


# --- DB-API executor on the real PostgreSQL --------------------------------------------------------------------


def test_steps_commit_together(local_pg: LocalPostgres, executor: PostgresExecutor, pg_conn: Any, schema: str) -> None:
    counts = executor.run(
        "unit",
        [
            Statement("schema", f'CREATE SCHEMA "{schema}"'),
            Statement("table", f'CREATE TABLE "{schema}".t (k int, v text)'),
            Statement("rows", f'INSERT INTO "{schema}".t VALUES (%s, %s), (%s, %s)', (1, "a", 2, "b")),
        ],
    )

    with local_pg.connect() as other:
        assert other.execute(f'SELECT k, v FROM "{schema}".t ORDER BY k').fetchall() == [(1, "a"), (2, "b")]
    assert counts[2] == 2


def test_an_error_rolls_every_step_back(executor: PostgresExecutor, pg_conn: Any, schema: str) -> None:
    with pytest.raises(RedshiftLoadError) as caught:
        executor.run(
            "unit",
            [
                Statement("schema", f'CREATE SCHEMA "{schema}"'),
                Statement("table", f'CREATE TABLE "{schema}".t (k int)'),
                Statement("divide", "SELECT %s / 0", (1,)),
            ],
        )

    assert str(caught.value) == (
        "unit: statement 3 of 3 (divide) failed and the transaction was rolled back: division by zero "
        "[SQL: SELECT %s / 0 -- params (1,)]"
    )
    assert pg_conn.execute("SELECT COUNT(*) FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() == (0,)
    assert pg_conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_values_are_bound_not_formatted(executor: PostgresExecutor, pg_conn: Any, schema: str) -> None:
    hostile = "x'); DROP SCHEMA public CASCADE; --"

    executor.run(
        "unit",
        [
            Statement("schema", f'CREATE SCHEMA "{schema}"'),
            Statement("table", f'CREATE TABLE "{schema}".t (v text)'),
            Statement("row", f'INSERT INTO "{schema}".t VALUES (%s)', (hostile,)),
        ],
    )

    assert pg_conn.execute(f'SELECT v FROM "{schema}".t').fetchall() == [(hostile,)]


def test_csv_chunks_stream_into_postgres(executor: PostgresExecutor, pg_conn: Any, schema: str) -> None:
    pg_conn.execute(f'CREATE SCHEMA "{schema}"')
    pg_conn.execute(f'CREATE TABLE "{schema}".t (k int, v text, b boolean)')
    chunks = [(b'"1","tab\there","t"\n"2",,\n', 2), (b'"3","","f"\n', 1)]

    counts = executor.run(
        "unit",
        [
            Statement("path", f'SET LOCAL search_path TO "{schema}"'),
            copy_csv_from_stdin("t", ["k", "v", "b"], lambda: chunks),
        ],
    )

    assert counts[1] == 3
    assert pg_conn.execute(f'SELECT * FROM "{schema}".t ORDER BY k').fetchall() == [
        (1, "tab\there", True),
        (2, None, None),
        (3, "", False),
    ]


def test_the_db_api_executor_needs_autocommit(local_pg: LocalPostgres) -> None:
    with psycopg.connect(local_pg.conninfo()) as connection, pytest.raises(ConfigurationError) as caught:
        PostgresExecutor(connection)

    assert str(caught.value) == (
        "PostgresExecutor needs a connection in autocommit mode (it sends BEGIN and COMMIT itself): "
        "set connection.autocommit = True"
    )


def test_the_plain_db_api_executor_refuses_copy_from_stdin(pg_conn: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        DbApiExecutor(pg_conn).run("u", [copy_csv_from_stdin("s", ["a"], list)])

    assert str(caught.value) == "DbApiExecutor cannot run COPY FROM STDIN; use PostgresExecutor"


class BrokenCursor:
    """A DB-API cursor whose statements and ROLLBACK fail, as over a dropped connection."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.rowcount = -1

    def execute(self, sql: str, params: Any = None) -> None:
        self.log.append(sql)
        if sql != "BEGIN":
            raise OSError("connection reset by peer")

    def close(self) -> None:
        self.log.append("close")


class BrokenConnection:
    autocommit = True

    def __init__(self) -> None:
        self.log: list[str] = []

    def cursor(self) -> BrokenCursor:
        return BrokenCursor(self.log)


def test_a_failed_rollback_is_reported_with_the_error() -> None:
    connection = BrokenConnection()

    with pytest.raises(RedshiftLoadError) as caught:
        DbApiExecutor(connection).run("loading t", [Statement("one", "SELECT 1")])

    assert str(caught.value) == (
        "loading t: statement 1 of 1 (one) failed and the transaction was rolled back: connection reset by peer "
        "[SQL: SELECT 1] (ROLLBACK also failed: connection reset by peer; the server rolls back when the session ends)"
    )
    assert connection.log == ["BEGIN", "SELECT 1", "ROLLBACK", "close"]


def test_error_text_reads_redshift_connector_errors() -> None:
    error = Exception({"S": "ERROR", "C": "23505", "M": "duplicate key", "D": "Key (k)=(1) already exists."})

    assert error_text(error) == "duplicate key DETAIL: Key (k)=(1) already exists."
