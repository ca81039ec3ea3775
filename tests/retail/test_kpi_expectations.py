"""KPI expectations of the retail pipelines on tiny hand-computed inputs (no Spark).

``tests/retail/fixtures/<pipeline>.json`` holds a tiny raw extract, its outcome tally and the rows
each KPI view (or json_orders mart) must return, computed by hand. The pipeline tests assert the
Spark output and the views against the same files. Here a small pure-Python reference pipeline
recomputes every number from the raw input, so the hand-computed constants are self-consistent; the
cohort retention is computed a second, independent way.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CENT = Decimal("0.01")
OPEN_END = date(9999, 12, 31)
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


def _fixture(pipeline: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{pipeline}.json").read_text(encoding="utf-8"))


def _csv_rows(fixture: dict[str, Any]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for lines in fixture["input"].values():
        reader = csv.DictReader(lines)
        rows += [{k.lower(): v.strip() for k, v in row.items()} for row in reader]
    return rows


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> str | None:
    """``ROUND(x / NULLIF(y, 0), 2)`` as SQL computes it (half away from zero)."""
    return None if denominator == 0 else _money(Decimal(numerator) / Decimal(denominator))


def _pct(numerator: Decimal | int, denominator: Decimal | int) -> str | None:
    return _ratio(Decimal(100) * Decimal(numerator), denominator)


def _dedup(rows: Iterable[tuple]) -> tuple[list[tuple], int]:
    """Exact duplicates (identical after cleaning) collapse to the first; returns rows and the count removed."""
    seen: dict[tuple, None] = {}
    total = 0
    for row in rows:
        total += 1
        seen.setdefault(row)
    return list(seen), total - len(seen)


def _outcome(read: int, accepted: int, quarantined: int, duplicates: int, superseded: int = 0) -> dict[str, int]:
    assert read == accepted + quarantined + duplicates + superseded
    return {
        "rows_read": read,
        "accepted": accepted,
        "quarantined": quarantined,
        "exact_duplicates": duplicates,
        "superseded": superseded,
    }


# --------------------------------------------------------------------------- #
# store_sales
# --------------------------------------------------------------------------- #


def store_sales_reference(fixture: dict[str, Any]) -> dict[str, Any]:
    raw = _csv_rows(fixture)
    valid = []
    for row in raw:
        units, price, total = int(row["units_sold"]), Decimal(row["unit_price"]), Decimal(row["total_sales"])
        if abs(total - units * price) > CENT:
            continue
        day = date.fromisoformat(row["date"].replace("/", "-"))
        valid.append((day, row["product"], row["category"].title(), units, price, total))
    sales, duplicates = _dedup(valid)
    daily: dict[date, list] = defaultdict(list)
    by_product: dict[tuple[str, str], list] = defaultdict(list)
    by_month: dict[tuple[int, int, str], list] = defaultdict(list)
    for sale in sales:
        daily[sale[0]].append(sale)
        by_product[(sale[1], sale[2])].append(sale)
        by_month[(sale[0].year, sale[0].month, sale[2])].append(sale)
    revenue = {key: sum((s[5] for s in rows), Decimal(0)) for key, rows in by_product.items()}
    ranked = sorted(revenue.values(), reverse=True)
    return {
        "outcome": _outcome(len(raw), len(sales), len(raw) - len(valid), duplicates),
        "kpis": {
            "kpi_daily_revenue": [
                {
                    "full_date": day.isoformat(),
                    "revenue": _money(sum((s[5] for s in rows), Decimal(0))),
                    "gross_sales": _money(sum((s[5] for s in rows if s[3] >= 0), Decimal(0))),
                    "returns_amount": _money(sum((-s[5] for s in rows if s[3] < 0), Decimal(0))),
                    "net_units": sum(s[3] for s in rows),
                    "sales_lines": len(rows),
                }
                for day, rows in sorted(daily.items())
            ],
            "kpi_top_products": [
                {
                    "product_name": product,
                    "category": category,
                    "revenue": _money(revenue[(product, category)]),
                    "net_units": sum(s[3] for s in rows),
                    "revenue_rank": ranked.index(revenue[(product, category)]) + 1,
                }
                for (product, category), rows in sorted(by_product.items(), key=lambda kv: -revenue[kv[0]])
            ],
            "kpi_category_monthly_revenue": [
                {
                    "year": year,
                    "month": month,
                    "category": category,
                    "revenue": _money(sum((s[5] for s in rows), Decimal(0))),
                    "net_units": sum(s[3] for s in rows),
                    "sales_lines": len(rows),
                }
                for (year, month, category), rows in sorted(by_month.items())
            ],
        },
    }


# --------------------------------------------------------------------------- #
# customer_transactions
# --------------------------------------------------------------------------- #


def age_group(age: int) -> str:
    for low, high, label in (
        (18, 24, "18-24"),
        (25, 34, "25-34"),
        (35, 44, "35-44"),
        (45, 54, "45-54"),
        (55, 64, "55-64"),
    ):
        if low <= age <= high:
            return label
    return "65+"


def _flag(value: str) -> bool:
    assert value.lower() in YES | NO, value
    return value.lower() in YES


def scd2_versions(purchases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Type-2 versions: a new version wherever the tracked attributes change between purchase dates."""
    versions: list[dict[str, Any]] = []
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for purchase in purchases:
        by_customer[purchase["customer_id"]].append(purchase)
    for customer_id in sorted(by_customer):
        mine: list[dict[str, Any]] = []
        for purchase in sorted(by_customer[customer_id], key=lambda p: p["purchase_date"]):
            tracked = (age_group(purchase["age"]), purchase["gender"], purchase["repeat_customer"])
            if not mine or (mine[-1]["age_group"], mine[-1]["gender"], mine[-1]["is_repeat_customer"]) != tracked:
                if mine:
                    mine[-1]["valid_to"] = purchase["purchase_date"] - timedelta(days=1)
                    mine[-1]["is_current"] = False
                mine.append(
                    {
                        "customer_id": customer_id,
                        "age_group": tracked[0],
                        "gender": tracked[1],
                        "is_repeat_customer": tracked[2],
                        "valid_from": purchase["purchase_date"],
                        "valid_to": OPEN_END,
                        "is_current": True,
                    }
                )
        versions += mine
    return versions


def version_on(versions: list[dict[str, Any]], customer_id: str, day: date) -> dict[str, Any]:
    (match,) = [v for v in versions if v["customer_id"] == customer_id and v["valid_from"] <= day <= v["valid_to"]]
    return match


def customer_transactions_reference(fixture: dict[str, Any]) -> dict[str, Any]:
    raw = _csv_rows(fixture)
    valid = []
    for row in raw:
        if not 18 <= int(row["age"]) <= 120:
            continue
        valid.append(
            (
                row["customer_id"].upper(),
                int(row["age"]),
                row["gender"].title(),
                row["city"].title(),
                row["category"].title(),
                row["product_name"],
                date.fromisoformat(row["purchase_date"].replace("/", "-")),
                Decimal(row["purchase_amount"]),
                row["payment_method"].title(),
                _flag(row["discount_applied"]),
                int(row["rating"]) if row["rating"] else None,
                _flag(row["repeat_customer"]),
            )
        )
    unique, duplicates = _dedup(valid)
    names = ("customer_id", "age", "gender", "city", "category", "product_name", "purchase_date",
             "purchase_amount", "payment_method", "discount_applied", "rating", "repeat_customer")  # fmt: skip
    orders = [dict(zip(names, row, strict=True)) for row in unique]
    versions = scd2_versions(orders)
    for order in orders:
        order["version"] = version_on(versions, order["customer_id"], order["purchase_date"])

    def grouped(key: Any) -> list[tuple[Any, list[dict[str, Any]]]]:
        groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for order in orders:
            groups[key(order)].append(order)
        return sorted(groups.items())

    def measures(rows: list[dict[str, Any]]) -> dict[str, Any]:
        revenue = sum((o["purchase_amount"] for o in rows), Decimal(0))
        return {"order_count": len(rows), "revenue": _money(revenue), "aov": _ratio(revenue, len(rows))}

    total = sum((o["purchase_amount"] for o in orders), Decimal(0))
    return {
        "outcome": _outcome(len(raw), len(orders), len(raw) - len(valid), duplicates),
        "dim_customer": [
            {**v, "valid_from": v["valid_from"].isoformat(), "valid_to": v["valid_to"].isoformat()} for v in versions
        ],
        "kpis": {
            "kpi_total_revenue": [
                {
                    "total_revenue": _money(total),
                    "order_count": len(orders),
                    "customer_count": len({o["customer_id"] for o in orders}),
                    "aov": _ratio(total, len(orders)),
                }
            ],
            "kpi_orders_by_category_month": [
                {"year": y, "month": m, "category": c, **measures(rows)}
                for (y, m, c), rows in grouped(
                    lambda o: (o["purchase_date"].year, o["purchase_date"].month, o["category"])
                )
            ],
            "kpi_orders_by_city": [{"city": c, **measures(rows)} for c, rows in grouped(lambda o: o["city"])],
            "kpi_orders_by_payment_method": [
                {"payment_method": p, **measures(rows)} for p, rows in grouped(lambda o: o["payment_method"])
            ],
            "kpi_orders_by_discount": [
                {"discount_applied": d, **measures(rows)} for d, rows in grouped(lambda o: o["discount_applied"])
            ],
            "kpi_repeat_vs_new": [
                {
                    "customer_type": t,
                    "order_count": len(rows),
                    "customer_count": len({o["customer_id"] for o in rows}),
                    **{k: v for k, v in measures(rows).items() if k != "order_count"},
                }
                for t, rows in grouped(lambda o: "Repeat" if o["version"]["is_repeat_customer"] else "New")
            ],
        },
    }


# --------------------------------------------------------------------------- #
# product_interactions
# --------------------------------------------------------------------------- #

FUNNEL = {"VIEW": 1, "ADD_TO_CART": 2, "PURCHASE": 3}


def product_interactions_reference(fixture: dict[str, Any]) -> dict[str, Any]:
    raw = _csv_rows(fixture)
    valid = [
        (r["user_id"], r["item_id"], r["event_type"].upper(), int(r["timestamp"]))
        for r in raw
        if r["event_type"].upper() in FUNNEL
    ]
    events, duplicates = _dedup(valid)
    moment = {e: datetime.fromtimestamp(e[3], tz=timezone.utc) for e in events}
    pairs: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for user, item, kind, _ in events:
        pairs[(user, item)][kind] += 1

    def conversion(selected: dict[tuple[str, str], Counter]) -> dict[str, Any]:
        viewed = [c for c in selected.values() if c["VIEW"]]
        converted = [c for c in viewed if c["PURCHASE"]]
        return {"viewers": len(viewed), "converted": len(converted), "rate": _pct(len(converted), len(viewed))}

    by_type: dict[str, list[tuple]] = defaultdict(list)
    by_day: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for event in events:
        by_type[event[2]].append(event)
        by_day[(moment[event].date().isoformat(), event[2])].append(event)
    items = sorted({e[1] for e in events})
    item_rows = []
    for item in items:
        mine = {pair: counts for pair, counts in pairs.items() if pair[1] == item}
        conv = conversion(mine)
        item_rows.append(
            {
                "item_id": item,
                "views": sum(c["VIEW"] for c in mine.values()),
                "add_to_carts": sum(c["ADD_TO_CART"] for c in mine.values()),
                "purchases": sum(c["PURCHASE"] for c in mine.values()),
                "viewers": conv["viewers"],
                "converted_viewers": conv["converted"],
                "conversion_rate_pct": conv["rate"],
            }
        )
    overall = conversion(pairs)
    return {
        "outcome": _outcome(len(raw), len(events), len(raw) - len(valid), duplicates),
        "fact_events_times": [
            {
                "timestamp": e[3],
                "date_key": int(moment[e].strftime("%Y%m%d")),
                "time_of_day": moment[e].strftime("%H:%M:%S"),
                "hour_of_day": moment[e].hour,
            }
            for e in events
        ],
        "kpis": {
            "kpi_events_by_type": [
                {
                    "event_type": kind,
                    "funnel_step": FUNNEL[kind],
                    "event_count": len(rows),
                    "user_count": len({e[0] for e in rows}),
                    "item_count": len({e[1] for e in rows}),
                }
                for kind, rows in sorted(by_type.items())
            ],
            "kpi_daily_events_by_type": [
                {
                    "full_date": day,
                    "event_type": kind,
                    "event_count": len(rows),
                    "user_count": len({e[0] for e in rows}),
                }
                for (day, kind), rows in sorted(by_day.items())
            ],
            "kpi_item_conversion": item_rows,
            "kpi_overall_conversion": [
                {
                    "view_events": len(by_type["VIEW"]),
                    "purchase_events": len(by_type["PURCHASE"]),
                    "viewed_pairs": overall["viewers"],
                    "converted_pairs": overall["converted"],
                    "conversion_rate_pct": overall["rate"],
                }
            ],
        },
    }


# --------------------------------------------------------------------------- #
# json_orders
# --------------------------------------------------------------------------- #


def accepted_orders(fixture: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Orders that pass the contract, latest version per order_id (a null updated_at is oldest)."""
    read = quarantined = 0
    candidates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for records in fixture["input"].values():
        for record in records:
            read += 1
            items = [
                {**i, "quantity": int(i["quantity"]), "unit_price": Decimal(i["unit_price"])} for i in record["items"]
            ]
            total = sum((i["quantity"] * i["unit_price"] for i in items), Decimal(0))
            paid = sum((Decimal(p["amount"]) for p in record["payments"]), Decimal(0))
            if abs(paid - total) > CENT:
                quarantined += 1
                continue
            order = {
                **record,
                "items": items,
                "order_total": total,
                "order_date": date.fromisoformat(record["order_date"]),
            }
            candidates[record["order_id"]].append(order)
    orders = [max(versions, key=lambda o: o.get("updated_at") or "") for versions in candidates.values()]
    superseded = sum(len(v) - 1 for v in candidates.values())
    return orders, _outcome(read, len(orders), quarantined, 0, superseded)


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def json_orders_reference(fixture: dict[str, Any]) -> dict[str, Any]:
    orders, outcome = accepted_orders(fixture)
    activity: dict[int, set[str]] = defaultdict(set)
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    counts: Counter = Counter()
    for order in orders:
        index = month_index(order["order_date"])
        activity[index].add(order["customer"]["id"])
        revenue[index] += order["order_total"]
        counts[index] += 1
    spine = range(min(activity), max(activity) + 1)
    first = {}
    for index in spine:
        for customer in activity[index]:
            first.setdefault(customer, index)

    monthly, cumulative, previous = [], Decimal(0), None
    for index in spine:
        cumulative += revenue[index]
        monthly.append(
            {
                "year": index // 12,
                "month": index % 12 + 1,
                "revenue": _money(revenue[index]),
                "order_count": counts[index],
                "aov": _ratio(revenue[index], counts[index]),
                "prev_month_revenue": None if previous is None else _money(previous),
                "mom_growth_pct": None if not previous else _pct(revenue[index] - previous, previous),
                "cumulative_revenue": _money(cumulative),
            }
        )
        previous = revenue[index]

    categories: dict[tuple[int, str], dict[str, Any]] = defaultdict(
        lambda: {"revenue": Decimal(0), "units": 0, "orders": set()}
    )
    for order in orders:
        for item in order["items"]:
            cell = categories[(month_index(order["order_date"]), item["category"])]
            cell["revenue"] += item["quantity"] * item["unit_price"]
            cell["units"] += item["quantity"]
            cell["orders"].add(order["order_id"])

    return {
        "outcome": outcome,
        "kpis": {
            "mart_monthly_revenue": monthly,
            "mart_category_sales": [
                {
                    "year": i // 12,
                    "month": i % 12 + 1,
                    "category": c,
                    "revenue": _money(v["revenue"]),
                    "units": v["units"],
                    "order_count": len(v["orders"]),
                }
                for (i, c), v in sorted(categories.items())
            ],
            "mart_monthly_active_customers": [
                {
                    "year": i // 12,
                    "month": i % 12 + 1,
                    "active_customers": len(activity[i]),
                    "new_customers": sum(1 for c in activity[i] if first[c] == i),
                    "returning_customers": sum(1 for c in activity[i] if first[c] < i),
                }
                for i in spine
            ],
            "mart_cohort_retention": cohort_retention_by_sets(activity, first),
            "mart_monthly_churn": [
                {
                    "year": i // 12,
                    "month": i % 12 + 1,
                    "customers_prev_month": len(activity[i - 1]),
                    "churned_customers": len(activity[i - 1] - activity[i]),
                    "churn_rate_pct": _pct(len(activity[i - 1] - activity[i]), len(activity[i - 1])),
                }
                for i in spine[1:]
            ],
        },
    }


def cohort_retention_by_sets(activity: dict[int, set[str]], first: dict[str, int]) -> list[dict[str, Any]]:
    """Retention from sets: the cohort's members intersected with each later month's active customers."""
    last = max(i for i, customers in activity.items() if customers)
    rows = []
    for cohort in sorted(set(first.values())):
        members = {c for c, i in first.items() if i == cohort}
        for offset in range(7):
            if cohort + offset > last:
                break
            active = len(members & activity.get(cohort + offset, set()))
            rows.append(
                {
                    "cohort_year": cohort // 12,
                    "cohort_month": cohort % 12 + 1,
                    "months_since_first": offset,
                    "cohort_size": len(members),
                    "active_customers": active,
                    "retention_pct": _pct(active, len(members)),
                }
            )
    return rows


def cohort_retention_by_orders(orders: list[dict[str, Any]]) -> dict[tuple[int, int, int], tuple[int, int]]:
    """Retention the other way round: walk each customer's orders once, count (cohort, offset) cells."""
    months: dict[str, set[int]] = defaultdict(set)
    for order in orders:
        months[order["customer"]["id"]].add(month_index(order["order_date"]))
    last = max(max(m) for m in months.values())
    size: Counter = Counter(min(m) for m in months.values())
    cells: Counter = Counter()
    for active in months.values():
        cohort = min(active)
        for index in active:
            if index - cohort <= 6:
                cells[(cohort, index - cohort)] += 1
    return {
        (cohort // 12, cohort % 12 + 1, offset): (size[cohort], cells[(cohort, offset)])
        for cohort in size
        for offset in range(7)
        if cohort + offset <= last
    }


# --------------------------------------------------------------------------- #
# Tests
# --------------------------------------------------------------------------- #

REFERENCES = {
    "store_sales": store_sales_reference,
    "customer_transactions": customer_transactions_reference,
    "product_interactions": product_interactions_reference,
    "json_orders": json_orders_reference,
}
VIEWS_SQL = Path(__file__).resolve().parents[2] / "ddl"


@pytest.mark.parametrize("pipeline", list(REFERENCES))
def test_the_outcome_tally_is_what_the_reference_finds(pipeline: str) -> None:
    fixture = _fixture(pipeline)

    assert REFERENCES[pipeline](fixture)["outcome"] == fixture["outcome"]


@pytest.mark.parametrize("pipeline", list(REFERENCES))
def test_the_hand_computed_kpis_are_what_the_reference_computes(pipeline: str) -> None:
    fixture = _fixture(pipeline)

    assert REFERENCES[pipeline](fixture)["kpis"] == fixture["kpis"]


@pytest.mark.parametrize("pipeline", list(REFERENCES))
def test_every_kpi_view_has_expectations_with_its_columns(pipeline: str) -> None:
    import sqlglot
    from sqlglot import exp

    from gluestar.redshift.ddl import ddl_text

    views = {}
    for tree in sqlglot.parse(ddl_text(pipeline, "kpi_views"), read="redshift"):
        if isinstance(tree, exp.Create):
            views[tree.this.name] = [e.alias_or_name for e in tree.expression.selects]
    expected = _fixture(pipeline)["kpis"]

    assert sorted(expected) == sorted(views)
    for view, rows in expected.items():
        for row in rows:
            assert set(row) <= set(views[view]), view


def test_customer_versions_follow_the_attribute_changes() -> None:
    fixture = _fixture("customer_transactions")

    assert customer_transactions_reference(fixture)["dim_customer"] == fixture["dim_customer"]


def test_every_order_points_at_exactly_one_customer_version() -> None:
    versions = [
        {**v, "valid_from": date.fromisoformat(v["valid_from"]), "valid_to": date.fromisoformat(v["valid_to"])}
        for v in _fixture("customer_transactions")["dim_customer"]
    ]
    for customer in {v["customer_id"] for v in versions}:
        mine = sorted((v for v in versions if v["customer_id"] == customer), key=lambda v: v["valid_from"])
        for older, newer in pairwise(mine):
            assert older["valid_to"] + timedelta(days=1) == newer["valid_from"]
        assert [v["is_current"] for v in mine] == [False] * (len(mine) - 1) + [True]

    assert version_on(versions, "C1", date(2025, 2, 10))["is_repeat_customer"] is True
    assert version_on(versions, "C1", date(2025, 2, 9))["is_repeat_customer"] is False


def test_event_dates_and_times_are_utc() -> None:
    fixture = _fixture("product_interactions")
    computed = {r["timestamp"]: r for r in product_interactions_reference(fixture)["fact_events_times"]}

    for row in fixture["fact_events_times"]:
        assert computed[row["timestamp"]] == row


def test_cohort_retention_computed_two_ways_agrees_with_the_fixture() -> None:
    fixture = _fixture("json_orders")
    orders, _ = accepted_orders(fixture)

    by_orders = cohort_retention_by_orders(orders)
    expected = {
        (r["cohort_year"], r["cohort_month"], r["months_since_first"]): (r["cohort_size"], r["active_customers"])
        for r in fixture["kpis"]["mart_cohort_retention"]
    }
    assert by_orders == expected
    assert all(
        r["retention_pct"] == "100.00" for r in fixture["kpis"]["mart_cohort_retention"] if r["months_since_first"] == 0
    )


def test_churn_and_active_customers_agree() -> None:
    kpis = _fixture("json_orders")["kpis"]
    active = {(r["year"], r["month"]): r for r in kpis["mart_monthly_active_customers"]}

    for row in active.values():
        assert row["active_customers"] == row["new_customers"] + row["returning_customers"]
    for row in kpis["mart_monthly_churn"]:
        previous = (row["year"], row["month"] - 1)
        assert row["customers_prev_month"] == active[previous]["active_customers"]
        assert row["churned_customers"] <= row["customers_prev_month"]


def test_monthly_revenue_adds_up_to_the_category_sales_and_the_cumulative_total() -> None:
    kpis = _fixture("json_orders")["kpis"]
    by_month: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for row in kpis["mart_category_sales"]:
        by_month[(row["year"], row["month"])] += Decimal(row["revenue"])

    running = Decimal(0)
    for row in kpis["mart_monthly_revenue"]:
        running += Decimal(row["revenue"])
        assert Decimal(row["cumulative_revenue"]) == running
        assert by_month.get((row["year"], row["month"]), Decimal(0)) == Decimal(row["revenue"])
