"""Ownership for every actor of the demo data: tickets (emitter route and desk), their
attachments' download links, uploads put on a ticket, and assistant conversations.

The expected answers are written down per actor (CONTRACT.md's demo users), not
computed with the access rules under test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.assistant.dialogue import owned_conversation
from chalicelib.assistant.records import Conversation
from chalicelib.auth import Identity
from chalicelib.shared.errors import InvalidFieldsError, NotFoundError
from chalicelib.tickets import desk, followup
from chalicelib.tickets.context import TicketContext
from tests.fakes.context import Fakes
from tests.unit.given import (
    ALICE,
    BRUNO,
    CLAIRE,
    INVOICE_REQUEST,
    MARC,
    NOW,
    PAUL,
    SOPHIE,
    SUPPORT_REQUEST,
    ready_upload,
    submitted,
)

ACTORS: dict[str, Identity] = {
    "alice": ALICE,
    "claire": CLAIRE,
    "bruno": BRUNO,
    "sophie": SOPHIE,
    "paul": PAUL,
    "marc": MARC,
}
# Who sees alice's tickets: on the emitter's route (/tickets/{id}) and on the desk.
SEES_SUPPORT_TICKET = {"alice": True, "claire": False, "bruno": False, "sophie": True,
                       "paul": True, "marc": False}  # fmt: skip
SEES_INVOICE_TICKET = {"alice": True, "claire": False, "bruno": False, "sophie": False,
                       "paul": False, "marc": True}  # fmt: skip
DESK_SUPPORT_TICKET = {"alice": False, "claire": False, "bruno": False, "sophie": True,
                       "paul": True, "marc": False}  # fmt: skip
DESK_INVOICE_TICKET = {"alice": False, "claire": False, "bruno": False, "sophie": False,
                       "paul": False, "marc": True}  # fmt: skip


def _tickets(ctx: TicketContext, fakes: Fakes) -> dict[str, str]:
    """Alice's support ticket and invoice ticket (Mairie de Valbourg), one attachment each."""
    ready_upload(fakes, "a-support")
    ready_upload(fakes, "a-invoice")
    return {
        "support": submitted(ctx, SUPPORT_REQUEST, attachment_ids=["a-support"]).ticket_id,
        "invoice": submitted(ctx, INVOICE_REQUEST, attachment_ids=["a-invoice"]).ticket_id,
    }


def _emitter_route(ctx: TicketContext, actor: Identity, ticket_id: str) -> list[str] | None:
    """The attachments the actor gets a download link for, None for a 404."""
    try:
        found = followup.get_ticket(ctx, actor, ticket_id, NOW)
    except NotFoundError:
        return None
    return [a.attachment_id for a in found.attachments if a.download_url]


def _desk_route(ctx: TicketContext, actor: Identity, ticket_id: str) -> list[str] | None:
    try:
        found = desk.get_desk_ticket(ctx, actor, ticket_id, NOW)
    except NotFoundError:
        return None
    return [a.attachment_id for a in found.attachments if a.download_url]


@pytest.mark.parametrize("actor", list(ACTORS))
def test_each_actor_sees_alices_tickets_and_downloads_their_attachments_or_gets_404(
    ctx: TicketContext, fakes: Fakes, actor: str
) -> None:
    ids = _tickets(ctx, fakes)
    identity = ACTORS[actor]

    seen = {
        "support": _emitter_route(ctx, identity, ids["support"]),
        "invoice": _emitter_route(ctx, identity, ids["invoice"]),
        "desk support": _desk_route(ctx, identity, ids["support"]),
        "desk invoice": _desk_route(ctx, identity, ids["invoice"]),
    }

    assert seen == {
        "support": ["a-support"] if SEES_SUPPORT_TICKET[actor] else None,
        "invoice": ["a-invoice"] if SEES_INVOICE_TICKET[actor] else None,
        "desk support": ["a-support"] if DESK_SUPPORT_TICKET[actor] else None,
        "desk invoice": ["a-invoice"] if DESK_INVOICE_TICKET[actor] else None,
    }


@pytest.mark.parametrize("actor", list(ACTORS))
def test_only_the_emitter_comments_on_or_closes_their_ticket(
    ctx: TicketContext, fakes: Fakes, actor: str
) -> None:
    ticket_id = _tickets(ctx, fakes)["support"]

    try:
        followup.comment_ticket(ctx, ACTORS[actor], ticket_id, "Un complément.", [], NOW)
        commented = True
    except NotFoundError:
        commented = False

    assert commented is (actor == "alice")


@pytest.mark.parametrize("actor", ["claire", "bruno", "marc"])
def test_nobody_puts_alices_upload_on_their_own_ticket(
    ctx: TicketContext, fakes: Fakes, actor: str
) -> None:
    ready_upload(fakes, "a-alice", owner="alice")
    own = SUPPORT_REQUEST | {"organisation_id": {
        "claire": "org-atelier-dupont", "bruno": "org-mairie-valbourg",
        "marc": "org-mairie-valbourg",
    }[actor]}  # fmt: skip

    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, own, ACTORS[actor], attachment_ids=["a-alice"])

    assert [e.field for e in refused.value.errors] == ["attachment_ids.0"]
    claimed = fakes.attachments.get("a-alice")
    assert claimed is not None and claimed.ticket_id is None


class _Conversations:
    def __init__(self, *conversations: Conversation) -> None:
        self._by_id = {c.conversation_id: c for c in conversations}

    def get(self, conversation_id: str, now: datetime) -> Conversation | None:
        return self._by_id.get(conversation_id)


STARTED = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
ALICES = Conversation(conversation_id="A" * 22, owner="alice", created_at=STARTED,
                      updated_at=STARTED)  # fmt: skip
ANONYMOUS = Conversation(conversation_id="B" * 22, owner=None, created_at=STARTED,
                         updated_at=STARTED)  # fmt: skip


@pytest.mark.parametrize(
    ("actor", "opens_alices"),
    [("alice", True), ("claire", False), ("bruno", False), ("sophie", False), ("paul", False),
     ("marc", False), (None, False)],
)  # fmt: skip
def test_only_its_owner_continues_a_conversation_and_anyone_holding_an_anonymous_ones_id(
    actor: str | None, opens_alices: bool
) -> None:
    store = _Conversations(ALICES, ANONYMOUS)
    caller = ACTORS[actor] if actor else None

    try:
        owned_conversation(store, ALICES.conversation_id, caller, NOW)  # type: ignore[arg-type]
        opened = True
    except NotFoundError:
        opened = False

    assert opened is opens_alices
    found = owned_conversation(store, ANONYMOUS.conversation_id, caller, NOW)  # type: ignore[arg-type]
    assert found == ANONYMOUS
    with pytest.raises(NotFoundError, match="Conversation introuvable"):
        owned_conversation(store, "C" * 22, caller, NOW)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="Conversation introuvable"):
        owned_conversation(store, "../" + "A" * 19, caller, NOW)  # type: ignore[arg-type]
