"""The desk over HTTP (Chalice test client + moto): search by each key, filters, orders,
what a search costs, and business agents kept to their organisation's tickets."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from chalicelib.endpoints import wiring
from chalicelib.livechat.availability import forget_calendars
from tests.functional.tickets_support import SUPPORT_BODY, post, submit

Auth = Callable[[str], dict[str, str]]
# A Friday morning in Paris.
FRIDAY = "2026-12-04T10:00:00+01:00"


@pytest.fixture(autouse=True)
def _fresh_calendar() -> None:
    forget_calendars()


def _submit(
    client: Any, auth: Auth, user: str = "alice", base: Any = None, **overrides: Any
) -> dict[str, Any]:
    response = submit(client, auth(user), overrides, base)
    assert response.status_code == 201, response.body
    return dict(json.loads(response.body))


def _search(client: Any, auth: Auth, user: str, query: str) -> list[str]:
    response = client.http.get(f"/desk/tickets?{query}", headers=auth(user))
    assert response.status_code == 200, response.body
    return [t["reference"] for t in json.loads(response.body)["items"]]


def _q(text: str) -> str:
    from urllib.parse import quote

    return "q=" + quote(text)


def test_search_finds_a_ticket_by_each_of_its_keys(client: Any, auth: Auth) -> None:
    # Given two tickets of alice's to Mairie de Valbourg and one of claire's
    rejected = _submit(
        client,
        auth,
        subcategory="M21",
        object_number="FA-2026-0002",
        title="Contestation du rejet des factures de novembre",
    )
    suspended = _submit(client, auth, title="Facture suspendue depuis un mois")
    claire = _submit(
        client,
        auth,
        "claire",
        organisation_id="org-atelier-dupont",
        object_number="FC-2026-0001",
        title="Paiement en retard",
    )

    def found(text: str) -> list[str]:
        return _search(client, auth, "marc", _q(text))

    # Then marc finds each by its reference, N° Objet, e-mail, SIRET, title words
    assert found(rejected["reference"]) == [rejected["reference"]]
    assert found(rejected["reference"].lower()) == [rejected["reference"]]
    assert found("fa-2026-0002") == [rejected["reference"]]
    assert found("FC-2026-0001") == [claire["reference"]]
    assert found("alice.martin@boulangerie-martin.example.fr") == [
        suspended["reference"],
        rejected["reference"],
    ]
    assert found("412 873 950 00015") == [suspended["reference"], rejected["reference"]]
    assert found("82314567000019") == [claire["reference"]]
    # Words of the title: plural, accents and case do not matter; every word must match.
    assert found("facture") == [suspended["reference"], rejected["reference"]]
    assert found("Rejet FACTURES") == [rejected["reference"]]
    assert found("factures suspendues") == [suspended["reference"]]
    assert found("retard") == [claire["reference"]]
    assert found("introuvable") == []


def test_a_business_agent_never_finds_another_bodys_tickets(client: Any, auth: Auth) -> None:
    hopital = _submit(
        client,
        auth,
        subcategory="M23",
        object_number=None,
        recipient_organisation_id="org-ch-valbourg",
        title="Question pour l'hôpital",
    )
    support = _submit(client, auth, base=SUPPORT_BODY, title="Question pour le support")

    assert _search(client, auth, "marc", _q(hopital["reference"])) == []
    assert _search(client, auth, "marc", _q("question")) == []
    assert _search(client, auth, "marc", _q(support["reference"])) == []
    assert _search(client, auth, "sophie", _q("question")) == [support["reference"]]


def test_a_transferred_ticket_is_found_on_its_new_desk_only(client: Any, auth: Auth) -> None:
    ticket = _submit(client, auth, title="Question technique mal orientée")

    post(
        client,
        f"/desk/tickets/{ticket['ticket_id']}/transfer",
        auth("marc"),
        {"text": "Pas pour nous"},
    )

    assert _search(client, auth, "marc", _q("technique")) == []
    assert _search(client, auth, "sophie", _q("technique")) == [ticket["reference"]]


def test_a_search_costs_one_query_and_one_batch_get(
    client: Any, auth: Auth, aws_calls: Any
) -> None:
    _submit(client, auth, title="Facture suspendue")
    _submit(client, auth, title="Facture rejetée")
    aws_calls.reset()

    found = _search(client, auth, "sophie", _q("support"))  # nothing on sophie's desk
    calls_empty = dict(aws_calls.calls)
    aws_calls.reset()
    found = _search(client, auth, "marc", _q("facture"))

    assert len(found) == 2
    assert calls_empty.get("dynamodb.Query", 0) == 1
    # marc's memberships, the postings; then the tickets found; and the LiveChat's closures.
    assert aws_calls.count("Query") == 2
    assert aws_calls.count("BatchGetItem") == 1
    assert aws_calls.count("Scan") == 0


def test_filters_assignee_status_category(client: Any, auth: Auth) -> None:
    first = _submit(client, auth, title="Premier")
    second = _submit(client, auth, title="Deuxième")
    post(client, f"/desk/tickets/{second['ticket_id']}/assign", auth("marc"))

    mine = _search(client, auth, "marc", "assignee=me&sort=newest")
    free = _search(client, auth, "marc", "assignee=none&sort=newest")
    taken = _search(client, auth, "marc", "status=in_progress&sort=oldest")
    other = _search(client, auth, "marc", "category=CONNEXION&sort=newest")
    searched = _search(client, auth, "marc", _q("Deuxième") + "&status=submitted")

    assert mine == [second["reference"]]
    assert free == [first["reference"]]
    assert taken == [second["reference"]]
    assert other == []
    assert searched == []


def test_newest_oldest_and_ageing_orders(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    frozen_clock("2026-12-01T09:00:00+01:00")
    old = _submit(client, auth, title="Le plus ancien")
    frozen_clock("2026-12-02T09:00:00+01:00")
    new = _submit(client, auth, title="Le plus récent")
    frozen_clock("2026-12-03T09:00:00+01:00")
    # The older one waits for alice: it leaves the recipient's queue.
    post(client, f"/desk/tickets/{old['ticket_id']}/assign", auth("marc"))
    post(
        client,
        f"/desk/tickets/{old['ticket_id']}/reply",
        auth("marc"),
        {"text": "Précisez", "status": "waiting_for_user"},
    )

    newest = _search(client, auth, "marc", "sort=newest")
    oldest = _search(client, auth, "marc", "sort=oldest")
    ageing = _search(client, auth, "marc", "sort=ageing")
    frozen_clock("2026-12-04T09:00:00+01:00")
    # alice answers: the ticket is back with marc, its wait starting again now.
    post(client, f"/tickets/{old['ticket_id']}/comments", auth("alice"), {"text": "Voici."})
    after_answer = _search(client, auth, "marc", "sort=ageing")

    assert newest == [new["reference"], old["reference"]]
    assert oldest == [old["reference"], new["reference"]]
    assert ageing == [new["reference"]]
    assert after_answer == [new["reference"], old["reference"]]


def test_overdue_tickets_are_marked_and_filtered(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    # FACTURE: 2 working days (20 working hours).
    frozen_clock("2026-12-02T10:00:00+01:00")  # Wednesday
    late = _submit(client, auth, title="En retard")
    frozen_clock("2026-12-04T09:00:00+01:00")  # Friday
    on_time = _submit(client, auth, title="À l'heure")
    frozen_clock("2026-12-04T10:30:00+01:00")  # 20.5 working hours after Wednesday 10:00

    response = client.http.get("/desk/tickets?sort=ageing", headers=auth("marc"))
    overdue = _search(client, auth, "marc", "overdue=true")

    items = {t["reference"]: t["age"] for t in json.loads(response.body)["items"]}
    assert items[late["reference"]]["overdue"] is True
    assert items[late["reference"]]["working_hours"] == 20.5
    assert items[late["reference"]]["due_at"] == "2026-12-04T10:00:00+01:00"
    assert items[on_time["reference"]]["overdue"] is False
    assert items[on_time["reference"]]["working_hours"] == 1.5
    assert overdue == [late["reference"]]


def test_a_tickets_wait_skips_a_weekend_and_a_public_holiday(
    client: Any, auth: Auth, frozen_clock: Callable[[str], datetime]
) -> None:
    # Christmas 2026 is a Friday: Thursday 17:30 -> Monday 28 December 10:00 is
    # 1 h on Thursday (to 18:30) and 1.5 h on Monday (from 08:30).
    frozen_clock("2026-12-24T17:30:00+01:00")
    waiting = _submit(client, auth, title="Avant Noël")
    frozen_clock("2026-12-28T10:00:00+01:00")

    response = client.http.get("/desk/tickets?sort=ageing", headers=auth("marc"))
    frozen_clock("2026-12-29T17:31:00+01:00")
    overdue = _search(client, auth, "marc", "overdue=true")

    [age] = [t["age"] for t in json.loads(response.body)["items"]]
    assert age["waiting"] is True
    assert age["working_hours"] == 2.5
    assert age["overdue"] is False
    # FACTURE's 2 working days (20 h): 1 h Thursday, 10 h Monday, 9 h Tuesday.
    assert age["due_at"] == "2026-12-29T17:30:00+01:00"
    assert overdue == [waiting["reference"]]


def test_an_empty_search_is_422(client: Any, auth: Auth) -> None:
    response = client.http.get("/desk/tickets?q=%20-%20", headers=auth("marc"))

    assert response.status_code == 422
    assert [e["field"] for e in json.loads(response.body)["errors"]] == ["q"]


def test_search_index_items_are_written_with_the_ticket(client: Any, auth: Auth) -> None:
    ticket = _submit(client, auth, title="Facture suspendue")
    table = wiring.desk_index()

    page = table.postings("DESK#business#org-mairie-valbourg", "fa-2026-0003", True, 10, None)

    assert [p.ticket_id for p in page.items] == [ticket["ticket_id"]]
    assert "suspendu" in page.items[0].terms
