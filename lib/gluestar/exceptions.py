"""The one exception hierarchy of gluestar.

Every error the library raises on purpose derives from :class:`GluestarError`, so a job script can
turn any of them into a one-line message and a non-zero exit (see :func:`gluestar.glue.run_job`).
Each also derives from the closest built-in, so callers that catch ``ValueError`` keep working.

Examples
--------
>>> from gluestar.exceptions import SchemaContractError
>>> try:
...     raise SchemaContractError("transactions.csv: missing required column(s): amount")
... except ValueError as exc:
...     print(exc)
transactions.csv: missing required column(s): amount
"""

from __future__ import annotations

__all__ = [
    "GluestarError",
    "ConfigurationError",
    "SchemaContractError",
    "SourceFileError",
    "DataQualityError",
    "PublishError",
    "RedshiftLoadError",
    "LockError",
    "DeployError",
]


class GluestarError(Exception):
    """Base class of every error gluestar raises on purpose."""


class ConfigurationError(GluestarError, ValueError):
    """An option, argument or contract file has a value outside its allowed set."""


class SchemaContractError(GluestarError, ValueError):
    """Input data does not have the shape its source contract or table definition declares."""


class SourceFileError(GluestarError, OSError):
    """A raw source file is missing, unreadable or empty."""


class DataQualityError(GluestarError):
    """Data broke a rule that stops the run (for example, every row of a source was rejected)."""


class PublishError(GluestarError, OSError):
    """Publishing a finished run to its target location failed."""


class RedshiftLoadError(GluestarError):
    """Loading a run into Redshift (or its PostgreSQL stand-in) failed and was rolled back."""


class LockError(GluestarError):
    """Another run holds the pipeline's run lock (or took it from this run)."""


class DeployError(GluestarError):
    """Building, uploading or creating/updating the Glue jobs failed (``gluestar deploy``)."""
