"""AWS Glue job: product interaction events -> the events star schema (dim_user, dim_item, dim_event_type, fact_events).

Arguments as every pipeline job (see gluestar.pipelines.job): --JOB_NAME, --RAW_PATH,
--PROCESSED_PATH and the optional run, quality, refresh, lock, retention and Redshift load
arguments (--REDSHIFT_SCHEMA defaults to product_interactions). All logic lives in the gluestar wheel.
"""

from gluestar.glue import run_job
from gluestar.pipelines.job import pipeline_job

if __name__ == "__main__":
    run_job(lambda: pipeline_job("product_interactions"), pipeline="product_interactions")
