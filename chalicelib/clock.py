"""The service's clock. Time is a parameter: services take `now`, routes ask here.

In the local stage, `GUICHET_NOW` fixes the instant, so opening hours can be
shown at any time; every other stage ignores it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.config import get_settings


def now() -> datetime:
    """The current instant, timezone-aware (UTC unless fixed)."""
    settings = get_settings()
    if settings.stage == "local" and settings.fixed_now is not None:
        return settings.fixed_now
    return datetime.now(UTC)
