"""Unit-test fixtures: a fresh world of in-memory fakes for each test (no AWS, no moto)."""

from __future__ import annotations

import pytest

from chalicelib.tickets.context import TicketContext
from tests.fakes.context import Fakes


@pytest.fixture
def fakes() -> Fakes:
    """Every adapter's fake, the demo directory, the packaged catalogue."""
    return Fakes()


@pytest.fixture
def ctx(fakes: Fakes) -> TicketContext:
    """The ticket services' context on `fakes`."""
    return fakes.ticket_context()
