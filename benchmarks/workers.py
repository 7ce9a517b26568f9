"""Worker processes that stay alive and run one measurement at a time when asked.

Why: every variant needs its own process, but alternating variants *block by block* (not process
by process) is what makes a ratio fair on a machine whose load changes from one second to the
next. So all variants start once, and the coordinator asks each in turn.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from types import TracebackType

PYTHON = sys.executable
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Measured processes run at a higher scheduling priority when allowed (root): other work on a shared
# machine then disturbs fewer blocks. Without the privilege they run at normal priority.
PRIORITY_BOOST = 10


def boost_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(-PRIORITY_BOOST)


class WorkerFailed(RuntimeError):
    pass


class Worker:
    """A `python -m module args...` process speaking one line per request, one line per answer."""

    def __init__(self, name: str, module: str, args: Sequence[str], *,
                 cpu: int | None = None) -> None:
        self.name = name
        self.ready_line = ""
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by close())
        command = [PYTHON, "-m", module, *args]
        if cpu is not None and os.path.exists("/usr/bin/taskset"):
            command = ["/usr/bin/taskset", "-c", str(cpu), *command]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            text=True, bufsize=1, env={**os.environ, "PYTHONPATH": ROOT}, preexec_fn=boost_priority,
        )

    @property
    def pid(self) -> int:
        """The measured process (taskset execs it, so the id is the same)."""
        return self._process.pid

    def read(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            self._log.seek(0)
            raise WorkerFailed(f"worker {self.name} exited ({self._process.returncode}):\n"
                               f"{self._log.read()[-3000:]}")
        return line.strip()

    def wait_ready(self) -> str:
        line = self.read()
        if not line.startswith("ready"):
            raise WorkerFailed(f"worker {self.name} said {line!r} instead of ready")
        self.ready_line = line
        return line

    def ask(self, command: str) -> str:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


class Fleet:
    """Every worker of one comparison; closed together, even when one of them fails."""

    def __init__(self, workers: Sequence[Worker]) -> None:
        self.workers = {worker.name: worker for worker in workers}

    def __enter__(self) -> Fleet:
        try:
            for worker in self.workers.values():
                worker.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
