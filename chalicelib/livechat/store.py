"""The LiveChat's store: the `LiveChatStore` protocol and the livechat table behind it.

`DynamoLiveChatStore` is the only LiveChat code that talks to DynamoDB; services and
in-memory fakes know the protocol only.

The key layout is chalicelib/livechat/keys.py.

A message is one GetItem (the session, for authorisation) and one transaction:
the session's `last_seq` goes from n to n+1 under a condition and the message
MSG#{n+1} is put with it, so a poller reading `?after=n` can never see n+2
before n+1. Accept, close and the closing notice are the same transaction with
more changes to the session; the store keeps its indexes and the user's lock in
step with the status it is given (accepted: out of the queue, into the
advisor's index; closed: out of both, lock freed). Transaction items carry
labels ("session", "message", "lock", "rating"...) that a failure names.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

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
from chalicelib.shared.dynamo import (
    DynamoTransaction,
    Transaction,
    TransactionFailed,
    condition_failed,
)
from chalicelib.shared.pagination import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# Labels of the items this store adds to a transaction.
SESSION = "session"
LOCK = "lock"
MESSAGE = "message"
RATING = "rating"


class ConcurrentChangeError(Exception):
    """The session changed between its read and the write (retry, or report its new state)."""


class LiveChatStore(Protocol):
    """The LiveChat's chats, messages, calendar, ratings and connections (DynamoDB, or a fake)."""

    @property
    def name(self) -> str:
        """Which store this is (the calendar cache is kept per store)."""
        ...

    def day_rules(self) -> tuple[list[DayRule], dict[str, Any]]:
        """The closures and special hours, with `updated_at` and `updated_by` (None if never)."""
        ...

    def save_day_rules(self, rules: list[DayRule], updated_by: str, now: datetime) -> None:
        """Replace the closures and special hours."""
        ...

    def record_transition(self, kind: Transition, at: datetime, now: datetime) -> bool:
        """Record an opening or closing once; False when it was already recorded."""
        ...

    def transitions(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest recorded transitions (`kind`, `at`, `recorded_at`), newest first."""
        ...

    def session(self, session_id: str) -> ChatSession | None:
        """A chat (strongly consistent), None when unknown."""
        ...

    def open_session_id(self, user_id: str) -> str | None:
        """The id of the user's waiting or active chat, if any."""
        ...

    def create_in(self, tx: Transaction, session: ChatSession) -> None:
        """Add to `tx` a waiting chat ("session") and its user's lock ("lock": fails if held)."""
        ...

    def queue_position(self, session: ChatSession) -> int:
        """1 + the waiting chats of its category created strictly before it."""
        ...

    def waiting_sessions(self) -> list[ChatSession]:
        """Every waiting chat, by category then oldest first."""
        ...

    def advisor_sessions(self, advisor_id: str) -> list[ChatSession]:
        """The advisor's active chats, oldest accepted first."""
        ...

    def write_event(
        self,
        session: ChatSession,
        message: ChatMessage,
        *,
        allowed: tuple[SessionStatus, ...],
        changes: dict[str, Any] | None = None,
    ) -> None:
        """Append `message` and apply `changes` at once; ConcurrentChangeError if the chat moved."""
        ...

    def messages(self, session_id: str, after: int, limit: int) -> list[ChatMessage]:
        """Up to `limit` messages with seq > `after`, in order."""
        ...

    def rate(self, session: ChatSession, record: RatingRecord) -> bool:
        """Keep a closed chat's rating once (with the list and averages); False if rated."""
        ...

    def ratings(self, limit: int, cursor: str | None) -> tuple[list[RatingRecord], str | None]:
        """One page of ratings, newest first, and the cursor of the next."""
        ...

    def rating_stats(self) -> dict[str, list[RatingStat]]:
        """Count and average of stars under "CATEGORY" and "ADVISOR"."""
        ...

    def save_connection(self, connection: Connection) -> None:
        """Remember a WebSocket connection (for 4 hours)."""
        ...

    def connection(self, connection_id: str) -> Connection | None:
        """A WebSocket connection, None when unknown."""
        ...

    def subscribe(self, connection_id: str, session_id: str) -> None:
        """The connection follows the chat (the chat lists it in `connections`); a
        connection that no longer exists follows nothing."""
        ...

    def unsubscribe(self, connection_id: str, session_id: str) -> None:
        """The chat forgets the connection (nothing when the chat is gone)."""
        ...

    def forget_connection(self, connection_id: str) -> Connection | None:
        """Delete a connection; what it was, None when unknown."""
        ...


class DynamoLiveChatStore:
    """The LiveChat in the livechat table."""

    def __init__(self, table: Table, client: Any) -> None:
        # `client` is the low-level DynamoDB client, for transactions in typed form
        # (the table resource's own client would serialize the items a second time).
        self._table = table
        self._client = client

    @property
    def name(self) -> str:
        return self._table.name

    # Calendar ----------------------------------------------------------------

    def day_rules(self) -> tuple[list[DayRule], dict[str, Any]]:
        """The closures and special hours (one GetItem), with who changed them last."""
        item = self._table.get_item(Key={"pk": CALENDAR, "sk": DAY_RULES}).get("Item") or {}
        rules = [DayRule.model_validate(rule) for rule in item.get("rules", [])]  # type: ignore[union-attr]
        meta = {"updated_at": item.get("updated_at"), "updated_by": item.get("updated_by")}
        return rules, meta

    def save_day_rules(self, rules: list[DayRule], updated_by: str, now: datetime) -> None:
        self._table.put_item(
            Item={
                "pk": CALENDAR,
                "sk": DAY_RULES,
                "rules": [rule.model_dump(mode="json", exclude_none=True) for rule in rules],
                "updated_by": updated_by,
                "updated_at": now.isoformat(),
            }
        )

    def record_transition(self, kind: Transition, at: datetime, now: datetime) -> bool:
        """A conditional Put keyed by the transition's instant."""
        try:
            self._table.put_item(
                Item={
                    "pk": CALENDAR,
                    "sk": f"TRANSITION#{utc_key(at)}",
                    "kind": kind,
                    "at": at.isoformat(),
                    "recorded_at": now.isoformat(),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as error:
            if condition_failed(error):
                return False
            raise
        return True

    def transitions(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest transitions, newest first."""
        response = self._table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": CALENDAR, ":prefix": "TRANSITION#"},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [dict(item) for item in response.get("Items", [])]

    # Sessions ----------------------------------------------------------------

    def session(self, session_id: str) -> ChatSession | None:
        item = self._table.get_item(Key=session_key(session_id), ConsistentRead=True).get("Item")
        return None if item is None else session_from_item(item)

    def open_session_id(self, user_id: str) -> str | None:
        """The user's waiting or active chat, if any."""
        item = self._table.get_item(Key=lock_key(user_id), ConsistentRead=True).get("Item")
        return None if item is None else str(item["session_id"])

    def create_in(self, tx: Transaction, session: ChatSession) -> None:
        """Add to `tx` a new waiting chat ("session") and its user's one-open-chat lock ("lock").

        The lock's condition fails when the user already has a waiting or active chat.
        """
        assert isinstance(tx, DynamoTransaction)
        item = session_item(session)
        item.update(queue_keys(session))
        item["expires_at"] = int(session.created_at.timestamp()) + SESSION_TTL_SECONDS
        tx.put(SESSION, self.name, item, condition="attribute_not_exists(pk)")
        if session.user_id is not None:
            lock = {**lock_key(session.user_id), "session_id": session.session_id}
            tx.put(LOCK, self.name, lock, condition="attribute_not_exists(pk)")

    def queue_position(self, session: ChatSession) -> int:
        """1 for the oldest waiting chat of its category.

        Counts the chats of the category created strictly earlier, so the answer
        does not depend on the GSI having indexed this chat yet.
        """
        own = f"{session.category}#{utc_key(session.created_at)}"
        response = self._table.query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk BETWEEN :first AND :own",
            ExpressionAttributeValues={":pk": QUEUE, ":first": f"{session.category}#", ":own": own},
            Select="COUNT",
        )
        return int(response.get("Count", 0)) + 1

    def waiting_sessions(self) -> list[ChatSession]:
        """Every waiting chat, by category then oldest first (GSI: eventually consistent)."""
        sessions: list[ChatSession] = []
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": QUEUE},
        }
        while True:
            response = self._table.query(**kwargs)
            sessions.extend(session_from_item(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return sessions
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def advisor_sessions(self, advisor_id: str) -> list[ChatSession]:
        """The advisor's active chats, oldest first."""
        response = self._table.query(
            IndexName="gsi2",
            KeyConditionExpression="gsi2pk = :pk",
            ExpressionAttributeValues={":pk": f"ADVISOR#{advisor_id}"},
        )
        return [session_from_item(item) for item in response.get("Items", [])]

    def write_event(
        self,
        session: ChatSession,
        message: ChatMessage,
        *,
        allowed: tuple[SessionStatus, ...],
        changes: dict[str, Any] | None = None,
    ) -> None:
        """One transaction: the session ("session") goes from `last_seq` n to n+1 under a
        condition, with `changes` and the index keys of its new status, and MSG#{n+1} is put
        ("message"); a chat closing also frees its user's one-open-chat lock ("lock").
        """
        changes = dict(changes or {})
        changes.update(index_keys(session, changes))
        status = changes.get("status")
        values: dict[str, Any] = {
            ":seq": message.seq,
            ":previous": session.last_seq,
            **{f":s{index}": allowed_status for index, allowed_status in enumerate(allowed)},
        }
        names = {"#status": "status"}
        assignments = ["last_seq = :seq"]
        for index, (attribute, value) in enumerate(changes.items()):
            names[f"#c{index}"] = attribute
            values[f":c{index}"] = value
            assignments.append(f"#c{index} = :c{index}")
        expression = "SET " + ", ".join(assignments)
        removals = index_removals(status)
        if removals:
            expression += " REMOVE " + ", ".join(removals)
        statuses = ", ".join(f":s{index}" for index in range(len(allowed)))
        tx = DynamoTransaction(self._client)
        tx.update(
            SESSION,
            self.name,
            session_key(session.session_id),
            expression,
            condition=f"last_seq = :previous AND #status IN ({statuses})",
            names=names,
            values=values,
        )
        message_item = {
            "pk": f"SESSION#{session.session_id}",
            "sk": message_sk(message.seq),
            "expires_at": int(session.created_at.timestamp()) + SESSION_TTL_SECONDS,
            **message.model_dump(mode="json", exclude_none=True),
        }
        tx.put(MESSAGE, self.name, message_item)
        if status == "closed" and session.user_id is not None:
            tx.delete(
                LOCK,
                self.name,
                lock_key(session.user_id),
                condition="attribute_not_exists(pk) OR session_id = :id",
                values={":id": session.session_id},
            )
        try:
            tx.commit()
        except TransactionFailed as failed:
            raise ConcurrentChangeError(str(failed)) from failed

    def messages(self, session_id: str, after: int, limit: int) -> list[ChatMessage]:
        response = self._table.query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={
                ":pk": f"SESSION#{session_id}",
                ":first": message_sk(after + 1),
                ":last": message_sk(99_999_999),
            },
            Limit=limit,
        )
        return [ChatMessage.model_validate(item) for item in response.get("Items", [])]

    # Ratings -----------------------------------------------------------------

    def rate(self, session: ChatSession, record: RatingRecord) -> bool:
        """One transaction: the rating on the session ("session": fails if rated or not
        closed), in the list ("rating") and in the averages ("stats:CATEGORY", "stats:ADVISOR").
        """
        rating = {"stars": record.stars, "comment": record.comment, "rated_at": record.rated_at}
        tx = DynamoTransaction(self._client)
        tx.update(
            SESSION,
            self.name,
            session_key(session.session_id),
            "SET rating = :rating",
            condition="attribute_not_exists(rating) AND #status = :closed",
            names={"#status": "status"},
            values={":rating": json_value(rating), ":closed": "closed"},
        )
        item = {
            "pk": RATINGS,
            "sk": f"RATING#{utc_key(record.rated_at)}#{record.session_id}",
            **record.model_dump(mode="json", exclude_none=True),
        }
        tx.put(RATING, self.name, item)
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

    def _add_to_stat_in(self, tx: DynamoTransaction, group: str, key: str, stars: int) -> None:
        tx.update(
            f"stats:{group}",
            self.name,
            {"pk": RATINGS, "sk": f"STATS#{group}#{key}"},
            "ADD rating_count :one, star_total :stars",
            values={":one": 1, ":stars": stars},
        )

    def ratings(self, limit: int, cursor: str | None) -> tuple[list[RatingRecord], str | None]:
        """Ratings, newest first, one page."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": RATINGS, ":prefix": "RATING#"},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor, {"pk": RATINGS}, ("sk",))
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        response = self._table.query(**kwargs)
        records = [RatingRecord.model_validate(item) for item in response.get("Items", [])]
        return records, encode_cursor(response.get("LastEvaluatedKey"))

    def rating_stats(self) -> dict[str, list[RatingStat]]:
        """Averages by category and by advisor (one Query over the STATS# items)."""
        response = self._table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": RATINGS, ":prefix": "STATS#"},
        )
        stats: dict[str, list[RatingStat]] = {"CATEGORY": [], "ADVISOR": []}
        for item in response.get("Items", []):
            _, group, key = str(item["sk"]).split("#", 2)
            count = int(item["rating_count"])  # type: ignore[arg-type]
            total = int(item["star_total"])  # type: ignore[arg-type]
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
        self._table.put_item(Item=item)

    def connection(self, connection_id: str) -> Connection | None:
        item = self._table.get_item(Key=connection_key(connection_id)).get("Item")
        return None if item is None else Connection.model_validate(item)

    def subscribe(self, connection_id: str, session_id: str) -> None:
        """Follow a chat: the connection remembers it, the chat lists the connection.

        A connection deleted meanwhile (its disconnect raced this) follows nothing: the
        condition keeps the update from making a partial connection item that no TTL
        or disconnect would ever delete.
        """
        try:
            self._table.update_item(
                Key=connection_key(connection_id),
                UpdateExpression="SET session_id = :id",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":id": session_id},
            )
        except Exception as error:
            if condition_failed(error):
                return
            raise
        self._table.update_item(
            Key=session_key(session_id),
            UpdateExpression="ADD connections :connection",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":connection": {connection_id}},
        )

    def unsubscribe(self, connection_id: str, session_id: str) -> None:
        try:
            self._table.update_item(
                Key=session_key(session_id),
                UpdateExpression="DELETE connections :connection",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":connection": {connection_id}},
            )
        except Exception as error:
            # A chat that no longer exists has no connection to forget.
            if not condition_failed(error):
                raise

    def forget_connection(self, connection_id: str) -> Connection | None:
        """Delete a connection; returns what it was (to unsubscribe it)."""
        response = self._table.delete_item(
            Key=connection_key(connection_id), ReturnValues="ALL_OLD"
        )
        item = response.get("Attributes")
        return None if not item else Connection.model_validate(item)
