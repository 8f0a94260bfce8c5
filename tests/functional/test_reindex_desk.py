"""The one-off backfill of the desk's indexes for tickets written before them."""

from __future__ import annotations

from typing import Any

from chalicelib.endpoints import wiring
from chalicelib.shared import aws
from chalicelib.shared.config import get_settings
from chalicelib.tickets.keys import ticket_item
from infra.reindex_desk import reindex
from tests.records import ticket

DESK = "DESK#support"


def test_tickets_written_before_the_desk_are_found_once_reindexed(aws_env: Any) -> None:
    table = aws.table(get_settings().tickets_table)
    old = ticket("old1", title="Facture ancienne")
    # As an older version of the service wrote it: no gsi4/gsi5 keys, no search items.
    desk_keys = {"gsi4pk", "gsi4sk", "gsi5pk", "gsi5sk"}
    table.put_item(Item={k: v for k, v in ticket_item(old).items() if k not in desk_keys})
    index = wiring.desk_index()
    assert index.postings(DESK, "factur", True, 10, None).items == []

    first, again = reindex(table), reindex(table)

    assert (first, again) == (1, 1)
    assert [p.ticket_id for p in index.postings(DESK, "factur", True, 10, None).items] == ["old1"]
    assert [r.ticket.ticket_id for r in index.by_date(DESK, True, 10, None).items] == ["old1"]
    assert [r.ticket.ticket_id for r in index.by_wait(DESK, None, 10, None).items] == ["old1"]
