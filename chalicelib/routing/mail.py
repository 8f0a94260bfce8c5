"""E-mail through SES: the recipient team when a ticket arrives, the emitter when it is answered."""

from __future__ import annotations

from typing import Any, Protocol


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
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
            },
        )
