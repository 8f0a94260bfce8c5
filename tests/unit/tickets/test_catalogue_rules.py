"""Every rule of the catalogue, one row per sub-category, help problem and LiveChat category.

The expected values are written down here, from chalicelib/data/catalogue.yaml as
the operator reads it; they are not recomputed with the catalogue code. A change
to the data file or to the rules makes a row fail.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.livechat.models import categories, category
from chalicelib.routing.catalogue import get_catalogue, parse_catalogue, published_catalogue
from chalicelib.shared.errors import ForbiddenError, InvalidFieldsError
from chalicelib.tickets.context import TicketContext
from chalicelib.tickets.help import help_problems, load_solutions
from chalicelib.tickets.views import RecipientOut
from tests.unit.given import ALICE, NOW, submitted

SUPPORT = RecipientOut(type="support", designation="Support Chorus Pro")
MAIRIE = RecipientOut(
    type="business", organisation_id="org-mairie-valbourg", designation="Mairie de Valbourg"
)
TRIBUNAL = RecipientOut(
    type="business",
    organisation_id="org-tj-valbourg",
    designation="Tribunal judiciaire de Valbourg",
)
DOUANES = RecipientOut(
    type="business",
    organisation_id="org-douanes-valbourg",
    designation="Bureau des douanes de Valbourg",
)
HOPITAL = RecipientOut(
    type="business",
    organisation_id="org-ch-valbourg",
    designation="Centre hospitalier de Valbourg",
)

# (category, sub-category, recipient type, N° Objet, connected only)
SUBCATEGORIES: list[tuple[str, str, str, str, bool]] = [
    ("CONNEXION", "S01", "support", "none", False),
    ("CONNEXION", "S02", "support", "none", False),
    ("CONNEXION", "S03", "support", "none", False),
    ("CONNEXION", "S04", "support", "none", False),
    ("STRUCTURE", "S10", "support", "none", True),
    ("STRUCTURE", "S11", "support", "none", True),
    ("STRUCTURE", "S12", "support", "none", True),
    ("STRUCTURE", "S13", "support", "none", True),
    ("FACTURE", "S20", "support", "optional", True),
    ("FACTURE", "S21", "support", "optional", True),
    ("FACTURE", "M20", "business", "required", True),
    ("FACTURE", "M21", "business", "required", True),
    ("FACTURE", "M22", "business", "required", True),
    ("FACTURE", "M23", "business", "none", True),
    ("MEMOIRE", "S30", "support", "optional", True),
    ("MEMOIRE", "M30", "business", "required", True),
    ("TIC", "S40", "support", "optional", True),
    ("TIC", "M40", "business", "required", True),
    ("RACCORDEMENT", "S50", "support", "none", True),
    ("RACCORDEMENT", "S51", "support", "none", True),
    ("RACCORDEMENT", "S52", "support", "none", True),
    ("AUTRE", "S90", "support", "none", False),
]

# An object of each category's kind that alice's organisation emitted, and its recipient.
OBJECT_OF_CATEGORY: dict[str, tuple[str, str, RecipientOut]] = {
    "FACTURE": ("org-boulangerie-martin", "FA-2026-0003", MAIRIE),
    "MEMOIRE": ("org-martin-conseil", "MJ-2026-0001", TRIBUNAL),
    "TIC": ("org-martin-conseil", "TIC-2026-0001", DOUANES),
}

# Submitted WITH an object number: the recipient, or the field refused.
WITH_OBJECT: list[tuple[str, str, RecipientOut | str]] = [
    ("FACTURE", "S20", SUPPORT),
    ("FACTURE", "S21", SUPPORT),
    ("FACTURE", "M20", MAIRIE),
    ("FACTURE", "M21", MAIRIE),
    ("FACTURE", "M22", MAIRIE),
    ("FACTURE", "M23", "object_number"),
    ("MEMOIRE", "S30", SUPPORT),
    ("MEMOIRE", "M30", TRIBUNAL),
    ("TIC", "S40", SUPPORT),
    ("TIC", "M40", DOUANES),
]

# Submitted WITHOUT an object number (business tickets name the Centre hospitalier).
WITHOUT_OBJECT: list[tuple[str, str, RecipientOut | str]] = [
    *[
        (category, code, SUPPORT)
        for category, code, recipient, _, _ in SUBCATEGORIES
        if recipient == "support"
    ],
    ("FACTURE", "M20", "object_number"),
    ("FACTURE", "M21", "object_number"),
    ("FACTURE", "M22", "object_number"),
    ("FACTURE", "M23", HOPITAL),
    ("MEMOIRE", "M30", "object_number"),
    ("TIC", "M40", "object_number"),
]

# A sub-category whose N° Objet is "none", given a number anyway: refused on object_number.
NONE_GIVEN_A_NUMBER = [
    (category, code)
    for category, code, _, rule, _ in SUBCATEGORIES
    if rule == "none" and category not in OBJECT_OF_CATEGORY
]

# (problem, sub-category it leads to, number of self-help solutions shown)
HELP_PROBLEMS: list[tuple[str, str, int]] = [
    ("activation", "S01", 3),
    ("password", "S02", 3),
    ("locked", "S03", 2),
    ("login_address", "S04", 3),
    ("no_account", "S01", 3),
    ("other", "S90", 2),
]

# (code, label, ticket category and sub-category offered when a chat is left unanswered)
LIVECHAT_CATEGORIES: list[tuple[str, str, str, str]] = [
    ("CONNEXION", "Connexion et compte", "CONNEXION", "S02"),
    ("STRUCTURE", "Structures et habilitations", "STRUCTURE", "S10"),
    ("FACTURE", "Dépôt et suivi des factures", "FACTURE", "S20"),
    ("RACCORDEMENT", "Raccordement EDI et API", "RACCORDEMENT", "S50"),
    ("AUTRE", "Autre question", "AUTRE", "S90"),
]


def _submit(ctx: TicketContext, category: str, code: str, **fields: Any) -> RecipientOut | str:
    """The recipient of the ticket, or the field a 422 names."""
    body: dict[str, Any] = {
        "organisation_id": "org-boulangerie-martin",
        "category": category,
        "subcategory": code,
        "title": "Une demande",
        "description": "Le détail de la demande, assez long pour être accepté.",
        **fields,
    }
    try:
        return submitted(ctx, body, ALICE, NOW).recipient
    except InvalidFieldsError as refused:
        [error] = refused.errors
        return error.field


def test_the_published_catalogue_is_the_table_row_for_row() -> None:
    published = [
        (category.code, s.code, s.recipient, s.object_number, s.connected_only)
        for category in published_catalogue(get_catalogue())
        for s in category.subcategories
    ]

    assert published == SUBCATEGORIES


@pytest.mark.parametrize(("category", "code", "expected"), WITH_OBJECT)
def test_a_subcategory_given_an_object_number_goes_to_its_recipient_or_is_refused(
    ctx: TicketContext, category: str, code: str, expected: RecipientOut | str
) -> None:
    organisation_id, number, _ = OBJECT_OF_CATEGORY[category]

    got = _submit(ctx, category, code, organisation_id=organisation_id, object_number=number)

    assert got == expected


@pytest.mark.parametrize(("category", "code", "expected"), WITHOUT_OBJECT)
def test_a_subcategory_without_object_number_goes_to_its_recipient_or_is_refused(
    ctx: TicketContext, category: str, code: str, expected: RecipientOut | str
) -> None:
    named = {"recipient_organisation_id": "org-ch-valbourg"} if code.startswith("M") else {}

    assert _submit(ctx, category, code, **named) == expected


@pytest.mark.parametrize(("category", "code"), NONE_GIVEN_A_NUMBER)
def test_a_subcategory_without_object_refuses_an_object_number(
    ctx: TicketContext, category: str, code: str
) -> None:
    assert _submit(ctx, category, code, object_number="FA-2026-0003") == "object_number"


def test_every_subcategory_is_covered_by_the_rows_above() -> None:
    with_or_refused = {code for _, code, _ in WITH_OBJECT} | {c for _, c in NONE_GIVEN_A_NUMBER}
    without = {code for _, code, _ in WITHOUT_OBJECT}

    every = {code for _, code, _, _, _ in SUBCATEGORIES}
    assert with_or_refused == every
    assert without == every


@pytest.mark.parametrize(
    ("category", "code", "connected_only"),
    [(category, code, connected_only) for category, code, _, _, connected_only in SUBCATEGORIES],
)
def test_only_subcategories_not_connected_only_are_offered_without_an_account(
    category: str, code: str, connected_only: bool
) -> None:
    catalogue = get_catalogue()

    if connected_only:
        with pytest.raises(InvalidFieldsError, match="nécessite d'être connecté") as refused:
            catalogue.find_offline(category, code)
        assert [e.field for e in refused.value.errors] == ["subcategory"]
    else:
        assert catalogue.find_offline(category, code).code == code


def test_an_unknown_category_or_a_subcategory_of_another_category_is_refused_by_field() -> None:
    catalogue = get_catalogue()

    with pytest.raises(InvalidFieldsError, match="Catégorie inconnue") as category:
        catalogue.find("INCONNUE", "S01")
    with pytest.raises(InvalidFieldsError, match="n'existe pas dans la catégorie") as pair:
        catalogue.find("CONNEXION", "M20")

    assert [e.field for e in category.value.errors] == ["category"]
    assert [e.field for e in pair.value.errors] == ["subcategory"]


def test_labels_are_found_for_known_pairs_only() -> None:
    catalogue = get_catalogue()

    assert catalogue.subcategory_label("FACTURE", "M22") == "Retard de paiement d'une facture"
    assert catalogue.subcategory_label("CONNEXION", "M22") is None
    assert catalogue.subcategory_label("INCONNUE", "S01") is None
    assert catalogue.category_label("FACTURE") == "Factures"
    assert catalogue.category_label("CONNEXION") == "Connexion et compte utilisateur"
    assert catalogue.category_label("INCONNUE") is None


def test_every_help_problem_leads_to_its_subcategory_with_its_solutions() -> None:
    catalogue = get_catalogue()

    problems = help_problems(catalogue, load_solutions())

    assert [(p.code, p.subcategory, len(p.solutions)) for p in problems] == HELP_PROBLEMS
    for problem in problems:
        assert catalogue.help_problem(problem.code) is not None
    assert catalogue.help_problem("inconnu") is None


@pytest.mark.parametrize(("problem", "subcategory"), [(p, s) for p, s, _ in HELP_PROBLEMS])
def test_every_help_problem_subcategory_is_offered_without_an_account_to_the_support(
    problem: str, subcategory: str
) -> None:
    catalogue = get_catalogue()
    category = next(c for c, code, _, _, _ in SUBCATEGORIES if code == subcategory)

    found = catalogue.find_offline(category, subcategory)

    assert (found.recipient, found.connected_only) == ("support", False)


def test_every_livechat_category_offers_a_ticket_pair_of_the_catalogue() -> None:
    got = [(c.code, c.label, c.ticket_category, c.ticket_subcategory) for c in categories()]

    assert got == LIVECHAT_CATEGORIES
    pairs = {(category, code) for category, code, _, _, _ in SUBCATEGORIES}
    assert {(c, s) for _, _, c, s in LIVECHAT_CATEGORIES} <= pairs
    assert category("INCONNUE") is None
    assert [category(code) for code, _, _, _ in LIVECHAT_CATEGORIES] == list(categories())


# Each refusal of a submission: (changes to alice's request, field, message shown).
REFUSALS: list[tuple[dict[str, Any], str, str]] = [
    (
        {"category": "FACTURE", "subcategory": "M20"},
        "object_number",
        "Le numéro de l'objet (facture, mémoire…) est obligatoire.",
    ),
    (
        {"object_number": "FA-2026-0003"},
        "object_number",
        "Cette sous-catégorie ne porte pas sur un objet : retirez le numéro.",
    ),
    (
        {"recipient_organisation_id": "org-mairie-valbourg"},
        "recipient_organisation_id",
        "Le support outil traite cette demande : ne nommez pas de destinataire.",
    ),
    (
        {
            "category": "FACTURE",
            "subcategory": "M20",
            "object_number": "FA-2026-0003",
            "recipient_organisation_id": "org-ch-valbourg",
        },
        "recipient_organisation_id",
        "Ce destinataire n'est pas celui de l'objet indiqué.",
    ),
    (
        {"category": "FACTURE", "subcategory": "M23"},
        "recipient_organisation_id",
        "Indiquez l'entité publique destinataire.",
    ),
    (
        {
            "category": "FACTURE",
            "subcategory": "M23",
            "recipient_organisation_id": "org-atelier-dupont",
        },
        "recipient_organisation_id",
        "Entité publique inconnue.",
    ),
    (
        {"category": "FACTURE", "subcategory": "M20", "object_number": "FA-2026-9999"},
        "object_number",
        "Aucun objet de ce numéro n'a été émis ou reçu par cette structure.",
    ),
    (
        {"category": "MEMOIRE", "subcategory": "M30", "object_number": "FA-2026-0003"},
        "object_number",
        "Ce numéro ne désigne pas un objet de cette catégorie.",
    ),
    ({"category": "INCONNUE"}, "category", "Catégorie inconnue."),
    (
        {"subcategory": "M20"},
        "subcategory",
        "Cette sous-catégorie n'existe pas dans la catégorie choisie.",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), REFUSALS)
def test_each_refused_submission_names_its_field_and_says_why(
    ctx: TicketContext, changes: dict[str, Any], field: str, message: str
) -> None:
    body = {
        "organisation_id": "org-boulangerie-martin",
        "category": "CONNEXION",
        "subcategory": "S02",
        "title": "Une demande",
        "description": "Le détail de la demande, assez long pour être accepté.",
        **changes,
    }

    with pytest.raises(InvalidFieldsError) as refused:
        submitted(ctx, body, ALICE, NOW)

    assert [(e.field, e.message) for e in refused.value.errors] == [(field, message)]


def test_a_ticket_for_an_organisation_the_emitter_does_not_belong_to_is_forbidden(
    ctx: TicketContext,
) -> None:
    body = {
        "organisation_id": "org-atelier-dupont",
        "category": "CONNEXION",
        "subcategory": "S02",
        "title": "Une demande",
        "description": "Le détail de la demande, assez long pour être accepté.",
    }

    with pytest.raises(ForbiddenError, match=r"^Vous n'êtes pas rattaché à cette structure\.$"):
        submitted(ctx, body, ALICE, NOW)


def test_an_offline_request_for_a_connected_only_subcategory_says_why() -> None:
    with pytest.raises(InvalidFieldsError) as refused:
        get_catalogue().find_offline("FACTURE", "S20")

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("subcategory", "Cette demande nécessite d'être connecté au portail.")
    ]


def test_a_catalogue_is_read_from_its_yaml_text() -> None:
    text = """
categories:
  - code: C
    label: Une catégorie
    object_kind: invoice
    subcategories:
      - {code: S1, label: Une sous-catégorie, recipient: support, object_number: none,
         connected_only: true}
help_problems:
  - {code: p, label: Un problème, subcategory: S1}
"""

    catalogue = parse_catalogue(text)

    assert [(c.code, c.object_kind) for c in catalogue.categories] == [("C", "invoice")]
    assert catalogue.find("C", "S1")[1].connected_only is True
    assert catalogue.help_problem("p") is not None
