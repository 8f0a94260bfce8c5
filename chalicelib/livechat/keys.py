"""The key layout of the livechat table: how chats, messages, the calendar and ratings are stored.

Items (pk / sk), single-table:
  CALENDAR / DAY_RULES                 support agents' closures and special hours, one item
                                       (the availability reads it with one GetItem)
  CALENDAR / TRANSITION#{utc instant}  an opening or closing, written once (conditional Put)
  SESSION#{id} / META                  a chat; while waiting, gsi1 QUEUE / {category}#{created}#{id}
                                       (the advisors' queue, oldest first per category); while
                                       active, gsi2 ADVISOR#{advisor} / {accepted}#{id}
  SESSION#{id} / MSG#{seq:08d}         its messages, in order
  USER#{user_id} / OPEN_SESSION        the user's one waiting or active chat (a lock: created
                                       with the session, deleted when it closes)
  CONN#{connection_id} / META          a WebSocket connection and the chat it follows (TTL)
  QUEUE / FOLLOWERS                    the advisors' connections following the queue, a
                                       string set (livechat/followers.py)
  RATINGS / RATING#{rated_at}#{id}     a rating, newest last
  RATINGS / STATS#{CATEGORY|ADVISOR}#{key}  running count and total of stars (averages
                                       without reading every rating)

A chat's index keys follow its status: waiting, it is in the queue (gsi1);
accepted, in its advisor's index (gsi2); closed, in neither.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.livechat.models import ChatSession

CALENDAR = "CALENDAR"
DAY_RULES = "DAY_RULES"
QUEUE = "QUEUE"
RATINGS = "RATINGS"
META = "META"
CONNECTION_TTL_SECONDS = 4 * 3600
# Chats and their messages are kept a year, then DynamoDB's TTL removes them.
SESSION_TTL_SECONDS = 365 * 24 * 3600


def session_key(session_id: str) -> dict[str, str]:
    return {"pk": f"SESSION#{session_id}", "sk": META}


def message_sk(seq: int) -> str:
    return f"MSG#{seq:08d}"


def utc_key(instant: datetime) -> str:
    """An instant as a fixed-width UTC string, so sort keys order by time."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def json_value(value: Any) -> Any:
    """A value with its datetimes as ISO strings and its None entries dropped."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items() if item is not None}
    return value


def queue_keys(session: ChatSession) -> dict[str, str]:
    created = utc_key(session.created_at)
    return {"gsi1pk": QUEUE, "gsi1sk": f"{session.category}#{created}#{session.session_id}"}


def lock_key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": "OPEN_SESSION"}


def connection_key(connection_id: str) -> dict[str, str]:
    return {"pk": f"CONN#{connection_id}", "sk": META}


def index_keys(session: ChatSession, changes: dict[str, Any]) -> dict[str, str]:
    """The advisor index's keys of a chat being accepted (status "active")."""
    if changes.get("status") != "active":
        return {}
    accepted_at = datetime.fromisoformat(str(changes["accepted_at"]))
    return {
        "gsi2pk": f"ADVISOR#{changes['advisor_id']}",
        "gsi2sk": f"{utc_key(accepted_at)}#{session.session_id}",
    }


def index_removals(status: Any) -> tuple[str, ...]:
    """Accepted, a chat leaves the queue (gsi1); closed, it leaves every index."""
    if status == "active":
        return ("gsi1pk", "gsi1sk")
    if status == "closed":
        return ("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")
    return ()


def session_item(session: ChatSession) -> dict[str, Any]:
    """A chat as its META item, without its connections (a set only `subscribe` writes)."""
    data = session.model_dump(mode="json", exclude_none=True, exclude={"connections"})
    if not data.get("transcript"):
        data.pop("transcript", None)
    return {**session_key(session.session_id), **data}


def session_from_item(item: dict[str, Any]) -> ChatSession:
    """A chat from its META item (keys and TTL left out)."""
    data = {key: value for key, value in item.items() if not key.startswith(("pk", "sk", "gsi"))}
    data.pop("expires_at", None)
    return ChatSession.model_validate(data)
