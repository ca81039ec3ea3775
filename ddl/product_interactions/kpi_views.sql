-- KPI views for BI users over the product interaction events star schema (Amazon Redshift; the loader
-- transpiles them for the PostgreSQL stand-in). Views are dropped and re-created.
-- Conversion is user based: of the users who viewed an item, the share who also purchased it (in any
-- order, over all loaded data); overall conversion is the same over (user, item) pairs. A purchase
-- without a view of that item counts in purchases but not in conversion.
-- Run with search_path set to the target schema (the loader does).

-- Events, distinct users and distinct items per event type.
DROP VIEW IF EXISTS kpi_events_by_type;
CREATE VIEW kpi_events_by_type AS
SELECT
    e.event_type,
    e.funnel_step,
    COUNT(*) AS event_count,
    COUNT(DISTINCT f.user_key) AS user_count,
    COUNT(DISTINCT f.item_key) AS item_count
FROM fact_events AS f
JOIN dim_event_type AS e ON e.event_type_key = f.event_type_key
GROUP BY e.event_type, e.funnel_step;

-- Events and distinct users per UTC day and event type.
DROP VIEW IF EXISTS kpi_daily_events_by_type;
CREATE VIEW kpi_daily_events_by_type AS
SELECT
    d.full_date,
    d.year,
    d.month,
    e.event_type,
    COUNT(*) AS event_count,
    COUNT(DISTINCT f.user_key) AS user_count
FROM fact_events AS f
JOIN dim_date AS d ON d.date_key = f.date_key
JOIN dim_event_type AS e ON e.event_type_key = f.event_type_key
GROUP BY d.full_date, d.year, d.month, e.event_type;

-- View-to-purchase conversion per item: event counts, users who viewed, users who viewed and purchased,
-- and conversion_rate_pct = 100 * converted_viewers / viewers (null for an item nobody viewed).
DROP VIEW IF EXISTS kpi_item_conversion;
CREATE VIEW kpi_item_conversion AS
WITH pairs AS (
    SELECT
        f.item_key,
        f.user_key,
        SUM(CASE WHEN e.event_type = 'VIEW' THEN 1 ELSE 0 END) AS views,
        SUM(CASE WHEN e.event_type = 'ADD_TO_CART' THEN 1 ELSE 0 END) AS add_to_carts,
        SUM(CASE WHEN e.event_type = 'PURCHASE' THEN 1 ELSE 0 END) AS purchases
    FROM fact_events AS f
    JOIN dim_event_type AS e ON e.event_type_key = f.event_type_key
    GROUP BY f.item_key, f.user_key
)
SELECT
    i.item_id,
    SUM(p.views) AS views,
    SUM(p.add_to_carts) AS add_to_carts,
    SUM(p.purchases) AS purchases,
    SUM(CASE WHEN p.views > 0 THEN 1 ELSE 0 END) AS viewers,
    SUM(CASE WHEN p.views > 0 AND p.purchases > 0 THEN 1 ELSE 0 END) AS converted_viewers,
    ROUND(
        100.0 * SUM(CASE WHEN p.views > 0 AND p.purchases > 0 THEN 1 ELSE 0 END)
        / NULLIF(SUM(CASE WHEN p.views > 0 THEN 1 ELSE 0 END), 0),
        2
    ) AS conversion_rate_pct
FROM pairs AS p
JOIN dim_item AS i ON i.item_key = p.item_key
GROUP BY i.item_id;

-- Overall view-to-purchase conversion (one row): event counts, (user, item) pairs with a view, pairs
-- with a view and a purchase, and conversion_rate_pct = 100 * converted_pairs / viewed_pairs.
DROP VIEW IF EXISTS kpi_overall_conversion;
CREATE VIEW kpi_overall_conversion AS
WITH pairs AS (
    SELECT
        f.item_key,
        f.user_key,
        SUM(CASE WHEN e.event_type = 'VIEW' THEN 1 ELSE 0 END) AS views,
        SUM(CASE WHEN e.event_type = 'PURCHASE' THEN 1 ELSE 0 END) AS purchases
    FROM fact_events AS f
    JOIN dim_event_type AS e ON e.event_type_key = f.event_type_key
    GROUP BY f.item_key, f.user_key
)
SELECT
    SUM(p.views) AS view_events,
    SUM(p.purchases) AS purchase_events,
    SUM(CASE WHEN p.views > 0 THEN 1 ELSE 0 END) AS viewed_pairs,
    SUM(CASE WHEN p.views > 0 AND p.purchases > 0 THEN 1 ELSE 0 END) AS converted_pairs,
    ROUND(
        100.0 * SUM(CASE WHEN p.views > 0 AND p.purchases > 0 THEN 1 ELSE 0 END)
        / NULLIF(SUM(CASE WHEN p.views > 0 THEN 1 ELSE 0 END), 0),
        2
    ) AS conversion_rate_pct
FROM pairs AS p;
