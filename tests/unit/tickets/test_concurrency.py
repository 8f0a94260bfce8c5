"""The same request many times at once, from threads, on fakes: nothing made twice, nothing lost.

Each test starts 20 threads on a barrier, with a tiny thread switch interval so
that they interleave between every read and write; the fakes must stay exact.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from chalicelib.auth import SUPPORT_AGENTS, Identity
from chalicelib.shared.errors import ConflictError, InvalidFieldsError
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk import assign_ticket
from chalicelib.tickets.submission import submit_ticket
from tests.fakes.context import Fakes
from tests.unit.given import ALICE, NOW, ready_upload, request, submitted

T = TypeVar("T")
THREADS = 20


@pytest.fixture(autouse=True)
def _interleaved() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def at_once(action: Callable[[int], T]) -> list[T | Exception]:
    """`action(n)` for n in 0..19, all released together; each result or the error raised."""
    barrier = threading.Barrier(THREADS)

    def run(n: int) -> T | Exception:
        barrier.wait()
        try:
            return action(n)
        except Exception as error:
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_twenty_submissions_with_one_idempotency_key_make_one_ticket_and_one_answer(
    fakes: Fakes, ctx: TicketContext
) -> None:
    answers = at_once(lambda _: submit_ticket(ctx, ALICE, request(), "same-key", NOW))

    [ticket] = fakes.store.all_tickets()
    assert all(not isinstance(answer, Exception) for answer in answers)
    assert {answer.ticket_id for answer in answers} == {ticket.ticket_id}  # type: ignore[union-attr]
    assert len({a.model_dump_json() for a in answers}) == 1  # type: ignore[union-attr]
    assert len(fakes.idempotency) == 1


def test_twenty_agents_assigning_at_once_lose_no_update(fakes: Fakes, ctx: TicketContext) -> None:
    ticket_id = submitted(ctx).ticket_id
    agents = [
        Identity(user_id=f"agent-{n}", name=f"Agent {n}", roles=frozenset({SUPPORT_AGENTS}))
        for n in range(THREADS)
    ]

    results = at_once(lambda n: assign_ticket(ctx, agents[n], ticket_id, NOW))

    taken = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert taken, "someone must get the ticket"
    assert all(isinstance(error, ConflictError) for error in refused)
    found = fakes.store.get_with_history(ticket_id)
    assert found is not None
    ticket, history = found
    # Every acknowledged assignment is in the history, and each moved the version once.
    assert len([e for e in history if e.kind == "assigned"]) == len(taken)
    assert ticket.version == 1 + len(taken)
    assert ticket.assignee is not None
    assert ticket.assignee.user_id in {change.entry.by.user_id for change in taken}


def test_twenty_tickets_claiming_one_attachment_at_once_leave_it_on_exactly_one(
    fakes: Fakes, ctx: TicketContext
) -> None:
    ready_upload(fakes, "contested")

    results = at_once(
        lambda n: submit_ticket(
            ctx, ALICE, request(title=f"Ticket {n}", attachment_ids=["contested"]), None, NOW
        )
    )

    refused = [r for r in results if isinstance(r, Exception)]
    [winner] = fakes.store.all_tickets()
    assert len(refused) == THREADS - 1
    assert all(
        isinstance(error, InvalidFieldsError)
        and [e.field for e in error.errors] == ["attachment_ids.0"]
        for error in refused
    )
    claimed = fakes.attachments.get("contested")
    assert claimed is not None and claimed.ticket_id == winner.ticket_id
    assert winner.attachment_ids == ["contested"]
