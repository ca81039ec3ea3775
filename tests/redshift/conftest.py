"""Fixtures for the Redshift loader tests: runs on disk (the PostgreSQL fixtures are in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_runs import RunWriter


@pytest.fixture
def runs(tmp_path: Path) -> RunWriter:
    """Writes finance runs (Parquet as Spark lays it out, plus run reports) under a processed root."""
    return RunWriter(tmp_path / "processed")
