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

from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gluestar.columns import (
    excerpt,
    is_amount,
    join_reasons,
    normalise_case,
    parse_amount,
    parse_date,
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
from gluestar.contracts import ColumnSpec, SourceContract
from gluestar.exceptions import SchemaContractError

__all__ = [
    "validate_source",
    "clean_text",
    "typed_value",
    "column_rules",
    "encoding_rule",
    "length_rule",
    "MALFORMED_ROW_REASON",
]

#: Reason given to a CSV line that does not split into the header's number of fields.
MALFORMED_ROW_REASON = "malformed CSV row: wrong number of fields"


#: What a decoder puts in place of bytes that are not valid in the file's encoding.
_REPLACEMENT_CHARACTER = "\ufffd"

Reason = tuple[str, Column]
"""A broken rule: its stable label (for counting) and its message column (null when the rule holds)."""


def _range_reason(name: str, value: Column, raw: Column, spec: ColumnSpec) -> Column | None:
    checks = []
    if spec.min is not None:
        checks.append(value < F.lit(spec.min))
    if spec.max is not None:
        checks.append(value > F.lit(spec.max))
    if not checks:
        return None
    outside = checks[0] if len(checks) == 1 else checks[0] | checks[1]
    bounds = f"{spec.min or '…'}..{spec.max or '…'}"
    return F.when(outside, F.concat(F.lit(f"{name} "), excerpt(raw), F.lit(f" is outside {bounds}")))


def clean_text(spec: ColumnSpec, raw: Column) -> Column:
    """Trim, null-if-empty, normalise case and apply the default of one raw string column.

    Examples
    --------
    >>> from gluestar.contracts import ColumnSpec
    >>> df = spark.createDataFrame([("  budget q1 ",)], "scenario string")
    >>> df.select(clean_text(ColumnSpec("scenario", case="title"), F.col("scenario")).alias("s")).first().s
    'Budget Q1'
    """
    text = trim_to_null(raw)
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
    """
    name = spec.name
    rules: list[Reason] = []
    if spec.required:
        rules.append((f"{name} is missing", F.when(text.isNull(), F.lit(f"{name} is missing"))))

    def invalid(what: str) -> Column:
        return F.when(text.isNotNull() & value.isNull(), F.concat(F.lit(f"{name} "), excerpt(text), F.lit(what)))

    if spec.reserved:
        listed = ", ".join(spec.reserved)
        is_reserved = text.isin(list(spec.reserved))
        message = F.concat(F.lit(f"{name} "), excerpt(text), F.lit(f" is reserved (reserved: {listed})"))
        rules.append((f"{name} is reserved", F.when(is_reserved, message)))
    if spec.max_length is not None:
        rules.append(length_rule(name, text, spec.max_length))
    accepted = ", ".join(spec.formats)
    if spec.type in ("date", "month", "timestamp"):
        rules.append(
            (f"{name} is not a valid {spec.type}", invalid(f" is not a valid {spec.type} (accepted: {accepted})"))
        )
        range_reason = _range_reason(name, value, text, spec)
        if range_reason is not None:
            rules.append((f"{name} is out of range", range_reason))
    elif spec.type == "amount":
        well_formed = is_amount(text)
        decimal = f"decimal({spec.precision},{spec.scale})"
        rules.append((f"{name} is not a valid amount", F.when(~well_formed, invalid(" is not a valid amount"))))
        rules.append((f"{name} does not fit {decimal}", F.when(well_formed, invalid(f" does not fit {decimal}"))))
    return rules


def validate_source(contract: SourceContract) -> Callable[[DataFrame], DataFrame]:
    """Return a transform that cleans, types and validates a raw source by its contract.

    The input holds every contract column as a string (as read), optionally ``_source_file`` and
    Spark's ``_corrupt_record``. The output holds ``_raw`` (the input values, untouched),
    ``_source_file``, the cleaned contract columns with their declared types, ``reject_reason``
    (every broken rule, ``"; "``-separated, null for good rows), ``reject_rules`` (the broken
    rules' labels, without values, for counting) and ``_status``
    (``accepted`` or ``quarantined``).

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
        value_of = {c: f"__value_{c}" for c in contract.column_names}
        source_file = F.col(SOURCE_FILE_COLUMN) if SOURCE_FILE_COLUMN in df.columns else F.lit(None).cast("string")
        corrupt = F.col(CORRUPT_RECORD_COLUMN) if CORRUPT_RECORD_COLUMN in df.columns else F.lit(None).cast("string")
        # Three projections (text, typed values, rules) so each parse is computed once: Spark does
        # not collapse projections that would duplicate a costly expression.
        texts = df.select(
            F.struct(*[F.col(c) for c in contract.column_names]).alias(RAW_COLUMN),
            source_file.alias(SOURCE_FILE_COLUMN),
            corrupt.alias(CORRUPT_RECORD_COLUMN),
            *[clean_text(spec, F.col(spec.name)).alias(text_of[spec.name]) for spec in contract.columns],
        )
        values = texts.withColumns(
            {value_of[spec.name]: typed_value(spec, F.col(text_of[spec.name])) for spec in contract.columns}
        )
        reasons: list[Reason] = [
            (MALFORMED_ROW_REASON, F.when(F.col(CORRUPT_RECORD_COLUMN).isNotNull(), F.lit(MALFORMED_ROW_REASON)))
        ]
        for spec in contract.columns:
            reasons.append(encoding_rule(spec.name, F.col(text_of[spec.name]), contract.format.encoding))
            reasons.extend(column_rules(spec, F.col(text_of[spec.name]), F.col(value_of[spec.name])))
        reason = join_reasons([message for _, message in reasons])
        rules = F.array_compact(F.array(*[F.when(m.isNotNull(), F.lit(label)) for label, m in reasons]))
        return values.select(
            RAW_COLUMN,
            SOURCE_FILE_COLUMN,
            *[F.col(value_of[c]).alias(c) for c in contract.column_names],
            reason.alias(REJECT_REASON_COLUMN),
            rules.alias(REJECT_RULES_COLUMN),
        ).withColumn(
            STATUS_COLUMN,
            F.when(F.col(REJECT_REASON_COLUMN).isNull(), F.lit(STATUS_ACCEPTED)).otherwise(F.lit(STATUS_QUARANTINED)),
        )

    return transform
