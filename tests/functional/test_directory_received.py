"""The directory's received side: public bodies find the objects addressed to them (moto)."""

from __future__ import annotations

from typing import Any

from chalicelib.directory import User
from chalicelib.endpoints import wiring
from infra.demo import BUSINESS_OBJECTS, HOPITAL


def test_a_public_body_member_finds_the_objects_it_received_in_one_call(
    aws_calls: Any,
) -> None:
    directory = wiring.directory()
    aws_calls.reset()

    found = directory.received_business_objects(
        "bruno", ["org-mairie-valbourg"], ["FC-2026-0001", "FA-2026-0002", "MJ-2026-0001"]
    )

    assert [(obj.number, obj.emitter_designation) for obj in found] == [
        ("FC-2026-0001", "Atelier Dupont"),
        ("FA-2026-0002", "Boulangerie Martin SARL"),
    ]
    assert aws_calls.calls == {"dynamodb.BatchGetItem": 1}


def test_an_organisation_the_user_does_not_belong_to_reveals_nothing(aws_env: Any) -> None:
    found = wiring.directory().received_business_objects(
        "alice", ["org-mairie-valbourg"], ["FA-2026-0002"]
    )

    assert found == []


def test_a_readdressed_object_leaves_its_former_recipient(aws_env: Any) -> None:
    directory = wiring.directory()
    invoice = next(obj for obj in BUSINESS_OBJECTS if obj.number == "FA-2026-0004")
    directory.put_user(
        User(
            user_id="helene", email="h@ch.example.fr", name="Hélène", profile="structure_publique"
        ),
        [HOPITAL],
    )

    directory.put_business_object(
        invoice.model_copy(
            update={
                "recipient_organisation_id": HOPITAL.id,
                "recipient_designation": HOPITAL.designation,
            }
        )
    )

    assert (
        directory.received_business_objects("bruno", ["org-mairie-valbourg"], ["FA-2026-0004"])
        == []
    )
    moved = directory.received_business_objects("helene", [HOPITAL.id], ["FA-2026-0004"])
    assert [obj.recipient_organisation_id for obj in moved] == [HOPITAL.id]
    issued = directory.business_object(invoice.emitter_organisation_id, "FA-2026-0004")
    assert issued is not None and issued.recipient_organisation_id == HOPITAL.id
