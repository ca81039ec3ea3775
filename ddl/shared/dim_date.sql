-- The conformed date dimension, shared by every pipeline (one implementation in Spark:
-- gluestar.dimensions.date_dimension). gluestar.redshift.ddl.ddl_text puts it in front of every
-- pipeline's tables.sql, so each pipeline creates it in its own schema from this one definition.

CREATE TABLE IF NOT EXISTS dim_date (
    date_key            INTEGER      NOT NULL,  -- yyyyMMdd
    full_date           DATE         NOT NULL,
    year                INTEGER      NOT NULL,
    quarter             INTEGER      NOT NULL,
    month               INTEGER      NOT NULL,
    month_name          VARCHAR(9)   NOT NULL,
    day                 INTEGER      NOT NULL,
    day_of_week         VARCHAR(9)   NOT NULL,
    day_of_week_number  INTEGER      NOT NULL,
    week_of_year        INTEGER      NOT NULL,
    is_weekend          BOOLEAN      NOT NULL,
    fiscal_year         INTEGER      NOT NULL,
    fiscal_quarter      INTEGER      NOT NULL,
    fiscal_month        INTEGER      NOT NULL,
    CONSTRAINT pk_dim_date PRIMARY KEY (date_key)
)
DISTSTYLE ALL
SORTKEY (date_key);
