"""Who may act on a chat, for every actor of the demo data and every kind of session token.

Expected parts are written down per actor: "user", "advisor", or None for the 404
of a chat that does not exist for them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.auth import BUSINESS_AGENTS, SUPPORT_AGENTS, Identity
from chalicelib.livechat.access import (
    Caller,
    hash_token,
    load,
    participant,
    require_advisor_of,
)
from chalicelib.livechat.models import ChatSession
from chalicelib.shared.errors import ForbiddenError, NotFoundError

OPENED = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TOKEN_A = "k4Vq0m2Yp7c1Xw9Lr5Nt8Bz3Hd6Fs0Gj2Ue4Ia7Ox1"
TOKEN_B = "Zr8Pq3Lm1Xc6Vb9Nw2Ke5Hd7Fs4Gt0Yj3Ua8Io6Ep2"

ACTORS: dict[str, Identity] = {
    "alice": Identity(user_id="alice"),
    "claire": Identity(user_id="claire"),
    "bruno": Identity(user_id="bruno"),
    "sophie": Identity(user_id="sophie", roles=frozenset({SUPPORT_AGENTS})),
    "paul": Identity(user_id="paul", roles=frozenset({SUPPORT_AGENTS})),
    "marc": Identity(user_id="marc", roles=frozenset({BUSINESS_AGENTS})),
}


def chat(session_id: str, **fields: Any) -> ChatSession:
    return ChatSession(
        session_id=session_id, status="active", category="CONNEXION", created_at=OPENED, **fields
    )


ALICES_CHAT = chat("chat-alice", user_id="alice", advisor_id="sophie")
ANONYMOUS_A = chat("chat-a", token_hash=hash_token(TOKEN_A), advisor_id="sophie")
ANONYMOUS_B = chat("chat-b", token_hash=hash_token(TOKEN_B))


def part(session: ChatSession, caller: Caller) -> str | None:
    try:
        return participant(session, caller)
    except NotFoundError as refused:
        assert refused.detail == "Conversation introuvable."
        return None


# (actor, their part in alice's chat)
IN_ALICES_CHAT = [
    ("alice", "user"),
    ("claire", None),
    ("bruno", None),
    ("sophie", "advisor"),
    ("paul", "advisor"),
    ("marc", None),
]


@pytest.mark.parametrize(("actor", "expected"), IN_ALICES_CHAT)
def test_each_demo_actor_has_their_part_in_a_logged_in_users_chat(
    actor: str, expected: str | None
) -> None:
    assert part(ALICES_CHAT, Caller(ACTORS[actor])) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (TOKEN_A, "user"),
        (TOKEN_B, None),
        (TOKEN_A[:-1] + "2", None),
        (TOKEN_A.upper(), None),
        (hash_token(TOKEN_A), None),
        ("", None),
        (None, None),
    ],
    ids=[
        "its-token",
        "another-chats-token",
        "one-char-off",
        "case-changed",
        "the-hash",
        "empty",
        "none",
    ],
)
def test_only_its_own_session_token_opens_an_anonymous_chat(
    token: str | None, expected: str | None
) -> None:
    assert part(ANONYMOUS_A, Caller(None, token)) == expected


def test_any_session_token_is_refused_on_a_chat_opened_by_a_logged_in_user() -> None:
    for token in (TOKEN_A, TOKEN_B, ""):
        assert part(ALICES_CHAT, Caller(None, token)) is None


@pytest.mark.parametrize(("actor", "expected"), IN_ALICES_CHAT)
def test_logged_in_users_are_strangers_to_an_anonymous_chat_but_advisors(
    actor: str, expected: str | None
) -> None:
    anonymous_expected = "advisor" if expected == "advisor" else None

    assert part(ANONYMOUS_A, Caller(ACTORS[actor])) == anonymous_expected
    assert part(ANONYMOUS_A, Caller(ACTORS[actor], TOKEN_B)) == anonymous_expected


def test_the_right_token_makes_a_logged_in_caller_the_chats_user() -> None:
    assert part(ANONYMOUS_A, Caller(ACTORS["claire"], TOKEN_A)) == "user"
    assert part(ANONYMOUS_A, Caller(ACTORS["sophie"], TOKEN_A)) == "user"


def test_only_the_advisor_who_accepted_may_act_as_its_advisor() -> None:
    assert require_advisor_of(ANONYMOUS_A, ACTORS["sophie"]) == ACTORS["sophie"]
    for caller in (ACTORS["paul"], ACTORS["alice"], None):
        with pytest.raises(
            ForbiddenError, match=r"^Cette conversation est suivie par un autre conseiller\.$"
        ):
            require_advisor_of(ANONYMOUS_A, caller)
    with pytest.raises(
        ForbiddenError, match=r"^Cette conversation est suivie par un autre conseiller\.$"
    ):
        require_advisor_of(ANONYMOUS_B, ACTORS["sophie"])


def test_a_chat_that_does_not_exist_is_a_404() -> None:
    class Store:
        def session(self, session_id: str) -> ChatSession | None:
            return ALICES_CHAT if session_id == "chat-alice" else None

    assert load(Store(), "chat-alice") == ALICES_CHAT  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match=r"^Conversation introuvable\.$"):
        load(Store(), "chat-nowhere")  # type: ignore[arg-type]


def test_the_stored_hash_is_the_sha256_of_the_token() -> None:
    assert hash_token("abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
