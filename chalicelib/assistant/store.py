"""The assistant's conversations and the content team's counters, in the conversations table.

Items (pk / sk):
  CONV#{id} / CONV                  one whole conversation: owner, profile, messages, counters,
                                    as one JSON document (`body`) plus the attributes conditions
                                    and TTL need (`owner`, `version`, `expires_at`)
  INSIGHT#{day} / QUESTION#{text}   a not-understood question (normalised) and how often it came
  INSIGHT#{day} / TOPIC#{topic}     ratings of a topic's answers that day (`up`, `down`)

One conversation is one item so that a message costs one read and one write. A write is
conditional on the version read (optimistic locking: two tabs posting at once get a 409
rather than losing a turn). When a write must also bump a counter, both go in one
TransactWriteItems: still one call. Days are Paris days, as the content team reads them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from chalicelib.shared import dynamo
from chalicelib.shared.clock import paris_time
from chalicelib.shared.errors import ConflictError
from chalicelib.shared.models import Model

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

CONVERSATION_TTL = timedelta(days=30)
# Counters outlive conversations: the content team compares months.
INSIGHT_TTL = timedelta(days=400)
MAX_QUESTION_KEY_LENGTH = 200

Author = Literal["user", "assistant"]
RatingValue = Literal["up", "down"]
EscalationReason = Literal["not_understood", "negative_rating", "asked"]
Pending = Literal["invoice_number"]


class OrganisationRef(Model):
    """An organisation of the owner, as the conversation remembers it."""

    model_config = ConfigDict(frozen=True)

    id: str
    designation: str


class TranscriptEntry(Model):
    """A turn as someone reading the conversation sees it (the LiveChat advisor, the user)."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    author: Author
    text: str
    at: datetime
    topic: str | None = None
    understood: bool | None = None
    rating: RatingValue | None = None


class StoredMessage(TranscriptEntry):
    """One turn of a conversation, as stored (a rating can be changed later)."""

    model_config = ConfigDict(frozen=False)

    escalation: EscalationReason | None = None


class Conversation(Model):
    """A conversation with ClaudIA, and what the dialogue remembers between turns."""

    conversation_id: str
    # The user who started it; None for an anonymous conversation (reachable by its id only).
    owner: str | None = None
    # The profile answers are written for ("anonyme" without a token; None: a user without one).
    profile: str | None = None
    # The owner's organisations when the conversation started (their invoices can be asked
    # about; membership is checked again at each lookup).
    organisations: list[OrganisationRef] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    version: int = 0
    messages: list[StoredMessage] = Field(default_factory=list)
    not_understood: int = 0
    last_topic: str | None = None
    pending: Pending | None = None
    last_invoice_number: str | None = None

    @property
    def user_turns(self) -> int:
        return sum(1 for message in self.messages if message.author == "user")

    def message(self, message_id: str) -> StoredMessage | None:
        return next((m for m in self.messages if m.message_id == message_id), None)

    def next_message_id(self) -> str:
        return f"m{len(self.messages) + 1}"


class QuestionCount(Model):
    question: str
    count: int


class TopicRatings(Model):
    topic: str
    up: int = 0
    down: int = 0


class InsightCounter(Model):
    """A counter to bump together with a conversation write."""

    model_config = ConfigDict(frozen=True)

    day: date
    sort_key: str
    # Attribute name -> increment.
    increments: dict[str, int]
    question: str | None = None


def insight_day(now: datetime) -> date:
    return paris_time(now).date()


def not_understood_counter(normalised_question: str, now: datetime) -> InsightCounter:
    key = normalised_question[:MAX_QUESTION_KEY_LENGTH]
    return InsightCounter(
        day=insight_day(now), sort_key=f"QUESTION#{key}", increments={"count": 1}, question=key
    )


def rating_counter(topic: str, increments: dict[str, int], now: datetime) -> InsightCounter:
    return InsightCounter(day=insight_day(now), sort_key=f"TOPIC#{topic}", increments=increments)


def _conversation_key(conversation_id: str) -> dict[str, str]:
    return {"pk": f"CONV#{conversation_id}", "sk": "CONV"}


class ConversationStore:
    """Reads and writes conversations and insight counters."""

    def __init__(self, table: Table, client: Any) -> None:
        self._table = table
        self._client = client

    def get(self, conversation_id: str, now: datetime) -> Conversation | None:
        """The conversation, or None when unknown or past its TTL (TTL deletes late)."""
        item = self._table.get_item(Key=_conversation_key(conversation_id)).get("Item")
        if item is None or int(str(item["expires_at"])) <= int(now.timestamp()):
            return None
        return Conversation.model_validate_json(str(item["body"]))

    def create(self, conversation: Conversation) -> None:
        """Write a new conversation (its id must be new)."""
        self._table.put_item(
            Item=self._item(conversation),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def save(self, conversation: Conversation, counter: InsightCounter | None = None) -> None:
        """Write a changed conversation over the version it was read at; bump `counter` with it.

        Raises ConflictError when someone else wrote the conversation in between.
        """
        expected = conversation.version
        item = self._item(conversation.model_copy(update={"version": expected + 1}))
        condition = "version = :expected"
        if counter is None:
            self._put_if(item, condition, expected)
        else:
            writes = [
                dynamo.put(self._table.name, item, condition, {":expected": expected}),
                self._counter_update(counter, conversation.updated_at),
            ]
            try:
                self._client.transact_write_items(TransactItems=writes)
            except Exception as error:  # botocore's ClientError (not imported: cold start)
                if "ConditionalCheckFailed" in dynamo.cancellation_codes(error):
                    raise _concurrent_write() from error
                raise
        conversation.version = expected + 1

    def get_transcript(self, conversation_id: str, now: datetime) -> list[TranscriptEntry]:
        """The turns of a conversation, oldest first; empty when it does not exist.

        No ownership check here: callers check `Conversation.owner` (see dialogue.transcript).
        """
        conversation = self.get(conversation_id, now)
        return transcript_of(conversation) if conversation else []

    def insights(self, day: date) -> tuple[list[QuestionCount], list[TopicRatings]]:
        """The not-understood questions and topic ratings counted on one day (one Query)."""
        questions: list[QuestionCount] = []
        ratings: list[TopicRatings] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": f"INSIGHT#{day.isoformat()}"},
        }
        while True:
            response = self._table.query(**kwargs)
            for item in response.get("Items", []):
                sort_key = str(item["sk"])
                if sort_key.startswith("QUESTION#"):
                    count = int(str(item.get("count", 0)))
                    questions.append(QuestionCount(question=str(item["question"]), count=count))
                elif sort_key.startswith("TOPIC#"):
                    up, down = int(str(item.get("up", 0))), int(str(item.get("down", 0)))
                    ratings.append(TopicRatings(topic=sort_key[6:], up=up, down=down))
            if "LastEvaluatedKey" not in response:
                return questions, ratings
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
        return item

    def _put_if(self, item: dict[str, Any], condition: str, expected: int) -> None:
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeValues={":expected": expected},
            )
        except Exception as error:  # botocore's ClientError (not imported: cold start)
            if _error_code(error) == "ConditionalCheckFailedException":
                raise _concurrent_write() from error
            raise

    def _counter_update(self, counter: InsightCounter, now: datetime) -> dict[str, Any]:
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
        return {
            "Update": {
                "TableName": self._table.name,
                "Key": dynamo.serialize(
                    {"pk": f"INSIGHT#{counter.day.isoformat()}", "sk": counter.sort_key}
                ),
                "UpdateExpression": f"ADD {adds} SET {sets}",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": dynamo.serialize(values),
            }
        }


def transcript_of(conversation: Conversation) -> list[TranscriptEntry]:
    return [
        TranscriptEntry.model_validate(message.model_dump(exclude={"escalation"}))
        for message in conversation.messages
    ]


def _error_code(error: Exception) -> str:
    response: dict[str, Any] = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _concurrent_write() -> ConflictError:
    return ConflictError(
        "La conversation a été modifiée en même temps par une autre requête : réessayez."
    )


def get_conversation_store() -> ConversationStore:
    """The conversation store of this stage."""
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    return ConversationStore(aws.table(get_settings().conversations_table), aws.client("dynamodb"))
