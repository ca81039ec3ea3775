"""Reading and validating JSON Lines sources (one nested record per line) by their contract.

A JSON Lines file holds one JSON object per line: an order with a ``customer`` object and arrays of
``payments`` and ``items``, say. :func:`read_json_source` reads the lines as text (every file in one
scan, blank lines left out), names each line's file exactly as it was listed, and counts the fields
the contract does not know, per dotted path. :func:`validate_json_source` then parses each line by
the contract (:class:`gluestar.contracts.JsonContract`), cleans and types every value, nested ones
included, and marks each line ``accepted`` or ``quarantined`` with every broken rule, like
:func:`gluestar.cleaning.validate_source` does for CSV rows.

Every value is read as its text: a number in the JSON (``2``, ``19.990``, ``1e2``) arrives as
exactly the characters written, so ``"quantity": "2"`` and ``"quantity": 2`` are the same valid
integer and ``"two"`` is not. Unknown fields are ignored (and counted); a missing optional field
reads as null.

Everything runs natively in Spark: ``from_json`` into a schema of strings, higher-order functions
(``transform``, ``forall``, ``aggregate``) over the arrays, no UDF and nothing collected but the
handful of unknown-field counts.

Examples
--------
>>> from gluestar.contracts import load_source_contract
>>> contract = load_source_contract("json_orders", "orders")
>>> read = read_json_source(spark, ["data/raw/json_orders/orders_2025_06.json"], contract)  # doctest: +SKIP
>>> read.frame.transform(validate_json_source(contract)).columns  # doctest: +SKIP
['_raw', '_source_file', 'order_id', 'order_date', 'updated_at', 'customer', 'payments', 'items',
 'reject_reason', 'reject_rules', '_status']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gluestar.cleaning import clean_text, column_rules, encoding_rule, row_rule, typed_value
from gluestar.columns import excerpt, join_reasons, trim_to_null
from gluestar.constants import (
    LINE_COLUMN,
    RAW_COLUMN,
    REJECT_REASON_COLUMN,
    REJECT_RULES_COLUMN,
    SOURCE_FILE_COLUMN,
    STATUS_ACCEPTED,
    STATUS_COLUMN,
    STATUS_QUARANTINED,
)
from gluestar.contracts import DerivedValue, FieldSpec, JsonContract, RowRule
from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.sources import _LISTED_NAME, _SPARK_NAME, SourceRead, _name_as_listed

__all__ = ["quote_json_numbers", "read_json_source", "unknown_field_paths", "validate_json_source"]

#: One token of a JSON text: a string (escapes included), a number, a run of other characters
#: (structure, white space, literals) or any one character (so that every character is in a token).
_JSON_TOKEN = r'(?s)"[^"\\]*+(?:\\.[^"\\]*+)*+"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|[^"0-9-]+|.'
_BYTE_ORDER_MARK = "\ufeff"
#: Longest message tail kept when a rule's message is moved to an item's position.
_LONGEST = 2**31 - 1
_IS_OBJECT = "__is_object"
_DOCUMENT = "__document"
_PARSED = "__parsed"


def quote_json_numbers(json: Column) -> Column:
    """Put every number of a JSON text in quotes, so that parsing it as a string keeps its exact text.

    Parsed into a string field, a JSON number comes back re-printed from a double (``19.990`` as
    ``19.99``, ``12345678.9`` as ``1.23456789E7``); quoted first, it comes back as written. Strings
    (escapes included), structure, white space and literals are left exactly as they are. Meant
    for valid JSON: a malformed text may not come out the same.

    Examples
    --------
    >>> df = spark.createDataFrame([('{"q": 2, "p": 19.990, "s": "a:1,"}',)], "j string")
    >>> df.select(quote_json_numbers(F.col("j")).alias("j")).first().j
    '{"q": "2", "p": "19.990", "s": "a:1,"}'
    """
    tokens = F.regexp_extract_all(json, F.lit(_JSON_TOKEN), 0)
    quoted = F.transform(
        tokens, lambda token: F.when(token.rlike("^-?[0-9]"), F.concat(F.lit('"'), token, F.lit('"'))).otherwise(token)
    )
    return F.array_join(quoted, "")


def _without_bom(line: Column) -> Column:
    """The line without a leading byte-order mark (a file's first line may carry one)."""
    return F.regexp_replace(line, f"^{_BYTE_ORDER_MARK}", "")


def _no_paths() -> Column:
    return F.array().cast("array<string>")


def _unknown_in(fields: Sequence[FieldSpec], json: Column, prefix: str) -> Column:
    """The unknown keys of a JSON object's text (null text: none), prefixed, with those of its known objects."""
    known = [f.name for f in fields]
    own = F.transform(
        F.filter(F.json_object_keys(json), lambda key: ~key.isin(known)), lambda key: F.concat(F.lit(prefix), key)
    )
    parts = [F.coalesce(own, _no_paths())]
    for spec in fields:
        child = F.get_json_object(json, f"$.{spec.name}")
        if spec.type == "object":
            parts.append(_unknown_in(spec.fields, child, f"{prefix}{spec.name}."))
        elif spec.type == "array" and spec.items is not None and spec.items.type == "object":
            per_item = F.transform(
                F.from_json(child, "array<string>"), _unknown_in_item(spec.items, f"{prefix}{spec.name}.")
            )
            parts.append(F.coalesce(F.flatten(per_item), _no_paths()))
    return F.concat(*parts)


def _unknown_in_item(items: FieldSpec, prefix: str) -> Callable[[Column], Column]:
    """The unknown keys of one item of an array of objects (a function for ``transform``)."""
    return lambda item: _unknown_in(items.fields, item, prefix)


def unknown_field_paths(line: Column, contract: JsonContract) -> Column:
    """The distinct dotted paths of the fields of a JSON line that the contract does not know.

    Top-level fields, the fields of known objects and those of the objects inside known arrays
    (``items.gift_wrap`` for any item) are compared with the contract; an unknown field's own
    fields are not listed. Empty for a line that is not a JSON object.

    Examples
    --------
    >>> from gluestar.contracts import load_source_contract
    >>> contract = load_source_contract("json_orders", "orders")
    >>> df = spark.createDataFrame([('{"order_id": "1", "coupon": "X", "customer": {"id": "C", "tier": 1}}',)],
    ...     "line string")
    >>> df.select(unknown_field_paths(F.col("line"), contract).alias("u")).first().u
    ['coupon', 'customer.tier']
    """
    return F.array_distinct(_unknown_in(contract.fields, _without_bom(line), ""))


def read_json_source(spark: SparkSession, files: Sequence[str], contract: JsonContract) -> SourceRead:
    """Read JSON Lines files of one source into a single frame of lines, counting unknown fields.

    The files are read in one scan as text in the contract's encoding (any bytes that are not
    valid in it become U+FFFD, which validation reports; a UTF-8 byte-order mark at the start of a
    file is dropped); a blank line is not a row. Unknown fields are counted in one aggregation
    (lines carrying each dotted path).

    Parameters
    ----------
    spark : SparkSession
        The session.
    files : sequence of str
        The files to read (see :func:`gluestar.storage.list_files`); none gives an empty frame.
    contract : JsonContract
        The source's contract.

    Returns
    -------
    SourceRead
        ``frame`` holds ``line`` (the text, as decoded) and ``_source_file`` (the file as listed);
        ``unknown_fields`` the count of lines per unknown field path, sorted by path.

    Examples
    --------
    >>> from gluestar.contracts import load_source_contract
    >>> contract = load_source_contract("json_orders", "orders")
    >>> read_json_source(spark, [], contract).frame.columns
    ['line', '_source_file']
    """
    if not files:
        empty = spark.createDataFrame([], f"{LINE_COLUMN} string, {SOURCE_FILE_COLUMN} string")
        return SourceRead(frame=empty, files=())
    # inputFiles() names a file as input_file_name() does (URL-encoded, scheme spelled Spark's way),
    # from the driver's listing: no job per file.
    listed_as = {spark_name: path for path in files for spark_name in spark.read.text(path).inputFiles()}
    names = spark.createDataFrame(sorted(listed_as.items()), f"{_SPARK_NAME} string, {_LISTED_NAME} string")
    # The text source hands over each line's bytes as they are; decode them in the contract's encoding.
    decoded = F.decode(F.col("value").cast("binary"), contract.format.encoding)
    not_blank = trim_to_null(F.col(LINE_COLUMN)).isNotNull()
    raw = spark.read.text(list(files))
    frame = (
        _name_as_listed(raw, names)
        .select(
            decoded.alias(LINE_COLUMN),
            F.coalesce(F.col(_LISTED_NAME), F.col(_SPARK_NAME)).alias(SOURCE_FILE_COLUMN),
        )
        .filter(not_blank)
    )
    unknown = (
        raw.select(decoded.alias(LINE_COLUMN))
        .filter(not_blank)
        .select(F.explode(unknown_field_paths(F.col(LINE_COLUMN), contract)).alias("path"))
        .groupBy("path")
        .count()
        .collect()  # one row per unknown path, not data rows
    )
    return SourceRead(
        frame=frame,
        files=tuple(files),
        unknown_fields={row["path"]: int(row["count"]) for row in sorted(unknown, key=lambda r: r["path"])},
    )


def _text_schema(spec: FieldSpec) -> T.DataType:
    """The type a field is parsed into: its shape, with a string for every scalar."""
    if spec.type == "object":
        return T.StructType([T.StructField(child.name, _text_schema(child)) for child in spec.fields])
    if spec.type == "array":
        assert spec.items is not None
        return T.ArrayType(_text_schema(spec.items))
    return T.StringType()


def _texts(spec: FieldSpec, raw: Column, *, item: bool = False) -> Column:
    """Cleaned text of a field: each scalar trimmed, cased, defaulted; an absent object stays null.

    An item of an array of objects is always a struct (a null item has every field missing).
    """
    if spec.type == "object":
        struct = F.struct(*[_texts(child, raw[child.name]).alias(child.name) for child in spec.fields])
        return struct if item else F.when(raw.isNotNull(), struct)
    if spec.type == "array":
        items = spec.items
        assert items is not None
        return F.transform(raw, lambda element: _texts(items, element, item=True))
    assert spec.column is not None
    return clean_text(spec.column, raw)


def _values(spec: FieldSpec, text: Column) -> Column:
    """Typed value of a field from its cleaned text (scalars parsed by their column type)."""
    if spec.type == "object":
        return F.when(text.isNotNull(), F.struct(*[_values(c, text[c.name]).alias(c.name) for c in spec.fields]))
    if spec.type == "array":
        items = spec.items
        assert items is not None
        return F.transform(text, lambda element: _values(items, element))
    assert spec.column is not None
    return typed_value(spec.column, text)


@dataclass(frozen=True)
class _Check:
    """A rule of a field: the path it belongs to, its label and its message (null when it holds)."""

    path: str
    label: str
    message: Column


def _at(where: Column | None, path: str, message: Column) -> Column:
    """A rule's message naming the item's position (``items[0].quantity …``) instead of the path."""
    if where is None:
        return message
    return F.concat(where, F.substring(message, len(path) + 1, _LONGEST))


def _a(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


@dataclass
class _Context:
    """What every check needs besides its field.

    ``document`` is the line's JSON (numbers quoted): a misshapen field's raw value is read from it.
    ``encoding`` is the files' encoding, named by the encoding rule.
    """

    document: Column
    encoding: str
    #: Registers a column computed once per row and returns a reference to it (None: use it inline).
    materialize: Callable[[Column], Column] | None = None


def _checks(spec: FieldSpec, text: Column, value: Column, where: Column | None, context: _Context) -> list[_Check]:
    """Every rule of a field and of the fields inside it, in contract order.

    ``where`` is the field's position (``items[2].dims``) inside an array, None outside one (the
    path then names it). A field inside an absent object is not checked.
    """
    path = spec.path
    if spec.column is not None:
        rules = [encoding_rule(path, text, context.encoding), *column_rules(spec.column, text, value)]
        return [_Check(path, label, _at(where, path, message)) for label, message in rules]
    subject = F.lit(path) if where is None else where
    checks = _presence_checks(spec, text, subject, context)
    if spec.type == "object":
        for child in spec.fields:
            child_where = None if where is None else F.concat(where, F.lit(f".{child.name}"))
            for check in _checks(child, text[child.name], value[child.name], child_where, context):
                checks.append(_Check(check.path, check.label, F.when(text.isNotNull(), check.message)))
        return checks
    if spec.min_items:
        size = F.size(text)
        if spec.min_items == 1:
            label, message = f"{path} is empty", F.concat(subject, F.lit(" is empty"))
        else:
            label = f"{path} has too few items"
            message = F.concat(subject, F.lit(" has "), size.cast("string"), F.lit(f" item(s) (min {spec.min_items})"))
        checks.append(_Check(path, label, F.when(text.isNotNull(), F.when(size < F.lit(spec.min_items), message))))
    return checks + _item_checks(spec, text, value, subject, context)


def _presence_checks(spec: FieldSpec, text: Column, subject: Column, context: _Context) -> list[_Check]:
    """``<path> is missing`` (required) and ``<path> is not an object|array``: present with another shape."""
    path = spec.path
    assert spec.type in ("object", "array")
    items = spec.items
    kind = "object" if spec.type == "object" else "array of objects" if items and items.type == "object" else "array"
    raw = F.call_function("get_json_object", context.document, F.concat(F.lit("$."), subject))
    checks = []
    if spec.required:
        missing = F.when(text.isNull(), F.when(raw.isNull(), F.concat(subject, F.lit(" is missing"))))
        checks.append(_Check(path, f"{path} is missing", missing))
    misshapen = F.when(
        text.isNull(),
        F.when(raw.isNotNull(), F.concat(subject, F.lit(" "), excerpt(raw), F.lit(f" is not {_a(kind)}"))),
    )
    checks.append(_Check(path, f"{path} is not {_a(kind)}", misshapen))
    return checks


def _item_checks(spec: FieldSpec, text: Column, value: Column, subject: Column, context: _Context) -> list[_Check]:
    """The rules of an array's items: each counted once per record, its message naming every item that breaks it.

    One ``transform`` gives each item a struct of its rules' messages; each rule then joins its
    messages over the items.
    """
    items = spec.items
    assert items is not None
    labels: list[tuple[str, str]] = []

    def item_rules(item_text: Column, index: Column) -> Column:
        where = F.concat(subject, F.lit("["), index.cast("string"), F.lit("]"))
        inner = _item_rules(items, item_text, F.get(value, index), where, context)
        labels[:] = [(check.path, check.label) for check in inner]
        return F.struct(*[check.message.alias(f"c{number}") for number, check in enumerate(inner)])

    per_item = F.transform(text, item_rules)
    if context.materialize is not None:
        per_item = context.materialize(per_item)
    checks = []
    for number, (path, label) in enumerate(labels):
        joined = F.array_join(F.transform(per_item, _field(f"c{number}")), "; ")
        checks.append(_Check(path, label, F.when(joined != F.lit(""), joined)))
    return checks


def _field(name: str) -> Callable[[Column], Column]:
    """A function taking a struct to its field ``name`` (for ``transform``)."""
    return lambda struct: struct[name]


def _item_rules(items: FieldSpec, text: Column, value: Column, where: Column, context: _Context) -> list[_Check]:
    """The rules of one item: a scalar's, or the fields' of an object (an item is never missing or misshapen)."""
    inner = _Context(context.document, context.encoding)  # nested arrays are checked inline
    if items.type != "object":
        return _checks(items, text, value, where, inner)
    checks = []
    for child in items.fields:
        checks.extend(
            _checks(child, text[child.name], value[child.name], F.concat(where, F.lit(f".{child.name}")), inner)
        )
    return checks


def _present(value: Column, spec: FieldSpec, parts: Sequence[str]) -> Column:
    """True when the value at ``parts`` below ``spec`` is present (for an array: in every item)."""
    if spec.type == "array":
        items = spec.items
        assert items is not None
        return value.isNotNull() & F.forall(value, lambda item: _present(item, items, parts))
    if not parts:
        return value.isNotNull()
    child = spec.child(parts[0])
    assert child is not None
    return value.isNotNull() & _present(value[child.name], child, parts[1:])


def _valid(path: str, contract: JsonContract, broken: Sequence[tuple[str, Column]]) -> Column:
    """True when the field at ``path`` is present and breaks no rule: its own, those of the fields
    inside it, and the shape rules (missing, misshapen, too few items) of the fields around it.

    ``broken`` holds each rule's path and message column.
    """
    first, *rest = path.split(".")
    top = contract.field_spec(first)
    related = [
        message.isNull()
        for owner, message in broken
        if owner == path or owner.startswith(f"{path}.") or path.startswith(f"{owner}.")
    ]
    return reduce(lambda acc, holds: acc & holds, related, _present(F.col(top.name), top, rest))


def _sum_type(element: T.DataType, what: str) -> T.DataType:
    """The type a sum of ``element`` values is kept in: decimal(38, s), bigint or double."""
    if isinstance(element, T.DecimalType):
        return T.DecimalType(38, element.scale)
    if isinstance(element, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
        return T.LongType()
    if isinstance(element, (T.FloatType, T.DoubleType)):
        return T.DoubleType()
    raise ConfigurationError(f"{what}: sums values of type {element.simpleString()}, not numbers")


def _derived(value: DerivedValue, frame: DataFrame, what: str) -> Column:
    """A derived value of each record: ``aggregate``, ``array_min`` or ``array_max`` over its items.

    The per-item expression is the contract's SQL in a lambda named like the array, so that
    ``items.quantity`` reads the item's field. ``frame`` resolves its type (no job runs).
    """
    what = f"{what}: derived {value.name!r}"
    try:
        per_item = F.expr(f"transform(`{value.array}`, `{value.array}` -> {value.expression})")
        element = frame.select(per_item).schema[0].dataType
    except (ParseException, AnalysisException) as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise ConfigurationError(f"{what}: {value.definition!r} is not valid Spark SQL: {first_line}") from None
    assert isinstance(element, T.ArrayType)
    if value.function == "min":
        return F.array_min(per_item)
    if value.function == "max":
        return F.array_max(per_item)
    total = _sum_type(element.elementType, what)
    return F.aggregate(per_item, F.lit(0).cast(total), lambda acc, item: (acc + item).cast(total))


def validate_json_source(contract: JsonContract) -> Callable[[DataFrame], DataFrame]:
    """Return a transform that parses, cleans, types and validates JSON lines by their contract.

    The input holds ``line`` (see :func:`read_json_source`) and optionally ``_source_file``. The
    output holds ``_raw`` (a struct of the ``line``, untouched), ``_source_file``, the cleaned
    top-level fields typed as :meth:`JsonContract.value_types` says (objects as structs, arrays as
    arrays, every scalar inside cleaned and typed by its rules), ``reject_reason`` (every broken
    rule's message, ``"; "``-separated, null for good lines), ``reject_rules`` (their labels) and
    ``_status`` (``accepted`` or ``quarantined``).

    The rules, labelled by the field's dotted path:

    * ``line is not a JSON object`` (the format's ``malformed_reason``): nothing else is checked;
    * ``<path> is missing``: a required field absent or null (a scalar also when blank), or a
      required object or array absent or null; the fields inside an absent object are not checked;
    * ``<path> is not an object``, ``<path> is not an array (of objects)``: present with another shape;
    * ``<array> is empty`` (``min_items`` 1) or ``<array> has too few items``;
    * every scalar's column rules (:func:`gluestar.cleaning.column_rules`, plus the encoding rule):
      ``items.quantity is not an integer``, ``payments.amount is out of range``, … An item rule
      counts once per record however many items break it; its message names each such item by
      position, from 0: ``items[1].quantity 'two' is not an integer``;
    * then the contract's ``rules``, each evaluated only when every field it reads is valid, with
      its derived values (``sum(items.quantity * items.unit_price)``) computed by ``aggregate``
      over the items; label and message are the rule's ``reject_reason``.

    Parameters
    ----------
    contract : JsonContract
        The source's contract.

    Returns
    -------
    Callable[[DataFrame], DataFrame]
        The transform, for ``df.transform(...)``.

    Raises
    ------
    SchemaContractError
        If the input has no ``line`` column.
    ConfigurationError
        If a derived value is not valid Spark SQL over the items.

    Examples
    --------
    >>> from gluestar.contracts import load_source_contract
    >>> contract = load_source_contract("json_orders", "orders")
    >>> lines = spark.createDataFrame([('{"order_id": "O1", "order_date": "2025-06-01", '
    ...     '"customer": {"id": "c1"}, "payments": [{"method": "card", "amount": 5}], '
    ...     '"items": [{"sku": "A", "quantity": "two", "unit_price": "2.50"}]}',)], "line string")
    >>> row = lines.transform(validate_json_source(contract)).first()
    >>> (row.customer.id, row.payments[0].method, row.reject_reason)
    ('C1', 'Card', "items[0].quantity 'two' is not an integer")
    """

    def transform(df: DataFrame) -> DataFrame:
        if LINE_COLUMN not in df.columns:
            raise SchemaContractError(f"source {contract.name!r}: the input has no {LINE_COLUMN!r} column")
        source_file = F.col(SOURCE_FILE_COLUMN) if SOURCE_FILE_COLUMN in df.columns else F.lit(None).cast("string")
        schema = T.StructType([T.StructField(f.name, _text_schema(f)) for f in contract.fields])
        body = _without_bom(F.col(LINE_COLUMN))
        # Staged projections so that each parse, cast and per-item pass is computed once per line:
        # Spark does not merge projections that would repeat a costly expression.
        parsed = (
            df.select(
                F.struct(F.col(LINE_COLUMN)).alias(RAW_COLUMN),
                source_file.alias(SOURCE_FILE_COLUMN),
                body.alias(_DOCUMENT),
            )
            .withColumn(_IS_OBJECT, F.json_object_keys(_DOCUMENT).isNotNull())
            .withColumn(_DOCUMENT, F.when(F.col(_IS_OBJECT), quote_json_numbers(F.col(_DOCUMENT))))
            .withColumn(_PARSED, F.from_json(_DOCUMENT, schema))
        )
        text_of = {f.name: f"__text_{f.name}" for f in contract.fields}
        texts = parsed.select(
            RAW_COLUMN,
            SOURCE_FILE_COLUMN,
            _IS_OBJECT,
            _DOCUMENT,
            *[_texts(f, F.col(_PARSED)[f.name]).alias(text_of[f.name]) for f in contract.fields],
        )
        # The typed values take the fields' own names, so that rules' SQL reads them.
        values = texts.withColumns({f.name: _values(f, F.col(text_of[f.name])) for f in contract.fields})
        per_item: dict[str, Column] = {}

        def materialize(column: Column) -> Column:
            name = f"__items_{len(per_item)}"
            per_item[name] = column
            return F.col(name)

        context = _Context(F.col(_DOCUMENT), contract.format.encoding, materialize)
        checks = [
            check for f in contract.fields for check in _checks(f, F.col(text_of[f.name]), F.col(f.name), None, context)
        ]
        message_of = [f"__message_{number}" for number in range(len(checks))]
        messages = values.withColumns(per_item).withColumns(
            {name: check.message for name, check in zip(message_of, checks, strict=True)}
        )
        broken = [(check.path, F.col(name)) for name, check in zip(message_of, checks, strict=True)]

        def valid(paths: Sequence[str]) -> Column:
            return reduce(lambda acc, path: acc & _valid(path, contract, broken), paths, F.lit(True))

        derived: dict[str, Column] = {}
        for rule in contract.rules:
            for value in rule.derived:
                if value.name not in derived:
                    computed = _derived(value, messages, f"source {contract.name!r}: rule {rule.name!r}")
                    derived[value.name] = F.when(valid(value.reads), computed)
        rule_of = [f"__rule_{number}" for number in range(len(contract.rules))]
        judged = messages.withColumns(derived).withColumns(
            {
                name: row_rule(RowRule(rule.name, rule.predicate, rule.reject_reason), valid(rule.reads))[1]
                for name, rule in zip(rule_of, contract.rules, strict=True)
            }
        )
        reasons = [
            *[(check.label, F.col(name)) for name, check in zip(message_of, checks, strict=True)],
            *[(rule.reject_reason, F.col(name)) for name, rule in zip(rule_of, contract.rules, strict=True)],
        ]
        malformed = F.lit(contract.format.malformed_reason)
        is_object = F.col(_IS_OBJECT)
        reason = F.when(is_object, join_reasons([message for _, message in reasons])).otherwise(malformed)
        labels = F.array_compact(F.array(*[F.when(m.isNotNull(), F.lit(label)) for label, m in reasons]))
        value_types = contract.value_types()
        return judged.select(
            RAW_COLUMN,
            SOURCE_FILE_COLUMN,
            *[F.col(name).cast(value_types[name]).alias(name) for name in contract.column_names],
            reason.alias(REJECT_REASON_COLUMN),
            F.when(is_object, labels).otherwise(F.array(malformed)).alias(REJECT_RULES_COLUMN),
        ).withColumn(
            STATUS_COLUMN,
            F.when(F.col(REJECT_REASON_COLUMN).isNull(), F.lit(STATUS_ACCEPTED)).otherwise(F.lit(STATUS_QUARANTINED)),
        )

    return transform
