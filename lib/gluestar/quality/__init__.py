"""Data quality gate: declared checks on every table, a pydeequ and a native engine, metrics history.

* checks, declared in ``schemas/<pipeline>/checks.json``: :func:`load_checks` and the check classes
  (:class:`RowCount`, :class:`Completeness`, :class:`PrimaryKey`, :class:`ForeignKey`,
  :class:`Reconciliation`, :class:`Anomaly`, ...);
* the gate: :func:`run_quality_gate` returns a :class:`QualityReport`;
  :meth:`QualityReport.raise_for_errors` stops a run on failed ``error`` checks;
* engines: :func:`evaluate_table` (native, one aggregation per table) and the pydeequ translation
  (:func:`translate_check`), chosen by :func:`choose_engine`;
* history: :class:`MetricsRepository` keeps the metrics of successful runs for anomaly checks.
"""

from __future__ import annotations

from gluestar.quality.anomaly import evaluate_anomaly, history_depth
from gluestar.quality.checks import (
    AggregateOf,
    AllowedValues,
    Anomaly,
    Completeness,
    ContainsValues,
    ForeignKey,
    NonNegative,
    Pattern,
    PrimaryKey,
    QualityCheck,
    Reconciliation,
    References,
    RowCount,
    Satisfies,
    Unique,
    ValueRange,
    load_checks,
    parse_checks,
    validate_checks,
)
from gluestar.quality.deequ import deequ_status, translate_check
from gluestar.quality.gate import ENGINES, Engine, check_engine, choose_engine, run_quality_gate
from gluestar.quality.metrics import MetricsRepository, RunMetrics
from gluestar.quality.native import evaluate_foreign_key, evaluate_reconciliation, evaluate_table
from gluestar.quality.results import ConstraintResult, Metric, QualityReport

__all__ = [
    "ENGINES",
    "AggregateOf",
    "AllowedValues",
    "Anomaly",
    "Completeness",
    "ConstraintResult",
    "ContainsValues",
    "Engine",
    "ForeignKey",
    "Metric",
    "MetricsRepository",
    "NonNegative",
    "Pattern",
    "PrimaryKey",
    "QualityCheck",
    "QualityReport",
    "Reconciliation",
    "References",
    "RowCount",
    "RunMetrics",
    "Satisfies",
    "Unique",
    "ValueRange",
    "check_engine",
    "choose_engine",
    "deequ_status",
    "evaluate_anomaly",
    "evaluate_foreign_key",
    "evaluate_reconciliation",
    "evaluate_table",
    "history_depth",
    "load_checks",
    "parse_checks",
    "run_quality_gate",
    "translate_check",
    "validate_checks",
]
