"""One-off backfill of the desk's indexes for tickets written before them.

`python -m infra.reindex_desk` (with the stage's AWS credentials and TICKETS_TABLE)
reads every ticket once (a Scan: an operator's one-off, never a request path)
and, for each, sets its gsi4/gsi5 keys (the desk by date, by waiting time) with
an UpdateItem conditioned on the version read, so a ticket changed meanwhile is
read again and done over, and puts its search index items. Idempotent: run it
again and it writes the same items.
"""

from __future__ import annotations

from typing import Any

from chalicelib.tickets.keys import desk_index_keys, sort_instant, strip_keys
from chalicelib.tickets.records import TicketRecord
from chalicelib.tickets.search import index_items


def reindex(table: Any) -> int:
    """Backfill every ticket of `table` (a boto3 Table); returns how many were indexed."""
    indexed = 0
    kwargs: dict[str, Any] = {
        "FilterExpression": "item_type = :ticket",
        "ExpressionAttributeValues": {":ticket": "ticket"},
    }
    while True:
        page = table.scan(**kwargs)
        for item in page.get("Items", []):
            indexed += _index_one(table, TicketRecord.model_validate(strip_keys(item)))
        if "LastEvaluatedKey" not in page:
            return indexed
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _index_one(table: Any, ticket: TicketRecord) -> int:
    """Index keys then search items; a ticket changed since read is read again (3 tries)."""
    for _ in range(3):
        if _set_index_keys(table, ticket):
            with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                for entry in index_items(ticket):
                    batch.put_item(Item=entry)
            return 1
        key = {"pk": f"TICKET#{ticket.ticket_id}", "sk": "TICKET"}
        fresh = table.get_item(Key=key, ConsistentRead=True).get("Item")
        if fresh is None:
            return 0
        ticket = TicketRecord.model_validate(strip_keys(fresh))
    return 0


def _set_index_keys(table: Any, ticket: TicketRecord) -> bool:
    created = f"{sort_instant(ticket.created_at)}#{ticket.ticket_id}"
    keys = desk_index_keys(ticket, created)
    names = {f"#k{i}": name for i, name in enumerate(keys)}
    values: dict[str, Any] = {f":k{i}": value for i, value in enumerate(keys.values())}
    values[":version"] = ticket.version
    try:
        table.update_item(
            Key={"pk": f"TICKET#{ticket.ticket_id}", "sk": "TICKET"},
            UpdateExpression="SET " + ", ".join(f"#k{i} = :k{i}" for i in range(len(keys))),
            ConditionExpression="version = :version",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except Exception as error:
        from chalicelib.shared.dynamo import condition_failed

        if condition_failed(error):
            return False
        raise
    return True


def main() -> None:
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings

    count = reindex(aws.table(get_settings().tickets_table))
    print(f"{count} tickets indexed for the desk")


if __name__ == "__main__":
    main()
