"""Hostile input: every malformed or unusual source file gets a clear outcome, never a silent loss.

Each case either stops the run with a message naming the file and the problem, or reads the file
with its bad rows quarantined (with the reason) and its good rows accepted; either way every source
and every file reconciles: rows read = accepted + quarantined + exact duplicates + superseded.

The cases that stop the run (or must inspect the star tables alone) run the pipeline on their own;
the others share one run (``hostile_run``) over a folder holding one small file per case, each with
a valid row, and are checked per file from the run report and the quarantine.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from gluestar.cleaning import validate_source
from gluestar.contracts import load_source_contract
from gluestar.exceptions import DataQualityError, SchemaContractError, SourceFileError
from gluestar.pipelines.finance import run_finance
from gluestar.report import FileCounts, RunReport, report_of
from gluestar.snapshots import read_published

COLUMNS = list(load_source_contract("finance", "transactions").column_names)
HEADER = ",".join(COLUMNS)
BUDGET = "budget_month,department_code,account_number,budget_amount,scenario\n2025-01,FIN-01,4000,100.00,\n"
ONE_MB = 1024 * 1024
OUT_OF_RANGE = "is outside 1900-01-01..2099-12-31"
STAR_TABLES = ("dim_date", "dim_department", "dim_account", "dim_scenario", "fact_gl_transaction", "fact_financials")


def _row(transaction_id: str, **fields: str) -> list[str]:
    """The fields of a valid transaction (CSV text, quoted where needed), with ``fields`` changed."""
    row = {
        "transaction_id": transaction_id,
        "transaction_date": "2025-01-15",
        "department_code": "FIN-01",
        "department_name": "Finance",
        "business_unit": "Corporate",
        "account_number": "4000",
        "account_name": "Sales",
        "account_type": "Revenue",
        "category": "Income",
        "amount": "10.00",
        "last_modified": "2025-01-15T10:00:00",
    }
    row.update(fields)
    return [row[c] for c in COLUMNS]


def _csv(*rows: list[str], header: str = HEADER, newline: str = "\n") -> str:
    return "".join(line + newline for line in [header, *(",".join(r) for r in rows)])


def _write(folder: Path, name: str, content: str | bytes) -> str:
    """Write a raw file; return its path as the pipeline lists (and reports) it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return f"file:{path}"


def _published(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "finance").iterdir())


# One run over a folder holding one file per case ------------------------------------------------

FILES: dict[str, str | bytes] = {
    "transactions_bom.csv": "\ufeff" + _csv(_row("BOM-1")),
    "transactions_crlf.csv": _csv(_row("CRLF-1"), _row("CRLF-2", transaction_date="2025-02-30"), newline="\r\n"),
    "transactions_reordered.csv": _csv(
        _row("ORD-1", amount="20.00")[::-1], header=",".join(reversed(COLUMNS)).replace("amount", "Amount")
    ),
    "transactions_mixed_case.csv": _csv(
        _row("MIX-1", amount="30.00"),
        header=",".join(c.upper() if i % 2 else c.title() for i, c in enumerate(COLUMNS)),
    ),
    "transactions_quoted.csv": _csv(_row("QUO-1", account_number="4100", account_name='"Sales, ""Q1""\nrevised"')),
    "transactions_extra_column.csv": _csv([*_row("EXT-1"), "SECRET-NOTE"], header=HEADER + ",note"),
    "transactions_header_only.csv": _csv(),
    "transactions_latin1.csv": _csv(_row("LAT-1", department_name="Café"), _row("LAT-2")).encode("latin-1"),
    "transactions_truncated.csv": _csv(_row("TRU-1")) + "TRU-2,2025-01-15,FIN",
    "transactions_big_field.csv": _csv(_row("BIG-1", account_name="x" * ONE_MB), _row("BIG-2")),
    "transactions_overflow.csv": _csv(
        _row("OVF-1", amount="1e30"), _row("OVF-2", amount="1" + "0" * 30), _row("OVF-3", amount="40.00")
    ),
    "transactions_dates.csv": _csv(
        _row("DAT-1", transaction_date="0001-01-01"), _row("DAT-2", transaction_date="9999-12-31"), _row("DAT-3")
    ),
    # A re-sent extract: older versions of rows another file holds; it adds nothing and must not fail.
    "transactions_resent_original.csv": _csv(_row("RES-1", last_modified="2025-01-20T10:00:00")),
    "transactions_resent_copy.csv": _csv(*[_row("RES-1", last_modified="2025-01-10T10:00:00")] * 2),
    "budget_2025.csv": BUDGET,
    "budget_dates.csv": (
        "budget_month,department_code,account_number,budget_amount,scenario\n"
        "0001-01,FIN-01,4000,1,\n9999-12,FIN-01,4000,1,\n2025-02,FIN-01,4000,50.00,\n"
    ),
}


class HostileRun:
    """The shared run: its report, its quarantine and its accepted transactions, by id."""

    def __init__(self, spark: SparkSession, raw: Path, out: Path) -> None:
        self.raw, self.out = raw, out
        self.paths = {name: _write(raw, name, content) for name, content in FILES.items()}
        self.report = run_finance(spark, str(raw), str(out), run_id="hostile")
        quarantine = spark.read.parquet(str(out / "finance" / "_quarantine" / "transactions"))
        self.quarantined = {
            r.transaction_id: r
            for r in quarantine.select(
                "transaction_id", "source_file", "reject_reason", "reject_rules", "last_modified"
            ).collect()
        }
        self.budget_quarantine = {
            r.budget_month: r
            for r in spark.read.parquet(str(out / "finance" / "_quarantine" / "budget"))
            .select("budget_month", "source_file", "reject_reason")
            .collect()
        }
        self.facts = {r.transaction_id: r for r in self.table(spark, "fact_gl_transaction").collect()}

    def table(self, spark: SparkSession, name: str):
        return read_published(spark, str(self.out), "finance", name)

    def assert_file(self, name: str, expected: FileCounts, *, source: str = "transactions") -> None:
        """The file's counts are ``expected``, the file and the whole run reconcile."""
        counts = self.report.source(source)
        assert counts.by_file[self.paths[name]] == expected
        assert counts.by_file[self.paths[name]].reconciles
        assert self.report.reconciles

    def assert_quarantined(self, name: str, reasons: dict[str, str]) -> None:
        """Exactly these rows of the file are quarantined, with these reasons."""
        got = {i: r.reject_reason for i, r in self.quarantined.items() if r.source_file == self.paths[name]}
        assert got == reasons


@pytest.fixture(scope="module")
def hostile_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    return HostileRun(spark, tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("processed"))


def test_hostile_run_succeeds_and_reconciles(hostile_run: HostileRun) -> None:
    transactions = hostile_run.report.source("transactions")
    assert hostile_run.report.status == "succeeded"
    assert (
        transactions.rows_read,
        transactions.accepted,
        transactions.quarantined,
        transactions.exact_duplicates,
        transactions.superseded,
    ) == (22, 12, 8, 1, 1)
    assert hostile_run.report.reconciles
    assert RunReport.from_json((hostile_run.out / "finance" / "_runs" / "hostile.json").read_text()).to_dict() == (
        hostile_run.report.to_dict()
    )


def test_header_only(hostile_run: HostileRun) -> None:
    path = hostile_run.paths["transactions_header_only.csv"]
    transactions = hostile_run.report.source("transactions")
    assert path in transactions.files
    assert path not in transactions.by_file
    assert transactions.files_without_rows == [path]
    assert f"  note: {path}: has a header but no data rows" in hostile_run.report.render().splitlines()
    assert hostile_run.report.reconciles


def test_extra_unknown_column(spark: SparkSession, hostile_run: HostileRun) -> None:
    path = hostile_run.paths["transactions_extra_column.csv"]
    hostile_run.assert_file("transactions_extra_column.csv", FileCounts(1, 1))
    assert hostile_run.report.source("transactions").unknown_columns == {path: ["note"]}
    assert f"  note: {path}: unknown column(s) left out: note" in hostile_run.report.render().splitlines()
    assert hostile_run.facts["EXT-1"].amount == Decimal("10.00")
    for name in STAR_TABLES:
        table = hostile_run.table(spark, name)
        assert "note" not in table.columns, name
        strings = [F.col(f.name) == "SECRET-NOTE" for f in table.schema if f.dataType.simpleString() == "string"]
        assert table.filter(F.greatest(*strings, F.lit(False))).count() == 0, name
    assert "note" not in spark.read.parquet(str(hostile_run.out / "finance" / "_quarantine" / "transactions")).columns


def test_columns_in_another_order(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_reordered.csv", FileCounts(1, 1))
    fact = hostile_run.facts["ORD-1"]
    assert (fact.amount, fact.last_modified) == (Decimal("20.00"), dt.datetime(2025, 1, 15, 10, 0))
    assert fact.date_key == 20250115


def test_utf8_bom(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_bom.csv", FileCounts(1, 1))
    path = hostile_run.paths["transactions_bom.csv"]
    transactions = hostile_run.report.source("transactions")
    # The BOM is not part of the first header name: no unknown column, no missing one.
    assert path not in transactions.unknown_columns
    assert path not in transactions.missing_optional_columns
    assert hostile_run.facts["BOM-1"].amount == Decimal("10.00")


def test_crlf_line_endings(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_crlf.csv", FileCounts(2, 1, 1))
    assert hostile_run.facts["CRLF-1"].last_modified == dt.datetime(2025, 1, 15, 10, 0)
    # The raw value of the last column, as quarantined, carries no carriage return.
    assert hostile_run.quarantined["CRLF-2"].last_modified == "2025-01-15T10:00:00"
    hostile_run.assert_quarantined(
        "transactions_crlf.csv",
        {"CRLF-2": "transaction_date '2025-02-30' is not a valid date (accepted: yyyy-MM-dd, yyyy/MM/dd)"},
    )


def test_mixed_case_header_names(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_mixed_case.csv", FileCounts(1, 1))
    path = hostile_run.paths["transactions_mixed_case.csv"]
    assert path not in hostile_run.report.source("transactions").unknown_columns
    fact = hostile_run.facts["MIX-1"]
    assert (fact.amount, fact.last_modified) == (Decimal("30.00"), dt.datetime(2025, 1, 15, 10, 0))


def test_quoted_field_with_embedded_commas_quotes_and_newlines(spark: SparkSession, hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_quoted.csv", FileCounts(1, 1))
    account = hostile_run.table(spark, "dim_account").filter(F.col("account_number") == "4100").first()
    assert account.account_name == 'Sales, "Q1"\nrevised'
    assert hostile_run.facts["QUO-1"].account_key == account.account_key


def test_non_utf8_file(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_latin1.csv", FileCounts(2, 1, 1))
    hostile_run.assert_quarantined(
        "transactions_latin1.csv",
        {"LAT-1": "department_name 'Caf\ufffd' holds bytes that are not valid UTF-8"},
    )
    assert hostile_run.quarantined["LAT-1"].reject_rules == ["department_name is not valid UTF-8"]
    assert "LAT-2" in hostile_run.facts


def test_truncated_last_line_with_fewer_fields(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_truncated.csv", FileCounts(2, 1, 1))
    hostile_run.assert_quarantined(
        "transactions_truncated.csv",
        {"TRU-2": "malformed CSV row: wrong number of fields; account_number is missing; amount is missing"},
    )
    assert "TRU-1" in hostile_run.facts


def test_field_of_1_mb(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_big_field.csv", FileCounts(2, 1, 1))
    hostile_run.assert_quarantined(
        "transactions_big_field.csv",
        {"BIG-1": f"account_name '{'x' * 40}…' is {ONE_MB} bytes long (max 256 bytes)"},
    )
    assert hostile_run.quarantined["BIG-1"].reject_rules == ["account_name is too long"]
    assert "BIG-2" in hostile_run.facts


def test_numeric_overflow(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_overflow.csv", FileCounts(3, 1, 2))
    hostile_run.assert_quarantined(
        "transactions_overflow.csv",
        {
            # Exponent notation is not an accepted amount spelling; written out, 1e30 does not fit.
            "OVF-1": "amount '1e30' is not a valid amount",
            "OVF-2": f"amount '1{'0' * 30}' does not fit decimal(18,2)",
        },
    )
    assert hostile_run.facts["OVF-3"].amount == Decimal("40.00")


@pytest.mark.parametrize("ansi", ["true", "false"])
def test_numeric_overflow_with_ansi_mode(spark: SparkSession, ansi: str) -> None:
    contract = load_source_contract("finance", "budget")
    raw = spark.createDataFrame(
        [("2025-01", "D1", "4000", amount, None) for amount in ("1e30", "1" + "0" * 30, "-" + "9" * 40)],
        ", ".join(f"{c} string" for c in contract.column_names),
    )
    previous = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", ansi)
    try:
        rows = raw.transform(validate_source(contract)).select("budget_amount", "reject_reason", "_status").collect()
    finally:
        spark.conf.set("spark.sql.ansi.enabled", previous)
    assert [tuple(r) for r in rows] == [
        (None, "budget_amount '1e30' is not a valid amount", "quarantined"),
        (None, f"budget_amount '1{'0' * 30}' does not fit decimal(18,2)", "quarantined"),
        (None, f"budget_amount '-{'9' * 39}…' does not fit decimal(18,2)", "quarantined"),
    ]


def test_dates_in_year_0001_and_9999(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_dates.csv", FileCounts(3, 1, 2))
    hostile_run.assert_quarantined(
        "transactions_dates.csv",
        {
            "DAT-1": f"transaction_date '0001-01-01' {OUT_OF_RANGE}",
            "DAT-2": f"transaction_date '9999-12-31' {OUT_OF_RANGE}",
        },
    )
    hostile_run.assert_file("budget_dates.csv", FileCounts(3, 1, 2), source="budget")
    assert {m: r.reject_reason for m, r in hostile_run.budget_quarantine.items()} == {
        "0001-01": f"budget_month '0001-01' {OUT_OF_RANGE}",
        "9999-12": f"budget_month '9999-12' {OUT_OF_RANGE}",
    }
    # dim_date spans only the accepted dates: 2025.
    assert hostile_run.report.tables["dim_date"] == 365


def test_re_sent_file_of_superseded_and_duplicate_rows_does_not_fail(hostile_run: HostileRun) -> None:
    hostile_run.assert_file("transactions_resent_copy.csv", FileCounts(2, exact_duplicates=1, superseded=1))
    hostile_run.assert_file("transactions_resent_original.csv", FileCounts(1, 1))
    assert hostile_run.facts["RES-1"].last_modified == dt.datetime(2025, 1, 20, 10, 0)


# Runs that must stop ------------------------------------------------------------------------------


def _assert_stopped_while_reading(error: pytest.ExceptionInfo, out: Path) -> None:
    report = report_of(error.value)
    assert report is not None
    assert (report.status, report.failed_stage, report.reconciles) == ("failed", "read_validate_dedup", True)
    assert _published(out) == ["_runs"]


def test_empty_file(spark: SparkSession, tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    _write(raw, "transactions_2025_01.csv", _csv(_row("T-1")))
    empty = _write(raw, "transactions_2025_02.csv", b"")
    _write(raw, "budget_2025.csv", BUDGET)
    with pytest.raises(SourceFileError, match=f"^{re.escape(f'{empty}: the file is empty (no header row)')}$") as error:
        run_finance(spark, str(raw), str(out), run_id="empty")
    _assert_stopped_while_reading(error, out)


def test_missing_required_column(spark: SparkSession, tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    header = HEADER.replace(",amount", "").replace("account_number", "Account_Number")
    path = _write(raw, "transactions_2025_01.csv", _csv(header=header))
    _write(raw, "budget_2025.csv", BUDGET)
    message = f"{path}: missing required column(s): amount (header has: {header.lower().replace(',', ', ')})"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$") as error:
        run_finance(spark, str(raw), str(out), run_id="missing")
    _assert_stopped_while_reading(error, out)


def test_truncated_last_line_inside_a_quoted_field(spark: SparkSession, tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    # Cut inside the quoted category: the CSV reader alone would accept 'Inc' as a complete value.
    path = _write(raw, "transactions_2025_01.csv", _csv(_row("T-1")) + ",".join(_row("T-2")[:-3]) + ',"Inc')
    _write(raw, "budget_2025.csv", BUDGET)
    message = (
        f'{path}: the file ends inside a quoted field (an odd number of " characters and no line break at the end): '
        "its last line looks truncated or a quote is unbalanced"
    )
    with pytest.raises(SourceFileError, match=f"^{re.escape(message)}$") as error:
        run_finance(spark, str(raw), str(out), run_id="unterminated")
    _assert_stopped_while_reading(error, out)


def test_every_row_of_a_file_invalid(spark: SparkSession, tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    good = _write(raw, "transactions_2025_01.csv", _csv(_row("T-1")))
    bad = _write(
        raw,
        "transactions_2025_02.csv",
        _csv(_row("T-2", transaction_date="2025-02-30"), _row("T-3", amount="ten")),
    )
    _write(raw, "budget_2025.csv", BUDGET)
    quarantine = f"{out}/finance/_quarantine/transactions"
    message = (
        f"{bad}: every one of its 2 transactions rows was quarantined; nothing was published "
        f"(quarantined rows are in {quarantine})"
    )
    with pytest.raises(DataQualityError, match=f"^{re.escape(message)}$") as error:
        run_finance(spark, str(raw), str(out), run_id="all-invalid")
    report = report_of(error.value)
    assert report is not None
    assert (report.status, report.failed_stage) == ("failed", "quarantine")
    assert report.source("transactions").by_file == {good: FileCounts(1, 1), bad: FileCounts(2, 0, 2)}
    assert report.reconciles
    assert _published(out) == ["_quarantine", "_runs"]
    rows = spark.read.parquet(quarantine).select("transaction_id", "source_file", "reject_reason").collect()
    assert sorted(tuple(r) for r in rows) == [
        ("T-2", bad, "transaction_date '2025-02-30' is not a valid date (accepted: yyyy-MM-dd, yyyy/MM/dd)"),
        ("T-3", bad, "amount 'ten' is not a valid amount"),
    ]
