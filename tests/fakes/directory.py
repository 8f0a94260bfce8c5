"""An in-memory directory: users and their organisations, organisations, business objects.

One fake for every reading protocol of the directory: `UserDirectory` (`user`),
`SubmissionDirectory` (`for_submission`), `Organisations` (`organisation`), and
the reads of `DirectoryRepository` the assistant uses. It answers what the
directory table answers: a user's organisations as copied in their memberships,
in id order; objects issued by an organisation, or addressed to it, only for the
organisations the user still belongs to, in the order the numbers were asked;
public bodies by the start of the words of their name.

`demo_directory()` is seeded with infra/demo.py's data, as moto is in the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chalicelib.directory import (
    BATCH_GET_MAX_KEYS,
    SEARCH_WORD_MIN_LENGTH,
    BusinessObject,
    Organisation,
    User,
    UserWithOrganisations,
    object_key,
)
from chalicelib.routing.recipients import SubmissionFacts
from chalicelib.shared.text import fold
from infra.demo import BUSINESS_OBJECTS, ORGANISATIONS, USERS
from tests.fakes.transaction import STATE_LOCK


class FakeDirectory:
    """Users, organisations and business objects, in memory."""

    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self._memberships: dict[str, dict[str, Organisation]] = {}
        self._organisations: dict[str, Organisation] = {}
        # (emitter organisation id, number upper-cased) -> object
        self._objects: dict[tuple[str, str], BusinessObject] = {}

    # Seeding, as DirectoryRepository writes

    def put_user(self, user: User, organisations: Iterable[Organisation]) -> None:
        with STATE_LOCK:
            self._users[user.user_id] = user.model_copy(deep=True)
            memberships = self._memberships.setdefault(user.user_id, {})
            memberships.update({organisation.id: organisation for organisation in organisations})

    def put_organisation(self, organisation: Organisation) -> None:
        with STATE_LOCK:
            self._organisations[organisation.id] = organisation

    def put_business_object(self, obj: BusinessObject) -> None:
        with STATE_LOCK:
            key = (obj.emitter_organisation_id, object_key(obj.number))
            self._objects[key] = obj.model_copy()

    def remove_membership(self, user_id: str, organisation_id: str) -> None:
        """The user leaves the organisation (for tests)."""
        with STATE_LOCK:
            self._memberships.get(user_id, {}).pop(organisation_id, None)

    # Reads

    def user(self, user_id: str) -> UserWithOrganisations | None:
        with STATE_LOCK:
            user = self._users.get(user_id)
            memberships = self._memberships.get(user_id, {})
            if user is None:
                return None
            organisations = [memberships[org_id] for org_id in sorted(memberships)]
        return UserWithOrganisations.model_validate(
            {**user.model_dump(), "organisations": organisations}
        )

    def organisation(self, organisation_id: str) -> Organisation | None:
        with STATE_LOCK:
            return self._organisations.get(organisation_id)

    def organisation_by_siret(self, siret: str) -> Organisation | None:
        with STATE_LOCK:
            return next((o for o in self._organisations.values() if o.siret == siret), None)

    def business_object(self, emitter_organisation_id: str, number: str) -> BusinessObject | None:
        with STATE_LOCK:
            found = self._objects.get((emitter_organisation_id, object_key(number)))
        return found.model_copy() if found else None

    def member_business_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str]
    ) -> list[BusinessObject]:
        return self._members_objects(user_id, organisation_ids, numbers, received=False)

    def received_business_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str]
    ) -> list[BusinessObject]:
        return self._members_objects(user_id, organisation_ids, numbers, received=True)

    def _members_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str], received: bool
    ) -> list[BusinessObject]:
        organisations = list(dict.fromkeys(organisation_ids))
        wanted = list(dict.fromkeys(object_key(number) for number in numbers))
        keys = len(organisations) * (1 + len(wanted))
        if not organisations or not wanted or keys > BATCH_GET_MAX_KEYS:
            return []
        with STATE_LOCK:
            members = set(organisations) & set(self._memberships.get(user_id, {}))
            objects = [
                obj.model_copy()
                for obj in self._objects.values()
                if object_key(obj.number) in wanted
                and (obj.recipient_organisation_id if received else obj.emitter_organisation_id)
                in members
            ]
        return sorted(
            objects,
            key=lambda obj: (wanted.index(object_key(obj.number)), obj.emitter_organisation_id),
        )

    def search_public(self, query: str, limit: int) -> list[Organisation]:
        words = [word for word in re.split(r"\W+", fold(query)) if word]
        if not words:
            return []
        first = max(words, key=len)
        with STATE_LOCK:
            public = [o for o in self._organisations.values() if o.kind == "public"]
        found: list[Organisation] = []
        for organisation in public:
            name_words = re.split(r"\W+", fold(organisation.designation))
            indexed = [w for w in name_words if len(w) >= SEARCH_WORD_MIN_LENGTH]
            if any(w.startswith(first) for w in indexed) and all(
                any(w.startswith(q) for w in name_words) for q in words
            ):
                found.append(organisation)
        return sorted(found, key=lambda org: org.designation)[:limit]

    def for_submission(
        self,
        user_id: str,
        organisation_id: str,
        object_number: str | None,
        recipient_organisation_id: str | None,
    ) -> SubmissionFacts:
        with STATE_LOCK:
            user = self._users.get(user_id)
            membership = self._memberships.get(user_id, {}).get(organisation_id)
            number = object_key(object_number) if object_number else None
            obj = self._objects.get((organisation_id, number)) if number else None
            received = [
                o.model_copy()
                for (_, n), o in sorted(self._objects.items())
                if obj is None
                and number is not None
                and n == number
                and o.recipient_organisation_id == organisation_id
            ]
            named = (
                self._organisations.get(recipient_organisation_id)
                if recipient_organisation_id
                else None
            )
        return SubmissionFacts(
            user=user.model_copy() if user else None,
            membership=membership,
            business_object=obj.model_copy() if obj else None,
            received_objects=received,
            named_recipient=named,
        )


def demo_directory() -> FakeDirectory:
    """A directory holding infra/demo.py's users, organisations and business objects."""
    directory = FakeDirectory()
    for organisation in ORGANISATIONS:
        directory.put_organisation(organisation)
    for user, organisations in USERS:
        directory.put_user(user, organisations)
    for obj in BUSINESS_OBJECTS:
        directory.put_business_object(obj)
    return directory
