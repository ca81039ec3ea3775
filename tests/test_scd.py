"""Tests of gluestar.scd: type-2 versions, the conformed type-2 dimension and point-in-time key lookups."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from chispa import assert_column_equality, assert_df_equality
from pyspark.sql import functions as F

from gluestar.contracts import TableColumn, TableSpec, load_star_schema
from gluestar.dimensions import bin_label
from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.scd import Scd2Spec, conform_scd2_dimension, point_in_time_key, scd2_versions

REPO = Path(__file__).resolve().parents[1]
STAR_JSON = json.loads((REPO / "schemas" / "customer_transactions" / "star.json").read_text(encoding="utf-8"))
DIM_CUSTOMER_JSON = next(t for t in STAR_JSON["tables"] if t["name"] == "dim_customer")
FIXTURE = json.loads(
    (REPO / "tests" / "retail" / "fixtures" / "customer_transactions.json").read_text(encoding="utf-8")
)
TABLE = load_star_schema("customer_transactions").table("dim_customer")
SPEC = Scd2Spec.from_dict(DIM_CUSTOMER_JSON["scd"])
OPEN = dt.date(9999, 12, 31)

#: Observations: one row per purchase (several a day allowed), with the tracked values.
OBSERVATIONS = "customer_id string, purchase_date date, age_group string, gender string, is_repeat_customer boolean"
#: ``scd2_versions``' output for SPEC.
VERSIONS = (
    "customer_id string, age_group string, gender string, is_repeat_customer boolean, "
    "valid_from date, valid_to date, is_current boolean"
)
DIM = f"customer_key int, {VERSIONS}"
UNKNOWN = (-1, None, None, None, None, dt.date(1900, 1, 1), OPEN, True)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _versions(spark, rows):
    """Observations ``(customer_id, 'yyyy-MM-dd', age_group, gender, is_repeat)`` -> their versions."""
    data = [(c, d(day) if day else None, a, g, r) for c, day, a, g, r in rows]
    return spark.createDataFrame(data, OBSERVATIONS).transform(scd2_versions(SPEC, "purchase_date"))


def _expected_versions(spark, rows):
    """Versions ``(customer_id, age_group, gender, is_repeat, from, to, is_current)`` with ISO dates."""
    return spark.createDataFrame([(*r[:4], d(r[4]), d(r[5]), r[6]) for r in rows], VERSIONS)


def _dimension(spark, rows):
    """Dimension rows ``(key, customer_id, age_group, gender, is_repeat, from, to, is_current)``."""
    return spark.createDataFrame([r if r[0] == -1 else (*r[:5], d(r[5]), d(r[6]), r[7]) for r in rows], TABLE.schema)


def _conform(spark, observation_rows, existing=None):
    versions = _versions(spark, observation_rows)
    return versions.transform(conform_scd2_dimension(TABLE, SPEC, existing=existing))


# --------------------------------------------------------------------------- #
# Scd2Spec
# --------------------------------------------------------------------------- #


def test_spec_reads_the_scd_object_of_dim_customer():
    expected = Scd2Spec(
        business_key=("customer_id",),
        tracked=("age_group", "gender", "is_repeat_customer"),
        valid_from="valid_from",
        valid_to="valid_to",
        current_flag="is_current",
        valid_to_inclusive=True,
        open_valid_to=OPEN,
        unknown_member={"customer_key": -1, "valid_from": dt.date(1900, 1, 1), "valid_to": OPEN, "is_current": True},
    )
    assert Scd2Spec.from_dict(DIM_CUSTOMER_JSON["scd"]) == expected
    assert SPEC.natural_key == TABLE.natural_key


def test_spec_defaults_every_optional_setting():
    spec = Scd2Spec.from_dict({"business_key": ["id"], "tracked": ["tier"]})
    assert (spec.valid_from, spec.valid_to, spec.current_flag) == ("valid_from", "valid_to", "is_current")
    assert (spec.valid_to_inclusive, spec.open_valid_to, dict(spec.unknown_member)) == (True, OPEN, {})


_BASE = {"business_key": ["id"], "tracked": ["tier"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["id"], "scd must be an object; got ['id']"),
        (
            {**_BASE, "tracked_columns": ["tier"]},
            "scd: unknown key(s) 'tracked_columns'; allowed: 'type', 'business_key', 'tracked', 'valid_from', "
            "'valid_to', 'current_flag', 'valid_to_inclusive', 'open_valid_to', 'first_valid_from', 'unknown_member'",
        ),
        ({**_BASE, "type": 1}, "scd: 'type' must be 2 (only type-2 dimensions are built); got 1"),
        ({"business_key": ["id"]}, "scd: missing required key(s): 'tracked'"),
        ({**_BASE, "tracked": []}, "scd: 'tracked' must be a non-empty list of column names; got []"),
        ({**_BASE, "tracked": "tier"}, "scd: 'tracked' must be a non-empty list of column names; got 'tier'"),
        ({**_BASE, "business_key": ["id", "id"]}, "scd: 'business_key' lists a column twice: ['id', 'id']"),
        (
            {**_BASE, "tracked": ["tier", "id"]},
            "scd: business_key, tracked, valid_from, valid_to and current_flag must name different columns; "
            "repeated: id",
        ),
        ({**_BASE, "valid_to": ""}, "scd: 'valid_to' must be a column name; got ''"),
        ({**_BASE, "valid_to_inclusive": "yes"}, "scd: 'valid_to_inclusive' must be true or false; got 'yes'"),
        (
            {**_BASE, "open_valid_to": "31/12/9999"},
            "scd: 'open_valid_to' must be an ISO date (yyyy-MM-dd); got '31/12/9999'",
        ),
        ({**_BASE, "unknown_member": [-1]}, "scd: 'unknown_member' must be an object; got [-1]"),
        (
            {**_BASE, "unknown_member": {"valid_from": "1900"}},
            "scd: unknown_member 'valid_from' must be an ISO date (yyyy-MM-dd); got '1900'",
        ),
        (
            {**_BASE, "unknown_member": {"is_current": 1}},
            "scd: unknown_member 'is_current' must be true or false; got 1",
        ),
    ],
)
def test_spec_rejects_bad_settings_naming_them(data, message):
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        Scd2Spec.from_dict(data)


# --------------------------------------------------------------------------- #
# scd2_versions
# --------------------------------------------------------------------------- #


def test_versions_of_the_fixture_customers_match_the_hand_computed_dim_customer(spark):
    """The accepted purchases of the fixture, age grouped with ``derived``'s bins."""
    purchases = spark.createDataFrame(
        [
            ("C1", 24, "Female", False, d("2025-01-10")),
            ("C1", 24, "Female", True, d("2025-02-10")),
            ("C1", 25, "Female", True, d("2025-03-10")),
            ("C2", 40, "Male", False, d("2025-01-15")),
            ("C2", 40, "Male", False, d("2025-02-15")),
            ("C3", 70, "Other", True, d("2025-02-20")),
        ],
        "customer_id string, age int, gender string, is_repeat_customer boolean, purchase_date date",
    )
    age_group = bin_label(F.col("age"), DIM_CUSTOMER_JSON["derived"]["age_group"]["bins"])
    versions = purchases.withColumn("age_group", age_group).transform(scd2_versions(SPEC, "purchase_date"))
    expected = spark.createDataFrame(
        [
            (
                v["customer_id"],
                v["age_group"],
                v["gender"],
                v["is_repeat_customer"],
                d(v["valid_from"]),
                d(v["valid_to"]),
                v["is_current"],
            )
            for v in FIXTURE["dim_customer"]
        ],
        VERSIONS,
    )
    assert versions.columns == list(SPEC.version_columns)
    assert_df_equality(versions, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_change_back_is_a_new_version(spark):
    versions = _versions(
        spark,
        [
            ("C1", "2025-01-01", "18-24", "Female", False),
            ("C1", "2025-02-01", "18-24", "Female", True),
            ("C1", "2025-02-15", "18-24", "Female", True),
            ("C1", "2025-03-01", "18-24", "Female", False),
        ],
    )
    expected = _expected_versions(
        spark,
        [
            ("C1", "18-24", "Female", False, "2025-01-01", "2025-01-31", False),
            ("C1", "18-24", "Female", True, "2025-02-01", "2025-02-28", False),
            ("C1", "18-24", "Female", False, "2025-03-01", "9999-12-31", True),
        ],
    )
    assert_df_equality(versions, expected, ignore_row_order=True, ignore_nullable=True)


def test_nulls_in_tracked_columns_compare_equal_to_nulls_and_differ_from_values(spark):
    versions = _versions(
        spark,
        [
            ("C1", "2025-01-01", None, None, None),
            ("C1", "2025-01-02", None, None, None),
            ("C1", "2025-01-03", None, "Male", None),
            ("C1", "2025-01-04", None, "Male", None),
            ("C1", "2025-01-05", None, None, None),
        ],
    )
    expected = _expected_versions(
        spark,
        [
            ("C1", None, None, None, "2025-01-01", "2025-01-02", False),
            ("C1", None, "Male", None, "2025-01-03", "2025-01-04", False),
            ("C1", None, None, None, "2025-01-05", "9999-12-31", True),
        ],
    )
    assert_df_equality(versions, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize("first", ["Female", "Male"])
def test_one_day_with_different_values_keeps_the_greatest_whatever_the_input_order(spark, first):
    second = "Male" if first == "Female" else "Female"
    versions = _versions(
        spark,
        [
            ("C1", "2025-01-01", "18-24", "Female", False),
            ("C1", "2025-01-05", "18-24", first, False),
            ("C1", "2025-01-05", "18-24", second, False),
            ("C1", "2025-01-05", "18-24", second, None),
        ],
    )
    expected = _expected_versions(
        spark,
        [
            ("C1", "18-24", "Female", False, "2025-01-01", "2025-01-04", False),
            ("C1", "18-24", "Male", False, "2025-01-05", "9999-12-31", True),
        ],
    )
    assert_df_equality(versions, expected, ignore_row_order=True, ignore_nullable=True)


def test_observations_without_a_business_key_or_a_date_are_ignored(spark):
    versions = _versions(
        spark,
        [
            ("C1", "2025-01-01", "18-24", "Female", False),
            ("C1", None, "25-34", "Female", False),
            (None, "2025-01-02", "25-34", "Female", False),
        ],
    )
    expected = _expected_versions(spark, [("C1", "18-24", "Female", False, "2025-01-01", "9999-12-31", True)])
    assert_df_equality(versions, expected, ignore_row_order=True, ignore_nullable=True)


def test_an_exclusive_valid_to_is_the_next_version_start(spark):
    spec = Scd2Spec.from_dict({**DIM_CUSTOMER_JSON["scd"], "valid_to_inclusive": False, "open_valid_to": "2999-01-01"})
    observations = spark.createDataFrame(
        [("C1", d("2025-01-01"), "18-24", "Female", False), ("C1", d("2025-02-01"), "25-34", "Female", False)],
        OBSERVATIONS,
    )
    versions = observations.transform(scd2_versions(spec, "purchase_date"))
    expected = _expected_versions(
        spark,
        [
            ("C1", "18-24", "Female", False, "2025-01-01", "2025-02-01", False),
            ("C1", "25-34", "Female", False, "2025-02-01", "2999-01-01", True),
        ],
    )
    assert_df_equality(versions, expected, ignore_row_order=True, ignore_nullable=True)


def test_versions_need_every_column_and_a_date(spark):
    observations = spark.createDataFrame(
        [("C1", "2025-01-01", "M")], "customer_id string, purchase_date string, x string"
    )
    message = "scd2_versions: missing column(s): age_group, gender, is_repeat_customer"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        observations.transform(scd2_versions(SPEC, "purchase_date"))
    typed = observations.select(
        "customer_id",
        "purchase_date",
        F.lit("18-24").alias("age_group"),
        F.col("x").alias("gender"),
        F.lit(True).alias("is_repeat_customer"),
    )
    message = "scd2_versions: 'purchase_date' must be a date column; got string"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        typed.transform(scd2_versions(SPEC, "purchase_date"))


# --------------------------------------------------------------------------- #
# conform_scd2_dimension
# --------------------------------------------------------------------------- #

RUN_1 = [
    ("C1", "2025-01-01", "18-24", "Female", False),
    ("C1", "2025-03-01", "18-24", "Female", False),
    ("C2", "2025-01-15", "35-44", "Male", False),
]


def test_a_first_run_numbers_versions_in_natural_key_order_and_adds_the_unknown_member(spark):
    dimension = _conform(
        spark,
        [
            ("C2", "2025-01-15", "35-44", "Male", False),
            ("C1", "2025-01-01", "18-24", "Female", False),
            ("C1", "2025-02-01", "18-24", "Female", True),
        ],
    )
    expected = _dimension(
        spark,
        [
            (1, "C1", "18-24", "Female", False, "2025-01-01", "2025-01-31", False),
            (2, "C1", "18-24", "Female", True, "2025-02-01", "9999-12-31", True),
            (3, "C2", "35-44", "Male", False, "2025-01-15", "9999-12-31", True),
            UNKNOWN,
        ],
    )
    assert dimension.columns == list(TABLE.column_names)
    assert_df_equality(dimension, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_late_observation_splits_a_version_keeping_unchanged_natural_keys(spark):
    published = _conform(spark, RUN_1)  # C1 (1, from 2025-01-01), C2 (2)
    # the run holds every observation of C1 (only C1 is in it): a late B on 2025-02-01
    dimension = _conform(
        spark,
        [
            ("C1", "2025-01-01", "18-24", "Female", False),
            ("C1", "2025-02-01", "25-34", "Female", False),
            ("C1", "2025-03-01", "18-24", "Female", False),
        ],
        existing=published,
    )
    expected = _dimension(
        spark,
        [
            (1, "C1", "18-24", "Female", False, "2025-01-01", "2025-01-31", False),
            (3, "C1", "25-34", "Female", False, "2025-02-01", "2025-02-28", False),
            (4, "C1", "18-24", "Female", False, "2025-03-01", "9999-12-31", True),
            (2, "C2", "35-44", "Male", False, "2025-01-15", "9999-12-31", True),
            UNKNOWN,
        ],
    )
    assert dimension.columns == list(TABLE.column_names)
    assert_df_equality(dimension, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_corrected_observation_merges_versions_and_the_merged_away_ones_disappear(spark):
    published = _dimension(
        spark,
        [
            (1, "C1", "18-24", "Female", False, "2025-01-01", "2025-01-31", False),
            (2, "C1", "18-24", "Female", True, "2025-02-01", "2025-02-28", False),
            (3, "C1", "18-24", "Female", False, "2025-03-01", "9999-12-31", True),
            UNKNOWN,
        ],
    )
    # the February purchase was corrected: not a repeat customer after all
    dimension = _conform(
        spark,
        [
            ("C1", "2025-01-01", "18-24", "Female", False),
            ("C1", "2025-02-01", "18-24", "Female", False),
            ("C1", "2025-03-01", "18-24", "Female", False),
        ],
        existing=published,
    )
    expected = _dimension(spark, [(1, "C1", "18-24", "Female", False, "2025-01-01", "9999-12-31", True), UNKNOWN])
    assert_df_equality(dimension, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_late_observation_merging_into_the_next_version_moves_its_start(spark):
    published = _dimension(
        spark,
        [
            (1, "C1", "18-24", "Female", False, "2025-01-01", "2025-02-28", False),
            (2, "C1", "25-34", "Female", False, "2025-03-01", "9999-12-31", True),
            UNKNOWN,
        ],
    )
    # a late purchase on 2025-02-15 already shows the new age group: version 2 now starts then
    dimension = _conform(
        spark,
        [
            ("C1", "2025-01-01", "18-24", "Female", False),
            ("C1", "2025-02-15", "25-34", "Female", False),
            ("C1", "2025-03-01", "25-34", "Female", False),
        ],
        existing=published,
    )
    expected = _dimension(
        spark,
        [
            (1, "C1", "18-24", "Female", False, "2025-01-01", "2025-02-14", False),
            (3, "C1", "25-34", "Female", False, "2025-02-15", "9999-12-31", True),
            UNKNOWN,
        ],
    )
    assert_df_equality(dimension, expected, ignore_row_order=True, ignore_nullable=True)


def test_business_keys_not_in_the_run_keep_their_published_rows_untouched(spark):
    published = _dimension(
        spark,
        [
            (7, "C1", "18-24", "Female", False, "2025-01-01", "9999-12-31", True),
            (4, "C9", None, "Other", None, "2020-05-05", "2021-01-01", False),
            (5, "C9", "65+", "Other", None, "2021-01-02", "9999-12-31", True),
            UNKNOWN,
        ],
    )
    dimension = _conform(spark, [("C1", "2025-01-01", "25-34", "Female", False)], existing=published)
    expected = _dimension(
        spark,
        [
            (7, "C1", "25-34", "Female", False, "2025-01-01", "9999-12-31", True),
            (4, "C9", None, "Other", None, "2020-05-05", "2021-01-01", False),
            (5, "C9", "65+", "Other", None, "2021-01-02", "9999-12-31", True),
            UNKNOWN,
        ],
    )
    assert_df_equality(dimension, expected, ignore_row_order=True, ignore_nullable=True)


def test_reruns_keep_one_unknown_member_and_the_same_keys(spark):
    first = _conform(spark, RUN_1).localCheckpoint()
    dimension = first
    for _ in range(3):
        dimension = _conform(spark, RUN_1, existing=dimension).localCheckpoint()
    assert dimension.filter(F.col("customer_key") == -1).count() == 1
    assert_df_equality(dimension, first, ignore_row_order=True)


def test_the_unknown_member_takes_the_given_attributes(spark):
    spec = Scd2Spec.from_dict(
        {**DIM_CUSTOMER_JSON["scd"], "unknown_member": {"gender": "Unknown", "valid_to": "2999-01-01"}}
    )
    versions = _versions(spark, [("C1", "2025-01-01", "18-24", "Female", False)])
    dimension = versions.transform(conform_scd2_dimension(TABLE, spec))
    unknown = dimension.filter(F.col("customer_key") == -1)
    expected = _dimension(spark, [(-1, None, None, "Unknown", None, dt.date(1900, 1, 1), d("2999-01-01"), True)])
    assert_df_equality(unknown, expected, ignore_nullable=True)


def _table(natural_key=("customer_id", "valid_from"), key=("customer_key",)):
    columns = tuple(TableColumn(f.name, f.dataType.simpleString(), f.nullable) for f in TABLE.schema.fields)
    return TableSpec("dim_x", "dimension", columns, key=key, natural_key=natural_key)


@pytest.mark.parametrize(
    ("table", "scd", "message"),
    [
        (
            _table(key=()),
            {},
            "table 'dim_x': a type-2 dimension needs exactly one key column",
        ),
        (
            _table(natural_key=("customer_id",)),
            {},
            "table 'dim_x': natural_key must be the business key and valid_from ['customer_id', 'valid_from']; "
            "got ['customer_id']",
        ),
        (
            _table(),
            {"current_flag": "current"},
            "table 'dim_x': scd column(s) not declared: current",
        ),
        (
            _table(),
            {"unknown_member": {"city": "Unknown"}},
            "table 'dim_x': unknown_member column(s) not declared: city",
        ),
        (
            _table(),
            {"unknown_member": {"customer_key": 0}},
            "table 'dim_x': unknown_member 'customer_key' must be -1; got 0",
        ),
    ],
)
def test_conform_rejects_a_table_that_does_not_fit_the_spec(table, scd, message):
    spec = Scd2Spec.from_dict({**DIM_CUSTOMER_JSON["scd"], **scd})
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        conform_scd2_dimension(table, spec)


def test_conform_needs_every_table_column_in_the_versions(spark):
    versions = _versions(spark, RUN_1).drop("gender", "is_current")
    message = "dim_customer: versions lack column(s): gender, is_current"
    with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
        versions.transform(conform_scd2_dimension(TABLE, SPEC))


# --------------------------------------------------------------------------- #
# point_in_time_key
# --------------------------------------------------------------------------- #

FACTS = "order_id string, customer_id string, purchase_date date, expected int"


@pytest.fixture(scope="module")
def dim_customer(spark):
    """The fixture's C1 versions (keys 1-3), C2 (key 4) and the unknown member."""
    return _dimension(
        spark,
        [
            (1, "C1", "18-24", "Female", False, "2025-01-10", "2025-02-09", False),
            (2, "C1", "18-24", "Female", True, "2025-02-10", "2025-03-09", False),
            (3, "C1", "25-34", "Female", True, "2025-03-10", "9999-12-31", True),
            (4, "C2", "35-44", "Male", False, "2025-01-15", "9999-12-31", True),
            UNKNOWN,
        ],
    )


def test_point_in_time_key_picks_the_version_valid_on_the_fact_date(spark, dim_customer):
    facts = spark.createDataFrame(
        [
            ("before the first version", "C1", d("2025-01-09"), -1),
            ("first day of version 1", "C1", d("2025-01-10"), 1),
            ("last day of version 1", "C1", d("2025-02-09"), 1),
            ("first day of version 2", "C1", d("2025-02-10"), 2),
            ("last day of version 2", "C1", d("2025-03-09"), 2),
            ("first day of the open version", "C1", d("2025-03-10"), 3),
            ("far into the open version", "C1", d("2031-06-30"), 3),
            ("another customer", "C2", d("2025-02-10"), 4),
            ("unknown customer", "C9", d("2025-02-10"), -1),
            ("no customer", None, d("2025-02-10"), -1),
            ("no date", "C1", None, -1),
        ],
        FACTS,
    )
    keyed = facts.transform(
        point_in_time_key(dim_customer, "customer_key", {"customer_id": "customer_id"}, "purchase_date", SPEC)
    )
    assert keyed.columns == [*facts.columns, "customer_key"]
    assert keyed.count() == facts.count()
    assert_column_equality(keyed, "customer_key", "expected")


def test_point_in_time_key_with_an_exclusive_valid_to_gives_the_boundary_day_to_the_next_version(spark):
    spec = Scd2Spec.from_dict({**DIM_CUSTOMER_JSON["scd"], "valid_to_inclusive": False})
    dimension = spark.createDataFrame(
        [(1, "C1", d("2025-01-01"), d("2025-02-01")), (2, "C1", d("2025-02-01"), OPEN)],
        "k int, id string, valid_from date, valid_to date",
    )
    facts = spark.createDataFrame(
        [("a", "C1", d("2025-01-31"), 1), ("b", "C1", d("2025-02-01"), 2), ("c", "C1", OPEN, 2)], FACTS
    )
    keyed = facts.transform(point_in_time_key(dimension, "k", {"customer_id": "id"}, "purchase_date", spec))
    assert_column_equality(keyed, "k", "expected")


def test_point_in_time_key_checks_its_columns(spark, dim_customer):
    facts = spark.createDataFrame([("o", "C1", d("2025-01-10"), 1)], FACTS)
    cases = [
        (
            facts.drop("purchase_date"),
            dim_customer,
            "point-in-time lookup of customer_key: fact column(s) missing: purchase_date",
        ),
        (
            facts.withColumnRenamed("expected", "customer_key"),
            dim_customer,
            "point-in-time lookup of customer_key: the facts already have a column 'customer_key'",
        ),
        (
            facts,
            dim_customer.drop("valid_to"),
            "point-in-time lookup of customer_key: dimension column(s) missing: valid_to",
        ),
    ]
    for fact_frame, dimension, message in cases:
        lookup = point_in_time_key(dimension, "customer_key", {"customer_id": "customer_id"}, "purchase_date", SPEC)
        with pytest.raises(SchemaContractError, match=f"^{re.escape(message)}$"):
            fact_frame.transform(lookup)
