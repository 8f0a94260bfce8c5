"""Uploads without an account: only the client token that sent a file may attach it.

Two anonymous uploads are made, so "another upload's token" is a token the
service really issued.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.attachments.models import UploadGrant
from chalicelib.attachments.service import (
    caller_owners,
    check_upload,
    help_owner,
    request_upload,
    uploader_for,
)
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.tickets.help import NewHelpRequest, submit_help_request
from tests.fakes.context import Fakes
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
A_TOKEN = "A" * 43


def _anonymous_upload(fakes: Fakes) -> UploadGrant:
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
    return grant


def _help_request(fakes: Fakes, attachment_id: str, token: str | None) -> str:
    """ "accepted", or the field the 422 names."""
    request = NewHelpRequest.model_validate({**HELP, "attachment_ids": [attachment_id]})
    try:
        submit_help_request(
            fakes.ticket_context(), fakes.limiter, None, request, ADDRESS, None, NOW, token
        )
    except InvalidFieldsError as refused:
        return ",".join(e.field for e in refused.errors)
    return "accepted"


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        ("its token", "accepted"),
        ("another upload's token", "attachment_ids.0"),
        ("a wrong token", "attachment_ids.0"),
        ("an empty token", "attachment_ids"),
        ("no token", "attachment_ids"),
    ],
)
def test_only_the_token_that_uploaded_a_file_attaches_it_to_a_help_request(
    fakes: Fakes, which: str, expected: str
) -> None:
    mine, other = _anonymous_upload(fakes), _anonymous_upload(fakes)
    assert mine.client_token and other.client_token and mine.client_token != other.client_token
    token = {
        "its token": mine.client_token,
        "another upload's token": other.client_token,
        "a wrong token": mine.client_token[:-1] + ("B" if mine.client_token[-1] != "B" else "C"),
        "an empty token": "",
        "no token": None,
    }[which]

    assert _help_request(fakes, mine.attachment_id, token) == expected
    claimed = fakes.attachments.get(mine.attachment_id)
    assert claimed is not None
    assert (claimed.ticket_id is not None) is (expected == "accepted")


def test_an_upload_token_is_reused_when_well_formed_and_replaced_otherwise() -> None:
    assert uploader_for(None, A_TOKEN).owner == help_owner(A_TOKEN)
    assert uploader_for(None, A_TOKEN).client_token == A_TOKEN
    for malformed in ("", "short", "A" * 31, "A" * 129, "A" * 42 + "!"):
        fresh = uploader_for(None, malformed)
        assert fresh.client_token not in (None, malformed)
        assert fresh.owner == help_owner(str(fresh.client_token))
    assert uploader_for(ALICE, A_TOKEN).owner == "alice"
    assert uploader_for(ALICE, A_TOKEN).client_token is None


def test_a_caller_owns_their_user_id_and_a_well_formed_tokens_uploads() -> None:
    assert caller_owners(None, None) == set()
    assert caller_owners(None, "") == set()
    assert caller_owners(None, "A" * 31) == set()
    assert caller_owners(None, A_TOKEN) == {help_owner(A_TOKEN)}
    assert caller_owners(ALICE, None) == {"alice"}
    assert caller_owners(ALICE, A_TOKEN) == {"alice", help_owner(A_TOKEN)}
    # Only the token's SHA-256 is kept.
    assert help_owner(A_TOKEN) == (
        "help:0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a"
    )
