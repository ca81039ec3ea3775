"""AWS Glue job: daily store sales extracts -> the store sales star schema (dim_product, fact_sales).

Arguments as every pipeline job (see gluestar.pipelines.job): --JOB_NAME, --RAW_PATH,
--PROCESSED_PATH and the optional run, quality, refresh, lock, retention and Redshift load
arguments (--REDSHIFT_SCHEMA defaults to store_sales). All logic lives in the gluestar wheel.
"""

from gluestar.glue import run_job
from gluestar.pipelines.job import pipeline_job

if __name__ == "__main__":
    run_job(lambda: pipeline_job("store_sales"), pipeline="store_sales")
