"""E-mail: one message (text and HTML), the rule for headers, SES, and the local mailbox.

Every e-mail the service sends goes through a `Mailer`, which is where headers are
made safe: a subject carries a ticket's title, which a person typed, so control and
format characters (CR and LF that would start another header, ESC, the bidi
overrides that make a subject read backwards, zero-width characters) are removed
from every text that goes into a header, here and nowhere else.

In the local stage the mailer also keeps each e-mail in the mailbox
(chalicelib/routing/mailbox.py, `KeepingMailer`) that `GET /local/mailbox` and the portal's
`/local/mailbox` page show, as Mailpit would.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Protocol

from chalicelib.shared.models import Model

# Unicode categories removed from headers: format characters (bidi controls, zero
# width...); control characters and line or paragraph separators become spaces.
REMOVED = frozenset({"Cf"})
SPACED = frozenset({"Cc", "Zl", "Zp"})


def header_text(value: str) -> str:
    """`value` fit for a header: no control or format character, spaces collapsed."""
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category in REMOVED:
            continue
        kept.append(" " if category in SPACED else char)
    return " ".join("".join(kept).split())


class OutgoingMail(Model):
    """One e-mail to one person: a subject, a text body and the same in HTML."""

    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    """Sends e-mail (SES; in tests a fake that keeps what it was given)."""

    def send(self, mail: OutgoingMail) -> None: ...


class SesMailer:
    """Sends e-mail from the service's verified sender, text and HTML."""

    def __init__(self, ses_client: Any, sender: str) -> None:
        self._ses = ses_client
        self._sender = sender

    def send(self, mail: OutgoingMail) -> None:
        self._ses.send_email(
            Source=self._sender,
            Destination={"ToAddresses": [header_text(mail.to)]},
            Message={
                "Subject": {"Data": header_text(mail.subject), "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": mail.text, "Charset": "UTF-8"},
                    "Html": {"Data": mail.html, "Charset": "UTF-8"},
                },
            },
        )
