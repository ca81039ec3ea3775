"""AWS Glue job: monthly nested JSON order files -> fact_orders, fact_order_items and the marts.

Arguments as every pipeline job (see gluestar.pipelines.job): --JOB_NAME, --RAW_PATH,
--PROCESSED_PATH and the optional run, quality, refresh, lock, retention and Redshift load
arguments (--REDSHIFT_SCHEMA defaults to json_orders). All logic lives in the gluestar wheel.
"""

from gluestar.glue import run_job
from gluestar.pipelines.job import pipeline_job

if __name__ == "__main__":
    run_job(lambda: pipeline_job("json_orders"), pipeline="json_orders")
