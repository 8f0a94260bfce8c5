"""The LiveChat against the local stack over HTTP (`make run`): availability and polling.

Skipped when no local stack answers on GUICHET_URL (default http://127.0.0.1:8000).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

import pytest

BASE_URL = os.environ.get("GUICHET_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")


def get(path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(BASE_URL + path, timeout=3) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module", autouse=True)
def _local_stack() -> None:
    try:
        get("/health")
    except (urllib.error.URLError, OSError):
        pytest.skip(f"no local stack on {BASE_URL} (run `make run`)")


def test_availability_at_an_instant_over_http() -> None:
    status, answer = get("/livechat/availability?at=2026-12-05T11:00:00%2B01:00")

    assert status == 200
    assert answer["open"] is False
    assert answer["next_opening"] == "2026-12-07T08:30:00+01:00"


def test_availability_without_offset_is_422_over_http() -> None:
    status, _ = get("/livechat/availability?at=2026-12-05T11:00:00")

    assert status == 422
