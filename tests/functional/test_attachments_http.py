"""Attachments over real HTTP against a moto server: the browser's multipart POST of the
returned form, S3's announcement through the queue, and the presigned GET download."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from chalicelib.endpoints import wiring
from chalicelib.shared import aws
from tests.conftest import _clear_caches
from tests.functional.tickets_support import submit

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
PDF = b"%PDF-1.4\n" + b"1" * 100

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """A moto server on a free port for this module's tests."""
    import logging

    from moto.server import ThreadedMotoServer

    from tests.e2e.stack import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def served_client(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Chalice test client, its AWS calls going to the moto server over HTTP."""
    from chalice.test import Client

    from app import app
    from infra.demo import seed_directory
    from infra.provision import create_all

    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    _clear_caches()
    for name, value in create_all(aws.session(), "test").items():
        monkeypatch.setenv(name, value)
    _clear_caches()
    seed_directory(wiring.directory())
    with Client(app, stage_name="test") as client:
        yield client


def _upload(client: Any, headers: dict[str, str], data: bytes, **declared: Any) -> dict[str, Any]:
    """Ask to upload, then POST the file as a browser would: the fields, then `file`."""
    body = {"filename": "capture.png", "content_type": "image/png", "size": len(data)}
    body.update(declared)
    response = client.http.post("/tickets/attachments", headers=headers, body=json.dumps(body))
    assert response.status_code == 201, response.body
    grant: dict[str, Any] = json.loads(response.body)
    posted = requests.post(
        grant["upload"]["url"],
        data=grant["upload"]["fields"],
        files={"file": ("capture.png", data, str(body["content_type"]))},
        timeout=10,
    )
    # moto accepts whatever is posted (TRAPS.md): the checker is what refuses.
    assert posted.status_code == 204, posted.text
    return grant


def _deliver_s3_events(client: Any) -> None:
    from app import app
    from infra.local.pump import Pump

    def invoke(name: str, event: dict[str, Any]) -> Any:
        return client.lambda_.invoke(name, event).payload

    Pump(app, aws.session(), invoke=invoke, clock=lambda: 0.0).drain()


def _status(client: Any, headers: dict[str, str], attachment_id: str) -> dict[str, Any]:
    response = client.http.get(f"/tickets/attachments/{attachment_id}", headers=headers)
    assert response.status_code == 200, response.body
    result: dict[str, Any] = json.loads(response.body)
    return result


def test_a_png_posted_with_the_form_becomes_ready_goes_on_a_ticket_and_downloads_for_those_allowed(
    served_client: Any, auth: Auth, moto_url: str
) -> None:
    grant = _upload(served_client, auth("alice"), PNG)
    assert grant["upload"]["url"] == f"{moto_url}/guichet-test-uploads"

    _deliver_s3_events(served_client)
    status = _status(served_client, auth("alice"), grant["attachment_id"])
    submitted = submit(served_client, auth("alice"), {"attachment_ids": [grant["attachment_id"]]})
    ticket_id = json.loads(submitted.body)["ticket_id"]
    views = {
        user: served_client.http.get(f"/tickets/{ticket_id}", headers=auth(user))
        for user in ("alice", "marc", "bruno")
    }

    assert status["status"] == "ready" and status["size"] == len(PNG)
    assert submitted.status_code == 201, submitted.body
    assert views["bruno"].status_code == 404
    for user in ("alice", "marc"):
        assert views[user].status_code == 200, views[user].body
        [link] = json.loads(views[user].body)["attachments"]
        fetched = requests.get(link["download_url"], timeout=10)
        assert fetched.status_code == 200, user
        assert fetched.content == PNG
        assert fetched.headers["Content-Disposition"].startswith("attachment;")
        assert "capture.png" in fetched.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("data", "declared", "fragment"),
    [
        (PDF, {"content_type": "image/png", "size": 1000}, "image PNG"),
        (PNG, {"content_type": "image/png", "size": 10}, "dépasse la taille annoncée"),
    ],
    ids=["bytes-of-another-type", "larger-than-declared"],
)
def test_a_posted_file_unlike_its_declaration_is_rejected_and_deleted(
    served_client: Any, auth: Auth, data: bytes, declared: dict[str, Any], fragment: str
) -> None:
    grant = _upload(served_client, auth("alice"), data, **declared)

    _deliver_s3_events(served_client)

    status = _status(served_client, auth("alice"), grant["attachment_id"])
    assert status["status"] == "rejected"
    assert fragment in status["reason"]
    listed = aws.s3().list_objects_v2(
        Bucket=wiring.upload_store().bucket, Prefix=grant["upload"]["fields"]["key"]
    )
    assert listed["KeyCount"] == 0
