"""The multi-process pull group under abuse: the serving process dies, peers hang, stale and
planted registration files, a registration directory that cannot be used."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adversarial._group import hits_by_instance, start_worker, wait_registered
from tests.adversarial._support import scrape_until_closed
from tests.support.apps import ChildProcess
from tests.support.ports import free_port, get_text, wait_for_http


@pytest.fixture
def group(tmp_path: Path) -> Path:
    return tmp_path / "group"


@pytest.fixture
def workers() -> Iterator[list[ChildProcess]]:
    started: list[ChildProcess] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            os.kill(worker.process.pid, signal.SIGCONT)  # a stopped process ignores SIGTERM
        worker.stop()


def _start_group(port: int, group: Path, hits: list[float], workers: list[ChildProcess],
                 probe: bool = True) -> None:
    """First worker serves the port; the others join as peers (in that order, deterministically).
    configure() binds before it returns, so "worker-ready" of the first one is enough; `probe`
    also fetches /metrics once (which leaves the server-side connection in TIME_WAIT)."""
    for index, count in enumerate(hits):
        worker = start_worker(port, group, count)
        workers.append(worker)
        worker.wait_for_line("worker-ready", timeout=20)
        if index == 0 and probe:
            wait_for_http(f"http://127.0.0.1:{port}/metrics", timeout=10)
    wait_registered(group, len(hits) - 1)


def test_group_totals_are_exact_over_repeated_scrapes(group: Path,
                                                      workers: list[ChildProcess]) -> None:
    """Held: one port, three processes, every scrape sums to exactly what was recorded."""
    port = free_port()
    _start_group(port, group, [1, 10, 100], workers)
    for _ in range(5):
        found = hits_by_instance(get_text(f"http://127.0.0.1:{port}/metrics"))
        assert sorted(found.values()) == [1, 10, 100], found


def test_peer_takes_the_port_over_when_the_server_dies(group: Path,
                                                       workers: list[ChildProcess]) -> None:
    port = free_port()
    _start_group(port, group, [1, 10, 100], workers)
    url = f"http://127.0.0.1:{port}/metrics"
    scraped = hits_by_instance(scrape_until_closed(port))   # as Prometheus does, before the crash
    assert sorted(scraped.values()) == [1, 10, 100]
    workers[0].stop(signal.SIGKILL)
    deadline = time.monotonic() + 5
    found: dict[str, float] = {}
    while time.monotonic() < deadline:
        try:
            found = hits_by_instance(get_text(url, timeout=2))
            if sorted(found.values()) == [10, 100]:
                break
        except OSError:
            pass
        time.sleep(0.2)
    assert sorted(found.values()) == [10, 100], found


def test_peer_takes_the_port_over_when_the_unscraped_server_dies(
        group: Path, workers: list[ChildProcess]) -> None:
    """Held: with no connection ever accepted on the shared port, takeover works within ~2 s and
    the live workers' counts stay exact."""
    port = free_port()
    _start_group(port, group, [1, 10, 100], workers, probe=False)
    workers[0].stop(signal.SIGKILL)
    started = time.monotonic()
    wait_for_http(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert time.monotonic() - started < 3.5
    time.sleep(0.3)  # the new server re-reads the registrations on each scrape
    found = hits_by_instance(get_text(f"http://127.0.0.1:{port}/metrics"))
    assert sorted(found.values()) == [10, 100], found


def test_hung_peers_cost_a_bounded_scrape(group: Path, workers: list[ChildProcess]) -> None:
    port = free_port()
    _start_group(port, group, [1, 10, 100], workers)
    for worker in workers[1:]:
        os.kill(worker.process.pid, signal.SIGSTOP)
    started = time.monotonic()
    found = hits_by_instance(get_text(f"http://127.0.0.1:{port}/metrics", timeout=10))
    took = time.monotonic() - started
    assert found and 1 in found.values()
    assert took < 2.5, f"scrape took {took:.1f} s with 2 hung peers"


def test_stale_and_garbage_registrations_do_not_break_the_scrape(
        group: Path, workers: list[ChildProcess]) -> None:
    """Held: a dead pid's file is removed, garbage files are ignored, totals stay exact."""
    group.mkdir()
    dead = ChildProcess.python("pass")
    dead.process.wait()
    (group / f"{dead.process.pid}.port").write_text("1")      # a worker that died long ago
    (group / "notapid.port").write_text("12345")
    (group / f"{os.getpid()}.port").write_text("not a number")  # a live, unrelated pid
    port = free_port()
    _start_group(port, group, [1, 10], workers)
    found = hits_by_instance(get_text(f"http://127.0.0.1:{port}/metrics", timeout=5))
    assert sorted(found.values()) == [1, 10], found
    assert not (group / f"{dead.process.pid}.port").exists()


def test_unusable_registration_directory_is_a_configuration_error(
        tmp_path: Path, workers: list[ChildProcess]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    group = blocker / "group"          # cannot be created: its parent is a regular file
    port = free_port()
    # every process of the group checks the directory, the one that would serve the port too
    for hits in (1, 10):
        worker = start_worker(port, group, hits)
        workers.append(worker)
        lines = worker.wait_for_line("configure-", timeout=20)
        assert "configure-raised ConfigurationError multiprocess_dir=" in lines[-1], lines


def test_planted_symlink_in_the_group_directory_is_not_followed(
        tmp_path: Path, workers: list[ChildProcess]) -> None:
    """A directory another user could write to is refused (at configure(), in every process);
    in a private one a planted link is replaced, never written through."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)                    # as if another local user had created it
    refused = start_worker(free_port(), shared, 1)
    workers.append(refused)
    lines = refused.wait_for_line("configure-", timeout=20)
    assert "configure-raised ConfigurationError multiprocess_dir=" in lines[-1], lines
    group = tmp_path / "group"
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    port = free_port()
    server = start_worker(port, group, 1)
    workers.append(server)
    server.wait_for_line("worker-ready", timeout=20)
    gate = tmp_path / "go"
    peer = start_worker(port, group, 10, gate=str(gate))
    workers.append(peer)
    pid = int(peer.wait_for_line("pid ")[-1].split()[1])
    (group / f"{pid}.port").symlink_to(victim)  # planted before the peer registers
    gate.write_text("")
    peer.wait_for_line("worker-ready", timeout=20)
    assert victim.read_text() == "precious\n"


def test_peer_answering_unexpected_json_costs_only_itself(
        group: Path, workers: list[ChildProcess]) -> None:
    impostor = ChildProcess.python(textwrap.dedent("""
        import http.server, os
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b'{"status": "ok", "families": []}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        print("impostor", os.getpid(), server.server_address[1], flush=True)
        server.serve_forever()
    """))
    workers.append(impostor)
    _, pid, impostor_port = impostor.wait_for_line("impostor")[-1].split()
    group.mkdir()
    (group / f"{pid}.port").write_text(impostor_port)   # a live process on a registered port
    port = free_port()
    _start_group(port, group, [1, 10], workers)
    found = hits_by_instance(get_text(f"http://127.0.0.1:{port}/metrics", timeout=5))
    assert sorted(found.values()) == [1, 10], found


def test_group_exposition_keeps_target_info_per_worker(group: Path,
                                                      workers: list[ChildProcess]) -> None:
    port = free_port()
    _start_group(port, group, [1, 10], workers)
    body = get_text(f"http://127.0.0.1:{port}/metrics")
    infos = [line for line in body.splitlines() if line.startswith("target_info{")]
    assert len(infos) == 2, infos
    assert all("service_instance_id=" in line for line in infos), infos


def test_serving_process_series_keep_their_identity_when_peers_come_and_go(
        group: Path, workers: list[ChildProcess]) -> None:
    port = free_port()
    _start_group(port, group, [1, 10], workers)

    def server_series() -> list[str]:
        body = get_text(f"http://127.0.0.1:{port}/metrics")
        return [line.rsplit(" ", 1)[0] for line in body.splitlines()
                if line.startswith("adv_group_hits_total{") and line.endswith(" 1")]

    with_peer = server_series()
    workers[1].stop(signal.SIGKILL)
    server_series()                       # this scrape notices the dead peer and drops it
    assert server_series() == with_peer
