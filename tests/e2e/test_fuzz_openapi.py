"""No request generated from the OpenAPI document gets a server error (schemathesis)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.stack import LocalStack

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


@pytest.mark.parametrize("user", ["alice", "sophie", "marc"])
def test_generated_requests_never_get_a_500(
    local_stack: LocalStack, user: str, tmp_path: Path
) -> None:
    # Bounded and seeded: a few examples per operation, the same ones every run.
    # Only fuzzing phases: the "coverage" phase also sends TRACE, which chalice
    # local's HTTP server answers 501 by itself (API Gateway does not route it).
    command = [
        SCHEMATHESIS,
        "run",
        f"{local_stack.url}/openapi.json",
        "--url",
        local_stack.url,
        "--checks",
        "not_a_server_error",
        "--phases",
        "examples,fuzzing,stateful",
        "--max-examples",
        "6",
        "--seed",
        "20261128",
        "--header",
        f"Authorization: Bearer {local_stack.token(user)}",
    ]

    # Run from a scratch folder: schemathesis keeps a cache where it runs.
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)

    assert result.returncode == 0, result.stdout[-6000:]
