"""The directory contract: one suite of reads, run on the in-memory fake and on DynamoDB (moto).

Both hold infra/demo.py's data. A user comes with the organisations of their
memberships (id order); objects are found for the organisations the user still
belongs to, issued by them or addressed to them, in the order the numbers were
asked; public bodies by the start of the words of their name; a submission's
facts in one read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import pytest

from chalicelib.directory import BusinessObject, Organisation, UserWithOrganisations
from chalicelib.endpoints import wiring
from chalicelib.routing.recipients import DirectoryFacts, SubmissionDirectory
from chalicelib.shared import aws
from chalicelib.shared.config import get_settings
from infra.demo import BOULANGERIE, DOUANES, MAIRIE, MARTIN_CONSEIL, TRIBUNAL
from tests.fakes.directory import demo_directory

BOULANGERIE_ID = "org-boulangerie-martin"
DUPONT_ID = "org-atelier-dupont"
MAIRIE_ID = "org-mairie-valbourg"


class DirectoryReads(Protocol):
    """The reads of the directory the services and the assistant make."""

    def user(self, user_id: str) -> UserWithOrganisations | None: ...

    def organisation(self, organisation_id: str) -> Organisation | None: ...

    def organisation_by_siret(self, siret: str) -> Organisation | None: ...

    def business_object(
        self, emitter_organisation_id: str, number: str
    ) -> BusinessObject | None: ...

    def member_business_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str]
    ) -> list[BusinessObject]: ...

    def received_business_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str]
    ) -> list[BusinessObject]: ...

    def search_public(self, query: str, limit: int) -> list[Organisation]: ...


@dataclass
class Directory:
    reads: DirectoryReads
    facts: SubmissionDirectory


def numbers(objects: list[BusinessObject]) -> list[str]:
    return [obj.number for obj in objects]


class DirectoryContract:
    @pytest.fixture
    def directory(self) -> Directory:
        raise NotImplementedError

    def test_a_user_comes_with_the_organisations_of_their_memberships(
        self, directory: Directory
    ) -> None:
        alice = directory.reads.user("alice")

        assert alice is not None
        assert (alice.name, alice.email, alice.profile) == (
            "Alice Martin",
            "alice.martin@boulangerie-martin.example.fr",
            "fournisseur",
        )
        assert alice.organisations == [BOULANGERIE, MARTIN_CONSEIL]

    def test_an_agent_has_their_groups_and_maybe_no_organisation(
        self, directory: Directory
    ) -> None:
        sophie = directory.reads.user("sophie")
        marc = directory.reads.user("marc")

        assert sophie is not None and marc is not None
        assert (sophie.groups, sophie.organisations) == (["support_agents"], [])
        assert (marc.groups, marc.organisations) == (["business_agents"], [MAIRIE])

    def test_an_unknown_user_is_none(self, directory: Directory) -> None:
        assert directory.reads.user("mallory") is None

    def test_organisations_are_found_by_id_and_by_siret(self, directory: Directory) -> None:
        assert directory.reads.organisation(MAIRIE_ID) == MAIRIE
        assert directory.reads.organisation_by_siret("21300512000018") == MAIRIE
        assert directory.reads.organisation("org-unknown") is None
        assert directory.reads.organisation_by_siret("00000000000000") is None

    def test_an_object_is_found_under_its_emitter(self, directory: Directory) -> None:
        found = directory.reads.business_object(BOULANGERIE_ID, "FA-2026-0002")

        assert found is not None
        assert (found.status, found.recipient_organisation_id, found.amount) == (
            "REJETEE",
            MAIRIE_ID,
            "840.50",
        )
        assert directory.reads.business_object(DUPONT_ID, "FA-2026-0002") is None

    def test_a_member_sees_the_objects_of_their_organisations_only(
        self, directory: Directory
    ) -> None:
        found = directory.reads.member_business_objects(
            "alice", [DUPONT_ID, BOULANGERIE_ID], ["FA-2026-0003", "FC-2026-0001", "FA-2026-0001"]
        )

        assert numbers(found) == ["FA-2026-0003", "FA-2026-0001"]
        assert directory.reads.member_business_objects("alice", [], ["FA-2026-0001"]) == []

    def test_a_public_body_sees_the_objects_addressed_to_it_in_the_order_asked(
        self, directory: Directory
    ) -> None:
        found = directory.reads.received_business_objects(
            "bruno", [MAIRIE_ID], ["FC-2026-0001", "MJ-2026-0001", "FA-2026-0004"]
        )

        assert numbers(found) == ["FC-2026-0001", "FA-2026-0004"]
        assert [o.emitter_organisation_id for o in found] == [DUPONT_ID, BOULANGERIE_ID]
        assert (
            directory.reads.received_business_objects("alice", [MAIRIE_ID], ["FA-2026-0004"]) == []
        )

    def test_public_bodies_are_searched_by_the_start_of_their_words(
        self, directory: Directory
    ) -> None:
        assert [o.id for o in directory.reads.search_public("valbourg", 10)] == [
            DOUANES.id,
            "org-ch-valbourg",
            MAIRIE_ID,
            TRIBUNAL.id,
        ]
        assert directory.reads.search_public("Trib. judic", 10) == [TRIBUNAL]
        assert directory.reads.search_public("valbourg", 2) == [
            DOUANES,
            directory.reads.organisation("org-ch-valbourg"),
        ]
        assert directory.reads.search_public("boulangerie", 10) == []
        assert directory.reads.search_public(" ?! ", 10) == []

    def test_a_submissions_facts_come_in_one_read(self, directory: Directory) -> None:
        facts = directory.facts.for_submission("alice", BOULANGERIE_ID, "FA-2026-0003", MAIRIE_ID)

        assert facts.user is not None and facts.user.name == "Alice Martin"
        assert facts.membership == BOULANGERIE
        assert facts.business_object is not None
        assert facts.business_object.status == "SUSPENDUE"
        assert facts.named_recipient == MAIRIE

    def test_object_numbers_match_whatever_their_case(self, directory: Directory) -> None:
        issued = directory.reads.business_object(BOULANGERIE_ID, " fa-2026-0002")
        mine = directory.reads.member_business_objects("alice", [BOULANGERIE_ID], ["fa-2026-0002"])
        received = directory.reads.received_business_objects("bruno", [MAIRIE_ID], ["Fc-2026-0001"])
        facts = directory.facts.for_submission("alice", BOULANGERIE_ID, "fa-2026-0003", None)

        assert issued is not None and issued.number == "FA-2026-0002"
        assert numbers(mine) == ["FA-2026-0002"]
        assert numbers(received) == ["FC-2026-0001"]
        assert facts.business_object is not None and facts.business_object.number == "FA-2026-0003"

    def test_a_submission_by_a_public_body_finds_the_object_it_received(
        self, directory: Directory
    ) -> None:
        facts = directory.facts.for_submission("bruno", MAIRIE_ID, "fc-2026-0001", None)

        assert facts.business_object is None
        assert [(o.number, o.emitter_organisation_id) for o in facts.received_objects] == [
            ("FC-2026-0001", DUPONT_ID)
        ]

    def test_a_non_member_has_no_membership_and_unknown_things_are_none(
        self, directory: Directory
    ) -> None:
        facts = directory.facts.for_submission("claire", BOULANGERIE_ID, "FA-2026-9999", "org-x")

        assert facts.user is not None and facts.user.user_id == "claire"
        assert (facts.membership, facts.business_object, facts.named_recipient) == (
            None,
            None,
            None,
        )
        assert facts.received_objects == []
        bare = directory.facts.for_submission("nobody", BOULANGERIE_ID, None, None)
        assert bare.user is None and bare.membership is None


class TestFakeDirectory(DirectoryContract):
    @pytest.fixture
    def directory(self) -> Directory:
        fake = demo_directory()
        return Directory(fake, fake)


class TestDynamoDirectory(DirectoryContract):
    @pytest.fixture
    def directory(self, aws_env: dict[str, str]) -> Directory:
        facts = DirectoryFacts(aws.dynamodb(), get_settings().directory_table)
        return Directory(wiring.directory(), facts)
