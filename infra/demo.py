"""The demo data of CONTRACT.md, shared by the local stack (`make run`) and the tests.

| user   | profile            | groups          | organisations                         |
| alice  | fournisseur        |                 | Boulangerie Martin, Martin Conseil    |
| claire | fournisseur        |                 | Atelier Dupont                        |
| bruno  | structure_publique |                 | Mairie de Valbourg                    |
| sophie |                    | support_agents  |                                       |
| marc   | structure_publique | business_agents | Mairie de Valbourg                    |
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.directory import BusinessObject, DirectoryRepository, Organisation, User

BOULANGERIE = Organisation(
    id="org-boulangerie-martin",
    designation="Boulangerie Martin SARL",
    siret="41287395000015",
    kind="supplier",
)
MARTIN_CONSEIL = Organisation(
    id="org-martin-conseil",
    designation="Martin Conseil SAS",
    siret="41287395000023",
    kind="supplier",
)
ATELIER_DUPONT = Organisation(
    id="org-atelier-dupont",
    designation="Atelier Dupont",
    siret="82314567000019",
    kind="supplier",
)
MAIRIE = Organisation(
    id="org-mairie-valbourg",
    designation="Mairie de Valbourg",
    siret="21300512000018",
    kind="public",
    service_email="factures@mairie-valbourg.example.fr",
)
HOPITAL = Organisation(
    id="org-ch-valbourg",
    designation="Centre hospitalier de Valbourg",
    siret="26130004000019",
    kind="public",
    service_email="fournisseurs@ch-valbourg.example.fr",
)
TRIBUNAL = Organisation(
    id="org-tj-valbourg",
    designation="Tribunal judiciaire de Valbourg",
    siret="13000117000013",
    kind="public",
    service_email="frais-justice@tj-valbourg.example.fr",
)
DOUANES = Organisation(
    id="org-douanes-valbourg",
    designation="Bureau des douanes de Valbourg",
    siret="21310007000019",
    kind="public",
    service_email="tic@douanes-valbourg.example.fr",
)

ORGANISATIONS = (BOULANGERIE, MARTIN_CONSEIL, ATELIER_DUPONT, MAIRIE, HOPITAL, TRIBUNAL, DOUANES)

USERS: tuple[tuple[User, tuple[Organisation, ...]], ...] = (
    (
        User(
            user_id="alice",
            email="alice.martin@boulangerie-martin.example.fr",
            name="Alice Martin",
            profile="fournisseur",
        ),
        (BOULANGERIE, MARTIN_CONSEIL),
    ),
    (
        User(
            user_id="claire",
            email="claire.dupont@atelier-dupont.example.fr",
            name="Claire Dupont",
            profile="fournisseur",
        ),
        (ATELIER_DUPONT,),
    ),
    (
        User(
            user_id="bruno",
            email="bruno.leroy@mairie-valbourg.example.fr",
            name="Bruno Leroy",
            profile="structure_publique",
        ),
        (MAIRIE,),
    ),
    (
        User(
            user_id="sophie",
            email="sophie.bernard@support.guichet.example.fr",
            name="Sophie Bernard",
            groups=["support_agents"],
        ),
        (),
    ),
    (
        User(
            user_id="marc",
            email="marc.petit@mairie-valbourg.example.fr",
            name="Marc Petit",
            profile="structure_publique",
            groups=["business_agents"],
        ),
        (MAIRIE,),
    ),
)


def _object(
    number: str, emitter: Organisation, recipient: Organisation, **fields: object
) -> BusinessObject:
    data: dict[str, object] = {
        "number": number,
        "kind": "invoice",
        "emitter_organisation_id": emitter.id,
        "emitter_designation": emitter.designation,
        "recipient_organisation_id": recipient.id,
        "recipient_designation": recipient.designation,
    }
    data.update(fields)
    return BusinessObject.model_validate(data)


BUSINESS_OBJECTS = (
    _object(
        "FA-2026-0001",
        BOULANGERIE,
        MAIRIE,
        status="MISE_EN_PAIEMENT",
        status_label="Mise en paiement",
        status_changed_at=datetime.fromisoformat("2026-10-12T09:15:00+02:00"),
        amount="1250.00",
    ),
    _object(
        "FA-2026-0002",
        BOULANGERIE,
        MAIRIE,
        status="REJETEE",
        status_label="Rejetée",
        status_changed_at=datetime.fromisoformat("2026-10-20T14:02:00+02:00"),
        amount="840.50",
        recipient_comment="Le numéro d'engagement juridique est absent ; merci de déposer "
        "une nouvelle facture en l'indiquant.",
    ),
    _object(
        "FA-2026-0003",
        BOULANGERIE,
        MAIRIE,
        status="SUSPENDUE",
        status_label="Suspendue",
        status_changed_at=datetime.fromisoformat("2026-11-03T11:40:00+01:00"),
        amount="2310.00",
        recipient_comment="Le bon de livraison signé manque : merci de le joindre à la facture.",
    ),
    _object(
        "FA-2026-0004",
        BOULANGERIE,
        MAIRIE,
        status="MISE_A_DISPOSITION",
        status_label="Mise à disposition du destinataire",
        status_changed_at=datetime.fromisoformat("2026-11-20T16:25:00+01:00"),
        amount="615.20",
    ),
    _object(
        "FC-2026-0001",
        ATELIER_DUPONT,
        MAIRIE,
        status="MISE_A_DISPOSITION",
        status_label="Mise à disposition du destinataire",
        status_changed_at=datetime.fromisoformat("2026-11-18T10:00:00+01:00"),
        amount="3900.00",
    ),
    _object(
        "MJ-2026-0001",
        MARTIN_CONSEIL,
        TRIBUNAL,
        kind="statement",
        status="EN_COURS_DE_TRAITEMENT",
        status_label="En cours de traitement",
        status_changed_at=datetime.fromisoformat("2026-11-05T08:30:00+01:00"),
        amount="480.00",
    ),
    _object(
        "TIC-2026-0001",
        MARTIN_CONSEIL,
        DOUANES,
        kind="refund_request",
        status="DEPOSEE",
        status_label="Déposée",
        status_changed_at=datetime.fromisoformat("2026-11-10T15:00:00+01:00"),
        amount="1520.00",
    ),
)


def seed_directory(directory: DirectoryRepository) -> None:
    """Write the demo users, organisations and business objects."""
    for organisation in ORGANISATIONS:
        directory.put_organisation(organisation)
    for user, organisations in USERS:
        directory.put_user(user, organisations)
    directory.put_new_business_objects(BUSINESS_OBJECTS)
