"""Tiny finance extracts for the reliability tests, and the published tables in natural-key form."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from gluestar.snapshots import read_published

TRANSACTION_HEADER = (
    "transaction_id,transaction_date,department_code,department_name,business_unit,"
    "account_number,account_name,account_type,category,amount,last_modified\n"
)
BUDGET_HEADER = "budget_month,department_code,account_number,budget_amount,scenario\n"
DEPARTMENTS = {"D1": "Finance,Corporate", "D2": "Operations,Retail", "D3": "Legal,Corporate", "D4": "Sales,Retail"}
ACCOUNTS = {"4000": "Product Sales,Revenue,Sales", "6000": "Salaries,Expense,Personnel"}


def transaction(tid: str, date: str, dept: str, account: str, amount: str, modified: str) -> str:
    """One transactions.csv line; names and types follow the codes."""
    return f"{tid},{date},{dept},{DEPARTMENTS[dept]},{account},{ACCOUNTS[account]},{amount},{modified}\n"


def write_extract(folder: Path, name: str, header: str, lines: list[str]) -> Path:
    """Write one CSV extract and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(header + "".join(lines), encoding="utf-8")
    return path


def natural_tables(spark: SparkSession, out: Path) -> dict[str, list[tuple]]:
    """Every published table with surrogate keys replaced by natural keys, audit columns dropped, sorted.

    Two processed zones built by different run sequences hold the same data exactly when these match.
    """

    def table(name: str):
        return read_published(spark, str(out), "finance", name)

    departments = table("dim_department").select("department_key", "department_code")
    accounts = table("dim_account").select("account_key", "account_number")
    scenarios = table("dim_scenario").select("scenario_key", "scenario_name")
    gl = (
        table("fact_gl_transaction")
        .join(departments, "department_key")
        .join(accounts, "account_key")
        .select("transaction_id", "date_key", "department_code", "account_number", "amount", "last_modified")
    )
    financials = (
        table("fact_financials")
        .join(departments, "department_key")
        .join(accounts, "account_key")
        .join(scenarios, "scenario_key")
        .drop("department_key", "account_key", "scenario_key", "batch_id", "load_timestamp")
    )
    frames = {
        "dim_department": table("dim_department").drop("department_key"),
        "dim_account": table("dim_account").drop("account_key"),
        "dim_scenario": table("dim_scenario").drop("scenario_key"),
        "dim_date": table("dim_date"),
        "fact_gl_transaction": gl,
        "fact_financials": financials,
    }
    # Tiny test tables: collecting them is the point of the comparison.
    return {name: sorted(tuple(r) for r in f.select(sorted(f.columns)).collect()) for name, f in frames.items()}


def key_map(spark: SparkSession, out: Path, table: str, key: str, natural: str) -> dict[str, int]:
    """Natural key -> surrogate key of a published dimension."""
    frame = read_published(spark, str(out), "finance", table).filter(F.col(key) != -1)
    return {r[natural]: r[key] for r in frame.select(natural, key).collect()}
