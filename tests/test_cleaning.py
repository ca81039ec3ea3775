"""Tests of gluestar.cleaning: cleaning, typing and validating raw rows against their contract.

``validate_source`` works row by row, so every test's rows are validated together in one cached
frame per contract (one Spark plan to compile, not one per test); each test reads back its own rows
by their id. Being row by row (no shuffle), it keeps the input order, so results are compared in
order, without chispa's sort.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from gluestar.cleaning import (
    MALFORMED_ROW_REASON,
    candidate_keys,
    column_rules,
    enforce_consistency,
    row_rule,
    typed_value,
    validate_source,
)
from gluestar.contracts import ColumnSpec, ConsistencyRule, RowRule, SourceContract, load_source_contract
from gluestar.exceptions import ConfigurationError, SchemaContractError

TRANSACTIONS = load_source_contract("finance", "transactions")
BUDGET = load_source_contract("finance", "budget")
RAW_TRANSACTIONS = ", ".join(f"{c} string" for c in TRANSACTIONS.column_names)
RAW_BUDGET = ", ".join(f"{c} string" for c in BUDGET.column_names)
OUTCOME = "reject_reason string, reject_rules array<string>, _status string"
DATE_FORMATS = "(accepted: yyyy-MM-dd, yyyy/MM/dd)"
TIMESTAMP_FORMAT = "(accepted: yyyy-MM-dd'T'HH:mm:ss)"


def _transaction(transaction_id, **fields):
    """A raw transaction (strings, untrimmed) that passes validation, with ``fields`` changed."""
    row = {
        "transaction_id": transaction_id,
        "transaction_date": "2025-01-05",
        "department_code": "FIN",
        "department_name": "Finance",
        "business_unit": "Corporate",
        "account_number": "4000",
        "account_name": "Sales",
        "account_type": "Revenue",
        "category": "Income",
        "amount": "10.00",
        "last_modified": "2025-01-05T10:00:00",
    }
    row.update(fields)
    return (*[row[c] for c in TRANSACTIONS.column_names], None, None)


def _budget(department_code, *, corrupt_record=None, **fields):
    """A raw budget row that passes validation, with ``fields`` changed; ``department_code`` tells rows apart."""
    row = {
        "budget_month": "2025-01",
        "department_code": department_code,
        "account_number": "4000",
        "budget_amount": "100",
        "scenario": "Budget",
    }
    row.update(fields)
    return (*[row[c] for c in BUDGET.column_names], "budget_2025.csv", corrupt_record)


@pytest.fixture(scope="module")
def validated_transactions(spark):
    rows = [row for rows in TRANSACTION_CASES.values() for row in rows]
    raw = spark.createDataFrame(rows, f"{RAW_TRANSACTIONS}, _source_file string, _corrupt_record string")
    validated = raw.transform(validate_source(TRANSACTIONS)).cache()
    yield validated
    validated.unpersist()


@pytest.fixture(scope="module")
def validated_budget(spark):
    rows = [row for rows in BUDGET_CASES.values() for row in rows]
    raw = spark.createDataFrame(rows, f"{RAW_BUDGET}, _source_file string, _corrupt_record string")
    validated = raw.transform(validate_source(BUDGET)).cache()
    yield validated
    validated.unpersist()


def _cases(validated, case, raw_id):
    """The validated rows of one case (their raw id column starts with ``case``)."""
    return validated.filter(F.col(f"_raw.{raw_id}").startswith(case))


def _assert_outcomes(spark, validated, case, raw_id, expected):
    """Compare ``(raw id, reject_reason, reject_rules, _status)`` of one case's rows with ``expected``."""
    actual = _cases(validated, case, raw_id).select(
        F.col(f"_raw.{raw_id}").alias("raw_id"), "reject_reason", "reject_rules", "_status"
    )
    assert_df_equality(
        actual,
        spark.createDataFrame(expected, f"raw_id string, {OUTCOME}"),
        ignore_nullable=True,
    )


TRANSACTION_CASES = {
    "trim": [
        _transaction(
            " trim ",
            department_code=" fin-01\u00a0",
            department_name="  Finance ",
            business_unit="",
            account_number="\ufeff4000a",
            account_type=" revenue ",
            category="   ",
            amount=" $1,234.505 ",
            last_modified=" 2025-01-05T10:00:00 ",
        )
    ],
    "date-ok": [
        _transaction("date-ok-1", transaction_date="2025-01-05"),
        _transaction("date-ok-2", transaction_date="2025/01/06"),
    ],
    "date-bad": [
        _transaction("date-bad-1", transaction_date="2025-02-30"),
        _transaction("date-bad-2", transaction_date="05/01/2025"),
    ],
    "date-range": [_transaction("date-range", transaction_date="1899-12-31")],
    "amount-bad": [
        _transaction("amount-bad-1", amount="12..5"),
        _transaction("amount-bad-2", amount="12345678901234567.00"),
    ],
    "amount-long": [_transaction("amount-long", amount="1" * 30 + "x" * 20)],
    # account_name holds at most 256 bytes (UTF-8) after trimming; "é" is 2 bytes.
    "bytes": [
        _transaction("bytes-fits", account_name=" " + "a" * 256 + " "),
        _transaction("bytes-too-long", account_name="a" * 257),
        _transaction("bytes-multibyte", account_name="é" * 129),
    ],
    "modified": [
        _transaction("modified-1", last_modified=None),
        _transaction("modified-2", last_modified=" "),
        _transaction("modified-3", last_modified="2025-01-05 10:00:00"),
    ],
    "missing": [
        _transaction("missing-1", department_code=None),
        _transaction("", **{c: "  " for c in TRANSACTIONS.column_names if c != "transaction_id"}),
    ],
    "many": [
        _transaction("many", transaction_date="2025-13-01", account_number=" ", amount="ten", last_modified="yesterday")
    ],
}


def test_validate_source_trims_upper_cases_codes_and_empties_to_null(spark, validated_transactions):
    actual = _cases(validated_transactions, " trim", "transaction_id").drop("_raw", "_source_file")
    expected = spark.createDataFrame(
        [
            (
                "trim",
                dt.date(2025, 1, 5),
                "FIN-01",
                "Finance",
                None,
                "4000A",
                "Sales",
                "Revenue",
                None,
                Decimal("1234.51"),
                dt.datetime(2025, 1, 5, 10, 0),
                None,
                [],
                "accepted",
            )
        ],
        "transaction_id string, transaction_date date, department_code string, department_name string, "
        "business_unit string, account_number string, account_name string, account_type string, "
        f"category string, amount decimal(18,2), last_modified timestamp, {OUTCOME}",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_source_accepts_both_transaction_date_formats(spark, validated_transactions):
    actual = _cases(validated_transactions, "date-ok", "transaction_id").select(
        "transaction_id", "transaction_date", "_status"
    )
    expected = spark.createDataFrame(
        [("date-ok-1", dt.date(2025, 1, 5), "accepted"), ("date-ok-2", dt.date(2025, 1, 6), "accepted")],
        "transaction_id string, transaction_date date, _status string",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_source_quarantines_invalid_dates_naming_the_accepted_formats(spark, validated_transactions):
    rule = ["transaction_date is not a valid date"]
    _assert_outcomes(
        spark,
        validated_transactions,
        "date-bad",
        "transaction_id",
        [
            ("date-bad-1", f"transaction_date '2025-02-30' is not a valid date {DATE_FORMATS}", rule, "quarantined"),
            ("date-bad-2", f"transaction_date '05/01/2025' is not a valid date {DATE_FORMATS}", rule, "quarantined"),
        ],
    )


def test_validate_source_quarantines_dates_outside_the_contract_range(spark, validated_transactions):
    _assert_outcomes(
        spark,
        validated_transactions,
        "date-range",
        "transaction_id",
        [
            (
                "date-range",
                "transaction_date '1899-12-31' is outside 1900-01-01..2099-12-31",
                ["transaction_date is out of range"],
                "quarantined",
            )
        ],
    )


def test_validate_source_quarantines_malformed_and_too_large_amounts_with_distinct_reasons(
    spark, validated_transactions
):
    _assert_outcomes(
        spark,
        validated_transactions,
        "amount-bad",
        "transaction_id",
        [
            ("amount-bad-1", "amount '12..5' is not a valid amount", ["amount is not a valid amount"], "quarantined"),
            (
                "amount-bad-2",
                "amount '12345678901234567.00' does not fit decimal(18,2)",
                ["amount does not fit decimal(18,2)"],
                "quarantined",
            ),
        ],
    )


def test_validate_source_quotes_long_values_cut_to_40_characters(spark, validated_transactions):
    value = "1" * 30 + "x" * 10
    _assert_outcomes(
        spark,
        validated_transactions,
        "amount-long",
        "transaction_id",
        [("amount-long", f"amount '{value}…' is not a valid amount", ["amount is not a valid amount"], "quarantined")],
    )


def test_validate_source_quarantines_strings_longer_than_their_max_length_in_utf8_bytes(spark, validated_transactions):
    rule = ["account_name is too long"]
    _assert_outcomes(
        spark,
        validated_transactions,
        "bytes",
        "transaction_id",
        [
            ("bytes-fits", None, [], "accepted"),
            ("bytes-too-long", f"account_name '{'a' * 40}…' is 257 bytes long (max 256 bytes)", rule, "quarantined"),
            ("bytes-multibyte", f"account_name '{'é' * 40}…' is 258 bytes long (max 256 bytes)", rule, "quarantined"),
        ],
    )


def test_validate_source_allows_a_missing_last_modified_but_not_a_malformed_one(spark, validated_transactions):
    _assert_outcomes(
        spark,
        validated_transactions,
        "modified",
        "transaction_id",
        [
            ("modified-1", None, [], "accepted"),
            ("modified-2", None, [], "accepted"),
            (
                "modified-3",
                f"last_modified '2025-01-05 10:00:00' is not a valid timestamp {TIMESTAMP_FORMAT}",
                ["last_modified is not a valid timestamp"],
                "quarantined",
            ),
        ],
    )


def test_validate_source_names_every_missing_required_transaction_field(spark, validated_transactions):
    required = ["transaction_id", "transaction_date", "department_code", "account_number", "amount"]
    missing = [f"{c} is missing" for c in required]
    expected = [
        ("missing-1", "department_code is missing", ["department_code is missing"], "quarantined"),
        ("", "; ".join(missing), missing, "quarantined"),
    ]
    actual = validated_transactions.filter(
        F.col("_raw.transaction_id").startswith("missing") | (F.col("_raw.transaction_id") == "")
    )
    _assert_outcomes(spark, actual, "", "transaction_id", expected)


def test_validate_source_names_every_broken_rule_of_one_row_in_contract_order(spark, validated_transactions):
    _assert_outcomes(
        spark,
        validated_transactions,
        "many",
        "transaction_id",
        [
            (
                "many",
                f"transaction_date '2025-13-01' is not a valid date {DATE_FORMATS}; account_number is missing; "
                f"amount 'ten' is not a valid amount; last_modified 'yesterday' is not a valid timestamp "
                f"{TIMESTAMP_FORMAT}",
                [
                    "transaction_date is not a valid date",
                    "account_number is missing",
                    "amount is not a valid amount",
                    "last_modified is not a valid timestamp",
                ],
                "quarantined",
            )
        ],
    )


BUDGET_CASES = {
    "raw": [_budget(" raw ", scenario="")],
    "month": [_budget("month-1", budget_month="2025-03"), _budget("month-2", budget_month="2025-3")],
    "amount": [
        _budget("amount-1", budget_amount="1,234.50"),
        _budget("amount-2", budget_amount="(1,234.50)"),
        _budget("amount-3", budget_amount="-$3"),
        _budget("amount-4", budget_amount="€7.005"),
        _budget("amount-5", budget_amount="+12.345"),
    ],
    "missing": [_budget(None, budget_month="  ", account_number="", budget_amount=None, scenario=None)],
    "scenario": [
        _budget("scenario-1", scenario=""),
        _budget("scenario-2", scenario=None),
        _budget("scenario-3", scenario="budget"),
        _budget("scenario-4", scenario=" budget q1 "),
        _budget("scenario-5", scenario="FORECAST"),
    ],
    "reserved": [_budget("reserved-1", scenario=" actual ")],
    "corrupt": [
        _budget("corrupt-1", budget_amount=None, scenario=None, corrupt_record="2025-01,corrupt-1,4000"),
        _budget("corrupt-2", corrupt_record=None),
    ],
}


def test_validate_source_keeps_the_raw_values_and_the_source_file(validated_budget):
    row = _cases(validated_budget, " raw", "department_code").select("_raw", "_source_file").first()
    assert row._raw.asDict() == {
        "budget_month": "2025-01",
        "department_code": " raw ",
        "account_number": "4000",
        "budget_amount": "100",
        "scenario": "",
    }
    assert row._source_file == "budget_2025.csv"


def test_validate_source_output_columns_and_types(validated_budget):
    assert [(f.name, f.dataType.simpleString()) for f in validated_budget.schema] == [
        (
            "_raw",
            "struct<budget_month:string,department_code:string,account_number:string,budget_amount:string,scenario:string>",
        ),
        ("_source_file", "string"),
        ("budget_month", "date"),
        ("department_code", "string"),
        ("account_number", "string"),
        ("budget_amount", "decimal(18,2)"),
        ("scenario", "string"),
        ("reject_reason", "string"),
        ("reject_rules", "array<string>"),
        ("_status", "string"),
    ]


def test_validate_source_budget_month_accepts_yyyy_mm_only(spark, validated_budget):
    actual = _cases(validated_budget, "month", "department_code").select(
        "department_code", "budget_month", "reject_reason"
    )
    expected = spark.createDataFrame(
        [
            ("MONTH-1", dt.date(2025, 3, 1), None),
            ("MONTH-2", None, "budget_month '2025-3' is not a valid month (accepted: yyyy-MM)"),
        ],
        "department_code string, budget_month date, reject_reason string",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_source_parses_every_amount_spelling(spark, validated_budget):
    actual = _cases(validated_budget, "amount", "department_code").select("department_code", "budget_amount", "_status")
    expected = spark.createDataFrame(
        [
            ("AMOUNT-1", Decimal("1234.50"), "accepted"),
            ("AMOUNT-2", Decimal("-1234.50"), "accepted"),
            ("AMOUNT-3", Decimal("-3.00"), "accepted"),
            ("AMOUNT-4", Decimal("7.01"), "accepted"),
            ("AMOUNT-5", Decimal("12.35"), "accepted"),
        ],
        "department_code string, budget_amount decimal(18,2), _status string",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_source_names_every_missing_required_budget_field(spark, validated_budget):
    missing = [f"{c} is missing" for c in ("budget_month", "department_code", "account_number", "budget_amount")]
    actual = validated_budget.filter(F.col("_raw.department_code").isNull()).select(
        "reject_reason", "reject_rules", "_status"
    )
    expected = spark.createDataFrame([("; ".join(missing), missing, "quarantined")], OUTCOME)
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_source_scenario_defaults_to_budget_and_is_title_cased(spark, validated_budget):
    actual = _cases(validated_budget, "scenario", "department_code").select("department_code", "scenario")
    expected = spark.createDataFrame(
        [
            ("SCENARIO-1", "Budget"),
            ("SCENARIO-2", "Budget"),
            ("SCENARIO-3", "Budget"),
            ("SCENARIO-4", "Budget Q1"),
            ("SCENARIO-5", "Forecast"),
        ],
        "department_code string, scenario string",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_source_quarantines_the_reserved_actual_scenario(spark, validated_budget):
    reason = "scenario 'Actual' is reserved (reserved: Actual)"
    _assert_outcomes(
        spark,
        validated_budget,
        "reserved",
        "department_code",
        [("reserved-1", reason, ["scenario is reserved"], "quarantined")],
    )


def test_validate_source_quarantines_a_malformed_csv_row(spark, validated_budget):
    _assert_outcomes(
        spark,
        validated_budget,
        "corrupt",
        "department_code",
        [
            (
                "corrupt-1",
                f"{MALFORMED_ROW_REASON}; budget_amount is missing",
                [MALFORMED_ROW_REASON, "budget_amount is missing"],
                "quarantined",
            ),
            ("corrupt-2", None, [], "accepted"),
        ],
    )


def test_malformed_row_reason_text():
    assert MALFORMED_ROW_REASON == "malformed CSV row: wrong number of fields"


def test_validate_source_requires_every_contract_column(spark):
    raw = spark.createDataFrame([], "budget_month string, department_code string, budget_amount string")
    message = "source 'budget' is missing column(s): account_number, scenario"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        raw.transform(validate_source(BUDGET))


def test_validate_source_without_source_file_or_corrupt_record_columns(spark):
    raw = spark.createDataFrame([("2025-01", "D1", "4000", "5", None)], RAW_BUDGET)
    row = raw.transform(validate_source(BUDGET)).select("_source_file", "_status").first()
    assert (row._source_file, row._status) == (None, "accepted")


def test_candidate_keys_cleans_the_keys_of_every_row_with_a_key_even_rows_validation_rejects(spark):
    raw = spark.createDataFrame(
        [
            _transaction(" TXN-1 "),
            _transaction("TXN-2", amount="abc"),
            _transaction("\u00a0"),
            _transaction(None),
            _transaction("TXN-1", last_modified="2025-01-06T10:00:00"),
        ],
        f"{RAW_TRANSACTIONS}, _source_file string, _corrupt_record string",
    )
    expected = spark.createDataFrame([("TXN-1",), ("TXN-2",), ("TXN-1",)], "transaction_id string")
    assert_df_equality(raw.transform(candidate_keys(TRANSACTIONS)), expected)


def test_candidate_keys_types_a_key_as_its_contract_declares(spark):
    contract = dataclasses.replace(BUDGET, key=("budget_month", "department_code"))
    raw = spark.createDataFrame(
        [
            ("2025-01", " fin ", "4000", "5", None),
            ("2025-13", "FIN", "4000", "5", None),
            ("2025-02", None, "1", "2", None),
        ],
        RAW_BUDGET,
    )
    expected = spark.createDataFrame([(dt.date(2025, 1, 1), "FIN")], "budget_month date, department_code string")
    assert_df_equality(raw.transform(candidate_keys(contract)), expected, ignore_nullable=True)


def test_candidate_keys_requires_the_key_columns(spark):
    raw = spark.createDataFrame([], "transaction_date string")
    message = "source 'transactions' is missing key column(s): transaction_id"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        raw.transform(candidate_keys(TRANSACTIONS))


def test_typed_value_rejects_an_unsupported_type():
    message = "column 'x' has unsupported type 'float'"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        typed_value(ColumnSpec("x", "float"), F.col("x"))  # type: ignore[arg-type]


def test_column_rules_labels_per_column_type():
    def labels(spec):
        return [label for label, _ in column_rules(spec, F.col("t"), F.col("v"))]

    assert labels(ColumnSpec("name")) == []
    assert labels(ColumnSpec("id", required=True)) == ["id is missing"]
    assert labels(ColumnSpec("code", required=True, reserved=("X",), max_length=8)) == [
        "code is missing",
        "code is reserved",
        "code is too long",
    ]
    assert labels(ColumnSpec("d", "date", formats=("yyyy-MM-dd",), min=dt.date(2000, 1, 1))) == [
        "d is not a valid date",
        "d is out of range",
    ]
    assert labels(ColumnSpec("a", "amount", precision=10, scale=3)) == [
        "a is not a valid amount",
        "a does not fit decimal(10,3)",
    ]
    assert labels(ColumnSpec("a", "amount", min_value=Decimal("0"))) == [
        "a is not a valid amount",
        "a does not fit decimal(18,2)",
        "a is out of range",
    ]
    assert labels(ColumnSpec("n", "integer")) == ["n is not an integer"]
    assert labels(ColumnSpec("n", "integer", required=True, min_value=1)) == [
        "n is missing",
        "n is not an integer",
        "n is out of range",
    ]
    assert labels(ColumnSpec("b", "boolean")) == ["b is not a valid boolean"]
    assert labels(ColumnSpec("s", "epoch_seconds")) == [
        "s is not a valid epoch-seconds timestamp",
        "s is out of range",
    ]
    assert labels(ColumnSpec("e", allowed_values=("A",), max_length=4)) == [
        "e is too long",
        "e is not an allowed value",
    ]


# Integer, boolean and epoch-seconds columns, bounds, allowed values and row rules ----------------

ORDERS = SourceContract.from_dict(
    {
        "name": "orders",
        "key": ["order_id"],
        "columns": [
            {"name": "order_id", "type": "string", "required": True},
            {"name": "units", "type": "integer", "min_value": -100, "max_value": 100},
            {"name": "count", "type": "integer"},
            {"name": "price", "type": "amount", "precision": 9, "scale": 2, "min_value": 0},
            {"name": "total", "type": "amount"},
            {"name": "status", "type": "string", "case": "upper", "allowed_values": ["NEW", "SHIPPED"]},
            {
                "name": "gift",
                "type": "boolean",
                "boolean_values": {"true": ["yes", "y", "1"], "false": ["no", "n", "0"]},
            },
            {"name": "flag", "type": "boolean"},
            {"name": "seen_at", "type": "epoch_seconds", "min_value": 946684800, "max_value": 4102444799},
            {"name": "raw_at", "type": "epoch_seconds"},
        ],
        "row_rules": [
            {"name": "total", "predicate": "total = units * price", "reject_reason": "total is not units * price"}
        ],
    }
)
RAW_ORDERS = ", ".join(f"{c} string" for c in ORDERS.column_names)
GIFT_SPELLINGS = "(true: yes, y, 1 | false: no, n, 0)"
EPOCH = "(integer seconds since 1970-01-01 UTC)"


def _order(order_id, **fields):
    """A raw order (strings) that passes validation, with ``fields`` changed."""
    row = {
        "order_id": order_id,
        "units": "3",
        "count": "10",
        "price": "2.50",
        "total": "7.50",
        "status": "NEW",
        "gift": "yes",
        "flag": "false",
        "seen_at": "1744761599",
        "raw_at": "0",
    }
    row.update(fields)
    return tuple(row[c] for c in ORDERS.column_names)


ORDER_CASES = {
    "typed": [
        _order(
            "typed",
            units=" +007 ",
            count="-2147483648",
            price="$2.50",
            total="17.50",
            status=" shipped ",
            gift=" Y ",
            flag="TRUE",
            seen_at=" 1744761600 ",
            raw_at="-86400",
        )
    ],
    "int": [
        _order("int-fraction", units="2.5"),
        _order("int-text", units="abc"),
        _order("int-exponent", units="1e3"),
        _order("int-separator", units="1,000"),
        _order("int-max", count="2147483647"),
        _order("int-too-big", count="2147483648"),
        _order("int-huge", count="9" * 30),
    ],
    "range": [
        _order("range-units-high", units="101", total="252.50"),
        _order("range-units-low", units="-101", total="-252.50"),
        _order("range-units-at-bound", units="-100", total="-250.00"),
        _order("range-price", price="-0.01", total="-0.03"),
        _order("range-price-at-bound", price="0", total="0"),
    ],
    "allowed": [
        _order("allowed-bad", status="wishlist"),
        _order("allowed-empty", status=" "),
    ],
    "bool": [
        _order("bool-one", gift="1", flag="False"),
        _order("bool-no", gift="NO"),
        _order("bool-bad", gift="maybe"),
        _order("bool-default-spelling", flag="yes"),
    ],
    "epoch": [
        _order("epoch-low-bound", seen_at="+946684800"),
        _order("epoch-fraction", seen_at="1744761599.5"),
        _order("epoch-iso", seen_at="2025-04-16T00:00:05"),
        _order("epoch-millis", seen_at="1744761600000"),
        _order("epoch-negative", seen_at="-86400"),
        _order("epoch-year-10000", raw_at="253402300800"),
        _order("epoch-huge", raw_at="9" * 30),
    ],
    "rule": [
        _order("rule-broken", total="7.00"),
        _order("rule-skipped-invalid", units="2.5", total="1"),
        _order("rule-skipped-out-of-range", units="2", price="-1", total="5"),
        _order("rule-skipped-missing", units="", total="5"),
        _order("rule-and-column", total="7.00", status="LOST"),
    ],
}


@pytest.fixture(scope="module")
def validated_orders(spark):
    rows = [row for rows in ORDER_CASES.values() for row in rows]
    validated = spark.createDataFrame(rows, RAW_ORDERS).transform(validate_source(ORDERS)).cache()
    yield validated
    validated.unpersist()


def _one_rule(rule, message):
    """The outcome of a row breaking one rule."""
    return (message, [rule], "quarantined")


def test_validate_source_types_integer_boolean_and_epoch_seconds_columns(spark, validated_orders):
    actual = _cases(validated_orders, "typed", "order_id").drop("_raw", "_source_file")
    expected = spark.createDataFrame(
        [
            (
                "typed",
                7,
                -2147483648,
                Decimal("2.50"),
                Decimal("17.50"),
                "SHIPPED",
                True,
                True,
                dt.datetime(2025, 4, 16),
                dt.datetime(1969, 12, 31),
                None,
                [],
                "accepted",
            )
        ],
        "order_id string, units int, count int, price decimal(9,2), total decimal(18,2), status string, "
        f"gift boolean, flag boolean, seen_at timestamp, raw_at timestamp, {OUTCOME}",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_source_quarantines_what_is_not_a_32_bit_integer_never_rounding(spark, validated_orders):
    units, count = ["units is not an integer"], ["count is not an integer"]
    _assert_outcomes(
        spark,
        validated_orders,
        "int",
        "order_id",
        [
            ("int-fraction", "units '2.5' is not an integer", units, "quarantined"),
            ("int-text", "units 'abc' is not an integer", units, "quarantined"),
            ("int-exponent", "units '1e3' is not an integer", units, "quarantined"),
            ("int-separator", "units '1,000' is not an integer", units, "quarantined"),
            ("int-max", None, [], "accepted"),
            ("int-too-big", "count '2147483648' is not a 32-bit integer", count, "quarantined"),
            ("int-huge", f"count '{'9' * 30}' is not a 32-bit integer", count, "quarantined"),
        ],
    )


def test_validate_source_quarantines_numbers_outside_their_inclusive_bounds(spark, validated_orders):
    units, price = "units is out of range", "price is out of range"
    _assert_outcomes(
        spark,
        validated_orders,
        "range",
        "order_id",
        [
            ("range-units-high", *_one_rule(units, "units '101' is outside -100..100")),
            ("range-units-low", *_one_rule(units, "units '-101' is outside -100..100")),
            ("range-units-at-bound", None, [], "accepted"),
            ("range-price", *_one_rule(price, "price '-0.01' is outside 0..…")),
            ("range-price-at-bound", None, [], "accepted"),
        ],
    )


def test_validate_source_quarantines_values_not_allowed_after_cleaning(spark, validated_orders):
    reason = "status 'WISHLIST' is not an allowed value (allowed: NEW, SHIPPED)"
    _assert_outcomes(
        spark,
        validated_orders,
        "allowed",
        "order_id",
        [
            ("allowed-bad", *_one_rule("status is not an allowed value", reason)),
            ("allowed-empty", None, [], "accepted"),
        ],
    )


def test_validate_source_reads_boolean_spellings_case_insensitively(spark, validated_orders):
    actual = _cases(validated_orders, "bool", "order_id").select("order_id", "gift", "flag", "reject_reason")
    expected = spark.createDataFrame(
        [
            ("bool-one", True, False, None),
            ("bool-no", False, False, None),
            ("bool-bad", None, False, f"gift 'maybe' is not a valid boolean {GIFT_SPELLINGS}"),
            ("bool-default-spelling", True, None, "flag 'yes' is not a valid boolean (true: true | false: false)"),
        ],
        "order_id string, gift boolean, flag boolean, reject_reason string",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_source_checks_epoch_seconds_and_their_bounds_as_seconds(spark, validated_orders):
    invalid = "seen_at is not a valid epoch-seconds timestamp"
    outside = "seen_at is out of range"
    _assert_outcomes(
        spark,
        validated_orders,
        "epoch",
        "order_id",
        [
            ("epoch-low-bound", None, [], "accepted"),
            (
                "epoch-fraction",
                *_one_rule(invalid, f"seen_at '1744761599.5' is not a valid epoch-seconds timestamp {EPOCH}"),
            ),
            (
                "epoch-iso",
                *_one_rule(invalid, f"seen_at '2025-04-16T00:00:05' is not a valid epoch-seconds timestamp {EPOCH}"),
            ),
            ("epoch-millis", *_one_rule(outside, "seen_at '1744761600000' is outside 946684800..4102444799")),
            ("epoch-negative", *_one_rule(outside, "seen_at '-86400' is outside 946684800..4102444799")),
            (
                "epoch-year-10000",
                *_one_rule("raw_at is out of range", "raw_at '253402300800' is outside -62135596800..253402300799"),
            ),
            (
                "epoch-huge",
                *_one_rule("raw_at is out of range", f"raw_at '{'9' * 30}' is outside -62135596800..253402300799"),
            ),
        ],
    )


def test_validate_source_quarantines_a_row_breaking_a_row_rule_with_its_reason(spark, validated_orders):
    reason = "total is not units * price"
    _assert_outcomes(
        spark, validated_orders, "rule-broken", "order_id", [("rule-broken", reason, [reason], "quarantined")]
    )


def test_validate_source_evaluates_a_row_rule_only_when_every_column_it_reads_is_valid(spark, validated_orders):
    _assert_outcomes(
        spark,
        validated_orders,
        "rule-skipped",
        "order_id",
        [
            ("rule-skipped-invalid", *_one_rule("units is not an integer", "units '2.5' is not an integer")),
            ("rule-skipped-out-of-range", *_one_rule("price is out of range", "price '-1' is outside 0..…")),
            ("rule-skipped-missing", None, [], "accepted"),
        ],
    )


def test_validate_source_lists_row_rules_after_the_column_rules(spark, validated_orders):
    allowed = "status 'LOST' is not an allowed value (allowed: NEW, SHIPPED)"
    _assert_outcomes(
        spark,
        validated_orders,
        "rule-and-column",
        "order_id",
        [
            (
                "rule-and-column",
                f"{allowed}; total is not units * price",
                ["status is not an allowed value", "total is not units * price"],
                "quarantined",
            )
        ],
    )


def test_validate_source_output_columns_and_types_of_the_new_column_types(validated_orders):
    typed = [(f.name, f.dataType.simpleString()) for f in validated_orders.schema][2:-3]
    assert typed == [
        ("order_id", "string"),
        ("units", "int"),
        ("count", "int"),
        ("price", "decimal(9,2)"),
        ("total", "decimal(18,2)"),
        ("status", "string"),
        ("gift", "boolean"),
        ("flag", "boolean"),
        ("seen_at", "timestamp"),
        ("raw_at", "timestamp"),
    ]


def test_row_rule_passes_a_row_whose_predicate_is_null(spark):
    df = spark.createDataFrame([(1, None)], "a int, b int")
    _, message = row_rule(RowRule("a is b", "a = b", "a is not b"), F.lit(True))
    assert df.select(message.alias("m")).first().m is None


def test_row_rule_names_a_predicate_that_is_not_spark_sql(spark):
    message = (
        "row rule 'total': the predicate 'total = = units' is not valid Spark SQL: "
        "[PARSE_SYNTAX_ERROR] Syntax error at or near '='.(line 1, pos 8)"
    )
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        row_rule(RowRule("total", "total = = units", "total is wrong"), F.lit(True))


# enforce_consistency -----------------------------------------------------------------------------

VISITS = (
    "customer string, day string, age int, repeat boolean, _status string, reject_reason string, "
    "reject_rules array<string>"
)
AGE_RULE = ConsistencyRule(("customer", "day"), ("age", "repeat"), "attributes differ on one day")
REPEAT_RULE = ConsistencyRule(("customer",), ("repeat",), "repeat flag differs")


def _visits_contract(*rules):
    columns = [
        {"name": "customer", "type": "string"},
        {"name": "day", "type": "string"},
        {"name": "age", "type": "integer"},
        {"name": "repeat", "type": "boolean"},
    ]
    contract = SourceContract.from_dict({"name": "visits", "key": ["customer", "day"], "columns": columns})
    return dataclasses.replace(contract, consistent_within=rules)


def _visit(customer, day, age, repeat, status="accepted", reason=None):
    return (customer, day, age, repeat, status, reason, [reason] if reason else [])


def test_enforce_consistency_quarantines_every_row_of_a_key_that_disagrees(spark):
    reason = AGE_RULE.reject_reason
    df = spark.createDataFrame(
        [
            _visit("c1", "d1", 30, False),
            _visit("c1", "d1", 30, True),
            _visit("c1", "d2", 30, True),
            _visit("c2", "d1", 40, False),
            _visit("c2", "d1", 40, False),
        ],
        VISITS,
    )
    out = df.transform(enforce_consistency(_visits_contract(AGE_RULE)))
    expected = spark.createDataFrame(
        [
            _visit("c1", "d1", 30, False, "quarantined", reason),
            _visit("c1", "d1", 30, True, "quarantined", reason),
            _visit("c1", "d2", 30, True),
            _visit("c2", "d1", 40, False),
            _visit("c2", "d1", 40, False),
        ],
        VISITS,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_enforce_consistency_ignores_and_keeps_rows_that_are_not_accepted(spark):
    df = spark.createDataFrame(
        [
            _visit("c1", "d1", 30, False),
            _visit("c1", "d1", 31, False, "quarantined", "age is out of range"),
            _visit("c1", "d1", 32, False, "superseded"),
            _visit("c1", "d1", 33, False, "exact_duplicate"),
        ],
        VISITS,
    )
    out = df.transform(enforce_consistency(_visits_contract(AGE_RULE)))
    assert_df_equality(out, df, ignore_row_order=True, ignore_nullable=True)


def test_enforce_consistency_a_null_and_a_value_disagree_two_nulls_agree(spark):
    reason = AGE_RULE.reject_reason
    df = spark.createDataFrame(
        [
            _visit("c1", "d1", None, False),
            _visit("c1", "d1", 30, False),
            _visit("c2", "d1", None, None),
            _visit("c2", "d1", None, None),
        ],
        VISITS,
    )
    out = df.transform(enforce_consistency(_visits_contract(AGE_RULE)))
    expected = spark.createDataFrame(
        [
            _visit("c1", "d1", None, False, "quarantined", reason),
            _visit("c1", "d1", 30, False, "quarantined", reason),
            _visit("c2", "d1", None, None),
            _visit("c2", "d1", None, None),
        ],
        VISITS,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_enforce_consistency_checks_every_rule_on_the_same_accepted_rows(spark):
    both = "attributes differ on one day; repeat flag differs"
    df = spark.createDataFrame(
        [_visit("c1", "d1", 30, False), _visit("c1", "d1", 30, True), _visit("c1", "d2", 30, True)],
        VISITS,
    )
    out = df.transform(enforce_consistency(_visits_contract(AGE_RULE, REPEAT_RULE)))
    expected = spark.createDataFrame(
        [
            ("c1", "d1", 30, False, "quarantined", both, [AGE_RULE.reject_reason, REPEAT_RULE.reject_reason]),
            ("c1", "d1", 30, True, "quarantined", both, [AGE_RULE.reject_reason, REPEAT_RULE.reject_reason]),
            _visit("c1", "d2", 30, True, "quarantined", REPEAT_RULE.reject_reason),
        ],
        VISITS,
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_enforce_consistency_keeps_the_input_columns_in_order(spark):
    df = spark.createDataFrame([("x", *_visit("c1", "d1", 30, False))], f"extra string, {VISITS}")
    out = df.transform(enforce_consistency(_visits_contract(AGE_RULE)))
    assert out.columns == df.columns


def test_enforce_consistency_without_rules_returns_its_input(spark):
    df = spark.createDataFrame([_visit("c1", "d1", 30, False)], VISITS)
    assert df.transform(enforce_consistency(_visits_contract())) is df


def test_enforce_consistency_names_the_missing_columns(spark):
    df = spark.createDataFrame([], "customer string, age int, _status string")
    message = "enforce_consistency: missing column(s): day, reject_reason, reject_rules, repeat"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        df.transform(enforce_consistency(_visits_contract(AGE_RULE)))
