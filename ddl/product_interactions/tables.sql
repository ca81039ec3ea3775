-- Product interaction events star schema for Amazon Redshift.
--
-- Columns, types, nullability and primary keys mirror schemas/product_interactions/star.json
-- (tests/redshift/test_ddl.py fails when they drift apart). dim_date is the conformed date dimension,
-- identical to finance's. The fact leaves out the Hive partition columns year/month.
--   * dim_event_type is static: VIEW (1), ADD_TO_CART (2), PURCHASE (3);
--   * dimensions: DISTSTYLE ALL, sorted by their surrogate key;
--   * fact_events: distributed on item_key (conversion is computed per item) and sorted by date_key.
-- Run with search_path set to the target schema (the loader does).
-- dim_date: ddl/shared/dim_date.sql (put in front of this file by ddl_text).

CREATE TABLE IF NOT EXISTS dim_user (
    user_key            INTEGER     NOT NULL,
    user_id             VARCHAR(64),
    CONSTRAINT pk_dim_user PRIMARY KEY (user_key)
)
DISTSTYLE ALL
SORTKEY (user_key);

CREATE TABLE IF NOT EXISTS dim_item (
    item_key            INTEGER     NOT NULL,
    item_id             VARCHAR(64),
    CONSTRAINT pk_dim_item PRIMARY KEY (item_key)
)
DISTSTYLE ALL
SORTKEY (item_key);

CREATE TABLE IF NOT EXISTS dim_event_type (
    event_type_key      INTEGER     NOT NULL,
    event_type          VARCHAR(16) NOT NULL,
    funnel_step         INTEGER     NOT NULL,
    CONSTRAINT pk_dim_event_type PRIMARY KEY (event_type_key)
)
DISTSTYLE ALL
SORTKEY (event_type_key);

CREATE TABLE IF NOT EXISTS fact_events (
    date_key            INTEGER      NOT NULL,
    user_key            INTEGER      NOT NULL,
    item_key            INTEGER      NOT NULL,
    event_type_key      INTEGER      NOT NULL,
    event_timestamp     TIMESTAMP    NOT NULL,
    time_of_day         VARCHAR(8)   NOT NULL,
    hour_of_day         INTEGER      NOT NULL,
    batch_id            VARCHAR(128) NOT NULL,
    load_timestamp      TIMESTAMP    NOT NULL,
    CONSTRAINT pk_fact_events PRIMARY KEY (user_key, item_key, event_type_key, event_timestamp),
    CONSTRAINT fk_fact_events_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
    CONSTRAINT fk_fact_events_user FOREIGN KEY (user_key) REFERENCES dim_user (user_key),
    CONSTRAINT fk_fact_events_item FOREIGN KEY (item_key) REFERENCES dim_item (item_key),
    CONSTRAINT fk_fact_events_event_type FOREIGN KEY (event_type_key) REFERENCES dim_event_type (event_type_key)
)
DISTSTYLE KEY
DISTKEY (item_key)
COMPOUND SORTKEY (date_key);
