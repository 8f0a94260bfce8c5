"""The service's clock. Time is a parameter: services take `now`, routes ask here.

In the local stage, `GUICHET_NOW` sets the instant, so opening hours can be
shown at any time; every other stage ignores it. The local stack also sets
`GUICHET_NOW_ANCHOR` (when it started), and the clock runs from the instant
given, so that tickets, messages and history keep their order.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.shared.config import SERVICE_TIMEZONE, get_settings

# The one time zone of dates users read (and of the reference counter's year).
PARIS = ZoneInfo(SERVICE_TIMEZONE)


def now() -> datetime:
    """The current instant, timezone-aware (UTC unless fixed)."""
    settings = get_settings()
    if settings.stage == "local" and settings.fixed_now is not None:
        if settings.fixed_now_anchor is None:
            return settings.fixed_now
        return settings.fixed_now + timedelta(seconds=time.time() - settings.fixed_now_anchor)
    return datetime.now(UTC)


def paris_time(instant: datetime) -> datetime:
    """`instant` as users read it, in Paris time."""
    return instant.astimezone(PARIS)
