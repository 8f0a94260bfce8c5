"""The agents' desk: listing and search, a ticket as its desk sees it, internal notes,
canned answers, a ticket made from a LiveChat, and the reports.

The ticket actions (assign, reply, transfer) stay in chalicelib/endpoints/tickets.py.
Two routes here join areas, as only the edge may: a chat becomes a ticket (the
LiveChat reads the chat, the tickets area makes the ticket, the LiveChat tells
the user its reference), and the reports put the tickets' figures beside
ClaudIA's knowledge gaps and the chat ratings.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import Field

from chalicelib.assistant import insights
from chalicelib.assistant.knowledge import load_knowledge_base
from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS, Identity
from chalicelib.endpoints import wiring
from chalicelib.endpoints.api import Api, Call, PageQuery, RequestModel
from chalicelib.livechat import handover as chat_handover
from chalicelib.livechat import ratings
from chalicelib.livechat.access import Caller
from chalicelib.livechat.models import RatingRecord
from chalicelib.livechat.models import category as chat_category
from chalicelib.reports.gaps import GapGroup, group_questions
from chalicelib.shared import clock
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.models import Model
from chalicelib.shared.pagination import Page
from chalicelib.tickets import answers, desk_listing, desk_ticket, from_chat, notes, reports
from chalicelib.tickets.desk import DeskFilter
from chalicelib.tickets.records import RecipientType, TicketStatus

api = Api("desk")
AGENTS = (SUPPORT_AGENTS, BUSINESS_AGENTS)
REPORT_MAX_DAYS = insights.INSIGHTS_MAX_DAYS
# Reports cover days the service has lived (and keeps date arithmetic far from its limits).
FIRST_DAY, LAST_DAY = date(2020, 1, 1), date(2100, 12, 31)


# Requests


class WhichDesk(RequestModel):
    """Which desk: the support's, or one of the business agent's organisations."""

    queue: RecipientType | None = None
    organisation_id: str | None = Field(None, max_length=64)


class DeskListQuery(PageQuery, WhichDesk):
    q: str | None = Field(None, max_length=200)
    status: TicketStatus | None = None
    category: str | None = Field(None, max_length=32)
    assignee: Literal["me", "none"] | None = None
    overdue: bool = False
    sort: Literal["ageing", "newest", "oldest"] | None = None


class AnswersQuery(PageQuery, WhichDesk):
    pass


class NoteRequest(RequestModel):
    text: str = Field(min_length=1, max_length=10_000)


class AnswerRequest(RequestModel, answers.AnswerText):
    """`POST /desk/answers`, `PUT /desk/answers/{answer_id}`."""


class ReportQuery(WhichDesk):
    start: date | None = Field(None, alias="from", ge=FIRST_DAY, le=LAST_DAY)
    end: date | None = Field(None, alias="to", ge=FIRST_DAY, le=LAST_DAY)


# Responses


class AnswerDeleted(Model):
    answer_id: str
    deleted: bool


class TopicFigure(Model):
    topic: str
    title: str
    count: int


class KnowledgeGaps(Model):
    """What ClaudIA did not know over the period."""

    not_understood: list[GapGroup]
    # The topics whose answers were rated `Réponse pas utile` most.
    unhelpful: list[TopicFigure]
    # The suggested answers after which a user left the ticket form.
    deflections: list[TopicFigure]
    # Questions ClaudIA was unsure of, with the offered topic users chose for them.
    offer_choices: list[insights.OfferChoiceInsight] = []


class RatingFigure(Model):
    key: str
    label: str
    count: int
    average: float


class ChatRatings(Model):
    by_category: list[RatingFigure]
    by_advisor: list[RatingFigure]
    latest: list[RatingRecord]


class Reports(Model):
    start: date
    end: date
    tickets: reports.TicketFigures
    # The support's figures (None for a business agent).
    knowledge_gaps: KnowledgeGaps | None = None
    chat_ratings: ChatRatings | None = None


def _which(query: WhichDesk) -> DeskFilter:
    return DeskFilter(queue=query.queue, organisation_id=query.organisation_id)


# The desk


@api.route(
    "/desk/tickets",
    summary=(
        "An agent's desk: search (?q= a reference, N° Objet, e-mail, SIRET or title words),"
        " filters, and orders (ageing: longest wait first; newest; oldest)"
    ),
    query=DeskListQuery,
    response=Page[desk_listing.DeskTicketSummary],
    roles=AGENTS,
    errors=(403, 422),
)
def desk_tickets(call: Call) -> Page[desk_listing.DeskTicketSummary]:
    q: DeskListQuery = call.query
    query = desk_listing.DeskQuery(
        q=q.q or None,
        status=q.status,
        category=q.category or None,
        assignee=q.assignee,
        overdue=q.overdue,
        sort=q.sort,
        queue=q.queue,
        organisation_id=q.organisation_id,
    )
    return desk_listing.find_desk_tickets(
        wiring.ticket_context(),
        wiring.desk_index(),
        wiring.ageing(),
        call.user,
        query,
        q.limit,
        q.cursor,
        clock.now(),
    )


@api.route(
    "/desk/tickets/{ticket_id}",
    summary=(
        "A ticket of the agent's desk: history, attachments (download URLs), its age,"
        " the desk's internal notes, ClaudIA's transcript when it came from her"
    ),
    response=desk_ticket.DeskTicketView,
    roles=AGENTS,
    errors=(404,),
)
def desk_ticket_view(call: Call, ticket_id: str) -> desk_ticket.DeskTicketView:
    now = clock.now()
    return desk_ticket.desk_ticket(
        wiring.ticket_context(),
        wiring.note_store(),
        wiring.ageing(),
        wiring.ticket_transcripts(now),
        call.user,
        ticket_id,
        now,
    )


@api.route(
    "/desk/tickets/{ticket_id}/notes",
    "POST",
    summary="Write an internal note: only the agents of the ticket's desk read it",
    body=NoteRequest,
    response=notes.Note,
    status=201,
    roles=AGENTS,
    errors=(404, 422),
)
def add_note(call: Call, ticket_id: str) -> notes.Note:
    body: NoteRequest = call.body
    return notes.add_note(
        wiring.ticket_context(), wiring.note_store(), call.user, ticket_id, body.text, clock.now()
    )


# Canned answers


@api.route(
    "/desk/answers",
    summary="The desk's canned answers, oldest first",
    query=AnswersQuery,
    response=Page[answers.CannedAnswer],
    roles=AGENTS,
    errors=(403, 422),
)
def list_answers(call: Call) -> Page[answers.CannedAnswer]:
    query: AnswersQuery = call.query
    return answers.list_answers(
        wiring.ticket_context(),
        wiring.answer_store(),
        call.user,
        _which(query),
        query.limit,
        query.cursor,
    )


@api.route(
    "/desk/answers",
    "POST",
    summary="Write a canned answer for the desk",
    body=AnswerRequest,
    query=WhichDesk,
    response=answers.CannedAnswer,
    status=201,
    roles=AGENTS,
    errors=(403, 422),
)
def create_answer(call: Call) -> answers.CannedAnswer:
    return answers.create_answer(
        wiring.ticket_context(),
        wiring.answer_store(),
        call.user,
        _which(call.query),
        call.body,
        clock.now(),
    )


@api.route(
    "/desk/answers/{answer_id}",
    "PUT",
    summary="Change one of the desk's canned answers",
    body=AnswerRequest,
    query=WhichDesk,
    response=answers.CannedAnswer,
    roles=AGENTS,
    errors=(404, 409, 422),
)
def update_answer(call: Call, answer_id: str) -> answers.CannedAnswer:
    return answers.update_answer(
        wiring.ticket_context(),
        wiring.answer_store(),
        call.user,
        _which(call.query),
        answer_id,
        call.body,
        clock.now(),
    )


@api.route(
    "/desk/answers/{answer_id}",
    "DELETE",
    summary="Delete one of the desk's canned answers",
    query=WhichDesk,
    response=AnswerDeleted,
    roles=AGENTS,
    errors=(404,),
)
def delete_answer(call: Call, answer_id: str) -> AnswerDeleted:
    answers.delete_answer(
        wiring.ticket_context(), wiring.answer_store(), call.user, _which(call.query), answer_id
    )
    return AnswerDeleted(answer_id=answer_id, deleted=True)


# A chat becomes a ticket


@api.route(
    "/agent/livechat/sessions/{session_id}/ticket",
    "POST",
    summary=(
        "Make a ticket of a chat (its advisor): the transcript is its description; the user"
        " finds it in Mes tickets, or is told its reference in the chat. Once per chat."
    ),
    response=from_chat.ChatTicket,
    status=201,
    roles=(SUPPORT_AGENTS,),
    errors=(403, 404, 409),
)
def ticket_from_chat(call: Call, session_id: str) -> from_chat.ChatTicket:
    store, now = wiring.livechat_store(), clock.now()
    chat = chat_handover.handover(store, session_id, Caller(call.user))
    ticket = from_chat.ticket_from_chat(
        wiring.ticket_context(),
        from_chat.ChatHandover(
            session_id=chat.session_id,
            user_id=chat.user_id,
            display_name=chat.display_name,
            login_identifier=chat.login_identifier,
            category=chat.ticket_category,
            subcategory=chat.ticket_subcategory,
            title=chat.title,
            description=chat.description,
            conversation_id=chat.conversation_id,
        ),
        now,
    )
    chat_handover.tell_ticket(
        store,
        session_id,
        ticket.reference,
        ticket.emitter_user_id is not None,
        wiring.livechat_push(store),
        now,
    )
    return ticket


# Reports


def _period(query: ReportQuery) -> tuple[date, date]:
    today = clock.paris_time(clock.now()).date()
    end = query.end or today
    start = query.start or end - timedelta(days=insights.DEFAULT_DAYS - 1)
    if end < start:
        raise InvalidFieldsError.single("to", "La fin de la période précède son début.")
    if (end - start).days + 1 > REPORT_MAX_DAYS:
        raise InvalidFieldsError.single("from", f"Période de {REPORT_MAX_DAYS} jours au plus.")
    return start, end


def _topic_title(topic: str) -> str:
    try:
        return load_knowledge_base().topic(topic).title
    except KeyError:
        return topic


def knowledge_gaps(start: date, end: date) -> KnowledgeGaps:
    """ClaudIA's insights (through the assistant's own service), questions grouped by spelling."""
    found = insights.insights(wiring.conversation_store(), start, end, 100, clock.now())
    return KnowledgeGaps(
        not_understood=group_questions([(q.question, q.count) for q in found.not_understood]),
        unhelpful=[
            TopicFigure(topic=t.topic, title=t.title, count=t.down) for t in found.negative_ratings
        ],
        deflections=[
            TopicFigure(topic=d.topic, title=_topic_title(d.topic), count=d.count)
            for d in found.deflections
        ],
        offer_choices=found.offer_choices,
    )


def chat_ratings() -> ChatRatings:
    report = ratings.ratings_report(wiring.livechat_store(), 100, None)
    names = {r.advisor_id: r.advisor_name for r in report.items if r.advisor_id and r.advisor_name}

    def category_label(code: str) -> str:
        found = chat_category(code)
        return found.label if found else code

    return ChatRatings(
        by_category=[
            RatingFigure(key=s.key, label=category_label(s.key), count=s.count, average=s.average)
            for s in report.by_category
        ],
        by_advisor=[
            RatingFigure(
                key=s.key, label=names.get(s.key) or s.key, count=s.count, average=s.average
            )
            for s in report.by_advisor
        ],
        latest=report.items[:20],
    )


def _support(user: Identity, query: ReportQuery) -> bool:
    return user.has_role(SUPPORT_AGENTS) and query.queue != "business"


@api.route(
    "/agent/reports",
    summary=(
        "Reports over a period (?from=&to=, 31 days at most): tickets received, waiting and"
        " overdue per category; for the support, ClaudIA's knowledge gaps and chat ratings"
    ),
    query=ReportQuery,
    response=Reports,
    roles=AGENTS,
    errors=(403, 422),
)
def agent_reports(call: Call) -> Reports:
    query: ReportQuery = call.query
    start, end = _period(query)
    figures = reports.ticket_figures(
        wiring.ticket_context(),
        wiring.desk_index(),
        wiring.ageing(),
        call.user,
        _which(query),
        start,
        end,
        clock.now(),
    )
    support = _support(call.user, query)
    return Reports(
        start=start,
        end=end,
        tickets=figures,
        knowledge_gaps=knowledge_gaps(start, end) if support else None,
        chat_ratings=chat_ratings() if support else None,
    )
