"""Tests of gluestar.marts: the json_orders marts against the hand-computed fixture and edge cases."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from gluestar.contracts import load_star_schema
from gluestar.exceptions import ConfigurationError, SchemaContractError
from gluestar.marts import (
    MART_KIND,
    MART_NAMES,
    build_marts,
    load_marts,
    mart_category_sales,
    mart_cohort_retention,
    mart_monthly_active_customers,
    mart_monthly_churn,
    mart_monthly_revenue,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURE = json.loads((REPO / "tests" / "retail" / "fixtures" / "json_orders.json").read_text(encoding="utf-8"))
STAR = load_star_schema("json_orders", directory=REPO / "schemas")
MARTS = load_marts(directory=REPO / "schemas")
CENT = Decimal("0.01")
BATCH = "batch-1"
LOADED = dt.datetime(2025, 9, 1, 12, 0)
#: The edge tests' catalogue: sku -> (product_key, name, category).
PRODUCTS = {"B1": (1, "Novel", "Books"), "H1": (2, "Lamp", "Home"), "T1": (3, "Kite", "Toys")}


@dataclass(frozen=True)
class Order:
    """An accepted order; items are (sku, quantity, unit_price)."""

    order_id: str
    order_date: dt.date
    customer: str
    items: tuple[tuple[str, int, Decimal], ...]
    updated_at: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((quantity * price for _, quantity, price in self.items), Decimal(0))


def _order(order_id: str, day: str, customer: str, *items: tuple[str, int, str]) -> Order:
    return Order(order_id, dt.date.fromisoformat(day), customer, tuple((s, q, Decimal(p)) for s, q, p in items))


def _star(
    spark: SparkSession, orders: list[Order], products: dict[str, tuple[int, str, str]] = PRODUCTS
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """fact_orders, fact_order_items and dim_product with the star schema's columns and types."""
    customers = {c: key for key, c in enumerate(sorted({o.customer for o in orders}), start=1)}
    fact_orders, fact_items = [], []
    for o in orders:
        date_key, customer_key = int(o.order_date.strftime("%Y%m%d")), customers[o.customer]
        partition = (o.order_date.year, o.order_date.month)
        updated = dt.datetime.fromisoformat(o.updated_at) if o.updated_at else None
        units = sum(q for _, q, _ in o.items)
        fact_orders.append(
            (o.order_id, date_key, customer_key, len(o.items), units, o.total, o.total, 1, "Card", updated,
             BATCH, LOADED, *partition)
        )  # fmt: skip
        for line, (sku, quantity, price) in enumerate(o.items, start=1):
            fact_items.append(
                (o.order_id, line, date_key, customer_key, products[sku][0], quantity, price, quantity * price,
                 BATCH, LOADED, *partition)
            )  # fmt: skip
    dim_product = [(key, sku, name, category) for sku, (key, name, category) in products.items()]
    return (
        spark.createDataFrame(fact_orders, STAR.table("fact_orders").schema),
        spark.createDataFrame(fact_items, STAR.table("fact_order_items").schema),
        spark.createDataFrame(dim_product, STAR.table("dim_product").schema),
    )


def _expected(spark: SparkSession, mart: str, rows: list[dict[str, Any]]) -> DataFrame:
    """Fixture-style rows (decimals as strings) as a frame with the mart's declared schema."""
    spec = MARTS.table(mart)
    decimal = {c.name for c in spec.columns if isinstance(c.spark_type, T.DecimalType)}
    values = [
        tuple(Decimal(row[c]) if c in decimal and row[c] is not None else row[c] for c in spec.column_names)
        for row in rows
    ]
    return spark.createDataFrame(values, spec.schema)


def _assert_mart(actual: DataFrame, expected: DataFrame) -> None:
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def _frame(spark: SparkSession, mart: str, columns: str, *values: tuple[Any, ...]) -> DataFrame:
    """Expected rows of ``mart``, given under a header that must be the mart's columns."""
    names = [c.strip() for c in columns.split(",")]
    assert tuple(names) == MARTS.table(mart).column_names
    return _expected(spark, mart, [dict(zip(names, v, strict=True)) for v in values])


# --------------------------------------------------------------------------- #
# The fixture: accepted orders, newest versions
# --------------------------------------------------------------------------- #


def _fixture_orders() -> list[Order]:
    """What the pipeline accepts: payments add up to the items (within a cent), newest version wins."""
    versions: dict[str, list[Order]] = {}
    for records in FIXTURE["input"].values():
        for record in records:
            items = tuple((i["sku"], int(i["quantity"]), Decimal(i["unit_price"])) for i in record["items"])
            order = Order(
                record["order_id"],
                dt.date.fromisoformat(record["order_date"]),
                record["customer"]["id"],
                items,
                record.get("updated_at"),
            )
            paid = sum((Decimal(p["amount"]) for p in record["payments"]), Decimal(0))
            if abs(paid - order.total) <= CENT:
                versions.setdefault(order.order_id, []).append(order)
    # A null updated_at is the oldest version.
    return [max(v, key=lambda o: (o.updated_at is not None, o.updated_at or "")) for v in versions.values()]


def _fixture_products() -> dict[str, tuple[int, str, str]]:
    skus = {
        i["sku"]: (i["name"], i["category"])
        for records in FIXTURE["input"].values()
        for record in records
        for i in record["items"]
    }
    return {sku: (key, *skus[sku]) for key, sku in enumerate(sorted(skus), start=1)}


@pytest.fixture(scope="module")
def fixture_marts(spark: SparkSession) -> dict[str, DataFrame]:
    return build_marts(*_star(spark, _fixture_orders(), _fixture_products()), marts=MARTS)


def test_the_fixture_orders_are_the_accepted_newest_versions() -> None:
    orders = {o.order_id: o for o in _fixture_orders()}

    assert len(orders) == FIXTURE["outcome"]["accepted"]
    assert "O9" not in orders
    assert orders["O2"].updated_at == "2025-03-01T08:00:00" and orders["O2"].total == Decimal("30.00")


@pytest.mark.parametrize("mart", MART_NAMES)
def test_each_mart_is_the_hand_computed_fixture(spark, fixture_marts, mart):
    _assert_mart(fixture_marts[mart], _expected(spark, mart, FIXTURE["kpis"][mart]))


def test_build_marts_returns_every_mart_in_order(fixture_marts):
    assert list(fixture_marts) == list(MART_NAMES) == list(MARTS.table_names)


@pytest.mark.parametrize("mart", MART_NAMES)
def test_each_mart_has_exactly_the_declared_columns_and_types(fixture_marts, mart):
    actual = [(f.name, f.dataType) for f in fixture_marts[mart].schema]

    assert actual == [(f.name, f.dataType) for f in MARTS.table(mart).schema]


@pytest.mark.parametrize("mart", MART_NAMES)
def test_no_mart_plan_has_a_window_or_a_python_udf(fixture_marts, mart):
    plan = fixture_marts[mart]._jdf.queryExecution().executedPlan().toString()

    assert "Window" not in plan
    assert "BatchEvalPython" not in plan and "ArrowEvalPython" not in plan


# --------------------------------------------------------------------------- #
# Edge cases
# --------------------------------------------------------------------------- #

#: January and March with orders, February without: the gap in the middle of the spine.
GAP = [
    _order("G1", "2025-01-05", "A", ("B1", 1, "10.00")),
    _order("G2", "2025-03-03", "A", ("H1", 1, "30.00")),
    _order("G3", "2025-03-09", "B", ("B1", 2, "10.00")),
]
#: Customer A buys in January, is away for two months and comes back in April; B only buys in January.
RETURNING = [
    _order("R1", "2025-01-05", "A", ("B1", 1, "10.00")),
    _order("R2", "2025-01-06", "B", ("B1", 1, "10.00")),
    _order("R3", "2025-04-02", "A", ("B1", 1, "10.00")),
]
SINGLE = [
    _order("S1", "2025-05-05", "A", ("B1", 1, "10.00")),
    _order("S2", "2025-05-20", "B", ("H1", 2, "30.00")),
]


def test_a_month_without_orders_shows_zero_revenue_and_breaks_the_growth(spark):
    fact_orders, _, _ = _star(spark, GAP)
    expected = _frame(
        spark,
        "mart_monthly_revenue",
        "year, month, revenue, order_count, aov, prev_month_revenue, mom_growth_pct, cumulative_revenue",
        (2025, 1, "10.00", 1, "10.00", None, None, "10.00"),
        (2025, 2, "0.00", 0, None, "10.00", "-100.00", "10.00"),
        (2025, 3, "50.00", 2, "25.00", "0.00", None, "60.00"),
    )

    _assert_mart(mart_monthly_revenue(fact_orders), expected)


def test_a_month_without_orders_has_no_active_customers(spark):
    fact_orders, _, _ = _star(spark, GAP)
    expected = _frame(
        spark,
        "mart_monthly_active_customers",
        "year, month, active_customers, new_customers, returning_customers",
        (2025, 1, 1, 1, 0),
        (2025, 2, 0, 0, 0),
        (2025, 3, 2, 1, 1),
    )

    _assert_mart(mart_monthly_active_customers(fact_orders), expected)


def test_a_month_without_orders_is_a_zero_in_cohort_retention(spark):
    fact_orders, _, _ = _star(spark, GAP)
    expected = _frame(
        spark,
        "mart_cohort_retention",
        "cohort_year, cohort_month, months_since_first, cohort_size, active_customers, retention_pct",
        (2025, 1, 0, 1, 1, "100.00"),
        (2025, 1, 1, 1, 0, "0.00"),
        (2025, 1, 2, 1, 1, "100.00"),
        (2025, 3, 0, 1, 1, "100.00"),
    )

    _assert_mart(mart_cohort_retention(fact_orders), expected)


def test_churn_after_a_month_without_orders_has_a_null_rate(spark):
    fact_orders, _, _ = _star(spark, GAP)
    expected = _frame(
        spark,
        "mart_monthly_churn",
        "year, month, customers_prev_month, churned_customers, churn_rate_pct",
        (2025, 2, 1, 1, "100.00"),
        (2025, 3, 0, 0, None),
    )

    _assert_mart(mart_monthly_churn(fact_orders), expected)


def test_a_month_without_orders_has_no_category_rows(spark):
    _, fact_items, dim_product = _star(spark, GAP)
    expected = _frame(
        spark,
        "mart_category_sales",
        "year, month, category, revenue, units, order_count",
        (2025, 1, "Books", "10.00", 1, 1),
        (2025, 3, "Books", "20.00", 2, 1),
        (2025, 3, "Home", "30.00", 1, 1),
    )

    _assert_mart(mart_category_sales(fact_items, dim_product), expected)


def test_a_customer_back_after_a_gap_is_returning_not_new(spark):
    fact_orders, _, _ = _star(spark, RETURNING)
    expected = _frame(
        spark,
        "mart_monthly_active_customers",
        "year, month, active_customers, new_customers, returning_customers",
        (2025, 1, 2, 2, 0),
        (2025, 2, 0, 0, 0),
        (2025, 3, 0, 0, 0),
        (2025, 4, 1, 0, 1),
    )

    _assert_mart(mart_monthly_active_customers(fact_orders), expected)


def test_a_customer_back_after_a_gap_counts_in_the_cohort_month_of_the_return(spark):
    fact_orders, _, _ = _star(spark, RETURNING)
    expected = _frame(
        spark,
        "mart_cohort_retention",
        "cohort_year, cohort_month, months_since_first, cohort_size, active_customers, retention_pct",
        (2025, 1, 0, 2, 2, "100.00"),
        (2025, 1, 1, 2, 0, "0.00"),
        (2025, 1, 2, 2, 0, "0.00"),
        (2025, 1, 3, 2, 1, "50.00"),
    )

    _assert_mart(mart_cohort_retention(fact_orders), expected)


def test_a_customer_away_for_a_month_has_churned_in_it(spark):
    fact_orders, _, _ = _star(spark, RETURNING)
    expected = _frame(
        spark,
        "mart_monthly_churn",
        "year, month, customers_prev_month, churned_customers, churn_rate_pct",
        (2025, 2, 2, 2, "100.00"),
        (2025, 3, 0, 0, None),
        (2025, 4, 0, 0, None),
    )

    _assert_mart(mart_monthly_churn(fact_orders), expected)


def test_a_single_month_has_no_churn_rows(spark):
    fact_orders, _, _ = _star(spark, SINGLE)

    assert mart_monthly_churn(fact_orders).count() == 0


def test_a_single_month_has_no_previous_month_and_only_retention_month_zero(spark):
    fact_orders, _, _ = _star(spark, SINGLE)
    revenue = _frame(
        spark,
        "mart_monthly_revenue",
        "year, month, revenue, order_count, aov, prev_month_revenue, mom_growth_pct, cumulative_revenue",
        (2025, 5, "70.00", 2, "35.00", None, None, "70.00"),
    )
    retention = _frame(
        spark,
        "mart_cohort_retention",
        "cohort_year, cohort_month, months_since_first, cohort_size, active_customers, retention_pct",
        (2025, 5, 0, 2, 2, "100.00"),
    )

    _assert_mart(mart_monthly_revenue(fact_orders), revenue)
    _assert_mart(mart_cohort_retention(fact_orders), retention)


def test_the_spine_crosses_a_year_end(spark):
    orders = [_order("Y1", "2024-12-30", "A", ("B1", 1, "10.00")), _order("Y2", "2025-02-01", "A", ("B1", 1, "5.00"))]
    fact_orders, _, _ = _star(spark, orders)
    expected = _frame(
        spark,
        "mart_monthly_revenue",
        "year, month, revenue, order_count, aov, prev_month_revenue, mom_growth_pct, cumulative_revenue",
        (2024, 12, "10.00", 1, "10.00", None, None, "10.00"),
        (2025, 1, "0.00", 0, None, "10.00", "-100.00", "10.00"),
        (2025, 2, "5.00", 1, "5.00", "0.00", None, "15.00"),
    )

    _assert_mart(mart_monthly_revenue(fact_orders), expected)


def test_aov_and_growth_round_half_away_from_zero_like_sql(spark):
    orders = [
        _order("H1", "2025-01-01", "A", ("B1", 1, "0.01")),
        _order("H2", "2025-01-02", "B", ("B1", 1, "0.04")),
        _order("H3", "2025-02-01", "A", ("B1", 1, "0.06")),
        _order("H4", "2025-02-02", "B", ("B1", 1, "0.05")),
        _order("H5", "2025-03-01", "A", ("B1", 1, "0.05")),
        _order("H6", "2025-03-01", "B", ("B1", 1, "0.03")),
        _order("H7", "2025-03-01", "C", ("B1", 1, "0.02")),
    ]
    fact_orders, _, _ = _star(spark, orders)
    # 0.05 / 2 = 0.025 -> 0.03; 0.11 / 2 = 0.055 -> 0.06; 100 * (0.10 - 0.11) / 0.11 = -9.0909 -> -9.09.
    expected = _frame(
        spark,
        "mart_monthly_revenue",
        "year, month, revenue, order_count, aov, prev_month_revenue, mom_growth_pct, cumulative_revenue",
        (2025, 1, "0.05", 2, "0.03", None, None, "0.05"),
        (2025, 2, "0.11", 2, "0.06", "0.05", "120.00", "0.16"),
        (2025, 3, "0.10", 3, "0.03", "0.11", "-9.09", "0.26"),
    )

    _assert_mart(mart_monthly_revenue(fact_orders), expected)


def test_retention_of_a_third_rounds_to_two_places(spark):
    orders = [
        _order("T1", "2025-01-01", "A", ("B1", 1, "1.00")),
        _order("T2", "2025-01-01", "B", ("B1", 1, "1.00")),
        _order("T3", "2025-01-01", "C", ("B1", 1, "1.00")),
        _order("T4", "2025-02-01", "A", ("B1", 1, "1.00")),
        _order("T5", "2025-02-01", "B", ("B1", 1, "1.00")),
    ]
    fact_orders, _, _ = _star(spark, orders)
    expected = _frame(
        spark,
        "mart_cohort_retention",
        "cohort_year, cohort_month, months_since_first, cohort_size, active_customers, retention_pct",
        (2025, 1, 0, 3, 3, "100.00"),
        (2025, 1, 1, 3, 2, "66.67"),
    )

    _assert_mart(mart_cohort_retention(fact_orders), expected)


def test_no_orders_give_empty_marts(spark):
    marts = build_marts(*_star(spark, []))

    assert {name: df.count() for name, df in marts.items()} == dict.fromkeys(MART_NAMES, 0)


def test_a_missing_fact_column_is_named(spark):
    fact_orders, _, _ = _star(spark, SINGLE)

    with pytest.raises(
        SchemaContractError, match=r"^mart_monthly_revenue: fact_orders is missing column\(s\): order_total$"
    ):
        mart_monthly_revenue(fact_orders.drop("order_total"))


# --------------------------------------------------------------------------- #
# load_marts
# --------------------------------------------------------------------------- #


def test_load_marts_reads_the_packaged_definitions():
    marts = load_marts()

    assert marts.pipeline == "json_orders"
    assert marts.table_names == MART_NAMES
    assert {t.kind for t in marts.tables} == {MART_KIND}
    assert marts == MARTS


def test_load_marts_keeps_types_keys_and_lengths():
    spec = load_marts().table("mart_category_sales")

    assert spec.key == ("year", "month", "category")
    assert spec.schema["revenue"].dataType == T.DecimalType(28, 2)
    assert spec.schema["units"].dataType == T.LongType()
    assert [c.length for c in spec.columns if c.name == "category"] == [128]


def _write_marts(tmp_path: Path, tables: list[dict[str, Any]]) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "marts.json").write_text(json.dumps({"pipeline": "shop", "tables": tables}), encoding="utf-8")
    return tmp_path


def test_load_marts_rejects_a_table_that_is_not_a_mart(tmp_path):
    directory = _write_marts(tmp_path, [{"name": "m", "kind": "fact", "columns": [{"name": "a", "type": "int"}]}])

    with pytest.raises(
        ConfigurationError, match=r"^shop/marts.json: table 'm': 'kind' must be one of 'mart'; got 'fact'$"
    ):
        load_marts("shop", directory=directory)


def test_load_marts_rejects_an_unknown_column_type(tmp_path):
    directory = _write_marts(tmp_path, [{"name": "m", "kind": "mart", "columns": [{"name": "a", "type": "money"}]}])

    with pytest.raises(ConfigurationError, match=r"^unknown column type 'money'"):
        load_marts("shop", directory=directory)


def test_load_marts_rejects_an_undeclared_key_column(tmp_path):
    table = {"name": "m", "kind": "mart", "key": ["b"], "columns": [{"name": "a", "type": "int"}]}
    directory = _write_marts(tmp_path, [table])

    with pytest.raises(ConfigurationError, match=r"^shop/marts.json: table 'm': key column\(s\) not declared: b$"):
        load_marts("shop", directory=directory)


def test_build_marts_needs_every_mart(spark, tmp_path):
    table = {"name": "mart_monthly_revenue", "kind": "mart", "columns": [{"name": "year", "type": "int"}]}
    marts = load_marts("shop", directory=_write_marts(tmp_path, [table]))

    with pytest.raises(ConfigurationError, match=r"^pipeline 'shop' has no table 'mart_category_sales'"):
        build_marts(*_star(spark, SINGLE), marts=marts)
