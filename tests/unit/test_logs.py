"""The service's log lines survive `import app`: Chalice does not take over the logger."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_info_lines_are_logged_as_json_whether_the_app_is_imported_before_or_after() -> None:
    code = (
        "from chalicelib.shared.logs import get_logger\n"
        "get_logger().info('before the app')\n"
        "import app\n"
        "get_logger().info('after the app', extra={'ticket_id': 't1'})\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )

    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["message"], line["level"]) for line in lines] == [
        ("before the app", "INFO"),
        ("after the app", "INFO"),
    ]
    assert lines[1]["ticket_id"] == "t1"
    assert result.stdout == ""
