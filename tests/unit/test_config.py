"""Settings and the Chalice stage configuration agree, and neither hides a test's values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.shared.config import Settings, resource_name

ROOT = Path(__file__).resolve().parents[2]


def test_stage_config_has_no_empty_placeholder_that_would_hide_a_test_variable() -> None:
    # chalice.test.Client merges a stage's environment_variables over os.environ
    # during requests: an "" placeholder there silently replaces the test's value.
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stages = config["stages"]

    assert set(stages) == {"local", "test", "dev", "prod"}
    for name, stage in stages.items():
        variables = {**config.get("environment_variables", {}), **stage["environment_variables"]}
        assert all(value != "" for value in variables.values()), name
        assert variables["GUICHET_STAGE"] == name
        assert set(variables) <= set(Settings.env_var_names())


def test_resource_names_default_from_the_stage() -> None:
    settings = Settings.model_validate(
        {"GUICHET_STAGE": "dev", "SUPPORT_QUEUE_URL": "u", "BUSINESS_QUEUE_URL": "u"}
    )

    assert settings.tickets_table == resource_name("dev", "tickets") == "guichet-dev-tickets"
    assert settings.uploads_bucket == "guichet-dev-uploads"


def test_fixed_clock_needs_an_offset() -> None:
    with pytest.raises(ValueError, match="offset"):
        Settings.model_validate(
            {
                "GUICHET_NOW": "2026-12-04T18:29:00",
                "SUPPORT_QUEUE_URL": "u",
                "BUSINESS_QUEUE_URL": "u",
            }
        )


def test_fixed_clock_is_honoured_in_the_local_stage_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.shared import clock
    from chalicelib.shared.config import get_settings

    monkeypatch.setenv("GUICHET_NOW", "2026-12-04T18:29:00+01:00")
    monkeypatch.setenv("GUICHET_STAGE", "local")
    get_settings.cache_clear()
    local_now = clock.now()
    monkeypatch.setenv("GUICHET_STAGE", "dev")
    get_settings.cache_clear()
    dev_now = clock.now()

    assert local_now.isoformat() == "2026-12-04T18:29:00+01:00"
    assert dev_now.year >= 2026 and dev_now != local_now


def test_every_resource_env_var_is_a_setting() -> None:
    from infra.resources import BUCKETS, QUEUES, TABLES

    names = {table.env_var for table in TABLES} | {bucket.env_var for bucket in BUCKETS}
    names |= {queue.env_var for queue in QUEUES if queue.env_var}

    assert names <= set(Settings.env_var_names())


def test_local_clock_runs_from_the_instant_it_was_set_at(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from chalicelib.shared import clock
    from chalicelib.shared.config import get_settings

    monkeypatch.setenv("GUICHET_STAGE", "local")
    monkeypatch.setenv("GUICHET_NOW", "2026-12-04T18:29:00+01:00")
    monkeypatch.setenv("GUICHET_NOW_ANCHOR", str(time.time() - 90))
    get_settings.cache_clear()

    now = clock.now()

    assert now.isoformat().startswith("2026-12-04T18:30:3")
