"""Helpers for the adversarial tests: run a snippet in a fresh process (configure() is once per
process), read one JSON result back, check an exposition with the real `promtool`, and hold a
port with a listener that accepts connections but never answers (a hung peer or Collector)."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tests.support.apps import ROOT, child_env

RESULT_MARK = "ADV-RESULT "


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    seconds: float

    def result(self) -> Any:
        """The JSON value the snippet printed with `report(...)`."""
        for line in self.output.splitlines():
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK):])
        raise AssertionError(f"no result printed (exit {self.returncode}):\n{self.output}")


# Prepended to every snippet: `report(value)` prints the value for the test to read back.
PRELUDE = textwrap.dedent(f"""
    import json as _json, sys as _sys
    def report(value):
        print({RESULT_MARK!r} + _json.dumps(value), flush=True)
""")


def run_python(code: str, env: Mapping[str, str] | None = None, timeout: float = 20.0) -> Run:
    """Run `code` (dedented) in a new interpreter with only `env` as OTEL_/QF_OTEL_ variables."""
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], env=child_env(env),
            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
        )
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode(errors="replace")
        return Run(-9, output + f"\n[killed after {timeout} s]", time.monotonic() - start)
    return Run(done.returncode, done.stdout.decode(errors="replace"), time.monotonic() - start)


def promtool_check(exposition: str) -> tuple[bool, str]:
    """`promtool check metrics` on the text; (passed, what promtool said)."""
    done = subprocess.run(["promtool", "check", "metrics"], input=exposition.encode(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    said = done.stdout.decode(errors="replace")
    # Lint findings (naming advice) do not make the text invalid; parse errors do.
    return "error while linting" not in said and "parsing error" not in said, said


@contextlib.contextmanager
def black_hole() -> Iterator[int]:
    """A loopback port whose listener completes TCP handshakes but never reads or replies."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def configure_outcome_snippet(arguments: str) -> str:
    """A snippet that calls configure(<arguments>) and reports what happened, by kind."""
    return f"""
        import qf_otel
        try:
            qf_otel.configure({arguments})
            report({{"kind": "ok"}})
        except qf_otel.ConfigurationError as error:
            report({{"kind": "ConfigurationError", "message": str(error)}})
        except BaseException as error:
            report({{"kind": type(error).__name__, "message": str(error)}})
    """


def scrape_until_closed(port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> str:
    """GET /metrics and read until the server closes the connection, then close ours.

    The side that closes first keeps the connection in TIME_WAIT; a scraper that waits for the
    server's close (as one reusing keep-alive connections effectively does) leaves it on the
    server's port every time, which makes the port-reuse tests deterministic.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(f"GET /metrics HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace").split("\r\n\r\n", 1)[-1]

