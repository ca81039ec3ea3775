"""Pipelines: each turns one family of raw extracts into a published star schema."""

from __future__ import annotations

from gluestar.pipelines.finance import FINANCE_SOURCES, run_finance

__all__ = ["FINANCE_SOURCES", "run_finance"]
