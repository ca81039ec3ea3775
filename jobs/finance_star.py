"""AWS Glue job: raw GL transactions and budgets -> the finance star schema.

Arguments (see gluestar.pipelines.job): --JOB_NAME, --RAW_PATH, --PROCESSED_PATH, optional --RUN_ID,
--FISCAL_YEAR_START_MONTH, --QUALITY_ENGINE, --FULL_REFRESH, --LOCK_TTL_MINUTES, --RETENTION_HOURS,
and with --REDSHIFT_EXECUTOR (plus the arguments of jobs/load_redshift.py) the run is loaded into
Redshift, or its local PostgreSQL stand-in, at the end. run_job reads the ops arguments
(--ALERT_TOPIC_ARN, --NOTIFY_ON_SUCCESS, --METRICS_NAMESPACE, --LOG_FORMAT; see gluestar.ops.hooks).
All logic lives in the gluestar wheel.
"""

from gluestar.glue import run_job
from gluestar.pipelines.job import pipeline_job

if __name__ == "__main__":
    run_job(lambda: pipeline_job("finance"), pipeline="finance")
