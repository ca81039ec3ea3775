"""Tests of gluestar.contracts: the shipped contracts and the validation of contract files."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from pyspark.sql import types as T

from gluestar.contracts import (
    BooleanValues,
    ColumnSpec,
    ConsistencyRule,
    RowRule,
    load_source_contract,
    load_star_schema,
    predicate_columns,
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
            _column_with(0, type="float"),
            "payroll.Employee_ID: 'type' must be one of 'string', 'date', 'month', 'timestamp', 'amount', "
            "'integer', 'boolean', 'epoch_seconds'; got 'float'",
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
            _contract_with(columns=[*GOOD_CONTRACT["columns"], {"name": "_Status"}]),
            "source contract 'payroll' declares column(s) named like gluestar's own: _status "
            "(reserved: _raw, _source_file, _corrupt_record, reject_reason, reject_rules, _status)",
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
            "payroll: format 'type' must be one of 'csv', 'jsonl'; got 'parquet'",
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
        (
            _star_with(kind="bridge"),
            "table 'dim_employee': 'kind' must be one of 'dimension', 'fact', 'mart'; got 'bridge'",
        ),
        (
            _star_with(natural_key=["employee_code"]),
            "table 'dim_employee': key or partition column(s) not declared: ['employee_code']",
        ),
        (
            _star_with(columns=[{"name": "employee_key", "type": "integer"}]),
            "unknown column type 'integer'; allowed: string, int, bigint, smallint, double, boolean, date, "
            "timestamp, decimal(p,s), array<type>, struct<name:type,...>",
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
            "timestamp, decimal(p,s), array<type>, struct<name:type,...>",
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


# Contract rules: integer, boolean and epoch_seconds columns, bounds, allowed values, row rules ------

RULES_CONTRACT = {
    "name": "orders",
    "key": ["order_id"],
    "conflict_reason": "conflicting orders",
    "columns": [
        {"name": "order_id", "type": "string", "required": True},
        {"name": "customer_id", "type": "string", "required": True, "case": "upper"},
        {"name": "day", "type": "date", "formats": ["yyyy-MM-dd"]},
        {"name": "units", "type": "integer", "min_value": 1, "max_value": 100},
        {"name": "price", "type": "amount", "precision": 9, "scale": 2, "min_value": 0, "max_value": 9999.99},
        {"name": "total", "type": "amount"},
        {"name": "status", "type": "string", "case": "upper", "allowed_values": ["NEW", "SHIPPED"]},
        {"name": "gift", "type": "boolean", "boolean_values": {"true": ["Yes", "Y"], "false": ["no", "n"]}},
        {"name": "seen_at", "type": "epoch_seconds", "min_value": 0},
    ],
    "row_rules": [
        {"name": "total", "predicate": "total = units * price", "reject_reason": "total is not units * price"}
    ],
    "consistent_within": [{"key": ["customer_id", "day"], "columns": ["gift"], "reject_reason": "gift differs"}],
}
RULES_COLUMNS = "order_id, customer_id, day, units, price, total, status, gift, seen_at"


def _rules_with(**changes):
    return {**RULES_CONTRACT, **changes}


def _rules_column(name, **changes):
    """The rules contract with column ``name`` changed (a change to None removes the key)."""
    columns = [dict(c) for c in RULES_CONTRACT["columns"]]
    column = next(c for c in columns if c["name"] == name)
    column.update(changes)
    for key, value in changes.items():
        if value is None:
            del column[key]
    return _rules_with(columns=columns)


def _row_rule(**changes):
    return _rules_with(row_rules=[{**RULES_CONTRACT["row_rules"][0], **changes}])


def _consistency(**changes):
    return _rules_with(consistent_within=[{**RULES_CONTRACT["consistent_within"][0], **changes}])


def _load_rules(tmp_path, data):
    _write(tmp_path, data, "orders.json")
    return load_source_contract("hr", "orders", directory=tmp_path)


def test_contract_rules_load_as_first_class_fields(tmp_path):
    contract = _load_rules(tmp_path, RULES_CONTRACT)

    assert contract.column("units") == ColumnSpec("units", "integer", min_value=1, max_value=100)
    assert contract.column("price") == ColumnSpec(
        "price", "amount", precision=9, scale=2, min_value=Decimal("0"), max_value=Decimal("9999.99")
    )
    assert contract.column("status") == ColumnSpec("status", case="upper", allowed_values=("NEW", "SHIPPED"))
    assert contract.column("gift") == ColumnSpec(
        "gift", "boolean", boolean_values=BooleanValues(("yes", "y"), ("no", "n"))
    )
    assert contract.column("seen_at") == ColumnSpec("seen_at", "epoch_seconds", min_value=0)
    assert contract.row_rules == (RowRule("total", "total = units * price", "total is not units * price"),)
    assert contract.consistent_within == (ConsistencyRule(("customer_id", "day"), ("gift",), "gift differs"),)


def test_boolean_columns_default_to_true_and_false():
    assert ColumnSpec("flag", "boolean").boolean_values == BooleanValues(("true",), ("false",))


def test_contracts_without_rules_have_none():
    contract = load_source_contract("finance", "budget")
    assert (contract.row_rules, contract.consistent_within) == ((), ())


@pytest.mark.parametrize(
    ("contract", "message"),
    [
        # integer, amount and epoch_seconds bounds
        (
            _rules_column("status", min_value=1),
            "orders.status: 'min_value' applies to amount, integer and epoch_seconds columns only, not to a string",
        ),
        (
            _rules_column("day", max_value=1),
            "orders.day: 'max_value' applies to amount, integer and epoch_seconds columns only, not to a date "
            "(the range of a date, month or timestamp is 'min' and 'max')",
        ),
        (_rules_column("units", min_value="1"), "orders.units: 'min_value' must be a number; got '1'"),
        (_rules_column("units", min_value=True), "orders.units: 'min_value' must be a number; got True"),
        (
            _rules_column("units", min_value=1.5),
            "orders.units: 'min_value' of an integer column must be a whole number; got 1.5",
        ),
        (
            _rules_column("units", max_value=2**31),
            "orders.units: 'max_value' must be within the 32-bit integer range, -2147483648..2147483647; "
            "got 2147483648",
        ),
        (
            _rules_column("seen_at", min_value=-62135596801),
            "orders.seen_at: 'min_value' must be within the seconds a timestamp holds (0001-01-01..9999-12-31 UTC), "
            "-62135596800..253402300799; got -62135596801",
        ),
        (
            _rules_column("seen_at", min_value=1.0),
            "orders.seen_at: 'min_value' of an epoch_seconds column must be a whole number; got 1.0",
        ),
        (
            _rules_column("price", min_value=0.001),
            "orders.price: 'min_value' must fit the column's decimal(9,2); got 0.001",
        ),
        (
            _rules_column("price", max_value=10_000_000),
            "orders.price: 'max_value' must fit the column's decimal(9,2); got 10000000",
        ),
        (_rules_column("units", min_value=5, max_value=2), "orders.units: 'min_value' (5) is above 'max_value' (2)"),
        (
            _rules_column("price", min_value=10.5, max_value=2),
            "orders.price: 'min_value' (10.5) is above 'max_value' (2)",
        ),
        # keys of another column type
        (
            _rules_column("total", formats=["yyyy"]),
            "orders.total: 'formats' applies to date, month and timestamp columns only, not to an amount",
        ),
        (
            _rules_column("units", min="2000-01-01"),
            "orders.units: 'min' applies to date, month and timestamp columns only, not to an integer "
            "(the range of a number is 'min_value' and 'max_value')",
        ),
        (
            _rules_column("day", min="2025-01-02", max="2025-01-01"),
            "orders.day: 'min' (2025-01-02) is after 'max' (2025-01-01)",
        ),
        (
            _rules_column("units", precision=9),
            "orders.units: 'precision' applies to amount columns only, not to an integer",
        ),
        (_rules_column("gift", scale=0), "orders.gift: 'scale' applies to amount columns only, not to a boolean"),
        (
            _rules_column("seen_at", max_length=10),
            "orders.seen_at: 'max_length' applies to string columns only, not to an epoch_seconds",
        ),
        # allowed values
        (
            _rules_column("units", allowed_values=["1"]),
            "orders.units: 'allowed_values' applies to string columns only, not to an integer",
        ),
        (
            _rules_column("status", allowed_values="NEW"),
            "orders.status: 'allowed_values' must be a non-empty list of non-empty strings; got 'NEW'",
        ),
        (
            _rules_column("status", allowed_values=[]),
            "orders.status: 'allowed_values' must be a non-empty list of non-empty strings; got []",
        ),
        (
            _rules_column("status", allowed_values=["NEW", "new"]),
            "orders.status: the allowed value 'new' can never match: cleaning makes it 'NEW'",
        ),
        (
            _rules_column("status", allowed_values=[" NEW"]),
            "orders.status: the allowed value ' NEW' can never match: cleaning makes it 'NEW'",
        ),
        (
            _rules_column("status", case="title", allowed_values=["Credit card"]),
            "orders.status: the allowed value 'Credit card' can never match: cleaning makes it 'Credit Card'",
        ),
        (
            _rules_column("status", reserved=["NEW"]),
            "orders.status: the allowed value 'NEW' is also reserved",
        ),
        (
            _rules_column("status", max_length=3),
            "orders.status: the allowed value 'SHIPPED' is longer than 'max_length' (3)",
        ),
        (
            _rules_column("status", default="DONE"),
            "orders.status: the default 'DONE' is not one of the allowed values",
        ),
        # boolean spellings
        (
            _rules_column("status", boolean_values={"true": ["y"], "false": ["n"]}),
            "orders.status: 'boolean_values' applies to boolean columns only, not to a string",
        ),
        (
            _rules_column("gift", boolean_values={"true": ["y"]}),
            "orders.gift: 'boolean_values' must be an object with the lists 'true' and 'false'; got {'true': ['y']}",
        ),
        (
            _rules_column("gift", boolean_values={"true": "y", "false": ["n"]}),
            "orders.gift: 'boolean_values' 'true' must be a non-empty list of non-empty strings; got 'y'",
        ),
        (
            _rules_column("gift", boolean_values={"true": [" y"], "false": ["n"]}),
            "orders.gift: the boolean spelling ' y' can never match: values are trimmed first",
        ),
        (
            _rules_column("gift", boolean_values={"true": ["Y", "1"], "false": ["y", "0"]}),
            "orders.gift: 'boolean_values' spell both true and false as 'y'",
        ),
        # row rules
        (_rules_with(row_rules={}), "orders: 'row_rules' must be a list of objects; got {}"),
        (_rules_with(row_rules=["total = 1"]), "orders: every row rule must be an object; got 'total = 1'"),
        (_row_rule(name=None), "orders: a row rule's 'name' must be a non-empty string; got None"),
        (_row_rule(predicate=""), "orders: row rule 'total': 'predicate' must be a non-empty string; got ''"),
        (
            _row_rule(reject_reason=None),
            "orders: row rule 'total': 'reject_reason' must be a non-empty string; got None",
        ),
        (
            _rules_with(row_rules=RULES_CONTRACT["row_rules"] * 2),
            "orders: row rule name(s) used twice: total",
        ),
        (
            _row_rule(predicate="status = 'NEW"),
            "orders: row rule 'total': the predicate has an unterminated string literal: \"status = 'NEW\"",
        ),
        (
            _row_rule(predicate="`status = 'NEW'"),
            "orders: row rule 'total': the predicate has an unterminated backquoted name: \"`status = 'NEW'\"",
        ),
        (
            _row_rule(predicate="abs(total - units * price <= 0.01"),
            "orders: row rule 'total': the predicate's parentheses do not balance: 'abs(total - units * price <= 0.01'",
        ),
        (
            _row_rule(predicate="total = qty * price AND _source_file IS NOT NULL"),
            "orders: row rule 'total': the predicate names column(s) not in the contract: qty, _source_file "
            f"(columns: {RULES_COLUMNS})",
        ),
        (_row_rule(predicate="1 = 1"), "orders: row rule 'total': the predicate reads no column: '1 = 1'"),
        (
            _row_rule(reject_reason="conflicting orders"),
            "orders: row rule 'total': 'reject_reason' must differ from the conflict_reason 'conflicting orders', "
            "which counts conflicts between rows of one key",
        ),
        # consistent_within
        (_rules_with(consistent_within={}), "orders: 'consistent_within' must be a list of objects; got {}"),
        (_rules_with(consistent_within=["gift"]), "orders: consistent_within[0] must be an object; got 'gift'"),
        (
            _consistency(key=[]),
            "orders: consistent_within[0]: 'key' must be a non-empty list of non-empty strings; got []",
        ),
        (
            _consistency(columns=None),
            "orders: consistent_within[0]: 'columns' must be a non-empty list of non-empty strings; got None",
        ),
        (
            _consistency(columns=["day", "gift"]),
            "orders: consistent_within[0]: 'columns' repeat key column(s): day",
        ),
        (
            _consistency(key=["client"]),
            "orders: consistent_within[0]: 'key' names column(s) not in the contract: client "
            f"(columns: {RULES_COLUMNS})",
        ),
        (
            _consistency(columns=["wrapped"]),
            "orders: consistent_within[0]: 'columns' names column(s) not in the contract: wrapped "
            f"(columns: {RULES_COLUMNS})",
        ),
        (
            _consistency(reject_reason=""),
            "orders: consistent_within[0]: 'reject_reason' must be a non-empty string; got ''",
        ),
        (
            _consistency(reject_reason="conflicting orders"),
            "orders: consistent_within[0]: 'reject_reason' must differ from the conflict_reason 'conflicting orders', "
            "which counts conflicts between rows of one key",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 60 else None,
)
def test_contract_rule_validation_names_the_bad_field(tmp_path, contract, message):
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        _load_rules(tmp_path, contract)


@pytest.mark.parametrize(
    ("predicate", "columns"),
    [
        ("abs(total_sales - units_sold * unit_price) <= 0.01", ("total_sales", "units_sold", "unit_price")),
        ("Units > 0 AND units < 10", ("units",)),
        ("`Total Sales` >= 0", ("total sales",)),
        ("date >= DATE '2025-01-01' AND timestamp < TIMESTAMP '2026-01-01 00:00:00'", ("date", "timestamp")),
        ("CAST(units AS decimal(9,2)) = price AND cast(units as int) IS NOT NULL", ("units", "price")),
        ("status IN ('NEW', 'it''s') OR status LIKE 'S%' ESCAPE '!'", ("status",)),
        ("day + INTERVAL 1 DAY > day2 -- a comment naming nothing", ("day", "day2")),
        ("CASE WHEN gift THEN total ELSE 0 END >= 0", ("gift", "total")),
        ("note = 'say \\'when\\''", ("note",)),
    ],
)
def test_predicate_columns_finds_the_column_names(predicate, columns):
    assert predicate_columns(predicate) == columns
