"""Identity services: who the caller is (`/me`), demo tokens, public bodies and objects lookup."""

from __future__ import annotations

from datetime import datetime

from chalicelib.auth import Identity, mint_token
from chalicelib.directory import (
    BusinessObject,
    DirectoryRepository,
    ObjectKind,
    Organisation,
    Profile,
)
from chalicelib.shared.config import Settings
from chalicelib.shared.errors import InvalidFieldsError, NotFoundError
from chalicelib.shared.models import Model

LOCAL_TOKEN_LIFETIME_SECONDS = 12 * 3600
MAX_OBJECT_NUMBER_LENGTH = 64


class OrganisationOut(Model):
    id: str
    designation: str
    siret: str
    kind: str


class Me(Model):
    """The caller, and what the ticket form pre-fills (emitter choices, contact e-mail)."""

    user_id: str
    email: str | None
    name: str | None
    profile: Profile | None
    roles: list[str]
    organisations: list[OrganisationOut]


def describe_me(directory: DirectoryRepository, identity: Identity) -> Me:
    """The caller's profile; a token user missing from the directory has no organisations."""
    user = directory.user(identity.user_id)
    organisations = user.organisations if user else []
    return Me(
        user_id=identity.user_id,
        email=user.email if user else identity.email,
        name=user.name if user else identity.name,
        profile=user.profile if user else None,
        roles=sorted(identity.roles),
        organisations=[
            OrganisationOut(id=o.id, designation=o.designation, siret=o.siret, kind=o.kind)
            for o in organisations
        ],
    )


class ObjectRecipient(Model):
    organisation_id: str
    designation: str


class ObjectFound(Model):
    """An object a ticket may cite, and who would receive that ticket (shown before submitting)."""

    object_number: str
    kind: ObjectKind
    emitter_organisation_id: str
    recipient: ObjectRecipient


def find_object(directory: DirectoryRepository, identity: Identity, number: str) -> ObjectFound:
    """An object issued by one of the caller's organisations, else one they received.

    Numbers are stored upper-case, so the match ignores case. 404 for an
    object the caller's organisations neither issued nor received, as for one
    that does not exist: the answer never says which.
    """
    wanted = number.strip().upper()
    user = directory.user(identity.user_id)
    organisations = [org.id for org in user.organisations] if user else []
    found: list[BusinessObject] = []
    if 0 < len(wanted) <= MAX_OBJECT_NUMBER_LENGTH:
        found = directory.member_business_objects(identity.user_id, organisations, [wanted])
        found = found or directory.received_business_objects(
            identity.user_id, organisations, [wanted]
        )
    if not found:
        raise NotFoundError("Aucun objet de ce numéro n'a été émis ou reçu par vos structures.")
    obj = found[0]
    return ObjectFound(
        object_number=obj.number,
        kind=obj.kind,
        emitter_organisation_id=obj.emitter_organisation_id,
        recipient=ObjectRecipient(
            organisation_id=obj.recipient_organisation_id,
            designation=obj.recipient_designation,
        ),
    )


def find_public_organisations(
    directory: DirectoryRepository, query: str, limit: int
) -> list[Organisation]:
    """Public bodies by SIRET (14 digits) or by words of their name."""
    compact = query.replace(" ", "")
    if compact.isdigit() and len(compact) == 14:
        organisation = directory.organisation_by_siret(compact)
        return [organisation] if organisation and organisation.kind == "public" else []
    return directory.search_public(query, limit)


def issue_local_token(
    directory: DirectoryRepository, settings: Settings, user_id: str, now: datetime
) -> str:
    """A token for a demo user, signed with the local key (local stage only)."""
    if settings.stage != "local" or not settings.auth_local_signing_key:
        raise NotFoundError("Cette route n'existe que dans l'environnement local.")
    user = directory.user(user_id)
    if user is None:
        raise InvalidFieldsError.single("user", "Utilisateur de démonstration inconnu.")
    return mint_token(
        settings.auth_local_signing_key,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        user_id=user.user_id,
        email=user.email,
        name=user.name,
        groups=user.groups,
        now=now,
        lifetime_seconds=LOCAL_TOKEN_LIFETIME_SECONDS,
    )
