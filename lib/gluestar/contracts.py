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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pyspark.sql import types as T

from gluestar.exceptions import ConfigurationError
from gluestar.options import check_choice
from gluestar.packaged import read_packaged_json

__all__ = [
    "MAX_AMOUNT_PRECISION",
    "Case",
    "ColumnSpec",
    "ColumnType",
    "CsvFormat",
    "SourceContract",
    "StarSchema",
    "TableColumn",
    "TableKind",
    "TableSpec",
    "load_source_contract",
    "load_star_schema",
    "spark_type",
]

ColumnType = Literal["string", "date", "month", "timestamp", "amount"]
Case = Literal["upper", "lower", "title"]
TableKind = Literal["dimension", "fact", "mart"]

_SCHEMAS_PACKAGE = "gluestar.schemas"
#: Largest precision of an ``amount`` column (parsing needs one spare digit below Spark's 38).
MAX_AMOUNT_PRECISION = 37
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
    type : {"string", "date", "month", "timestamp", "amount"}
        How the raw string is parsed.
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
        if col_type in ("date", "month", "timestamp") and not formats:
            raise ConfigurationError(f"{what}: a {col_type} column needs at least one entry in 'formats'")
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
                raise ConfigurationError(f"{what}: 'max_length' applies to string columns only, not to a {col_type}")
            if _integer(max_length, f"{what}: 'max_length'") < 1:
                raise ConfigurationError(f"{what}: 'max_length' must be at least 1; got {max_length}")
            if default is not None and len(default.encode("utf-8")) > max_length:
                raise ConfigurationError(f"{what}: the default {default!r} is longer than 'max_length' ({max_length})")
        return cls(
            name=name.lower(),
            type=col_type,
            required=_flag(data.get("required", False), f"{what}: 'required'"),
            case=case,
            formats=tuple(formats),
            min=_parse_date(data.get("min"), f"{what}: 'min'"),
            max=_parse_date(data.get("max"), f"{what}: 'max'"),
            default=default,
            reserved=tuple(reserved),
            precision=precision,
            scale=scale,
            max_length=max_length,
        )


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


@dataclass(frozen=True)
class SourceContract:
    """What a raw source must look like; see the module docstring."""

    name: str
    file_pattern: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    version_column: str | None = None
    conflict_reason: str = "conflicting rows"
    format: CsvFormat = field(default_factory=CsvFormat)
    description: str = ""

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
        return contract


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
