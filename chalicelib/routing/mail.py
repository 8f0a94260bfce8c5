"""E-mail through SES: the recipient team when a ticket arrives, the emitter when it is answered."""

from __future__ import annotations

import unicodedata
from typing import Any, Protocol

# Control (Cc: CR, LF, ESC...), format (Cf: bidi overrides and isolates, zero-width
# characters) and line or paragraph separators (Zl, Zp): none belongs in a header.
_NOT_IN_HEADERS = frozenset({"Cc", "Cf", "Zl", "Zp"})


def header_text(text: str) -> str:
    """`text` fit for an e-mail header: no control or format characters, one line.

    Titles are the emitter's words: a CR/LF would start a header of its own, an
    ESC or a bidi override would disguise the subject in the team's mail client.
    Each such character becomes a space, then runs of whitespace collapse.
    """
    kept = "".join(" " if unicodedata.category(char) in _NOT_IN_HEADERS else char for char in text)
    return " ".join(kept.split())


class Mailer(Protocol):
    """Sends plain-text mail (SES, or a fake that keeps what it was given)."""

    def send(self, to: str, subject: str, text: str) -> None: ...


class SesMailer:
    """Sends plain-text mail from the service's verified sender."""

    def __init__(self, ses_client: Any, sender: str) -> None:
        self._ses = ses_client
        self._sender = sender

    def send(self, to: str, subject: str, text: str) -> None:
        self._ses.send_email(
            Source=self._sender,
            Destination={"ToAddresses": [header_text(to)]},
            Message={
                "Subject": {"Data": header_text(subject), "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
            },
        )
