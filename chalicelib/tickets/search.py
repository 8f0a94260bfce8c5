"""The desk's search: a small inverted index written with the ticket, in its own transaction.

What an agent types in `Rechercher` finds a ticket by its reference (T-2026-000123),
its N° Objet (FA-2026-0002), the emitter's e-mail or SIRET, or words of its title.
Each of those is a *term* (folded: lower case, no accents; a title word also loses
its plural and final e, so "Factures" finds "facture"), and each term of a ticket
is one item:

  SEARCH#{desk}#{term} / {created}#{ticket id}   item_type "search", with the
                                                 ticket's whole term list

written by the ticket store in the transaction that creates the ticket
(`index_in`), and moved in the transaction that changes its desk (a transfer)
or its title. No Scan, and no index to keep in step with statuses: a search is
one Query on the partition of its longest term (newest or oldest first, paged),
the other terms of a multi-word search checked against the item's term list,
then one BatchGetItem of the tickets found, whose current status, category and
assignee the desk's filters read. The cost does not depend on the table's size.
Because the index is scoped by desk, a business agent's search never reaches
another organisation's tickets.

Why not DynamoDB's `contains` on a title: it is a Scan (or a filter over a whole
desk), whose cost grows with the table.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.shared.dynamo import DynamoTransaction, Transaction
from chalicelib.shared.text import fold
from chalicelib.tickets.keys import desk_partition, sort_instant
from chalicelib.tickets.records import TicketRecord

SEARCH = "search"
# A title of 120 characters has ~20 words; the identifying terms come first.
MAX_TERMS = 24
MIN_WORD_LENGTH = 3
TOKEN = re.compile(r"[\w@.+-]+", re.UNICODE)
SIRET_LIKE = re.compile(r"^[\d ]{14,20}$")
# Words too common to find anything.
STOPWORDS = frozenset(
    "les des une pour par avec dans sur sans mon mes ma ton tes nos vos leur leurs est sont "
    "pas que qui quoi comment pourquoi quand votre notre cette ces aux mais donc plus tres "
    "bonjour merci".split()
)


def word_term(word: str) -> str:
    """A title word as indexed: folded, its plural and final e dropped ("Factures" and
    "facture" are "factur"; "rejetée" and "rejeté", "rejete").

    A light stemmer on purpose: Snowball's French one stems "connexions" to "connex"
    but "connexion" to "connexion", so a plural would miss its singular.
    """
    term = fold(word)
    if not term.isalpha():
        return term
    if len(term) > 3 and term[-1] in "sx":
        term = term[:-1]
    if len(term) > 3 and term[-1] == "e":
        term = term[:-1]
    return term


def _tokens(text: str) -> list[str]:
    return [token.strip(".-+") for token in TOKEN.findall(text) if token.strip(".-+")]


def title_terms(title: str) -> list[str]:
    terms: list[str] = []
    for token in _tokens(title):
        if len(token) < MIN_WORD_LENGTH or fold(token) in STOPWORDS:
            continue
        term = word_term(token)
        if term not in terms:
            terms.append(term)
    return terms


def ticket_terms(ticket: TicketRecord) -> list[str]:
    """Every term a ticket is found by, identifying ones first, at most MAX_TERMS."""
    identifying = [
        fold(ticket.reference),
        fold(ticket.object_number) if ticket.object_number else None,
        fold(ticket.contact_email),
        ticket.siret,
    ]
    terms: list[str] = []
    for term in [*identifying, *title_terms(ticket.title)]:
        if term and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def query_terms(text: str) -> list[str]:
    """The terms of what an agent typed: a SIRET typed with spaces is one term."""
    compact = text.strip()
    if SIRET_LIKE.match(compact) and len(compact.replace(" ", "")) == 14:
        return [compact.replace(" ", "")]
    terms: list[str] = []
    for token in _tokens(compact):
        folded = fold(token)
        if folded in STOPWORDS:
            continue
        term = word_term(token) if token.isalpha() else folded
        if term and term not in terms:
            terms.append(term)
    return terms


def search_partition(desk: str, term: str) -> str:
    return f"SEARCH#{desk}#{term}"


def index_items(ticket: TicketRecord) -> list[dict[str, Any]]:
    """The index items of a ticket, one per term."""
    desk = desk_partition(ticket.recipient.type, ticket.recipient.organisation_id)
    terms = ticket_terms(ticket)
    sort_key = f"{sort_instant(ticket.created_at)}#{ticket.ticket_id}"
    return [
        {
            "pk": search_partition(desk, term),
            "sk": sort_key,
            "item_type": SEARCH,
            "ticket_id": ticket.ticket_id,
            "terms": terms,
        }
        for term in terms
    ]


def index_changes(
    before: TicketRecord | None, after: TicketRecord
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The index items to delete and to put when `before` becomes `after` (None: created).

    Nothing when neither the desk nor a term moved: a status change costs no index write.
    """
    new = index_items(after)
    if before is None:
        return [], new
    old = index_items(before)
    if old == new:
        return [], []
    new_keys = {(item["pk"], item["sk"]) for item in new}
    gone = [item for item in old if (item["pk"], item["sk"]) not in new_keys]
    return gone, new


def index_in(
    tx: Transaction, table_name: str, before: TicketRecord | None, after: TicketRecord
) -> None:
    """The ticket store's hook: add the index writes of `before` -> `after` to `tx`.

    Labels "search:{n}" and "unsearch:{n}"; unconditional (the ticket's own item
    carries the condition that makes the transaction fail when it must).
    """
    assert isinstance(tx, DynamoTransaction)
    gone, new = index_changes(before, after)
    for number, item in enumerate(gone):
        tx.delete(f"unsearch:{number}", table_name, {"pk": item["pk"], "sk": item["sk"]})
    for number, item in enumerate(new):
        tx.put(f"search:{number}", table_name, item)
