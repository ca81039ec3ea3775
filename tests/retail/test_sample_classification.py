"""The committed retail samples classify exactly as their ``expected.json`` says.

For each CSV pipeline the sample in ``data/raw/<pipeline>/`` is read by its contract, validated
(column rules and row rules), deduplicated by the contract's key and made consistent across rows
(``consistent_within``), in the order a pipeline runs them, and counted by ``count_source``: the
counts and the quarantine reasons must equal the ``source`` section of ``expected.json`` (written by
``data/generate_retail.py``, which decides every record's fate when it generates it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from gluestar.cleaning import enforce_consistency, validate_source
from gluestar.contracts import load_source_contract
from gluestar.dedup import resolve_duplicates
from gluestar.report import count_source
from gluestar.sources import read_csv_source

REPO = Path(__file__).resolve().parents[2]
CSV_SOURCES = {"store_sales": "sales", "customer_transactions": "transactions", "product_interactions": "events"}


def _expected(pipeline: str, source: str) -> dict[str, Any]:
    return json.loads((REPO / "data" / "raw" / pipeline / "expected.json").read_text(encoding="utf-8"))[source]


@pytest.mark.parametrize(("pipeline", "source"), CSV_SOURCES.items())
def test_the_sample_classifies_as_expected(spark: SparkSession, pipeline: str, source: str) -> None:
    contract = load_source_contract(pipeline, source)
    files = [str(path) for path in sorted((REPO / "data" / "raw" / pipeline).glob("*.csv"))]
    classified = (
        read_csv_source(spark, files, contract)
        .frame.transform(validate_source(contract))
        .transform(
            resolve_duplicates(
                contract.key,
                columns=contract.column_names,
                version=contract.version_column,
                conflict_reason=contract.conflict_reason,
            )
        )
        .transform(enforce_consistency(contract))
        .cache()  # count_source aggregates twice (per file, per rule): classify once
    )
    try:
        counts = count_source(source, classified, conflict_reason=contract.conflict_reason)
    finally:
        classified.unpersist()

    assert {
        "rows_read": counts.rows_read,
        "accepted": counts.accepted,
        "quarantined": counts.quarantined,
        "exact_duplicates": counts.exact_duplicates,
        "superseded": counts.superseded,
        "conflicts": counts.conflicts,
        "quarantine_reasons": counts.rejected_by_rule,
    } == _expected(pipeline, source)
