"""Job arguments to a load: validation, executors, and a load end to end from arguments."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws
from sample_runs import RunWriter

from gluestar.exceptions import ConfigurationError
from gluestar.redshift import (
    DataApiExecutor,
    DbApiExecutor,
    LoadConfig,
    PostgresExecutor,
    config_from_args,
    load_run_from_args,
    open_executor,
)
from gluestar.redshift.local import LocalPostgres

ROLE = "arn:aws:iam::123456789012:role/redshift-copy"


def test_no_executor_means_no_load() -> None:
    assert config_from_args({}) is None
    assert config_from_args({"REDSHIFT_EXECUTOR": "  "}) is None
    assert load_run_from_args(None, "/nowhere", None, {"REDSHIFT_EXECUTOR": None}) is None


def test_a_load_job_requires_an_executor() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_run_from_args(None, "/nowhere", None, {}, require=True)

    assert str(caught.value) == "--REDSHIFT_EXECUTOR is required: one of connector, data_api, postgres"


def test_arguments_become_a_config_with_defaults() -> None:
    config = config_from_args(
        {
            "REDSHIFT_EXECUTOR": "data_api",
            "REDSHIFT_IAM_ROLE": ROLE,
            "REDSHIFT_DATABASE": "dev",
            "REDSHIFT_WORKGROUP": "wg",
        }
    )

    assert config == LoadConfig(executor="data_api", iam_role=ROLE, database="dev", workgroup="wg")
    assert (config.schema, config.timeout_seconds) == ("finance", 900.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"REDSHIFT_EXECUTOR": "jdbc"},
            "--REDSHIFT_EXECUTOR must be one of 'connector', 'data_api', 'postgres'; got 'jdbc'",
        ),
        ({"REDSHIFT_EXECUTOR": "connector"}, "the connector executor needs --REDSHIFT_IAM_ROLE, --REDSHIFT_SECRET_ID"),
        (
            {"REDSHIFT_EXECUTOR": "data_api", "REDSHIFT_IAM_ROLE": ROLE},
            "the data_api executor needs --REDSHIFT_DATABASE, "
            "exactly one of --REDSHIFT_WORKGROUP and --REDSHIFT_CLUSTER_ID",
        ),
        (
            {
                "REDSHIFT_EXECUTOR": "data_api",
                "REDSHIFT_IAM_ROLE": ROLE,
                "REDSHIFT_DATABASE": "dev",
                "REDSHIFT_CLUSTER_ID": "c1",
            },
            "the data_api executor needs --REDSHIFT_SECRET_ID (a provisioned cluster needs it)",
        ),
        ({"REDSHIFT_EXECUTOR": "postgres"}, "the postgres executor needs --PG_HOST, --PG_DATABASE"),
        (
            {"REDSHIFT_EXECUTOR": "connector", "REDSHIFT_IAM_ROLE": "my-role", "REDSHIFT_SECRET_ID": "s"},
            "the IAM role must be an ARN like arn:aws:iam::123456789012:role/name; got 'my-role'",
        ),
        (
            {"REDSHIFT_EXECUTOR": "postgres", "PG_HOST": "h", "PG_DATABASE": "d", "REDSHIFT_SCHEMA": "Finance"},
            "invalid SQL identifier 'Finance': use lower-case letters, digits and '_', starting with a letter or '_', "
            "at most 63 characters",
        ),
        (
            {"REDSHIFT_EXECUTOR": "postgres", "PG_HOST": "h", "PG_DATABASE": "d", "PG_PORT": "five"},
            "--PG_PORT must be a number; got 'five'",
        ),
        (
            {"REDSHIFT_EXECUTOR": "postgres", "PG_HOST": "h", "PG_DATABASE": "d", "REDSHIFT_TIMEOUT_SECONDS": "-1"},
            "--REDSHIFT_TIMEOUT_SECONDS must be positive; got -1.0",
        ),
    ],
)
def test_bad_arguments_are_named(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        config_from_args(args)

    assert str(caught.value) == message


def test_the_postgres_executor_opens_and_closes_its_connection(local_pg: LocalPostgres) -> None:
    config = LoadConfig(
        executor="postgres",
        pg_host=local_pg.host,
        pg_port=local_pg.port,
        pg_user=local_pg.user,
        pg_database=local_pg.dbname,
    )

    with open_executor(config) as executor:
        assert isinstance(executor, PostgresExecutor)
        connection = executor._connection
        assert connection.execute("SELECT 1").fetchone() == (1,)

    assert connection.closed


def test_the_data_api_executor_uses_the_session_region() -> None:
    config = LoadConfig(
        executor="data_api", iam_role=ROLE, database="dev", workgroup="finance-wg", region="eu-central-1"
    )

    with mock_aws(), open_executor(config, boto3_session=boto3.session.Session()) as executor:
        assert isinstance(executor, DataApiExecutor)
        assert executor._client.meta.region_name == "eu-central-1"


def test_the_connector_executor_reads_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []

    class Connection:
        autocommit = False

        def close(self) -> None:
            closed.append(True)

    config = LoadConfig(executor="connector", iam_role=ROLE, secret_id="redshift/loader", region="eu-west-1")
    with mock_aws():
        session = boto3.session.Session()
        session.client("secretsmanager", region_name="eu-west-1").create_secret(
            Name="redshift/loader", SecretString='{"host": "h", "username": "u", "password": "p", "dbname": "dw"}'
        )
        received: dict[str, Any] = {}

        def connect(**kwargs: Any) -> Connection:
            received.update(kwargs)
            return Connection()

        with open_executor(config, boto3_session=session, connect=connect) as executor:
            assert isinstance(executor, DbApiExecutor)

    assert received == {"host": "h", "port": 5439, "user": "u", "password": "p", "database": "dw"}
    assert closed == [True]


def test_a_load_from_arguments_lands_the_latest_run(
    runs: RunWriter, local_pg: LocalPostgres, pg_conn: Any, schema: str
) -> None:
    runs.first_run()
    runs.second_run()
    args = {
        "REDSHIFT_EXECUTOR": "postgres",
        "REDSHIFT_SCHEMA": schema,
        "PG_HOST": local_pg.host,
        "PG_PORT": str(local_pg.port),
        "PG_USER": local_pg.user,
        "PG_DATABASE": local_pg.dbname,
    }

    report = load_run_from_args(None, runs.path, None, args)

    assert report is not None and report.run_id == "run-2" and report.executor == "postgres"
    assert pg_conn.execute(f'SELECT COUNT(*) FROM "{schema}".fact_gl_transaction').fetchone() == (3,)
