"""`chalice local`, tuned for concurrent clients: no Nagle delay, a deeper listen backlog.

Chalice's local server is Python's threaded HTTPServer. Two of its defaults cost
every client dearly (bench/load.py):

- Nagle's algorithm is left on: a response is written as headers, then body, and
  the second small write waits for the client's delayed ACK, up to 40 ms on
  Linux. With keep-alive clients every request paid it (the availability, which
  makes no AWS call, took 45 ms). `disable_nagle_algorithm` sets TCP_NODELAY.
- The listen backlog is 5: fifty clients connecting at once
  (tests/e2e/test_concurrency.py) see connections dropped and retried by TCP a
  second later. It is 128 here.

The local stack runs Chalice's own command line through this module, nothing
else changed: `python -m infra.local.api_server local --stage local ...`.
"""

from __future__ import annotations

import sys

LISTEN_BACKLOG = 128


def main() -> int:
    from chalice import local
    from chalice.cli import main as chalice_main

    local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    local.ChaliceRequestHandler.disable_nagle_algorithm = True
    sys.argv[0] = "chalice"
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
