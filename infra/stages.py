"""The deployed stages (dev, prod) and what differs between them.

Everything a stage can change is a field here; `cdk deploy -c field=value`
overrides one for a run (e.g. `-c mail_sender=support@example.gouv.fr`), so
no value needs editing code. Names of the app's environment variables are not
here: they come from `chalicelib.config.Settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from chalicelib.shared.config import Stage


@dataclass(frozen=True)
class StageParameters:
    """The parameters of one deployed stage."""

    stage: Stage
    # The SES identity the stack creates and the app sends from (MAIL_SENDER).
    mail_sender: str
    # The portal's origin: the only one allowed to POST files to the bucket.
    portal_origin: str
    # API Gateway stage-wide throttling (requests per second, burst).
    throttling_rate_limit: float
    throttling_burst_limit: int
    # prod: tables and the user pool refuse deletion; data outlives the stack.
    deletion_protection: bool
    log_retention_days: int
    lambda_memory_mb: int = 512
    # Where the dead-letter alarms write; empty: the topic has no subscriber.
    alarm_email: str = ""
    # API Gateway needs one account-wide role to write access logs. Only one
    # stack per account and region should set it: turn it off in the others.
    manage_api_gateway_account: bool = True
    # The user pool's hosted UI (sign-in of the portal) at
    # https://{prefix}.auth.{region}.amazoncognito.com; prefixes are global in a region.
    auth_domain_prefix: str = ""
    # An ACM certificate (us-east-1) for portal_origin's host: CloudFront then serves
    # the portal there. Without it the portal answers on its cloudfront.net domain,
    # which portal_origin must then name (`-c portal_origin=https://d….cloudfront.net`).
    portal_certificate_arn: str = ""
    # Settings with no resource behind them (LIVECHAT_*...), by variable name;
    # those left out take the default of chalicelib.config.Settings.
    settings: Mapping[str, str] = field(default_factory=dict)

    def with_overrides(self, lookup: Callable[[str], Any]) -> StageParameters:
        """These parameters with any field the CDK context names (`-c field=value`)."""
        changes: dict[str, Any] = {}
        for parameter in fields(self):
            value = lookup(parameter.name)
            if value is None or parameter.name in {"stage", "settings"}:
                continue
            changes[parameter.name] = _coerce(value, getattr(self, parameter.name))
        return replace(self, **changes)


def _coerce(value: Any, current: Any) -> Any:
    """A context value (a string on the command line) as the type of the field."""
    if not isinstance(value, str):
        return value
    if isinstance(current, bool):
        return value.lower() in {"1", "true", "yes"}
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    return value


STAGES: dict[str, StageParameters] = {
    "dev": StageParameters(
        stage="dev",
        mail_sender="support-dev@guichet.example.fr",
        portal_origin="https://dev.portail.guichet.example.fr",
        throttling_rate_limit=20,
        throttling_burst_limit=40,
        deletion_protection=False,
        log_retention_days=14,
    ),
    "prod": StageParameters(
        stage="prod",
        mail_sender="support@guichet.example.fr",
        portal_origin="https://portail.guichet.example.fr",
        throttling_rate_limit=200,
        throttling_burst_limit=400,
        deletion_protection=True,
        log_retention_days=90,
    ),
}
