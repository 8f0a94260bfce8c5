"""Errors become problem+json in one place; an unexpected one hides its stack trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib.endpoints import api as api_module
from chalicelib.endpoints.api import Api, Call, RequestModel, problem_middleware
from chalicelib.endpoints.table import register_route, served_by


class Sample(RequestModel):
    title: str
    count: int


@pytest.fixture
def failing_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """A small app with the real edge: one route that raises, one that validates."""
    monkeypatch.setattr(api_module, "ROUTES", [])
    app = Chalice(app_name="errors")
    api = Api("test")

    @api.route("/boom", summary="raises", anonymous=True)
    def boom(call: Call) -> None:
        raise RuntimeError("secret internal detail")

    @api.route("/sample", "POST", summary="validates", body=Sample, anonymous=True)
    def sample(call: Call) -> dict[str, Any]:
        return {"title": call.body.title}

    app.register_middleware(problem_middleware, "http")
    served_by.cache_clear()
    for spec in api_module.ROUTES:
        register_route(app, spec.method, spec.path, spec.module, spec.operation_id)
    with Client(app) as client:
        yield client


def test_unexpected_exception_is_500_with_correlation_id_and_no_stack_trace(
    failing_app: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    response = failing_app.http.get("/boom")

    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/problem+json"
    body = json.loads(response.body)
    assert body["correlation_id"]
    assert "secret internal detail" not in response.body.decode()
    assert "Traceback" not in response.body.decode()
    log_lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    logged = [line for line in log_lines if line.get("correlation_id") == body["correlation_id"]]
    assert logged and "RuntimeError: secret internal detail" in logged[0]["exception"]


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [(b"{oops", "application/json"), (b"[1, 2]", "application/json"), (b"a=b", "text/plain")],
    ids=["malformed", "not-an-object", "wrong-content-type"],
)
def test_bad_bodies_are_400_problems(failing_app: Client, raw: bytes, content_type: str) -> None:
    response = failing_app.http.post("/sample", body=raw, headers={"Content-Type": content_type})

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"


def test_wrong_fields_are_422_naming_each_field(failing_app: Client) -> None:
    body = json.dumps({"title": "ok", "count": "many", "extra": 1})

    response = failing_app.http.post(
        "/sample", body=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    fields = {error["field"] for error in json.loads(response.body)["errors"]}
    assert fields == {"count", "extra"}


def test_method_not_allowed_is_a_problem_too(failing_app: Client) -> None:
    response = failing_app.http.delete("/sample")

    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"


def test_json_log_formatter_writes_one_object_per_line() -> None:
    from chalicelib.shared.logs import JsonFormatter

    record = logging.LogRecord("guichet", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.correlation_id = "abc"

    line = JsonFormatter().format(record)

    assert json.loads(line)["message"] == "hello you"
    assert json.loads(line)["correlation_id"] == "abc"
