"""Source contracts and table definitions, read from the JSON files in ``schemas/``.

A *source contract* declares what a raw extract must look like: its columns, their types, which are
required, which formats are accepted and how values are normalised. A *star schema* declares the
tables a pipeline writes: columns, types, keys and partitioning. Both are data, shipped inside the
wheel as the ``gluestar.schemas`` package, so the rules live in one reviewed place and the Redshift
DDL can be checked against them.

Examples
--------
>>> from gluestar.contracts import load_source_contract
>>> contract = load_source_contract("finance", "budget")
>>> contract.required_columns
('budget_month', 'department_code', 'account_number', 'budget_amount')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args

from pyspark.sql import types as T

from gluestar.constants import (
    CORRUPT_RECORD_COLUMN,
    RAW_COLUMN,
    REJECT_REASON_COLUMN,
    REJECT_RULES_COLUMN,
    SOURCE_FILE_COLUMN,
    STATUS_COLUMN,
)
from gluestar.exceptions import ConfigurationError
from gluestar.options import check_choice
from gluestar.packaged import read_packaged_json

__all__ = [
    "MAX_AMOUNT_PRECISION",
    "MAX_EPOCH_SECONDS",
    "MAX_INTEGER",
    "MIN_EPOCH_SECONDS",
    "MIN_INTEGER",
    "TRIM_CHARACTERS",
    "BooleanValues",
    "Case",
    "ColumnSpec",
    "ColumnType",
    "ConsistencyRule",
    "CsvFormat",
    "RowRule",
    "SourceContract",
    "StarSchema",
    "TableColumn",
    "TableKind",
    "TableSpec",
    "load_source_contract",
    "load_star_schema",
    "predicate_columns",
    "spark_type",
]

ColumnType = Literal["string", "date", "month", "timestamp", "amount", "integer", "boolean", "epoch_seconds"]
Case = Literal["upper", "lower", "title"]
TableKind = Literal["dimension", "fact", "mart"]

_SCHEMAS_PACKAGE = "gluestar.schemas"
#: Largest precision of an ``amount`` column (parsing needs one spare digit below Spark's 38).
MAX_AMOUNT_PRECISION = 37
#: Range of an ``integer`` column (Spark's 32-bit ``IntegerType``).
MIN_INTEGER = -(2**31)
MAX_INTEGER = 2**31 - 1
#: Range of an ``epoch_seconds`` column: the seconds since 1970 (UTC) of the first and last second a Spark
#: timestamp holds, 0001-01-01T00:00:00 and 9999-12-31T23:59:59.
MIN_EPOCH_SECONDS = -62_135_596_800
MAX_EPOCH_SECONDS = 253_402_300_799
#: Characters trimmed from both ends of every raw value: white space, no-break space and a stray BOM.
TRIM_CHARACTERS = " \t\r\n\f\u000b\u00a0\ufeff"
_DATETIME_TYPES = ("date", "month", "timestamp")
#: Columns validation adds next to a source's own: a contract column may not take their names.
_GLUESTAR_COLUMNS = (
    RAW_COLUMN,
    SOURCE_FILE_COLUMN,
    CORRUPT_RECORD_COLUMN,
    REJECT_REASON_COLUMN,
    REJECT_RULES_COLUMN,
    STATUS_COLUMN,
)
_NUMERIC_TYPES = ("amount", "integer", "epoch_seconds")
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_SIMPLE_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "smallint": T.ShortType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
}


def _parse_date(value: str | None, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"{what} must be an ISO date (yyyy-MM-dd); got {value!r}") from None


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{what} must be true or false; got {value!r}")
    return value


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{what} must be an integer; got {value!r}")
    return value


def _a(col_type: str) -> str:
    """The column type with its indefinite article: ``a date``, ``an integer``."""
    return f"{'an' if col_type[0] in 'aeiou' else 'a'} {col_type}"


def _cleaned(value: str, case: Case | None) -> str:
    """What cleaning makes of ``value``: trimmed, then upper-, lower- or title-cased (as ``initcap``)."""
    text = value.strip(TRIM_CHARACTERS)
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    if case == "title":
        return " ".join(word[:1].upper() + word[1:] for word in text.lower().split(" "))
    return text


def _strings(value: Any, what: str) -> tuple[str, ...]:
    """A non-empty JSON list of non-empty strings."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError(f"{what} must be a non-empty list of non-empty strings; got {value!r}")
    return tuple(value)


def _bound(value: Any, key: str, what: str, col_type: str, precision: int, scale: int) -> int | Decimal | None:
    """Validate ``min_value`` or ``max_value`` of a column: a number the column's type can hold."""
    if value is None:
        return None
    if col_type not in _NUMERIC_TYPES:
        hint = " (the range of a date, month or timestamp is 'min' and 'max')" if col_type in _DATETIME_TYPES else ""
        raise ConfigurationError(
            f"{what}: '{key}' applies to amount, integer and epoch_seconds columns only, not to {_a(col_type)}{hint}"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{what}: '{key}' must be a number; got {value!r}")
    if col_type == "amount":
        number = Decimal(str(value))  # the JSON spelling: 0.1 stays 0.1, not the nearest binary fraction
        exponent = number.normalize().as_tuple().exponent if number.is_finite() else 0
        fits = (
            number.is_finite()
            and isinstance(exponent, int)
            and exponent >= -scale
            and abs(number) < Decimal(10) ** (precision - scale)
        )
        if not fits:
            raise ConfigurationError(
                f"{what}: '{key}' must fit the column's decimal({precision},{scale}); got {value!r}"
            )
        return number
    if not isinstance(value, int):
        raise ConfigurationError(f"{what}: '{key}' of {_a(col_type)} column must be a whole number; got {value!r}")
    low, high, range_name = (
        (MIN_INTEGER, MAX_INTEGER, "the 32-bit integer range")
        if col_type == "integer"
        else (MIN_EPOCH_SECONDS, MAX_EPOCH_SECONDS, "the seconds a timestamp holds (0001-01-01..9999-12-31 UTC)")
    )
    if not low <= value <= high:
        raise ConfigurationError(f"{what}: '{key}' must be within {range_name}, {low}..{high}; got {value}")
    return value


@dataclass(frozen=True)
class BooleanValues:
    """Spellings of a ``boolean`` column, lower case, matched case-insensitively after trimming.

    Examples
    --------
    >>> BooleanValues.from_dict({"true": ["Yes", "Y"], "false": ["No", "N"]}, "s.flag")
    BooleanValues(true=('yes', 'y'), false=('no', 'n'))
    """

    true: tuple[str, ...] = ("true",)
    false: tuple[str, ...] = ("false",)

    @classmethod
    def from_dict(cls, data: Any, what: str) -> BooleanValues:
        """Build the spellings from their JSON object ``{"true": [...], "false": [...]}``."""
        if not isinstance(data, dict) or set(data) != {"true", "false"}:
            raise ConfigurationError(
                f"{what}: 'boolean_values' must be an object with the lists 'true' and 'false'; got {data!r}"
            )
        spellings = {}
        for meaning in ("true", "false"):
            values = _strings(data[meaning], f"{what}: 'boolean_values' {meaning!r}")
            for value in values:
                if _cleaned(value, None) != value:
                    raise ConfigurationError(
                        f"{what}: the boolean spelling {value!r} can never match: values are trimmed first"
                    )
            spellings[meaning] = tuple(dict.fromkeys(v.lower() for v in values))
        both = [v for v in spellings["true"] if v in spellings["false"]]
        if both:
            raise ConfigurationError(
                f"{what}: 'boolean_values' spell both true and false as {', '.join(repr(v) for v in both)}"
            )
        return cls(true=spellings["true"], false=spellings["false"])


def spark_type(type_name: str) -> T.DataType:
    """Return the Spark data type of a table-definition type name.

    Parameters
    ----------
    type_name : str
        ``string``, ``int``, ``bigint``, ``smallint``, ``double``, ``boolean``, ``date``,
        ``timestamp`` or ``decimal(p,s)``.

    Examples
    --------
    >>> spark_type("decimal(18,2)")
    DecimalType(18,2)
    """
    simple = _SIMPLE_TYPES.get(type_name)
    if simple is not None:
        return simple
    match = _DECIMAL.match(type_name)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 0 <= scale <= precision <= 38 or precision == 0:
            raise ConfigurationError(
                f"column type {type_name!r} needs a precision from 1 to 38 and a scale from 0 to the precision"
            )
        return T.DecimalType(precision, scale)
    raise ConfigurationError(f"unknown column type {type_name!r}; allowed: {', '.join(_SIMPLE_TYPES)}, decimal(p,s)")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a source contract.

    Attributes
    ----------
    name : str
        Column name, lower case, as it must appear in the file header (matched case-insensitively).
    type : {"string", "date", "month", "timestamp", "amount", "integer", "boolean", "epoch_seconds"}
        How the raw string is parsed: ``amount`` into ``decimal(precision, scale)``; ``integer`` (an
        optional sign and digits; a fraction, text or a value outside 32 bits is invalid, never rounded)
        into ``int``; ``boolean`` (the spellings of ``boolean_values``) into ``boolean``;
        ``epoch_seconds`` (integer seconds since 1970-01-01 UTC) into ``timestamp``.
    required : bool
        A missing (null or empty) value sends the row to quarantine.
    case : {"upper", "lower", "title"} or None
        Normalisation applied to string values after trimming.
    formats : tuple of str
        Accepted datetime patterns (``yyyy``, ``MM``, ``dd``, ``HH``, ``mm``, ``ss`` and literals).
    min, max : datetime.date or None
        Plausible range for ``date`` and ``month`` columns; values outside are invalid.
    default : str or None
        Value used when the field is empty.
    reserved : tuple of str
        Values (compared after cleaning) a row may not carry, e.g. the scenario ``Actual``, which
        names the actual transactions and may not be a budget scenario.
    precision, scale : int
        Decimal type of ``amount`` columns.
    max_length : int or None
        Most bytes (UTF-8) a ``string`` value may hold after cleaning; a longer value sends the row
        to quarantine. Set it to the length of the star column the value feeds: Redshift's
        ``VARCHAR(n)`` counts bytes, and a COPY fails on a longer value.
    min_value, max_value : int, Decimal or None
        Inclusive bounds of an ``amount`` (a Decimal), ``integer`` or ``epoch_seconds`` column (an int;
        for ``epoch_seconds`` the bound applies to the seconds); values outside are out of range.
    allowed_values : tuple of str
        The values a ``string`` column may hold, compared after trimming and ``case``.
    boolean_values : BooleanValues
        The spellings of true and false of a ``boolean`` column (default ``true`` and ``false``).
    """

    name: str
    type: ColumnType = "string"
    required: bool = False
    case: Case | None = None
    formats: tuple[str, ...] = ()
    min: dt.date | None = None
    max: dt.date | None = None
    default: str | None = None
    reserved: tuple[str, ...] = ()
    precision: int = 18
    scale: int = 2
    max_length: int | None = None
    min_value: int | Decimal | None = None
    max_value: int | Decimal | None = None
    allowed_values: tuple[str, ...] = ()
    boolean_values: BooleanValues = field(default_factory=BooleanValues)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> ColumnSpec:
        """Build a column spec from its JSON object, validating every field."""
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"{source}: every column needs a non-empty 'name'")
        what = f"{source}.{name}"
        col_type = check_choice(data.get("type", "string"), get_args(ColumnType), f"{what}: 'type'")
        case = data.get("case")
        if case is not None:
            check_choice(case, get_args(Case), f"{what}: 'case'")
        formats = data.get("formats", [])
        if not isinstance(formats, list) or not all(isinstance(f, str) and f for f in formats):
            raise ConfigurationError(f"{what}: 'formats' must be a list of datetime patterns; got {formats!r}")
        if col_type in _DATETIME_TYPES and not formats:
            raise ConfigurationError(f"{what}: a {col_type} column needs at least one entry in 'formats'")
        if formats and col_type not in _DATETIME_TYPES:
            raise ConfigurationError(
                f"{what}: 'formats' applies to date, month and timestamp columns only, not to {_a(col_type)}"
            )
        for key in ("min", "max"):
            if data.get(key) is not None and col_type not in _DATETIME_TYPES:
                raise ConfigurationError(
                    f"{what}: '{key}' applies to date, month and timestamp columns only, not to {_a(col_type)} "
                    f"(the range of a number is 'min_value' and 'max_value')"
                )
        for key in ("precision", "scale"):
            if key in data and col_type != "amount":
                raise ConfigurationError(f"{what}: '{key}' applies to amount columns only, not to {_a(col_type)}")
        precision = _integer(data.get("precision", 18), f"{what}: 'precision'")
        scale = _integer(data.get("scale", 2), f"{what}: 'scale'")
        if col_type == "amount" and not (1 <= precision <= MAX_AMOUNT_PRECISION and 0 <= scale <= precision):
            raise ConfigurationError(
                f"{what}: an amount needs a precision from 1 to {MAX_AMOUNT_PRECISION} and a scale from 0 "
                f"to the precision; got precision {precision}, scale {scale}"
            )
        default = data.get("default")
        if default is not None and not isinstance(default, str):
            raise ConfigurationError(f"{what}: 'default' must be a string; got {default!r}")
        reserved = data.get("reserved", [])
        if not isinstance(reserved, list) or not all(isinstance(r, str) and r for r in reserved):
            raise ConfigurationError(f"{what}: 'reserved' must be a list of non-empty strings; got {reserved!r}")
        if default is not None and default in reserved:
            raise ConfigurationError(f"{what}: the default {default!r} is one of the reserved values")
        max_length = data.get("max_length")
        if max_length is not None:
            if col_type != "string":
                raise ConfigurationError(f"{what}: 'max_length' applies to string columns only, not to {_a(col_type)}")
            if _integer(max_length, f"{what}: 'max_length'") < 1:
                raise ConfigurationError(f"{what}: 'max_length' must be at least 1; got {max_length}")
            if default is not None and len(default.encode("utf-8")) > max_length:
                raise ConfigurationError(f"{what}: the default {default!r} is longer than 'max_length' ({max_length})")
        low = _parse_date(data.get("min"), f"{what}: 'min'")
        high = _parse_date(data.get("max"), f"{what}: 'max'")
        if low is not None and high is not None and low > high:
            raise ConfigurationError(f"{what}: 'min' ({low}) is after 'max' ({high})")
        min_value = _bound(data.get("min_value"), "min_value", what, col_type, precision, scale)
        max_value = _bound(data.get("max_value"), "max_value", what, col_type, precision, scale)
        if min_value is not None and max_value is not None and min_value > max_value:
            raise ConfigurationError(f"{what}: 'min_value' ({min_value}) is above 'max_value' ({max_value})")
        allowed = cls._allowed_values(data, what, col_type, case, default, tuple(reserved), max_length)
        if "boolean_values" in data and col_type != "boolean":
            raise ConfigurationError(f"{what}: 'boolean_values' applies to boolean columns only, not to {_a(col_type)}")
        boolean_values = (
            BooleanValues.from_dict(data["boolean_values"], what) if "boolean_values" in data else BooleanValues()
        )
        return cls(
            name=name.lower(),
            type=col_type,
            required=_flag(data.get("required", False), f"{what}: 'required'"),
            case=case,
            formats=tuple(formats),
            min=low,
            max=high,
            default=default,
            reserved=tuple(reserved),
            precision=precision,
            scale=scale,
            max_length=max_length,
            min_value=min_value,
            max_value=max_value,
            allowed_values=allowed,
            boolean_values=boolean_values,
        )

    @staticmethod
    def _allowed_values(
        data: dict[str, Any],
        what: str,
        col_type: str,
        case: Case | None,
        default: str | None,
        reserved: tuple[str, ...],
        max_length: int | None,
    ) -> tuple[str, ...]:
        """Validate ``allowed_values``: cleaned values a string column could actually hold."""
        if "allowed_values" not in data:
            return ()
        if col_type != "string":
            raise ConfigurationError(f"{what}: 'allowed_values' applies to string columns only, not to {_a(col_type)}")
        allowed = _strings(data["allowed_values"], f"{what}: 'allowed_values'")
        for value in allowed:
            cleaned = _cleaned(value, case)
            if cleaned != value:
                raise ConfigurationError(
                    f"{what}: the allowed value {value!r} can never match: cleaning makes it {cleaned!r}"
                )
            if value in reserved:
                raise ConfigurationError(f"{what}: the allowed value {value!r} is also reserved")
            if max_length is not None and len(value.encode("utf-8")) > max_length:
                raise ConfigurationError(
                    f"{what}: the allowed value {value!r} is longer than 'max_length' ({max_length})"
                )
        if default is not None and default not in allowed:
            raise ConfigurationError(f"{what}: the default {default!r} is not one of the allowed values")
        return allowed


@dataclass(frozen=True)
class CsvFormat:
    """How a CSV source is laid out."""

    header: bool = True
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    encoding: str = "UTF-8"
    multiline: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> CsvFormat:
        """Build the format from its JSON object."""
        check_choice(data.get("type", "csv"), ("csv",), f"{source}: format 'type'")
        return cls(
            header=bool(data.get("header", True)),
            delimiter=str(data.get("delimiter", ",")),
            quote=str(data.get("quote", '"')),
            escape=str(data.get("escape", '"')),
            encoding=str(data.get("encoding", "UTF-8")),
            multiline=bool(data.get("multiline", True)),
        )


#: Words of Spark SQL that are never column names in a predicate (quote such a column in backquotes).
_SQL_KEYWORDS = frozenset(
    {
        "all", "and", "any", "as", "between", "case", "cast", "distinct", "div", "else", "end", "escape",
        "exists", "false", "ilike", "in", "interval", "is", "like", "not", "null", "or", "regexp", "rlike",
        "some", "then", "to", "true", "when",
    }
)  # fmt: skip
_SQL_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<quoted>`(?:[^`]|``)+`)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[A-Za-z]*)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def predicate_columns(predicate: str) -> tuple[str, ...]:
    """The column names a Spark SQL predicate reads, lower case, in order of first appearance.

    A name is a word (or a backquoted name) that is not a SQL keyword, not a function name (a word
    followed by ``(``), not a type after ``AS``, not the prefix of a typed literal (``DATE '…'``),
    not an interval unit after a literal and not a struct field after ``.``.

    Parameters
    ----------
    predicate : str
        A Spark SQL boolean expression.

    Raises
    ------
    ConfigurationError
        If a string literal or backquoted name is not closed, or the parentheses do not balance.

    Examples
    --------
    >>> predicate_columns("abs(total_sales - units_sold * unit_price) <= 0.01")
    ('total_sales', 'units_sold', 'unit_price')
    >>> predicate_columns("`Date` >= DATE '2025-01-01' AND cast(units AS int) > 0")
    ('date', 'units')
    """
    tokens: list[tuple[str, str]] = []
    depth = 0
    for match in _SQL_TOKEN.finditer(predicate):
        kind, text = match.lastgroup or "other", match.group()
        if kind in ("space", "comment"):
            continue
        if kind == "other" and text in "'\"`":
            what = "backquoted name" if text == "`" else "string literal"
            raise ConfigurationError(f"the predicate has an unterminated {what}: {predicate!r}")
        depth += (text == "(") - (text == ")")
        if depth < 0:
            break
        tokens.append((kind, text))
    if depth != 0:
        raise ConfigurationError(f"the predicate's parentheses do not balance: {predicate!r}")
    names: dict[str, None] = {}
    for index, (kind, text) in enumerate(tokens):
        before = tokens[index - 1] if index else ("", "")
        after = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
        if kind == "quoted":
            names[text[1:-1].replace("``", "`").lower()] = None
            continue
        is_name = (
            kind == "word"
            and text.lower() not in _SQL_KEYWORDS
            and after[1] != "("
            and after[0] != "string"
            and before[0] not in ("number", "string")
            and before[1].lower() not in ("as", "to", ".")
        )
        if is_name:
            names[text.lower()] = None
    return tuple(names)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{what} must be a non-empty string; got {value!r}")
    return value


@dataclass(frozen=True)
class RowRule:
    """A rule over the cleaned columns of one row: a Spark SQL predicate the row must satisfy.

    The predicate is evaluated only when every column it reads is valid (present and breaking none
    of its column rules); a row where it is false is quarantined with ``reject_reason`` as both the
    rule's label and its message. A null result (a null from the expression) is not false: as in a
    SQL ``CHECK`` constraint, the row passes.

    Examples
    --------
    >>> RowRule("total", "abs(total - units * price) <= 0.01", "total is not units * price").columns
    ('total', 'units', 'price')
    """

    name: str
    predicate: str
    reject_reason: str

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the predicate reads (see :func:`predicate_columns`)."""
        return predicate_columns(self.predicate)

    @classmethod
    def from_dict(cls, data: Any, source: str) -> RowRule:
        """Build a row rule from its JSON object ``{"name", "predicate", "reject_reason"}``."""
        if not isinstance(data, dict):
            raise ConfigurationError(f"{source}: every row rule must be an object; got {data!r}")
        name = _text(data.get("name"), f"{source}: a row rule's 'name'")
        what = f"{source}: row rule {name!r}"
        return cls(
            name=name,
            predicate=_text(data.get("predicate"), f"{what}: 'predicate'"),
            reject_reason=_text(data.get("reject_reason"), f"{what}: 'reject_reason'"),
        )


@dataclass(frozen=True)
class ConsistencyRule:
    """Rows sharing ``key`` must agree on ``columns``; otherwise all of them are quarantined.

    See :func:`gluestar.cleaning.enforce_consistency`.

    Examples
    --------
    >>> ConsistencyRule(("customer_id", "day"), ("age",), "conflicting ages on one day").key
    ('customer_id', 'day')
    """

    key: tuple[str, ...]
    columns: tuple[str, ...]
    reject_reason: str

    @classmethod
    def from_dict(cls, data: Any, what: str) -> ConsistencyRule:
        """Build a rule from its JSON object ``{"key", "columns", "reject_reason"}``."""
        if not isinstance(data, dict):
            raise ConfigurationError(f"{what} must be an object; got {data!r}")
        key = _strings(data.get("key"), f"{what}: 'key'")
        columns = _strings(data.get("columns"), f"{what}: 'columns'")
        shared = [c for c in columns if c in key]
        if shared:
            raise ConfigurationError(f"{what}: 'columns' repeat key column(s): {', '.join(shared)}")
        return cls(key=key, columns=columns, reject_reason=_text(data.get("reject_reason"), f"{what}: 'reject_reason'"))


@dataclass(frozen=True)
class SourceContract:
    """What a raw source must look like; see the module docstring.

    Attributes
    ----------
    row_rules : tuple of RowRule
        Predicates over the cleaned columns of each row (checked by
        :func:`gluestar.cleaning.validate_source`).
    consistent_within : tuple of ConsistencyRule
        Columns rows sharing a key must agree on (checked across rows by
        :func:`gluestar.cleaning.enforce_consistency`).
    """

    name: str
    file_pattern: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    version_column: str | None = None
    conflict_reason: str = "conflicting rows"
    format: CsvFormat = field(default_factory=CsvFormat)
    description: str = ""
    row_rules: tuple[RowRule, ...] = ()
    consistent_within: tuple[ConsistencyRule, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """All column names, in contract order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns whose value must be present."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of column ``name``."""
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise ConfigurationError(
            f"source {self.name!r} has no column {name!r}; columns: {', '.join(self.column_names)}"
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceContract:
        """Build a contract from its JSON object, validating every field."""
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigurationError("a source contract needs a non-empty 'name'")
        columns = tuple(ColumnSpec.from_dict(c, name) for c in data.get("columns", ()))
        if not columns:
            raise ConfigurationError(f"source contract {name!r} declares no columns")
        names = [c.name for c in columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ConfigurationError(f"source contract {name!r} declares column(s) twice: {', '.join(duplicated)}")
        taken = [n for n in names if n in _GLUESTAR_COLUMNS]
        if taken:
            raise ConfigurationError(
                f"source contract {name!r} declares column(s) named like gluestar's own: {', '.join(taken)} "
                f"(reserved: {', '.join(_GLUESTAR_COLUMNS)})"
            )
        contract = cls(
            name=name,
            description=data.get("description", ""),
            file_pattern=data.get("file_pattern", f"{name}*.csv"),
            format=CsvFormat.from_dict(data.get("format", {}), name),
            columns=columns,
            key=tuple(data.get("key", ())),
            version_column=data.get("version_column"),
            conflict_reason=data.get("conflict_reason", "conflicting rows"),
        )
        for col in (*contract.key, *filter(None, [contract.version_column])):
            contract.column(col)
        return cls._with_rules(contract, data)

    @classmethod
    def _with_rules(cls, contract: SourceContract, data: dict[str, Any]) -> SourceContract:
        """Add the validated ``row_rules`` and ``consistent_within`` of ``data`` to ``contract``."""
        name, known = contract.name, contract.column_names
        row_rules = data.get("row_rules", [])
        if not isinstance(row_rules, list):
            raise ConfigurationError(f"{name}: 'row_rules' must be a list of objects; got {row_rules!r}")
        rules = tuple(RowRule.from_dict(r, name) for r in row_rules)
        names = [r.name for r in rules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigurationError(f"{name}: row rule name(s) used twice: {', '.join(twice)}")
        for rule in rules:
            what = f"{name}: row rule {rule.name!r}"
            try:
                read = rule.columns
            except ConfigurationError as exc:
                raise ConfigurationError(f"{what}: {exc}") from None
            unknown = [c for c in read if c not in known]
            if unknown:
                raise ConfigurationError(
                    f"{what}: the predicate names column(s) not in the contract: {', '.join(unknown)} "
                    f"(columns: {', '.join(known)})"
                )
            if not read:
                raise ConfigurationError(f"{what}: the predicate reads no column: {rule.predicate!r}")
        consistent = data.get("consistent_within", [])
        if not isinstance(consistent, list):
            raise ConfigurationError(f"{name}: 'consistent_within' must be a list of objects; got {consistent!r}")
        consistency = []
        for index, entry in enumerate(consistent):
            what = f"{name}: consistent_within[{index}]"
            rule = ConsistencyRule.from_dict(entry, what)
            for part in ("key", "columns"):
                unknown = [c for c in getattr(rule, part) if c not in known]
                if unknown:
                    raise ConfigurationError(
                        f"{what}: '{part}' names column(s) not in the contract: {', '.join(unknown)} "
                        f"(columns: {', '.join(known)})"
                    )
            consistency.append(rule)
        reasons = [
            *[(f"row rule {r.name!r}", r.reject_reason) for r in rules],
            *[(f"consistent_within[{i}]", r.reject_reason) for i, r in enumerate(consistency)],
        ]
        for what, reason in reasons:
            if reason == contract.conflict_reason:
                raise ConfigurationError(
                    f"{name}: {what}: 'reject_reason' must differ from the conflict_reason {reason!r}, "
                    "which counts conflicts between rows of one key"
                )
        return replace(contract, row_rules=rules, consistent_within=tuple(consistency))


@dataclass(frozen=True)
class TableColumn:
    """One column of a star table."""

    name: str
    type: str
    nullable: bool = True
    length: int | None = None

    @property
    def spark_type(self) -> T.DataType:
        """The Spark type of the column."""
        return spark_type(self.type)


@dataclass(frozen=True)
class TableSpec:
    """A star table: columns, surrogate key, natural key and partitioning.

    Three optional settings describe how a pipeline builds a dimension: ``scd`` (the type-2
    settings, read by :class:`gluestar.scd.Scd2Spec`), ``derived`` (attributes computed from a
    source column, e.g. ``{"age_group": {"from": "age", "bins": [[18, 24, "18-24"], ...]}}``) and
    ``members`` (the fixed rows of a static dimension, keys included).
    """

    name: str
    kind: TableKind
    columns: tuple[TableColumn, ...]
    key: tuple[str, ...] = ()
    natural_key: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    scd: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    derived: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False, hash=False)
    members: tuple[Mapping[str, Any], ...] = field(default=(), compare=False, hash=False)

    @property
    def column_names(self) -> tuple[str, ...]:
        """All column names, partition columns included, in declaration order."""
        return tuple(c.name for c in self.columns)

    @property
    def schema(self) -> T.StructType:
        """The Spark schema the table's DataFrame must have."""
        return T.StructType([T.StructField(c.name, c.spark_type, c.nullable) for c in self.columns])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSpec:
        """Build a table spec from its JSON object."""
        name = data["name"]
        kind = check_choice(data.get("kind"), get_args(TableKind), f"table {name!r}: 'kind'")
        columns = tuple(
            TableColumn(c["name"], c["type"], bool(c.get("nullable", True)), c.get("length")) for c in data["columns"]
        )
        for col in columns:
            spark_type(col.type)
        spec = cls(
            name=name,
            kind=kind,
            columns=columns,
            key=tuple(data.get("key", ())),
            natural_key=tuple(data.get("natural_key", ())),
            partition_by=tuple(data.get("partition_by", ())),
            scd=_optional_object(data.get("scd"), f"table {name!r}: 'scd'"),
            derived=_derived(data.get("derived", {}), name, [c.name for c in columns]),
            members=_members(data.get("members", []), name, [c.name for c in columns]),
        )
        unknown = [c for c in (*spec.key, *spec.natural_key, *spec.partition_by) if c not in spec.column_names]
        if unknown:
            raise ConfigurationError(f"table {name!r}: key or partition column(s) not declared: {unknown}")
        return spec


def _optional_object(value: Any, what: str) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise ConfigurationError(f"{what} must be an object; got {value!r}")
    return value


def _derived(value: Any, table: str, columns: list[str]) -> dict[str, dict[str, Any]]:
    """Validate a table's ``derived`` attributes: each a declared column, ``from`` a name, ``bins`` a list."""
    what = f"table {table!r}: 'derived'"
    if not isinstance(value, dict):
        raise ConfigurationError(f"{what} must be an object; got {value!r}")
    for column, rule in value.items():
        if column not in columns:
            raise ConfigurationError(f"{what}: {column!r} is not a column of the table")
        if (
            not isinstance(rule, dict)
            or not isinstance(rule.get("from"), str)
            or not isinstance(rule.get("bins"), list)
        ):
            raise ConfigurationError(
                f"{what}.{column} needs 'from' (a source column) and 'bins' (a list); got {rule!r}"
            )
    return value


def _members(value: Any, table: str, columns: list[str]) -> tuple[dict[str, Any], ...]:
    """Validate a static dimension's ``members``: objects holding exactly the table's columns."""
    what = f"table {table!r}: 'members'"
    if not isinstance(value, list):
        raise ConfigurationError(f"{what} must be a list of rows; got {value!r}")
    for member in value:
        if not isinstance(member, dict) or sorted(member) != sorted(columns):
            raise ConfigurationError(f"{what}: every member holds exactly the columns {columns}; got {member!r}")
    return tuple(value)


@dataclass(frozen=True)
class StarSchema:
    """The tables one pipeline writes."""

    pipeline: str
    tables: tuple[TableSpec, ...]

    def table(self, name: str) -> TableSpec:
        """Return the spec of table ``name``."""
        for spec in self.tables:
            if spec.name == name:
                return spec
        raise ConfigurationError(
            f"pipeline {self.pipeline!r} has no table {name!r}; tables: {', '.join(t.name for t in self.tables)}"
        )

    @property
    def table_names(self) -> tuple[str, ...]:
        """Table names in declaration order (dimensions first)."""
        return tuple(t.name for t in self.tables)


def _read_json(pipeline: str, file_name: str, directory: str | Path | None) -> dict[str, Any]:
    return read_packaged_json(_SCHEMAS_PACKAGE, f"{pipeline}/{file_name}", directory=directory, what="schema file")


def load_source_contract(pipeline: str, source: str, *, directory: str | Path | None = None) -> SourceContract:
    """Load the source contract ``schemas/<pipeline>/<source>.json``.

    Parameters
    ----------
    pipeline : str
        Pipeline folder, e.g. ``"finance"``.
    source : str
        Source name, e.g. ``"transactions"``.
    directory : str or Path, optional
        A folder laid out like ``schemas/`` to read instead of the copy inside the wheel.

    Examples
    --------
    >>> load_source_contract("finance", "transactions").key
    ('transaction_id',)
    """
    return SourceContract.from_dict(_read_json(pipeline, f"{source}.json", directory))


def load_star_schema(pipeline: str, *, directory: str | Path | None = None) -> StarSchema:
    """Load the table definitions ``schemas/<pipeline>/star.json``.

    Examples
    --------
    >>> load_star_schema("finance").table("dim_scenario").key
    ('scenario_key',)
    """
    data = _read_json(pipeline, "star.json", directory)
    return StarSchema(
        pipeline=data.get("pipeline", pipeline),
        tables=tuple(TableSpec.from_dict(t) for t in data["tables"]),
    )
