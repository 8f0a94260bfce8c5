"""Benchmark of the desk's search and listings at 10,000 tickets: AWS calls per request.

Run from the repository root: `python bench/desk_search.py [--tickets N]`. Seeds 10,000 tickets
(spread over the support's desk and four public bodies', with their search
index items, written as the ticket store writes them, by batches to save
time) into moto, then asks the desk through the Chalice test client, as marc
(Mairie de Valbourg) and sophie (the support): a search by reference, N° Objet,
e-mail, SIRET, one title word, two title words, and the listings (longest wait
first, overdue, newest first). Prints one JSON line: per request its AWS calls
(the most seen over the runs), its Queries on the tickets table (the index) and in
all, Scans, tickets found and moto's median latency (moto answers a Query by
reading the whole table: latency there says nothing of DynamoDB's). Target: at
most 2 Queries on the index for any search or listing, whatever the table's size;
no Scan.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TICKETS = 10_000
RUNS = 3
WORDS = (
    "facture rejet suspension paiement retard mémoire remboursement engagement bon commande "
    "dépôt flux structure habilitation compte connexion mot passe raccordement API portail "
    "avoir montant TVA SIRET destinataire service numéro juridique pièce jointe"
).split()
DESKS = (
    ("support", None, "Support Chorus Pro"),
    ("business", "org-mairie-valbourg", "Mairie de Valbourg"),
    ("business", "org-ch-valbourg", "Centre hospitalier de Valbourg"),
    ("business", "org-tj-valbourg", "Tribunal judiciaire de Valbourg"),
    ("business", "org-douanes-valbourg", "Bureau des douanes de Valbourg"),
)


def _environment(signing_key: str) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_REGION": "eu-west-3",
            "GUICHET_STAGE": "test",
            "GUICHET_NOW": "2026-12-04T10:00:00+01:00",
            "AUTH_ISSUER": "https://auth.bench.guichet.invalid",
            "AUTH_AUDIENCE": "guichet-bench",
            "AUTH_LOCAL_SIGNING_KEY": signing_key,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)


def _tickets(now: datetime) -> list[Any]:
    from chalicelib.tickets.records import EmitterOrganisation, Recipient, TicketRecord

    rng = random.Random(12)
    statuses = ("submitted", "in_progress", "waiting_for_user", "resolved", "closed")
    records = []
    for number in range(1, TICKETS + 1):
        kind, organisation_id, designation = DESKS[number % len(DESKS)]
        created = now - timedelta(minutes=17 * (TICKETS - number))
        supplier = f"{number % 997:03d}"
        records.append(
            TicketRecord(
                ticket_id=f"bench{number:06d}",
                reference=f"T-2026-{number:06d}",
                status=statuses[rng.randrange(len(statuses))],
                emitter_user_id=f"user{number % 2000}",
                emitter_name=f"Fournisseur {supplier}",
                organisation=EmitterOrganisation(
                    id=f"org-{supplier}", designation=f"SARL {supplier}"
                ),
                siret=f"41287{number % 997:03d}000015",
                category="FACTURE" if kind == "business" else "CONNEXION",
                subcategory="M20" if kind == "business" else "S02",
                object_number=f"FA-2026-{number:05d}" if kind == "business" else None,
                title=" ".join(rng.sample(WORDS, 6)),
                description="Ticket de charge pour le banc d'essai.",
                contact_email=f"contact{number % 997}@fournisseur.example.fr",
                recipient=Recipient(
                    type=kind, organisation_id=organisation_id, designation=designation
                ),
                created_at=created,
                updated_at=created,
            )
        )
    return records


def _seed(table: Any, records: list[Any]) -> int:
    """The tickets and their search items, as the store writes them (batched: set-up only)."""
    from chalicelib.tickets.keys import ticket_item
    from chalicelib.tickets.search import index_items

    items = 0
    with table.batch_writer() as batch:
        for record in records:
            for item in (ticket_item(record), *index_items(record)):
                batch.put_item(Item=item)
                items += 1
    return items


def main() -> None:
    """`--tickets N` seeds N tickets instead (to compare a search's cost across sizes)."""
    global TICKETS
    if "--tickets" in sys.argv:
        TICKETS = int(sys.argv[sys.argv.index("--tickets") + 1])
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from chalicelib.auth import generate_signing_key

    signing_key = generate_signing_key()
    _environment(signing_key)

    from chalice.test import Client
    from moto import mock_aws

    from chalicelib.auth import mint_token
    from chalicelib.shared import aws, clock
    from chalicelib.shared.config import get_settings
    from infra.demo import USERS, seed_directory
    from infra.provision import create_all

    with mock_aws():
        os.environ.update(create_all(aws.session(), "test"))
        get_settings.cache_clear()
        aws.reset()
        from chalicelib.endpoints import wiring

        seed_directory(wiring.directory())
        records = _tickets(clock.now())
        started = time.perf_counter()
        items = _seed(aws.table(get_settings().tickets_table), records)
        seeding_s = round(time.perf_counter() - started, 1)
        groups = {user.user_id: user.groups for user, _ in USERS}

        def headers(user_id: str) -> dict[str, str]:
            token = mint_token(
                signing_key,
                issuer=os.environ["AUTH_ISSUER"],
                audience=os.environ["AUTH_AUDIENCE"],
                user_id=user_id,
                groups=groups[user_id],
                now=datetime.now(UTC),
            )
            return {"Authorization": f"Bearer {token}"}

        calls: Counter[str] = Counter()
        tickets_table = get_settings().tickets_table

        def record(model: Any, **_: Any) -> None:
            calls[f"{model.service_model.service_name}.{model.name}"] += 1

        def record_query(params: Any, **_: Any) -> None:
            if params.get("TableName") == tickets_table:
                calls["tickets_table_queries"] += 1

        aws.reset()
        aws.session().events.register("before-call.*.*", record)
        aws.session().events.register("before-parameter-build.dynamodb.Query", record_query)
        mairie = next(r for r in records if r.recipient.organisation_id == "org-mairie-valbourg")
        support = next(r for r in records if r.recipient.type == "support")
        requests = {
            "marc_reference": ("marc", f"q={mairie.reference}"),
            "marc_object_number": ("marc", f"q={mairie.object_number}"),
            "marc_email": ("marc", f"q={mairie.contact_email}"),
            "marc_siret": ("marc", f"q={mairie.siret}"),
            "marc_one_word": ("marc", "q=facture"),
            "marc_two_words": ("marc", "q=rejet%20paiement"),
            "sophie_reference": ("sophie", f"q={support.reference}"),
            "sophie_two_words_assigned_to_me": ("sophie", "q=compte%20connexion&assignee=me"),
            "marc_longest_wait": ("marc", "sort=ageing"),
            "marc_overdue": ("marc", "overdue=true"),
            "sophie_newest": ("sophie", "sort=newest"),
        }
        results: dict[str, Any] = {}
        from app import app

        with Client(app, stage_name="test") as client:
            for name, (user, query) in requests.items():
                seen: list[Counter[str]] = []
                times: list[float] = []
                found = 0
                for _ in range(RUNS):
                    calls.clear()
                    began = time.perf_counter()
                    response = client.http.get(
                        f"/desk/tickets?{query}&limit=20", headers=headers(user)
                    )
                    times.append((time.perf_counter() - began) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{name}: {response.status_code} {response.body!r}")
                    found = len(json.loads(response.body)["items"])
                    seen.append(Counter(calls))
                worst = max(seen, key=lambda counter: counter.total())
                index_queries = worst.pop("tickets_table_queries", 0)
                results[name] = {
                    "aws_calls": sum(worst.values()),
                    # Queries on the tickets table (the index); a business agent's request
                    # also reads their memberships (one Query on the directory).
                    "index_queries": index_queries,
                    "queries": sum(n for k, n in worst.items() if k.endswith(".Query")),
                    "scans": sum(n for k, n in worst.items() if k.endswith(".Scan")),
                    "operations": dict(sorted(worst.items())),
                    "found": found,
                    # moto runs a Query by reading every item of the table in Python: this
                    # grows with the table on moto only; DynamoDB reads the partition.
                    "moto_median_ms": round(statistics.median(times), 1),
                }
    print(
        json.dumps(
            {
                "bench": "desk_search",
                "tickets": TICKETS,
                "table_items": items,
                "seeding_s": seeding_s,
                "max_index_queries": max(r["index_queries"] for r in results.values()),
                "requests": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
