"""Validation of option values against their allowed set, with one message format everywhere.

Examples
--------
>>> check_choice("native", ("auto", "native", "deequ"), "quality engine")
'native'
>>> check_choice("spark", ("auto", "native", "deequ"), "quality engine")
Traceback (most recent call last):
...
gluestar.exceptions.ConfigurationError: quality engine must be one of 'auto', 'native', 'deequ'; got 'spark'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from gluestar.exceptions import ConfigurationError

__all__ = ["check_choice"]

_T = TypeVar("_T")


def check_choice(value: _T, allowed: Sequence[object], what: str) -> _T:
    """Return ``value`` when it is one of ``allowed``; else raise naming the value and the allowed set.

    Parameters
    ----------
    value : object
        The value given (an option, a job argument, a field of a JSON file).
    allowed : sequence
        The allowed values, in the order the message lists them (``typing.get_args`` of a ``Literal``).
    what : str
        What the value is, the start of the message (``"--REDSHIFT_EXECUTOR"``, ``"quality engine"``).

    Raises
    ------
    ConfigurationError
        ``<what> must be one of 'a', 'b'; got 'c'``.
    """
    if value not in allowed:
        raise ConfigurationError(f"{what} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value
