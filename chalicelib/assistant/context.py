"""Answers from the caller's own data: their latest tickets, the status of one of their invoices.

The tickets come through `LatestTickets`, a plain callable the edge builds from the tickets
area (one Query). Invoices come from the
directory, limited to the organisations the caller belongs to: those they issued for a
supplier, those they received for a public body. An invoice of another organisation gets
exactly the answer of an invoice that does not exist, so that the assistant never confirms
what others have issued or received.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from chalicelib.assistant.records import OrganisationRef
from chalicelib.directory import BusinessObject
from chalicelib.shared.clock import paris_time

LATEST_TICKETS = 5

TICKET_STATUS_LABELS = {
    "submitted": "envoyé, en attente de prise en charge",
    "in_progress": "en cours de traitement",
    "waiting_for_user": "en attente d'un complément de votre part",
    "resolved": "résolu",
    "closed": "clôturé",
}
# "émise" or "émis": a statement (mémoire) is masculine.
ISSUED = {"invoice": "émise", "statement": "émis", "refund_request": "émise"}
OBJECT_KIND_LABELS = {
    "invoice": "Facture",
    "statement": "Mémoire de frais de justice",
    "refund_request": "Demande de remboursement TIC",
}


class TicketLine(Protocol):
    """A ticket as the assistant lists it (the tickets area's digest has these fields)."""

    @property
    def reference(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def updated_at(self) -> datetime: ...


# "The latest `limit` tickets of this user, newest first": handed in by the edge.
LatestTickets = Callable[[str, int], Sequence[TicketLine]]


def when(instant: datetime) -> str:
    """A date and time as French users read them, in Paris time: "20/10/2026 à 14h02"."""
    local = paris_time(instant)
    return f"{local:%d/%m/%Y} à {local:%H}h{local:%M}"


def tickets_text(tickets: Sequence[TicketLine]) -> str:
    """The caller's latest tickets, one line each."""
    if not tickets:
        return (
            "Vous n'avez aucun ticket pour le moment. Pour en créer un : Support > Nous "
            "contacter > Créer un ticket."
        )
    lines = [
        f"- {ticket.reference} « {ticket.title} » : "
        f"{TICKET_STATUS_LABELS.get(ticket.status, ticket.status)} "
        f"(mis à jour le {when(ticket.updated_at)})"
        for ticket in tickets
    ]
    return (
        "Voici vos derniers tickets :\n"
        + "\n".join(lines)
        + "\nPour le détail, ouvrez le ticket depuis Support > Mes tickets."
    )


def invoice_status_text(
    numbers: list[str],
    found: list[BusinessObject],
    organisations: list[OrganisationRef],
    received: bool = False,
) -> str:
    """The status of each asked-for object found among the caller's, and a line per missing one.

    `received`: the caller is the recipient (a public body), who wants the emitter's name and
    reads the comment as their own.
    """
    names = {organisation.id: organisation.designation for organisation in organisations}
    paragraphs = [_object_status(obj, names, received) for obj in found]
    found_numbers = {obj.number.upper() for obj in found}
    missing = [number for number in numbers if number.upper() not in found_numbers]
    if missing:
        paragraphs.append(_not_found(missing, organisations, received))
    return "\n\n".join(paragraphs)


def _object_status(obj: BusinessObject, names: dict[str, str], received: bool) -> str:
    emitter = (
        obj.emitter_designation
        or names.get(obj.emitter_organisation_id)
        or obj.emitter_organisation_id
    )
    text = (
        f"{OBJECT_KIND_LABELS[obj.kind]} {obj.number}, {ISSUED[obj.kind]} par {emitter} pour "
        f"{obj.recipient_designation} : statut « {obj.status_label} » depuis le "
        f"{when(obj.status_changed_at)}."
    )
    if obj.recipient_comment:
        author = "Commentaire de votre structure" if received else "Commentaire du destinataire"
        text += f"\n{author} : « {obj.recipient_comment} »"
    return text


def _not_found(numbers: list[str], organisations: list[OrganisationRef], received: bool) -> str:
    listed = ", ".join(numbers)
    invoices = all(_is_invoice_number(number) for number in numbers)
    what, those = ("aucune facture", "celles") if invoices else ("aucun objet", "ceux")
    scope = (
        f"parmi {those} de vos structures (" + ", ".join(o.designation for o in organisations) + ")"
        if organisations
        else f"parmi {those} des structures auxquelles vous êtes rattaché"
    )
    if invoices:
        side = "reçues" if received else "émises"
        readable = f"les factures {side}"
    else:
        side = "reçus" if received else "émis"
        readable = (
            f"les factures, mémoires de frais de justice et demandes de remboursement TIC {side}"
        )
    return (
        f"Je ne trouve {what} n° {listed} {scope}. Vérifiez le numéro exact, sans caractère "
        f"ajouté : je ne peux consulter que {readable} par vos structures."
    )


def _is_invoice_number(number: str) -> bool:
    """Anything but a statement (MJ-…) or a refund request (TIC-…) is read as an invoice."""
    return not number.upper().startswith(("MJ-", "TIC-"))


# The portal's own numbering: FA-2026-0002 (invoice), MJ-… (court-fee statement), TIC-…
# (energy-tax refund request), FC-…: a number written this way names one object.
_PORTAL_OBJECT_NUMBER = re.compile(r"^[A-Za-z]{2,4}-\d{4}-\d{1,8}$")


def portal_object_numbers(numbers: list[str]) -> list[str]:
    """The numbers written as the portal writes its objects' numbers."""
    return [number for number in numbers if _PORTAL_OBJECT_NUMBER.match(number)]


def invoice_numbers_variants(numbers: list[str]) -> list[str]:
    """The numbers as typed, and in capitals (portal numbers are usually upper case)."""
    return list(dict.fromkeys([*numbers, *(number.upper() for number in numbers)]))
