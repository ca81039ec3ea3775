"""The Redshift DDL: no drift from schemas/, the design choices, the PostgreSQL transpile, applying it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from gluestar.contracts import load_star_schema
from gluestar.exceptions import ConfigurationError
from gluestar.packaged import read_packaged_text
from gluestar.redshift import PostgresExecutor, apply_ddl
from gluestar.redshift.ddl import ddl_drift, ddl_statements, ddl_text, to_postgres

STAR = load_star_schema("finance")
TABLES = ddl_text("finance", "tables")
#: Every pipeline with a star schema and DDL: finance and the four retail pipelines of issue 6.
PIPELINES = ("finance", "store_sales", "customer_transactions", "product_interactions", "json_orders")


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_ddl_matches_the_table_definitions(pipeline: str) -> None:
    assert ddl_drift(load_star_schema(pipeline), ddl_text(pipeline, "tables")) == []


@pytest.mark.parametrize("pipeline", PIPELINES[1:])
def test_dim_date_is_the_conformed_finance_dimension(pipeline: str) -> None:
    def dim_date_sql(text: str) -> str:
        return re.search(r"CREATE TABLE IF NOT EXISTS dim_date \(.*?\);", text, re.S).group(0)

    assert load_star_schema(pipeline).table("dim_date") == STAR.table("dim_date")
    assert dim_date_sql(ddl_text(pipeline, "tables")) == dim_date_sql(TABLES)


def test_drift_is_reported_column_by_column() -> None:
    drifted = (
        TABLES.replace("amount              DECIMAL(18,2) NOT NULL,", "amount              DECIMAL(18,3) NOT NULL,")
        .replace("scenario_name       VARCHAR(128) NOT NULL,", "scenario_name       VARCHAR(128),")
        .replace("    business_unit       VARCHAR(256),\n", "")
        .replace(
            "NOT NULL,\n    CONSTRAINT pk_fact_financials",
            "NOT NULL,\n    year INTEGER NOT NULL,\n    CONSTRAINT pk_fact_financials",
        )
        .replace("PRIMARY KEY (transaction_id)", "PRIMARY KEY (transaction_id, date_key)")
    )

    assert ddl_drift(STAR, drifted) == [
        "dim_department: DDL columns ['department_key', 'department_code', 'department_name'] differ from the "
        "definition's ['department_key', 'department_code', 'department_name', 'business_unit']",
        "dim_scenario.scenario_name: DDL says nullable, definition says nullable=False",
        "fact_gl_transaction.amount: DDL type DECIMAL(18,3), definition decimal(18,2) needs DECIMAL(18,2)",
        "fact_gl_transaction: DDL primary key ['transaction_id', 'date_key'] differs from the definition's key "
        "['transaction_id']",
        "fact_financials: DDL columns ['date_key', 'department_key', 'account_key', 'scenario_key', 'actual_amount', "
        "'budget_amount', 'variance', 'variance_pct', 'is_favorable', 'transaction_count', 'batch_id', "
        "'load_timestamp', 'year'] differ from the definition's ['date_key', 'department_key', 'account_key', "
        "'scenario_key', 'actual_amount', 'budget_amount', 'variance', 'variance_pct', 'is_favorable', "
        "'transaction_count', 'batch_id', 'load_timestamp']",
    ]


def test_missing_and_extra_tables_are_reported() -> None:
    without_scenario = TABLES.replace("CREATE TABLE IF NOT EXISTS dim_scenario", "CREATE TABLE IF NOT EXISTS dim_other")

    assert ddl_drift(STAR, without_scenario) == [
        "dim_other: in the DDL but not in the table definitions",
        "dim_scenario: in the table definitions but not in the DDL",
        "fact_financials: foreign key ['scenario_key'] references dim_scenario['scenario_key'], "
        "not a declared primary key",
    ]


def _properties(name: str, pipeline: str = "finance") -> dict[str, str]:
    for tree in sqlglot.parse(ddl_text(pipeline, "tables"), read="redshift"):
        if tree is not None and tree.this.this.name == name:
            return {type(p).__name__: p.sql(dialect="redshift") for p in tree.args["properties"].expressions}
    raise AssertionError(name)


def _tables(kind: str) -> list[tuple[str, str]]:
    return [(p, t.name) for p in PIPELINES for t in load_star_schema(p).tables if t.kind == kind]


@pytest.mark.parametrize(("pipeline", "name"), _tables("dimension"))
def test_dimensions_are_copied_to_every_node(pipeline: str, name: str) -> None:
    key = load_star_schema(pipeline).table(name).key[0]

    assert _properties(name, pipeline) == {"DistStyleProperty": "DISTSTYLE ALL", "SortKeyProperty": f"SORTKEY({key})"}


#: The distribution key of each fact: the key its KPI queries aggregate or join on.
FACT_DISTKEYS = {
    ("finance", "fact_gl_transaction"): "account_key",
    ("finance", "fact_financials"): "account_key",
    ("store_sales", "fact_sales"): "product_key",
    ("customer_transactions", "fact_orders"): "customer_key",
    ("product_interactions", "fact_events"): "item_key",
    ("json_orders", "fact_orders"): "customer_key",
    ("json_orders", "fact_order_items"): "customer_key",
}


@pytest.mark.parametrize(("pipeline", "name"), _tables("fact"))
def test_facts_are_distributed_on_their_key_and_sorted_by_date(pipeline: str, name: str) -> None:
    assert _properties(name, pipeline) == {
        "DistStyleProperty": "DISTSTYLE KEY",
        "DistKeyProperty": f"DISTKEY({FACT_DISTKEYS[(pipeline, name)]})",
        "SortKeyProperty": "COMPOUND SORTKEY(date_key)",
    }


def test_every_fact_key_column_references_its_dimension() -> None:
    references = {}
    for tree in sqlglot.parse(TABLES, read="redshift"):
        for fk in tree.find_all(exp.ForeignKey):
            references[(tree.this.this.name, fk.expressions[0].name)] = fk.args["reference"].this.this.name

    assert references == {
        ("fact_gl_transaction", "date_key"): "dim_date",
        ("fact_gl_transaction", "department_key"): "dim_department",
        ("fact_gl_transaction", "account_key"): "dim_account",
        ("fact_financials", "date_key"): "dim_date",
        ("fact_financials", "department_key"): "dim_department",
        ("fact_financials", "account_key"): "dim_account",
        ("fact_financials", "scenario_key"): "dim_scenario",
    }


def test_to_postgres_strips_storage_clauses_and_defers_foreign_keys() -> None:
    redshift = (
        "CREATE TABLE IF NOT EXISTS f (k INTEGER NOT NULL, d INTEGER, "
        "CONSTRAINT fk FOREIGN KEY (d) REFERENCES dim (d)) BACKUP NO DISTSTYLE KEY DISTKEY (k) COMPOUND SORTKEY (k, d);"
        "CREATE TABLE g (k INTEGER REFERENCES f (k) DEFERRABLE INITIALLY DEFERRED)"
    )

    assert to_postgres(redshift) == (
        "CREATE TABLE IF NOT EXISTS f (k INT NOT NULL, d INT, CONSTRAINT fk FOREIGN KEY (d) REFERENCES dim (d) "
        "DEFERRABLE INITIALLY DEFERRED);\n"
        "CREATE TABLE g (k INT REFERENCES f (k) DEFERRABLE INITIALLY DEFERRED);"
    )


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_to_postgres_leaves_no_redshift_clause_in_the_shipped_ddl(pipeline: str) -> None:
    tables = ddl_text(pipeline, "tables")
    transpiled = to_postgres(tables) + to_postgres(ddl_text(pipeline, "kpi_views"))
    code = re.sub(r"/\*.*?\*/", "", transpiled, flags=re.S)

    for clause in ("DISTSTYLE", "DISTKEY", "SORTKEY", "ENCODE", "BACKUP"):
        assert clause not in code.upper()
    assert transpiled.count("DEFERRABLE INITIALLY DEFERRED") == tables.count("FOREIGN KEY")


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_every_kpi_view_transpiles_to_postgres(pipeline: str) -> None:
    text = ddl_text(pipeline, "kpi_views")
    views = re.findall(r"^CREATE VIEW (\w+) AS$", text, re.M)

    transpiled = to_postgres(text)
    assert views
    assert re.findall(r"CREATE VIEW (\w+) AS", transpiled) == views
    assert [f"DROP VIEW IF EXISTS {v}" for v in views] == re.findall(r"DROP VIEW IF EXISTS \w+", transpiled)


def test_the_json_order_marts_have_the_columns_of_their_parquet_definitions() -> None:
    marts = json.loads(read_packaged_text("gluestar.schemas", "json_orders/marts.json", what="schema file"))
    views = {
        tree.this.name: [e.alias_or_name for e in tree.expression.selects]
        for tree in sqlglot.parse(ddl_text("json_orders", "kpi_views"), read="redshift")
        if isinstance(tree, exp.Create)
    }

    assert views == {t["name"]: [c["name"] for c in t["columns"]] for t in marts["tables"]}


def test_to_postgres_refuses_what_it_cannot_parse() -> None:
    with pytest.raises(ConfigurationError) as caught:
        to_postgres("CREATE TABLE t (a INT DISTKEY, b INT)")

    assert str(caught.value) == "cannot parse the DDL as Redshift SQL: Expecting ) (line 1, column 29)"


def test_to_postgres_refuses_statements_sqlglot_would_pass_through() -> None:
    with pytest.raises(ConfigurationError) as caught:
        to_postgres("SELECT 1; CREATE TABLE t (a INT ENCODE az64) INTERLEAVED SORTKEY (a)")

    assert str(caught.value) == (
        "DDL statement 2 uses syntax sqlglot's Redshift dialect cannot parse: "
        "CREATE TABLE t (a INT ENCODE az64) INTERLEAVED SORTKEY (a)"
    )


def test_ddl_statements_bracket_the_files_with_the_schema() -> None:
    statements = ddl_statements("finance", schema="finance")

    assert [s.label for s in statements[:3]] == [
        "create the schema",
        "set the search path to the schema",
        "tables.sql statement 1",
    ]
    assert statements[-1].sql == "RESET search_path"
    assert len(statements) == 2 + 6 + 6 + 1


def test_ddl_statements_refuse_an_unknown_dialect() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ddl_statements("finance", schema="finance", dialect="mysql")  # type: ignore[arg-type]

    assert str(caught.value) == "dialect must be one of 'redshift', 'postgres'; got 'mysql'"


def test_the_ddl_applies_to_postgres_and_is_rerunnable(executor: PostgresExecutor, pg_conn: Any, schema: str) -> None:
    apply_ddl(executor, schema=schema)
    apply_ddl(executor, schema=schema)

    relations = pg_conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'v') ORDER BY c.relkind, c.relname",
        (schema,),
    ).fetchall()
    assert relations == [
        ("dim_account", "r"),
        ("dim_date", "r"),
        ("dim_department", "r"),
        ("dim_scenario", "r"),
        ("fact_financials", "r"),
        ("fact_gl_transaction", "r"),
        ("kpi_monthly_variance", "v"),
        ("kpi_top_over_budget", "v"),
        ("kpi_ytd_business_unit", "v"),
    ]
    assert pg_conn.execute("SHOW search_path").fetchone() == ('"$user", public',)


def test_postgres_columns_match_the_definitions(executor: PostgresExecutor, pg_conn: Any, schema: str) -> None:
    apply_ddl(executor, schema=schema)

    columns = pg_conn.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = 'fact_gl_transaction' ORDER BY ordinal_position",
        (schema,),
    ).fetchall()
    assert columns == [
        ("transaction_id", "character varying", "NO"),
        ("date_key", "integer", "NO"),
        ("department_key", "integer", "NO"),
        ("account_key", "integer", "NO"),
        ("amount", "numeric", "NO"),
        ("last_modified", "timestamp without time zone", "YES"),
        ("batch_id", "character varying", "NO"),
        ("load_timestamp", "timestamp without time zone", "NO"),
    ]
