"""AWS Glue job: raw GL transactions and budgets -> the finance star schema.

Arguments: --JOB_NAME, --RAW_PATH, --PROCESSED_PATH, optional --RUN_ID,
--FISCAL_YEAR_START_MONTH (1-12, default 1), --QUALITY_ENGINE (auto, native or deequ; default
auto), --FULL_REFRESH (true: read every raw file again and rebuild, keeping keys; default false),
--LOCK_TTL_MINUTES (default 120) and --RETENTION_HOURS (how long old snapshots stay readable;
default 168). With --REDSHIFT_EXECUTOR (and the arguments of jobs/load_redshift.py) the run is
loaded into Redshift, or its local PostgreSQL stand-in, at the end. run_job reads the ops arguments
(--ALERT_TOPIC_ARN, --NOTIFY_ON_SUCCESS, --METRICS_NAMESPACE, --LOG_FORMAT; see gluestar.ops.hooks).
All logic lives in the gluestar wheel.
"""

import sys

from gluestar.glue import parse_bool, parse_float, parse_int, resolve_options, run_job, start_job
from gluestar.ops import run_stage
from gluestar.pipelines.finance import run_finance
from gluestar.redshift import REDSHIFT_JOB_ARGUMENTS, load_run_from_args
from gluestar.report import RunReport


def main() -> RunReport:
    args = resolve_options(
        sys.argv,
        ["JOB_NAME", "RAW_PATH", "PROCESSED_PATH"],
        {
            "RUN_ID": None,
            "FISCAL_YEAR_START_MONTH": "1",
            "QUALITY_ENGINE": "auto",
            "FULL_REFRESH": "false",
            "LOCK_TTL_MINUTES": "120",
            "RETENTION_HOURS": "168",
            **REDSHIFT_JOB_ARGUMENTS,
        },
    )
    job = start_job(args["JOB_NAME"], args)
    report = run_finance(
        job.spark,
        args["RAW_PATH"],
        args["PROCESSED_PATH"],
        run_id=args["RUN_ID"],
        fiscal_year_start_month=parse_int(args["FISCAL_YEAR_START_MONTH"], "FISCAL_YEAR_START_MONTH"),
        quality_engine=args["QUALITY_ENGINE"],
        full_refresh=parse_bool(args["FULL_REFRESH"], "FULL_REFRESH"),
        lock_ttl_minutes=parse_float(args["LOCK_TTL_MINUTES"], "LOCK_TTL_MINUTES"),
        retention_hours=parse_float(args["RETENTION_HOURS"], "RETENTION_HOURS"),
    )
    print(report.render(), flush=True)
    load = None
    if report.snapshot:  # a run that found no new raw files published nothing: there is nothing to load
        with run_stage(report, "load"):
            load = load_run_from_args(job.spark, args["PROCESSED_PATH"], report.run_id, args)
    if load is not None:
        print(load.render(), flush=True)
    job.commit()
    return report


if __name__ == "__main__":
    run_job(main, pipeline="finance")
