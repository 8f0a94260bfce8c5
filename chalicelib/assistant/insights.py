"""What the content team reads: the questions ClaudIA did not understand, the answers rated down,
and the unsure questions with the offered topic each user chose for them.

Each message not understood and each rating bumps a counter of its Paris day (in the
same write as the conversation, chalicelib/assistant/store.py); the report adds the
days of a period up, one Query per day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from chalicelib.assistant.knowledge import KnowledgeBase, load_knowledge_base
from chalicelib.assistant.records import (
    OfferChoice,
    QuestionCount,
    TopicDeflections,
    TopicRatings,
    insight_day,
)
from chalicelib.assistant.store import ConversationStore
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.models import Model

INSIGHTS_MAX_DAYS = 31
DEFAULT_DAYS = 7


class TopicInsight(TopicRatings):
    title: str


class OfferChoiceInsight(OfferChoice):
    title: str


class Insights(Model):
    start: date
    end: date
    not_understood: list[QuestionCount]
    negative_ratings: list[TopicInsight]
    # Users who left the ticket form after reading a suggested answer, by topic.
    deflections: list[TopicDeflections] = []
    # Unsure questions, masked, with the offered topic users chose: the base's next examples,
    # in users' words and labelled by them.
    offer_choices: list[OfferChoiceInsight] = []


def insights(
    store: ConversationStore, start: date | None, end: date | None, limit: int, now: datetime
) -> Insights:
    """The most frequent not-understood questions, most down-rated topics, deflections and
    offer choices over a period.

    The period defaults to the last seven days up to today (Paris); one Query per day.
    """
    end = end or insight_day(now)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise InvalidFieldsError.single("to", "La fin de la période précède son début.")
    days = (end - start).days + 1
    if days > INSIGHTS_MAX_DAYS:
        raise InvalidFieldsError.single("from", f"Période de {INSIGHTS_MAX_DAYS} jours au plus.")
    questions: dict[str, int] = {}
    ratings: dict[str, TopicRatings] = {}
    deflected: dict[str, int] = {}
    chosen: dict[tuple[str, str], int] = {}
    for offset in range(days):
        day = start + timedelta(days=offset)
        day_questions, day_ratings, day_deflections, day_choices = store.insights(day)
        for choice in day_choices:
            pair = (choice.question, choice.topic)
            chosen[pair] = chosen.get(pair, 0) + choice.count
        for deflection in day_deflections:
            deflected[deflection.topic] = deflected.get(deflection.topic, 0) + deflection.count
        for question in day_questions:
            questions[question.question] = questions.get(question.question, 0) + question.count
        for rating in day_ratings:
            total = ratings.setdefault(rating.topic, TopicRatings(topic=rating.topic))
            total.up += rating.up
            total.down += rating.down
    knowledge_base = load_knowledge_base()
    top_choices = sorted(chosen.items(), key=lambda item: (-item[1], item[0]))[:limit]
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
        deflections=[
            TopicDeflections(topic=topic, count=count)
            for topic, count in sorted(deflected.items(), key=lambda item: (-item[1], item[0]))[
                :limit
            ]
        ],
        offer_choices=[
            OfferChoiceInsight(
                question=question,
                topic=topic,
                count=count,
                title=_topic_title(knowledge_base, topic),
            )
            for (question, topic), count in top_choices
        ],
    )


def _topic_title(knowledge_base: KnowledgeBase, topic_id: str) -> str:
    try:
        return knowledge_base.topic(topic_id).title
    except KeyError:
        return topic_id
