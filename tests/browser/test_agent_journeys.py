"""The agents' portal in Chromium: sophie's LiveChat console and reports, marc's desk.

Two browser contexts each time, one per person, as two people at two desks:
- alice starts a chat; sophie sees it in /agent/livechat, accepts it, answers;
  alice reads the answer, ends the chat and rates it; the rating, and a question
  ClaudIA did not understand a moment before (with `<script>` in it, shown as
  text), and the topic alice chose among those ClaudIA offered for an unsure
  question, are in sophie's /agent/rapports;
- marc finds alice's M21 ticket by searching FA-2026-0002, takes it, asks for
  information with a canned answer, writes an internal note; alice answers in her
  ticket's page; marc answers and resolves; alice sees the resolution and rates it,
  and marc finds the rating in his reports; the note
  was never on alice's pages nor in any e-mail; alice gets "Accès réservé" on
  the agents' pages.
axe-core runs on every agent page.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import CLAUDIA, PageWatch, accessibility, new_context, sign_in
from tests.e2e.stack import LocalStack

ALICE_LOGIN = "alice.martin@boulangerie-martin.example.fr"
NOTE = "Note interne du bureau : vérifier l'engagement juridique avec la comptabilité."
HOSTILE = "Quel temps fera-t-il à Brest <script>alert(1)</script> demain ?"
UNSURE = "le code à six chiffres arrive pas"


class Person:
    """One person's browser context and page, watched for errors."""

    def __init__(self, browser: Browser, stack: LocalStack, user: str) -> None:
        self.watch = PageWatch()
        self.context: BrowserContext = new_context(browser, viewport={"width": 1280, "height": 800})
        self.page: Page = self.context.new_page()
        self.page.on("console", self.watch.on_console)
        self.page.on("pageerror", lambda error: self.watch.errors.append(str(error)))
        self.page.on("dialog", self.watch.on_dialog)
        self.stack = stack
        sign_in(self.page, stack, user)

    def goto(self, path: str) -> Page:
        self.page.goto(self.stack.web_url + path)
        return self.page

    def close(self) -> None:
        self.context.close()
        assert self.watch.dialogs == [], "a JavaScript dialog opened"
        assert self.watch.errors == [], "the page raised errors"
        assert self.watch.csp_violations == [], "the CSP blocked something"


@pytest.fixture
def people(browser: Browser, stack: LocalStack) -> Iterator[dict[str, Any]]:
    opened: dict[str, Any] = {}

    def person(user: str) -> Person:
        opened[user] = Person(browser, stack, user)
        return opened[user]

    yield {"open": person}
    for one in opened.values():
        one.close()


def sent_mail(stack: LocalStack) -> list[dict[str, Any]]:
    """The e-mails moto's SES took (its model data: the local stack has no mailbox yet)."""
    with urllib.request.urlopen(stack.moto_url + "/moto-api/data.json", timeout=30) as response:
        data = json.loads(response.read())
    return list(data.get("ses", {}).get("Message", []))


def test_a_chat_from_queue_to_rating_and_claudias_gaps_reach_the_reports(
    people: dict[str, Any], stack: LocalStack
) -> None:
    alice, sophie = people["open"]("alice"), people["open"]("sophie")
    # alice asks ClaudIA something she cannot understand, then opens a chat.
    page = alice.goto("/support/livechat")
    page.get_by_role("button", name=CLAUDIA).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Votre question").fill(HOSTILE)
    dialog.get_by_role("button", name="Envoyer", exact=True).click()
    expect(dialog.get_by_role("button", name="Réponse pas utile").last).to_be_visible()
    # ... and something she is unsure of, then picks one of the topics she offers.
    dialog.get_by_label("Votre question").fill(UNSURE)
    dialog.get_by_role("button", name="Envoyer", exact=True).click()
    offered = dialog.get_by_role("group", name="Sujets proposés par ClaudIA")
    offered.get_by_role("button", name="La double authentification").click()
    expect(dialog.get_by_role("group", name="Sujets proposés par ClaudIA")).to_have_count(0)
    page.keyboard.press("Escape")
    page.get_by_label("Catégorie").select_option(label="Dépôt et suivi des factures")
    page.get_by_role("button", name="Démarrer la discussion").click()
    expect(page.get_by_text(re.compile(r"en position \d+ dans la file"))).to_be_visible()

    # sophie sees it waiting, with alice's login identifier, and accepts it.
    console = sophie.goto("/agent/livechat")
    waiting = console.get_by_role("listitem").filter(has_text=ALICE_LOGIN)
    accept = waiting.get_by_role("button", name="Accepter", exact=True)
    expect(accept).to_be_visible()
    expect(accept).to_have_accessible_description(re.compile(re.escape(ALICE_LOGIN)))
    expect(console.get_by_text(re.compile("En attente depuis"))).not_to_have_count(0)
    accessibility(console)
    accept.click()
    expect(console.get_by_role("heading", name=f"Discussion avec {ALICE_LOGIN}")).to_be_visible()
    expect(console.get_by_role("heading", name="Conversation avec ClaudIA")).to_be_visible()
    console.get_by_label("Votre message").fill(
        "Bonjour, Sophie du support : je regarde votre dépôt."
    )
    console.get_by_role("button", name="Envoyer", exact=True).click()
    expect(console.get_by_role("log").get_by_text("je regarde votre dépôt")).to_be_visible()
    # The chat becomes a ticket: its reference is told in the chat, alice finds it.
    console.get_by_role("button", name="Créer un ticket").click()
    made = console.get_by_text(re.compile(r"Ticket T-\d{4}-\d{6} créé"))
    expect(made).to_be_visible()
    reference = re.search(r"T-\d{4}-\d{6}", made.inner_text())
    assert reference is not None
    expect(console.get_by_role("log").get_by_text(reference.group(0))).to_be_visible()
    accessibility(console)

    # alice reads the answer, ends the chat and rates it.
    expect(page.get_by_role("log").get_by_text("je regarde votre dépôt")).to_be_visible()
    page.get_by_role("button", name="Terminer la discussion").click()
    page.get_by_text("4 étoiles", exact=True).click()
    page.get_by_label("Commentaire (facultatif)").fill("Console testée : merci Sophie.")
    page.get_by_role("button", name="Envoyer mon avis").click()
    expect(page.get_by_text("Merci pour votre avis")).to_be_visible()
    expect(console.get_by_text("Discussion terminée")).to_be_visible()
    mine = alice.goto("/support/mes-tickets")
    expect(mine.get_by_role("link", name=reference.group(0))).to_be_visible()

    # sophie's reports: the rating, and ClaudIA's gap shown as text.
    reports = sophie.goto("/agent/rapports")
    latest = reports.get_by_role("table", name="Les dernières notes reçues")
    expect(
        latest.get_by_role("row").filter(has_text="Console testée : merci Sophie.")
    ).to_contain_text("4 / 5")
    expect(
        latest.get_by_role("row").filter(has_text="Console testée : merci Sophie.")
    ).to_contain_text("Dépôt et suivi des factures")
    gaps = reports.get_by_role("table", name=re.compile("Questions que ClaudIA n’a pas comprises"))
    expect(gaps.get_by_text("<script>alert(1)</script>", exact=False)).to_be_visible()
    expect(
        reports.get_by_role("button", name=re.compile("Télécharger « Questions non comprises"))
    ).to_be_visible()
    chosen = reports.get_by_role("table", name=re.compile("Questions où ClaudIA hésitait"))
    expect(
        chosen.get_by_role("row").filter(has_text="le code a six chiffres arrive pas")
    ).to_contain_text("Double authentification (second facteur)")
    with reports.expect_download() as download:
        reports.get_by_role("button", name=re.compile("Télécharger « Dernières notes")).click()
    assert download.value.suggested_filename == "dernieres-notes.csv"
    accessibility(reports)


def test_marc_handles_alices_m21_ticket_and_his_note_stays_internal(
    people: dict[str, Any], stack: LocalStack
) -> None:
    status, created = stack.request(
        "POST",
        "/tickets",
        {
            "organisation_id": "org-boulangerie-martin",
            "category": "FACTURE",
            "subcategory": "M21",
            "object_number": "FA-2026-0002",
            "title": "Rejet de FA-2026-0002 contesté devant le bureau",
            "description": "Le numéro d'engagement figurait sur le bon de commande joint.",
        },
        user="alice",
    )
    assert status == 201, created
    reference, ticket_id = created["reference"], created["ticket_id"]
    alice, marc = people["open"]("alice"), people["open"]("marc")

    # alice is no agent: the desk is reserved.
    blocked = alice.goto("/agent/tickets")
    expect(blocked.get_by_role("heading", name="Accès réservé")).to_be_visible()
    accessibility(blocked)

    # marc writes a canned answer for his desk.
    answers = marc.goto("/agent/reponses-types")
    answers.get_by_label("Titre de la réponse type").fill("Numéro d'engagement")
    answers.get_by_label("Texte de la réponse type").fill(
        "Merci de nous indiquer le numéro d'engagement juridique de votre commande."
    )
    answers.get_by_role("button", name="Enregistrer la réponse type").click()
    expect(answers.get_by_role("heading", name="Numéro d'engagement")).to_be_visible()
    accessibility(answers)

    # marc finds the ticket by its N° Objet, takes it, asks for information.
    desk = marc.goto("/agent/tickets")
    accessibility(desk)
    desk.get_by_label("Rechercher").fill("FA-2026-0002")
    desk.get_by_role("button", name="Rechercher", exact=True).click()
    desk.get_by_role("link", name=reference).click()
    expect(desk.get_by_role("heading", level=1, name=re.compile(reference))).to_be_visible()
    desk.get_by_role("button", name="Prendre en charge").click()
    desk.get_by_label("Réponse type").select_option(label="Numéro d'engagement")
    desk.get_by_role("button", name="Insérer la réponse type").click()
    expect(desk.get_by_label("Votre réponse")).to_have_value(re.compile("numéro d'engagement"))
    desk.get_by_label("Nouvelle note interne").fill(NOTE)
    desk.get_by_role("button", name="Ajouter la note").click()
    expect(desk.get_by_text(NOTE)).to_be_visible()
    accessibility(desk)
    desk.get_by_label("Votre réponse").fill(
        "Merci de nous indiquer le numéro d'engagement juridique de votre commande."
    )
    desk.get_by_role("button", name="Demander des informations").click()
    expect(desk.get_by_text("Des informations ont été demandées")).to_be_visible()

    # alice answers in her ticket's page, where the note never appears.
    mine = alice.goto(f"/support/mes-tickets/{ticket_id}")
    expect(mine.get_by_text("numéro d'engagement juridique de votre commande")).to_be_visible()
    expect(mine.get_by_text(NOTE)).to_have_count(0)
    mine.get_by_label("Votre commentaire").fill("Le numéro d'engagement est EJ-2026-4417.")
    mine.get_by_role("button", name="Ajouter un commentaire").click()
    expect(mine.get_by_text("EJ-2026-4417").first).to_be_visible()

    # marc sees it, answers and resolves; alice sees the resolution.
    desk.reload()
    expect(desk.get_by_text("Le numéro d'engagement est EJ-2026-4417.")).to_be_visible()
    desk.get_by_label("Votre réponse").fill("Rejet annulé : la facture est remise en traitement.")
    desk.get_by_role("button", name="Répondre", exact=True).click()
    expect(desk.get_by_text("Résolu").first).to_be_visible()
    mine.reload()
    expect(mine.get_by_text("Rejet annulé : la facture est remise en traitement.")).to_be_visible()
    expect(mine.get_by_text("Résolu").first).to_be_visible()
    expect(mine.get_by_text(NOTE)).to_have_count(0)

    # alice rates the answer; marc finds the rating in his desk's reports.
    mine.get_by_text("2 étoiles", exact=True).click()
    mine.get_by_role("button", name="Envoyer mon avis").click()
    expect(mine.get_by_text("2 étoiles sur 5").first).to_be_visible()
    reports = marc.goto("/agent/rapports")
    by_desk = reports.get_by_role(
        "table", name="Notes données aux réponses des tickets, par bureau"
    )
    expect(by_desk.get_by_role("row").filter(has_text="Mairie de Valbourg")).to_contain_text(
        "2 / 5"
    )
    by_category = reports.get_by_role(
        "table", name="Notes données aux réponses des tickets, par catégorie"
    )
    expect(by_category.get_by_role("row").nth(1)).to_contain_text("2 / 5")
    accessibility(reports)

    # The e-mails (the team's, both replies to alice) never carry the note.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mails = [m for m in sent_mail(stack) if reference in json.dumps(m, ensure_ascii=False)]
        if len(mails) >= 3:
            break
        time.sleep(0.5)
    assert len(mails) >= 3, mails
    assert all(NOTE not in json.dumps(m, ensure_ascii=False) for m in mails)


# A stand-in for the deployed stage's WebSocket (the local stack serves none): it
# records what the page sends and lets the test push a frame.
FAKE_WEBSOCKET = """
window.__sockets = [];
window.WebSocket = class {
  constructor(url) {
    this.url = String(url); this.sent = []; this.listeners = {}; window.__sockets.push(this);
    setTimeout(() => (this.listeners.open || []).forEach((f) => f({})), 0);
  }
  addEventListener(type, listener) { (this.listeners[type] ||= []).push(listener); }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.closed = true; }
  push(frame) { (this.listeners.message || []).forEach((f) => f({ data: JSON.stringify(frame) })); }
};
"""


def test_the_console_reads_the_queue_when_the_websocket_says_it_changed(
    people: dict[str, Any], stack: LocalStack
) -> None:
    sophie = people["open"]("sophie")
    page = sophie.page
    page.add_init_script(FAKE_WEBSOCKET)

    def with_websocket(route: Any) -> None:
        config = json.loads(route.fetch().text())
        route.fulfill(json={**config, "websocket_url": "wss://push.guichet.invalid/test"})

    page.route("**/config.json", with_websocket)
    sophie.goto("/agent/livechat")
    expect(page.get_by_text("Aucune discussion en attente.")).to_be_visible()
    page.wait_for_function("() => window.__sockets.some((s) => s.sent.length)")
    sent = page.evaluate("() => window.__sockets.flatMap((s) => s.sent)")
    assert sent == [{"action": "follow_queue"}]

    stack.request("POST", "/livechat/sessions", {"category": "FACTURE"}, user="claire")
    # Pushed, the queue is read at once (its polling, every 30 s, would be too late).
    page.evaluate("() => window.__sockets.forEach((s) => s.push({ type: 'queue' }))")

    expect(page.get_by_text("1 discussion en attente.")).to_be_visible(timeout=5000)
    expect(page.get_by_role("button", name="Accepter", exact=True)).to_have_count(1)
