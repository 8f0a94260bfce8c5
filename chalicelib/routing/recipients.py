"""Who receives a ticket: the tool support, or the business service of a public body.

The recipient follows from the sub-category (catalogue) and, for business
tickets, from the object the ticket is about (its recipient body) or, without
an object, from the public organisation the emitter names. Everything the
decision needs from the directory (the caller's profile, their membership of
the emitter organisation, the object, the named organisation) is read in ONE
BatchGetItem, which keeps a submission within its budget of AWS calls.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.directory import (
    ISSUED_PREFIX,
    RECEIVED_PREFIX,
    BusinessObject,
    Organisation,
    User,
    object_key,
    objects_in,
)
from chalicelib.routing.catalogue import Category, Subcategory
from chalicelib.shared.config import Settings
from chalicelib.shared.errors import FieldError, ForbiddenError, InvalidFieldsError
from chalicelib.shared.models import Model
from chalicelib.tickets.records import Recipient

BATCH_GET_ATTEMPTS = 3


class SubmissionFacts(Model):
    """What the directory says about one submission."""

    user: User | None = None
    # The emitter organisation, present only when the user is one of its members.
    membership: Organisation | None = None
    business_object: BusinessObject | None = None
    # The objects of that number addressed to the emitter organisation (a public body
    # citing an invoice it received), when it issued none.
    received_objects: list[BusinessObject] = []
    named_recipient: Organisation | None = None


class SubmissionDirectory(Protocol):
    """What a submission needs from the directory, in one read."""

    def for_submission(
        self,
        user_id: str,
        organisation_id: str,
        object_number: str | None,
        recipient_organisation_id: str | None,
    ) -> SubmissionFacts: ...


class DirectoryFacts:
    """Reads the directory table for submissions (one BatchGetItem)."""

    def __init__(self, dynamodb_resource: Any, table_name: str) -> None:
        self._dynamodb = dynamodb_resource
        self._table_name = table_name

    def for_submission(
        self,
        user_id: str,
        organisation_id: str,
        object_number: str | None,
        recipient_organisation_id: str | None,
    ) -> SubmissionFacts:
        keys = {
            "user": {"pk": f"USER#{user_id}", "sk": "PROFILE"},
            "membership": {"pk": f"USER#{user_id}", "sk": f"ORG#{organisation_id}"},
        }
        if object_number:
            number = object_key(object_number)
            keys["business_object"] = {"pk": f"ORG#{organisation_id}", "sk": ISSUED_PREFIX + number}
            keys["received_objects"] = {
                "pk": f"ORG#{organisation_id}",
                "sk": RECEIVED_PREFIX + number,
            }
        if recipient_organisation_id:
            keys["named_recipient"] = {"pk": f"ORG#{recipient_organisation_id}", "sk": "ORG"}
        found = self._batch_get(list(keys.values()))
        facts: dict[str, Any] = {}
        for name, key in keys.items():
            item = found.get((key["pk"], key["sk"]))
            if item is None:
                continue
            if name == "received_objects":
                facts[name] = objects_in(item)
                continue
            data = {k: v for k, v in item.items() if k not in ("pk", "sk", "gsi1pk", "gsi1sk")}
            facts[name] = data.get("organisation", data) if name == "membership" else data
        if "business_object" in facts:
            facts.pop("received_objects", None)
        return SubmissionFacts.model_validate(facts)

    def _batch_get(self, keys: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        request: dict[str, Any] = {self._table_name: {"Keys": keys}}
        # Unprocessed keys are rare at this size; retry them a few times, then fail loudly.
        for _ in range(BATCH_GET_ATTEMPTS):
            response = self._dynamodb.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table_name, []):
                found[(str(item["pk"]), str(item["sk"]))] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise RuntimeError("directory BatchGetItem left keys unprocessed")


def support_recipient(settings: Settings) -> Recipient:
    """The tool support, recipient of support tickets and help requests."""
    return Recipient(type="support", designation=settings.support_designation)


def check_object_number(subcategory: Subcategory, object_number: str | None) -> None:
    """The object number is asked, required or refused as the sub-category says (422)."""
    if subcategory.object_number == "required" and not object_number:
        raise InvalidFieldsError.single(
            "object_number", "Le numéro de l'objet (facture, mémoire…) est obligatoire."
        )
    if subcategory.object_number == "none" and object_number:
        raise InvalidFieldsError.single(
            "object_number", "Cette sous-catégorie ne porte pas sur un objet : retirez le numéro."
        )


def recipient_for(
    category: Category,
    subcategory: Subcategory,
    facts: SubmissionFacts,
    object_number: str | None,
    recipient_organisation_id: str | None,
    settings: Settings,
) -> Recipient:
    """The ticket's recipient, once the emitter is known to belong to its organisation.

    422 on `object_number` when the object is not the emitter organisation's (or
    not of the category's kind), on `recipient_organisation_id` when the named
    body is missing, not public, contradicts the object, or is given for a
    support ticket.
    """
    if facts.membership is None:
        raise ForbiddenError("Vous n'êtes pas rattaché à cette structure.")
    obj = _checked_object(category, facts, object_number)
    if obj is not None and obj.emitter_organisation_id != facts.membership.id:
        # An object the emitter organisation received: a question about it goes to the
        # tool support; a business service does not send a ticket to itself.
        if subcategory.recipient != "support":
            raise InvalidFieldsError.single(
                "object_number",
                "Votre structure a reçu cet objet : posez votre question au support outil.",
            )
    if subcategory.recipient == "support":
        if recipient_organisation_id:
            raise _recipient_error(
                "Le support outil traite cette demande : ne nommez pas de destinataire."
            )
        return support_recipient(settings)
    if obj is not None:
        if recipient_organisation_id and recipient_organisation_id != obj.recipient_organisation_id:
            raise _recipient_error("Ce destinataire n'est pas celui de l'objet indiqué.")
        return Recipient(
            type="business",
            organisation_id=obj.recipient_organisation_id,
            designation=obj.recipient_designation,
        )
    named = facts.named_recipient
    if not recipient_organisation_id:
        raise _recipient_error("Indiquez l'entité publique destinataire.")
    if named is None or named.kind != "public":
        raise _recipient_error("Entité publique inconnue.")
    return Recipient(type="business", organisation_id=named.id, designation=named.designation)


def _checked_object(
    category: Category, facts: SubmissionFacts, object_number: str | None
) -> BusinessObject | None:
    if not object_number:
        return None
    obj = facts.business_object or next(iter(facts.received_objects), None)
    if obj is None:
        raise InvalidFieldsError.single(
            "object_number", "Aucun objet de ce numéro n'a été émis ou reçu par cette structure."
        )
    if category.object_kind is not None and obj.kind != category.object_kind:
        raise InvalidFieldsError.single(
            "object_number", "Ce numéro ne désigne pas un objet de cette catégorie."
        )
    return obj


def _recipient_error(message: str) -> InvalidFieldsError:
    return InvalidFieldsError(message, errors=[FieldError("recipient_organisation_id", message)])
