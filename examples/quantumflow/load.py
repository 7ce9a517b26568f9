"""Load generator: drives the QuantumFlow API over real HTTP (httpx, concurrent), realistic mix.

Workers pick a scenario by weight, paced to a target request rate:
- browsing items (ids drawn from a long-tailed distribution, so popular items hit the cache and
  the tail misses; 5 % unknown ids answer 404), listing and a slow substring search;
- creating items, some with bad input (422);
- customer sessions: login (10 % wrong password), one to three checkouts in one of five
  currencies (the sandbox provider declines some: 402, or is down: 502), logout or walk away;
- an attacker guessing passwords until the account locks (401, then 423);
- a report that always fails (500) and a revenue report.
Beside the workers, quantum jobs arrive at a fixed rate (so coherence does not depend on how fast
the HTTP workers go), a health probe polls `/healthz` every second, and, with `degrade_qpu`,
a stream of deep circuits overheats qpu-b until its coherence stays under 0.7.

Run alone against a running service: ``python -m examples.quantumflow.load --url URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from examples.quantumflow import catalog

CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF")
UNKNOWN_ITEM_BASE = 900_000


@dataclass(frozen=True)
class LoadConfig:
    base_url: str
    rate: float = 120.0  # scenario starts per second across all workers; 0 = as fast as possible
    concurrency: int = 16
    quantum_rate: float = 2.0  # quantum jobs per second
    degrade_qpu: bool = False
    seed: int | None = None


@dataclass
class LoadStats:
    """What the load generator saw (probes excluded, like the service's HTTP metrics)."""

    started: float = field(default_factory=time.monotonic)
    by_class: Counter[str] = field(default_factory=Counter)

    def count(self, status: int | None) -> None:
        self.by_class["error" if status is None else f"{status // 100}xx"] += 1

    @property
    def total(self) -> int:
        return sum(self.by_class.values())

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        c = self.by_class
        return (f"load {elapsed:6.1f}s  {self.total:7d} requests  {self.total / elapsed:6.1f}/s  "
                f"2xx {c['2xx']}  4xx {c['4xx']}  5xx {c['5xx']}  failed {c['error']}")


class Pacer:
    """Hands out start times 1/rate apart, shared by every worker (rate 0: no pacing)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()

    async def wait(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        # Do not bank more than a second of missed starts after a stall: no thundering herd.
        self._next = max(self._next + self._interval, now - 1.0)
        if self._next > now:
            await asyncio.sleep(self._next - now)


class LoadGenerator:
    def __init__(self, config: LoadConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.stats = LoadStats()
        self.rng = random.Random(config.seed)
        self._client = client
        self._jobs: set[asyncio.Task[None]] = set()
        self._users = catalog.demo_usernames()
        self._scenarios: list[tuple[Callable[[httpx.AsyncClient], Awaitable[None]], int]] = [
            (self._browse, 45), (self._list, 8), (self._search, 5), (self._create, 4),
            (self._bad_input, 3), (self._customer, 12), (self._attacker, 1),
            (self._revenue_report, 2), (self._export, 1),
        ]

    async def run(self, stop: asyncio.Event, drain_seconds: float = 10.0) -> None:
        """Generate load until `stop` is set, then let what is in flight finish.

        Draining (rather than cancelling) means the service has answered, and recorded, exactly
        the requests counted in `stats` once this returns.
        """
        limits = httpx.Limits(max_connections=self.config.concurrency + 32)
        async with contextlib.AsyncExitStack() as stack:
            client = self._client
            if client is None:
                client = await stack.enter_async_context(httpx.AsyncClient(
                    base_url=self.config.base_url, timeout=10.0, limits=limits))
            pacer = Pacer(self.config.rate)
            workers = [asyncio.create_task(self._worker(client, pacer, stop))
                       for _ in range(self.config.concurrency)]
            workers.append(asyncio.create_task(self._quantum_jobs(client, stop)))
            if self.config.degrade_qpu:
                workers.append(asyncio.create_task(self._overheat_qpu_b(client, stop)))
            probe = asyncio.create_task(self._probe(client, stop))
            try:
                await stop.wait()
            finally:
                stop.set()
                probe.cancel()
                pending = [*workers, *self._jobs]
                # asyncio.wait neither raises nor cancels: what is still running afterwards is
                # cancelled below, and every task's outcome is collected by the last gather.
                await asyncio.wait(pending, timeout=drain_seconds)
                for task in [*pending, probe]:
                    task.cancel()
                await asyncio.gather(*pending, probe, return_exceptions=True)

    async def _worker(self, client: httpx.AsyncClient, pacer: Pacer, stop: asyncio.Event) -> None:
        scenarios, weights = zip(*self._scenarios, strict=True)
        while not stop.is_set():
            await pacer.wait()
            if stop.is_set():
                return
            scenario = self.rng.choices(scenarios, weights)[0]
            await scenario(client)

    async def _send(self, client: httpx.AsyncClient, method: str, url: str,
                    **kwargs: object) -> httpx.Response | None:
        try:
            response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError:
            self.stats.count(None)
            return None
        self.stats.count(response.status_code)
        return response

    def _item_id(self) -> int:
        if self.rng.random() < 0.05:
            return UNKNOWN_ITEM_BASE + self.rng.randrange(100_000)
        # Long tail: a few hundred items get most of the views.
        return min(int(self.rng.paretovariate(0.8)), catalog.CATALOG_SIZE)

    async def _browse(self, client: httpx.AsyncClient) -> None:
        await self._send(client, "GET", f"/items/{self._item_id()}")

    async def _list(self, client: httpx.AsyncClient) -> None:
        await self._send(client, "GET", "/items",
                         params={"limit": 20, "offset": self.rng.randrange(0, 2000, 20)})

    async def _search(self, client: httpx.AsyncClient) -> None:
        word = self.rng.choice(catalog.WORDS)
        await self._send(client, "GET", "/items/search", params={"q": word})

    async def _create(self, client: httpx.AsyncClient) -> None:
        await self._send(client, "POST", "/items", json={
            "name": f"{self.rng.choice(catalog.WORDS)} kit", "description": "added by the load",
            "price_eur": round(self.rng.uniform(5, 300), 2), "stock": self.rng.randint(1, 50)})

    async def _bad_input(self, client: httpx.AsyncClient) -> None:
        choice = self.rng.randrange(3)
        if choice == 0:
            await self._send(client, "POST", "/items", json={"name": "", "price_eur": -3,
                                                             "stock": 1})
        elif choice == 1:
            await self._send(client, "GET", "/items/search", params={"q": "x"})
        else:
            await self._send(client, "GET", "/items/not-a-number")

    async def _customer(self, client: httpx.AsyncClient) -> None:
        username = self.rng.choice(self._users)
        password = catalog.demo_password(username)
        if self.rng.random() < 0.10:
            password += "-typo"
        response = await self._send(client, "POST", "/login",
                                    json={"username": username, "password": password})
        if response is None or response.status_code != 200:
            return
        headers = {"authorization": f"Bearer {response.json()['token']}"}
        for _ in range(self.rng.randint(1, 3)):
            currency = self.rng.choice(CURRENCIES) if self.rng.random() > 0.03 else "XYZ"
            await self._send(client, "POST", "/checkout", headers=headers, json={
                "item_id": min(int(self.rng.paretovariate(0.8)), catalog.CATALOG_SIZE),
                "quantity": self.rng.randint(1, 4), "currency": currency})
        if self.rng.random() < 0.7:
            await self._send(client, "POST", "/logout", headers=headers)

    async def _attacker(self, client: httpx.AsyncClient) -> None:
        target = self.rng.choice(("admin", "root", self.rng.choice(self._users)))
        for attempt in range(6):
            await self._send(client, "POST", "/login",
                             json={"username": target, "password": f"guess-{attempt}"})

    async def _revenue_report(self, client: httpx.AsyncClient) -> None:
        await self._send(client, "GET", "/reports/revenue")

    async def _export(self, client: httpx.AsyncClient) -> None:
        await self._send(client, "POST", "/reports/export")

    async def _quantum_jobs(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        systems, weights = ("qpu-a", "qpu-b", "simulator", "qpu-c"), (35, 35, 20, 10)
        while not stop.is_set():
            job = {"algorithm": self.rng.choice(("vqe", "qaoa", "grover")),
                   "system": self.rng.choices(systems, weights)[0],
                   "depth": self.rng.randint(8, 24), "cycles": self.rng.randint(5, 15)}
            self._start_job(client, job)
            await _sleep_unless(stop, self.rng.expovariate(self.config.quantum_rate))

    async def _overheat_qpu_b(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        """Deep circuits on qpu-b, two a second: its coherence settles around 0.4-0.5."""
        while not stop.is_set():
            self._start_job(client, {"algorithm": "qaoa", "system": "qpu-b", "depth": 48,
                                     "cycles": 16})
            await _sleep_unless(stop, 0.5)

    def _start_job(self, client: httpx.AsyncClient, job: Mapping[str, object]) -> None:
        # Jobs run concurrently with the workers, as a batch client submits them.
        task = asyncio.create_task(self._job(client, job))
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _job(self, client: httpx.AsyncClient, job: Mapping[str, object]) -> None:
        await self._send(client, "POST", "/quantum/jobs", json=job)

    async def _probe(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                await client.get("/healthz")
            await _sleep_unless(stop, 1.0)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def show_progress(stats: LoadStats, stop: asyncio.Event, every: float = 0.5) -> None:
    """One refreshing status line on a terminal; nothing when output is not a terminal."""
    if not sys.stdout.isatty():
        await stop.wait()
        return
    while not stop.is_set():
        sys.stdout.write("\r\033[K" + stats.line())
        sys.stdout.flush()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
    sys.stdout.write("\r\033[K")


async def _run(config: LoadConfig, duration: float) -> LoadStats:
    stop = asyncio.Event()
    generator = LoadGenerator(config)
    if duration > 0:
        asyncio.get_running_loop().call_later(duration, stop.set)
    try:
        await asyncio.gather(generator.run(stop), show_progress(generator.stats, stop))
    finally:
        stop.set()
    return generator.stats


def main() -> None:
    parser = argparse.ArgumentParser(description="Drive the QuantumFlow API with a realistic mix.")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0 = until Ctrl-C")
    parser.add_argument("--rate", type=float, default=LoadConfig.rate)
    parser.add_argument("--concurrency", type=int, default=LoadConfig.concurrency)
    parser.add_argument("--quantum-rate", type=float, default=LoadConfig.quantum_rate)
    parser.add_argument("--degrade-qpu", action="store_true",
                        help="overheat qpu-b until its coherence stays under 0.7")
    args = parser.parse_args()
    config = LoadConfig(args.url, args.rate, args.concurrency, args.quantum_rate, args.degrade_qpu)
    try:
        stats = asyncio.run(_run(config, args.duration))
    except KeyboardInterrupt:
        return
    print(stats.line())


if __name__ == "__main__":
    main()
