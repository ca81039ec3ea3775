"""The body of every pipeline's Glue job: arguments in, one pipeline run (and its load) out.

Each script in ``jobs/`` is ``run_job(lambda: pipeline_job("<pipeline>"), pipeline="<pipeline>")``:
the arguments are the same for every pipeline.

=================================  ================================================================
``--JOB_NAME``                     Glue's job name.
``--RAW_PATH``                     Folder of the raw files (local path or S3 URI).
``--PROCESSED_PATH``               Root of the processed zone; the pipeline writes ``<root>/<pipeline>/``.
``--RUN_ID``                       Run id (default: the UTC start time).
``--FISCAL_YEAR_START_MONTH``      First month of the fiscal year, for ``dim_date`` (default 1).
``--QUALITY_ENGINE``               ``auto`` (pydeequ where the Deequ jar is on the classpath), ``native``
                                   or ``deequ`` (default ``auto``).
``--FULL_REFRESH``                 ``true``: read every raw file again and rebuild, keeping keys.
``--LOCK_TTL_MINUTES``             Expiry of the run lock (default 120).
``--RETENTION_HOURS``              How long superseded snapshots stay readable (default 168).
``--REDSHIFT_EXECUTOR`` and the    Load the published run at the end (see :mod:`gluestar.redshift.config`);
loader's arguments                 ``--REDSHIFT_SCHEMA`` defaults to the pipeline's name.
=================================  ================================================================

Examples
--------
>>> if __name__ == "__main__":  # doctest: +SKIP
...     run_job(lambda: pipeline_job("store_sales"), pipeline="store_sales")
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gluestar.glue import parse_bool, parse_float, parse_int, resolve_options, start_job
from gluestar.ops import run_stage
from gluestar.pipelines.catalog import run_pipeline
from gluestar.redshift import REDSHIFT_JOB_ARGUMENTS, load_run_from_args
from gluestar.report import RunReport

__all__ = ["pipeline_job"]


def pipeline_job(pipeline: str, argv: Sequence[str] | None = None) -> RunReport:
    """Parse the job arguments, run ``pipeline``, print its report, load it when asked; return the report.

    A run that found no new raw files published nothing, so there is nothing to load then.

    Raises
    ------
    ConfigurationError
        If an argument is missing or invalid.
    GluestarError
        Whatever the run or the load raises (``run_job`` turns it into one clear line and exit 1).
    """
    args = resolve_options(
        list(sys.argv if argv is None else argv),
        ["JOB_NAME", "RAW_PATH", "PROCESSED_PATH"],
        {
            "RUN_ID": None,
            "FISCAL_YEAR_START_MONTH": "1",
            "QUALITY_ENGINE": "auto",
            "FULL_REFRESH": "false",
            "LOCK_TTL_MINUTES": "120",
            "RETENTION_HOURS": "168",
            **REDSHIFT_JOB_ARGUMENTS,
            "REDSHIFT_SCHEMA": pipeline,
        },
    )
    job = start_job(args["JOB_NAME"], args)
    report = run_pipeline(
        pipeline,
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
    if report.snapshot:
        with run_stage(report, "load"):
            load = load_run_from_args(job.spark, args["PROCESSED_PATH"], report.run_id, args, pipeline=pipeline)
        if load is not None:
            print(load.render(), flush=True)
    job.commit()
    return report
