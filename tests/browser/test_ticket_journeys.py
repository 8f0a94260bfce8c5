"""Tickets from the portal: alice's M21 ticket with an attachment, the deflection while
she types, Mes tickets; the request of someone who cannot sign in."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import accessibility, sign_in
from tests.e2e.stack import LocalStack


def png_file(path: Path, width: int = 64, height: int = 48) -> Path:
    """A real PNG (signature, IHDR, IDAT, IEND): the service checks the file's bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\x00" + bytes([x % 256, y % 256, 128]) * width for y in range(height) for x in [y]
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


EMITTER = "Boulangerie Martin SARL – SIRET 41287395000015"
M21 = "Contestation d'un rejet ou d'une suspension"


def choose_m21(page: Page) -> None:
    page.get_by_label("Structure émettrice").select_option(label=EMITTER)
    page.get_by_label("Catégorie", exact=True).select_option(label="Factures")
    page.get_by_label("Sous-catégorie").select_option(label=M21)


def test_alice_submits_an_m21_ticket_with_a_screenshot_and_finds_it_in_mes_tickets(
    page: Page, stack: LocalStack, tmp_path: Path
) -> None:
    sign_in(page, stack, "alice")
    page.goto(stack.web_url + "/support/ticket")
    choose_m21(page)
    page.get_by_label("N° Objet").fill("fa-2026-0002")
    expect(page.get_by_text("Destinataire : Mairie de Valbourg")).to_be_visible()
    accessibility(page)

    page.get_by_label("Titre").fill("Contestation du rejet de FA-2026-0002")
    page.get_by_label("Description").press_sequentially(
        "Ma facture a été rejetée par le destinataire, je conteste ce rejet.", delay=5
    )
    suggestions = page.get_by_role("complementary", name="Ces réponses peuvent vous aider")
    expect(suggestions).to_be_visible()
    expect(suggestions.get_by_role("button").first).to_be_visible()

    page.get_by_label("Pièces jointes").set_input_files(png_file(tmp_path / "capture.png"))
    expect(page.get_by_role("progressbar", name="Envoi de capture.png")).to_have_attribute(
        "value", "100"
    )
    expect(page.get_by_text("Fichier vérifié")).to_be_visible(timeout=20_000)
    accessibility(page)
    page.get_by_role("button", name="Soumettre").click()

    confirmation = page.get_by_role("heading", name=re.compile(r"Ticket T-\S+ envoyé"))
    expect(confirmation).to_be_visible()
    reference = re.search(r"T-\S+", confirmation.inner_text())
    assert reference is not None
    expect(page.get_by_text("Destinataire : Mairie de Valbourg.")).to_be_visible()
    accessibility(page)

    page.get_by_role("link", name="Mes tickets").last.click()
    link = page.get_by_role("link", name=reference.group(0))
    expect(link).to_be_visible()
    accessibility(page)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference.group(0))
    expect(page.get_by_role("link", name=re.compile("capture.png"))).to_be_visible()
    expect(page.get_by_role("button", name="Ajouter un commentaire")).to_be_visible()
    expect(page.get_by_role("button", name="Clôturer")).to_be_visible()
    accessibility(page)


def test_api_errors_are_shown_under_their_fields_with_a_summary(
    page: Page, stack: LocalStack
) -> None:
    sign_in(page, stack, "alice")
    page.goto(stack.web_url + "/support/ticket")
    choose_m21(page)
    page.get_by_label("N° Objet").fill("FC-2026-0001")
    page.get_by_label("Titre").fill("Une facture d'une autre société")
    page.get_by_label("Description").fill("Cette facture n'est pas la nôtre mais essayons.")

    page.get_by_role("button", name="Soumettre").click()

    summary = page.get_by_role("heading", name="Le formulaire contient des erreurs")
    expect(summary).to_be_visible()
    number = page.get_by_label("N° Objet")
    expect(number).to_have_attribute("aria-invalid", "true")
    described_by = number.get_attribute("aria-describedby") or ""
    error_id = described_by.split()[-1]
    expect(page.locator(f"#{error_id}")).to_have_class(re.compile("fr-error-text"))
    accessibility(page)


def test_someone_without_an_account_gets_a_reference(page: Page, stack: LocalStack) -> None:
    page.goto(stack.web_url + "/support/nous-contacter")
    accessibility(page)
    page.get_by_text("J'ai oublié mon mot de passe", exact=True).click()
    expect(page.get_by_role("radio", name="J'ai oublié mon mot de passe")).to_be_checked()
    page.get_by_role("button", name="Continuer").click()
    expect(
        page.get_by_role("heading", name=re.compile("essayez d’abord ces solutions"))
    ).to_be_visible()
    expect(page.get_by_text("Réinitialiser le mot de passe")).to_be_visible()
    accessibility(page)
    page.get_by_role("button", name=re.compile("Mon problème persiste")).click()

    page.get_by_label("Adresse e-mail", exact=True).fill("paul.durand@example.fr")
    page.get_by_label("Confirmation de l'adresse e-mail").fill("paul.durand@example.fr")
    page.get_by_label("Titre").fill("Mot de passe refusé")
    page.get_by_label("Description").fill("Le lien de réinitialisation n'arrive jamais.")
    accessibility(page)
    page.get_by_role("button", name="Envoyer la demande").click()

    expect(page.get_by_text(re.compile(r"Votre demande \S+ est envoyée"))).to_be_visible()
    accessibility(page)


def test_hostile_ticket_text_is_shown_literally_in_mes_tickets_and_on_the_ticket(
    page: Page, stack: LocalStack
) -> None:
    hostile = "<img src=x onerror=alert(1)> <script>alert(1)</script>"
    status, created = stack.request(
        "POST",
        "/tickets",
        {
            "organisation_id": "org-martin-conseil",
            "category": "AUTRE",
            "subcategory": "S90",
            "title": hostile,
            "description": f"Description : {hostile}",
        },
        user="alice",
    )
    assert status == 201, created
    sign_in(page, stack, "alice")

    page.goto(stack.web_url + "/support/mes-tickets")
    expect(page.get_by_role("cell", name=hostile, exact=True)).to_be_visible()
    page.get_by_role("link", name=created["reference"]).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(hostile)
    expect(page.get_by_text(f"Description : {hostile}", exact=True)).to_be_visible()
    assert page.locator("main img, main script").count() == 0
