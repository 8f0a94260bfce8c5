"""The fault suite: SQS, SES and DynamoDB fail for 1 s, 20 s and 2 min during submits,
replies and chat messages, on the local stack behind its fault-injecting proxy
(infra/local/faults.py). Afterwards: no acknowledged write lost (every ticket found
and routed, every reply and chat message stored) and no e-mail sent twice.

Time is scaled so that CI stays fast: the pump runs with GUICHET_PUMP_TIME_SCALE=10
(its retry backoff, the queues' visibility timeouts and the stream's record age are
divided by 10) and the outages are played 10 times shorter, but never under a
second: 1 s, 2 s and 12 s. boto3's own retries inside each request are not scaled,
so the short outages are harder than real ones, not easier.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import E2E_NOW
from tests.e2e.stack import LocalStack, free_port

TIME_SCALE = 10
OUTAGES = {"1s": 1.0, "20s": 20 / TIME_SCALE, "2min": 120 / TIME_SCALE}
SETTLE_SECONDS = 60.0
REPLIED_TICKETS = 2


@pytest.fixture(scope="module")
def faulty_stack() -> Iterator[LocalStack]:
    port = free_port()
    stack = LocalStack(
        extra_env={
            "GUICHET_NOW": E2E_NOW,
            "FAULTS_PORT": str(port),
            "GUICHET_PUMP_TIME_SCALE": str(TIME_SCALE),
        }
    )
    stack.faults_url = f"http://127.0.0.1:{port}/_faults"  # type: ignore[attr-defined]
    for user in ("alice", "sophie"):
        stack.token(user)
    yield stack
    stack.stop()


def _control(stack: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{stack.faults_url}/{path}", data=data)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _until_ok(stack: LocalStack, deadline: float, *call: Any, ok: int) -> tuple[int, Any]:
    """Send one request again until it is acknowledged (or the deadline passes)."""
    while True:
        try:
            status, body = stack.request(*call)
        except OSError:
            status, body = 0, None
        if status == ok or time.monotonic() > deadline:
            return status, body
        time.sleep(0.2)


def ticket_body(title: str) -> dict[str, Any]:
    return {
        "organisation_id": "org-boulangerie-martin",
        "category": "CONNEXION",
        "subcategory": "S02",
        "title": title,
        "description": "Je ne parviens plus à me connecter depuis hier soir.",
    }


class Traffic:
    """Submits, replies and chat messages sent while a service is down; what was acked."""

    def __init__(self, stack: LocalStack, replied: list[str], session_id: str) -> None:
        self.stack, self.replied, self.session_id = stack, replied, session_id
        self.tickets: list[dict[str, Any]] = []
        self.replies: list[str] = []
        self.messages: list[str] = []
        self.stop = threading.Event()
        self.deadline = time.monotonic() + SETTLE_SECONDS

    def submits(self) -> None:
        while not self.stop.is_set():
            key = {"Idempotency-Key": uuid.uuid4().hex}
            body = ticket_body(f"Panne {uuid.uuid4().hex[:8]}")
            status, ticket = _until_ok(
                self.stack, self.deadline, "POST", "/tickets", body, "alice", key, ok=201
            )
            if status == 201:
                self.tickets.append(ticket)
            time.sleep(0.25)

    def replies_to_prepared(self) -> None:
        for ticket_id in self.replied:
            reply = {"text": "Pouvez-vous préciser ?", "status": "waiting_for_user"}
            path = f"/desk/tickets/{ticket_id}/reply"
            status, _ = _until_ok(self.stack, self.deadline, "POST", path, reply, "sophie", ok=200)
            if status == 200:
                self.replies.append(ticket_id)

    def chat(self) -> None:
        path = f"/livechat/sessions/{self.session_id}/messages"
        while not self.stop.is_set():
            text = f"message {uuid.uuid4().hex[:8]}"
            status, _ = _until_ok(
                self.stack, self.deadline, "POST", path, {"text": text}, "alice", ok=201
            )
            if status == 201:
                self.messages.append(text)
            time.sleep(0.1)

    def run(self, service: str, seconds: float) -> None:
        threads = [
            threading.Thread(target=target)
            for target in (self.submits, self.replies_to_prepared, self.chat)
        ]
        _control(self.stack, "outage", {"service": service, "seconds": seconds})
        for thread in threads:
            thread.start()
        time.sleep(seconds + 0.5)
        self.stop.set()
        for thread in threads:
            thread.join()


def _prepared(stack: LocalStack) -> list[str]:
    """Tickets to reply to: support tickets of alice, delivered and taken by sophie."""
    ids = []
    for _ in range(REPLIED_TICKETS):
        status, ticket = stack.request("POST", "/tickets", ticket_body("À préparer"), "alice")
        assert status == 201, ticket
        ids.append(ticket["ticket_id"])
    deadline = time.monotonic() + SETTLE_SECONDS
    for ticket_id in ids:
        while not _delivered(stack, ticket_id):
            assert time.monotonic() < deadline, "preparation never routed"
            time.sleep(0.3)
        status, _ = stack.request("POST", f"/desk/tickets/{ticket_id}/assign", user="sophie")
        assert status == 200
    return ids


def _delivered(stack: LocalStack, ticket_id: str) -> bool:
    status, ticket = stack.request("GET", f"/tickets/{ticket_id}", user="alice")
    return status == 200 and any(e["event"] == "delivered" for e in ticket["history"])


def _chat(stack: LocalStack) -> str:
    status, created = stack.request("POST", "/livechat/sessions", {"category": "FACTURE"}, "alice")
    assert status == 201, created
    session_id: str = created["session_id"]
    if created.get("resumed"):
        stack.request("POST", f"/livechat/sessions/{session_id}/close", user="alice")
        return _chat(stack)
    accept = f"/agent/livechat/sessions/{session_id}/accept"
    status, _ = stack.request("POST", accept, user="sophie")
    assert status == 200
    return session_id


def _settled(stack: LocalStack, traffic: Traffic) -> None:
    """Wait until every acked ticket is routed, its team e-mailed and its emitter acknowledged."""
    while True:
        mail = _mail_to_team_and_emitter(stack)
        unrouted = [t for t in traffic.tickets if not _delivered(stack, t["ticket_id"])]
        unmailed = [
            t["reference"]
            for t in traffic.tickets
            if not mail[(t["reference"], "new")] or not mail[(t["reference"], "received")]
        ]
        if not unrouted and not unmailed:
            return
        assert time.monotonic() < traffic.deadline + SETTLE_SECONDS, (unrouted, unmailed)
        time.sleep(0.5)


# The e-mails counted, by their subject (chalicelib/routing/templates.py): the team's
# new ticket, the emitter's acknowledgement, and an agent's reply to the emitter.
KINDS = {
    "Nouveau ticket : ": "new",
    "Votre ticket a bien été reçu": "received",
    "Des informations vous sont demandées": "reply",
    "Une réponse a été apportée à votre demande": "reply",
}


def _mail_to_team_and_emitter(stack: LocalStack) -> Counter[tuple[str, str]]:
    kinds: Counter[tuple[str, str]] = Counter()
    for mail in _control(stack, "mail"):
        reference, _, subject = mail["subject"].lstrip("[").partition("] ")
        kind = next((kind for start, kind in KINDS.items() if subject.startswith(start)), "other")
        kinds[(reference, kind)] += 1
    return kinds


@pytest.mark.parametrize("duration", list(OUTAGES))
@pytest.mark.parametrize("service", ["sqs", "ses", "dynamodb"])
def test_an_outage_loses_no_acknowledged_write_and_sends_no_mail_twice(
    faulty_stack: LocalStack, service: str, duration: str
) -> None:
    stack = faulty_stack
    replied = _prepared(stack)
    session_id = _chat(stack)
    traffic = Traffic(stack, replied, session_id)

    traffic.run(service, OUTAGES[duration])
    _settled(stack, traffic)

    assert traffic.tickets and traffic.messages, "no write was acknowledged at all"
    mail = _mail_to_team_and_emitter(stack)
    references = {t["ticket_id"]: t["reference"] for t in traffic.tickets}
    for reference in references.values():
        assert mail[(reference, "new")] == 1, (reference, mail)
        assert mail[(reference, "received")] == 1, (reference, mail)
    stored = Counter(text for text in _chat_texts(stack, session_id))
    assert all(stored[text] == 1 for text in traffic.messages), (traffic.messages, stored)
    for ticket_id in traffic.replies:
        status, ticket = stack.request("GET", f"/tickets/{ticket_id}", user="alice")
        assert ticket["status"] == "waiting_for_user"
        reference = ticket["reference"]
        deadline = time.monotonic() + SETTLE_SECONDS
        while _mail_to_team_and_emitter(stack)[(reference, "reply")] == 0:
            assert time.monotonic() < deadline, f"no reply e-mail for {reference}"
            time.sleep(0.5)
        assert _mail_to_team_and_emitter(stack)[(reference, "reply")] == 1
    stack.request("POST", f"/livechat/sessions/{session_id}/close", user="alice")
    assert _left_behind(stack) == {}


def _chat_texts(stack: LocalStack, session_id: str) -> list[str]:
    texts: list[str] = []
    after = 0
    while True:
        path = f"/livechat/sessions/{session_id}/messages?after={after}"
        status, page = stack.request("GET", path, user="alice")
        assert status == 200, page
        if not page["messages"]:
            return texts
        texts += [message["text"] for message in page["messages"]]
        after = page["next_after"]


def _left_behind(stack: LocalStack) -> dict[str, str]:
    """Messages waiting in the stream's failure queue or a dead-letter queue (none expected)."""
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=stack.moto_url,
        region_name="eu-west-3",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    left = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        if url.endswith(("-dlq", "stream-failures")):
            count = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            if count != "0":
                left[url.rsplit("/", 1)[-1]] = count
    return left
