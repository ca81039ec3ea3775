"""The run report: what each source contributed and what each table holds.

Counts come from one aggregation over each classified source, grouped by source file, so they always
reconcile, per source and per file::

    rows read = accepted + quarantined + exact duplicates + superseded versions

The report is written as JSON (``<pipeline>/_runs/<run_id>.json``) and printed as a readable table.
``quality`` holds the quality gate's summary (engine, status, failed checks by severity, every
check's status); the full results are in ``<pipeline>/_quality/<run_id>.json``.

Examples
--------
>>> counts = SourceCounts("budget", rows_read=10, accepted=7, quarantined=2, exact_duplicates=1)
>>> counts.reconciles
True
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluestar.constants import (
    REJECT_REASON_COLUMN,
    REJECT_RULES_COLUMN,
    SOURCE_FILE_COLUMN,
    STATUS_ACCEPTED,
    STATUS_COLUMN,
    STATUS_EXACT_DUPLICATE,
    STATUS_QUARANTINED,
    STATUS_SUPERSEDED,
)
from gluestar.exceptions import DataQualityError
from gluestar.quality.results import render_summary

__all__ = ["FileCounts", "SourceCounts", "RunReport", "count_source", "check_source", "attach_report", "report_of"]

#: Most distinct rejection rules listed per source in a report.
_MAX_RULES = 50
#: Most files listed per source in the rendered report (the JSON lists every file).
_MAX_FILES_SHOWN = 20
_COUNTS = ("rows_read", "accepted", "quarantined", "exact_duplicates", "superseded")


@dataclass
class FileCounts:
    """Reconciliation of one source file: what its rows became.

    Examples
    --------
    >>> FileCounts(rows_read=3, accepted=1, quarantined=1, superseded=1).reconciles
    True
    """

    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    exact_duplicates: int = 0
    superseded: int = 0

    @property
    def reconciles(self) -> bool:
        """True when rows read = accepted + quarantined + exact duplicates + superseded."""
        return self.rows_read == self.accepted + self.quarantined + self.exact_duplicates + self.superseded

    @property
    def all_quarantined(self) -> bool:
        """True when the file had rows and every one of them was quarantined."""
        return self.rows_read > 0 and self.quarantined == self.rows_read


@dataclass
class SourceCounts:
    """Reconciliation of one source.

    Attributes
    ----------
    source : str
        Source name.
    rows_read, accepted, quarantined, exact_duplicates, superseded : int
        Row counts; ``quarantined`` includes ``conflicts``.
    conflicts : int
        Rows quarantined because they conflicted with another row of the same key.
    rejected_by_rule : dict of str to int
        Quarantined rows per broken rule (a row breaking two rules counts under both).
    files : list of str
        Files read.
    unknown_columns, missing_optional_columns : dict of str to list of str
        Header findings per file.
    unknown_fields : dict of str to int
        JSON Lines sources: lines carrying each unknown (ignored) field, by dotted path.
    by_file : dict of str to FileCounts
        The counts per source file, keyed by its path as listed (the ``_source_file`` of its
        rows); a file without data rows has no entry (see :attr:`files_without_rows`).
    """

    source: str
    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    exact_duplicates: int = 0
    superseded: int = 0
    conflicts: int = 0
    rejected_by_rule: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    unknown_columns: dict[str, list[str]] = field(default_factory=dict)
    missing_optional_columns: dict[str, list[str]] = field(default_factory=dict)
    by_file: dict[str, FileCounts] = field(default_factory=dict)
    unknown_fields: dict[str, int] = field(default_factory=dict)

    @property
    def duplicates_removed(self) -> int:
        """Exact duplicates plus superseded versions."""
        return self.exact_duplicates + self.superseded

    @property
    def reconciles(self) -> bool:
        """True when rows read = accepted + quarantined + duplicates removed, for the source and each file."""
        return self.rows_read == self.accepted + self.quarantined + self.duplicates_removed and all(
            f.reconciles for f in self.by_file.values()
        )

    @property
    def files_without_rows(self) -> list[str]:
        """Files read that held a header but no data rows.

        Known only when the per-file counts are (``by_file`` filled, or a source without rows).

        Examples
        --------
        >>> SourceCounts("budget", 2, 2, files=["a.csv", "b.csv"], by_file={"a.csv": FileCounts(2, 2)}
        ...     ).files_without_rows
        ['b.csv']
        """
        if not self.by_file and self.rows_read:
            return []
        return [f for f in self.files if f not in self.by_file]


def count_source(source: str, classified: DataFrame, *, conflict_reason: str) -> SourceCounts:
    """Count a classified source (the output of validation and deduplication) in one aggregation.

    Parameters
    ----------
    source : str
        Source name for the report.
    classified : DataFrame
        Rows with ``_status``, ``reject_reason``, ``reject_rules`` and, optionally, ``_source_file``.
    conflict_reason : str
        The source's conflict reason, to count conflicts apart.

    Examples
    --------
    >>> df = spark.createDataFrame([("accepted", None, []), ("quarantined", "x is missing", ["x is missing"])],
    ...     "_status string, reject_reason string, reject_rules array<string>")
    >>> c = count_source("s", df, conflict_reason="clash")
    >>> (c.rows_read, c.accepted, c.quarantined, c.rejected_by_rule)
    (2, 1, 1, {'x is missing': 1})

    With a ``_source_file`` column, ``by_file`` holds the same counts per file.
    """
    status = F.col(STATUS_COLUMN)
    source_file = F.col(SOURCE_FILE_COLUMN) if SOURCE_FILE_COLUMN in classified.columns else F.lit(None).cast("string")

    def count_when(condition: Any) -> Any:
        return F.sum(F.when(condition, F.lit(1)).otherwise(F.lit(0))).cast("bigint")

    rules = F.explode(F.when(status == F.lit(STATUS_QUARANTINED), F.col(REJECT_RULES_COLUMN)))
    # One row per file (a handful of counts each), not data rows.
    per_file, by_rule = (
        classified.groupBy(source_file.alias("file"))
        .agg(
            F.count(F.lit(1)).alias("rows_read"),
            count_when(status == F.lit(STATUS_ACCEPTED)).alias("accepted"),
            count_when(status == F.lit(STATUS_QUARANTINED)).alias("quarantined"),
            count_when(status == F.lit(STATUS_EXACT_DUPLICATE)).alias("exact_duplicates"),
            count_when(status == F.lit(STATUS_SUPERSEDED)).alias("superseded"),
            count_when(
                (status == F.lit(STATUS_QUARANTINED)) & (F.col(REJECT_REASON_COLUMN) == F.lit(conflict_reason))
            ).alias("conflicts"),
        )
        .collect(),
        classified.select(rules.alias("rule"))
        .groupBy("rule")
        .count()
        .orderBy(F.desc("count"), "rule")
        .take(_MAX_RULES),
    )
    return SourceCounts(
        source=source,
        **{name: sum(int(row[name]) for row in per_file) for name in (*_COUNTS, "conflicts")},
        rejected_by_rule={row["rule"]: int(row["count"]) for row in by_rule},
        by_file={
            row["file"]: FileCounts(**{name: int(row[name]) for name in _COUNTS})
            for row in sorted(per_file, key=lambda r: r["file"] or "")
            if row["file"] is not None
        },
    )


def check_source(counts: SourceCounts, quarantine: str) -> None:
    """Stop the run when a source, or one of its files, had rows and contributed none.

    A source whose rows were all rejected or removed as duplicates fails. So does a file whose
    rows were *all quarantined*: publishing without it would look like a month without spend. A
    file whose rows are all exact duplicates or superseded versions (a re-sent extract) is fine.

    Raises
    ------
    DataQualityError
        Naming the source, or every file concerned, and the quarantine folder.

    Examples
    --------
    >>> check_source(SourceCounts("budget", rows_read=2, accepted=1, quarantined=1), "/q")
    >>> by_file = {"b1.csv": FileCounts(2, 2), "b2.csv": FileCounts(1, 0, 1)}
    >>> try:
    ...     check_source(SourceCounts("budget", 3, 2, 1, by_file=by_file), "/q")
    ... except DataQualityError as exc:
    ...     print(exc)
    b2.csv: every one of its 1 budget rows was quarantined; nothing was published (quarantined rows are in /q)
    """
    if counts.rows_read > 0 and counts.accepted == 0:
        raise DataQualityError(
            f"every one of the {counts.rows_read} {counts.source} rows was rejected or removed as a "
            f"duplicate; nothing was published (quarantined rows are in {quarantine})"
        )
    rejected = [
        f"{path}: every one of its {file.rows_read} {counts.source} rows was quarantined"
        for path, file in counts.by_file.items()
        if file.all_quarantined
    ]
    if rejected:
        raise DataQualityError(f"{'; '.join(rejected)}; nothing was published (quarantined rows are in {quarantine})")


_REPORT_ATTRIBUTE = "gluestar_run_report"


def attach_report(exc: BaseException, report: RunReport) -> None:
    """Attach a failed run's report to the exception that stopped it (see :func:`report_of`)."""
    # An exception type with __slots__ refuses the attribute: the report stays on disk only.
    with contextlib.suppress(AttributeError):
        setattr(exc, _REPORT_ATTRIBUTE, report)


def report_of(exc: BaseException) -> RunReport | None:
    """The report of the run an exception stopped (run id, ``failed_stage``, counts so far), if any.

    Examples
    --------
    >>> report_of(ValueError("x")) is None
    True
    """
    report = getattr(exc, _REPORT_ATTRIBUTE, None)
    return report if isinstance(report, RunReport) else None


@dataclass
class RunReport:
    """Everything a run did, for people (``render``) and machines (``to_json``)."""

    pipeline: str
    run_id: str
    status: str = "running"
    started_at: str = ""
    finished_at: str = ""
    sources: list[SourceCounts] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    partitions_written: dict[str, list[str]] = field(default_factory=dict)
    partitions_dropped: dict[str, list[str]] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    failed_stage: str | None = None
    files: dict[str, Any] = field(default_factory=dict)
    snapshot: str | None = None

    @property
    def reconciles(self) -> bool:
        """True when every source reconciles."""
        return all(s.reconciles for s in self.sources)

    def source(self, name: str) -> SourceCounts:
        """Counts of source ``name``."""
        for counts in self.sources:
            if counts.source == name:
                return counts
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (what ``to_json`` writes)."""
        data = asdict(self)
        data["reconciles"] = self.reconciles
        for counts, source in zip(data["sources"], self.sources, strict=True):
            counts["duplicates_removed"] = source.duplicates_removed
            counts["reconciles"] = source.reconciles
            counts["files_without_rows"] = source.files_without_rows
            for path, file in counts["by_file"].items():
                file["reconciles"] = source.by_file[path].reconciles
        return data

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> RunReport:
        """Read a report written by :meth:`to_json`."""
        data = json.loads(text)
        data.pop("reconciles", None)
        sources = []
        for counts in data.pop("sources", []):
            counts.pop("duplicates_removed", None)
            counts.pop("reconciles", None)
            counts.pop("files_without_rows", None)
            by_file = {
                path: FileCounts(**{name: file[name] for name in _COUNTS})
                for path, file in counts.pop("by_file", {}).items()
            }
            sources.append(SourceCounts(**counts, by_file=by_file))
        return cls(sources=sources, **data)

    def render(self) -> str:
        """The report as a readable text table.

        Examples
        --------
        >>> report = RunReport("finance", "r1", status="succeeded", sources=[SourceCounts("budget", 3, 3)])
        >>> print(report.render().splitlines()[0])
        gluestar finance run r1: succeeded
        """
        status = f"{self.status} in stage {self.failed_stage}" if self.failed_stage else self.status
        lines = [f"gluestar {self.pipeline} run {self.run_id}: {status}"]
        if self.started_at:
            lines.append(f"  started {self.started_at}   finished {self.finished_at or '-'}")
        header = ("source", "read", "accepted", "quarantined", "exact dup", "superseded", "reconciles")
        rows = [
            (
                s.source,
                str(s.rows_read),
                str(s.accepted),
                str(s.quarantined),
                str(s.exact_duplicates),
                str(s.superseded),
                "yes" if s.reconciles else "NO",
            )
            for s in self.sources
        ]
        lines += ["", *_table(header, rows)]
        for s in self.sources:
            if s.by_file:
                lines += ["", *_file_table(s)]
            if s.rejected_by_rule:
                lines += ["", f"  quarantined {s.source} rows by rule:"]
                lines += [f"    {count:>8}  {rule}" for rule, count in s.rejected_by_rule.items()]
            for path, columns in s.unknown_columns.items():
                lines.append(f"  note: {path}: unknown column(s) left out: {', '.join(columns)}")
            for path, columns in s.missing_optional_columns.items():
                lines.append(f"  note: {path}: optional column(s) absent, read as null: {', '.join(columns)}")
            if s.unknown_fields:
                fields = ", ".join(
                    f"{name} ({count} {'line' if count == 1 else 'lines'})" for name, count in s.unknown_fields.items()
                )
                lines.append(f"  note: {s.source}: unknown field(s) ignored: {fields}")
            for path in s.files_without_rows:
                lines.append(f"  note: {path}: has a header but no data rows")
        if self.tables:
            lines += ["", *_table(("table", "rows"), [(n, str(c)) for n, c in self.tables.items()])]
        if self.quality:
            lines += ["", *("  " + line for line in render_summary(self.quality))]
            if self.quality.get("results"):
                lines.append(f"    results: {self.quality['results']}")
        if self.files:
            lines.append(
                f"  raw files: {len(self.files.get('read', []))} read ({len(self.files.get('changed', []))} changed "
                f"since processed), {self.files.get('skipped', 0)} already processed and skipped"
            )
        if self.snapshot:
            lines.append(f"  published: {self.snapshot}")
        for message in self.messages:
            lines.append(f"  {message}")
        return "\n".join(lines)


def _file_table(counts: SourceCounts) -> list[str]:
    header = (f"{counts.source} file", "read", "accepted", "quarantined", "exact dup", "superseded")
    shown = list(counts.by_file.items())[:_MAX_FILES_SHOWN]
    rows = [(path, *(str(getattr(file, name)) for name in _COUNTS)) for path, file in shown]
    more = len(counts.by_file) - len(shown)
    return _table(header, rows) + ([f"  … and {more} more file(s) (see the JSON report)"] if more > 0 else [])


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        padded = enumerate(zip(cells, widths, strict=True))
        return "  " + "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in padded)

    return [line(header), "  " + "  ".join("-" * w for w in widths), *[line(r) for r in rows]]
