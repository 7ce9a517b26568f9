"""Run a Python program or a server in its own process with a given environment."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "QF_OTEL_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra or {})
    return env


class ChildProcess:
    def __init__(self, args: Sequence[str], env: Mapping[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.args = list(args)
        self.process = subprocess.Popen(
            self.args, env=child_env(env), cwd=str(cwd or ROOT),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )

    @classmethod
    def python(cls, code: str, env: Mapping[str, str] | None = None) -> ChildProcess:
        return cls([sys.executable, "-c", code], env)

    def wait_for_line(self, text: str, timeout: float = 30.0) -> list[str]:
        """Read the child's output until a line containing `text`; return the lines read."""
        assert self.process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self.process.stdout.readline()
            if not raw:
                break
            lines.append(raw.decode(errors="replace"))
            if text in lines[-1]:
                return lines
        raise AssertionError(f"{text!r} not printed within {timeout} s: {''.join(lines)}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> tuple[int, str, float]:
        """Signal the whole process group; return exit code, output and seconds it took."""
        start = time.monotonic()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
        try:
            output, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            output, _ = self.process.communicate()
        return self.process.returncode, output.decode(errors="replace"), time.monotonic() - start
