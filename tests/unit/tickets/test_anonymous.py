"""Following a help request with its link, on fakes: read, answer with a file, reopen, close,
rate; every wrong link a 404 counted by the rate limiter."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.attachments.service import check_upload, request_upload, uploader_for
from chalicelib.routing.dispatch import TicketNotice
from chalicelib.routing.notify import send_notices
from chalicelib.shared.errors import ConflictError, NotFoundError, TooManyRequestsError
from chalicelib.tickets import anonymous, desk, followlink
from chalicelib.tickets.anonymous import FollowAccess
from chalicelib.tickets.help import NewHelpRequest, submit_help_request
from chalicelib.tickets.satisfaction import NewRating
from chalicelib.tickets.views import FollowedRequest
from tests.fakes.context import FAKE_SETTINGS, Fakes
from tests.unit.given import NOW, SOPHIE
from tests.unit.tickets.test_help_requests import HELP

ADDRESS = "203.0.113.7"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 92
LATER = NOW + timedelta(hours=1)


def help_request(fakes: Fakes) -> tuple[str, str]:
    """A help request, and the token of its acknowledgement's link (as the e-mail has it)."""
    accepted = submit_help_request(
        fakes.ticket_context(),
        fakes.limiter,
        None,
        NewHelpRequest.model_validate(HELP),
        ADDRESS,
        None,
        NOW,
    )
    [ticket] = fakes.store.all_tickets()
    found = fakes.store.get_with_history(ticket.ticket_id)
    assert found is not None
    notice = TicketNotice(
        ticket_id=ticket.ticket_id, event_id=found[1][0].event_id, kind="submitted"
    )
    send_notices(notice.model_dump_json(), fakes.notifying(), NOW)
    [mail] = fakes.mailer.to(HELP["email"])
    link = next(word for word in mail.text.split() if "/support/suivi#" in word)
    fragment = parse_qs(urlsplit(link).fragment)
    assert fragment["reference"] == [accepted.reference]
    return accepted.reference, fragment["jeton"][0]


def access(reference: str, token: str | None, address: str = ADDRESS) -> FollowAccess:
    return FollowAccess(reference=reference, token=token, client_ip=address)


def read(
    fakes: Fakes, reference: str, token: str | None, address: str = ADDRESS
) -> FollowedRequest:
    return anonymous.get_request(
        fakes.ticket_context(),
        fakes.follow_key,
        fakes.limiter,
        access(reference, token, address),
        LATER,
    )


def ticket_id(fakes: Fakes) -> str:
    [ticket] = fakes.store.all_tickets()
    return ticket.ticket_id


def test_the_acknowledgements_link_opens_the_request(fakes: Fakes) -> None:
    reference, token = help_request(fakes)

    followed = read(fakes, reference, token)

    assert (followed.reference, followed.status, followed.title) == (
        reference,
        "submitted",
        HELP["title"],
    )
    assert [entry.event for entry in followed.history] == ["submitted"]
    assert followed.link_expires_at == NOW + timedelta(days=90)
    assert "contact_email" not in followed.model_dump()


def test_the_person_answers_with_a_file_and_the_request_goes_back_to_the_support(
    fakes: Fakes,
) -> None:
    reference, token = help_request(fakes)
    ctx = fakes.ticket_context()
    desk.assign_ticket(ctx, SOPHIE, ticket_id(fakes), NOW)
    desk.reply_ticket(ctx, SOPHIE, ticket_id(fakes), "Une capture ?", "waiting_for_user", NOW)
    upload_token = "u" * 43
    grant = request_upload(
        fakes.attachments,
        fakes.uploads,
        fakes.limiter,
        uploader_for(None, upload_token),
        filename="capture.png",
        content_type="image/png",
        size=len(PNG),
        client_address=ADDRESS,
        now=NOW,
    )
    fakes.uploads.upload(grant.upload.fields["key"], PNG, "image/png")
    check_upload(fakes.attachments, fakes.uploads, grant.upload.fields["key"], NOW)

    change = anonymous.comment_request(
        ctx,
        fakes.follow_key,
        fakes.limiter,
        access(reference, token),
        "Voici la capture.",
        [grant.attachment_id],
        upload_token,
        LATER,
    )

    assert change.status == "in_progress"
    followed = read(fakes, reference, token)
    assert [a.attachment_id for a in followed.attachments] == [grant.attachment_id]
    assert followed.comments[-1].text == "Voici la capture."


def test_a_resolved_request_is_reopened_or_rated_once_then_closed(fakes: Fakes) -> None:
    reference, token = help_request(fakes)
    ctx = fakes.ticket_context()
    desk.assign_ticket(ctx, SOPHIE, ticket_id(fakes), NOW)
    desk.reply_ticket(ctx, SOPHIE, ticket_id(fakes), "Réinitialisez-le.", "resolved", NOW)
    rating = NewRating(stars=4, comment="Rapide.")
    args = (ctx, fakes.follow_key, fakes.limiter, access(reference, token))

    rated = anonymous.rate_request(*args, rating, LATER)
    with pytest.raises(ConflictError):
        anonymous.rate_request(*args, rating, LATER)
    anonymous.close_request(*args, LATER)

    assert (rated.stars, rated.comment) == (4, "Rapide.")
    with pytest.raises(NotFoundError):
        read(fakes, reference, token)  # closed: the link works no more


def test_reopening_sends_a_resolved_request_back_to_its_agent(fakes: Fakes) -> None:
    reference, token = help_request(fakes)
    ctx = fakes.ticket_context()
    desk.assign_ticket(ctx, SOPHIE, ticket_id(fakes), NOW)
    desk.reply_ticket(ctx, SOPHIE, ticket_id(fakes), "Réinitialisez-le.", "resolved", NOW)

    change = anonymous.reopen_request(
        ctx, fakes.follow_key, fakes.limiter, access(reference, token), "Toujours bloqué.", LATER
    )

    assert change.status == "in_progress"


def test_wrong_expired_and_other_requests_links_are_the_same_404(fakes: Fakes) -> None:
    reference, token = help_request(fakes)
    other = followlink.mint(fakes.follow_key.key(), "f" * 32, "T-2026-000099", LATER + timedelta(1))
    expired = followlink.mint(fakes.follow_key.key(), ticket_id(fakes), reference, LATER)

    refusals = []
    for attempt in [
        (reference, None),
        (reference, "x" * 71),
        (reference, token[:-2] + "AA"),
        ("T-2026-000099", token),
        ("T-2026-000099", other),
        (reference, other),
        (reference, expired),
    ]:
        with pytest.raises(NotFoundError) as refused:
            read(fakes, *attempt)
        refusals.append(refused.value.detail)

    assert len(set(refusals)) == 1
    follow_hits = {k: n for k, n in fakes.limiter.hits.items() if k.startswith("follow-link#")}
    assert list(follow_hits.values()) == [7]


def test_past_the_limit_wrong_links_from_one_address_are_429(fakes: Fakes) -> None:
    fakes.settings = FAKE_SETTINGS.model_copy(update={"follow_link_failures_per_address_hour": 3})
    reference, token = help_request(fakes)
    for _ in range(3):
        with pytest.raises(NotFoundError):
            read(fakes, reference, "x" * 71)

    with pytest.raises(TooManyRequestsError):
        read(fakes, reference, "x" * 71)

    assert read(fakes, reference, token).reference == reference  # a good link still works
    with pytest.raises(NotFoundError):
        read(fakes, reference, "x" * 71, address="198.51.100.1")


def test_a_signed_in_emitters_ticket_has_no_follow_up_link(fakes: Fakes) -> None:
    from tests.unit.given import submitted

    ticket = submitted(fakes.ticket_context())
    token = followlink.mint(
        fakes.follow_key.key(), ticket.ticket_id, ticket.reference, LATER + timedelta(days=1)
    )

    with pytest.raises(NotFoundError):
        read(fakes, ticket.reference, token)
