-- JSON orders star schema for Amazon Redshift.
--
-- Columns, types, nullability and primary keys mirror schemas/json_orders/star.json
-- (tests/redshift/test_ddl.py fails when they drift apart). dim_date is the conformed date dimension,
-- identical to finance's. The facts leave out the Hive partition columns order_year/order_month.
--   * dimensions: DISTSTYLE ALL, sorted by their surrogate key;
--   * fact_orders and fact_order_items: both distributed on customer_key (an order and its items
--     land on the same slice; the cohort, churn and active-customer marts group by customer) and
--     sorted by date_key.
-- Run with search_path set to the target schema (the loader does).
-- dim_date: ddl/shared/dim_date.sql (put in front of this file by ddl_text).

CREATE TABLE IF NOT EXISTS dim_customer (
    customer_key        INTEGER      NOT NULL,
    customer_id         VARCHAR(64),
    customer_name       VARCHAR(256),
    country             VARCHAR(64),
    CONSTRAINT pk_dim_customer PRIMARY KEY (customer_key)
)
DISTSTYLE ALL
SORTKEY (customer_key);

CREATE TABLE IF NOT EXISTS dim_product (
    product_key         INTEGER      NOT NULL,
    sku                 VARCHAR(64),
    product_name        VARCHAR(256),
    category            VARCHAR(128),
    CONSTRAINT pk_dim_product PRIMARY KEY (product_key)
)
DISTSTYLE ALL
SORTKEY (product_key);

CREATE TABLE IF NOT EXISTS fact_orders (
    order_id                VARCHAR(64)   NOT NULL,
    date_key                INTEGER       NOT NULL,
    customer_key            INTEGER       NOT NULL,
    item_count              INTEGER       NOT NULL,
    units                   INTEGER       NOT NULL,
    order_total             DECIMAL(18,2) NOT NULL,
    payment_total           DECIMAL(18,2) NOT NULL,
    payment_count           INTEGER       NOT NULL,
    primary_payment_method  VARCHAR(32),
    updated_at              TIMESTAMP,
    batch_id                VARCHAR(128)  NOT NULL,
    load_timestamp          TIMESTAMP     NOT NULL,
    CONSTRAINT pk_fact_orders PRIMARY KEY (order_id),
    CONSTRAINT fk_fact_orders_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
    CONSTRAINT fk_fact_orders_customer FOREIGN KEY (customer_key) REFERENCES dim_customer (customer_key)
)
DISTSTYLE KEY
DISTKEY (customer_key)
COMPOUND SORTKEY (date_key);

CREATE TABLE IF NOT EXISTS fact_order_items (
    order_id            VARCHAR(64)   NOT NULL,
    line_number         INTEGER       NOT NULL,
    date_key            INTEGER       NOT NULL,
    customer_key        INTEGER       NOT NULL,
    product_key         INTEGER       NOT NULL,
    quantity            INTEGER       NOT NULL,
    unit_price          DECIMAL(18,2) NOT NULL,
    line_total          DECIMAL(18,2) NOT NULL,
    batch_id            VARCHAR(128)  NOT NULL,
    load_timestamp      TIMESTAMP     NOT NULL,
    CONSTRAINT pk_fact_order_items PRIMARY KEY (order_id, line_number),
    CONSTRAINT fk_fact_order_items_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
    CONSTRAINT fk_fact_order_items_customer FOREIGN KEY (customer_key) REFERENCES dim_customer (customer_key),
    CONSTRAINT fk_fact_order_items_product FOREIGN KEY (product_key) REFERENCES dim_product (product_key),
    CONSTRAINT fk_fact_order_items_order FOREIGN KEY (order_id) REFERENCES fact_orders (order_id)
)
DISTSTYLE KEY
DISTKEY (customer_key)
COMPOUND SORTKEY (date_key);
