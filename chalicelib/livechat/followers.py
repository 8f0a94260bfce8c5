"""The advisors' WebSocket connections that follow the queue (deployed stages).

One item, QUEUE / FOLLOWERS, lists them in a string set: a chat joining or
leaving the queue costs one GetItem to find whom to tell, then one
`post_to_connection` each (livechat/push.py). A connection is added when an
advisor's console sends `{"action": "follow_queue"}`, removed on $disconnect or
when API Gateway reports it gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.livechat.keys import QUEUE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

FOLLOWERS_KEY = {"pk": QUEUE, "sk": "FOLLOWERS"}


class QueueFollowers:
    """The connections to tell when the queue changes, in the livechat table."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def follow(self, connection_id: str) -> None:
        self._table.update_item(
            Key=FOLLOWERS_KEY,
            UpdateExpression="ADD connections :connection",
            ExpressionAttributeValues={":connection": {connection_id}},
        )

    def unfollow(self, connection_id: str) -> None:
        self._table.update_item(
            Key=FOLLOWERS_KEY,
            UpdateExpression="DELETE connections :connection",
            ExpressionAttributeValues={":connection": {connection_id}},
        )

    def connections(self) -> list[str]:
        item = self._table.get_item(Key=FOLLOWERS_KEY).get("Item") or {}
        return sorted(str(c) for c in item.get("connections", set()))  # type: ignore[union-attr]
