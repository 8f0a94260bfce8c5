"""moto made exact under concurrency (infra/local/exact_moto.py), on in-process moto with threads.

Without the patch, each of these fails on moto 5.2.5: a cancelled transaction
erases writes made meanwhile and replaces the table's stream shard, and two
racing conditional writes can both succeed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.shared import aws

THREADS = 8


def _shard(table_name: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["eu-west-3"].get_table(table_name).stream_shard


def _failing_transaction(table: str, pk: str) -> list[Any]:
    """A put that applies, then a condition that fails: the put must leave no trace."""
    return [
        {"Put": {"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"S": "TICKET"}}}},
        {
            "ConditionCheck": {
                "TableName": table,
                "Key": {"pk": {"S": "MISSING"}, "sk": {"S": "TICKET"}},
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
    ]


def test_a_cancelled_transaction_leaves_items_and_stream_as_they_were(
    aws_env: dict[str, str],
) -> None:
    table = aws_env["TICKETS_TABLE"]
    client = aws.client("dynamodb")
    client.put_item(
        TableName=table, Item={"pk": {"S": "A"}, "sk": {"S": "TICKET"}, "n": {"N": "1"}}
    )
    shard = _shard(table)
    records_before = len(shard.items)

    with pytest.raises(ClientError) as raised:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "A"}, "sk": {"S": "TICKET"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                *_failing_transaction(table, "B"),
            ]
        )

    reasons = [r["Code"] for r in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    item = client.get_item(TableName=table, Key={"pk": {"S": "A"}, "sk": {"S": "TICKET"}})
    assert item["Item"]["n"] == {"N": "1"}
    missing = client.get_item(TableName=table, Key={"pk": {"S": "B"}, "sk": {"S": "TICKET"}})
    assert "Item" not in missing
    assert _shard(table) is shard
    assert len(shard.items) == records_before


def test_writes_made_while_transactions_are_cancelled_are_all_kept(
    aws_env: dict[str, str],
) -> None:
    table = aws_env["TICKETS_TABLE"]
    clients = [aws.session().client("dynamodb") for _ in range(THREADS)]
    shard = _shard(table)

    def work(worker: int) -> None:
        client = clients[worker]
        for n in range(15):
            client.put_item(
                TableName=table,
                Item={"pk": {"S": f"KEPT#{worker}#{n}"}, "sk": {"S": "TICKET"}},
            )
            try:
                client.transact_write_items(
                    TransactItems=_failing_transaction(table, f"GONE#{worker}#{n}")
                )
            except ClientError:
                pass

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))

    items = clients[0].scan(TableName=table)["Items"]
    keys = {item["pk"]["S"] for item in items}
    assert {f"KEPT#{w}#{n}" for w in range(THREADS) for n in range(15)} <= keys
    assert not any(key.startswith("GONE#") for key in keys)
    assert _shard(table) is shard
    streamed = [record.record["dynamodb"]["Keys"]["pk"]["S"] for record in shard.items]
    assert sorted(k for k in streamed if k.startswith(("KEPT#", "GONE#"))) == sorted(
        f"KEPT#{w}#{n}" for w in range(THREADS) for n in range(15)
    )


def test_racing_conditional_transactions_have_one_winner(aws_env: dict[str, str]) -> None:
    table = aws_env["TICKETS_TABLE"]
    clients = [aws.session().client("dynamodb") for _ in range(THREADS)]

    def claim(worker: int) -> bool:
        try:
            clients[worker].transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {"pk": {"S": "ONCE"}, "sk": {"S": "TICKET"}, "w": {"N": "1"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {"pk": {"S": "ONCE"}, "sk": {"S": f"BY#{worker}"}},
                        }
                    },
                ]
            )
        except ClientError:
            return False
        return True

    for _ in range(3):
        clients[0].delete_item(TableName=table, Key={"pk": {"S": "ONCE"}, "sk": {"S": "TICKET"}})
        with ThreadPoolExecutor(THREADS) as pool:
            assert sum(pool.map(claim, range(THREADS))) == 1
