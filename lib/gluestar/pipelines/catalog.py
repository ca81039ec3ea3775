"""Every pipeline by name, and :func:`run_pipeline`, the one entry point jobs and the CLI call.

Examples
--------
>>> pipeline_names()
('finance', 'store_sales', 'customer_transactions', 'product_interactions', 'json_orders')
>>> run_pipeline("sales", spark, "data/raw", "/tmp/out")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
gluestar.exceptions.ConfigurationError: pipeline must be one of 'finance', 'store_sales', ...; got 'sales'
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from pyspark.sql import SparkSession

from gluestar.options import check_choice
from gluestar.pipelines.customer_transactions import CUSTOMER_TRANSACTIONS
from gluestar.pipelines.finance import run_finance
from gluestar.pipelines.json_orders import JSON_ORDERS
from gluestar.pipelines.product_interactions import PRODUCT_INTERACTIONS
from gluestar.pipelines.runner import RunOptions
from gluestar.pipelines.star import StarPipeline, run_star_pipeline
from gluestar.pipelines.store_sales import STORE_SALES
from gluestar.report import RunReport

__all__ = ["STAR_PIPELINES", "pipeline_names", "run_pipeline"]

#: The star pipelines of one source, by name (finance has its own runner: two sources and a variance fact).
STAR_PIPELINES: Final[dict[str, StarPipeline]] = {
    p.name: p for p in (STORE_SALES, CUSTOMER_TRANSACTIONS, PRODUCT_INTERACTIONS, JSON_ORDERS)
}


def pipeline_names() -> tuple[str, ...]:
    """Every pipeline :func:`run_pipeline` runs, finance first."""
    return ("finance", *STAR_PIPELINES)


def run_pipeline(
    pipeline: str,
    spark: SparkSession,
    raw_path: str,
    processed_path: str,
    *,
    run_id: str | None = None,
    fiscal_year_start_month: int = 1,
    schemas_dir: str | None = None,
    now: dt.datetime | None = None,
    quality_engine: str = "auto",
    checks_dir: str | None = None,
    full_refresh: bool = False,
    lock_ttl_minutes: float = 120.0,
    retention_hours: float = 168.0,
) -> RunReport:
    """Run pipeline ``pipeline`` end to end and return its report.

    The options are those of :func:`gluestar.pipelines.finance.run_finance` and mean the same for
    every pipeline: each run reads only new or changed raw files, merges them into the published
    star schema, passes the quality gate and publishes one snapshot (or nothing, when it fails).

    Raises
    ------
    ConfigurationError
        If there is no such pipeline or an option is invalid.
    """
    check_choice(pipeline, pipeline_names(), "pipeline")
    options = {
        "run_id": run_id,
        "fiscal_year_start_month": fiscal_year_start_month,
        "schemas_dir": schemas_dir,
        "now": now,
        "quality_engine": quality_engine,
        "checks_dir": checks_dir,
        "full_refresh": full_refresh,
        "lock_ttl_minutes": lock_ttl_minutes,
        "retention_hours": retention_hours,
    }
    if pipeline == "finance":
        return run_finance(spark, raw_path, processed_path, **options)
    return run_star_pipeline(STAR_PIPELINES[pipeline], spark, raw_path, processed_path, RunOptions(**options))
