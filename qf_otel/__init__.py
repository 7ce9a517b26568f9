"""qf-otel: one line to observe a Python service; metrics to Prometheus, traces if you want them.

    import qf_otel
    qf_otel.configure(service_name="orders")
"""

from qf_otel import business, health, quantum, security
from qf_otel._configure import Telemetry, configure, current, shutdown
from qf_otel._settings import ConfigurationError, Settings
from qf_otel._version import __version__

__all__ = [
    "ConfigurationError",
    "Settings",
    "Telemetry",
    "__version__",
    "business",
    "configure",
    "current",
    "health",
    "quantum",
    "security",
    "shutdown",
]
