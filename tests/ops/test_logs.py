"""Structured logs: one JSON object per line with the run id, pipeline and stage; secrets masked."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from gluestar.exceptions import ConfigurationError
from gluestar.ops.logs import (
    JsonFormatter,
    LogContextFilter,
    TextFormatter,
    configure_logging,
    current_log_context,
    log_context,
    set_log_context,
)
from gluestar.ops.redact import register_secret


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LogContextFilter())
    logger = logging.getLogger("gluestar.test_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)
    set_log_context(run_id=None, pipeline=None, stage=None, job_name=None, job_run_id=None)


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_object_with_every_field(lines):
    set_log_context(run_id="r1", pipeline="finance")
    with log_context(stage="facts"):
        logging.getLogger("gluestar.test_logs").info("wrote %d rows", 251)
    (record,) = _records(lines)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", record.pop("timestamp"))
    assert record == {
        "level": "INFO",
        "logger": "gluestar.test_logs",
        "message": "wrote 251 rows",
        "run_id": "r1",
        "pipeline": "finance",
        "stage": "facts",
        "job_name": None,
        "job_run_id": None,
    }


def test_the_stage_is_restored_after_its_block(lines):
    logger = logging.getLogger("gluestar.test_logs")
    with log_context(stage="quality"):
        with log_context(stage="publish"):
            logger.info("inner")
        logger.info("outer")
    logger.info("after")
    assert [r["stage"] for r in _records(lines)] == ["publish", "quality", None]


def test_a_multi_line_message_and_an_exception_stay_on_one_line(lines):
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        logging.getLogger("gluestar.test_logs").exception("failed:\nsee below")
    text = lines.getvalue()
    assert text.count("\n") == 1
    (record,) = _records(lines)
    assert record["message"] == "failed:\nsee below"
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert record["exception"].endswith("ValueError: bad\nvalue")


def test_extra_fields_are_kept(lines):
    logging.getLogger("gluestar.test_logs").warning("slow", extra={"seconds": 12.5, "table": "fact_gl_transaction"})
    (record,) = _records(lines)
    assert (record["seconds"], record["table"]) == (12.5, "fact_gl_transaction")


def test_registered_secrets_are_masked_in_json_and_text():
    register_secret("s3cr3t-Passw0rd!")
    record = logging.LogRecord("gluestar", logging.INFO, __file__, 1, "password is %s", ("s3cr3t-Passw0rd!",), None)
    LogContextFilter().filter(record)
    assert "s3cr3t" not in JsonFormatter().format(record)
    assert json.loads(JsonFormatter().format(record))["message"] == "password is ***"
    assert TextFormatter().format(record).endswith("INFO gluestar: password is ***")


def test_an_unknown_context_field_is_refused():
    message = "log context field must be one of 'run_id', 'pipeline', 'stage', 'job_name', 'job_run_id'; got 'table'"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        set_log_context(table="x")


def test_configure_logging_installs_one_handler_writing_json_to_stderr(capsys):
    first = configure_logging("text")
    handler = configure_logging("json")
    root = logging.getLogger()
    assert handler in root.handlers and first not in root.handlers
    with log_context(pipeline="finance", run_id="r9", stage="read"):
        logging.getLogger("gluestar.x").info("hello")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["message"], line["pipeline"], line["run_id"], line["stage"]) == ("hello", "finance", "r9", "read")
    assert current_log_context()["stage"] is None
    root.removeHandler(handler)


def test_configure_logging_refuses_an_unknown_format():
    message = "--LOG_FORMAT must be one of 'text', 'json'; got 'xml'"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        configure_logging("xml")
