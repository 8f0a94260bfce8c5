"""Ticket rules without AWS: the packaged catalogue, SIRET keys, key layout, dispatch decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.routing.catalogue import get_catalogue
from chalicelib.routing.dispatch import StreamRecord, dispatch_for, notice_for
from chalicelib.shared import dynamo
from chalicelib.shared.config import tickets_stream_arn
from chalicelib.tickets.help import load_solutions, valid_siret
from chalicelib.tickets.keys import event_item, ticket_item
from chalicelib.tickets.records import (
    STATUSES,
    Actor,
    EmitterNotice,
    Recipient,
    TicketEvent,
    TicketRecord,
)

NOW = datetime(2026, 12, 4, 17, 29, tzinfo=UTC)


def _ticket(**overrides: Any) -> TicketRecord:
    data: dict[str, Any] = {
        "ticket_id": "t1",
        "reference": "T-2026-000001",
        "status": "submitted",
        "emitter_user_id": "alice",
        "emitter_name": "Alice Martin",
        "category": "FACTURE",
        "subcategory": "M20",
        "title": "Facture suspendue",
        "description": "Que manque-t-il à ma facture ?",
        "contact_email": "alice@example.fr",
        "recipient": Recipient(
            type="business", organisation_id="org-mairie-valbourg", designation="Mairie"
        ),
        "created_at": NOW,
        "updated_at": NOW,
    }
    data.update(overrides)
    return TicketRecord.model_validate(data)


def _image(item: dict[str, Any]) -> dict[str, Any]:
    return dynamo.serialize(item)


def test_packaged_catalogue_is_consistent() -> None:
    catalogue = get_catalogue()
    codes = [s.code for c in catalogue.categories for s in c.subcategories]

    assert len(codes) == len(set(codes))
    for category in catalogue.categories:
        for sub in category.subcategories:
            assert (sub.recipient == "business") == sub.code.startswith("M"), sub.code
    offline = {
        s.code for c in catalogue.categories for s in c.subcategories if not s.connected_only
    }
    assert {p.subcategory for p in catalogue.help_problems} <= offline


def test_every_help_problem_has_solutions() -> None:
    solutions = load_solutions()

    assert {p.code for p in get_catalogue().help_problems} == set(solutions)
    assert all(s.title and len(s.text) > 40 for items in solutions.values() for s in items)


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("41287395000015", True),
        ("21300512000018", True),
        ("41287395000016", False),
        ("35600000000048", True),  # La Poste, Luhn
        ("35600000049837", True),  # La Poste, digit sum multiple of 5
        ("35600000049838", False),
        ("1234567890123", False),
        ("1234567890123X", False),
    ],
)
def test_siret_luhn_key(siret: str, valid: bool) -> None:
    assert valid_siret(siret) is valid


def test_ticket_keys_follow_status_and_recipient() -> None:
    item = ticket_item(_ticket(status="waiting_for_user"))

    assert item["gsi1pk"] == "EMITTER#alice"
    assert item["gsi3pk"] == "EMITTER#alice#waiting_for_user"
    assert item["gsi2pk"] == "DESK#business#org-mairie-valbourg"
    assert item["gsi2sk"].startswith("3-waiting_for_user#2026-12-04T17:29:00.000000Z#")


def test_desk_sort_keys_order_statuses_by_workflow() -> None:
    keys = [ticket_item(_ticket(status=status))["gsi2sk"] for status in STATUSES]

    assert keys == sorted(keys)


def test_help_request_without_account_is_in_no_emitter_list() -> None:
    item = ticket_item(_ticket(emitter_user_id=None, channel="help_request"))

    assert "gsi1pk" not in item and "gsi3pk" not in item
    assert item["gsi2pk"] == "DESK#business#org-mairie-valbourg"


def test_new_ticket_is_dispatched_once() -> None:
    image = _image(ticket_item(_ticket()))

    message = dispatch_for(StreamRecord(event_name="INSERT", new_image=image))

    assert message is not None
    assert (message.ticket_id, message.dispatch_seq, message.schema_version) == ("t1", 1, 1)
    assert dispatch_for(StreamRecord(event_name="MODIFY", new_image=image, old_image=image)) is None


def test_transfer_is_dispatched_again() -> None:
    before = _image(ticket_item(_ticket()))
    support = Recipient(type="support", designation="Support Chorus Pro")
    after = _image(ticket_item(_ticket(recipient=support, dispatch_seq=2)))

    message = dispatch_for(StreamRecord(event_name="MODIFY", new_image=after, old_image=before))

    assert message is not None
    assert message.recipient.type == "support"
    assert message.dispatch_seq == 2


def test_counters_events_and_removals_are_not_dispatched() -> None:
    counter = _image({"pk": "COUNTER#reference#2026", "sk": "COUNTER", "item_type": "counter"})
    event = TicketEvent(
        event_id="e1",
        ticket_id="t1",
        kind="commented",
        at=NOW,
        by=Actor(user_id="alice", name="Alice", role="emitter"),
        status="submitted",
        text="Précision",
    )

    assert dispatch_for(StreamRecord(event_name="INSERT", new_image=counter)) is None
    assert (
        dispatch_for(StreamRecord(event_name="INSERT", new_image=_image(event_item(event)))) is None
    )
    assert dispatch_for(StreamRecord(event_name="REMOVE", old_image=counter)) is None
    assert (
        notice_for(StreamRecord(event_name="INSERT", new_image=_image(event_item(event)))) is None
    )


def test_reply_event_calls_for_an_email_only_when_inserted() -> None:
    notice = EmitterNotice(to="alice@example.fr", reference="T-2026-000001", title="Facture")
    event = TicketEvent(
        event_id="e2",
        ticket_id="t1",
        kind="replied",
        at=NOW,
        by=Actor(user_id="marc", name="Marc", role="agent"),
        status="waiting_for_user",
        text="Merci de joindre le bon.",
        notice=notice,
    )
    image = _image(event_item(event))

    inserted = notice_for(StreamRecord(event_name="INSERT", new_image=image))

    assert inserted is not None and inserted.notice == notice
    assert notice_for(StreamRecord(event_name="MODIFY", new_image=image, old_image=image)) is None


def test_stream_arn_is_derived_from_the_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    monkeypatch.delenv("AWS_ACCOUNT_ID", raising=False)

    arn = tickets_stream_arn("dev")

    assert arn.startswith(
        "arn:aws:dynamodb:eu-west-3:123456789012:table/guichet-dev-tickets/stream/"
    )
