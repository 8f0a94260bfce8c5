"""The local stack, started once for the e2e tests that share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import LocalStack

# A Wednesday morning in Paris: the LiveChat is open for the flows that need it.
E2E_NOW = "2026-12-02T10:00:00+01:00"


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack(extra_env={"GUICHET_NOW": E2E_NOW})
    yield stack
    stack.stop()


@pytest.fixture(autouse=True)
def _isolated_env() -> None:
    """The e2e tests talk HTTP to a subprocess: no in-process environment to isolate."""
