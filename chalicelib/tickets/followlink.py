"""The follow-up link of a help request: a capability token, signed, bound to one request.

A person who sent a help request without an account has no session to follow it
with. Each e-mail about the request links to the portal's `/support/suivi`, with
the request's reference and a token in the URL's *fragment* (`#reference=…&jeton=…`):
a browser never sends a fragment to a server, so the token reaches no access log,
no CDN log and no Referer; the page sends it in the `X-Follow-Token` header.

The token is 53 bytes in base64url (71 characters):

    version (1) | ticket id (16, the uuid) | expiry (4, epoch seconds) | HMAC-SHA256 (32)

the HMAC keyed with a random secret (Secrets Manager, read once per process) over a
domain label, the version, the ticket id, the request's *reference* and the expiry.
So a token is bound to one request (another reference, or another request's token,
does not verify), expires (`FOLLOW_LINK_DAYS`, 90 by default, from the e-mail that
carried it: each e-mail carries a fresh one), and nothing of it is stored: the mail
consumer mints it when it writes an e-mail, the API recomputes the MAC. A closed
request's tokens stop working too: the check reads the ticket, and a closed one is
a 404 (`chalicelib/tickets/anonymous.py`).

Why an HMAC rather than a stored hash: the e-mails are written by a queue consumer,
long after the request; a stored hash would mean either the token in clear in the
queue or the table until the mail goes, or a write per e-mail. With a key, any
e-mail can carry a link, a forged token is refused without reading DynamoDB, and
rotating the secret revokes every link at once (the version byte leaves room for
a second key during a rotation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from datetime import UTC, datetime
from typing import Protocol

VERSION = 1
DOMAIN = b"guichet/follow-link"
MAC_BYTES = 32
TOKEN_BYTES = 1 + 16 + 4 + MAC_BYTES
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{71}$")
FOLLOW_TOKEN_HEADER = "x-follow-token"


class FollowKey(Protocol):
    """The secret the follow-up links are signed with (Secrets Manager, or a fake)."""

    def key(self) -> bytes:
        """The key's bytes (the same on every call)."""
        ...


class FollowToken:
    """What a valid token says: the request it opens, and until when."""

    __slots__ = ("expires_at", "ticket_id")

    def __init__(self, ticket_id: str, expires_at: datetime) -> None:
        self.ticket_id = ticket_id
        self.expires_at = expires_at


def _mac(key: bytes, ticket: bytes, reference: str, expires: int) -> bytes:
    message = b"|".join(
        [DOMAIN, bytes([VERSION]), ticket, reference.encode(), str(expires).encode()]
    )
    return hmac.new(key, message, hashlib.sha256).digest()


def mint(key: bytes, ticket_id: str, reference: str, expires_at: datetime) -> str:
    """A token opening the request `reference` (ticket `ticket_id`) until `expires_at`."""
    ticket = bytes.fromhex(ticket_id)
    if len(ticket) != 16:
        raise ValueError("a follow-up link needs a ticket id of 32 hex digits")
    expires = int(expires_at.timestamp())
    raw = bytes([VERSION]) + ticket + struct.pack(">I", expires)
    raw += _mac(key, ticket, reference, expires)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read(key: bytes, token: str | None, reference: str, now: datetime) -> FollowToken | None:
    """The request a token opens, if it is well formed, signed for `reference` with this
    key, and not expired at `now`; None otherwise (which one is never said)."""
    if token is None or not TOKEN_PATTERN.match(token):
        return None
    raw = base64.urlsafe_b64decode(token + "==")
    if len(raw) != TOKEN_BYTES or raw[0] != VERSION:
        return None
    ticket, (expires,), mac = raw[1:17], struct.unpack(">I", raw[17:21]), raw[21:]
    if not hmac.compare_digest(mac, _mac(key, ticket, reference, expires)):
        return None
    if expires <= int(now.timestamp()):
        return None
    return FollowToken(ticket.hex(), datetime.fromtimestamp(expires, UTC))
