"""Star pipelines of one source whose facts are rebuilt month by month from the source's accepted rows.

The retail pipelines share one shape, which :func:`run_star_pipeline` runs on a
:class:`~gluestar.pipelines.runner.PipelineRun` (lock, ledger, quarantine, gate, snapshot):

1. classify the new raw files against the published state: the accepted, cleaned source rows,
   kept by month as internal state (``accepted_<source>``, published with the snapshot);
2. merge: a new row replaces the state row with its key (even one in another month); the months
   that gain, change or lose rows are *touched*, and the pipeline may widen them (``related``: the
   SCD2 customer dimension re-points every month of a customer whose history changed);
3. dimensions from the run's rows and the published dimensions (keys are stable);
4. facts of the touched months, rebuilt from every state row of those months;
5. marts (optional) from the complete new facts; the gate; the commit.

A pipeline module supplies only pure table-building functions (:class:`StarPipeline`), and this
module the shared building blocks: the conformed ``dim_date`` (:func:`conformed_dates`), type-1
dimensions (:func:`type1_dimension`) and static ones (:func:`static_dimension`).

Examples
--------
>>> from gluestar.pipelines.store_sales import STORE_SALES
>>> report = run_star_pipeline(STORE_SALES, spark, "data/raw/store_sales", "/tmp/out", RunOptions())  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from gluestar.constants import UNKNOWN_LABEL
from gluestar.contracts import StarSchema, TableSpec
from gluestar.dimensions import MAX_DATE, MIN_DATE, conform_dimension, conform_to, date_dimension, latest_attributes
from gluestar.exceptions import ConfigurationError
from gluestar.facts import year_month_partitions
from gluestar.faults import checkpoint
from gluestar.parallel import run_concurrently
from gluestar.pipelines.runner import (
    FILE_SEQ_COLUMN,
    PipelineRun,
    RunOptions,
    accepted,
    audit_columns,
    month_partitions,
    partition_keys,
    state_table,
)
from gluestar.report import RunReport

__all__ = [
    "StarInputs",
    "StarPipeline",
    "conformed_dates",
    "run_star_pipeline",
    "static_dimension",
    "type1_dimension",
]

log = logging.getLogger("gluestar.pipelines")


@dataclass(frozen=True)
class StarInputs:
    """What a star pipeline's build functions get.

    Attributes
    ----------
    new : DataFrame
        This run's accepted rows (the cleaned source columns, ``_file_seq``, ``year``, ``month``).
    rows : DataFrame
        Every accepted row (state) of the months the run rebuilds, in the same shape.
    history : DataFrame
        Every accepted row of the entities whose history the run rebuilds (the pipeline's
        ``related`` rows; on a first run or a full refresh, every row), in the same shape.
    existing : mapping of str to DataFrame or None
        The published dimensions (None for one not published yet).
    star : StarSchema
        The pipeline's star schema.
    audit : mapping of str to Column
        ``batch_id`` and ``load_timestamp`` of the run, for fact rows.
    fiscal_year_start_month : int
        First month of the fiscal year, for ``dim_date``.
    """

    new: DataFrame
    rows: DataFrame
    history: DataFrame
    existing: Mapping[str, DataFrame | None]
    star: StarSchema
    audit: Mapping[str, Column]
    fiscal_year_start_month: int = 1


@dataclass(frozen=True)
class StarPipeline:
    """A star pipeline: its source and its pure table-building functions.

    Attributes
    ----------
    name : str
        The pipeline (``schemas/<name>/``, ``<processed_path>/<name>/``).
    source : str
        Its source contract.
    month_of : str
        The cleaned date or timestamp column that places a source row in a month and a day of
        ``dim_date``.
    dimensions : callable
        ``StarInputs -> {dimension name: frame}``: every dimension of the star, complete, but
        ``dim_date``, which the runner builds from ``month_of`` (:func:`conformed_dates`).
    facts : callable
        ``(StarInputs, staged dimensions) -> {fact name: frame}``: the facts of ``rows``' months.
    related : callable, optional
        ``(new rows, all state rows) -> state rows`` whose months must be rebuilt too.
    marts : callable, optional
        ``(run, {fact name: complete fact}, staged dimensions) -> {name: (spec, frame)}``: unpartitioned
        tables derived from the complete facts (rebuilt whole by every run).
    """

    name: str
    source: str
    month_of: str
    dimensions: Callable[[StarInputs], Mapping[str, DataFrame]]
    facts: Callable[[StarInputs, Mapping[str, DataFrame]], Mapping[str, DataFrame]]
    related: Callable[[DataFrame, DataFrame], DataFrame] | None = None
    marts: Callable[[PipelineRun, Mapping[str, DataFrame], Mapping[str, DataFrame]], Mapping[str, Any]] | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def conformed_dates(
    spec: TableSpec,
    dates: Sequence[tuple[DataFrame, str]],
    existing: DataFrame | None,
    *,
    fiscal_year_start_month: int = 1,
) -> DataFrame:
    """The conformed ``dim_date``: every day from the earliest to the latest date seen, ever.

    ``dates`` pairs frames with a date (or timestamp) column; the published ``dim_date`` extends
    the range, so the dimension never shrinks.

    Examples
    --------
    >>> import datetime as dt
    >>> from gluestar.contracts import load_star_schema
    >>> spec = load_star_schema("store_sales").table("dim_date")
    >>> df = spark.createDataFrame([(dt.date(2025, 1, 30),), (dt.date(2025, 2, 2),)], "d date")
    >>> conformed_dates(spec, [(df, "d")], None).count()
    4
    """
    if not dates:
        raise ConfigurationError(f"{spec.name}: needs at least one date column")
    bounds = [
        frame.agg(F.min(F.to_date(column)).alias(MIN_DATE), F.max(F.to_date(column)).alias(MAX_DATE))
        for frame, column in dates
    ]
    if existing is not None:
        bounds.append(existing.agg(F.min("full_date").alias(MIN_DATE), F.max("full_date").alias(MAX_DATE)))
    frame = bounds[0]
    for other in bounds[1:]:
        frame = frame.unionByName(other)
    return frame.transform(date_dimension(fiscal_year_start_month=fiscal_year_start_month)).transform(conform_to(spec))


def type1_dimension(
    spec: TableSpec,
    members: DataFrame,
    existing: DataFrame | None,
    *,
    order_by: Sequence[str] = (),
    unknown: Mapping[str, Any] | None = None,
) -> DataFrame:
    """A type-1 dimension: the run's members with their latest attributes, merged into the published one.

    ``members`` holds the natural key and attribute columns of ``spec`` (named as in the table),
    possibly several rows per member: the row with the greatest ``order_by`` wins. Published
    members keep their keys; new members get new ones; the unknown member (``-1``) carries
    ``unknown`` (default: ``Unknown`` in every attribute).

    Examples
    --------
    >>> from gluestar.contracts import load_star_schema
    >>> spec = load_star_schema("store_sales").table("dim_product")
    >>> rows = spark.createDataFrame([("Novel", "Books", 1), ("Novel", "Fiction", 2)],
    ...     "product_name string, category string, v int")
    >>> dim = type1_dimension(spec, rows, None, order_by=["v"])
    >>> sorted((r.product_key, r.category) for r in dim.collect())
    [(-1, 'Unknown'), (1, 'Fiction')]
    """
    natural_key = list(spec.natural_key)
    attributes = [c for c in spec.column_names if c not in spec.key and c not in natural_key]
    for column in natural_key:
        members = members.filter(F.col(column).isNotNull())
    if attributes:
        latest = members.transform(latest_attributes(natural_key, attributes, order_by=list(order_by)))
    else:
        latest = members.select(*natural_key).distinct()
    placeholder = dict(unknown) if unknown is not None else {a: UNKNOWN_LABEL for a in attributes}
    return latest.transform(conform_dimension(spec, existing=existing, unknown_member=placeholder))


def static_dimension(spark: SparkSession, spec: TableSpec, members: Sequence[Mapping[str, Any]]) -> DataFrame:
    """A dimension whose members (keys included) are fixed in the star schema (``members``).

    Examples
    --------
    >>> from gluestar.contracts import load_star_schema
    >>> spec = load_star_schema("product_interactions").table("dim_event_type")
    >>> static_dimension(spark, spec, [{"event_type_key": 1, "event_type": "VIEW", "funnel_step": 1}]).count()
    1
    """
    if not members:
        raise ConfigurationError(f"{spec.name}: a static dimension needs its members")
    rows = [tuple(member.get(c) for c in spec.column_names) for member in members]
    return spark.createDataFrame(rows, spec.schema)


def run_star_pipeline(
    pipeline: StarPipeline,
    spark: SparkSession,
    raw_path: str,
    processed_path: str,
    options: RunOptions,
) -> RunReport:
    """Run a star pipeline end to end and return its report (see the module docstring).

    Raises
    ------
    ConfigurationError, LockError, SourceFileError, SchemaContractError, DataQualityError
        As :func:`gluestar.pipelines.finance.run_finance`: nothing is published then.
    """
    details = {"fiscal_year_start_month": options.fiscal_year_start_month, **pipeline.details}
    with PipelineRun(
        spark, pipeline.name, (pipeline.source,), raw_path, processed_path, options, details=details
    ) as run:
        if run.prepare():
            _merge(pipeline, run)
    return run.report


def _merge(pipeline: StarPipeline, run: PipelineRun) -> None:
    contract = run.contracts[pipeline.source]
    key = list(contract.key)
    state = state_table(contract, f"accepted_{pipeline.source}", month_of=pipeline.month_of)
    before = run.published_state(state.name)
    against = run.read_version(state, before).drop("year", "month") if before is not None else None
    classified = run.classify(pipeline.source, against=against)
    run.check_sources()
    new = (
        accepted(classified)
        .select(*contract.column_names, FILE_SEQ_COLUMN)
        .transform(year_month_partitions(pipeline.month_of))
    )
    with run.stage("state"):
        months = partition_keys(new)
        merged = new
        if before is not None:
            replaced = run.read_version(state, before).join(new.select(*key), on=key, how="left_semi")
            months = sorted(set(months) | set(partition_keys(replaced)))
            kept = run.read_version(state, before, months).join(new.select(*key), on=key, how="left_anti")
            merged = kept.unionByName(new)
        version = run.write_partitioned(state, merged, months, state=True)
        history = None
        if pipeline.related is not None and before is not None:
            history = pipeline.related(new, run.read_version(state, version))
            months = sorted(set(months) | set(partition_keys(history)))
        rows = run.read_version(state, version, months)
    inputs = StarInputs(
        new=new,
        rows=rows,
        history=rows if history is None else history,
        existing=run.existing_dimensions(),
        star=run.star,
        audit=audit_columns(run.run_id, run.load_timestamp),
        fiscal_year_start_month=run.options.fiscal_year_start_month,
    )
    with run.stage("dimensions"):
        checkpoint("transform")
        dates = conformed_dates(
            run.star.table("dim_date"),
            [(rows, pipeline.month_of)],
            inputs.existing.get("dim_date"),
            fiscal_year_start_month=inputs.fiscal_year_start_month,
        )
        dimensions = {"dim_date": dates, **pipeline.dimensions(inputs)}
        staged = run_concurrently(
            {name: partial(run.write_whole, run.star.table(name), frame) for name, frame in dimensions.items()}
        )
    with run.stage("facts"):
        for name, frame in pipeline.facts(inputs, staged).items():
            spec = run.star.table(name)
            run.write_partitioned(spec, frame, month_partitions(months, spec.partition_by))
    if pipeline.marts is not None:
        with run.stage("marts"):
            facts = {
                spec.name: run.read_version(spec, run.versions[spec.name])
                for spec in run.star.tables
                if spec.kind == "fact"
            }
            for name, (spec, frame) in pipeline.marts(run, facts, staged).items():
                run.report.tables[name] = run.write_whole(spec, frame).count()  # a mart is a few rows
    quality = run.quality_gate(months)
    run.publish(quality)
