#!/usr/bin/env python3
# ruff: noqa: E501  (the edge-case tables read best as one case per line)
"""Generate synthetic source extracts for the four retail pipelines (issue 6).

One function per pipeline builds an extract of ``rows`` source records: deterministic filler rows
plus, at fixed rates, the messy cases the contracts in ``schemas/<pipeline>/`` must handle. Every
record's fate in a correct pipeline (accepted, quarantined with a rule label, exact duplicate,
superseded version) is decided when the record is generated, so the outcome tally written next to the
data is exact, not estimated.

* ``--pipeline P --rows N --out DIR [--seed S]`` writes a large extract of pipeline ``P`` (or
  ``all``) into ``DIR/<pipeline>/`` with ``_expected.json``;
* ``--sample [--out data/raw]`` rewrites the committed samples ``data/raw/<pipeline>/`` and their
  ``expected.json``: the filler rows of a small extract plus hand-written edge cases (ids ``E..``).

Only the standard library is used; output is a pure function of the arguments (one seeded
``random.Random`` per pipeline). Rows are rendered from pre-built string pools, so 1,000,000 rows
take a few seconds per pipeline.

Tally labels are the rule labels a pipeline reports in ``rejected_by_rule``: ``<column> is missing``,
``<column> is not a valid date``, ``<column> is not a valid amount``, ``<column> is not an
integer``, ``<column> is out of range``, ``<column> is not an allowed value``, ``<column> is not a
valid boolean``, ``<column> is not a valid epoch-seconds timestamp``, a row rule's or a JSON rule's
``reject_reason``, the contract's ``conflict_reason`` and ``line is not a JSON object``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from random import Random

PIPELINES = ("store_sales", "customer_transactions", "product_interactions", "json_orders")
SAMPLE_ROWS = {"store_sales": 100, "customer_transactions": 120, "product_interactions": 200, "json_orders": 60}
SAMPLE_SEED = 2025
DEFAULT_SEED = 42
START = date(2025, 1, 1)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# --------------------------------------------------------------------------- #
# Outcome tally
# --------------------------------------------------------------------------- #


@dataclass
class Tally:
    """Outcome counts of one source; ``rows_read = accepted + quarantined + exact_duplicates + superseded``."""

    rows_read: int = 0
    accepted: int = 0
    quarantined: int = 0
    exact_duplicates: int = 0
    superseded: int = 0
    conflicts: int = 0
    reasons: Counter = field(default_factory=Counter)

    def accept(self) -> None:
        self.rows_read += 1
        self.accepted += 1

    def reject(self, reason: str, *, conflict: bool = False) -> None:
        self.rows_read += 1
        self.quarantined += 1
        self.conflicts += conflict
        self.reasons[reason] += 1

    def duplicate(self) -> None:
        self.rows_read += 1
        self.exact_duplicates += 1

    def supersede(self) -> None:
        self.rows_read += 1
        self.superseded += 1

    def as_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "exact_duplicates": self.exact_duplicates,
            "superseded": self.superseded,
            "conflicts": self.conflicts,
            "quarantine_reasons": dict(sorted(self.reasons.items())),
        }


def csv_field(value: str) -> str:
    """One CSV field, quoted when it holds a delimiter, quote or line break."""
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(fields: Iterable[str]) -> str:
    return ",".join(map(csv_field, fields)) + "\n"


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def messy_money(rng: Random, cents: int) -> str:
    """A spelling of an amount that parses to ``cents`` (currency symbol, separators, sign)."""
    plain = money(cents)
    r = rng.random()
    if cents >= 0 and r < 0.05:
        return f"${cents / 100:,.2f}"
    if cents >= 0 and r < 0.08:
        return f" {plain} "
    return plain


def messy_case(rng: Random, value: str) -> str:
    """A spelling that cleans (trim, then the contract's case) back to ``value``."""
    return rng.choice((value.lower(), value.upper(), f" {value} ", f"{value.lower()} "))


POOL_SIZE = 4_096


def remember(rng: Random, pool: list, record: object) -> None:
    """Keep ``record`` as a candidate for a later exact duplicate (a bounded reservoir of recent rows)."""
    if len(pool) < POOL_SIZE:
        pool.append(record)
    else:
        pool[rng.randrange(POOL_SIZE)] = record


@dataclass
class SalesStats:
    """What the accepted store sales add up to (no row is kept: 1,000,000 rows stay small)."""

    rows: int = 0
    returns: int = 0
    revenue: int = 0
    products: set = field(default_factory=set)

    def add(self, day: date, product: str, units: int, total: int) -> None:
        self.rows += 1
        self.returns += units < 0
        self.revenue += total
        self.products.add(product)


@dataclass
class OrderStats:
    """What the accepted JSON orders add up to."""

    orders: int = 0
    items: int = 0
    revenue: int = 0
    customers: set = field(default_factory=set)

    def add(self, customer: str, total: int, items: int) -> None:
        self.orders += 1
        self.items += items
        self.revenue += total
        self.customers.add(customer)


@dataclass
class Extract:
    """Files of one pipeline (name -> text) and its expected outcome."""

    files: dict[str, str]
    expected: dict


# --------------------------------------------------------------------------- #
# store_sales
# --------------------------------------------------------------------------- #

STORE_HEADER = ("Date", "Product", "Category", "Units_Sold", "Unit_Price", "Total_Sales")
STORE_PRODUCTS = (
    ("Laptop", "Electronics", 89_999),
    ("Headphones", "Electronics", 5_999),
    ("Smartphone", "Electronics", 49_950),
    ("T-Shirt", "Clothing", 1_299),
    ("Jeans", "Clothing", 3_950),
    ("Jacket", "Clothing", 7_999),
    ("Coffee Maker", "Home", 4_499),
    ("Blender", "Home", 2_999),
    ("Desk Lamp", "Home", 1_850),
    ("Novel", "Books", 1_499),
    ("Cookbook", "Books", 2_250),
    ("Atlas, World", "Books", 3_500),
)
STORE_CATEGORIES = ("Electronics", "Clothing", "Home", "Books", "Toys", "Sports", "Garden", "Beauty")
STORE_INVALID = (
    ("date", "2025-02-30", "date is not a valid date"),
    ("date", "03/15/2025", "date is not a valid date"),
    ("product", "", "product is missing"),
    ("units_sold", "2.5", "units_sold is not an integer"),
    ("units_sold", "abc", "units_sold is not an integer"),
    ("unit_price", "-4.00", "unit_price is out of range"),
    ("total_sales", "", "total_sales is missing"),
    ("total_sales", "off", "total_sales is not units_sold * unit_price (within 0.01)"),
)
STORE_ROW_RULE = "total_sales is not units_sold * unit_price (within 0.01)"


def _store_products(rows: int) -> list[tuple[str, str, int]]:
    if rows <= 2_000:
        return list(STORE_PRODUCTS)
    rng = Random("store-products")
    count = max(50, rows // 2_000)
    return [
        (f"Product {i:05d}", STORE_CATEGORIES[i % len(STORE_CATEGORIES)], rng.randrange(199, 99_999))
        for i in range(count)
    ]


def build_store_sales(rows: int, seed: int, *, edge_cases: bool) -> Extract:
    """Daily sales lines per (date, product); ~2% returns, ~1% invalid, ~1% exact duplicates."""
    rng = Random(f"{seed}:store_sales")
    products = _store_products(rows)
    per_day = max(1, len(products) * 2 // 3)
    tally = Tally()
    accepted = SalesStats()
    months: dict[str, list[str]] = defaultdict(list)
    pool: list[tuple[str, list[str]]] = []  # (month, raw fields) of accepted filler rows, for duplicates

    def emit(day: date, fields: list[str]) -> None:
        months[day.strftime("%Y_%m")].append(csv_line(fields))

    step = 1 if rows > 2_000 else 5  # the sample spreads its days over three months
    day = START
    emitted = 0
    while emitted < rows:
        for name, category, price in rng.sample(products, per_day):
            if emitted >= rows:
                break
            emitted += 1
            r = rng.random()
            if r < 0.01 and pool:
                month, fields = rng.choice(pool)
                months[month].append(csv_line(fields))
                tally.duplicate()
                continue
            units = rng.randint(1, 20)
            if r > 0.98:
                units = -rng.randint(1, 3)
            unit_price = price + rng.choice((0, 0, 0, -rng.randrange(0, price // 10 + 1)))
            total = units * unit_price
            fields = [
                day.isoformat() if rng.random() > 0.05 else day.strftime("%Y/%m/%d"),
                name,
                category if rng.random() > 0.1 else messy_case(rng, category),
                str(units),
                messy_money(rng, unit_price),
                messy_money(rng, total),
            ]
            if 0.01 <= r < 0.02:
                column, bad, reason = rng.choice(STORE_INVALID)
                index = ("date", "product", "category", "units_sold", "unit_price", "total_sales").index(column)
                fields[index] = money(total + rng.choice((-300, 7, 150))) if bad == "off" else bad
                if bad == "2.5":  # keep the row rule true: one broken rule per invalid row
                    fields[5] = money(round(2.5 * unit_price))
                elif bad == "-4.00":
                    fields[5] = money(units * -400)
                tally.reject(reason)
            else:
                accepted.add(day, name, units, total)
                remember(rng, pool, (day.strftime("%Y_%m"), fields))
                tally.accept()
            emit(day, fields)
        day += timedelta(days=step)

    if edge_cases:
        _store_edge_cases(emit, tally, accepted)
    files = {
        f"store_sales_{month}.csv": csv_line(STORE_HEADER) + "".join(lines) for month, lines in sorted(months.items())
    }
    expected = {
        "sales": tally.as_dict(),
        "star": {
            "fact_sales": accepted.rows,
            "dim_product": len(accepted.products),
            "returns": accepted.returns,
            "revenue": money(accepted.revenue),
        },
    }
    return Extract(files, expected)


def _store_edge_cases(emit: Callable[[date, list[str]], None], tally: Tally, accepted: SalesStats) -> None:
    """Hand-written cases on days after the filler rows' period (2025-06-01 onwards)."""
    d = date(2025, 6, 1)
    cases: list[tuple[list[str], str | None]] = [
        # E01 accepted: messy category spelling and a currency amount
        (["2025-06-01", "Laptop", " electronics ", "2", "$899.99", "$1,799.98"], None),
        # E02 accepted: slash date
        (["2025/06/02", "Laptop", "Electronics", "1", "899.99", "899.99"], None),
        # E03 accepted: total off by exactly one cent (within tolerance)
        (["2025-06-03", "Laptop", "Electronics", "3", "899.99", "2699.98"], None),
        # E04 quarantined: total off by two cents
        (["2025-06-04", "Laptop", "Electronics", "3", "899.99", "2699.95"], STORE_ROW_RULE),
        # E05 accepted: a return (negative units and total)
        (["2025-06-05", "Headphones", "Electronics", "-2", "59.99", "-119.98"], None),
        # E06 quarantined: fractional units
        (["2025-06-06", "Headphones", "Electronics", "1.5", "59.99", "89.99"], "units_sold is not an integer"),
        # E07 quarantined: negative price
        (["2025-06-07", "Headphones", "Electronics", "1", "-59.99", "-59.99"], "unit_price is out of range"),
        # E08 quarantined: impossible date
        (["2025-02-30", "Headphones", "Electronics", "1", "59.99", "59.99"], "date is not a valid date"),
        # E09 quarantined: missing product
        (["2025-06-09", "", "Home", "1", "44.99", "44.99"], "product is missing"),
        # E10 accepted, E11 exact duplicate spelled differently (cleans to the same row)
        (["2025-06-10", "Novel", "Books", "4", "14.99", "59.96"], None),
        (["2025-06-10", "Novel", " BOOKS", "4", "14.99", " 59.96 "], "dup"),
        # E12 + E13 quarantined: conflicting rows for one date and product
        (["2025-06-11", "Jeans", "Clothing", "2", "39.50", "79.00"], "conflict"),
        (["2025-06-11", "Jeans", "Clothing", "3", "39.50", "118.50"], "conflict"),
        # E14 quarantined: a return whose total has the wrong sign
        (["2025-06-12", "Jeans", "Clothing", "-1", "39.50", "39.50"], STORE_ROW_RULE),
        # E15 accepted: a product name holding a comma (quoted field)
        (["2025-06-12", "Atlas, World", "Books", "1", "35.00", "35.00"], None),
    ]
    for fields, fate in cases:
        emit(d, fields)
        if fate is None:
            day = date.fromisoformat(fields[0].replace("/", "-"))
            units = int(fields[3])
            total = int(Decimal(fields[5].strip().strip("$").replace(",", "")) * 100)
            accepted.add(day, fields[1], units, total)
            tally.accept()
        elif fate == "dup":
            tally.duplicate()
        elif fate == "conflict":
            tally.reject("conflicting sales rows", conflict=True)
        else:
            tally.reject(fate)


# --------------------------------------------------------------------------- #
# customer_transactions
# --------------------------------------------------------------------------- #

CT_HEADER = (
    "customer_id", "age", "gender", "city", "category", "product_name", "purchase_date",
    "purchase_amount", "payment_method", "discount_applied", "rating", "repeat_customer",
)  # fmt: skip
CT_CITIES = ("New York", "Chicago", "Houston", "Phoenix", "Seattle", "Denver", "Boston", "Miami")
CT_PRODUCTS = (
    ("Electronics", "Wireless Mouse"), ("Electronics", "USB-C Charger"), ("Clothing", "Running Shoes"),
    ("Clothing", "Rain Jacket"), ("Home", "Scented Candle"), ("Home", "Throw Pillow"),
    ("Beauty", "Face Serum"), ("Sports", "Yoga Mat"), ("Books", "Mystery Novel"), ("Grocery", "Green Tea"),
)  # fmt: skip
CT_PAYMENTS = ("Cash", "Credit Card", "Debit Card", "Mobile Wallet", "Bank Transfer")
CT_GENDERS = ("Female", "Male", "Other")
YES = ("Yes", "yes", "Y", "true", "1")
NO = ("No", "no", "N", "false", "0")
CT_INVALID = (
    (1, "17", "age is out of range"),
    (1, "forty", "age is not an integer"),
    (2, "Unknown", "gender is not an allowed value"),
    (3, "", "city is missing"),
    (6, "2025-13-01", "purchase_date is not a valid date"),
    (7, "-5.00", "purchase_amount is out of range"),
    (8, "Crypto", "payment_method is not an allowed value"),
    (9, "maybe", "discount_applied is not a valid boolean"),
    (10, "6", "rating is out of range"),
    (0, "", "customer_id is missing"),
)
AGE_BINS = ((18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"))


def age_group(age: int) -> str:
    """The dim_customer age bin of an age (18-24, 25-34, 35-44, 45-54, 55-64, 65+)."""
    for low, high, label in AGE_BINS:
        if low <= age <= high:
            return label
    return "65+"


@dataclass(frozen=True)
class Customer:
    customer_id: str
    age: int
    birthday: int  # day offset from START when the age goes up by one
    gender: str
    city: str
    repeat_from: int | None  # day offset from which repeat_customer is Yes (None: always No)

    def attributes(self, day: int) -> tuple[int, str, bool]:
        age = self.age + (day >= self.birthday)
        return age, self.gender, self.repeat_from is not None and day >= self.repeat_from


def _customer_versions(purchases: dict[str, list[tuple[int, tuple]]]) -> int:
    """dim_customer versions (type 2 on age_group, gender, repeat flag) the accepted purchases imply."""
    versions = 0
    for history in purchases.values():
        previous = None
        for _, (age, gender, repeat) in sorted(history):
            tracked = (age_group(age), gender, repeat)
            versions += tracked != previous
            previous = tracked
    return versions


def build_customer_transactions(rows: int, seed: int, *, edge_cases: bool) -> Extract:
    """Purchases on distinct days per customer; ages, repeat flags change over time (SCD2)."""
    rng = Random(f"{seed}:customer_transactions")
    days = 180 if rows <= 2_000 else 730
    n_customers = max(12, rows // 8)
    customers = [
        Customer(
            f"CUST-{i:06d}",
            rng.choice((rng.randint(18, 80), 24, 34)),
            rng.randrange(days),
            rng.choice(CT_GENDERS),
            rng.choice(CT_CITIES),
            rng.randrange(days) if rng.random() < 0.5 else (0 if rng.random() < 0.4 else None),
        )
        for i in range(n_customers)
    ]
    tally = Tally()
    lines: list[str] = []
    pool: list[list[str]] = []
    purchases: dict[str, list[tuple[int, tuple]]] = defaultdict(list)
    amount_total = 0
    used_days: dict[str, set[int]] = defaultdict(set)
    emitted = 0
    index = 0
    while emitted < rows:
        customer = customers[index % n_customers]
        index += 1
        count = min(rows - emitted, rng.randint(1, 15))
        taken = used_days[customer.customer_id]
        chosen = sorted(d for d in rng.sample(range(days), count) if d not in taken)
        taken.update(chosen)  # one purchase day per customer and day: no accidental key conflicts
        for day in chosen:
            emitted += 1
            r = rng.random()
            if r < 0.01 and pool:
                lines.append(csv_line(rng.choice(pool)))
                tally.duplicate()
                continue
            age, gender, repeat = customer.attributes(day)
            category, product = rng.choice(CT_PRODUCTS)
            cents = rng.randrange(500, 50_000)
            when = START + timedelta(days=day)
            fields = [
                customer.customer_id if rng.random() > 0.05 else customer.customer_id.lower(),
                str(age),
                gender if rng.random() > 0.1 else messy_case(rng, gender),
                customer.city if rng.random() > 0.1 else messy_case(rng, customer.city),
                category,
                product,
                when.isoformat() if rng.random() > 0.05 else when.strftime("%Y/%m/%d"),
                messy_money(rng, cents),
                rng.choice(CT_PAYMENTS),
                rng.choice(YES if rng.random() < 0.3 else NO),
                "" if rng.random() < 0.2 else str(rng.randint(1, 5)),
                rng.choice(YES if repeat else NO),
            ]
            if 0.01 <= r < 0.02:
                column, bad, reason = rng.choice(CT_INVALID)
                fields[column] = bad
                tally.reject(reason)
            else:
                tally.accept()
                remember(rng, pool, fields)
                purchases[customer.customer_id].append((day, (age, gender, repeat)))
                amount_total += cents
            lines.append(csv_line(fields))
    if edge_cases:
        amount_total += _customer_edge_cases(lines, tally, purchases)
    half = len(lines) // 2
    files = {
        "customer_transactions_2025_h1_part1.csv": csv_line(CT_HEADER) + "".join(lines[:half]),
        "customer_transactions_2025_h1_part2.csv": csv_line(CT_HEADER) + "".join(lines[half:]),
    }
    expected = {
        "transactions": tally.as_dict(),
        "star": {
            "fact_orders": sum(len(h) for h in purchases.values()),
            "dim_customer_versions": _customer_versions(purchases),
            "customers": len(purchases),
            "revenue": money(amount_total),
        },
    }
    return Extract(files, expected)


def _customer_edge_cases(lines: list[str], tally: Tally, purchases: dict) -> int:
    """Hand-written cases for customers E01-E05 (ids CUST-E..); returns the accepted amount in cents."""
    rows: list[tuple[list[str], str | None]] = [
        # CUST-E01: repeat flag No -> Yes and age 24 -> 25 on 2025-03-10: three dim_customer versions
        (["cust-e01", "24", "female", "seattle", "Home", "Throw Pillow", "2025-01-15", "25.00", "cash", "No", "4", "No"], None),
        (["CUST-E01", "24", "Female", "Seattle", "Home", "Scented Candle", "2025-02-20", "12.50", "Cash", "no", "", "Yes"], None),
        (["CUST-E01", "25", "Female", "Denver", "Sports", "Yoga Mat", "2025/03/10", "$1,020.00", "Credit Card", "YES", "5", "y"], None),
        # CUST-E02: conflicting purchases (same customer, day, product; different amounts)
        (["CUST-E02", "40", "Male", "Boston", "Books", "Mystery Novel", "2025-02-01", "15.00", "Cash", "No", "3", "No"], "conflicting purchases"),
        (["CUST-E02", "40", "Male", "Boston", "Books", "Mystery Novel", "2025-02-01", "18.00", "Cash", "No", "3", "No"], "conflicting purchases"),
        # CUST-E03: two products on one day with different repeat flags: both quarantined
        (["CUST-E03", "66", "Other", "Miami", "Grocery", "Green Tea", "2025-04-01", "8.00", "Debit Card", "0", "2", "No"], "attr"),
        (["CUST-E03", "66", "Other", "Miami", "Beauty", "Face Serum", "2025-04-01", "30.00", "Debit Card", "0", "2", "Yes"], "attr"),
        # CUST-E04: an exact duplicate spelled differently
        (["CUST-E04", "52", "Male", "Chicago", "Electronics", "USB-C Charger", "2025-05-05", "19.99", "Mobile Wallet", "true", "1", "false"], None),
        ([" cust-e04 ", " 52 ", "MALE", "chicago", "electronics", "USB-C Charger", "2025/05/05", "$19.99", "mobile wallet", "1", "1", "0"], "dup"),
        # invalid booleans, age and payment method
        (["CUST-E05", "33", "Female", "Houston", "Clothing", "Rain Jacket", "2025-05-06", "80.00", "Cash", "sometimes", "", "No"], "discount_applied is not a valid boolean"),
        (["CUST-E05", "130", "Female", "Houston", "Clothing", "Running Shoes", "2025-05-07", "95.00", "Cash", "No", "", "No"], "age is out of range"),
        (["CUST-E05", "33", "Female", "Houston", "Clothing", "Running Shoes", "2025-05-08", "95.00", "Bitcoin", "No", "", "No"], "payment_method is not an allowed value"),
    ]  # fmt: skip
    cents = 0
    for fields, fate in rows:
        lines.append(csv_line(fields))
        if fate is None:
            tally.accept()
            day = (date.fromisoformat(fields[6].replace("/", "-")) - START).days
            yes = fields[11].strip().lower() in ("yes", "y", "true", "1")
            purchases[fields[0].strip().upper()].append((day, (int(fields[1]), fields[2].strip().title(), yes)))
            cents += int(Decimal(fields[7].strip("$").replace(",", "")) * 100)
        elif fate == "dup":
            tally.duplicate()
        elif fate == "attr":
            tally.reject("conflicting customer attributes on one day")
        elif fate == "conflicting purchases":
            tally.reject(fate, conflict=True)
        else:
            tally.reject(fate)
    return cents


# --------------------------------------------------------------------------- #
# product_interactions
# --------------------------------------------------------------------------- #

PI_HEADER = ("user_id", "item_id", "event_type", "timestamp")
PI_TYPES = ("VIEW", "ADD_TO_CART", "PURCHASE")
PI_START = int((datetime(2025, 1, 1, tzinfo=timezone.utc) - EPOCH).total_seconds())
PI_INVALID = (
    (2, "WISHLIST", "event_type is not an allowed value"),
    (2, "click", "event_type is not an allowed value"),
    (2, "", "event_type is missing"),
    (3, "abc", "timestamp is not a valid epoch-seconds timestamp"),
    (3, "1735689600.5", "timestamp is not a valid epoch-seconds timestamp"),
    (3, "1735689600000", "timestamp is out of range"),
    (0, "", "user_id is missing"),
)


def build_product_interactions(rows: int, seed: int, *, edge_cases: bool) -> Extract:
    """Funnel sessions (view, maybe add to cart, maybe purchase) with globally distinct timestamps."""
    rng = Random(f"{seed}:product_interactions")
    n_users, n_items = max(15, rows // 20), max(10, rows // 50)
    users = [f"U{i:06d}" for i in range(n_users)]
    items = [f"ITEM-{i:05d}" for i in range(n_items)]
    period = 90 * 86_400 if rows <= 2_000 else 365 * 86_400
    spacing = max(64, period // max(1, rows // 2))
    tally = Tally()
    lines: list[str] = []
    pool: list[list[str]] = []
    accepted: list[tuple[str, str, str, int]] = []
    spell = {
        "VIEW": ("VIEW", "view", " View"),
        "ADD_TO_CART": ("ADD_TO_CART", "add_to_cart"),
        "PURCHASE": ("PURCHASE", "purchase"),
    }
    session = 0
    while len(lines) < rows:
        start = PI_START + session * spacing + rng.randrange(spacing - 63)
        session += 1
        user, item = rng.choice(users), rng.choice(items)
        events = [("VIEW", 0)]
        if rng.random() < 0.35:
            events.append(("ADD_TO_CART", rng.randint(1, 20)))
            if rng.random() < 0.6:
                events.append(("PURCHASE", rng.randint(21, 60)))
        for event_type, offset in events:
            if len(lines) >= rows:
                break
            r = rng.random()
            if r < 0.02 and pool:
                lines.append(csv_line(rng.choice(pool)))
                tally.duplicate()
                continue
            stamp = start + offset
            fields = [user, item, rng.choice(spell[event_type]) if rng.random() < 0.1 else event_type, str(stamp)]
            if 0.02 <= r < 0.03:
                column, bad, reason = rng.choice(PI_INVALID)
                fields[column] = bad
                tally.reject(reason)
            else:
                tally.accept()
                remember(rng, pool, fields)
                accepted.append((user, item, event_type, stamp))
            lines.append(csv_line(fields))
    if edge_cases:
        _interaction_edge_cases(lines, tally, accepted)
    half = len(lines) // 2
    files = {
        "events_2025_part1.csv": csv_line(PI_HEADER) + "".join(lines[:half]),
        "events_2025_part2.csv": csv_line(PI_HEADER) + "".join(lines[half:]),
    }
    by_type = Counter(e[2] for e in accepted)
    expected = {
        "events": tally.as_dict(),
        "star": {
            "fact_events": len(accepted),
            "dim_user": len({e[0] for e in accepted}),
            "dim_item": len({e[1] for e in accepted}),
            "events_by_type": {t: by_type[t] for t in PI_TYPES},
        },
    }
    return Extract(files, expected)


def _interaction_edge_cases(lines: list[str], tally: Tally, accepted: list) -> None:
    t = int((datetime(2025, 4, 15, 23, 59, 59, tzinfo=timezone.utc) - EPOCH).total_seconds())
    rows: list[tuple[list[str], str | None]] = [
        (["UE01", "ITEM-E01", "VIEW", str(t)], None),  # 23:59:59 UTC on 2025-04-15
        (["UE01", "ITEM-E01", " view ", f" {t} "], "dup"),  # identical after cleaning
        (["UE01", "ITEM-E01", "VIEW", str(t)], "dup"),  # identical line
        (["UE01", "ITEM-E01", "purchase", str(t + 1)], None),  # 00:00:00 on 2025-04-16
        (["UE01", "ITEM-E01", "WISHLIST", str(t + 2)], "event_type is not an allowed value"),
        (["UE02", "ITEM-E01", "Add_To_Cart", str(t + 3)], None),
        (["UE02", "ITEM-E01", "REFUND", str(t + 4)], "event_type is not an allowed value"),
        (["UE02", "ITEM-E01", "VIEW", str((t + 5) * 1000)], "timestamp is out of range"),
        (["UE02", "ITEM-E01", "VIEW", "-86400"], "timestamp is out of range"),
        (["UE02", "ITEM-E01", "VIEW", "2025-04-16T00:00:05"], "timestamp is not a valid epoch-seconds timestamp"),
        (["UE02", "", "VIEW", str(t + 6)], "item_id is missing"),
    ]
    for fields, fate in rows:
        lines.append(csv_line(fields))
        if fate is None:
            tally.accept()
            accepted.append((fields[0], fields[1], fields[2].strip().upper(), int(fields[3])))
        elif fate == "dup":
            tally.duplicate()
        else:
            tally.reject(fate)


# --------------------------------------------------------------------------- #
# json_orders
# --------------------------------------------------------------------------- #

JO_COUNTRIES = ("US", "DE", "FR", "GB", "NL", "ES")
JO_CATEGORIES = ("Electronics", "Books", "Home", "Toys", "Garden")
JO_METHODS = ("Card", "Paypal", "Gift Card", "Bank Transfer")
JSON_RULE = "payments do not add up to the items total (within 0.01)"


def _dump(order: dict) -> str:
    return json.dumps(order, separators=(",", ":"), ensure_ascii=False) + "\n"


def _payments(rng: Random, total: int) -> list[dict]:
    if total > 2_000 and rng.random() < 0.2:
        first = rng.randrange(1_000, total)
        return [
            {"method": "Gift Card", "amount": money(first)},
            {"method": rng.choice(JO_METHODS), "amount": money(total - first)},
        ]
    return [{"method": rng.choice(JO_METHODS), "amount": money(total)}]


def build_json_orders(rows: int, seed: int, *, edge_cases: bool) -> Extract:
    """Orders over six months (sample) or two years; customers return with a decaying probability."""
    rng = Random(f"{seed}:json_orders")
    n_months = 6 if rows <= 2_000 else 24
    n_customers = max(12, rows // 5)
    skus = [(f"SKU-{i:04d}", f"Product {i}", JO_CATEGORIES[i % len(JO_CATEGORIES)], rng.randrange(199, 19_999))
            for i in range(max(15, rows // 200))]  # fmt: skip
    first_month = {f"C{i:05d}": rng.randrange(n_months) for i in range(n_customers)}
    names = {c: f"Customer {c[1:]}" for c in first_month}
    country = {c: rng.choice(JO_COUNTRIES) for c in first_month}
    tally = Tally()
    files: dict[int, list[str]] = defaultdict(list)
    accepted = OrderStats()
    pool: list[tuple[int, str]] = []
    emitted = 0
    number = 0
    while emitted < rows:
        customer = f"C{rng.randrange(n_customers):05d}"
        # half of a customer's orders fall in their cohort month, the rest one to three months later
        month = min(n_months - 1, first_month[customer] + (0 if rng.random() < 0.5 else rng.randint(1, 3)))
        number += 1
        emitted += 1
        r = rng.random()
        if r < 0.01 and pool:
            file_month, line = rng.choice(pool)
            files[min(n_months - 1, file_month + 1)].append(line)  # re-sent unchanged in the next file
            tally.duplicate()
            continue
        year, mon = 2025 + month // 12, month % 12 + 1
        day = date(year, mon, rng.randint(1, 28))
        items = []
        total = 0
        for sku, name, category, price in rng.sample(skus, rng.randint(1, 3)):
            quantity = rng.randint(1, 4)
            items.append(
                {"sku": sku, "name": name, "category": category, "quantity": quantity, "unit_price": money(price)}
            )
            total += quantity * price
        order = {
            "order_id": f"ORD-{number:08d}",
            "order_date": day.isoformat(),
            "updated_at": f"{day.isoformat()}T{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}:00",
            "customer": {"id": customer, "name": names[customer], "country": country[customer], "email": f"{customer.lower()}@example.com"},
            "payments": _payments(rng, total),
            "items": items,
        }  # fmt: skip
        if rng.random() < 0.05:
            order["customer"]["loyalty_tier"] = "gold"  # drift: an unknown nested field
        if rng.random() < 0.05:
            del order["customer"]["email"]  # drift: a missing optional field
        if 0.01 <= r < 0.02:
            kind = rng.randrange(4)
            if kind == 0:
                del order["customer"]["id"]
                reason = "customer.id is missing"
            elif kind == 1:
                item = order["items"][0]
                total -= item["quantity"] * int(Decimal(item["unit_price"]) * 100)
                item["quantity"] = 0
                order["payments"] = [{"method": "Card", "amount": money(total)}]
                reason = "items.quantity is out of range"
            elif kind == 2:
                order["payments"][0]["amount"] = money(total + 500)
                reason = JSON_RULE
            else:
                order["order_date"] = f"{year}-02-30"
                reason = "order_date is not a valid date"
            tally.reject(reason)
        else:
            tally.accept()
            accepted.add(customer, total, len(items))
        line = _dump(order)
        files[month].append(line)
        if 0.01 <= r < 0.02:
            continue
        remember(rng, pool, (month, line))
    if edge_cases:
        _json_edge_cases(files, tally, accepted)
    unknown: Counter = Counter()
    for lines in files.values():
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            unknown.update(
                f for f in record if f not in ("order_id", "order_date", "updated_at", "customer", "payments", "items")
            )
            customer = record.get("customer") or {}
            unknown.update(f"customer.{f}" for f in customer if f not in ("id", "name", "country", "email"))
            for item in record.get("items") or []:
                unknown.update(
                    f"items.{f}" for f in item if f not in ("sku", "name", "category", "quantity", "unit_price")
                )
    out = {f"orders_{2025 + m // 12}_{m % 12 + 1:02d}.json": "".join(lines) for m, lines in sorted(files.items())}
    expected = {
        "orders": tally.as_dict(),
        "unknown_fields": dict(sorted(unknown.items())),
        "star": {
            "fact_orders": accepted.orders,
            "fact_order_items": accepted.items,
            "dim_customer": len(accepted.customers),
            "revenue": money(accepted.revenue),
        },
    }
    return Extract(out, expected)


def _json_edge_cases(files: dict[int, list[str]], tally: Tally, accepted: OrderStats) -> None:
    """Hand-written orders ORD-E01..E12 (June 2025 file unless noted)."""
    base = {
        "order_id": "ORD-E01",
        "order_date": "2025-06-03",
        "updated_at": "2025-06-03T10:00:00",
        "customer": {"id": "CE1", "name": "Edge One", "country": "DE", "email": "ce1@example.com"},
        "payments": [{"method": "Card", "amount": "59.97"}],
        "items": [{"sku": "SKU-0001", "name": "Product 1", "category": "Books", "quantity": 3, "unit_price": "19.99"}],
    }

    def variant(order_id: str, **changes: object) -> dict:
        order = json.loads(json.dumps(base))
        order["order_id"] = order_id
        order.update(changes)
        return order

    june: list[tuple[str, str | None, dict | None]] = []
    # E01 accepted, with an unknown top-level field (drift) and numbers given as strings
    e01 = variant("ORD-E01", coupon_code="SPRING25")
    e01["items"][0]["quantity"] = "3"
    june.append((_dump(e01), None, e01))
    # E02 accepted: missing optional fields (customer email and country, item category, updated_at)
    e02 = variant("ORD-E02")
    del e02["customer"]["email"], e02["customer"]["country"], e02["items"][0]["category"], e02["updated_at"]
    june.append((_dump(e02), None, e02))
    # E03 quarantined: malformed JSON (a truncated line)
    june.append(
        ('{"order_id":"ORD-E03","order_date":"2025-06-04","customer":{"id":"CE1"\n', "line is not a JSON object", None)
    )
    # E04 quarantined: an empty items array
    june.append((_dump(variant("ORD-E04", items=[])), "items is empty", None))
    # E05 quarantined: the customer object is missing
    e05 = variant("ORD-E05")
    del e05["customer"]
    june.append((_dump(e05), "customer is missing", None))
    # E06 quarantined: quantity "two"
    e06 = variant("ORD-E06")
    e06["items"][0]["quantity"] = "two"
    june.append((_dump(e06), "items.quantity is not an integer", None))
    # E07 quarantined: payments short of the items total
    june.append((_dump(variant("ORD-E07", payments=[{"method": "Card", "amount": "50.00"}])), JSON_RULE, None))
    # E08 superseded by E08' (newer updated_at, one more unit), E08' accepted
    e08 = variant("ORD-E08", updated_at="2025-06-05T09:00:00")
    e08b = variant("ORD-E08", updated_at="2025-06-06T09:00:00", payments=[{"method": "Card", "amount": "79.96"}])
    e08b["items"][0]["quantity"] = 4
    june += [(_dump(e08), "superseded", None), (_dump(e08b), None, e08b)]
    # E09 + E09': same order id and updated_at, different content: both quarantined
    e09b = variant("ORD-E09", payments=[{"method": "Paypal", "amount": "59.97"}])
    june += [(_dump(variant("ORD-E09")), "conflict", None), (_dump(e09b), "conflict", None)]
    # E10 accepted and re-sent unchanged (exact duplicate)
    e10 = variant("ORD-E10", customer={"id": "ce2", "name": "Edge Two", "country": "fr", "loyalty_tier": "silver"})
    june += [(_dump(e10), None, e10), (_dump(e10), "dup", None)]
    # E11 accepted: a late order dated in May inside the June file (partitioned by order_date)
    e11 = variant("ORD-E11", order_date="2025-05-31", updated_at="2025-06-01T08:00:00")
    june.append((_dump(e11), None, e11))
    # E12 accepted: two items, two payments
    e12 = variant(
        "ORD-E12",
        items=[*base["items"], {"sku": "SKU-0002", "name": "Product 2", "category": "Home", "quantity": 1, "unit_price": "5.03"}],
        payments=[{"method": "Gift Card", "amount": "25.00"}, {"method": "Card", "amount": "40.00"}],
    )  # fmt: skip
    june.append((_dump(e12), None, e12))
    for line, fate, order in june:
        files[5].append(line)
        if fate is None:
            tally.accept()
            total = sum(int(i["quantity"]) * int(Decimal(i["unit_price"]) * 100) for i in order["items"])
            accepted.add(order["customer"]["id"].upper(), total, len(order["items"]))
        elif fate == "dup":
            tally.duplicate()
        elif fate == "superseded":
            tally.supersede()
        elif fate == "conflict":
            tally.reject("conflicting order versions", conflict=True)
        else:
            tally.reject(fate)


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #

BUILDERS: dict[str, Callable[..., Extract]] = {
    "store_sales": build_store_sales,
    "customer_transactions": build_customer_transactions,
    "product_interactions": build_product_interactions,
    "json_orders": build_json_orders,
}


def build(pipeline: str, rows: int, seed: int, *, sample: bool = False) -> Extract:
    """The extract of ``pipeline``: ``rows`` filler records (plus the edge cases for a sample)."""
    if pipeline not in BUILDERS:
        raise ValueError(f"pipeline must be one of {', '.join(PIPELINES)}; got {pipeline!r}")
    return BUILDERS[pipeline](rows, seed, edge_cases=sample)


def sample(pipeline: str) -> Extract:
    """The committed sample of ``pipeline``."""
    return build(pipeline, SAMPLE_ROWS[pipeline], SAMPLE_SEED, sample=True)


def write(extract: Extract, out: Path, expected_name: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in extract.files.items():
        (out / name).write_text(text, encoding="utf-8", newline="")
    (out / expected_name).write_text(json.dumps(extract.expected, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipeline", default="all", choices=(*PIPELINES, "all"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--sample", action="store_true", help="rewrite the committed samples (data/raw/<pipeline>)")
    args = parser.parse_args(argv)
    pipelines = PIPELINES if args.pipeline == "all" else (args.pipeline,)
    for pipeline in pipelines:
        if args.sample:
            out = (args.out or Path(__file__).resolve().parent / "raw") / pipeline
            write(sample(pipeline), out, "expected.json")
        else:
            out = (args.out or Path("data/generated")) / pipeline
            write(build(pipeline, args.rows, args.seed), out, "_expected.json")
        print(f"{pipeline}: wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
