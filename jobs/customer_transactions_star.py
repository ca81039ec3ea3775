"""AWS Glue job: customer purchases with demographics -> the customer star schema (type-2 dim_customer, fact_orders).

Arguments as every pipeline job (see gluestar.pipelines.job): --JOB_NAME, --RAW_PATH,
--PROCESSED_PATH and the optional run, quality, refresh, lock, retention and Redshift load
arguments (--REDSHIFT_SCHEMA defaults to customer_transactions). All logic lives in the gluestar wheel.
"""

from gluestar.glue import run_job
from gluestar.pipelines.job import pipeline_job

if __name__ == "__main__":
    run_job(lambda: pipeline_job("customer_transactions"), pipeline="customer_transactions")
