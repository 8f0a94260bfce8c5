"""Help without an account (non-connected mode): self-help solutions, then a help request.

A help request is a ticket like any other: addressed to the tool support,
written with the same transaction (so the stream dispatches it to the support
queue), with a reference the person keeps. Only sub-categories not marked
`connected_only` are offered. The e-mail is typed twice and both must match;
the optional SIRET must be 14 digits with a valid Luhn key (La Poste's
establishments, SIREN 356000000, may instead follow their own rule: the digits
add up to a multiple of 5).

Anonymous and creating, so rate limited per fixed hour: per e-mail
(`HELP_REQUESTS_PER_EMAIL_HOUR`, 5) and per client address
(`HELP_REQUESTS_PER_ADDRESS_HOUR`, 20: a company or an administration often
shares one address), counted in the rate-limits table (one UpdateItem each,
TTL cleans up). Only requests that passed every check
count, so a person correcting a typo is not locked out; a replayed
Idempotency-Key costs nothing and counts nothing.

Attachments without an account: each upload returned a client token, sent
back as `X-Upload-Token` with the next uploads and with the help request; the
uploads belong to that token (only its hash is stored), so only its holder
can put them on a request. A signed-in person's uploads are theirs, as for a
ticket. Attachment ids without a way to tell whose they are: 422.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from pydantic import Field, field_validator

from chalicelib.auth import Identity
from chalicelib.routing.catalogue import Catalogue
from chalicelib.routing.recipients import support_recipient
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.idempotency import claim_key, first_response
from chalicelib.shared.models import Model
from chalicelib.shared.ratelimit import RateLimiter
from chalicelib.shared.text import fold
from chalicelib.tickets.changes import check_attachments, claimed_ids
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.records import TicketRecord
from chalicelib.tickets.submission import create_ticket, new_ticket_id, next_reference, valid_email

SOLUTIONS_PATH = Path(__file__).resolve().parent.parent / "data" / "help_problems.yaml"
HELP_CONFIRMATION = (
    "Votre demande d'aide a bien été envoyée au support, qui vous répondra par e-mail. "
    "Conservez sa référence."
)
LA_POSTE_SIREN = "356000000"
RATE_WINDOW_SECONDS = 3600


class HelpSolution(Model):
    title: str
    text: str


class HelpProblemOut(Model):
    """A problem and the self-help solutions shown before the request form."""

    code: str
    label: str
    subcategory: str
    solutions: list[HelpSolution]


class NewHelpRequest(Model):
    """What a help request says (`POST /help/requests`)."""

    problem: str = Field(min_length=1, max_length=32)
    category: str = Field(min_length=1, max_length=32)
    subcategory: str = Field(min_length=1, max_length=32)
    email: str = Field(max_length=254)
    email_confirmation: str = Field(max_length=254)
    title: str = Field(min_length=5, max_length=120)
    description: str = Field(min_length=10, max_length=10_000)
    siret: str | None = Field(None, max_length=32)
    attachment_ids: list[str] = Field(default_factory=list, max_length=10)

    _email = field_validator("email")(valid_email)


class HelpRequestAccepted(Model):
    reference: str
    message: str


@cache
def load_solutions() -> dict[str, list[HelpSolution]]:
    """The self-help solutions by problem code, read once per process."""
    import yaml

    raw = yaml.safe_load(SOLUTIONS_PATH.read_text(encoding="utf-8")) or {}
    return {code: [HelpSolution.model_validate(s) for s in items] for code, items in raw.items()}


def help_problems(
    catalogue: Catalogue, solutions: dict[str, list[HelpSolution]]
) -> list[HelpProblemOut]:
    return [
        HelpProblemOut(
            code=problem.code,
            label=problem.label,
            subcategory=problem.subcategory,
            solutions=solutions.get(problem.code, []),
        )
        for problem in catalogue.help_problems
    ]


def valid_siret(siret: str) -> bool:
    """14 digits whose Luhn key is right (La Poste's establishments: digit sum a multiple of 5)."""
    if len(siret) != 14 or not siret.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(siret)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    if total % 10 == 0:
        return True
    return siret.startswith(LA_POSTE_SIREN) and sum(int(d) for d in siret) % 5 == 0


def checked_siret(siret: str | None) -> str | None:
    if siret is None:
        return None
    compact = siret.replace(" ", "")
    if not compact:
        return None
    if not valid_siret(compact):
        raise InvalidFieldsError.single("siret", "SIRET invalide : 14 chiffres avec une clé juste.")
    return compact


def check_help_request(catalogue: Catalogue, request: NewHelpRequest) -> str | None:
    """Every check of a help request; returns the compact SIRET."""
    problem = catalogue.help_problem(request.problem)
    if problem is None:
        raise InvalidFieldsError.single("problem", "Problème inconnu.")
    catalogue.find_offline(request.category, request.subcategory)
    if request.subcategory != problem.subcategory:
        raise InvalidFieldsError.single(
            "subcategory", "Cette sous-catégorie ne correspond pas au problème choisi."
        )
    if fold(request.email) != fold(request.email_confirmation):
        raise InvalidFieldsError.single(
            "email_confirmation", "Les deux adresses e-mail ne correspondent pas."
        )
    return checked_siret(request.siret)


def submit_help_request(
    ctx: TicketContext,
    limiter: RateLimiter,
    caller: Identity | None,
    request: NewHelpRequest,
    client_ip: str,
    idempotency_key: str | None,
    now: datetime,
    upload_token: str | None = None,
) -> HelpRequestAccepted:
    """Check, rate-limit and store a help request for the tool support, with its attachments."""
    email = fold(request.email)
    idem = claim_key("help_request", email, idempotency_key, request)
    first = first_response(ctx.idempotency, idem, now)
    if first is not None:
        return HelpRequestAccepted.model_validate(first)
    siret = check_help_request(ctx.catalogue, request)
    ticket_id = new_ticket_id()
    attachments = check_attachments(
        ctx, ctx.attachments.owner_for(caller, upload_token), request.attachment_ids, ticket_id, now
    )
    settings = ctx.settings
    limiter.hit(
        "help-address",
        client_ip,
        limit=settings.help_requests_per_address_hour,
        window_seconds=RATE_WINDOW_SECONDS,
        now=now,
    )
    limiter.hit(
        "help-email",
        email,
        limit=settings.help_requests_per_email_hour,
        window_seconds=RATE_WINDOW_SECONDS,
        now=now,
    )
    ticket = TicketRecord(
        ticket_id=ticket_id,
        reference=next_reference(ctx.store, now),
        channel="help_request",
        status="submitted",
        # A signed-in person may use the form too; the ticket is then theirs to follow.
        emitter_user_id=caller.user_id if caller else None,
        emitter_name=(caller.name if caller else None) or request.email,
        siret=siret,
        category=request.category,
        subcategory=request.subcategory,
        title=request.title,
        description=request.description,
        contact_email=request.email,
        recipient=support_recipient(ctx.settings),
        attachment_ids=claimed_ids(attachments),
        attachment_bytes=attachments.total_bytes if attachments else 0,
        created_at=now,
        updated_at=now,
    )
    response = HelpRequestAccepted(reference=ticket.reference, message=HELP_CONFIRMATION)
    return HelpRequestAccepted.model_validate(
        create_ticket(ctx, ticket, response, idem, now, attachments)
    )
