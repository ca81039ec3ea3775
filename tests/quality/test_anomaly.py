"""Anomaly checks against the metrics of previous runs."""

from __future__ import annotations

from gluestar.quality.anomaly import evaluate_anomaly, history_depth
from gluestar.quality.checks import Anomaly
from gluestar.quality.metrics import RunMetrics
from gluestar.quality.results import Metric


def _history(*values: float | None, name: str = "row_count", instance: str = "*") -> list[RunMetrics]:
    return [
        RunMetrics(f"r{i}", f"2025-01-0{i + 1}T00:00:00+00:00", () if v is None else (Metric("t", name, instance, v),))
        for i, v in enumerate(values)
    ]


def _outcome(check: Anomaly, current: float | None, history: list[RunMetrics]) -> tuple[str, str]:
    result = evaluate_anomaly(check, current, history)
    return result.constraint_status, result.constraint_message


RELATIVE = Anomaly(table="t", metric="row_count", strategy="relative_change", max_increase_pct=50, max_decrease_pct=10)


def test_relative_change_within_bounds_passes() -> None:
    assert _outcome(RELATIVE, 140.0, _history(50.0, 100.0)) == ("Success", "")


def test_relative_change_compares_with_the_latest_run_that_has_the_metric() -> None:
    assert _outcome(RELATIVE, 80.0, _history(100.0, None)) == (
        "Failure",
        "row_count of t changed by -20% (100 -> 80) since run r0; allowed: -10%..+50%",
    )


def test_relative_change_from_zero_is_infinite() -> None:
    assert _outcome(RELATIVE, 5.0, _history(0.0)) == (
        "Failure",
        "row_count of t changed by +inf% (0 -> 5) since run r0; allowed: -10%..+50%",
    )
    assert _outcome(RELATIVE, 0.0, _history(0.0)) == ("Success", "")


def test_absolute_change_with_one_bound() -> None:
    check = Anomaly(table="t", metric="row_count", strategy="absolute_change", max_decrease=0)
    assert _outcome(check, 12.0, _history(9.0)) == ("Success", "")
    assert _outcome(check, 8.0, _history(9.0)) == (
        "Failure",
        "row_count of t changed by -1 (9 -> 8) since run r0; allowed: -0..any",
    )


def test_band_around_the_mean_of_the_window() -> None:
    check = Anomaly(table="t", metric="sum", column="amount", strategy="band", tolerance_pct=10, window=2)
    history = _history(1000.0, 90.0, 110.0, name="sum", instance="amount")
    assert _outcome(check, 109.0, history) == ("Success", "")
    assert _outcome(check, 120.0, history) == (
        "Failure",
        "sum(amount) of t = 120 is outside 100 ± 10 (±10% of the mean of the last 2 run(s))",
    )


def test_no_history_passes_and_says_so() -> None:
    assert _outcome(RELATIVE, 10.0, []) == (
        "Success",
        "no previous run recorded row_count of t; nothing to compare yet",
    )


def test_a_metric_missing_in_this_run_fails() -> None:
    assert _outcome(RELATIVE, None, _history(10.0)) == ("Failure", "row_count of t could not be computed in this run")


def test_severity_and_result_shape() -> None:
    check = Anomaly(table="t", metric="row_count", strategy="relative_change", max_increase_pct=1, severity="warning")
    result = evaluate_anomaly(check, 3.0, _history(1.0))
    assert (result.check_level, result.constraint, result.metric_value) == (
        "Warning",
        "Anomaly(row_count) relative change any..+1%",
        3.0,
    )


def test_history_depth_is_the_largest_window() -> None:
    assert history_depth([RELATIVE]) == 1
    assert (
        history_depth([RELATIVE, Anomaly(table="t", metric="row_count", strategy="band", tolerance_pct=1, window=4)])
        == 4
    )
    assert history_depth([]) == 0
