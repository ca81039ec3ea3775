"""The pydeequ engine as far as it can run without the Deequ jar.

The jar is not available here, so pydeequ's ``Check`` cannot be constructed (it needs Deequ's JVM
classes). The translation is verified against pydeequ's real ``Check`` class instead: every call the
translator makes must name a method of ``pydeequ.checks.Check`` and bind to its signature.
"""

from __future__ import annotations

import inspect
import logging
import os
from typing import Any

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from gluestar.contracts import load_star_schema
from gluestar.exceptions import ConfigurationError
from gluestar.quality import deequ, gate
from gluestar.quality.checks import (
    Completeness,
    ForeignKey,
    Pattern,
    PrimaryKey,
    QualityCheck,
    References,
    RowCount,
    SingleTableCheck,
    Unique,
    load_checks,
)
from gluestar.quality.constraints import plan_constraints
from gluestar.quality.deequ import (
    DeequCall,
    apply_calls,
    callback_server_guard,
    convert_results,
    deequ_on_classpath,
    import_pydeequ,
    spark_major_minor,
    translate_check,
)
from gluestar.quality.gate import choose_engine, run_quality_gate

STRINGS = T.StructType([T.StructField("code", T.StringType()), T.StructField("n", T.IntegerType())])


class Recorder:
    """Stands in for a pydeequ ``Check``: records each call and returns itself, as pydeequ's methods do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Recorder:
            self.calls.append((method, args, kwargs))
            return self

        return record


@pytest.fixture(scope="module")
def pydeequ_check(spark: SparkSession) -> type:
    """pydeequ's real ``Check`` class, imported the way the engine imports it."""
    checks_module, _ = import_pydeequ(spark)
    return checks_module.Check


def _finance_cases() -> list[tuple[QualityCheck, T.StructType]]:
    star = load_star_schema("finance")
    return [(c, star.table(c.table).schema) for c in load_checks("finance") if isinstance(c, SingleTableCheck)]


EXTRA_CASES: list[tuple[QualityCheck, T.StructType]] = [
    (Unique(table="t", columns=("code", "n")), STRINGS),
    (Unique(table="t", columns=("code",), where="n > 0"), STRINGS),
    (Completeness(table="t", columns=("code", "n"), min_fraction=0.9), STRINGS),
    (Pattern(table="t", column="code", pattern="^[A-Z]+$"), STRINGS),
    (PrimaryKey(table="t", columns=("code", "n")), STRINGS),
    (RowCount(table="t", min=1, max=10, where="n IS NOT NULL"), STRINGS),
]


def test_import_sets_spark_version_from_the_running_spark(spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARK_VERSION", "not-a-version")
    checks_module, verification_module = import_pydeequ(spark)
    assert os.environ["SPARK_VERSION"] == spark_major_minor(spark.version) == "3.5"
    assert checks_module.__name__ == "pydeequ.checks"
    assert hasattr(verification_module, "VerificationSuite")


def test_spark_major_minor_reads_vendor_versions() -> None:
    assert spark_major_minor("3.5.6-amzn-1") == "3.5"
    with pytest.raises(ConfigurationError, match=r"^cannot read a major.minor version from Spark version 'dev'$"):
        spark_major_minor("dev")


@pytest.mark.parametrize(("check", "schema"), _finance_cases() + EXTRA_CASES, ids=lambda v: getattr(v, "name", ""))
def test_every_translated_call_binds_to_pydeequs_check(
    check: QualityCheck, schema: T.StructType, pydeequ_check: type
) -> None:
    calls = translate_check(check, schema)
    recorder = apply_calls(Recorder(), calls)
    assert [name for name, _, _ in recorder.calls] == [c.method for c in calls]
    for method, args, kwargs in recorder.calls:
        bound = inspect.signature(getattr(pydeequ_check, method)).bind(None, *args, **kwargs)
        assertion = bound.arguments.get("assertion")
        if assertion is not None:
            assert isinstance(assertion(1.0), bool)
    # One Deequ constraint per planned constraint, in the same order.
    planned = [c.constraint.description for c in calls if c.constraint is not None]
    assert planned == [spec.description for spec in plan_constraints(check)]


def test_translation_uses_pydeequs_dedicated_methods() -> None:
    schema = load_star_schema("finance").table("dim_account").schema
    checks = {c.name: c for c in load_checks("finance") if c.table == "dim_account"}
    pk = translate_check(checks["dim_account: account_number is unique and not null for known members"], schema)
    assert [(c.method, c.args) for c in pk] == [
        ("isComplete", ("account_number",)),
        ("where", ("account_key <> -1",)),
        ("isPrimaryKey", ("account_number",)),
        ("where", ("account_key <> -1",)),
    ]
    allowed = translate_check(checks["dim_account: account_type is a known type"], schema)
    assert [(c.method, c.args) for c in allowed] == [
        ("isContainedIn", ("account_type", ["Asset", "Liability", "Equity", "Revenue", "Expense", "Unknown"]))
    ]
    assert allowed[0].metric == (
        "Compliance",
        "account_type contained in Asset,Liability,Equity,Revenue,Expense,Unknown",
    )


def test_pattern_on_a_non_string_column_becomes_satisfies() -> None:
    (call,) = translate_check(Pattern(table="t", column="n", pattern="^[0-9]{8}$"), STRINGS)
    assert (call.method, call.args[:2]) == ("satisfies", ("CAST(`n` AS STRING) RLIKE '^[0-9]{8}$'", "n"))
    assert (call.args[2](1.0), call.args[2](0.99)) == (True, False)
    (string_call,) = translate_check(Pattern(table="t", column="code", pattern="^[A-Z]$"), STRINGS)
    assert (string_call.method, string_call.args) == ("hasPattern", ("code", "^[A-Z]$"))


def test_cross_table_checks_have_no_single_table_translation() -> None:
    fk = ForeignKey(table="f", columns=("k",), references=References("d", ("k",)))
    with pytest.raises(ConfigurationError, match=r"^check 'f: k exists in d.k' \(f\): a foreign_key check is not"):
        translate_check(fk, STRINGS)


def test_deequ_results_become_rows_with_the_native_constraint_texts() -> None:
    check = PrimaryKey(table="t", columns=("code",), severity="warning")
    calls = [c for c in translate_check(check, STRINGS) if c.constraint is not None]
    rows = [
        {"check": check.name, "check_level": "Warning", "check_status": "Warning",
         "constraint": "CompletenessConstraint(Completeness(code,None,None))", "constraint_status": "Success",
         "constraint_message": ""},
        {"check": check.name, "check_level": "Warning", "check_status": "Warning",
         "constraint": "UniquenessConstraint(Uniqueness(List(code),None,None))", "constraint_status": "Failure",
         "constraint_message": "Value: 0.5 does not meet the constraint requirement!"},
    ]  # fmt: skip
    metrics = [
        {"entity": "Column", "instance": "code", "name": "Completeness", "value": 1.0},
        {"entity": "Column", "instance": "code", "name": "Uniqueness", "value": 0.5},
    ]
    results = convert_results("t", {check.name: (check, calls)}, rows, metrics)
    assert [(r.constraint, r.constraint_status, r.constraint_message, r.metric_value, r.engine) for r in results] == [
        ("Completeness(code) == 1", "Success", "", 1.0, "deequ"),
        ("Uniqueness(code) == 1", "Failure", "Value: 0.5 does not meet the constraint requirement!", 0.5, "deequ"),
    ]
    with pytest.raises(ConfigurationError, match=r"Deequ reported 1 constraint result\(s\) for 2 declared"):
        convert_results("t", {check.name: (check, calls)}, rows[:1], metrics)


def test_auto_falls_back_to_native_without_the_jar_and_logs_why(
    spark: SparkSession, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gluestar.quality"):
        assert choose_engine(spark, "auto") == "native"
    assert caplog.messages == [
        "quality gate: engine native chosen automatically: "
        "com.amazon.deequ.VerificationSuite is not on the JVM classpath (the Deequ jar is missing)"
    ]


def test_forcing_deequ_without_the_jar_is_a_clear_error(spark: SparkSession) -> None:
    with pytest.raises(ConfigurationError) as raised:
        choose_engine(spark, "deequ")
    assert str(raised.value) == (
        "quality engine 'deequ' was requested but com.amazon.deequ.VerificationSuite is not on the JVM classpath "
        "(the Deequ jar is missing); add the Deequ jar to the job (Glue: --extra-jars) or choose the engine "
        "'auto' or 'native'"
    )


def test_classpath_detection_finds_a_class_that_is_there(spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not deequ_on_classpath(spark)
    monkeypatch.setattr(deequ, "DEEQU_CLASS", "org.apache.spark.sql.SparkSession")
    assert deequ_on_classpath(spark)


class FakeServer:
    def __init__(self) -> None:
        self.is_shutdown = False


class FakeGateway:
    def __init__(self, running: bool) -> None:
        self.server = FakeServer() if running else None
        self.shutdowns = 0

    def get_callback_server(self) -> FakeServer | None:
        return self.server

    def start_callback_server(self) -> None:
        self.server = FakeServer()

    def shutdown_callback_server(self) -> None:
        self.shutdowns += 1
        assert self.server is not None
        self.server.is_shutdown = True


def test_callback_server_started_for_deequ_is_shut_down() -> None:
    gateway = FakeGateway(running=False)
    with callback_server_guard(gateway):
        gateway.start_callback_server()  # what pydeequ's ScalaFunction1 does
    assert gateway.shutdowns == 1


def test_callback_server_running_before_is_left_alone_and_none_started_is_not_touched() -> None:
    running, idle = FakeGateway(running=True), FakeGateway(running=False)
    with callback_server_guard(running):
        pass
    with callback_server_guard(idle):
        pass
    assert (running.shutdowns, idle.shutdowns) == (0, 0)


def test_gate_under_the_deequ_engine_checks_cross_table_natively(
    spark: SparkSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The orchestration of the deequ engine, with pydeequ's run replaced by Deequ-shaped results."""
    seen: list[tuple[str, list[str]]] = []

    def fake_run(spark: SparkSession, table: str, df: Any, checks: list[QualityCheck]) -> tuple:
        seen.append((table, [c.name for c in checks]))
        plans = {c.name: (c, [x for x in translate_check(c, df.schema) if x.constraint]) for c in checks}
        rows = [
            {"check": name, "check_level": "Error", "check_status": "Success", "constraint": "x",
             "constraint_status": "Success", "constraint_message": ""}
            for name, (_, calls) in plans.items()
            for _ in calls
        ]  # fmt: skip
        return convert_results(table, plans, rows, [])

    monkeypatch.setattr(gate, "deequ_status", lambda spark: (True, "fake Deequ"))
    monkeypatch.setattr(gate, "run_deequ_checks", fake_run)
    tables = {
        "f": spark.createDataFrame([(1,), (2,)], "k int"),
        "d": spark.createDataFrame([(1,)], "k int"),
    }
    checks = [
        PrimaryKey(table="d", columns=("k",)),
        ForeignKey(table="f", columns=("k",), references=References("d", ("k",))),
    ]
    report = run_quality_gate(spark, tables, checks, engine="deequ")
    assert seen == [("f", []), ("d", ["d: k is unique and not null"])]
    assert [(r.check, r.engine, r.constraint_status) for r in report.results] == [
        ("d: k is unique and not null", "deequ", "Success"),
        ("d: k is unique and not null", "deequ", "Success"),
        ("f: k exists in d.k", "native", "Failure"),
    ]
    assert report.engine == "deequ"
    assert report.notes == [
        "foreign_key, reconciliation and anomaly checks span tables or runs and were evaluated by the native "
        "engine; table profiles (row counts, null fractions, sums) too"
    ]
    assert report.metric("f", "row_count") == 2.0


def test_deequ_call_defaults() -> None:
    assert DeequCall("where", ("x > 1",)).constraint is None
