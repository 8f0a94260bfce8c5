"""An in-memory `LiveChatStore`: the livechat table's items, kept as DynamoDB would keep them.

Items are the ones chalicelib/livechat/keys.py lays out, under their (pk, sk),
with the same index attributes, so each read selects and orders them as the
adapter's Query does: the queue by gsi1 (category, then oldest first), an
advisor's chats by gsi2, messages by their MSG#{seq} sort key, ratings newest
first a page at a time. A page of ratings that reaches `limit` carries a cursor
(the encoded LastEvaluatedKey, `pk` and `sk`), checked as the adapter checks it
(`decode_cursor`: another partition or a forged key is a 422 on `cursor`).

Writes follow the adapter's conditions and labels: `create_in` adds "session"
(fails if the chat exists) and "lock" (fails if the user holds one);
`write_event` moves `last_seq` from n to n+1 only while the chat is in an
allowed status ("session"), puts the message ("message") and, when closing, frees
the user's lock unless another chat holds it ("lock"); any failure is a
`ConcurrentChangeError`. `rate` keeps one rating per closed chat ("session"), with
the list's item ("rating") and both averages ("stats:CATEGORY", "stats:ADVISOR").
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.livechat.calendar import DayRule, Transition
from chalicelib.livechat.keys import (
    CALENDAR,
    CONNECTION_TTL_SECONDS,
    DAY_RULES,
    QUEUE,
    RATINGS,
    SESSION_TTL_SECONDS,
    connection_key,
    index_keys,
    index_removals,
    json_value,
    lock_key,
    message_sk,
    queue_keys,
    session_from_item,
    session_item,
    session_key,
    utc_key,
)
from chalicelib.livechat.models import (
    ChatMessage,
    ChatSession,
    Connection,
    RatingRecord,
    RatingStat,
    SessionStatus,
)
from chalicelib.livechat.store import LOCK, MESSAGE, RATING, SESSION, ConcurrentChangeError
from chalicelib.shared.dynamo import Transaction, TransactionFailed
from chalicelib.shared.pagination import decode_cursor, encode_cursor
from tests.fakes.transaction import (
    STATE_LOCK,
    ConditionFailedError,
    FakeTransaction,
    always,
    fake_transaction,
)

Item = dict[str, Any]
Key = tuple[str, str]


def _key(key: dict[str, str]) -> Key:
    return key["pk"], key["sk"]


class FakeLiveChatStore:
    """Chats, messages, calendar, ratings and connections, in memory."""

    def __init__(self, name: str = "fake-livechat") -> None:
        self._name = name
        self._items: dict[Key, Item] = {}

    @property
    def name(self) -> str:
        return self._name

    # Calendar ----------------------------------------------------------------

    def day_rules(self) -> tuple[list[DayRule], dict[str, Any]]:
        item = self._read((CALENDAR, DAY_RULES)) or {}
        rules = [DayRule.model_validate(rule) for rule in item.get("rules", [])]
        return rules, {"updated_at": item.get("updated_at"), "updated_by": item.get("updated_by")}

    def save_day_rules(self, rules: list[DayRule], updated_by: str, now: datetime) -> None:
        item = {
            "pk": CALENDAR,
            "sk": DAY_RULES,
            "rules": [rule.model_dump(mode="json", exclude_none=True) for rule in rules],
            "updated_by": updated_by,
            "updated_at": now.isoformat(),
        }
        with STATE_LOCK:
            self._items[(CALENDAR, DAY_RULES)] = item

    def record_transition(self, kind: Transition, at: datetime, now: datetime) -> bool:
        key = (CALENDAR, f"TRANSITION#{utc_key(at)}")
        with STATE_LOCK:
            if key in self._items:
                return False
            self._items[key] = {
                "pk": key[0],
                "sk": key[1],
                "kind": kind,
                "at": at.isoformat(),
                "recorded_at": now.isoformat(),
            }
            return True

    def transitions(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self._partition(CALENDAR, "TRANSITION#")
        return rows[::-1][:limit]

    # Sessions ----------------------------------------------------------------

    def session(self, session_id: str) -> ChatSession | None:
        item = self._read(_key(session_key(session_id)))
        return None if item is None else session_from_item(item)

    def open_session_id(self, user_id: str) -> str | None:
        item = self._read(_key(lock_key(user_id)))
        return None if item is None else str(item["session_id"])

    def create_in(self, tx: Transaction, session: ChatSession) -> None:
        fake = fake_transaction(tx)
        item = session_item(session)
        item.update(queue_keys(session))
        item["expires_at"] = int(session.created_at.timestamp()) + SESSION_TTL_SECONDS
        fake.add(SESSION, self._absent(_key(item)), self._put(item))
        if session.user_id is not None:
            lock = {**lock_key(session.user_id), "session_id": session.session_id}
            fake.add(LOCK, self._absent(_key(lock)), self._put(lock))

    def queue_position(self, session: ChatSession) -> int:
        first = f"{session.category}#"
        own = f"{session.category}#{utc_key(session.created_at)}"
        with STATE_LOCK:
            return 1 + sum(
                1
                for item in self._items.values()
                if item.get("gsi1pk") == QUEUE and first <= str(item["gsi1sk"]) <= own
            )

    def waiting_sessions(self) -> list[ChatSession]:
        return [session_from_item(item) for item in self._index("gsi1", QUEUE)]

    def advisor_sessions(self, advisor_id: str) -> list[ChatSession]:
        return [session_from_item(item) for item in self._index("gsi2", f"ADVISOR#{advisor_id}")]

    def write_event(
        self,
        session: ChatSession,
        message: ChatMessage,
        *,
        allowed: tuple[SessionStatus, ...],
        changes: dict[str, Any] | None = None,
    ) -> None:
        changes = dict(changes or {})
        changes.update(index_keys(session, changes))
        status = changes.get("status")
        key = _key(session_key(session.session_id))

        def unchanged_since_read() -> bool:
            stored = self._items.get(key)
            return (
                stored is not None
                and stored.get("last_seq") == session.last_seq
                and stored.get("status") in allowed
            )

        def update() -> None:
            stored = self._items[key]
            stored["last_seq"] = message.seq
            stored.update(copy.deepcopy(changes))
            for name in index_removals(status):
                stored.pop(name, None)

        tx = FakeTransaction()
        tx.add(SESSION, unchanged_since_read, update)
        message_item = {
            "pk": f"SESSION#{session.session_id}",
            "sk": message_sk(message.seq),
            "expires_at": int(session.created_at.timestamp()) + SESSION_TTL_SECONDS,
            **message.model_dump(mode="json", exclude_none=True),
        }
        tx.add(MESSAGE, always, self._put(message_item))
        if status == "closed" and session.user_id is not None:
            lock = _key(lock_key(session.user_id))

            def lock_free_or_ours() -> bool:
                held = self._items.get(lock)
                return held is None or held.get("session_id") == session.session_id

            def free() -> None:
                self._items.pop(lock, None)

            tx.add(LOCK, lock_free_or_ours, free)
        try:
            tx.commit()
        except TransactionFailed as failed:
            raise ConcurrentChangeError(str(failed)) from failed

    def messages(self, session_id: str, after: int, limit: int) -> list[ChatMessage]:
        first, last = message_sk(after + 1), message_sk(99_999_999)
        rows = [
            item
            for item in self._partition(f"SESSION#{session_id}", "")
            if first <= str(item["sk"]) <= last
        ]
        return [ChatMessage.model_validate(item) for item in rows[:limit]]

    # Ratings -----------------------------------------------------------------

    def rate(self, session: ChatSession, record: RatingRecord) -> bool:
        rating = {"stars": record.stars, "comment": record.comment, "rated_at": record.rated_at}
        key = _key(session_key(session.session_id))

        def closed_and_unrated() -> bool:
            stored = self._items.get(key)
            return stored is not None and "rating" not in stored and stored["status"] == "closed"

        tx = FakeTransaction()

        def keep() -> None:
            self._items[key]["rating"] = json_value(rating)

        tx.add(SESSION, closed_and_unrated, keep)
        item = {
            "pk": RATINGS,
            "sk": f"RATING#{utc_key(record.rated_at)}#{record.session_id}",
            **record.model_dump(mode="json", exclude_none=True),
        }
        tx.add(RATING, always, self._put(item))
        self._add_to_stat_in(tx, "CATEGORY", record.category, record.stars)
        if record.advisor_id:
            self._add_to_stat_in(tx, "ADVISOR", record.advisor_id, record.stars)
        try:
            tx.commit()
        except TransactionFailed as failed:
            if failed.failed(SESSION):
                return False
            raise ConcurrentChangeError(str(failed)) from failed
        return True

    def _add_to_stat_in(self, tx: FakeTransaction, group: str, key: str, stars: int) -> None:
        stat = (RATINGS, f"STATS#{group}#{key}")

        def add() -> None:
            item = self._items.setdefault(stat, {"pk": stat[0], "sk": stat[1]})
            item["rating_count"] = item.get("rating_count", 0) + 1
            item["star_total"] = item.get("star_total", 0) + stars

        tx.add(f"stats:{group}", always, add)

    def ratings(self, limit: int, cursor: str | None) -> tuple[list[RatingRecord], str | None]:
        if limit < 1:
            raise ValueError("Limit must be at least 1")
        start = decode_cursor(cursor, {"pk": RATINGS}, ("sk",))
        rows = self._partition(RATINGS, "RATING#")[::-1]
        if start is not None:
            rows = [item for item in rows if str(item["sk"]) < str(start["sk"])]
        page = rows[:limit]
        last_key = {"pk": RATINGS, "sk": page[-1]["sk"]} if len(page) == limit else None
        return [RatingRecord.model_validate(item) for item in page], encode_cursor(last_key)

    def rating_stats(self) -> dict[str, list[RatingStat]]:
        stats: dict[str, list[RatingStat]] = {"CATEGORY": [], "ADVISOR": []}
        for item in self._partition(RATINGS, "STATS#"):
            _, group, key = str(item["sk"]).split("#", 2)
            count, total = int(item["rating_count"]), int(item["star_total"])
            average = round(total / count, 2) if count else 0.0
            stats.setdefault(group, []).append(RatingStat(key=key, count=count, average=average))
        return stats

    # WebSocket connections ---------------------------------------------------

    def save_connection(self, connection: Connection) -> None:
        item = {
            **connection_key(connection.connection_id),
            "expires_at": int(connection.connected_at.timestamp()) + CONNECTION_TTL_SECONDS,
            **connection.model_dump(mode="json", exclude_none=True),
        }
        with STATE_LOCK:
            self._items[_key(item)] = item

    def connection(self, connection_id: str) -> Connection | None:
        item = self._read(_key(connection_key(connection_id)))
        return None if item is None else Connection.model_validate(item)

    def subscribe(self, connection_id: str, session_id: str) -> None:
        with STATE_LOCK:
            connection = self._items.get(_key(connection_key(connection_id)))
            if connection is None:
                return
            connection["session_id"] = session_id
            stored = self._items.get(_key(session_key(session_id)))
            if stored is None:
                raise ConditionFailedError(f"chat {session_id} does not exist")
            stored.setdefault("connections", set()).add(connection_id)

    def unsubscribe(self, connection_id: str, session_id: str) -> None:
        with STATE_LOCK:
            stored = self._items.get(_key(session_key(session_id)))
            if stored is None:
                return
            connections: set[str] = stored.get("connections", set())
            connections.discard(connection_id)
            # DynamoDB removes a set left empty.
            if not connections:
                stored.pop("connections", None)

    def forget_connection(self, connection_id: str) -> Connection | None:
        with STATE_LOCK:
            item = self._items.pop(_key(connection_key(connection_id)), None)
        return None if item is None else Connection.model_validate(item)

    # Reading items -----------------------------------------------------------

    def _read(self, key: Key) -> Item | None:
        with STATE_LOCK:
            item = self._items.get(key)
            return None if item is None else copy.deepcopy(item)

    def _partition(self, pk: str, prefix: str) -> list[Item]:
        """A partition's items whose sort key begins with `prefix`, in sort-key order."""
        with STATE_LOCK:
            rows = [
                copy.deepcopy(item)
                for (item_pk, sk), item in self._items.items()
                if item_pk == pk and sk.startswith(prefix)
            ]
        return sorted(rows, key=lambda item: str(item["sk"]).encode())

    def _index(self, index: str, partition: str) -> list[Item]:
        """An index's partition, in its sort-key order."""
        with STATE_LOCK:
            rows = [
                copy.deepcopy(item)
                for item in self._items.values()
                if item.get(f"{index}pk") == partition
            ]
        return sorted(rows, key=lambda item: str(item[f"{index}sk"]).encode())

    def _absent(self, key: Key) -> Callable[[], bool]:
        return lambda: key not in self._items

    def _put(self, item: Item) -> Callable[[], None]:
        return lambda: self._items.__setitem__(_key(item), copy.deepcopy(item))
