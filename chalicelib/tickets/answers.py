"""Canned answers: texts a desk writes once and inserts into its replies.

A desk's answers are its own: `ANSWERS#{desk}` / `ANSWER#{id}`, the desk being
the support's or one public body's (as the ticket desk: tickets/desk.py). Every
read and write goes through the caller's desk partition, so an answer of another
desk is a 404, whatever its id. Listing is one Query (by id: creation order, as
ids are time-ordered); a change is a conditional write on the version read.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import Field

from chalicelib.auth import Identity
from chalicelib.shared.dynamo import condition_failed
from chalicelib.shared.errors import ConflictError, NotFoundError
from chalicelib.shared.models import Model
from chalicelib.shared.pagination import Page, decode_cursor, encode_cursor
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.desk import AgentScope, DeskFilter, desk_partition_for
from chalicelib.tickets.keys import sort_instant

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class AnswerText(Model):
    """What an agent writes: a title to find it, the text inserted into a reply."""

    title: str = Field(min_length=2, max_length=120)
    text: str = Field(min_length=2, max_length=10_000)


class CannedAnswer(AnswerText):
    answer_id: str
    desk: str
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 1


class StaleAnswerError(Exception):
    """The answer changed (or went) since it was read."""


class AnswerStore(Protocol):
    """A desk's canned answers (DynamoDB, or an in-memory fake)."""

    def list(self, desk: str, limit: int, cursor: str | None) -> Page[CannedAnswer]:
        """A desk's answers, oldest first."""
        ...

    def get(self, desk: str, answer_id: str) -> CannedAnswer | None:
        """One answer of the desk, None when the desk has no such answer."""
        ...

    def save(self, answer: CannedAnswer, expected_version: int | None) -> None:
        """Create (None) or replace the version read; StaleAnswerError otherwise."""
        ...

    def delete(self, desk: str, answer_id: str) -> bool:
        """Remove one of the desk's answers; False when it had none."""
        ...


def answers_partition(desk: str) -> str:
    return f"ANSWERS#{desk}"


class DynamoAnswerStore:
    """Canned answers in the tickets table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def list(self, desk: str, limit: int, cursor: str | None) -> Page[CannedAnswer]:
        partition = answers_partition(desk)
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": partition},
            "Limit": limit,
        }
        start = decode_cursor(cursor, {"pk": partition}, ("sk",))
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        response = self._table.query(**kwargs)
        return Page[CannedAnswer](
            items=[_answer(item) for item in response.get("Items", [])],
            next_cursor=encode_cursor(response.get("LastEvaluatedKey")),
        )

    def get(self, desk: str, answer_id: str) -> CannedAnswer | None:
        key = {"pk": answers_partition(desk), "sk": f"ANSWER#{answer_id}"}
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return _answer(item) if item else None

    def save(self, answer: CannedAnswer, expected_version: int | None) -> None:
        item = {
            "pk": answers_partition(answer.desk),
            "sk": f"ANSWER#{answer.answer_id}",
            "item_type": "answer",
            **answer.model_dump(mode="json"),
        }
        try:
            if expected_version is None:
                self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
            else:
                self._table.put_item(
                    Item=item,
                    ConditionExpression="version = :read",
                    ExpressionAttributeValues={":read": expected_version},
                )
        except Exception as error:
            if condition_failed(error):
                raise StaleAnswerError(answer.answer_id) from error
            raise

    def delete(self, desk: str, answer_id: str) -> bool:
        key = {"pk": answers_partition(desk), "sk": f"ANSWER#{answer_id}"}
        response = self._table.delete_item(Key=key, ReturnValues="ALL_OLD")
        return bool(response.get("Attributes"))


def _answer(item: dict[str, Any]) -> CannedAnswer:
    return CannedAnswer.model_validate(
        {k: v for k, v in item.items() if k not in ("pk", "sk", "item_type")}
    )


# What create_answer makes: 14 digits of time, 8 hex digits.
ANSWER_ID = re.compile(r"^[0-9a-f]{1,40}$")


def _not_found() -> NotFoundError:
    return NotFoundError("Réponse type introuvable.")


def _desk(ctx: TicketContext, caller: Identity, which: DeskFilter) -> str:
    return desk_partition_for(AgentScope(caller, ctx), which)


def list_answers(
    ctx: TicketContext,
    store: AnswerStore,
    caller: Identity,
    which: DeskFilter,
    limit: int,
    cursor: str | None,
) -> Page[CannedAnswer]:
    return store.list(_desk(ctx, caller, which), limit, cursor)


def create_answer(
    ctx: TicketContext,
    store: AnswerStore,
    caller: Identity,
    which: DeskFilter,
    body: AnswerText,
    now: datetime,
) -> CannedAnswer:
    answer = CannedAnswer(
        # Time first: a desk's answers list in the order they were written.
        answer_id=re.sub(r"\D", "", sort_instant(now))[:14] + uuid.uuid4().hex[:8],
        desk=_desk(ctx, caller, which),
        title=body.title,
        text=body.text,
        created_by=caller.user_id,
        updated_by=caller.user_id,
        created_at=now,
        updated_at=now,
    )
    store.save(answer, None)
    return answer


def update_answer(
    ctx: TicketContext,
    store: AnswerStore,
    caller: Identity,
    which: DeskFilter,
    answer_id: str,
    body: AnswerText,
    now: datetime,
) -> CannedAnswer:
    desk = _desk(ctx, caller, which)
    found = store.get(desk, answer_id) if ANSWER_ID.match(answer_id) else None
    if found is None:
        raise _not_found()
    changed = found.model_copy(
        update={
            "title": body.title,
            "text": body.text,
            "updated_by": caller.user_id,
            "updated_at": now,
            "version": found.version + 1,
        }
    )
    try:
        store.save(changed, found.version)
    except StaleAnswerError as error:
        raise ConflictError("Cette réponse type vient d'être modifiée : rechargez-la.") from error
    return changed


def delete_answer(
    ctx: TicketContext, store: AnswerStore, caller: Identity, which: DeskFilter, answer_id: str
) -> None:
    desk = _desk(ctx, caller, which)
    if not ANSWER_ID.match(answer_id) or not store.delete(desk, answer_id):
        raise _not_found()
