"""Free loopback ports (the kernel picks; closed again right away for the server to take)."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 20.0, *, ok_only: bool = False) -> None:
    """Poll `url` until it answers (with a 2xx if `ok_only`), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError as error:
            if not ok_only:
                return
            last = error
            time.sleep(0.05)
        except OSError as error:
            last = error
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s: {last}")


def get_text(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode())
