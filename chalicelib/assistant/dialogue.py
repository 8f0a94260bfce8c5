"""The dialogue with ClaudIA: start, answer a message, transcript, ticket draft.

Services are plain functions taking their adapters (`AssistantAdapters`) and `now`. A
message costs one read of the conversation, at most one lookup of the caller's data
(tickets or invoices) and one write (the conversation, and in the same transaction the
counter of a not-understood question): three AWS calls at most.

The flow is here; what ClaudIA says in her own words is in replies.py, what she
suggests and when she offers a person in policy.py, what users say about her answers
(ratings, "Aucun de ces sujets") in feedback.py, the content team's report in insights.py.
- The answer's variant follows the profile of whoever started the conversation
  ("anonyme" without a token).
- An invoice status asked without a number: the assistant asks for it and remembers the
  question for the next turn only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from chalicelib.assistant import replies
from chalicelib.assistant.context import (
    LATEST_TICKETS,
    LatestTickets,
    invoice_numbers_variants,
    invoice_status_text,
    portal_object_numbers,
    tickets_text,
)
from chalicelib.assistant.engine import (
    Band,
    detect_human_request,
    extract_invoice_numbers,
    understand,
)
from chalicelib.assistant.hours import LiveChatHours
from chalicelib.assistant.knowledge import KnowledgeBase, load_knowledge_base
from chalicelib.assistant.policy import (
    ANONYMOUS,
    Escalation,
    audience_of,
    escalation_for,
    most_asked,
    not_understood_escalation,
    related_suggestions,
    suggested_topic,
)
from chalicelib.assistant.privacy import masked
from chalicelib.assistant.records import (
    Conversation,
    EscalationReason,
    InsightCounter,
    OrganisationRef,
    Pending,
    StoredMessage,
    TranscriptEntry,
    not_understood_counter,
    offer_choice_counter,
    transcript_of,
)
from chalicelib.assistant.store import ConversationStore
from chalicelib.auth import Identity
from chalicelib.directory import MemberDirectory
from chalicelib.shared.errors import ConflictError, InvalidFieldsError, NotFoundError
from chalicelib.shared.models import Model

INVOICE_TOPIC = "facture.statut_ma_facture"
TICKETS_TOPIC = "support.suivi_ticket"
RECIPIENT_PROFILE = "structure_publique"
MAX_MESSAGE_LENGTH = 1000
# One conversation is one item (400 KB at most): a long chat starts a new conversation.
MAX_USER_TURNS = 60
DRAFT_DESCRIPTION_MAX = 10_000
DRAFT_TITLE_MAX = 100
DEFAULT_TICKET = ("AUTRE", "S90")
# Numbers looked up from one message (each in two spellings, for each organisation, in one
# BatchGetItem of at most 100 keys).
MAX_INVOICE_NUMBERS = 3
# token_urlsafe(16): 128 random bits, 22 characters.
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class AssistantAdapters:
    """What the dialogue reads and writes through (built by chalicelib/endpoints/wiring.py)."""

    store: ConversationStore
    directory: MemberDirectory
    tickets: LatestTickets
    hours: LiveChatHours


class MessageOut(Model):
    message_id: str
    author: Literal["user", "assistant"]
    text: str


class ConversationStarted(Model):
    conversation_id: str
    messages: list[MessageOut]
    suggestions: list[str]


class AssistantReply(Model):
    message_id: str
    text: str
    topic: str | None
    understood: bool
    # "answer"; "offer": unsure, `suggestions` are the topics it may be about (a click on
    # one answers it); "refuse": not understood.
    band: Band
    suggestions: list[str]
    escalation: Escalation | None


class Transcript(Model):
    conversation_id: str
    created_at: datetime
    messages: list[TranscriptEntry]


class TicketDraft(Model):
    """A ticket pre-filled from a conversation, for the ticket form."""

    category: str
    subcategory: str
    title: str
    description: str
    object_number: str | None = None


@dataclass
class Turn:
    """The assistant's side of one exchange, before it is stored."""

    text: str
    topic: str | None
    understood: bool
    suggestions: list[str]
    escalation: EscalationReason | None = None
    pending: Pending | None = None
    invoice_number: str | None = None
    # The topics of an unsure answer's buttons, best first.
    offered: list[str] = field(default_factory=list)

    @property
    def band(self) -> Band:
        if self.understood:
            return "answer"
        return "offer" if self.offered else "refuse"


# --- services -------------------------------------------------------------------------------


def start_conversation(
    adapters: AssistantAdapters, caller: Identity | None, now: datetime
) -> ConversationStarted:
    """A new conversation with a greeting and the profile's most asked topics."""
    profile: str | None = ANONYMOUS
    organisations: list[OrganisationRef] = []
    name = None
    if caller is not None:
        user = adapters.directory.user(caller.user_id)
        profile = user.profile if user else None
        organisations = [
            OrganisationRef(id=o.id, designation=o.designation)
            for o in (user.organisations if user else [])
        ]
        name = user.name if user else None
    audience = audience_of(profile, caller.roles if caller else frozenset())
    greeting = replies.greeting(name, logged_in=caller is not None, audience=audience)
    conversation = Conversation(
        conversation_id=secrets.token_urlsafe(16),
        owner=caller.user_id if caller else None,
        profile=profile,
        organisations=organisations,
        created_at=now,
        updated_at=now,
        messages=[StoredMessage(message_id="m1", author="assistant", text=greeting, at=now)],
    )
    adapters.store.create(conversation)
    return ConversationStarted(
        conversation_id=conversation.conversation_id,
        messages=[MessageOut(message_id="m1", author="assistant", text=greeting)],
        suggestions=most_asked(load_knowledge_base(), audience),
    )


def post_message(
    adapters: AssistantAdapters,
    conversation_id: str,
    caller: Identity | None,
    text: str,
    now: datetime,
) -> AssistantReply:
    """Answer one question of the conversation, and remember the exchange."""
    text = text.strip()
    if not text:
        raise InvalidFieldsError.single("text", "Au moins 1 caractère(s).")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidFieldsError.single("text", f"Au plus {MAX_MESSAGE_LENGTH} caractères.")
    conversation = owned_conversation(adapters.store, conversation_id, caller, now)
    if conversation.user_turns >= MAX_USER_TURNS:
        raise ConflictError(replies.TOO_LONG)
    turn = answer(adapters, conversation, text)
    escalation = settle(adapters, conversation, turn, now)
    counter = _insight_counter(conversation, text, turn, now)
    message_id = record_exchange(conversation, text, turn, now)
    adapters.store.save(conversation, counter)
    return AssistantReply(
        message_id=message_id,
        text=turn.text,
        topic=turn.topic,
        understood=turn.understood,
        band=turn.band,
        suggestions=turn.suggestions,
        escalation=escalation,
    )


def transcript(
    store: ConversationStore, conversation_id: str, caller: Identity | None, now: datetime
) -> Transcript:
    """The conversation's turns, for its owner."""
    conversation = owned_conversation(store, conversation_id, caller, now)
    return Transcript(
        conversation_id=conversation.conversation_id,
        created_at=conversation.created_at,
        messages=transcript_of(conversation),
    )


def get_transcript(
    store: ConversationStore, conversation_id: str, caller: Identity | None, now: datetime
) -> list[TranscriptEntry]:
    """The turns of a conversation the caller may read (the LiveChat attaches them)."""
    return transcript_of(owned_conversation(store, conversation_id, caller, now))


def ticket_draft(
    store: ConversationStore, conversation_id: str, caller: Identity | None, now: datetime
) -> TicketDraft:
    """A ticket pre-filled from the conversation: category from its last topic, the transcript."""
    conversation = owned_conversation(store, conversation_id, caller, now)
    category, subcategory = DEFAULT_TICKET
    if conversation.last_topic is not None:
        hint = load_knowledge_base().topic(conversation.last_topic).ticket
        if hint is not None:
            category, subcategory = hint.category, hint.subcategory
    questions = [m.text for m in conversation.messages if m.author == "user"]
    title = questions[-1] if questions else replies.DRAFT_TITLE
    return TicketDraft(
        category=category,
        subcategory=subcategory,
        title=_shorten(" ".join(title.split()), DRAFT_TITLE_MAX),
        description=draft_description(conversation.messages),
        object_number=conversation.last_invoice_number,
    )


# --- the flow of one message ----------------------------------------------------------------


def owned_conversation(
    store: ConversationStore, conversation_id: str, caller: Identity | None, now: datetime
) -> Conversation:
    """The conversation if the caller may use it: its owner, or for an anonymous one,
    whoever holds its id. Anyone else gets the 404 of a conversation that does not exist.
    """
    conversation = (
        store.get(conversation_id, now) if CONVERSATION_ID.match(conversation_id) else None
    )
    if conversation is None or (
        conversation.owner is not None and (caller is None or caller.user_id != conversation.owner)
    ):
        raise NotFoundError("Conversation introuvable.")
    return conversation


def answer(adapters: AssistantAdapters, conversation: Conversation, text: str) -> Turn:
    """What the assistant answers to `text` in this conversation (before escalation)."""
    knowledge_base = load_knowledge_base()
    profile = conversation.profile
    if detect_human_request(text):
        return Turn(replies.ASKED, None, True, [], escalation="asked")
    if conversation.pending == "invoice_number":
        numbers = extract_invoice_numbers(text)
        if numbers:
            return _invoice_turn(adapters, conversation, numbers)
    topic_id = suggested_topic(knowledge_base, text)
    understanding = None
    if topic_id is None:
        understanding = understand(text, profile, _previous_topic(conversation))
        topic_id = understanding.topic
        profile = understanding.profile_hint or profile
        objects = portal_object_numbers(understanding.invoice_numbers)
        if conversation.owner is not None and objects:
            # "MJ-2026-0001 ?", "ma facture FA-2026-0002 est rejetée": the object's status.
            return _invoice_turn(adapters, conversation, objects)
    if topic_id is None:
        offered = understanding.offered if understanding is not None else []
        return _unsure_turn(knowledge_base, offered, profile)
    if conversation.owner is not None and topic_id == TICKETS_TOPIC:
        tickets = adapters.tickets(conversation.owner, LATEST_TICKETS)
        return _answer_turn(knowledge_base, topic_id, profile, tickets_text(tickets))
    if conversation.owner is not None and topic_id == INVOICE_TOPIC:
        numbers = understanding.invoice_numbers if understanding else []
        if numbers:
            return _invoice_turn(adapters, conversation, numbers)
        turn = _answer_turn(knowledge_base, topic_id, profile, replies.ASK_INVOICE_NUMBER)
        turn.pending = "invoice_number"
        return turn
    return _answer_turn(
        knowledge_base, topic_id, profile, knowledge_base.answer_for(topic_id, profile)
    )


def _unsure_turn(knowledge_base: KnowledgeBase, offered: list[str], profile: str | None) -> Turn:
    """Not sure: the topics it may be about, as buttons; not understood: the most asked."""
    if offered:
        labels = [knowledge_base.topic(topic_id).suggestion for topic_id in offered]
        return Turn(replies.OFFER, None, False, labels, offered=offered)
    return Turn(replies.NOT_UNDERSTOOD, None, False, most_asked(knowledge_base, profile))


def _previous_topic(conversation: Conversation) -> str | None:
    """The topic of the assistant's last answer, when the last exchange was answered."""
    last = next((m for m in reversed(conversation.messages) if m.author == "assistant"), None)
    return last.topic if last is not None else None


def _invoice_turn(
    adapters: AssistantAdapters, conversation: Conversation, numbers: list[str]
) -> Turn:
    owner = conversation.owner or ""
    numbers = numbers[:MAX_INVOICE_NUMBERS]
    # A public body asks about the invoices it received, a supplier about those it issued.
    received = conversation.profile == RECIPIENT_PROFILE
    lookup = (
        adapters.directory.received_business_objects
        if received
        else adapters.directory.member_business_objects
    )
    found = lookup(
        owner, [o.id for o in conversation.organisations], invoice_numbers_variants(numbers)
    )
    text = invoice_status_text(numbers, found, conversation.organisations, received)
    turn = _answer_turn(load_knowledge_base(), INVOICE_TOPIC, conversation.profile, text)
    turn.invoice_number = found[0].number if found else numbers[0]
    return turn


def _answer_turn(
    knowledge_base: KnowledgeBase, topic_id: str, profile: str | None, text: str
) -> Turn:
    return Turn(text, topic_id, True, related_suggestions(knowledge_base, topic_id, profile))


def settle(
    adapters: AssistantAdapters, conversation: Conversation, turn: Turn, now: datetime
) -> Escalation | None:
    """Count a turn not understood, and offer a person when the policy says so (the turn's
    text then says why and how)."""
    if turn.band == "refuse":
        conversation.not_understood += 1
        turn.escalation = not_understood_escalation(conversation.not_understood) or turn.escalation
    escalation = escalation_for(turn.escalation, conversation.conversation_id, adapters.hours, now)
    if escalation is not None:
        turn.text = f"{_escalation_opening(turn)} {replies.escalation_text(escalation)}".strip()
    return escalation


def _escalation_opening(turn: Turn) -> str:
    if turn.escalation == "not_understood":
        return replies.STILL_NOT_UNDERSTOOD
    if turn.escalation == "asked":
        return replies.ASKED
    return turn.text


def _insight_counter(
    conversation: Conversation, text: str, turn: Turn, now: datetime
) -> InsightCounter | None:
    """What the content team learns from this exchange, before it is recorded.

    A question not understood is counted (masked). A click on a topic that the previous
    answer offered counts the question it was offered for (masked) with the topic chosen:
    an example in users' words that the user labelled.
    """
    if turn.band == "refuse":
        return not_understood_counter(masked(text), now)
    if turn.topic is None or len(conversation.messages) < 2:
        return None
    offer, question = conversation.messages[-1], conversation.messages[-2]
    if turn.topic not in offer.offered or question.author != "user":
        return None
    if suggested_topic(load_knowledge_base(), text) != turn.topic:
        # Asked again in other words: a new question, not a choice among the buttons.
        return None
    return offer_choice_counter(masked(question.text), turn.topic, now)


def record_exchange(conversation: Conversation, text: str, turn: Turn, now: datetime) -> str:
    """Append the exchange to the conversation and update what it remembers; the answer's id."""
    question_id = conversation.next_message_id()
    conversation.messages.append(
        StoredMessage(message_id=question_id, author="user", text=text, at=now)
    )
    answer_id = conversation.next_message_id()
    conversation.messages.append(
        StoredMessage(
            message_id=answer_id,
            author="assistant",
            text=turn.text,
            at=now,
            topic=turn.topic,
            understood=turn.understood,
            escalation=turn.escalation,
            offered=turn.offered,
        )
    )
    if turn.topic is not None:
        conversation.last_topic = turn.topic
    if turn.invoice_number is not None:
        conversation.last_invoice_number = turn.invoice_number
    conversation.pending = turn.pending
    conversation.updated_at = now
    return answer_id


# --- the ticket draft -----------------------------------------------------------------------


def draft_description(messages: list[StoredMessage]) -> str:
    """The transcript as a ticket description; the oldest turns go first when it is too long."""
    lines = [
        f"{'Vous' if message.author == 'user' else 'ClaudIA'} : {message.text}"
        for message in messages
    ]
    kept: list[str] = []
    size = len(replies.DRAFT_HEADER)
    for line in reversed(lines):
        if size + len(line) + 2 > DRAFT_DESCRIPTION_MAX - 2:
            kept.append("[…]")
            break
        kept.append(line)
        size += len(line) + 2
    return replies.DRAFT_HEADER + "\n\n".join(reversed(kept))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
