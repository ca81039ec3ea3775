"""run_concurrently: results by name, the caller's Spark labels and log context in every thread, failures."""

from __future__ import annotations

import threading
import time

import pytest
from pyspark.sql import SparkSession

from gluestar.ops.logs import current_log_context, log_context
from gluestar.parallel import run_concurrently


def test_results_come_back_by_name_in_the_order_of_the_calls(spark: SparkSession) -> None:
    results = run_concurrently({"b": lambda: spark.range(5).count(), "a": lambda: spark.range(3).count()})

    assert list(results.items()) == [("b", 5), ("a", 3)]


def test_every_thread_sees_the_callers_job_group_and_log_context(spark: SparkSession) -> None:
    context = spark.sparkContext
    seen: dict[str, tuple[str | None, str | None, str]] = {}

    def look(name: str) -> None:
        seen[name] = (
            context.getLocalProperty("spark.jobGroup.id"),
            current_log_context().get("stage"),
            threading.current_thread().name,
        )

    context.setLocalProperty("spark.jobGroup.id", "gluestar:test")
    try:
        with log_context(stage="dimensions"):
            run_concurrently({"x": lambda: look("x"), "y": lambda: look("y")})
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)

    assert {name: values[:2] for name, values in seen.items()} == {
        "x": ("gluestar:test", "dimensions"),
        "y": ("gluestar:test", "dimensions"),
    }
    assert all(values[2].startswith("gluestar") for values in seen.values())


def test_the_first_failure_is_raised_after_every_call_has_finished() -> None:
    finished: list[str] = []

    def slow() -> str:
        time.sleep(0.3)
        finished.append("slow")
        return "done"

    def fail(message: str) -> str:
        raise ValueError(message)

    with pytest.raises(ValueError, match=r"^first$"):
        run_concurrently({"a": lambda: fail("first"), "b": slow, "c": lambda: fail("second")})

    assert finished == ["slow"]


def test_a_single_call_runs_in_the_callers_thread() -> None:
    assert run_concurrently({"only": lambda: threading.current_thread().name}) == {
        "only": threading.current_thread().name
    }
    assert run_concurrently({}) == {}
