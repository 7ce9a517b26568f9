"""What both demo commands share: the service in its own process, the payment sandbox, the load,
a console with one refreshing progress line, and a clean stop on a deadline or on Ctrl-C.

The service runs in a child process (the way it runs in production: its own interpreter, its own
qf-otel configuration, its own /metrics); the load generator and the sandbox provider run here,
uninstrumented, so nothing they do shows up in the service's metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from examples.quantumflow.load import LoadConfig, LoadGenerator, LoadStats
from examples.quantumflow.payments import PaymentSandbox

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_or_free(preferred: int) -> int:
    """`preferred` if nothing listens there, else a free port (0 always picks a free one)."""
    if preferred:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", preferred))
            except OSError:
                return free_port()
            return preferred
    return free_port()


class Console:
    """Prints lines above a single refreshing status line (on a terminal; plain lines otherwise)."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self._status = ""

    def print(self, line: str) -> None:
        if self.tty:
            sys.stdout.write("\r\033[K" + line + "\n" + self._status)
        else:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def status(self, line: str) -> None:
        self._status = line
        if self.tty:
            sys.stdout.write("\r\033[K" + line)
            sys.stdout.flush()

    def clear_status(self) -> None:
        if self.tty and self._status:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()
        self._status = ""


@dataclass
class ServiceProcess:
    """The QuantumFlow API under uvicorn in a child process; its output goes to `log_path`."""

    port: int
    env: Mapping[str, str]
    work_dir: Path
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.work_dir / "service.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **self.env}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "examples.quantumflow.service", "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    async def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"the service exited with {self.process.returncode}:\n"
                                       f"{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/healthz")).status_code < 600:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the service did not answer on {self.url}:\n"
                                       f"{self.log_tail()}")
                await asyncio.sleep(0.1)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (uvicorn drains and qf-otel flushes), SIGKILL if it hangs."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


Reporter = Callable[[], Awaitable[str | None]]


@dataclass
class DemoRun:
    """Service + sandbox + load, with a report printed every `report_every` seconds."""

    service_port: int
    service_env: dict[str, str]
    load: LoadConfig | None = None  # base_url is filled in; None: the defaults
    report_every: float = 5.0
    console: Console = field(default_factory=Console)
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="quantumflow-")))
    service: ServiceProcess | None = None
    stats: LoadStats | None = None

    def start_service(self, sandbox_url: str) -> ServiceProcess:
        env = {"PAYMENTS_URL": sandbox_url, **self.service_env}
        self.service = ServiceProcess(self.service_port, env, self.work_dir)
        self.service.start()
        return self.service

    async def run(self, duration: float, reporter: Reporter,
                  on_ready: Callable[[], Awaitable[None]] | None = None,
                  on_finished: Callable[[], Awaitable[None]] | None = None) -> LoadStats:
        """Run until `duration` seconds have passed (0: until cancelled, i.e. Ctrl-C).

        `on_ready` runs once the service answers, `on_finished` once the load has drained and
        before the service stops (not after Ctrl-C).
        """
        sandbox = PaymentSandbox(free_port())
        sandbox.start()
        try:
            service = self.start_service(sandbox.url)
            try:
                await service.wait_ready()
                if on_ready is not None:
                    await on_ready()
                stats = await self._drive(service.url, duration, reporter)
                self.console.clear_status()
                if on_finished is not None:
                    await on_finished()
                return stats
            finally:
                self.console.clear_status()
                code = service.stop()
                if code not in (0, None, -signal.SIGTERM, -signal.SIGINT):
                    self.console.print(f"service exited with {code}; log: {service.log_path}")
        finally:
            sandbox.stop()

    async def _drive(self, url: str, duration: float, reporter: Reporter) -> LoadStats:
        base = self.load or LoadConfig(base_url=url)
        config = LoadConfig(url, base.rate, base.concurrency, base.quantum_rate, base.degrade_qpu,
                            base.seed)
        generator = LoadGenerator(config)
        self.stats = generator.stats
        stop = asyncio.Event()
        if duration > 0:
            asyncio.get_running_loop().call_later(duration, stop.set)
        tasks = [asyncio.create_task(generator.run(stop)),
                 asyncio.create_task(self._report(reporter, stop)),
                 asyncio.create_task(self._progress(generator.stats, stop))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            # Reached on the deadline, on a failure and on Ctrl-C (this task cancelled) alike:
            # every task ends by itself once `stop` is set, the load after draining what it has
            # in flight. Nothing is cancelled twice, so no cleanup is cut short.
            stop.set()
            await asyncio.wait(tasks)
        for task in tasks:
            error = task.exception()
            if error is not None:
                raise error
        return generator.stats

    async def _report(self, reporter: Reporter, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), self.report_every)
            if stop.is_set():
                return
            try:
                line = await reporter()
            except (httpx.HTTPError, OSError) as error:
                line = f"(metrics not readable: {error})"
            if line:
                self.console.print(time.strftime("%H:%M:%S ") + line)

    async def _progress(self, stats: LoadStats, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.console.status(stats.line())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)


def run_command(name: str, demo: Callable[[], Coroutine[Any, Any, None]]) -> int:
    """Runs one demo command (`demo`, `demo-stack`) to its end, as its `main()` returns it: 0 when
    it finished or was stopped with Ctrl-C, 1 (with the reason on stderr) when a process it
    starts failed to come up or died."""
    try:
        asyncio.run(demo())
    except KeyboardInterrupt:
        print("\nstopped (Ctrl-C)")
    except (RuntimeError, TimeoutError) as error:
        print(f"{name} failed: {error}", file=sys.stderr)
        return 1
    return 0
