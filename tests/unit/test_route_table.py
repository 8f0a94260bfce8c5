"""The route table the app registers at a cold start is exactly what the edge declares,
and importing the app imports no area (each is imported by the first request it serves)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chalicelib.endpoints.table import TABLE, declared_routes

ROOT = Path(__file__).resolve().parents[2]
AREAS = (
    "chalicelib.tickets",
    "chalicelib.routing",
    "chalicelib.attachments",
    "chalicelib.assistant",
    "chalicelib.livechat",
)


def test_the_route_table_is_what_the_declarations_say() -> None:
    stored = json.loads(TABLE.read_text(encoding="utf-8"))

    assert stored == declared_routes(), "chalicelib/data/routes.json is stale: run `make routes`"


def test_every_route_module_declares_routes_and_every_route_is_in_the_table() -> None:
    modules = {row["module"] for row in declared_routes()}

    assert modules == {
        "chalicelib.endpoints.identity",
        "chalicelib.endpoints.assistant",
        "chalicelib.endpoints.livechat",
        "chalicelib.endpoints.attachments",
        "chalicelib.endpoints.tickets",
        "chalicelib.endpoints.desk",
    }


def imported_after(code: str) -> set[str]:
    """The chalicelib modules a fresh interpreter has imported after running `code`."""
    script = (
        code
        + "\nimport sys\nprint('\\n'.join(m for m in sys.modules if m.startswith('chalicelib')))"
    )
    env = {**os.environ, "GUICHET_STAGE": "test", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_importing_the_app_imports_no_area() -> None:
    modules = imported_after("import app")

    assert sorted(m for m in modules if m.startswith(AREAS)) == []
    assert "chalicelib.endpoints.tickets" not in modules
