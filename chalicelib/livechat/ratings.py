"""Ratings: the user rates a closed chat once, 1 to 5 stars; support agents read them.

A rating needs a closed chat that had an advisor.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.livechat.access import Caller, load, participant
from chalicelib.livechat.models import Rating, RatingRecord, RatingStat
from chalicelib.livechat.sessions import SessionView, view
from chalicelib.livechat.store import LiveChatStore
from chalicelib.shared.errors import ConflictError, ForbiddenError
from chalicelib.shared.models import Model


class RatingsReport(Model):
    items: list[RatingRecord]
    next_cursor: str | None
    by_category: list[RatingStat]
    by_advisor: list[RatingStat]


def rate_session(
    store: LiveChatStore,
    session_id: str,
    caller: Caller,
    stars: int,
    comment: str | None,
    now: datetime,
) -> SessionView:
    """The user rates a closed chat once; a second rating is 409."""
    session = load(store, session_id)
    if participant(session, caller) != "user":
        raise ForbiddenError("Seul l'usager peut noter la conversation.")
    if session.status != "closed" or session.advisor_id is None:
        raise ConflictError("Seule une conversation close avec un conseiller peut être notée.")
    if session.rating is not None:
        raise ConflictError("Cette conversation a déjà été notée.")
    record = RatingRecord(
        session_id=session_id,
        category=session.category,
        advisor_id=session.advisor_id,
        advisor_name=session.advisor_name,
        stars=stars,
        comment=comment or None,
        rated_at=now,
    )
    if not store.rate(session, record):
        raise ConflictError("Cette conversation a déjà été notée.")
    rating = Rating(stars=stars, comment=record.comment, rated_at=now)
    return view(session.model_copy(update={"rating": rating}))


def ratings_report(store: LiveChatStore, limit: int, cursor: str | None) -> RatingsReport:
    """Ratings, newest first, with averages per category and per advisor."""
    items, next_cursor = store.ratings(limit, cursor)
    stats = store.rating_stats()
    return RatingsReport(
        items=items,
        next_cursor=next_cursor,
        by_category=stats.get("CATEGORY", []),
        by_advisor=stats.get("ADVISOR", []),
    )
