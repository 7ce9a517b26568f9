"""The two servers of `make demo-stack`: the repository's Collector build and a real Prometheus.

Both run as child processes on loopback ports, with their files in one temporary directory:
- the Collector is `collector/bin/qf-otelcol` (built by `make collector`) with the repository's
  base configuration, its listen addresses moved to free ports through the `QF_OTELCOL_*`
  variables the configuration reads;
- Prometheus is Debian's `prometheus`, scraping the Collector's exporter (with honor_labels, as
  docs/collector.md prescribes) and the Collector's own telemetry, and loading every rule file of
  collector/rules/ -- copied with each alert's `for:` capped (see `cap_alert_durations`) so that
  a demo of a minute or two can show alerts firing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from examples.quantumflow.runner import ROOT, free_port

COLLECTOR_BINARY = ROOT / "collector" / "bin" / "qf-otelcol"
COLLECTOR_CONFIG = ROOT / "collector" / "config" / "otelcol.yaml"
RULES_DIR = ROOT / "collector" / "rules"
_DURATION = re.compile(r"^((\d+)(ms|s|m|h|d|w|y))+$")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def wait_for_http(url: str, timeout: float, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} not ready after {timeout} s:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Collector:
    work_dir: Path
    otlp_http: int = field(default_factory=free_port)
    otlp_grpc: int = field(default_factory=free_port)
    exporter: int = field(default_factory=free_port)
    health: int = field(default_factory=free_port)
    telemetry: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def otlp_url(self) -> str:
        return f"http://127.0.0.1:{self.otlp_http}"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "otelcol.log"

    def start(self) -> None:
        if not COLLECTOR_BINARY.exists():
            raise RuntimeError(f"{COLLECTOR_BINARY} is missing: run `make collector` first")
        env = {
            "QF_OTELCOL_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{self.otlp_http}",
            "QF_OTELCOL_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{self.otlp_grpc}",
            "QF_OTELCOL_PROMETHEUS_ENDPOINT": f"127.0.0.1:{self.exporter}",
            "QF_OTELCOL_HEALTH_ENDPOINT": f"127.0.0.1:{self.health}",
            "QF_OTELCOL_TELEMETRY_HOST": "127.0.0.1",
            "QF_OTELCOL_TELEMETRY_PORT": str(self.telemetry),
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(COLLECTOR_BINARY), f"--config={COLLECTOR_CONFIG}"],
                env=env, cwd=self.work_dir, stdout=log, stderr=subprocess.STDOUT)
        wait_for_http(f"http://127.0.0.1:{self.health}/", 30, self.process, self.log_path)

    def stop(self) -> None:
        stop_process(self.process)


def cap_alert_durations(rules: dict[str, Any], cap: str | None) -> dict[str, Any]:
    """Lower every alert's `for:` to at most `cap` (None: unchanged). Returns `rules`."""
    if cap is None:
        return rules
    limit = seconds(cap)
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            if "alert" in rule and seconds(str(rule.get("for", "0s"))) > limit:
                rule["for"] = cap
    return rules


def seconds(duration: str) -> float:
    """A Prometheus duration (`2m`, `15s`, `1h30m`) in seconds."""
    if _DURATION.match(duration) is None:
        raise ValueError(f"not a Prometheus duration: {duration!r} (e.g. 15s, 2m, 1h30m)")
    return sum(int(number) * _SECONDS[unit] for number, unit in _PART.findall(duration))


@dataclass
class Prometheus:
    work_dir: Path
    collector: Collector
    port: int = 9090
    alert_for_cap: str | None = "15s"
    interval: str = "2s"
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "prometheus.log"

    def rule_files(self) -> list[Path]:
        directory = self.work_dir / "rules"
        directory.mkdir(exist_ok=True)
        written = []
        for source in sorted(RULES_DIR.glob("*.yml")):
            rules = cap_alert_durations(yaml.safe_load(source.read_text()), self.alert_for_cap)
            target = directory / source.name
            target.write_text(yaml.safe_dump(rules, sort_keys=False))
            written.append(target)
        return written

    def start(self) -> None:
        if shutil.which("prometheus") is None:
            raise RuntimeError("the prometheus command is missing: apt-get install prometheus")
        config = {
            "global": {"scrape_interval": self.interval, "evaluation_interval": self.interval},
            "rule_files": [str(path) for path in self.rule_files()],
            "scrape_configs": [
                {"job_name": "otelcol-exporter", "honor_labels": True,
                 "static_configs": [{"targets": [f"127.0.0.1:{self.collector.exporter}"]}]},
                {"job_name": "otelcol",
                 "static_configs": [{"targets": [f"127.0.0.1:{self.collector.telemetry}"]}]},
            ],
        }
        config_path = self.work_dir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["prometheus", f"--config.file={config_path}",
                 f"--storage.tsdb.path={self.work_dir / 'prometheus-data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}"],
                cwd=self.work_dir, stdout=log, stderr=subprocess.STDOUT)
        wait_for_http(f"{self.url}/-/ready", 30, self.process, self.log_path)

    def stop(self) -> None:
        stop_process(self.process)
