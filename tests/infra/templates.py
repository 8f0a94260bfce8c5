"""Reading synthesised templates in tests: by stage, by resource type, by properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_template(outdir: Path, stage: str) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((outdir / f"guichet-{stage}.template.json").read_text())
    return template


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """The resources of one type, by logical id."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def logical_id_of(template: dict[str, Any], resource_type: str, **properties: Any) -> str:
    """The one resource of a type whose properties include these values."""
    found = [
        logical_id
        for logical_id, resource in resources_of(template, resource_type).items()
        if all(resource["Properties"].get(key) == value for key, value in properties.items())
    ]
    assert len(found) == 1, f"{resource_type} with {properties}: {found}"
    return found[0]
