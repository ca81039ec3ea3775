-- Marts over the JSON orders star schema as views (Amazon Redshift; the loader transpiles them for the
-- PostgreSQL stand-in). Each view has the name and the columns of the Parquet mart of the same name
-- declared in schemas/json_orders/marts.json (a test checks it), so Athena and Redshift users see the
-- same numbers. Views are dropped and re-created. Run with search_path set to the target schema.
--
-- Definitions (all over accepted orders; a month is a calendar month of order_date):
--   * revenue = sum of order_total (quantity * unit_price over the order's items); AOV = revenue /
--     orders, rounded to cents, null in a month without orders;
--   * months run over a calendar spine from the first to the last order month, so a month without
--     orders appears with zero revenue and LAG compares with the calendar month before;
--     mom_growth_pct = 100 * (revenue - previous month) / previous month, null for the first month or
--     when the previous month had no revenue;
--   * a customer is active in a month with at least one order; new in the month of their first order
--     (over all loaded history), returning in later months;
--   * cohort = month of the first order; retention at months_since_first m (0..6) = share of the
--     cohort active in cohort month + m; rows stop at the last order month (unobserved months are
--     left out, not shown as 0);
--   * churn in month M = customers active in M-1 and not in M, over customers active in M-1 (null when
--     none); the first month has no previous month and no row.
-- A month index is year * 12 + month - 1 (portable month arithmetic, no DATEDIFF).

DROP VIEW IF EXISTS mart_monthly_revenue;
CREATE VIEW mart_monthly_revenue AS
WITH order_months AS (
    SELECT
        d.year,
        d.month,
        d.year * 12 + d.month - 1 AS month_index,
        SUM(o.order_total) AS revenue,
        COUNT(*) AS order_count
    FROM fact_orders AS o
    JOIN dim_date AS d ON d.date_key = o.date_key
    GROUP BY d.year, d.month
),
bounds AS (
    SELECT MIN(month_index) AS first_index, MAX(month_index) AS last_index FROM order_months
),
spine AS (
    SELECT DISTINCT d.year, d.month
    FROM dim_date AS d
    CROSS JOIN bounds AS b
    WHERE d.year * 12 + d.month - 1 BETWEEN b.first_index AND b.last_index
),
monthly AS (
    SELECT
        s.year,
        s.month,
        COALESCE(m.revenue, 0) AS revenue,
        COALESCE(m.order_count, 0) AS order_count
    FROM spine AS s
    LEFT JOIN order_months AS m ON m.year = s.year AND m.month = s.month
)
SELECT
    year,
    month,
    revenue,
    order_count,
    ROUND(revenue / NULLIF(order_count, 0), 2) AS aov,
    LAG(revenue) OVER (ORDER BY year, month) AS prev_month_revenue,
    ROUND(
        100.0 * (revenue - LAG(revenue) OVER (ORDER BY year, month))
        / NULLIF(LAG(revenue) OVER (ORDER BY year, month), 0),
        2
    ) AS mom_growth_pct,
    SUM(revenue) OVER (ORDER BY year, month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative_revenue
FROM monthly;

-- Revenue, units and orders per product category and month (categories with sales only).
DROP VIEW IF EXISTS mart_category_sales;
CREATE VIEW mart_category_sales AS
SELECT
    d.year,
    d.month,
    p.category,
    SUM(i.line_total) AS revenue,
    SUM(i.quantity) AS units,
    COUNT(DISTINCT i.order_id) AS order_count
FROM fact_order_items AS i
JOIN dim_date AS d ON d.date_key = i.date_key
JOIN dim_product AS p ON p.product_key = i.product_key
GROUP BY d.year, d.month, p.category;

-- Active, new and returning customers per month of the spine.
DROP VIEW IF EXISTS mart_monthly_active_customers;
CREATE VIEW mart_monthly_active_customers AS
WITH activity AS (
    SELECT DISTINCT o.customer_key, d.year * 12 + d.month - 1 AS month_index
    FROM fact_orders AS o
    JOIN dim_date AS d ON d.date_key = o.date_key
),
firsts AS (
    SELECT customer_key, MIN(month_index) AS first_index FROM activity GROUP BY customer_key
),
bounds AS (
    SELECT MIN(month_index) AS first_index, MAX(month_index) AS last_index FROM activity
),
spine AS (
    SELECT DISTINCT d.year, d.month, d.year * 12 + d.month - 1 AS month_index
    FROM dim_date AS d
    CROSS JOIN bounds AS b
    WHERE d.year * 12 + d.month - 1 BETWEEN b.first_index AND b.last_index
)
SELECT
    s.year,
    s.month,
    COUNT(a.customer_key) AS active_customers,
    COUNT(CASE WHEN a.month_index = f.first_index THEN a.customer_key END) AS new_customers,
    COUNT(CASE WHEN a.month_index > f.first_index THEN a.customer_key END) AS returning_customers
FROM spine AS s
LEFT JOIN activity AS a ON a.month_index = s.month_index
LEFT JOIN firsts AS f ON f.customer_key = a.customer_key
GROUP BY s.year, s.month;

-- Cohort retention for months 0..6 after each customer's first order month.
DROP VIEW IF EXISTS mart_cohort_retention;
CREATE VIEW mart_cohort_retention AS
WITH activity AS (
    SELECT DISTINCT o.customer_key, d.year, d.month, d.year * 12 + d.month - 1 AS month_index
    FROM fact_orders AS o
    JOIN dim_date AS d ON d.date_key = o.date_key
),
months AS (
    SELECT DISTINCT year, month, month_index FROM activity
),
firsts AS (
    SELECT customer_key, MIN(month_index) AS cohort_index FROM activity GROUP BY customer_key
),
cohorts AS (
    SELECT cohort_index, COUNT(*) AS cohort_size FROM firsts GROUP BY cohort_index
),
offsets AS (
    SELECT 0 AS months_since_first
    UNION ALL SELECT 1
    UNION ALL SELECT 2
    UNION ALL SELECT 3
    UNION ALL SELECT 4
    UNION ALL SELECT 5
    UNION ALL SELECT 6
),
grid AS (
    SELECT c.cohort_index, c.cohort_size, o.months_since_first
    FROM cohorts AS c
    CROSS JOIN offsets AS o
    WHERE c.cohort_index + o.months_since_first <= (SELECT MAX(month_index) FROM activity)
),
retained AS (
    SELECT
        f.cohort_index,
        a.month_index - f.cohort_index AS months_since_first,
        COUNT(*) AS active_customers
    FROM firsts AS f
    JOIN activity AS a ON a.customer_key = f.customer_key
    WHERE a.month_index - f.cohort_index BETWEEN 0 AND 6
    GROUP BY f.cohort_index, a.month_index - f.cohort_index
)
SELECT
    m.year AS cohort_year,
    m.month AS cohort_month,
    g.months_since_first,
    g.cohort_size,
    COALESCE(r.active_customers, 0) AS active_customers,
    ROUND(100.0 * COALESCE(r.active_customers, 0) / g.cohort_size, 2) AS retention_pct
FROM grid AS g
JOIN months AS m ON m.month_index = g.cohort_index
LEFT JOIN retained AS r ON r.cohort_index = g.cohort_index AND r.months_since_first = g.months_since_first;

-- Monthly churn: customers active in the previous calendar month who placed no order this month.
DROP VIEW IF EXISTS mart_monthly_churn;
CREATE VIEW mart_monthly_churn AS
WITH activity AS (
    SELECT DISTINCT o.customer_key, d.year * 12 + d.month - 1 AS month_index
    FROM fact_orders AS o
    JOIN dim_date AS d ON d.date_key = o.date_key
),
bounds AS (
    SELECT MIN(month_index) AS first_index, MAX(month_index) AS last_index FROM activity
),
spine AS (
    SELECT DISTINCT d.year, d.month, d.year * 12 + d.month - 1 AS month_index
    FROM dim_date AS d
    CROSS JOIN bounds AS b
    WHERE d.year * 12 + d.month - 1 BETWEEN b.first_index + 1 AND b.last_index
)
SELECT
    s.year,
    s.month,
    COUNT(prev.customer_key) AS customers_prev_month,
    COUNT(CASE WHEN cur.customer_key IS NULL THEN prev.customer_key END) AS churned_customers,
    ROUND(
        100.0 * COUNT(CASE WHEN cur.customer_key IS NULL THEN prev.customer_key END)
        / NULLIF(COUNT(prev.customer_key), 0),
        2
    ) AS churn_rate_pct
FROM spine AS s
LEFT JOIN activity AS prev ON prev.month_index = s.month_index - 1
LEFT JOIN activity AS cur ON cur.customer_key = prev.customer_key AND cur.month_index = s.month_index
GROUP BY s.year, s.month;
