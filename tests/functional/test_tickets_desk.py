"""The recipients' desk: who sees which ticket, assign, reply, transfer, and the e-mails."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.endpoints import wiring
from tests.functional.tickets_support import (
    SUPPORT_BODY,
    RoutingPump,
    errors_of,
    post,
    submit,
)

Auth = Callable[[str], dict[str, str]]


def _business(client: Any, auth: Auth, **overrides: Any) -> str:
    response = submit(client, auth("alice"), overrides)
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["ticket_id"])


def _support(client: Any, auth: Auth) -> str:
    response = submit(client, auth("alice"), base=SUPPORT_BODY)
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["ticket_id"])


def _desk(client: Any, auth: Auth, user: str, query: str = "") -> Any:
    return client.http.get(f"/desk/tickets{query}", headers=auth(user))


def _ids(response: Any) -> list[str]:
    return [t["ticket_id"] for t in json.loads(response.body)["items"]]


def test_business_agent_sees_tickets_addressed_to_their_organisation(
    client: Any, auth: Auth
) -> None:
    mairie = _business(client, auth)
    hopital = _business(
        client,
        auth,
        subcategory="M23",
        object_number=None,
        recipient_organisation_id="org-ch-valbourg",
    )
    support = _support(client, auth)

    marc = _desk(client, auth, "marc")
    sophie = _desk(client, auth, "sophie")

    assert marc.status_code == sophie.status_code == 200
    assert _ids(marc) == [mairie]
    assert _ids(sophie) == [support]
    assert hopital not in _ids(marc) + _ids(sophie)


@pytest.mark.parametrize("user", ["alice", "bruno"])
def test_desk_needs_an_agent_role(client: Any, auth: Auth, user: str) -> None:
    response = _desk(client, auth, user)

    assert response.status_code == 403


def test_support_agent_cannot_open_a_business_desk(client: Any, auth: Auth) -> None:
    response = _desk(client, auth, "sophie", "?queue=business")

    assert response.status_code == 403


def test_desk_filters_by_status_and_orders_by_workflow(client: Any, auth: Auth) -> None:
    first = _business(client, auth, title="Premier ticket")
    second = _business(client, auth, title="Deuxième ticket")
    post(client, f"/desk/tickets/{second}/assign", auth("marc"))

    submitted = _desk(client, auth, "marc", "?status=submitted")
    everything = _desk(client, auth, "marc")

    assert _ids(submitted) == [first]
    assert _ids(everything) == [first, second]


def test_desk_paginates(client: Any, auth: Auth) -> None:
    created = [_business(client, auth, title=f"Ticket {n}") for n in range(3)]

    page = json.loads(_desk(client, auth, "marc", "?limit=2").body)
    rest = json.loads(_desk(client, auth, "marc", f"?limit=2&cursor={page['next_cursor']}").body)

    assert [t["ticket_id"] for t in page["items"] + rest["items"]] == created
    assert rest["next_cursor"] is None


def test_desk_list_costs_two_queries_for_a_business_agent(
    client: Any, auth: Auth, aws_calls: Any
) -> None:
    _business(client, auth)
    aws_calls.reset()

    _desk(client, auth, "marc")

    assert aws_calls.calls == {"dynamodb.Query": 2}  # memberships, then the desk


def test_business_agent_of_several_bodies_names_the_desk(
    client: Any, auth: Auth, token_for: Callable[..., str]
) -> None:
    from chalicelib.directory import User
    from infra.demo import HOPITAL, MAIRIE

    wiring.directory().put_user(
        User(user_id="nina", email="nina@example.fr", name="Nina", groups=["business_agents"]),
        (MAIRIE, HOPITAL),
    )
    headers = {
        "Authorization": f"Bearer {token_for('nina', groups=['business_agents'])}",
        "Content-Type": "application/json",
    }
    mairie = _business(client, auth)

    ambiguous = client.http.get("/desk/tickets", headers=headers)
    named = client.http.get("/desk/tickets?organisation_id=org-mairie-valbourg", headers=headers)
    foreign = client.http.get("/desk/tickets?organisation_id=org-tj-valbourg", headers=headers)

    assert ambiguous.status_code == 422
    assert errors_of(ambiguous) == ["organisation_id"]
    assert _ids(named) == [mairie]
    assert foreign.status_code == 403


def test_agents_get_404_for_tickets_not_addressed_to_them(client: Any, auth: Auth) -> None:
    business = _business(client, auth)
    support = _support(client, auth)
    reply = {"text": "Réponse", "status": "resolved"}

    responses = {
        "marc-get": client.http.get(f"/desk/tickets/{support}", headers=auth("marc")),
        "marc-assign": post(client, f"/desk/tickets/{support}/assign", auth("marc")),
        "marc-reply": post(client, f"/desk/tickets/{support}/reply", auth("marc"), reply),
        "marc-transfer": post(client, f"/desk/tickets/{support}/transfer", auth("marc")),
        "sophie-get": client.http.get(f"/desk/tickets/{business}", headers=auth("sophie")),
        "sophie-assign": post(client, f"/desk/tickets/{business}/assign", auth("sophie")),
        "sophie-reply": post(client, f"/desk/tickets/{business}/reply", auth("sophie"), reply),
        "unknown": post(client, "/desk/tickets/nope/assign", auth("marc")),
    }

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)


def test_business_agent_of_another_body_gets_404(
    client: Any, auth: Auth, token_for: Callable[..., str]
) -> None:
    from chalicelib.directory import User
    from infra.demo import TRIBUNAL

    wiring.directory().put_user(
        User(user_id="theo", email="theo@example.fr", name="Théo", groups=["business_agents"]),
        (TRIBUNAL,),
    )
    headers = {"Authorization": f"Bearer {token_for('theo', groups=['business_agents'])}"}
    ticket_id = _business(client, auth)

    response = client.http.get(f"/desk/tickets/{ticket_id}", headers=headers)

    assert response.status_code == 404


def test_assign_takes_the_ticket(client: Any, auth: Auth) -> None:
    ticket_id = _business(client, auth)

    response = post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))

    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["status"] == "in_progress"
    assert body["entry"]["by"] == {"user_id": "marc", "name": "Marc Petit", "role": "agent"}
    ticket = json.loads(client.http.get(f"/desk/tickets/{ticket_id}", headers=auth("marc")).body)
    assert ticket["assignee"]["user_id"] == "marc"


def test_assigning_twice_is_409(client: Any, auth: Auth) -> None:
    ticket_id = _business(client, auth)
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))

    response = post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))

    assert response.status_code == 409


def test_reply_before_assigning_is_409(client: Any, auth: Auth) -> None:
    ticket_id = _business(client, auth)

    response = post(
        client,
        f"/desk/tickets/{ticket_id}/reply",
        auth("marc"),
        {"text": "Réponse", "status": "resolved"},
    )

    assert response.status_code == 409


def test_only_the_assignee_replies_and_a_colleague_can_take_over(
    client: Any, auth: Auth, token_for: Callable[..., str]
) -> None:
    zoe = {
        "Authorization": f"Bearer {token_for('zoe', groups=['support_agents'])}",
        "Content-Type": "application/json",
    }
    ticket_id = _support(client, auth)
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("sophie"))
    reply = {"text": "Réponse", "status": "resolved"}

    refused = post(client, f"/desk/tickets/{ticket_id}/reply", zoe, reply)
    taken = post(client, f"/desk/tickets/{ticket_id}/assign", zoe)
    replied = post(client, f"/desk/tickets/{ticket_id}/reply", zoe, reply)

    assert refused.status_code == 409
    assert taken.status_code == 200
    assert replied.status_code == 200
    assert json.loads(replied.body)["status"] == "resolved"


def test_reply_with_another_status_is_422(client: Any, auth: Auth) -> None:
    ticket_id = _business(client, auth)
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))

    response = post(
        client,
        f"/desk/tickets/{ticket_id}/reply",
        auth("marc"),
        {"text": "Réponse", "status": "closed"},
    )

    assert response.status_code == 422
    assert errors_of(response) == ["status"]


@pytest.mark.parametrize("status", ["waiting_for_user", "resolved"])
def test_emitter_is_emailed_when_the_recipient_replies(
    client: Any, auth: Auth, routing: RoutingPump, sent_mail: Callable[[], list[Any]], status: str
) -> None:
    ticket_id = _business(client, auth, contact_email="compta@boulangerie-martin.example.fr")
    reference = json.loads(client.http.get(f"/tickets/{ticket_id}", headers=auth("alice")).body)[
        "reference"
    ]
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))
    post(
        client,
        f"/desk/tickets/{ticket_id}/reply",
        auth("marc"),
        {"text": "Merci de joindre le bon de livraison.", "status": status},
    )
    before = len(sent_mail())

    routing.run()

    to_emitter = [
        m
        for m in sent_mail()
        if m.destinations["ToAddresses"] == ["compta@boulangerie-martin.example.fr"]
    ]
    assert len(to_emitter) == 1
    assert reference in to_emitter[0].subject
    assert "Merci de joindre le bon de livraison." in to_emitter[0].body
    assert len(sent_mail()) == before + 2  # the reply, and the mairie's arrival e-mail


def test_transfer_sends_a_business_ticket_to_the_tool_support(
    client: Any, auth: Auth, routing: RoutingPump
) -> None:
    ticket_id = _business(client, auth)
    routing.run()
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))

    response = post(
        client,
        f"/desk/tickets/{ticket_id}/transfer",
        auth("marc"),
        {"text": "Question sur le portail, pas sur la facture."},
    )
    routing.dispatch()
    support_messages = routing.queue_bodies("support")
    routing.run()

    assert response.status_code == 200
    assert json.loads(response.body)["status"] == "submitted"
    assert [m["ticket_id"] for m in support_messages] == [ticket_id]
    assert support_messages[0]["dispatch_seq"] == 2
    assert ticket_id in _ids(_desk(client, auth, "sophie"))
    assert ticket_id not in _ids(_desk(client, auth, "marc"))
    assert client.http.get(f"/desk/tickets/{ticket_id}", headers=auth("marc")).status_code == 404
    ticket = json.loads(client.http.get(f"/tickets/{ticket_id}", headers=auth("alice")).body)
    assert ticket["recipient"] == {
        "type": "support",
        "organisation_id": None,
        "designation": "Support Chorus Pro",
    }
    assert ticket["assignee"] is None
    delivered = [h["recipient"]["type"] for h in ticket["history"] if h["event"] == "delivered"]
    assert delivered == ["business", "support"]


def test_transfer_is_for_business_agents_only(client: Any, auth: Auth) -> None:
    ticket_id = _support(client, auth)

    response = post(client, f"/desk/tickets/{ticket_id}/transfer", auth("sophie"))

    assert response.status_code == 403


def test_transfer_of_a_resolved_ticket_is_409(client: Any, auth: Auth) -> None:
    ticket_id = _business(client, auth)
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))
    post(
        client,
        f"/desk/tickets/{ticket_id}/reply",
        auth("marc"),
        {"text": "Réponse", "status": "resolved"},
    )

    response = post(client, f"/desk/tickets/{ticket_id}/transfer", auth("marc"))

    assert response.status_code == 409


def test_desk_actions_on_a_closed_ticket_are_409(client: Any, auth: Auth) -> None:
    ticket_id = _business(client, auth)
    post(client, f"/tickets/{ticket_id}/close", auth("alice"))

    assign = post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))
    transfer = post(client, f"/desk/tickets/{ticket_id}/transfer", auth("marc"))

    assert assign.status_code == transfer.status_code == 409


def test_reply_costs_at_most_three_calls(client: Any, auth: Auth, aws_calls: Any) -> None:
    ticket_id = _business(client, auth)
    post(client, f"/desk/tickets/{ticket_id}/assign", auth("marc"))
    aws_calls.reset()

    response = post(
        client,
        f"/desk/tickets/{ticket_id}/reply",
        auth("marc"),
        {"text": "Réponse", "status": "resolved"},
    )

    assert response.status_code == 200
    assert aws_calls.total <= 3, aws_calls.calls
    assert aws_calls.count("Scan") == 0
