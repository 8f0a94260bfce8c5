"""The LiveChat from the user's side (the advisor answers through the API), and the
weekend, when ClaudIA offers no advisor and says when the LiveChat opens again."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    CLAUDIA,
    SATURDAY_NOW,
    PageWatch,
    accessibility,
    new_context,
    sign_in,
)
from tests.e2e.stack import LocalStack


def waiting_session(stack: LocalStack, login: str) -> str:
    status, queue = stack.request("GET", "/agent/livechat/queue", user="sophie")
    assert status == 200, queue
    for group in queue:
        for entry in group["sessions"]:
            if entry["login_identifier"] == login or entry["display_name"] == login:
                return str(entry["session_id"])
    raise AssertionError(f"no waiting chat for {login}: {queue}")


def test_alice_chats_with_an_advisor_and_gives_five_stars(page: Page, stack: LocalStack) -> None:
    sign_in(page, stack, "alice")
    page.goto(stack.web_url + "/support/livechat")
    accessibility(page)
    page.get_by_label("Catégorie").select_option(label="Dépôt et suivi des factures")
    page.get_by_role("button", name="Démarrer la discussion").click()
    expect(page.get_by_text(re.compile(r"en position \d+ dans la file"))).to_be_visible()

    session_id = waiting_session(stack, "Alice Martin")
    status, _ = stack.request(
        "POST", f"/agent/livechat/sessions/{session_id}/accept", {}, user="sophie"
    )
    assert status == 200
    stack.request(
        "POST",
        f"/livechat/sessions/{session_id}/messages",
        {"text": "Bonjour, je suis Sophie du support. Que puis-je faire pour vous ?"},
        user="sophie",
    )
    expect(page.get_by_text("Que puis-je faire pour vous ?")).to_be_visible()
    page.get_by_label("Votre message").fill("Mon dépôt de facture PDF échoue.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_role("log").get_by_text("Mon dépôt de facture PDF échoue.")).to_be_visible()
    accessibility(page)

    page.get_by_role("button", name="Terminer la discussion").click()
    # DSFR draws the radio on its label: a person clicks the label.
    page.get_by_text("5 étoiles", exact=True).click()
    expect(page.get_by_role("radio", name="5 étoiles")).to_be_checked()
    page.get_by_label("Commentaire (facultatif)").fill("Réponse rapide et claire.")
    accessibility(page)
    page.get_by_role("button", name="Envoyer mon avis").click()

    expect(page.get_by_text("Merci pour votre avis")).to_be_visible()
    status, session = stack.request("GET", f"/livechat/sessions/{session_id}", user="alice")
    assert session["rating"]["stars"] == 5


@pytest.fixture(scope="module")
def saturday_stack() -> Iterator[LocalStack]:
    running = LocalStack(extra_env={"GUICHET_NOW": SATURDAY_NOW})
    yield running
    running.stop()


def test_on_saturday_claudia_offers_no_advisor_and_says_monday_08_30(
    browser: Browser, saturday_stack: LocalStack
) -> None:
    watch = PageWatch()
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.on("dialog", watch.on_dialog)
    page.goto(saturday_stack.web_url + "/")
    page.get_by_role("button", name=CLAUDIA).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Votre question").fill("Je veux parler à un conseiller")
    dialog.get_by_role("button", name="Envoyer", exact=True).click()

    conversation = dialog.get_by_role("region", name="Conversation avec ClaudIA")
    expect(conversation.get_by_text("il rouvrira lundi 7 décembre à 8 h 30")).to_be_visible()
    expect(dialog.get_by_role("button", name="Créer un ticket")).to_be_visible()
    expect(dialog.get_by_role("button", name="Parler à un conseiller")).to_have_count(0)
    accessibility(page)

    page.goto(saturday_stack.web_url + "/support/livechat")
    expect(page.get_by_text("Il rouvrira lundi 7 décembre à 8 h 30.", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Démarrer la discussion")).to_have_count(0)
    accessibility(page)
    context.close()
    assert watch.errors == [] and watch.dialogs == []
