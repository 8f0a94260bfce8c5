"""French normalisation: case, elisions, punctuation, numbers, stemming, folding, synonyms."""

from __future__ import annotations

from chalicelib.assistant.index import get_index
from chalicelib.assistant.text import (
    REFERENCE_TOKEN,
    SpellingIndex,
    damerau_levenshtein,
    normalise,
    stem,
    terms,
    words,
)
from chalicelib.assistant.wordlist import WORD_LIST_PATH, is_french_word, nearest_french_word


def test_normalise_lowercases_and_removes_elisions_with_both_apostrophes() -> None:
    assert normalise("L'Adresse d’activation qu'il JUSQU’à") == "adresse activation il à"


def test_normalise_drops_punctuation_and_keeps_numbers() -> None:
    assert normalise("Après 5 tentatives ! (60 minutes ?)") == "après 5 tentatives 60 minutes"


def test_invoice_like_tokens_become_one_reference_word() -> None:
    assert normalise("facture FA-2026-0002") == f"facture {REFERENCE_TOKEN}"


def test_accents_are_folded_after_stemming_so_both_spellings_meet() -> None:
    assert terms("réinitialiser") == terms("reinitialiser") == ["reinitialis"]


def test_stop_words_are_removed() -> None:
    assert words("Comment est-ce que je peux le faire ?") == []


def test_abbreviations_expand_to_the_base_words() -> None:
    assert terms("mdp") == terms("mot de passe")
    assert terms("pj") == terms("pièce jointe")
    assert terms("cpro") == terms("Chorus Pro")
    assert terms("2FA") == terms("double authentification")
    assert terms("EJ") == terms("engagement")


def test_email_spellings_are_one_word() -> None:
    assert terms("e-mail") == terms("courriel") == terms("mail")


def test_damerau_levenshtein_counts_a_transposition_as_one_edit() -> None:
    assert damerau_levenshtein("activation", "activaiton", 2) == 1
    assert damerau_levenshtein("facture", "facutre", 1) == 1
    assert damerau_levenshtein("compte", "tableau", 2) == 3


def test_spelling_index_corrects_within_the_length_bound_only() -> None:
    index = SpellingIndex(["rattachement", "facture", "structure"], {})
    assert index.correct("rattachemment") == "rattachement"
    assert index.correct("rattachemmentt") == "rattachement"
    assert index.correct("factue") == "facture"
    assert index.correct("fac") is None
    assert index.correct("voiture") is None


def test_stemming_an_unknown_word_loads_only_the_french_stemmer() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from chalicelib.assistant.text import snowball_stem\n"
        "print(snowball_stem('réinitialisations'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('snowballstemmer.'))[:5])\n"
        "import snowballstemmer\n"
        "print(snowballstemmer.stemmer('french').stemWord('factures'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    stem, modules, full_import = result.stdout.split("\n")[:3]
    assert stem == "reinitialis"
    assert "english_stemmer" not in modules and "french_stemmer" in modules
    assert full_import == "factur"


def test_every_glued_phrase_starts_at_a_word_boundary() -> None:
    from chalicelib.assistant.text import _GLUED

    # The combined pattern factors the leading \b out of every alternative.
    assert all(pattern.startswith(r"\b") for pattern in _GLUED.values())


def test_sms_spellings_read_as_the_words_they_stand_for() -> None:
    assert words("cmt jfai koi") == words("comment je fais quoi") == []
    assert terms("mon compte é bloké") == terms("mon compte est bloqué")
    assert terms("notif") == terms("notification")


def test_texting_abbreviations_of_portal_words_read_as_those_words() -> None:
    assert terms("pmt pa recu") == terms("paiement pas reçu")
    assert terms("mon cpte") == terms("mon compte")
    assert terms("jlai envoyé dja mdr") == terms("je l'ai envoyé déjà")
    assert terms("pas de rep") == terms("pas de réponse")


def test_a_common_french_word_is_not_a_typo_of_the_bases_words() -> None:
    index = get_index()
    assert is_french_word("voiture")
    assert index.terms_of("voiture") == [stem("voiture")]


def test_a_typo_one_edit_from_a_french_word_reads_as_that_word() -> None:
    assert nearest_french_word("ordinatuer") == "ordinateur"
    assert get_index().terms_of("ordinatuer") == get_index().terms_of("ordinateur")


def test_the_shipped_word_list_is_folded_long_words_without_repeats() -> None:
    words = WORD_LIST_PATH.read_text(encoding="utf-8").split()
    assert 15_000 < len(words) < 20_000
    assert len(set(words)) == len(words)
    assert all(word.isascii() and word.isalpha() and len(word) >= 4 for word in words)


def test_jargon_and_acronyms_read_as_the_bases_words() -> None:
    assert terms("MAD") == terms("mise à disposition")
    assert set(terms("service fait")) <= set(terms("SF"))
    assert terms("MFJ") == terms("mémoire de frais de justice")
    assert terms("DEMATIC") == terms("remboursement TIC")
    assert terms("CPP") == terms("Chorus Pro")
    assert terms("DEMATIC") != terms("remboursement")
