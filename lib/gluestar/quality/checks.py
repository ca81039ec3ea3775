"""Declared quality checks: what every published table must satisfy, as data.

Checks live beside the table definitions, in ``schemas/<pipeline>/checks.json``, grouped by table::

    {"pipeline": "finance",
     "tables": {"dim_account": [
        {"name": "dim_account: account_key is unique and not null", "kind": "primary_key",
         "columns": ["account_key"], "severity": "error"}]}}

Each check has a readable ``name`` (unique per table), a ``severity`` (``error`` stops the run,
``warning`` is reported) and a ``kind``:

==================  ===========================================================  ====================
kind                passes when                                                  keys
==================  ===========================================================  ====================
``row_count``       the number of rows is within ``[min, max]``                  ``min``, ``max``
``completeness``    each column's non-null fraction is at least ``min_fraction``  ``columns``
``unique``          no two rows share a value of ``columns`` (all-null counts)   ``columns``
``primary_key``     every column is complete and the columns are unique          ``columns``
``non_negative``    no value is negative (nulls pass)                            ``column``
``range``           the minimum is at least ``min``, the maximum at most ``max``  ``column``
``allowed_values``  every non-null value is one of ``values``                    ``column``, ``values``
``contains``        each of ``values`` occurs at least once                      ``column``, ``values``
``pattern``         every value matches the regular expression (nulls fail)      ``column``, ``pattern``
``satisfies``       at least ``min_fraction`` of rows satisfy a SQL predicate    ``predicate``
``foreign_key``     every value of ``columns`` exists in ``references``          ``columns``, ``references``
``reconciliation``  an aggregate equals another table's (per ``group_by`` group)  ``aggregate``, ``equals``
``anomaly``         a metric moved less than allowed since previous runs         ``metric``, ``strategy``
==================  ===========================================================  ====================

Single-table kinds accept ``where`` (a SQL predicate): the check then looks only at those rows.

Examples
--------
>>> check = PrimaryKey(table="dim_account", columns=("account_key",))
>>> check.name
'dim_account: account_key is unique and not null'
>>> parse_checks({"tables": {"t": [{"kind": "row_count", "name": "t: has rows", "min": 1}]}})[0].min
1
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

from gluestar.contracts import StarSchema
from gluestar.exceptions import ConfigurationError
from gluestar.options import check_choice
from gluestar.packaged import read_packaged_json

__all__ = [
    "CHECK_CLASSES",
    "Aggregate",
    "AggregateOf",
    "AllowedValues",
    "Anomaly",
    "AnomalyMetric",
    "AnomalyStrategy",
    "CheckKind",
    "Completeness",
    "ContainsValues",
    "ForeignKey",
    "NonNegative",
    "Pattern",
    "PrimaryKey",
    "QualityCheck",
    "Reconciliation",
    "References",
    "RowCount",
    "Satisfies",
    "Severity",
    "SingleTableCheck",
    "Unique",
    "ValueRange",
    "check_columns",
    "load_checks",
    "parse_checks",
    "validate_checks",
]

Severity = Literal["error", "warning"]
CheckKind = Literal[
    "row_count",
    "completeness",
    "unique",
    "primary_key",
    "non_negative",
    "range",
    "allowed_values",
    "contains",
    "pattern",
    "satisfies",
    "foreign_key",
    "reconciliation",
    "anomaly",
]
Aggregate = Literal["sum", "count"]
AnomalyMetric = Literal["row_count", "sum", "null_fraction"]
AnomalyStrategy = Literal["relative_change", "absolute_change", "band"]

_SCHEMAS_PACKAGE = "gluestar.schemas"
CHECKS_FILE = "checks.json"


def _columns(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str) or not value or not all(isinstance(c, str) and c for c in value):
        raise ConfigurationError(f"{what} must be a non-empty list of column names; got {value!r}")
    return tuple(value)


def _number(value: Any, what: str, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{what} must be a finite number; got {value!r}")


def _fraction(value: Any, what: str) -> None:
    _number(value, what, optional=False)
    if not 0.0 <= value <= 1.0:
        raise ConfigurationError(f"{what} must be between 0 and 1; got {value!r}")


@dataclass(frozen=True, kw_only=True)
class QualityCheck:
    """Base of every declared check.

    Attributes
    ----------
    table : str
        The table the check runs on (for cross-table kinds: the referencing or reconciled table).
    name : str
        Readable name, shown in results and messages; unique per table. Generated when empty.
    severity : {"error", "warning"}
        ``error`` stops the run and publishes nothing; ``warning`` is reported and published.
    """

    kind: ClassVar[CheckKind]
    table: str
    name: str = ""
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if not isinstance(self.table, str) or not self.table:
            raise ConfigurationError(f"a {self.kind} check needs a non-empty 'table'")
        check_choice(self.severity, get_args(Severity), f"{self.table}: check {self.name!r}: 'severity'")
        self._validate()
        if not self.name:
            object.__setattr__(self, "name", f"{self.table}: {self._default_name()}")

    @property
    def where_clause(self) -> str | None:
        """The row filter of the check (single-table kinds only)."""
        return None

    def _validate(self) -> None:
        """Check the kind-specific fields; raise ConfigurationError naming the bad value."""

    def _default_name(self) -> str:
        return self.kind

    @property
    def label(self) -> str:
        """``table`` and ``name`` for messages, e.g. ``check 'dim_date: has rows' (dim_date)``."""
        return f"check {self.name!r} ({self.table})"


@dataclass(frozen=True, kw_only=True)
class SingleTableCheck(QualityCheck):
    """A check on the rows of one table; ``where`` restricts it to the rows satisfying a SQL predicate."""

    where: str | None = None

    @property
    def where_clause(self) -> str | None:
        return self.where

    def __post_init__(self) -> None:
        if self.where is not None and (not isinstance(self.where, str) or not self.where.strip()):
            raise ConfigurationError(f"{self.table}: 'where' must be a non-empty SQL predicate; got {self.where!r}")
        super().__post_init__()


@dataclass(frozen=True, kw_only=True)
class RowCount(SingleTableCheck):
    """The number of rows lies within ``[min, max]`` (either bound optional).

    Examples
    --------
    >>> RowCount(table="fact_sales", min=1).name
    'fact_sales: has at least 1 row(s)'
    """

    kind: ClassVar[CheckKind] = "row_count"
    min: int | None = None
    max: int | None = None

    def _validate(self) -> None:
        for bound in ("min", "max"):
            value = getattr(self, bound)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ConfigurationError(
                    f"{self.table}: row_count '{bound}' must be a non-negative integer; got {value!r}"
                )
        if self.min is None and self.max is None:
            raise ConfigurationError(f"{self.table}: a row_count check needs 'min' or 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigurationError(f"{self.table}: row_count 'min' ({self.min}) is above 'max' ({self.max})")

    def _default_name(self) -> str:
        if self.max is None:
            return f"has at least {self.min} row(s)"
        if self.min is None:
            return f"has at most {self.max} row(s)"
        return f"has between {self.min} and {self.max} rows"


@dataclass(frozen=True, kw_only=True)
class Completeness(SingleTableCheck):
    """At least ``min_fraction`` of the rows have a value in each of ``columns`` (one constraint each).

    Examples
    --------
    >>> Completeness(table="t", columns=("amount",)).name
    't: amount is never null'
    """

    kind: ClassVar[CheckKind] = "completeness"
    columns: tuple[str, ...]
    min_fraction: float = 1.0

    def _validate(self) -> None:
        object.__setattr__(self, "columns", _columns(self.columns, f"{self.table}: completeness 'columns'"))
        _fraction(self.min_fraction, f"{self.table}: completeness 'min_fraction'")

    def _default_name(self) -> str:
        if self.min_fraction == 1.0:
            return f"{', '.join(self.columns)} is never null"
        return f"{', '.join(self.columns)} is at least {self.min_fraction:.0%} complete"


@dataclass(frozen=True, kw_only=True)
class Unique(SingleTableCheck):
    """No two rows share the same values of ``columns``; a row whose columns are all null fails.

    Examples
    --------
    >>> Unique(table="t", columns=("a", "b")).name
    't: (a, b) is unique'
    """

    kind: ClassVar[CheckKind] = "unique"
    columns: tuple[str, ...]

    def _validate(self) -> None:
        object.__setattr__(self, "columns", _columns(self.columns, f"{self.table}: {self.kind} 'columns'"))

    def _default_name(self) -> str:
        joined = self.columns[0] if len(self.columns) == 1 else f"({', '.join(self.columns)})"
        return f"{joined} is unique"


@dataclass(frozen=True, kw_only=True)
class PrimaryKey(Unique):
    """Every column of ``columns`` is complete and together they are unique.

    Examples
    --------
    >>> PrimaryKey(table="dim_date", columns=("date_key",)).name
    'dim_date: date_key is unique and not null'
    """

    kind: ClassVar[CheckKind] = "primary_key"

    def _default_name(self) -> str:
        return f"{super()._default_name()} and not null"


@dataclass(frozen=True, kw_only=True)
class NonNegative(SingleTableCheck):
    """No value of ``column`` is negative (nulls pass, as in Deequ's ``isNonNegative``)."""

    kind: ClassVar[CheckKind] = "non_negative"
    column: str

    def _validate(self) -> None:
        _columns([self.column], f"{self.table}: non_negative 'column'")

    def _default_name(self) -> str:
        return f"{self.column} is never negative"


@dataclass(frozen=True, kw_only=True)
class ValueRange(SingleTableCheck):
    """The minimum of ``column`` is at least ``min`` and its maximum at most ``max`` (nulls ignored).

    Examples
    --------
    >>> ValueRange(table="t", column="month", min=1, max=12).name
    't: month is between 1 and 12'
    """

    kind: ClassVar[CheckKind] = "range"
    column: str
    min: float | None = None
    max: float | None = None

    def _validate(self) -> None:
        _columns([self.column], f"{self.table}: range 'column'")
        _number(self.min, f"{self.table}: range 'min'")
        _number(self.max, f"{self.table}: range 'max'")
        if self.min is None and self.max is None:
            raise ConfigurationError(f"{self.table}: a range check needs 'min' or 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ConfigurationError(f"{self.table}: range 'min' ({self.min}) is above 'max' ({self.max})")

    def _default_name(self) -> str:
        if self.max is None:
            return f"{self.column} is at least {self.min:g}"
        if self.min is None:
            return f"{self.column} is at most {self.max:g}"
        return f"{self.column} is between {self.min:g} and {self.max:g}"


@dataclass(frozen=True, kw_only=True)
class AllowedValues(SingleTableCheck):
    """Every non-null value of ``column`` is one of ``values`` (Deequ's ``isContainedIn``)."""

    kind: ClassVar[CheckKind] = "allowed_values"
    column: str
    values: tuple[str | int | float, ...]

    def _validate(self) -> None:
        _columns([self.column], f"{self.table}: {self.kind} 'column'")
        if isinstance(self.values, str) or not self.values:
            raise ConfigurationError(
                f"{self.table}: {self.kind} 'values' must be a non-empty list; got {self.values!r}"
            )
        object.__setattr__(self, "values", tuple(self.values))
        for value in self.values:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ConfigurationError(f"{self.table}: {self.kind} values must be strings or numbers; got {value!r}")

    def _default_name(self) -> str:
        return f"{self.column} is one of {', '.join(map(str, self.values))}"


@dataclass(frozen=True, kw_only=True)
class ContainsValues(AllowedValues):
    """Each of ``values`` occurs in ``column`` at least once (e.g. the unknown member ``-1``).

    Examples
    --------
    >>> ContainsValues(table="dim_account", column="account_key", values=(-1,)).name
    'dim_account: account_key contains -1'
    """

    kind: ClassVar[CheckKind] = "contains"

    def _default_name(self) -> str:
        return f"{self.column} contains {', '.join(map(str, self.values))}"


@dataclass(frozen=True, kw_only=True)
class Pattern(SingleTableCheck):
    """Every value of ``column`` (read as a string) matches the Java regular expression ``pattern``.

    The match is a search, as in Deequ's ``hasPattern``: anchor the pattern (``^...$``) for a full
    match. Nulls do not match; pair with ``where`` or a completeness check as needed.
    """

    kind: ClassVar[CheckKind] = "pattern"
    column: str
    pattern: str

    def _validate(self) -> None:
        _columns([self.column], f"{self.table}: pattern 'column'")
        if not isinstance(self.pattern, str) or not self.pattern:
            raise ConfigurationError(f"{self.table}: pattern 'pattern' must be a non-empty regular expression")

    def _default_name(self) -> str:
        return f"{self.column} matches {self.pattern}"


@dataclass(frozen=True, kw_only=True)
class Satisfies(SingleTableCheck):
    """At least ``min_fraction`` of the rows satisfy the SQL ``predicate`` (a null result fails)."""

    kind: ClassVar[CheckKind] = "satisfies"
    predicate: str
    min_fraction: float = 1.0

    def _validate(self) -> None:
        if not isinstance(self.predicate, str) or not self.predicate.strip():
            raise ConfigurationError(f"{self.table}: satisfies 'predicate' must be a non-empty SQL predicate")
        _fraction(self.min_fraction, f"{self.table}: satisfies 'min_fraction'")

    def _default_name(self) -> str:
        return f"rows satisfy {self.predicate}"


@dataclass(frozen=True)
class References:
    """The table and columns a foreign key points to."""

    table: str
    columns: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ForeignKey(QualityCheck):
    """Every value of ``columns`` in ``table`` exists in ``references.columns`` of ``references.table``.

    A null key never matches, so it counts as an orphan (facts point nulls at the unknown member).

    Examples
    --------
    >>> ForeignKey(table="f", columns=("date_key",), references=References("dim_date", ("date_key",))).name
    'f: date_key exists in dim_date.date_key'
    """

    kind: ClassVar[CheckKind] = "foreign_key"
    columns: tuple[str, ...]
    references: References

    def _validate(self) -> None:
        object.__setattr__(self, "columns", _columns(self.columns, f"{self.table}: foreign_key 'columns'"))
        if not isinstance(self.references, References):
            raise ConfigurationError(f"{self.table}: foreign_key 'references' needs 'table' and 'columns'")
        ref_columns = _columns(self.references.columns, f"{self.table}: foreign_key 'references.columns'")
        object.__setattr__(self, "references", References(self.references.table, ref_columns))
        if len(ref_columns) != len(self.columns):
            raise ConfigurationError(
                f"{self.table}: foreign_key has {len(self.columns)} column(s) but references {len(ref_columns)}"
            )

    def _default_name(self) -> str:
        ref = self.references
        return f"{', '.join(self.columns)} exists in {ref.table}.{', '.join(ref.columns)}"


@dataclass(frozen=True)
class AggregateOf:
    """An aggregate of a table: ``sum`` of a column or ``count`` of rows."""

    table: str
    aggregate: Aggregate = "sum"
    column: str | None = None

    def validate(self, what: str) -> None:
        """Raise ConfigurationError when the aggregate is not ``sum`` of a column or ``count``."""
        check_choice(self.aggregate, get_args(Aggregate), f"{what} 'aggregate'")
        if self.aggregate == "sum" and not self.column:
            raise ConfigurationError(f"{what}: a sum needs a 'column'")

    def __str__(self) -> str:
        return f"{self.table}.{self.aggregate}({self.column or '*'})"


@dataclass(frozen=True, kw_only=True)
class Reconciliation(QualityCheck):
    """An aggregate of ``table`` equals an aggregate of another table, within ``tolerance``.

    With ``group_by``, the aggregate of *every* group of ``table`` must equal the other table's
    total: for example the actuals of every budget scenario must equal the GL total.

    Examples
    --------
    >>> check = Reconciliation(table="fact_financials", column="actual_amount", group_by=("scenario_key",),
    ...     equals=AggregateOf("fact_gl_transaction", "sum", "amount"))
    >>> check.name
    'fact_financials: sum(actual_amount) per scenario_key equals fact_gl_transaction.sum(amount)'
    """

    kind: ClassVar[CheckKind] = "reconciliation"
    aggregate: Aggregate = "sum"
    column: str | None = None
    group_by: tuple[str, ...] = ()
    equals: AggregateOf
    tolerance: float = 0.0

    @property
    def left(self) -> AggregateOf:
        """The aggregate of ``table`` that is reconciled."""
        return AggregateOf(self.table, self.aggregate, self.column)

    def _validate(self) -> None:
        self.left.validate(f"{self.table}: reconciliation")
        if not isinstance(self.equals, AggregateOf):
            raise ConfigurationError(f"{self.table}: reconciliation 'equals' needs 'table', 'aggregate', 'column'")
        self.equals.validate(f"{self.table}: reconciliation 'equals'")
        if self.group_by:
            object.__setattr__(self, "group_by", _columns(self.group_by, f"{self.table}: reconciliation 'group_by'"))
        _number(self.tolerance, f"{self.table}: reconciliation 'tolerance'", optional=False)
        if self.tolerance < 0:
            raise ConfigurationError(f"{self.table}: reconciliation 'tolerance' must not be negative")

    def _default_name(self) -> str:
        per = f" per {', '.join(self.group_by)}" if self.group_by else ""
        return f"{self.aggregate}({self.column or '*'}){per} equals {self.equals}"


@dataclass(frozen=True, kw_only=True)
class Anomaly(QualityCheck):
    """A metric of ``table`` compared with the same metric of previous successful runs.

    Strategies (Deequ's names in brackets):

    * ``relative_change`` [RelativeRateOfChangeStrategy]: against the latest previous value, the
      change in percent lies within ``-max_decrease_pct .. +max_increase_pct``;
    * ``absolute_change`` [AbsoluteChangeStrategy]: the difference lies within
      ``-max_decrease .. +max_increase``;
    * ``band``: the value lies within ``tolerance_pct`` percent of the mean of the last ``window``
      values.

    An omitted bound is not checked. With no history the check passes and says so.

    Examples
    --------
    >>> Anomaly(table="f", metric="row_count", strategy="relative_change", max_increase_pct=50,
    ...     max_decrease_pct=50).name
    'f: row_count changes by at most -50%..+50% since the previous run'
    """

    kind: ClassVar[CheckKind] = "anomaly"
    metric: AnomalyMetric
    column: str | None = None
    strategy: AnomalyStrategy
    max_increase_pct: float | None = None
    max_decrease_pct: float | None = None
    max_increase: float | None = None
    max_decrease: float | None = None
    window: int = 5
    tolerance_pct: float | None = None

    _PARAMETERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "relative_change": ("max_increase_pct", "max_decrease_pct"),
        "absolute_change": ("max_increase", "max_decrease"),
        "band": ("tolerance_pct",),
    }

    @property
    def metric_label(self) -> str:
        """``row_count`` or ``sum(amount)``."""
        return self.metric if self.column is None else f"{self.metric}({self.column})"

    def _validate(self) -> None:
        what = f"{self.table}: anomaly"
        check_choice(self.metric, get_args(AnomalyMetric), f"{what} 'metric'")
        check_choice(self.strategy, get_args(AnomalyStrategy), f"{what} 'strategy'")
        if (self.metric == "row_count") != (self.column is None):
            raise ConfigurationError(
                f"{what}: metric {self.metric!r} "
                + ("takes no 'column'" if self.metric == "row_count" else "needs a 'column'")
            )
        allowed = self._PARAMETERS[self.strategy]
        for name in ("max_increase_pct", "max_decrease_pct", "max_increase", "max_decrease", "tolerance_pct"):
            value = getattr(self, name)
            if value is None:
                continue
            if name not in allowed:
                raise ConfigurationError(
                    f"{what}: {name!r} does not apply to strategy {self.strategy!r}; "
                    f"use {', '.join(repr(a) for a in allowed)}"
                )
            _number(value, f"{what} '{name}'")
            if value < 0:
                raise ConfigurationError(f"{what} '{name}' must not be negative; got {value!r}")
        if all(getattr(self, name) is None for name in allowed):
            raise ConfigurationError(
                f"{what}: strategy {self.strategy!r} needs {' or '.join(repr(a) for a in allowed)}"
            )
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1:
            raise ConfigurationError(f"{what} 'window' must be a positive integer; got {self.window!r}")

    def _default_name(self) -> str:
        if self.strategy == "band":
            return f"{self.metric_label} within {self.tolerance_pct:g}% of the mean of the last {self.window} runs"
        unit = "%" if self.strategy == "relative_change" else ""
        up = self.max_increase_pct if self.strategy == "relative_change" else self.max_increase
        down = self.max_decrease_pct if self.strategy == "relative_change" else self.max_decrease
        low = "any" if down is None else f"-{down:g}{unit}"
        high = "any" if up is None else f"+{up:g}{unit}"
        return f"{self.metric_label} changes by at most {low}..{high} since the previous run"


#: Check class of each kind, as named in ``checks.json``.
CHECK_CLASSES: Mapping[str, type[QualityCheck]] = {
    cls.kind: cls
    for cls in (
        RowCount,
        Completeness,
        Unique,
        PrimaryKey,
        NonNegative,
        ValueRange,
        AllowedValues,
        ContainsValues,
        Pattern,
        Satisfies,
        ForeignKey,
        Reconciliation,
        Anomaly,
    )
}


def _from_dict(table: str, data: Mapping[str, Any]) -> QualityCheck:
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{table}: every check must be a JSON object; got {data!r}")
    kind = data.get("kind")
    check_choice(kind, tuple(CHECK_CLASSES), f"{table}: check {data.get('name', '')!r}: 'kind'")
    cls = CHECK_CLASSES[kind]
    allowed = {f.name for f in fields(cls) if f.init and f.name != "table"}
    unknown = sorted(set(data) - allowed - {"kind"})
    if unknown:
        raise ConfigurationError(
            f"{table}: check {data.get('name', '')!r} ({kind}) has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k != "kind"}
    if kind == "foreign_key" and isinstance(values.get("references"), Mapping):
        ref = values["references"]
        values["references"] = References(str(ref.get("table", "")), tuple(ref.get("columns") or ()))
    if kind == "reconciliation" and isinstance(values.get("equals"), Mapping):
        other = dict(values["equals"])
        values["equals"] = AggregateOf(str(other.get("table", "")), other.get("aggregate", "sum"), other.get("column"))
    try:
        return cls(table=table, **values)
    except TypeError as exc:
        raise ConfigurationError(f"{table}: check {data.get('name', '')!r} ({kind}): {exc}") from None


def parse_checks(data: Mapping[str, Any]) -> tuple[QualityCheck, ...]:
    """Build the checks of a parsed ``checks.json`` document, validating every field.

    Parameters
    ----------
    data : mapping
        ``{"tables": {table: [check, ...]}}``; ``pipeline`` and ``description`` are ignored.

    Raises
    ------
    ConfigurationError
        If a kind, severity or key is unknown, a value is out of range or two checks of one table
        share a name.

    Examples
    --------
    >>> [c.name for c in parse_checks({"tables": {"t": [{"kind": "unique", "columns": ["id"]}]}})]
    ['t: id is unique']
    """
    tables = data.get("tables")
    if not isinstance(tables, Mapping):
        raise ConfigurationError("a checks document needs a 'tables' object: {table: [check, ...]}")
    checks: list[QualityCheck] = []
    for table, entries in tables.items():
        if not isinstance(entries, list):
            raise ConfigurationError(f"{table}: the checks of a table must be a list")
        checks.extend(_from_dict(table, entry) for entry in entries)
    _unique_names(checks)
    return tuple(checks)


def _unique_names(checks: Iterable[QualityCheck]) -> None:
    seen: set[tuple[str, str]] = set()
    for check in checks:
        key = (check.table, check.name)
        if key in seen:
            raise ConfigurationError(
                f"{check.table}: two checks are named {check.name!r}; names must be unique per table"
            )
        seen.add(key)


def load_checks(pipeline: str, *, directory: str | Path | None = None) -> tuple[QualityCheck, ...]:
    """Load ``schemas/<pipeline>/checks.json`` (from the wheel, or from ``directory``).

    Parameters
    ----------
    pipeline : str
        Pipeline folder, e.g. ``"finance"``.
    directory : str or Path, optional
        A folder laid out like ``schemas/`` to read instead of the copy inside the wheel.

    Examples
    --------
    >>> any(c.kind == "reconciliation" for c in load_checks("finance"))
    True
    """
    data = read_packaged_json(_SCHEMAS_PACKAGE, f"{pipeline}/{CHECKS_FILE}", directory=directory, what="checks file")
    return parse_checks(data)


def check_columns(check: QualityCheck) -> dict[str, tuple[str, ...]]:
    """The columns a check reads, per table (SQL predicates are not parsed).

    Examples
    --------
    >>> check_columns(ForeignKey(table="f", columns=("k",), references=References("d", ("key",))))
    {'f': ('k',), 'd': ('key',)}
    """
    own: tuple[str, ...] = ()
    other: dict[str, tuple[str, ...]] = {}
    if isinstance(check, Completeness | Unique | ForeignKey):
        own = check.columns
    elif isinstance(check, NonNegative | ValueRange | AllowedValues | Pattern | Anomaly):
        own = tuple(filter(None, [check.column]))
    if isinstance(check, ForeignKey):
        other = {check.references.table: check.references.columns}
    elif isinstance(check, Reconciliation):
        own = tuple(filter(None, [check.column, *check.group_by]))
        other = {check.equals.table: tuple(filter(None, [check.equals.column]))}
    columns = {check.table: own}
    for table, cols in other.items():
        columns[table] = (*columns.get(table, ()), *cols)
    return columns


def validate_checks(checks: Sequence[QualityCheck], columns: Mapping[str, Sequence[str]]) -> None:
    """Check that every table and column a check names exists.

    Parameters
    ----------
    checks : sequence of QualityCheck
    columns : mapping of str to sequence of str, or StarSchema
        Column names per table (for example ``{name: df.columns}``), or a star schema.

    Raises
    ------
    ConfigurationError
        Listing every unknown table or column.

    Examples
    --------
    >>> validate_checks([Unique(table="t", columns=("id",))], {"t": ["id"]})
    """
    if isinstance(columns, StarSchema):
        columns = {spec.name: spec.column_names for spec in columns.tables}
    _unique_names(checks)
    problems = []
    for check in checks:
        for table, needed in check_columns(check).items():
            if table not in columns:
                problems.append(f"{check.label} refers to unknown table {table!r}")
                continue
            missing = [c for c in needed if c not in columns[table]]
            if missing:
                problems.append(f"{check.label} refers to unknown column(s) of {table}: {', '.join(missing)}")
    if problems:
        raise ConfigurationError("; ".join(problems) + f" (tables: {', '.join(columns)})")
