"""Structured logs: one JSON object per line with the run id, the pipeline and the stage.

CloudWatch Logs Insights discovers the fields of JSON log lines by itself, so a query such as::

    fields @timestamp, level, stage, message
    | filter pipeline = "finance" and run_id = "20250701T020000123456Z" and level = "ERROR"

finds one run's errors without parsing text. The context fields come from :mod:`contextvars`, so a
pipeline sets them once and every logger of the process (gluestar's, py4j's, the job script's) picks
them up through :class:`LogContextFilter`:

* :func:`set_log_context` sets fields for the rest of the run (``run_id``, ``pipeline``);
* :func:`log_context` sets fields for a block and restores them after (``stage``).

Only Python's logging is formatted here; Spark's own log4j output is left as it is.

Examples
--------
>>> import io, json, logging
>>> stream = io.StringIO()
>>> handler = logging.StreamHandler(stream)
>>> handler.setFormatter(JsonFormatter())
>>> handler.addFilter(LogContextFilter())
>>> logger = logging.getLogger("gluestar.example")
>>> logger.addHandler(handler)
>>> with log_context(run_id="r1", pipeline="finance", stage="facts"):
...     logger.warning("3 rows quarantined")
>>> line = json.loads(stream.getvalue())
>>> line["message"], line["run_id"], line["pipeline"], line["stage"], line["level"]
('3 rows quarantined', 'r1', 'finance', 'facts', 'WARNING')
>>> logger.removeHandler(handler)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, Final, Literal, TextIO, get_args

from gluestar.ops.redact import redact
from gluestar.options import check_choice

__all__ = [
    "CONTEXT_FIELDS",
    "LOG_FORMATS",
    "TEXT_FORMAT",
    "JsonFormatter",
    "LogContextFilter",
    "LogFormat",
    "TextFormatter",
    "configure_logging",
    "current_log_context",
    "log_context",
    "set_log_context",
]

LogFormat = Literal["text", "json"]
LOG_FORMATS: Final[tuple[str, ...]] = get_args(LogFormat)

#: Context fields every record carries (None when not set).
CONTEXT_FIELDS: Final[tuple[str, ...]] = ("run_id", "pipeline", "stage", "job_name", "job_run_id")
#: The text format: what ``run_job`` has always printed.
TEXT_FORMAT: Final[str] = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_CONTEXT: dict[str, ContextVar[str | None]] = {
    name: ContextVar(f"gluestar_{name}", default=None) for name in CONTEXT_FIELDS
}
# Attributes of a LogRecord that are not "extra" fields given by the caller.
_RECORD_ATTRIBUTES: Final[frozenset[str]] = frozenset(
    {*logging.LogRecord("", 0, "", 0, "", None, None).__dict__, "message", "asctime", *CONTEXT_FIELDS}
)


def _check_fields(fields: dict[str, Any]) -> None:
    for name in fields:
        check_choice(name, CONTEXT_FIELDS, "log context field")


def set_log_context(**fields: str | None) -> None:
    """Set context fields for the rest of the current context (a job's whole run).

    Examples
    --------
    >>> set_log_context(run_id="r1", pipeline="finance")
    >>> current_log_context()["run_id"]
    'r1'
    >>> set_log_context(run_id=None, pipeline=None)
    """
    _check_fields(fields)
    for name, value in fields.items():
        _CONTEXT[name].set(None if value is None else str(value))


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Set context fields for a block (a pipeline stage) and restore the previous values after it.

    Examples
    --------
    >>> with log_context(stage="publish"):
    ...     current_log_context()["stage"]
    'publish'
    >>> current_log_context()["stage"] is None
    True
    """
    _check_fields(fields)
    tokens: list[tuple[str, Token[str | None]]] = [
        (name, _CONTEXT[name].set(None if value is None else str(value))) for name, value in fields.items()
    ]
    try:
        yield
    finally:
        for name, token in reversed(tokens):
            _CONTEXT[name].reset(token)


def current_log_context() -> dict[str, str | None]:
    """The context fields as they are now (every field, None when unset)."""
    return {name: var.get() for name, var in _CONTEXT.items()}


class LogContextFilter(logging.Filter):
    """Adds the context fields to every record it sees (fields given with ``extra=`` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_log_context().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, the context fields, extras, exception.

    ``timestamp`` is UTC ISO 8601 with milliseconds. Extra fields passed with ``extra={...}`` are kept
    when JSON can hold them (others become their ``repr``). Every value goes through
    :func:`gluestar.ops.redact.redact`.
    """

    def format(self, record: logging.LogRecord) -> str:
        timestamp = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
        data: dict[str, Any] = {
            "timestamp": timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            data[name] = getattr(record, name, None)
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                data[name] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(data, default=repr, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """The readable one-line format (:data:`TEXT_FORMAT`), with secrets masked."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record (pytest swaps it per test)."""

    _gluestar = True

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(log_format: str = "text", *, level: int = logging.INFO) -> logging.Handler:
    """Send Python logging to stderr as text or JSON lines, with the context fields; idempotent.

    Installs one handler on the root logger (replacing the one a previous call installed; handlers
    others installed are left alone) and sets the root level. Glue 5 sends a job's stderr to the
    CloudWatch log group ``<prefix>/output``.

    Parameters
    ----------
    log_format : {"text", "json"}, default "text"
        ``json`` for CloudWatch (one object per line), ``text`` for people.
    level : int, default logging.INFO
        Root logger level.

    Returns
    -------
    logging.Handler
        The installed handler.

    Raises
    ------
    ConfigurationError
        If ``log_format`` is not ``text`` or ``json``.

    Examples
    --------
    >>> handler = configure_logging("json")
    >>> type(handler.formatter).__name__
    'JsonFormatter'
    """
    check_choice(log_format, LOG_FORMATS, "--LOG_FORMAT")
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "_gluestar", False)]:
        root.removeHandler(existing)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(LogContextFilter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler
