"""`make demo`: the QuantumFlow service under load, metrics pulled from its own /metrics.

    python -m examples.quantumflow --duration 60     # 0 (the default): until Ctrl-C

Starts the service (uvicorn, a child process, qf-otel's embedded default: /metrics on
127.0.0.1:9464), the payment sandbox and the load generator; prints the URLs, then every few
seconds a summary computed from the service's own exposition. Nothing else needs to be running.
"""

from __future__ import annotations

import argparse
import sys

import httpx

from examples.quantumflow.load import LoadConfig
from examples.quantumflow.runner import DemoRun, port_or_free, run_command
from examples.quantumflow.summary import Snapshot, summarize


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.quantumflow",
                                     description="QuantumFlow demo: service + load + live summary")
    parser.add_argument("--duration", type=float, default=0,
                        help="seconds to run; 0 = until Ctrl-C (default)")
    parser.add_argument("--port", type=int, default=8000,
                        help="service port (default 8000, a free one if taken)")
    parser.add_argument("--metrics-port", type=int, default=9464,
                        help="/metrics port (default 9464, a free one if taken)")
    parser.add_argument("--rate", type=float, default=LoadConfig.rate,
                        help="load: scenario starts per second (0 = as fast as possible)")
    parser.add_argument("--concurrency", type=int, default=LoadConfig.concurrency)
    parser.add_argument("--degrade-qpu", action="store_true",
                        help="overheat qpu-b so its coherence stays below 0.7")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between summaries")
    return parser.parse_args(argv)


class ExpositionReporter:
    """Summaries of the interval since the previous call, from the service's own /metrics."""

    def __init__(self, metrics_url: str) -> None:
        self.metrics_url = metrics_url
        self.first: Snapshot | None = None
        self.previous: Snapshot | None = None

    async def snapshot(self) -> Snapshot:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(self.metrics_url)
            response.raise_for_status()
        return Snapshot.parse(response.text)

    async def start(self) -> None:
        self.first = self.previous = await self.snapshot()

    async def __call__(self) -> str | None:
        current = await self.snapshot()
        previous, self.previous = self.previous or current, current
        return summarize(previous, current).line()

    async def overall(self) -> str:
        current = await self.snapshot()
        return summarize(self.first or current, current).line()


async def run(args: argparse.Namespace) -> None:
    metrics_port = port_or_free(args.metrics_port)
    demo = DemoRun(
        service_port=port_or_free(args.port),
        service_env={"OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)},
        load=LoadConfig("", rate=args.rate, concurrency=args.concurrency,
                        degrade_qpu=args.degrade_qpu),
        report_every=args.every,
    )
    reporter = ExpositionReporter(f"http://127.0.0.1:{metrics_port}/metrics")

    async def ready() -> None:
        await reporter.start()
        assert demo.service is not None
        demo.console.print(f"QuantumFlow API   {demo.service.url}/docs")
        demo.console.print(f"metrics           {reporter.metrics_url}")
        demo.console.print(f"service log       {demo.service.log_path}")
        until = f"{args.duration:g} s" if args.duration else "Ctrl-C"
        demo.console.print(f"load running until {until}; a summary every {args.every:g} s\n")

    async def finished() -> None:
        demo.console.print("\nwhole run: " + await reporter.overall())

    stats = await demo.run(args.duration, reporter, on_ready=ready, on_finished=finished)
    demo.console.print("load generator:  " + stats.line())


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    return run_command("demo", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
