"""The real processes of the end-to-end tests, beyond what tests/support and tests/collector give:
the shop service (uvicorn, in its own process), a Redis server, and a Prometheus that can be
stopped and started again on the same port and data directory (the "Prometheus down" fault).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import httpx

from tests.e2e.shop_service import READY
from tests.support.apps import ChildProcess
from tests.support.ports import free_port, wait_for_http
from tests.support.prometheus import PrometheusServer

SHOP_SERVICE = Path(__file__).with_name("shop_service.py")


class ShopProcess:
    """The shop service under a real uvicorn on a free loopback port."""

    def __init__(self, work_dir: Path, redis_port: int, configure: Mapping[str, Any],
                 env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        work_dir.mkdir(parents=True, exist_ok=True)
        self.child = ChildProcess([sys.executable, str(SHOP_SERVICE)], {
            "E2E_PORT": str(self.port),
            "E2E_DB": str(work_dir / f"shop-{self.port}.db"),
            "E2E_REDIS_PORT": str(redis_port),
            "E2E_CONFIGURE": json.dumps(dict(configure)),
            **(env or {}),
        })
        self.output = ""
        try:
            lines = self.child.wait_for_line(READY)
            self.instrumented = set(lines[-1].split()[-1].split(","))
            wait_for_http(f"{self.url}/healthz")
        except BaseException:
            self.stop()
            raise
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def buy(self, item_id: int = 1, times: int = 1) -> None:
        """`times` purchases of one item: each a cache read, a query and a recorded transaction."""
        for _ in range(times):
            response = self.client.get(f"/items/{item_id}")
            assert response.status_code == 200, response.text

    def stop(self) -> str:
        """Stops the service (SIGTERM, bounded) and returns everything it printed."""
        if hasattr(self, "client"):
            self.client.close()
        _, self.output, _ = self.child.stop()
        return self.output


# What the start_shop fixtures of conftest.py hand to a test: configure() arguments (and extra
# environment) in, a running service out.
StartShop = Callable[..., "ShopProcess"]


class RedisServer:
    """redis-server from Debian on a free port, nothing persisted."""

    def __init__(self, work_dir: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(work_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class RestartablePrometheus(PrometheusServer):
    """A PrometheusServer whose process can go away and come back on the same port and TSDB."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # PrometheusServer starts it from a list of strings; keep them to start it again.
        self._args = list(cast(Sequence[str], self.process.args))

    def go_down(self) -> None:
        """SIGTERM and wait: the TSDB stays on disk, the port is free again."""
        self.process.terminate()
        self.process.wait(15)

    def come_back(self) -> None:
        self.process = subprocess.Popen(self._args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_http(f"{self.url}/-/ready", timeout=30)
