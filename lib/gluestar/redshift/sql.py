"""SQL building for the Redshift loader: one identifier helper, statement types, statement builders.

Every identifier that reaches SQL goes through :func:`quote_ident`, which validates it against a
strict pattern and double-quotes it (doubling any embedded ``"``, as Redshift's ``QUOTE_IDENT``
does). Values are bound as driver parameters (``%s``) wherever the statement accepts parameters.
Two exceptions, both deliberate:

* ``COPY`` accepts no bind parameters in Redshift, so its two string values (the manifest's S3 URL
  and the IAM role ARN) are validated against strict patterns by :func:`s3_url` and
  :func:`iam_role_arn` and quoted by :func:`quote_literal`, the one literal helper;
* ``batch_execute_statement`` of the Redshift Data API takes no parameters, so
  :func:`render_for_data_api` inlines bound values, accepting only Python ``int`` (the date-key
  bounds), which cannot carry SQL.

The merge follows the staging pattern of awswrangler's Redshift upsert: ``CREATE TEMP TABLE ...
(LIKE target)``, load the stage, ``DELETE ... USING`` (or by date-key range), ``INSERT ... SELECT``,
drop the stage, all inside one transaction.

Examples
--------
>>> quote_ident("dim_date")
'"dim_date"'
>>> print(delete_by_keys("finance", "dim_date", "stage", ["date_key"]).sql)
DELETE FROM "finance"."dim_date" USING "stage" WHERE "dim_date"."date_key" = "stage"."date_key"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from gluestar.exceptions import ConfigurationError

__all__ = [
    "MAX_IDENTIFIER_LENGTH",
    "CopyCsv",
    "Statement",
    "Step",
    "check_unique_keys",
    "check_within_ranges",
    "copy_from_manifest",
    "copy_csv_from_stdin",
    "create_stage",
    "delete_absent",
    "delete_by_keys",
    "delete_by_ranges",
    "drop_stage",
    "iam_role_arn",
    "insert_from_stage",
    "one_line",
    "qualified",
    "quote_ident",
    "quote_literal",
    "render_for_data_api",
    "s3_url",
    "split_statements",
    "stage_name",
]

#: Longest identifier accepted: PostgreSQL's limit (63 bytes) is stricter than Redshift's (127).
MAX_IDENTIFIER_LENGTH: Final[int] = 63
# Lower case only: Redshift folds even quoted identifiers to lower case unless
# enable_case_sensitive_identifier is on, PostgreSQL keeps quoted case; lower case behaves the same in both.
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_S3_URL = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9_.=+-]+)+$")
_IAM_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
_STAGE_PREFIX = "gluestar_stage_"
#: The text a guard statement fails with; it names the broken rule (Redshift shows only the cast error).
_GUARD = "SELECT CAST(CASE WHEN COUNT(*) = 0 THEN '0' ELSE '{rule}' END AS INTEGER) FROM {source}"


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a load, with a label that error messages use to name it.

    Attributes
    ----------
    label : str
        What the statement does, e.g. ``"insert the staged rows"``.
    sql : str
        The SQL, with ``%s`` placeholders for ``params``.
    params : tuple
        Values bound by the driver (never formatted into ``sql``).
    """

    label: str
    sql: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class CopyCsv:
    """A ``COPY ... FROM STDIN (FORMAT csv)`` the client streams in CSV chunks (the PostgreSQL stand-in).

    Rows go as CSV text written by Arrow (see :func:`gluestar.redshift.files.parquet_csv_chunks`)
    rather than one Python tuple at a time: the fast path for loading large facts.

    Attributes
    ----------
    label : str
        What the statement does.
    sql : str
        The ``COPY "stage" (...) FROM STDIN (FORMAT csv)`` statement.
    chunks : callable
        Returns an iterable of ``(csv_bytes, rows)`` pairs in the column order of ``sql``; called
        once, inside the transaction, so a failure while reading rolls the table back.
    """

    label: str
    sql: str
    chunks: Callable[[], Iterable[tuple[bytes, int]]] = field(compare=False)


#: One step of a table's transaction.
Step = Statement | CopyCsv


def quote_ident(name: str) -> str:
    """Validate an identifier and return it double-quoted.

    Parameters
    ----------
    name : str
        A schema, table or column name: lower-case letters, digits and ``_``, not starting with a
        digit, at most :data:`MAX_IDENTIFIER_LENGTH` characters.

    Raises
    ------
    ConfigurationError
        If ``name`` does not match that pattern.

    Examples
    --------
    >>> quote_ident("month")
    '"month"'
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name) or len(name) > MAX_IDENTIFIER_LENGTH:
        raise ConfigurationError(
            f"invalid SQL identifier {name!r}: use lower-case letters, digits and '_', starting with a "
            f"letter or '_', at most {MAX_IDENTIFIER_LENGTH} characters"
        )
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    """``"schema"."table"``, both parts validated and quoted.

    Examples
    --------
    >>> qualified("finance", "dim_account")
    '"finance"."dim_account"'
    """
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def quote_literal(value: str) -> str:
    """Single-quote a string literal, doubling embedded quotes.

    Only for values that cannot be bound (``COPY``'s S3 URL and IAM role), after validation.

    Examples
    --------
    >>> quote_literal("s3://bucket/key")
    "'s3://bucket/key'"
    """
    return "'" + value.replace("'", "''") + "'"


def s3_url(url: str) -> str:
    """Validate an ``s3://bucket/key`` URL for use in ``COPY`` (``s3a://``/``s3n://`` become ``s3://``).

    Raises
    ------
    ConfigurationError
        If ``url`` is not an S3 URL made of safe characters.

    Examples
    --------
    >>> s3_url("s3a://my-bucket/processed/finance/_manifests/r1/dim_date.manifest")
    's3://my-bucket/processed/finance/_manifests/r1/dim_date.manifest'
    """
    normalised = re.sub(r"^s3[an]://", "s3://", url) if isinstance(url, str) else url
    if not isinstance(normalised, str) or not _S3_URL.match(normalised):
        raise ConfigurationError(f"COPY needs an s3://bucket/key URL of letters, digits and _ . = + - /; got {url!r}")
    return normalised


def iam_role_arn(arn: str) -> str:
    """Validate an IAM role ARN for ``COPY ... IAM_ROLE``.

    Raises
    ------
    ConfigurationError
        If ``arn`` is not ``arn:aws:iam::<12 digits>:role/<name>``.

    Examples
    --------
    >>> iam_role_arn("arn:aws:iam::123456789012:role/redshift-copy")
    'arn:aws:iam::123456789012:role/redshift-copy'
    """
    if not isinstance(arn, str) or not _IAM_ROLE.match(arn):
        raise ConfigurationError(f"the IAM role must be an ARN like arn:aws:iam::123456789012:role/name; got {arn!r}")
    return arn


def stage_name(table: str) -> str:
    """Name of the temporary staging table of ``table``.

    Examples
    --------
    >>> stage_name("fact_financials")
    'gluestar_stage_fact_financials'
    """
    name = f"{_STAGE_PREFIX}{table}"
    quote_ident(name)
    return name


def create_stage(schema: str, table: str, stage: str) -> Statement:
    """``CREATE TEMP TABLE stage (LIKE target)``: same columns, types and NOT NULLs as the target.

    Examples
    --------
    >>> create_stage("finance", "dim_date", "s").sql
    'CREATE TEMP TABLE "s" (LIKE "finance"."dim_date")'
    """
    return Statement(
        "create the staging table", f"CREATE TEMP TABLE {quote_ident(stage)} (LIKE {qualified(schema, table)})"
    )


def copy_from_manifest(stage: str, manifest_url: str, iam_role: str) -> Statement:
    """Redshift ``COPY`` of exactly the Parquet files a manifest lists.

    Parquet columns are matched by position, so the files' column order must equal the table's
    (the loader checks it before loading, the DDL drift test keeps the DDL in step).

    Examples
    --------
    >>> print(copy_from_manifest("s", "s3://bkt/m/d.manifest", "arn:aws:iam::123456789012:role/r").sql)
    COPY "s" FROM 's3://bkt/m/d.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/r' FORMAT AS PARQUET MANIFEST
    """
    return Statement(
        "copy the run's files into the staging table",
        f"COPY {quote_ident(stage)} FROM {quote_literal(s3_url(manifest_url))} "
        f"IAM_ROLE {quote_literal(iam_role_arn(iam_role))} FORMAT AS PARQUET MANIFEST",
    )


def copy_csv_from_stdin(
    stage: str, columns: Sequence[str], chunks: Callable[[], Iterable[tuple[bytes, int]]]
) -> CopyCsv:
    """PostgreSQL ``COPY stage (columns) FROM STDIN (FORMAT csv)``, CSV chunks streamed by the client.

    In CSV format an unquoted empty field is NULL and a quoted one (``""``) an empty string.

    Examples
    --------
    >>> copy_csv_from_stdin("s", ["a", "b"], lambda: []).sql
    'COPY "s" ("a", "b") FROM STDIN (FORMAT csv)'
    """
    column_list = ", ".join(quote_ident(c) for c in columns)
    return CopyCsv(
        "copy the run's files into the staging table",
        f"COPY {quote_ident(stage)} ({column_list}) FROM STDIN (FORMAT csv)",
        chunks,
    )


def check_unique_keys(stage: str, keys: Sequence[str]) -> Statement:
    """A guard that fails when staged rows repeat a key (Redshift does not enforce primary keys).

    Without it, duplicate staged keys would survive ``DELETE ... USING`` + ``INSERT`` as duplicate rows.

    Examples
    --------
    >>> print(check_unique_keys("s", ["k"]).sql)  # doctest: +NORMALIZE_WHITESPACE
    SELECT CAST(CASE WHEN COUNT(*) = 0 THEN '0' ELSE 'staged rows repeat a key' END AS INTEGER)
    FROM (SELECT "k" FROM "s" GROUP BY "k" HAVING COUNT(*) > 1) AS repeated
    """
    if not keys:
        raise ConfigurationError("check_unique_keys needs at least one key column")
    key_list = ", ".join(quote_ident(k) for k in keys)
    source = f"(SELECT {key_list} FROM {quote_ident(stage)} GROUP BY {key_list} HAVING COUNT(*) > 1) AS repeated"
    return Statement(
        "check the staged rows for repeated keys", _GUARD.format(rule="staged rows repeat a key", source=source)
    )


def _ranges_condition(column: str, ranges: Sequence[tuple[int, int]]) -> tuple[str, tuple[int, ...]]:
    if not ranges:
        raise ConfigurationError("a date-key range condition needs at least one range")
    quoted = quote_ident(column)
    condition = " OR ".join(f"{quoted} BETWEEN %s AND %s" for _ in ranges)
    params: list[int] = []
    for first, last in ranges:
        params += [first, last]
    return condition, tuple(params)


def check_within_ranges(stage: str, column: str, ranges: Sequence[tuple[int, int]]) -> Statement:
    """A guard that fails when a staged fact row lies outside the run's partitions.

    Such a row would not be deleted by the next load of the same run, so reloads would duplicate it.

    Examples
    --------
    >>> s = check_within_ranges("s", "date_key", [(20250101, 20250131)])
    >>> s.sql.endswith('FROM "s" WHERE NOT ("date_key" BETWEEN %s AND %s)'), s.params
    (True, (20250101, 20250131))
    """
    condition, params = _ranges_condition(column, ranges)
    source = f"{quote_ident(stage)} WHERE NOT ({condition})"
    return Statement(
        "check the staged rows lie in the run's partitions",
        _GUARD.format(rule="staged rows outside the run partitions", source=source),
        params,
    )


def delete_by_keys(schema: str, table: str, stage: str, keys: Sequence[str]) -> Statement:
    """Delete the target rows whose key a staged row carries (dimension merge).

    The target's columns are referenced as ``"table"."column"`` (the form awswrangler's Redshift
    upsert uses), so the stage must be named differently from the target.

    Examples
    --------
    >>> print(delete_by_keys("finance", "dim_date", "stage", ["date_key"]).sql)
    DELETE FROM "finance"."dim_date" USING "stage" WHERE "dim_date"."date_key" = "stage"."date_key"
    """
    if not keys:
        raise ConfigurationError(f"table {table!r} declares no key; a keyed merge needs one")
    quoted_table, quoted_stage = quote_ident(table), quote_ident(stage)
    if quoted_table == quoted_stage:
        raise ConfigurationError(f"the staging table must not be named like its target {table!r}")
    matches = " AND ".join(f"{quoted_table}.{quote_ident(k)} = {quoted_stage}.{quote_ident(k)}" for k in keys)
    return Statement(
        "delete the target rows the staged rows replace",
        f"DELETE FROM {qualified(schema, table)} USING {quoted_stage} WHERE {matches}",
    )


def delete_absent(schema: str, table: str, stage: str, key: str) -> Statement:
    """Delete the target rows whose key no staged row carries (a dimension staged whole).

    A dimension's load stages all its members, so a member the pipeline no longer has (a type-2
    version a late row merged away) goes too; members of other dimensions never disappear, so this
    deletes nothing for them.

    Examples
    --------
    >>> print(delete_absent("retail", "dim_customer", "stage", "customer_key").sql)
    DELETE FROM "retail"."dim_customer" WHERE "customer_key" NOT IN (SELECT "customer_key" FROM "stage")
    """
    quoted_key = quote_ident(key)
    return Statement(
        "delete the target rows the staged dimension no longer has",
        f"DELETE FROM {qualified(schema, table)} WHERE {quoted_key} NOT IN "
        f"(SELECT {quoted_key} FROM {quote_ident(stage)})",
    )


def delete_by_ranges(schema: str, table: str, column: str, ranges: Sequence[tuple[int, int]]) -> Statement:
    """Delete the target rows in the run's partitions, given as inclusive date-key ranges (fact merge).

    Examples
    --------
    >>> s = delete_by_ranges("finance", "fact_financials", "date_key", [(20250101, 20250228)])
    >>> s.sql, s.params
    ('DELETE FROM "finance"."fact_financials" WHERE "date_key" BETWEEN %s AND %s', (20250101, 20250228))
    """
    condition, params = _ranges_condition(column, ranges)
    return Statement(
        "delete the target rows of the run's partitions",
        f"DELETE FROM {qualified(schema, table)} WHERE {condition}",
        params,
    )


def insert_from_stage(schema: str, table: str, stage: str, columns: Sequence[str]) -> Statement:
    """``INSERT INTO target (columns) SELECT columns FROM stage``.

    Examples
    --------
    >>> print(insert_from_stage("finance", "dim_scenario", "s", ["scenario_key", "scenario_name"]).sql)
    ... # doctest: +NORMALIZE_WHITESPACE
    INSERT INTO "finance"."dim_scenario" ("scenario_key", "scenario_name")
    SELECT "scenario_key", "scenario_name" FROM "s"
    """
    column_list = ", ".join(quote_ident(c) for c in columns)
    return Statement(
        "insert the staged rows",
        f"INSERT INTO {qualified(schema, table)} ({column_list}) SELECT {column_list} FROM {quote_ident(stage)}",
    )


def drop_stage(stage: str) -> Statement:
    """``DROP TABLE stage`` (inside the transaction, so a rollback also undoes the stage)."""
    return Statement("drop the staging table", f"DROP TABLE {quote_ident(stage)}")


def split_statements(text: str) -> list[str]:
    """Split a SQL script on ``;`` outside quotes and comments; drop empty statements.

    Comments stay with the statement that follows them.

    Examples
    --------
    >>> split_statements("SELECT ';' AS a; -- done;\\nSELECT 2;")
    ["SELECT ';' AS a", '-- done;\\nSELECT 2']
    """
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in ("'", '"'):
            end = i + 1
            while end < n:
                if text[end] == char:
                    if end + 1 < n and text[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            current.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            current.append(text[i:end])
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            current.append(text[i:end])
            i = end
        elif char == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(char)
            i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.S)
    return bool(without_comments.strip())


def render_for_data_api(statement: Statement) -> str:
    """The statement's SQL with its parameters inlined, for ``batch_execute_statement``.

    The Data API's batch call takes no parameters; only ``int`` values (never ``bool``) are
    inlined, so no caller-supplied text can reach the SQL this way.

    Raises
    ------
    ConfigurationError
        If a parameter is not an ``int`` or the placeholders and parameters do not pair up.

    Examples
    --------
    >>> render_for_data_api(Statement("x", "DELETE FROM t WHERE k BETWEEN %s AND %s", (20250101, 20250131)))
    'DELETE FROM t WHERE k BETWEEN 20250101 AND 20250131'
    """
    pieces = statement.sql.split("%s")
    if len(pieces) != len(statement.params) + 1:
        raise ConfigurationError(
            f"statement {statement.label!r} has {len(pieces) - 1} placeholder(s) "
            f"for {len(statement.params)} parameter(s)"
        )
    rendered = [pieces[0]]
    for value, piece in zip(statement.params, pieces[1:], strict=True):
        if type(value) is not int:
            raise ConfigurationError(
                f"statement {statement.label!r}: the Data API executor inlines only int parameters; "
                f"got {type(value).__name__}"
            )
        rendered += [str(value), piece]
    return "".join(rendered)


def one_line(sql: str, *, limit: int = 400) -> str:
    """SQL collapsed to one line (whitespace runs become one space), cut to ``limit`` characters.

    Examples
    --------
    >>> one_line("SELECT 1\\n  FROM t")
    'SELECT 1 FROM t'
    """
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
