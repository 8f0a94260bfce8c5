"""Paginated routes given a cursor of any bytes answer a page or a 4xx, never a 500
(hypothesis over the HTTP layer: Chalice test client on moto)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Headers = Callable[[str], dict[str, str]]
ROUTES = [
    ("/tickets", "alice"),
    ("/desk/tickets", "sophie"),
    ("/agent/livechat/ratings", "sophie"),
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=st.binary(max_size=200), route=st.sampled_from(ROUTES))
def test_a_cursor_of_any_bytes_gets_a_page_or_a_4xx_naming_the_cursor(
    client: Any, auth: Headers, raw: bytes, route: tuple[str, str]
) -> None:
    path, user = route
    # Any bytes, percent-encoded in the query string as a browser would send them.
    response = client.http.get(f"{path}?cursor={quote(raw)}", headers=auth(user))

    assert response.status_code in (200, 400, 422), (response.status_code, response.body)
    document = json.loads(response.body)
    if response.status_code == 200:
        assert "items" in document or "ratings" in document
    else:
        assert response.headers["Content-Type"] == "application/problem+json"
        fields = [error["field"] for error in document.get("errors", [])]
        assert fields in ([], ["cursor"]), document
