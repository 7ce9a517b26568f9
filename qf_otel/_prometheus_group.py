"""The processes of one server (workers) that share one `/metrics` port find each other here.

A directory holds one file per peer process, `<pid>.port`, with the loopback port that process
serves its own families on. The directory is private to the user (0700, owned by us, not a
symlink): its default name in the temp dir is predictable, and another local user must not be able
to plant files or links in it. Registrations are written atomically and never through a link.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from qf_otel._limits import log_once

_logger = logging.getLogger(__name__)
PEER_TIMEOUT_SECONDS = 1.5


class GroupDirectoryError(OSError):
    """The group directory cannot be used safely; the message says why."""


class WorkerGroup:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def ensure(self) -> None:
        """Create the directory if needed and check it is ours alone."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.lstat(self.directory)
        except OSError as error:
            raise GroupDirectoryError(f"cannot create {self.directory}: {error}") from None
        if not stat.S_ISDIR(info.st_mode):
            raise GroupDirectoryError(f"{self.directory} is not a directory")
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            raise GroupDirectoryError(
                f"{self.directory} is owned by another user or writable by others")
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise GroupDirectoryError(f"{self.directory} is not writable")

    def _file(self, pid: int) -> Path:
        return self.directory / f"{pid}.port"

    def register(self, port: int) -> None:
        """Atomically publish this process's private port (never following a planted link)."""
        self.ensure()
        temporary = self.directory / f".{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(str(port))
        os.replace(temporary, self._file(os.getpid()))

    def unregister(self) -> None:
        with contextlib.suppress(OSError):
            self._file(os.getpid()).unlink()

    def peer_ports(self) -> list[int]:
        """Ports of the other live processes of the group; stale entries are removed."""
        ports = []
        uid = os.getuid()
        with contextlib.suppress(OSError):
            for entry in self.directory.glob("*.port"):
                pid = int(entry.stem) if entry.stem.isdigit() else -1
                if pid == os.getpid():
                    continue
                try:
                    info = os.lstat(entry)
                except OSError:
                    continue
                if info.st_uid != uid or not stat.S_ISREG(info.st_mode):
                    continue  # not written by us: ignore it, never trust it
                if pid <= 0 or not _alive(pid):
                    with contextlib.suppress(OSError):
                        entry.unlink()
                    continue
                with contextlib.suppress(OSError, ValueError):
                    ports.append(int(entry.read_text()))
        return ports

    def fetch(self, ports: list[int]) -> list[list[dict[str, Any]]]:
        """Every peer's families, asked at once with one deadline: a hung peer costs only
        itself and at most PEER_TIMEOUT_SECONDS of the scrape."""
        if not ports:
            return []
        pool = ThreadPoolExecutor(max_workers=min(len(ports), 16),
                                  thread_name_prefix="qf-otel-peers")
        futures = [pool.submit(_fetch_one, port) for port in ports]
        done, _ = wait(futures, timeout=PEER_TIMEOUT_SECONDS)
        pool.shutdown(wait=False, cancel_futures=True)  # a hung peer's thread ends by its timeout
        found = []
        for future, port in zip(futures, ports, strict=True):
            if future not in done:
                log_once(_logger, f"peer-{port}", "qf-otel: worker on port %s did not answer",
                         port)
                continue
            try:
                found.append(future.result())
            except Exception as error:  # a peer of another shape or version costs only itself
                log_once(_logger, f"peer-{port}", "qf-otel: worker on port %s: %s", port, error)
        return found


def _fetch_one(port: int) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/families"
    with urllib.request.urlopen(url, timeout=PEER_TIMEOUT_SECONDS) as response:
        payload = json.loads(response.read())
    if not isinstance(payload, list) or not all(_is_family(item) for item in payload):
        raise ValueError("answered something that is not a list of families")
    return payload


def _is_family(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and isinstance(item.get("type"), str)
        and isinstance(item.get("help"), str)
        and isinstance(item.get("samples"), list)
        and all(isinstance(s, list) and len(s) == 3 and isinstance(s[0], str)
                and isinstance(s[1], str) and isinstance(s[2], int | float)
                for s in item["samples"])
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
