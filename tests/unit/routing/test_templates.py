"""The e-mails' templates: every one rendered for its event, subject and text pinned.

Each snapshot (tests/unit/routing/mail_snapshots/{case}.txt) is the subject, a blank
line and the text body, as the reader gets them; a change of wording shows up as a
diff to review. `UPDATE_MAIL_SNAPSHOTS=1 pytest tests/unit/routing/test_templates.py`
rewrites them after a deliberate change.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.routing.mail import OutgoingMail, header_text
from chalicelib.routing.notify import Links
from chalicelib.routing.templates import TEMPLATES, MailFacts, TemplateName, render
from chalicelib.tickets.lifecycle import RESOLVED_TEXT, UNANSWERED_TEXT
from chalicelib.tickets.records import (
    SYSTEM,
    Actor,
    EmitterOrganisation,
    EventKind,
    TicketEvent,
    TicketRecord,
    TicketStatus,
)
from tests.fakes.context import FAKE_SETTINGS
from tests.fakes.secrets import FixedKey
from tests.records import MAIRIE, SUPPORT

SNAPSHOTS = Path(__file__).parent / "mail_snapshots"
NOW = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
TICKET_ID = "0123456789abcdef0123456789abcdef"
ALICE = Actor(user_id="alice", name="Alice Martin", role="emitter")
MARC = Actor(user_id="marc", name="Marc Petit", role="agent")
SOPHIE = Actor(user_id="sophie", name="Sophie Bernard", role="agent")
PAUL = Actor(name="paul.durand@example.fr", role="emitter")


def ticket(help_request: bool = False, **changes: object) -> TicketRecord:
    data: dict[str, object] = {
        "ticket_id": TICKET_ID,
        "reference": "T-2026-000042",
        "status": "submitted",
        "emitter_user_id": "alice",
        "emitter_name": "Alice Martin",
        "organisation": EmitterOrganisation(
            id="org-boulangerie-martin", designation="Boulangerie Martin SARL"
        ),
        "category": "FACTURE",
        "subcategory": "M21",
        "object_number": "FA-2026-0002",
        "title": "Contestation du rejet de FA-2026-0002",
        "description": "Le numéro d'engagement figurait sur le bon de commande.",
        "contact_email": "alice.martin@boulangerie-martin.example.fr",
        "recipient": MAIRIE,
        "created_at": NOW,
        "updated_at": NOW,
    }
    if help_request:
        data.update(
            channel="help_request",
            emitter_user_id=None,
            emitter_name="paul.durand@example.fr",
            organisation=None,
            category="CONNEXION",
            subcategory="S02",
            object_number=None,
            title="Mot de passe refusé",
            contact_email="paul.durand@example.fr",
            recipient=SUPPORT,
        )
    data.update(changes)
    return TicketRecord.model_validate(data)


def event(kind: EventKind, by: Actor, status: TicketStatus, text: str | None = None) -> TicketEvent:
    return TicketEvent(
        event_id="e1", ticket_id=TICKET_ID, kind=kind, at=NOW, by=by, status=status, text=text
    )


def facts(record: TicketRecord, happened: TicketEvent | None, agents: bool = False) -> MailFacts:
    links = Links(FAKE_SETTINGS, FixedKey())
    if agents:
        return MailFacts(record, happened, links.for_agents(record), FAKE_SETTINGS)
    link, follow = links.for_emitter(record, NOW)
    return MailFacts(record, happened, link, FAKE_SETTINGS, follow_link=follow)


ASKED = "Pouvez-vous joindre le bon de commande signé ?\nMerci."
CASES: dict[str, tuple[TemplateName, MailFacts]] = {
    "acknowledgement-ticket": (
        "acknowledgement",
        facts(ticket(), event("submitted", ALICE, "submitted")),
    ),
    "acknowledgement-help-request": (
        "acknowledgement",
        facts(ticket(help_request=True), event("submitted", PAUL, "submitted")),
    ),
    "information-asked": (
        "information_asked",
        facts(ticket(), event("replied", MARC, "waiting_for_user", ASKED)),
    ),
    "information-asked-help-request": (
        "information_asked",
        facts(ticket(help_request=True), event("replied", SOPHIE, "waiting_for_user", ASKED)),
    ),
    "resolved": (
        "resolved",
        facts(ticket(), event("replied", MARC, "resolved", "Le rejet est levé.")),
    ),
    "transferred": (
        "transferred",
        facts(
            ticket(recipient=SUPPORT),
            event("transferred", MARC, "submitted", "Question sur le portail."),
        ),
    ),
    "reminder": ("reminder", facts(ticket(), event("reminded", SYSTEM, "waiting_for_user"))),
    "closed-by-the-emitter": ("closed", facts(ticket(), event("closed", ALICE, "closed"))),
    "closed-unanswered": (
        "closed",
        facts(
            ticket(help_request=True),
            event(
                "closed",
                SYSTEM,
                "closed",
                UNANSWERED_TEXT,
            ),
        ),
    ),
    "closed-after-resolution": (
        "closed",
        facts(
            ticket(),
            event("closed", SYSTEM, "closed", RESOLVED_TEXT.format(days=7)),
        ),
    ),
    "user-answered": (
        "user_answered",
        facts(ticket(), event("commented", ALICE, "in_progress", "Voici le bon."), agents=True),
    ),
    "reopened": (
        "reopened",
        facts(ticket(), event("reopened", ALICE, "in_progress", "Toujours rejetée."), True),
    ),
    "closed-by-emitter-for-the-agent": (
        "closed_by_emitter",
        facts(ticket(), event("closed", ALICE, "closed"), agents=True),
    ),
    "new-ticket": ("new_ticket", facts(ticket(), None, agents=True)),
    "transferred-in": (
        "transferred_in",
        facts(ticket(recipient=SUPPORT, dispatch_seq=2), None, agents=True),
    ),
}


def snapshot(mail: OutgoingMail) -> str:
    return f"{mail.subject}\n\n{mail.text}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_template_renders_its_event_as_pinned(case: str) -> None:
    name, mail_facts = CASES[case]

    mail = render(name, mail_facts, "someone@example.fr")

    path = SNAPSHOTS / f"{case}.txt"
    if os.environ.get("UPDATE_MAIL_SNAPSHOTS"):
        path.write_text(snapshot(mail), encoding="utf-8")
    assert snapshot(mail) == path.read_text(encoding="utf-8")


def test_every_template_has_a_pinned_case() -> None:
    assert {name for name, _ in CASES.values()} == set(TEMPLATES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_html_says_what_the_text_says_with_the_same_link(case: str) -> None:
    name, mail_facts = CASES[case]

    mail = render(name, mail_facts, "someone@example.fr")

    text_links = re.findall(r"https?://\S+", mail.text)
    assert text_links and all(link.replace("&", "&amp;") in mail.html for link in text_links)
    assert mail.html.startswith('<!doctype html><html lang="fr">')
    assert "Bonjour," in mail.html


def test_what_a_person_typed_is_escaped_in_the_html() -> None:
    hostile = ticket(title='<img src=x onerror="alert(1)">')
    said = event("replied", MARC, "resolved", "<script>alert(1)</script> & co")

    mail = render("resolved", facts(hostile, said), "a@example.fr")

    assert "<script>" not in mail.html and "<img" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in mail.html


@pytest.mark.parametrize(
    ("typed", "header"),
    [
        ("Facture\r\nBcc: victime@example.fr", "Facture Bcc: victime@example.fr"),
        ("Tit\x1b[31mre", "Tit [31mre"),
        ("\u202eelbatrop\u202c droit", "elbatrop droit"),
        ("zéro\u200blargeur\u2066isolé\u2069", "zérolargeurisolé"),
        ("  espaces\tet\u2028lignes  ", "espaces et lignes"),
    ],
)
def test_headers_lose_control_and_format_characters(typed: str, header: str) -> None:
    assert header_text(typed) == header
