"""Infrastructure metrics: process and system CPU, memory and disk, read with psutil.

A deliberately small default set (semantic-conventions names), observed only when a reader
collects, so it costs nothing between scrapes:

- process.cpu.utilization       CPU time of this process since the last collection / (time * CPUs)
- process.memory.usage          resident set size of this process, bytes
- system.cpu.utilization        share of CPU time per cpu.mode since the last collection
- system.memory.utilization     share of memory in use (system.memory.state="used")
- system.filesystem.utilization share of the root filesystem in use (mountpoint "/")

Why not the contrib system-metrics instrumentation: it exports ~20 instruments, per-CPU and
per-device by default, which is far more series than a dashboard reads. This module keeps one
series per instrument and mode. Instruments go through the OpenTelemetry API
(`metrics.get_meter`), so the MeterProvider that `configure()` installs collects them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import psutil
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from qf_otel._settings import Settings
from qf_otel._version import __version__

_log = logging.getLogger("qf_otel.infrastructure")
SCOPE = "qf_otel.infrastructure"
FILESYSTEM_MOUNTPOINT = "/"

# cpu.mode values psutil reports on Linux, mapped to the semantic-conventions names.
_CPU_MODES = {
    "user": "user", "nice": "nice", "system": "system", "idle": "idle", "iowait": "iowait",
    "irq": "interrupt", "softirq": "interrupt", "steal": "steal",
}


@dataclass(frozen=True)
class ObservableSpec:
    """What the catalog needs to know about one observable instrument."""

    name: str
    kind: Literal["gauge", "updowncounter"]
    unit: str
    description: str
    attributes: dict[str, tuple[str, ...]]  # key -> the values it takes


SPECS = (
    ObservableSpec(
        "process.cpu.utilization", "gauge", "1",
        "CPU time this process used since the previous collection, divided by the elapsed "
        "time and the number of CPUs.", {},
    ),
    ObservableSpec(
        "process.memory.usage", "updowncounter", "By",
        "Resident set size (physical memory) of this process.", {},
    ),
    ObservableSpec(
        "system.cpu.utilization", "gauge", "1",
        "Share of the machine's CPU time spent in each mode since the previous collection.",
        {"cpu.mode": tuple(sorted(set(_CPU_MODES.values())))},
    ),
    ObservableSpec(
        "system.memory.utilization", "gauge", "1",
        "Share of the machine's memory in use.", {"system.memory.state": ("used",)},
    ),
    ObservableSpec(
        "system.filesystem.utilization", "gauge", "1",
        "Share of the root filesystem's space in use.",
        {"system.filesystem.mountpoint": (FILESYSTEM_MOUNTPOINT,)},
    ),
)


class _ProcessSampler:
    """CPU utilisation of this process between two collections; renewed in a forked child."""

    def __init__(self) -> None:
        self._pid = -1
        self._process: psutil.Process | None = None
        self._last: tuple[float, float] = (0.0, 0.0)  # (wall time, cpu seconds)
        self._cpus = psutil.cpu_count() or 1

    def _current(self) -> psutil.Process:
        if self._process is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._process = psutil.Process(self._pid)
            self._last = (time.monotonic(), self._cpu_seconds(self._process))
        return self._process

    @staticmethod
    def _cpu_seconds(process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    def cpu_utilization(self) -> float:
        process = self._current()
        now, used = time.monotonic(), self._cpu_seconds(process)
        then, used_then = self._last
        self._last = (now, used)
        elapsed = now - then
        if elapsed <= 0:
            return 0.0
        return min(max((used - used_then) / (elapsed * self._cpus), 0.0), 1.0)

    def memory_rss(self) -> int:
        return int(self._current().memory_info().rss)


def _observe(
    name: str, sample: Callable[[], Iterable[Observation]]
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    """A callback that logs (once) instead of failing the whole collection."""
    failed = False

    def callback(options: CallbackOptions) -> Iterable[Observation]:
        nonlocal failed
        try:
            return list(sample())
        except Exception:
            if not failed:
                failed = True
                _log.exception("qf-otel: reading %s failed (logged once)", name)
            return []

    return callback


def _system_cpu() -> Iterable[Observation]:
    shares: dict[str, float] = {}
    for mode, percent in psutil.cpu_times_percent(interval=None)._asdict().items():
        semconv_mode = _CPU_MODES.get(mode)
        if semconv_mode is not None:
            shares[semconv_mode] = shares.get(semconv_mode, 0.0) + percent / 100.0
    return [Observation(share, {"cpu.mode": mode}) for mode, share in sorted(shares.items())]


def _system_memory() -> Iterable[Observation]:
    memory = psutil.virtual_memory()
    used = (memory.total - memory.available) / memory.total if memory.total else 0.0
    return [Observation(used, {"system.memory.state": "used"})]


def _filesystem() -> Iterable[Observation]:
    usage = psutil.disk_usage(FILESYSTEM_MOUNTPOINT)
    share = usage.used / usage.total if usage.total else 0.0
    return [Observation(share, {"system.filesystem.mountpoint": FILESYSTEM_MOUNTPOINT})]


_lock = threading.Lock()
# The provider the instruments were registered with: once per provider, so that a test suite that
# shuts qf-otel down and configures it again gets them on the new provider too.
_registered_with: weakref.ref[object] | None = None
_process = _ProcessSampler()


def start(settings: Settings) -> None:
    """Register the observable instruments with the global MeterProvider (once per provider)."""
    global _registered_with
    del settings  # nothing to configure yet; kept for the install-function signature
    provider = metrics.get_meter_provider()
    with _lock:
        if _registered_with is not None and _registered_with() is provider:
            return
        try:
            _registered_with = weakref.ref(provider)
        except TypeError:  # pragma: no cover - every provider class takes weak references
            _registered_with = None
    process = _process
    psutil.cpu_times_percent(interval=None)  # the first reading only sets psutil's baseline
    process.cpu_utilization()
    meter = metrics.get_meter(SCOPE, __version__)
    samplers: dict[str, Callable[[], Iterable[Observation]]] = {
        "process.cpu.utilization": lambda: [Observation(process.cpu_utilization())],
        "process.memory.usage": lambda: [Observation(process.memory_rss())],
        "system.cpu.utilization": _system_cpu,
        "system.memory.utilization": _system_memory,
        "system.filesystem.utilization": _filesystem,
    }
    for spec in SPECS:
        callback = _observe(spec.name, samplers[spec.name])
        if spec.kind == "gauge":
            meter.create_observable_gauge(
                spec.name, callbacks=[callback], unit=spec.unit, description=spec.description
            )
        else:
            meter.create_observable_up_down_counter(
                spec.name, callbacks=[callback], unit=spec.unit, description=spec.description
            )
