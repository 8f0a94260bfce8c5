"""The dialogue with ClaudIA: what to answer, what to suggest, when to offer a human.

Services are plain functions taking their adapters (`AssistantAdapters`) and `now`. A
message costs one read of the conversation, at most one lookup of the caller's data
(tickets or invoices) and one write (the conversation, and in the same transaction the
counter of a not-understood question): three AWS calls at most.

Policy:
- The answer's variant follows the profile of whoever started the conversation
  ("anonyme" without a token).
- Suggestions: after an answer, the related topics the profile may see; otherwise the
  topics most asked by that profile. A suggestion clicked comes back as its label, which
  is recognised as such before any search.
- Escalation: asking for a person ("asked"), the second not-understood answer of the
  conversation and every one after it ("not_understood"), or a negative rating
  ("negative_rating"). It offers the LiveChat when it is open and always a ticket,
  pre-filled from the conversation (`ticket_draft`).
- An invoice status asked without a number: the assistant asks for it and remembers the
  question for the next turn only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from chalicelib.assistant.context import (
    LATEST_TICKETS,
    LatestTickets,
    invoice_numbers_variants,
    invoice_status_text,
    tickets_text,
    when,
)
from chalicelib.assistant.engine import (
    detect_human_request,
    extract_invoice_numbers,
    understand,
)
from chalicelib.assistant.hours import LiveChatHours
from chalicelib.assistant.knowledge import KnowledgeBase, load_knowledge_base
from chalicelib.assistant.store import (
    Conversation,
    ConversationStore,
    EscalationReason,
    OrganisationRef,
    Pending,
    QuestionCount,
    RatingValue,
    StoredMessage,
    TopicRatings,
    TranscriptEntry,
    not_understood_counter,
    rating_counter,
    transcript_of,
)
from chalicelib.auth import Identity
from chalicelib.directory import DirectoryRepository
from chalicelib.shared.errors import ConflictError, InvalidFieldsError, NotFoundError
from chalicelib.shared.models import Model
from chalicelib.shared.text import fold

ANONYMOUS = "anonyme"
INVOICE_TOPIC = "facture.statut_ma_facture"
TICKETS_TOPIC = "support.suivi_ticket"
RECIPIENT_PROFILE = "structure_publique"
MAX_MESSAGE_LENGTH = 1000
# One conversation is one item (400 KB at most): a long chat starts a new conversation.
MAX_USER_TURNS = 60
NOT_UNDERSTOOD_BEFORE_ESCALATION = 2
MAX_SUGGESTIONS = 4
DRAFT_DESCRIPTION_MAX = 10_000
DRAFT_TITLE_MAX = 100
DEFAULT_TICKET = ("AUTRE", "S90")
INSIGHTS_MAX_DAYS = 31
# Numbers looked up from one message (each in two spellings, for each organisation, in one
# BatchGetItem of at most 100 keys).
MAX_INVOICE_NUMBERS = 3
# token_urlsafe(16): 128 random bits, 22 characters.
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")

# The topics each profile asks about most (support statistics), offered before any answer.
MOST_ASKED: dict[str | None, tuple[str, ...]] = {
    ANONYMOUS: (
        "compte.creation",
        "compte.mot_de_passe_oublie",
        "structure.creer",
        "facture.obligation_chorus_pro",
    ),
    "fournisseur": (
        "facture.deposer_pdf",
        "facture.statut_ma_facture",
        "facture.rejetee",
        "support.suivi_ticket",
    ),
    "structure_publique": (
        "entite_publique.traiter_facture_recue",
        "entite_publique.rejeter_suspendre",
        "compte.acces_entite_publique_pigp",
        "support.suivi_ticket",
    ),
    None: (
        "compte.mot_de_passe_oublie",
        "support.suivi_ticket",
        "support.creer_ticket",
        "support.livechat",
    ),
}

GREETING = (
    "Bonjour{name}, je suis ClaudIA, l'assistante virtuelle de Chorus Pro. Posez-moi votre "
    "question en quelques mots, je vous réponds à toute heure."
)
GREETING_ANONYMOUS = (
    " Connectez-vous pour que je puisse aussi vous renseigner sur vos factures et vos tickets."
)
GREETING_USER = " Je peux aussi vous donner le statut de vos factures et de vos tickets."
NOT_UNDERSTOOD = (
    "Je n'ai pas compris votre question. Pourriez-vous la reformuler en quelques mots, par "
    "exemple « facture rejetée » ou « mot de passe oublié » ?"
)
STILL_NOT_UNDERSTOOD = "Je ne parviens toujours pas à comprendre votre question."
ASKED = "Je vous mets en relation avec un conseiller."
NEGATIVE = "Merci pour votre avis. Désolée de ne pas avoir pu vous aider."
ASK_INVOICE_NUMBER = (
    "Quel est le numéro exact de la facture (par exemple FA-2026-0001), sans caractère "
    "ajouté ? Je vous donnerai son destinataire, son statut et la date du dernier changement."
)


@dataclass(frozen=True)
class AssistantAdapters:
    """What the dialogue reads and writes through."""

    store: ConversationStore
    directory: DirectoryRepository
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


class LiveChatStatus(Model):
    open: bool
    next_opening: datetime | None


class Escalation(Model):
    """A person offered: the LiveChat when it is open, a ticket always."""

    reason: EscalationReason
    livechat: LiveChatStatus
    actions: list[Literal["livechat", "ticket"]]
    # Where the pre-filled ticket is read from.
    ticket_draft: str


class AssistantReply(Model):
    message_id: str
    text: str
    topic: str | None
    understood: bool
    suggestions: list[str]
    escalation: Escalation | None


class RatingResult(Model):
    message_id: str
    value: RatingValue
    # What the assistant says back (a thumbs down: an apology and the person offered).
    text: str | None
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


class TopicInsight(TopicRatings):
    title: str


class Insights(Model):
    start: date
    end: date
    not_understood: list[QuestionCount]
    negative_ratings: list[TopicInsight]


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


# --- services -------------------------------------------------------------------------------


def start_conversation(
    adapters: AssistantAdapters, caller: Identity | None, now: datetime
) -> ConversationStarted:
    """A new conversation with a greeting and the profile's most asked topics."""
    profile: str | None = ANONYMOUS
    organisations: list[OrganisationRef] = []
    name = ""
    if caller is not None:
        user = adapters.directory.user(caller.user_id)
        profile = user.profile if user else None
        organisations = [
            OrganisationRef(id=o.id, designation=o.designation)
            for o in (user.organisations if user else [])
        ]
        name = f" {user.name}" if user else ""
    greeting = GREETING.format(name=name) + (GREETING_USER if caller else GREETING_ANONYMOUS)
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
        suggestions=most_asked(load_knowledge_base(), profile),
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
        raise ConflictError(
            "Cette conversation est trop longue : commencez-en une nouvelle pour continuer."
        )
    turn = answer(adapters, conversation, text)
    if not turn.understood:
        conversation.not_understood += 1
        if conversation.not_understood >= NOT_UNDERSTOOD_BEFORE_ESCALATION:
            turn.escalation = "not_understood"
    escalation = escalation_for(turn.escalation, conversation_id, adapters.hours, now)
    if escalation is not None:
        turn.text = f"{_escalation_opening(turn)} {escalation_text(escalation)}".strip()
    message_id = _record(conversation, text, turn, now)
    counter = None if turn.understood else not_understood_counter(fold(text), now)
    adapters.store.save(conversation, counter)
    return AssistantReply(
        message_id=message_id,
        text=turn.text,
        topic=turn.topic,
        understood=turn.understood,
        suggestions=turn.suggestions,
        escalation=escalation,
    )


def rate_message(
    adapters: AssistantAdapters,
    conversation_id: str,
    message_id: str,
    caller: Identity | None,
    value: RatingValue,
    now: datetime,
) -> RatingResult:
    """Keep a thumbs up or down on an answer; a thumbs down offers a person."""
    conversation = owned_conversation(adapters.store, conversation_id, caller, now)
    message = conversation.message(message_id)
    if message is None or message.author != "assistant":
        raise NotFoundError("Aucune réponse de l'assistant ne porte cet identifiant.")
    previous = message.rating
    if previous != value:
        message.rating = value
        conversation.updated_at = now
        counter = None
        if message.topic is not None:
            increments: dict[str, int] = {value: 1}
            if previous is not None:
                increments[previous] = -1
            counter = rating_counter(message.topic, increments, now)
        adapters.store.save(conversation, counter)
    reason: EscalationReason | None = "negative_rating" if value == "down" else None
    escalation = escalation_for(reason, conversation_id, adapters.hours, now)
    return RatingResult(
        message_id=message_id,
        value=value,
        text=f"{NEGATIVE} {escalation_text(escalation)}" if escalation else None,
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
    title = questions[-1] if questions else "Question posée à l'assistant ClaudIA"
    return TicketDraft(
        category=category,
        subcategory=subcategory,
        title=_shorten(" ".join(title.split()), DRAFT_TITLE_MAX),
        description=draft_description(conversation.messages),
        object_number=conversation.last_invoice_number,
    )


def insights(
    store: ConversationStore, start: date | None, end: date | None, limit: int, today: date
) -> Insights:
    """The most frequent not-understood questions and most down-rated topics over a period.

    The period defaults to the last seven days up to `today`; one Query per day.
    """
    end = end or today
    start = start or end - timedelta(days=6)
    if end < start:
        raise InvalidFieldsError.single("to", "La fin de la période précède son début.")
    days = (end - start).days + 1
    if days > INSIGHTS_MAX_DAYS:
        raise InvalidFieldsError.single("from", f"Période de {INSIGHTS_MAX_DAYS} jours au plus.")
    questions: dict[str, int] = {}
    ratings: dict[str, TopicRatings] = {}
    for offset in range(days):
        day_questions, day_ratings = store.insights(start + timedelta(days=offset))
        for question in day_questions:
            questions[question.question] = questions.get(question.question, 0) + question.count
        for rating in day_ratings:
            total = ratings.setdefault(rating.topic, TopicRatings(topic=rating.topic))
            total.up += rating.up
            total.down += rating.down
    knowledge_base = load_knowledge_base()
    top_questions = sorted(questions.items(), key=lambda item: (-item[1], item[0]))[:limit]
    top_topics = sorted(
        (rating for rating in ratings.values() if rating.down > 0),
        key=lambda rating: (-rating.down, rating.topic),
    )[:limit]
    return Insights(
        start=start,
        end=end,
        not_understood=[QuestionCount(question=q, count=n) for q, n in top_questions],
        negative_ratings=[
            TopicInsight(**rating.model_dump(), title=_topic_title(knowledge_base, rating.topic))
            for rating in top_topics
        ],
    )


# --- policy ---------------------------------------------------------------------------------


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
        return Turn(ASKED, None, True, [], escalation="asked")
    if conversation.pending == "invoice_number":
        numbers = extract_invoice_numbers(text)
        if numbers:
            return _invoice_turn(adapters, conversation, numbers)
    topic_id = suggested_topic(knowledge_base, text)
    understanding = None
    if topic_id is None:
        understanding = understand(text, profile)
        topic_id = understanding.topic
    if topic_id is None:
        return Turn(NOT_UNDERSTOOD, None, False, most_asked(knowledge_base, profile))
    if conversation.owner is not None and topic_id == TICKETS_TOPIC:
        tickets = adapters.tickets(conversation.owner, LATEST_TICKETS)
        return _answer_turn(knowledge_base, topic_id, profile, tickets_text(tickets))
    if conversation.owner is not None and topic_id == INVOICE_TOPIC:
        numbers = understanding.invoice_numbers if understanding else []
        if numbers:
            return _invoice_turn(adapters, conversation, numbers)
        turn = _answer_turn(knowledge_base, topic_id, profile, ASK_INVOICE_NUMBER)
        turn.pending = "invoice_number"
        return turn
    return _answer_turn(
        knowledge_base, topic_id, profile, knowledge_base.answer_for(topic_id, profile)
    )


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


def suggested_topic(knowledge_base: KnowledgeBase, text: str) -> str | None:
    """The topic whose suggestion label this text is (a suggestion clicked), if any."""
    label = _label_key(text)
    return next(
        (topic.id for topic in knowledge_base.topics if _label_key(topic.suggestion) == label),
        None,
    )


def _label_key(text: str) -> str:
    return fold(text).rstrip(" ?.!")


def related_suggestions(
    knowledge_base: KnowledgeBase, topic_id: str, profile: str | None
) -> list[str]:
    """The labels of a topic's related topics that the profile may see."""
    related = [knowledge_base.topic(related) for related in knowledge_base.topic(topic_id).related]
    visible = [topic for topic in related if profile is None or profile in topic.audiences]
    return [topic.suggestion for topic in visible][:MAX_SUGGESTIONS]


def most_asked(knowledge_base: KnowledgeBase, profile: str | None) -> list[str]:
    """The labels of the profile's most asked topics."""
    ids = MOST_ASKED.get(profile, MOST_ASKED[None])
    return [knowledge_base.topic(topic_id).suggestion for topic_id in ids][:MAX_SUGGESTIONS]


def escalation_for(
    reason: EscalationReason | None, conversation_id: str, hours: LiveChatHours, now: datetime
) -> Escalation | None:
    """The person offered for this reason: the LiveChat when open now, a ticket always."""
    if reason is None:
        return None
    is_open = hours.is_open(now)
    return Escalation(
        reason=reason,
        livechat=LiveChatStatus(
            open=is_open, next_opening=None if is_open else hours.next_opening(now)
        ),
        actions=["livechat", "ticket"] if is_open else ["ticket"],
        ticket_draft=f"/assistant/conversations/{conversation_id}/ticket-draft",
    )


def escalation_text(escalation: Escalation) -> str:
    """What the assistant says when it offers a person."""
    if escalation.livechat.open:
        return (
            "Vous pouvez échanger dès maintenant avec un conseiller sur le LiveChat, ou créer "
            "un ticket pré-rempli avec notre échange."
        )
    reopening = (
        f" (réouverture le {when(escalation.livechat.next_opening)})"
        if escalation.livechat.next_opening
        else ""
    )
    return (
        f"Le LiveChat est fermé pour le moment{reopening} : vous pouvez créer un ticket, "
        "pré-rempli avec notre échange, qui sera traité par le support."
    )


def _escalation_opening(turn: Turn) -> str:
    if turn.escalation == "not_understood":
        return STILL_NOT_UNDERSTOOD
    if turn.escalation == "asked":
        return ASKED
    return turn.text


def _record(conversation: Conversation, text: str, turn: Turn, now: datetime) -> str:
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
        )
    )
    if turn.topic is not None:
        conversation.last_topic = turn.topic
    if turn.invoice_number is not None:
        conversation.last_invoice_number = turn.invoice_number
    conversation.pending = turn.pending
    conversation.updated_at = now
    return answer_id


def draft_description(messages: list[StoredMessage]) -> str:
    """The transcript as a ticket description; the oldest turns go first when it is too long."""
    header = "Échange avec l'assistant ClaudIA :\n"
    lines = [
        f"{'Vous' if message.author == 'user' else 'ClaudIA'} : {message.text}"
        for message in messages
    ]
    kept: list[str] = []
    size = len(header)
    for line in reversed(lines):
        if size + len(line) + 2 > DRAFT_DESCRIPTION_MAX - 2:
            kept.append("[…]")
            break
        kept.append(line)
        size += len(line) + 2
    return header + "\n\n".join(reversed(kept))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _topic_title(knowledge_base: KnowledgeBase, topic_id: str) -> str:
    try:
        return knowledge_base.topic(topic_id).title
    except KeyError:
        return topic_id
