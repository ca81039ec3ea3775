-- KPI views for BI users over the store sales star schema (Amazon Redshift; the loader transpiles them
-- for the PostgreSQL stand-in). Revenue is net: returns (negative units_sold, negative total_sales)
-- reduce it. Views are dropped and re-created so a changed column list never fails on CREATE OR REPLACE.
-- Run with search_path set to the target schema (the loader does).

-- Daily revenue: net revenue, gross sales (sale lines only), the value of returns (a positive number),
-- net units and the number of sales lines, one row per day with sales.
DROP VIEW IF EXISTS kpi_daily_revenue;
CREATE VIEW kpi_daily_revenue AS
SELECT
    d.full_date,
    d.year,
    d.month,
    d.day_of_week,
    SUM(f.total_sales) AS revenue,
    SUM(CASE WHEN f.is_return THEN 0 ELSE f.total_sales END) AS gross_sales,
    SUM(CASE WHEN f.is_return THEN -f.total_sales ELSE 0 END) AS returns_amount,
    SUM(f.units_sold) AS net_units,
    COUNT(*) AS sales_lines
FROM fact_sales AS f
JOIN dim_date AS d ON d.date_key = f.date_key
GROUP BY d.full_date, d.year, d.month, d.day_of_week;

-- Products ranked by net revenue over all loaded data (1 = highest; ties share a rank).
-- Filter on revenue_rank <= 10 for a top-10 list.
DROP VIEW IF EXISTS kpi_top_products;
CREATE VIEW kpi_top_products AS
SELECT
    p.product_name,
    p.category,
    SUM(f.total_sales) AS revenue,
    SUM(f.units_sold) AS net_units,
    RANK() OVER (ORDER BY SUM(f.total_sales) DESC) AS revenue_rank
FROM fact_sales AS f
JOIN dim_product AS p ON p.product_key = f.product_key
GROUP BY p.product_name, p.category;

-- Net revenue and units by category and calendar month.
DROP VIEW IF EXISTS kpi_category_monthly_revenue;
CREATE VIEW kpi_category_monthly_revenue AS
SELECT
    d.year,
    d.month,
    p.category,
    SUM(f.total_sales) AS revenue,
    SUM(f.units_sold) AS net_units,
    COUNT(*) AS sales_lines
FROM fact_sales AS f
JOIN dim_date AS d ON d.date_key = f.date_key
JOIN dim_product AS p ON p.product_key = f.product_key
GROUP BY d.year, d.month, p.category;
