"""classify_source: what the persisted classified rows keep, and the published rows looked up by key."""

from __future__ import annotations

from pathlib import Path

from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from gluestar.contracts import load_source_contract
from gluestar.pipelines.runner import classify_source, persisted_partitions, persisted_view, rebalanced

HEADER = (
    "transaction_id,transaction_date,department_code,department_name,business_unit,"
    "account_number,account_name,account_type,category,amount,last_modified\n"
)
ROW = "{id},2025-01-0{day},FIN-01,Finance,Corporate,6000,Salaries,Expense,Personnel,{amount},2025-01-0{day}T00:00:00\n"


def _extract(tmp_path: Path) -> str:
    path = tmp_path / "transactions_1.csv"
    rows = [
        ROW.format(id="T1", day=1, amount="1.00"),
        ROW.format(id="T1", day=1, amount="1.00"),  # exact duplicate
        ROW.format(id="T2", day=1, amount="2.00"),
        ROW.format(id="T2", day=2, amount="2.50"),  # newer version
        ROW.format(id="T3", day=1, amount="abc"),  # invalid
    ]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return str(path)


def test_only_quarantined_rows_keep_their_raw_values(spark: SparkSession, tmp_path: Path) -> None:
    path = _extract(tmp_path)
    contract = load_source_contract("finance", "transactions")

    classified, _ = classify_source(spark, [path], contract, {path: 1}, None)

    rows = classified.select("transaction_id", "_status", "_raw.transaction_id", "_raw.amount").collect()
    classified.unpersist()
    assert sorted(tuple(r) for r in rows) == [
        ("T1", "accepted", None, None),
        ("T1", "exact_duplicate", None, None),
        ("T2", "accepted", None, None),
        ("T2", "superseded", None, None),
        ("T3", "quarantined", "T3", "abc"),
    ]


def test_a_published_lookup_is_called_with_the_cleaned_key_of_every_raw_row(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = _extract(tmp_path)
    contract = load_source_contract("finance", "transactions")
    published = spark.createDataFrame(
        [("T2", "2025-01-02", "FIN-01", "6000", "2.50", "2025-01-02 00:00:00")],
        "transaction_id string, transaction_date string, department_code string, account_number string, "
        "amount string, last_modified string",
    ).selectExpr(
        "transaction_id",
        "CAST(transaction_date AS date) AS transaction_date",
        "department_code",
        "account_number",
        "CAST(amount AS decimal(18,2)) AS amount",
        "CAST(last_modified AS timestamp) AS last_modified",
    )
    seen: list[list[str]] = []

    def lookup(keys: DataFrame) -> DataFrame:
        seen.append(sorted(r.transaction_id for r in keys.collect()))
        return published

    classified, _ = classify_source(spark, [path], contract, {path: 1}, lookup)

    statuses = sorted((r.transaction_id, r._status) for r in classified.filter("transaction_id = 'T2'").collect())
    classified.unpersist()
    # T3 is quarantined (its amount), but its key is looked up too: the keys are a superset of the
    # accepted ones, taken from the raw rows without validating them.
    assert seen == [["T1", "T1", "T2", "T2", "T3"]]
    assert statuses == [("T2", "exact_duplicate"), ("T2", "superseded")]


def test_persisted_partitions_are_one_per_32_mib_read_within_the_shuffle_partitions() -> None:
    mib = 1024 * 1024
    assert [persisted_partitions(size, 32) for size in (0, 21_000, 32 * mib, 32 * mib + 1, 126_000_000)] == [
        1,
        1,
        1,
        2,
        4,
    ]
    assert persisted_partitions(10**12, 32) == 32
    assert persisted_partitions(10**12, 8) == 8


def test_a_small_source_is_persisted_in_one_partition(spark: SparkSession, tmp_path: Path) -> None:
    path = _extract(tmp_path)
    contract = load_source_contract("finance", "transactions")

    classified, _ = classify_source(spark, [path], contract, {path: 1}, None, input_bytes=Path(path).stat().st_size)
    without_size, _ = classify_source(spark, [path], contract, {path: 1}, None)

    partitions = (classified.rdd.getNumPartitions(), without_size.rdd.getNumPartitions())
    assert_df_equality(classified, without_size, ignore_row_order=True)
    classified.unpersist()
    without_size.unpersist()
    assert partitions == (1, int(spark.conf.get("spark.sql.shuffle.partitions")))


def test_rebalanced_rows_of_a_partition_value_are_written_together(spark: SparkSession, tmp_path: Path) -> None:
    frame = spark.range(60).selectExpr("id", "CAST(id % 3 AS INT) AS month").repartition(6)

    out = rebalanced(frame, ["month"])
    out.write.partitionBy("month").parquet(str(tmp_path / "t"))

    assert_df_equality(out, frame, ignore_row_order=True)
    assert sorted(len(list(p.glob("*.parquet"))) for p in (tmp_path / "t").glob("month=*")) == [1, 1, 1]
    assert rebalanced(frame, []) is frame


def test_a_persisted_view_reads_the_cache_through_a_plan_of_one_relation(spark: SparkSession) -> None:
    frame = spark.createDataFrame([(1, "a"), (2, "b")], "id int, name string").filter("id > 0").persist()
    view = persisted_view(frame)

    joined = view.join(view.withColumnRenamed("name", "other"), on="id")  # a self-join resolves

    assert view._jdf.queryExecution().analyzed().nodeName() == "InMemoryRelation"
    assert_df_equality(view, frame, ignore_row_order=True)
    assert sorted(tuple(r) for r in joined.collect()) == [(1, "a", "a"), (2, "b", "b")]
    frame.unpersist()


def test_a_frame_that_is_not_persisted_is_its_own_view(spark: SparkSession) -> None:
    frame = spark.range(2)
    assert persisted_view(frame) is frame
