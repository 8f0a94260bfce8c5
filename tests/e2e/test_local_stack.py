"""The local stack over HTTP: start, token, /me, /health, and a clean stop."""

from __future__ import annotations

import time

from tests.e2e.stack import LocalStack, alive, descendants


def test_local_stack_serves_the_api_and_stops_without_leaving_a_process() -> None:
    stack = LocalStack()
    try:
        children = descendants(stack.process.pid)

        health_status, health = stack.request("GET", "/health")
        me_status, me = stack.request("GET", "/me", user="alice")
        anonymous_status, _ = stack.request("GET", "/me")
    finally:
        stack.stop()

    assert health_status == 200 and health == {"status": "ok"}
    assert me_status == 200
    assert me["user_id"] == "alice"
    assert len(me["organisations"]) == 2
    assert anonymous_status == 401
    assert children, "chalice local should have been a child of the launcher"
    assert stack.process.returncode == 0
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]


def test_openapi_document_is_served_over_http(local_stack: LocalStack) -> None:
    status, document = local_stack.request("GET", "/openapi.json")

    assert status == 200
    assert document["openapi"].startswith("3.1")
    assert "/me" in document["paths"]


def test_malformed_json_is_a_400_problem_over_http(local_stack: LocalStack) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        local_stack.url + "/local/token",
        data=b"{not json",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("expected a 400")
    except urllib.error.HTTPError as error:
        assert error.code == 400
        assert error.headers["Content-Type"] == "application/problem+json"
