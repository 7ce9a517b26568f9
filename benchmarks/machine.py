"""What the figures were measured on: CPU, cores, load, Python and the compared packages."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata

PACKAGES = (
    "fastapi", "starlette", "uvicorn", "httptools", "uvloop", "sqlalchemy", "cachetools",
    "opentelemetry-sdk", "opentelemetry-instrumentation-fastapi",
    "prometheus-fastapi-instrumentator", "prometheus-client", "qf-otel",
)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def revision() -> str:
    """The commit measured, and whether the measured code had uncommitted changes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                              capture_output=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "qf_otel",
                                "instrumentation"], cwd=root, text=True, capture_output=True,
                               check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} (with uncommitted changes in qf_otel/ or instrumentation/)" if dirty else head


def describe() -> dict[str, str]:
    return {
        "revision": revision(),
        "cpu": cpu_model(),
        "cores": str(os.cpu_count() or 1),
        "system": f"{platform.system()} {platform.release()}",
        "load": load_average(),
    }
