"""Tests of gluestar.contracts: the shipped contracts and the validation of contract files."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from pyspark.sql import types as T

from gluestar.contracts import (
    ColumnSpec,
    load_source_contract,
    load_star_schema,
    spark_type,
)
from gluestar.exceptions import ConfigurationError

# The shipped contracts ---------------------------------------------------------------------------


def test_transactions_contract_declares_its_columns_in_order():
    contract = load_source_contract("finance", "transactions")
    assert contract.column_names == (
        "transaction_id",
        "transaction_date",
        "department_code",
        "department_name",
        "business_unit",
        "account_number",
        "account_name",
        "account_type",
        "category",
        "amount",
        "last_modified",
    )


def test_transactions_contract_required_columns():
    contract = load_source_contract("finance", "transactions")
    assert contract.required_columns == (
        "transaction_id",
        "transaction_date",
        "department_code",
        "account_number",
        "amount",
    )


def test_transactions_contract_key_version_and_conflict_reason():
    contract = load_source_contract("finance", "transactions")
    assert (contract.key, contract.version_column, contract.conflict_reason) == (
        ("transaction_id",),
        "last_modified",
        "conflicting versions",
    )


def test_transactions_contract_column_rules():
    contract = load_source_contract("finance", "transactions")
    assert contract.column("transaction_date") == ColumnSpec(
        "transaction_date",
        "date",
        required=True,
        formats=("yyyy-MM-dd", "yyyy/MM/dd"),
        min=dt.date(1900, 1, 1),
        max=dt.date(2099, 12, 31),
    )
    assert contract.column("amount") == ColumnSpec("amount", "amount", required=True, precision=18, scale=2)
    assert contract.column("last_modified") == ColumnSpec(
        "last_modified", "timestamp", formats=("yyyy-MM-dd'T'HH:mm:ss",)
    )
    assert [contract.column(c).case for c in ("department_code", "account_number")] == ["upper", "upper"]


def test_budget_contract_required_columns_and_key():
    contract = load_source_contract("finance", "budget")
    assert contract.required_columns == ("budget_month", "department_code", "account_number", "budget_amount")
    assert contract.key == ("budget_month", "department_code", "account_number", "scenario")
    assert (contract.version_column, contract.conflict_reason) == (None, "conflicting budget rows")


def test_budget_contract_scenario_defaults_to_budget_in_title_case():
    scenario = load_source_contract("finance", "budget").column("scenario")
    assert (scenario.required, scenario.case, scenario.default) == (False, "title", "Budget")


def test_budget_contract_month_format():
    assert load_source_contract("finance", "budget").column("budget_month").formats == ("yyyy-MM",)


def test_source_contract_csv_format():
    fmt = load_source_contract("finance", "transactions").format
    assert (fmt.header, fmt.delimiter, fmt.quote, fmt.escape, fmt.encoding, fmt.multiline) == (
        True,
        ",",
        '"',
        '"',
        "UTF-8",
        True,
    )


def test_source_contract_column_lookup_names_the_known_columns():
    contract = load_source_contract("finance", "budget")
    message = (
        "source 'budget' has no column 'amount'; "
        "columns: budget_month, department_code, account_number, budget_amount, scenario"
    )
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        contract.column("amount")


def test_star_schema_lists_its_tables_dimensions_first():
    assert load_star_schema("finance").table_names == (
        "dim_date",
        "dim_department",
        "dim_account",
        "dim_scenario",
        "fact_gl_transaction",
        "fact_financials",
    )


def test_star_schema_table_keys_and_partitioning():
    star = load_star_schema("finance")
    financials = star.table("fact_financials")
    assert (financials.kind, financials.key, financials.partition_by) == (
        "fact",
        ("date_key", "department_key", "account_key", "scenario_key"),
        ("year", "month"),
    )
    department = star.table("dim_department")
    assert (department.kind, department.key, department.natural_key) == (
        "dimension",
        ("department_key",),
        ("department_code",),
    )


def test_star_schema_table_schema_has_spark_types_and_nullability():
    schema = load_star_schema("finance").table("dim_scenario").schema
    assert schema == T.StructType(
        [
            T.StructField("scenario_key", T.IntegerType(), False),
            T.StructField("scenario_name", T.StringType(), False),
        ]
    )


def test_star_schema_money_columns_are_wide_decimals():
    schema = load_star_schema("finance").table("fact_financials").schema
    assert [schema[c].dataType for c in ("actual_amount", "variance", "variance_pct")] == [
        T.DecimalType(28, 2),
        T.DecimalType(28, 2),
        T.DecimalType(38, 4),
    ]


def test_star_schema_table_lookup_names_the_known_tables():
    message = (
        "pipeline 'finance' has no table 'dim_time'; tables: dim_date, dim_department, dim_account, "
        "dim_scenario, fact_gl_transaction, fact_financials"
    )
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        load_star_schema("finance").table("dim_time")


#: Which star column each source string column feeds (the pipeline's mapping, spelled out).
FEEDS = {
    ("transactions", "transaction_id"): ("fact_gl_transaction", "transaction_id"),
    ("transactions", "department_code"): ("dim_department", "department_code"),
    ("transactions", "department_name"): ("dim_department", "department_name"),
    ("transactions", "business_unit"): ("dim_department", "business_unit"),
    ("transactions", "account_number"): ("dim_account", "account_number"),
    ("transactions", "account_name"): ("dim_account", "account_name"),
    ("transactions", "account_type"): ("dim_account", "account_type"),
    ("transactions", "category"): ("dim_account", "category"),
    ("budget", "department_code"): ("dim_department", "department_code"),
    ("budget", "account_number"): ("dim_account", "account_number"),
    ("budget", "scenario"): ("dim_scenario", "scenario_name"),
}


def test_every_source_string_column_feeds_a_star_column():
    string_columns = {
        (source, spec.name)
        for source in ("transactions", "budget")
        for spec in load_source_contract("finance", source).columns
        if spec.type == "string"
    }
    assert string_columns == set(FEEDS)


@pytest.mark.parametrize(("source", "column"), sorted(FEEDS), ids=[f"{s}.{c}" for s, c in sorted(FEEDS)])
def test_source_string_column_max_length_fits_the_star_column_it_feeds(source, column):
    table, star_column = FEEDS[(source, column)]
    star_length = {c.name: c.length for c in load_star_schema("finance").table(table).columns}[star_column]
    max_length = load_source_contract("finance", source).column(column).max_length
    assert star_length is not None
    assert max_length is not None
    assert max_length <= star_length


def test_transactions_contract_string_max_lengths():
    contract = load_source_contract("finance", "transactions")
    assert contract.column("account_name") == ColumnSpec("account_name", max_length=256)
    assert {c.name: c.max_length for c in contract.columns if c.type != "string"} == {
        "transaction_date": None,
        "amount": None,
        "last_modified": None,
    }


def test_shipped_contract_is_missing_in_the_wheel():
    with pytest.raises(
        ConfigurationError, match=f"^{re.escape('no schema file finance/payroll.json in the gluestar wheel')}$"
    ):
        load_source_contract("finance", "payroll")


# Contracts read from a directory -----------------------------------------------------------------

GOOD_CONTRACT = {
    "name": "payroll",
    "key": ["employee_id"],
    "columns": [
        {"name": "Employee_ID", "type": "string", "required": True, "case": "upper"},
        {"name": "paid_on", "type": "date", "formats": ["yyyy-MM-dd"], "min": "2000-01-01"},
        {"name": "salary", "type": "amount", "precision": 12, "scale": 0},
    ],
}


def _write(tmp_path, data, name="payroll.json"):
    folder = tmp_path / "hr"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _contract_with(**changes):
    return {**GOOD_CONTRACT, **changes}


def _column_with(index, **changes):
    columns = [dict(c) for c in GOOD_CONTRACT["columns"]]
    columns[index].update(changes)
    for name, value in changes.items():
        if value is None:
            del columns[index][name]
    return _contract_with(columns=columns)


def test_contract_from_directory_applies_defaults_and_lower_cases_names(tmp_path):
    _write(tmp_path, GOOD_CONTRACT)
    contract = load_source_contract("hr", "payroll", directory=tmp_path)
    assert contract.column_names == ("employee_id", "paid_on", "salary")
    assert (contract.file_pattern, contract.version_column, contract.conflict_reason) == (
        "payroll*.csv",
        None,
        "conflicting rows",
    )
    assert contract.column("salary") == ColumnSpec("salary", "amount", precision=12, scale=0)
    assert contract.column("paid_on").min == dt.date(2000, 1, 1)


def test_contract_directory_without_the_file(tmp_path):
    expected = f"no schema file {tmp_path / 'hr' / 'payroll.json'}"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(expected)}$"):
        load_source_contract("hr", "payroll", directory=tmp_path)


def test_contract_file_that_is_not_json(tmp_path):
    _write(tmp_path, '{"name": "payroll",')
    message = (
        "schema file hr/payroll.json is not valid JSON: "
        "Expecting property name enclosed in double quotes: line 1 column 20 (char 19)"
    )
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        load_source_contract("hr", "payroll", directory=tmp_path)


@pytest.mark.parametrize(
    ("contract", "message"),
    [
        (_contract_with(name=""), "a source contract needs a non-empty 'name'"),
        (_contract_with(columns=[]), "source contract 'payroll' declares no columns"),
        (_column_with(0, name=None), "payroll: every column needs a non-empty 'name'"),
        (
            _column_with(0, type="integer"),
            "payroll.Employee_ID: 'type' must be one of 'string', 'date', 'month', 'timestamp', 'amount'; "
            "got 'integer'",
        ),
        (
            _column_with(0, case="camel"),
            "payroll.Employee_ID: 'case' must be one of 'upper', 'lower', 'title'; got 'camel'",
        ),
        (_column_with(0, required="yes"), "payroll.Employee_ID: 'required' must be true or false; got 'yes'"),
        (_column_with(1, formats=None), "payroll.paid_on: a date column needs at least one entry in 'formats'"),
        (
            _column_with(1, formats="yyyy-MM-dd"),
            "payroll.paid_on: 'formats' must be a list of datetime patterns; got 'yyyy-MM-dd'",
        ),
        (
            _column_with(1, min="01/01/2000"),
            "payroll.paid_on: 'min' must be an ISO date (yyyy-MM-dd); got '01/01/2000'",
        ),
        (_column_with(2, precision="12"), "payroll.salary: 'precision' must be an integer; got '12'"),
        (
            _column_with(2, precision=38, scale=2),
            "payroll.salary: an amount needs a precision from 1 to 37 and a scale from 0 to the precision; "
            "got precision 38, scale 2",
        ),
        (
            _column_with(2, scale=13),
            "payroll.salary: an amount needs a precision from 1 to 37 and a scale from 0 to the precision; "
            "got precision 12, scale 13",
        ),
        (_column_with(2, default=0), "payroll.salary: 'default' must be a string; got 0"),
        (_column_with(2, reserved="X"), "payroll.salary: 'reserved' must be a list of non-empty strings; got 'X'"),
        (
            _column_with(2, default="X", reserved=["X"]),
            "payroll.salary: the default 'X' is one of the reserved values",
        ),
        (_column_with(0, max_length="64"), "payroll.Employee_ID: 'max_length' must be an integer; got '64'"),
        (_column_with(0, max_length=0), "payroll.Employee_ID: 'max_length' must be at least 1; got 0"),
        (
            _column_with(1, max_length=10),
            "payroll.paid_on: 'max_length' applies to string columns only, not to a date",
        ),
        (
            _column_with(0, max_length=2, default="Ann"),
            "payroll.Employee_ID: the default 'Ann' is longer than 'max_length' (2)",
        ),
        (
            _contract_with(columns=[*GOOD_CONTRACT["columns"], {"name": "SALARY"}]),
            "source contract 'payroll' declares column(s) twice: salary",
        ),
        (
            _contract_with(key=["employee"]),
            "source 'payroll' has no column 'employee'; columns: employee_id, paid_on, salary",
        ),
        (
            _contract_with(version_column="updated_at"),
            "source 'payroll' has no column 'updated_at'; columns: employee_id, paid_on, salary",
        ),
        (
            _contract_with(format={"type": "parquet"}),
            "payroll: format 'type' must be one of 'csv'; got 'parquet'",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 60 else None,
)
def test_contract_validation_names_the_bad_field(tmp_path, contract, message):
    _write(tmp_path, contract)
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        load_source_contract("hr", "payroll", directory=tmp_path)


STAR = {
    "pipeline": "hr",
    "tables": [
        {
            "name": "dim_employee",
            "kind": "dimension",
            "key": ["employee_key"],
            "natural_key": ["employee_id"],
            "columns": [
                {"name": "employee_key", "type": "int", "nullable": False},
                {"name": "employee_id", "type": "string", "length": 64},
            ],
        }
    ],
}


def test_star_schema_from_directory(tmp_path):
    _write(tmp_path, STAR, "star.json")
    table = load_star_schema("hr", directory=tmp_path).table("dim_employee")
    assert table.schema == T.StructType(
        [T.StructField("employee_key", T.IntegerType(), False), T.StructField("employee_id", T.StringType(), True)]
    )
    assert table.columns[1].length == 64


def _star_with(**changes):
    return {**STAR, "tables": [{**STAR["tables"][0], **changes}]}


@pytest.mark.parametrize(
    ("star", "message"),
    [
        (_star_with(kind="bridge"), "table 'dim_employee': 'kind' must be one of 'dimension', 'fact', 'mart'; got 'bridge'"),
        (
            _star_with(natural_key=["employee_code"]),
            "table 'dim_employee': key or partition column(s) not declared: ['employee_code']",
        ),
        (
            _star_with(columns=[{"name": "employee_key", "type": "integer"}]),
            "unknown column type 'integer'; allowed: string, int, bigint, smallint, double, boolean, date, "
            "timestamp, decimal(p,s)",
        ),
    ],
)
def test_star_schema_validation_names_the_bad_field(tmp_path, star, message):
    _write(tmp_path, star, "star.json")
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        load_star_schema("hr", directory=tmp_path)


# spark_type --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("string", T.StringType()),
        ("int", T.IntegerType()),
        ("bigint", T.LongType()),
        ("smallint", T.ShortType()),
        ("double", T.DoubleType()),
        ("boolean", T.BooleanType()),
        ("date", T.DateType()),
        ("timestamp", T.TimestampType()),
        ("decimal(18,2)", T.DecimalType(18, 2)),
        ("decimal(38, 4)", T.DecimalType(38, 4)),
    ],
)
def test_spark_type(name, expected):
    assert spark_type(name) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "varchar(10)",
            "unknown column type 'varchar(10)'; allowed: string, int, bigint, smallint, double, boolean, date, "
            "timestamp, decimal(p,s)",
        ),
        (
            "decimal(39,2)",
            "column type 'decimal(39,2)' needs a precision from 1 to 38 and a scale from 0 to the precision",
        ),
        (
            "decimal(5,6)",
            "column type 'decimal(5,6)' needs a precision from 1 to 38 and a scale from 0 to the precision",
        ),
        (
            "decimal(0,0)",
            "column type 'decimal(0,0)' needs a precision from 1 to 38 and a scale from 0 to the precision",
        ),
    ],
)
def test_spark_type_rejects_unknown_types(name, message):
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        spark_type(name)
