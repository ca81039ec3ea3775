"""The pydeequ engine: declared checks translated to pydeequ's ``Check`` API and run by ``VerificationSuite``.

Used where the Deequ jar is on the JVM classpath (AWS Glue with ``--extra-jars``, or the Glue Docker
image with the jar in Spark's ``jars`` folder) and pydeequ is installed. Each declared single-table
check becomes one ``Check(spark, CheckLevel.Error|Warning, name)`` whose constraints follow
:func:`~gluestar.quality.constraints.plan_constraints` one to one:

==================  =====================================================================
kind                pydeequ calls
==================  =====================================================================
``row_count``       ``hasSize(assertion)``
``completeness``    ``isComplete(column)`` or ``hasCompleteness(column, assertion)``
``unique``          ``isUnique(column)`` or ``hasUniqueness(columns, assertion)``
``primary_key``     ``isComplete(column)`` for each column, then ``isPrimaryKey(column, *columns)``
``non_negative``    ``isNonNegative(column)``
``range``           ``hasMin(column, assertion)``, ``hasMax(column, assertion)``
``allowed_values``  ``isContainedIn(column, values)``
``contains``        ``satisfies(predicate, name, assertion)`` per value
``pattern``         ``hasPattern(column, pattern)`` (string columns) or ``satisfies(...)``
``satisfies``       ``satisfies(predicate, name, assertion)``
==================  =====================================================================

``where`` adds ``.where(filter)`` after each constraint. Foreign keys, reconciliations and anomaly
checks span tables or runs, which a one-table Deequ ``Check`` cannot express; the gate evaluates
them natively under this engine too, and records that in the report's notes.

pydeequ reads ``SPARK_VERSION`` when it is first imported: :func:`import_pydeequ` sets it from the
running Spark (``major.minor``) just before a lazy import. pydeequ's assertions are Python lambdas
called back from the JVM through py4j's callback server; :func:`callback_server_guard` shuts that
server down afterwards, but only if this run started it, so ``spark-submit`` jobs can exit.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from gluestar.exceptions import ConfigurationError
from gluestar.quality.checks import (
    AllowedValues,
    Completeness,
    ContainsValues,
    NonNegative,
    Pattern,
    PrimaryKey,
    QualityCheck,
)
from gluestar.quality.constraints import ConstraintSpec, plan_constraints
from gluestar.quality.results import ConstraintResult, check_level

__all__ = [
    "DEEQU_CLASS",
    "DeequCall",
    "apply_calls",
    "callback_server_guard",
    "convert_results",
    "deequ_on_classpath",
    "deequ_status",
    "import_pydeequ",
    "run_deequ_checks",
    "spark_major_minor",
    "translate_check",
]

log = logging.getLogger("gluestar.quality")

#: The JVM class whose presence means the Deequ jar is on the classpath.
DEEQU_CLASS = "com.amazon.deequ.VerificationSuite"
#: Longest wait for py4j's callback server to shut down (the call can block on a half-closed socket).
SHUTDOWN_TIMEOUT_SECONDS = 10.0


def deequ_on_classpath(spark: SparkSession) -> bool:
    """True when :data:`DEEQU_CLASS` can be loaded by the driver JVM's context class loader.

    Jars given with ``--jars``/``--extra-jars`` are loaded by Spark's context class loader, not the
    system one, so the lookup goes through ``Thread.currentThread().getContextClassLoader()``.
    """
    try:
        jvm = spark.sparkContext._jvm
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        jvm.java.lang.Class.forName(DEEQU_CLASS, False, loader)
    except Exception:
        return False
    return True


def deequ_status(spark: SparkSession) -> tuple[bool, str]:
    """Whether the pydeequ engine can run here, and why (for the log and for error messages)."""
    if importlib.util.find_spec("pydeequ") is None:
        return False, "pydeequ is not installed (pip install 'gluestar[deequ]')"
    if not deequ_on_classpath(spark):
        return False, f"{DEEQU_CLASS} is not on the JVM classpath (the Deequ jar is missing)"
    return True, "the Deequ jar is on the classpath and pydeequ is installed"


def spark_major_minor(version: str) -> str:
    """``major.minor`` of a Spark version string, as pydeequ expects in ``SPARK_VERSION``.

    Examples
    --------
    >>> spark_major_minor("3.5.6-amzn-0")
    '3.5'
    """
    match = re.match(r"^(\d+\.\d+)", version)
    if not match:
        raise ConfigurationError(f"cannot read a major.minor version from Spark version {version!r}")
    return match.group(1)


def import_pydeequ(spark: SparkSession) -> tuple[ModuleType, ModuleType]:
    """Import pydeequ's ``checks`` and ``verification`` modules, setting ``SPARK_VERSION`` first.

    pydeequ reads ``SPARK_VERSION`` once, at its first import (python-deequ #140, #146), to pick
    its Deequ coordinate; the library sets it from the running session instead of asking the user.
    """
    os.environ["SPARK_VERSION"] = spark_major_minor(spark.version)
    checks = importlib.import_module("pydeequ.checks")
    verification = importlib.import_module("pydeequ.verification")
    return checks, verification


@dataclass(frozen=True)
class DeequCall:
    """One method call on a pydeequ ``Check``.

    Attributes
    ----------
    method : str
        pydeequ's method name, e.g. ``isComplete``.
    args, kwargs
        Its arguments, as pydeequ documents them.
    constraint : ConstraintSpec or None
        The constraint the call adds (None for ``where``, which filters the previous one).
    metric : tuple of (str, str)
        Deequ's metric ``(name, instance)`` of that constraint, to report its value.
    """

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    constraint: ConstraintSpec | None = None
    metric: tuple[str, str] = ("", "")


def _string_column(schema: T.StructType, column: str) -> bool:
    return column in schema.names and isinstance(schema[column].dataType, T.StringType)


def _call_for(check: QualityCheck, spec: ConstraintSpec, schema: T.StructType) -> DeequCall:
    column = spec.columns[0] if spec.columns else ""
    metric = (spec.analyzer, spec.instance)
    if spec.analyzer == "Size":
        return DeequCall("hasSize", (spec.assertion,), constraint=spec, metric=metric)
    if spec.analyzer == "Completeness":
        if isinstance(check, PrimaryKey) or (isinstance(check, Completeness) and check.min_fraction == 1.0):
            return DeequCall("isComplete", (column,), constraint=spec, metric=metric)
        return DeequCall("hasCompleteness", (column, spec.assertion), constraint=spec, metric=metric)
    if spec.analyzer == "Uniqueness":
        if isinstance(check, PrimaryKey):
            return DeequCall("isPrimaryKey", spec.columns, constraint=spec, metric=metric)
        if len(spec.columns) == 1:
            return DeequCall("isUnique", (column,), constraint=spec, metric=metric)
        return DeequCall("hasUniqueness", (list(spec.columns), spec.assertion), constraint=spec, metric=metric)
    if spec.analyzer == "Minimum":
        return DeequCall("hasMin", (column, spec.assertion), constraint=spec, metric=metric)
    if spec.analyzer == "Maximum":
        return DeequCall("hasMax", (column, spec.assertion), constraint=spec, metric=metric)
    if isinstance(check, NonNegative):
        return DeequCall("isNonNegative", (column,), constraint=spec, metric=metric)
    if isinstance(check, AllowedValues) and not isinstance(check, ContainsValues):
        return DeequCall("isContainedIn", (column, [str(v) for v in check.values]), constraint=spec, metric=metric)
    if isinstance(check, Pattern) and _string_column(schema, column):
        return DeequCall("hasPattern", (column, check.pattern), constraint=spec, metric=("PatternMatch", column))
    if spec.predicate:
        return DeequCall(
            "satisfies", (spec.predicate, spec.instance, spec.assertion), constraint=spec,
            metric=("Compliance", spec.instance),
        )  # fmt: skip
    raise ConfigurationError(f"{check.label}: no pydeequ translation for {spec.description}")  # pragma: no cover


def translate_check(check: QualityCheck, schema: T.StructType) -> tuple[DeequCall, ...]:
    """The pydeequ ``Check`` calls of one declared single-table check, in constraint order.

    Parameters
    ----------
    check : QualityCheck
        A single-table check.
    schema : StructType
        The table's schema (``hasPattern`` needs a string column; other types use ``satisfies``).

    Examples
    --------
    >>> from gluestar.quality.checks import PrimaryKey
    >>> schema = T.StructType([T.StructField("id", T.IntegerType())])
    >>> [(c.method, c.args) for c in translate_check(PrimaryKey(table="t", columns=("id",)), schema)]
    [('isComplete', ('id',)), ('isPrimaryKey', ('id',))]
    """
    calls: list[DeequCall] = []
    for spec in plan_constraints(check):
        calls.append(_call_for(check, spec, schema))
        if spec.where:
            calls.append(DeequCall("where", (spec.where,)))
    return tuple(calls)


def apply_calls(target: Any, calls: Sequence[DeequCall]) -> Any:
    """Call each method on a pydeequ ``Check`` (or anything with its API) and return the result."""
    for call in calls:
        target = getattr(target, call.method)(*call.args, **dict(call.kwargs))
    return target


def convert_results(
    table: str,
    plans: Mapping[str, tuple[QualityCheck, Sequence[DeequCall]]],
    check_rows: Sequence[Mapping[str, Any]],
    metric_rows: Sequence[Mapping[str, Any]],
) -> tuple[ConstraintResult, ...]:
    """Turn Deequ's check results into result rows with the native engine's constraint texts.

    Parameters
    ----------
    table : str
    plans : mapping
        Check name -> (declared check, its constraint-adding calls in order).
    check_rows : sequence of mapping
        ``VerificationResult.checkResultsAsJson``: ``check``, ``check_level``, ``check_status``,
        ``constraint``, ``constraint_status``, ``constraint_message`` (one row per constraint, in
        constraint order within a check).
    metric_rows : sequence of mapping
        ``VerificationResult.successMetricsAsJson``: ``entity``, ``instance``, ``name``, ``value``.

    Raises
    ------
    ConfigurationError
        If Deequ reported a different number of constraints than were declared for a check.
    """
    values: dict[tuple[str, str], list[Any]] = {}
    for metric in metric_rows:
        values.setdefault((str(metric.get("name")), str(metric.get("instance"))), []).append(metric.get("value"))
    by_check: dict[str, list[Mapping[str, Any]]] = {}
    for row in check_rows:
        by_check.setdefault(str(row["check"]), []).append(row)
    results: list[ConstraintResult] = []
    for name, (check, calls) in plans.items():
        rows = by_check.get(name, [])
        if len(rows) != len(calls):
            raise ConfigurationError(
                f"{check.label}: Deequ reported {len(rows)} constraint result(s) "
                f"for {len(calls)} declared constraint(s)"
            )
        for call, row in zip(calls, rows, strict=True):
            found = values.get(call.metric, [])
            status = "Success" if row["constraint_status"] == "Success" else "Failure"
            results.append(
                ConstraintResult(
                    table, name, check_level(check.severity), "Success",
                    call.constraint.description if call.constraint else str(row["constraint"]),
                    status, str(row.get("constraint_message") or ""),
                    float(found[0]) if len(found) == 1 and found[0] is not None else None, "deequ",
                )
            )  # fmt: skip
    return tuple(results)


@contextmanager
def callback_server_guard(gateway: Any, *, timeout: float = SHUTDOWN_TIMEOUT_SECONDS) -> Iterator[None]:
    """Shut py4j's callback server down on exit, if it was started inside the block.

    pydeequ starts the callback server to call Python assertions from the JVM; a ``spark-submit``
    job may not exit while it runs (python-deequ #7). A server that was already running belongs to
    someone else and is left alone. The shutdown runs in a daemon thread with a timeout, since it
    can block on a half-closed socket.
    """
    was_running = gateway.get_callback_server() is not None
    try:
        yield
    finally:
        server = gateway.get_callback_server()
        if not was_running and server is not None and not getattr(server, "is_shutdown", False):
            worker = threading.Thread(target=gateway.shutdown_callback_server, daemon=True)
            worker.start()
            worker.join(timeout)
            if worker.is_alive():
                log.warning("py4j's callback server did not shut down within %.0f s; continuing", timeout)
            else:
                log.info("quality gate: shut down py4j's callback server started for pydeequ")


def run_deequ_checks(
    spark: SparkSession, table: str, df: DataFrame, checks: Sequence[QualityCheck]
) -> tuple[ConstraintResult, ...]:
    """Run the single-table checks of one table with pydeequ's ``VerificationSuite``.

    Call inside :func:`callback_server_guard`. Requires the Deequ jar (see :func:`deequ_status`).
    """
    if not checks:
        return ()
    pydeequ_checks, verification = import_pydeequ(spark)
    levels = {"error": pydeequ_checks.CheckLevel.Error, "warning": pydeequ_checks.CheckLevel.Warning}
    builder = verification.VerificationSuite(spark).onData(df)
    plans: dict[str, tuple[QualityCheck, list[DeequCall]]] = {}
    for check in checks:
        calls = translate_check(check, df.schema)
        deequ_check = apply_calls(pydeequ_checks.Check(spark, levels[check.severity], check.name), calls)
        builder = builder.addCheck(deequ_check)
        plans[check.name] = (check, [c for c in calls if c.constraint is not None])
    result = builder.run()
    rows = verification.VerificationResult.checkResultsAsJson(spark, result)
    metrics = verification.VerificationResult.successMetricsAsJson(spark, result)
    return convert_results(table, plans, rows, metrics)
