"""moto 5.2 implements Glue's CreateJob and GetJob but not UpdateJob; this adds it for the deploy tests.

UpdateJob replaces the whole definition (the real API's semantics), keeping the name and tags.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.glue.responses import GlueResponse

_FIELDS = {
    "Description": "description", "LogUri": "log_uri", "Role": "role", "ExecutionProperty": "execution_property",
    "Command": "command", "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments", "Connections": "connections",
    "MaxRetries": "max_retries", "AllocatedCapacity": "allocated_capacity", "Timeout": "timeout",
    "MaxCapacity": "max_capacity", "SecurityConfiguration": "security_configuration",
    "NotificationProperty": "notification_property", "GlueVersion": "glue_version",
    "NumberOfWorkers": "number_of_workers", "WorkerType": "worker_type",
    "CodeGenConfigurationNodes": "code_gen_configuration_nodes", "ExecutionClass": "execution_class",
    "SourceControlDetails": "source_control_details",
}  # fmt: skip
UPDATES: list[dict[str, Any]] = []


def _update_job(self: Any) -> Any:
    from moto.core.responses import ActionResult

    name = self._get_param("JobName")
    update = self._get_param("JobUpdate")
    UPDATES.append({"JobName": name, "JobUpdate": update})
    job = self.glue_backend.get_job(name)
    tags = self.glue_backend.get_tags(job.arn)
    self.glue_backend.create_job(name=name, tags=tags, **{arg: update.get(key) for key, arg in _FIELDS.items()})
    return ActionResult({"JobName": name})


@contextmanager
def glue_update_job() -> Iterator[list[dict[str, Any]]]:
    """Give moto's Glue an UpdateJob for the duration of the block; yields the requests it received."""
    UPDATES.clear()
    GlueResponse.update_job = _update_job  # type: ignore[attr-defined]
    try:
        yield UPDATES
    finally:
        del GlueResponse.update_job  # type: ignore[attr-defined]
