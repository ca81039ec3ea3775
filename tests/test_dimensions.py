"""Tests of gluestar.dimensions: the date dimension, latest attributes and type-1 conformed members."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from chispa import assert_column_equality, assert_df_equality
from pyspark.sql import functions as F

from gluestar.contracts import TableColumn, TableSpec, load_star_schema
from gluestar.dimensions import bin_label, conform_dimension, conform_to, date_dimension, latest_attributes
from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.packaged import read_packaged_json

STAR = load_star_schema("finance")
DIM_DATE = (
    "date_key int, full_date date, year int, quarter int, month int, month_name string, day int, "
    "day_of_week string, day_of_week_number int, week_of_year int, is_weekend boolean, fiscal_year int, "
    "fiscal_quarter int, fiscal_month int"
)
BOUNDS = "min_date date, max_date date"


def _day(date_key, day_of_week, iso_day, week, fiscal=None):
    """An expected ``dim_date`` row; fiscal ``(year, quarter, month)`` defaults to the calendar's."""
    full_date = dt.datetime.strptime(str(date_key), "%Y%m%d").date()
    quarter = (full_date.month - 1) // 3 + 1
    fiscal_year, fiscal_quarter, fiscal_month = fiscal or (full_date.year, quarter, full_date.month)
    return (
        date_key,
        full_date,
        full_date.year,
        quarter,
        full_date.month,
        full_date.strftime("%B"),
        full_date.day,
        day_of_week,
        iso_day,
        week,
        iso_day >= 6,
        fiscal_year,
        fiscal_quarter,
        fiscal_month,
    )


@pytest.fixture(scope="module")
def dim_date(spark):
    bounds = spark.createDataFrame(
        [(dt.date(2024, 3, 4), dt.date(2025, 7, 9)), (dt.date(2020, 6, 1), dt.date(2021, 2, 1)), (None, None)], BOUNDS
    )
    dimension = bounds.transform(date_dimension()).cache()
    yield dimension
    dimension.unpersist()


def test_date_dimension_spans_whole_years_from_the_earliest_to_the_latest(spark, dim_date):
    span = dim_date.agg(
        F.min("full_date").alias("first"),
        F.max("full_date").alias("last"),
        F.count(F.lit(1)).alias("days"),
        F.countDistinct("date_key").alias("keys"),
    )
    expected = spark.createDataFrame(
        [(dt.date(2020, 1, 1), dt.date(2025, 12, 31), 2192, 2192)], "first date, last date, days bigint, keys bigint"
    )
    assert_df_equality(span, expected, ignore_nullable=True)


def test_date_dimension_rows_with_iso_weeks_and_english_names(spark, dim_date):
    dates = [20240101, 20240229, 20241229, 20241230, 20250628, 20210103, 20201231]
    expected = spark.createDataFrame(
        [
            _day(20240101, "Monday", 1, 1),
            _day(20240229, "Thursday", 4, 9),
            _day(20241229, "Sunday", 7, 52),
            _day(20241230, "Monday", 1, 1),
            _day(20250628, "Saturday", 6, 26),
            _day(20210103, "Sunday", 7, 53),
            _day(20201231, "Thursday", 4, 53),
        ],
        DIM_DATE,
    )
    assert_df_equality(
        dim_date.filter(F.col("date_key").isin(dates)), expected, ignore_row_order=True, ignore_nullable=True
    )


def test_date_dimension_weekend_is_saturday_and_sunday(spark, dim_date):
    weekend = dim_date.groupBy("day_of_week", "day_of_week_number", "is_weekend").agg(F.count(F.lit(1)).alias("days"))
    # 2020-01-01 .. 2025-12-31 is 313 whole weeks and one day more, starting on a Wednesday.
    expected = spark.createDataFrame(
        [
            ("Monday", 1, False, 313),
            ("Tuesday", 2, False, 313),
            ("Wednesday", 3, False, 314),
            ("Thursday", 4, False, 313),
            ("Friday", 5, False, 313),
            ("Saturday", 6, True, 313),
            ("Sunday", 7, True, 313),
        ],
        "day_of_week string, day_of_week_number int, is_weekend boolean, days bigint",
    )
    assert_df_equality(weekend, expected, ignore_row_order=True, ignore_nullable=True)


def test_date_dimension_fiscal_year_is_the_calendar_year_by_default(dim_date):
    different = dim_date.filter(
        (F.col("fiscal_year") != F.col("year"))
        | (F.col("fiscal_quarter") != F.col("quarter"))
        | (F.col("fiscal_month") != F.col("month"))
    )
    assert different.count() == 0


def test_date_dimension_fiscal_year_starting_in_july_is_named_after_its_end(spark):
    bounds = spark.createDataFrame([(dt.date(2024, 8, 1), dt.date(2025, 8, 1))], BOUNDS)
    dimension = bounds.transform(date_dimension(fiscal_year_start_month=7))
    dates = [20240701, 20240630, 20241231, 20250101, 20250630, 20250701]
    fiscal = dimension.filter(F.col("date_key").isin(dates)).select(
        "date_key", "fiscal_year", "fiscal_quarter", "fiscal_month"
    )
    expected = spark.createDataFrame(
        [
            (20240630, 2024, 4, 12),
            (20240701, 2025, 1, 1),
            (20241231, 2025, 2, 6),
            (20250101, 2025, 3, 7),
            (20250630, 2025, 4, 12),
            (20250701, 2026, 1, 1),
        ],
        "date_key int, fiscal_year int, fiscal_quarter int, fiscal_month int",
    )
    assert_df_equality(fiscal, expected, ignore_row_order=True, ignore_nullable=True)


def test_date_dimension_of_no_dates_is_empty(spark):
    bounds = spark.createDataFrame([(None, None)], BOUNDS)
    assert bounds.transform(date_dimension()).count() == 0


def test_date_dimension_matches_the_dim_date_table(dim_date):
    conformed = dim_date.transform(conform_to(STAR.table("dim_date")))
    assert conformed.schema.simpleString() == dim_date.schema.simpleString()


@pytest.mark.parametrize("start", [0, 13, True, "7", 7.0])
def test_date_dimension_rejects_an_invalid_fiscal_start(start):
    message = f"fiscal_year_start_month must be an integer from 1 to 12; got {start!r}"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        date_dimension(fiscal_year_start_month=start)


def test_date_dimension_names_the_missing_bound_columns(spark):
    bounds = spark.createDataFrame([], "min_date date")
    with pytest.raises(SchemaContractError, match=f"^{re.escape('date_dimension: missing column(s): max_date')}$"):
        bounds.transform(date_dimension())


# latest_attributes -------------------------------------------------------------------------------


def test_latest_attributes_come_from_the_latest_row_ties_to_the_greatest_id_null_oldest(spark):
    jan, feb = dt.datetime(2025, 1, 1), dt.datetime(2025, 2, 1)
    transactions = spark.createDataFrame(
        [
            ("LATEST", "Old", "BU1", jan, "T1"),
            ("LATEST", "New", "BU2", feb, "T0"),
            ("TIE", "Lower id", "BU1", feb, "T1"),
            ("TIE", "Greater id", "BU2", feb, "T2"),
            ("NULL", "Dated", "BU1", jan, "T1"),
            ("NULL", "Undated", "BU2", None, "T9"),
            ("ALL-NULL", "First", "BU1", None, "T1"),
            ("ALL-NULL", "Second", "BU2", None, "T2"),
            ("BLANK", "Named", "BU1", jan, "T1"),
            ("BLANK", None, None, feb, "T2"),
        ],
        "department_code string, department_name string, business_unit string, last_modified timestamp, "
        "transaction_id string",
    )
    latest = transactions.transform(
        latest_attributes(
            ["department_code"], ["department_name", "business_unit"], order_by=["last_modified", "transaction_id"]
        )
    )
    expected = spark.createDataFrame(
        [
            ("LATEST", "New", "BU2"),
            ("TIE", "Greater id", "BU2"),
            ("NULL", "Dated", "BU1"),
            ("ALL-NULL", "Second", "BU2"),
            ("BLANK", None, None),
        ],
        "department_code string, department_name string, business_unit string",
    )
    assert_df_equality(latest, expected, ignore_row_order=True, ignore_nullable=True)


def test_latest_attributes_names_the_missing_columns(spark):
    df = spark.createDataFrame([], "code string, name string")
    message = "latest_attributes: missing column(s): last_modified"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        df.transform(latest_attributes(["code"], ["name"], order_by=["last_modified"]))


# conform_dimension -------------------------------------------------------------------------------

DEPARTMENT = STAR.table("dim_department")
DEPARTMENT_DDL = "department_key int, department_code string, department_name string, business_unit string"
MEMBERS_DDL = "department_code string, department_name string, business_unit string"
UNKNOWN = {"department_name": "Unknown", "business_unit": "Unknown"}


def test_conform_dimension_numbers_fresh_members_in_natural_key_order_without_an_unknown_member(spark):
    members = spark.createDataFrame(
        [("OPS", None, None), ("HR", "People", "Corporate"), ("FIN", "Finance", "Corporate")], MEMBERS_DDL
    )
    expected = spark.createDataFrame(
        [(1, "FIN", "Finance", "Corporate"), (2, "HR", "People", "Corporate"), (3, "OPS", None, None)],
        DEPARTMENT_DDL,
    )
    dimension = members.transform(conform_dimension(DEPARTMENT))
    assert_df_equality(dimension, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.fixture(scope="module")
def second_run(spark):
    """A run over a published dimension: updated, inferred, absent and new members."""
    existing = spark.createDataFrame(
        [
            (-1, None, "Unknown", "Unknown"),
            (1, "FIN", "Finance", "Corporate"),
            (2, "HR", "People (old)", "Corporate"),
            (5, "LEG", "Legal", "Corporate"),
        ],
        DEPARTMENT_DDL,
    )
    members = spark.createDataFrame(
        [
            ("HR", "People", "Shared services"),
            ("OPS", None, None),
            ("LEG", None, None),
            ("ACC", "Accounting", "Corporate"),
        ],
        MEMBERS_DDL,
    )
    dimension = members.transform(conform_dimension(DEPARTMENT, existing=existing, unknown_member=UNKNOWN)).cache()
    yield dimension
    dimension.unpersist()


def _members(dimension, *codes):
    return dimension.filter(F.col("department_code").isin(list(codes)))


def test_conform_dimension_existing_members_keep_their_keys_and_take_new_attributes(spark, second_run):
    expected = spark.createDataFrame([(2, "HR", "People", "Shared services")], DEPARTMENT_DDL)
    assert_df_equality(_members(second_run, "HR"), expected, ignore_nullable=True)


def test_conform_dimension_new_members_get_keys_above_the_maximum_in_natural_key_order(spark, second_run):
    expected = spark.createDataFrame([(6, "ACC", "Accounting", "Corporate"), (7, "OPS", None, None)], DEPARTMENT_DDL)
    assert_df_equality(_members(second_run, "ACC", "OPS"), expected, ignore_row_order=True, ignore_nullable=True)


def test_conform_dimension_inferred_member_keeps_its_existing_attributes(spark, second_run):
    expected = spark.createDataFrame([(5, "LEG", "Legal", "Corporate")], DEPARTMENT_DDL)
    assert_df_equality(_members(second_run, "LEG"), expected, ignore_nullable=True)


def test_conform_dimension_keeps_members_absent_from_the_run(spark, second_run):
    expected = spark.createDataFrame([(1, "FIN", "Finance", "Corporate")], DEPARTMENT_DDL)
    assert_df_equality(_members(second_run, "FIN"), expected, ignore_nullable=True)


def test_conform_dimension_adds_exactly_one_unknown_member(spark, second_run):
    expected = spark.createDataFrame([(-1, None, "Unknown", "Unknown")], DEPARTMENT_DDL)
    assert_df_equality(second_run.filter(F.col("department_code").isNull()), expected, ignore_nullable=True)


def test_conform_dimension_has_the_table_columns_and_types(second_run):
    assert [(f.name, f.dataType) for f in second_run.schema] == [(f.name, f.dataType) for f in DEPARTMENT.schema]


def test_conform_dimension_needs_one_key_column_and_a_natural_key():
    spec = TableSpec("bridge", "dimension", (TableColumn("a", "int"), TableColumn("b", "int")), key=("a", "b"))
    message = "table 'bridge' needs exactly one key column and a natural key"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        conform_dimension(spec)


def test_conform_dimension_names_the_missing_member_columns(spark):
    members = spark.createDataFrame([], "department_code string, department_name string")
    message = "dim_department: members lack column(s): business_unit"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        members.transform(conform_dimension(DEPARTMENT))


# conform_to --------------------------------------------------------------------------------------


def test_conform_to_selects_and_casts_exactly_the_table_columns(spark):
    df = spark.createDataFrame([("x", "Actual", 1)], "extra string, scenario_name string, scenario_key long")
    conformed = df.transform(conform_to(STAR.table("dim_scenario")))
    expected = spark.createDataFrame([(1, "Actual")], "scenario_key int, scenario_name string")
    assert_df_equality(conformed, expected, ignore_nullable=True)


def test_conform_to_names_the_missing_columns(spark):
    df = spark.createDataFrame([], "scenario_key int")
    message = "dim_scenario: missing column(s): scenario_name"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        df.transform(conform_to(STAR.table("dim_scenario")))


# bin_label ---------------------------------------------------------------------------------------

#: The age groups of ``dim_customer`` (``derived`` in schemas/customer_transactions/star.json).
AGE_BINS = next(
    t["derived"]["age_group"]["bins"]
    for t in read_packaged_json("gluestar.schemas", "customer_transactions/star.json", what="star schema")["tables"]
    if t["name"] == "dim_customer"
)


def test_bin_label_maps_ages_to_their_inclusive_group(spark):
    ages = spark.createDataFrame(
        [(17, None), (18, "18-24"), (24, "18-24"), (25, "25-34"), (64, "55-64"), (65, "65+"), (120, "65+"),
         (None, None)],
        "age int, expected string",
    )  # fmt: skip
    labelled = ages.withColumn("age_group", bin_label(F.col("age"), AGE_BINS))
    assert_column_equality(labelled, "age_group", "expected")


def test_bin_label_leaves_values_between_bins_null(spark):
    values = spark.createDataFrame([(24.5, None), (25.0, "25-34")], "v double, expected string")
    labelled = values.withColumn("label", bin_label(F.col("v"), AGE_BINS))
    assert_column_equality(labelled, "label", "expected")


@pytest.mark.parametrize(
    ("bins", "message"),
    [
        ([], "bin_label needs at least one (low, high, label) bin; got []"),
        ([(18, 24)], "bin_label: a bin is (low, high, label); got (18, 24)"),
        ([(18, 24, "")], "bin_label: the label of a bin must be a non-empty string; got ''"),
        ([("18", 24, "18-24")], "bin_label: low of bin '18-24' must be a number; got '18'"),
        ([(18, True, "18-24")], "bin_label: high of bin '18-24' must be a number or None (open); got True"),
        ([(24, 18, "18-24")], "bin_label: bin '18-24' has high 18 below low 24"),
        ([(25, 34, "25-34"), (18, 25, "18-25")], "bin_label: bins '18-25' and '25-34' overlap"),
        ([(65, None, "65+"), (70, 80, "70-80")], "bin_label: bins '65+' and '70-80' overlap"),
    ],
)
def test_bin_label_rejects_bad_bins(bins, message):
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        bin_label(F.col("age"), bins)
