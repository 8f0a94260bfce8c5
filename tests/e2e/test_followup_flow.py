"""Over HTTP on the local stack: a help request's acknowledgement reaches the local mailbox
(through the stream, the notifications queue and its consumer, run by the pump), and its
follow-up link works: the portal serves the page, the API opens the request with the token.
The token appears nowhere in the stack's output (chalice local, the pump, moto)."""

from __future__ import annotations

import time
import urllib.request
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.e2e.stack import LocalStack

MAIL_TIMEOUT_SECONDS = 15.0


def acknowledgement(stack: LocalStack, email: str) -> dict[str, Any]:
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while True:
        status, mails = stack.request("GET", f"/local/mailbox?to={email}")
        assert status == 200, mails
        if mails:
            return dict(mails[0])
        assert time.monotonic() < deadline, "no acknowledgement in the local mailbox"
        time.sleep(0.25)


def test_a_help_requests_acknowledgement_is_in_the_mailbox_with_a_working_link(
    local_stack: LocalStack,
) -> None:
    email = f"e2e.{uuid.uuid4().hex[:8]}@exemple.fr"
    status, accepted = local_stack.request(
        "POST",
        "/help/requests",
        {
            "problem": "locked",
            "category": "CONNEXION",
            "subcategory": "S03",
            "email": email,
            "email_confirmation": email,
            "title": "Compte bloqué",
            "description": "Mon compte est bloqué après trois essais.",
        },
    )
    assert status == 201, accepted

    mail = acknowledgement(local_stack, email)

    reference = accepted["reference"]
    assert mail["subject"] == f"[{reference}] Votre demande d'aide a bien été reçue"
    link = next(word for word in mail["text"].split() if "/support/suivi#" in word)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == local_stack.web_url
    fragment = parse_qs(parts.fragment)
    assert fragment["reference"] == [reference]
    with urllib.request.urlopen(local_stack.web_url + parts.path, timeout=10) as page:
        assert page.status == 200
        assert "text/html" in page.headers["Content-Type"]
    token = fragment["jeton"][0]
    status, request = local_stack.request(
        "GET", f"/help/requests/{reference}", headers={"X-Follow-Token": token}
    )
    assert status == 200, request
    assert (request["reference"], request["title"]) == (reference, "Compte bloqué")
    assert token not in local_stack.output()
