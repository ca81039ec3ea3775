"""Column names, sentinels and option values shared by every gluestar module.

Keeping them in one place means a rename is one edit, and tests can refer to the same names the
transforms use.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

__all__ = [
    "UNKNOWN_KEY",
    "UNKNOWN_LABEL",
    "RAW_COLUMN",
    "SOURCE_FILE_COLUMN",
    "CORRUPT_RECORD_COLUMN",
    "LINE_COLUMN",
    "REJECT_REASON_COLUMN",
    "REJECT_RULES_COLUMN",
    "STATUS_COLUMN",
    "BATCH_ID_COLUMN",
    "LOAD_TIMESTAMP_COLUMN",
    "Status",
    "STATUS_ACCEPTED",
    "STATUS_QUARANTINED",
    "STATUS_EXACT_DUPLICATE",
    "STATUS_SUPERSEDED",
    "STATUSES",
    "ACTUAL_SCENARIO",
    "DEFAULT_BUDGET_SCENARIO",
    "REVENUE",
    "EXPENSE",
    "VALID_FROM_COLUMN",
    "VALID_TO_COLUMN",
    "CURRENT_FLAG_COLUMN",
    "OPEN_VALID_TO",
    "UNKNOWN_VALID_FROM",
]

#: Surrogate key of the unknown member every dimension carries.
UNKNOWN_KEY: Final[int] = -1
#: Label shown to BI users for the descriptive attributes of the unknown member.
UNKNOWN_LABEL: Final[str] = "Unknown"

#: Struct column holding the source row exactly as read (strings, untrimmed).
RAW_COLUMN: Final[str] = "_raw"
#: The file a row was read from.
SOURCE_FILE_COLUMN: Final[str] = "_source_file"
#: Spark's column for CSV lines that do not parse into the declared number of fields.
CORRUPT_RECORD_COLUMN: Final[str] = "_corrupt_record"
#: A JSON Lines source's line exactly as read (decoded); inside ``_raw`` after validation.
LINE_COLUMN: Final[str] = "line"
#: Why a row was quarantined: every broken rule, separated by ``"; "``. Null for good rows.
REJECT_REASON_COLUMN: Final[str] = "reject_reason"
#: Labels of the rules a quarantined row broke, without values (for counting); empty for good rows.
REJECT_RULES_COLUMN: Final[str] = "reject_rules"
#: Where a row ended up; one of :data:`STATUSES`.
STATUS_COLUMN: Final[str] = "_status"
BATCH_ID_COLUMN: Final[str] = "batch_id"
LOAD_TIMESTAMP_COLUMN: Final[str] = "load_timestamp"

Status = Literal["accepted", "quarantined", "exact_duplicate", "superseded"]
STATUS_ACCEPTED: Final[Status] = "accepted"
STATUS_QUARANTINED: Final[Status] = "quarantined"
STATUS_EXACT_DUPLICATE: Final[Status] = "exact_duplicate"
STATUS_SUPERSEDED: Final[Status] = "superseded"
STATUSES: Final[tuple[Status, ...]] = (
    STATUS_ACCEPTED,
    STATUS_QUARANTINED,
    STATUS_EXACT_DUPLICATE,
    STATUS_SUPERSEDED,
)

#: Scenario name of the actual transactions in ``dim_scenario``.
ACTUAL_SCENARIO: Final[str] = "Actual"
#: Scenario a budget row gets when its ``scenario`` field is empty; always in ``dim_scenario``.
DEFAULT_BUDGET_SCENARIO: Final[str] = "Budget"
#: ``account_type`` values that decide ``is_favorable``.
REVENUE: Final[str] = "Revenue"
EXPENSE: Final[str] = "Expense"

#: Default columns of a type-2 dimension version: first day, last day, and "is the open version".
VALID_FROM_COLUMN: Final[str] = "valid_from"
VALID_TO_COLUMN: Final[str] = "valid_to"
CURRENT_FLAG_COLUMN: Final[str] = "is_current"
#: ``valid_to`` of the current (open) version of a type-2 dimension.
OPEN_VALID_TO: Final[dt.date] = dt.date(9999, 12, 31)
#: ``valid_from`` of a type-2 dimension's unknown member: before any real version.
UNKNOWN_VALID_FROM: Final[dt.date] = dt.date(1900, 1, 1)
