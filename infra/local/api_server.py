"""`chalice local`, with a listen backlog that concurrent clients do not overflow.

Chalice's local server is Python's threaded HTTPServer, whose listen backlog is
5: fifty clients connecting at once (tests/e2e/test_concurrency.py, bench/load.py)
see their connections dropped and retried by TCP a second later. The local stack
runs Chalice's own command line through this module with a backlog of 128,
nothing else changed: `python -m infra.local.api_server local --stage local ...`.
"""

from __future__ import annotations

import sys

LISTEN_BACKLOG = 128


def main() -> int:
    from chalice import local
    from chalice.cli import main as chalice_main

    local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    sys.argv[0] = "chalice"
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
