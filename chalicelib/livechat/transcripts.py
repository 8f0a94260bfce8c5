"""The assistant conversation a chat comes from: its transcript, for the advisor.

The assistant owns its conversations and decides who may read one
(`chalicelib.assistant.dialogue.get_transcript`: the owner of a logged-in
conversation, whoever holds the id of an anonymous one). A conversation that
does not exist or is not the caller's gives no transcript; the chat works
without it.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.auth import Identity
from chalicelib.livechat.models import TranscriptLine
from chalicelib.livechat.sessions import TranscriptSource
from chalicelib.shared.errors import NotFoundError


def get_transcript_source(now: datetime) -> TranscriptSource:
    """The caller's assistant transcripts, read through the assistant's store (one GetItem)."""
    from chalicelib.assistant.dialogue import get_transcript
    from chalicelib.assistant.store import get_conversation_store

    store = get_conversation_store()

    def transcript(conversation_id: str, identity: Identity | None) -> list[TranscriptLine] | None:
        try:
            entries = get_transcript(store, conversation_id, identity, now)
        except NotFoundError:
            return None
        return [TranscriptLine(author=entry.author, text=entry.text) for entry in entries]

    return transcript
