"""When the LiveChat is open, as the assistant needs it to offer a person.

The assistant depends on this small protocol only; the edge hands it the
LiveChat's own working-day calendar (chalicelib/endpoints/wiring.py:
`livechat_hours()`, closures included), which has these two methods, so the
assistant and the LiveChat never disagree about opening hours and the assistant
imports nothing of the LiveChat.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class LiveChatHours(Protocol):
    """The LiveChat's opening hours, as the assistant asks about them."""

    def is_open_at(self, instant: datetime) -> bool:
        """Whether a person can be reached at this instant."""
        ...

    def next_opening(self, instant: datetime) -> datetime | None:
        """The next opening after `instant` (None when there is none in sight)."""
        ...
