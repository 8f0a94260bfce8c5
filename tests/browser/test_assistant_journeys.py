"""ClaudIA's widget as people use it: anonymous, signed in, keyboard only, hostile text."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import CLAUDIA, PageWatch, accessibility, sign_in
from tests.e2e.stack import LocalStack

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert(1)</script>"


def open_claudia(page: Page) -> None:
    page.get_by_role("button", name=CLAUDIA).click()
    expect(page.get_by_role("dialog")).to_be_visible()


def conversation(page: Page) -> Locator:
    """The messages (the live region that announces them repeats their text)."""
    return page.get_by_role("dialog").get_by_role("region", name="Conversation avec ClaudIA")


def ask(page: Page, question: str) -> None:
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Votre question").fill(question)
    dialog.get_by_role("button", name="Envoyer", exact=True).click()


def test_an_anonymous_question_rated_not_useful_offers_an_advisor_and_a_ticket(
    page: Page, stack: LocalStack
) -> None:
    page.goto(stack.web_url + "/")
    accessibility(page)
    open_claudia(page)
    dialog = page.get_by_role("dialog")
    expect(conversation(page).get_by_text("je suis ClaudIA")).to_be_visible()

    ask(page, "Comment déposer une facture ?")
    expect(conversation(page).get_by_text("Déposer une facture").last).to_be_visible()
    accessibility(page)
    dialog.get_by_role("button", name="Réponse pas utile").last.click()

    expect(conversation(page).get_by_text("Ma réponse ne vous a pas aidé.")).to_be_visible()
    expect(dialog.get_by_role("button", name="Parler à un conseiller")).to_be_visible()
    expect(dialog.get_by_role("button", name="Créer un ticket")).to_be_visible()
    accessibility(page)


def test_alice_reads_that_her_invoice_was_rejected_with_the_recipients_comment(
    page: Page, stack: LocalStack
) -> None:
    sign_in(page, stack, "alice")
    open_claudia(page)

    ask(page, "Quel est le statut de ma facture FA-2026-0002 ?")

    messages = conversation(page)
    answer = messages.get_by_text(re.compile("FA-2026-0002.*rejetée", re.IGNORECASE))
    expect(answer).to_be_visible()
    expect(messages.get_by_text("numéro d'engagement juridique est absent")).to_be_visible()
    accessibility(page)


def test_the_conversation_survives_a_page_change(page: Page, stack: LocalStack) -> None:
    page.goto(stack.web_url + "/")
    open_claudia(page)
    ask(page, "Comment créer un compte ?")
    expect(conversation(page).get_by_text("création d'un compte").first).to_be_visible()

    page.goto(stack.web_url + "/support/nous-contacter")
    open_claudia(page)

    messages = conversation(page)
    expect(messages.get_by_text("Comment créer un compte ?")).to_be_visible()
    expect(messages.get_by_text("création d'un compte").first).to_be_visible()


def test_the_widget_works_with_the_keyboard_alone(page: Page, stack: LocalStack) -> None:
    page.goto(stack.web_url + "/")
    launcher = page.get_by_role("button", name=CLAUDIA)
    launcher.focus()
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog")
    question = dialog.get_by_label("Votre question")
    expect(question).to_be_focused()
    page.keyboard.type("Comment réinitialiser mon mot de passe ?")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name="Réponse utile").last).to_be_visible()
    expect(page.locator("[aria-live='polite']").filter(has_text="ClaudIA :")).to_have_count(1)

    # Tab cycles inside the dialog, in both directions.
    for _ in range(30):
        page.keyboard.press("Tab")
        assert dialog.evaluate("(element) => element.contains(document.activeElement)")
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        assert dialog.evaluate("(element) => element.contains(document.activeElement)")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()


def test_hostile_text_is_shown_literally_and_runs_nothing(
    page: Page, stack: LocalStack, watch: PageWatch
) -> None:
    page.goto(stack.web_url + "/")
    open_claudia(page)

    ask(page, f"{XSS_IMG} {XSS_SCRIPT}")

    dialog = page.get_by_role("dialog")
    expect(conversation(page).get_by_text(f"{XSS_IMG} {XSS_SCRIPT}", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Réponse utile").last).to_be_visible()
    assert page.locator("claudia-assistant img, claudia-assistant script").count() == 0
    page.wait_for_timeout(300)
    assert watch.dialogs == []


def test_creer_un_ticket_opens_the_form_pre_filled_from_the_conversation(
    page: Page, stack: LocalStack
) -> None:
    sign_in(page, stack, "alice")
    open_claudia(page)
    ask(page, "Comment créer un compte ?")
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Réponse pas utile").last.click()

    dialog.get_by_role("button", name="Créer un ticket").click()

    page.wait_for_url(stack.web_url + "/support/ticket")
    expect(page.get_by_text("pré-rempli avec votre échange avec ClaudIA")).to_be_visible()
    expect(page.get_by_label("Titre")).to_have_value("Comment créer un compte ?")
    expect(page.get_by_label("Description")).to_have_value(re.compile("Échange avec l'assistant"))
    expect(page.get_by_label("Sous-catégorie")).not_to_have_value("")
    accessibility(page)


def test_an_unsure_question_offers_topics_and_a_click_answers(
    page: Page, stack: LocalStack
) -> None:
    page.goto(stack.web_url + "/")
    open_claudia(page)
    dialog = page.get_by_role("dialog")

    ask(page, "le code à six chiffres arrive pas")

    expect(
        conversation(page).get_by_text("Votre question porte-t-elle sur l'un de ces sujets ?")
    ).to_be_visible()
    offered = dialog.get_by_role("group", name="Sujets proposés par ClaudIA")
    expect(offered.get_by_role("button")).to_have_count(4)  # up to 3 topics, and "none"
    expect(offered.get_by_role("button", name="Aucun de ces sujets")).to_be_visible()
    expect(dialog.get_by_role("button", name="Réponse utile")).to_have_count(0)
    accessibility(page)

    offered.get_by_role("button", name="La double authentification").click()

    expect(conversation(page).get_by_text("code", exact=False).last).to_be_visible()
    expect(dialog.get_by_role("group", name="Sujets proposés par ClaudIA")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Réponse utile")).to_have_count(1)
    accessibility(page)


def test_none_of_the_offered_topics_asks_to_rephrase_and_a_second_time_offers_a_person(
    page: Page, stack: LocalStack
) -> None:
    page.goto(stack.web_url + "/")
    open_claudia(page)
    dialog = page.get_by_role("dialog")
    ask(page, "le code à six chiffres arrive pas")

    dialog.get_by_role("button", name="Aucun de ces sujets").click()

    expect(conversation(page).get_by_text("Reformulez votre question")).to_be_visible()
    expect(dialog.get_by_role("group", name="Sujets proposés par ClaudIA")).to_have_count(0)
    expect(dialog.get_by_label("Votre question")).to_be_focused()
    expect(dialog.get_by_role("button", name="Parler à un conseiller")).to_have_count(0)

    ask(page, "le code à six chiffres arrive toujours pas")
    expect(dialog.get_by_role("group", name="Sujets proposés par ClaudIA")).to_be_visible()
    page.reload()  # the offer survives a page change, and can still be declined
    open_claudia(page)
    dialog.get_by_role("button", name="Aucun de ces sujets").click()

    expect(conversation(page).get_by_text("Je ne parviens toujours pas")).to_be_visible()
    expect(dialog.get_by_role("button", name="Parler à un conseiller")).to_be_visible()
    expect(dialog.get_by_role("button", name="Créer un ticket")).to_be_visible()
    accessibility(page)
