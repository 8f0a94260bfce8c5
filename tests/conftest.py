"""Shared fixtures: fake AWS credentials, moto with the resources of infra/resources.py,
the demo directory, tokens, the Chalice test client and an AWS call counter."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.auth import generate_signing_key, mint_token, trusted_keys
from chalicelib.endpoints import wiring
from chalicelib.shared import aws, clock
from chalicelib.shared.config import get_settings

TEST_ISSUER = "https://auth.test.guichet.invalid"
TEST_AUDIENCE = "guichet-test-client"
REGION = "eu-west-3"


@pytest.fixture(scope="session")
def signing_key() -> str:
    """One RSA key for the whole run (making one costs ~50 ms)."""
    return generate_signing_key()


def _clear_caches() -> None:
    aws.reset()
    get_settings.cache_clear()
    trusted_keys.cache_clear()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, signing_key: str) -> Iterator[None]:
    """Each test starts with the test stage's environment and no cached client."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "GUICHET_NOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("GUICHET_STAGE", "test")
    monkeypatch.setenv("AUTH_ISSUER", TEST_ISSUER)
    monkeypatch.setenv("AUTH_AUDIENCE", TEST_AUDIENCE)
    monkeypatch.setenv("AUTH_LOCAL_SIGNING_KEY", signing_key)
    monkeypatch.setenv("SUPPORT_QUEUE_URL", "unset")
    monkeypatch.setenv("BUSINESS_QUEUE_URL", "unset")
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto, with every resource of infra/resources.py and the demo directory."""
    from moto import mock_aws

    from infra.demo import seed_directory
    from infra.local import exact_moto
    from infra.provision import create_all

    exact_moto.install()
    with mock_aws():
        env = create_all(aws.session(), "test")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        _clear_caches()
        settings = get_settings()
        aws.client("ses").verify_email_identity(EmailAddress=settings.mail_sender)
        seed_directory(wiring.directory())
        _clear_caches()
        yield env


@pytest.fixture
def client(aws_env: dict[str, str]) -> Iterator[Any]:
    """The Chalice test client on the test stage, backed by moto."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as test_client:
        yield test_client


@pytest.fixture
def token_for(signing_key: str) -> Callable[..., str]:
    """Mint a token for a demo user as Cognito would (groups from the demo data)."""
    from infra.demo import USERS

    groups = {user.user_id: user.groups for user, _ in USERS}

    def mint(user_id: str, **overrides: Any) -> str:
        return mint_token(
            signing_key,
            issuer=overrides.pop("issuer", TEST_ISSUER),
            audience=overrides.pop("audience", TEST_AUDIENCE),
            user_id=user_id,
            groups=overrides.pop("groups", groups.get(user_id, [])),
            now=overrides.pop("now", datetime.now(UTC)),
            **overrides,
        )

    return mint


@pytest.fixture
def auth(token_for: Callable[..., str]) -> Callable[[str], dict[str, str]]:
    """Headers for a JSON request by a demo user: `auth("alice")`."""

    def headers(user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(user_id)}", "Content-Type": "application/json"}

    return headers


class AwsCalls:
    """Counts the AWS API calls made through the app's boto3 session."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def record(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def reset(self) -> None:
        self.calls.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def count(self, operation: str) -> int:
        """Calls of one operation, e.g. "Scan", whatever the service."""
        return sum(n for name, n in self.calls.items() if name.endswith("." + operation))


@pytest.fixture
def aws_calls(aws_env: dict[str, str]) -> AwsCalls:
    """A counter of the AWS calls the app makes from now on (clients are made afresh)."""
    aws.reset()
    counter = AwsCalls()
    aws.session().events.register("before-call.*.*", counter.record)
    return counter


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], datetime]:
    """Fix the service's clock: `frozen_clock("2026-12-04T18:29:00+01:00")`."""

    def freeze(instant: str) -> datetime:
        moment = datetime.fromisoformat(instant)
        monkeypatch.setattr(clock, "now", lambda: moment)
        return moment

    return freeze


def pytest_configure(config: pytest.Config) -> None:
    # Never reach a real account, whatever the developer's shell holds.
    os.environ.pop("AWS_PROFILE", None)
