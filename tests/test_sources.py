"""Tests of gluestar.sources: reading raw CSV files by their contract, header checks included."""

from __future__ import annotations

import re

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from gluestar.cleaning import validate_source
from gluestar.contracts import load_source_contract
from gluestar.exceptions import SchemaContractError, SourceFileError
from gluestar.sources import normalise_header, read_csv_source

BUDGET = load_source_contract("finance", "budget")
RAW = "budget_month string, department_code string, account_number string, budget_amount string, scenario string"

FILES = {
    # A BOM, names in another case and padded with spaces; quoted commas, quotes and a line break.
    "budget_bom.csv": (
        "\ufeffBudget_Month, DEPARTMENT_CODE ,Account_Number,budget_amount,Scenario\n"
        '2025-01,QUOTED," 4000 ","1,000.50","Budget, ""Q1""\n(revised)"\n'
        "2025-02,SHORT,4000\n"
        "2025-03,LONG,4000,5,Budget,surplus\n"
    ),
    # Columns in another order, and one the contract does not know.
    "budget_reordered.csv": (
        "scenario,budget_amount,note,account_number,department_code,budget_month\n"
        "Forecast,7,hello,5000,REORDERED,2025-04\n"
    ),
    # No optional scenario column.
    "budget_no_scenario.csv": "budget_month,department_code,account_number,budget_amount\n2025-05,NO-SCENARIO,6000,9\n",
}


@pytest.fixture(scope="module")
def source_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw")
    paths = {}
    for name, text in FILES.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths[name] = str(path)
    return paths


@pytest.fixture(scope="module")
def read(spark, source_files):
    result = read_csv_source(spark, list(source_files.values()), BUDGET)
    result.frame.cache()
    yield result
    result.frame.unpersist()


def _rows(read, *departments):
    return read.frame.filter(F.col("department_code").isin(list(departments)))


def test_read_csv_source_frame_has_the_contract_columns_in_order(read):
    assert read.frame.columns == [*BUDGET.column_names, "_source_file", "_corrupt_record"]


def test_read_csv_source_matches_a_header_in_any_case_with_a_bom(spark, read):
    expected = spark.createDataFrame([("2025-01", "QUOTED", " 4000 ", "1,000.50", 'Budget, "Q1"\n(revised)')], RAW)
    assert_df_equality(_rows(read, "QUOTED").select(*BUDGET.column_names), expected, ignore_nullable=True)


def test_read_csv_source_matches_columns_in_another_order(spark, read):
    expected = spark.createDataFrame([("2025-04", "REORDERED", "5000", "7", "Forecast")], RAW)
    assert_df_equality(_rows(read, "REORDERED").select(*BUDGET.column_names), expected, ignore_nullable=True)


def test_read_csv_source_reports_unknown_columns_and_leaves_them_out(read, source_files):
    assert read.unknown_columns == {source_files["budget_reordered.csv"]: ["note"]}


def test_read_csv_source_reads_a_missing_optional_column_as_null_and_reports_it(spark, read, source_files):
    expected = spark.createDataFrame([("2025-05", "NO-SCENARIO", "6000", "9", None)], RAW)
    assert_df_equality(_rows(read, "NO-SCENARIO").select(*BUDGET.column_names), expected, ignore_nullable=True)
    assert read.missing_optional == {source_files["budget_no_scenario.csv"]: ["scenario"]}


def test_read_csv_source_keeps_short_and_long_rows_in_corrupt_record(spark, read):
    expected = spark.createDataFrame(
        [("SHORT", None, "2025-02,SHORT,4000"), ("LONG", "Budget", "2025-03,LONG,4000,5,Budget,surplus")],
        "department_code string, scenario string, _corrupt_record string",
    )
    actual = _rows(read, "SHORT", "LONG", "QUOTED").filter(F.col("_corrupt_record").isNotNull())
    assert_df_equality(
        actual.select("department_code", "scenario", "_corrupt_record"),
        expected,
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_read_csv_source_names_the_source_file_of_each_row(spark, read, source_files):
    files = read.frame.select("department_code", F.regexp_extract("_source_file", r"[^/]+$", 0).alias("file"))
    expected = spark.createDataFrame(
        [
            ("QUOTED", "budget_bom.csv"),
            ("SHORT", "budget_bom.csv"),
            ("LONG", "budget_bom.csv"),
            ("REORDERED", "budget_reordered.csv"),
            ("NO-SCENARIO", "budget_no_scenario.csv"),
        ],
        "department_code string, file string",
    )
    assert_df_equality(files, expected, ignore_row_order=True, ignore_nullable=True)
    assert read.files == tuple(source_files.values())


def _write(tmp_path, text, name="budget_bad.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_read_csv_source_names_the_file_missing_a_required_column(spark, tmp_path):
    path = _write(tmp_path, "Budget_Month,department_code,scenario\n2025-01,D1,Budget\n")
    message = (
        f"{path}: missing required column(s): account_number, budget_amount "
        "(header has: budget_month, department_code, scenario)"
    )
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        read_csv_source(spark, [path], BUDGET)


def test_read_csv_source_rejects_a_repeated_header_column(spark, tmp_path):
    path = _write(tmp_path, "budget_month,department_code,account_number,budget_amount,Budget_Amount\n")
    message = f"{path}: duplicate column(s) in the header: budget_amount"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        read_csv_source(spark, [path], BUDGET)


def test_read_csv_source_rejects_an_empty_file(spark, tmp_path):
    path = _write(tmp_path, "")
    with pytest.raises(SourceFileError, match=f"^{re.escape(path + ': the file is empty (no header row)')}$"):
        read_csv_source(spark, [path], BUDGET)


def test_read_csv_source_needs_at_least_one_file(spark):
    message = "no budget files matching 'budget*.csv' were found"
    with pytest.raises(SourceFileError, match=f"^{re.escape(message)}$"):
        read_csv_source(spark, [], BUDGET)


def test_read_csv_source_of_a_header_only_file_has_no_rows(spark, tmp_path):
    path = _write(tmp_path, "budget_month,department_code,account_number,budget_amount,scenario\n")
    assert read_csv_source(spark, [path], BUDGET).frame.count() == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [("\ufeff Transaction_ID ", "transaction_id"), ("AMOUNT", "amount"), ("\tlast_modified\r", "last_modified")],
)
def test_normalise_header(name, expected):
    assert normalise_header(name) == expected


def test_a_file_that_is_not_utf8_is_quarantined_not_silently_altered(spark, tmp_path):
    path = tmp_path / "budget_latin1.csv"
    path.write_bytes(
        "budget_month,department_code,account_number,budget_amount,scenario\n2025-01,CAFÉ,4000,10,\n".encode("latin-1")
    )
    read = read_csv_source(spark, [str(path)], BUDGET)
    row = read.frame.transform(validate_source(BUDGET)).select("reject_reason", "reject_rules", "_status").first()
    assert (row.reject_reason, row.reject_rules, row._status) == (
        "department_code 'CAF\ufffd' holds bytes that are not valid UTF-8",
        ["department_code is not valid UTF-8"],
        "quarantined",
    )


def test_read_csv_source_names_each_row_s_file_exactly_as_listed(spark, tmp_path):
    # Spark's input_file_name() would say file:///…/budget%20a+b%2520.csv.
    path = _write(
        tmp_path,
        "budget_month,department_code,account_number,budget_amount\n2025-01,D1,4000,1\n",
        name="budget a+b%20.csv",
    )
    assert [r._source_file for r in read_csv_source(spark, [path], BUDGET).frame.collect()] == [path]


def test_read_csv_source_rejects_a_file_that_ends_inside_a_quoted_field(spark, tmp_path):
    path = _write(
        tmp_path, 'budget_month,department_code,account_number,budget_amount,scenario\n2025-01,D1,4000,1,"Bud'
    )
    message = (
        f'{path}: the file ends inside a quoted field (an odd number of " characters and no line break at the end): '
        "its last line looks truncated or a quote is unbalanced"
    )
    with pytest.raises(SourceFileError, match=f"^{re.escape(message)}$"):
        read_csv_source(spark, [path], BUDGET)


def test_read_csv_source_reads_a_last_line_without_a_line_break(spark, tmp_path):
    path = _write(
        tmp_path,
        'budget_month,department_code,account_number,budget_amount,scenario\n2025-01,D1,4000,1,"Budget, ""Q1"""',
    )
    rows = read_csv_source(spark, [path], BUDGET).frame.select("scenario", "_corrupt_record").collect()
    assert [tuple(r) for r in rows] == [('Budget, "Q1"', None)]
