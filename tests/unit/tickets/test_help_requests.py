"""Help requests without an account, on fakes: checks, rate limits, idempotency, attachments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.attachments.service import check_upload, request_upload, uploader_for
from chalicelib.shared.errors import InvalidFieldsError, TooManyRequestsError
from chalicelib.tickets.help import HelpRequestAccepted, NewHelpRequest, submit_help_request
from tests.fakes.context import FAKE_SETTINGS, Fakes
from tests.unit.given import ALICE, NOW

ADDRESS = "203.0.113.7"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 92
HELP: dict[str, Any] = {
    "problem": "password",
    "category": "CONNEXION",
    "subcategory": "S02",
    "email": "jean.dupuis@example.fr",
    "email_confirmation": "jean.dupuis@example.fr",
    "title": "Mot de passe perdu",
    "description": "Je n'arrive plus à me connecter au portail depuis lundi.",
}


def ask(
    fakes: Fakes,
    key: str | None = None,
    address: str = ADDRESS,
    token: str | None = None,
    **changes: Any,
) -> HelpRequestAccepted:
    request = NewHelpRequest.model_validate({**HELP, **changes})
    return submit_help_request(
        fakes.ticket_context(), fakes.limiter, None, request, address, key, NOW, token
    )


def refused_fields(fakes: Fakes, **changes: Any) -> list[str]:
    with pytest.raises(InvalidFieldsError) as refused:
        ask(fakes, **changes)
    return [e.field for e in refused.value.errors]


def test_a_help_request_is_a_support_ticket_followed_by_email(fakes: Fakes) -> None:
    accepted = ask(fakes, siret="412 873 950 00015")

    assert accepted.reference == "T-2026-000001"
    [stored] = fakes.store.all_tickets()
    assert (stored.channel, stored.emitter_user_id, stored.emitter_name) == (
        "help_request",
        None,
        "jean.dupuis@example.fr",
    )
    assert (stored.recipient.type, stored.contact_email, stored.siret) == (
        "support",
        "jean.dupuis@example.fr",
        "41287395000015",
    )


def test_a_signed_in_person_follows_their_help_request_as_a_ticket(fakes: Fakes) -> None:
    request = NewHelpRequest.model_validate(HELP)

    submit_help_request(fakes.ticket_context(), fakes.limiter, ALICE, request, ADDRESS, None, NOW)

    [stored] = fakes.store.all_tickets()
    assert (stored.emitter_user_id, stored.emitter_name) == ("alice", "Alice")


def test_the_email_typed_twice_must_match_case_and_accents_aside(fakes: Fakes) -> None:
    assert refused_fields(fakes, email_confirmation="jean.dupuy@example.fr") == [
        "email_confirmation"
    ]

    ask(fakes, email_confirmation="Jean.Dupuis@Example.FR")

    assert len(fakes.store.all_tickets()) == 1


def test_a_siret_needs_14_digits_and_a_valid_key(fakes: Fakes) -> None:
    assert refused_fields(fakes, siret="41287395000016") == ["siret"]
    assert refused_fields(fakes, siret="4128739500001") == ["siret"]
    assert refused_fields(fakes, siret="35600000000000") == ["siret"]


def test_la_postes_establishments_follow_their_own_siret_rule(fakes: Fakes) -> None:
    ask(fakes, siret="35600000000001")

    assert [t.siret for t in fakes.store.all_tickets()] == ["35600000000001"]


def test_only_subcategories_offered_without_an_account_are_accepted(fakes: Fakes) -> None:
    assert refused_fields(fakes, category="FACTURE", subcategory="S20") == ["subcategory"]
    assert refused_fields(fakes, problem="no-such-problem") == ["problem"]


def test_a_subcategory_that_does_not_fit_the_problem_is_refused(fakes: Fakes) -> None:
    # "password" is S02; S01 is offered without an account, but for another problem.
    assert refused_fields(fakes, problem="password", subcategory="S01") == ["subcategory"]
    assert fakes.store.all_tickets() == []


def test_past_five_requests_an_hour_from_one_email_a_429_says_when_to_come_back(
    fakes: Fakes,
) -> None:
    for n in range(5):
        ask(fakes, title=f"Demande numéro {n}")

    with pytest.raises(TooManyRequestsError) as refused:
        ask(fakes, title="Demande de trop")

    assert refused.value.headers == {"Retry-After": "3600"}
    ask(fakes, email="autre@example.fr", email_confirmation="autre@example.fr")
    assert len(fakes.store.all_tickets()) == 6


def test_one_address_is_limited_per_hour_whatever_the_emails(fakes: Fakes) -> None:
    fakes.settings = FAKE_SETTINGS.model_copy(update={"help_requests_per_address_hour": 2})
    for n in range(2):
        ask(fakes, email=f"p{n}@example.fr", email_confirmation=f"p{n}@example.fr")

    with pytest.raises(TooManyRequestsError):
        ask(fakes, email="p9@example.fr", email_confirmation="p9@example.fr")

    ask(fakes, address="198.51.100.1")


def test_refused_requests_do_not_count_against_the_limit(fakes: Fakes) -> None:
    for _ in range(6):
        refused_fields(fakes, email_confirmation="typo@example.fr")

    ask(fakes)

    assert len(fakes.store.all_tickets()) == 1


def test_a_replayed_key_gets_the_first_answer_and_counts_nothing(fakes: Fakes) -> None:
    first = ask(fakes, key="help-1")

    replays = [ask(fakes, key="help-1") for _ in range(9)]

    assert replays == [first] * 9
    assert len(fakes.store.all_tickets()) == 1
    assert sorted(fakes.limiter.hits.values()) == [1, 1]


def test_attachments_go_with_the_upload_token_that_sent_them(fakes: Fakes) -> None:
    grant = request_upload(
        fakes.attachments,
        fakes.uploads,
        fakes.limiter,
        uploader_for(None, None),
        filename="capture.png",
        content_type="image/png",
        size=len(PNG),
        client_address=ADDRESS,
        now=NOW,
    )
    key = grant.upload.fields["key"]
    fakes.uploads.upload(key, PNG, "image/png")
    check_upload(fakes.attachments, fakes.uploads, key, NOW + timedelta(seconds=5))
    assert grant.client_token is not None
    ids = [grant.attachment_id]

    assert refused_fields(fakes, attachment_ids=ids) == ["attachment_ids"]
    assert refused_fields(fakes, attachment_ids=ids, token="x" * 43) == ["attachment_ids.0"]
    ask(fakes, attachment_ids=ids, token=grant.client_token)

    [stored] = fakes.store.all_tickets()
    assert stored.attachment_ids == ids
    claimed = fakes.attachments.get(grant.attachment_id)
    assert claimed is not None and claimed.ticket_id == stored.ticket_id
