"""Load on the local stack: 8, then 32 concurrent clients for 30 s each, and what was lost.

Run from the repository root: `python bench/load.py [--seconds 30] [--clients 8,32]`.
Starts the local stack (`python -m infra.local`), then for each number of clients
runs that many threads, each with its own keep-alive HTTP connection, for the
given time. Each client repeats a mix of actions, drawn with fixed weights:
the LiveChat's availability (anonymous GET), an assistant message in its own
conversation, a ticket submit (with an Idempotency-Key), a read of one of its
tickets, and a comment on one of them.

Afterwards it reconciles: every acknowledged ticket is read back and must have
been routed (its `delivered` event), every acknowledged comment must be in its
ticket's history, every acknowledged assistant message in its conversation.
Anything missing counts as lost.

Prints one JSON line: per number of clients, the throughput (requests per second),
p50 and p99 per action in milliseconds, errors (any answer other than the
expected status, or no answer), and lost. Targets at 8 clients: 0 errors, 0 lost,
p50 of an assistant message <= 15 ms and of a ticket submit <= 30 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.stack import LocalStack  # noqa: E402

WEIGHTS = {"availability": 2, "assistant_message": 3, "submit": 2, "read": 2, "comment": 1}
QUESTIONS = (
    "Comment déposer une facture ?",
    "Ma facture est rejetée, que faire ?",
    "Je n'arrive plus à me connecter",
    "Où voir le statut de ma facture FA-2026-0002 ?",
    "Comment ajouter un utilisateur à ma structure ?",
)
# After the run, the local stack's one pump still has every ticket's dispatch, delivery and
# e-mails (acknowledgement, the team's notice) to work through: "routed late" is not "lost".
ROUTING_TIMEOUT_SECONDS = 600.0
# A conversation takes 60 questions (chalicelib/assistant/dialogue.py): a client
# starts a new one before that, as a person would get a new one from the widget.
QUESTIONS_PER_CONVERSATION = 50


@dataclass
class Acknowledged:
    """What the service said it did, to find again afterwards."""

    tickets: list[str] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acknowledged: Acknowledged = field(default_factory=Acknowledged)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One user of the service on one keep-alive connection."""

    def __init__(self, stack: LocalStack, token: str, results: Results, seed: int) -> None:
        self._stack, self._token, self._results = stack, token, results
        self._connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
        self._random = random.Random(seed)
        self._tickets: list[str] = []
        self._conversation: str | None = None
        self._asked = 0

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            try:
                self._connection.request(method, path, body=data, headers=all_headers)
                response = self._connection.getresponse()
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
            except (http.client.HTTPException, OSError):
                self._connection.close()  # the server closed a kept-alive connection
                if attempt:
                    return 0, None
        return 0, None  # pragma: no cover

    def _timed(self, action: str, expected: int, *call: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        status, body = self.call(*call, **kw)
        elapsed = (time.perf_counter() - started) * 1000
        with self._results.lock:
            self._results.latencies[action].append(elapsed)
            if status != expected:
                self._results.errors[action] += 1
        return body if status == expected else None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def availability(self) -> None:
        self._timed("availability", 200, "GET", "/livechat/availability")

    def assistant_message(self) -> None:
        if self._asked % QUESTIONS_PER_CONVERSATION == 0:
            self._conversation = None
        if self._conversation is None:
            # Signed in, as the portal's users are: anonymous callers are limited to 20
            # messages a minute per address, and every client here shares one address.
            started = self._timed(
                "assistant_start", 201, "POST", "/assistant/conversations", {}, headers=self._auth()
            )
            if started is None:
                return
            self._conversation = started["conversation_id"]
        text = self._random.choice(QUESTIONS)
        self._asked += 1
        path = f"/assistant/conversations/{self._conversation}/messages"
        answered = self._timed(
            "assistant_message", 200, "POST", path, {"text": text}, headers=self._auth()
        )
        if answered is not None:
            with self._results.lock:
                self._results.acknowledged.messages.append((self._conversation, text))

    def submit(self) -> None:
        body = {
            "organisation_id": "org-boulangerie-martin",
            "category": "CONNEXION",
            "subcategory": "S02",
            "title": f"Charge {uuid.uuid4().hex[:8]}",
            "description": "Je ne parviens plus à me connecter depuis hier soir.",
        }
        headers = {**self._auth(), "Idempotency-Key": uuid.uuid4().hex}
        created = self._timed("submit", 201, "POST", "/tickets", body, headers=headers)
        if created is not None:
            self._tickets.append(created["ticket_id"])
            with self._results.lock:
                self._results.acknowledged.tickets.append(created["ticket_id"])

    def read(self) -> None:
        if not self._tickets:
            self.submit()
            return
        ticket_id = self._random.choice(self._tickets)
        self._timed("read", 200, "GET", f"/tickets/{ticket_id}", headers=self._auth())

    def comment(self) -> None:
        if not self._tickets:
            self.submit()
            return
        ticket_id = self._random.choice(self._tickets)
        text = f"Précision {uuid.uuid4().hex[:8]}"
        path = f"/tickets/{ticket_id}/comments"
        if self._timed("comment", 201, "POST", path, {"text": text}, headers=self._auth()):
            with self._results.lock:
                self._results.acknowledged.comments.append((ticket_id, text))

    def run(self, until: float) -> None:
        actions = [getattr(self, name) for name, weight in WEIGHTS.items() for _ in range(weight)]
        while time.monotonic() < until:
            self._random.choice(actions)()
        self._connection.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def _reconciled(stack: LocalStack, token: str, acknowledged: Acknowledged) -> dict[str, Any]:
    """What was lost, and how long the pump took to route every acknowledged ticket."""
    started = time.monotonic()
    missing = lost(stack, token, acknowledged)
    return {"lost": missing, "reconciled_in_s": round(time.monotonic() - started, 1)}


def lost(stack: LocalStack, token: str, acknowledged: Acknowledged) -> dict[str, int]:
    """What was acknowledged and cannot be found (tickets also must be routed)."""
    reader = Client(stack, token, Results(), 0)
    comments: defaultdict[str, set[str]] = defaultdict(set)
    for ticket_id, text in acknowledged.comments:
        comments[ticket_id].add(text)
    missing = {"tickets": 0, "unrouted": 0, "comments": 0, "messages": 0}
    deadline = time.monotonic() + ROUTING_TIMEOUT_SECONDS
    for ticket_id in acknowledged.tickets:
        while True:
            status, ticket = reader.call("GET", f"/tickets/{ticket_id}", headers=reader._auth())
            if status != 200:
                missing["tickets"] += 1
                break
            if any(e["event"] == "delivered" for e in ticket["history"]):
                written = {entry.get("text") for entry in ticket["history"]}
                missing["comments"] += len(comments[ticket_id] - written)
                break
            if time.monotonic() > deadline:
                missing["unrouted"] += 1
                break
            time.sleep(0.2)
    asked: defaultdict[str, list[str]] = defaultdict(list)
    for conversation_id, text in acknowledged.messages:
        asked[conversation_id].append(text)
    for conversation_id, texts in asked.items():
        status, transcript = reader.call(
            "GET", f"/assistant/conversations/{conversation_id}", headers=reader._auth()
        )
        said = [m["text"] for m in (transcript or {}).get("messages", []) if m["author"] == "user"]
        missing["messages"] += max(0, len(texts) - len(said)) if status == 200 else len(texts)
    return missing


def run(stack: LocalStack, clients: int, seconds: float) -> dict[str, Any]:
    results = Results()
    token = stack.token("alice")
    users = [Client(stack, token, results, seed) for seed in range(clients)]
    until = time.monotonic() + seconds
    started = time.monotonic()
    threads = [threading.Thread(target=user.run, args=(until,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    requests = sum(len(values) for values in results.latencies.values())
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": requests,
        "throughput_rps": round(requests / elapsed, 1),
        "actions": {
            action: {
                "count": len(values),
                "p50_ms": _percentile(values, 0.5),
                "p99_ms": _percentile(values, 0.99),
            }
            for action, values in sorted(results.latencies.items())
        },
        "errors": dict(results.errors),
        "error_count": sum(results.errors.values()),
        **_reconciled(stack, token, results.acknowledged),
        "acknowledged": {
            "tickets": len(results.acknowledged.tickets),
            "comments": len(results.acknowledged.comments),
            "assistant_messages": len(results.acknowledged.messages),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Load on the local stack.")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", default="8,32")
    arguments = parser.parse_args()
    stack = LocalStack()
    try:
        runs = [
            run(stack, int(clients), arguments.seconds) for clients in arguments.clients.split(",")
        ]
    finally:
        stack.stop()
    print(json.dumps({"bench": "load", "runs": runs}, ensure_ascii=False))


if __name__ == "__main__":
    main()
