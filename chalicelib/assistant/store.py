"""The assistant's conversations and the content team's counters, in the conversations table.

Items (pk / sk):
  CONV#{id} / CONV                  one whole conversation: owner, profile, messages, counters,
                                    as one JSON document (`body`) plus the attributes conditions
                                    and TTL need (`owner`, `version`, `expires_at`)
  INSIGHT#{day} / QUESTION#{text}   a not-understood question (normalised) and how often it came
  INSIGHT#{day} / TOPIC#{topic}     ratings of a topic's answers that day (`up`, `down`)
  INSIGHT#{day} / DEFLECTION#{topic} users who left the ticket form after reading its answer
  INSIGHT#{day} / CHOICE#{topic}#{text} users who chose this offered topic for an unsure
                                    question (normalised, masked)

One conversation is one item so that a message costs one read and one write. A write is
conditional on the version read (optimistic locking: two tabs posting at once get a 409
rather than losing a turn). When a write must also bump a counter, both go in one
transaction (labels "conversation" and "counter"): still one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.assistant.records import (
    CHOICE_PREFIX,
    DEFLECTION_PREFIX,
    Conversation,
    InsightCounter,
    OfferChoice,
    QuestionCount,
    TopicDeflections,
    TopicRatings,
)
from chalicelib.shared.dynamo import DynamoTransaction, TransactionFailed, condition_failed
from chalicelib.shared.errors import ConflictError, PayloadTooLargeError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

CONVERSATION_TTL = timedelta(days=30)
# Counters outlive conversations: the content team compares a quarter. Not-understood
# questions are kept no longer than that, masked (chalicelib/assistant/privacy.py).
INSIGHT_TTL = timedelta(days=90)
CONVERSATION = "conversation"
COUNTER = "counter"
# DynamoDB refuses an item over 400 KB (names and values in UTF-8): checked before
# writing, in bytes (a turn of control characters is 6 bytes a character in JSON),
# with 400,000 rather than 409,600 to stay under moto's own limit (405,000) too.
MAX_ITEM_BYTES = 400_000
# A number takes at most 21 bytes.
NUMBER_BYTES = 21
# One day's counters: not-understood questions, topic ratings, deflections, offer choices.
DayInsights = tuple[
    list[QuestionCount], list[TopicRatings], list[TopicDeflections], list[OfferChoice]
]


def day_insights(items: Iterable[tuple[str, Mapping[str, Any]]]) -> DayInsights:
    """One day's counters read from its items ((sort key, attributes), in sort-key order)."""
    questions: list[QuestionCount] = []
    ratings: list[TopicRatings] = []
    deflections: list[TopicDeflections] = []
    choices: list[OfferChoice] = []
    for sort_key, item in items:
        count = int(str(item.get("count", 0)))
        if sort_key.startswith("QUESTION#"):
            questions.append(QuestionCount(question=str(item["question"]), count=count))
        elif sort_key.startswith("TOPIC#"):
            up, down = int(str(item.get("up", 0))), int(str(item.get("down", 0)))
            ratings.append(TopicRatings(topic=sort_key[6:], up=up, down=down))
        elif sort_key.startswith(DEFLECTION_PREFIX):
            topic = sort_key.removeprefix(DEFLECTION_PREFIX)
            deflections.append(TopicDeflections(topic=topic, count=count))
        elif sort_key.startswith(CHOICE_PREFIX):
            topic = sort_key.removeprefix(CHOICE_PREFIX).split("#", 1)[0]
            question = str(item["question"])
            choices.append(OfferChoice(question=question, topic=topic, count=count))
    return questions, ratings, deflections, choices


class ConversationStore(Protocol):
    """Conversations and insight counters (DynamoDB, or an in-memory fake)."""

    def get(self, conversation_id: str, now: datetime) -> Conversation | None:
        """The conversation, or None when unknown or past its 30-day TTL at `now`."""
        ...

    def create(self, conversation: Conversation) -> None:
        """Write a new conversation (its id must be new)."""
        ...

    def save(self, conversation: Conversation, counter: InsightCounter | None = None) -> None:
        """Write over the version read (then + 1), with `counter`; ConflictError if it moved."""
        ...

    def count(self, counter: InsightCounter, now: datetime) -> None:
        """Bump a counter on its own, without a conversation write."""
        ...

    def insights(self, day: date) -> DayInsights:
        """The not-understood questions, topic ratings, deflections and offer choices of one
        Paris day."""
        ...


def concurrent_write() -> ConflictError:
    """The 409 of a conversation written by another request since it was read."""
    return ConflictError(
        "La conversation a été modifiée en même temps par une autre requête : réessayez."
    )


def conversation_too_long() -> PayloadTooLargeError:
    """The 413 of a conversation that would no longer fit in one item."""
    return PayloadTooLargeError(
        "Cette conversation est trop longue pour être conservée : commencez-en une nouvelle."
    )


def item_bytes(item: dict[str, Any]) -> int:
    """An upper bound of the size DynamoDB counts for a flat item of strings and numbers."""
    return sum(
        len(name.encode()) + (len(value.encode()) if isinstance(value, str) else NUMBER_BYTES)
        for name, value in item.items()
    )


def _conversation_key(conversation_id: str) -> dict[str, str]:
    return {"pk": f"CONV#{conversation_id}", "sk": "CONV"}


class DynamoConversationStore:
    """Conversations and insight counters in the conversations table."""

    def __init__(self, table: Table, client: Any) -> None:
        self._table = table
        # The low-level client, for the transaction of a write with a counter.
        self._client = client

    def get(self, conversation_id: str, now: datetime) -> Conversation | None:
        """TTL deletes late: an expired item is still read, and ignored here."""
        item = self._table.get_item(Key=_conversation_key(conversation_id)).get("Item")
        if item is None or int(str(item["expires_at"])) <= int(now.timestamp()):
            return None
        return Conversation.model_validate_json(str(item["body"]))

    def create(self, conversation: Conversation) -> None:
        self._table.put_item(
            Item=self._item(conversation),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def save(self, conversation: Conversation, counter: InsightCounter | None = None) -> None:
        expected = conversation.version
        item = self._item(conversation.model_copy(update={"version": expected + 1}))
        if counter is None:
            self._put_over(item, expected)
        else:
            tx = DynamoTransaction(self._client)
            tx.put(
                CONVERSATION,
                self._table.name,
                item,
                condition="version = :expected",
                values={":expected": expected},
            )
            self._bump_in(tx, counter, conversation.updated_at)
            try:
                tx.commit()
            except TransactionFailed as failed:
                if failed.failed(CONVERSATION):
                    raise concurrent_write() from failed
                raise
        conversation.version = expected + 1

    def count(self, counter: InsightCounter, now: datetime) -> None:
        """One UpdateItem."""
        key, expression, names, values = self._counter_update(counter, now)
        self._table.update_item(
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def insights(self, day: date) -> DayInsights:
        """One Query on the day's partition (paged through)."""
        items: list[tuple[str, dict[str, Any]]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": f"INSIGHT#{day.isoformat()}"},
        }
        while True:
            response = self._table.query(**kwargs)
            items.extend((str(item["sk"]), item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return day_insights(items)
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _item(self, conversation: Conversation) -> dict[str, Any]:
        expires_at = int((conversation.updated_at + CONVERSATION_TTL).timestamp())
        item: dict[str, Any] = {
            **_conversation_key(conversation.conversation_id),
            "version": conversation.version,
            "expires_at": expires_at,
            "body": conversation.model_dump_json(exclude_none=True),
        }
        if conversation.owner is not None:
            item["owner"] = conversation.owner
        if item_bytes(item) > MAX_ITEM_BYTES:
            raise conversation_too_long()
        return item

    def _put_over(self, item: dict[str, Any], expected: int) -> None:
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression="version = :expected",
                ExpressionAttributeValues={":expected": expected},
            )
        except Exception as error:
            if condition_failed(error):
                raise concurrent_write() from error
            raise

    def _bump_in(self, tx: DynamoTransaction, counter: InsightCounter, now: datetime) -> None:
        key, expression, names, values = self._counter_update(counter, now)
        tx.update(COUNTER, self._table.name, key, expression, names=names, values=values)

    def _counter_update(
        self, counter: InsightCounter, now: datetime
    ) -> tuple[dict[str, str], str, dict[str, str], dict[str, Any]]:
        """Key, update expression, names and values that bump `counter`."""
        names = {f"#n{i}": name for i, name in enumerate(counter.increments)}
        adds = ", ".join(f"#n{i} :v{i}" for i in range(len(names)))
        values: dict[str, Any] = {
            f":v{i}": value for i, value in enumerate(counter.increments.values())
        }
        values[":expires"] = int((now + INSIGHT_TTL).timestamp())
        sets = "expires_at = :expires"
        if counter.question is not None:
            sets += ", question = if_not_exists(question, :question)"
            values[":question"] = counter.question
        key = {"pk": f"INSIGHT#{counter.day.isoformat()}", "sk": counter.sort_key}
        return key, f"ADD {adds} SET {sets}", names, values
