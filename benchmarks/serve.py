"""A variant's app on real uvicorn (httptools + uvloop when installed), for the load driver.

    python -m benchmarks.serve VARIANT

Binds a free loopback port, prints `ready PORT` once serving, and stops when stdin closes (the
coordinator owns the process). Access logs are off: every variant would pay them equally, and
they would dominate a small route.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import uvicorn

from benchmarks.variants import NAMES, prepare


def _stop_on_eof(server: uvicorn.Server) -> None:
    sys.stdin.read()
    server.should_exit = True


def _announce(server: uvicorn.Server) -> None:
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=NAMES)
    app = prepare(parser.parse_args().variant)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    threading.Thread(target=_stop_on_eof, args=(server,), daemon=True).start()
    threading.Thread(target=_announce, args=(server,), daemon=True).start()
    server.run()


if __name__ == "__main__":
    main()
