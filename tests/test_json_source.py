"""Tests of gluestar.json_source (reading and validating JSON Lines) and of the JSON contract it reads.

Validation works line by line, so the lines of each contract are validated together in one cached
frame (one Spark plan to compile, not one per test); each test reads back its own line by the
case name it carries in ``_source_file``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import glob
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gluestar.contracts import (
    ColumnSpec,
    FieldSpec,
    JsonContract,
    JsonFormat,
    SourceContract,
    TableColumn,
    load_source_contract,
    spark_type,
)
from gluestar.dedup import resolve_duplicates
from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.json_source import quote_json_numbers, read_json_source, unknown_field_paths, validate_json_source
from gluestar.report import count_source

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
ORDERS = load_source_contract("json_orders", "orders", directory=SCHEMAS)
ORDERS_DATA = json.loads((SCHEMAS / "json_orders" / "orders.json").read_text(encoding="utf-8"))
OUTPUT = (
    "_raw struct<line:string>, _source_file string, order_id string, order_date date, updated_at timestamp, "
    "customer struct<id:string,name:string,country:string,email:string>, "
    "payments array<struct<method:string,amount:decimal(18,2)>>, "
    "items array<struct<sku:string,name:string,category:string,quantity:int,unit_price:decimal(18,2)>>, "
    "reject_reason string, reject_rules array<string>, _status string"
)
RULE = "payments do not add up to the items total (within 0.01)"
MALFORMED = "line is not a JSON object"

BASE: dict[str, Any] = {
    "order_id": "O1",
    "order_date": "2025-06-03",
    "updated_at": "2025-06-03T10:00:00",
    "customer": {"id": "c1", "name": " Ann ", "country": "de", "email": "ann@example.com"},
    "payments": [{"method": "gift card", "amount": "59.97"}],
    "items": [{"sku": "sku-1", "name": "Novel", "category": "books", "quantity": "3", "unit_price": "19.99"}],
}


def _order(**changes: Any) -> dict[str, Any]:
    order = copy.deepcopy(BASE)
    order.update(changes)
    return order


def _line(order: dict[str, Any]) -> str:
    return json.dumps(order, separators=(",", ":"))


def _without(order: dict[str, Any], *paths: str) -> dict[str, Any]:
    """The order without the fields at ``paths`` (``customer.email``, ``items.0.category``)."""
    order = copy.deepcopy(order)
    for path in paths:
        *parents, last = path.split(".")
        node: Any = order
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]
    return order


def _item(**changes: Any) -> dict[str, Any]:
    return {**BASE["items"][0], **changes}


def _two_items(first: dict[str, Any], second: dict[str, Any], payment: str) -> dict[str, Any]:
    return _order(items=[first, second], payments=[{"method": "card", "amount": payment}])


CASES: dict[str, str] = {
    "good": _line(BASE),
    "numbers": _line(
        _order(
            items=[_item(quantity=2, unit_price=12345678.90), _item(sku="sku-2", quantity=1, unit_price=19.990)],
            payments=[{"method": "card", "amount": 24691377.79}],
        )
    ),
    "quoted quantity": _line(_order(items=[_item(quantity="3")])),
    "quantity two": _line(_order(items=[_item(quantity="two")])),
    "two bad items": _line(_order(items=[_item(quantity="x"), _item(sku="sku-2"), _item(sku="sku-3", quantity="2.5")])),
    "quantity zero": _line(_order(items=[_item(quantity=0)], payments=[{"method": "card", "amount": "0.00"}])),
    "exponent": _line(BASE).replace('"unit_price":"19.99"', '"unit_price":1e2'),
    "negative payment": _line(_order(payments=[{"method": "card", "amount": "-5.00"}])),
    "order_id missing": _line(_without(BASE, "order_id")),
    "order_id blank": _line(_order(order_id="   ")),
    "customer missing": _line(_without(BASE, "customer")),
    "customer null": _line(_order(customer=None)),
    "customer.id missing": _line(_without(BASE, "customer.id")),
    "customer a string": _line(_order(customer="Ann")),
    "items empty": _line(_order(items=[])),
    "items missing": _line(_without(BASE, "items")),
    "items an object": _line(_order(items=BASE["items"][0])),
    "item a string": _line(_order(items=["sku-1", BASE["items"][0]])),
    "item null": _line(_order(items=[None])),
    "short payment": _line(_order(payments=[{"method": "card", "amount": "50.00"}])),
    "two payments": _line(
        _order(payments=[{"method": "card", "amount": "50.00"}, {"method": "cash", "amount": "9.97"}])
    ),
    "bad date": _line(_order(order_date="2025-02-30")),
    "bad name bytes": _line(_order(customer={"id": "c1", "name": "caf\ufffd"})),
    "drift": _line(
        {
            **_order(customer={**BASE["customer"], "loyalty_tier": "gold"}, items=[_item(gift_wrap=True)]),
            "coupon_code": "SPRING25",
        }
    ),
    "optional missing": _line(
        _without(BASE, "updated_at", "customer.email", "customer.country", "items.0.category", "items.0.name")
    ),
    "bom": "\ufeff" + _line(_order(order_id="O-BOM")),
    "padded": "  " + _line(_order(order_id="O-PAD")) + "  ",
    "truncated": '{"order_id":"E03","order_date":"2025-06-04","customer":{"id":"CE1"',
    "array line": "[1, 2]",
    "string line": '"an order"',
}


@pytest.fixture(scope="module")
def orders(spark):
    lines = spark.createDataFrame([(line, case) for case, line in CASES.items()], "line string, _source_file string")
    frame = lines.transform(validate_json_source(ORDERS)).cache()
    yield {row._source_file: row for row in frame.collect()}
    frame.unpersist()


def _reason(orders, case):
    row = orders[case]
    return row.reject_reason, row.reject_rules, row._status


# The output -----------------------------------------------------------------------------------------


def test_validate_json_source_output_is_the_cleaned_typed_order(spark):
    line = _line(BASE)
    actual = spark.createDataFrame([(line, "f.json")], "line string, _source_file string").transform(
        validate_json_source(ORDERS)
    )
    expected = spark.createDataFrame(
        [
            (
                (line,),
                "f.json",
                "O1",
                dt.date(2025, 6, 3),
                dt.datetime(2025, 6, 3, 10, 0),
                ("C1", "Ann", "DE", "ann@example.com"),
                [("Gift Card", Decimal("59.97"))],
                [("SKU-1", "Novel", "Books", 3, Decimal("19.99"))],
                None,
                [],
                "accepted",
            )
        ],
        OUTPUT,
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_validate_json_source_types_each_column_as_the_contract_value_types_say(spark):
    frame = spark.createDataFrame([], "line string").transform(validate_json_source(ORDERS))
    assert frame.schema.simpleString() == spark.createDataFrame([], OUTPUT).schema.simpleString()
    assert {f.name: f.dataType.simpleString() for f in frame.schema.fields if f.name in ORDERS.column_names} == (
        ORDERS.value_types()
    )


def test_validate_json_source_without_a_source_file_gives_a_null_one(spark):
    row = spark.createDataFrame([(_line(BASE),)], "line string").transform(validate_json_source(ORDERS)).first()
    assert (row._source_file, row._status) == (None, "accepted")


def test_validate_json_source_needs_a_line_column(spark):
    with pytest.raises(SchemaContractError, match=r"^source 'orders': the input has no 'line' column$"):
        spark.createDataFrame([("x",)], "value string").transform(validate_json_source(ORDERS))


# Values: every value is read as its text ---------------------------------------------------------------


def test_numbers_arrive_as_their_text(orders):
    row = orders["numbers"]
    assert [(i.quantity, i.unit_price) for i in row.items] == [(2, Decimal("12345678.90")), (1, Decimal("19.99"))]
    assert (row.payments[0].amount, row._status) == (Decimal("24691377.79"), "accepted")


def test_a_quantity_given_as_a_string_is_valid(orders):
    assert (orders["quoted quantity"].items[0].quantity, orders["quoted quantity"]._status) == (3, "accepted")


def test_a_number_keeps_its_exponent_and_is_not_a_valid_amount(orders):
    assert _reason(orders, "exponent") == (
        "items[0].unit_price '1e2' is not a valid amount",
        ["items.unit_price is not a valid amount"],
        "quarantined",
    )


def test_scalars_are_trimmed_and_cased_inside_objects_and_arrays(orders):
    row = orders["good"]
    assert (row.customer.id, row.customer.name, row.customer.country) == ("C1", "Ann", "DE")
    assert (row.payments[0].method, row.items[0].sku, row.items[0].category) == ("Gift Card", "SKU-1", "Books")


# Rules and labels -----------------------------------------------------------------------------------


def test_an_item_rule_names_the_item_position(orders):
    assert _reason(orders, "quantity two") == (
        "items[0].quantity 'two' is not an integer",
        ["items.quantity is not an integer"],
        "quarantined",
    )


def test_an_item_rule_counts_once_however_many_items_break_it(orders):
    assert _reason(orders, "two bad items") == (
        "items[0].quantity 'x' is not an integer; items[2].quantity '2.5' is not an integer",
        ["items.quantity is not an integer"],
        "quarantined",
    )


def test_an_item_value_out_of_range(orders):
    assert _reason(orders, "quantity zero") == (
        "items[0].quantity '0' is outside 1..10000",
        ["items.quantity is out of range"],
        "quarantined",
    )


def test_a_payment_amount_out_of_range(orders):
    assert _reason(orders, "negative payment") == (
        "payments[0].amount '-5.00' is outside 0..…",
        ["payments.amount is out of range"],
        "quarantined",
    )


@pytest.mark.parametrize("case", ["order_id missing", "order_id blank"])
def test_a_missing_required_scalar(orders, case):
    assert _reason(orders, case) == ("order_id is missing", ["order_id is missing"], "quarantined")


@pytest.mark.parametrize("case", ["customer missing", "customer null"])
def test_a_missing_required_object_is_missing_and_its_fields_are_not_checked(orders, case):
    assert _reason(orders, case) == ("customer is missing", ["customer is missing"], "quarantined")
    assert orders[case].customer is None


def test_a_missing_required_field_of_an_object(orders):
    assert _reason(orders, "customer.id missing") == (
        "customer.id is missing",
        ["customer.id is missing"],
        "quarantined",
    )


def test_an_object_given_as_a_string_is_not_an_object(orders):
    assert _reason(orders, "customer a string") == (
        "customer 'Ann' is not an object",
        ["customer is not an object"],
        "quarantined",
    )


def test_an_empty_array_is_empty_and_the_rules_reading_it_are_not_evaluated(orders):
    assert _reason(orders, "items empty") == ("items is empty", ["items is empty"], "quarantined")


def test_a_missing_required_array(orders):
    assert _reason(orders, "items missing") == ("items is missing", ["items is missing"], "quarantined")


def test_an_array_given_as_an_object_is_not_an_array_of_objects(orders):
    reason, rules, status = _reason(orders, "items an object")
    assert (rules, status) == (["items is not an array of objects"], "quarantined")
    assert reason.startswith('items \'{"sku":"sku-1",') and reason.endswith("…' is not an array of objects")


def test_an_array_holding_a_string_item_is_not_an_array_of_objects(orders):
    assert _reason(orders, "item a string")[1] == ["items is not an array of objects"]


def test_a_null_item_has_every_field_missing(orders):
    assert _reason(orders, "item null") == (
        "items[0].sku is missing; items[0].quantity is missing; items[0].unit_price is missing",
        ["items.sku is missing", "items.quantity is missing", "items.unit_price is missing"],
        "quarantined",
    )


def test_payments_that_do_not_add_up_break_the_contract_rule(orders):
    assert _reason(orders, "short payment") == (RULE, [RULE], "quarantined")


def test_payments_that_add_up_over_several_payments_pass(orders):
    assert _reason(orders, "two payments") == (None, [], "accepted")


def test_an_impossible_date(orders):
    assert _reason(orders, "bad date") == (
        "order_date '2025-02-30' is not a valid date (accepted: yyyy-MM-dd)",
        ["order_date is not a valid date"],
        "quarantined",
    )


def test_undecodable_bytes_are_named_by_path(orders):
    assert _reason(orders, "bad name bytes") == (
        "customer.name 'caf\ufffd' holds bytes that are not valid UTF-8",
        ["customer.name is not valid UTF-8"],
        "quarantined",
    )


@pytest.mark.parametrize("case", ["truncated", "array line", "string line"])
def test_a_line_that_is_not_a_json_object_is_malformed_and_nothing_else_is_checked(orders, case):
    row = orders[case]
    assert _reason(orders, case) == (MALFORMED, [MALFORMED], "quarantined")
    assert (row._raw.line, row.order_id, row.customer, row.items) == (CASES[case], None, None, None)


# Drift ----------------------------------------------------------------------------------------------


def test_unknown_fields_top_level_and_nested_are_ignored(orders):
    row = orders["drift"]
    assert (row.reject_reason, row._status) == (None, "accepted")
    assert (row.customer.asDict(), row.items[0].asDict().keys()) == (
        {"id": "C1", "name": "Ann", "country": "DE", "email": "ann@example.com"},
        {"sku", "name", "category", "quantity", "unit_price"},
    )


def test_missing_optional_fields_read_as_null(orders):
    row = orders["optional missing"]
    assert (row._status, row.updated_at, row.customer.email, row.customer.country) == ("accepted", None, None, None)
    assert (row.items[0].category, row.items[0].name) == (None, None)


@pytest.mark.parametrize(("case", "order_id"), [("bom", "O-BOM"), ("padded", "O-PAD")])
def test_a_leading_byte_order_mark_or_padding_does_not_spoil_a_line(orders, case, order_id):
    row = orders[case]
    assert (row.order_id, row._status, row._raw.line) == (order_id, "accepted", CASES[case])


# A contract of every shape: scalar arrays, objects inside items, min/max/sum rules --------------------

PARCELS_DATA: dict[str, Any] = {
    "name": "parcels",
    "format": {"type": "jsonl"},
    "key": ["id"],
    "fields": [
        {"name": "id", "required": True},
        {"name": "shipped", "type": "boolean", "boolean_values": {"true": ["yes"], "false": ["no"]}},
        {"name": "seen", "type": "epoch_seconds"},
        {
            "name": "sender",
            "type": "object",
            "fields": [
                {"name": "country", "case": "upper", "allowed_values": ["DE", "FR"]},
                {"name": "code", "required": True},
            ],
        },
        {"name": "tags", "type": "array", "items": {"type": "string", "max_length": 3}},
        {
            "name": "boxes",
            "type": "array",
            "required": True,
            "min_items": 2,
            "items": {
                "type": "object",
                "fields": [
                    {"name": "weight", "type": "amount", "required": True, "precision": 6, "scale": 1},
                    {
                        "name": "dims",
                        "type": "object",
                        "fields": [{"name": "height", "type": "integer", "required": True}],
                    },
                ],
            },
        },
    ],
    "rules": [
        {
            "name": "heavy",
            "predicate": "max_weight <= 30",
            "derived": {"max_weight": "max(boxes.weight)"},
            "reject_reason": "a box weighs more than 30",
        },
        {
            "name": "light",
            "predicate": "min_weight >= 0.5 OR sender.country = 'FR'",
            "derived": {"min_weight": "min(boxes.weight)"},
            "reject_reason": "a box weighs less than 0.5 outside France",
        },
        {
            "name": "stack",
            "predicate": "total_height < 100",
            "derived": {"total_height": "sum(boxes.dims.height)"},
            "reject_reason": "the boxes stack higher than 100",
        },
    ],
}
PARCELS = JsonContract.from_dict(PARCELS_DATA)
PARCEL: dict[str, Any] = {
    "id": "P1",
    "shipped": "Yes",
    "seen": 1744761599,
    "sender": {"country": "de", "code": "S1"},
    "tags": ["a", "bb"],
    "boxes": [{"weight": 1.5, "dims": {"height": 10}}, {"weight": "2", "dims": {"height": "20"}}],
}


def _parcel(**changes: Any) -> str:
    return json.dumps({**copy.deepcopy(PARCEL), **changes})


def _box(weight: Any, height: Any = 10) -> dict[str, Any]:
    return {"weight": weight, "dims": {"height": height}}


PARCEL_CASES = {
    "good": _parcel(),
    "one box": _parcel(boxes=[_box(1)]),
    "dims a string": _parcel(boxes=[_box(1), {"weight": 1, "dims": "tall"}]),
    "height missing": _parcel(boxes=[{"weight": 1, "dims": {}}, _box(1)]),
    "long tag": _parcel(tags=["a", "long", "b"]),
    "tags a string": _parcel(tags="a"),
    "no sender": _parcel(sender=None),
    "heavy": _parcel(boxes=[_box(31), _box(1)]),
    "light in DE": _parcel(boxes=[_box("0.2"), _box(1)]),
    "light in FR": _parcel(boxes=[_box("0.2"), _box(1)], sender={"country": "fr", "code": "S2"}),
    "light from ES": _parcel(boxes=[_box("0.2"), _box(1)], sender={"country": "es", "code": "S3"}),
    "tall": _parcel(boxes=[_box(1, 60), _box(1, 50)]),
    "tall without dims": _parcel(boxes=[_box(1, 60), {"weight": 1}, _box(1, 50)]),
    "null box": _parcel(boxes=[None, _box(1)]),
    "bad flag": _parcel(shipped="maybe"),
}


@pytest.fixture(scope="module")
def parcels(spark):
    lines = spark.createDataFrame(
        [(line, case) for case, line in PARCEL_CASES.items()], "line string, _source_file string"
    )
    frame = lines.transform(validate_json_source(PARCELS)).cache()
    yield {row._source_file: row for row in frame.collect()}
    frame.unpersist()


def test_every_shape_is_cleaned_and_typed(parcels):
    row = parcels["good"]
    assert (row.shipped, row.seen, row.sender.country, row.tags, row._status) == (
        True,
        dt.datetime(2025, 4, 15, 23, 59, 59),
        "DE",
        ["a", "bb"],
        "accepted",
    )
    assert [(b.weight, b.dims.height) for b in row.boxes] == [(Decimal("1.5"), 10), (Decimal("2.0"), 20)]


@pytest.mark.parametrize(
    ("case", "reason", "rules"),
    [
        ("one box", "boxes has 1 item(s) (min 2)", ["boxes has too few items"]),
        ("dims a string", "boxes[1].dims 'tall' is not an object", ["boxes.dims is not an object"]),
        ("height missing", "boxes[0].dims.height is missing", ["boxes.dims.height is missing"]),
        ("long tag", "tags[1] 'long' is 4 bytes long (max 3 bytes)", ["tags is too long"]),
        ("tags a string", "tags 'a' is not an array", ["tags is not an array"]),
        ("heavy", "a box weighs more than 30", ["a box weighs more than 30"]),
        ("light in DE", "a box weighs less than 0.5 outside France", ["a box weighs less than 0.5 outside France"]),
        (
            "light from ES",
            "sender.country 'ES' is not an allowed value (allowed: DE, FR)",
            ["sender.country is not an allowed value"],
        ),
        ("tall", "the boxes stack higher than 100", ["the boxes stack higher than 100"]),
        ("null box", "boxes[0].weight is missing", ["boxes.weight is missing"]),
        (
            "bad flag",
            "shipped 'maybe' is not a valid boolean (true: yes | false: no)",
            ["shipped is not a valid boolean"],
        ),
    ],
)
def test_every_shape_has_its_rules(parcels, case, reason, rules):
    row = parcels[case]
    assert (row.reject_reason, row.reject_rules, row._status) == (reason, rules, "quarantined")


@pytest.mark.parametrize("case", ["light in FR", "no sender", "tall without dims"])
def test_a_rule_passes_or_is_skipped_when_a_field_it_reads_is_absent(parcels, case):
    assert (parcels[case].reject_reason, parcels[case]._status) == (None, "accepted")


def test_a_missing_optional_object_is_null_and_its_required_fields_are_not_checked(parcels):
    assert parcels["no sender"].sender is None


def test_a_derived_value_that_is_not_valid_sql_is_a_configuration_error(spark):
    data = copy.deepcopy(PARCELS_DATA)
    data["rules"][0]["derived"]["max_weight"] = "max(boxes.weight +* 2)"
    contract = JsonContract.from_dict(data)
    lines = spark.createDataFrame([(_parcel(),)], "line string")
    with pytest.raises(
        ConfigurationError,
        match=r"^source 'parcels': rule 'heavy': derived 'max_weight': 'max\(boxes\.weight \+\* 2\)' is not valid "
        r"Spark SQL: ",
    ):
        lines.transform(validate_json_source(contract))


# Reading files --------------------------------------------------------------------------------------

FILE_LINES = {
    "orders 2025_01.json": [
        json.dumps(
            {**_order(order_id="R1", customer={**BASE["customer"], "loyalty_tier": "gold"}), "coupon_code": "A"}
        ),
        "",
        "   ",
        json.dumps(
            _order(
                order_id="R2",
                items=[_item(gift_wrap=True), _item(sku="sku-2", gift_wrap=False)],
                payments=[{"method": "card", "amount": "119.94"}],
            )
        ),
        '{"order_id": "R3", ',
        json.dumps(_order(order_id="R4", customer={**BASE["customer"], "address": {"street": "Main"}})),
    ],
    "orders_%_02.json": ["\ufeff" + json.dumps({**_order(order_id="R5"), "coupon_code": "B"})],
    "empty.json": [],
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw json")
    paths = {}
    for name, lines in FILE_LINES.items():
        path = folder / name
        path.write_bytes("".join(f"{line}\r\n" for line in lines).encode("utf-8"))
        paths[name] = str(path)
    return paths


@pytest.fixture(scope="module")
def read(spark, files):
    result = read_json_source(spark, list(files.values()), ORDERS)
    result.frame.cache()
    yield result
    result.frame.unpersist()


def test_read_json_source_reads_every_line_but_blank_ones_with_its_file_as_listed(spark, read, files):
    first, second = files["orders 2025_01.json"], files["orders_%_02.json"]
    lines = FILE_LINES["orders 2025_01.json"]
    expected = spark.createDataFrame(
        [
            (lines[0], first),
            (lines[3], first),
            (lines[4], first),
            (lines[5], first),
            (FILE_LINES["orders_%_02.json"][0].removeprefix("\ufeff"), second),  # Hadoop drops a file's BOM
        ],
        "line string, _source_file string",
    )
    assert_df_equality(read.frame, expected, ignore_row_order=True, ignore_nullable=True)
    assert read.files == tuple(files.values())


def test_read_json_source_counts_unknown_fields_per_path_as_lines_carrying_them(read):
    assert read.unknown_fields == {
        "coupon_code": 2,
        "customer.address": 1,
        "customer.loyalty_tier": 1,
        "items.gift_wrap": 1,
    }


def test_read_json_source_frame_validates(read):
    rows = read.frame.transform(validate_json_source(ORDERS)).select("order_id", "reject_reason").collect()
    assert sorted((r.order_id or "", r.reject_reason or "") for r in rows) == [
        ("", MALFORMED),
        ("R1", ""),
        ("R2", ""),
        ("R4", ""),
        ("R5", ""),
    ]


def test_read_json_source_of_no_files_is_an_empty_frame_that_validates(spark):
    read = read_json_source(spark, [], ORDERS)
    assert (read.frame.schema.simpleString(), read.frame.count(), read.files, read.unknown_fields) == (
        "struct<line:string,_source_file:string>",
        0,
        (),
        {},
    )
    classified = read.frame.transform(validate_json_source(ORDERS))
    assert classified.schema.simpleString() == spark.createDataFrame([], OUTPUT).schema.simpleString()
    assert classified.count() == 0


def test_read_json_source_decodes_the_contract_encoding(spark, tmp_path):
    path = tmp_path / "latin.json"
    line = json.dumps(_order(customer={"id": "c1", "name": "café"}), ensure_ascii=False)
    path.write_bytes(f"{line}\n".encode("latin-1"))
    latin = dataclasses.replace(ORDERS, format=JsonFormat(encoding="ISO-8859-1"))
    as_latin = read_json_source(spark, [str(path)], latin).frame.transform(validate_json_source(latin)).first()
    as_utf8 = read_json_source(spark, [str(path)], ORDERS).frame.transform(validate_json_source(ORDERS)).first()
    assert (as_latin.customer.name, as_latin._status) == ("café", "accepted")
    assert as_utf8.reject_rules == ["customer.name is not valid UTF-8"]


def test_unknown_field_paths_of_a_malformed_line_are_none(spark):
    df = spark.createDataFrame([('{"coupon_code": "A", ',), ("[1]",)], "line string")
    assert [r.u for r in df.select(unknown_field_paths(F.col("line"), ORDERS).alias("u")).collect()] == [[], []]


def test_quote_json_numbers_quotes_numbers_only(spark):
    text = '{"a": -1.50e+3, "b": [0, 2], "s": "x: 1, \\"2\\"", "t": true, "n": null, "i": -Infinity}'
    df = spark.createDataFrame([(text,)], "j string")
    assert df.select(quote_json_numbers(F.col("j")).alias("j")).first().j == (
        '{"a": "-1.50e+3", "b": ["0", "2"], "s": "x: 1, \\"2\\"", "t": true, "n": null, "i": -Infinity}'
    )


# Deduplication of nested rows ----------------------------------------------------------------------


def test_resolve_duplicates_compares_nested_columns(spark):
    resent = _line(_order(order_id="D1"))
    other_quantity = _order(
        order_id="D2", items=[_item(quantity="4")], payments=[{"method": "card", "amount": "79.96"}]
    )
    lines = [resent, resent, _line(_order(order_id="D2")), _line(other_quantity)]
    classified = (
        spark.createDataFrame([(line,) for line in lines], "line string")
        .transform(validate_json_source(ORDERS))
        .transform(
            resolve_duplicates(
                ORDERS.key,
                columns=ORDERS.column_names,
                version=ORDERS.version_column,
                conflict_reason=ORDERS.conflict_reason,
            )
        )
    )
    assert sorted((r.order_id, r._status, r.reject_reason or "") for r in classified.collect()) == [
        ("D1", "accepted", ""),
        ("D1", "exact_duplicate", ""),
        ("D2", "quarantined", "conflicting order versions"),
        ("D2", "quarantined", "conflicting order versions"),
    ]


# The committed sample ---------------------------------------------------------------------------------


def test_the_sample_classifies_exactly_as_expected(spark):
    expected = json.loads((REPO / "data" / "raw" / "json_orders" / "expected.json").read_text(encoding="utf-8"))
    files = sorted(glob.glob(str(REPO / "data" / "raw" / "json_orders" / "orders_*.json")))
    read = read_json_source(spark, files, ORDERS)
    classified = (
        read.frame.transform(validate_json_source(ORDERS))
        .withColumn("_file_seq", F.lit(1))
        .transform(
            resolve_duplicates(
                ORDERS.key,
                columns=ORDERS.column_names,
                version=ORDERS.version_column,
                conflict_reason=ORDERS.conflict_reason,
            )
        )
        .cache()
    )
    counts = count_source("orders", classified, conflict_reason=ORDERS.conflict_reason)
    accepted = classified.filter(F.col("_status") == "accepted")
    star = accepted.agg(
        F.count(F.lit(1)).alias("orders"),
        F.sum(F.size("items")).alias("items"),
        F.count_distinct("customer.id").alias("customers"),
        F.sum(F.aggregate("items", F.lit(0).cast("decimal(38,2)"), lambda acc, i: acc + i.quantity * i.unit_price))
        .cast("decimal(38,2)")
        .alias("revenue"),
    ).first()
    classified.unpersist()
    orders = expected["orders"]
    assert (
        counts.rows_read,
        counts.accepted,
        counts.quarantined,
        counts.exact_duplicates,
        counts.superseded,
        counts.conflicts,
        counts.rejected_by_rule,
    ) == (
        orders["rows_read"],
        orders["accepted"],
        orders["quarantined"],
        orders["exact_duplicates"],
        orders["superseded"],
        orders["conflicts"],
        orders["quarantine_reasons"],
    )
    assert read.unknown_fields == expected["unknown_fields"]
    assert (star.orders, star.items, star.customers, str(star.revenue)) == (
        expected["star"]["fact_orders"],
        expected["star"]["fact_order_items"],
        expected["star"]["dim_customer"],
        expected["star"]["revenue"],
    )


# The contract ----------------------------------------------------------------------------------------


def test_load_source_contract_returns_a_json_contract_for_jsonl():
    assert isinstance(ORDERS, JsonContract)
    assert isinstance(load_source_contract("finance", "budget", directory=SCHEMAS), SourceContract)


def test_json_contract_has_the_attributes_the_runner_reads():
    assert (
        ORDERS.name,
        ORDERS.file_pattern,
        ORDERS.key,
        ORDERS.version_column,
        ORDERS.conflict_reason,
        ORDERS.column_names,
        ORDERS.consistent_within,
        ORDERS.row_rules,
        ORDERS.format.type,
        ORDERS.format.malformed_reason,
    ) == (
        "orders",
        "orders_*.json",
        ("order_id",),
        "updated_at",
        "conflicting order versions",
        ("order_id", "order_date", "updated_at", "customer", "payments", "items"),
        (),
        (),
        "jsonl",
        MALFORMED,
    )
    assert ORDERS.description.startswith("Monthly JSON Lines order files")
    assert ORDERS.file_name_regex == r"^orders_([0-9]{4})_(0[1-9]|1[0-2])\.json$"


def test_json_contract_value_types():
    assert ORDERS.value_types() == {
        "order_id": "string",
        "order_date": "date",
        "updated_at": "timestamp",
        "customer": "struct<id:string,name:string,country:string,email:string>",
        "payments": "array<struct<method:string,amount:decimal(18,2)>>",
        "items": "array<struct<sku:string,name:string,category:string,quantity:int,unit_price:decimal(18,2)>>",
    }
    assert PARCELS.value_types()["boxes"] == "array<struct<weight:decimal(6,1),dims:struct<height:int>>>"
    assert PARCELS.value_types()["tags"] == "array<string>"


def test_json_contract_rules_read_the_item_fields_of_their_derived_values():
    (rule,) = ORDERS.rules
    assert [(d.name, d.function, d.array, d.expression, d.reads) for d in rule.derived] == [
        ("order_total", "sum", "items", "items.quantity * items.unit_price", ("items.quantity", "items.unit_price")),
        ("payment_total", "sum", "payments", "payments.amount", ("payments.amount",)),
    ]
    assert rule.reads == ("payments.amount", "items.quantity", "items.unit_price")
    assert [r.reads for r in PARCELS.rules] == [
        ("boxes.weight",),
        ("boxes.weight", "sender.country"),
        ("boxes.dims.height",),
    ]


def test_json_contract_fields_keep_the_column_rules_named_by_path():
    quantity = ORDERS.field_spec("items.quantity")
    assert (quantity.path, quantity.required, quantity.column) == (
        "items.quantity",
        True,
        ColumnSpec("items.quantity", "integer", required=True, min_value=1, max_value=10000),
    )
    assert ORDERS.field_spec("customer").fields[0].column == ColumnSpec(
        "customer.id", required=True, case="upper", max_length=64
    )
    with pytest.raises(ConfigurationError, match=r"^source 'orders' has no field 'customer.age'$"):
        ORDERS.field_spec("customer.age")


def test_source_contract_value_types_cover_every_column_type():
    contract = SourceContract.from_dict(
        {
            "name": "all",
            "key": ["s"],
            "columns": [
                {"name": "s"},
                {"name": "d", "type": "date", "formats": ["yyyy-MM-dd"]},
                {"name": "m", "type": "month", "formats": ["yyyy-MM"]},
                {"name": "t", "type": "timestamp", "formats": ["yyyy-MM-dd HH:mm:ss"]},
                {"name": "e", "type": "epoch_seconds"},
                {"name": "i", "type": "integer"},
                {"name": "b", "type": "boolean"},
                {"name": "a", "type": "amount", "precision": 12, "scale": 4},
            ],
        }
    )
    assert contract.value_types() == {
        "s": "string",
        "d": "date",
        "m": "date",
        "t": "timestamp",
        "e": "timestamp",
        "i": "int",
        "b": "boolean",
        "a": "decimal(12,4)",
    }


def _write_contract(tmp_path: Path, data: dict[str, Any]) -> None:
    (tmp_path / "shop").mkdir(exist_ok=True)
    (tmp_path / "shop" / "orders.json").write_text(json.dumps(data), encoding="utf-8")


def _contract_with(change) -> dict[str, Any]:
    data = copy.deepcopy(ORDERS_DATA)
    change(data)
    return data


def _field(data: dict[str, Any], path: str) -> dict[str, Any]:
    """The JSON object of the field at a dotted path."""
    node: dict[str, Any] = {"fields": data["fields"]}
    for part in path.split("."):
        node = next(f for f in node.get("fields") or node["items"]["fields"] if f["name"] == part)
    return node


def _rule(data: dict[str, Any]) -> dict[str, Any]:
    return data["rules"][0]


RULE_NAME = "orders: rule 'payments add up to the items total'"


def _set(path: str, **values: Any):
    return lambda data: _field(data, path).update(values)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["format"].update(type="xml"),
            "orders: format 'type' must be one of 'csv', 'jsonl'; got 'xml'",
        ),
        (lambda d: d.update(format="jsonl"), "orders: 'format' must be an object; got 'jsonl'"),
        (
            lambda d: d["format"].update(values_as_strings=False),
            "orders: format 'values_as_strings' must be true (every value is read as its text); got False",
        ),
        (
            lambda d: d["format"].update(unknown_fields="fail"),
            "orders: format 'unknown_fields' must be one of 'ignore_and_count'; got 'fail'",
        ),
        (
            lambda d: d["format"].update(encoding="UTF-16"),
            "orders: format 'encoding' must keep ASCII as single bytes (lines are split at the byte \\n), e.g. UTF-8 "
            "or ISO-8859-1; got 'UTF-16'",
        ),
        (lambda d: d["format"].update(encoding="klingon"), "orders: format 'encoding': unknown encoding 'klingon'"),
        (
            lambda d: d["format"].update(header=True),
            "orders: format: unknown key(s) header (allowed: encoding, malformed_reason, type, unknown_fields, "
            "values_as_strings)",
        ),
        (
            lambda d: d.update(columns=[]),
            "source contract 'orders': unknown key(s) columns (allowed: conflict_reason, description, fields, "
            "file_name_regex, file_pattern, format, key, name, rules, version_column)",
        ),
        (lambda d: d.update(fields=[]), "source contract 'orders' declares no fields (a non-empty list 'fields')"),
        (
            lambda d: d["fields"].append({"type": "string"}),
            "orders: a field's 'name' must be a name of letters, digits and underscores, not starting with a digit; "
            "got None",
        ),
        (
            lambda d: _field(d, "customer")["fields"].append({"name": "first name"}),
            "orders.customer: a field's 'name' must be a name of letters, digits and underscores, not starting with "
            "a digit; got 'first name'",
        ),
        (
            _set("customer.id", type="map"),
            "orders.customer.id: 'type' must be one of 'string', 'date', 'month', 'timestamp', 'amount', 'integer', "
            "'boolean', 'epoch_seconds', 'object', 'array'; got 'map'",
        ),
        (
            _set("items.quantity", min_items=1),
            "orders.items.quantity (an integer field): unknown key(s) min_items (allowed: allowed_values, "
            "boolean_values, case, default, description, formats, max, max_length, max_value, min, min_value, name, "
            "precision, required, reserved, scale, type)",
        ),
        (
            _set("items.quantity", min_value="one"),
            "orders.items.quantity: 'min_value' must be a number; got 'one'",
        ),
        (
            _set("customer", max_length=3),
            "orders.customer (an object field): unknown key(s) max_length (allowed: description, fields, name, "
            "required, type)",
        ),
        (_set("customer", fields=[]), "orders.customer: an object field needs a non-empty list 'fields'; got []"),
        (
            lambda d: _field(d, "customer")["fields"].append({"name": "ID"}),
            "orders.customer: field(s) declared twice (names are compared ignoring case): ID, id",
        ),
        (
            lambda d: _field(d, "payments").pop("items"),
            "orders.payments: an array field needs 'items', an object describing an item; got None",
        ),
        (
            _set("items", items={"type": "array", "items": {"type": "string"}}),
            "orders.items: arrays of arrays are not supported",
        ),
        (_set("items", min_items=-1), "orders.items: 'min_items' must be 0 or more; got -1"),
        (
            lambda d: _field(d, "items")["items"].update(required=True),
            "orders.items items (an object field): unknown key(s) required (allowed: description, fields, type)",
        ),
        (
            lambda d: d["fields"].append({"name": "_status"}),
            "source contract 'orders' declares field(s) named like gluestar's own: _status (reserved: _raw, "
            "_source_file, _corrupt_record, reject_reason, reject_rules, _status and names starting with __)",
        ),
        (
            lambda d: d.update(key=["customer"]),
            "orders: key field 'customer' is not a top-level scalar field (those are: order_id, order_date, "
            "updated_at)",
        ),
        (
            lambda d: d.update(version_column="changed_at"),
            "orders: version_column 'changed_at' is not a top-level scalar field (those are: order_id, order_date, "
            "updated_at)",
        ),
        (
            lambda d: d.update(file_name_regex="("),
            "orders: 'file_name_regex' is not a valid regular expression: missing ), unterminated subpattern at "
            "position 0",
        ),
        (
            lambda d: _rule(d)["derived"].update(order_total="avg(items.quantity)"),
            f"{RULE_NAME}: derived 'order_total' must be sum(...), min(...) or max(...) of an expression over one "
            "array's items; got 'avg(items.quantity)'",
        ),
        (
            lambda d: _rule(d)["derived"].update(order_total="sum(items.quantity * payments.amount)"),
            f"{RULE_NAME}: derived 'order_total' must read the items of one top-level array, as <array>.<field>; it "
            "reads items.quantity, payments.amount",
        ),
        (
            lambda d: _rule(d)["derived"].update(order_total="sum(customer.id)"),
            f"{RULE_NAME}: derived 'order_total' must read the items of one top-level array, as <array>.<field>; it "
            "reads customer.id",
        ),
        (
            lambda d: _rule(d)["derived"].update(order_total="sum(items.qty)"),
            f"{RULE_NAME}: derived 'order_total': 'items.qty' is not a scalar field of the items of 'items'",
        ),
        (
            lambda d: _rule(d)["derived"].update(order_total="sum(items.quantity) + sum(items.unit_price)"),
            f"{RULE_NAME}: derived 'order_total': the predicate's parentheses do not balance: "
            "'items.quantity) + sum(items.unit_price'",
        ),
        (
            lambda d: _rule(d).update(predicate="abs(paid - order_total) <= 0.01"),
            f"{RULE_NAME}: the predicate names neither a field nor a derived value: paid (fields: order_id, "
            "order_date, updated_at, customer, payments, items; derived: order_total, payment_total)",
        ),
        (
            lambda d: _rule(d).update(predicate="order_total > 0"),
            f"{RULE_NAME}: derived value(s) the predicate does not use: payment_total",
        ),
        (
            lambda d: _rule(d)["derived"].update(items="sum(items.quantity)"),
            f"{RULE_NAME}: the derived value 'items' takes the name of a field or of a gluestar column",
        ),
        (
            lambda d: _rule(d)["derived"].update(_raw="sum(items.quantity)"),
            f"{RULE_NAME}: the derived value '_raw' takes the name of a field or of a gluestar column",
        ),
        (
            lambda d: _rule(d).update(reject_reason="conflicting order versions"),
            f"{RULE_NAME}: 'reject_reason' must differ from the conflict_reason 'conflicting order versions'",
        ),
        (
            lambda d: _rule(d).update(reject_reason=MALFORMED),
            f"{RULE_NAME}: 'reject_reason' must differ from the format's malformed_reason '{MALFORMED}'",
        ),
        (
            lambda d: d["rules"].append(copy.deepcopy(_rule(d))),
            "orders: rule name(s) used twice: payments add up to the items total",
        ),
        (
            lambda d: d["rules"].append(
                {
                    "name": "big",
                    "predicate": "order_total < 1000",
                    "derived": {"order_total": "max(items.unit_price)"},
                    "reject_reason": "too big",
                }
            ),
            "orders: the derived value 'order_total' means 'sum(items.quantity * items.unit_price)' in rule "
            "'payments add up to the items total' and 'max(items.unit_price)' in rule 'big'",
        ),
        (
            lambda d: _rule(d).update(when="always"),
            f"{RULE_NAME}: unknown key(s) when (allowed: derived, name, predicate, reject_reason)",
        ),
    ],
)
def test_load_source_contract_names_what_is_wrong_in_a_json_contract(tmp_path, change, message):
    _write_contract(tmp_path, _contract_with(change))
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        load_source_contract("shop", "orders", directory=tmp_path)


def test_field_spec_of_a_scalar_array():
    spec = FieldSpec.from_dict({"name": "tags", "type": "array", "items": {"type": "string", "case": "lower"}}, "s")
    assert (spec.value_type, spec.items.path, spec.items.column) == (
        "array<string>",
        "tags",
        ColumnSpec("tags", case="lower"),
    )


# spark_type ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("array<string>", T.ArrayType(T.StringType())),
        ("array<array<int>>", T.ArrayType(T.ArrayType(T.IntegerType()))),
        (
            "struct<id:string, name : string>",
            T.StructType([T.StructField("id", T.StringType()), T.StructField("name", T.StringType())]),
        ),
        (
            " array < struct<sku:string,quantity:int,unit_price:decimal(18, 2)> > ",
            T.ArrayType(
                T.StructType(
                    [
                        T.StructField("sku", T.StringType()),
                        T.StructField("quantity", T.IntegerType()),
                        T.StructField("unit_price", T.DecimalType(18, 2)),
                    ]
                )
            ),
        ),
        ("struct<`odd ``name```:bigint>", T.StructType([T.StructField("odd `name`", T.LongType())])),
        (
            "struct<a:struct<b:array<date>>>",
            T.StructType([T.StructField("a", T.StructType([T.StructField("b", T.ArrayType(T.DateType()))]))]),
        ),
    ],
)
def test_spark_type_parses_nested_types(name, expected):
    assert spark_type(name) == expected


def test_spark_type_parses_every_json_value_type():
    for contract in (ORDERS, PARCELS):
        for name, value_type in contract.value_types().items():
            assert spark_type(value_type).simpleString() == value_type, name


def test_table_column_of_a_nested_type():
    assert TableColumn("payments", "array<struct<method:string,amount:decimal(18,2)>>").spark_type == T.ArrayType(
        T.StructType([T.StructField("method", T.StringType()), T.StructField("amount", T.DecimalType(18, 2))])
    )


ALLOWED_TYPES = (
    "string, int, bigint, smallint, double, boolean, date, timestamp, decimal(p,s), array<type>, struct<name:type,...>"
)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("array<strin>", f"unknown column type 'strin' in 'array<strin>'; allowed: {ALLOWED_TYPES}"),
        ("map<string,int>", f"unknown column type 'map' in 'map<string,int>'; allowed: {ALLOWED_TYPES}"),
        (
            "struct<a:varchar(5)>",
            f"unknown column type 'varchar(5)' in 'struct<a:varchar(5)>'; allowed: {ALLOWED_TYPES}",
        ),
        ("array<string", "column type 'array<string' is not valid: expected '>' at position 12"),
        ("struct<a string>", "column type 'struct<a string>' is not valid: expected ':' at position 9"),
        ("struct<>", "column type 'struct<>' is not valid: expected a field name at position 7"),
        (
            "struct<a:int,A:int>",
            "column type 'struct<a:int,A:int>' is not valid: field 'A' appears twice at position 13",
        ),
        ("array<>", "column type 'array<>' is not valid: expected a type at position 6"),
        ("string extra", "column type 'string extra' is not valid: unexpected 'extra' at position 7"),
        (
            "array<decimal(39,2)>",
            "column type 'array<decimal(39,2)>' needs a precision from 1 to 38 and a scale from 0 to the precision",
        ),
    ],
)
def test_spark_type_names_what_is_wrong_in_a_nested_type(name, message):
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        spark_type(name)
