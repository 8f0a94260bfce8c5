"""Submitting a ticket, on fakes: routing, object numbers, idempotency, attachments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.attachments.models import Attachment, AttachmentClaim
from chalicelib.shared.errors import ForbiddenError, InvalidFieldsError
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.submission import submit_ticket
from chalicelib.tickets.views import RecipientOut, SubmittedTicket
from tests.fakes.context import Fakes
from tests.fakes.transaction import FakeTransaction
from tests.unit.given import (
    ALICE,
    BRUNO,
    CLAIRE,
    INVOICE_REQUEST,
    MAIRIE_ID,
    NOW,
    SUPPORT_REQUEST,
    ready_upload,
    request,
    submitted,
)

CONFIRMATION = (
    "Votre ticket a bien été envoyé et sera traité dans les meilleurs délais par le destinataire."
)
MAIRIE = RecipientOut(
    type="business", organisation_id="org-mairie-valbourg", designation="Mairie de Valbourg"
)


def fields(error: pytest.ExceptionInfo[InvalidFieldsError]) -> list[str]:
    return [e.field for e in error.value.errors]


# Routing


def test_an_invoice_ticket_goes_to_the_body_the_invoice_is_addressed_to(
    ctx: TicketContext, fakes: Fakes
) -> None:
    response = submitted(ctx, INVOICE_REQUEST)

    assert response == SubmittedTicket(
        ticket_id=response.ticket_id,
        reference="T-2026-000001",
        status="submitted",
        recipient=MAIRIE,
        message=CONFIRMATION,
    )
    stored = fakes.store.get(response.ticket_id)
    assert stored is not None
    assert (stored.emitter_name, stored.contact_email) == (
        "Alice Martin",
        "alice.martin@boulangerie-martin.example.fr",
    )
    assert stored.organisation is not None
    assert stored.organisation.designation == "Boulangerie Martin SARL"


def test_a_support_subcategory_goes_to_the_tool_support(ctx: TicketContext) -> None:
    response = submitted(ctx, SUPPORT_REQUEST)

    assert response.recipient == RecipientOut(type="support", designation="Support Chorus Pro")


def test_a_business_question_without_object_goes_to_the_named_public_body(
    ctx: TicketContext,
) -> None:
    response = submitted(
        ctx,
        INVOICE_REQUEST,
        subcategory="M23",
        object_number=None,
        recipient_organisation_id="org-ch-valbourg",
    )

    assert response.recipient == RecipientOut(
        type="business",
        organisation_id="org-ch-valbourg",
        designation="Centre hospitalier de Valbourg",
    )


def test_a_submission_is_one_ticket_with_its_first_event_and_no_message_sent(
    ctx: TicketContext, fakes: Fakes
) -> None:
    response = submitted(ctx, INVOICE_REQUEST)

    found = fakes.store.get_with_history(response.ticket_id)
    assert found is not None
    assert [(e.kind, e.status, e.by.user_id) for e in found[1]] == [
        ("submitted", "submitted", "alice")
    ]
    # The stream dispatches it: submitting sends nothing itself.
    assert fakes.queues.messages == [] and fakes.mailer.sent == []


def test_a_contact_email_given_wins_over_the_directorys(ctx: TicketContext, fakes: Fakes) -> None:
    response = submitted(ctx, contact_email="compta@boulangerie-martin.example.fr")

    stored = fakes.store.get(response.ticket_id)
    assert stored is not None and stored.contact_email == "compta@boulangerie-martin.example.fr"


def test_the_reference_year_is_the_year_in_paris(ctx: TicketContext) -> None:
    new_years_eve = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)

    response = submitted(ctx, now=new_years_eve)

    assert response.reference == "T-2027-000001"


def test_references_are_unique_and_increasing(ctx: TicketContext) -> None:
    references = [submitted(ctx, title=f"Question {n}").reference for n in range(3)]

    assert references == ["T-2026-000001", "T-2026-000002", "T-2026-000003"]


# Object numbers and recipients


def test_business_subcategory_requires_object_number(ctx: TicketContext, fakes: Fakes) -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, INVOICE_REQUEST, object_number=None)

    assert fields(refused) == ["object_number"]
    assert fakes.store.all_tickets() == []


def test_a_subcategory_without_object_refuses_an_object_number(ctx: TicketContext) -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, SUPPORT_REQUEST, object_number="FA-2026-0001")

    assert fields(refused) == ["object_number"]


def test_an_object_another_organisation_issued_is_refused(ctx: TicketContext) -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, INVOICE_REQUEST, object_number="FC-2026-0001")

    assert fields(refused) == ["object_number"]
    assert refused.value.detail == (
        "Aucun objet de ce numéro n'a été émis ou reçu par cette structure."
    )


def test_an_object_number_matches_whatever_its_case(ctx: TicketContext, fakes: Fakes) -> None:
    accepted = submitted(ctx, INVOICE_REQUEST, object_number=" fa-2026-0003 ")

    assert accepted.recipient.designation == "Mairie de Valbourg"
    [stored] = fakes.store.all_tickets()
    assert stored.object_number == "FA-2026-0003"


def test_a_public_body_may_ask_the_support_about_an_object_it_received(
    ctx: TicketContext, fakes: Fakes
) -> None:
    accepted = submitted(
        ctx,
        INVOICE_REQUEST,
        caller=BRUNO,
        organisation_id=MAIRIE_ID,
        subcategory="S20",
        object_number="fc-2026-0001",
    )

    assert accepted.recipient.type == "support"
    [stored] = fakes.store.all_tickets()
    assert stored.object_number == "FC-2026-0001"


def test_a_public_body_does_not_send_a_business_ticket_about_what_it_received(
    ctx: TicketContext,
) -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, INVOICE_REQUEST, caller=BRUNO, organisation_id=MAIRIE_ID)

    assert fields(refused) == ["object_number"]
    assert refused.value.detail == (
        "Votre structure a reçu cet objet : posez votre question au support outil."
    )


def test_an_object_of_another_kind_than_the_category_is_refused(ctx: TicketContext) -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        submitted(
            ctx,
            INVOICE_REQUEST,
            organisation_id="org-martin-conseil",
            object_number="MJ-2026-0001",
        )

    assert refused.value.detail == "Ce numéro ne désigne pas un objet de cette catégorie."


def test_naming_another_recipient_than_the_objects_is_refused(ctx: TicketContext) -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, INVOICE_REQUEST, recipient_organisation_id="org-ch-valbourg")

    assert fields(refused) == ["recipient_organisation_id"]


def test_a_supplier_cannot_be_named_as_recipient(ctx: TicketContext) -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        submitted(
            ctx,
            INVOICE_REQUEST,
            subcategory="M23",
            object_number=None,
            recipient_organisation_id="org-atelier-dupont",
        )

    assert refused.value.detail == "Entité publique inconnue."


def test_submitting_for_an_organisation_one_does_not_belong_to_is_forbidden(
    ctx: TicketContext,
) -> None:
    with pytest.raises(ForbiddenError):
        submitted(ctx, INVOICE_REQUEST, caller=CLAIRE)


# Idempotency


def test_a_retry_with_the_same_key_gets_the_first_response_and_creates_nothing(
    ctx: TicketContext, fakes: Fakes
) -> None:
    first = submit_ticket(ctx, ALICE, request(), "key-1", NOW)

    again = submit_ticket(ctx, ALICE, request(), "key-1", NOW)

    assert again == first
    assert len(fakes.store.all_tickets()) == 1
    # The key is not looked up first (3 AWS calls): the replay's transaction fails on
    # it and brings the first response back; the number it took is burnt.
    assert fakes.store.next_reference_number(2026) == 3


def test_the_same_key_with_another_body_is_a_422_on_the_key(ctx: TicketContext) -> None:
    submit_ticket(ctx, ALICE, request(), "key-1", NOW)

    with pytest.raises(InvalidFieldsError) as refused:
        submit_ticket(ctx, ALICE, request(title="Une autre question"), "key-1", NOW)

    assert fields(refused) == ["Idempotency-Key"]


def test_keys_are_per_user(ctx: TicketContext) -> None:
    claire_request = request(organisation_id="org-atelier-dupont")

    mine = submit_ticket(ctx, ALICE, request(), "key-1", NOW)
    hers = submit_ticket(ctx, CLAIRE, claire_request, "key-1", NOW)

    assert mine.ticket_id != hers.ticket_id


def test_a_retry_racing_the_first_request_gets_the_first_response(fakes: Fakes) -> None:
    retry: list[SubmittedTicket] = []

    def retry_commits_first() -> None:
        retry.append(submit_ticket(fakes.ticket_context(), ALICE, request(), "key-1", NOW))

    racing = fakes.ticket_context(lambda: FakeTransaction(before_commit=retry_commits_first))

    ours = submit_ticket(racing, ALICE, request(), "key-1", NOW)

    assert ours == retry[0]
    assert [t.ticket_id for t in fakes.store.all_tickets()] == [ours.ticket_id]


# Attachments


def test_attachments_are_claimed_with_the_ticket(ctx: TicketContext, fakes: Fakes) -> None:
    ready_upload(fakes, "a1", size=800)
    ready_upload(fakes, "a2", size=1200)

    response = submitted(ctx, attachment_ids=["a1", "a2"])

    stored = fakes.store.get(response.ticket_id)
    assert stored is not None
    assert (stored.attachment_ids, stored.attachment_bytes) == (["a1", "a2"], 2000)
    claimed = fakes.attachments.get_many(["a1", "a2"])
    assert [(a.ticket_id, a.expires_at) for a in claimed.values()] == [
        (response.ticket_id, None),
        (response.ticket_id, None),
    ]


def test_someone_elses_attachment_is_refused_by_its_position(
    ctx: TicketContext, fakes: Fakes
) -> None:
    ready_upload(fakes, "a1")
    ready_upload(fakes, "c1", owner="claire")

    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, attachment_ids=["a1", "c1"])

    assert fields(refused) == ["attachment_ids.1"]
    assert fakes.attachments.get("a1") is not None
    assert fakes.store.all_tickets() == []
    # Checked before the counter: a refused attachment burns no reference.
    assert fakes.store.next_reference_number(2026) == 1


def test_an_attachment_claimed_meanwhile_by_another_ticket_is_a_422_naming_it(
    fakes: Fakes,
) -> None:
    first, contested = ready_upload(fakes, "a1"), ready_upload(fakes, "a2")
    assert first.ticket_id is None

    def other_ticket_claims_a2() -> None:
        tx = FakeTransaction()
        fakes.attachments.claim_in(tx, _claim([contested], "t-other"), NOW)
        tx.commit()

    ctx = fakes.ticket_context(lambda: FakeTransaction(before_commit=other_ticket_claims_a2))

    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, attachment_ids=["a1", "a2"])

    assert fields(refused) == ["attachment_ids.1"]
    assert fakes.store.all_tickets() == []
    unclaimed = fakes.attachments.get("a1")
    assert unclaimed is not None and unclaimed.ticket_id is None


def _claim(attachments: list[Attachment], ticket_id: str) -> AttachmentClaim:
    return AttachmentClaim(attachments, "alice", ticket_id, sum(a.size or 0 for a in attachments))
