"""Working-day calendar benchmark: warm is-open checks per second, no AWS.

Was a unit test asserting 50,000 checks/s, which a loaded machine made flaky;
a throughput is measured here and compared with that target, never asserted.
Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_CHECKS_PER_SECOND = 50_000
ROUNDS = 20


def main() -> None:
    from chalicelib.livechat.calendar import OpeningRules, WorkingCalendar

    calendar = WorkingCalendar(OpeningRules())
    instants = [
        datetime.fromisoformat(f"2026-12-{day:02d}T{hour:02d}:15:00+01:00")
        for day in range(1, 29)
        for hour in range(24)
    ]
    for instant in instants:  # warm: every date's period computed once
        calendar.is_open_at(instant)
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for instant in instants:
            calendar.is_open_at(instant)
    rate = ROUNDS * len(instants) / (time.perf_counter() - started)
    print(
        json.dumps(
            {
                "bench": "working_calendar",
                "is_open_checks_per_second_warm": round(rate),
                "target_checks_per_second": TARGET_CHECKS_PER_SECOND,
                "target_met": rate > TARGET_CHECKS_PER_SECOND,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )


if __name__ == "__main__":
    main()
