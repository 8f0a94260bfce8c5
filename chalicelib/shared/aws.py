"""boto3 clients and resources (and secrets' values), made on first use, kept for the process.

Nothing here runs at import time: moto patches before the first client exists,
and a cold start pays only for the clients its request uses. Tests call
`reset()` between cases.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_dynamodb.service_resource import Table


@cache
def session() -> Session:
    """One boto3 session per process (a new session costs ~65 ms)."""
    import boto3

    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    """A low-level client for `service`, made once."""
    boto_session: Any = session()
    return boto_session.client(service)


@cache
def websocket_connections(endpoint: str) -> Any:
    """The API Gateway management client of a WebSocket API stage (`post_to_connection`)."""
    boto_session: Any = session()
    return boto_session.client("apigatewaymanagementapi", endpoint_url=endpoint)


@cache
def s3() -> Any:
    """The S3 client, for the presigned URLs the browser uses.

    Virtual-hosted style names the regional endpoint (`bucket.s3.eu-west-3...`);
    the default, the global one, redirects for young buckets, which breaks a
    browser's presigned POST. Against moto (AWS_ENDPOINT_URL) path style keeps
    the URL on the moto server's address.
    """
    from botocore.config import Config

    style: Any = "path" if os.environ.get("AWS_ENDPOINT_URL") else "virtual"
    boto_session: Any = session()
    return boto_session.client("s3", config=Config(s3={"addressing_style": style}))


@cache
def dynamodb() -> Any:
    """The DynamoDB service resource."""
    boto_session: Any = session()
    return boto_session.resource("dynamodb")


@cache
def table(name: str) -> Table:
    """A DynamoDB table resource by physical name."""
    resource: Any = dynamodb()
    found: Table = resource.Table(name)
    return found


@cache
def secret_string(secret_id: str) -> str:
    """A Secrets Manager secret's value, read once and kept for the process."""
    response = client("secretsmanager").get_secret_value(SecretId=secret_id)
    return str(response["SecretString"])


def reset() -> None:
    """Forget every client and secret (tests, after switching mocks or endpoints)."""
    for factory in (session, client, websocket_connections, s3, dynamodb, table, secret_string):
        factory.cache_clear()
