"""An in-memory `ConversationStore`: the conversations table's items, kept as DynamoDB would.

A conversation is one item (`version`, `expires_at`, `owner`, its JSON `body`),
measured as the adapter measures it before writing (a 413 past 400,000 bytes).
`create` refuses an id already stored, expired or not (TTL deletes late, and a
conditional Put still sees the item): a `ConditionFailedError`, as botocore's.
`save` writes over the version read only (a 409 otherwise, the item's absence
included), with its counter in one transaction labelled "conversation" and
"counter". `get` ignores an item whose `expires_at` is at or before `now`.

Counters are added to as DynamoDB's ADD adds (from 0, negative increments
too); a not-understood question keeps the text it was first counted with.
`insights(day)` reads the day's partition in sort-key order.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.assistant.records import (
    Conversation,
    InsightCounter,
)
from chalicelib.assistant.store import (
    CONVERSATION,
    CONVERSATION_TTL,
    COUNTER,
    INSIGHT_TTL,
    MAX_ITEM_BYTES,
    DayInsights,
    concurrent_write,
    conversation_too_long,
    day_insights,
    item_bytes,
)
from chalicelib.shared.dynamo import TransactionFailed
from tests.fakes.transaction import STATE_LOCK, ConditionFailedError, FakeTransaction, always

Item = dict[str, Any]


def _item(conversation: Conversation) -> Item:
    """The conversation's item, as the adapter lays it out (and sizes it)."""
    item: Item = {
        "pk": f"CONV#{conversation.conversation_id}",
        "sk": "CONV",
        "version": conversation.version,
        "expires_at": int((conversation.updated_at + CONVERSATION_TTL).timestamp()),
        "body": conversation.model_dump_json(exclude_none=True),
    }
    if conversation.owner is not None:
        item["owner"] = conversation.owner
    if item_bytes(item) > MAX_ITEM_BYTES:
        raise conversation_too_long()
    return item


class FakeConversationStore:
    """Conversations and insight counters, in memory."""

    def __init__(self) -> None:
        self._conversations: dict[str, Item] = {}
        # day -> sort key -> counter item
        self._insights: dict[date, dict[str, Item]] = {}

    def get(self, conversation_id: str, now: datetime) -> Conversation | None:
        with STATE_LOCK:
            item = self._conversations.get(conversation_id)
        if item is None or int(item["expires_at"]) <= int(now.timestamp()):
            return None
        return Conversation.model_validate_json(str(item["body"]))

    def create(self, conversation: Conversation) -> None:
        item = _item(conversation)
        with STATE_LOCK:
            if conversation.conversation_id in self._conversations:
                raise ConditionFailedError(f"conversation {conversation.conversation_id} exists")
            self._conversations[conversation.conversation_id] = item

    def save(self, conversation: Conversation, counter: InsightCounter | None = None) -> None:
        expected = conversation.version
        item = _item(conversation.model_copy(update={"version": expected + 1}))
        conversation_id = conversation.conversation_id

        def unchanged_since_read() -> bool:
            stored = self._conversations.get(conversation_id)
            return stored is not None and stored["version"] == expected

        tx = FakeTransaction()
        tx.add(
            CONVERSATION,
            unchanged_since_read,
            lambda: self._conversations.__setitem__(conversation_id, item),
        )
        if counter is not None:
            now = conversation.updated_at
            tx.add(COUNTER, always, lambda: self._bump(counter, now))
        try:
            tx.commit()
        except TransactionFailed as failed:
            if failed.failed(CONVERSATION):
                raise concurrent_write() from failed
            raise
        conversation.version = expected + 1

    def count(self, counter: InsightCounter, now: datetime) -> None:
        with STATE_LOCK:
            self._bump(counter, now)

    def insights(self, day: date) -> DayInsights:
        with STATE_LOCK:
            partition = {key: dict(item) for key, item in self._insights.get(day, {}).items()}
        return day_insights(
            (sort_key, partition[sort_key])
            for sort_key in sorted(partition, key=lambda key: key.encode())
        )

    def _bump(self, counter: InsightCounter, now: datetime) -> None:
        """DynamoDB's `ADD ... SET expires_at, question = if_not_exists(...)`, under the lock."""
        item = self._insights.setdefault(counter.day, {}).setdefault(counter.sort_key, {})
        for name, increment in counter.increments.items():
            item[name] = item.get(name, 0) + increment
        item["expires_at"] = int((now + INSIGHT_TTL).timestamp())
        if counter.question is not None:
            item.setdefault("question", counter.question)

    # For tests

    def stored_version(self, conversation_id: str) -> int | None:
        """The version stored, expired or not; None when there is no item."""
        with STATE_LOCK:
            item = self._conversations.get(conversation_id)
            return None if item is None else int(item["version"])
