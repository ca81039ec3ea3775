"""The constraints a single-table check expands to: one list, measured by either engine.

A declared check becomes one or more *constraints*, each a metric (named like the Deequ analyzer
that computes it: ``Size``, ``Completeness``, ``Uniqueness``, ``Compliance``, ``PatternMatch``,
``Minimum``, ``Maximum``) plus an assertion on its value. The native engine computes the metrics in
one aggregation; the Deequ engine adds the matching ``Check`` calls. Both apply the same assertion
callables, so they agree on what passes.

Examples
--------
>>> from gluestar.quality.checks import PrimaryKey
>>> [c.description for c in plan_constraints(PrimaryKey(table="t", columns=("id",)))]
['Completeness(id) == 1', 'Uniqueness(id) == 1']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from gluestar.exceptions import ConfigurationError
from gluestar.quality.checks import (
    AllowedValues,
    Completeness,
    ContainsValues,
    NonNegative,
    Pattern,
    PrimaryKey,
    QualityCheck,
    RowCount,
    Satisfies,
    SingleTableCheck,
    Unique,
    ValueRange,
)

__all__ = ["Analyzer", "ConstraintSpec", "plan_constraints", "quote_identifier", "sql_literal"]

Analyzer = Literal["Size", "Completeness", "Uniqueness", "Compliance", "PatternMatch", "Minimum", "Maximum"]


def quote_identifier(name: str) -> str:
    """Quote a column name for Spark SQL.

    Examples
    --------
    >>> quote_identifier("amount")
    '`amount`'
    """
    return "`" + name.replace("`", "``") + "`"


def sql_literal(value: str | int | float) -> str:
    """A Spark SQL literal for a string or number (strings single-quoted, ``\\`` and ``'`` escaped).

    Examples
    --------
    >>> sql_literal("O'Neil"), sql_literal(-1)
    ("'O\\\\'Neil'", '-1')
    """
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value)


@dataclass(frozen=True)
class ConstraintSpec:
    """One measurable constraint of a check.

    Attributes
    ----------
    description : str
        Canonical, engine-independent text, e.g. ``Completeness(amount) >= 0.95``; the ``constraint``
        of a result row.
    analyzer : str
        The metric, named like the Deequ analyzer computing it.
    columns : tuple of str
        Columns the metric reads.
    predicate : str or None
        SQL predicate of ``Compliance`` and ``PatternMatch`` (a row complies when it is true).
    where : str or None
        SQL row filter; the metric is computed over the rows where it is true.
    assertion : callable
        ``value -> bool``; the same function is handed to Deequ.
    instance : str
        Deequ's metric instance (column list or constraint name), to find Deequ's metric value.
    """

    description: str
    analyzer: Analyzer
    assertion: Callable[[float], bool]
    instance: str
    columns: tuple[str, ...] = ()
    predicate: str | None = None
    where: str | None = None


def _is_one(value: float) -> bool:
    return value == 1.0


def _at_least(bound: float) -> Callable[[float], bool]:
    def assertion(value: float) -> bool:
        return value >= bound

    return assertion


def _at_most(bound: float) -> Callable[[float], bool]:
    def assertion(value: float) -> bool:
        return value <= bound

    return assertion


def _between(low: float | None, high: float | None) -> Callable[[float], bool]:
    def assertion(value: float) -> bool:
        return (low is None or value >= low) and (high is None or value <= high)

    return assertion


def _positive(value: float) -> bool:
    return value > 0


def _fraction_text(fraction: float) -> str:
    return "1" if fraction == 1.0 else f"{fraction:g}"


def pattern_predicate(column: str, pattern: str) -> str:
    """The SQL predicate of a pattern check: the value, as a string, contains a match.

    Examples
    --------
    >>> pattern_predicate("date_key", "^[0-9]{8}$")
    "CAST(`date_key` AS STRING) RLIKE '^[0-9]{8}$'"
    """
    return f"CAST({quote_identifier(column)} AS STRING) RLIKE {sql_literal(pattern)}"


def plan_constraints(check: QualityCheck) -> tuple[ConstraintSpec, ...]:
    """The constraints of a single-table check, in the order both engines report them.

    Raises
    ------
    ConfigurationError
        If the check is not a single-table kind (``foreign_key``, ``reconciliation`` and
        ``anomaly`` are evaluated by the gate itself).

    Examples
    --------
    >>> from gluestar.quality.checks import ValueRange
    >>> [c.description for c in plan_constraints(ValueRange(table="t", column="m", min=1, max=12))]
    ['Minimum(m) >= 1', 'Maximum(m) <= 12']
    """
    if not isinstance(check, SingleTableCheck):
        raise ConfigurationError(f"{check.label}: a {check.kind} check is not a single-table check")
    where = check.where
    suffix = f" where {where}" if where else ""
    specs: list[ConstraintSpec]
    if isinstance(check, RowCount):
        low = "" if check.min is None else f"{check.min} <= "
        high = "" if check.max is None else f" <= {check.max}"
        specs = [ConstraintSpec(f"{low}Size{high}", "Size", _between(check.min, check.max), "*")]
    elif isinstance(check, PrimaryKey):
        specs = [
            ConstraintSpec(f"Completeness({c}) == 1", "Completeness", _is_one, c, columns=(c,)) for c in check.columns
        ]
        joined = ",".join(check.columns)
        specs.append(ConstraintSpec(f"Uniqueness({joined}) == 1", "Uniqueness", _is_one, joined, columns=check.columns))
    elif isinstance(check, Unique):
        joined = ",".join(check.columns)
        specs = [ConstraintSpec(f"Uniqueness({joined}) == 1", "Uniqueness", _is_one, joined, columns=check.columns)]
    elif isinstance(check, Completeness):
        op = "==" if check.min_fraction == 1.0 else ">="
        assertion = _is_one if check.min_fraction == 1.0 else _at_least(check.min_fraction)
        text = _fraction_text(check.min_fraction)
        specs = [
            ConstraintSpec(f"Completeness({c}) {op} {text}", "Completeness", assertion, c, columns=(c,))
            for c in check.columns
        ]
    elif isinstance(check, NonNegative):
        column = quote_identifier(check.column)
        name = f"{check.column} is non-negative"
        specs = [
            ConstraintSpec(
                f"Compliance({name}) == 1",
                "Compliance",
                _is_one,
                name,
                columns=(check.column,),
                predicate=f"{column} IS NULL OR {column} >= 0",
            )
        ]
    elif isinstance(check, ValueRange):
        specs = []
        if check.min is not None:
            specs.append(
                ConstraintSpec(
                    f"Minimum({check.column}) >= {check.min:g}",
                    "Minimum",
                    _at_least(check.min),
                    check.column,
                    columns=(check.column,),
                )
            )
        if check.max is not None:
            specs.append(
                ConstraintSpec(
                    f"Maximum({check.column}) <= {check.max:g}",
                    "Maximum",
                    _at_most(check.max),
                    check.column,
                    columns=(check.column,),
                )
            )
    elif isinstance(check, ContainsValues):
        column = quote_identifier(check.column)
        specs = []
        for value in check.values:
            predicate = f"{column} = {sql_literal(value)}"
            specs.append(
                ConstraintSpec(
                    f"Compliance({predicate}) > 0",
                    "Compliance",
                    _positive,
                    predicate,
                    columns=(check.column,),
                    predicate=predicate,
                )
            )
    elif isinstance(check, AllowedValues):
        column = quote_identifier(check.column)
        name = f"{check.column} contained in {','.join(map(str, check.values))}"
        listed = ",".join(sql_literal(v) for v in check.values)
        specs = [
            ConstraintSpec(
                f"Compliance({name}) == 1",
                "Compliance",
                _is_one,
                name,
                columns=(check.column,),
                predicate=f"{column} IS NULL OR {column} IN ({listed})",
            )
        ]
    elif isinstance(check, Pattern):
        specs = [
            ConstraintSpec(
                f"PatternMatch({check.column}, {check.pattern}) == 1",
                "PatternMatch",
                _is_one,
                check.column,
                columns=(check.column,),
                predicate=pattern_predicate(check.column, check.pattern),
            )
        ]
    elif isinstance(check, Satisfies):
        op = "==" if check.min_fraction == 1.0 else ">="
        assertion = _is_one if check.min_fraction == 1.0 else _at_least(check.min_fraction)
        specs = [
            ConstraintSpec(
                f"Compliance({check.predicate}) {op} {_fraction_text(check.min_fraction)}",
                "Compliance",
                assertion,
                check.name,
                predicate=check.predicate,
            )
        ]
    else:  # pragma: no cover - every single-table kind is handled above
        raise ConfigurationError(f"{check.label}: no constraints for kind {check.kind!r}")
    return tuple(
        ConstraintSpec(s.description + suffix, s.analyzer, s.assertion, s.instance, s.columns, s.predicate, where)
        for s in specs
    )
