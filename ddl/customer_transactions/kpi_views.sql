-- KPI views for BI users over the customer purchases star schema (Amazon Redshift; the loader
-- transpiles them for the PostgreSQL stand-in). One fact row is one order; AOV (average order value)
-- is revenue / orders rounded to cents. "Repeat vs new" reads the repeat flag of the customer version
-- valid on the purchase date (dim_customer is type 2). Views are dropped and re-created.
-- Run with search_path set to the target schema (the loader does).

-- Total revenue, orders, distinct customers and AOV over all loaded data (one row).
DROP VIEW IF EXISTS kpi_total_revenue;
CREATE VIEW kpi_total_revenue AS
SELECT
    SUM(f.purchase_amount) AS total_revenue,
    COUNT(*) AS order_count,
    COUNT(DISTINCT c.customer_id) AS customer_count,
    ROUND(SUM(f.purchase_amount) / NULLIF(COUNT(*), 0), 2) AS aov
FROM fact_orders AS f
JOIN dim_customer AS c ON c.customer_key = f.customer_key;

-- Orders, revenue and AOV by product category and calendar month.
DROP VIEW IF EXISTS kpi_orders_by_category_month;
CREATE VIEW kpi_orders_by_category_month AS
SELECT
    d.year,
    d.month,
    p.category,
    COUNT(*) AS order_count,
    SUM(f.purchase_amount) AS revenue,
    ROUND(SUM(f.purchase_amount) / COUNT(*), 2) AS aov
FROM fact_orders AS f
JOIN dim_date AS d ON d.date_key = f.date_key
JOIN dim_product AS p ON p.product_key = f.product_key
GROUP BY d.year, d.month, p.category;

-- Orders, revenue and AOV by city.
DROP VIEW IF EXISTS kpi_orders_by_city;
CREATE VIEW kpi_orders_by_city AS
SELECT
    ci.city,
    COUNT(*) AS order_count,
    SUM(f.purchase_amount) AS revenue,
    ROUND(SUM(f.purchase_amount) / COUNT(*), 2) AS aov
FROM fact_orders AS f
JOIN dim_city AS ci ON ci.city_key = f.city_key
GROUP BY ci.city;

-- Orders, revenue and AOV by payment method.
DROP VIEW IF EXISTS kpi_orders_by_payment_method;
CREATE VIEW kpi_orders_by_payment_method AS
SELECT
    pm.payment_method,
    COUNT(*) AS order_count,
    SUM(f.purchase_amount) AS revenue,
    ROUND(SUM(f.purchase_amount) / COUNT(*), 2) AS aov
FROM fact_orders AS f
JOIN dim_payment_method AS pm ON pm.payment_method_key = f.payment_method_key
GROUP BY pm.payment_method;

-- Orders, revenue and AOV with and without a discount.
DROP VIEW IF EXISTS kpi_orders_by_discount;
CREATE VIEW kpi_orders_by_discount AS
SELECT
    f.discount_applied,
    COUNT(*) AS order_count,
    SUM(f.purchase_amount) AS revenue,
    ROUND(SUM(f.purchase_amount) / COUNT(*), 2) AS aov
FROM fact_orders AS f
GROUP BY f.discount_applied;

-- Repeat vs new customers: orders, distinct customers, revenue and AOV by the repeat flag of the
-- customer version valid on the purchase date ('Unknown' for the unknown member).
DROP VIEW IF EXISTS kpi_repeat_vs_new;
CREATE VIEW kpi_repeat_vs_new AS
SELECT
    CASE
        WHEN c.is_repeat_customer THEN 'Repeat'
        WHEN NOT c.is_repeat_customer THEN 'New'
        ELSE 'Unknown'
    END AS customer_type,
    COUNT(*) AS order_count,
    COUNT(DISTINCT c.customer_id) AS customer_count,
    SUM(f.purchase_amount) AS revenue,
    ROUND(SUM(f.purchase_amount) / COUNT(*), 2) AS aov
FROM fact_orders AS f
JOIN dim_customer AS c ON c.customer_key = f.customer_key
GROUP BY 1;
