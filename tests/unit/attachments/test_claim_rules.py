"""Claiming uploads for a ticket: each refusal with its field and message, the limits at
their edges, and download links only for the ticket's ready attachments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.attachments.service import attachment_links, claim_attachments
from chalicelib.shared.errors import InvalidFieldsError
from tests.fakes.attachments import FakeAttachmentRepository, FakeUploadStore
from tests.records import at, attachment

NOW = at(9, 30)
MB = 1024 * 1024


def repo_with(*items: tuple[str, dict[str, Any]]) -> FakeAttachmentRepository:
    """Alice's attachments, ready (1000 bytes) unless the fields say otherwise."""
    repo = FakeAttachmentRepository()
    for attachment_id, fields in items:
        repo.add(attachment(attachment_id, **{"status": "ready", "size": 1000, **fields}))
    return repo


def refusal(
    repo: FakeAttachmentRepository, ids: list[str], ticket_id: str = "t1", **limits: int
) -> tuple[str, list[tuple[str, str]]]:
    with pytest.raises(InvalidFieldsError) as refused:
        claim_attachments(repo, "alice", ids, ticket_id, now=NOW, **limits)
    return refused.value.detail, [(e.field, e.message) for e in refused.value.errors]


def test_each_unclaimable_attachment_is_named_with_its_reason() -> None:
    repo = repo_with(
        ("ok", {}),
        ("pending", {"status": "pending", "size": None}),
        ("claire", {"owner": "claire"}),
        ("rejected", {"status": "rejected", "reason": "Le fichier n'est pas une image PNG."}),
        ("rejected-no-reason", {"status": "rejected"}),
        ("expired", {"expires_at": int(NOW.timestamp()) - 1}),
    )
    ids = ["ok", "pending", "claire", "missing", "rejected", "rejected-no-reason", "expired"]

    detail, errors = refusal(repo, [*ids[:5], "ok"])
    _, more = refusal(repo, ids[5:])

    assert errors == [
        ("attachment_ids.5", "Pièce jointe citée deux fois."),
        ("attachment_ids.1", "Pièce jointe en cours de vérification : réessayez dans un instant."),
        ("attachment_ids.2", "Pièce jointe introuvable."),
        ("attachment_ids.3", "Pièce jointe introuvable."),
        ("attachment_ids.4", "Pièce jointe refusée : Le fichier n'est pas une image PNG."),
    ]
    assert detail == (
        "Pièces jointes invalides : attachment_ids.5, attachment_ids.1, attachment_ids.2, "
        "attachment_ids.3, attachment_ids.4."
    )
    assert more == [
        ("attachment_ids.0", "Pièce jointe refusée : fichier non conforme."),
        ("attachment_ids.1", "Pièce jointe introuvable."),
    ]


def test_at_most_five_attachments_counting_those_already_on_the_ticket() -> None:
    repo = repo_with(*[(f"a{n}", {}) for n in range(6)])

    one_more = claim_attachments(repo, "alice", ["a0"], "t1", now=NOW, already_on_ticket=4)
    five = claim_attachments(repo, "alice", [f"a{n}" for n in range(5)], "t1", now=NOW)

    assert (len(one_more.attachments), len(five.attachments)) == (1, 5)
    assert refusal(repo, ["a0", "a1"], already_on_ticket=4) == (
        "Au plus 5 pièces jointes par ticket.",
        [("attachment_ids", "Au plus 5 pièces jointes par ticket.")],
    )
    assert refusal(repo, [f"a{n}" for n in range(6)])[1] == [
        ("attachment_ids", "Au plus 5 pièces jointes par ticket.")
    ]


def test_at_most_20_mb_per_ticket_counting_bytes_already_there() -> None:
    repo = repo_with(("a", {"size": 1000}), ("unsized", {"size": None}))

    claim = claim_attachments(
        repo, "alice", ["a", "unsized"], "t1", now=NOW, already_bytes=20 * MB - 1000
    )

    assert claim.total_bytes == 20 * MB
    assert refusal(repo, ["a"], already_bytes=20 * MB - 999) == (
        "Pièces jointes invalides : attachment_ids.",
        [("attachment_ids", "Au plus 20 Mo de pièces jointes par ticket.")],
    )


def test_an_attachment_on_another_ticket_is_refused_and_on_the_same_one_accepted() -> None:
    repo = repo_with(("a", {"ticket_id": "t1"}))

    again = claim_attachments(repo, "alice", ["a"], "t1", now=NOW)

    assert [a.attachment_id for a in again.attachments] == ["a"]
    assert refusal(repo, ["a"], ticket_id="t2")[1] == [
        ("attachment_ids.0", "Pièce jointe déjà jointe à un autre ticket.")
    ]


def test_links_are_for_the_tickets_ready_attachments_for_five_minutes() -> None:
    repo = repo_with(
        ("b", {"size": 2048, "ticket_id": "t1", "created_at": at(9, 5)}),
        ("a", {"size": 512, "ticket_id": "t1", "content_type": "application/pdf"}),
        ("pending", {"status": "pending", "size": None, "ticket_id": "t1"}),
        ("elsewhere", {"ticket_id": "t2"}),
    )

    every = list(repo.get_many(["b", "a", "pending", "elsewhere"]).values())

    links = attachment_links(repo, FakeUploadStore(), "t1", NOW, every)

    assert [(x.attachment_id, x.size, x.content_type, x.expires_at) for x in links] == [
        ("a", 512, "application/pdf", NOW + timedelta(minutes=5)),
        ("b", 2048, "image/png", NOW + timedelta(minutes=5)),
    ]
    assert links[0].download_url.startswith(
        "https://uploads.fake.invalid/uploads/alice/a/file.png?"
    )
