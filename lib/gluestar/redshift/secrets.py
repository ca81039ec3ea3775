"""Redshift credentials from AWS Secrets Manager, never from job arguments.

A job names the secret (``--REDSHIFT_SECRET_ID``, its name or ARN); the password is read at run
time with the job role's ``secretsmanager:GetSecretValue`` permission and goes straight into the
driver. Error messages name the secret and the missing keys, never a value, and the password is
registered with :func:`gluestar.ops.redact.register_secret`, so logs, alerts and error lines mask it
even if a driver's message were to quote it.

The secret is the JSON Redshift's own console/CLI secrets use::

    {"username": "loader", "password": "...", "host": "cluster.abc.eu-west-1.redshift.amazonaws.com",
     "port": 5439, "dbname": "analytics", "engine": "redshift", "dbClusterIdentifier": "cluster"}

Examples
--------
>>> kwargs = redshift_credentials("prod/redshift/loader")  # doctest: +SKIP
>>> sorted(kwargs)  # doctest: +SKIP
['database', 'host', 'password', 'port', 'user']
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from gluestar.exceptions import ConfigurationError, RedshiftLoadError
from gluestar.ops.redact import register_secret
from gluestar.redshift.executors import error_text

__all__ = ["DEFAULT_PORT", "REQUIRED_SECRET_KEYS", "connect_redshift", "redshift_credentials"]

#: Keys the secret's JSON must hold.
REQUIRED_SECRET_KEYS: Final[tuple[str, ...]] = ("host", "username", "password")
#: Port used when the secret has none.
DEFAULT_PORT: Final[int] = 5439


def _secrets_client(region: str | None) -> Any:
    import boto3

    return boto3.client("secretsmanager", region_name=region)


def redshift_credentials(secret_id: str, *, client: Any = None, region: str | None = None) -> dict[str, Any]:
    """Read a Redshift secret and return ``redshift_connector.connect`` keyword arguments.

    Parameters
    ----------
    secret_id : str
        Name or ARN of the secret.
    client : optional
        A boto3 ``secretsmanager`` client (one is created for ``region`` otherwise).
    region : str, optional
        AWS region of the secret when no client is given (default: boto3's resolution).

    Returns
    -------
    dict
        ``host``, ``port``, ``user``, ``password`` and, when the secret has ``dbname``, ``database``.

    Raises
    ------
    ConfigurationError
        If the secret cannot be read, is not a JSON object or lacks a required key. The message
        names the secret and the keys, never the secret's value.
    """
    if not secret_id:
        raise ConfigurationError("a Secrets Manager secret name or ARN is required for Redshift credentials")
    client = client or _secrets_client(region)
    try:
        response = client.get_secret_value(SecretId=secret_id)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        hint = {
            "ResourceNotFoundException": "it does not exist in this account and region",
            "AccessDeniedException": "the job's role lacks secretsmanager:GetSecretValue on it",
        }.get(code, error_text(exc))
        raise ConfigurationError(f"cannot read secret {secret_id!r}: {hint}") from None
    try:
        data = json.loads(response.get("SecretString") or "")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConfigurationError(f"secret {secret_id!r} is not a JSON object (its value is not shown)")
    missing = [key for key in REQUIRED_SECRET_KEYS if not data.get(key)]
    if missing:
        raise ConfigurationError(
            f"secret {secret_id!r} lacks key(s) {', '.join(missing)}; it needs "
            f"{', '.join(REQUIRED_SECRET_KEYS)} and may have port, dbname"
        )
    register_secret(str(data["password"]))
    try:
        port = int(data.get("port") or DEFAULT_PORT)
    except (TypeError, ValueError):
        raise ConfigurationError(f"secret {secret_id!r}: 'port' is not a number") from None
    kwargs: dict[str, Any] = {
        "host": str(data["host"]),
        "port": port,
        "user": str(data["username"]),
        "password": str(data["password"]),
    }
    if data.get("dbname"):
        kwargs["database"] = str(data["dbname"])
    return kwargs


def connect_redshift(
    secret_id: str,
    *,
    database: str | None = None,
    region: str | None = None,
    client: Any = None,
    connect: Callable[..., Any] | None = None,
) -> Any:
    """Open a ``redshift_connector`` connection with credentials from a secret, in autocommit mode.

    Autocommit lets :class:`~gluestar.redshift.DbApiExecutor` own the transaction with explicit
    ``BEGIN``/``COMMIT``. The connection uses TLS (``redshift_connector``'s default).

    Parameters
    ----------
    secret_id : str
        Name or ARN of the secret (see the module docstring for its JSON).
    database : str, optional
        Database to connect to; overrides the secret's ``dbname``.
    region : str, optional
        AWS region of the secret.
    client : optional
        A boto3 ``secretsmanager`` client.
    connect : callable, optional
        ``redshift_connector.connect`` by default (injectable for tests).

    Raises
    ------
    ConfigurationError
        If the secret is unusable or no database is named by either the secret or ``database``.
    RedshiftLoadError
        If the connection fails (the message names host, port, user and secret, not the password).
    """
    kwargs = redshift_credentials(secret_id, client=client, region=region)
    if database:
        kwargs["database"] = database
    if not kwargs.get("database"):
        raise ConfigurationError(f"no database: give --REDSHIFT_DATABASE or put 'dbname' in secret {secret_id!r}")
    if connect is None:
        import redshift_connector

        connect = redshift_connector.connect
    try:
        connection = connect(**kwargs)
    except Exception as exc:
        text = error_text(exc).replace(kwargs["password"], "***")
        raise RedshiftLoadError(
            f"cannot connect to Redshift at {kwargs['host']}:{kwargs['port']} database {kwargs['database']} "
            f"as {kwargs['user']} (credentials from secret {secret_id!r}): {text}"
        ) from None
    connection.autocommit = True
    return connection
