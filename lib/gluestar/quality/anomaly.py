"""Anomaly checks: a metric of this run compared with the same metric of previous successful runs.

The strategies mirror Deequ's anomaly detection (see :class:`~gluestar.quality.checks.Anomaly`):
``relative_change`` and ``absolute_change`` compare with the latest previous value, ``band``
with the mean of the last ``window`` values. The history comes from the
:class:`~gluestar.quality.metrics.MetricsRepository`, which only holds successful runs. With no
history the check passes and says there was nothing to compare.

Examples
--------
>>> from gluestar.quality.checks import Anomaly
>>> from gluestar.quality.metrics import RunMetrics
>>> from gluestar.quality.results import Metric
>>> check = Anomaly(table="t", metric="row_count", strategy="relative_change", max_decrease_pct=10)
>>> previous = RunMetrics("r1", "2025-01-01T00:00:00+00:00", (Metric("t", "row_count", "*", 100.0),))
>>> evaluate_anomaly(check, 80.0, [previous]).constraint_message
'row_count of t changed by -20% (100 -> 80) since run r1; allowed: -10%..any'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gluestar.quality.checks import Anomaly, QualityCheck
from gluestar.quality.metrics import RunMetrics
from gluestar.quality.results import ConstraintResult, check_level

__all__ = ["anomaly_metric", "evaluate_anomaly", "history_depth"]


def history_depth(checks: Sequence[QualityCheck]) -> int:
    """How many previous runs the anomaly checks need (0 when there are none).

    Examples
    --------
    >>> history_depth([Anomaly(table="t", metric="row_count", strategy="band", tolerance_pct=10, window=7)])
    7
    """
    depths = [c.window if c.strategy == "band" else 1 for c in checks if isinstance(c, Anomaly)]
    return max(depths, default=0)


def anomaly_metric(check: Anomaly) -> tuple[str, str]:
    """The ``(name, instance)`` of the metric an anomaly check watches.

    Examples
    --------
    >>> anomaly_metric(Anomaly(table="t", metric="sum", column="amount", strategy="band", tolerance_pct=5))
    ('sum', 'amount')
    """
    return (check.metric, check.column or "*")


def _bounds(low: float | None, high: float | None, unit: str) -> str:
    return f"{'any' if low is None else f'-{low:g}{unit}'}..{'any' if high is None else f'+{high:g}{unit}'}"


def _description(check: Anomaly) -> str:
    if check.strategy == "band":
        rule = f"within {check.tolerance_pct:g}% of the mean of the last {check.window} run(s)"
    elif check.strategy == "relative_change":
        rule = f"relative change {_bounds(check.max_decrease_pct, check.max_increase_pct, '%')}"
    else:
        rule = f"absolute change {_bounds(check.max_decrease, check.max_increase, '')}"
    return f"Anomaly({check.metric_label}) {rule}"


def _result(check: Anomaly, failed: bool, message: str, value: float | None) -> ConstraintResult:
    return ConstraintResult(
        check.table, check.name, check_level(check.severity), "Success", _description(check),
        "Failure" if failed else "Success", message, value,
    )  # fmt: skip


def evaluate_anomaly(check: Anomaly, current: float | None, history: Sequence[RunMetrics]) -> ConstraintResult:
    """Evaluate one anomaly check.

    Parameters
    ----------
    check : Anomaly
    current : float or None
        The metric in this run (None when it could not be computed, e.g. a sum over no rows).
    history : sequence of RunMetrics
        Previous successful runs, oldest first; runs without the metric are skipped.

    Returns
    -------
    ConstraintResult
        ``metric_value`` is the current value.
    """
    name, instance = anomaly_metric(check)
    label = f"{check.metric_label} of {check.table}"
    if current is None or not math.isfinite(current):
        return _result(check, True, f"{label} could not be computed in this run", None)
    points = [(run.run_id, v) for run in history if (v := run.value(check.table, name, instance)) is not None]
    if not points:
        return _result(check, False, f"no previous run recorded {label}; nothing to compare yet", current)
    previous_run, previous = points[-1]
    if check.strategy == "band":
        recent = [v for _, v in points[-check.window :]]
        mean = sum(recent) / len(recent)
        allowed = abs(mean) * (check.tolerance_pct or 0.0) / 100.0
        failed = abs(current - mean) > allowed
        message = (
            f"{label} = {current:g} is outside {mean:g} ± {allowed:g} "
            f"(±{check.tolerance_pct:g}% of the mean of the last {len(recent)} run(s))"
        )
        return _result(check, failed, message if failed else "", current)
    if check.strategy == "relative_change":
        if previous == 0:
            change = 0.0 if current == 0 else math.copysign(math.inf, current)
        else:
            change = (current - previous) / abs(previous) * 100.0
        low, high, unit = check.max_decrease_pct, check.max_increase_pct, "%"
    else:
        change = current - previous
        low, high, unit = check.max_decrease, check.max_increase, ""
    failed = (high is not None and change > high) or (low is not None and change < -low)
    message = (
        f"{label} changed by {change:+g}{unit} ({previous:g} -> {current:g}) since run {previous_run}; "
        f"allowed: {_bounds(low, high, unit)}"
    )
    return _result(check, failed, message if failed else "", current)
