"""Tests of gluestar.glue: job arguments, session settings and clean failures."""

from __future__ import annotations

import re
import sys

import pytest

from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.glue import (
    SESSION_SETTINGS,
    JobContext,
    configure_session,
    parse_bool,
    parse_float,
    parse_int,
    resolve_options,
    run_job,
    shuffle_partitions,
)

# resolve_options ---------------------------------------------------------------------------------


def test_resolve_options_reads_required_and_present_optional_arguments():
    argv = ["job.py", "--JOB_NAME", "finance", "--RUN_ID", "r1", "--RAW_PATH", "s3://raw"]
    assert resolve_options(argv, ["JOB_NAME", "RAW_PATH"], {"RUN_ID": None}) == {
        "JOB_NAME": "finance",
        "RAW_PATH": "s3://raw",
        "RUN_ID": "r1",
    }


def test_resolve_options_gives_absent_optional_arguments_their_default():
    argv = ["job.py", "--JOB_NAME", "finance"]
    assert resolve_options(argv, ["JOB_NAME"], {"RUN_ID": None, "FISCAL_YEAR_START_MONTH": "1"}) == {
        "JOB_NAME": "finance",
        "RUN_ID": None,
        "FISCAL_YEAR_START_MONTH": "1",
    }


def test_resolve_options_accepts_name_equals_value():
    argv = ["job.py", "--JOB_NAME=finance", "--RUN_ID=r1"]
    assert resolve_options(argv, ["JOB_NAME"], {"RUN_ID": None}) == {"JOB_NAME": "finance", "RUN_ID": "r1"}


def test_resolve_options_names_every_missing_required_argument():
    message = "missing job argument(s): --RAW_PATH, --PROCESSED_PATH"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        resolve_options(["job.py", "--JOB_NAME", "j"], ["JOB_NAME", "RAW_PATH", "PROCESSED_PATH"], {"RUN_ID": None})


def test_resolve_options_rejects_an_argument_without_a_value():
    message = "invalid job arguments: argument --JOB_NAME: expected one argument"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        resolve_options(["job.py", "--JOB_NAME"], ["JOB_NAME"])


def test_resolve_options_without_awsglue(monkeypatch):
    monkeypatch.setitem(sys.modules, "awsglue.utils", None)
    message = "the awsglue package is not installed; locally install it with: pip install 'gluestar[local]'"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        resolve_options(["job.py", "--JOB_NAME", "j"], ["JOB_NAME"])


# parse_int, parse_bool ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("7", 7), (" 12 ", 12), ("-1", -1)])
def test_parse_int(value, expected):
    assert parse_int(value, "FISCAL_YEAR_START_MONTH") == expected


@pytest.mark.parametrize("value", ["seven", "7.5", "", None])
def test_parse_int_names_the_argument_and_the_value(value):
    message = f"--FISCAL_YEAR_START_MONTH must be an integer; got {value!r}"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        parse_int(value, "FISCAL_YEAR_START_MONTH")


@pytest.mark.parametrize(("value", "expected"), [("120", 120.0), (" 0.5 ", 0.5)])
def test_parse_float(value, expected):
    assert parse_float(value, "LOCK_TTL_MINUTES") == expected


@pytest.mark.parametrize("value", ["two hours", "", None])
def test_parse_float_names_the_argument_and_the_value(value):
    message = f"--LOCK_TTL_MINUTES must be a number; got {value!r}"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        parse_float(value, "LOCK_TTL_MINUTES")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("1", True),
        ("false", False),
        ("No", False),
        ("0", False),
        ("", False),
        (None, False),
    ],
)
def test_parse_bool(value, expected):
    assert parse_bool(value, "FULL_REFRESH") is expected


@pytest.mark.parametrize("value", ["maybe", "2", "t"])
def test_parse_bool_names_the_argument_and_the_value(value):
    message = f"--FULL_REFRESH must be true or false; got {value!r}"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        parse_bool(value, "FULL_REFRESH")


# configure_session, JobContext -------------------------------------------------------------------


def test_configure_session_applies_every_setting(spark):
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "static")
    spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "true")
    assert configure_session(spark) is spark
    assert {key: spark.conf.get(key) for key in SESSION_SETTINGS} == dict(SESSION_SETTINGS)


def test_configure_session_keeps_shuffle_partitions_set_at_launch(spark):
    # The test session sets spark.sql.shuffle.partitions=2 when it starts: a launch setting wins.
    configure_session(spark)
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"


@pytest.mark.parametrize(("cores", "expected"), [(1, 16), (2, 32), (40, 640), (0, 16)])
def test_shuffle_partitions_are_sixteen_per_core(cores, expected):
    assert shuffle_partitions(cores) == expected


def test_session_settings_keep_dates_in_utc_and_overwrites_dynamic():
    assert SESSION_SETTINGS["spark.sql.session.timeZone"] == "UTC"
    assert SESSION_SETTINGS["spark.sql.sources.partitionOverwriteMode"] == "dynamic"
    assert SESSION_SETTINGS["spark.sql.csv.parser.columnPruning.enabled"] == "false"


def test_job_context_outside_glue_commits_nothing(spark):
    context = JobContext(spark=spark)
    context.commit()
    assert not context.in_glue


def test_job_context_in_glue_commits_the_job(spark):
    class FakeJob:
        committed = False

        def commit(self):
            self.committed = True

    job = FakeJob()
    context = JobContext(spark=spark, glue_context=object(), job=job)
    context.commit()
    assert context.in_glue
    assert job.committed


# run_job -----------------------------------------------------------------------------------------


def test_run_job_exits_0_after_main_succeeds(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_job(lambda: None)
    assert exit_info.value.code == 0
    assert capsys.readouterr().err == ""


def test_run_job_exits_1_with_one_line_for_a_gluestar_error(capsys):
    def main():
        raise SchemaContractError("transactions.csv: missing required column(s): amount")

    with pytest.raises(SystemExit) as exit_info:
        run_job(main)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "gluestar: error: transactions.csv: missing required column(s): amount\n"


def test_run_job_reraises_an_unexpected_error_after_a_summary_line(capsys):
    def main():
        raise KeyError("boom")

    with pytest.raises(KeyError, match=r"^'boom'$"):
        run_job(main)
    assert capsys.readouterr().err == "gluestar: unexpected error (KeyError): 'boom'\n"
