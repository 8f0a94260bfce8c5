"""The CDK app: one stack per stage (`guichet-dev`, `guichet-prod`), synthesised offline.

Run from the repository root (`make synth`, or `python -m infra.app`), or by
the CDK CLI from infra/ (cdk.json). Synthesis needs Node.js (jsii runs the CDK
in it) and PyPI, where `chalice package` fetches the Lambda's Linux wheels;
no AWS credentials. `--without-dependencies` packages the app code alone, so
the tests synthesise with no network: the templates are the same but for the
code asset's hash.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import App
from aws_cdk.cx_api import CloudAssembly

from infra.permissions import PERMISSIONS, Access
from infra.stack import GuichetStack
from infra.stages import STAGES

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTDIR = REPO_ROOT / "infra" / "cdk.out"


def stack_name(stage: str) -> str:
    return f"guichet-{stage}"


def synthesize(
    outdir: Path,
    *,
    stages: Sequence[str] = tuple(STAGES),
    source_dir: Path = REPO_ROOT,
    permissions: Mapping[str, Sequence[Access]] = PERMISSIONS,
    with_dependencies: bool = True,
) -> CloudAssembly:
    """Build the stacks of `stages` and write their templates to `outdir`."""
    outdir.mkdir(parents=True, exist_ok=True)
    app = App(outdir=str(outdir))
    work_dir = outdir / "chalice"
    if not with_dependencies:
        source_dir = stage_code_only(source_dir, Path(tempfile.mkdtemp(dir=outdir)))
    for stage in stages:
        parameters = STAGES[stage].with_overrides(app.node.try_get_context)
        GuichetStack(
            app,
            stack_name(stage),
            parameters=parameters,
            source_dir=source_dir,
            work_dir=work_dir,
            permissions=permissions,
            description=f"Guichet, user assistance of the e-invoicing portal ({stage})",
        )
    return app.synth()


def stage_code_only(source_dir: Path, target: Path) -> Path:
    """A copy of the Chalice project without requirements.txt (nothing to download)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments", "venv")
    shutil.copy2(source_dir / "app.py", target / "app.py")
    shutil.copytree(source_dir / ".chalice", target / ".chalice", ignore=ignore)
    if (source_dir / "chalicelib").is_dir():
        shutil.copytree(source_dir / "chalicelib", target / "chalicelib", ignore=ignore)
    return target


def _outdir(given: str | None) -> Path:
    """--outdir (relative to the working directory), else CDK_OUTDIR, else infra/cdk.out.

    The CDK CLI runs `cd .. && python -m infra.app` (cdk.json), so a relative
    CDK_OUTDIR it sets is relative to infra/.
    """
    if given:
        return Path(given).resolve()
    from_cli = os.environ.get("CDK_OUTDIR")
    if not from_cli:
        return DEFAULT_OUTDIR
    path = Path(from_cli)
    return path if path.is_absolute() else REPO_ROOT / "infra" / path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outdir", help="where to write the cloud assembly")
    parser.add_argument("--stage", action="append", choices=sorted(STAGES), help="default: all")
    parser.add_argument(
        "--without-dependencies",
        action="store_true",
        help="package the app code only (offline; for tests)",
    )
    args = parser.parse_args(argv)
    synthesize(
        _outdir(args.outdir),
        stages=args.stage or tuple(STAGES),
        with_dependencies=not args.without_dependencies,
    )


if __name__ == "__main__":
    main()
