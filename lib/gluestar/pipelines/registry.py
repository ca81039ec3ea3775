"""The Glue jobs gluestar deploys and runs: one entry per job, read by ``gluestar run`` and ``gluestar deploy``.

Adding a pipeline is one :class:`GlueJobSpec` in :data:`JOBS` (its job script in ``jobs/``), plus,
for scheduling, its job and trigger in ``infra/gluestar.yaml`` (``tests/infra`` checks that every
job of the template matches its entry here).

Argument values may hold ``{placeholders}`` filled in at deploy time from the stack:
``{raw_bucket}``, ``{processed_bucket}``, ``{artifacts_bucket}``, ``{redshift_workgroup}``,
``{redshift_database}``, ``{redshift_schema}``, ``{redshift_copy_role_arn}``,
``{redshift_secret_arn}``. No argument may carry a secret: the Redshift password is read from
Secrets Manager at run time (``--REDSHIFT_SECRET_ID`` names the secret, it is not the secret).

Examples
--------
>>> job_spec("finance").script
'finance_star.py'
>>> job_spec("sales")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
gluestar.exceptions.ConfigurationError: job must be one of 'finance', 'finance-load'; got 'sales'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from gluestar.options import check_choice

__all__ = ["JOBS", "GlueJobSpec", "job_spec", "runnable_pipelines"]


@dataclass(frozen=True)
class GlueJobSpec:
    """One Glue job.

    Attributes
    ----------
    name : str
        Registry key and suffix of the Glue job name (``<prefix>-<name>``, e.g. ``gluestar-finance``).
    script : str
        The job script in ``jobs/``.
    pipeline : str
        Pipeline whose data the job handles (alerts, metrics and log lines name it).
    description : str
        Glue job description.
    arguments : mapping of str to str
        Job arguments of this job (``--RAW_PATH`` ...), with ``{placeholders}``.
    runnable : bool
        ``gluestar run <name>`` runs it locally (pipelines; the load has ``gluestar load``).
    sample_raw_path : str, optional
        Default ``--raw-path`` of ``gluestar run``.
    worker_type, number_of_workers, timeout_minutes, max_retries : str, int, int, int
        Capacity used when the job is created (``deploy`` keeps what an existing job has, so the
        stack's parameters or an operator's tuning win).
    bookmarks : bool
        ``--job-bookmark-option job-bookmark-enable`` (else ``-disable``).
    """

    name: str
    script: str
    pipeline: str
    description: str
    arguments: Mapping[str, str] = field(default_factory=dict)
    runnable: bool = True
    sample_raw_path: str | None = None
    worker_type: str = "G.1X"
    number_of_workers: int = 5
    timeout_minutes: int = 120
    max_retries: int = 1
    bookmarks: bool = True


#: Every Glue job gluestar deploys, by name.
JOBS: Final[Mapping[str, GlueJobSpec]] = {
    "finance": GlueJobSpec(
        name="finance",
        script="finance_star.py",
        pipeline="finance",
        description=(
            "gluestar finance: raw GL transactions and budgets -> the finance star schema (quality gate included)"
        ),
        arguments={"--RAW_PATH": "s3://{raw_bucket}/finance/", "--PROCESSED_PATH": "s3://{processed_bucket}"},
        sample_raw_path="data/raw/finance",
    ),
    "finance-load": GlueJobSpec(
        name="finance-load",
        script="load_redshift.py",
        pipeline="finance",
        description="gluestar finance load: the latest succeeded finance run -> Amazon Redshift (Data API)",
        arguments={
            "--PROCESSED_PATH": "s3://{processed_bucket}",
            "--REDSHIFT_EXECUTOR": "data_api",
            "--REDSHIFT_WORKGROUP": "{redshift_workgroup}",
            "--REDSHIFT_DATABASE": "{redshift_database}",
            "--REDSHIFT_SCHEMA": "{redshift_schema}",
            "--REDSHIFT_IAM_ROLE": "{redshift_copy_role_arn}",
            "--REDSHIFT_SECRET_ID": "{redshift_secret_arn}",
        },
        runnable=False,
        number_of_workers=2,
        timeout_minutes=60,
        bookmarks=False,
    ),
}


_RETAIL = {
    "store_sales": "daily store sales extracts -> the store sales star schema (quality gate included)",
    "customer_transactions": (
        "customer purchases with demographics -> the customer star schema, type-2 customers (quality gate included)"
    ),
    "product_interactions": "product interaction events -> the events star schema (quality gate included)",
    "json_orders": "monthly nested JSON order files -> order and item facts and marts (quality gate included)",
}

#: The retail pipelines' jobs: small extracts, two workers, started on demand (no schedule yet).
JOBS = {
    **JOBS,
    **{
        name: GlueJobSpec(
            name=name,
            script=f"{name}_star.py",
            pipeline=name,
            description=f"gluestar {name}: {what}",
            arguments={"--RAW_PATH": f"s3://{{raw_bucket}}/{name}/", "--PROCESSED_PATH": "s3://{processed_bucket}"},
            sample_raw_path=f"data/raw/{name}",
            number_of_workers=2,
            timeout_minutes=60,
        )
        for name, what in _RETAIL.items()
    },
}


def job_spec(name: str) -> GlueJobSpec:
    """The registry entry ``name``.

    Raises
    ------
    ConfigurationError
        If there is no such job (the message lists the known ones).
    """
    check_choice(name, tuple(JOBS), "job")
    return JOBS[name]


def runnable_pipelines() -> tuple[str, ...]:
    """Names ``gluestar run`` accepts.

    Examples
    --------
    >>> runnable_pipelines()
    ('finance', 'store_sales', 'customer_transactions', 'product_interactions', 'json_orders')
    """
    return tuple(name for name, spec in JOBS.items() if spec.runnable)
