"""Fixtures of the end-to-end tests: a session Redis, a factory of shop services that checks none
of them printed a traceback, and the figures summary at the end of the run."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.figures import FIGURES
from tests.e2e.processes import RedisServer, ShopProcess, StartShop


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def start_shop(tmp_path: Path, redis_server: RedisServer) -> Iterator[StartShop]:
    """`start_shop(configure={...}, env={...})` → a running ShopProcess, stopped after the test.

    After configure() returns nothing qf-otel does may raise into the application, whatever
    happens to the Collector or Prometheus: every service's output is checked for a traceback.
    """
    yield from _shops(tmp_path, redis_server)


@pytest.fixture(scope="module")
def start_module_shop(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
                      ) -> Iterator[StartShop]:
    """`start_shop` for module-scoped fixtures: the services live until the module's tests end."""
    yield from _shops(tmp_path_factory.mktemp("shops"), redis_server)


def _shops(tmp_path: Path, redis_server: RedisServer) -> Iterator[StartShop]:
    started: list[ShopProcess] = []

    def start(configure: Mapping[str, Any], env: Mapping[str, str] | None = None) -> ShopProcess:
        shop = ShopProcess(tmp_path / "shop", redis_server.port, configure, env)
        started.append(shop)
        return shop

    yield start
    outputs = [shop.stop() for shop in started]
    for output in outputs:
        assert "Traceback" not in output, output


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("qf-otel end-to-end figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")
    path = Path(tempfile.gettempdir()) / "qf-otel-e2e-figures.json"
    path.write_text(json.dumps(FIGURES, indent=2) + "\n")
    terminalreporter.write_line(f"(also in {path})")
