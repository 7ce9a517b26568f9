"""Fixtures for the instrumentation tests: install/uninstall, a real uvicorn on a free port,
a real Redis server, and an in-memory span exporter handed to the instrumentation only."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import qf_otel_instrumentation
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from qf_otel_instrumentation import _config

from qf_otel._settings import Settings
from tests.support.ports import free_port


class Installed:
    """What `instrument()` returns: the installed names and, with traces on, the spans."""

    def __init__(self, names: list[str], exporter: InMemorySpanExporter | None) -> None:
        self.names = names
        self._exporter = exporter

    def spans(self) -> list[ReadableSpan]:
        assert self._exporter is not None, "install with traces_enabled=True"
        return list(self._exporter.get_finished_spans())


@pytest.fixture
def instrument() -> Iterator[Callable[..., Installed]]:
    """`instrument(**settings)`: installs with those settings; uninstalls after the test.

    With `traces_enabled=True` spans go to a private in-memory exporter (the process-wide tracer
    provider is left alone: other tests' processes own it)."""

    def install(**overrides: Any) -> Installed:
        names = qf_otel_instrumentation.install(Settings(**overrides))
        exporter = None
        if overrides.get("traces_enabled"):
            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            _config.CONFIG = dataclasses.replace(_config.CONFIG, tracer_provider=provider)
        return Installed(names, exporter)

    yield install
    qf_otel_instrumentation.uninstall()


class UvicornServer:
    """A real uvicorn serving `app` on a free loopback port, in a thread of the test process
    (so the test can read the recording core directly)."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> UvicornServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(10)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], UvicornServer]]:
    """`serve(app)` -> a started UvicornServer, stopped after the test."""
    started: list[UvicornServer] = []

    def start(app: Any) -> UvicornServer:
        server = UvicornServer(app).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port} after {timeout} s")


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real redis-server (Debian package) on a free port, no persistence."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, 15)
        yield port
    finally:
        process.terminate()
        process.wait(10)
