"""Following a request from its e-mails: the local mailbox, the follow-up link without an
account (/support/suivi: answer with a file, rate, close), and a signed-in emitter rating
the answer to their ticket."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import accessibility, sign_in
from tests.browser.test_ticket_journeys import png_file
from tests.e2e.stack import LocalStack

MAIL_TIMEOUT_SECONDS = 20.0


def wait_for_mail(stack: LocalStack, to: str, subject: str) -> dict[str, Any]:
    deadline = time.monotonic() + MAIL_TIMEOUT_SECONDS
    while True:
        status, mails = stack.request("GET", f"/local/mailbox?to={to}")
        assert status == 200, mails
        found = [mail for mail in mails if subject in mail["subject"]]
        if found:
            return dict(found[0])
        assert time.monotonic() < deadline, f"no e-mail «{subject}» to {to}: {mails}"
        time.sleep(0.3)


def resolve(stack: LocalStack, reference: str, answer: str) -> None:
    """sophie takes the request and answers it with a solution (through the API)."""
    status, desk = stack.request("GET", "/desk/tickets?limit=100", user="sophie")
    assert status == 200, desk
    ticket_id = next(t["ticket_id"] for t in desk["items"] if t["reference"] == reference)
    assert stack.request("POST", f"/desk/tickets/{ticket_id}/assign", user="sophie")[0] == 200
    status, body = stack.request(
        "POST",
        f"/desk/tickets/{ticket_id}/reply",
        {"text": answer, "status": "resolved"},
        user="sophie",
    )
    assert status == 200, body


def test_someone_without_an_account_follows_their_request_from_the_mailbox(
    page: Page, stack: LocalStack, tmp_path: Path
) -> None:
    email = f"paul.{uuid.uuid4().hex[:8]}@exemple.fr"
    status, accepted = stack.request(
        "POST",
        "/help/requests",
        {
            "problem": "password",
            "category": "CONNEXION",
            "subcategory": "S02",
            "email": email,
            "email_confirmation": email,
            "title": "Mot de passe refusé",
            "description": "Le portail refuse mon mot de passe depuis hier.",
        },
    )
    assert status == 201, accepted
    reference = accepted["reference"]
    wait_for_mail(stack, email, "Votre demande d'aide a bien été reçue")

    # The mailbox shows the acknowledgement, its link clickable.
    page.goto(f"{stack.web_url}/local/mailbox?to={email}")
    expect(page.get_by_role("heading", name=re.compile("bien été reçue"))).to_be_visible()
    accessibility(page)
    page.get_by_role("link", name=re.compile(r"support.suivi.reference=")).click()

    # The follow-up page: the request, and the token gone from the address bar.
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    assert page.url == f"{stack.web_url}/support/suivi"
    expect(page.get_by_text("Le portail refuse mon mot de passe depuis hier.")).to_be_visible()
    accessibility(page)

    # An answer with a file.
    page.get_by_label("Votre commentaire").fill("Voici la capture du message d'erreur.")
    page.get_by_label("Pièces jointes").set_input_files(png_file(tmp_path / "erreur.png"))
    expect(page.get_by_text("Fichier vérifié")).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="Ajouter un commentaire").click()
    expect(page.get_by_text("Voici la capture du message d'erreur.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("erreur.png"))).to_be_visible()

    # Resolved by sophie: the person rates the answer once, then closes the request.
    resolve(stack, reference, "Votre mot de passe est réinitialisé.")
    page.reload()
    expect(page.get_by_text("Votre mot de passe est réinitialisé.")).to_be_visible()
    page.get_by_text("4 étoiles", exact=True).click()
    page.get_by_label("Commentaire (facultatif)").fill("Rapide et clair.")
    accessibility(page)
    page.get_by_role("button", name="Envoyer mon avis").click()
    expect(page.get_by_text("4 étoiles sur 5").first).to_be_visible()
    expect(page.get_by_role("button", name="Envoyer mon avis")).to_have_count(0)

    page.get_by_role("button", name="Clôturer").click()
    expect(page.get_by_role("heading", name="Votre demande est clôturée")).to_be_visible()
    accessibility(page)
    wait_for_mail(stack, email, "Votre demande est clôturée")


def test_an_expired_or_unknown_link_says_so(page: Page, stack: LocalStack) -> None:
    page.goto(f"{stack.web_url}/support/suivi#reference=T-2026-999999&jeton={'A' * 71}")

    expect(page.get_by_role("heading", name="Ce lien de suivi ne fonctionne plus")).to_be_visible()
    assert page.url == f"{stack.web_url}/support/suivi"
    accessibility(page)


def test_alice_rates_the_answer_to_her_resolved_ticket(page: Page, stack: LocalStack) -> None:
    status, created = stack.request(
        "POST",
        "/tickets",
        {
            "organisation_id": "org-boulangerie-martin",
            "category": "AUTRE",
            "subcategory": "S90",
            "title": "Où trouver le mandat de paiement ?",
            "description": "Je ne trouve pas la date de mise en paiement de ma facture.",
        },
        user="alice",
    )
    assert status == 201, created
    resolve(stack, created["reference"], "Ouvrez la facture : l'onglet Historique la donne.")
    sign_in(page, stack, "alice")

    page.goto(f"{stack.web_url}/support/mes-tickets/{created['ticket_id']}")
    expect(page.get_by_role("heading", name="La réponse vous a-t-elle été utile ?")).to_be_visible()
    accessibility(page)
    page.get_by_text("5 étoiles", exact=True).click()
    page.get_by_role("button", name="Envoyer mon avis").click()

    expect(page.get_by_role("heading", name="Votre avis sur la réponse")).to_be_visible()
    expect(page.get_by_text("5 étoiles sur 5").first).to_be_visible()
    accessibility(page)
