"""Benchmark helpers: a moto server with Guichet's resources and demo data."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

REGION = "eu-west-3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server_with_resources(stage: str = "local") -> Iterator[dict[str, str]]:
    """A moto server on a free port, provisioned and seeded; yields the environment to use."""
    import logging

    from moto.server import ThreadedMotoServer

    from chalicelib.endpoints import wiring
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings
    from infra.demo import seed_directory
    from infra.provision import create_all

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "GUICHET_STAGE": stage,
    }
    os.environ.update(env)
    aws.reset()
    get_settings.cache_clear()
    try:
        env.update(create_all(aws.session(), stage))
        os.environ.update(env)
        get_settings.cache_clear()
        seed_directory(wiring.directory())
        yield env
    finally:
        server.stop()
