"""Benchmark of the ticket routes: AWS calls and median in-process latency against moto.

Run from the repository root: `python bench/tickets.py`. Prints one JSON line:
per action (submit with an Idempotency-Key, its replay, list, get, desk_list,
reply, and submit / get / comment with one attachment) the AWS calls of one
request (the most seen), its Scans, and the median latency through the Chalice
test client (token verification and validation included). Targets: submit = 3
calls (BatchGetItem, the reference counter, TransactWriteItems; one more
BatchGetItem with attachments), a replay = 3 calls too (its transaction is
cancelled and brings the first response back), list = 1 Query, get <= 2 calls,
0 Scans.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ITERATIONS = 15
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
REGION = "eu-west-3"


def _environment(signing_key: str) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "GUICHET_STAGE": "test",
            "AUTH_ISSUER": "https://auth.bench.guichet.invalid",
            "AUTH_AUDIENCE": "guichet-bench",
            "AUTH_LOCAL_SIGNING_KEY": signing_key,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)


class Measure:
    """AWS calls and latencies of each action."""

    def __init__(self) -> None:
        self.current: Counter[str] = Counter()
        self.calls: dict[str, list[Counter[str]]] = {}
        self.latencies: dict[str, list[float]] = {}

    def record(self, model: Any, **_: Any) -> None:
        self.current[f"{model.service_model.service_name}.{model.name}"] += 1

    def run(
        self, action: str, expected: int, call: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        self.current = Counter()
        started = time.perf_counter()
        response = call(*args, **kw)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expected:
            raise SystemExit(f"{action}: {response.status_code} {response.body!r}")
        self.calls.setdefault(action, []).append(self.current)
        self.latencies.setdefault(action, []).append(elapsed)
        # Calls made between measured actions (set-up) land in a counter nobody reads.
        self.current = Counter()
        return json.loads(response.body)

    def summary(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for action, counters in self.calls.items():
            worst = max(counters, key=lambda c: sum(c.values()))
            result[action] = {
                "aws_calls": sum(worst.values()),
                "operations": dict(sorted(worst.items())),
                "scans": max(sum(n for k, n in c.items() if k.endswith(".Scan")) for c in counters),
                "median_ms": round(statistics.median(self.latencies[action]), 2),
            }
        return result


def _ready_attachment(owner: str) -> str:
    """An attachment uploaded and checked, through the services (not measured)."""
    from chalicelib.attachments import models as attachment_models
    from chalicelib.attachments import service as attachments
    from chalicelib.endpoints import wiring
    from chalicelib.shared import aws, clock

    repo, store = wiring.attachment_repository(), wiring.upload_store()
    grant = attachments.request_upload(
        repo,
        store,
        wiring.rate_limiter(),
        attachment_models.Uploader(owner),
        filename="capture.png",
        content_type="image/png",
        size=len(PNG),
        client_address="192.0.2.1",
        now=clock.now(),
    )
    key = grant.upload.fields["key"]
    aws.s3().put_object(Bucket=store.bucket, Key=key, Body=PNG, ContentType="image/png")
    attachments.check_upload(repo, store, key, clock.now())
    return grant.attachment_id


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from chalicelib.auth import generate_signing_key

    signing_key = generate_signing_key()
    _environment(signing_key)

    from chalice.test import Client
    from moto import mock_aws

    from chalicelib.auth import mint_token
    from chalicelib.endpoints import wiring
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings
    from infra.demo import USERS, seed_directory
    from infra.local import exact_moto
    from infra.provision import create_all

    exact_moto.install()
    with mock_aws():
        os.environ.update(create_all(aws.session(), "test"))
        get_settings.cache_clear()
        aws.reset()
        seed_directory(wiring.directory())
        groups = {user.user_id: user.groups for user, _ in USERS}

        def headers(user_id: str) -> dict[str, str]:
            token = mint_token(
                signing_key,
                issuer=os.environ["AUTH_ISSUER"],
                audience=os.environ["AUTH_AUDIENCE"],
                user_id=user_id,
                groups=groups[user_id],
                now=datetime.now(UTC),
            )
            return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        alice, marc = headers("alice"), headers("marc")
        measure = Measure()
        # Clients copy the session's event hooks when made: start afresh, then hook.
        aws.reset()
        aws.session().events.register("before-call.*.*", measure.record)
        from app import app

        with Client(app, stage_name="test") as client:
            http = client.http
            for n in range(ITERATIONS):
                body = {
                    "organisation_id": "org-boulangerie-martin",
                    "category": "FACTURE",
                    "subcategory": "M20",
                    "object_number": "FA-2026-0003",
                    "title": f"Facture suspendue {n}",
                    "description": "Ma facture est suspendue : que manque-t-il ?",
                }
                submit_headers = {**alice, "Idempotency-Key": f"bench-{n}"}
                created = measure.run(
                    "submit",
                    201,
                    http.post,
                    "/tickets",
                    headers=submit_headers,
                    body=json.dumps(body),
                )
                ticket = created["ticket_id"]
                replayed = measure.run(
                    "replayed_submit",
                    201,
                    http.post,
                    "/tickets",
                    headers=submit_headers,
                    body=json.dumps(body),
                )
                assert replayed == created
                measure.run("list", 200, http.get, "/tickets", headers=alice)
                measure.run("get", 200, http.get, f"/tickets/{ticket}", headers=alice)
                measure.run("desk_list", 200, http.get, "/desk/tickets", headers=marc)
                http.post(f"/desk/tickets/{ticket}/assign", headers=marc)
                reply = json.dumps({"text": "Merci de joindre le bon.", "status": "resolved"})
                path = f"/desk/tickets/{ticket}/reply"
                measure.run("reply", 200, http.post, path, headers=marc, body=reply)

                first, second = _ready_attachment("alice"), _ready_attachment("alice")
                with_attachment = {**body, "attachment_ids": [first]}
                created = measure.run(
                    "submit_with_attachment",
                    201,
                    http.post,
                    "/tickets",
                    headers={**alice, "Idempotency-Key": f"bench-attachment-{n}"},
                    body=json.dumps(with_attachment),
                )
                ticket = created["ticket_id"]
                path = f"/tickets/{ticket}"
                measure.run("get_with_attachment", 200, http.get, path, headers=alice)
                # A business agent: plus the memberships Query that decides what they see.
                measure.run("agent_get_with_attachment", 200, http.get, path, headers=marc)
                comment = json.dumps({"text": "Le bon de commande.", "attachment_ids": [second]})
                path = f"/tickets/{ticket}/comments"
                measure.run(
                    "comment_with_attachment", 201, http.post, path, headers=alice, body=comment
                )
        print(
            json.dumps(
                {"bench": "tickets", "iterations": ITERATIONS, "actions": measure.summary()},
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
