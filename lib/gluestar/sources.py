"""Reading raw CSV sources by their contract.

Each file's header is checked against the contract before any row is read: column names are matched
case-insensitively after trimming (and after dropping a UTF-8 byte-order mark), in any order. A
missing required column stops the run with an error naming the file; a missing optional column is
read as null; an unknown extra column is left out of the star schema. Both are reported.

Rows are read as strings, every column, so that validation (not the CSV reader) decides what is
valid and the quarantine can show the raw value. A line that does not split into the header's number
of fields keeps its text in ``_corrupt_record`` and is quarantined later. ``_source_file`` names each
row's file exactly as it was listed (and as reports and errors name it).

A file that ends inside a quoted field (an unterminated quote: the file was cut off, or a quote is
unbalanced) stops the run: the CSV reader would silently take everything up to the end of the file
as the value and the row would look complete.

Examples
--------
>>> from gluestar.contracts import load_source_contract
>>> contract = load_source_contract("finance", "budget")
>>> read = read_csv_source(spark, ["data/raw/finance/budget_2025.csv"], contract)  # doctest: +SKIP
>>> read.frame.columns[:2]  # doctest: +SKIP
['budget_month', 'department_code']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gluestar.constants import CORRUPT_RECORD_COLUMN, SOURCE_FILE_COLUMN
from gluestar.contracts import SourceContract
from gluestar.exceptions import SchemaContractError, SourceFileError

__all__ = ["SourceRead", "normalise_header", "read_csv_source"]


@dataclass(frozen=True)
class SourceRead:
    """A source as read: the raw frame plus what the header check (CSV) or the field count (JSON) found.

    Attributes
    ----------
    frame : DataFrame
        A CSV source's contract columns (strings, in contract order), ``_source_file`` and
        ``_corrupt_record``; a JSON Lines source's ``line`` and ``_source_file`` (see
        :func:`gluestar.json_source.read_json_source`).
    files : tuple of str
        The files read.
    unknown_columns : dict of str to list of str
        Per file, header columns the contract does not know (left out).
    missing_optional : dict of str to list of str
        Per file, optional contract columns the header lacks (read as null).
    unknown_fields : dict of str to int
        JSON Lines only: per dotted path of a field the contract does not know (``coupon_code``,
        ``customer.loyalty_tier``, ``items.gift_wrap``), the number of lines carrying it (ignored).
    """

    frame: DataFrame
    files: tuple[str, ...]
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)
    missing_optional: dict[str, list[str]] = field(default_factory=dict)
    unknown_fields: dict[str, int] = field(default_factory=dict)


def normalise_header(name: str) -> str:
    """Header name as matched against the contract: BOM dropped, trimmed, lower case.

    Examples
    --------
    >>> normalise_header("\\ufeff Transaction_ID ")
    'transaction_id'
    """
    return name.replace("\ufeff", "").strip().lower()


def _reader(spark: SparkSession, contract: SourceContract):
    fmt = contract.format
    return spark.read.options(
        header=fmt.header,
        sep=fmt.delimiter,
        quote=fmt.quote,
        escape=fmt.escape,
        encoding=fmt.encoding,
        multiLine=fmt.multiline,
        mode="PERMISSIVE",
        columnNameOfCorruptRecord=CORRUPT_RECORD_COLUMN,
        inferSchema=False,
        enforceSchema=True,
        ignoreLeadingWhiteSpace=False,
        ignoreTrailingWhiteSpace=False,
    )


@dataclass(frozen=True)
class _Header:
    names: list[str]
    spark_name: str  # what Spark's input_file_name() calls the file (URL-encoded, scheme spelled its way)


def _header(spark: SparkSession, path: str, contract: SourceContract) -> _Header:
    # The first record read as data, not as a header: Spark would rename repeated header names
    # ("amount" twice becomes "amount0", "amount3"), which hides them. Blank names become "_c<i>".
    first = _reader(spark, contract).option("header", False).csv(path).select("*", F.input_file_name()).first()
    if first is None:
        raise SourceFileError(f"{path}: the file is empty (no header row)")
    *fields, spark_name = first
    names = [normalise_header(c or "") or f"_c{i}" for i, c in enumerate(fields)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SchemaContractError(f"{path}: duplicate column(s) in the header: {', '.join(duplicated)}")
    return _Header(names, spark_name)


_LINE_BREAKS = (ord("\n"), ord("\r"))


def _last_byte(spark: SparkSession, path: str) -> int | None:
    """The file's last byte (one ranged read), or None for an empty file."""
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    size = fs.getFileStatus(hadoop_path).getLen()
    if size == 0:
        return None
    stream = fs.open(hadoop_path)
    try:
        stream.seek(size - 1)
        return int(stream.read())
    finally:
        stream.close()


def _check_quotes_closed(spark: SparkSession, path: str, contract: SourceContract) -> None:
    """Refuse a file that ends inside a quoted field.

    Only a file whose last line has no line break can (in practice) have been cut inside a quoted
    field, so only such a file is scanned, once, as text: with quotes escaped by doubling, a
    well-formed file holds an even number of quote characters. The check is skipped when the
    contract escapes quotes with another character (an escaped quote is then a single one).
    """
    fmt = contract.format
    if not fmt.quote or fmt.escape != fmt.quote or _last_byte(spark, path) in (None, *_LINE_BREAKS):
        return
    line = F.col("value")
    quotes = F.sum(F.length(line) - F.length(F.translate(line, fmt.quote, "")))
    count = spark.read.text(path).agg(quotes.alias("quotes")).first()["quotes"] or 0
    if count % 2:
        raise SourceFileError(
            f"{path}: the file ends inside a quoted field (an odd number of {fmt.quote} characters and no line "
            "break at the end): its last line looks truncated or a quote is unbalanced"
        )


_SPARK_NAME = "__gluestar_spark_file"
_LISTED_NAME = "__gluestar_listed_file"


def _name_as_listed(raw: DataFrame, names: DataFrame) -> DataFrame:
    """``raw`` plus Spark's name of each row's file and (null if unknown) the name it was listed under.

    A broadcast hash join, not a literal map: a lookup in a literal map scans its keys, which
    costs rows × files (2 million rows from 1,000 files: 14 s instead of 1 s).
    """
    return raw.withColumn(_SPARK_NAME, F.input_file_name()).join(F.broadcast(names), on=_SPARK_NAME, how="left")


def read_csv_source(spark: SparkSession, files: Sequence[str], contract: SourceContract) -> SourceRead:
    """Read CSV files of one source into a single raw frame, checking each header.

    Files with the same header are read together in one scan.

    Parameters
    ----------
    spark : SparkSession
        The session.
    files : sequence of str
        The files to read (see :func:`gluestar.storage.list_files`).
    contract : SourceContract
        The source's contract.

    Returns
    -------
    SourceRead
        The raw frame and the header findings.

    Raises
    ------
    SourceFileError
        If ``files`` is empty, a file has no header or a file ends inside a quoted field.
    SchemaContractError
        If a file lacks a required column or repeats one.
    """
    if not files:
        raise SourceFileError(f"no {contract.name} files matching {contract.file_pattern!r} were found")
    groups: dict[tuple[str, ...], list[str]] = {}
    unknown: dict[str, list[str]] = {}
    missing_optional: dict[str, list[str]] = {}
    listed_as: dict[str, str] = {}
    for path in files:
        found = _header(spark, path, contract)
        header = found.names
        listed_as[found.spark_name] = path
        missing = [c for c in contract.column_names if c not in header]
        missing_required = [c for c in missing if c in contract.required_columns]
        if missing_required:
            raise SchemaContractError(
                f"{path}: missing required column(s): {', '.join(missing_required)} (header has: {', '.join(header)})"
            )
        if missing:
            missing_optional[path] = missing
        extra = [c for c in header if c not in contract.column_names]
        if extra:
            unknown[path] = extra
        _check_quotes_closed(spark, path, contract)
        groups.setdefault(tuple(header), []).append(path)

    names = spark.createDataFrame(sorted(listed_as.items()), f"{_SPARK_NAME} string, {_LISTED_NAME} string")
    frames = []
    for header, paths in groups.items():
        schema = T.StructType(
            [T.StructField(name, T.StringType()) for name in header]
            + [T.StructField(CORRUPT_RECORD_COLUMN, T.StringType())]
        )
        raw = _name_as_listed(_reader(spark, contract).schema(schema).csv(list(paths)), names)
        frames.append(
            raw.select(
                *[F.col(c) if c in header else F.lit(None).cast("string").alias(c) for c in contract.column_names],
                F.coalesce(F.col(_LISTED_NAME), F.col(_SPARK_NAME)).alias(SOURCE_FILE_COLUMN),
                F.col(CORRUPT_RECORD_COLUMN),
            )
        )
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    return SourceRead(frame=frame, files=tuple(files), unknown_columns=unknown, missing_optional=missing_optional)
