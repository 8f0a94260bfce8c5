"""Who may see a ticket: its emitter and the agents it is addressed to, nobody else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS, Identity
from chalicelib.tickets.access import addressed_to, may_see
from chalicelib.tickets.records import Recipient, TicketRecord

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MAIRIE = "org-mairie-valbourg"
ALICE = Identity(user_id="alice")
BRUNO = Identity(user_id="bruno")
MARC = Identity(user_id="marc", roles=frozenset({BUSINESS_AGENTS}))
SOPHIE = Identity(user_id="sophie", roles=frozenset({SUPPORT_AGENTS}))


def ticket(recipient: Recipient, emitter: str | None = "alice") -> TicketRecord:
    return TicketRecord(
        ticket_id="t1",
        reference="T-2026-000001",
        status="submitted",
        emitter_user_id=emitter,
        emitter_name="Alice",
        category="FACTURE",
        subcategory="M21",
        title="Facture rejetée",
        description="Ma facture a été rejetée à tort.",
        contact_email="alice@example.fr",
        recipient=recipient,
        created_at=NOW,
        updated_at=NOW,
    )


BUSINESS = ticket(Recipient(type="business", organisation_id=MAIRIE, designation="Mairie"))
SUPPORT = ticket(Recipient(type="support", designation="Support"))


@pytest.mark.parametrize(
    ("viewer", "organisations", "seen", "expected"),
    [
        (ALICE, set(), BUSINESS, True),
        (ALICE, set(), SUPPORT, True),
        (MARC, {MAIRIE}, BUSINESS, True),
        (MARC, {"org-autre"}, BUSINESS, False),
        (BRUNO, {MAIRIE}, BUSINESS, False),
        (SOPHIE, set(), BUSINESS, False),
        (SOPHIE, set(), SUPPORT, True),
        (MARC, {MAIRIE}, SUPPORT, False),
    ],
    ids=[
        "emitter-business",
        "emitter-support",
        "agent-of-the-recipient",
        "agent-of-another-body",
        "member-without-the-role",
        "support-on-business",
        "support-on-support",
        "business-agent-on-support",
    ],
)
def test_only_the_emitter_and_the_addressed_agents_see_a_ticket(
    viewer: Identity, organisations: set[str], seen: TicketRecord, expected: bool
) -> None:
    assert may_see(viewer, seen, lambda: organisations) is expected


def test_the_emitter_is_not_an_agent_of_their_own_ticket_on_the_desk() -> None:
    assert not addressed_to(ALICE, BUSINESS, lambda: {MAIRIE})


def test_memberships_are_read_only_for_a_business_ticket_and_a_business_agent() -> None:
    reads: list[str] = []

    def organisations() -> set[str]:
        reads.append("read")
        return {MAIRIE}

    may_see(ALICE, BUSINESS, organisations)
    may_see(SOPHIE, SUPPORT, organisations)
    may_see(BRUNO, BUSINESS, organisations)
    assert reads == []
    may_see(MARC, BUSINESS, organisations)
    assert reads == ["read"]
