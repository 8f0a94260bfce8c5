"""What the content team keeps of a not-understood question: identifiers masked."""

from __future__ import annotations

import pytest

from chalicelib.assistant.privacy import masked


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        ("Mon mail Jean.Dupont@exemple.fr ne marche pas", "mon mail [e-mail] ne marche pas"),
        (
            "appelez le 06 12 34 56 78 ou le +33 1 23 45 67 89",
            "appelez le [téléphone] ou le [téléphone]",
        ),
        ("SIRET 123 456 789 00012, SIREN 123456789", "siret [SIRET], siren [SIREN]"),
        ("IBAN FR76 3000 6000 0112 3456 7890 189", "iban [IBAN]"),
        (
            "FA-2026-0002, MJ-2026-0001, TIC-2026-0001 et T-2026-000123",
            "[numéro], [numéro], [numéro] et [numéro]",
        ),
        ("facture 88412", "facture [numéro]"),
    ],
)
def test_identifiers_are_masked(question: str, kept: str) -> None:
    assert masked(question) == kept


def test_words_years_and_small_numbers_are_kept() -> None:
    assert masked("Réforme 2026 : 5 tentatives à 14h") == "reforme 2026 : 5 tentatives a 14h"
