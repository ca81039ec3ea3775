"""Redshift credentials from Secrets Manager (against moto): mapping, errors that never show the value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gluestar.exceptions import ConfigurationError, RedshiftLoadError
from gluestar.redshift.secrets import connect_redshift, redshift_credentials

REGION = "eu-west-1"
PASSWORD = "s3cr3t-Passw0rd!"
SECRET = {
    "username": "loader",
    "password": PASSWORD,
    "engine": "redshift",
    "host": "finance.abc123.eu-west-1.redshift.amazonaws.com",
    "port": 5439,
    "dbname": "analytics",
    "dbClusterIdentifier": "finance",
}


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        client.create_secret(Name="redshift/loader", SecretString=json.dumps(SECRET))
        yield client


def test_a_secret_becomes_connection_arguments(secrets: Any) -> None:
    assert redshift_credentials("redshift/loader", client=secrets) == {
        "host": "finance.abc123.eu-west-1.redshift.amazonaws.com",
        "port": 5439,
        "user": "loader",
        "password": PASSWORD,
        "database": "analytics",
    }


def test_a_secret_is_found_by_arn_too(secrets: Any) -> None:
    arn = secrets.describe_secret(SecretId="redshift/loader")["ARN"]

    assert redshift_credentials(arn, client=secrets)["user"] == "loader"


def test_port_defaults_and_dbname_is_optional(secrets: Any) -> None:
    secrets.create_secret(Name="minimal", SecretString=json.dumps({"host": "h", "username": "u", "password": "p"}))

    assert redshift_credentials("minimal", client=secrets) == {"host": "h", "port": 5439, "user": "u", "password": "p"}


def test_a_missing_secret_is_named(secrets: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        redshift_credentials("redshift/nope", client=secrets)

    assert str(caught.value) == "cannot read secret 'redshift/nope': it does not exist in this account and region"


def test_missing_keys_are_listed(secrets: Any) -> None:
    secrets.create_secret(Name="partial", SecretString=json.dumps({"username": "u", "password": PASSWORD}))

    with pytest.raises(ConfigurationError) as caught:
        redshift_credentials("partial", client=secrets)

    assert (
        str(caught.value)
        == "secret 'partial' lacks key(s) host; it needs host, username, password and may have port, dbname"
    )


def test_a_secret_that_is_not_json_is_not_echoed(secrets: Any) -> None:
    secrets.create_secret(Name="plain", SecretString=PASSWORD)

    with pytest.raises(ConfigurationError) as caught:
        redshift_credentials("plain", client=secrets)

    assert str(caught.value) == "secret 'plain' is not a JSON object (its value is not shown)"
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert PASSWORD not in str(caught.value)


def test_a_bad_port_is_reported_without_the_value(secrets: Any) -> None:
    secrets.create_secret(Name="badport", SecretString=json.dumps({**SECRET, "port": "fifty"}))

    with pytest.raises(ConfigurationError) as caught:
        redshift_credentials("badport", client=secrets)

    assert str(caught.value) == "secret 'badport': 'port' is not a number"


class FakeConnection:
    autocommit = False


def test_connect_passes_the_secret_to_the_driver_in_autocommit(secrets: Any) -> None:
    received: dict[str, Any] = {}

    def connect(**kwargs: Any) -> FakeConnection:
        received.update(kwargs)
        return FakeConnection()

    connection = connect_redshift("redshift/loader", database="reporting", client=secrets, connect=connect)

    assert connection.autocommit is True
    assert received == {**redshift_credentials("redshift/loader", client=secrets), "database": "reporting"}


def test_a_failed_connection_names_the_target_not_the_password(secrets: Any) -> None:
    def connect(**kwargs: Any) -> FakeConnection:
        raise OSError(f"authentication failed for user loader with password {kwargs['password']}")

    with pytest.raises(RedshiftLoadError) as caught:
        connect_redshift("redshift/loader", client=secrets, connect=connect)

    assert str(caught.value) == (
        "cannot connect to Redshift at finance.abc123.eu-west-1.redshift.amazonaws.com:5439 database analytics as "
        "loader (credentials from secret 'redshift/loader'): authentication failed for user loader with password ***"
    )


def test_connect_needs_a_database(secrets: Any) -> None:
    secrets.create_secret(Name="nodb", SecretString=json.dumps({"host": "h", "username": "u", "password": "p"}))

    with pytest.raises(ConfigurationError) as caught:
        connect_redshift("nodb", client=secrets, connect=lambda **_: FakeConnection())

    assert str(caught.value) == "no database: give --REDSHIFT_DATABASE or put 'dbname' in secret 'nodb'"
