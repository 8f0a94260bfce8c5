"""Fixtures of the functional tests that are specific to an area, gathered from their modules."""

from __future__ import annotations

from tests.functional.tickets_support import failing_sqs, routing, sent_mail

__all__ = ["failing_sqs", "routing", "sent_mail"]
