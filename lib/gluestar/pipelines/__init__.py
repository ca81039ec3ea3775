"""Pipelines: each turns one family of raw extracts into a published star schema."""

from __future__ import annotations

from gluestar.pipelines.catalog import STAR_PIPELINES, pipeline_names, run_pipeline
from gluestar.pipelines.finance import FINANCE_SOURCES, run_finance
from gluestar.pipelines.runner import PipelineRun, RunOptions
from gluestar.pipelines.star import StarInputs, StarPipeline, run_star_pipeline

__all__ = [
    "FINANCE_SOURCES",
    "STAR_PIPELINES",
    "PipelineRun",
    "RunOptions",
    "StarInputs",
    "StarPipeline",
    "pipeline_names",
    "run_finance",
    "run_pipeline",
    "run_star_pipeline",
]
