"""A real Prometheus (Debian's `prometheus`) on a free loopback port with a temporary data dir."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.support.ports import free_port, wait_for_http


class PrometheusServer:
    def __init__(
        self,
        targets: Sequence[str] = (),
        *,
        scrape_interval: str = "1s",
        rule_files: Sequence[str] = (),
        honor_labels: bool = False,
        remote_write_receiver: bool = False,
        evaluation_interval: str = "1s",
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="qf-prom-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config: dict[str, Any] = {
            "global": {"scrape_interval": scrape_interval,
                       "evaluation_interval": evaluation_interval},
            "scrape_configs": [],
        }
        if targets:
            config["scrape_configs"].append({
                "job_name": "qf", "honor_labels": honor_labels,
                "static_configs": [{"targets": list(targets)}],
            })
        if rule_files:
            config["rule_files"] = [str(Path(f).resolve()) for f in rule_files]
        (self.dir / "prometheus.yml").write_text(yaml.safe_dump(config))
        args = [
            "prometheus", f"--config.file={self.dir / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
        ]
        if remote_write_receiver:
            args.append("--web.enable-remote-write-receiver")
        self.log = open(self.dir / "prometheus.log", "wb")  # noqa: SIM115 - lives with the server
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_http(f"{self.url}/-/ready", timeout=30, ok_only=True)

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=10) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=promql)["result"])

    def value(self, promql: str) -> float | None:
        """The single value `promql` returns now, or None if it returns nothing."""
        result = self.query(promql)
        if not result:
            return None
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    def wait_value(self, promql: str, expected: float | None = None, timeout: float = 30.0
                   ) -> float:
        """Poll until `promql` returns one value (equal to `expected`, if given)."""
        deadline = time.monotonic() + timeout
        last: float | None = None
        while time.monotonic() < deadline:
            last = self.value(promql)
            if last is not None and (expected is None or abs(last - expected) < 1e-9):
                return last
            time.sleep(0.25)
        raise AssertionError(f"{promql} = {last}, expected {expected} within {timeout} s")

    def targets_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            active = self.api("targets")["activeTargets"]
            if active and all(t["health"] == "up" for t in active):
                return
            time.sleep(0.25)
        raise AssertionError(f"targets not up: {self.api('targets')['activeTargets']}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
