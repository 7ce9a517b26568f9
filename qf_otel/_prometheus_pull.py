"""`/metrics` served from the process: the embedded default, also under multi-worker servers.

One port, many workers (uvicorn --workers, gunicorn, gunicorn --preload): whichever process of the
group binds the configured port first serves it; every other process of the group serves its own
families on a private loopback port and registers that port in the group's directory. A scrape of
the shared port answers with the families of every live process of the group, each series labelled
with its process's `service_instance_id`, so counters never jump between workers and the totals
over workers are exact. If the serving process dies, another takes the port over within seconds.
A single process never starts the extra machinery: it simply serves what it has.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics.export import MetricReader, MetricsData

from qf_otel import _prometheus_text as text
from qf_otel._limits import log_once

_logger = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TAKEOVER_SECONDS = 2.0
PEER_TIMEOUT_SECONDS = 2.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a second bind of the shared port must fail, that is the point


class PrometheusPullExport(MetricReader):
    """A pull reader: collects on each scrape and renders the Prometheus text format."""

    def __init__(self, host: str, port: int, group_dir: str | None) -> None:
        super().__init__()
        self._host = host
        self._port = port
        default_dir = os.path.join(tempfile.gettempdir(), f"qf-otel-{os.getuid()}-{host}-{port}")
        self._group_dir = Path(group_dir or default_dir)
        self._server: _Server | None = None
        self._private: _Server | None = None
        self._stop = threading.Event()
        self._takeover: threading.Thread | None = None
        self._lock = threading.Lock()
        self._latest: MetricsData | None = None
        if hasattr(os, "register_at_fork"):
            # Never fork in the middle of a scrape: a child would inherit the SDK's collection
            # locks held by a thread that does not exist there, and its first scrape would hang.
            os.register_at_fork(before=self._hold_for_fork,
                                after_in_parent=self._release_after_fork)

    def _hold_for_fork(self) -> None:
        self._lock.acquire()

    def _release_after_fork(self) -> None:
        self._lock.release()

    # --- MetricReader -------------------------------------------------------------------------

    def _receive_metrics(self, metrics_data: MetricsData, timeout_millis: float = 10_000,
                         **kwargs: Any) -> None:
        self._latest = metrics_data

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._stop.set()
        for server in (self._server, self._private):
            if server is not None:
                server.shutdown()
                server.server_close()
        self._server = self._private = None
        with contextlib.suppress(OSError):
            self._registration().unlink()

    # --- serving ------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind the shared port, or join the group as a peer. Raises only if the host is bad."""
        if self._try_serve_shared():
            return
        self._serve_private()

    @property
    def port(self) -> int:
        server = self._server
        return server.server_address[1] if server else self._port

    def _try_serve_shared(self) -> bool:
        try:
            server = _Server((self._host, self._port), self._handler(shared=True))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            return False
        self._server = server
        threading.Thread(target=server.serve_forever, name="qf-otel-prometheus",
                         daemon=True).start()
        return True

    def _serve_private(self) -> None:
        if self._private is None:
            self._private = _Server(("127.0.0.1", 0), self._handler(shared=False))
            threading.Thread(target=self._private.serve_forever, name="qf-otel-prometheus-peer",
                             daemon=True).start()
        self._group_dir.mkdir(parents=True, exist_ok=True)
        self._registration().write_text(str(self._private.server_address[1]))
        if self._takeover is None or not self._takeover.is_alive():
            self._takeover = threading.Thread(target=self._watch_shared_port,
                                              name="qf-otel-prometheus-takeover", daemon=True)
            self._takeover.start()
        _logger.info("qf-otel: %s:%s is served by another process of this group; joined it",
                     self._host, self._port)

    def _watch_shared_port(self) -> None:
        while not self._stop.wait(TAKEOVER_SECONDS):
            try:
                if self._try_serve_shared():
                    with contextlib.suppress(OSError):
                        self._registration().unlink()
                    return
            except OSError as error:
                log_once(_logger, "takeover", "qf-otel: cannot bind %s:%s: %s",
                         self._host, self._port, error)

    def _registration(self) -> Path:
        return self._group_dir / f"{os.getpid()}.port"

    def after_fork_in_child(self) -> None:
        """A forked child (gunicorn --preload) inherits the socket but not the serving thread."""
        inherited = self._server
        self._server = None
        self._private = None
        self._takeover = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        if inherited is not None:
            with contextlib.suppress(OSError):
                inherited.socket.close()
        try:
            self._serve_private()
        except OSError as error:
            log_once(_logger, "fork", "qf-otel: /metrics unavailable in worker %s: %s",
                     os.getpid(), error)

    # --- rendering ----------------------------------------------------------------------------

    def _own_families(self, labelled: bool) -> dict[str, text.Family]:
        with self._lock:
            self._latest = None
            self.collect()
            data = self._latest
        families = text.to_families(data, with_instance=labelled)
        if not labelled:
            info = text.target_info(data)
            if info is not None:
                families["target_info"] = info
        return families

    def _peer_ports(self) -> list[int]:
        ports = []
        with contextlib.suppress(OSError):
            for entry in self._group_dir.glob("*.port"):
                pid = int(entry.stem) if entry.stem.isdigit() else -1
                if pid == os.getpid():
                    continue
                if pid <= 0 or not _alive(pid):
                    with contextlib.suppress(OSError):
                        entry.unlink()
                    continue
                with contextlib.suppress(OSError, ValueError):
                    ports.append(int(entry.read_text()))
        return ports

    def render_shared(self) -> str:
        peers = self._peer_ports()
        if not peers:
            return text.render(self._own_families(labelled=False).values())
        merged = self._own_families(labelled=True)
        for port in peers:
            try:
                url = f"http://127.0.0.1:{port}/families"
                with urllib.request.urlopen(url, timeout=PEER_TIMEOUT_SECONDS) as response:
                    payload = json.loads(response.read())
            except (OSError, ValueError) as error:
                log_once(_logger, f"peer-{port}", "qf-otel: worker on port %s did not answer: %s",
                         port, error)
                continue
            for raw in payload:
                family = merged.get(raw["name"])
                if family is None:
                    family = text.Family(raw["name"], raw["type"], raw["help"])
                    merged[raw["name"]] = family
                family.samples.extend((s[0], s[1], s[2]) for s in raw["samples"])
        return text.render(merged.values())

    def render_peer(self) -> bytes:
        families = self._own_families(labelled=True)
        return json.dumps(
            [{"name": f.name, "type": f.type, "help": f.help, "samples": f.samples}
             for f in families.values()]
        ).encode()

    def _handler(self, shared: bool) -> type[BaseHTTPRequestHandler]:
        export = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    if shared and self.path.split("?")[0] in ("/metrics", "/"):
                        body, kind = export.render_shared().encode(), CONTENT_TYPE
                    elif not shared and self.path == "/families":
                        body, kind = export.render_peer(), "application/json"
                    else:
                        self.send_error(404)
                        return
                except Exception:  # a scrape must never take the process down
                    _logger.exception("qf-otel: rendering /metrics failed")
                    self.send_error(500)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
