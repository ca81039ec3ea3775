"""The native engine: every check of a table measured in one query, with native functions only.

:func:`evaluate_table` builds one query over a table holding every metric its constraints need
(counts, non-null counts, distinct counts, compliant-row counts, minima, maxima) plus the table's
profile (row count, null fraction of every column, sum of every measure column), runs it once, and
evaluates the assertions on the one resulting row in Python. Adding checks adds aggregate
expressions, not Spark jobs. The distinct counts are aggregated in a branch of their own, joined to
the other aggregates' one row (see :class:`_Aggregation`).

Cross-table checks need a second table: :func:`evaluate_foreign_key` counts orphans with one
``left_anti`` join per relation, and :func:`evaluate_reconciliation` compares aggregates of two
tables (a grouped reconciliation runs one grouped query on the left table; an ungrouped one reuses
the totals of the single pass).

Semantics follow Deequ's analyzers: fractions are measured over all rows (or the rows of ``where``),
an empty table or an all-null column leaves a fraction, minimum or maximum undefined and the
constraint fails, nulls pass ``non_negative`` and ``allowed_values`` but fail ``pattern``.

Examples
--------
>>> from gluestar.quality.checks import PrimaryKey
>>> df = spark.createDataFrame([(1,), (1,)], "id int")
>>> evaluation = evaluate_table(df, "t", [PrimaryKey(table="t", columns=("id",))])
>>> [(r.constraint, r.constraint_status) for r in evaluation.results]
[('Completeness(id) == 1', 'Success'), ('Uniqueness(id) == 1', 'Failure')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gluestar.exceptions import ConfigurationError
from gluestar.quality.checks import AggregateOf, ForeignKey, QualityCheck, Reconciliation
from gluestar.quality.constraints import ConstraintSpec, plan_constraints, quote_identifier
from gluestar.quality.results import ConstraintResult, Metric, check_level

__all__ = [
    "MetricName",
    "TableEvaluation",
    "evaluate_foreign_key",
    "evaluate_reconciliation",
    "evaluate_table",
    "measure_columns",
    "reconciliation_metrics",
]

#: ``(name, instance)`` of a profile metric: ``("row_count", "*")``, ``("sum", column)`` or
#: ``("null_fraction", column)``.
MetricName = tuple[str, str]

_MEASURE_TYPES = (T.DecimalType, T.DoubleType, T.FloatType, T.LongType)


def measure_columns(schema: T.StructType) -> tuple[str, ...]:
    """Columns whose sum the profile records: decimal, double, float and bigint columns.

    Examples
    --------
    >>> measure_columns(T.StructType([T.StructField("k", T.IntegerType()), T.StructField("a", T.DecimalType(18, 2))]))
    ('a',)
    """
    return tuple(f.name for f in schema.fields if isinstance(f.dataType, _MEASURE_TYPES))


def _col(name: str) -> Column:
    return F.col(quote_identifier(name))


class _Aggregation:
    """Aggregate expressions keyed by what they compute, so each is computed once.

    Distinct counts are aggregated apart from the rest, in the same query: in one ``agg`` with
    other aggregates, Spark groups the rows by the distinct value and carries every other
    aggregate's buffer through that grouping and its shuffle (for the unique key of ten million
    rows, ten million sets of buffers). Apart, the distinct values are grouped alone and the two
    one-row results are joined.
    """

    def __init__(self) -> None:
        self._aliases: dict[str, str] = {}
        self._columns: list[Column] = []
        self._distinct: list[Column] = []

    def add(self, key: str, column: Column, *, distinct: bool = False) -> str:
        alias = self._aliases.get(key)
        if alias is None:
            alias = f"m{len(self._aliases)}"
            self._aliases[key] = alias
            (self._distinct if distinct else self._columns).append(column.alias(alias))
        return alias

    def rows(self, where: str | None) -> str:
        condition = F.lit(1) if where is None else F.when(F.expr(where), F.lit(1))
        return self.add(f"rows|{where}", F.count(condition))

    def run(self, df: DataFrame) -> dict[str, Any]:
        groups = [columns for columns in (self._columns, self._distinct) if columns]
        if not groups:
            return {}
        row = reduce(lambda left, right: left.crossJoin(right), [df.agg(*group) for group in groups]).first()
        return row.asDict() if row is not None else {}


def _filtered(where: str | None, value: Column) -> Column:
    return value if where is None else F.when(F.expr(where), value)


def _satisfied(where: str | None, predicate: Column) -> Column:
    condition = F.coalesce(predicate, F.lit(False))
    if where is not None:
        condition = condition & F.coalesce(F.expr(where), F.lit(False))
    return F.when(condition, F.lit(1))


@dataclass(frozen=True)
class _Planned:
    spec: ConstraintSpec
    rows: str
    measure: str


def _plan(spec: ConstraintSpec, aggregation: _Aggregation) -> _Planned:
    where = spec.where
    rows = aggregation.rows(where)
    if spec.analyzer == "Size":
        measure = rows
    elif spec.analyzer == "Completeness":
        (column,) = spec.columns
        measure = aggregation.add(f"nonnull|{column}|{where}", F.count(_filtered(where, _col(column))))
    elif spec.analyzer == "Uniqueness":
        keyed = reduce(lambda a, b: a | b, [_col(c).isNotNull() for c in spec.columns])
        value = F.when(keyed, F.struct(*[_col(c) for c in spec.columns]))
        measure = aggregation.add(
            f"distinct|{','.join(spec.columns)}|{where}", F.count_distinct(_filtered(where, value)), distinct=True
        )
    elif spec.analyzer in ("Compliance", "PatternMatch"):
        measure = aggregation.add(
            f"comply|{spec.predicate}|{where}", F.count(_satisfied(where, F.expr(spec.predicate or "true")))
        )
    elif spec.analyzer == "Minimum":
        measure = aggregation.add(f"min|{spec.columns[0]}|{where}", F.min(_filtered(where, _col(spec.columns[0]))))
    else:
        measure = aggregation.add(f"max|{spec.columns[0]}|{where}", F.max(_filtered(where, _col(spec.columns[0]))))
    return _Planned(spec, rows, measure)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _text(value: float, *, digits: int = 6) -> str:
    return f"{value:.0f}" if value.is_integer() else f"{value:.{digits}g}"


def _outcome(planned: _Planned, values: Mapping[str, Any]) -> tuple[float | None, str]:
    """The metric value and the failure message ('' when the assertion holds)."""
    spec = planned.spec
    rows = int(values[planned.rows] or 0)
    measured = values[planned.measure]
    of_rows = f" where {spec.where}" if spec.where else ""
    if spec.analyzer == "Size":
        metric: float | None = float(rows)
    elif spec.analyzer in ("Minimum", "Maximum"):
        metric = _number(measured)
        if metric is None:
            return None, f"Empty state for {spec.analyzer}({spec.instance}): no non-null values{of_rows}"
    else:
        if rows == 0:
            return None, f"Empty state for {spec.analyzer}({spec.instance}): no rows{of_rows}"
        metric = int(measured or 0) / rows
    if spec.assertion(metric):
        return metric, ""
    if spec.analyzer in ("Minimum", "Maximum"):
        value = _text(metric, digits=15)
        detail = f"the {spec.analyzer.lower()} of {spec.instance} is {value}"
        return metric, f"Value: {value} does not meet the constraint requirement! {detail}"
    head = f"Value: {_text(metric)} does not meet the constraint requirement!"
    count = int(measured or 0)
    details = {
        "Size": f"{rows} row(s){of_rows}",
        "Completeness": f"{rows - count} of {rows} row(s){of_rows} have a null {spec.instance}",
        "Uniqueness": f"{rows - count} of {rows} row(s){of_rows} repeat a value of ({spec.instance}) or have none",
        "PatternMatch": f"{rows - count} of {rows} row(s){of_rows} do not match: {spec.predicate}",
    }
    detail = details.get(spec.analyzer, f"{count} of {rows} row(s){of_rows} satisfy: {spec.predicate}")
    return metric, f"{head} {detail}"


@dataclass(frozen=True)
class TableEvaluation:
    """What one pass over a table produced.

    Attributes
    ----------
    table : str
    results : tuple of ConstraintResult
        The constraints of the table's single-table checks (``check_status`` still per constraint;
        the gate settles it over all constraints of a check).
    metrics : tuple of Metric
        Profile metrics and any extra metric requested.
    raw : dict
        ``(name, instance) -> value`` exactly as Spark returned it (``Decimal`` sums stay exact).
    """

    table: str
    results: tuple[ConstraintResult, ...]
    metrics: tuple[Metric, ...]
    raw: dict[MetricName, Any]


def evaluate_table(
    df: DataFrame,
    table: str,
    checks: Sequence[QualityCheck],
    *,
    metrics: Sequence[MetricName] = (),
    profile: bool = True,
) -> TableEvaluation:
    """Evaluate the single-table checks of one table in a single aggregation.

    Parameters
    ----------
    df : DataFrame
        The table.
    table : str
        Its name, for the result rows.
    checks : sequence of QualityCheck
        Single-table checks of ``table``.
    metrics : sequence of (str, str)
        Extra metrics to compute in the same pass, e.g. ``[("sum", "transaction_count")]``.
    profile : bool, default True
        Also compute the row count, the null fraction of every column and the sum of every measure
        column (see :func:`measure_columns`).

    Returns
    -------
    TableEvaluation

    Examples
    --------
    >>> from gluestar.quality.checks import RowCount
    >>> df = spark.createDataFrame([(1.5,), (None,)], "x double")
    >>> ev = evaluate_table(df, "t", [RowCount(table="t", min=1)])
    >>> ev.raw[("row_count", "*")], ev.raw[("null_fraction", "x")], ev.raw[("sum", "x")]
    (2, 0.5, 1.5)
    """
    aggregation = _Aggregation()
    planned = [(check, _plan(spec, aggregation)) for check in checks for spec in plan_constraints(check)]
    wanted: list[MetricName] = []
    if profile:
        wanted += [("row_count", "*")]
        wanted += [("null_fraction", c) for c in df.columns]
        wanted += [("sum", c) for c in measure_columns(df.schema)]
    wanted += [m for m in metrics if m not in wanted]
    rows = aggregation.rows(None)
    aliases: dict[MetricName, str] = {}
    for name, instance in wanted:
        if name == "row_count":
            aliases[(name, instance)] = rows
        elif name == "null_fraction":
            aliases[(name, instance)] = aggregation.add(f"nonnull|{instance}|None", F.count(_col(instance)))
        elif name == "sum":
            aliases[(name, instance)] = aggregation.add(f"sum|{instance}", F.sum(_col(instance)))
        else:
            raise ConfigurationError(f"unknown metric {name!r}; allowed: 'row_count', 'null_fraction', 'sum'")
    values = aggregation.run(df)
    total = int(values.get(rows) or 0)
    raw: dict[MetricName, Any] = {}
    for key, alias in aliases.items():
        if key[0] == "null_fraction":
            raw[key] = None if total == 0 else (total - int(values[alias] or 0)) / total
        else:
            raw[key] = values[alias]
    results = []
    for check, plan in planned:
        metric, message = _outcome(plan, values)
        level = check_level(check.severity)
        results.append(
            ConstraintResult(
                table, check.name, level, "Success", plan.spec.description,
                "Failure" if message else "Success", message, metric,
            )
        )  # fmt: skip
    return TableEvaluation(
        table,
        tuple(results),
        tuple(Metric(table, name, instance, _number(raw[(name, instance)])) for name, instance in aliases),
        raw,
    )


def evaluate_foreign_key(check: ForeignKey, tables: Mapping[str, DataFrame]) -> ConstraintResult:
    """Count the rows of ``check.table`` whose key has no match in the referenced table (one anti-join).

    Examples
    --------
    >>> from gluestar.quality.checks import References
    >>> facts = spark.createDataFrame([(1,), (2,)], "k int")
    >>> dim = spark.createDataFrame([(1,)], "key int")
    >>> fk = ForeignKey(table="f", columns=("k",), references=References("d", ("key",)))
    >>> evaluate_foreign_key(fk, {"f": facts, "d": dim}).constraint_message
    '1 row(s) of f have a k missing from d.key, e.g. {"k":2}'
    """
    ref = check.references
    keys = [f"_fk{i}" for i in range(len(check.columns))]
    refs = [f"_ref{i}" for i in range(len(check.columns))]
    facts = tables[check.table].select(*[_col(c).alias(k) for c, k in zip(check.columns, keys, strict=True)])
    members = tables[ref.table].select(*[_col(c).alias(r) for c, r in zip(ref.columns, refs, strict=True)])
    condition = reduce(lambda a, b: a & b, [F.col(k) == F.col(r) for k, r in zip(keys, refs, strict=True)])
    example = F.to_json(F.struct(*[F.col(k).alias(c) for k, c in zip(keys, check.columns, strict=True)]))
    row = (
        facts.join(members, on=condition, how="left_anti")
        .agg(F.count(F.lit(1)).alias("orphans"), F.min(example).alias("example"))
        .first()
    )
    orphans = int(row["orphans"]) if row is not None else 0
    columns = ", ".join(check.columns)
    description = f"ReferentialIntegrity({columns} -> {ref.table}.{', '.join(ref.columns)}) orphans == 0"
    message = (
        f"{orphans} row(s) of {check.table} have a {columns} missing from {ref.table}.{', '.join(ref.columns)}, "
        f"e.g. {row['example']}"
        if orphans
        else ""
    )
    return ConstraintResult(
        check.table, check.name, check_level(check.severity), "Success", description,
        "Failure" if orphans else "Success", message, float(orphans),
    )  # fmt: skip


def _aggregate(side: AggregateOf) -> tuple[MetricName, Column]:
    if side.aggregate == "count":
        return ("row_count", "*"), F.count(F.lit(1))
    return ("sum", side.column or ""), F.sum(_col(side.column or ""))


def reconciliation_metrics(check: Reconciliation) -> dict[str, list[MetricName]]:
    """Metrics the single passes must compute for a reconciliation, per table."""
    needed: dict[str, list[MetricName]] = {check.equals.table: [_aggregate(check.equals)[0]]}
    if not check.group_by:
        needed.setdefault(check.table, []).append(_aggregate(check.left)[0])
    return needed


def _exact(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def evaluate_reconciliation(
    check: Reconciliation, tables: Mapping[str, DataFrame], raw: Mapping[tuple[str, str, str], Any]
) -> ConstraintResult:
    """Compare an aggregate of ``check.table`` (per group) with another table's total.

    Parameters
    ----------
    check : Reconciliation
    tables : mapping of str to DataFrame
        Every table, for the grouped query.
    raw : mapping
        ``(table, name, instance) -> value`` from the single passes (see
        :func:`reconciliation_metrics`); an empty aggregate counts as 0.

    Examples
    --------
    >>> from gluestar.quality.checks import AggregateOf
    >>> left = spark.createDataFrame([("A", 5), ("B", 5), ("B", 1)], "g string, v int")
    >>> check = Reconciliation(table="l", column="v", group_by=("g",), equals=AggregateOf("r", "sum", "x"))
    >>> evaluate_reconciliation(check, {"l": left}, {("r", "sum", "x"): 5}).constraint_message
    '1 of 2 group(s) of l differ from r.sum(x) = 5; the largest difference is 1 at {"g":"B","value":6}'
    """
    target = _exact(raw.get((check.equals.table, *_aggregate(check.equals)[0])))
    tolerance = _exact(check.tolerance)
    per = f" per {', '.join(check.group_by)}" if check.group_by else ""
    description = (
        f"Reconciliation({check.aggregate}({check.column or '*'}){per} == {check.equals}) "
        f"|difference| <= {check.tolerance:g}"
    )
    if check.group_by:
        _, aggregate = _aggregate(check.left)
        grouped = (
            tables[check.table]
            .groupBy(*[_col(c) for c in check.group_by])
            .agg(F.coalesce(aggregate, F.lit(0)).alias("value"))
        )
        difference = F.abs(F.col("value") - F.lit(target))
        row = grouped.agg(
            F.count(F.lit(1)).alias("groups"),
            F.count(F.when(difference > F.lit(tolerance), F.lit(1))).alias("mismatched"),
            F.max(difference).alias("largest"),
            F.max_by(F.to_json(F.struct(*[_col(c) for c in check.group_by], F.col("value"))), difference).alias("at"),
        ).first()
        groups = int(row["groups"]) if row is not None else 0
        if groups:
            mismatched, largest = int(row["mismatched"]), _exact(row["largest"])
            message = (
                f"{mismatched} of {groups} group(s) of {check.table} differ from {check.equals} = {target}; "
                f"the largest difference is {largest} at {row['at']}"
                if mismatched
                else ""
            )
            return _reconciled(check, description, largest, message)
        left = Decimal(0)
    else:
        left = _exact(raw.get((check.table, *_aggregate(check.left)[0])))
    difference_value = abs(left - target)
    message = (
        f"{check.table}.{check.aggregate}({check.column or '*'}) = {left} differs from {check.equals} = {target} "
        f"by {difference_value}"
        if difference_value > tolerance
        else ""
    )
    return _reconciled(check, description, difference_value, message)


def _reconciled(check: Reconciliation, description: str, difference: Decimal, message: str) -> ConstraintResult:
    return ConstraintResult(
        check.table, check.name, check_level(check.severity), "Success", description,
        "Failure" if message else "Success", message, float(difference),
    )  # fmt: skip
