"""Attachments on tickets (moto): claimed at submission and with comments, refused with a 422
naming the id, limited per ticket, listed with download URLs for whoever may see the ticket,
and carried by help requests through their upload's client token."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.attachments import service as attachments
from chalicelib.attachments.models import MB, Attachment, Uploader
from chalicelib.attachments.service import check_upload
from chalicelib.endpoints import wiring
from chalicelib.shared import aws, clock
from tests.conftest import AwsCalls
from tests.functional.test_help_requests import HELP
from tests.functional.tickets_support import SUPPORT_BODY, errors_of, post, submit

Auth = Callable[[str], dict[str, str]]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
PDF = b"%PDF-1.4\n" + b"0" * 64


def _upload(
    owner: str = "alice", data: bytes = PNG, content_type: str = "image/png", check: bool = True
) -> str:
    """An attachment uploaded to S3 and checked (ready, or rejected if `data` lies)."""
    repo, store = wiring.attachment_repository(), wiring.upload_store()
    grant = attachments.request_upload(
        repo,
        store,
        wiring.rate_limiter(),
        Uploader(owner),
        filename="capture écran.png",
        content_type=content_type,
        size=len(data),
        client_address="192.0.2.1",
        now=clock.now(),
    )
    key = grant.upload.fields["key"]
    if check:
        aws.s3().put_object(Bucket=store.bucket, Key=key, Body=data, ContentType=content_type)
        check_upload(repo, store, key, clock.now())
    return grant.attachment_id


def _big(size: int, owner: str = "alice") -> str:
    """A ready attachment of `size` bytes, written straight to the table (no 8 MB upload)."""
    attachment_id = uuid.uuid4().hex
    wiring.attachment_repository().add(
        Attachment(
            attachment_id=attachment_id,
            owner=owner,
            key=f"uploads/{owner}/{attachment_id}/file.pdf",
            filename="relevé.pdf",
            content_type="application/pdf",
            declared_size=size,
            size=size,
            status="ready",
            created_at=clock.now(),
            expires_at=int(clock.now().timestamp()) + 3600,
        )
    )
    return attachment_id


def _stored(attachment_id: str) -> Attachment:
    found = wiring.attachment_repository().get(attachment_id)
    assert found is not None
    return found


def _submit(client: Any, auth: Auth, ids: list[str], user: str = "alice", **extra: Any) -> Any:
    return submit(client, {**auth(user), **extra}, {"attachment_ids": ids})


def _ticket_id(response: Any) -> str:
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["ticket_id"])


def _comment(client: Any, auth: Auth, ticket_id: str, ids: list[str]) -> Any:
    body = {"text": "Voici le document demandé.", "attachment_ids": ids}
    return post(client, f"/tickets/{ticket_id}/comments", auth("alice"), body)


def _view(client: Any, auth: Auth, ticket_id: str, user: str = "alice") -> dict[str, Any]:
    response = client.http.get(f"/tickets/{ticket_id}", headers=auth(user))
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


# ---------------------------------------------------------------- putting attachments on tickets


def test_a_ready_attachment_submitted_with_a_ticket_is_listed_with_a_download_url(
    client: Any, auth: Auth
) -> None:
    attachment_id = _upload()

    ticket_id = _ticket_id(_submit(client, auth, [attachment_id]))
    ticket = _view(client, auth, ticket_id)

    [link] = ticket["attachments"]
    assert link["attachment_id"] == attachment_id
    assert link["filename"] == "capture écran.png"
    assert (link["content_type"], link["size"]) == ("image/png", len(PNG))
    query = parse_qs(urlsplit(link["download_url"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"][0].startswith("attachment;")
    stored = _stored(attachment_id)
    assert stored.ticket_id == ticket_id and stored.expires_at is None


def test_a_comment_brings_attachments_and_lists_their_ids(client: Any, auth: Auth) -> None:
    first, second = _upload(), _upload(data=PDF, content_type="application/pdf")
    ticket_id = _ticket_id(_submit(client, auth, [first]))

    response = _comment(client, auth, ticket_id, [second])
    ticket = _view(client, auth, ticket_id)

    assert response.status_code == 201, response.body
    assert [c["attachment_ids"] for c in ticket["comments"]] == [[second]]
    assert {a["attachment_id"] for a in ticket["attachments"]} == {first, second}
    assert _stored(second).ticket_id == ticket_id


def test_attachments_that_cannot_be_claimed_are_422_naming_each_id(client: Any, auth: Auth) -> None:
    mine = _upload()
    claires = _upload("claire")
    pending = _upload(check=False)
    rejected = _upload(data=PDF)  # declared PNG, PDF bytes: rejected by the checker

    response = _submit(client, auth, [mine, claires, pending, rejected, mine])

    assert response.status_code == 422
    assert errors_of(response) == [
        "attachment_ids.4",  # cited twice
        "attachment_ids.1",  # someone else's
        "attachment_ids.2",  # still pending
        "attachment_ids.3",  # rejected
    ]
    assert _stored(mine).ticket_id is None
    assert json.loads(client.http.get("/tickets", headers=auth("alice")).body)["items"] == []


def test_an_attachment_claimed_by_one_ticket_is_refused_for_another(
    client: Any, auth: Auth
) -> None:
    attachment_id = _upload()
    first = _ticket_id(_submit(client, auth, [attachment_id]))
    other = _ticket_id(submit(client, auth("alice"), None, SUPPORT_BODY))

    again = _submit(client, auth, [attachment_id])
    on_comment = _comment(client, auth, other, [attachment_id])
    twice_on_its_ticket = _comment(client, auth, first, [attachment_id])

    assert (again.status_code, errors_of(again)) == (422, ["attachment_ids.0"])
    assert (on_comment.status_code, errors_of(on_comment)) == (422, ["attachment_ids.0"])
    assert errors_of(twice_on_its_ticket) == ["attachment_ids.0"]
    assert _stored(attachment_id).ticket_id == first
    assert _view(client, auth, other)["attachments"] == []


def test_a_ticket_takes_at_most_five_attachments(client: Any, auth: Auth) -> None:
    ids = [_big(100) for _ in range(6)]
    ticket_id = _ticket_id(_submit(client, auth, ids[:5]))

    sixth = _comment(client, auth, ticket_id, ids[5:])
    six_at_once = _submit(client, auth, [_big(100) for _ in range(6)])

    assert (sixth.status_code, errors_of(sixth)) == (422, ["attachment_ids"])
    assert (six_at_once.status_code, errors_of(six_at_once)) == (422, ["attachment_ids"])
    assert _stored(ids[5]).ticket_id is None
    assert len(_view(client, auth, ticket_id)["attachments"]) == 5


def test_a_ticket_takes_at_most_twenty_megabytes_in_all(client: Any, auth: Auth) -> None:
    ticket_id = _ticket_id(_submit(client, auth, [_big(8 * MB), _big(8 * MB)]))

    over = _comment(client, auth, ticket_id, [_big(4 * MB + 1)])
    fits = _comment(client, auth, ticket_id, [_big(4 * MB)])
    at_once = _submit(client, auth, [_big(10 * MB), _big(10 * MB), _big(1)])

    assert (over.status_code, errors_of(over)) == (422, ["attachment_ids"])
    assert fits.status_code == 201, fits.body
    assert (at_once.status_code, errors_of(at_once)) == (422, ["attachment_ids"])


@pytest.fixture
def stolen_before_transaction(client: Any) -> Iterator[Callable[[str], None]]:
    """Claim an attachment for another ticket just before the app's next transaction:
    the race the transaction's conditions exist for."""
    state: dict[str, str | None] = {"attachment_id": None}

    def steal(**_: Any) -> None:
        attachment_id, state["attachment_id"] = state["attachment_id"], None
        if attachment_id is None:
            return
        repo = wiring.attachment_repository()
        claim = attachments.claim_attachments(
            repo, "alice", [attachment_id], "someone-else", now=clock.now()
        )
        tx = wiring.transaction()
        repo.claim_in(tx, claim, clock.now())
        tx.commit()  # re-enters this hook with nothing to steal

    def arm(attachment_id: str) -> None:
        state["attachment_id"] = attachment_id

    aws.session().events.register("before-call.dynamodb.TransactWriteItems", steal)
    yield arm
    aws.session().events.unregister("before-call.dynamodb.TransactWriteItems", steal)


def test_a_submission_losing_an_attachment_to_a_race_claims_nothing(
    client: Any, auth: Auth, stolen_before_transaction: Callable[[str], None]
) -> None:
    kept, stolen = _upload(), _upload()
    stolen_before_transaction(stolen)

    response = _submit(client, auth, [kept, stolen], **{"Idempotency-Key": "race-1"})

    assert response.status_code == 422
    assert errors_of(response) == ["attachment_ids.1"]
    assert _stored(kept).ticket_id is None and _stored(kept).expires_at is not None
    assert _stored(stolen).ticket_id == "someone-else"
    assert json.loads(client.http.get("/tickets", headers=auth("alice")).body)["items"] == []


def test_a_comment_losing_an_attachment_to_a_race_changes_nothing(
    client: Any, auth: Auth, stolen_before_transaction: Callable[[str], None]
) -> None:
    ticket_id = _ticket_id(submit(client, auth("alice")))
    kept, stolen = _upload(), _upload()
    stolen_before_transaction(stolen)

    response = _comment(client, auth, ticket_id, [kept, stolen])

    assert (response.status_code, errors_of(response)) == (422, ["attachment_ids.1"])
    assert _stored(kept).ticket_id is None
    ticket = _view(client, auth, ticket_id)
    assert ticket["comments"] == [] and ticket["attachments"] == []


# ---------------------------------------------------------------- who gets a download URL


def test_the_emitter_and_the_recipient_agents_get_download_urls_and_nobody_else(
    client: Any, auth: Auth
) -> None:
    attachment_id = _upload()
    ticket_id = _ticket_id(_submit(client, auth, [attachment_id]))  # M20: Mairie de Valbourg

    alice = _view(client, auth, ticket_id, "alice")
    marc = _view(client, auth, ticket_id, "marc")
    marc_desk = client.http.get(f"/desk/tickets/{ticket_id}", headers=auth("marc"))
    others = {
        user: client.http.get(f"/tickets/{ticket_id}", headers=auth(user)).status_code
        for user in ("bruno", "claire", "sophie")
    }

    assert [a["attachment_id"] for a in alice["attachments"]] == [attachment_id]
    assert [a["attachment_id"] for a in marc["attachments"]] == [attachment_id]
    assert all(a["download_url"] for a in alice["attachments"] + marc["attachments"])
    assert marc_desk.status_code == 200
    assert json.loads(marc_desk.body)["attachments"][0]["attachment_id"] == attachment_id
    # bruno: Mairie de Valbourg too, but not an agent; sophie: support, not business.
    assert others == {"bruno": 404, "claire": 404, "sophie": 404}


def test_a_transferred_ticket_is_seen_by_the_support_and_no_longer_by_the_business_agent(
    client: Any, auth: Auth
) -> None:
    attachment_id = _upload()
    ticket_id = _ticket_id(_submit(client, auth, [attachment_id]))
    transfer = post(client, f"/desk/tickets/{ticket_id}/transfer", auth("marc"))
    assert transfer.status_code == 200, transfer.body

    sophie = _view(client, auth, ticket_id, "sophie")
    marc = client.http.get(f"/tickets/{ticket_id}", headers=auth("marc"))

    assert [a["attachment_id"] for a in sophie["attachments"]] == [attachment_id]
    assert marc.status_code == 404


# ---------------------------------------------------------------- help requests


def _anonymous_upload(client: Any, token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Upload-Token"] = token
    body = {"filename": "erreur.png", "content_type": "image/png", "size": len(PNG)}
    response = client.http.post("/tickets/attachments", headers=headers, body=json.dumps(body))
    assert response.status_code == 201, response.body
    grant = dict(json.loads(response.body))
    store = wiring.upload_store()
    key = grant["upload"]["fields"]["key"]
    aws.s3().put_object(Bucket=store.bucket, Key=key, Body=PNG, ContentType="image/png")
    assert check_upload(wiring.attachment_repository(), store, key, clock.now()) is not None
    return grant


def _ask(client: Any, ids: list[str], token: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Upload-Token"] = token
    body = {**HELP, "attachment_ids": ids}
    return client.http.post("/help/requests", headers=headers, body=json.dumps(body))


def test_a_help_request_carries_anonymous_uploads_with_their_client_token(
    client: Any, auth: Auth
) -> None:
    first = _anonymous_upload(client)
    token = first["client_token"]
    second = _anonymous_upload(client, token)

    response = _ask(client, [first["attachment_id"], second["attachment_id"]], token)

    assert response.status_code == 201, response.body
    reference = json.loads(response.body)["reference"]
    desk = json.loads(client.http.get("/desk/tickets", headers=auth("sophie")).body)
    [ticket_id] = [t["ticket_id"] for t in desk["items"] if t["reference"] == reference]
    ticket = _view(client, auth, ticket_id, "sophie")
    assert {a["attachment_id"] for a in ticket["attachments"]} == {
        first["attachment_id"],
        second["attachment_id"],
    }
    assert all(a["download_url"] for a in ticket["attachments"])


def test_a_help_request_with_uploads_needs_their_client_token(client: Any) -> None:
    grant = _anonymous_upload(client)
    another = _anonymous_upload(client)["client_token"]

    without = _ask(client, [grant["attachment_id"]], None)
    wrong = _ask(client, [grant["attachment_id"]], another)
    signed_in_user = _upload("alice")
    not_theirs = _ask(client, [signed_in_user], grant["client_token"])

    assert (without.status_code, errors_of(without)) == (422, ["attachment_ids"])
    assert (wrong.status_code, errors_of(wrong)) == (422, ["attachment_ids.0"])
    assert (not_theirs.status_code, errors_of(not_theirs)) == (422, ["attachment_ids.0"])
    assert _stored(grant["attachment_id"]).ticket_id is None


# ---------------------------------------------------------------- AWS call budgets


def test_attachments_cost_one_batch_get_on_submit_comment_and_read(
    client: Any, auth: Auth, aws_calls: AwsCalls
) -> None:
    first, second = _upload(), _upload()

    aws_calls.reset()
    ticket_id = _ticket_id(_submit(client, auth, [first], **{"Idempotency-Key": "budget-1"}))
    submit_calls = dict(aws_calls.calls)
    aws_calls.reset()
    _view(client, auth, ticket_id)
    get_calls = dict(aws_calls.calls)
    aws_calls.reset()
    assert _comment(client, auth, ticket_id, [second]).status_code == 201
    comment_calls = dict(aws_calls.calls)

    assert submit_calls == {
        "dynamodb.BatchGetItem": 2,  # directory facts, attachments
        "dynamodb.UpdateItem": 1,  # reference counter
        "dynamodb.TransactWriteItems": 1,
    }
    assert get_calls == {"dynamodb.Query": 1, "dynamodb.BatchGetItem": 1}
    assert comment_calls == {
        "dynamodb.GetItem": 1,
        "dynamodb.BatchGetItem": 1,
        "dynamodb.TransactWriteItems": 1,
    }


def test_a_ticket_without_attachments_is_read_with_one_query(
    client: Any, auth: Auth, aws_calls: AwsCalls
) -> None:
    ticket_id = _ticket_id(submit(client, auth("alice")))

    aws_calls.reset()
    _view(client, auth, ticket_id)

    assert aws_calls.calls == {"dynamodb.Query": 1}
