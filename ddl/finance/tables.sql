-- Finance star schema for Amazon Redshift.
--
-- Columns, types, nullability and primary keys mirror schemas/finance/star.json (a test fails when
-- they drift apart). The facts leave out the Hive partition columns year/month: COPY ... FORMAT AS
-- PARQUET cannot load them (they live in directory names, not in the files), and date_key already
-- carries the month.
--
-- Distribution and sort keys serve the star joins of the KPI views:
--   * dimensions are small (hundreds to thousands of rows): DISTSTYLE ALL puts a full copy on every
--     node, so no join with a dimension ever redistributes rows; sorted by their surrogate key;
--   * facts are distributed on account_key (the highest-cardinality key both facts share, so the two
--     facts co-locate on it and rows spread evenly) and sorted by date_key, which every KPI query and
--     every reload (DELETE ... WHERE date_key BETWEEN ...) filters on.
-- Primary and foreign keys are informational in Redshift (not enforced) but feed the planner; the
-- loader checks key uniqueness itself. The PostgreSQL stand-in enforces them (see to_postgres).
-- Run with search_path set to the target schema (the loader does).

-- dim_date: ddl/shared/dim_date.sql (put in front of this file by ddl_text).

CREATE TABLE IF NOT EXISTS dim_department (
    department_key      INTEGER      NOT NULL,
    department_code     VARCHAR(64),
    department_name     VARCHAR(256),
    business_unit       VARCHAR(256),
    CONSTRAINT pk_dim_department PRIMARY KEY (department_key)
)
DISTSTYLE ALL
SORTKEY (department_key);

CREATE TABLE IF NOT EXISTS dim_account (
    account_key         INTEGER      NOT NULL,
    account_number      VARCHAR(64),
    account_name        VARCHAR(256),
    account_type        VARCHAR(64),
    category            VARCHAR(256),
    CONSTRAINT pk_dim_account PRIMARY KEY (account_key)
)
DISTSTYLE ALL
SORTKEY (account_key);

CREATE TABLE IF NOT EXISTS dim_scenario (
    scenario_key        INTEGER      NOT NULL,
    scenario_name       VARCHAR(128) NOT NULL,
    CONSTRAINT pk_dim_scenario PRIMARY KEY (scenario_key)
)
DISTSTYLE ALL
SORTKEY (scenario_key);

CREATE TABLE IF NOT EXISTS fact_gl_transaction (
    transaction_id      VARCHAR(128)  NOT NULL,
    date_key            INTEGER       NOT NULL,
    department_key      INTEGER       NOT NULL,
    account_key         INTEGER       NOT NULL,
    amount              DECIMAL(18,2) NOT NULL,
    last_modified       TIMESTAMP,
    batch_id            VARCHAR(128)  NOT NULL,
    load_timestamp      TIMESTAMP     NOT NULL,
    CONSTRAINT pk_fact_gl_transaction PRIMARY KEY (transaction_id),
    CONSTRAINT fk_fact_gl_transaction_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
    CONSTRAINT fk_fact_gl_transaction_department FOREIGN KEY (department_key) REFERENCES dim_department (department_key),
    CONSTRAINT fk_fact_gl_transaction_account FOREIGN KEY (account_key) REFERENCES dim_account (account_key)
)
DISTSTYLE KEY
DISTKEY (account_key)
COMPOUND SORTKEY (date_key);

CREATE TABLE IF NOT EXISTS fact_financials (
    date_key            INTEGER       NOT NULL,  -- first day of the month
    department_key      INTEGER       NOT NULL,
    account_key         INTEGER       NOT NULL,
    scenario_key        INTEGER       NOT NULL,
    actual_amount       DECIMAL(28,2) NOT NULL,
    budget_amount       DECIMAL(28,2) NOT NULL,
    variance            DECIMAL(28,2) NOT NULL,
    variance_pct        DECIMAL(38,4),
    is_favorable        BOOLEAN,
    transaction_count   BIGINT        NOT NULL,
    batch_id            VARCHAR(128)  NOT NULL,
    load_timestamp      TIMESTAMP     NOT NULL,
    CONSTRAINT pk_fact_financials PRIMARY KEY (date_key, department_key, account_key, scenario_key),
    CONSTRAINT fk_fact_financials_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
    CONSTRAINT fk_fact_financials_department FOREIGN KEY (department_key) REFERENCES dim_department (department_key),
    CONSTRAINT fk_fact_financials_account FOREIGN KEY (account_key) REFERENCES dim_account (account_key),
    CONSTRAINT fk_fact_financials_scenario FOREIGN KEY (scenario_key) REFERENCES dim_scenario (scenario_key)
)
DISTSTYLE KEY
DISTKEY (account_key)
COMPOUND SORTKEY (date_key);
