"""`make screenshots`: every page of the portal as a person sees it, desktop and phone.

Starts the local stack (Wednesday morning, LiveChat open), walks through the
journeys (users', then agents') in Debian's Chromium at 1280×800 and 390×844, and saves full-page
PNGs under docs/screenshots/ (`{page}-{width}x{height}.png`).
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.conftest import WEEKDAY_NOW, launch, new_context, sign_in
from tests.browser.test_followup_journeys import resolve, wait_for_mail
from tests.browser.test_ticket_journeys import choose_m21, png_file
from tests.e2e.stack import ROOT, LocalStack

OUT = ROOT / "docs" / "screenshots"
VIEWPORTS = [(1280, 800), (390, 844)]


class Camera:
    def __init__(self, page: Page, size: tuple[int, int]) -> None:
        self.page = page
        self.suffix = f"{size[0]}x{size[1]}"

    def shoot(self, name: str, full_page: bool = True) -> None:
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=OUT / f"{name}-{self.suffix}.png", full_page=full_page)


def anonymous_pages(page: Page, camera: Camera, stack: LocalStack) -> None:
    page.goto(stack.web_url + "/")
    camera.shoot("accueil")
    page.get_by_role("button", name=re.compile("ClaudIA")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Votre question").fill("Comment déposer une facture ?")
    dialog.get_by_role("button", name="Envoyer", exact=True).click()
    dialog.get_by_role("button", name="Réponse pas utile").last.click()
    dialog.get_by_role("button", name="Parler à un conseiller").wait_for()
    # The widget is a fixed dialog over the page: what the window shows.
    camera.shoot("claudia", full_page=False)
    dialog.get_by_label("Votre question").fill("le code à six chiffres arrive pas")
    dialog.get_by_role("button", name="Envoyer", exact=True).click()
    dialog.get_by_role("group", name="Sujets proposés par ClaudIA").wait_for()
    camera.shoot("claudia-sujets", full_page=False)
    # The topic chosen is kept for the content team (the agents' reports show it).
    dialog.get_by_role("button", name="La double authentification").click()
    dialog.get_by_role("button", name="Réponse utile").last.wait_for()
    page.keyboard.press("Escape")
    page.goto(stack.web_url + "/connexion")
    camera.shoot("connexion")
    page.goto(stack.web_url + "/support/nous-contacter")
    camera.shoot("nous-contacter-1-probleme")
    page.get_by_text("J'ai oublié mon mot de passe", exact=True).click()
    page.get_by_role("button", name="Continuer").click()
    camera.shoot("nous-contacter-2-solutions")
    page.get_by_role("button", name=re.compile("Mon problème persiste")).click()
    page.get_by_role("button", name="Envoyer la demande").click()
    camera.shoot("nous-contacter-3-erreurs")
    page.get_by_label("Adresse e-mail", exact=True).fill("paul.durand@example.fr")
    page.get_by_label("Confirmation de l'adresse e-mail").fill("paul.durand@example.fr")
    page.get_by_label("Titre").fill("Mot de passe refusé")
    page.get_by_label("Description").fill("Le lien de réinitialisation n'arrive jamais.")
    page.get_by_role("button", name="Envoyer la demande").click()
    page.get_by_text(re.compile(r"Votre demande \S+ est envoyée")).wait_for()
    camera.shoot("nous-contacter-4-reference")
    acknowledged = wait_for_mail(stack, "paul.durand@example.fr", "bien été reçue")
    reference = acknowledged["subject"].split("]")[0].lstrip("[")
    page.goto(stack.web_url + "/local/mailbox?to=paul.durand@example.fr")
    page.get_by_role("heading", name=re.compile("bien été reçue")).wait_for()
    camera.shoot("boite-mail")
    page.get_by_role("link", name=re.compile("support.suivi.reference=")).click()
    page.get_by_role("heading", level=2, name="Historique").wait_for()
    camera.shoot("suivi")
    resolve(stack, reference, "Votre lien de réinitialisation vient de vous être renvoyé.")
    page.reload()
    page.get_by_role("button", name="Envoyer mon avis").wait_for()
    camera.shoot("suivi-avis")
    page.goto(stack.web_url + "/une/page/inconnue")
    camera.shoot("introuvable")


def alice_pages(page: Page, camera: Camera, stack: LocalStack, files: Path) -> None:
    sign_in(page, stack, "alice")
    page.goto(stack.web_url + "/support/ticket")
    choose_m21(page)
    page.get_by_label("N° Objet").fill("FA-2026-0002")
    page.get_by_text("Destinataire : Mairie de Valbourg").wait_for()
    page.get_by_label("Titre").fill("Contestation du rejet de FA-2026-0002")
    page.get_by_label("Description").press_sequentially(
        "Ma facture a été rejetée par le destinataire, je conteste ce rejet.", delay=5
    )
    page.get_by_role("complementary", name="Ces réponses peuvent vous aider").wait_for()
    page.get_by_label("Pièces jointes").set_input_files(png_file(files / "capture.png"))
    page.get_by_text("Fichier vérifié").wait_for(timeout=20_000)
    camera.shoot("ticket-formulaire")
    page.get_by_role("button", name="Soumettre").click()
    page.get_by_role("heading", name=re.compile(r"Ticket T-\S+ envoyé")).wait_for()
    camera.shoot("ticket-confirmation")
    page.goto(stack.web_url + "/support/mes-tickets")
    page.get_by_role("table").wait_for()
    camera.shoot("mes-tickets")
    page.get_by_role("button", name=re.compile("À traiter par moi")).click()
    page.get_by_role("table").get_by_role("link").first.click()
    page.get_by_role("heading", level=2, name="Historique").wait_for()
    camera.shoot("ticket-detail")
    status, mine = stack.request("GET", "/tickets?status=resolved", user="alice")
    page.goto(f"{stack.web_url}/support/mes-tickets/{mine['items'][0]['ticket_id']}")
    page.get_by_role("button", name="Envoyer mon avis").wait_for()
    camera.shoot("ticket-avis")
    page.goto(stack.web_url + "/support/livechat")
    camera.shoot("livechat-demarrer")
    page.get_by_label("Catégorie").select_option(label="Dépôt et suivi des factures")
    page.get_by_role("button", name="Démarrer la discussion").click()
    page.get_by_text(re.compile("dans la file")).wait_for()
    status, queue = stack.request("GET", "/agent/livechat/queue", user="sophie")
    session_id = next(s["session_id"] for g in queue for s in g["sessions"])
    stack.request("POST", f"/agent/livechat/sessions/{session_id}/accept", {}, user="sophie")
    stack.request(
        "POST",
        f"/livechat/sessions/{session_id}/messages",
        {"text": "Bonjour, je suis Sophie du support. Que puis-je faire pour vous ?"},
        user="sophie",
    )
    page.get_by_text("Que puis-je faire pour vous ?").wait_for()
    page.get_by_label("Votre message").fill("Mon dépôt de facture PDF échoue.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.get_by_role("log").get_by_text("Mon dépôt de facture PDF échoue.").wait_for()
    camera.shoot("livechat-discussion")
    page.get_by_role("button", name="Terminer la discussion").click()
    page.get_by_role("button", name="Envoyer mon avis").wait_for()
    camera.shoot("livechat-avis")


def agent_pages(page: Page, camera: Camera, stack: LocalStack) -> None:
    """The agents' pages: marc's desk and a ticket, sophie's console and reports, alice refused."""
    sign_in(page, stack, "alice")
    page.goto(stack.web_url + "/agent/tickets")
    page.get_by_role("heading", name="Accès réservé").wait_for()
    camera.shoot("agent-acces-reserve")
    status, created = stack.request(
        "POST",
        "/tickets",
        {
            "organisation_id": "org-boulangerie-martin",
            "category": "FACTURE",
            "subcategory": "M22",
            "object_number": "FA-2026-0001",
            "title": "Retard de paiement de la facture FA-2026-0001",
            "description": "La facture est mise en paiement depuis trois semaines, rien reçu.",
        },
        user="alice",
    )
    stack.request(
        "POST",
        f"/desk/tickets/{created['ticket_id']}/notes",
        {"text": "Voir avec le comptable public avant de répondre."},
        user="marc",
    )
    stack.request(
        "POST",
        "/desk/answers",
        {"title": "Numéro d'engagement", "text": "Merci d'indiquer le numéro d'engagement."},
        user="marc",
    )
    sign_in(page, stack, "marc")
    page.goto(stack.web_url + "/agent/tickets")
    page.get_by_role("table").wait_for()
    camera.shoot("agent-bureau")
    page.get_by_label("Rechercher").fill("FA-2026-0001")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    page.get_by_role("link", name=created["reference"]).click()
    page.get_by_role("button", name="Prendre en charge").click()
    page.get_by_label("Votre réponse").wait_for()
    camera.shoot("agent-ticket")
    page.goto(stack.web_url + "/agent/reponses-types")
    page.get_by_role("heading", name="Numéro d'engagement").wait_for()
    camera.shoot("agent-reponses-types")
    # A chat waiting in the queue (alice's, through the API), then sophie's console.
    conversation = stack.request("POST", "/assistant/conversations", {}, user="alice")[1]
    stack.request(
        "POST",
        f"/assistant/conversations/{conversation['conversation_id']}/messages",
        {"text": "Mon dépôt de facture est refusé"},
        user="alice",
    )
    stack.request(
        "POST",
        "/livechat/sessions",
        {"category": "FACTURE", "conversation_id": conversation["conversation_id"]},
        user="alice",
    )
    sign_in(page, stack, "sophie")
    page.goto(stack.web_url + "/agent/livechat")
    page.get_by_role("button", name="Accepter", exact=True).first.wait_for()
    camera.shoot("agent-livechat-file")
    page.get_by_role("button", name="Accepter", exact=True).first.click()
    page.get_by_label("Votre message").fill("Bonjour, je regarde votre dépôt.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.get_by_role("log").get_by_text("je regarde votre dépôt").wait_for()
    camera.shoot("agent-livechat-discussion")
    # Figures for the reports: the chat rated, two spellings of one unknown question.
    session_id = page.url.split("discussion=")[1]
    stack.request("POST", f"/livechat/sessions/{session_id}/close", {}, user="alice")
    stack.request(
        "PUT",
        f"/livechat/sessions/{session_id}/rating",
        {"stars": 4, "comment": "Efficace."},
        "alice",
    )
    for question in ("Comment changer la couleur du logo ?", "comment changer la couleur du lgo"):
        stack.request(
            "POST",
            f"/assistant/conversations/{conversation['conversation_id']}/messages",
            {"text": question},
            user="alice",
        )
    page.goto(stack.web_url + "/agent/rapports")
    page.get_by_role("heading", name="Tickets", exact=True).wait_for()
    camera.shoot("agent-rapports")


def walk(browser: Browser, size: tuple[int, int], journey: Callable[[Page, Camera], None]) -> None:
    context = new_context(browser, viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    journey(page, Camera(page, size))
    context.close()


def main(argv: list[str]) -> int:
    """`python -m tests.browser.screenshots [agents]`: every page, or the agents' only."""
    only_agents = argv == ["agents"]
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as driver:
        browser = launch(driver)
        for size in VIEWPORTS:
            # A fresh stack per size: alice's chat and tickets start from the demo data.
            stack = LocalStack(extra_env={"GUICHET_NOW": WEEKDAY_NOW})
            try:
                if not only_agents:
                    walk(browser, size, partial(anonymous_pages, stack=stack))
                    walk(browser, size, partial(alice_pages, stack=stack, files=Path(scratch)))
                walk(browser, size, partial(agent_pages, stack=stack))
            finally:
                stack.stop()
        browser.close()
    print(f"screenshots written to {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
