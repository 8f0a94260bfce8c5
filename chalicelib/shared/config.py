"""Settings: every environment variable the service reads, named once, read once.

The CDK stack, the local stack and the tests import this module to know which
variables to set (`Settings.env_var_names()`), so a name lives in one place.
Resource names follow one convention, `guichet-{stage}-{logical name}`, because
Chalice needs queue names when the app is packaged, before any stack exists.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import cache
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from chalicelib.shared.models import Model

Stage = Literal["local", "test", "dev", "prod"]

# Where the service's users live: opening hours, references' years, dates shown.
SERVICE_TIMEZONE = "Europe/Paris"

# Logical names of the resources whose physical name the app must know.
TABLES = ("directory", "tickets", "conversations", "livechat", "idempotency", "rate-limits")
QUEUES = ("support-tickets", "business-tickets", "upload-events")
BUCKETS = ("uploads",)


def resource_name(stage: str, logical_name: str) -> str:
    """The physical name of a table, queue or bucket in a stage."""
    return f"guichet-{stage}-{logical_name}"


# moto's default account; deployed stacks override the whole stream ARN.
DEFAULT_ACCOUNT = "123456789012"


def tickets_stream_arn(stage: str | None = None) -> str:
    """The tickets table's stream ARN as the decorator sees it at import time."""
    stage = stage or current_stage()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-3"
    account = os.environ.get("AWS_ACCOUNT_ID") or DEFAULT_ACCOUNT
    table = resource_name(stage, "tickets")
    return f"arn:aws:dynamodb:{region}:{account}:table/{table}/stream/latest"


def current_stage() -> str:
    """The stage, from the environment alone: decorators need it at import time."""
    return os.environ.get("GUICHET_STAGE", "local")


# The local stack's portal (make run, WEB_PORT=8080).
DEFAULT_PORTAL_ORIGIN = "http://127.0.0.1:8080"


def portal_origin() -> str:
    """The portal's origin, the one CORS allows: route declarations need it at import time."""
    return os.environ.get("PORTAL_ORIGIN") or DEFAULT_PORTAL_ORIGIN


class Settings(Model):
    """The service's configuration; field aliases are the environment variable names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    stage: Stage = Field("local", alias="GUICHET_STAGE")
    # An ISO 8601 instant that sets the clock; honoured in the local stage only.
    fixed_now: datetime | None = Field(None, alias="GUICHET_NOW")
    # When the local stack set that instant (epoch seconds): from then on its
    # clock runs, so events keep their order. Without it the clock stands still.
    fixed_now_anchor: float | None = Field(None, alias="GUICHET_NOW_ANCHOR")

    directory_table: str = Field(alias="DIRECTORY_TABLE")
    tickets_table: str = Field(alias="TICKETS_TABLE")
    conversations_table: str = Field(alias="CONVERSATIONS_TABLE")
    livechat_table: str = Field(alias="LIVECHAT_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    rate_limits_table: str = Field(alias="RATE_LIMITS_TABLE")
    support_queue_url: str = Field(alias="SUPPORT_QUEUE_URL")
    business_queue_url: str = Field(alias="BUSINESS_QUEUE_URL")
    uploads_bucket: str = Field(alias="UPLOADS_BUCKET")

    # Tokens: the issuer (Cognito user pool URL) and audience (app client id).
    auth_issuer: str = Field(alias="AUTH_ISSUER")
    auth_audience: str = Field(alias="AUTH_AUDIENCE")
    # Defaults to `{issuer}/.well-known/jwks.json`.
    auth_jwks_url: str = Field("", alias="AUTH_JWKS_URL")
    # PEM private key the local and test stages sign and trust tokens with.
    auth_local_signing_key: str = Field("", alias="AUTH_LOCAL_SIGNING_KEY")

    mail_sender: str = Field("support@guichet.example.fr", alias="MAIL_SENDER")
    # The tool support, recipient of every support ticket and help request.
    support_designation: str = Field("Support Chorus Pro", alias="SUPPORT_DESIGNATION")
    support_team_email: str = Field("equipe-support@guichet.example.fr", alias="SUPPORT_TEAM_EMAIL")
    # Help requests (non-connected mode) accepted per hour, per e-mail and per client
    # address (higher: a company or an administration shares one address behind NAT).
    help_requests_per_email_hour: int = Field(5, ge=1, alias="HELP_REQUESTS_PER_EMAIL_HOUR")
    help_requests_per_address_hour: int = Field(20, ge=1, alias="HELP_REQUESTS_PER_ADDRESS_HOUR")
    portal_origin: str = Field(DEFAULT_PORTAL_ORIGIN, alias="PORTAL_ORIGIN")

    # LiveChat opening hours: settings, not code.
    livechat_timezone: str = Field(SERVICE_TIMEZONE, alias="LIVECHAT_TIMEZONE")
    livechat_opens: str = Field("08:30", alias="LIVECHAT_OPENS")
    livechat_closes: str = Field("18:30", alias="LIVECHAT_CLOSES")
    # A `holidays` subdivision of France, e.g. "57" for Moselle; empty: metropolitan.
    livechat_holiday_subdivision: str = Field("", alias="LIVECHAT_HOLIDAY_SUBDIVISION")
    # API Gateway WebSocket management endpoint; empty where there is no push (local).
    websocket_endpoint: str = Field("", alias="WEBSOCKET_ENDPOINT")

    @model_validator(mode="before")
    @classmethod
    def _default_resource_names(cls, values: Any) -> Any:
        """Fill each unset resource name from the stage's naming convention."""
        if not isinstance(values, dict):
            return values
        stage = values.get("GUICHET_STAGE") or values.get("stage") or "local"
        defaults = {
            "DIRECTORY_TABLE": "directory",
            "TICKETS_TABLE": "tickets",
            "CONVERSATIONS_TABLE": "conversations",
            "LIVECHAT_TABLE": "livechat",
            "IDEMPOTENCY_TABLE": "idempotency",
            "RATE_LIMITS_TABLE": "rate-limits",
            "UPLOADS_BUCKET": "uploads",
        }
        filled = dict(values)
        for env_var, logical in defaults.items():
            if not filled.get(env_var):
                filled[env_var] = resource_name(stage, logical)
        filled.setdefault("AUTH_ISSUER", f"https://auth.{stage}.guichet.invalid")
        filled.setdefault("AUTH_AUDIENCE", "guichet-portal")
        return filled

    @field_validator("fixed_now", "fixed_now_anchor", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return value or None

    @field_validator("fixed_now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("GUICHET_NOW needs a UTC offset")
        return value

    @property
    def jwks_url(self) -> str:
        return self.auth_jwks_url or f"{self.auth_issuer.rstrip('/')}/.well-known/jwks.json"

    @classmethod
    def env_var_names(cls) -> list[str]:
        """Every environment variable this module reads."""
        return sorted(str(field.alias) for field in cls.model_fields.values())

    @classmethod
    def deployed_env_var_names(cls) -> list[str]:
        """The variables a deployed Lambda function is given (local-only ones left out)."""
        local_only = {
            "GUICHET_NOW",
            "GUICHET_NOW_ANCHOR",
            "AUTH_LOCAL_SIGNING_KEY",
            "AUTH_JWKS_URL",
        }
        return [name for name in cls.env_var_names() if name not in local_only]


@cache
def get_settings() -> Settings:
    """The settings, read from the environment on first use."""
    return Settings.model_validate(dict(os.environ))
