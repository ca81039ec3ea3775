"""Type-2 slowly changing dimensions: versions from observations, stable keys, point-in-time lookups.

A *version* of a business key (a customer, say) is a run of observations with the same tracked
values. A version starts at the first observation date whose tracked values differ, null-safely,
from the previous observation's; the first version starts at the first observation. ``valid_to`` is
the day before the next version starts (inclusive; or that start itself with
``valid_to_inclusive`` false), and the current version ends at ``open_valid_to`` with the current
flag true. The natural key of a version is (business key, ``valid_from``).

Versions are rebuilt from *all* observations of a business key, so a late observation can split a
version (it carries other values) or merge two (it bridges a change and a change back; or it moves
a version's start earlier). The published versions of a business key in the run are replaced by the
rebuilt ones, so versions never overlap: a version that no longer exists disappears, one whose
natural key is already published keeps its surrogate key, and a new one gets a key above the current
maximum (:func:`gluestar.keys.assign_surrogate_keys`). Business keys not in the run keep their
published rows untouched.

The pipeline: ``observations.transform(scd2_versions(spec, "purchase_date"))``, then
``.transform(conform_scd2_dimension(table, spec, existing=published))``, and for the facts
``facts.transform(point_in_time_key(dimension, "customer_key", {"customer_id": "customer_id"},
"purchase_date", spec))``.

Examples
--------
>>> import datetime as dt
>>> spec = Scd2Spec.from_dict({"business_key": ["customer_id"], "tracked": ["tier"]})
>>> seen = spark.createDataFrame(
...     [("C1", dt.date(2025, 1, 1), "Gold"), ("C1", dt.date(2025, 2, 1), "Gold"),
...      ("C1", dt.date(2025, 3, 1), "Silver")], "customer_id string, day date, tier string")
>>> versions = seen.transform(scd2_versions(spec, "day")).sort("valid_from")
>>> [(str(r.valid_from), str(r.valid_to), r.tier) for r in versions.collect()]
[('2025-01-01', '2025-02-28', 'Gold'), ('2025-03-01', '9999-12-31', 'Silver')]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from types import MappingProxyType
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import WindowSpec

from gluestar.constants import (
    CURRENT_FLAG_COLUMN,
    OPEN_VALID_TO,
    UNKNOWN_KEY,
    UNKNOWN_VALID_FROM,
    VALID_FROM_COLUMN,
    VALID_TO_COLUMN,
)
from gluestar.contracts import TableSpec
from gluestar.dimensions import conform_to
from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.keys import assign_surrogate_keys

__all__ = [
    "Scd2Spec",
    "conform_scd2_dimension",
    "point_in_time_key",
    "scd2_versions",
    "tracked_values_changed",
]

#: Keys an ``scd`` object may have. ``first_valid_from`` is prose for readers ("first purchase
#: date"): the first version always starts at the first observation.
_SCD_KEYS = (
    "type",
    "business_key",
    "tracked",
    "valid_from",
    "valid_to",
    "current_flag",
    "valid_to_inclusive",
    "open_valid_to",
    "first_valid_from",
    "unknown_member",
)
_DAY = "_scd_day"
_STARTS = "_scd_starts"
_NEXT_START = "_scd_next_start"
_DAY_VALUES = "_scd_values"


def _column_list(value: Any, what: str) -> tuple[str, ...]:
    is_list = isinstance(value, list | tuple) and all(isinstance(v, str) and v for v in value)
    if not is_list or not value:
        raise ConfigurationError(f"{what} must be a non-empty list of column names; got {value!r}")
    if len(set(value)) != len(value):
        raise ConfigurationError(f"{what} lists a column twice: {list(value)!r}")
    return tuple(value)


def _column_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{what} must be a column name; got {value!r}")
    return value


def _iso_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{what} must be an ISO date (yyyy-MM-dd); got {value!r}") from None


@dataclass(frozen=True)
class Scd2Spec:
    """Settings of a type-2 dimension: the ``scd`` object of a ``star.json`` table.

    Parameters
    ----------
    business_key : tuple of str
        Columns identifying the member whose versions are kept (``customer_id``).
    tracked : tuple of str
        Columns whose change starts a new version.
    valid_from, valid_to, current_flag : str
        Names of the version's first day, last day and "is the current version" columns.
    valid_to_inclusive : bool, default True
        ``valid_to`` is the version's last day (the day before the next version starts); when
        false it is the next version's first day, and a date equal to it belongs to the next one.
    open_valid_to : datetime.date, default 9999-12-31
        ``valid_to`` of the current version.
    unknown_member : mapping of str to object
        Column values of the unknown member (key ``-1``), from the JSON as given except that
        ``valid_from`` and ``valid_to`` are dates. Missing ``valid_from``/``valid_to``/current flag
        default to 1900-01-01, ``open_valid_to`` and true; other missing columns are null.

    Examples
    --------
    >>> spec = Scd2Spec.from_dict({"type": 2, "business_key": ["customer_id"], "tracked": ["gender"]})
    >>> (spec.valid_from, spec.valid_to, spec.current_flag, str(spec.open_valid_to))
    ('valid_from', 'valid_to', 'is_current', '9999-12-31')
    """

    business_key: tuple[str, ...]
    tracked: tuple[str, ...]
    valid_from: str = VALID_FROM_COLUMN
    valid_to: str = VALID_TO_COLUMN
    current_flag: str = CURRENT_FLAG_COLUMN
    valid_to_inclusive: bool = True
    open_valid_to: dt.date = OPEN_VALID_TO
    unknown_member: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        business_key = _column_list(self.business_key, "scd: 'business_key'")
        tracked = _column_list(self.tracked, "scd: 'tracked'")
        object.__setattr__(self, "business_key", business_key)
        object.__setattr__(self, "tracked", tracked)
        for what in ("valid_from", "valid_to", "current_flag"):
            _column_name(getattr(self, what), f"scd: {what!r}")
        names = [*business_key, *tracked, self.valid_from, self.valid_to, self.current_flag]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ConfigurationError(
                "scd: business_key, tracked, valid_from, valid_to and current_flag must name different "
                f"columns; repeated: {', '.join(repeated)}"
            )
        if not isinstance(self.valid_to_inclusive, bool):
            raise ConfigurationError(
                f"scd: 'valid_to_inclusive' must be true or false; got {self.valid_to_inclusive!r}"
            )
        _iso_date(self.open_valid_to, "scd: 'open_valid_to'")
        if not isinstance(self.unknown_member, Mapping):
            raise ConfigurationError(f"scd: 'unknown_member' must be an object; got {self.unknown_member!r}")
        member = dict(self.unknown_member)
        for column in (self.valid_from, self.valid_to):
            if column in member:
                member[column] = _iso_date(member[column], f"scd: unknown_member {column!r}")
        if self.current_flag in member and not isinstance(member[self.current_flag], bool):
            raise ConfigurationError(
                f"scd: unknown_member {self.current_flag!r} must be true or false; got {member[self.current_flag]!r}"
            )
        object.__setattr__(self, "unknown_member", MappingProxyType(member))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scd2Spec:
        """Build the spec from a table's ``scd`` object (``business_key`` and ``tracked`` required).

        Raises
        ------
        ConfigurationError
            An unknown key, a ``type`` other than 2, or a setting of the wrong shape; the message
            names the setting and the value.

        Examples
        --------
        >>> spec = Scd2Spec.from_dict({"business_key": ["id"], "tracked": ["tier"], "valid_to_inclusive": False})
        >>> (spec.natural_key, spec.valid_to_inclusive)
        (('id', 'valid_from'), False)
        """
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"scd must be an object; got {data!r}")
        unknown = [k for k in data if k not in _SCD_KEYS]
        if unknown:
            raise ConfigurationError(
                f"scd: unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(map(repr, _SCD_KEYS))}"
            )
        if data.get("type", 2) != 2 or isinstance(data.get("type"), bool):
            raise ConfigurationError(f"scd: 'type' must be 2 (only type-2 dimensions are built); got {data['type']!r}")
        missing = [k for k in ("business_key", "tracked") if k not in data]
        if missing:
            raise ConfigurationError(f"scd: missing required key(s): {', '.join(map(repr, missing))}")
        return cls(
            business_key=data["business_key"],
            tracked=data["tracked"],
            valid_from=data.get("valid_from", VALID_FROM_COLUMN),
            valid_to=data.get("valid_to", VALID_TO_COLUMN),
            current_flag=data.get("current_flag", CURRENT_FLAG_COLUMN),
            valid_to_inclusive=data.get("valid_to_inclusive", True),
            open_valid_to=_iso_date(data.get("open_valid_to", OPEN_VALID_TO.isoformat()), "scd: 'open_valid_to'"),
            unknown_member=data.get("unknown_member", {}),
        )

    @property
    def natural_key(self) -> tuple[str, ...]:
        """The natural key of a version: the business key and ``valid_from``."""
        return (*self.business_key, self.valid_from)

    @property
    def version_columns(self) -> tuple[str, ...]:
        """The columns :func:`scd2_versions` returns, in order."""
        return (*self.business_key, *self.tracked, self.valid_from, self.valid_to, self.current_flag)


# --------------------------------------------------------------------------- #
# Column logic
# --------------------------------------------------------------------------- #


def tracked_values_changed(tracked: Sequence[str], window: WindowSpec) -> Column:
    """True where a row starts a new version: its tracked values differ from the previous row's.

    The first row of a partition (no previous row) starts one too. The comparison is null-safe:
    null equals null here, so ``(A, null)`` followed by ``(A, null)`` is no change, and ``(A, null)``
    followed by ``(A, x)`` is one.

    Parameters
    ----------
    tracked : sequence of str
        The tracked columns.
    window : WindowSpec
        A window partitioned by the business key and ordered by date.

    Examples
    --------
    >>> w = Window.partitionBy("id").orderBy("day")
    >>> df = spark.createDataFrame([("C1", 1, None), ("C1", 2, None), ("C1", 3, "x")], "id string, day int, v string")
    >>> [r.c for r in df.select("day", tracked_values_changed(["v"], w).alias("c")).sort("day").collect()]
    [True, False, True]
    """
    first = F.lag(F.lit(1)).over(window).isNull()
    same = reduce(lambda a, b: a & b, [F.col(c).eqNullSafe(F.lag(F.col(c)).over(window)) for c in tracked])
    return first | ~same


def _valid_to(next_start: Column, *, inclusive: bool, open_valid_to: dt.date) -> Column:
    """Last day (or exclusive end) of a version from the next version's start; open when none."""
    end = F.date_sub(next_start, 1) if inclusive else next_start
    return F.coalesce(end, F.lit(open_valid_to))


def _within(date: Column, valid_from: Column, valid_to: Column, spec: Scd2Spec) -> Column:
    """``date`` falls in the version from ``valid_from`` to ``valid_to`` (as ``spec`` reads the end)."""
    starts_before = valid_from <= date
    if spec.valid_to_inclusive:
        return starts_before & (date <= valid_to)
    return starts_before & ((date < valid_to) | (valid_to == F.lit(spec.open_valid_to)))


# --------------------------------------------------------------------------- #
# Transforms
# --------------------------------------------------------------------------- #


def scd2_versions(spec: Scd2Spec, effective_date: str) -> Callable[[DataFrame], DataFrame]:
    """Return a transform turning observations into one row per version.

    The input holds the business key, the ``effective_date`` (a ``date`` column) and the tracked
    columns, any number of rows per business key and day; other columns are ignored. The output
    has :attr:`Scd2Spec.version_columns`: per business key, one row for the first observation and
    one for each observation whose tracked values differ (null-safely) from the previous
    observation's, with ``valid_from``, ``valid_to`` and the current flag.

    Rules worth knowing:

    * **Several observations on one day** collapse to one. When they disagree on the tracked
      values, the day keeps the *greatest* tuple of tracked values (Spark's ordering, compared
      left to right in ``tracked`` order, null lowest, false before true), whatever the input order.
      The rule is deterministic, not meaningful: pipelines quarantine such days beforehand
      (``x_consistent_within``), so they never get here.
    * **A change back** is a change: A, B, A makes three versions.
    * **Rows with a null business key column or a null effective date** are ignored: they cannot be
      placed in a version (their facts get the unknown member).

    Every window is partitioned by the business key; the input is repartitioned by it once so the
    daily aggregation and both windows share one shuffle.

    Parameters
    ----------
    spec : Scd2Spec
        The dimension's type-2 settings.
    effective_date : str
        The observation's date column (``purchase_date``).

    Raises
    ------
    SchemaContractError
        A column is missing or ``effective_date`` is not a ``date`` column.

    Examples
    --------
    >>> import datetime as dt
    >>> spec = Scd2Spec.from_dict({"business_key": ["id"], "tracked": ["tier"]})
    >>> seen = spark.createDataFrame([("C1", dt.date(2025, 1, 1), "A"), ("C1", dt.date(2025, 1, 5), "B")],
    ...     "id string, day date, tier string")
    >>> versions = seen.transform(scd2_versions(spec, "day")).sort("valid_from")
    >>> [(r.tier, str(r.valid_to), r.is_current) for r in versions.collect()]
    [('A', '2025-01-04', False), ('B', '9999-12-31', True)]
    """
    business_key = list(spec.business_key)
    tracked = list(spec.tracked)

    def transform(observations: DataFrame) -> DataFrame:
        missing = [c for c in (*business_key, effective_date, *tracked) if c not in observations.columns]
        if missing:
            raise SchemaContractError(f"scd2_versions: missing column(s): {', '.join(missing)}")
        date_type = observations.schema[effective_date].dataType
        if not isinstance(date_type, T.DateType):
            raise SchemaContractError(
                f"scd2_versions: {effective_date!r} must be a date column; got {date_type.simpleString()}"
            )
        placeable = reduce(lambda a, b: a & b, [F.col(c).isNotNull() for c in (*business_key, effective_date)])
        days = (
            observations.filter(placeable)
            .repartition(*business_key)
            .groupBy(*business_key, F.col(effective_date).alias(_DAY))
            .agg(F.max(F.struct(*[F.col(c) for c in tracked])).alias(_DAY_VALUES))
            .select(*business_key, _DAY, *[F.col(f"{_DAY_VALUES}.{c}").alias(c) for c in tracked])
        )
        by_day = Window.partitionBy(*business_key).orderBy(_DAY)
        starts = days.withColumn(_STARTS, tracked_values_changed(tracked, by_day)).filter(F.col(_STARTS))
        versions = starts.withColumn(_NEXT_START, F.lead(_DAY).over(by_day))
        return versions.select(
            *business_key,
            *tracked,
            F.col(_DAY).alias(spec.valid_from),
            _valid_to(F.col(_NEXT_START), inclusive=spec.valid_to_inclusive, open_valid_to=spec.open_valid_to).alias(
                spec.valid_to
            ),
            F.col(_NEXT_START).isNull().alias(spec.current_flag),
        )

    return transform


def _check_table(table: TableSpec, spec: Scd2Spec) -> str:
    """Return the table's key column after checking the table fits the spec."""
    if len(table.key) != 1:
        raise ConfigurationError(f"table {table.name!r}: a type-2 dimension needs exactly one key column")
    if tuple(table.natural_key) != spec.natural_key:
        raise ConfigurationError(
            f"table {table.name!r}: natural_key must be the business key and valid_from "
            f"{list(spec.natural_key)!r}; got {list(table.natural_key)!r}"
        )
    undeclared = [c for c in spec.version_columns if c not in table.column_names]
    if undeclared:
        raise ConfigurationError(f"table {table.name!r}: scd column(s) not declared: {', '.join(undeclared)}")
    key = table.key[0]
    unknown = [c for c in spec.unknown_member if c not in table.column_names]
    if unknown:
        raise ConfigurationError(f"table {table.name!r}: unknown_member column(s) not declared: {', '.join(unknown)}")
    if key in spec.unknown_member and spec.unknown_member[key] != UNKNOWN_KEY:
        raise ConfigurationError(
            f"table {table.name!r}: unknown_member {key!r} must be {UNKNOWN_KEY}; got {spec.unknown_member[key]!r}"
        )
    return key


def conform_scd2_dimension(
    table: TableSpec, spec: Scd2Spec, *, existing: DataFrame | None = None
) -> Callable[[DataFrame], DataFrame]:
    """Return a transform turning this run's versions into the full type-2 dimension.

    The input is the output of :func:`scd2_versions` over *all* observations of the business keys
    in the run (plus any other table column the table declares). The output holds:

    * every published row of a business key *not* in the input, untouched;
    * for a business key in the input, exactly its rebuilt versions: the published ones are
      replaced, so a version that no longer exists (merged away by a late observation) disappears
      and versions never overlap;
    * each version's published surrogate key when its natural key (business key, ``valid_from``)
      is published, else a new key above the current maximum (:func:`assign_surrogate_keys`; only
      the new versions are sorted, and a disappeared version's key is never reused);
    * the unknown member (key ``-1``) once, built from :attr:`Scd2Spec.unknown_member` (a published
      unknown member is replaced, so reruns never duplicate it);

    with exactly the table's columns, in order (:func:`gluestar.dimensions.conform_to`).

    Parameters
    ----------
    table : TableSpec
        The dimension's definition: one key column; natural key (business key, ``valid_from``).
    spec : Scd2Spec
        Its type-2 settings.
    existing : DataFrame, optional
        The published dimension, when there is one.

    Raises
    ------
    ConfigurationError
        The table does not fit the spec (key, natural key, undeclared columns, unknown member).
    SchemaContractError
        The versions lack a table column.

    Examples
    --------
    >>> import datetime as dt
    >>> from gluestar.contracts import load_star_schema
    >>> table = load_star_schema("customer_transactions").table("dim_customer")
    >>> spec = Scd2Spec.from_dict({"business_key": ["customer_id"], "tracked": ["age_group", "gender",
    ...     "is_repeat_customer"], "unknown_member": {"customer_key": -1, "valid_from": "1900-01-01"}})
    >>> versions = spark.createDataFrame([("C1", "18-24", "Female", False, dt.date(2025, 1, 10),
    ...     dt.date(9999, 12, 31), True)], "customer_id string, age_group string, gender string, "
    ...     "is_repeat_customer boolean, valid_from date, valid_to date, is_current boolean")
    >>> dimension = versions.transform(conform_scd2_dimension(table, spec))
    >>> sorted((r.customer_key, r.customer_id) for r in dimension.collect())
    [(-1, None), (1, 'C1')]
    """
    key = _check_table(table, spec)
    business_key = list(spec.business_key)
    attributes = [c for c in table.column_names if c != key]
    member = {
        spec.valid_from: UNKNOWN_VALID_FROM,
        spec.valid_to: spec.open_valid_to,
        spec.current_flag: True,
        **spec.unknown_member,
        key: UNKNOWN_KEY,
    }

    def transform(versions: DataFrame) -> DataFrame:
        missing = [c for c in attributes if c not in versions.columns]
        if missing:
            raise SchemaContractError(f"{table.name}: versions lack column(s): {', '.join(missing)}")
        rebuilt = versions.select(*attributes).transform(
            assign_surrogate_keys(key, spec.natural_key, existing=existing)
        )
        unknown = versions.sparkSession.range(1).select(
            *[F.lit(member.get(c)).cast(table.schema[c].dataType).alias(c) for c in table.column_names]
        )
        result = rebuilt.transform(conform_to(table)).unionByName(unknown)
        if existing is not None:
            published = existing.filter(F.col(key) != F.lit(UNKNOWN_KEY)).transform(conform_to(table))
            untouched = published.join(versions.select(*business_key), on=business_key, how="left_anti")
            result = result.unionByName(untouched)
        return result.transform(conform_to(table))

    return transform


def point_in_time_key(
    dimension: DataFrame,
    key: str,
    on: Mapping[str, str],
    date_column: str,
    spec: Scd2Spec,
) -> Callable[[DataFrame], DataFrame]:
    """Return a transform adding the surrogate key of the version valid on each fact's date.

    A fact row matches the version of its business key with ``valid_from <= date <= valid_to``
    (``date < valid_to`` when ``valid_to`` is exclusive, the open version always reaching on).
    A fact dated before the business key's first version, with an unknown business key, a null
    date or a null business key gets the unknown member's key ``-1`` rather than being dropped.

    The join never duplicates a fact row: the versions of one business key do not overlap (each
    ends the day before the next starts, as :func:`scd2_versions` builds them and
    :func:`conform_scd2_dimension` publishes them, replacing all of a business key's versions at
    once), so at most one version contains a given date. The unknown member is left out of the
    join. The dimension is broadcast, like :func:`gluestar.facts.lookup_key`.

    Parameters
    ----------
    dimension : DataFrame
        The type-2 dimension, with ``key``, the business key columns named in ``on``'s values and
        the spec's ``valid_from`` and ``valid_to``.
    key : str
        The surrogate key column to add.
    on : mapping of str to str
        Fact column -> dimension column, for each business-key column.
    date_column : str
        The fact's date column (``purchase_date``).
    spec : Scd2Spec
        The dimension's type-2 settings (column names, whether ``valid_to`` is inclusive).

    Raises
    ------
    SchemaContractError
        A fact or dimension column is missing, or the facts already have ``key``.

    Examples
    --------
    >>> import datetime as dt
    >>> spec = Scd2Spec.from_dict({"business_key": ["id"], "tracked": ["tier"]})
    >>> dim = spark.createDataFrame([(1, "C1", dt.date(2025, 1, 1), dt.date(2025, 1, 31)),
    ...     (2, "C1", dt.date(2025, 2, 1), dt.date(9999, 12, 31))], "k int, id string, valid_from date, valid_to date")
    >>> facts = spark.createDataFrame([("C1", dt.date(2024, 12, 31)), ("C1", dt.date(2025, 2, 1))], "id string, d date")
    >>> sorted(r.k for r in facts.transform(point_in_time_key(dim, "k", {"id": "id"}, "d", spec)).collect())
    [-1, 2]
    """
    if not on:
        raise ConfigurationError(f"point-in-time lookup of {key}: 'on' names no business-key column")

    def transform(facts: DataFrame) -> DataFrame:
        missing = [c for c in (*on, date_column) if c not in facts.columns]
        if missing:
            raise SchemaContractError(f"point-in-time lookup of {key}: fact column(s) missing: {', '.join(missing)}")
        if key in facts.columns:
            raise SchemaContractError(f"point-in-time lookup of {key}: the facts already have a column {key!r}")
        needed = [key, *on.values(), spec.valid_from, spec.valid_to]
        lacking = [c for c in needed if c not in dimension.columns]
        if lacking:
            raise SchemaContractError(
                f"point-in-time lookup of {key}: dimension column(s) missing: {', '.join(lacking)}"
            )
        aliases = {dim_col: f"_dim_{i}" for i, dim_col in enumerate(on.values())}
        members = dimension.filter(F.col(key) != F.lit(UNKNOWN_KEY)).select(
            F.col(key).alias(f"_dim_{key}"),
            *[F.col(dim_col).alias(alias) for dim_col, alias in aliases.items()],
            F.col(spec.valid_from).alias("_dim_valid_from"),
            F.col(spec.valid_to).alias("_dim_valid_to"),
        )
        same_member = reduce(lambda a, b: a & b, [F.col(f) == F.col(aliases[d]) for f, d in on.items()])
        valid_then = _within(F.col(date_column), F.col("_dim_valid_from"), F.col("_dim_valid_to"), spec)
        joined = facts.join(F.broadcast(members), on=same_member & valid_then, how="left")
        return joined.withColumn(key, F.coalesce(F.col(f"_dim_{key}"), F.lit(UNKNOWN_KEY)).cast("int")).drop(
            f"_dim_{key}", *aliases.values(), "_dim_valid_from", "_dim_valid_to"
        )

    return transform
