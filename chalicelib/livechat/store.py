"""The livechat table: the only LiveChat code that talks to DynamoDB.

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
  RATINGS / RATING#{rated_at}#{id}     a rating, newest last
  RATINGS / STATS#{CATEGORY|ADVISOR}#{key}  running count and total of stars (averages
                                       without reading every rating)

A message is one GetItem (the session, for authorisation) and one transaction:
the session's `last_seq` goes from n to n+1 under a condition and the message
MSG#{n+1} is put with it, so a poller reading `?after=n` can never see n+2
before n+1. Accept, close and the closing notice are the same transaction with
more changes to the session.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.livechat.calendar import DayRule, Transition
from chalicelib.livechat.models import (
    ChatMessage,
    ChatSession,
    Connection,
    RatingRecord,
    RatingStat,
    SessionStatus,
)
from chalicelib.shared import dynamo
from chalicelib.shared.dynamo import DynamoTransaction, Transaction
from chalicelib.shared.pagination import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

CALENDAR = "CALENDAR"
DAY_RULES = "DAY_RULES"
QUEUE = "QUEUE"
RATINGS = "RATINGS"
META = "META"
CONNECTION_TTL_SECONDS = 4 * 3600
# Chats and their messages are kept a year, then DynamoDB's TTL removes them.
SESSION_TTL_SECONDS = 365 * 24 * 3600


class ConcurrentChangeError(Exception):
    """The session changed between its read and the write (retry, or report its new state)."""


def session_key(session_id: str) -> dict[str, str]:
    return {"pk": f"SESSION#{session_id}", "sk": META}


def _message_sk(seq: int) -> str:
    return f"MSG#{seq:08d}"


class LiveChatStore:
    """Reads and writes the livechat table."""

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
        """Write a transition once; False when it was already recorded."""
        from botocore.exceptions import ClientError

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
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
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
        return None if item is None else _session_from_item(item)

    def open_session_id(self, user_id: str) -> str | None:
        """The user's waiting or active chat, if any."""
        item = self._table.get_item(
            Key={"pk": f"USER#{user_id}", "sk": "OPEN_SESSION"}, ConsistentRead=True
        ).get("Item")
        return None if item is None else str(item["session_id"])

    def create_in(self, tx: Transaction, session: ChatSession) -> None:
        """Add to `tx` a new waiting chat ("session") and its user's one-open-chat lock ("lock").

        The lock's condition fails when the user already has a waiting or active chat.
        """
        assert isinstance(tx, DynamoTransaction)
        item = _session_item(session)
        item.update(_queue_keys(session))
        item["expires_at"] = int(session.created_at.timestamp()) + SESSION_TTL_SECONDS
        tx.put("session", self.name, item, condition="attribute_not_exists(pk)")
        if session.user_id is not None:
            lock = {
                "pk": f"USER#{session.user_id}",
                "sk": "OPEN_SESSION",
                "session_id": session.session_id,
            }
            tx.put("lock", self.name, lock, condition="attribute_not_exists(pk)")

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
            sessions.extend(_session_from_item(item) for item in response.get("Items", []))
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
        return [_session_from_item(item) for item in response.get("Items", [])]

    def write_event(
        self,
        session: ChatSession,
        message: ChatMessage,
        *,
        allowed: tuple[SessionStatus, ...],
        changes: dict[str, Any] | None = None,
        removals: tuple[str, ...] = (),
        extra: list[dict[str, Any]] | None = None,
    ) -> None:
        """Append `message` (seq = last_seq + 1) and apply `changes` to the session, atomically.

        Raises ConcurrentChangeError when the session moved on since it was read.
        """
        values: dict[str, Any] = {
            ":seq": message.seq,
            ":previous": session.last_seq,
            **{f":s{index}": status for index, status in enumerate(allowed)},
        }
        names = {"#status": "status"}
        assignments = ["last_seq = :seq"]
        for index, (attribute, value) in enumerate((changes or {}).items()):
            names[f"#c{index}"] = attribute
            values[f":c{index}"] = value
            assignments.append(f"#c{index} = :c{index}")
        expression = "SET " + ", ".join(assignments)
        if removals:
            expression += " REMOVE " + ", ".join(removals)
        statuses = ", ".join(f":s{index}" for index in range(len(allowed)))
        update = {
            "Update": {
                "TableName": self.name,
                "Key": dynamo.serialize(session_key(session.session_id)),
                "UpdateExpression": expression,
                "ConditionExpression": f"last_seq = :previous AND #status IN ({statuses})",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": dynamo.serialize(values),
            }
        }
        message_item = {
            "pk": f"SESSION#{session.session_id}",
            "sk": _message_sk(message.seq),
            "expires_at": int(session.created_at.timestamp()) + SESSION_TTL_SECONDS,
            **message.model_dump(mode="json", exclude_none=True),
        }
        codes = self._transact([update, dynamo.put(self.name, message_item), *(extra or [])])
        if codes is not None:
            raise ConcurrentChangeError(",".join(codes))

    def release_lock(self, user_id: str, session_id: str) -> dict[str, Any]:
        """The transaction item that frees a user's one-open-chat lock."""
        return {
            "Delete": {
                "TableName": self.name,
                "Key": dynamo.serialize({"pk": f"USER#{user_id}", "sk": "OPEN_SESSION"}),
                "ConditionExpression": "attribute_not_exists(pk) OR session_id = :id",
                "ExpressionAttributeValues": dynamo.serialize({":id": session_id}),
            }
        }

    def messages(self, session_id: str, after: int, limit: int) -> list[ChatMessage]:
        response = self._table.query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={
                ":pk": f"SESSION#{session_id}",
                ":first": _message_sk(after + 1),
                ":last": _message_sk(99_999_999),
            },
            Limit=limit,
        )
        return [ChatMessage.model_validate(item) for item in response.get("Items", [])]

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """Run a transaction; None when it succeeded, else the per-item cancellation codes."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as error:
            return dynamo.cancellation_codes(error)
        return None

    # Ratings -----------------------------------------------------------------

    def rate(self, session: ChatSession, record: RatingRecord) -> bool:
        """Store a rating once (on the session, in the list, in the averages); False if rated."""
        rating = {"stars": record.stars, "comment": record.comment, "rated_at": record.rated_at}
        update = {
            "Update": {
                "TableName": self.name,
                "Key": dynamo.serialize(session_key(session.session_id)),
                "UpdateExpression": "SET rating = :rating",
                "ConditionExpression": "attribute_not_exists(rating) AND #status = :closed",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": dynamo.serialize(
                    {":rating": _json(rating), ":closed": "closed"}
                ),
            }
        }
        item = {
            "pk": RATINGS,
            "sk": f"RATING#{utc_key(record.rated_at)}#{record.session_id}",
            **record.model_dump(mode="json", exclude_none=True),
        }
        stats = [self._add_to_stat(f"STATS#CATEGORY#{record.category}", record.stars)]
        if record.advisor_id:
            stats.append(self._add_to_stat(f"STATS#ADVISOR#{record.advisor_id}", record.stars))
        codes = self._transact([update, dynamo.put(self.name, item), *stats])
        if codes is None:
            return True
        if codes[0] == "ConditionalCheckFailed":
            return False
        raise ConcurrentChangeError(",".join(codes))

    def _add_to_stat(self, sk: str, stars: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.name,
                "Key": dynamo.serialize({"pk": RATINGS, "sk": sk}),
                "UpdateExpression": "ADD rating_count :one, star_total :stars",
                "ExpressionAttributeValues": dynamo.serialize({":one": 1, ":stars": stars}),
            }
        }

    def ratings(self, limit: int, cursor: str | None) -> tuple[list[RatingRecord], str | None]:
        """Ratings, newest first, one page."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": RATINGS, ":prefix": "RATING#"},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor, {"pk": RATINGS})
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
            "pk": f"CONN#{connection.connection_id}",
            "sk": META,
            "expires_at": int(connection.connected_at.timestamp()) + CONNECTION_TTL_SECONDS,
            **connection.model_dump(mode="json", exclude_none=True),
        }
        self._table.put_item(Item=item)

    def connection(self, connection_id: str) -> Connection | None:
        item = self._table.get_item(Key={"pk": f"CONN#{connection_id}", "sk": META}).get("Item")
        return None if item is None else Connection.model_validate(item)

    def subscribe(self, connection_id: str, session_id: str) -> None:
        """Follow a chat: the connection remembers it, the chat lists the connection."""
        self._table.update_item(
            Key={"pk": f"CONN#{connection_id}", "sk": META},
            UpdateExpression="SET session_id = :id",
            ExpressionAttributeValues={":id": session_id},
        )
        self._table.update_item(
            Key=session_key(session_id),
            UpdateExpression="ADD connections :connection",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":connection": {connection_id}},
        )

    def unsubscribe(self, connection_id: str, session_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key=session_key(session_id),
                UpdateExpression="DELETE connections :connection",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":connection": {connection_id}},
            )
        except ClientError as error:
            # A chat that no longer exists has no connection to forget.
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def forget_connection(self, connection_id: str) -> Connection | None:
        """Delete a connection; returns what it was (to unsubscribe it)."""
        response = self._table.delete_item(
            Key={"pk": f"CONN#{connection_id}", "sk": META}, ReturnValues="ALL_OLD"
        )
        item = response.get("Attributes")
        return None if not item else Connection.model_validate(item)


def utc_key(instant: datetime) -> str:
    """An instant as a fixed-width UTC string, so sort keys order by time."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items() if item is not None}
    return value


def _queue_keys(session: ChatSession) -> dict[str, str]:
    created = utc_key(session.created_at)
    return {"gsi1pk": QUEUE, "gsi1sk": f"{session.category}#{created}#{session.session_id}"}


def advisor_keys(session: ChatSession, advisor_id: str, accepted_at: datetime) -> dict[str, str]:
    return {
        "gsi2pk": f"ADVISOR#{advisor_id}",
        "gsi2sk": f"{utc_key(accepted_at)}#{session.session_id}",
    }


def _session_item(session: ChatSession) -> dict[str, Any]:
    data = session.model_dump(mode="json", exclude_none=True, exclude={"connections"})
    if not data.get("transcript"):
        data.pop("transcript", None)
    return {**session_key(session.session_id), **data}


def _session_from_item(item: dict[str, Any]) -> ChatSession:
    data = {key: value for key, value in item.items() if not key.startswith(("pk", "sk", "gsi"))}
    data.pop("expires_at", None)
    return ChatSession.model_validate(data)


def get_store() -> LiveChatStore:
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    return LiveChatStore(aws.table(get_settings().livechat_table), aws.client("dynamodb"))
