"""The retail extract generator: committed samples are reproducible and every tally adds up (no Spark)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "data" / "raw"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_retail", REPO / "data" / "generate_retail.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_retail", module)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def _records(name: str, text: str) -> int:
    """Source records in one file: CSV records after the header, or non-empty JSON Lines."""
    if name.endswith(".json"):
        return sum(1 for line in text.splitlines() if line.strip())
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1


def _source_tallies(expected: dict) -> list[dict]:
    return [v for k, v in expected.items() if k not in ("star", "unknown_fields")]


def _assert_consistent(extract: Any) -> None:
    (tally,) = _source_tallies(extract.expected)
    assert tally["rows_read"] == sum(_records(n, t) for n, t in extract.files.items())
    assert tally["rows_read"] == (
        tally["accepted"] + tally["quarantined"] + tally["exact_duplicates"] + tally["superseded"]
    )
    assert sum(tally["quarantine_reasons"].values()) == tally["quarantined"]
    assert tally["conflicts"] <= tally["quarantined"]
    star = extract.expected["star"]
    facts = star.get("fact_sales") or star.get("fact_orders") or star.get("fact_events")
    assert facts == tally["accepted"]


@pytest.mark.parametrize("pipeline", GEN.PIPELINES)
def test_sample_is_regenerated_byte_for_byte(pipeline: str) -> None:
    extract = GEN.sample(pipeline)
    folder = SAMPLES / pipeline

    assert sorted(p.name for p in folder.iterdir()) == sorted([*extract.files, "expected.json"])
    for name, text in extract.files.items():
        assert (folder / name).read_bytes() == text.encode("utf-8"), name
    assert json.loads((folder / "expected.json").read_text()) == extract.expected


@pytest.mark.parametrize("pipeline", GEN.PIPELINES)
def test_sample_tallies_add_up(pipeline: str) -> None:
    _assert_consistent(GEN.sample(pipeline))


@pytest.mark.parametrize("pipeline", GEN.PIPELINES)
def test_generated_extracts_are_deterministic_and_add_up(pipeline: str) -> None:
    first = GEN.build(pipeline, 3_000, 7)

    assert first == GEN.build(pipeline, 3_000, 7)
    _assert_consistent(first)
    (tally,) = _source_tallies(first.expected)
    assert tally["rows_read"] == 3_000
    assert tally["quarantined"] > 0 and tally["exact_duplicates"] > 0


def test_the_samples_carry_every_messy_case() -> None:
    tallies = {p: json.loads((SAMPLES / p / "expected.json").read_text()) for p in GEN.PIPELINES}

    assert tallies["store_sales"]["star"]["returns"] > 0
    assert tallies["store_sales"]["sales"]["conflicts"] == 2
    assert (
        tallies["customer_transactions"]["star"]["dim_customer_versions"]
        > tallies["customer_transactions"]["star"]["customers"]
    )
    assert tallies["product_interactions"]["events"]["quarantine_reasons"]["event_type is not an allowed value"] >= 2
    assert tallies["json_orders"]["orders"]["superseded"] == 1
    assert tallies["json_orders"]["unknown_fields"]["coupon_code"] >= 1
    assert "line is not a JSON object" in tallies["json_orders"]["orders"]["quarantine_reasons"]


def test_the_command_line_writes_a_large_extract(tmp_path: Path) -> None:
    assert GEN.main(["--pipeline", "store_sales", "--rows", "500", "--out", str(tmp_path), "--seed", "3"]) == 0

    expected = json.loads((tmp_path / "store_sales" / "_expected.json").read_text())
    assert expected == GEN.build("store_sales", 500, 3).expected


def test_an_unknown_pipeline_is_refused() -> None:
    with pytest.raises(ValueError) as caught:
        GEN.build("clickstream", 10, 1)

    assert str(caught.value) == (
        "pipeline must be one of store_sales, customer_transactions, product_interactions, json_orders; "
        "got 'clickstream'"
    )
