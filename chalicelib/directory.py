"""The directory: users, organisations, memberships and invoices (the portal's read side).

In production these come from the e-invoicing portal; here they live in the
directory table, seeded with the demo data in the local stack and the tests.

Items (pk / sk):
  USER#{id} / PROFILE          a user: e-mail, name, profile, groups
  USER#{id} / ORG#{org}        a membership, with the organisation copied in (one Query for /me)
  ORG#{id} / ORG               an organisation; public ones carry their service team's e-mail
  ORG#{id} / WORD#{word}       search entries for public bodies (gsi1: PUBLIC_WORD / {word}#{id})
  SIRET#{siret} / ORG          the organisation with that SIRET
  ORG#{emitter} / OBJECT#{NO}  an invoice, court-fee statement or refund request it issued
                               (numbers upper-cased in keys: they match whatever their case)
  ORG#{recipient} / RECEIVED#{NO}
                               the objects with that number addressed to it: one attribute
                               FROM#{emitter} per emitter, a copy of the emitter's item

Why copies rather than gsi1 (RECEIVED#{recipient} / OBJECT#{no}): a public body's lookup must
re-check the caller's memberships in the same call as the objects (the assistant's budget is
three AWS calls a message), and only BatchGetItem reads several partitions at once, for
several organisations and numbers; it cannot read an index. Numbers are unique per emitter
only, hence one item per (recipient, number) holding every emitter's object, each written by
an UpdateItem of its own attribute (no read-modify-write of the others).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from chalicelib.shared.dynamo import DynamoTransaction, deserialize, serialize
from chalicelib.shared.models import Model
from chalicelib.shared.text import fold

Profile = Literal["fournisseur", "structure_publique"]
OrganisationKind = Literal["supplier", "public"]
ObjectKind = Literal["invoice", "statement", "refund_request"]
PUBLIC_WORD_PARTITION = "PUBLIC_WORD"
SEARCH_WORD_MIN_LENGTH = 3
BATCH_GET_MAX_KEYS = 100
BATCH_WRITE_MAX_ITEMS = 25
ISSUED_PREFIX = "OBJECT#"
RECEIVED_PREFIX = "RECEIVED#"
EMITTER_PREFIX = "FROM#"


def object_key(number: str) -> str:
    """An object number as keys hold it: numbers match whatever their case (`fa-2026-0002`
    is FA-2026-0002), for tickets, the object lookup and the assistant alike."""
    return number.strip().upper()


class Organisation(Model):
    """A company or public body, identified by its SIRET."""

    model_config = ConfigDict(frozen=True)

    id: str
    designation: str
    siret: str
    kind: OrganisationKind
    # The business service's team address (public bodies only).
    service_email: str | None = None


class User(Model):
    """A portal user."""

    user_id: str
    email: str
    name: str
    profile: Profile | None = None
    groups: list[str] = []


class UserWithOrganisations(User):
    organisations: list[Organisation] = []


class BusinessObject(Model):
    """An invoice, statement or refund request."""

    number: str
    kind: ObjectKind
    emitter_organisation_id: str
    # Shown to the recipient; optional for objects written before it existed.
    emitter_designation: str | None = None
    recipient_organisation_id: str
    recipient_designation: str
    status: str
    status_label: str
    status_changed_at: datetime
    amount: str | None = None
    recipient_comment: str | None = None


class UserDirectory(Protocol):
    """The part of the directory that says who a user is and which organisations are theirs."""

    def user(self, user_id: str) -> UserWithOrganisations | None: ...


class MemberDirectory(UserDirectory, Protocol):
    """Who a user is, and the business objects of the organisations they still belong to
    (what the assistant reads: the DynamoDB directory, or an in-memory fake)."""

    def member_business_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str]
    ) -> list[BusinessObject]: ...

    def received_business_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str]
    ) -> list[BusinessObject]: ...


class DirectoryRepository:
    """Reads (and, for seeding, writes) the directory table.

    Through the low-level client, not the table resource: `/me` reads here on
    every cold start, and the resource layer costs ~30 ms more to set up.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        values = kwargs.pop("ExpressionAttributeValues")
        response = self._client.query(
            TableName=self._table_name, ExpressionAttributeValues=serialize(values), **kwargs
        )
        return [deserialize(item) for item in response.get("Items", [])]

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self._table_name, Key=serialize(key)).get("Item")
        return deserialize(item) if item else None

    def _put_all(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), BATCH_WRITE_MAX_ITEMS):
            chunk = items[start : start + BATCH_WRITE_MAX_ITEMS]
            request: dict[str, Any] = {
                self._table_name: [{"PutRequest": {"Item": serialize(item)}} for item in chunk]
            }
            while request:
                response = self._client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}

    def user(self, user_id: str) -> UserWithOrganisations | None:
        """A user and their organisations: one Query."""
        items = self._query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"USER#{user_id}"}
        )
        profile = next((item for item in items if item["sk"] == "PROFILE"), None)
        if profile is None:
            return None
        organisations = [
            Organisation.model_validate(item["organisation"])
            for item in items
            if str(item["sk"]).startswith("ORG#")
        ]
        return UserWithOrganisations.model_validate(
            {**_strip(profile), "organisations": organisations}
        )

    def organisation(self, organisation_id: str) -> Organisation | None:
        item = self._get({"pk": f"ORG#{organisation_id}", "sk": "ORG"})
        return Organisation.model_validate(_strip(item)) if item else None

    def organisation_by_siret(self, siret: str) -> Organisation | None:
        item = self._get({"pk": f"SIRET#{siret}", "sk": "ORG"})
        return Organisation.model_validate(_strip(item)) if item else None

    def business_object(self, emitter_organisation_id: str, number: str) -> BusinessObject | None:
        key = {"pk": f"ORG#{emitter_organisation_id}", "sk": ISSUED_PREFIX + object_key(number)}
        item = self._get(key)
        return BusinessObject.model_validate(_strip(item)) if item else None

    def member_business_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str]
    ) -> list[BusinessObject]:
        """The objects with these numbers issued by those of these organisations `user_id`
        still belongs to: one BatchGetItem for the objects and the memberships together.

        The memberships are read in the same call so that a caller's list of organisations,
        kept from earlier, cannot reveal the invoices of an organisation they have left.
        """
        return self._members_objects(user_id, organisation_ids, numbers, ISSUED_PREFIX)

    def received_business_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str]
    ) -> list[BusinessObject]:
        """The objects with these numbers addressed to those of these organisations `user_id`
        still belongs to, whoever issued them: one BatchGetItem, memberships included."""
        return self._members_objects(user_id, organisation_ids, numbers, RECEIVED_PREFIX)

    def _members_objects(
        self, user_id: str, organisation_ids: Iterable[str], numbers: Iterable[str], prefix: str
    ) -> list[BusinessObject]:
        organisations = list(dict.fromkeys(organisation_ids))
        wanted = list(dict.fromkeys(object_key(number) for number in numbers))
        keys = [{"pk": f"USER#{user_id}", "sk": f"ORG#{org}"} for org in organisations]
        keys += [
            {"pk": f"ORG#{org}", "sk": f"{prefix}{number}"}
            for org in organisations
            for number in wanted
        ]
        if not organisations or not wanted or len(keys) > BATCH_GET_MAX_KEYS:
            return []
        items = self._batch_get(keys)
        members = {
            str(item["sk"]).removeprefix("ORG#")
            for item in items
            if str(item["pk"]) == f"USER#{user_id}"
        }
        objects = [
            obj
            for item in items
            if str(item["sk"]).startswith(prefix)
            and str(item["pk"]).removeprefix("ORG#") in members
            for obj in objects_in(item)
        ]
        return sorted(
            objects,
            key=lambda obj: (wanted.index(object_key(obj.number)), obj.emitter_organisation_id),
        )

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self._table_name: {"Keys": [serialize(key) for key in keys]}}
        items: list[dict[str, Any]] = []
        # Unprocessed keys only come back under throttling; one retry, then what we have.
        for _ in range(2):
            response = self._client.batch_get_item(RequestItems=request)
            items += [
                deserialize(item)
                for item in response.get("Responses", {}).get(self._table_name, [])
            ]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        return items

    def search_public(self, query: str, limit: int) -> list[Organisation]:
        """Public bodies whose name has a word starting with each word of `query`."""
        words = [word for word in re.split(r"\W+", fold(query)) if word]
        if not words:
            return []
        first = max(words, key=len)
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND begins_with(gsi1sk, :word)",
            ExpressionAttributeValues={":pk": PUBLIC_WORD_PARTITION, ":word": first},
        )
        found: dict[str, Organisation] = {}
        for item in items:
            organisation = Organisation.model_validate(item["organisation"])
            name_words = re.split(r"\W+", fold(organisation.designation))
            if all(any(w.startswith(q) for w in name_words) for q in words):
                found[organisation.id] = organisation
        return sorted(found.values(), key=lambda org: org.designation)[:limit]

    def put_user(self, user: User, organisations: Iterable[Organisation]) -> None:
        items = [{"pk": f"USER#{user.user_id}", "sk": "PROFILE", **_dump(user)}]
        items += [
            {
                "pk": f"USER#{user.user_id}",
                "sk": f"ORG#{organisation.id}",
                "organisation": _dump(organisation),
            }
            for organisation in organisations
        ]
        self._put_all(items)

    def put_organisation(self, organisation: Organisation) -> None:
        data = _dump(organisation)
        items = [
            {"pk": f"ORG#{organisation.id}", "sk": "ORG", **data},
            {"pk": f"SIRET#{organisation.siret}", "sk": "ORG", **data},
        ]
        if organisation.kind == "public":
            items += [
                {
                    "pk": f"ORG#{organisation.id}",
                    "sk": f"WORD#{word}",
                    "gsi1pk": PUBLIC_WORD_PARTITION,
                    "gsi1sk": f"{word}#{organisation.id}",
                    "organisation": data,
                }
                for word in sorted(_search_words(organisation.designation))
            ]
        self._put_all(items)

    def put_new_business_objects(self, objects: Iterable[BusinessObject]) -> None:
        """Write objects that do not exist yet, with their recipients' copies, in batches.

        For seeding an empty directory (the demo data, every test's moto world): a
        seed has no concurrent writer, so the transaction `put_business_object` needs
        is not; batches write the 7 demo objects in 2 calls instead of 14.
        """
        issued: list[dict[str, Any]] = []
        received: dict[tuple[str, str], dict[str, Any]] = {}
        for obj in objects:
            data = _dump(obj)
            number = object_key(obj.number)
            issued.append(
                {"pk": f"ORG#{obj.emitter_organisation_id}", "sk": ISSUED_PREFIX + number} | data
            )
            key = (f"ORG#{obj.recipient_organisation_id}", RECEIVED_PREFIX + number)
            copy = received.setdefault(key, {"pk": key[0], "sk": key[1]})
            copy[f"{EMITTER_PREFIX}{obj.emitter_organisation_id}"] = data
        self._put_all(issued + list(received.values()))

    def put_business_object(self, obj: BusinessObject) -> None:
        """Write an object and its copy under its recipient, in one transaction.

        A re-addressed object (« À recycler ») leaves its former recipient's item in the
        same transaction; the Put's condition makes a concurrent re-addressing fail rather
        than leave a stale copy.
        """
        number = object_key(obj.number)
        key = {"pk": f"ORG#{obj.emitter_organisation_id}", "sk": ISSUED_PREFIX + number}
        data = _dump(obj)
        previous = self._get(key)
        former = str(previous["recipient_organisation_id"]) if previous else None
        tx = DynamoTransaction(self._client)
        tx.put(
            "object",
            self._table_name,
            {**key, **data},
            condition="attribute_not_exists(pk)"
            if former is None
            else "recipient_organisation_id = :was",
            values=None if former is None else {":was": former},
        )
        self._received_in(tx, "received", obj.recipient_organisation_id, obj, data)
        if former is not None and former != obj.recipient_organisation_id:
            self._received_in(tx, "former", former, obj, None)
        tx.commit()

    def _received_in(
        self,
        tx: DynamoTransaction,
        label: str,
        recipient_id: str,
        obj: BusinessObject,
        data: dict[str, Any] | None,
    ) -> None:
        """Set (or, without data, remove) the emitter's copy in the recipient's item."""
        key = {"pk": f"ORG#{recipient_id}", "sk": RECEIVED_PREFIX + object_key(obj.number)}
        names = {"#from": f"{EMITTER_PREFIX}{obj.emitter_organisation_id}"}
        if data is None:
            tx.update(label, self._table_name, key, "REMOVE #from", names=names)
        else:
            tx.update(
                label,
                self._table_name,
                key,
                "SET #from = :data",
                names=names,
                values={":data": data},
            )


def objects_in(item: dict[str, Any]) -> list[BusinessObject]:
    """The objects an item holds: itself (issued), or one per emitter (received).

    A copy is only trusted when it still names the item's organisation as its recipient.
    """
    if str(item["sk"]).startswith(ISSUED_PREFIX):
        return [BusinessObject.model_validate(_strip(item))]
    recipient = str(item["pk"]).removeprefix("ORG#")
    copies = [
        BusinessObject.model_validate(value)
        for name, value in sorted(item.items())
        if name.startswith(EMITTER_PREFIX)
    ]
    return [obj for obj in copies if obj.recipient_organisation_id == recipient]


def _search_words(designation: str) -> set[str]:
    return {
        word for word in re.split(r"\W+", fold(designation)) if len(word) >= SEARCH_WORD_MIN_LENGTH
    }


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("pk", "sk", "gsi1pk", "gsi1sk")}
