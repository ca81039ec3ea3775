-- KPI views for BI users over the finance star schema (Amazon Redshift; the loader transpiles them
-- for the PostgreSQL stand-in). Every view joins fact_financials to its dimensions by surrogate key;
-- the unknown member (key -1) of each dimension keeps unmatched rows visible as 'Unknown'.
-- Views are dropped and re-created so a changed column list never fails on CREATE OR REPLACE.
-- Run with search_path set to the target schema (the loader does).

-- Monthly actual vs budget by department and account, one row per month, department, account and
-- budget scenario. variance = actual - budget; is_favorable follows the account type.
DROP VIEW IF EXISTS kpi_monthly_variance;
CREATE VIEW kpi_monthly_variance AS
SELECT
    d.year,
    d.month,
    d.month_name,
    d.fiscal_year,
    d.fiscal_month,
    dep.business_unit,
    dep.department_code,
    dep.department_name,
    acc.account_number,
    acc.account_name,
    acc.account_type,
    acc.category,
    sc.scenario_name,
    f.actual_amount,
    f.budget_amount,
    f.variance,
    f.variance_pct,
    f.is_favorable,
    f.transaction_count
FROM fact_financials AS f
JOIN dim_date AS d ON d.date_key = f.date_key
JOIN dim_department AS dep ON dep.department_key = f.department_key
JOIN dim_account AS acc ON acc.account_key = f.account_key
JOIN dim_scenario AS sc ON sc.scenario_key = f.scenario_key;

-- Expense lines that spent more than their budget, ranked within each month and scenario by the
-- overrun (1 = largest). Filter on over_budget_rank <= 10 for a top-10 list.
DROP VIEW IF EXISTS kpi_top_over_budget;
CREATE VIEW kpi_top_over_budget AS
SELECT
    d.year,
    d.month,
    d.month_name,
    dep.business_unit,
    dep.department_code,
    dep.department_name,
    acc.account_number,
    acc.account_name,
    sc.scenario_name,
    f.actual_amount,
    f.budget_amount,
    f.variance AS overrun,
    f.variance_pct AS overrun_pct,
    RANK() OVER (PARTITION BY f.date_key, f.scenario_key ORDER BY f.variance DESC) AS over_budget_rank
FROM fact_financials AS f
JOIN dim_date AS d ON d.date_key = f.date_key
JOIN dim_department AS dep ON dep.department_key = f.department_key
JOIN dim_account AS acc ON acc.account_key = f.account_key
JOIN dim_scenario AS sc ON sc.scenario_key = f.scenario_key
WHERE acc.account_type = 'Expense'
  AND f.variance > 0;

-- Fiscal year-to-date actual vs budget per business unit and scenario: the month's totals and the
-- running totals from the first fiscal month up to and including that month.
DROP VIEW IF EXISTS kpi_ytd_business_unit;
CREATE VIEW kpi_ytd_business_unit AS
WITH monthly AS (
    SELECT
        d.fiscal_year,
        d.fiscal_month,
        d.year,
        d.month,
        dep.business_unit,
        sc.scenario_name,
        SUM(f.actual_amount) AS month_actual,
        SUM(f.budget_amount) AS month_budget
    FROM fact_financials AS f
    JOIN dim_date AS d ON d.date_key = f.date_key
    JOIN dim_department AS dep ON dep.department_key = f.department_key
    JOIN dim_scenario AS sc ON sc.scenario_key = f.scenario_key
    GROUP BY d.fiscal_year, d.fiscal_month, d.year, d.month, dep.business_unit, sc.scenario_name
)
SELECT
    fiscal_year,
    fiscal_month,
    year,
    month,
    business_unit,
    scenario_name,
    month_actual,
    month_budget,
    SUM(month_actual) OVER (
        PARTITION BY business_unit, scenario_name, fiscal_year ORDER BY fiscal_month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS ytd_actual,
    SUM(month_budget) OVER (
        PARTITION BY business_unit, scenario_name, fiscal_year ORDER BY fiscal_month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS ytd_budget,
    SUM(month_actual - month_budget) OVER (
        PARTITION BY business_unit, scenario_name, fiscal_year ORDER BY fiscal_month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS ytd_variance
FROM monthly;
