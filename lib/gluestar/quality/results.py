"""Quality results: one row per constraint, shaped like pydeequ's ``checkResultsAsDataFrame``.

Both engines produce :class:`ConstraintResult` rows with pydeequ's columns (``check``,
``check_level``, ``check_status``, ``constraint``, ``constraint_status``, ``constraint_message``)
plus ``table``, ``metric_value`` and the ``engine`` that evaluated the constraint. A
:class:`QualityReport` holds the rows of one gate run, the metrics it computed, and turns error
failures into a :class:`~gluestar.exceptions.DataQualityError` as a separate step.

Examples
--------
>>> row = ConstraintResult("t", "t: id is unique", "Error", "Success", "Uniqueness(id) == 1", "Success", "", 1.0)
>>> report = QualityReport(engine="native", results=(row,))
>>> report.status, report.errors
('passed', ())
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from pyspark.sql import DataFrame, SparkSession

from gluestar.exceptions import DataQualityError

__all__ = [
    "RESULT_SCHEMA",
    "CheckLevel",
    "CheckStatus",
    "ConstraintResult",
    "ConstraintStatus",
    "Metric",
    "QualityReport",
    "check_level",
    "render_summary",
    "with_check_status",
]

CheckLevel = Literal["Error", "Warning"]
CheckStatus = Literal["Success", "Warning", "Error"]
ConstraintStatus = Literal["Success", "Failure"]

#: DDL of :meth:`QualityReport.to_dataframe`: pydeequ's result columns, then gluestar's.
RESULT_SCHEMA = (
    "check string, check_level string, check_status string, constraint string, constraint_status string, "
    "constraint_message string, metric_value double, table string, engine string"
)


def check_level(severity: str) -> CheckLevel:
    """pydeequ's ``CheckLevel`` name of a declared severity.

    Examples
    --------
    >>> check_level("warning")
    'Warning'
    """
    return "Error" if severity == "error" else "Warning"


@dataclass(frozen=True)
class ConstraintResult:
    """The outcome of one constraint.

    Attributes
    ----------
    table, check : str
        The table and the check's readable name.
    check_level : {"Error", "Warning"}
        The check's severity, as pydeequ names it.
    check_status : {"Success", "Warning", "Error"}
        ``Success`` when every constraint of the check passed, else the check level.
    constraint : str
        What was asserted, e.g. ``Completeness(amount) == 1``.
    constraint_status : {"Success", "Failure"}
    constraint_message : str
        Empty on success; what was found otherwise.
    metric_value : float or None
        The measured value (fraction, count, minimum, difference, ...), None if it could not be computed.
    engine : str
        ``native`` or ``deequ``.
    """

    table: str
    check: str
    check_level: CheckLevel
    check_status: CheckStatus
    constraint: str
    constraint_status: ConstraintStatus
    constraint_message: str
    metric_value: float | None = None
    engine: str = "native"

    @property
    def failed(self) -> bool:
        """True when the constraint failed."""
        return self.constraint_status == "Failure"

    def as_row(self) -> dict[str, Any]:
        """The result as a plain dict (JSON-safe)."""
        data = asdict(self)
        value = data["metric_value"]
        data["metric_value"] = None if value is None or not math.isfinite(value) else float(value)
        return data


def with_check_status(results: Sequence[ConstraintResult]) -> tuple[ConstraintResult, ...]:
    """Set each row's ``check_status`` from all the constraints of its check (as Deequ does).

    Examples
    --------
    >>> a = ConstraintResult("t", "c", "Warning", "Success", "x", "Success", "")
    >>> b = ConstraintResult("t", "c", "Warning", "Success", "y", "Failure", "bad")
    >>> [r.check_status for r in with_check_status([a, b])]
    ['Warning', 'Warning']
    """
    failed = {(r.table, r.check) for r in results if r.failed}
    return tuple(replace(r, check_status=r.check_level if (r.table, r.check) in failed else "Success") for r in results)


@dataclass(frozen=True)
class Metric:
    """One metric of one table, keyed like Deequ's metrics (``name`` and ``instance``).

    Examples
    --------
    >>> Metric("fact_sales", "sum", "amount", 12.5).key
    ('fact_sales', 'sum', 'amount')
    """

    table: str
    name: str
    instance: str
    value: float | None

    @property
    def key(self) -> tuple[str, str, str]:
        """``(table, name, instance)``."""
        return (self.table, self.name, self.instance)


@dataclass
class QualityReport:
    """Everything one run of the quality gate found.

    Attributes
    ----------
    engine : str
        The engine that ran the single-table checks (``native`` or ``deequ``).
    results : tuple of ConstraintResult
        One row per constraint, in declaration order.
    metrics : tuple of Metric
        Row counts, null fractions and sums of every table (what the metrics repository keeps).
    run_id : str or None
    seconds : float
        Wall time of the gate.
    notes : list of str
        What the engine choice left to the native engine, and similar remarks.
    """

    engine: str
    results: tuple[ConstraintResult, ...] = ()
    metrics: tuple[Metric, ...] = ()
    run_id: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> tuple[ConstraintResult, ...]:
        """Failed constraints of ``error`` checks."""
        return tuple(r for r in self.results if r.failed and r.check_level == "Error")

    @property
    def warnings(self) -> tuple[ConstraintResult, ...]:
        """Failed constraints of ``warning`` checks."""
        return tuple(r for r in self.results if r.failed and r.check_level == "Warning")

    @property
    def passed(self) -> bool:
        """True when no ``error`` check failed (warnings allowed)."""
        return not self.errors

    @property
    def status(self) -> Literal["passed", "warnings", "failed"]:
        """``failed`` (an error check failed), ``warnings`` or ``passed``."""
        if self.errors:
            return "failed"
        return "warnings" if self.warnings else "passed"

    def metric(self, table: str, name: str, instance: str = "*") -> float | None:
        """The value of one metric, e.g. ``metric("fact_sales", "row_count")``.

        Raises
        ------
        KeyError
            If the gate did not compute it.
        """
        for metric in self.metrics:
            if metric.key == (table, name, instance):
                return metric.value
        raise KeyError((table, name, instance))

    def raise_for_errors(self, *, note: str = "") -> None:
        """Raise :class:`DataQualityError` listing every failed ``error`` check; return otherwise.

        Parameters
        ----------
        note : str, optional
            Appended to the message, e.g. ``"nothing was published"``.

        Examples
        --------
        >>> bad = ConstraintResult("t", "t: has rows", "Error", "Error", "1 <= Size", "Failure", "Value: 0 ...", 0)
        >>> QualityReport("native", (bad,)).raise_for_errors()
        Traceback (most recent call last):
        ...
        gluestar.exceptions.DataQualityError: quality gate failed: 1 error check failed: [t] t: has rows: Value: 0 ...
        """
        if not self.errors:
            return
        failed: dict[tuple[str, str], list[str]] = {}
        for row in self.errors:
            failed.setdefault((row.table, row.check), []).append(row.constraint_message)
        listed = "; ".join(f"[{table}] {check}: {' / '.join(messages)}" for (table, check), messages in failed.items())
        plural = "check" if len(failed) == 1 else "checks"
        message = f"quality gate failed: {len(failed)} error {plural} failed: {listed}"
        raise DataQualityError(f"{message}; {note}" if note else message)

    def summary(self) -> dict[str, Any]:
        """A compact, JSON-safe summary for the run report.

        Keys: ``engine``, ``status``, ``checks``/``constraints`` counted, ``failed`` counts by
        severity, ``failures`` (table, check, level, message) and ``check_status`` (one entry per
        check, in declaration order).
        """
        per_check: dict[tuple[str, str], dict[str, Any]] = {}
        for row in self.results:
            entry = per_check.setdefault(
                (row.table, row.check),
                {"table": row.table, "check": row.check, "level": row.check_level, "status": row.check_status},
            )
            entry["status"] = row.check_status
        failed_checks = {"error": 0, "warning": 0}
        for entry in per_check.values():
            if entry["status"] != "Success":
                failed_checks["error" if entry["level"] == "Error" else "warning"] += 1
        return {
            "engine": self.engine,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "checks": len(per_check),
            "constraints": len(self.results),
            "passed_constraints": sum(1 for r in self.results if not r.failed),
            "failed_checks": failed_checks,
            "failures": [
                {"table": r.table, "check": r.check, "level": r.check_level, "message": r.constraint_message}
                for r in self.results
                if r.failed
            ],
            "check_status": list(per_check.values()),
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict[str, Any]:
        """The full report as plain data: summary, every result row and every metric."""
        return {
            "run_id": self.run_id,
            **self.summary(),
            "results": [r.as_row() for r in self.results],
            "metrics": [
                {**asdict(m), "value": None if m.value is None or not math.isfinite(m.value) else m.value}
                for m in self.metrics
            ],
        }

    def to_json(self) -> str:
        """The full report as indented JSON (what the gate writes to ``_quality/<run_id>.json``)."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> QualityReport:
        """Read a report written by :meth:`to_json`."""
        data = json.loads(text)
        return cls(
            engine=data["engine"],
            results=tuple(ConstraintResult(**row) for row in data["results"]),
            metrics=tuple(Metric(**m) for m in data["metrics"]),
            run_id=data.get("run_id"),
            seconds=float(data.get("seconds", 0.0)),
            notes=list(data.get("notes", [])),
        )

    def to_dataframe(self, spark: SparkSession) -> DataFrame:
        """The result rows as a DataFrame with pydeequ's columns first (see :data:`RESULT_SCHEMA`)."""
        rows = [
            (r.check, r.check_level, r.check_status, r.constraint, r.constraint_status, r.constraint_message,
             r.as_row()["metric_value"], r.table, r.engine)
            for r in self.results
        ]  # fmt: skip
        return spark.createDataFrame(rows, RESULT_SCHEMA)

    def render(self) -> str:
        """The report as readable text: one line per check, then every failed constraint.

        Examples
        --------
        >>> ok = ConstraintResult("t", "t: id is unique", "Error", "Success", "Uniqueness(id) == 1", "Success", "", 1.0)
        >>> print(QualityReport("native", (ok,)).render().splitlines()[0])
        quality gate (native): passed - 1 check(s), 1 constraint(s), 0 error(s), 0 warning(s)
        """
        return "\n".join(render_summary(self.summary()))


def render_summary(summary: dict[str, Any]) -> list[str]:
    """Lines describing a :meth:`QualityReport.summary` (also used by the run report)."""
    failed = summary.get("failed_checks", {})
    lines = [
        f"quality gate ({summary.get('engine')}): {summary.get('status')} - {summary.get('checks', 0)} check(s), "
        f"{summary.get('constraints', 0)} constraint(s), {failed.get('error', 0)} error(s), "
        f"{failed.get('warning', 0)} warning(s)"
    ]
    entries = summary.get("check_status", [])
    if entries:
        width = max(len(e["check"]) for e in entries)
        lines += [f"  {'check'.ljust(width)}  level    status", f"  {'-' * width}  -------  -------"]
        lines += [f"  {e['check'].ljust(width)}  {e['level']:<7}  {e['status']}" for e in entries]
    for failure in summary.get("failures", []):
        lines.append(f"  {failure['level'].upper()}: [{failure['table']}] {failure['check']}: {failure['message']}")
    lines += [f"  note: {note}" for note in summary.get("notes", [])]
    return lines
