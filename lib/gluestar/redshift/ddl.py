"""The Redshift DDL shipped in the wheel: reading it, transpiling it for PostgreSQL, checking it for drift.

The DDL lives in ``ddl/<pipeline>/*.sql`` (package ``gluestar.ddl``): ``tables.sql`` creates the
star tables, ``kpi_views.sql`` the BI views. Both are plain Redshift SQL, meant to run with
``search_path`` set to the target schema (:func:`ddl_statements` brackets them accordingly).

:func:`to_postgres` is the one place where Redshift-only clauses are removed for the PostgreSQL
stand-in; :func:`ddl_drift` compares the DDL with the table definitions in ``schemas/``. Both use
sqlglot (``pip install 'gluestar[postgres]'``); reading the Redshift DDL needs nothing extra.

Examples
--------
>>> "DISTSTYLE ALL" in ddl_text("finance", "tables")
True
>>> to_postgres("CREATE TABLE d (k INTEGER) DISTSTYLE ALL SORTKEY (k)")
'CREATE TABLE d (k INT);'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal, get_args

from gluestar.contracts import StarSchema, TableColumn, TableSpec
from gluestar.exceptions import ConfigurationError
from gluestar.options import check_choice
from gluestar.packaged import read_packaged_text
from gluestar.redshift.sql import Statement, quote_ident, split_statements

__all__ = [
    "DDL_FILES",
    "Dialect",
    "ddl_drift",
    "ddl_statements",
    "ddl_text",
    "load_columns",
    "redshift_type",
    "to_postgres",
]

Dialect = Literal["redshift", "postgres"]
#: The DDL files of a pipeline, in the order they run (tables before the views that read them).
DDL_FILES: Final[tuple[str, ...]] = ("tables", "kpi_views")
#: The conformed date dimension's DDL, shared by every pipeline's ``tables``.
SHARED_DIM_DATE: Final[str] = "shared/dim_date.sql"
_DDL_PACKAGE = "gluestar.ddl"
_SIMPLE_TYPES: Final[dict[str, str]] = {
    "int": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "double": "DOUBLE PRECISION",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
#: Redshift's longest VARCHAR, for string columns declared without a length.
_MAX_VARCHAR = 65535


def ddl_text(pipeline: str, name: str, *, directory: str | Path | None = None) -> str:
    """Read ``ddl/<pipeline>/<name>.sql`` from the wheel (or from ``directory``).

    Parameters
    ----------
    pipeline : str
        Pipeline folder, e.g. ``"finance"``.
    name : str
        File name without ``.sql``, e.g. ``"tables"``.
    directory : str or Path, optional
        A folder laid out like ``ddl/`` to read instead of the copy inside the wheel.

    Raises
    ------
    ConfigurationError
        If the file does not exist.

    Examples
    --------
    >>> ddl_text("finance", "kpi_views").count("CREATE VIEW")
    3

    ``tables`` starts with the conformed ``dim_date`` of ``ddl/shared/dim_date.sql``, the one
    definition every pipeline shares.
    """
    text = read_packaged_text(_DDL_PACKAGE, f"{pipeline}/{name}.sql", directory=directory, what="DDL file")
    if name != "tables":
        return text
    shared = read_packaged_text(_DDL_PACKAGE, SHARED_DIM_DATE, directory=directory, what="DDL file")
    return f"{shared}\n{text}"


def ddl_statements(
    pipeline: str,
    *,
    schema: str,
    dialect: Dialect = "redshift",
    directory: str | Path | None = None,
) -> list[Statement]:
    """The statements that create a pipeline's tables and views in ``schema``, in order.

    ``CREATE SCHEMA IF NOT EXISTS``, ``SET search_path`` to the schema, every statement of
    :data:`DDL_FILES` (transpiled by :func:`to_postgres` for ``dialect="postgres"``), then
    ``RESET search_path``. Tables are created ``IF NOT EXISTS`` (an existing table is left as it
    is), views are dropped and re-created.

    Parameters
    ----------
    pipeline : str
        Pipeline folder, e.g. ``"finance"``.
    schema : str
        Target schema; validated and quoted.
    dialect : {"redshift", "postgres"}, default "redshift"
        ``"postgres"`` strips Redshift-only clauses for the local stand-in.
    directory : str or Path, optional
        A folder laid out like ``ddl/`` to read instead of the wheel's copy.

    Examples
    --------
    >>> [s.sql for s in ddl_statements("finance", schema="finance")][:2]
    ['CREATE SCHEMA IF NOT EXISTS "finance"', 'SET search_path TO "finance"']
    """
    check_choice(dialect, get_args(Dialect), "dialect")
    quoted = quote_ident(schema)
    statements = [
        Statement("create the schema", f"CREATE SCHEMA IF NOT EXISTS {quoted}"),
        Statement("set the search path to the schema", f"SET search_path TO {quoted}"),
    ]
    for name in DDL_FILES:
        text = ddl_text(pipeline, name, directory=directory)
        if dialect == "postgres":
            text = to_postgres(text)
        for number, sql in enumerate(split_statements(text), start=1):
            statements.append(Statement(f"{name}.sql statement {number}", sql))
    statements.append(Statement("reset the search path", "RESET search_path"))
    return statements


def _sqlglot() -> tuple[Any, Any]:
    try:
        import sqlglot
        from sqlglot import exp
    except ImportError:
        raise ConfigurationError(
            "sqlglot is not installed; install it with: pip install 'gluestar[postgres]'"
        ) from None
    return sqlglot, exp


def _parse_redshift(ddl_text: str) -> list[Any]:
    sqlglot, exp = _sqlglot()
    try:
        parsed = sqlglot.parse(ddl_text, read="redshift")
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise ConfigurationError(
            f"cannot parse the DDL as Redshift SQL: {first.get('description', exc)} "
            f"(line {first.get('line')}, column {first.get('col')})"
        ) from None
    trees = []
    for number, tree in enumerate(parsed, start=1):
        if tree is None:
            continue
        if isinstance(tree, exp.Command):
            raise ConfigurationError(
                f"DDL statement {number} uses syntax sqlglot's Redshift dialect cannot parse: "
                f"{' '.join(tree.sql().split())[:120]}"
            )
        trees.append(tree)
    return trees


def to_postgres(ddl_text: str) -> str:
    """Transpile Redshift DDL for PostgreSQL: the one place Redshift-only clauses are handled.

    * ``DISTSTYLE``, ``DISTKEY``, ``[COMPOUND] SORTKEY`` and ``BACKUP`` are removed (they tune
      storage, not meaning);
    * foreign keys become ``DEFERRABLE INITIALLY DEFERRED``: PostgreSQL enforces them, Redshift does
      not, and a dimension merge deletes and re-inserts keys that facts reference, which is only
      consistent at commit;
    * everything else is generated by sqlglot's PostgreSQL dialect.

    A statement sqlglot's Redshift dialect cannot parse (in sqlglot 30, for example, column
    ``ENCODE`` or ``INTERLEAVED SORTKEY``) is refused with an error, never passed through unchanged.

    Parameters
    ----------
    ddl_text : str
        One or more Redshift statements separated by ``;``.

    Returns
    -------
    str
        The PostgreSQL statements, each ending in ``;``.

    Raises
    ------
    ConfigurationError
        If a statement cannot be parsed as Redshift SQL, or sqlglot is not installed.

    Examples
    --------
    >>> print(to_postgres("CREATE TABLE d (k INTEGER NOT NULL, PRIMARY KEY (k)) DISTSTYLE ALL SORTKEY (k)"))
    CREATE TABLE d (k INT NOT NULL, PRIMARY KEY (k));
    >>> print(to_postgres("CREATE TABLE f (k INTEGER, FOREIGN KEY (k) REFERENCES d (k)) DISTKEY (k)"))
    CREATE TABLE f (k INT, FOREIGN KEY (k) REFERENCES d (k) DEFERRABLE INITIALLY DEFERRED);
    """
    _, exp = _sqlglot()
    redshift_only = (
        exp.DistStyleProperty,
        exp.DistKeyProperty,
        exp.SortKeyProperty,
        exp.BackupProperty,
        exp.EncodeColumnConstraint,
    )
    out = []
    for tree in _parse_redshift(ddl_text):
        for node in list(tree.find_all(*redshift_only)):
            parent = node.parent
            node.pop()
            if isinstance(parent, exp.ColumnConstraint) and parent.args.get("kind") is None:
                parent.pop()
        for reference in tree.find_all(exp.Reference):
            options = [str(o) for o in reference.args.get("options") or []]
            if not any("DEFERRABLE" in o.upper() for o in options):
                reference.set("options", [*options, "DEFERRABLE", "INITIALLY DEFERRED"])
        properties = tree.args.get("properties")
        if properties is not None and not properties.expressions:
            properties.pop()
        out.append(tree.sql(dialect="postgres") + ";")
    return "\n".join(out)


def redshift_type(column: TableColumn) -> str:
    """The Redshift type a table-definition column maps to.

    Examples
    --------
    >>> redshift_type(TableColumn("amount", "decimal(18,2)"))
    'DECIMAL(18,2)'
    >>> redshift_type(TableColumn("name", "string", length=64))
    'VARCHAR(64)'
    """
    if column.type == "string":
        return f"VARCHAR({column.length or _MAX_VARCHAR})"
    simple = _SIMPLE_TYPES.get(column.type)
    if simple is not None:
        return simple
    if column.type.startswith("decimal("):
        return column.type.upper().replace(" ", "")
    raise ConfigurationError(
        f"column {column.name!r}: no Redshift type for {column.type!r}; "
        f"allowed: {', '.join(_SIMPLE_TYPES)}, string, decimal(p,s)"
    )


def load_columns(spec: TableSpec) -> tuple[TableColumn, ...]:
    """The columns a table has in Redshift: its definition minus the Hive partition columns.

    ``COPY ... FORMAT AS PARQUET`` cannot load partition columns (they live in directory names).

    Examples
    --------
    >>> from gluestar.contracts import load_star_schema
    >>> [c.name for c in load_columns(load_star_schema("finance").table("fact_financials"))][-2:]
    ['batch_id', 'load_timestamp']
    """
    return tuple(c for c in spec.columns if c.name not in spec.partition_by)


def _canonical(type_sql: str) -> str:
    return type_sql.upper().replace(" ", "")


def _ddl_tables(ddl_text: str) -> dict[str, dict[str, Any]]:
    _, exp = _sqlglot()
    tables: dict[str, dict[str, Any]] = {}
    for tree in _parse_redshift(ddl_text):
        if not (isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE"):
            continue
        schema = tree.this
        name = schema.this.name
        columns: list[tuple[str, str, bool]] = []
        primary_key: tuple[str, ...] = ()
        foreign_keys: list[tuple[tuple[str, ...], str, tuple[str, ...]]] = []
        for item in schema.expressions:
            if isinstance(item, exp.ColumnDef):
                not_null = any(isinstance(c.args.get("kind"), exp.NotNullColumnConstraint) for c in item.constraints)
                columns.append((item.name, _canonical(item.args["kind"].sql(dialect="redshift")), not_null))
            for pk in item.find_all(exp.PrimaryKey):
                primary_key = tuple(e.name for e in pk.expressions)
            for fk in item.find_all(exp.ForeignKey):
                reference = fk.args["reference"].this
                foreign_keys.append(
                    (
                        tuple(e.name for e in fk.expressions),
                        reference.this.name,
                        tuple(e.name for e in reference.expressions),
                    )
                )
        tables[name] = {"columns": columns, "primary_key": primary_key, "foreign_keys": foreign_keys}
    return tables


def ddl_drift(star: StarSchema, ddl_text: str) -> list[str]:
    """Differences between the DDL's tables and the table definitions, one message each.

    Compared per table: the column names in order (the definition minus its partition columns,
    because ``COPY`` from Parquet maps columns by position), each column's type
    (:func:`redshift_type`) and nullability, the primary key (the definition's ``key``), and that
    every foreign key references a declared table's key.

    Parameters
    ----------
    star : StarSchema
        The table definitions, e.g. ``load_star_schema("finance")``.
    ddl_text : str
        Redshift DDL, e.g. ``ddl_text("finance", "tables")``.

    Returns
    -------
    list of str
        Empty when the two agree.

    Examples
    --------
    >>> from gluestar.contracts import load_star_schema
    >>> ddl_drift(load_star_schema("finance"), ddl_text("finance", "tables"))
    []
    """
    tables = _ddl_tables(ddl_text)
    problems: list[str] = []
    declared = set(star.table_names)
    for name in sorted(set(tables) - declared):
        problems.append(f"{name}: in the DDL but not in the table definitions")
    for spec in star.tables:
        ddl = tables.get(spec.name)
        if ddl is None:
            problems.append(f"{spec.name}: in the table definitions but not in the DDL")
            continue
        problems += _table_drift(spec, ddl, tables)
    return problems


def _table_drift(spec: TableSpec, ddl: dict[str, Any], tables: dict[str, dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    expected = load_columns(spec)
    names = [c.name for c in expected]
    ddl_names = [c[0] for c in ddl["columns"]]
    if ddl_names != names:
        problems.append(f"{spec.name}: DDL columns {ddl_names} differ from the definition's {names}")
    by_name = {c[0]: c for c in ddl["columns"]}
    for column in expected:
        found = by_name.get(column.name)
        if found is None:
            continue
        want = _canonical(redshift_type(column))
        if found[1] != want:
            problems.append(f"{spec.name}.{column.name}: DDL type {found[1]}, definition {column.type} needs {want}")
        if found[2] == column.nullable:
            ddl_says = "NOT NULL" if found[2] else "nullable"
            problems.append(
                f"{spec.name}.{column.name}: DDL says {ddl_says}, definition says nullable={column.nullable}"
            )
    if tuple(ddl["primary_key"]) != tuple(spec.key):
        problems.append(
            f"{spec.name}: DDL primary key {list(ddl['primary_key'])} "
            f"differs from the definition's key {list(spec.key)}"
        )
    for columns, target, target_columns in ddl["foreign_keys"]:
        referenced = tables.get(target)
        if referenced is None or tuple(referenced["primary_key"]) != tuple(target_columns):
            problems.append(
                f"{spec.name}: foreign key {list(columns)} references {target}{list(target_columns)}, "
                "not a declared primary key"
            )
    return problems
