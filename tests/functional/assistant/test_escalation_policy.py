"""ClaudIA's escalation policy over HTTP, in full: every not-understood answer from the
second on, a negative rating, an explicit request; the LiveChat offered only when the
advisors' calendar (closures and special hours included) says it is open.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.livechat.availability import forget_calendars

JSON = {"Content-Type": "application/json"}
OPEN_FRIDAY = "2026-12-04T10:00:00+01:00"
SATURDAY = "2026-12-05T10:00:00+01:00"
GIBBERISH = (
    "zorglub blorp quantique",
    "flurbo grimbli wazaa",
    "xylophane krumpf dabadou",
    "plimplou vrazouk mirlipon",
)
LIVECHAT_AND_TICKET = ["livechat", "ticket"]
Headers = Callable[[str], dict[str, str]]


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    forget_calendars()
    yield
    forget_calendars()


def _start(client: Any) -> str:
    response = client.http.post("/assistant/conversations", headers=JSON, body="")
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["conversation_id"])


def _say(client: Any, conversation_id: str, text: str) -> dict[str, Any]:
    response = client.http.post(
        f"/assistant/conversations/{conversation_id}/messages",
        headers=JSON,
        body=json.dumps({"text": text}),
    )
    assert response.status_code == 200, response.body
    reply: dict[str, Any] = json.loads(response.body)
    return reply


def _offer(reply: dict[str, Any]) -> tuple[str, list[str]] | None:
    escalation = reply["escalation"]
    return (escalation["reason"], escalation["actions"]) if escalation else None


def _set_days(client: Any, auth: Headers, days: list[dict[str, Any]]) -> None:
    response = client.http.put(
        "/agent/livechat/closures", body=json.dumps({"days": days}), headers=auth("sophie")
    )
    assert response.status_code == 200, response.body
    forget_calendars()


def test_the_second_third_and_fourth_not_understood_answers_each_offer_a_person(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    conversation_id = _start(client)

    offers = [_offer(_say(client, conversation_id, text)) for text in GIBBERISH]

    assert offers == [
        None,
        ("not_understood", LIVECHAT_AND_TICKET),
        ("not_understood", LIVECHAT_AND_TICKET),
        ("not_understood", LIVECHAT_AND_TICKET),
    ]


def test_an_understood_answer_between_does_not_reset_the_count(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    conversation_id = _start(client)

    offers = [
        _offer(_say(client, conversation_id, text))
        for text in (GIBBERISH[0], "mot de passe oublié", GIBBERISH[1], GIBBERISH[2])
    ]

    assert offers == [
        None,
        None,
        ("not_understood", LIVECHAT_AND_TICKET),
        ("not_understood", LIVECHAT_AND_TICKET),
    ]


def test_a_negative_rating_offers_the_livechat_while_it_is_open(
    client: Any, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    conversation_id = _start(client)
    reply = _say(client, conversation_id, "mot de passe oublié")

    down = client.http.put(
        f"/assistant/conversations/{conversation_id}/messages/{reply['message_id']}/rating",
        headers=JSON,
        body=json.dumps({"value": "down"}),
    )

    escalation = json.loads(down.body)["escalation"]
    assert (escalation["reason"], escalation["actions"]) == ("negative_rating", LIVECHAT_AND_TICKET)
    assert escalation["livechat"] == {"open": True, "next_opening": None}
    assert escalation["ticket_draft"] == f"/assistant/conversations/{conversation_id}/ticket-draft"


def test_a_day_the_advisors_closed_claudia_offers_only_a_ticket_and_the_next_opening(
    client: Any, auth: Headers, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(OPEN_FRIDAY)
    _set_days(client, auth, [{"date": "2026-12-04", "reason": "Formation"}])
    conversation_id = _start(client)

    asked = _say(client, conversation_id, "je veux parler à un conseiller")

    assert _offer(asked) == ("asked", ["ticket"])
    assert asked["escalation"]["livechat"] == {
        "open": False,
        "next_opening": "2026-12-07T08:30:00+01:00",
    }


def test_a_saturday_the_advisors_opened_claudia_offers_the_livechat(
    client: Any, auth: Headers, frozen_clock: Callable[[str], Any]
) -> None:
    frozen_clock(SATURDAY)
    _set_days(
        client,
        auth,
        [{"date": "2026-12-05", "closed": False, "opens": "09:00", "closes": "12:00"}],
    )
    conversation_id = _start(client)

    asked = _say(client, conversation_id, "je veux parler à un conseiller")

    assert _offer(asked) == ("asked", LIVECHAT_AND_TICKET)


@pytest.mark.parametrize(
    "instant",
    ["2026-04-03T10:00:00+02:00", "2028-12-26T10:00:00+01:00"],
    ids=["good-friday", "26-december"],
)
def test_by_default_good_friday_and_26_december_are_open_as_in_metropolitan_france(
    client: Any, frozen_clock: Callable[[str], Any], instant: str
) -> None:
    frozen_clock(instant)
    conversation_id = _start(client)

    asked = _say(client, conversation_id, "je veux parler à un conseiller")
    availability = json.loads(client.http.get("/livechat/availability").body)

    assert _offer(asked) == ("asked", LIVECHAT_AND_TICKET)
    assert availability["open"] is True
