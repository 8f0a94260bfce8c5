"""Deflection: knowledge-base answers for a text being typed (a ticket's description).

`suggest_answers` ranks the topics with the same engine as ClaudIA's dialogue,
in memory: no AWS call, so it can answer every pause in typing. Its rate limit
is per process (`AddressLimiter`), for the same reason; API Gateway's stage
throttling bounds the rest. When a user leaves the form after reading an
answer, the portal counts it (`deflection_counter`), for the reports.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime

from chalicelib.assistant.engine import MIN_SCORE, understand
from chalicelib.assistant.knowledge import load_knowledge_base
from chalicelib.assistant.records import DEFLECTION_PREFIX, InsightCounter, insight_day
from chalicelib.directory import Profile
from chalicelib.shared.errors import TooManyRequestsError
from chalicelib.shared.models import Model

MAX_SUGGESTIONS = 3
# A candidate far below the best one is noise for a text that is not a question yet.
RELATIVE_SCORE_FLOOR = 0.5
SUGGESTIONS_PER_ADDRESS_MINUTE = 60
DEFLECTIONS_PER_ADDRESS_MINUTE = 10
TRACKED_ADDRESSES = 10_000


class SuggestedAnswer(Model):
    topic: str
    title: str
    answer: str


def suggest_answers(text: str, profile: Profile | None) -> list[SuggestedAnswer]:
    """Up to three answers that may settle what the text describes, best first.

    None for a text the engine refuses (another site named, nothing of the portal's): the
    nearest topic of "mon compte Netflix est bloqué" is no answer to it.
    """
    understanding = understand(text, profile)
    if understanding.band == "refuse":
        return []
    candidates = [c for c in understanding.candidates if c.score >= MIN_SCORE]
    if not candidates:
        return []
    floor = candidates[0].score * RELATIVE_SCORE_FLOOR
    knowledge_base = load_knowledge_base()
    return [
        SuggestedAnswer(
            topic=candidate.topic,
            title=knowledge_base.topic(candidate.topic).title,
            answer=knowledge_base.answer_for(candidate.topic, profile),
        )
        for candidate in candidates[:MAX_SUGGESTIONS]
        if candidate.score >= floor
    ]


def known_topic(topic: str) -> bool:
    try:
        load_knowledge_base().topic(topic)
    except KeyError:
        return False
    return True


def deflection_counter(topic: str, now: datetime) -> InsightCounter:
    """One more user who left the ticket form after reading this topic's answer."""
    return InsightCounter(
        day=insight_day(now), sort_key=f"{DEFLECTION_PREFIX}{topic}", increments={"count": 1}
    )


class AddressLimiter:
    """Fixed one-minute windows per client address, in this process's memory."""

    def __init__(self, limit: int, capacity: int = TRACKED_ADDRESSES) -> None:
        self._limit = limit
        self._capacity = capacity
        self._hits: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, address: str, now: float | None = None) -> None:
        """Count one request; TooManyRequestsError past the limit of the current minute."""
        instant = int(time.time() if now is None else now)
        window = instant - instant % 60
        with self._lock:
            start, count = self._hits.pop(address, (window, 0))
            count = count + 1 if start == window else 1
            self._hits[address] = (window, count)
            while len(self._hits) > self._capacity:
                self._hits.popitem(last=False)
        if count > self._limit:
            raise TooManyRequestsError(window + 60 - instant)


SUGGESTION_LIMITER = AddressLimiter(SUGGESTIONS_PER_ADDRESS_MINUTE)
DEFLECTION_LIMITER = AddressLimiter(DEFLECTIONS_PER_ADDRESS_MINUTE)
