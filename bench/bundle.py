"""Size of the Lambda bundle: `chalice package` the app, print zipped and unzipped sizes.

Run from the repository root: `python bench/bundle.py [--with boto3]`. Needs
PyPI (Chalice fetches the Linux wheels of requirements.txt), no AWS account.
Prints one JSON line: bytes zipped and unzipped, the target (20 MB zipped;
Lambda refuses more than 50 MB), and the distributions the bundle holds.
`--with PACKAGE` measures the bundle as if PACKAGE were also a requirement
(how much shipping our own boto3 would cost).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_ZIPPED_BYTES = 20 * 1024 * 1024
LAMBDA_LIMIT_ZIPPED_BYTES = 50 * 1024 * 1024
DIST_INFO = re.compile(r"^(?P<name>[^/]+?)-(?P<version>[^-/]+)\.dist-info/METADATA$")


def package(project: Path, output: Path) -> Path:
    """`chalice package` the project for the dev stage; returns the deployment zip."""
    from chalice import api

    os.environ["GUICHET_STAGE"] = "dev"
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
    # Chalice reports progress on stdout; the bench's stdout is its one JSON line.
    with contextlib.redirect_stdout(sys.stderr):
        api.package_app(project_dir=str(project), output_dir=str(output), stage="dev")
    return output / "deployment.zip"


def staged_project(extra: list[str], into: Path) -> Path:
    """The project itself, or a copy whose requirements.txt adds `extra`."""
    if not extra:
        return REPO_ROOT
    into.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "deployments", "venv")
    shutil.copy2(REPO_ROOT / "app.py", into / "app.py")
    shutil.copytree(REPO_ROOT / "chalicelib", into / "chalicelib", ignore=ignore)
    shutil.copytree(REPO_ROOT / ".chalice", into / ".chalice", ignore=ignore)
    requirements = (REPO_ROOT / "requirements.txt").read_text()
    (into / "requirements.txt").write_text(requirements + "\n".join(extra) + "\n")
    return into


def measure(bundle: Path) -> dict[str, object]:
    with zipfile.ZipFile(bundle) as archive:
        infos = archive.infolist()
    distributions = sorted(
        f"{match['name']}=={match['version']}"
        for info in infos
        if (match := DIST_INFO.match(info.filename))
    )
    zipped = bundle.stat().st_size
    return {
        "bench": "bundle",
        "zipped_bytes": zipped,
        "unzipped_bytes": sum(info.file_size for info in infos),
        "zipped_mb": round(zipped / 1024 / 1024, 2),
        "unzipped_mb": round(sum(info.file_size for info in infos) / 1024 / 1024, 2),
        "files": len(infos),
        "target_zipped_bytes": TARGET_ZIPPED_BYTES,
        "within_target": zipped <= TARGET_ZIPPED_BYTES,
        "within_lambda_limit": zipped <= LAMBDA_LIMIT_ZIPPED_BYTES,
        "distributions": distributions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--with", dest="extra", action="append", default=[], metavar="PACKAGE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        project = staged_project(args.extra, Path(work) / "project")
        figures = measure(package(project, Path(work) / "out"))
    figures["extra_requirements"] = args.extra
    print(json.dumps(figures))
    sys.exit(0 if figures["within_target"] else 1)


if __name__ == "__main__":
    main()
