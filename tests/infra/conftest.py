"""Synthesised templates for the infra tests: made once per run, offline, without credentials.

Each synthesis runs in its own process (`python -m infra.app`), as `cdk synth`
would: Chalice imports the packaged app as the module `app` with the stage's
GUICHET_STAGE, which must not meet the app the functional tests imported.
Under pytest-xdist the workers share one output, behind a file lock.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from tests.infra.templates import load_template

REPO_ROOT = Path(__file__).resolve().parents[2]


def _synthesised(factory: pytest.TempPathFactory, name: str, module: str) -> Path:
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    outdir = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (outdir / "manifest.json").exists():
            env = {
                key: value
                for key, value in os.environ.items()
                if not key.startswith("AWS_") and key != "GUICHET_STAGE"
            }
            # jsii finds Node.js 20 past its end of life and says so at length;
            # the CDK runs on it all the same (infra/README.md).
            env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
            subprocess.run(
                [sys.executable, "-m", module, *_arguments(module, outdir)],
                cwd=REPO_ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
    return outdir


def _arguments(module: str, outdir: Path) -> list[str]:
    if module == "infra.app":
        return ["--outdir", str(outdir), "--without-dependencies"]
    return [str(outdir)]


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud assembly of Guichet's app, every stage."""
    try:
        return _synthesised(tmp_path_factory, "cdk.out", "infra.app")
    except subprocess.CalledProcessError as error:
        pytest.fail(f"synthesis failed:\n{error.stderr[-4000:]}")


@pytest.fixture(scope="session")
def fake_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud assembly of tests/infra/fake_app (every kind of event handler)."""
    try:
        return _synthesised(tmp_path_factory, "fake-cdk.out", "tests.infra.synth_fake_app")
    except subprocess.CalledProcessError as error:
        pytest.fail(f"synthesis failed:\n{error.stderr[-4000:]}")


@pytest.fixture(scope="session")
def template_json(assembly: Path) -> Callable[[str], dict[str, Any]]:
    """`template_json("dev")`: a stage's template of Guichet's app, as a dict."""
    return cache(lambda stage: load_template(assembly, stage))


@pytest.fixture(scope="session")
def template(template_json: Callable[[str], dict[str, Any]]) -> Callable[[str], Template]:
    """`template("dev")`: a stage's template, for CDK assertions."""
    return cache(lambda stage: Template.from_json(template_json(stage)))


@pytest.fixture(scope="session")
def fake_template_json(fake_assembly: Path) -> Callable[[str], dict[str, Any]]:
    """`fake_template_json("dev")`: a stage's template around tests/infra/fake_app."""
    return cache(lambda stage: load_template(fake_assembly, stage))
