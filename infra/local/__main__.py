"""`make run`: the whole service on this machine, no AWS account needed.

Starts a moto server on 127.0.0.1:$MOTO_PORT (made exact under concurrency:
infra/local/exact_moto.py), creates the resources of infra/resources.py, writes
the demo data, starts `chalice local --stage local` on 127.0.0.1:$PORT with boto3
pointed at moto (infra/local/api_server.py: a listen backlog of 128), serves the portal on
127.0.0.1:$WEB_PORT (infra/local/web.py), and runs the event pump in this
process until Ctrl-C (or SIGTERM), which stops everything it started.
`GUICHET_NOW` (an ISO 8601 instant) fixes the service's clock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

from chalicelib.endpoints import wiring

ROOT = Path(__file__).resolve().parents[2]
STAGE = "local"
REGION = "eu-west-3"
PUMP_INTERVAL_SECONDS = 0.5
BUSY_PUMP_INTERVAL_SECONDS = 0.05


def _base_environment(port: int, moto_port: int, web_port: int) -> dict[str, str]:
    from chalicelib.auth import generate_signing_key

    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "GUICHET_STAGE": STAGE,
        "AUTH_ISSUER": f"http://127.0.0.1:{port}/local",
        "AUTH_AUDIENCE": "guichet-local",
        "AUTH_LOCAL_SIGNING_KEY": generate_signing_key(),
        # The API allows this origin alone (CORS); e-mails link to the portal.
        "PORTAL_ORIGIN": f"http://127.0.0.1:{web_port}",
    }


def _provision() -> dict[str, str]:
    """Create the resources and the demo data; returns the variables naming them."""

    from chalicelib.shared import aws, clock
    from chalicelib.shared.config import get_settings
    from infra.demo import seed_directory
    from infra.demo_tickets import seed_tickets
    from infra.provision import create_all

    env = create_all(aws.session(), STAGE)
    os.environ.update(env)
    get_settings.cache_clear()
    aws.client("ses").verify_email_identity(EmailAddress=get_settings().mail_sender)
    seed_directory(wiring.directory())
    seed_tickets(wiring.ticket_store(), clock.now())
    return env


def _wait_for_health(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"chalice local exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("chalice local did not answer /health in time")


def _banner(url: str, portal_url: str) -> str:
    from infra.demo import USERS

    users = "\n".join(
        f"    {user.user_id:<7} {user.profile or '-':<19} {', '.join(user.groups) or '-':<16} "
        f"{', '.join(org.designation for org in orgs) or '-'}"
        for user, orgs in USERS
    )
    return f"""
Guichet is running.
  Portal: {portal_url}  (sign in as a demo user at {portal_url}/connexion)
  API:    {url}  (OpenAPI: {url}/openapi.json)

  Demo users (id, profile, roles, organisations):
{users}

  Get a token, then call the API with it:
    TOKEN=$(curl -s -X POST {url}/local/token -H 'Content-Type: application/json' \\
      -d '{{"user": "alice"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    curl -s {url}/me -H "Authorization: Bearer $TOKEN"

  Events (SQS, S3 uploads, DynamoDB streams, schedules) are delivered by the pump.
  LiveChat push is polling only here. Ctrl-C stops everything.
"""


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    moto_port = int(os.environ.get("MOTO_PORT", "5000"))
    web_port = int(os.environ.get("WEB_PORT", "8080"))
    os.environ.update(_base_environment(port, moto_port, web_port))
    if os.environ.get("GUICHET_NOW"):
        # The clock starts at GUICHET_NOW and runs, the same for chalice local and the pump.
        os.environ["GUICHET_NOW_ANCHOR"] = str(time.time())

    import logging

    from moto.server import ThreadedMotoServer

    from infra.local import exact_moto

    # moto's DynamoDB is not exact under concurrent requests (TRAPS.md): serialise it.
    exact_moto.install()
    _tune_moto_server()
    # moto's server logs every request through werkzeug; the banner matters more.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto_server.start()
    faults = _start_fault_proxy(moto_port)
    chalice: subprocess.Popen[bytes] | None = None
    portal: Any = None
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        _provision()
        chalice = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.local.api_server",
                "local",
                "--stage",
                STAGE,
                "--no-autoreload",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=dict(os.environ),
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        _wait_for_health(url, chalice)
        portal = _start_portal(web_port, url, f"http://127.0.0.1:{moto_port}")
        pump = _make_pump()
        print(_banner(url, portal.url), flush=True)
        parent = os.getppid()
        # Also stop when whoever started us is gone (`make` killed without its
        # process group, a closed terminal): never leave a server behind.
        while not stop.is_set() and os.getppid() == parent:
            # Busy: go on soon (not at once: its polls share moto with the API); idle: later.
            stop.wait(BUSY_PUMP_INTERVAL_SECONDS if pump.tick() else PUMP_INTERVAL_SECONDS)
    finally:
        if portal is not None:
            portal.stop()
        _stop_chalice(chalice)
        if faults is not None:
            faults.stop()
        moto_server.stop()
    return 0


def _tune_moto_server() -> None:
    """What moto's server spends on every request without need (bench/load.py):

    - it writes a response's headers and body separately with Nagle's algorithm on,
      so the body can wait for the client's delayed ACK: TCP_NODELAY;
    - it finds the backend of each request by listing moto's package directory
      (os.listdir and an isdir per service, under its dispatcher's global lock):
      the list, which cannot change while it runs, is made once.
    """
    from moto import backends
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.disable_nagle_algorithm = True
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _start_fault_proxy(moto_port: int) -> Any:
    """With FAULTS_PORT set (the fault suite), AWS calls go through a proxy that can fail
    a service on demand (infra/local/faults.py)."""
    port = os.environ.get("FAULTS_PORT")
    if not port:
        return None
    from infra.local.faults import FaultProxy

    proxy = FaultProxy(f"http://127.0.0.1:{moto_port}", int(port))
    proxy.start()
    os.environ["AWS_ENDPOINT_URL"] = proxy.url
    return proxy


def _start_portal(web_port: int, api_url: str, upload_origin: str) -> Any:
    from infra.local.web import PortalServer

    portal = PortalServer(web_port, api_url, upload_origin)
    portal.start()
    return portal


def _make_pump() -> Any:
    from app import app
    from chalicelib.shared import aws
    from infra.local.pump import Pump

    # GUICHET_PUMP_TIME_SCALE (the fault suite) divides the pump's delays and ages.
    return Pump(
        app, aws.session(), time_scale=float(os.environ.get("GUICHET_PUMP_TIME_SCALE", "1"))
    )


def _stop_chalice(process: subprocess.Popen[bytes] | None) -> None:
    """Stop `chalice local` and anything it started (its own process group)."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


if __name__ == "__main__":
    sys.exit(main())
