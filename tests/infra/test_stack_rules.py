"""The stack's checks that fail synthesis loudly (no synthesis needed to test them)."""

from __future__ import annotations

import pytest

from chalicelib.shared.config import Settings
from infra.permissions import PERMISSIONS
from infra.stack import complete_environment, missing_permissions, queue_name


def test_a_packaged_function_without_permissions_entry_is_reported_with_its_handler() -> None:
    functions = {
        "APIHandler": {"Handler": "app.app"},
        "OnSupportTicket": {"Handler": "chalicelib.endpoints.tickets.on_support_ticket"},
    }
    assert missing_permissions(functions, PERMISSIONS) == [
        "OnSupportTicket (handler chalicelib.endpoints.tickets.on_support_ticket)"
    ]


def test_settings_with_a_default_are_filled_and_required_ones_must_be_given() -> None:
    given = {name: "x" for name in Settings.deployed_env_var_names() if name.endswith("_TABLE")}
    with pytest.raises(ValueError, match="SUPPORT_QUEUE_URL"):
        complete_environment(given)


def test_a_variable_the_settings_module_does_not_read_is_refused() -> None:
    with pytest.raises(ValueError, match="TICKET_TABLE"):
        complete_environment({"TICKET_TABLE": "typo"})


def test_queue_name_is_read_from_chalices_arn_or_fn_sub() -> None:
    arn = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:guichet-dev-support-tickets"
    assert queue_name({"Fn::Sub": arn}) == "guichet-dev-support-tickets"
    assert queue_name("arn:aws:sqs:eu-west-3:1:guichet-dev-x") == "guichet-dev-x"
