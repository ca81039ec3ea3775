"""The quality gate: every declared check over a run's tables, one report, raising as a separate step.

:func:`run_quality_gate` picks the engine (``auto``: pydeequ where the Deequ jar is on the
classpath, native otherwise; logged either way), evaluates every check, and returns a
:class:`~gluestar.quality.results.QualityReport`. Failing ``error`` checks do not raise here: the
caller writes the results first and then calls
:meth:`~gluestar.quality.results.QualityReport.raise_for_errors`.

Cost, native engine: one aggregation per table (all its single-table checks and its profile), one
``left_anti`` join per foreign key, one grouped query per grouped reconciliation; anomaly checks
and ungrouped reconciliations reuse the single-pass metrics.

Examples
--------
>>> from gluestar.quality.checks import PrimaryKey, RowCount
>>> df = spark.createDataFrame([(1,), (2,)], "id int")
>>> report = run_quality_gate(spark, {"t": df}, [RowCount(table="t", min=1), PrimaryKey(table="t", columns=("id",))],
...     engine="native")
>>> report.status, len(report.results)
('passed', 3)
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Literal, get_args

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gluestar.exceptions import ConfigurationError
from gluestar.options import check_choice
from gluestar.parallel import run_concurrently
from gluestar.quality.anomaly import anomaly_metric, evaluate_anomaly
from gluestar.quality.checks import (
    Anomaly,
    ForeignKey,
    NonNegative,
    QualityCheck,
    Reconciliation,
    SingleTableCheck,
    ValueRange,
    validate_checks,
)
from gluestar.quality.constraints import plan_constraints
from gluestar.quality.deequ import callback_server_guard, deequ_status, run_deequ_checks
from gluestar.quality.metrics import RunMetrics
from gluestar.quality.native import (
    MetricName,
    TableEvaluation,
    evaluate_foreign_key,
    evaluate_reconciliation,
    evaluate_table,
    reconciliation_metrics,
)
from gluestar.quality.results import ConstraintResult, QualityReport, with_check_status

__all__ = ["ENGINES", "Engine", "check_engine", "choose_engine", "run_quality_gate", "validate_expressions"]

log = logging.getLogger("gluestar.quality")

Engine = Literal["auto", "native", "deequ"]
ENGINES: tuple[str, ...] = get_args(Engine)
_CROSS_TABLE = (ForeignKey, Reconciliation, Anomaly)


def check_engine(engine: str) -> Engine:
    """Validate an engine option.

    Examples
    --------
    >>> check_engine("native")
    'native'
    >>> check_engine("spark")
    Traceback (most recent call last):
    ...
    gluestar.exceptions.ConfigurationError: quality engine must be one of 'auto', 'native', 'deequ'; got 'spark'
    """
    return check_choice(engine, ENGINES, "quality engine")  # type: ignore[return-value]


def choose_engine(spark: SparkSession, engine: str = "auto") -> Literal["native", "deequ"]:
    """Resolve ``auto`` to ``deequ`` or ``native`` and log the choice.

    Raises
    ------
    ConfigurationError
        If ``engine`` is unknown, or ``deequ`` is forced where the Deequ jar or pydeequ is missing.
    """
    check_engine(engine)
    if engine == "native":
        log.info("quality gate: engine native (requested)")
        return "native"
    available, reason = deequ_status(spark)
    if engine == "deequ":
        if not available:
            raise ConfigurationError(
                f"quality engine 'deequ' was requested but {reason}; add the Deequ jar to the job "
                "(Glue: --extra-jars) or choose the engine 'auto' or 'native'"
            )
        log.info("quality gate: engine deequ (requested; %s)", reason)
        return "deequ"
    chosen: Literal["native", "deequ"] = "deequ" if available else "native"
    log.info("quality gate: engine %s chosen automatically: %s", chosen, reason)
    return chosen


@contextlib.contextmanager
def _engine_session(spark: SparkSession, engine: str) -> Iterator[None]:
    if engine != "deequ":
        yield
        return
    with callback_server_guard(spark.sparkContext._gateway):
        yield


def validate_expressions(tables: Mapping[str, DataFrame], checks: Sequence[QualityCheck]) -> None:
    """Check every SQL predicate of a check (``where``, ``satisfies``) and the type of measured columns.

    Spark analyses an expression when it is selected, without running a job, so a typo in a
    predicate becomes a :class:`ConfigurationError` before any data is read. ``range`` and
    ``non_negative`` need a numeric column (as Deequ's ``hasMin``/``hasMax`` do).

    Raises
    ------
    ConfigurationError
        Naming the check, the predicate and Spark's first line of explanation.
    """
    problems = []
    for check in checks:
        if not isinstance(check, SingleTableCheck) or check.table not in tables:
            continue
        if isinstance(check, ValueRange | NonNegative):
            column_type = tables[check.table].schema[check.column].dataType
            if not isinstance(column_type, T.NumericType):
                problems.append(f"{check.label}: column {check.column} is {column_type.simpleString()}, not numeric")
        predicates = {p for spec in plan_constraints(check) for p in (spec.predicate, spec.where) if p}
        for predicate in sorted(predicates):
            try:
                tables[check.table].select(F.expr(predicate).cast("boolean"))
            except AnalysisException as exc:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                problems.append(f"{check.label}: invalid SQL predicate {predicate!r}: {reason}")
    if problems:
        raise ConfigurationError("; ".join(problems))


def _needed_metrics(checks: Sequence[QualityCheck], tables: Mapping[str, DataFrame]) -> dict[str, list[MetricName]]:
    needed: dict[str, list[MetricName]] = {name: [] for name in tables}
    for check in checks:
        if isinstance(check, Reconciliation):
            for table, metrics in reconciliation_metrics(check).items():
                needed[table] += metrics
        elif isinstance(check, Anomaly):
            needed[check.table].append(anomaly_metric(check))
    return needed


def run_quality_gate(
    spark: SparkSession,
    tables: Mapping[str, DataFrame],
    checks: Sequence[QualityCheck],
    *,
    engine: Engine = "auto",
    history: Sequence[RunMetrics] = (),
    run_id: str | None = None,
) -> QualityReport:
    """Evaluate every check over ``tables`` and return the report (never raises for failed checks).

    Parameters
    ----------
    spark : SparkSession
    tables : mapping of str to DataFrame
        The run's tables by name (in a pipeline: the *staged* tables, read back); every table gets
        its profile metrics recorded, checked or not.
    checks : sequence of QualityCheck
        Declared checks (see :func:`~gluestar.quality.checks.load_checks`).
    engine : {"auto", "native", "deequ"}, default "auto"
        ``auto`` uses pydeequ where the Deequ jar is on the classpath and the native engine
        elsewhere; ``native`` never touches pydeequ; ``deequ`` fails fast without the jar.
        Cross-table and anomaly checks are evaluated natively under every engine.
    history : sequence of RunMetrics
        Metrics of previous successful runs, oldest first, for anomaly checks.
    run_id : str, optional
        Recorded in the report.

    Returns
    -------
    QualityReport

    Raises
    ------
    ConfigurationError
        If a check names an unknown table or column, has an invalid SQL predicate or measures a
        non-numeric column with ``range``/``non_negative``, two checks of a table share a name, or
        the engine option is invalid or cannot run here.
    """
    began = time.perf_counter()
    checks = tuple(checks)
    validate_checks(checks, {name: df.columns for name, df in tables.items()})
    validate_expressions(tables, checks)
    chosen = choose_engine(spark, engine)
    needed = _needed_metrics(checks, tables)
    rows: list[ConstraintResult] = []
    evaluations: dict[str, TableEvaluation] = {}
    single = {name: [c for c in checks if isinstance(c, SingleTableCheck) and c.table == name] for name in tables}
    with _engine_session(spark, chosen):
        if chosen == "native":
            # The tables' passes are independent Spark queries: run together, the small tables'
            # passes fill the cores the large fact's pass leaves idle between its stages.
            evaluations = run_concurrently(
                {
                    name: partial(evaluate_table, df, name, single[name], metrics=needed[name])
                    for name, df in tables.items()
                }
            )
            rows += [result for evaluation in evaluations.values() for result in evaluation.results]
        else:
            for name, df in tables.items():
                evaluations[name] = evaluate_table(df, name, (), metrics=needed[name])
                rows += run_deequ_checks(spark, name, df, single[name])
    raw = {(table, *key): value for table, ev in evaluations.items() for key, value in ev.raw.items()}
    foreign_keys = run_concurrently(
        {str(i): partial(evaluate_foreign_key, c, tables) for i, c in enumerate(checks) if isinstance(c, ForeignKey)}
    )
    for i, check in enumerate(checks):
        if isinstance(check, ForeignKey):
            rows.append(foreign_keys[str(i)])
        elif isinstance(check, Reconciliation):
            rows.append(evaluate_reconciliation(check, tables, raw))
        elif isinstance(check, Anomaly):
            value = raw[(check.table, *anomaly_metric(check))]
            rows.append(evaluate_anomaly(check, None if value is None else float(value), history))
    order = {(c.table, c.name): i for i, c in enumerate(checks)}
    rows.sort(key=lambda r: order[(r.table, r.check)])
    notes = []
    if chosen == "deequ" and any(isinstance(c, _CROSS_TABLE) for c in checks):
        notes.append(
            "foreign_key, reconciliation and anomaly checks span tables or runs and were evaluated by the "
            "native engine; table profiles (row counts, null fractions, sums) too"
        )
    report = QualityReport(
        engine=chosen,
        results=with_check_status(rows),
        metrics=tuple(m for ev in evaluations.values() for m in ev.metrics),
        run_id=run_id,
        seconds=time.perf_counter() - began,
        notes=notes,
    )
    log.info(
        "quality gate: %s (%d constraint(s), %d error failure(s), %d warning failure(s)) in %.1f s",
        report.status, len(report.results), len(report.errors), len(report.warnings), report.seconds,
    )  # fmt: skip
    return report
