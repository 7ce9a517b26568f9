"""`make demo-stack`: the QuantumFlow demo through the built Collector into a real Prometheus.

    python -m examples.quantumflow.stack --duration 120     # 0 (the default): until Ctrl-C

The service exports OTLP (every 2 s) to `collector/bin/qf-otelcol`, Prometheus scrapes the
Collector and evaluates every rule of collector/rules/ with each alert's `for:` capped at 15 s
(`--alert-for`; `--keep-alert-durations` for the repository's values). The load overheats qpu-b
on purpose (`--healthy-qpu` to not), so LowQuantumCoherence fires within about a minute. Every
few seconds it prints figures queried from Prometheus and the alerts that fire.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from examples.quantumflow.infra import Collector, Prometheus, seconds
from examples.quantumflow.load import LoadConfig
from examples.quantumflow.runner import DemoRun, port_or_free, run_command
from examples.quantumflow.summary import PROMQL, Summary


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.quantumflow.stack",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=0,
                        help="seconds to run; 0 = until Ctrl-C (default)")
    parser.add_argument("--port", type=int, default=8000, help="service port (or a free one)")
    parser.add_argument("--prometheus-port", type=int, default=9090,
                        help="Prometheus port (default 9090, a free one if taken)")
    parser.add_argument("--alert-for", default="15s", type=_duration,
                        help="cap of every alert's `for:` in the loaded rules (default 15s)")
    parser.add_argument("--keep-alert-durations", action="store_true",
                        help="load the rules unchanged")
    parser.add_argument("--healthy-qpu", action="store_true",
                        help="do not overheat qpu-b (LowQuantumCoherence then stays quiet)")
    parser.add_argument("--rate", type=float, default=LoadConfig.rate)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between reports")
    return parser.parse_args(argv)


def _duration(text: str) -> str:
    try:
        seconds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


@dataclass
class PrometheusReader:
    url: str

    async def query(self, expr: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.url, timeout=10.0) as client:
            response = await client.get("/api/v1/query", params={"query": expr})
            response.raise_for_status()
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    async def scalar(self, expr: str) -> float | None:
        result = await self.query(expr)
        return float(result[0]["value"][1]) if result else None

    async def alerts(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.url, timeout=10.0) as client:
            response = await client.get("/api/v1/alerts")
            response.raise_for_status()
        alerts: list[dict[str, Any]] = response.json()["data"]["alerts"]
        return alerts

    async def summary(self) -> Summary:
        coherence = {row["metric"].get("qf_quantum_system", ""): float(row["value"][1])
                     for row in await self.query(PROMQL["coherence"])}
        rps = await self.scalar(PROMQL["requests_per_second"])
        return Summary(seconds=0.0, requests=0.0, requests_per_second=rps or 0.0,
                       error_ratio=await self.scalar(PROMQL["error_ratio"]),
                       p95_seconds=await self.scalar(PROMQL["p95_seconds"]),
                       cache_hit_ratio=await self.scalar(PROMQL["cache_hit_ratio"]),
                       coherence=coherence)

    async def alert_line(self) -> str:
        alerts = await self.alerts()
        firing = sorted({a["labels"]["alertname"] for a in alerts if a["state"] == "firing"})
        pending = sorted({a["labels"]["alertname"] for a in alerts if a["state"] == "pending"})
        return (f"firing: {', '.join(firing) or '-'}"
                + (f"   pending: {', '.join(pending)}" if pending else ""))

    async def report(self) -> str:
        return f"{(await self.summary()).line()}\n         {await self.alert_line()}"


def describe(alert: dict[str, Any]) -> str:
    labels = alert["labels"]
    detail = ", ".join(f"{key}={labels[key]}" for key in
                       ("qf_quantum_system", "qf_component", "qf_transaction_type",
                        "qf_security_event_type", "http_route") if key in labels)
    return f"  {alert['state']:8s} {labels['alertname']}" + (f"  ({detail})" if detail else "")


async def run(args: argparse.Namespace) -> None:
    work_dir = Path(tempfile.mkdtemp(prefix="quantumflow-stack-"))
    collector = Collector(work_dir)
    prometheus = Prometheus(work_dir, collector, port=port_or_free(args.prometheus_port),
                            alert_for_cap=None if args.keep_alert_durations else args.alert_for)
    # Started synchronously: a Ctrl-C while they boot (a second or two) takes effect right
    # after, with both processes known and stopped below; never an orphan half-started.
    collector.start()
    try:
        prometheus.start()
        try:
            await _run_demo(args, work_dir, collector, prometheus)
        finally:
            prometheus.stop()
    finally:
        collector.stop()


async def _run_demo(args: argparse.Namespace, work_dir: Path, collector: Collector,
                    prometheus: Prometheus) -> None:
    reader = PrometheusReader(prometheus.url)
    demo = DemoRun(
        service_port=port_or_free(args.port),
        service_env={"OTEL_METRICS_EXPORTER": "otlp",
                     "OTEL_EXPORTER_OTLP_ENDPOINT": collector.otlp_url,
                     "OTEL_METRIC_EXPORT_INTERVAL": "2000"},
        load=LoadConfig("", rate=args.rate, degrade_qpu=not args.healthy_qpu),
        report_every=args.every, work_dir=work_dir)

    async def ready() -> None:
        assert demo.service is not None
        cap = "unchanged" if args.keep_alert_durations else f"capped at {args.alert_for}"
        demo.console.print(f"QuantumFlow API   {demo.service.url}/docs")
        demo.console.print(f"Prometheus        {prometheus.url}   (alerts: {prometheus.url}/alerts;"
                           f" rule `for:` {cap})")
        demo.console.print(f"Collector         OTLP {collector.otlp_url}   "
                           f"exporter http://127.0.0.1:{collector.exporter}/metrics")
        demo.console.print(f"logs              {work_dir}")
        until = f"{args.duration:g} s" if args.duration else "Ctrl-C"
        demo.console.print(f"load running until {until}; a report every {args.every:g} s\n")

    async def finished() -> None:
        demo.console.print("\nalerts at the end of the run:")
        alerts = await reader.alerts()
        for alert in sorted(alerts, key=lambda a: (a["state"], a["labels"]["alertname"])):
            demo.console.print(describe(alert))
        if not alerts:
            demo.console.print("  none")

    stats = await demo.run(args.duration, reader.report, on_ready=ready, on_finished=finished)
    demo.console.print("load generator:  " + stats.line())


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    return run_command("demo-stack", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
