"""The retail data assets agree with each other: contracts, samples, star schemas and checks (no Spark)."""

from __future__ import annotations

import csv
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from gluestar.contracts import ColumnSpec, SourceContract, load_source_contract, load_star_schema
from gluestar.packaged import read_packaged_json
from gluestar.quality.checks import load_checks, validate_checks

REPO = Path(__file__).resolve().parents[2]
CSV_SOURCES = {"store_sales": "sales", "customer_transactions": "transactions", "product_interactions": "events"}
PIPELINES = (*CSV_SOURCES, "json_orders")
JSON_FIELD_TYPES = {"string", "date", "timestamp", "amount", "integer", "object", "array"}


def _raw_contract(pipeline: str, source: str) -> dict[str, Any]:
    return read_packaged_json("gluestar.schemas", f"{pipeline}/{source}.json", what="schema file")


@pytest.mark.parametrize(("pipeline", "source"), CSV_SOURCES.items())
def test_the_csv_contracts_load(pipeline: str, source: str) -> None:
    contract = load_source_contract(pipeline, source)

    assert contract.key and set(contract.key) <= set(contract.column_names)


@pytest.mark.parametrize(("pipeline", "source"), CSV_SOURCES.items())
def test_every_contract_key_is_a_supported_one(pipeline: str, source: str) -> None:
    raw = _raw_contract(pipeline, source)
    known = {f.name for f in fields(ColumnSpec)}

    for column in raw["columns"]:
        assert set(column) <= known, column["name"]
    assert set(raw) <= {f.name for f in fields(SourceContract)}


def test_the_retail_rules_load_as_first_class_contract_fields() -> None:
    sales = load_source_contract("store_sales", "sales")
    transactions = load_source_contract("customer_transactions", "transactions")
    events = load_source_contract("product_interactions", "events")

    assert [r.columns for r in sales.row_rules] == [("total_sales", "units_sold", "unit_price")]
    assert (sales.column("units_sold").type, sales.column("unit_price").min_value) == ("integer", 0)
    assert [(r.key, r.columns) for r in transactions.consistent_within] == [
        (("customer_id", "purchase_date"), ("age", "gender", "repeat_customer"))
    ]
    assert {c.name: c.type for c in transactions.columns if c.type in ("integer", "boolean")} == {
        "age": "integer",
        "discount_applied": "boolean",
        "rating": "integer",
        "repeat_customer": "boolean",
    }
    assert events.column("timestamp").type == "epoch_seconds"
    assert events.column("event_type").allowed_values == ("VIEW", "ADD_TO_CART", "PURCHASE")


@pytest.mark.parametrize(("pipeline", "source"), CSV_SOURCES.items())
def test_the_sample_headers_match_the_contract(pipeline: str, source: str) -> None:
    contract = load_source_contract(pipeline, source)
    files = sorted((REPO / "data" / "raw" / pipeline).glob("*.csv"))

    assert files
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert tuple(h.lower() for h in header) == contract.column_names, path.name


def _json_fields(spec: list[dict[str, Any]], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    for field in spec:
        path = f"{prefix}{field['name']}"
        out.append((path, field))
        if field["type"] == "object":
            out += _json_fields(field["fields"], f"{path}.")
        if field["type"] == "array":
            out += _json_fields(field["items"]["fields"], f"{path}.")
    return out


def test_the_json_contract_describes_every_field_of_the_sample() -> None:
    contract = _raw_contract("json_orders", "orders")
    described = dict(_json_fields(contract["fields"]))

    assert contract["format"]["type"] == "jsonl"
    assert {f["type"] for f in described.values()} <= JSON_FIELD_TYPES
    assert [p for p, f in described.items() if f.get("required")] == [
        "order_id", "order_date", "customer", "customer.id", "payments", "payments.method", "payments.amount",
        "items", "items.sku", "items.quantity", "items.unit_price",
    ]  # fmt: skip
    expected = json.loads((REPO / "data" / "raw" / "json_orders" / "expected.json").read_text())
    assert not set(expected["unknown_fields"]) & set(described)


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_checks_name_only_declared_tables_and_columns(pipeline: str) -> None:
    validate_checks(load_checks(pipeline), load_star_schema(pipeline))


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_every_star_string_has_a_length_and_every_dimension_a_natural_key(pipeline: str) -> None:
    for table in load_star_schema(pipeline).tables:
        assert all(c.length for c in table.columns if c.type == "string"), table.name
        assert table.key
        if table.kind == "dimension":
            assert table.natural_key, table.name
        else:
            assert table.partition_by, table.name
