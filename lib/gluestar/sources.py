"""Reading raw CSV sources by their contract.

Each file's header is checked against the contract before any row is read: column names are matched
case-insensitively after trimming (and after dropping a UTF-8 byte-order mark), in any order. A
missing required column stops the run with an error naming the file; a missing optional column is
read as null; an unknown extra column is left out of the star schema. Both are reported.

Rows are read as strings, every column, so that validation (not the CSV reader) decides what is
valid and the quarantine can show the raw value. A line that does not split into the header's number
of fields keeps its text in ``_corrupt_record`` and is quarantined later.

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

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gluestar.constants import CORRUPT_RECORD_COLUMN, SOURCE_FILE_COLUMN
from gluestar.contracts import SourceContract
from gluestar.exceptions import SchemaContractError, SourceFileError

__all__ = ["SourceRead", "normalise_header", "read_csv_source"]


@dataclass(frozen=True)
class SourceRead:
    """A source as read: the raw frame plus what the header check found.

    Attributes
    ----------
    frame : DataFrame
        Contract columns (strings, in contract order), ``_source_file`` and ``_corrupt_record``.
    files : tuple of str
        The files read.
    unknown_columns : dict of str to list of str
        Per file, header columns the contract does not know (left out).
    missing_optional : dict of str to list of str
        Per file, optional contract columns the header lacks (read as null).
    """

    frame: DataFrame
    files: tuple[str, ...]
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)
    missing_optional: dict[str, list[str]] = field(default_factory=dict)


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


def _header(spark: SparkSession, path: str, contract: SourceContract) -> list[str]:
    # The first record read as data, not as a header: Spark would rename repeated header names
    # ("amount" twice becomes "amount0", "amount3"), which hides them. Blank names become "_c<i>".
    first = _reader(spark, contract).option("header", False).csv(path).first()
    if first is None:
        raise SourceFileError(f"{path}: the file is empty (no header row)")
    names = [normalise_header(c or "") or f"_c{i}" for i, c in enumerate(first)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SchemaContractError(f"{path}: duplicate column(s) in the header: {', '.join(duplicated)}")
    return names


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
        If ``files`` is empty or a file has no header.
    SchemaContractError
        If a file lacks a required column or repeats one.
    """
    if not files:
        raise SourceFileError(f"no {contract.name} files matching {contract.file_pattern!r} were found")
    groups: dict[tuple[str, ...], list[str]] = {}
    unknown: dict[str, list[str]] = {}
    missing_optional: dict[str, list[str]] = {}
    for path in files:
        header = _header(spark, path, contract)
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
        groups.setdefault(tuple(header), []).append(path)

    frames = []
    for header, paths in groups.items():
        schema = T.StructType(
            [T.StructField(name, T.StringType()) for name in header]
            + [T.StructField(CORRUPT_RECORD_COLUMN, T.StringType())]
        )
        raw = _reader(spark, contract).schema(schema).csv(list(paths))
        frames.append(
            raw.select(
                *[F.col(c) if c in header else F.lit(None).cast("string").alias(c) for c in contract.column_names],
                F.input_file_name().alias(SOURCE_FILE_COLUMN),
                F.col(CORRUPT_RECORD_COLUMN),
            )
        )
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    return SourceRead(frame=frame, files=tuple(files), unknown_columns=unknown, missing_optional=missing_optional)
