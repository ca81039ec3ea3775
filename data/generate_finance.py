#!/usr/bin/env python3
"""Generate synthetic finance source extracts for the gluestar finance pipeline.

Three modes:

* **Large extracts** (default) -- ``--rows N --out DIR [--files K] [--seed S]
  [--start-year Y] [--months M]`` writes ``DIR/transactions_part_XXX.csv``
  (K files, by default as few as keep every file at or below 2,000,000 rows),
  ``DIR/budget.csv`` and ``DIR/_expected.json``.
* **Delta extract** -- ``--delta-of BASE_DIR --out DIR [--rows N]`` writes
  ``DIR/transactions_delta.csv`` and ``DIR/_expected.json`` for a second run over the
  output of BASE_DIR's extract: N rows (default 1% of the base), a fifth of them newer
  versions of transactions of the base period's last month, the rest new transactions
  of the month after it.
* **Sample extract** -- ``--sample --out data/raw/finance`` rewrites the small
  committed sample (``transactions_2025_q1.csv``, ``transactions_2025_q2.csv``,
  ``budget_2025.csv`` and ``expected.json``): hand-curated edge cases
  (``TXN-E...`` ids, see ``EXPECTED.md``) mixed into deterministic filler rows.

The files follow the source contracts ``schemas/finance/transactions.json`` and
``schemas/finance/budget.json`` (UTF-8, comma separated, ``"`` quoting) and are
shaped like real extracts: messy codes, several date and amount spellings, about
1% invalid rows, about 1% exact duplicates, about 1.5% re-extracted newer
versions of earlier transactions, a few conflicting versions, two budget
scenarios with a few conflicting budget rows, and a department that only
appears in the budget.

Every row's fate in the pipeline (accepted, quarantined as invalid or as a
conflict, dropped as an exact duplicate or as a superseded version) is fixed
when the row is generated, so the expected run-report counts are exact and are
written next to the data.  Output is a pure function of the arguments: every
chunk of rows draws from its own seeded ``random.Random``, so the worker count
does not change a byte.

Speed: field spellings are pre-rendered as bytes once per process; every chunk
renders 16,384 random "rests" (date, dimensions, amount, last_modified) and a
base row is an id plus a rest picked through a uint16 array from
``random.randbytes``, so the per-row work is C-level ``map``/``zip``/``join``.
Only the ~4% special rows go through Python code.  Files are written by
parallel worker processes (10,000,000 rows: 6-14 s on a shared 2-core VM).

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import chain
from pathlib import Path
from random import Random
from typing import Any, NamedTuple

# --------------------------------------------------------------------------- #
# Contracts and reference data
# --------------------------------------------------------------------------- #

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "transaction_date",
    "department_code",
    "department_name",
    "business_unit",
    "account_number",
    "account_name",
    "account_type",
    "category",
    "amount",
    "last_modified",
)
BUDGET_COLUMNS: tuple[str, ...] = (
    "budget_month",
    "department_code",
    "account_number",
    "budget_amount",
    "scenario",
)

MAX_ROWS_PER_FILE = 2_000_000
CHUNK_ROWS = 250_000
POOL_SIZE = 1 << 16  # pools are indexed directly by random uint16 values
DEFAULT_SEED = 42
SAMPLE_SEED = 2025


class Department(NamedTuple):
    code: str
    name: str
    business_unit: str
    accounts: tuple[str, ...]  # account numbers this department posts/budgets to
    budget_only: bool = False


class Account(NamedTuple):
    number: str
    name: str
    account_type: str
    category: str


ACCOUNTS: dict[str, Account] = {
    a.number: a
    for a in (
        Account("4000", "Product Sales", "Revenue", "Sales Revenue"),
        Account("4100", "Service Revenue", "Revenue", "Sales Revenue"),
        Account("4200", "Interest Income", "Revenue", "Other Income"),
        Account("5000", "Cost of Goods Sold", "Expense", "Cost of Sales"),
        Account("6000", "Salaries and Wages", "Expense", "Personnel"),
        Account("6100", "Travel, Meals", "Expense", "Travel & Entertainment"),
        Account("6200", "Rent", "Expense", "Facilities"),
        Account("6300", "Utilities", "Expense", "Facilities"),
        Account("6400", "Software Subscriptions", "Expense", "Technology"),
        Account("6500", "Advertising, Promotion", "Expense", "Marketing"),
        Account("6600", "Professional Fees", "Expense", "Professional Services"),
        Account("6700", "Office Supplies", "Expense", "General & Administrative"),
        Account("1500-EQ", "Equipment", "Asset", "Fixed Assets"),
    )
}

DEPARTMENTS: tuple[Department, ...] = (
    Department("FIN-01", "Finance", "Corporate", ("6000", "6600", "6700", "6100", "4200")),
    Department("HR-02", "Human Resources", "Corporate", ("6000", "6100", "6600", "6700")),
    Department("IT-03", "Information Technology", "Corporate", ("6400", "6000", "6300", "1500-EQ")),
    Department("MKT-04", "Marketing", "Retail", ("6500", "6000", "6100", "6400")),
    Department("SAL-05", "Sales", "Retail", ("4000", "4100", "6000", "6100")),
    Department("WHS-06", "Warehouse Operations", "Wholesale", ("5000", "6200", "6300", "1500-EQ", "4000")),
    Department("PRC-07", "Procurement", "Wholesale", ("5000", "6000", "6700", "6600")),
    Department("LEG-08", "Legal", "Corporate", ("6600", "6000"), budget_only=True),
)
DEPARTMENTS_BY_CODE: dict[str, Department] = {d.code: d for d in DEPARTMENTS}
TRANSACTION_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (d.code, a) for d in DEPARTMENTS if not d.budget_only for a in d.accounts
)

# Invalid spellings: each one alone makes a row invalid (see the contracts).
BAD_DATES = ("2025-02-30", "2025-13-01", "03/15/2025", "2025-04-31", "2025-02-29", "20250315", "15.03.2025")
OUT_OF_RANGE_DATES = ("1899-12-31", "2100-01-01")
BAD_MONTHS = ("2025-13", "2025/03", "Mar-2025", "2025-00", "202503", "2025-02-01")
OUT_OF_RANGE_MONTHS = ("1899-12", "2100-01")
BAD_AMOUNTS = ("12..5", "abc", "1,23", "$$5", "1.2.3", "12-", "N/A")
BAD_TIMESTAMPS = ("2025-01-05 10:00", "2025-01-05T10:00", "05/01/2025 10:00:00", "2025-01-05T25:00:00", "yesterday")

# Reject reasons, labelled like the pipeline's ``reject_rules`` ("<column> is missing", ...);
# the generator gives every invalid row exactly one of them.
TRANSACTION_REJECTS = (
    "transaction_date is not a valid date",
    "transaction_date is not a valid date",
    "transaction_date is out of range",
    "amount is not a valid amount",
    "amount is not a valid amount",
    "last_modified is not a valid timestamp",
    "transaction_id is missing",
    "transaction_date is missing",
    "department_code is missing",
    "account_number is missing",
    "amount is missing",
)  # weighted: a repeated label is drawn more often
BUDGET_REJECTS = (
    "budget_month is not a valid month",
    "budget_month is out of range",
    "budget_amount is not a valid amount",
    "budget_month is missing",
    "department_code is missing",
    "account_number is missing",
    "budget_amount is missing",
)

# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #

CENT = Decimal("0.01")


def csv_field(value: str) -> str:
    """Render one CSV field, quoting it when it holds a delimiter, quote or newline."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(fields: Sequence[str]) -> str:
    return ",".join(map(csv_field, fields)) + "\n"


def amount_value(raw: str) -> Decimal:
    """Cleaned decimal(18,2) value of an amount spelling this module produced."""
    text = raw.strip()
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    if text[:1] in "+-":
        negative = text[0] == "-"
        text = text[1:]
    text = text.lstrip("$£€").replace(",", "")
    value = Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP)
    return -value if negative else value


def format_amount(rng: Random, magnitude: Decimal, negative: bool) -> str:
    """Spell an amount the way the source systems do (sign, currency, separators)."""
    r = rng.random()
    if negative:
        if r < 0.55:
            return f"-{magnitude:.2f}"
        if r < 0.95:
            return f"({magnitude:,.2f})"
        return f"-{magnitude:,.2f}"
    if r < 0.70:
        return f"{magnitude:.2f}"
    if r < 0.78:
        return f"{magnitude:,.2f}"
    if r < 0.84:
        return f"${magnitude:,.2f}"
    if r < 0.86:
        return f"${magnitude:.2f}"
    if r < 0.88:
        return f"€{magnitude:,.2f}"
    if r < 0.89:
        return f"£{magnitude:,.2f}"
    if r < 0.92:
        return f"{magnitude.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"
    if r < 0.95:
        return f"{magnitude.quantize(Decimal('1'), rounding=ROUND_HALF_UP)}"
    if r < 0.97:
        return f"+{magnitude:.2f}"
    # three decimals: the pipeline rounds half-up to cents
    return f"{magnitude + Decimal(rng.randrange(10)) / 1000:.3f}"


def random_magnitude(rng: Random, low: float = 1.0, high: float = 50_000.0) -> Decimal:
    """Log-uniform positive amount with cents."""
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    return Decimal(f"{value:.2f}")


def iso_timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def month_start(year: int, month_index: int) -> date:
    """First day of the ``month_index``-th month (0-based) counted from January of ``year``."""
    return date(year + month_index // 12, month_index % 12 + 1, 1)


def random_u16(rng: Random, n: int) -> array:
    """``n`` uniform uint16 values, identical on little- and big-endian machines."""
    values = array("H", rng.randbytes(2 * n))
    if sys.byteorder == "big":
        values.byteswap()
    return values


def messy_code(rng: Random, code: str) -> str:
    """A spelling of a code that cleans back to ``code`` (trim + upper-case)."""
    return rng.choice((code.lower(), f" {code} ", f" {code.lower()}", f"{code.title()} ", code.lower() + "  "))


def title_variant(rng: Random, word: str) -> str:
    """A spelling of a title-cased value that cleans back to ``word``."""
    return rng.choice((word.lower(), word.upper(), f" {word.upper()} ", f"{word.lower()} "))


def dimension_fields(department: str, account: str) -> list[str]:
    """The seven clean department/account columns of a transaction."""
    dept, acct = DEPARTMENTS_BY_CODE[department], ACCOUNTS[account]
    return [dept.code, dept.name, dept.business_unit, acct.number, acct.name, acct.account_type, acct.category]


def messy_dimension_fields(rng: Random, department: str, account: str) -> list[str]:
    """Dimension columns with one to three kinds of mess; they clean to the same values."""
    fields = dimension_fields(department, account)
    kinds = rng.sample(range(5), rng.randint(1, 3))
    for kind in kinds:
        if kind == 0:
            fields[0] = messy_code(rng, fields[0])
        elif kind == 1:
            fields[3] = rng.choice((f" {fields[3]}", f"{fields[3]} ", fields[3].lower() + " "))
        elif kind == 2:
            fields[5] = title_variant(rng, fields[5])
        elif kind == 3:
            fields[1] = f" {fields[1]} "
            fields[2] = f"{fields[2]} "
        else:
            fields[4] = f"{fields[4]} "
            fields[6] = f" {fields[6]}"
    return fields


# --------------------------------------------------------------------------- #
# Large extracts: pools
# --------------------------------------------------------------------------- #

DISTINCT_AMOUNTS = 16_384
DISTINCT_RESTS = 16_384  # per chunk; must divide POOL_SIZE
TIMESTAMPS_PER_DAY = 8
ID_BLOCK = 10_000
ID_LOW: list[bytes] = [b"%04d," % i for i in range(ID_BLOCK)]  # last 4 id digits + separator


@dataclass(frozen=True)
class Pools:
    """CSV fields pre-rendered as bytes, each with its trailing separator.

    The slot lists have POOL_SIZE entries so that random uint16 values index them
    directly; they reference a much smaller set of distinct objects, which keeps
    the hot loop cache-friendly.  ``dates[i]`` and ``last_modified[i]`` belong
    together: a base row is modified within five days of its posting date, a
    first newer version 6-35 days after it, a second one 40-70 days after it.
    """

    start: date
    days: int
    dates: list[bytes]  # b"2025-03-04," or b"2025/03/04,"
    last_modified: list[bytes]  # b"2025-03-05T10:11:12\n" or b"\n" (null)
    day_of: list[int]  # day offset of ``dates[i]`` from ``start``
    stamps: list[list[bytes]]  # per day: last_modified values of base rows
    newer: list[list[bytes]]  # per day: last_modified values of first newer versions
    newest: list[list[bytes]]  # per day: last_modified values of second newer versions
    dims: list[bytes]  # the seven dimension columns, CSV-rendered, joined, plus b","
    dims_pair: list[int]  # index into TRANSACTION_PAIRS
    pair_variants: list[list[bytes]]  # per pair: clean spelling first, then messy ones
    pair_raw: list[list[str]]  # per pair: the clean raw dimension fields
    amounts: list[bytes]  # CSV-rendered amount plus b","
    cents: list[int]  # cleaned value of ``amounts[i]`` in cents


def _dims_bytes(fields: Sequence[str]) -> bytes:
    return (",".join(map(csv_field, fields)) + ",").encode("utf-8")


@lru_cache(maxsize=4)
def build_pools(seed: int, start_year: int, months: int, first_month: int = 0) -> Pools:
    """The field pools of ``months`` months from month ``first_month`` (0-based) of ``start_year``.

    Deterministic for ``seed`` (built once per process). A delta extract posts in the month after
    the period: ``first_month=months, months=1``.
    """
    rng = Random(f"{seed}:pools:{first_month}" if first_month else f"{seed}:pools")
    start = month_start(start_year, first_month)
    days = (month_start(start_year, first_month + months) - start).days
    midnight = datetime(start.year, start.month, start.day)

    def stamp_list(day: int, min_days: int, max_days: int) -> list[bytes]:
        offsets = sorted(rng.randrange(min_days * 86_400, (max_days + 1) * 86_400) for _ in range(TIMESTAMPS_PER_DAY))
        return [(iso_timestamp(midnight + timedelta(days=day, seconds=s)) + "\n").encode() for s in offsets]

    spellings = [
        (d.strftime("%Y-%m-%d,").encode(), d.strftime("%Y/%m/%d,").encode())
        for d in (start + timedelta(days=day) for day in range(days))
    ]
    stamps = [stamp_list(day, 0, 4) for day in range(days)]
    newer = [stamp_list(day, 6, 35) for day in range(days)]
    newest = [stamp_list(day, 40, 70) for day in range(days)]
    dates: list[bytes] = []
    last_modified: list[bytes] = []
    day_of: list[int] = []
    for _ in range(POOL_SIZE):
        day = rng.randrange(days)
        dates.append(spellings[day][1 if rng.random() < 0.08 else 0])
        last_modified.append(b"\n" if rng.random() < 0.03 else rng.choice(stamps[day]))
        day_of.append(day)

    pair_raw = [dimension_fields(d, a) for d, a in TRANSACTION_PAIRS]
    pair_variants = [
        [_dims_bytes(fields)] + [_dims_bytes(messy_dimension_fields(rng, d, a)) for _ in range(6)]
        for fields, (d, a) in zip(pair_raw, TRANSACTION_PAIRS, strict=True)
    ]
    dims: list[bytes] = []
    dims_pair: list[int] = []
    for _ in range(POOL_SIZE):
        pair = rng.randrange(len(TRANSACTION_PAIRS))
        variants = pair_variants[pair]
        dims.append(variants[rng.randrange(1, len(variants))] if rng.random() < 0.06 else variants[0])
        dims_pair.append(pair)

    distinct: list[tuple[bytes, int]] = []
    for _ in range(DISTINCT_AMOUNTS):
        raw = format_amount(rng, random_magnitude(rng), negative=rng.random() < 0.06)
        distinct.append(((csv_field(raw) + ",").encode("utf-8"), int(amount_value(raw) * 100)))
    amounts: list[bytes] = []
    cents: list[int] = []
    for _ in range(POOL_SIZE):
        spelled, value = distinct[rng.randrange(DISTINCT_AMOUNTS)]
        amounts.append(spelled)
        cents.append(value)

    return Pools(
        start,
        days,
        dates,
        last_modified,
        day_of,
        stamps,
        newer,
        newest,
        dims,
        dims_pair,
        pair_variants,
        pair_raw,
        amounts,
        cents,
    )


# --------------------------------------------------------------------------- #
# Large extracts: transactions
# --------------------------------------------------------------------------- #


def _tx_id(number: int) -> bytes:
    return b"TX%010d" % number


def _ids(first: int, count: int) -> Iterator[bytes]:
    """b"TX0000012345," for ``first .. first+count-1`` (C-level, block by block)."""
    blocks: list[Iterator[bytes]] = []
    number, end = first, first + count
    while number < end:
        high, low = divmod(number, ID_BLOCK)
        take = min(ID_BLOCK - low, end - number)
        blocks.append(map((b"TX%06d" % high).__add__, ID_LOW[low : low + take]))
        number += take
    return chain.from_iterable(blocks)


def _dims_like(rng: Random, pools: Pools, slot: int) -> bytes:
    """Dimension columns of a re-extracted row: same cleaned values, maybe spelled differently."""
    if rng.random() < 0.7:
        return pools.dims[slot]
    return rng.choice(pools.pair_variants[pools.dims_pair[slot]])


def _after(rng: Random, index: int, end: int) -> int:
    """A uniform insert position in ``index + 1 .. end`` (fast randint)."""
    return index + 1 + int(rng.random() * (end - index))


def _invalid_transaction(rng: Random, pools: Pools, number: int, d: int, m: int, a: int) -> tuple[str, bytes]:
    """A base row with exactly one corrupted field: (reject reason, line)."""
    tx_id, posted, amount, modified = _tx_id(number), pools.dates[d], pools.amounts[a], pools.last_modified[d]
    dims = pools.dims[m]
    reason = rng.choice(TRANSACTION_REJECTS)
    if reason == "transaction_date is not a valid date":
        posted = rng.choice(BAD_DATES).encode() + b","
    elif reason == "transaction_date is out of range":
        posted = rng.choice(OUT_OF_RANGE_DATES).encode() + b","
    elif reason == "amount is not a valid amount":
        amount = (csv_field(rng.choice(BAD_AMOUNTS)) + ",").encode()
    elif reason == "last_modified is not a valid timestamp":
        modified = rng.choice(BAD_TIMESTAMPS).encode() + b"\n"
    elif reason == "transaction_id is missing":
        tx_id = rng.choice((b"", b"  "))
    elif reason == "transaction_date is missing":
        posted = b","
    elif reason in ("department_code is missing", "account_number is missing"):
        fields = list(pools.pair_raw[pools.dims_pair[m]])
        fields[0 if reason == "department_code is missing" else 3] = rng.choice(("", " "))
        dims = _dims_bytes(fields)
    else:
        amount = rng.choice((b",", b"   ,"))
    return reason, b"".join((tx_id, b",", posted, dims, amount, modified))


@dataclass
class ChunkLayout:
    """The random layout of one chunk of transaction rows, drawn in a fixed order from its own seed.

    Base row ``i`` is ``ids[i]`` followed by rest ``ri[i]`` (date slot ``cd``, dimensions slot
    ``cm`` and amount slot ``ca`` of rest ``ri[i] % DISTINCT_RESTS``); ``invalid``, ``duplicated``,
    ``updated`` and ``conflicted`` are disjoint sets of base rows. A delta extract redraws the
    layout of a base chunk to find rows it can revise.
    """

    rng: Random
    first_id: int
    n_base: int
    n_dup: int
    n_upd: int
    n_conf: int
    n_inv: int
    cd: array
    cm: array
    ca: array
    ri: array
    ids: list[bytes]
    invalid: list[int]
    duplicated: list[int]
    updated: list[int]
    conflicted: list[int]

    def parts(self, i: int) -> tuple[bytes, int, int, int]:
        """(id piece, date slot, dims slot, amount slot) of base row ``i``."""
        combo = self.ri[i] % DISTINCT_RESTS
        return self.ids[i], self.cd[combo], self.cm[combo], self.ca[combo]

    def month_of_slot(self, pools: Pools) -> list[str]:
        """``yyyy-MM`` of the posting date of rest slot ``r`` (index by ``ri[i]``)."""
        labels = [(pools.start + timedelta(days=day)).strftime("%Y-%m") for day in range(pools.days)]
        return [labels[pools.day_of[d]] for d in self.cd] * (POOL_SIZE // DISTINCT_RESTS)


def chunk_layout(
    pools: Pools, seed: int, file_index: int | str, chunk_index: int, first_id: int, n: int
) -> ChunkLayout:
    """Draw the layout of chunk ``chunk_index`` of file ``file_index`` (``n`` rows from id ``first_id``)."""
    rng = Random(f"{seed}:transactions:{file_index}:{chunk_index}")
    n_dup, n_upd, n_conf, n_inv = n // 100, n * 3 // 200, n // 20_000, n // 100
    if n < 200:  # too small to shape: plain valid rows
        n_dup = n_upd = n_conf = n_inv = 0
    n_base = n - n_dup - n_upd - n_conf
    n_upd_targets = n_upd - n_upd // 10
    cd, cm, ca = random_u16(rng, DISTINCT_RESTS), random_u16(rng, DISTINCT_RESTS), random_u16(rng, DISTINCT_RESTS)
    ri = random_u16(rng, n_base)
    ids = list(_ids(first_id, n_base))
    targets = rng.sample(range(n_base), n_inv + n_dup + n_upd_targets + n_conf)
    return ChunkLayout(
        rng,
        first_id,
        n_base,
        n_dup,
        n_upd,
        n_conf,
        n_inv,
        cd,
        cm,
        ca,
        ri,
        ids,
        targets[:n_inv],
        targets[n_inv : n_inv + n_dup],
        targets[n_inv + n_dup : n_inv + n_dup + n_upd_targets],
        targets[n_inv + n_dup + n_upd_targets :],
    )


def transaction_chunk(
    pools: Pools,
    seed: int,
    file_index: int | str,
    chunk_index: int,
    first_id: int,
    n: int,
    write: Callable[[bytes], object],
) -> Counter[str]:
    """Write ``n`` transaction rows through ``write``; return the exact outcome counts of those rows.

    Layout: ``n_base`` base rows with unique ids, of which ``n_invalid`` get one
    corrupted field.  Disjoint sets of the remaining (valid) base rows are the
    targets of exact duplicates, newer versions (10% of the targets get two) and
    conflicting versions (same id and last_modified, different amount).  Each
    extra row is inserted somewhere after its target.

    Speed: the chunk first renders DISTINCT_RESTS random combinations of date,
    dimensions, amount and last_modified ("rests"); a base row is then just its
    id followed by a random rest, so the per-row work is two list look-ups and a
    ``bytes.join``, all in C, with one random memory access per row.
    """
    layout = chunk_layout(pools, seed, file_index, chunk_index, first_id, n)
    rng, cd, cm, ca, ri, ids = layout.rng, layout.cd, layout.cm, layout.ca, layout.ri, layout.ids
    n_base, n_dup, n_upd, n_conf, n_inv = layout.n_base, layout.n_dup, layout.n_upd, layout.n_conf, layout.n_inv
    n_upd_twice = n_upd // 10
    rests = list(
        map(
            b"".join,
            zip(
                map(pools.dates.__getitem__, cd),
                map(pools.dims.__getitem__, cm),
                map(pools.amounts.__getitem__, ca),
                map(pools.last_modified.__getitem__, cd),
                strict=True,
            ),
        )
    ) * (POOL_SIZE // DISTINCT_RESTS)
    parts = layout.parts
    invalid, duplicated, updated, conflicted = layout.invalid, layout.duplicated, layout.updated, layout.conflicted
    # accepted base rows by month: every base row but the invalid and the conflicted ones
    month_of_slot = layout.month_of_slot(pools)
    by_month = Counter(map(month_of_slot.__getitem__, ri))
    by_month.subtract(month_of_slot[ri[i]] for i in chain(invalid, conflicted))
    stats: Counter[str] = Counter({f"month:{month}": count for month, count in by_month.items()})
    # (base row, replaces it?, order, line): a replacement is written instead of
    # base row i, an insertion just before base row i (n_base: at the end)
    events: list[tuple[int, int, int, bytes]] = []

    for i in invalid:
        _, d, m, a = parts(i)
        reason, line = _invalid_transaction(rng, pools, first_id + i, d, m, a)
        events.append((i, 1, len(events), line))
        stats["reason:" + reason] += 1

    for i in duplicated:
        tx_id, d, m, a = parts(i)
        if rng.random() < 0.1:
            tx_id = b" " + tx_id[:-1] + b" ,"
        line = b"".join((tx_id, pools.dates[d], _dims_like(rng, pools, m), pools.amounts[a], pools.last_modified[d]))
        events.append((_after(rng, i, n_base), 0, len(events), line))

    for k, i in enumerate(updated):
        tx_id, d, m, _ = parts(i)
        position = _after(rng, i, n_base)
        for later in (pools.newer, pools.newest)[: 2 if k < n_upd_twice else 1]:
            line = b"".join(
                (
                    tx_id,
                    pools.dates[d],
                    _dims_like(rng, pools, m),
                    pools.amounts[int(rng.random() * POOL_SIZE)],
                    rng.choice(later[pools.day_of[d]]),
                )
            )
            events.append((position, 0, len(events), line))
            position = _after(rng, position - 1, n_base)

    for i in conflicted:
        tx_id, d, m, a = parts(i)
        stamp = pools.last_modified[d]
        if stamp == b"\n":  # a tie needs a real timestamp (a null never ties with a later row)
            stamp = rng.choice(pools.stamps[pools.day_of[d]])
            base_row = b"".join((tx_id, pools.dates[d], pools.dims[m], pools.amounts[a], stamp))
            events.append((i, 1, len(events), base_row))
        other = int(rng.random() * POOL_SIZE)
        while pools.cents[other] == pools.cents[a]:
            other = int(rng.random() * POOL_SIZE)
        line = b"".join((tx_id, pools.dates[d], _dims_like(rng, pools, m), pools.amounts[other], stamp))
        events.append((_after(rng, i, n_base), 0, len(events), line))

    def base_rows(start: int, stop: int) -> bytes:
        return b"".join(chain.from_iterable(zip(ids[start:stop], map(rests.__getitem__, ri[start:stop]), strict=True)))

    events.sort()
    previous = 0
    for position, replaces, _, line in events:
        if position > previous:
            write(base_rows(previous, position))
        write(line)
        previous = position + replaces
    write(base_rows(previous, n_base))

    stats.update(
        {
            "rows_read": n,
            "accepted": n_base - n_inv - n_conf,
            "quarantined": n_inv + 2 * n_conf,
            "exact_duplicates": n_dup,
            "superseded": n_upd,
            "conflicts": 2 * n_conf,
            "reason:conflicting versions": 2 * n_conf,
        }
    )
    return stats


@dataclass(frozen=True)
class FileTask:
    seed: int
    start_year: int
    months: int
    index: int
    first_id: int  # global row offset of the file, so ids are unique across files
    rows: int
    path: str


def write_transaction_file(task: FileTask) -> Counter[str]:
    """Write one ``transactions_part_XXX.csv`` chunk by chunk; return its outcome counts."""
    pools = build_pools(task.seed, task.start_year, task.months)
    stats: Counter[str] = Counter()
    first_id = task.first_id
    with open(task.path, "wb", buffering=1 << 20) as handle:
        handle.write((",".join(TRANSACTION_COLUMNS) + "\n").encode("utf-8"))
        for chunk_index, rows in enumerate(_split(task.rows, max(1, math.ceil(task.rows / CHUNK_ROWS)))):
            stats.update(transaction_chunk(pools, task.seed, task.index, chunk_index, first_id, rows, handle.write))
            first_id += rows
    return stats


# --------------------------------------------------------------------------- #
# Large extracts: budget
# --------------------------------------------------------------------------- #


def _budget_scenario(rng: Random, scenario: str) -> str:
    r = rng.random()
    if scenario == "Budget":
        return "Budget" if r < 0.85 else ("" if r < 0.95 else "budget")
    return "Forecast" if r < 0.90 else ("forecast" if r < 0.98 else " FORECAST ")


def budget_extract(seed: int, start_year: int, months: int) -> tuple[str, Counter[str]]:
    """Budget rows for every month x department x account ("Budget"), plus a
    "Forecast" for the second half of the period, with ~1% exact duplicates,
    ~1% invalid rows and a few conflicting budget rows."""
    rng = Random(f"{seed}:budget")
    base: list[list[str]] = []
    cents: list[int] = []
    for department in DEPARTMENTS:
        for account in department.accounts:
            monthly = random_magnitude(rng, 500, 150_000)
            for m in range(months):
                month = month_start(start_year, m).strftime("%Y-%m")
                for scenario in ("Budget", "Forecast") if m >= months // 2 else ("Budget",):
                    value = (monthly * Decimal(rng.uniform(0.85, 1.15))).quantize(CENT)
                    raw = format_amount(rng, value, negative=rng.random() < 0.02)
                    dept_code = messy_code(rng, department.code) if rng.random() < 0.05 else department.code
                    acct = f" {account} " if rng.random() < 0.03 else account
                    base.append([month, dept_code, acct, raw, _budget_scenario(rng, scenario)])
                    cents.append(int(amount_value(raw) * 100))

    n_base = len(base)
    n_dup, n_conf, n_inv = max(3, n_base // 100), max(3, n_base // 300), max(len(BUDGET_REJECTS), n_base // 100)
    targets = rng.sample(range(n_base), n_dup + n_conf)
    extras: list[tuple[int, list[str]]] = []
    for i in targets[:n_dup]:
        month, dept_code, acct, raw, scenario = base[i]
        clean_dept = dept_code.strip().upper()
        scenario_clean = scenario.strip().title() or "Budget"
        copy = [
            month,
            messy_code(rng, clean_dept) if rng.random() < 0.5 else clean_dept,
            acct.strip(),
            raw,
            _budget_scenario(rng, scenario_clean),
        ]
        extras.append((rng.randrange(n_base + 1), copy))
    for i in targets[n_dup:]:
        month, dept_code, acct, raw, scenario = base[i]
        other = format_amount(rng, random_magnitude(rng, 500, 150_000), negative=False)
        while int(amount_value(other) * 100) == cents[i]:
            other = format_amount(rng, random_magnitude(rng, 500, 150_000), negative=False)
        extras.append((rng.randrange(n_base + 1), [month, dept_code.strip(), acct, other, scenario]))

    stats: Counter[str] = Counter()
    for k in range(n_inv):
        row = list(base[rng.randrange(n_base)])
        reason = BUDGET_REJECTS[k] if k < len(BUDGET_REJECTS) else rng.choice(BUDGET_REJECTS)
        if reason == "budget_month is not a valid month":
            row[0] = rng.choice(BAD_MONTHS)
        elif reason == "budget_month is out of range":
            row[0] = rng.choice(OUT_OF_RANGE_MONTHS)
        elif reason == "budget_amount is not a valid amount":
            row[3] = rng.choice(BAD_AMOUNTS)
        elif reason == "budget_month is missing":
            row[0] = ""
        elif reason == "department_code is missing":
            row[1] = rng.choice(("", "  "))
        elif reason == "account_number is missing":
            row[2] = ""
        else:
            row[3] = rng.choice(("", " "))
        stats["reason:" + reason] += 1
        extras.append((rng.randrange(n_base + 1), row))

    extras.sort(key=lambda item: item[0])  # stable: ties keep creation order
    lines: list[str] = [csv_line(BUDGET_COLUMNS)]
    previous = 0
    for position, row in extras:
        lines.extend(csv_line(r) for r in base[previous:position])
        lines.append(csv_line(row))
        previous = position
    lines.extend(csv_line(r) for r in base[previous:])

    stats.update(
        {
            "rows_read": n_base + n_dup + n_conf + n_inv,
            "accepted": n_base - n_conf,
            "quarantined": n_inv + 2 * n_conf,
            "exact_duplicates": n_dup,
            "superseded": 0,
            "conflicts": 2 * n_conf,
            "reason:conflicting budget rows": 2 * n_conf,
        }
    )
    return "".join(lines), stats


# --------------------------------------------------------------------------- #
# Large extracts: driver
# --------------------------------------------------------------------------- #

COUNT_KEYS = ("rows_read", "accepted", "quarantined", "exact_duplicates", "superseded", "conflicts")


def _split(total: int, parts: int) -> list[int]:
    size, extra = divmod(total, parts)
    return [size + (1 if i < extra else 0) for i in range(parts)]


def _summary(stats: Counter[str]) -> dict[str, int]:
    return {key: stats[key] for key in COUNT_KEYS}


def _reasons(stats: Counter[str]) -> dict[str, int]:
    return {
        key.removeprefix("reason:"): count
        for key, count in sorted(stats.items())
        if key.startswith("reason:") and count
    }


def _months(stats: Counter[str]) -> dict[str, int]:
    return {
        key.removeprefix("month:"): count for key, count in sorted(stats.items()) if key.startswith("month:") and count
    }


def generate(args: argparse.Namespace) -> str:
    """Write the large extract: one worker process per transaction file (up to the CPU count)."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = args.files or max(1, math.ceil(args.rows / MAX_ROWS_PER_FILE))
    file_rows = _split(args.rows, files)
    tasks = [
        FileTask(
            args.seed,
            args.start_year,
            args.months,
            index,
            1 + sum(file_rows[:index]),
            rows,
            str(out / f"transactions_part_{index:03d}.csv"),
        )
        for index, rows in enumerate(file_rows)
    ]
    workers = min(os.cpu_count() or 1, files)
    tx_stats: Counter[str] = Counter()
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for stats in pool.map(write_transaction_file, tasks):
                tx_stats.update(stats)
    else:
        for task in tasks:
            tx_stats.update(write_transaction_file(task))

    budget_text, budget_stats = budget_extract(args.seed, args.start_year, args.months)
    (out / "budget.csv").write_text(budget_text, encoding="utf-8", newline="")

    expected = {
        "transactions": _summary(tx_stats),
        "budget": _summary(budget_stats),
        "quarantine_reasons": {"transactions": _reasons(tx_stats), "budget": _reasons(budget_stats)},
        "accepted_by_month": {"transactions": _months(tx_stats)},
        "generator": {
            "seed": args.seed,
            "start_year": args.start_year,
            "months": args.months,
            "files": {Path(task.path).name: task.rows for task in tasks},
            "budget_file": "budget.csv",
            "exact": True,
        },
    }
    (out / "_expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    tx, bu = expected["transactions"], expected["budget"]
    return (
        f"wrote {tx['rows_read']:,} transaction rows in {files} file(s) and {bu['rows_read']:,} budget rows "
        f"to {out}: transactions accepted {tx['accepted']:,} / quarantined {tx['quarantined']:,} / "
        f"duplicates {tx['exact_duplicates']:,} / superseded {tx['superseded']:,}; budget accepted "
        f"{bu['accepted']:,} / quarantined {bu['quarantined']:,} / duplicates {bu['exact_duplicates']:,}"
    )


# --------------------------------------------------------------------------- #
# Large extracts: a delta for a second run
# --------------------------------------------------------------------------- #

DELTA_FILE = "transactions_delta.csv"
#: Share of a delta's rows that revise published transactions (the rest are new transactions).
DELTA_REVISION_SHARE = 0.2


def _revisions(base: dict[str, Any], wanted: int, rng_seed: str) -> tuple[list[bytes], str]:
    """``wanted`` newer versions of accepted base transactions posted in the base period's last month.

    Only plain base rows are revised (not invalid, duplicated, updated or conflicting ones, and
    with a last_modified), so each revision is accepted and replaces its published row: the
    fact count of that month does not change. Every revision is stamped 10-20 days after the
    period, later than any base version. Returns the lines and the month (``yyyy-MM``).
    """
    seed, start_year, months = base["seed"], base["start_year"], base["months"]
    pools = build_pools(seed, start_year, months)
    last_month = month_start(start_year, months - 1).strftime("%Y-%m")
    end = month_start(start_year, months)
    midnight = datetime(end.year, end.month, end.day)
    chunks = [
        (index, chunk_index, rows)
        for index, file_rows in enumerate(base["files"].values())
        for chunk_index, rows in enumerate(_split(file_rows, max(1, math.ceil(file_rows / CHUNK_ROWS))))
    ]
    quota = math.ceil(wanted / len(chunks))
    lines: list[bytes] = []
    first_id = 1
    file_first = [1 + sum(list(base["files"].values())[:k]) for k in range(len(base["files"]))]
    previous_file = -1
    for index, chunk_index, rows in chunks:
        if index != previous_file:
            first_id, previous_file = file_first[index], index
        take = min(quota, wanted - len(lines))
        if take > 0:
            layout = chunk_layout(pools, seed, index, chunk_index, first_id, rows)
            month_of_slot = layout.month_of_slot(pools)
            excluded = {*layout.invalid, *layout.duplicated, *layout.updated, *layout.conflicted}
            rng = Random(f"{rng_seed}:revisions:{index}:{chunk_index}")
            picked: set[int] = set()
            for _ in range(200 * take):
                if len(picked) == take:
                    break
                i = int(rng.random() * layout.n_base)
                if i in excluded or i in picked or month_of_slot[layout.ri[i]] != last_month:
                    continue
                tx_id, d, m, _ = layout.parts(i)
                if pools.last_modified[d] == b"\n":
                    continue
                picked.add(i)
                stamp = iso_timestamp(midnight + timedelta(days=10, seconds=rng.randrange(10 * 86_400)))
                amount = pools.amounts[int(rng.random() * POOL_SIZE)]
                lines.append(
                    b"".join((tx_id, pools.dates[d], _dims_like(rng, pools, m), amount, stamp.encode(), b"\n"))
                )
        first_id += rows
    if len(lines) < wanted:
        raise ValueError(f"the base extract has too few plain rows in {last_month} to revise {wanted:,}")
    return lines, last_month


def generate_delta(args: argparse.Namespace) -> str:
    """Write a delta extract for a second run over a base extract's output (``--delta-of``).

    One file, ``transactions_delta.csv``: new transactions posted in the month after the base
    period (with the usual invalid rows, duplicates, newer versions and conflicts) and newer
    versions of transactions of the period's last month. Its ``_expected.json`` has the run's
    exact counts and the rows of ``fact_gl_transaction`` in the two months the run rebuilds.
    """
    base_dir, out = Path(args.delta_of), Path(args.out)
    base_expected = json.loads((base_dir / "_expected.json").read_text(encoding="utf-8"))
    base = base_expected["generator"]
    by_month = base_expected.get("accepted_by_month", {}).get("transactions")
    if by_month is None:
        raise ValueError(f"{base_dir / '_expected.json'} has no accepted_by_month: regenerate the base extract")
    base_rows = sum(base["files"].values())
    total = args.rows or max(1, base_rows // 100)
    n_revisions = int(total * DELTA_REVISION_SHARE)
    revisions, revised_month = _revisions(base, n_revisions, f"{base['seed']}:delta")
    pools = build_pools(base["seed"], base["start_year"], 1, base["months"])
    new_month = month_start(base["start_year"], base["months"]).strftime("%Y-%m")
    out.mkdir(parents=True, exist_ok=True)
    stats: Counter[str] = Counter()
    first_id = base_rows + 1  # above every base id
    new_rows = total - n_revisions
    with open(out / DELTA_FILE, "wb", buffering=1 << 20) as handle:
        handle.write((",".join(TRANSACTION_COLUMNS) + "\n").encode("utf-8"))
        handle.write(b"".join(revisions))
        for chunk_index, rows in enumerate(_split(new_rows, max(1, math.ceil(new_rows / CHUNK_ROWS)))):
            stats.update(transaction_chunk(pools, base["seed"], "delta", chunk_index, first_id, rows, handle.write))
            first_id += rows
    stats.update({"rows_read": n_revisions, "accepted": n_revisions})
    expected = {
        "transactions": _summary(stats),
        "budget": dict.fromkeys(COUNT_KEYS, 0),
        "quarantine_reasons": {"transactions": _reasons(stats), "budget": {}},
        "accepted_by_month": {"transactions": _months(stats)},
        "fact_gl_transaction_rows": by_month.get(revised_month, 0) + stats["accepted"] - n_revisions,
        "touched_months": [revised_month, new_month],
        "generator": {"delta_of": str(base_dir), "file": DELTA_FILE, "rows": total, "revisions": n_revisions},
    }
    (out / "_expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    tx = expected["transactions"]
    return (
        f"wrote a delta of {total:,} transaction rows to {out / DELTA_FILE}: {n_revisions:,} revisions of "
        f"{revised_month}, {new_rows:,} new rows in {new_month}; accepted {tx['accepted']:,} / quarantined "
        f"{tx['quarantined']:,} / duplicates {tx['exact_duplicates']:,} / superseded {tx['superseded']:,}"
    )


# --------------------------------------------------------------------------- #
# Sample extract (data/raw/finance)
# --------------------------------------------------------------------------- #

# Row outcomes used to tally the expected counts of the curated sample.
ACCEPTED, DUPLICATE, SUPERSEDED, CONFLICT = "accepted", "exact duplicate", "superseded", "conflict"


class SampleRow(NamedTuple):
    fields: list[str]
    outcome: str  # ACCEPTED, DUPLICATE, SUPERSEDED, CONFLICT or a reject reason ("amount is not a valid amount", ...)


def tx(
    tx_id: str,
    posted: str,
    department: str,
    account: str,
    amount: str,
    modified: str,
    outcome: str = ACCEPTED,
    **overrides: str,
) -> SampleRow:
    """A curated transaction row; ``department``/``account`` select the reference data,
    ``overrides`` replace raw column values (e.g. ``department_code=" fin-01 "``)."""
    dept_key = department.strip().upper() or "FIN-01"
    acct_key = account.strip().upper() or "6000"
    dims = dict(zip(TRANSACTION_COLUMNS[2:9], dimension_fields(dept_key, acct_key), strict=True))
    dims["department_code"], dims["account_number"] = department, account
    row = {"transaction_id": tx_id, "transaction_date": posted, **dims, "amount": amount, "last_modified": modified}
    for column, value in overrides.items():
        if column not in row:
            raise KeyError(column)
        row[column] = value
    return SampleRow([row[c] for c in TRANSACTION_COLUMNS], outcome)


def curated_q1() -> list[SampleRow]:
    """Edge cases placed in transactions_2025_q1.csv (see EXPECTED.md)."""
    return [
        # -- accepted spellings ------------------------------------------------
        tx("TXN-E001", "2025-01-06", " fin-01 ", " 6100 ", "(1,234.50)", "2025-01-07T09:15:00", account_type="expense"),
        tx("TXN-E002", "2025-01-08", "mkt-04", "6500", "$1,200.00", "2025-01-08T16:40:00"),
        tx("TXN-E003", "2025/01/15", "SAL-05", "4000", "€75", "2025-01-15T11:00:00"),
        tx("TXN-E004", "2025-01-20", "WHS-06", "5000", "£10.5", "2025-01-21T08:05:00"),
        tx("TXN-E005", "2025-02-03", "HR-02", "6000", "-50", "2025-02-03T17:30:00"),
        tx("TXN-E006", "2025-02-10", "IT-03", "6400", "+12.345", "2025-02-10T10:10:10"),
        tx("TXN-E007", "2025-02-11", "PRC-07", "6700", "1.005", "2025-02-12T09:00:00"),
        tx("TXN-E008", "2025-02-28", "Sal-05", "4100", " 2,500.00 ", "2025-02-28T23:59:59", account_type=" REVENUE "),
        tx(
            "TXN-E009",
            "2025-03-03",
            "FIN-01",
            "6600",
            "12,345,678.90",
            "2025-03-04T12:00:00",
            department_name="",
            business_unit=" Corporate ",
        ),
        tx("TXN-E010", "2025-03-14", "WHS-06", "1500-eq", "4999.99", "", account_type="asset"),
        tx("TXN-E011", "2025/03/31", " it-03", "6300", "0.00", "2025-03-31T18:00:00"),
        tx(
            "  TXN-E012 ",
            "2025-01-31",
            "HR-02",
            "6100 ",
            "89.90",
            "2025-02-01T07:45:00",
            account_name=" Travel, Meals ",
        ),
        # -- invalid: one defect per row -------------------------------------------
        tx(
            "TXN-E020",
            "2025-02-30",
            "FIN-01",
            "6700",
            "45.00",
            "2025-03-01T09:00:00",
            "transaction_date is not a valid date",
        ),
        tx(
            "TXN-E021",
            "2025-13-01",
            "HR-02",
            "6000",
            "3200.00",
            "2025-01-02T09:00:00",
            "transaction_date is not a valid date",
        ),
        tx(
            "TXN-E022",
            "03/15/2025",
            "SAL-05",
            "4000",
            "980.00",
            "2025-03-15T09:00:00",
            "transaction_date is not a valid date",
        ),
        tx(
            "TXN-E023",
            "1899-12-31",
            "IT-03",
            "6400",
            "120.00",
            "2025-01-10T09:00:00",
            "transaction_date is out of range",
        ),
        tx(
            "TXN-E024",
            "2025-02-29",
            "MKT-04",
            "6500",
            "640.00",
            "2025-03-01T10:00:00",
            "transaction_date is not a valid date",
        ),
        tx("TXN-E025", "2025-01-22", "WHS-06", "5000", "12..5", "2025-01-22T09:00:00", "amount is not a valid amount"),
        tx("TXN-E026", "2025-01-23", "PRC-07", "5000", "abc", "2025-01-23T09:00:00", "amount is not a valid amount"),
        tx("TXN-E027", "2025-01-24", "FIN-01", "6600", "1,23", "2025-01-24T09:00:00", "amount is not a valid amount"),
        tx("TXN-E028", "2025-01-27", "HR-02", "6700", "$$5", "2025-01-27T09:00:00", "amount is not a valid amount"),
        tx("", "2025-02-04", "IT-03", "6000", "210.00", "2025-02-04T09:00:00", "transaction_id is missing"),
        tx("TXN-E030", "", "MKT-04", "6100", "77.70", "2025-02-05T09:00:00", "transaction_date is missing"),
        tx("TXN-E031", "2025-02-06", "   ", "6000", "1500.00", "2025-02-06T09:00:00", "department_code is missing"),
        tx("TXN-E032", "2025-02-07", "SAL-05", "", "250.00", "2025-02-07T09:00:00", "account_number is missing"),
        tx("TXN-E033", "2025-02-12", "WHS-06", "6200", "", "2025-02-12T09:00:00", "amount is missing"),
        tx(
            "TXN-E034",
            "2025-01-05",
            "FIN-01",
            "6000",
            "5400.00",
            "2025-01-05 10:00",
            "last_modified is not a valid timestamp",
        ),
        tx(
            "TXN-E035",
            "2025-01-06",
            "PRC-07",
            "6600",
            "860.00",
            "2025-01-06T10:00",
            "last_modified is not a valid timestamp",
        ),
        # an invalid row and its exact copy: both quarantined, never collapsed
        tx(
            "TXN-E036",
            "2025-02-31",
            "HR-02",
            "6600",
            "150.00",
            "2025-03-03T09:00:00",
            "transaction_date is not a valid date",
        ),
        tx(
            "TXN-E036",
            "2025-02-31",
            "HR-02",
            "6600",
            "150.00",
            "2025-03-03T09:00:00",
            "transaction_date is not a valid date",
        ),
        # a valid row and a later but invalid version of it: the valid one is accepted
        tx("TXN-E037", "2025-01-09", "MKT-04", "6400", "300.00", "2025-01-10T10:00:00"),
        tx("TXN-E037", "2025-01-09", "MKT-04", "6400", "abc", "2025-01-12T10:00:00", "amount is not a valid amount"),
        # -- exact duplicates ------------------------------------------------------
        tx("TXN-E040", "2025-01-13", "SAL-05", "6100", "412.80", "2025-01-13T15:20:00"),
        tx("TXN-E040", "2025-01-13", "SAL-05", "6100", "412.80", "2025-01-13T15:20:00", DUPLICATE),
        tx("TXN-E041", "2025-01-16", "FIN-01", "6100", "233.10", "2025-01-17T08:00:00"),
        tx(
            " TXN-E041",
            "2025-01-16",
            " fin-01 ",
            "6100 ",
            "233.10",
            "2025-01-17T08:00:00",
            DUPLICATE,
            account_type="expense",
            department_name="Finance ",
            account_name=" Travel, Meals",
        ),
        tx("TXN-E042", "2025-02-17", "WHS-06", "6300", "1875.25", "2025-02-18T06:30:00"),
        tx("TXN-E042", "2025-02-17", "WHS-06", "6300", "1875.25", "2025-02-18T06:30:00", DUPLICATE),
        tx("TXN-E042", "2025-02-17", "WHS-06", "6300", "1875.25", "2025-02-18T06:30:00", DUPLICATE),
        tx("TXN-E043", "2025-02-19", "PRC-07", "6000", "2750.00", ""),
        tx("TXN-E043", "2025-02-19", "PRC-07", "6000", "2750.00", "", DUPLICATE),
        # identical once typed: same date and same decimal amount, spelled differently
        tx("TXN-E044", "2025-03-05", "MKT-04", "6000", "1200", "2025-03-06T10:00:00"),
        tx("TXN-E044", "2025/03/05", "MKT-04", "6000", "$1,200.00", "2025-03-06T10:00:00", DUPLICATE),
        # -- versions --------------------------------------------------------------
        tx("TXN-E045", "2025-01-10", "IT-03", "6400", "100.00", "2025-01-10T09:00:00", SUPERSEDED),
        tx("TXN-E045", "2025-01-10", "IT-03", "6400", "120.00", "2025-01-20T14:30:00"),
        tx("TXN-E046", "2025-01-28", "HR-02", "6700", "50.00", "", SUPERSEDED),
        tx("TXN-E046", "2025-01-28", "HR-02", "6700", "55.00", "2025-02-01T08:00:00"),
        tx("TXN-E047", "2025-02-14", "SAL-05", "4000", "9800.00", "2025-02-14T09:00:00", SUPERSEDED),
        tx("TXN-E047", "2025-02-14", "SAL-05", "4000", "9850.00", "2025-02-16T09:00:00", SUPERSEDED),
        tx("TXN-E047", "2025-02-14", "SAL-05", "4000", "9875.00", "2025-02-20T09:00:00"),
        # the dated version wins although the undated one comes later in the file
        tx("TXN-E053", "2025-02-15", "FIN-01", "6700", "64.00", "2025-02-15T10:00:00"),
        tx("TXN-E053", "2025-02-15", "FIN-01", "6700", "46.00", "", SUPERSEDED),
        # conflicting versions: different rows tied at the latest last_modified
        tx("TXN-E048", "2025-03-10", "PRC-07", "5000", "500.00", "2025-03-10T12:00:00", CONFLICT),
        tx("TXN-E048", "2025-03-10", "PRC-07", "5000", "550.00", "2025-03-10T12:00:00", CONFLICT),
        tx("TXN-E049", "2025-03-01", "WHS-06", "4000", "7000.00", "2025-03-01T09:00:00", SUPERSEDED),
        tx("TXN-E049", "2025-03-01", "WHS-06", "4000", "7100.00", "2025-03-05T09:00:00", CONFLICT),
        tx("TXN-E049", "2025-03-01", "WHS-06", "4000", "7200.00", "2025-03-05T09:00:00", CONFLICT),
        tx("TXN-E054", "2025-03-12", "HR-02", "6100", "310.00", "2025-03-12T12:00:00", CONFLICT),
        tx("TXN-E054", "2025-03-12", "HR-02", "6100", "310.00", "2025-03-12T12:00:00", CONFLICT, category="Travel"),
        # two identical rows at the latest version collapse first: no conflict
        tx("TXN-E050", "2025-03-18", "IT-03", "6000", "4100.00", "2025-03-18T09:00:00", SUPERSEDED),
        tx("TXN-E050", "2025-03-18", "IT-03", "6000", "4150.00", "2025-03-20T09:00:00"),
        tx("TXN-E050", "2025-03-18", "it-03 ", "6000", "4150.00", "2025-03-20T09:00:00", DUPLICATE),
        # re-extracted in Q2: exact copy (E051) and newer version (E052) follow in the Q2 file
        tx("TXN-E051", "2025-03-20", "MKT-04", "6500", "$2,345.60", "2025-03-21T11:11:11"),
        tx("TXN-E052", "2025-03-25", "SAL-05", "4100", "1500.00", "2025-03-26T09:30:00", SUPERSEDED),
    ]


def curated_q2() -> list[SampleRow]:
    """Edge cases placed in transactions_2025_q2.csv (see EXPECTED.md)."""
    return [
        tx("TXN-E051", "2025-03-20", "MKT-04", "6500", "$2,345.60", "2025-03-21T11:11:11", DUPLICATE),
        tx("TXN-E052", "2025-03-25", "SAL-05", "4100", "1650.00", "2025-04-02T09:30:00"),
        tx("TXN-E060", "2025/04/01", "WHS-06", "6200", "(75.25)", "2025-04-01T08:00:00"),
        tx("TXN-E061", "2025-04-15", "PRC-07", "5000", "€1,050.00", "2025-04-16T08:00:00"),
        tx("TXN-E062", "2025-06-30", " hr-02", "6600 ", "-0.50", "2025-06-30T23:00:00"),
        tx(
            "TXN-E070",
            "2025-04-31",
            "IT-03",
            "6300",
            "88.00",
            "2025-05-01T09:00:00",
            "transaction_date is not a valid date",
        ),
        tx(
            "TXN-E071",
            "2100-04-01",
            "FIN-01",
            "6000",
            "88.00",
            "2025-04-02T09:00:00",
            "transaction_date is out of range",
        ),
        tx("  ", "2025-04-03", "SAL-05", "6000", "880.00", "2025-04-03T09:00:00", "transaction_id is missing"),
        tx(
            "TXN-E073",
            "2025-06-02",
            "MKT-04",
            "6100",
            "66.60",
            "2025-06-31T10:00:00",
            "last_modified is not a valid timestamp",
        ),
        tx("TXN-E074", "2025-05-05", "WHS-06", "5000", "1.2.3", "2025-05-05T09:00:00", "amount is not a valid amount"),
        tx("TXN-E075", "2025-05-14", "FIN-01", "4200", "312.09", "2025-05-14T09:00:00"),
        tx(
            "TXN-E075",
            "2025-05-14",
            "fin-01",
            "4200",
            "312.09",
            "2025-05-14T09:00:00",
            DUPLICATE,
            account_type="REVENUE",
        ),
        tx("TXN-E076", "2025-05-20", "IT-03", "6400", "999.00", "2025-05-20T09:00:00", SUPERSEDED),
        tx("TXN-E076", "2025-05-20", "IT-03", "6400", "1099.00", "2025-05-27T09:00:00"),
        tx("TXN-E077", "2025-06-10", "HR-02", "6000", "5100.00", "2025-06-11T09:00:00"),
        tx("TXN-E077", "2025-06-10", "HR-02", "6000", "5000.00", "", SUPERSEDED),
    ]


def _filler_transactions(rng: Random, first_number: int, count: int, first_day: date, days: int) -> list[SampleRow]:
    """Deterministic valid rows with unique ids cycling through every department/account pair."""
    rows: list[SampleRow] = []
    for k in range(count):
        department, account = TRANSACTION_PAIRS[k % len(TRANSACTION_PAIRS)]
        posted = first_day + timedelta(days=rng.randrange(days))
        fields = (
            messy_dimension_fields(rng, department, account)
            if rng.random() < 0.08
            else dimension_fields(department, account)
        )
        if ACCOUNTS[account].account_type == "Revenue":
            magnitude = random_magnitude(rng, 200, 25_000)
        else:
            magnitude = random_magnitude(rng, 5, 8_000)
        amount = format_amount(rng, magnitude, negative=rng.random() < 0.05)
        spelled = posted.strftime("%Y/%m/%d" if rng.random() < 0.1 else "%Y-%m-%d")
        modified = (
            ""
            if rng.random() < 0.05
            else iso_timestamp(
                datetime(posted.year, posted.month, posted.day) + timedelta(seconds=rng.randrange(3 * 86_400))
            )
        )
        rows.append(SampleRow([f"TXN-{first_number + k:06d}", spelled, *fields, amount, modified], ACCEPTED))
    return rows


def _interleave(rng: Random, filler: list[SampleRow], curated: list[SampleRow]) -> list[SampleRow]:
    """Scatter ``curated`` rows among ``filler`` rows, keeping each list's own order."""
    total = len(filler) + len(curated)
    slots = set(rng.sample(range(total), len(curated)))
    cur, fil = iter(curated), iter(filler)
    return [next(cur) if i in slots else next(fil) for i in range(total)]


def b(month: str, department: str, account: str, amount: str, scenario: str, outcome: str = ACCEPTED) -> SampleRow:
    return SampleRow([month, department, account, amount, scenario], outcome)


def sample_budget(rng: Random) -> list[SampleRow]:
    """Budget grid Jan-Jun 2025 ("Budget" every month, "Forecast" for Q2) for the first
    three accounts of every department (both of the budget-only LEG-08), with curated
    edits and extra rows."""
    grid: dict[tuple[str, str, str, str], SampleRow] = {}
    order: list[tuple[str, str, str, str]] = []
    for department in DEPARTMENTS:
        for account in department.accounts[:3]:
            monthly = random_magnitude(rng, 1_000, 60_000)
            for m in range(6):
                month = f"2025-{m + 1:02d}"
                for scenario in ("Budget", "Forecast") if m >= 3 else ("Budget",):
                    value = (monthly * Decimal(rng.uniform(0.9, 1.1))).quantize(CENT)
                    spelled = f"{value:.2f}" if rng.random() < 0.8 else f"{value:,.2f}"
                    key = (month, department.code, account, scenario)
                    grid[key] = b(month, department.code, account, spelled, scenario)
                    order.append(key)

    def edit(key: tuple[str, str, str, str], outcome: str = ACCEPTED, **changes: str) -> None:
        row = grid[key]
        fields = dict(zip(BUDGET_COLUMNS, row.fields, strict=True))
        fields.update(changes)
        grid[key] = SampleRow([fields[c] for c in BUDGET_COLUMNS], outcome)

    # accepted spellings and scenario normalisation
    edit(("2025-01", "FIN-01", "6000", "Budget"), department_code=" fin-01 ", budget_amount="$12,000.00")
    edit(("2025-01", "FIN-01", "6600", "Budget"), account_number=" 6600 ", budget_amount="(500.00)")
    edit(("2025-02", "IT-03", "6400", "Budget"), budget_amount="€1,500", scenario="")
    edit(("2025-02", "SAL-05", "4000", "Budget"), budget_amount="£250.5", scenario="budget")
    edit(("2025-03", "WHS-06", "5000", "Budget"), budget_amount="+100.005", scenario=" Budget ")
    edit(("2025-04", "MKT-04", "6500", "Forecast"), scenario="forecast")
    edit(("2025-05", "HR-02", "6000", "Forecast"), scenario=" FORECAST ", department_code="hr-02")
    edit(("2025-06", "LEG-08", "6600", "Budget"), budget_amount="-1,250.00", scenario="")
    # keys that will be in conflict (their extra rows are appended below)
    edit(("2025-03", "PRC-07", "5000", "Budget"), CONFLICT, budget_amount="18000.00")
    edit(("2025-05", "SAL-05", "4000", "Forecast"), CONFLICT, budget_amount="42000.00", scenario="forecast")
    edit(("2025-06", "WHS-06", "6200", "Budget"), CONFLICT, budget_amount="9000.00")
    edit(("2025-04", "IT-03", "6000", "Budget"), CONFLICT, budget_amount="31000.00", scenario="")
    # keys that will have exact duplicates
    edit(("2025-01", "HR-02", "6100", "Budget"), budget_amount="2400.00")
    edit(("2025-02", "MKT-04", "6000", "Budget"), budget_amount="15500.00", scenario="")
    edit(("2025-04", "FIN-01", "6700", "Forecast"), budget_amount="830.00")
    edit(("2025-05", "PRC-07", "6000", "Budget"), budget_amount="27000.00")

    extras = [
        # exact duplicates
        b("2025-01", "HR-02", "6100", "2400.00", "Budget", DUPLICATE),
        b("2025-02", " mkt-04", "6000 ", "15,500.00", "Budget", DUPLICATE),  # "" scenario == Budget
        b("2025-04", "FIN-01", "6700", "$830", "forecast", DUPLICATE),
        # conflicting budget rows (after cleaning: same key, different rows)
        b("2025-03", "PRC-07", "5000", "18500.00", "Budget", CONFLICT),
        b("2025-05", "SAL-05", "4000", "43000.00", "Forecast", CONFLICT),
        b("2025-06", "WHS-06", "6200", "9000.00", "Budget", DUPLICATE),  # collapses, then conflicts with:
        b("2025-06", "wHS-06", "6200", "9500.00", "Budget", CONFLICT),
        b("2025-04", "IT-03", "6000", "32000.00", "budget", CONFLICT),
        # invalid rows (an invalid row never conflicts with a valid one)
        b("2025-13", "FIN-01", "6000", "1000.00", "Budget", "budget_month is not a valid month"),
        b("2025/03", "HR-02", "6000", "1000.00", "Budget", "budget_month is not a valid month"),
        b("Mar-2025", "IT-03", "6400", "1000.00", "Budget", "budget_month is not a valid month"),
        b("1899-12", "MKT-04", "6500", "1000.00", "Budget", "budget_month is out of range"),
        b("2025-02-01", "SAL-05", "4100", "1000.00", "Budget", "budget_month is not a valid month"),
        b("2025-02", "PRC-07", "6700", "1,23", "Budget", "budget_amount is not a valid amount"),
        b("2025-05", "PRC-07", "6000", "abc", "Budget", "budget_amount is not a valid amount"),  # key also valid above
        b("2025-03", "WHS-06", "6300", "12..5", "Forecast", "budget_amount is not a valid amount"),
        b("2025-04", "", "6000", "1000.00", "Budget", "department_code is missing"),
        b("2025-04", "FIN-01", "  ", "1000.00", "Budget", "account_number is missing"),
        b("2025-04", "LEG-08", "6000", "", "Budget", "budget_amount is missing"),
        b("", "LEG-08", "6600", "1000.00", "Budget", "budget_month is missing"),
        b("2025-06", "MKT-04", "6100", "n/a", "Forecast", "budget_amount is not a valid amount"),
        b("2025-06", "MKT-04", "6100", "n/a", "Forecast", "budget_amount is not a valid amount"),
    ]
    base = [grid[key] for key in order]
    slots = sorted(rng.sample(range(len(base) + 1), len(extras)))
    rows: list[SampleRow] = []
    previous = 0
    for slot, extra in zip(slots, extras, strict=True):
        rows += base[previous:slot]
        rows.append(extra)
        previous = slot
    return rows + base[previous:]


def _tally(rows: Sequence[SampleRow]) -> dict[str, int]:
    outcomes = Counter(row.outcome for row in rows)
    invalid = sum(
        count for outcome, count in outcomes.items() if outcome not in (ACCEPTED, DUPLICATE, SUPERSEDED, CONFLICT)
    )
    return {
        "rows_read": len(rows),
        "accepted": outcomes[ACCEPTED],
        "quarantined": invalid + outcomes[CONFLICT],
        "exact_duplicates": outcomes[DUPLICATE],
        "superseded": outcomes[SUPERSEDED],
        "conflicts": outcomes[CONFLICT],
    }


def write_sample(out: Path) -> str:
    """Write the committed sample extract and its expected.json."""
    rng = Random(SAMPLE_SEED)
    q1 = _interleave(rng, _filler_transactions(rng, 1, 110, date(2025, 1, 1), 90), curated_q1())
    q2 = _interleave(rng, _filler_transactions(rng, 111, 110, date(2025, 4, 1), 91), curated_q2())
    budget = sample_budget(rng)
    out.mkdir(parents=True, exist_ok=True)
    for name, columns, rows in (
        ("transactions_2025_q1.csv", TRANSACTION_COLUMNS, q1),
        ("transactions_2025_q2.csv", TRANSACTION_COLUMNS, q2),
        ("budget_2025.csv", BUDGET_COLUMNS, budget),
    ):
        text = csv_line(columns) + "".join(csv_line(row.fields) for row in rows)
        (out / name).write_text(text, encoding="utf-8", newline="")
    expected = {"transactions": _tally(q1 + q2), "budget": _tally(budget)}
    (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    tx_, bu = expected["transactions"], expected["budget"]
    return (
        f"wrote sample to {out}: {tx_['rows_read']} transaction rows ({tx_['accepted']} accepted), "
        f"{bu['rows_read']} budget rows ({bu['accepted']} accepted)"
    )


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, help="number of transaction rows to write (all files together)")
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument(
        "--files",
        type=int,
        default=0,
        help=f"number of transaction files (default: enough for <= {MAX_ROWS_PER_FILE:,} rows each)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--start-year", type=int, default=2025, help="first year of the period (default 2025)")
    parser.add_argument("--months", type=int, default=12, help="length of the period in months (default 12)")
    parser.add_argument(
        "--delta-of",
        metavar="BASE_DIR",
        help="write a delta extract for a second run over BASE_DIR's output instead "
        "(--rows: its size, default 1%% of the base)",
    )
    parser.add_argument(
        "--sample",
        action="store_true",
        help="write the curated sample extract (data/raw/finance) instead; other options ignored",
    )
    args = parser.parse_args(argv)
    if args.delta_of and not args.sample:
        if args.rows is not None and args.rows < 10:
            parser.error("--rows of a delta must be at least 10")
    elif not args.sample:
        if args.rows is None or args.rows < 1:
            parser.error("--rows N (N >= 1) is required unless --sample is given")
        if args.files < 0 or args.months < 1 or not 1900 <= args.start_year <= 2099:
            parser.error("--files must be >= 0, --months >= 1 and --start-year within 1900..2099")
        if month_start(args.start_year, args.months - 1).year > 2099:
            parser.error("the period must end by 2099-12")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    if args.sample:
        message = write_sample(Path(args.out))
    elif args.delta_of:
        message = generate_delta(args)
    else:
        message = generate(args)
    print(f"{message} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
