"""Following a help request without an account, over the API and the local mailbox (moto).

The whole journey: a request, its acknowledgement in the mailbox with a link, the
link's token reading the request, sophie asking for information, the e-mail with
the link, the person answering with the token and an attachment, the request back
with the support, resolved, rated. Wrong, expired and other requests' tokens are
the same 404, counted per address; the token appears in no log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.endpoints import wiring
from chalicelib.shared import aws, clock
from chalicelib.shared.config import get_settings
from chalicelib.tickets import followlink
from tests.conftest import AwsCalls
from tests.functional.test_help_requests import HELP
from tests.functional.test_tickets_attachments import _anonymous_upload
from tests.functional.tickets_support import RoutingPump, post

Auth = Callable[[str], dict[str, str]]
JSON = {"Content-Type": "application/json"}
EMAIL = HELP["email"]


@pytest.fixture
def local(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Chalice test client on the local stage: its mailbox keeps every e-mail sent."""
    from chalice.test import Client

    from app import app

    monkeypatch.setenv("GUICHET_STAGE", "local")
    get_settings.cache_clear()
    aws.reset()
    with Client(app, stage_name="local") as test_client:
        yield test_client
    get_settings.cache_clear()


@pytest.fixture
def pump(local: Any, aws_env: dict[str, str]) -> RoutingPump:
    return RoutingPump(
        local,
        {
            "support": aws_env["SUPPORT_QUEUE_URL"],
            "business": aws_env["BUSINESS_QUEUE_URL"],
            "notifications": aws_env["NOTIFICATIONS_QUEUE_URL"],
        },
        aws_env["TICKETS_TABLE"],
    )


def mailbox(client: Any, to: str = EMAIL) -> list[dict[str, Any]]:
    response = client.http.get(f"/local/mailbox?to={to}")
    assert response.status_code == 200, response.body
    mails: list[dict[str, Any]] = json.loads(response.body)
    return mails


def follow_link(mail: dict[str, Any]) -> tuple[str, str]:
    """The reference and token of the follow-up link in an e-mail's text."""
    link = next(word for word in mail["text"].split() if "/support/suivi#" in word)
    assert link.startswith(get_settings().portal_origin + "/support/suivi#")
    fragment = parse_qs(urlsplit(link).fragment)
    assert "?" not in link  # nothing of it in a query string: all in the fragment
    return fragment["reference"][0], fragment["jeton"][0]


def followed(client: Any, reference: str, token: str | None, **headers: str) -> Any:
    sent = {**({"X-Follow-Token": token} if token is not None else {}), **headers}
    return client.http.get(f"/help/requests/{reference}", headers=sent)


def as_person(token: str, **more: str) -> dict[str, str]:
    return {**JSON, "X-Follow-Token": token, **more}


def desk_id(client: Any, auth: Auth, reference: str) -> str:
    page = json.loads(client.http.get("/desk/tickets?limit=100", headers=auth("sophie")).body)
    return next(t["ticket_id"] for t in page["items"] if t["reference"] == reference)


def test_the_whole_journey_without_an_account(
    local: Any,
    pump: RoutingPump,
    auth: Auth,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    # A request, and its acknowledgement with a link.
    response = local.http.post("/help/requests", headers=JSON, body=json.dumps(HELP))
    assert response.status_code == 201, response.body
    reference = json.loads(response.body)["reference"]
    pump.run()
    [acknowledgement] = mailbox(local)
    assert acknowledgement["subject"] == f"[{reference}] Votre demande d'aide a bien été reçue"
    link_reference, token = follow_link(acknowledgement)
    assert link_reference == reference
    assert 'href="http://127.0.0.1:8080/support/suivi#reference=' in acknowledgement["html"]

    # The token reads the request.
    read = followed(local, reference, token)
    assert read.status_code == 200, read.body
    assert json.loads(read.body)["status"] == "submitted"

    # sophie asks for information: an e-mail with a fresh link.
    ticket_id = desk_id(local, auth, reference)
    post(local, f"/desk/tickets/{ticket_id}/assign", auth("sophie"))
    asked = post(
        local,
        f"/desk/tickets/{ticket_id}/reply",
        auth("sophie"),
        {"text": "Quelle adresse de connexion utilisez-vous ?", "status": "waiting_for_user"},
    )
    assert asked.status_code == 200, asked.body
    pump.run()
    information = mailbox(local)[0]
    assert information["subject"] == f"[{reference}] Des informations vous sont demandées"
    assert "Quelle adresse de connexion utilisez-vous ?" in information["text"]
    _, second_token = follow_link(information)

    # The person answers with the link and an attachment: back to sophie.
    upload = _anonymous_upload(local)
    answer = local.http.post(
        f"/help/requests/{reference}/comments",
        headers=as_person(second_token, **{"X-Upload-Token": upload["client_token"]}),
        body=json.dumps({"text": "paul.d@ancien.fr", "attachment_ids": [upload["attachment_id"]]}),
    )
    assert answer.status_code == 201, answer.body
    assert json.loads(answer.body)["status"] == "in_progress"
    pump.run()
    [to_sophie] = mailbox(local, "sophie.bernard@support.guichet.example.fr")
    assert to_sophie["subject"].startswith(f"[{reference}] Nouvelle réponse du demandeur")
    assert f"/agent/tickets/{ticket_id}" in to_sophie["text"]

    # Resolved, then rated once with the link.
    post(
        local,
        f"/desk/tickets/{ticket_id}/reply",
        auth("sophie"),
        {"text": "Votre compte est rétabli.", "status": "resolved"},
    )
    pump.run()
    resolved = mailbox(local)[0]
    assert resolved["subject"] == f"[{reference}] Une réponse a été apportée à votre demande"
    _, third_token = follow_link(resolved)
    view = json.loads(followed(local, reference, third_token).body)
    assert (view["status"], view["rateable"]) == ("resolved", True)
    assert [a["attachment_id"] for a in view["attachments"]] == [upload["attachment_id"]]
    rating = {"stars": 5, "comment": "Merci !"}
    rated = local.http.put(
        f"/help/requests/{reference}/satisfaction",
        headers=as_person(third_token),
        body=json.dumps(rating),
    )
    again = local.http.put(
        f"/help/requests/{reference}/satisfaction",
        headers=as_person(third_token),
        body=json.dumps(rating),
    )
    assert (rated.status_code, again.status_code) == (200, 409)
    report = json.loads(local.http.get("/desk/satisfaction", headers=auth("sophie")).body)
    assert (report["overall"]["count"], report["overall"]["average"]) == (1, 5.0)

    # Three e-mails to the person (acknowledgement, question, answer); no token in any log line.
    assert len(mailbox(local)) == 3
    logged = capfd.readouterr().err + caplog.text
    assert "notice sent" in logged
    for each in (token, second_token, third_token):
        assert each not in logged


def test_wrong_expired_and_other_requests_tokens_are_the_same_404(
    local: Any, pump: RoutingPump, caplog: pytest.LogCaptureFixture
) -> None:
    first = json.loads(local.http.post("/help/requests", headers=JSON, body=json.dumps(HELP)).body)[
        "reference"
    ]
    other_help = {**HELP, "email": "autre@exemple.fr", "email_confirmation": "autre@exemple.fr"}
    second = json.loads(
        local.http.post("/help/requests", headers=JSON, body=json.dumps(other_help)).body
    )["reference"]
    pump.run()
    _, token = follow_link(mailbox(local)[0])
    _, other_token = follow_link(mailbox(local, "autre@exemple.fr")[0])
    opened = followlink.read(wiring.follow_key().key(), token, first, clock.now())
    assert opened is not None
    expired = followlink.mint(
        wiring.follow_key().key(), opened.ticket_id, first, clock.now() - timedelta(seconds=1)
    )

    answers = [
        followed(local, first, None),
        followed(local, first, "A" * 71),
        followed(local, first, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")),
        followed(local, first, expired),
        followed(local, first, other_token),
        followed(local, second, token),
        followed(local, "T-2026-999999", token),
    ]

    assert [a.status_code for a in answers] == [404] * 7
    assert len({json.loads(a.body)["detail"] for a in answers}) == 1
    assert followed(local, first, token).status_code == 200
    assert followed(local, second, other_token).status_code == 200
    refused_change = local.http.post(
        f"/help/requests/{first}/close", headers=as_person(other_token)
    )
    assert refused_change.status_code == 404
    assert token not in caplog.text and other_token not in caplog.text


def test_wrong_tokens_are_counted_per_address_past_the_limit_429(
    local: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOLLOW_LINK_FAILURES_PER_ADDRESS_HOUR", "3")
    get_settings.cache_clear()

    statuses = [followed(local, "T-2026-000001", "A" * 71).status_code for _ in range(5)]

    assert statuses == [404, 404, 404, 429, 429]


def test_a_closed_requests_link_works_no_more(local: Any, pump: RoutingPump) -> None:
    reference = json.loads(
        local.http.post("/help/requests", headers=JSON, body=json.dumps(HELP)).body
    )["reference"]
    pump.run()
    _, token = follow_link(mailbox(local)[0])

    closed = local.http.post(f"/help/requests/{reference}/close", headers=as_person(token))
    pump.run()

    assert closed.status_code == 200, closed.body
    assert followed(local, reference, token).status_code == 404
    assert mailbox(local)[0]["subject"] == f"[{reference}] Votre demande est clôturée"


def test_the_mailbox_exists_in_the_local_stage_only(client: Any) -> None:
    response = client.http.get("/local/mailbox")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_a_notice_delivered_twice_is_mailed_once(local: Any, pump: RoutingPump) -> None:
    local.http.post("/help/requests", headers=JSON, body=json.dumps(HELP))
    pump.dispatch()
    [notice] = pump.queue_bodies("notifications")

    for _ in range(3):
        pump.invoke_consumer("notifications", json.dumps(notice))

    assert len(mailbox(local)) == 1


def test_a_link_read_costs_one_query_and_a_forged_one_only_its_count(
    local: Any, pump: RoutingPump, aws_calls: AwsCalls
) -> None:
    reference = json.loads(
        local.http.post("/help/requests", headers=JSON, body=json.dumps(HELP)).body
    )["reference"]
    pump.run()
    _, token = follow_link(mailbox(local)[0])
    assert followed(local, reference, token).status_code == 200  # the key is read once
    aws_calls.reset()

    read = followed(local, reference, token)
    read_calls = dict(aws_calls.calls)
    aws_calls.reset()
    forged = followed(local, reference, token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB"))

    assert (read.status_code, forged.status_code) == (200, 404)
    assert read_calls == {"dynamodb.Query": 1}
    assert aws_calls.calls == {"dynamodb.UpdateItem": 1}


def test_a_notice_costs_a_query_a_claim_a_mail_and_a_mark_and_a_redelivery_no_mail(
    local: Any, pump: RoutingPump, aws_calls: AwsCalls
) -> None:
    for email in (EMAIL, "autre@exemple.fr"):
        body = {**HELP, "email": email, "email_confirmation": email}
        local.http.post("/help/requests", headers=JSON, body=json.dumps(body))
    pump.dispatch()
    warm, notice = pump.queue_bodies("notifications")
    pump.invoke_consumer("notifications", json.dumps(warm))  # reads the links' key once
    aws_calls.reset()

    pump.invoke_consumer("notifications", json.dumps(notice))
    first = dict(aws_calls.calls)
    aws_calls.reset()
    pump.invoke_consumer("notifications", json.dumps(notice))

    # The ticket with its history (Query), the ledger's claim (PutItem), the e-mail, the
    # ledger's mark (UpdateItem); the local stage's mailbox keeps a copy (PutItem).
    assert first == {
        "dynamodb.Query": 1,
        "dynamodb.PutItem": 2,
        "ses.SendEmail": 1,
        "dynamodb.UpdateItem": 1,
    }
    # Again: the claim fails on its condition and the ledger says it was sent.
    assert aws_calls.calls == {"dynamodb.Query": 1, "dynamodb.PutItem": 1, "dynamodb.GetItem": 1}
