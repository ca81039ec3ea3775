"""AWS Glue job: load a finished pipeline run into Amazon Redshift (or the local PostgreSQL stand-in).

Arguments: --JOB_NAME, --PROCESSED_PATH, --REDSHIFT_EXECUTOR (connector | data_api | postgres),
optional --PIPELINE (default finance), --RUN_ID (default: the pipeline's latest published run) and
the target arguments listed in
gluestar.redshift.config (--REDSHIFT_SECRET_ID, --REDSHIFT_IAM_ROLE, --REDSHIFT_DATABASE, ...).
No argument carries a password. run_job reads the ops arguments (--ALERT_TOPIC_ARN,
--NOTIFY_ON_SUCCESS, --METRICS_NAMESPACE, --LOG_FORMAT). All logic lives in the gluestar wheel.
"""

import sys

from gluestar.glue import resolve_options, run_job, start_job
from gluestar.redshift import REDSHIFT_JOB_ARGUMENTS, LoadReport, load_run_from_args


def main() -> LoadReport | None:
    args = resolve_options(
        sys.argv,
        ["JOB_NAME", "PROCESSED_PATH", "REDSHIFT_EXECUTOR"],
        {
            "RUN_ID": None,
            "PIPELINE": "finance",
            **{k: v for k, v in REDSHIFT_JOB_ARGUMENTS.items() if k != "REDSHIFT_EXECUTOR"},
        },
    )
    job = start_job(args["JOB_NAME"], args)
    report = load_run_from_args(
        job.spark, args["PROCESSED_PATH"], args["RUN_ID"], args, pipeline=args["PIPELINE"], require=True
    )
    if report is not None:
        print(report.render(), flush=True)
    job.commit()
    return report


if __name__ == "__main__":
    run_job(main, pipeline="finance", stage="load")
