"""Named checkpoints where reliability tests make a run fail: raise an exception or kill the process.

The pipeline calls :func:`checkpoint` at fixed points (:data:`CHECKPOINTS`); nothing happens unless a
test armed that point with :func:`inject`. Killing (``SIGKILL``) skips every ``finally`` block and
every clean-up, like a Glue worker lost or a job stopped by its timeout.

Examples
--------
>>> with inject("quality", RuntimeError("boom")):
...     try:
...         checkpoint("quality")
...     except RuntimeError as exc:
...         print(exc)
boom
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from gluestar.exceptions import ConfigurationError

__all__ = ["CHECKPOINTS", "KILL", "checkpoint", "inject"]

#: The checkpoints, in the order a run passes them: before reading; before the dimensions and facts
#: are built; between the first and the second fact table written; before the quality gate; right
#: before the snapshot is committed; in the Redshift load, between the dimensions and the facts.
CHECKPOINTS = ("read", "transform", "write", "quality", "publish", "load")
#: The action that kills the process instead of raising.
KILL = "kill"

_armed: dict[str, BaseException | str] = {}


def checkpoint(name: str) -> None:
    """Fail here if a test armed this checkpoint; otherwise do nothing."""
    action = _armed.get(name)
    if action is None:
        return
    if action == KILL:
        os.kill(os.getpid(), signal.SIGKILL)
    if isinstance(action, BaseException):
        raise action


@contextmanager
def inject(name: str, action: BaseException | str) -> Iterator[None]:
    """Arm checkpoint ``name`` with an exception to raise, or :data:`KILL`, for the ``with`` block.

    Raises
    ------
    ConfigurationError
        If ``name`` is not a checkpoint or ``action`` is neither an exception nor ``"kill"``.
    """
    if name not in CHECKPOINTS:
        raise ConfigurationError(f"unknown checkpoint {name!r}; one of: {', '.join(CHECKPOINTS)}")
    if not (isinstance(action, BaseException) or action == KILL):
        raise ConfigurationError(f"a checkpoint raises an exception or is {KILL!r}; got {action!r}")
    _armed[name] = action
    try:
        yield
    finally:
        _armed.pop(name, None)
