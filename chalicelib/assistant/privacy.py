"""What the content team may keep of a question: personal and business identifiers masked.

A question ClaudIA did not understand is kept (90 days, chalicelib/assistant/store.py) so
that the content team can write the missing answer. They need its words, not who asked:
e-mail addresses, phone numbers, IBANs, SIRET and SIREN numbers, object and ticket numbers
(FA-2026-0002, MJ-…, TIC-…, T-…) and any other long number become placeholders.
"""

from __future__ import annotations

import re

from chalicelib.shared.text import fold

_MASKS = (
    ("[e-mail]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (
        "[IBAN]",
        re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?\b"),
    ),
    ("[téléphone]", re.compile(r"(?<![\w+])(?:\+33[ .-]?|0033[ .-]?|0)[1-9](?:[ .-]?\d{2}){4}\b")),
    ("[SIRET]", re.compile(r"\b\d{3}[ .]?\d{3}[ .]?\d{3}[ .]?\d{5}\b")),
    ("[SIREN]", re.compile(r"\b\d{3}[ .]?\d{3}[ .]?\d{3}\b")),
    (
        "[numéro]",
        re.compile(
            r"\b[A-Za-z]{1,4}[-/_]?\d[\w/-]*|\b\d[\w/-]*\d[-/]\d[\w/-]*"
            r"|\b(?!(?:19|20)\d\d\b)\d{4,}\b"
        ),
    ),
)


def masked(question: str) -> str:
    """The question as the content team reads it: folded, identifiers masked."""
    question = fold(question)
    for placeholder, pattern in _MASKS:
        question = pattern.sub(placeholder, question)
    return question
