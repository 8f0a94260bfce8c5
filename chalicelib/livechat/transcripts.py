"""The assistant conversation a chat comes from: its transcript, for the advisor.

The link is loose on purpose: the assistant (another area) owns the
conversations table, and this one function reads it. Assumed items
(the lead adapts this function if the assistant's shape differs):

  CONV#{id} / META       {"user_id": "alice"}  (absent or null for anonymous conversations)
  CONV#{id} / MSG#{...}  {"author": "user"|"assistant", "text": "..."}, sort keys in order

A conversation that does not exist, or belongs to another user, gives no
transcript (the chat works without it); an anonymous conversation is
attached for whoever holds its id, as the assistant's contract says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.auth import Identity
from chalicelib.livechat.models import TranscriptLine

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

MAX_LINES = 200


def conversation_transcript(
    table: Table, conversation_id: str, identity: Identity | None
) -> list[TranscriptLine] | None:
    """The conversation's messages in order (one Query), or None when it is not the caller's."""
    response = table.query(
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": f"CONV#{conversation_id}"},
        Limit=MAX_LINES + 1,
    )
    items = response.get("Items", [])
    meta = next((item for item in items if item.get("sk") == "META"), None)
    if meta is None:
        return None
    owner = meta.get("user_id")
    if owner and (identity is None or identity.user_id != owner):
        return None
    lines = []
    for item in items:
        if str(item.get("sk", "")).startswith("MSG#") and item.get("author") in (
            "user",
            "assistant",
        ):
            lines.append(TranscriptLine(author=item["author"], text=str(item.get("text", ""))))
    return lines


def get_transcript_source() -> Callable[[str, Identity | None], list[TranscriptLine] | None]:
    """`conversation_transcript` bound to the conversations table."""
    from chalicelib import aws
    from chalicelib.config import get_settings

    table = aws.table(get_settings().conversations_table)
    return lambda conversation_id, identity: conversation_transcript(
        table, conversation_id, identity
    )
