"""The local stack, started once for the e2e tests that share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import LocalStack


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack()
    yield stack
    stack.stop()


@pytest.fixture(autouse=True)
def _isolated_env() -> None:
    """The e2e tests talk HTTP to a subprocess: no in-process environment to isolate."""
