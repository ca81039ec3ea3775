"""Keep secret values out of logs, alerts and error lines.

Secrets come only from AWS Secrets Manager (:mod:`gluestar.redshift.secrets`); the code that reads
one registers its sensitive values here with :func:`register_secret`, and every place that writes text
out of the process (the log formatters of :mod:`gluestar.ops.logs`, SNS alerts, the one-line error of
:func:`gluestar.glue.run_job`) passes it through :func:`redact`. This is a second line of defence: no
message is meant to hold a secret in the first place.

Examples
--------
>>> register_secret("s3cr3t-Passw0rd")
>>> redact("login failed for password s3cr3t-Passw0rd")
'login failed for password ***'
>>> forget_secrets()
"""

from __future__ import annotations

import threading
from typing import Final

__all__ = ["MASK", "MIN_SECRET_LENGTH", "forget_secrets", "redact", "register_secret"]

#: What a secret value is replaced with.
MASK: Final[str] = "***"
#: Shorter values are not registered: masking "a" or "1" everywhere would garble every message.
MIN_SECRET_LENGTH: Final[int] = 4

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask ``value`` in everything :func:`redact` sees from now on (values under 4 characters are ignored).

    Examples
    --------
    >>> register_secret("hunter22")
    >>> redact("pw=hunter22")
    'pw=***'
    >>> forget_secrets()
    """
    if value is None or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        _secrets.add(value)


def forget_secrets() -> None:
    """Forget every registered value (tests; a long-lived process that rotated its credentials)."""
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    """``text`` with every registered secret value replaced by ``***`` (longest values first).

    Examples
    --------
    >>> redact("nothing registered, nothing changed")
    'nothing registered, nothing changed'
    """
    with _lock:
        values = sorted(_secrets, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text
