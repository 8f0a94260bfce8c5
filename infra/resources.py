"""Every AWS resource Guichet uses, described once.

The CDK stack (infra/stack.py), the local stack (infra/local) and the test
fixtures (tests/conftest.py, through infra/provision.py) all build from these
descriptions, so the tables, queues and bucket under test are the deployed ones.
Physical names come from `chalicelib.config.resource_name`; each resource names
the settings variable through which the app finds it.

Tables use generic key names (pk/sk, gsi1pk/gsi1sk...) so one table can hold the
few item types of an area (single-table design per area).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chalicelib.shared.config import resource_name

KeyType = Literal["S", "N", "B"]
StreamView = Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]


@dataclass(frozen=True)
class Key:
    """A key attribute of a table or index."""

    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class Index:
    """A global secondary index (projection ALL)."""

    name: str
    partition_key: Key
    sort_key: Key | None = None


@dataclass(frozen=True)
class Table:
    """A DynamoDB table, on-demand."""

    logical_name: str
    env_var: str
    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    stream: StreamView | None = None

    def physical_name(self, stage: str) -> str:
        return resource_name(stage, self.logical_name)

    def attributes(self) -> list[Key]:
        """Every key attribute of the table and its indexes, once each."""
        keys: dict[str, Key] = {}
        for key in (self.partition_key, self.sort_key):
            if key is not None:
                keys[key.name] = key
        for index in self.indexes:
            for key in (index.partition_key, index.sort_key):
                if key is not None:
                    keys[key.name] = key
        return list(keys.values())


@dataclass(frozen=True)
class Queue:
    """An SQS queue with its dead-letter queue."""

    logical_name: str
    # The settings variable holding the queue URL; None when only Chalice's
    # event source (by queue name) uses the queue.
    env_var: str | None
    max_receive_count: int = 5
    visibility_timeout_seconds: int = 60
    dead_letter_retention_seconds: int = 14 * 24 * 3600
    # SQS's default is 4 days; a queue that holds failures keeps them longer.
    retention_seconds: int | None = None
    # Alarm as soon as the queue itself holds a message (a queue of failures).
    alarm_when_not_empty: bool = False

    def physical_name(self, stage: str) -> str:
        return resource_name(stage, self.logical_name)

    def dead_letter_name(self, stage: str) -> str:
        return resource_name(stage, f"{self.logical_name}-dlq")


@dataclass(frozen=True)
class LifecycleRule:
    """Objects under a prefix (and, if given, carrying one tag) expire after some days."""

    rule_id: str
    prefix: str
    expiration_days: int
    # (key, value) of the object tag the rule is limited to; None: every object.
    tag: tuple[str, str] | None = None


@dataclass(frozen=True)
class Bucket:
    """An S3 bucket: private, encrypted, TLS only."""

    logical_name: str
    env_var: str
    # ObjectCreated notifications under this prefix go to this queue.
    notification_prefix: str | None = None
    notification_queue: str | None = None
    lifecycle: tuple[LifecycleRule, ...] = ()
    abort_incomplete_multipart_days: int = 1
    # Browsers POST files straight to the bucket from the portal.
    cors_methods: tuple[str, ...] = ("POST",)

    def physical_name(self, stage: str) -> str:
        return resource_name(stage, self.logical_name)


PK, SK = Key("pk"), Key("sk")
GSI1 = Index("gsi1", Key("gsi1pk"), Key("gsi1sk"))
GSI2 = Index("gsi2", Key("gsi2pk"), Key("gsi2sk"))
GSI3 = Index("gsi3", Key("gsi3pk"), Key("gsi3sk"))

# Users, organisations, memberships and invoices (read side of the portal).
DIRECTORY = Table("directory", "DIRECTORY_TABLE", PK, SK, indexes=(GSI1,))
# Tickets, their history, comments and attachments; the reference counter.
# gsi1: an emitter's tickets; gsi2: a recipient's desk (by status); gsi3: an
# emitter's tickets of one status (see chalicelib/ticket_records.py).
# The stream feeds the dispatcher: a ticket written is a ticket routed.
TICKETS = Table(
    "tickets",
    "TICKETS_TABLE",
    PK,
    SK,
    indexes=(GSI1, GSI2, GSI3),
    ttl_attribute="expires_at",
    stream="NEW_AND_OLD_IMAGES",
)
# Assistant conversations (30-day TTL), ratings and not-understood questions.
CONVERSATIONS = Table(
    "conversations", "CONVERSATIONS_TABLE", PK, SK, indexes=(GSI1,), ttl_attribute="expires_at"
)
# LiveChat sessions, messages, the advisors' queue, closures, transitions, ratings.
LIVECHAT = Table(
    "livechat", "LIVECHAT_TABLE", PK, SK, indexes=(GSI1, GSI2), ttl_attribute="expires_at"
)
# First responses of creating calls, by Idempotency-Key (24 h).
IDEMPOTENCY = Table("idempotency", "IDEMPOTENCY_TABLE", PK, ttl_attribute="expires_at")
# Fixed-window request counters per client address or e-mail.
RATE_LIMITS = Table("rate-limits", "RATE_LIMITS_TABLE", PK, ttl_attribute="expires_at")

TABLES: tuple[Table, ...] = (DIRECTORY, TICKETS, CONVERSATIONS, LIVECHAT, IDEMPOTENCY, RATE_LIMITS)

SUPPORT_QUEUE = Queue("support-tickets", "SUPPORT_QUEUE_URL")
BUSINESS_QUEUE = Queue("business-tickets", "BUSINESS_QUEUE_URL")
# S3 ObjectCreated notifications for uploaded attachments, for the checker.
UPLOAD_EVENTS_QUEUE = Queue("upload-events", None)

# The on-failure destination of the stream event sources: what Lambda (or the local
# pump) gives up on lands here as metadata (shard, sequence numbers), raises an
# alarm, and `python -m infra.redrive` replays it.
STREAM_FAILURES_QUEUE = Queue(
    "stream-failures", None, retention_seconds=14 * 24 * 3600, alarm_when_not_empty=True
)

QUEUES: tuple[Queue, ...] = (
    SUPPORT_QUEUE,
    BUSINESS_QUEUE,
    UPLOAD_EVENTS_QUEUE,
    STREAM_FAILURES_QUEUE,
)


@dataclass(frozen=True)
class StreamFailures:
    """What a stream's event source mapping does with records that keep failing.

    Handlers answer partial batch responses (ReportBatchItemFailures); a batch
    whose handler raises is split in two (bisect) to isolate the bad record.
    A record is retried at most `max_retry_attempts` times and for at most
    `max_record_age_seconds`, then its metadata goes to `on_failure` and the
    shard moves on: a bad record holds its shard back for minutes, not the
    stream's 24 hours, and is never dropped silently. The CDK stack writes
    these on every DynamoDB event source; the local pump applies them.
    """

    on_failure: Queue
    max_retry_attempts: int
    max_record_age_seconds: int
    bisect_on_error: bool = True


# Lambda retries a stream batch at once, each try with boto3's own retries
# (several seconds against a failing service): 25 tries outlast an outage of a few
# minutes; six hours leave time to redrive within the stream's 24 hours.
STREAM_FAILURES = StreamFailures(
    on_failure=STREAM_FAILURES_QUEUE, max_retry_attempts=25, max_record_age_seconds=6 * 3600
)

# Attachments are uploaded tagged status=pending (a field of the presigned POST);
# the checker re-tags good ones status=ready and deletes bad ones. An object
# still pending after a day was never checked (its attachment expired, or the
# checker failed into the dead-letter queue): the lifecycle removes it.
UPLOAD_STATUS_TAG = "status"
UPLOADS = Bucket(
    "uploads",
    "UPLOADS_BUCKET",
    notification_prefix="uploads/",
    notification_queue=UPLOAD_EVENTS_QUEUE.logical_name,
    lifecycle=(
        LifecycleRule(
            "expire-unchecked-uploads", "uploads/", 1, tag=(UPLOAD_STATUS_TAG, "pending")
        ),
    ),
)

BUCKETS: tuple[Bucket, ...] = (UPLOADS,)


@dataclass(frozen=True)
class Inventory:
    """All resources, for code that walks them."""

    tables: tuple[Table, ...] = field(default=TABLES)
    queues: tuple[Queue, ...] = field(default=QUEUES)
    buckets: tuple[Bucket, ...] = field(default=BUCKETS)


INVENTORY = Inventory()
