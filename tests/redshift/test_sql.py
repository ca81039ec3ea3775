"""The identifier helper, literal validation for COPY, statement builders, splitting and Data API rendering."""

from __future__ import annotations

import pytest
import sqlglot

from gluestar.exceptions import ConfigurationError
from gluestar.redshift.ddl import ddl_text
from gluestar.redshift.sql import (
    Statement,
    check_unique_keys,
    copy_from_manifest,
    create_stage,
    delete_by_keys,
    delete_by_ranges,
    drop_stage,
    iam_role_arn,
    one_line,
    qualified,
    quote_ident,
    render_for_data_api,
    s3_url,
    split_statements,
    stage_name,
)

ROLE = "arn:aws:iam::123456789012:role/redshift-copy"


@pytest.mark.parametrize("name", ["dim_date", "month", "select", "_x1", "a" * 63])
def test_valid_identifiers_are_quoted(name: str) -> None:
    assert quote_ident(name) == f'"{name}"'


@pytest.mark.parametrize("name", ['dim"; DROP TABLE x; --', "Dim_Date", "1abc", "", "a b", "a" * 64, "naïve", None])
def test_invalid_identifiers_are_refused(name: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        quote_ident(name)  # type: ignore[arg-type]

    assert str(caught.value) == (
        f"invalid SQL identifier {name!r}: use lower-case letters, digits and '_', starting with a letter or '_', "
        "at most 63 characters"
    )


def test_qualified_names_quote_both_parts() -> None:
    assert qualified("finance", "fact_financials") == '"finance"."fact_financials"'


def test_s3_urls_are_validated_and_normalised() -> None:
    assert s3_url("s3a://bucket-1/processed/finance/x.manifest") == "s3://bucket-1/processed/finance/x.manifest"
    for bad in ("s3://bucket/it's", "https://bucket/x", "s3://bucket", "s3://b/x y", "/local/path"):
        with pytest.raises(ConfigurationError) as caught:
            s3_url(bad)
        assert str(caught.value) == f"COPY needs an s3://bucket/key URL of letters, digits and _ . = + - /; got {bad!r}"


def test_iam_roles_are_validated() -> None:
    assert (
        iam_role_arn("arn:aws-us-gov:iam::123456789012:role/path/copy")
        == "arn:aws-us-gov:iam::123456789012:role/path/copy"
    )
    with pytest.raises(ConfigurationError) as caught:
        iam_role_arn("arn:aws:iam::123456789012:role/x' CREDENTIALS 'y")

    assert str(caught.value) == (
        "the IAM role must be an ARN like arn:aws:iam::123456789012:role/name; "
        "got \"arn:aws:iam::123456789012:role/x' CREDENTIALS 'y\""
    )


def test_the_merge_statements() -> None:
    stage = stage_name("dim_department")

    assert create_stage("finance", "dim_department", stage).sql == (
        'CREATE TEMP TABLE "gluestar_stage_dim_department" (LIKE "finance"."dim_department")'
    )
    assert delete_by_keys("finance", "dim_department", stage, ["department_key"]).sql == (
        'DELETE FROM "finance"."dim_department" USING "gluestar_stage_dim_department" WHERE '
        '"dim_department"."department_key" = "gluestar_stage_dim_department"."department_key"'
    )
    assert drop_stage(stage).sql == 'DROP TABLE "gluestar_stage_dim_department"'
    deleted = delete_by_ranges("finance", "f", "date_key", [(20250101, 20250131), (20250301, 20250331)])
    assert (deleted.sql, deleted.params) == (
        'DELETE FROM "finance"."f" WHERE "date_key" BETWEEN %s AND %s OR "date_key" BETWEEN %s AND %s',
        (20250101, 20250131, 20250301, 20250331),
    )


def test_copy_from_manifest() -> None:
    assert copy_from_manifest("s", "s3://bkt/p/_manifests/r-1/t.manifest", ROLE).sql == (
        "COPY \"s\" FROM 's3://bkt/p/_manifests/r-1/t.manifest' IAM_ROLE "
        "'arn:aws:iam::123456789012:role/redshift-copy' FORMAT AS PARQUET MANIFEST"
    )


def test_a_merge_needs_keys() -> None:
    with pytest.raises(ConfigurationError) as caught:
        delete_by_keys("finance", "t", "s", [])
    with pytest.raises(ConfigurationError) as guard:
        check_unique_keys("s", [])

    assert str(caught.value) == "table 't' declares no key; a keyed merge needs one"
    with pytest.raises(ConfigurationError) as same:
        delete_by_keys("finance", "t", "t", ["k"])
    assert str(same.value) == "the staging table must not be named like its target 't'"
    assert str(guard.value) == "check_unique_keys needs at least one key column"


def test_split_statements_respects_quotes_and_comments() -> None:
    script = """
    -- header; with a semicolon
    CREATE TABLE "a;b" (x VARCHAR(3) DEFAULT 'x;y''z');
    /* block; comment */ SELECT 1;
    ;
    -- trailing comment only
    """

    assert split_statements(script) == [
        "-- header; with a semicolon\n    CREATE TABLE \"a;b\" (x VARCHAR(3) DEFAULT 'x;y''z')",
        "/* block; comment */ SELECT 1",
    ]


@pytest.mark.parametrize(
    "pipeline", ["finance", "store_sales", "customer_transactions", "product_interactions", "json_orders"]
)
@pytest.mark.parametrize("name", ["tables", "kpi_views"])
def test_split_statements_agrees_with_sqlglot_on_the_ddl(name: str, pipeline: str) -> None:
    text = ddl_text(pipeline, name)

    assert len(split_statements(text)) == len([t for t in sqlglot.parse(text, read="redshift") if t is not None])


def test_render_for_data_api_inlines_integers_only() -> None:
    statement = Statement("x", "DELETE FROM t WHERE k BETWEEN %s AND %s", (20250101, 20250131))
    assert render_for_data_api(statement) == "DELETE FROM t WHERE k BETWEEN 20250101 AND 20250131"

    for value in ("1", 1.5, True, None):
        with pytest.raises(ConfigurationError) as caught:
            render_for_data_api(Statement("y", "SELECT %s", (value,)))
        assert str(caught.value) == (
            f"statement 'y': the Data API executor inlines only int parameters; got {type(value).__name__}"
        )
    with pytest.raises(ConfigurationError) as mismatch:
        render_for_data_api(Statement("z", "SELECT %s, %s", (1,)))
    assert str(mismatch.value) == "statement 'z' has 2 placeholder(s) for 1 parameter(s)"


def test_one_line() -> None:
    assert one_line("SELECT 1\n   FROM t") == "SELECT 1 FROM t"
    assert one_line("x" * 10, limit=5) == "xxxx…"
