"""Tests of gluestar.columns: the ``Column -> Column`` helpers behind cleaning and validation."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from gluestar.columns import (
    amount_in_range,
    any_padded,
    date_key,
    excerpt,
    is_amount,
    is_integer,
    join_reasons,
    normalise_case,
    parse_amount,
    parse_boolean,
    parse_date,
    parse_epoch_seconds,
    parse_integer,
    parse_month,
    parse_timestamp,
    trim_to_null,
)
from gluestar.exceptions import ConfigurationError

DATE_FORMATS = ["yyyy-MM-dd", "yyyy/MM/dd"]
TIMESTAMP_FORMATS = ["yyyy-MM-dd'T'HH:mm:ss"]


def _cases(spark, rows, expected_type):
    """A frame of ``(s string, expected <expected_type>)`` cases."""
    return spark.createDataFrame(rows, f"s string, expected {expected_type}")


# trim_to_null ------------------------------------------------------------------------------------


def test_trim_to_null_trims_white_space_no_break_space_and_bom(spark):
    cases = _cases(
        spark,
        [
            ("  a ", "a"),
            ("\t a b \r\n", "a b"),
            ("\u00a0a\u00a0", "a"),
            ("\ufeffa", "a"),
            ("\u000b\u000ca\u00a0\ufeff ", "a"),
            (" Budget  Q1 ", "Budget  Q1"),
            # Padding at one end only, and white space only inside (left as is).
            ("a\u00a0", "a"),
            ("\ufeffa b", "a b"),
            ("a\n", "a"),
            ("a \tb", "a \tb"),
            ("é", "é"),
        ],
        "string",
    )
    assert_column_equality(cases.withColumn("actual", trim_to_null(F.col("s"))), "actual", "expected")


def test_any_padded_finds_spaces_at_either_end_of_any_value_and_rarer_white_space_anywhere(spark):
    rows = spark.createDataFrame(
        [
            ("a", "b", "c", False),
            (" a", "b", "c", True),
            ("a", "b\u00a0", "c", True),
            ("a", None, "\ufeffc", True),
            ("a b", "b c", None, False),
            ("a", "b\tc", None, True),
            ("a", "b\r\nc", None, True),
            (None, None, None, False),
            ("a", "", "c", False),
        ],
        "x string, y string, z string, expected boolean",
    )
    actual = rows.withColumn("actual", any_padded([F.col("x"), F.col("y"), F.col("z")]))
    assert_column_equality(actual, "actual", "expected")


def test_trim_to_null_trims_only_when_told_the_row_is_padded(spark):
    rows = spark.createDataFrame(
        [(" a ", True, "a"), (" a ", False, " a "), ("", False, None)], "s string, p boolean, expected string"
    )
    assert_column_equality(rows.withColumn("actual", trim_to_null(F.col("s"), F.col("p"))), "actual", "expected")


def test_trim_to_null_turns_empty_and_blank_into_null(spark):
    cases = _cases(spark, [("", None), ("   ", None), ("\u00a0\ufeff\t", None), (None, None)], "string")
    assert_column_equality(cases.withColumn("actual", trim_to_null(F.col("s"))), "actual", "expected")


# normalise_case ----------------------------------------------------------------------------------


def test_normalise_case_upper_lower_and_title_word_by_word(spark):
    cases = spark.createDataFrame(
        [
            ("fin-01", "FIN-01", "fin-01", "Fin-01"),
            ("budget", "BUDGET", "budget", "Budget"),
            ("budget q1", "BUDGET Q1", "budget q1", "Budget Q1"),
            ("BUDGET Q1", "BUDGET Q1", "budget q1", "Budget Q1"),
            (None, None, None, None),
        ],
        "s string, upper string, lower string, title string",
    )
    case_names = ("upper", "lower", "title")
    normalised = cases.select(
        F.struct(*[normalise_case(F.col("s"), case).alias(case) for case in case_names]).alias("actual"),
        F.struct(*case_names).alias("expected"),
    )
    assert_column_equality(normalised, "actual", "expected")


def test_normalise_case_none_returns_the_column_unchanged():
    column = F.col("s")
    assert normalise_case(column, None) is column


def test_normalise_case_rejects_an_unknown_case():
    message = "case must be one of 'upper', 'lower', 'title' or None; got 'camel'"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        normalise_case(F.col("s"), "camel")  # type: ignore[arg-type]


# parse_amount ------------------------------------------------------------------------------------


def test_parse_amount_accepts_every_documented_spelling(spark):
    cases = _cases(
        spark,
        [
            ("12", Decimal("12.00")),
            ("0", Decimal("0.00")),
            ("12.5", Decimal("12.50")),
            ("-12.5", Decimal("-12.50")),
            ("+12.5", Decimal("12.50")),
            ("$12", Decimal("12.00")),
            ("£1,234.50", Decimal("1234.50")),
            ("€7", Decimal("7.00")),
            ("-$3.10", Decimal("-3.10")),
            ("$-3.10", Decimal("-3.10")),
            ("+€3", Decimal("3.00")),
            ("1,234", Decimal("1234.00")),
            ("12,345,678.9", Decimal("12345678.90")),
            ("(1,234.50)", Decimal("-1234.50")),
            ("(12)", Decimal("-12.00")),
            ("($12.25)", Decimal("-12.25")),
            ("007.10", Decimal("7.10")),
            ("-0", Decimal("0.00")),
        ],
        "decimal(18,2)",
    )
    assert_column_equality(cases.withColumn("actual", parse_amount(F.col("s"))), "actual", "expected")


def test_parse_amount_rejects_every_other_spelling(spark):
    rejected = [
        "abc", "12..5", "1.2.3", ".5", "5.", "1e5", "1,23", "1,2345", "12,345.678,9", "1 000", "--5", "+-5",
        "$$5", "5$", "€ 5", "US$5", "(-5)", "(5", "5)", "()", "$", "-", "", "１２", "٣",
    ]  # fmt: skip
    cases = _cases(spark, [(s, None) for s in [*rejected, None]], "decimal(18,2)")
    assert_column_equality(cases.withColumn("actual", parse_amount(F.col("s"))), "actual", "expected")


def test_parse_amount_rounds_half_up(spark):
    cases = _cases(
        spark,
        [
            ("1.005", Decimal("1.01")),
            ("+12.345", Decimal("12.35")),
            ("-12.345", Decimal("-12.35")),
            ("(0.125)", Decimal("-0.13")),
            ("1.004", Decimal("1.00")),
            ("0.005", Decimal("0.01")),
            ("-0.004", Decimal("0.00")),
            ("1.00499999999999999999999", Decimal("1.00")),
            ("9999999999999999.994", Decimal("9999999999999999.99")),
        ],
        "decimal(18,2)",
    )
    assert_column_equality(cases.withColumn("actual", parse_amount(F.col("s"))), "actual", "expected")


def test_parse_amount_turns_values_too_large_for_the_type_into_null(spark):
    too_large = [
        "10000000000000000",
        "-10000000000000000",
        "(12,345,678,901,234,567.00)",
        "9999999999999999.995",
        "99999999999999999999999999999999999999999",
    ]
    fits = [("9999999999999999.99", Decimal("9999999999999999.99")), ("00000000000000000001.50", Decimal("1.50"))]
    cases = _cases(spark, [*[(s, None) for s in too_large], *fits], "decimal(18,2)")
    assert_column_equality(cases.withColumn("actual", parse_amount(F.col("s"))), "actual", "expected")


def test_parse_amount_uses_the_given_precision_and_scale(spark):
    cases = _cases(
        spark,
        [("12345", Decimal("12345")), ("123456", None), ("2.5", Decimal("3")), ("(2.4)", Decimal("-2"))],
        "decimal(5,0)",
    )
    parsed = cases.withColumn("actual", parse_amount(F.col("s"), 5, 0))
    assert parsed.schema["actual"].dataType.simpleString() == "decimal(5,0)"
    assert_column_equality(parsed, "actual", "expected")


@pytest.mark.parametrize(
    ("precision", "scale", "message"),
    [
        (38, 2, "amount precision must be an integer from 1 to 37; got 38"),
        (0, 0, "amount precision must be an integer from 1 to 37; got 0"),
        (5, 6, "amount scale must be an integer from 0 to the precision (5); got 6"),
        (5, -1, "amount scale must be an integer from 0 to the precision (5); got -1"),
    ],
)
def test_parse_amount_rejects_an_impossible_decimal_type(precision, scale, message):
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        parse_amount(F.col("s"), precision, scale)


def test_is_amount_tells_well_formed_strings_whatever_their_size(spark):
    cases = _cases(
        spark, [("(1,234.50)", True), ("99999999999999999999999", True), ("12..5", False), (None, None)], "boolean"
    )
    assert_column_equality(cases.withColumn("actual", is_amount(F.col("s"))), "actual", "expected")


def test_amount_in_range_is_true_when_it_fits_false_when_too_large_null_when_no_amount(spark):
    cases = _cases(
        spark,
        [
            ("9,999,999,999,999,999.99", True),
            ("(9999999999999999.99)", True),
            ("9999999999999999.995", False),
            ("12345678901234567.00", False),
            ("-99999999999999999999999999999999999999999", False),
            ("abc", None),
            (".5", None),
            (None, None),
        ],
        "boolean",
    )
    assert_column_equality(cases.withColumn("actual", amount_in_range(F.col("s"))), "actual", "expected")


# is_integer, parse_integer, parse_boolean, parse_epoch_seconds -----------------------------------


def test_is_integer_is_a_sign_and_digits_of_any_size(spark):
    cases = _cases(
        spark,
        [
            ("7", True),
            ("-0042", True),
            ("+12", True),
            ("9" * 30, True),
            ("2.5", False),
            ("1,000", False),
            ("1e3", False),
            ("- 1", False),
            ("+", False),
            ("٣", False),  # an Arabic-Indic digit is not a digit here
            (None, None),
        ],
        "boolean",
    )
    assert_column_equality(cases.withColumn("actual", is_integer(F.col("s"))), "actual", "expected")


def test_parse_integer_reads_32_bit_integers_and_never_rounds(spark):
    cases = _cases(
        spark,
        [
            ("7", 7),
            ("+007", 7),
            ("-0", 0),
            ("-42", -42),
            ("2147483647", 2147483647),
            ("-2147483648", -2147483648),
            ("2147483648", None),
            ("-2147483649", None),
            ("9" * 30, None),
            ("2.5", None),
            ("2.0", None),
            ("abc", None),
            ("", None),
            (None, None),
        ],
        "int",
    )
    assert_column_equality(cases.withColumn("actual", parse_integer(F.col("s"))), "actual", "expected")


def test_parse_boolean_matches_the_spellings_case_insensitively(spark):
    cases = _cases(
        spark,
        [
            ("Yes", True),
            ("Y", True),
            ("1", True),
            ("NO", False),
            ("n", False),
            ("0", False),
            ("maybe", None),
            (None, None),
        ],
        "boolean",
    )
    parsed = parse_boolean(F.col("s"), ["yes", "y", "1"], ["No", "n", "0"])
    assert_column_equality(cases.withColumn("actual", parsed), "actual", "expected")


def test_parse_boolean_defaults_to_true_and_false(spark):
    cases = _cases(spark, [("TRUE", True), ("false", False), ("yes", None)], "boolean")
    assert_column_equality(cases.withColumn("actual", parse_boolean(F.col("s"))), "actual", "expected")


def test_parse_epoch_seconds_reads_integer_seconds_in_utc(spark):
    cases = _cases(
        spark,
        [
            ("0", dt.datetime(1970, 1, 1)),
            ("1744761599", dt.datetime(2025, 4, 15, 23, 59, 59)),
            ("+1744761600", dt.datetime(2025, 4, 16)),
            ("-86400", dt.datetime(1969, 12, 31)),
        ],
        "timestamp",
    )
    assert_column_equality(cases.withColumn("actual", parse_epoch_seconds(F.col("s"))), "actual", "expected")


def test_parse_epoch_seconds_holds_the_first_and_last_second_of_a_timestamp(spark):
    # Compared as seconds: Python cannot convert a timestamp in year 1 in every time zone.
    cases = _cases(spark, [("-62135596800", -62135596800), ("253402300799", 253402300799)], "bigint")
    seconds = F.unix_seconds(parse_epoch_seconds(F.col("s")))
    assert_column_equality(cases.withColumn("actual", seconds), "actual", "expected")


def test_parse_epoch_seconds_is_null_for_fractions_text_and_seconds_no_timestamp_holds(spark):
    cases = _cases(
        spark,
        [
            ("1744761599.5", None),
            ("2025-04-16T00:00:05", None),
            ("abc", None),
            ("-62135596801", None),
            ("253402300800", None),
            ("1" * 30, None),
            (None, None),
        ],
        "timestamp",
    )
    assert_column_equality(cases.withColumn("actual", parse_epoch_seconds(F.col("s"))), "actual", "expected")


# parse_date, parse_month, parse_timestamp --------------------------------------------------------


def test_parse_date_accepts_both_contract_formats(spark):
    cases = _cases(
        spark,
        [
            ("2025-01-05", dt.date(2025, 1, 5)),
            ("2025/12/31", dt.date(2025, 12, 31)),
            ("1900-01-01", dt.date(1900, 1, 1)),
        ],
        "date",
    )
    assert_column_equality(cases.withColumn("actual", parse_date(F.col("s"), DATE_FORMATS)), "actual", "expected")


def test_parse_date_rejects_impossible_dates(spark):
    impossible = [
        "2025-02-30",
        "2025-04-31",
        "2025/06/31",
        "2025-13-01",
        "2025-00-10",
        "2025-01-00",
        "2025-01-32",
        "0000-01-01",
    ]
    cases = _cases(spark, [(s, None) for s in impossible], "date")
    assert_column_equality(cases.withColumn("actual", parse_date(F.col("s"), DATE_FORMATS)), "actual", "expected")


def test_parse_date_knows_leap_years(spark):
    cases = _cases(
        spark,
        [
            ("2024-02-29", dt.date(2024, 2, 29)),
            ("2000-02-29", dt.date(2000, 2, 29)),
            ("2023-02-29", None),
            ("1900-02-29", None),
            ("2100/02/29", None),
        ],
        "date",
    )
    assert_column_equality(cases.withColumn("actual", parse_date(F.col("s"), DATE_FORMATS)), "actual", "expected")


def test_parse_date_rejects_strings_matching_no_format(spark):
    malformed = [
        "2025-1-5", "05/01/2025", "2025/01-05", "20250105", "2025-01-05T00:00:00", "2025-01-05 ", " 2025-01-05",
        "25-01-05", "abc", "", "２０２５-01-05",
    ]  # fmt: skip
    cases = _cases(spark, [(s, None) for s in [*malformed, None]], "date")
    assert_column_equality(cases.withColumn("actual", parse_date(F.col("s"), DATE_FORMATS)), "actual", "expected")


def test_parse_date_accepts_exactly_the_formats_given_with_quoted_literals(spark):
    cases = _cases(
        spark,
        [("20250105", dt.date(2025, 1, 5)), ("D2025.02.03", dt.date(2025, 2, 3)), ("2025-01-05", None)],
        "date",
    )
    parsed = parse_date(F.col("s"), ["yyyyMMdd", "'D'yyyy.MM.dd"])
    assert_column_equality(cases.withColumn("actual", parsed), "actual", "expected")


def test_parse_month_gives_the_first_day_of_the_month(spark):
    cases = _cases(
        spark,
        [
            ("2025-03", dt.date(2025, 3, 1)),
            ("2024-12", dt.date(2024, 12, 1)),
            ("2025-13", None),
            ("2025-00", None),
            ("2025-3", None),
            ("2025/03", None),
            ("2025-03-01", None),
            ("Mar 2025", None),
        ],
        "date",
    )
    assert_column_equality(cases.withColumn("actual", parse_month(F.col("s"))), "actual", "expected")


def test_parse_month_accepts_other_formats(spark):
    cases = _cases(spark, [("03/2025", dt.date(2025, 3, 1)), ("2025-03", None)], "date")
    assert_column_equality(cases.withColumn("actual", parse_month(F.col("s"), ["MM/yyyy"])), "actual", "expected")


def test_parse_timestamp_reads_iso_timestamps_in_utc(spark):
    cases = _cases(
        spark,
        [
            ("2025-01-05T10:00:00", dt.datetime(2025, 1, 5, 10, 0, 0)),
            ("2024-02-29T23:59:59", dt.datetime(2024, 2, 29, 23, 59, 59)),
            ("1960-07-01T00:00:01", dt.datetime(1960, 7, 1, 0, 0, 1)),
        ],
        "timestamp",
    )
    parsed = parse_timestamp(F.col("s"), TIMESTAMP_FORMATS)
    assert_column_equality(cases.withColumn("actual", parsed), "actual", "expected")


def test_parse_timestamp_rejects_malformed_and_impossible_timestamps(spark):
    malformed = [
        "2025-01-05T24:00:00", "2025-01-05T10:60:00", "2025-01-05T10:00:60", "2025-02-30T10:00:00",
        "2025-01-05 10:00:00", "2025-01-05T10:00", "2025-01-05T10:00:00Z", "2025-01-05T10:00:00.000", "2025-01-05",
    ]  # fmt: skip
    cases = _cases(spark, [(s, None) for s in [*malformed, None]], "timestamp")
    parsed = parse_timestamp(F.col("s"), TIMESTAMP_FORMATS)
    assert_column_equality(cases.withColumn("actual", parsed), "actual", "expected")


@pytest.mark.parametrize(
    ("formats", "message"),
    [
        ([], "at least one datetime format is needed"),
        (["yyyy-MM-dd'T"], 'unterminated quote in datetime format "yyyy-MM-dd\'T"'),
        (
            ["yyyy-MM-ddX"],
            "unsupported letter 'X' in datetime format 'yyyy-MM-ddX'; supported fields: yyyy, MM, dd, HH, mm, ss",
        ),
        (
            ["yyyy-M-d"],
            "unsupported letter 'M' in datetime format 'yyyy-M-d'; supported fields: yyyy, MM, dd, HH, mm, ss",
        ),
        (["yyyy-MM-dd-yyyy"], "field 'yyyy' appears twice in datetime format 'yyyy-MM-dd-yyyy'"),
        (["dd/MM"], "datetime format 'dd/MM' needs at least yyyy and MM"),
        (["yyyy-MM-dd", "yyyy.dd"], "datetime format 'yyyy.dd' needs at least yyyy and MM"),
    ],
)
def test_parse_date_rejects_unusable_formats(formats, message):
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        parse_date(F.col("s"), formats)


def test_parse_month_checks_its_formats():
    message = "unsupported letter 'Z' in datetime format 'yyyy-MMZ'; supported fields: yyyy, MM, dd, HH, mm, ss"
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        parse_month(F.col("s"), ["yyyy-MMZ"])


def test_parse_timestamp_checks_its_formats():
    message = "unterminated quote in datetime format \"yyyy-MM-dd'T'HH'\""
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        parse_timestamp(F.col("s"), ["yyyy-MM-dd'T'HH'"])


# date_key, excerpt, join_reasons -----------------------------------------------------------------


def test_date_key_is_the_integer_yyyymmdd(spark):
    cases = spark.createDataFrame(
        [
            (dt.date(2025, 3, 7), 20250307),
            (dt.date(1900, 1, 1), 19000101),
            (dt.date(2099, 12, 31), 20991231),
            (None, None),
        ],
        "d date, expected int",
    )
    assert_column_equality(cases.withColumn("actual", date_key(F.col("d"))), "actual", "expected")


def test_excerpt_quotes_the_value_and_cuts_it_to_40_characters(spark):
    forty, forty_one = "x" * 40, "y" * 41
    cases = _cases(
        spark,
        [("abc", "'abc'"), ("", "''"), (forty, f"'{forty}'"), (forty_one, f"'{'y' * 40}…'"), (None, None)],
        "string",
    )
    assert_column_equality(cases.withColumn("actual", excerpt(F.col("s"))), "actual", "expected")


def test_excerpt_takes_another_length(spark):
    cases = _cases(spark, [("abcdef", "'abc…'"), ("abc", "'abc'")], "string")
    assert_column_equality(cases.withColumn("actual", excerpt(F.col("s"), 3)), "actual", "expected")


def test_join_reasons_joins_the_non_null_reasons_and_is_null_without_any(spark):
    cases = spark.createDataFrame(
        [("a", None, "c", "a; c"), (None, "b", None, "b"), (None, None, None, None), ("a", "b", "c", "a; b; c")],
        "r1 string, r2 string, r3 string, expected string",
    )
    joined = join_reasons([F.col("r1"), F.col("r2"), F.col("r3")])
    assert_column_equality(cases.withColumn("actual", joined), "actual", "expected")


def test_join_reasons_of_no_reasons_is_a_null_string(spark):
    joined = spark.createDataFrame([(None,)], "expected string").withColumn("actual", join_reasons([]))
    assert joined.schema["actual"].dataType.simpleString() == "string"
    assert_column_equality(joined, "actual", "expected")
