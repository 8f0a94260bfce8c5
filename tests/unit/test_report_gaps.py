"""Knowledge gaps: not-understood questions grouped when only their spelling differs."""

from __future__ import annotations

from chalicelib.reports.gaps import group_questions, spelling_key


def test_accents_case_punctuation_and_a_typo_make_one_group() -> None:
    groups = group_questions(
        [
            ("reinitialiser mon mot de passe ?", 4),
            ("Réinitialiser mon mot-de-passe", 2),
            ("reinitialisr mon mot de passe", 1),
            ("changer la couleur du logo", 3),
        ]
    )

    assert [(g.question, g.count) for g in groups] == [
        ("reinitialiser mon mot de passe ?", 7),
        ("changer la couleur du logo", 3),
    ]
    assert len(groups[0].variants) == 3


def test_different_questions_stay_apart() -> None:
    groups = group_questions([("suivre ma facture", 2), ("suivre mon mémoire", 2)])

    assert len(groups) == 2


def test_the_spelling_key_keeps_letters_and_digits_only() -> None:
    assert spelling_key("  Où est FA-2026-0002 ? ") == "ouestfa20260002"
