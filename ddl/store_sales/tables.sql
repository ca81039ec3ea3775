-- Store sales star schema for Amazon Redshift.
--
-- Columns, types, nullability and primary keys mirror schemas/store_sales/star.json (tests/redshift/
-- test_ddl.py fails when they drift apart). dim_date is the conformed date dimension, identical to
-- finance's. The fact leaves out the Hive partition columns year/month (COPY ... FORMAT AS PARQUET
-- cannot load them; date_key carries the month).
--   * dimensions: DISTSTYLE ALL, sorted by their surrogate key;
--   * fact_sales: distributed on product_key (the top-products and category views aggregate by
--     product) and sorted by date_key, which the daily and monthly views and every reload filter on.
-- Run with search_path set to the target schema (the loader does).
-- dim_date: ddl/shared/dim_date.sql (put in front of this file by ddl_text).

CREATE TABLE IF NOT EXISTS dim_product (
    product_key         INTEGER      NOT NULL,
    product_name        VARCHAR(256),
    category            VARCHAR(128),
    CONSTRAINT pk_dim_product PRIMARY KEY (product_key)
)
DISTSTYLE ALL
SORTKEY (product_key);

CREATE TABLE IF NOT EXISTS fact_sales (
    date_key            INTEGER       NOT NULL,
    product_key         INTEGER       NOT NULL,
    units_sold          INTEGER       NOT NULL,
    unit_price          DECIMAL(18,2) NOT NULL,
    total_sales         DECIMAL(18,2) NOT NULL,
    is_return           BOOLEAN       NOT NULL,
    batch_id            VARCHAR(128)  NOT NULL,
    load_timestamp      TIMESTAMP     NOT NULL,
    CONSTRAINT pk_fact_sales PRIMARY KEY (date_key, product_key),
    CONSTRAINT fk_fact_sales_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
    CONSTRAINT fk_fact_sales_product FOREIGN KEY (product_key) REFERENCES dim_product (product_key)
)
DISTSTYLE KEY
DISTKEY (product_key)
COMPOUND SORTKEY (date_key);
