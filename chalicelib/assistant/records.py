"""The assistant's records: a conversation and its turns, and the content team's counters.

Pure types and rules, no AWS: chalicelib/assistant/store.py keeps them in DynamoDB,
an in-memory fake keeps them in dicts. Days are Paris days, as the content team
reads them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.shared.clock import paris_time
from chalicelib.shared.models import Model

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
    # The topics an unsure answer offered as buttons, best first.
    offered: list[str] = Field(default_factory=list)


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


def transcript_of(conversation: Conversation) -> list[TranscriptEntry]:
    """The conversation's turns as readers see them, oldest first."""
    return [
        TranscriptEntry.model_validate(message.model_dump(exclude={"escalation", "offered"}))
        for message in conversation.messages
    ]


class QuestionCount(Model):
    question: str
    count: int


class TopicRatings(Model):
    topic: str
    up: int = 0
    down: int = 0


class TopicDeflections(Model):
    """How many users left the ticket form after reading this topic's answer."""

    topic: str
    count: int


DEFLECTION_PREFIX = "DEFLECTION#"


class OfferChoice(Model):
    """A question ClaudIA was unsure of, and the offered topic the user chose for it."""

    question: str
    topic: str
    count: int


CHOICE_PREFIX = "CHOICE#"


class InsightCounter(Model):
    """A counter to bump together with a conversation write."""

    model_config = ConfigDict(frozen=True)

    day: date
    sort_key: str
    # Attribute name -> increment.
    increments: dict[str, int]
    question: str | None = None


def insight_day(now: datetime) -> date:
    """The Paris day an instant is counted on."""
    return paris_time(now).date()


def not_understood_counter(normalised_question: str, now: datetime) -> InsightCounter:
    """One more occurrence of a not-understood question (normalised, cut to 200 characters)."""
    key = normalised_question[:MAX_QUESTION_KEY_LENGTH]
    return InsightCounter(
        day=insight_day(now), sort_key=f"QUESTION#{key}", increments={"count": 1}, question=key
    )


def offer_choice_counter(normalised_question: str, topic: str, now: datetime) -> InsightCounter:
    """One more user who chose `topic` among those offered for this question (masked, cut to
    200 characters): a question in users' own words, labelled by the user, for the base."""
    key = normalised_question[:MAX_QUESTION_KEY_LENGTH]
    return InsightCounter(
        day=insight_day(now),
        sort_key=f"{CHOICE_PREFIX}{topic}#{key}",
        increments={"count": 1},
        question=key,
    )


def rating_counter(topic: str, increments: dict[str, int], now: datetime) -> InsightCounter:
    """A change of a topic's thumbs up and down (`{"up": 1, "down": -1}`)."""
    return InsightCounter(day=insight_day(now), sort_key=f"TOPIC#{topic}", increments=increments)
