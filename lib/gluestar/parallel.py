"""Independent Spark actions run at once from driver threads.

A pipeline's small writes (a dimension, a state table) are chains of one-task stages: run one after
another, the second core waits while the driver plans the next stage. :func:`run_concurrently`
starts them together from a few driver threads, each inheriting the caller's Spark job labels and
log context, so their stages interleave.

Examples
--------
>>> run_concurrently({"a": lambda: spark.range(3).count(), "b": lambda: spark.range(5).count()})
{'a': 3, 'b': 5}
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from pyspark import inheritable_thread_target

__all__ = ["run_concurrently"]

_T = TypeVar("_T")


def run_concurrently(calls: Mapping[str, Callable[[], _T]], *, threads: int = 4) -> dict[str, _T]:
    """Run independent calls that start Spark jobs at once, from driver threads; return their results.

    Each thread inherits the caller's Spark local properties (job group, description: see
    :func:`gluestar.pipelines.runner.timed_stage`) and log context (:mod:`gluestar.ops.logs`).
    Every call finishes before the first failure, in the order of ``calls``, is raised. One call
    runs in the caller's thread.

    Examples
    --------
    >>> run_concurrently({"a": lambda: spark.range(3).count(), "b": lambda: spark.range(5).count()})
    {'a': 3, 'b': 5}
    """
    if len(calls) <= 1:
        return {name: call() for name, call in calls.items()}

    def in_thread(call: Callable[[], _T]) -> Callable[[], _T]:
        context = contextvars.copy_context()  # one per thread: a context is entered by one thread at a time
        return inheritable_thread_target(lambda: context.run(call))  # Spark's local properties

    with ThreadPoolExecutor(max_workers=min(threads, len(calls)), thread_name_prefix="gluestar") as pool:
        futures = {name: pool.submit(in_thread(call)) for name, call in calls.items()}
        wait(futures.values())
    return {name: future.result() for name, future in futures.items()}
