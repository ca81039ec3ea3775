"""Source contracts and table definitions, read from the JSON files in ``schemas/``.

A *source contract* declares what a raw extract must look like: its columns, their types, which are
required, which formats are accepted and how values are normalised: a :class:`SourceContract` for a
CSV source, a :class:`JsonContract` (nested :class:`FieldSpec` fields, rules over derived totals)
for a JSON Lines source (``format.type`` ``"jsonl"``). A *star schema* declares the
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
from dataclasses import fields as dataclass_fields
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

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
    "DerivedFunction",
    "DerivedValue",
    "FieldSpec",
    "JsonContract",
    "JsonFieldType",
    "JsonFormat",
    "JsonRule",
    "MALFORMED_LINE_REASON",
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
_DECIMAL_ARGUMENTS = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)")
_TYPE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPE_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\s*\([^()]*\))?")
_FIELD_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|`(?:[^`]|``)+`")
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
_ALLOWED_TYPES = f"{', '.join(_SIMPLE_TYPES)}, decimal(p,s), array<type>, struct<name:type,...>"
#: The Spark type (DDL) of a contract column's cleaned value, by column type (``amount``: its decimal).
_VALUE_TYPES: dict[str, str] = {
    "string": "string",
    "date": "date",
    "month": "date",
    "timestamp": "timestamp",
    "epoch_seconds": "timestamp",
    "integer": "int",
    "boolean": "boolean",
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
        ``timestamp``, ``decimal(p,s)``, or the nested ``array<type>`` and
        ``struct<name:type,...>`` (any depth; white space between the parts is allowed; a field
        name is a word or a backquoted name). Array elements and struct fields are nullable.

    Raises
    ------
    ConfigurationError
        Naming the unknown type, the bad decimal, or what was expected where.

    Examples
    --------
    >>> spark_type("decimal(18,2)")
    DecimalType(18,2)
    >>> spark_type("array<struct<sku:string,quantity:int>>").simpleString()
    'array<struct<sku:string,quantity:int>>'
    """
    return _TypeParser(type_name).parse()


class _TypeParser:
    """A recursive-descent parser of the type names :func:`spark_type` accepts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> T.DataType:
        data_type = self._type()
        self._skip()
        if self.pos != len(self.text):
            raise self._error(f"unexpected {self.text[self.pos :]!r}")
        return data_type

    def _error(self, problem: str) -> ConfigurationError:
        return ConfigurationError(f"column type {self.text!r} is not valid: {problem} at position {self.pos}")

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _expect(self, char: str) -> None:
        self._skip()
        if not self.text.startswith(char, self.pos):
            raise self._error(f"expected {char!r}")
        self.pos += 1

    def _type(self) -> T.DataType:
        self._skip()
        start = self.pos
        word = _TYPE_WORD.match(self.text, self.pos)
        if word is None:
            raise self._error("expected a type")
        self.pos = word.end()
        name = word.group()
        self._skip()
        if name == "array" and self.text.startswith("<", self.pos):
            self._expect("<")
            element = self._type()
            self._expect(">")
            return T.ArrayType(element, containsNull=True)
        if name == "struct" and self.text.startswith("<", self.pos):
            return self._struct()
        arguments = _DECIMAL_ARGUMENTS.match(self.text, self.pos) if name == "decimal" else None
        if arguments is not None:
            self.pos = arguments.end()
            precision, scale = int(arguments.group(1)), int(arguments.group(2))
            if not 0 <= scale <= precision <= 38 or precision == 0:
                raise ConfigurationError(
                    f"column type {self.text!r} needs a precision from 1 to 38 and a scale from 0 to the precision"
                )
            return T.DecimalType(precision, scale)
        simple = _SIMPLE_TYPES.get(name)
        if simple is not None and not self.text.startswith(("(", "<"), self.pos):
            return simple
        found = _TYPE_TOKEN.match(self.text, start)
        token = found.group() if found is not None else name
        where = "" if token == self.text.strip() else f" in {self.text!r}"
        raise ConfigurationError(f"unknown column type {token!r}{where}; allowed: {_ALLOWED_TYPES}")

    def _struct(self) -> T.StructType:
        self._expect("<")
        fields: list[T.StructField] = []
        while True:
            self._skip()
            found = _FIELD_WORD.match(self.text, self.pos)
            if found is None:
                raise self._error("expected a field name")
            name = found.group()
            name = name[1:-1].replace("``", "`") if name.startswith("`") else name
            if name.lower() in (f.name.lower() for f in fields):
                raise self._error(f"field {name!r} appears twice")
            self.pos = found.end()
            self._expect(":")
            fields.append(T.StructField(name, self._type(), nullable=True))
            self._skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            self._expect(">")
            return T.StructType(fields)


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

    @property
    def value_type(self) -> str:
        """The Spark type (DDL) of the cleaned value: ``date`` for a month, ``timestamp`` for epoch seconds.

        Examples
        --------
        >>> ColumnSpec("amount", "amount", precision=12, scale=4).value_type
        'decimal(12,4)'
        >>> ColumnSpec("seen", "epoch_seconds").value_type
        'timestamp'
        """
        if self.type == "amount":
            return f"decimal({self.precision},{self.scale})"
        return _VALUE_TYPES[self.type]

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

    #: The ``format.type`` of the contract file.
    type: ClassVar[str] = "csv"
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
    return tuple(dict.fromkeys(path[0] for path in _predicate_paths(predicate)))


def _predicate_tokens(predicate: str) -> list[tuple[str, str]]:
    """The tokens (kind, text) of a predicate, spaces and comments left out; checks quotes and parentheses."""
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
    return tokens


def _name_of(token: tuple[str, str]) -> str:
    kind, text = token
    return (text[1:-1].replace("``", "`") if kind == "quoted" else text).lower()


def _predicate_paths(predicate: str) -> tuple[tuple[str, ...], ...]:
    """The names a predicate reads with the struct fields that follow them: ``a.b.c`` is ``('a', 'b', 'c')``.

    Lower case, in order of first appearance; see :func:`predicate_columns` for what is a name.
    """
    tokens = _predicate_tokens(predicate)
    paths: dict[tuple[str, ...], None] = {}
    for index, (kind, text) in enumerate(tokens):
        before = tokens[index - 1] if index else ("", "")
        after = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
        is_name = (kind == "quoted" and before[1] != ".") or (
            kind == "word"
            and text.lower() not in _SQL_KEYWORDS
            and after[1] != "("
            and after[0] != "string"
            and before[0] not in ("number", "string")
            and before[1].lower() not in ("as", "to", ".")
        )
        if not is_name:
            continue
        parts = [_name_of((kind, text))]
        following = index + 1
        while (
            following + 1 < len(tokens)
            and tokens[following][1] == "."
            and tokens[following + 1][0] in ("word", "quoted")
        ):
            parts.append(_name_of(tokens[following + 1]))
            following += 2
        paths[tuple(parts)] = None
    return tuple(paths)


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

    def value_types(self) -> dict[str, str]:
        """The Spark type (DDL) of each cleaned column, in contract order (see :attr:`ColumnSpec.value_type`).

        Examples
        --------
        >>> load_source_contract("finance", "budget").value_types()["budget_amount"]
        'decimal(18,2)'
        """
        return {c.name: c.value_type for c in self.columns}

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


# --------------------------------------------------------------------------------------------------
# JSON Lines contracts
# --------------------------------------------------------------------------------------------------

JsonFieldType = Literal[
    "string", "date", "month", "timestamp", "amount", "integer", "boolean", "epoch_seconds", "object", "array"
]
DerivedFunction = Literal["sum", "min", "max"]

#: Reason (and label) of a JSON Lines line that is not a JSON object, unless the contract names another.
MALFORMED_LINE_REASON = "line is not a JSON object"
_JSON_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COLUMN_KEYS = frozenset(f.name for f in dataclass_fields(ColumnSpec))
_COMMON_FIELD_KEYS = frozenset({"name", "type", "required", "description"})
_FIELD_KEYS: dict[str, frozenset[str]] = {
    "object": _COMMON_FIELD_KEYS | {"fields"},
    "array": _COMMON_FIELD_KEYS | {"items", "min_items"},
    "scalar": _COMMON_FIELD_KEYS | _COLUMN_KEYS,
}
_JSON_FORMAT_KEYS = ("type", "encoding", "values_as_strings", "unknown_fields", "malformed_reason")
_JSON_CONTRACT_KEYS = (
    "name", "description", "file_pattern", "file_name_regex", "format", "key", "version_column",
    "conflict_reason", "fields", "rules",
)  # fmt: skip
_JSON_RULE_KEYS = ("name", "predicate", "derived", "reject_reason")
_DERIVED = re.compile(r"^\s*(sum|min|max)\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


def _unknown_keys(data: dict[str, Any], allowed: Any, what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ConfigurationError(f"{what}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _json_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _JSON_NAME.match(value):
        raise ConfigurationError(
            f"{what} must be a name of letters, digits and underscores, not starting with a digit; got {value!r}"
        )
    return value


def _named_once(names: list[str], what: str) -> None:
    """Refuse names declared twice, compared case-insensitively (as Spark resolves columns and fields)."""
    lowered = [n.lower() for n in names]
    twice = sorted({n for n in names if lowered.count(n.lower()) > 1})
    if twice:
        raise ConfigurationError(
            f"{what}: field(s) declared twice (names are compared ignoring case): {', '.join(twice)}"
        )


@dataclass(frozen=True)
class FieldSpec:
    """One field of a JSON contract: a scalar, an object of fields or an array of items.

    Attributes
    ----------
    name : str
        The JSON key, matched exactly (JSON keys are case-sensitive).
    path : str
        The dotted path from the top of the order, ``customer.id`` or ``items.quantity`` (an array's
        items share the array's path); the labels of the field's rules start with it.
    type : {"string", "date", "month", "timestamp", "amount", "integer", "boolean", "epoch_seconds", "object", "array"}
        A scalar type (parsed as a CSV column of that type), ``object`` or ``array``.
    required : bool
        A missing (absent, ``null`` or, for a scalar, blank) value quarantines the order.
    column : ColumnSpec or None
        The rules of a scalar, named by its path (every CSV column key applies).
    fields : tuple of FieldSpec
        The fields of an object.
    items : FieldSpec or None
        What each item of an array is: an object or a scalar (arrays of arrays are not supported).
    min_items : int
        Fewest items an array must hold when present.

    Examples
    --------
    >>> spec = FieldSpec.from_dict({"name": "customer", "type": "object", "fields": [
    ...     {"name": "id", "required": True}, {"name": "age", "type": "integer"}]}, "orders")
    >>> (spec.fields[1].path, spec.value_type)
    ('customer.age', 'struct<id:string,age:int>')
    """

    name: str
    path: str
    type: JsonFieldType
    required: bool = False
    column: ColumnSpec | None = None
    fields: tuple[FieldSpec, ...] = ()
    items: FieldSpec | None = None
    min_items: int = 0

    @property
    def value_type(self) -> str:
        """The Spark type (DDL) of the cleaned value: a scalar's, ``struct<...>`` or ``array<...>``."""
        if self.type == "object":
            return f"struct<{','.join(f'{child.name}:{child.value_type}' for child in self.fields)}>"
        if self.type == "array":
            assert self.items is not None
            return f"array<{self.items.value_type}>"
        assert self.column is not None
        return self.column.value_type

    def child(self, name: str) -> FieldSpec | None:
        """The field ``name`` of an object (matched ignoring case), None when there is none."""
        return next((f for f in self.fields if f.name.lower() == name.lower()), None)

    @classmethod
    def from_dict(cls, data: Any, source: str, parent: str = "") -> FieldSpec:
        """Build a field (and its fields or items) from its JSON object, validating every key.

        ``source`` is the contract's name and ``parent`` the path of the enclosing object or array;
        error messages name the field as ``<source>.<path>``.
        """
        where = f"{source}.{parent}" if parent else source
        if not isinstance(data, dict):
            raise ConfigurationError(f"{where}: every field must be an object; got {data!r}")
        name = _json_name(data.get("name"), f"{where}: a field's 'name'")
        return cls._build(data, source, f"{parent}.{name}" if parent else name, name, item=False)

    @classmethod
    def _build(cls, data: dict[str, Any], source: str, path: str, name: str, *, item: bool) -> FieldSpec:
        what = f"{source}.{path}{' items' if item else ''}"
        field_type = check_choice(data.get("type", "string"), get_args(JsonFieldType), f"{what}: 'type'")
        kind = field_type if field_type in ("object", "array") else "scalar"
        # An item has no name (it is the array's); an object item no 'required' (a null item has its fields missing).
        not_for_items = {"name", "required"} if kind == "object" else {"name"}
        allowed = _FIELD_KEYS[kind] - (not_for_items if item else set())
        _unknown_keys(data, allowed, f"{what} ({_a(field_type)} field)")
        required = _flag(data.get("required", False), f"{what}: 'required'")
        if field_type == "object":
            children = data.get("fields")
            if not isinstance(children, list) or not children:
                raise ConfigurationError(f"{what}: an object field needs a non-empty list 'fields'; got {children!r}")
            specs = tuple(cls.from_dict(child, source, path) for child in children)
            _named_once([s.name for s in specs], what)
            return cls(name=name, path=path, type="object", required=required, fields=specs)
        if field_type == "array":
            items = data.get("items")
            if not isinstance(items, dict):
                raise ConfigurationError(
                    f"{what}: an array field needs 'items', an object describing an item; got {items!r}"
                )
            if items.get("type") == "array":
                raise ConfigurationError(f"{what}: arrays of arrays are not supported")
            min_items = _integer(data.get("min_items", 0), f"{what}: 'min_items'")
            if min_items < 0:
                raise ConfigurationError(f"{what}: 'min_items' must be 0 or more; got {min_items}")
            element = cls._build(items, source, path, name, item=True)
            return cls(name=name, path=path, type="array", required=required, items=element, min_items=min_items)
        column_data = {key: value for key, value in data.items() if key in _COLUMN_KEYS}
        parent = path.rpartition(".")[0]
        column = ColumnSpec.from_dict({**column_data, "name": name}, f"{source}.{parent}" if parent else source)
        return cls(name=name, path=path, type=column.type, required=required, column=replace(column, name=path))


@dataclass(frozen=True)
class JsonFormat:
    """How a JSON Lines source is laid out: one JSON object per line, every value read as its text.

    Attributes
    ----------
    encoding : str
        The files' encoding; one that keeps ASCII as single bytes (lines are split at the byte ``\\n``).
    malformed_reason : str
        Reason and label of a line that is not a JSON object.
    """

    #: The ``format.type`` of the contract file.
    type: ClassVar[str] = "jsonl"
    encoding: str = "UTF-8"
    malformed_reason: str = MALFORMED_LINE_REASON

    @classmethod
    def from_dict(cls, data: Any, source: str) -> JsonFormat:
        """Build the format from its JSON object (``values_as_strings`` and ``unknown_fields`` have one value)."""
        if not isinstance(data, dict):
            raise ConfigurationError(f"{source}: 'format' must be an object; got {data!r}")
        _unknown_keys(data, _JSON_FORMAT_KEYS, f"{source}: format")
        check_choice(data.get("type", "jsonl"), ("jsonl",), f"{source}: format 'type'")
        if data.get("values_as_strings", True) is not True:
            raise ConfigurationError(
                f"{source}: format 'values_as_strings' must be true (every value is read as its text); "
                f"got {data['values_as_strings']!r}"
            )
        check_choice(
            data.get("unknown_fields", "ignore_and_count"), ("ignore_and_count",), f"{source}: format 'unknown_fields'"
        )
        encoding = data.get("encoding", "UTF-8")
        what = f"{source}: format 'encoding'"
        try:
            ascii_kept = isinstance(encoding, str) and '{"a": 1}\n'.encode(encoding) == b'{"a": 1}\n'
        except LookupError:
            raise ConfigurationError(f"{what}: unknown encoding {encoding!r}") from None
        if not ascii_kept:
            raise ConfigurationError(
                f"{what} must keep ASCII as single bytes (lines are split at the byte \\n), e.g. UTF-8 or "
                f"ISO-8859-1; got {encoding!r}"
            )
        return cls(
            encoding=encoding,
            malformed_reason=_text(
                data.get("malformed_reason", MALFORMED_LINE_REASON), f"{source}: format 'malformed_reason'"
            ),
        )


@dataclass(frozen=True)
class DerivedValue:
    """A value of each order computed over the items of one array, for a rule's predicate.

    Written ``sum(<expression>)``, ``min(...)`` or ``max(...)``, where the expression is Spark SQL
    over one item, naming its fields ``<array>.<field>`` (``items.quantity * items.unit_price``; a
    scalar array names its item by the array's name). A sum over an empty array is 0; min and max
    of an empty array are null.

    Examples
    --------
    >>> DerivedValue("order_total", "sum", "items", "items.quantity * items.unit_price",
    ...     ("items.quantity", "items.unit_price")).definition
    'sum(items.quantity * items.unit_price)'
    """

    name: str
    function: DerivedFunction
    array: str
    expression: str
    reads: tuple[str, ...]

    @property
    def definition(self) -> str:
        """The value as written in the contract, normalised: ``sum(<expression>)``."""
        return f"{self.function}({self.expression})"

    @classmethod
    def parse(cls, name: str, text: Any, fields: tuple[FieldSpec, ...], what: str) -> DerivedValue:
        """Parse a derived value's definition against the contract's top-level fields."""
        what = f"{what}: derived {name!r}"
        match = _DERIVED.match(text) if isinstance(text, str) else None
        if match is None or not match.group(2).strip():
            raise ConfigurationError(
                f"{what} must be sum(...), min(...) or max(...) of an expression over one array's items; got {text!r}"
            )
        function, expression = match.group(1).lower(), match.group(2).strip()
        try:
            paths = _predicate_paths(expression)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{what}: {exc}") from None
        arrays = {path[0] for path in paths}
        top = {f.name.lower(): f for f in fields}
        array = top.get(next(iter(arrays))) if len(arrays) == 1 else None
        if array is None or array.type != "array":
            named = ", ".join(".".join(p) for p in paths) or "nothing"
            raise ConfigurationError(
                f"{what} must read the items of one top-level array, as <array>.<field>; it reads {named}"
            )
        assert array.items is not None
        reads = []
        for path in paths:
            node: FieldSpec | None = array.items
            for part in path[1:]:
                node = node.child(part) if node is not None and node.type == "object" else None
            if node is None or node.column is None:
                raise ConfigurationError(
                    f"{what}: {'.'.join(path)!r} is not a scalar field of the items of {array.name!r}"
                )
            if (read := node.path if len(path) > 1 else array.path) not in reads:
                reads.append(read)
        return cls(name, check_choice(function, get_args(DerivedFunction), what), array.name, expression, tuple(reads))


@dataclass(frozen=True)
class JsonRule:
    """A rule over each order: a Spark SQL predicate over its cleaned fields and derived values.

    Evaluated only when every field it reads is valid (present and breaking none of its rules, for
    an array field every item's); an order where it is false is quarantined with ``reject_reason``
    as label and message. A null result passes, as with a SQL ``CHECK`` constraint.

    Attributes
    ----------
    reads : tuple of str
        The field paths whose validity the rule needs: the fields its predicate names (through
        objects, ``customer.country``) and the item fields its derived values read.
    """

    name: str
    predicate: str
    reject_reason: str
    derived: tuple[DerivedValue, ...] = ()
    reads: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The top-level names the predicate reads: fields and derived values (see :func:`predicate_columns`)."""
        return predicate_columns(self.predicate)

    @classmethod
    def from_dict(cls, data: Any, source: str, fields: tuple[FieldSpec, ...]) -> JsonRule:
        """Build a rule from its JSON object ``{"name", "predicate", "derived", "reject_reason"}``."""
        if not isinstance(data, dict):
            raise ConfigurationError(f"{source}: every rule must be an object; got {data!r}")
        name = _text(data.get("name"), f"{source}: a rule's 'name'")
        what = f"{source}: rule {name!r}"
        _unknown_keys(data, _JSON_RULE_KEYS, what)
        predicate = _text(data.get("predicate"), f"{what}: 'predicate'")
        derived_data = data.get("derived", {})
        if not isinstance(derived_data, dict):
            raise ConfigurationError(f"{what}: 'derived' must be an object of name: definition; got {derived_data!r}")
        top = {f.name.lower(): f for f in fields}
        derived = []
        for derived_name, definition in derived_data.items():
            _json_name(derived_name, f"{what}: a derived value's name")
            if derived_name.lower() in top or derived_name.startswith("__") or derived_name in _GLUESTAR_COLUMNS:
                raise ConfigurationError(
                    f"{what}: the derived value {derived_name!r} takes the name of a field or of a gluestar column"
                )
            derived.append(DerivedValue.parse(derived_name, definition, fields, what))
        try:
            paths = _predicate_paths(predicate)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{what}: {exc}") from None
        by_name = {d.name.lower(): d for d in derived}
        unknown = [p[0] for p in paths if p[0] not in top and p[0] not in by_name]
        if unknown:
            raise ConfigurationError(
                f"{what}: the predicate names neither a field nor a derived value: {', '.join(dict.fromkeys(unknown))} "
                f"(fields: {', '.join(f.name for f in fields)}; derived: {', '.join(by_name) or 'none'})"
            )
        if not paths:
            raise ConfigurationError(f"{what}: the predicate reads no field: {predicate!r}")
        unused = [d.name for d in derived if d.name.lower() not in {p[0] for p in paths}]
        if unused:
            raise ConfigurationError(f"{what}: derived value(s) the predicate does not use: {', '.join(unused)}")
        reads: list[str] = []
        for path in paths:
            if path[0] in by_name:
                reads.extend(by_name[path[0]].reads)
                continue
            node = top[path[0]]
            for part in path[1:]:
                inner = node.child(part) if node.type == "object" else None
                if inner is None:
                    break
                node = inner
            reads.append(node.path)
        return cls(
            name=name,
            predicate=predicate,
            reject_reason=_text(data.get("reject_reason"), f"{what}: 'reject_reason'"),
            derived=tuple(derived),
            reads=tuple(dict.fromkeys(reads)),
        )


@dataclass(frozen=True)
class JsonContract:
    """What a JSON Lines source must look like: one order (or other record) per line, nested fields.

    The counterpart of :class:`SourceContract` for ``format.type`` ``"jsonl"``, with the same
    attributes where the pipeline runner reads them (``column_names`` are the top-level fields,
    which become the cleaned columns). Read and validated by :mod:`gluestar.json_source`.

    Attributes
    ----------
    fields : tuple of FieldSpec
        The top-level fields, in order.
    rules : tuple of JsonRule
        Predicates over each record's cleaned fields and derived totals.
    file_name_regex : str or None
        The regular expression a file name must match (for the runner; not checked here).

    Examples
    --------
    >>> contract = load_source_contract("json_orders", "orders")
    >>> contract.column_names
    ('order_id', 'order_date', 'updated_at', 'customer', 'payments', 'items')
    >>> contract.value_types()["payments"]
    'array<struct<method:string,amount:decimal(18,2)>>'
    """

    name: str
    file_pattern: str
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]
    version_column: str | None = None
    conflict_reason: str = "conflicting rows"
    format: JsonFormat = field(default_factory=JsonFormat)
    description: str = ""
    rules: tuple[JsonRule, ...] = ()
    file_name_regex: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        """The top-level field names, in contract order: the cleaned columns."""
        return tuple(f.name for f in self.fields)

    @property
    def consistent_within(self) -> tuple[ConsistencyRule, ...]:
        """Always empty: a JSON contract declares no rules across records."""
        return ()

    @property
    def row_rules(self) -> tuple[RowRule, ...]:
        """Always empty: a JSON contract's rules are its :attr:`rules`."""
        return ()

    def value_types(self) -> dict[str, str]:
        """The Spark type (DDL) of each cleaned top-level column, in contract order.

        Examples
        --------
        >>> load_source_contract("json_orders", "orders").value_types()["customer"]
        'struct<id:string,name:string,country:string,email:string>'
        """
        return {f.name: f.value_type for f in self.fields}

    def field_spec(self, path: str) -> FieldSpec:
        """The field at a dotted ``path`` (``customer.id``, ``items.quantity``), matched ignoring case.

        Examples
        --------
        >>> load_source_contract("json_orders", "orders").field_spec("items.quantity").type
        'integer'
        """
        first, *rest = path.split(".")
        node = next((f for f in self.fields if f.name.lower() == first.lower()), None)
        for part in rest:
            if node is not None and node.type == "array":
                node = node.items
            node = node.child(part) if node is not None else None
        if node is None:
            raise ConfigurationError(f"source {self.name!r} has no field {path!r}")
        return node

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JsonContract:
        """Build a contract from its JSON object, validating every key."""
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigurationError("a source contract needs a non-empty 'name'")
        _unknown_keys(data, _JSON_CONTRACT_KEYS, f"source contract {name!r}")
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            raise ConfigurationError(f"source contract {name!r} declares no fields (a non-empty list 'fields')")
        fields = tuple(FieldSpec.from_dict(f, name) for f in raw_fields)
        _named_once([f.name for f in fields], f"source contract {name!r}")
        taken = [f.name for f in fields if f.name in _GLUESTAR_COLUMNS or f.name.startswith("__")]
        if taken:
            raise ConfigurationError(
                f"source contract {name!r} declares field(s) named like gluestar's own: {', '.join(taken)} "
                f"(reserved: {', '.join(_GLUESTAR_COLUMNS)} and names starting with __)"
            )
        scalars = [f.name for f in fields if f.column is not None]
        key = _strings(data.get("key"), f"{name}: 'key'")
        version = data.get("version_column")
        for what, column in [*[("key field", k) for k in key], *([("version_column", version)] if version else [])]:
            if column not in scalars:
                raise ConfigurationError(
                    f"{name}: {what} {column!r} is not a top-level scalar field (those are: {', '.join(scalars)})"
                )
        regex = data.get("file_name_regex")
        if regex is not None:
            try:
                re.compile(_text(regex, f"{name}: 'file_name_regex'"))
            except re.error as exc:
                raise ConfigurationError(
                    f"{name}: 'file_name_regex' is not a valid regular expression: {exc}"
                ) from None
        contract = cls(
            name=name,
            description=_optional_text(data.get("description", ""), f"{name}: 'description'"),
            file_pattern=_text(data.get("file_pattern", f"{name}*.json"), f"{name}: 'file_pattern'"),
            file_name_regex=regex,
            format=JsonFormat.from_dict(data.get("format", {}), name),
            fields=fields,
            key=key,
            version_column=version,
            conflict_reason=_text(data.get("conflict_reason", "conflicting rows"), f"{name}: 'conflict_reason'"),
        )
        return replace(contract, rules=cls._rules(contract, data.get("rules", [])))

    @staticmethod
    def _rules(contract: JsonContract, data: Any) -> tuple[JsonRule, ...]:
        name = contract.name
        if not isinstance(data, list):
            raise ConfigurationError(f"{name}: 'rules' must be a list of objects; got {data!r}")
        rules = tuple(JsonRule.from_dict(r, name, contract.fields) for r in data)
        names = [r.name for r in rules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigurationError(f"{name}: rule name(s) used twice: {', '.join(twice)}")
        definitions: dict[str, tuple[str, str]] = {}
        for rule in rules:
            for value in rule.derived:
                first = definitions.setdefault(value.name.lower(), (rule.name, value.definition))
                if first[1] != value.definition:
                    raise ConfigurationError(
                        f"{name}: the derived value {value.name!r} means {first[1]!r} in rule {first[0]!r} "
                        f"and {value.definition!r} in rule {rule.name!r}"
                    )
            for other, reason in (("conflict_reason", contract.conflict_reason),
                                  ("format's malformed_reason", contract.format.malformed_reason)):  # fmt: skip
                if rule.reject_reason == reason:
                    raise ConfigurationError(
                        f"{name}: rule {rule.name!r}: 'reject_reason' must differ from the {other} {reason!r}"
                    )
        return rules


def _optional_text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(f"{what} must be a string; got {value!r}")
    return value


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


def load_source_contract(
    pipeline: str, source: str, *, directory: str | Path | None = None
) -> SourceContract | JsonContract:
    """Load the source contract ``schemas/<pipeline>/<source>.json``.

    The file's ``format.type`` decides the kind: ``csv`` (the default) gives a
    :class:`SourceContract`, ``jsonl`` a :class:`JsonContract`.

    Parameters
    ----------
    pipeline : str
        Pipeline folder, e.g. ``"finance"``.
    source : str
        Source name, e.g. ``"transactions"``.
    directory : str or Path, optional
        A folder laid out like ``schemas/`` to read instead of the copy inside the wheel.

    Raises
    ------
    ConfigurationError
        If the file is not a valid contract, naming the key at fault.

    Examples
    --------
    >>> load_source_contract("finance", "transactions").key
    ('transaction_id',)
    >>> type(load_source_contract("json_orders", "orders")).__name__
    'JsonContract'
    """
    data = _read_json(pipeline, f"{source}.json", directory)
    name = data.get("name") or source
    fmt = data.get("format", {})
    if not isinstance(fmt, dict):
        raise ConfigurationError(f"{name}: 'format' must be an object; got {fmt!r}")
    if check_choice(fmt.get("type", "csv"), ("csv", "jsonl"), f"{name}: format 'type'") == "jsonl":
        return JsonContract.from_dict(data)
    return SourceContract.from_dict(data)


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
