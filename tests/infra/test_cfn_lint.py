"""cfn-lint on the synthesised templates: no errors, no warnings.

No rule is ignored today. If one must be, pass `--ignore-checks` here with a
comment saying why. One cfn-lint process for all templates (its start and
the SAM transform cost more than the checks); the fake app's dev template is
left out, being its prod one with other names.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_templates_pass_cfn_lint(assembly: Path, fake_assembly: Path) -> None:
    templates = [
        assembly / "guichet-dev.template.json",
        assembly / "guichet-prod.template.json",
        fake_assembly / "guichet-prod.template.json",
    ]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), *map(str, templates)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
