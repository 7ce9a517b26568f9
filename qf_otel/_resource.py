"""The resource every signal carries: who is reporting, from which process."""

from __future__ import annotations

import os
import platform
import socket
import sys
import uuid

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.version import __version__ as sdk_version

from qf_otel._settings import Settings
from qf_otel._version import __version__


def process_attributes() -> dict[str, str | int]:
    """What changes in a forked child: a new instance, a new pid."""
    return {"service.instance.id": str(uuid.uuid4()), "process.pid": os.getpid()}


def build(settings: Settings) -> Resource:
    """The resource from the settings alone: `Resource.create()` would re-read
    OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME behind the settings' precedence."""
    attributes: dict[str, str | int] = {
        "telemetry.sdk.language": "python",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": sdk_version,
        "telemetry.distro.name": "qf-otel",
        "telemetry.distro.version": __version__,
        "host.name": socket.gethostname(),
        "host.arch": platform.machine(),
        "os.type": platform.system().lower(),
        "os.version": platform.release(),
        "process.runtime.name": sys.implementation.name,
        "process.runtime.version": platform.python_version(),
    }
    attributes.update(settings.resource_attributes)
    attributes.update(process_attributes())
    named = {
        "service.name": settings.service_name,
        "service.version": settings.service_version,
        "service.namespace": settings.service_namespace,
        "deployment.environment.name": settings.environment,
    }
    attributes.update({k: v for k, v in named.items() if v is not None})
    if "service.instance.id" in settings.resource_attributes:  # the user's id is kept
        attributes["service.instance.id"] = settings.resource_attributes["service.instance.id"]
    return Resource(attributes)
