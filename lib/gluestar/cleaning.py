"""Cleaning and validation of a raw source against its contract.

:func:`validate_source` turns the raw string columns of a source into typed, normalised columns and
marks every row ``accepted`` or ``quarantined``; a quarantined row carries a ``reject_reason`` that
names every rule it broke. Nothing is dropped: the raw values travel along in the ``_raw`` struct so
the quarantine can show exactly what arrived.

Examples
--------
>>> from gluestar.contracts import load_source_contract
>>> contract = load_source_contract("finance", "budget")
>>> raw = spark.createDataFrame(
...     [("2025-01", " fin-01 ", "4000", "$1,000", "")], "budget_month string, department_code string, "
...     "account_number string, budget_amount string, scenario string")
>>> row = raw.transform(validate_source(contract)).first()
>>> (row.department_code, str(row.budget_amount), row.scenario, row._status)
('FIN-01', '1000.00', 'Budget', 'accepted')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import reduce

from pyspark.errors import ParseException
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from gluestar.columns import (
    any_padded,
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
from gluestar.constants import (
    CORRUPT_RECORD_COLUMN,
    RAW_COLUMN,
    REJECT_REASON_COLUMN,
    REJECT_RULES_COLUMN,
    SOURCE_FILE_COLUMN,
    STATUS_ACCEPTED,
    STATUS_COLUMN,
    STATUS_QUARANTINED,
)
from gluestar.contracts import (
    MAX_EPOCH_SECONDS,
    MIN_EPOCH_SECONDS,
    ColumnSpec,
    ConsistencyRule,
    RowRule,
    SourceContract,
)
from gluestar.exceptions import ConfigurationError, SchemaContractError

__all__ = [
    "validate_source",
    "candidate_keys",
    "enforce_consistency",
    "clean_text",
    "typed_value",
    "column_rules",
    "row_rule",
    "allowed_values_rule",
    "encoding_rule",
    "length_rule",
    "MALFORMED_ROW_REASON",
]

_PADDED_ROW = "__gluestar_padded"

#: Reason given to a CSV line that does not split into the header's number of fields.
MALFORMED_ROW_REASON = "malformed CSV row: wrong number of fields"


#: What a decoder puts in place of bytes that are not valid in the file's encoding.
_REPLACEMENT_CHARACTER = "\ufffd"

Reason = tuple[str, Column]
"""A broken rule: its stable label (for counting) and its message column (null when the rule holds)."""


def _outside(name: str, text: Column, outside: Column, low: object, high: object) -> Column:
    """The message of a value outside ``low..high`` (``…`` for an open end), null when inside."""
    bounds = f"{'…' if low is None else low}..{'…' if high is None else high}"
    return F.when(outside, F.concat(F.lit(f"{name} "), excerpt(text), F.lit(f" is outside {bounds}")))


def _beyond(value: Column, low: Column | None, high: Column | None) -> Column | None:
    """``value < low OR value > high`` over the bounds given; None without bounds."""
    checks = [value < low] if low is not None else []
    if high is not None:
        checks.append(value > high)
    if not checks:
        return None
    return checks[0] if len(checks) == 1 else checks[0] | checks[1]


def _number_literal(value: int | Decimal) -> Column:
    """An exact literal of a bound: an int as is, a decimal cast to its own precision and scale."""
    if isinstance(value, int):
        return F.lit(value)
    text = format(value, "f")
    scale = len(text.partition(".")[2])
    digits = len(text.lstrip("-").replace(".", ""))
    return F.lit(text).cast(f"decimal({max(digits, scale, 1)},{scale})")


def _range_reason(name: str, value: Column, text: Column, spec: ColumnSpec) -> Column | None:
    """The range rule's message: dates against ``min``/``max``, numbers against ``min_value``/``max_value``.

    An ``epoch_seconds`` value is checked as seconds, and a well-formed integer too large for a
    timestamp (its value is null) is out of range too: it is a number, just not a plausible one.
    """
    if spec.type in ("date", "month", "timestamp"):
        outside = _beyond(
            value, None if spec.min is None else F.lit(spec.min), None if spec.max is None else F.lit(spec.max)
        )
        return None if outside is None else _outside(name, text, outside, spec.min, spec.max)
    if spec.type == "epoch_seconds":
        low = MIN_EPOCH_SECONDS if spec.min_value is None else spec.min_value
        high = MAX_EPOCH_SECONDS if spec.max_value is None else spec.max_value
        seconds_outside = _beyond(F.unix_seconds(value), F.lit(low), F.lit(high))
        unrepresentable = value.isNull() & is_integer(text)
        return _outside(name, text, F.coalesce(seconds_outside, unrepresentable), low, high)
    if spec.type in ("amount", "integer"):
        outside = _beyond(
            value,
            None if spec.min_value is None else _number_literal(spec.min_value),
            None if spec.max_value is None else _number_literal(spec.max_value),
        )
        return None if outside is None else _outside(name, text, outside, spec.min_value, spec.max_value)
    return None


def clean_text(spec: ColumnSpec, raw: Column, padded: Column | None = None) -> Column:
    """Trim, null-if-empty, normalise case and apply the default of one raw string column.

    Examples
    --------
    >>> from gluestar.contracts import ColumnSpec
    >>> df = spark.createDataFrame([("  budget q1 ",)], "scenario string")
    >>> df.select(clean_text(ColumnSpec("scenario", case="title"), F.col("scenario")).alias("s")).first().s
    'Budget Q1'
    """
    text = trim_to_null(raw, padded)
    if spec.case is not None:
        text = normalise_case(text, spec.case)
    if spec.default is not None:
        text = F.coalesce(text, F.lit(spec.default))
    return text


def typed_value(spec: ColumnSpec, text: Column) -> Column:
    """Parse cleaned text into the column's declared type; null when it does not parse.

    Examples
    --------
    >>> from gluestar.contracts import ColumnSpec
    >>> df = spark.createDataFrame([("(5)",)], "amount string")
    >>> df.select(typed_value(ColumnSpec("amount", "amount"), F.col("amount")).alias("a")).first().a
    Decimal('-5.00')
    """
    if spec.type == "string":
        return text
    if spec.type == "date":
        return parse_date(text, spec.formats)
    if spec.type == "month":
        return parse_month(text, spec.formats)
    if spec.type == "timestamp":
        return parse_timestamp(text, spec.formats)
    if spec.type == "amount":
        return parse_amount(text, spec.precision, spec.scale)
    if spec.type == "integer":
        return parse_integer(text)
    if spec.type == "boolean":
        return parse_boolean(text, spec.boolean_values.true, spec.boolean_values.false)
    if spec.type == "epoch_seconds":
        return parse_epoch_seconds(text)
    raise SchemaContractError(f"column {spec.name!r} has unsupported type {spec.type!r}")


def encoding_rule(name: str, text: Column, encoding: str) -> Reason:
    """The rule that a value decoded cleanly: no U+FFFD, which the CSV reader puts for undecodable bytes.

    A Latin-1 file read as UTF-8 would otherwise flow on with ``'caf\ufffd'`` in place of ``'café'``:
    a silent corruption. The row is quarantined instead, naming the column and the file's encoding.

    Examples
    --------
    >>> df = spark.createDataFrame([("caf\ufffd",)], "t string")
    >>> label, message = encoding_rule("account_name", F.col("t"), "UTF-8")
    >>> label, df.select(message.alias("m")).first().m
    ('account_name is not valid UTF-8', "account_name 'caf\ufffd' holds bytes that are not valid UTF-8")
    """
    message = F.concat(F.lit(f"{name} "), excerpt(text), F.lit(f" holds bytes that are not valid {encoding}"))
    return f"{name} is not valid {encoding}", F.when(text.contains(_REPLACEMENT_CHARACTER), message)


def length_rule(name: str, text: Column, max_length: int) -> Reason:
    """The rule that a cleaned value holds at most ``max_length`` bytes in UTF-8.

    Bytes, not characters: Redshift's ``VARCHAR(n)`` counts bytes, so ``'é' * 200`` (400 bytes)
    does not fit a ``VARCHAR(256)`` although it has 200 characters.

    Examples
    --------
    >>> df = spark.createDataFrame([("ééé",)], "t string")
    >>> label, message = length_rule("code", F.col("t"), 4)
    >>> label, df.select(message.alias("m")).first().m
    ('code is too long', "code 'ééé' is 6 bytes long (max 4 bytes)")
    """
    size = F.octet_length(text)
    message = F.concat(
        F.lit(f"{name} "),
        excerpt(text),
        F.lit(" is "),
        size.cast("string"),
        F.lit(f" bytes long (max {max_length} bytes)"),
    )
    return f"{name} is too long", F.when(size > F.lit(max_length), message)


def column_rules(spec: ColumnSpec, text: Column, value: Column) -> list[Reason]:
    """The rules one column can break, given its cleaned text and its typed value.

    Labels, by column type (``<c>`` is the column's name): ``<c> is missing`` (required),
    ``<c> is reserved``, ``<c> is too long``, ``<c> is not an allowed value`` (strings);
    ``<c> is not a valid date|month|timestamp``; ``<c> is not a valid amount``,
    ``<c> does not fit decimal(p,s)``; ``<c> is not an integer``; ``<c> is not a valid boolean``;
    ``<c> is not a valid epoch-seconds timestamp``; and ``<c> is out of range`` for ``min``/``max``
    (dates) or ``min_value``/``max_value`` (numbers). Each message quotes the value.

    Returns
    -------
    list of (str, Column)
        Each rule's label and its message column (null when the rule holds).

    Examples
    --------
    >>> from gluestar.contracts import ColumnSpec
    >>> spec = ColumnSpec("amount", "amount", required=True)
    >>> [label for label, _ in column_rules(spec, F.col("t"), F.col("v"))]
    ['amount is missing', 'amount is not a valid amount', 'amount does not fit decimal(18,2)']
    >>> [label for label, _ in column_rules(ColumnSpec("age", "integer", max_value=120), F.col("t"), F.col("v"))]
    ['age is not an integer', 'age is out of range']
    """
    name = spec.name
    rules: list[Reason] = []
    if spec.required:
        rules.append((f"{name} is missing", F.when(text.isNull(), F.lit(f"{name} is missing"))))

    def invalid(what: str | Column) -> Column:
        message = F.concat(F.lit(f"{name} "), excerpt(text), what if isinstance(what, Column) else F.lit(what))
        return F.when(text.isNotNull() & value.isNull(), message)

    if spec.reserved:
        listed = ", ".join(spec.reserved)
        is_reserved = text.isin(list(spec.reserved))
        message = F.concat(F.lit(f"{name} "), excerpt(text), F.lit(f" is reserved (reserved: {listed})"))
        rules.append((f"{name} is reserved", F.when(is_reserved, message)))
    if spec.max_length is not None:
        rules.append(length_rule(name, text, spec.max_length))
    if spec.allowed_values:
        rules.append(allowed_values_rule(name, text, spec.allowed_values))
    accepted = ", ".join(spec.formats)
    if spec.type in ("date", "month", "timestamp"):
        rules.append(
            (f"{name} is not a valid {spec.type}", invalid(f" is not a valid {spec.type} (accepted: {accepted})"))
        )
    elif spec.type == "amount":
        # Only a value that did not parse is tested against the amount regex (AND evaluates its
        # right side only when the left is true): one regex per row fewer.
        decimal = f"decimal({spec.precision},{spec.scale})"
        unparsed = text.isNotNull() & value.isNull()
        well_formed = is_amount(text)
        rules.append(
            (f"{name} is not a valid amount", F.when(unparsed & ~well_formed, invalid(" is not a valid amount")))
        )
        rules.append(
            (f"{name} does not fit {decimal}", F.when(unparsed & well_formed, invalid(f" does not fit {decimal}")))
        )
    elif spec.type == "integer":
        what = F.when(is_integer(text), F.lit(" is not a 32-bit integer")).otherwise(F.lit(" is not an integer"))
        rules.append((f"{name} is not an integer", invalid(what)))
    elif spec.type == "boolean":
        spellings = f"true: {', '.join(spec.boolean_values.true)} | false: {', '.join(spec.boolean_values.false)}"
        rules.append((f"{name} is not a valid boolean", invalid(f" is not a valid boolean ({spellings})")))
    elif spec.type == "epoch_seconds":
        message = " is not a valid epoch-seconds timestamp (integer seconds since 1970-01-01 UTC)"
        rules.append((f"{name} is not a valid epoch-seconds timestamp", F.when(~is_integer(text), invalid(message))))
    range_reason = _range_reason(name, value, text, spec)
    if range_reason is not None:
        rules.append((f"{name} is out of range", range_reason))
    return rules


def allowed_values_rule(name: str, text: Column, allowed: Sequence[str]) -> Reason:
    """The rule that a cleaned value is one of ``allowed`` (a missing value breaks no rule here).

    Examples
    --------
    >>> df = spark.createDataFrame([("WISHLIST",)], "t string")
    >>> label, message = allowed_values_rule("event_type", F.col("t"), ["VIEW", "PURCHASE"])
    >>> label, df.select(message.alias("m")).first().m
    ('event_type is not an allowed value', "event_type 'WISHLIST' is not an allowed value (allowed: VIEW, PURCHASE)")
    """
    message = F.concat(
        F.lit(f"{name} "), excerpt(text), F.lit(f" is not an allowed value (allowed: {', '.join(allowed)})")
    )
    return f"{name} is not an allowed value", F.when(text.isNotNull() & ~text.isin(list(allowed)), message)


def row_rule(rule: RowRule, valid: Column) -> Reason:
    """A row rule's label and message: its ``reject_reason`` when the predicate is false.

    ``valid`` says whether every column the predicate reads is valid; the predicate is evaluated
    only then (inside a ``CASE WHEN``, so an invalid value cannot make it fail under ANSI mode).
    A null result is not false: the row passes, as with a SQL ``CHECK`` constraint.

    Examples
    --------
    >>> from gluestar.contracts import RowRule
    >>> df = spark.createDataFrame([(2, 3, 7)], "a int, b int, total int")
    >>> label, message = row_rule(RowRule("sum", "a + b = total", "total is not a + b"), F.lit(True))
    >>> label, df.select(message.alias("m")).first().m
    ('total is not a + b', 'total is not a + b')

    Raises
    ------
    ConfigurationError
        If the predicate does not parse as Spark SQL.
    """
    try:
        predicate = F.expr(rule.predicate)
    except ParseException as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise ConfigurationError(
            f"row rule {rule.name!r}: the predicate {rule.predicate!r} is not valid Spark SQL: {first_line}"
        ) from None
    broken = ~predicate
    return rule.reject_reason, F.when(valid, F.when(broken, F.lit(rule.reject_reason)))


def validate_source(contract: SourceContract) -> Callable[[DataFrame], DataFrame]:
    """Return a transform that cleans, types and validates a raw source by its contract.

    The input holds every contract column as a string (as read), optionally ``_source_file`` and
    Spark's ``_corrupt_record``. The output holds ``_raw`` (the input values, untouched),
    ``_source_file``, the cleaned contract columns with their declared types, ``reject_reason``
    (every broken rule, ``"; "``-separated, null for good rows), ``reject_rules`` (the broken
    rules' labels, without values, for counting) and ``_status``
    (``accepted`` or ``quarantined``).

    The contract's row rules come after the column rules; each is evaluated only on rows where
    every column its predicate reads is valid (not null and breaking none of its column rules),
    so a row with a malformed ``units_sold`` is quarantined for that, not also for a total that
    cannot be checked. Rules across rows (``consistent_within``) are :func:`enforce_consistency`'s.

    Parameters
    ----------
    contract : SourceContract
        The source's contract.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        The transform, for ``df.transform(...)``.

    Raises
    ------
    SchemaContractError
        If a contract column is absent from the input.

    Examples
    --------
    >>> from gluestar.contracts import load_source_contract
    >>> contract = load_source_contract("finance", "budget")
    >>> raw = spark.createDataFrame([("2025-1", "D1", "4000", "abc", None)],
    ...     "budget_month string, department_code string, account_number string, "
    ...     "budget_amount string, scenario string")
    >>> raw.transform(validate_source(contract)).first().reject_reason
    "budget_month '2025-1' is not a valid month (accepted: yyyy-MM); budget_amount 'abc' is not a valid amount"
    """

    def transform(df: DataFrame) -> DataFrame:
        missing = [c for c in contract.column_names if c not in df.columns]
        if missing:
            raise SchemaContractError(f"source {contract.name!r} is missing column(s): {', '.join(missing)}")
        text_of = {c: f"__text_{c}" for c in contract.column_names}
        source_file = F.col(SOURCE_FILE_COLUMN) if SOURCE_FILE_COLUMN in df.columns else F.lit(None).cast("string")
        corrupt = F.col(CORRUPT_RECORD_COLUMN) if CORRUPT_RECORD_COLUMN in df.columns else F.lit(None).cast("string")
        # Three projections (text, typed values, rules) so each parse is computed once: Spark does
        # not collapse projections that would duplicate a costly expression. The typed values take
        # the columns' own names (the raw values are inside _raw by then), so row rules' SQL
        # predicates read the cleaned, typed columns.
        padded = F.col(_PADDED_ROW)
        texts = df.withColumn(_PADDED_ROW, any_padded([F.col(c) for c in contract.column_names])).select(
            F.struct(*[F.col(c) for c in contract.column_names]).alias(RAW_COLUMN),
            source_file.alias(SOURCE_FILE_COLUMN),
            corrupt.alias(CORRUPT_RECORD_COLUMN),
            *[clean_text(spec, F.col(spec.name), padded).alias(text_of[spec.name]) for spec in contract.columns],
        )
        values = texts.withColumns(
            {spec.name: typed_value(spec, F.col(text_of[spec.name])) for spec in contract.columns}
        )
        reasons: list[Reason] = [
            (MALFORMED_ROW_REASON, F.when(F.col(CORRUPT_RECORD_COLUMN).isNotNull(), F.lit(MALFORMED_ROW_REASON)))
        ]
        valid: dict[str, Column] = {}
        for spec in contract.columns:
            text, value = F.col(text_of[spec.name]), F.col(spec.name)
            own = [encoding_rule(spec.name, text, contract.format.encoding), *column_rules(spec, text, value)]
            reasons.extend(own)
            valid[spec.name] = reduce(lambda acc, rule: acc & rule[1].isNull(), own, value.isNotNull())
        for rule in contract.row_rules:
            reasons.append(row_rule(rule, reduce(lambda acc, c: acc & valid[c], rule.columns, F.lit(True))))
        reason = join_reasons([message for _, message in reasons])
        # The labels' array is built only for a rejected row (every other row gets an empty one): an
        # array per row of every rule is costly work at ten million rows.
        labels = F.array_remove(
            F.array(*[F.when(m.isNotNull(), F.lit(label)).otherwise(F.lit("")) for label, m in reasons]), ""
        )
        rules = F.when(reason.isNotNull(), labels).otherwise(F.array().cast("array<string>"))
        status = F.when(reason.isNull(), F.lit(STATUS_ACCEPTED)).otherwise(F.lit(STATUS_QUARANTINED))
        # One projection for the reason, the labels and the status: the reason is read in the first
        # condition of the other two, which is always evaluated, so Spark computes it once; a
        # separate projection for the status would copy every row once more.
        return values.select(
            RAW_COLUMN,
            SOURCE_FILE_COLUMN,
            *contract.column_names,
            reason.alias(REJECT_REASON_COLUMN),
            rules.alias(REJECT_RULES_COLUMN),
            status.alias(STATUS_COLUMN),
        )

    return transform


def candidate_keys(contract: SourceContract) -> Callable[[DataFrame], DataFrame]:
    """Return a transform that gives the cleaned, typed key of every raw row whose key is complete.

    A superset of the keys :func:`validate_source` accepts, computed without validating the rows:
    only the key columns are cleaned and parsed. It is what a run looks its keys up with in a large
    published table (see :func:`gluestar.pipelines.runner.classify_source`).

    Examples
    --------
    >>> from gluestar.contracts import load_source_contract
    >>> contract = load_source_contract("finance", "transactions")
    >>> raw = spark.createDataFrame([(" TX-1 ", "bad date"), ("", "2025-01-02")],
    ...     "transaction_id string, transaction_date string")
    >>> [r.transaction_id for r in raw.transform(candidate_keys(contract)).collect()]
    ['TX-1']
    """

    def transform(df: DataFrame) -> DataFrame:
        missing = [c for c in contract.key if c not in df.columns]
        if missing:
            raise SchemaContractError(f"source {contract.name!r} is missing key column(s): {', '.join(missing)}")
        specs = [contract.column(c) for c in contract.key]
        keys = df.select(*[typed_value(spec, clean_text(spec, F.col(spec.name))).alias(spec.name) for spec in specs])
        return keys.where(
            reduce(lambda acc, c: acc & F.col(c).isNotNull(), contract.key[1:], F.col(contract.key[0]).isNotNull())
        )

    return transform


_IS_CANDIDATE = "__consistency_candidate"


def _disagrees(rule: ConsistencyRule) -> Column:
    """True on an accepted row whose key group (accepted rows only) disagrees on the rule's columns.

    One window partitioned by the candidate flag and the key: the group agrees when the smallest
    and the largest struct of its columns are equal (null-safe: a null and a value disagree).
    """
    by_key = Window.partitionBy(_IS_CANDIDATE, *rule.key)
    compared = F.struct(*[F.col(c) for c in rule.columns])
    return F.col(_IS_CANDIDATE) & ~F.min(compared).over(by_key).eqNullSafe(F.max(compared).over(by_key))


def enforce_consistency(contract: SourceContract) -> Callable[[DataFrame], DataFrame]:
    """Return a transform quarantining accepted rows that contradict rows sharing a key.

    For every rule of the contract's ``consistent_within``, the accepted rows sharing the rule's
    ``key`` must agree on its ``columns`` (null-safe: a null and a value disagree); otherwise every
    accepted row of that key group becomes ``quarantined`` with the rule's ``reject_reason`` as
    its ``reject_reason`` and its ``reject_rules`` (a row breaking several rules gets every reason).
    Rows that are not ``accepted`` take no part and keep their status. Every rule is checked
    against the input's accepted rows, so the rules' order does not matter.

    Run it on the classified frame *after* :func:`gluestar.dedup.resolve_duplicates`: exact
    duplicates and superseded versions have left the accepted rows by then (an old version's
    attributes cannot contradict the new one), and rows quarantined as conflicts keep the
    conflict reason that the report counts as conflicts. On the committed samples
    (``data/raw/<pipeline>/expected.json``) both orders give the same counts.

    Parameters
    ----------
    contract : SourceContract
        The source's contract; without ``consistent_within`` rules the transform returns its input.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        A transform keeping the input's columns; ``_status``, ``reject_reason`` and
        ``reject_rules`` updated.

    Raises
    ------
    SchemaContractError
        If a rule's key or compared column, ``_status``, ``reject_reason`` or ``reject_rules`` is
        missing from the input.

    Examples
    --------
    >>> from gluestar.contracts import ConsistencyRule, load_source_contract
    >>> import dataclasses
    >>> contract = dataclasses.replace(load_source_contract("finance", "budget"),
    ...     consistent_within=(ConsistencyRule(("c",), ("age",), "ages differ"),))
    >>> df = spark.createDataFrame([("c1", 30, "accepted", None, []), ("c1", 31, "accepted", None, [])],
    ...     "c string, age int, _status string, reject_reason string, reject_rules array<string>")
    >>> sorted((r._status, r.reject_reason) for r in df.transform(enforce_consistency(contract)).collect())
    [('quarantined', 'ages differ'), ('quarantined', 'ages differ')]
    """
    rules = contract.consistent_within

    def transform(df: DataFrame) -> DataFrame:
        needed = [
            *[c for rule in rules for c in (*rule.key, *rule.columns)],
            STATUS_COLUMN,
            REJECT_REASON_COLUMN,
            REJECT_RULES_COLUMN,
        ]
        missing = sorted({c for c in needed if c not in df.columns})
        if missing:
            raise SchemaContractError(f"enforce_consistency: missing column(s): {', '.join(missing)}")
        if not rules:
            return df
        output_columns = df.columns
        flags = {f"__inconsistent_{index}": rule for index, rule in enumerate(rules)}
        flagged = df.withColumn(_IS_CANDIDATE, F.col(STATUS_COLUMN) == F.lit(STATUS_ACCEPTED))
        for flag, rule in flags.items():
            flagged = flagged.withColumn(flag, _disagrees(rule))
        broken = [F.when(F.col(flag), F.lit(rule.reject_reason)) for flag, rule in flags.items()]
        inconsistent = reduce(lambda acc, flag: acc | F.col(flag), flags, F.lit(False))
        return (
            flagged.withColumn(
                REJECT_REASON_COLUMN, F.when(inconsistent, join_reasons(broken)).otherwise(F.col(REJECT_REASON_COLUMN))
            )
            .withColumn(
                REJECT_RULES_COLUMN,
                F.when(inconsistent, F.array_compact(F.array(*broken))).otherwise(F.col(REJECT_RULES_COLUMN)),
            )
            .withColumn(STATUS_COLUMN, F.when(inconsistent, F.lit(STATUS_QUARANTINED)).otherwise(F.col(STATUS_COLUMN)))
            .select(*output_columns)
        )

    return transform
