"""Resident memory of a process from /proc: sampled while something runs, plus the kernel's own
high-water mark (VmHWM), which catches peaks between samples."""

from __future__ import annotations

import threading
from pathlib import Path

MIB = 1024 * 1024


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class RssSampler:
    """Samples VmRSS every `interval` seconds in a thread; `peak_mib` is the largest seen."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(status_kib(self.pid, "VmRSS"))
            except (OSError, KeyError):
                return  # the process is gone; the test notices that itself
            self._stop.wait(interval)

    @property
    def peak_mib(self) -> float:
        return max(self.samples) / 1024

    def high_water_mib(self) -> float:
        """The kernel's peak RSS of the process so far (VmHWM)."""
        return status_kib(self.pid, "VmHWM") / 1024
