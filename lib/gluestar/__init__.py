"""gluestar: PySpark building blocks and pipelines that turn raw extracts into a governed star schema.

The public API, re-exported here:

* contracts: :func:`load_source_contract`, :func:`load_star_schema`;
* column logic: :func:`trim_to_null`, :func:`parse_amount`, :func:`parse_date`, …;
* sources: :func:`read_csv_source`, :func:`read_json_source` (JSON Lines, nested);
* transforms (``df.transform(...)``): :func:`validate_source`, :func:`validate_json_source`, :func:`resolve_duplicates`,
  :func:`enforce_consistency`, :func:`assign_surrogate_keys`, :func:`conform_dimension`,
  :func:`date_dimension`, :func:`scd2_versions`, :func:`conform_scd2_dimension`, :func:`point_in_time_key`,
  :func:`lookup_key`, :func:`compare_to_budget`, …;
* the json_orders marts: :func:`load_marts`, :func:`build_marts`, :func:`mart_monthly_revenue`, …;
* pipelines: :func:`run_finance`;
* the job runtime: :func:`start_job`, :func:`run_job`, :func:`resolve_options`.
"""

from __future__ import annotations

from gluestar.cleaning import (
    candidate_keys,
    clean_text,
    column_rules,
    enforce_consistency,
    typed_value,
    validate_source,
)
from gluestar.columns import (
    amount_in_range,
    date_key,
    normalise_case,
    parse_amount,
    parse_boolean,
    parse_date,
    parse_epoch_seconds,
    parse_integer,
    parse_month,
    parse_timestamp,
    trim_to_null,
)
from gluestar.constants import UNKNOWN_KEY
from gluestar.contracts import (
    ColumnSpec,
    ConsistencyRule,
    FieldSpec,
    JsonContract,
    JsonRule,
    RowRule,
    SourceContract,
    StarSchema,
    TableSpec,
    load_source_contract,
    load_star_schema,
)
from gluestar.dedup import resolve_duplicates
from gluestar.dimensions import bin_label, conform_dimension, conform_to, date_dimension, latest_attributes
from gluestar.exceptions import (
    ConfigurationError,
    DataQualityError,
    GluestarError,
    PublishError,
    RedshiftLoadError,
    SchemaContractError,
    SourceFileError,
)
from gluestar.facts import lookup_key, year_month_partitions
from gluestar.glue import JobContext, configure_session, resolve_options, run_job, start_job
from gluestar.json_source import read_json_source, validate_json_source
from gluestar.keys import assign_surrogate_keys, number_rows
from gluestar.marts import (
    MART_NAMES,
    build_marts,
    load_marts,
    mart_category_sales,
    mart_cohort_retention,
    mart_monthly_active_customers,
    mart_monthly_churn,
    mart_monthly_revenue,
    month_index,
)
from gluestar.parallel import run_concurrently
from gluestar.pipelines.finance import run_finance
from gluestar.quality import MetricsRepository, QualityReport, load_checks, run_quality_gate
from gluestar.redshift import REDSHIFT_JOB_ARGUMENTS, LoadReport, load_run, load_run_from_args
from gluestar.report import RunReport, SourceCounts, attach_report, check_source, count_source, report_of
from gluestar.scd import (
    Scd2Spec,
    conform_scd2_dimension,
    point_in_time_key,
    scd2_versions,
    tracked_values_changed,
)
from gluestar.sources import read_csv_source
from gluestar.variance import compare_to_budget, is_favorable, variance, variance_pct

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "UNKNOWN_KEY",
    "ColumnSpec",
    "RowRule",
    "ConsistencyRule",
    "SourceContract",
    "JsonContract",
    "FieldSpec",
    "JsonRule",
    "StarSchema",
    "TableSpec",
    "load_source_contract",
    "load_star_schema",
    "trim_to_null",
    "normalise_case",
    "parse_amount",
    "amount_in_range",
    "parse_date",
    "parse_month",
    "parse_timestamp",
    "parse_integer",
    "parse_boolean",
    "parse_epoch_seconds",
    "date_key",
    "clean_text",
    "typed_value",
    "column_rules",
    "validate_source",
    "candidate_keys",
    "run_concurrently",
    "enforce_consistency",
    "resolve_duplicates",
    "assign_surrogate_keys",
    "number_rows",
    "conform_dimension",
    "conform_to",
    "date_dimension",
    "latest_attributes",
    "bin_label",
    "Scd2Spec",
    "scd2_versions",
    "tracked_values_changed",
    "conform_scd2_dimension",
    "point_in_time_key",
    "lookup_key",
    "year_month_partitions",
    "compare_to_budget",
    "variance",
    "variance_pct",
    "is_favorable",
    "MART_NAMES",
    "load_marts",
    "build_marts",
    "month_index",
    "mart_monthly_revenue",
    "mart_category_sales",
    "mart_monthly_active_customers",
    "mart_cohort_retention",
    "mart_monthly_churn",
    "read_csv_source",
    "read_json_source",
    "validate_json_source",
    "count_source",
    "check_source",
    "attach_report",
    "report_of",
    "RunReport",
    "SourceCounts",
    "run_finance",
    "load_checks",
    "run_quality_gate",
    "QualityReport",
    "MetricsRepository",
    "JobContext",
    "configure_session",
    "resolve_options",
    "run_job",
    "start_job",
    "GluestarError",
    "ConfigurationError",
    "SchemaContractError",
    "SourceFileError",
    "DataQualityError",
    "PublishError",
    "RedshiftLoadError",
    "REDSHIFT_JOB_ARGUMENTS",
    "LoadReport",
    "load_run",
    "load_run_from_args",
]
