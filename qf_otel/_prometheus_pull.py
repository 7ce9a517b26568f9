"""`/metrics` served from the process: the embedded default, also under multi-worker servers.

One port, many workers (uvicorn --workers, gunicorn, gunicorn --preload): whichever process of the
group binds the configured port first serves it; every other process of the group serves its own
families on a private loopback port and registers that port in the group's directory
(`_prometheus_group`). A scrape of the shared port answers with the families of every live process
of the group, each series labelled with its process's `service_instance_id`, so counters never
jump between workers and the totals over workers are exact. If the serving process dies, another
takes the port over within seconds. A single process never starts the extra machinery.

A port already held by something that is not a qf-otel process of the same group is an error at
`configure()`: silently joining would hand every scrape to a stranger.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics.export import MetricReader, MetricsData

from qf_otel import _prometheus_text as text
from qf_otel._limits import log_once
from qf_otel._prometheus_group import WorkerGroup

_logger = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TAKEOVER_SECONDS = 2.0
GROUP_PATH = "/qf-otel/group"


class PortHeldElsewhere(OSError):
    """The port is in use by something that is not a process of this qf-otel group."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Reuse lets a restarted service bind at once although the last scrape's connection is in
    # TIME_WAIT; a port with a live listener still refuses a second bind (Linux semantics).
    allow_reuse_address = True
    request_queue_size = 64


class _Server6(_Server):
    address_family = socket.AF_INET6


def _server_class(host: str) -> type[_Server]:
    family = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]
    return _Server6 if family == socket.AF_INET6 else _Server


def _loopback_for(host: str) -> str:
    """Where this host can reach a server bound to `host` (a wildcard bind is reached locally)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class PrometheusPullExport(MetricReader):
    """A pull reader: collects on each scrape and renders the Prometheus text format."""

    def __init__(self, host: str, port: int, group_dir: str | None,
                 cardinality_limits: dict[type, int] | None = None) -> None:
        super().__init__(cardinality_limits=cardinality_limits)
        self._host = host
        self._port = port
        default_dir = os.path.join(tempfile.gettempdir(), f"qf-otel-{os.getuid()}-{host}-{port}")
        self._group = WorkerGroup(Path(group_dir or default_dir))
        self._server: _Server | None = None
        self._private: _Server | None = None
        self._stop = threading.Event()
        self._takeover: threading.Thread | None = None
        self._lock = threading.Lock()
        self._latest: MetricsData | None = None
        # Once this process has been part of a group its series keep the instance label, so
        # they do not change identity when peers come and go.
        self._grouped = False
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
        self._group.unregister()

    # --- serving ------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind the shared port, or join the group serving it.

        Raises OSError (a host that cannot be bound), `PortHeldElsewhere`, or
        `GroupDirectoryError`; configure() turns each into a ConfigurationError.
        """
        self._group.ensure()
        if self._try_serve_shared():
            return
        if not self._port_serves_my_group():
            raise PortHeldElsewhere(
                f"port {self._port} is in use by another program (not a qf-otel worker of this "
                "service); choose another port or stop that program")
        self._serve_private()

    @property
    def port(self) -> int:
        server = self._server
        return int(server.server_address[1]) if server else self._port

    def _try_serve_shared(self) -> bool:
        try:
            server = _server_class(self._host)((self._host, self._port), self._handler(True))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            return False
        self._server = server
        threading.Thread(target=server.serve_forever, name="qf-otel-prometheus",
                         daemon=True).start()
        return True

    def _port_serves_my_group(self) -> bool:
        url = f"http://{url_host(_loopback_for(self._host))}:{self._port}{GROUP_PATH}"
        try:
            with urllib.request.urlopen(url, timeout=TAKEOVER_SECONDS) as response:
                return bool(response.read().decode() == str(self._group.directory))
        except (OSError, ValueError):
            return False

    def _serve_private(self) -> None:
        self._grouped = True
        if self._private is None:
            self._private = _Server(("127.0.0.1", 0), self._handler(False))
            threading.Thread(target=self._private.serve_forever, name="qf-otel-prometheus-peer",
                             daemon=True).start()
        self._group.register(int(self._private.server_address[1]))
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
                    self._group.unregister()
                    return
            except OSError as error:
                log_once(_logger, "takeover", "qf-otel: cannot bind %s:%s: %s",
                         self._host, self._port, error)

    def after_fork_in_child(self) -> None:
        """A forked child (gunicorn --preload) inherits the socket but not the serving thread."""
        inherited = self._server
        self._server = None
        self._private = None
        self._takeover = None
        self._lock = threading.Lock()
        if self._stop.is_set():
            return  # shut down before the fork: the child serves nothing either
        if inherited is not None:
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
        info = text.target_info(data)
        if info is not None:
            families["target_info"] = info
        return families

    def render_shared(self) -> str:
        peers = self._group.peer_ports()
        if peers:
            self._grouped = True
        if not self._grouped:
            return text.render(self._own_families(labelled=False).values())
        merged = self._own_families(labelled=True)
        for payload in self._group.fetch(peers):
            for raw in payload:
                family = merged.get(raw["name"])
                if family is None:
                    family = text.Family(raw["name"], raw["type"], raw["help"])
                    merged[raw["name"]] = family
                family.samples.extend((s[0], s[1], s[2]) for s in raw["samples"])
        return text.render(merged.values())

    def render_peer(self) -> bytes:
        families = self._own_families(labelled=True)
        return text.to_json(families.values())

    def _handler(self, shared: bool) -> type[BaseHTTPRequestHandler]:
        export = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # an idle or slow client must not hold a thread of the app for long

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                try:
                    if shared and path in ("/metrics", "/"):
                        body, kind = export.render_shared().encode(), CONTENT_TYPE
                    elif shared and path == GROUP_PATH:
                        body, kind = str(export._group.directory).encode(), "text/plain"
                    elif not shared and path == "/families":
                        body, kind = export.render_peer(), "application/json"
                    else:
                        self.send_error(404)
                        return
                except Exception:  # a scrape must never take the process down
                    log_once(_logger, "render", "qf-otel: rendering /metrics failed",
                             exc_info=True)
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
