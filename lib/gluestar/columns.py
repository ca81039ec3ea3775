"""Column expressions (``Column -> Column``) used by the transforms.

Everything here is built from native Spark functions only, so it runs in the JVM with whole-stage
code generation, and none of it depends on session settings such as the datetime parser policy or
ANSI mode: dates are parsed with regular expressions and range checks instead of ``to_date`` (whose
default parser policy raises on impossible dates such as ``2025-02-30``).

Examples
--------
>>> from pyspark.sql import functions as F
>>> from gluestar.columns import parse_amount, trim_to_null
>>> df = spark.createDataFrame([(" (1,234.50) ",)], "amount string")
>>> df.select(parse_amount(trim_to_null(F.col("amount"))).alias("amount")).first().amount
Decimal('-1234.50')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from gluestar.contracts import (
    MAX_AMOUNT_PRECISION,
    MAX_EPOCH_SECONDS,
    MAX_INTEGER,
    MIN_EPOCH_SECONDS,
    MIN_INTEGER,
    TRIM_CHARACTERS,
    Case,
)
from gluestar.exceptions import ConfigurationError

__all__ = [
    "amount_in_range",
    "date_key",
    "excerpt",
    "is_amount",
    "is_integer",
    "join_reasons",
    "normalise_case",
    "parse_amount",
    "parse_boolean",
    "parse_date",
    "parse_epoch_seconds",
    "parse_integer",
    "parse_month",
    "parse_timestamp",
    "trim_to_null",
    "any_padded",
]

#: Characters trimmed from both ends of every string: white space, no-break space and a stray BOM.
_TRIM_CHARACTERS = TRIM_CHARACTERS
_TRIM_CLASS = "[" + "".join(f"\\u{ord(c):04x}" for c in sorted(set(TRIM_CHARACTERS))) + "]"
_PADDED = f"^{_TRIM_CLASS}|{_TRIM_CLASS}$"
# The trim characters other than the space: rare in extracts, so a row is searched for them anywhere.
_RARE_WHITE_SPACE = "[" + "".join(f"\\u{ord(c):04x}" for c in sorted(set(TRIM_CHARACTERS) - {" "})) + "]"
_SEPARATOR = "\u0001"
_CURRENCY = "$£€"
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_AMOUNT_PLAIN = rf"^(?:[+-]?[{_CURRENCY}]?|[{_CURRENCY}][+-]){_NUMBER}$"
_AMOUNT_PARENTHESES = rf"^\([{_CURRENCY}]?{_NUMBER}\)$"
_AMOUNT = f"{_AMOUNT_PLAIN}|{_AMOUNT_PARENTHESES}"
_EXCERPT_LENGTH = 40


def any_padded(cols: Sequence[Column]) -> Column:
    """True when a value of ``cols`` may need :func:`trim_to_null`'s trimming.

    That is when a value starts or ends with a space, or when any value holds one of the rarer white
    space characters (tab, line breaks, no-break space, BOM) anywhere: one search over the row's
    values joined by U+0001, instead of a regex at both ends of each value. Almost no row is padded,
    so validation checks each row once and trims its values only when it is (trimming a value that
    needs none is always right, just slower).

    Examples
    --------
    >>> df = spark.createDataFrame([("a", "b "), ("a", None), ("a b", "c")], "x string, y string")
    >>> [r.p for r in df.select(any_padded([F.col("x"), F.col("y")]).alias("p")).collect()]
    [True, False, False]
    """
    # trim() without characters removes spaces only, and allocates nothing for a value it leaves alone.
    spaced = [~F.trim(col).eqNullSafe(col) for col in cols]
    rare = F.concat_ws(_SEPARATOR, *cols).rlike(_RARE_WHITE_SPACE)
    return reduce(lambda acc, flag: acc | flag, spaced, rare)


def trim_to_null(col: Column, padded: Column | None = None) -> Column:
    """Trim white space (including no-break space and BOM) from both ends; empty becomes null.

    Examples
    --------
    >>> df = spark.createDataFrame([("  a ",), ("   ",)], "s string")
    >>> [r.s for r in df.select(trim_to_null(F.col("s")).alias("s")).collect()]
    ['a', None]
    """
    # Spark's trim with a character set is slow (it copies a substring per character it tests), and
    # almost no value needs it: only a value whose first or last character is white space is trimmed
    # (``padded``, when given, says whether the value's row has one: see any_padded).
    if padded is None:
        padded = col.rlike(_PADDED)
    trimmed = F.when(padded, F.btrim(col, F.lit(_TRIM_CHARACTERS))).otherwise(col)
    return F.when(trimmed != F.lit(""), trimmed)


def normalise_case(col: Column, case: Case | None) -> Column:
    """Upper-, lower- or title-case a string column (title case is word by word).

    Examples
    --------
    >>> df = spark.createDataFrame([("budget q1",)], "s string")
    >>> df.select(normalise_case(F.col("s"), "title").alias("s")).first().s
    'Budget Q1'
    """
    if case is None:
        return col
    if case == "upper":
        return F.upper(col)
    if case == "lower":
        return F.lower(col)
    if case == "title":
        return F.initcap(col)
    raise ConfigurationError(f"case must be one of 'upper', 'lower', 'title' or None; got {case!r}")


def is_amount(col: Column) -> Column:
    """True when a string is a well-formed amount (whatever its size).

    Examples
    --------
    >>> df = spark.createDataFrame([("(1,234.50)",), ("12..5",)], "s string")
    >>> [r.ok for r in df.select(is_amount(F.col("s")).alias("ok")).collect()]
    [True, False]
    """
    return col.rlike(_AMOUNT)


def parse_amount(col: Column, precision: int = 18, scale: int = 2) -> Column:
    """Parse a money string into ``decimal(precision, scale)``, rounding half up; null if invalid.

    Accepts a plain decimal, a leading sign, one currency symbol (``$ £ €``), thousands separators
    and accounting negatives in parentheses. Values too large for the decimal type are null; use
    :func:`amount_in_range` to tell "not a number" from "too large".

    Examples
    --------
    >>> df = spark.createDataFrame([("$1,234.505",), ("(12)",), ("12..5",)], "s string")
    >>> [r.a for r in df.select(parse_amount(F.col("s")).alias("a")).collect()]
    [Decimal('1234.51'), Decimal('-12.00'), None]
    """
    _check_decimal(precision, scale)
    parts = _AmountParts(col, precision, scale)
    # A negative amount has a minus sign or parentheses; the sign goes into the number's text, so the
    # parsed value is referenced once (Spark evaluates a value referenced in both a condition and a
    # branch twice, and this is every row's work).
    sign = F.when(col.startswith("(") | col.contains("-"), F.lit("-")).otherwise(F.lit(""))
    number = F.concat(sign, F.lit("0"), parts.integer, F.lit("."), parts.decimals, F.lit("0"))
    # Only the text of an amount that fits is cast, so every cast is valid (also under ANSI mode);
    # the decimals were cut to scale + 1 digits, which keeps half-up rounding exact.
    wide = F.when(parts.fits, number).cast(f"decimal({min(precision + 2, 38)},{scale + 1})")
    return F.round(wide, scale).cast(f"decimal({precision},{scale})")


def _check_decimal(precision: int, scale: int) -> None:
    if not (isinstance(precision, int) and isinstance(scale, int) and 1 <= precision <= MAX_AMOUNT_PRECISION):
        raise ConfigurationError(
            f"amount precision must be an integer from 1 to {MAX_AMOUNT_PRECISION}; got {precision!r}"
        )
    if not 0 <= scale <= precision:
        raise ConfigurationError(
            f"amount scale must be an integer from 0 to the precision ({precision}); got {scale!r}"
        )


class _AmountParts:
    """The digits of a well-formed amount string, and whether it fits ``decimal(precision, scale)``.

    Plain string work on every value (character translation, cuts at the point) and one regex, the
    well-formedness check: no regex runs for the digits. ``fits`` is decided on the text, before any
    cast: at most ``precision - scale`` significant integer digits, and not all nines with decimals
    that round up into one more digit (``9999999999999999.995`` does not fit ``decimal(18,2)``).
    """

    def __init__(self, col: Column, precision: int, scale: int) -> None:
        room = precision - scale
        # Of a well-formed amount, only the digits and the point are left once its sign, currency
        # symbol, thousands separators and parentheses are.
        digits = F.translate(col, f"+-(),{_CURRENCY}", "")
        integer = F.substring_index(digits, ".", 1)
        # Leading zeros matter only for the length check of a long integer part: only such a part is
        # stripped of them (a regex, on the rare value that needs it).
        self.integer = F.when(F.length(integer) > F.lit(room), F.regexp_extract(integer, r"^0*(\d*)", 1)).otherwise(
            integer
        )
        self.decimals = F.when(
            digits.contains("."), F.substring(F.substring_index(digits, ".", -1), 1, scale + 1)
        ).otherwise(F.lit(""))
        carries = (
            (self.integer == F.lit("9" * room))
            & (F.substring(self.decimals, 1, scale) == F.lit("9" * scale))
            & (F.substring(self.decimals, scale + 1, 1) >= F.lit("5"))
        )
        self.well_formed = is_amount(col)
        self.fits = self.well_formed & (F.length(self.integer) <= F.lit(room)) & ~carries


def amount_in_range(col: Column, precision: int = 18, scale: int = 2) -> Column:
    """Whether an amount string fits ``decimal(precision, scale)`` after rounding half up.

    True when it is a well-formed amount that fits, False when it is well-formed but too large,
    null when it is not a well-formed amount at all (see :func:`is_amount`).

    Examples
    --------
    >>> df = spark.createDataFrame([("12345678901234567.00",), ("9,999.99",), ("abc",)], "s string")
    >>> [r.ok for r in df.select(amount_in_range(F.col("s")).alias("ok")).collect()]
    [False, True, None]
    """
    _check_decimal(precision, scale)
    parts = _AmountParts(col, precision, scale)
    return F.when(parts.well_formed, parts.fits)


_INTEGER = r"^[+-]?[0-9]+$"
_INTEGER_DIGITS = r"^[+-]?0*([0-9]+)$"
#: Most significant digits parsed into a bigint (any 18-digit number fits).
_MAX_DIGITS = 18


def is_integer(col: Column) -> Column:
    """True when a string is an optional sign followed by digits (whatever its size).

    Examples
    --------
    >>> df = spark.createDataFrame([("-0042",), ("2.5",)], "s string")
    >>> [r.ok for r in df.select(is_integer(F.col("s")).alias("ok")).collect()]
    [True, False]
    """
    return col.rlike(_INTEGER)


def _whole_number(col: Column) -> Column:
    """The bigint value of an integer string of at most 18 significant digits; null otherwise.

    The digits are cast only when they fit, so nothing here fails under ANSI mode.
    """
    digits = F.regexp_extract(col, _INTEGER_DIGITS, 1)  # "" when not an integer
    magnitude = F.when(F.length(digits).between(1, _MAX_DIGITS), digits).cast("bigint")
    return F.when(col.startswith("-"), -magnitude).otherwise(magnitude)


def parse_integer(col: Column) -> Column:
    """Parse an integer string (optional sign, digits) into a 32-bit ``int``; null if invalid.

    A fraction (``2.5``), text or a value outside -2147483648..2147483647 is null: never rounded
    or wrapped. Use :func:`is_integer` to tell "not an integer" from "too large".

    Examples
    --------
    >>> df = spark.createDataFrame([("+007",), ("2.5",), ("2147483648",)], "s string")
    >>> [r.i for r in df.select(parse_integer(F.col("s")).alias("i")).collect()]
    [7, None, None]
    """
    number = _whole_number(col)
    return F.when(number.between(MIN_INTEGER, MAX_INTEGER), number.cast("int"))


def parse_boolean(
    col: Column, true_values: Sequence[str] = ("true",), false_values: Sequence[str] = ("false",)
) -> Column:
    """Parse a (trimmed) string into a boolean by its spellings, case-insensitively; null if unknown.

    Examples
    --------
    >>> df = spark.createDataFrame([("Yes",), ("n",), ("maybe",)], "s string")
    >>> [r.b for r in df.select(parse_boolean(F.col("s"), ["yes", "y"], ["no", "n"]).alias("b")).collect()]
    [True, False, None]
    """
    lowered = F.lower(col)
    return F.when(lowered.isin([v.lower() for v in true_values]), F.lit(True)).when(
        lowered.isin([v.lower() for v in false_values]), F.lit(False)
    )


def parse_epoch_seconds(col: Column) -> Column:
    """Parse integer seconds since 1970-01-01 UTC into a timestamp; null if invalid.

    Null for anything but an optional sign and digits (``1.5`` too) and for seconds outside the
    range a timestamp holds (0001-01-01 to 9999-12-31).

    Examples
    --------
    >>> df = spark.createDataFrame([("1744761599",), ("1744761599.5",)], "s string")
    >>> [r.t for r in df.select(parse_epoch_seconds(F.col("s")).alias("t")).collect()]
    [datetime.datetime(2025, 4, 15, 23, 59, 59), None]
    """
    seconds = _whole_number(col)
    return F.when(seconds.between(MIN_EPOCH_SECONDS, MAX_EPOCH_SECONDS), F.timestamp_seconds(seconds))


@dataclass(frozen=True)
class _Pattern:
    regex: str
    fields: dict[str, tuple[int, int]]  # field -> (1-based position, length) in a matching string


_TOKENS = {"yyyy": r"\d{4}", "MM": r"\d{2}", "dd": r"\d{2}", "HH": r"\d{2}", "mm": r"\d{2}", "ss": r"\d{2}"}
_TOKEN_FIELD = {"yyyy": "year", "MM": "month", "dd": "day", "HH": "hour", "mm": "minute", "ss": "second"}


def _compile_pattern(pattern: str) -> _Pattern:
    """Translate a datetime pattern (``yyyy-MM-dd'T'HH:mm:ss``) into an anchored regex.

    Every field has a fixed width (``\\d`` is ASCII digits only), so in a string the regex matches
    each field sits at a fixed position: it is read with a substring, not a second regex.
    """
    regex, fields, position, offset = "", {}, 0, 1
    while position < len(pattern):
        if pattern[position] == "'":
            end = pattern.find("'", position + 1)
            if end < 0:
                raise ConfigurationError(f"unterminated quote in datetime format {pattern!r}")
            literal = pattern[position + 1 : end]
            regex += re.escape(literal)
            offset += len(literal)
            position = end + 1
            continue
        token = next((t for t in _TOKENS if pattern.startswith(t, position)), None)
        if token is None:
            char = pattern[position]
            if char.isalpha():
                raise ConfigurationError(
                    f"unsupported letter {char!r} in datetime format {pattern!r}; "
                    f"supported fields: {', '.join(_TOKENS)}"
                )
            regex += re.escape(char)
            offset += 1
            position += 1
            continue
        field = _TOKEN_FIELD[token]
        if field in fields:
            raise ConfigurationError(f"field {token!r} appears twice in datetime format {pattern!r}")
        fields[field] = (offset, len(token))
        regex += _TOKENS[token]
        offset += len(token)
        position += len(token)
    if "year" not in fields or "month" not in fields:
        raise ConfigurationError(f"datetime format {pattern!r} needs at least yyyy and MM")
    return _Pattern(f"^{regex}$", fields)


def _parse_one(col: Column, pattern: str, with_time: bool) -> Column:
    compiled = _compile_pattern(pattern)
    # Only a string the format's regex matches is cut into fields (digits at fixed positions, so the
    # casts are valid under ANSI mode too); any other string is null from here on. Every check reads
    # the fields and the date outside a CASE branch: Spark computes an expression read twice there
    # once, where it computes one inside a branch again at each reference.
    matching = F.when(col.rlike(compiled.regex), col)

    def part(field: str, default: int) -> Column:
        place = compiled.fields.get(field)
        return F.lit(default) if place is None else F.substring(matching, *place).cast("int")

    year, month, day = part("year", 1), part("month", 1), part("day", 1)
    hour, minute, second = part("hour", 0), part("minute", 0), part("second", 0)
    first_of_month = F.when(month.between(1, 12), F.make_date(year, month, F.lit(1)))
    date = F.date_add(first_of_month, day - 1)
    # A day past the month's end lands in a later month, a day 0 in the month before: either way the
    # date's day of month differs from the day read. Year 0 (1 BC) is not a valid year.
    valid = (F.dayofmonth(date) == day) & (F.year(date) >= 1)
    if not with_time:
        return F.when(valid, date)
    time_ok = hour.between(0, 23) & minute.between(0, 59) & second.between(0, 59)
    seconds = F.unix_date(date).cast("bigint") * 86400 + hour * 3600 + minute * 60 + second
    return F.when(valid & time_ok, F.timestamp_seconds(seconds))


def _parse_any(col: Column, formats: Sequence[str], with_time: bool) -> Column:
    if not formats:
        raise ConfigurationError("at least one datetime format is needed")
    parsed = [_parse_one(col, pattern, with_time) for pattern in formats]
    return parsed[0] if len(parsed) == 1 else F.coalesce(*parsed)


def parse_date(col: Column, formats: Sequence[str]) -> Column:
    """Parse a date string in any of ``formats``; impossible or malformed dates become null.

    Examples
    --------
    >>> df = spark.createDataFrame([("2025/02/28",), ("2025-02-30",)], "s string")
    >>> [r.d for r in df.select(parse_date(F.col("s"), ["yyyy-MM-dd", "yyyy/MM/dd"]).alias("d")).collect()]
    [datetime.date(2025, 2, 28), None]
    """
    return _parse_any(col, formats, with_time=False)


def parse_month(col: Column, formats: Sequence[str] = ("yyyy-MM",)) -> Column:
    """Parse a month string (``2025-03``) into the date of the month's first day.

    Examples
    --------
    >>> df = spark.createDataFrame([("2025-03",), ("2025-13",)], "s string")
    >>> [r.d for r in df.select(parse_month(F.col("s")).alias("d")).collect()]
    [datetime.date(2025, 3, 1), None]
    """
    return _parse_any(col, formats, with_time=False)


def parse_timestamp(col: Column, formats: Sequence[str]) -> Column:
    """Parse a timestamp string in any of ``formats`` (interpreted in UTC); invalid becomes null.

    Examples
    --------
    >>> df = spark.createDataFrame([("2025-01-05T10:00:00",)], "s string")
    >>> df.select(parse_timestamp(F.col("s"), ["yyyy-MM-dd'T'HH:mm:ss"]).alias("t")).first().t
    datetime.datetime(2025, 1, 5, 10, 0)
    """
    return _parse_any(col, formats, with_time=True)


def date_key(col: Column) -> Column:
    """The integer ``yyyyMMdd`` key of a date column.

    Examples
    --------
    >>> import datetime as dt
    >>> df = spark.createDataFrame([(dt.date(2025, 3, 7),)], "d date")
    >>> df.select(date_key(F.col("d")).alias("k")).first().k
    20250307
    """
    return (F.year(col) * 10000 + F.month(col) * 100 + F.dayofmonth(col)).cast("int")


def excerpt(col: Column, length: int = _EXCERPT_LENGTH) -> Column:
    """The value quoted for a message, cut to ``length`` characters with an ellipsis.

    Examples
    --------
    >>> df = spark.createDataFrame([("abc",)], "s string")
    >>> df.select(excerpt(F.col("s")).alias("e")).first().e
    "'abc'"
    """
    cut = F.when(F.length(col) > length, F.concat(F.substring(col, 1, length), F.lit("…"))).otherwise(col)
    return F.concat(F.lit("'"), cut, F.lit("'"))


def join_reasons(reasons: Sequence[Column]) -> Column:
    """Join the non-null reasons with ``"; "``; null when every reason is null.

    Examples
    --------
    >>> df = spark.createDataFrame([(1,)], "x int")
    >>> df.select(join_reasons([F.lit("a"), F.lit(None), F.lit("b")]).alias("r")).first().r
    'a; b'
    """
    if not reasons:
        return F.lit(None).cast("string")
    joined = F.concat_ws("; ", *reasons)
    any_reason = reduce(lambda a, b: a | b, [r.isNotNull() for r in reasons])
    return F.when(any_reason, joined)
