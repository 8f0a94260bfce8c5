"""The service's clock. Time is a parameter: services take `now`, routes ask here.

In the local stage, `GUICHET_NOW` sets the instant, so opening hours can be
shown at any time; every other stage ignores it. The local stack also sets
`GUICHET_NOW_ANCHOR` (when it started), and the clock runs from the instant
given, so that tickets, messages and history keep their order.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from chalicelib.shared.config import get_settings


def now() -> datetime:
    """The current instant, timezone-aware (UTC unless fixed)."""
    settings = get_settings()
    if settings.stage == "local" and settings.fixed_now is not None:
        if settings.fixed_now_anchor is None:
            return settings.fixed_now
        return settings.fixed_now + timedelta(seconds=time.time() - settings.fixed_now_anchor)
    return datetime.now(UTC)
