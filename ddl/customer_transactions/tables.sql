-- Customer purchases star schema for Amazon Redshift.
--
-- Columns, types, nullability and primary keys mirror schemas/customer_transactions/star.json
-- (tests/redshift/test_ddl.py fails when they drift apart). dim_date is the conformed date dimension,
-- identical to finance's. The fact leaves out the Hive partition columns year/month.
--   * dim_customer is a type-2 dimension: one row per customer version, valid from valid_from to
--     valid_to inclusive (the current version ends 9999-12-31); fact_orders.customer_key names the
--     version valid on the purchase date, so "repeat vs new" reads the flag as it was then;
--   * dimensions: DISTSTYLE ALL, sorted by their surrogate key;
--   * fact_orders: distributed on customer_key and sorted by date_key.
-- Run with search_path set to the target schema (the loader does).
-- dim_date: ddl/shared/dim_date.sql (put in front of this file by ddl_text).

CREATE TABLE IF NOT EXISTS dim_customer (
    customer_key        INTEGER     NOT NULL,
    customer_id         VARCHAR(64),
    age_group           VARCHAR(8),
    gender              VARCHAR(16),
    is_repeat_customer  BOOLEAN,
    valid_from          DATE        NOT NULL,
    valid_to            DATE        NOT NULL,
    is_current          BOOLEAN     NOT NULL,
    CONSTRAINT pk_dim_customer PRIMARY KEY (customer_key)
)
DISTSTYLE ALL
SORTKEY (customer_key);

CREATE TABLE IF NOT EXISTS dim_city (
    city_key            INTEGER      NOT NULL,
    city                VARCHAR(128),
    CONSTRAINT pk_dim_city PRIMARY KEY (city_key)
)
DISTSTYLE ALL
SORTKEY (city_key);

CREATE TABLE IF NOT EXISTS dim_product (
    product_key         INTEGER      NOT NULL,
    category            VARCHAR(128),
    product_name        VARCHAR(256),
    CONSTRAINT pk_dim_product PRIMARY KEY (product_key)
)
DISTSTYLE ALL
SORTKEY (product_key);

CREATE TABLE IF NOT EXISTS dim_payment_method (
    payment_method_key  INTEGER     NOT NULL,
    payment_method      VARCHAR(32),
    CONSTRAINT pk_dim_payment_method PRIMARY KEY (payment_method_key)
)
DISTSTYLE ALL
SORTKEY (payment_method_key);

CREATE TABLE IF NOT EXISTS fact_orders (
    date_key            INTEGER       NOT NULL,
    customer_key        INTEGER       NOT NULL,
    city_key            INTEGER       NOT NULL,
    product_key         INTEGER       NOT NULL,
    payment_method_key  INTEGER       NOT NULL,
    purchase_amount     DECIMAL(18,2) NOT NULL,
    discount_applied    BOOLEAN       NOT NULL,
    rating              SMALLINT,
    batch_id            VARCHAR(128)  NOT NULL,
    load_timestamp      TIMESTAMP     NOT NULL,
    CONSTRAINT pk_fact_orders PRIMARY KEY (date_key, customer_key, product_key),
    CONSTRAINT fk_fact_orders_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
    CONSTRAINT fk_fact_orders_customer FOREIGN KEY (customer_key) REFERENCES dim_customer (customer_key),
    CONSTRAINT fk_fact_orders_city FOREIGN KEY (city_key) REFERENCES dim_city (city_key),
    CONSTRAINT fk_fact_orders_product FOREIGN KEY (product_key) REFERENCES dim_product (product_key),
    CONSTRAINT fk_fact_orders_payment_method FOREIGN KEY (payment_method_key) REFERENCES dim_payment_method (payment_method_key)
)
DISTSTYLE KEY
DISTKEY (customer_key)
COMPOUND SORTKEY (date_key);
