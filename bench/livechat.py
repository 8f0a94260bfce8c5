"""LiveChat benchmark: warm is-open checks and availability per second, AWS calls per request.

Runs in-process on moto (provisioned resources and the demo directory), counts
AWS calls with a botocore hook on the app's session, and prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OPEN_FRIDAY = datetime.fromisoformat("2026-12-04T10:00:00+01:00")


def _environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_REGION": "eu-west-3",
            "GUICHET_STAGE": "test",
            "SUPPORT_QUEUE_URL": "unset",
            "BUSINESS_QUEUE_URL": "unset",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("WEBSOCKET_ENDPOINT", None)


def _rate(check: Any, instants: list[datetime], rounds: int) -> float:
    for instant in instants:
        check(instant)
    started = time.perf_counter()
    for _ in range(rounds):
        for instant in instants:
            check(instant)
    return rounds * len(instants) / (time.perf_counter() - started)


def main() -> None:
    _environment()
    from moto import mock_aws

    from chalicelib.auth import Identity
    from chalicelib.endpoints.wiring import livechat_store
    from chalicelib.livechat.access import Caller
    from chalicelib.livechat.availability import (
        availability_at,
        current_calendar,
        forget_calendars,
        opening_rules,
    )
    from chalicelib.livechat.messages import post_message, read_messages
    from chalicelib.livechat.models import ChatSession
    from chalicelib.livechat.push import NoPush
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings
    from chalicelib.shared.dynamo import DynamoTransaction
    from infra.provision import create_all

    with mock_aws():
        for name, value in create_all(aws.session(), "test").items():
            os.environ[name] = value
        get_settings.cache_clear()
        aws.reset()
        calls: Counter[str] = Counter()

        def count(model: Any, **_: Any) -> None:
            calls[model.name] += 1

        aws.session().events.register("before-call.*.*", count)
        store, rules = livechat_store(), opening_rules(get_settings())
        forget_calendars()

        calls.clear()
        calendar = current_calendar(store, rules)
        availability_at(calendar, OPEN_FRIDAY)
        cold_calls = sum(calls.values())
        calls.clear()
        availability_at(current_calendar(store, rules), OPEN_FRIDAY)
        warm_calls = sum(calls.values())

        instants = [OPEN_FRIDAY + timedelta(minutes=37 * step) for step in range(2000)]
        is_open_rate = _rate(calendar.is_open_at, instants, 25)
        availability_rate = _rate(
            lambda at: availability_at(current_calendar(store, rules), at), instants, 5
        )

        alice = Caller(Identity(user_id="alice"))
        tx = DynamoTransaction(aws.client("dynamodb"))
        store.create_in(
            tx,
            ChatSession(
                session_id="bench",
                status="waiting",
                category="FACTURE",
                created_at=OPEN_FRIDAY,
                user_id="alice",
            ),
        )
        tx.commit()
        calls.clear()
        post_message(store, "bench", alice, "Bonjour", NoPush(), OPEN_FRIDAY)
        message_calls = dict(calls)
        calls.clear()
        read_messages(store, "bench", alice, 0)
        poll_calls = sum(calls.values())

    print(
        json.dumps(
            {
                "bench": "livechat",
                "is_open_checks_per_second_warm": round(is_open_rate),
                "availability_per_second_warm": round(availability_rate),
                "aws_calls_per_availability_cold": cold_calls,
                "aws_calls_per_availability_warm": warm_calls,
                "aws_calls_per_message": sum(message_calls.values()),
                "aws_calls_per_message_by_operation": message_calls,
                "aws_calls_per_poll": poll_calls,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )


if __name__ == "__main__":
    main()
