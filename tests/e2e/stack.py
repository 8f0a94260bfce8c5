"""Start and stop the local stack (`python -m infra.local`) as a subprocess, for e2e tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class LocalStack:
    """A running local stack: its URL, tokens for demo users, plain JSON HTTP calls."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.moto_port = free_port()
        self.web_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The portal, served by the same process (infra/local/web.py).
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.moto_url = f"http://127.0.0.1:{self.moto_port}"
        self.log = tempfile.NamedTemporaryFile(prefix="guichet-local-", suffix=".log", delete=False)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GUICHET_"))}
        env.update(
            {
                "PORT": str(self.port),
                "MOTO_PORT": str(self.moto_port),
                "WEB_PORT": str(self.web_port),
            }
        )
        env.update(extra_env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._tokens: dict[str, str] = {}
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the local stack exited:\n" + self.output())
            if "Guichet is running" in self.output():
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("the local stack did not start in time:\n" + self.output())

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def token(self, user_id: str) -> str:
        if user_id not in self._tokens:
            status, body = self.request("POST", "/local/token", {"user": user_id})
            assert status == 200, body
            self._tokens[user_id] = body["token"]
        return self._tokens[user_id]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        user: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """An HTTP call to the API; returns (status, decoded JSON body or None)."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if user is not None:
            all_headers["Authorization"] = f"Bearer {self.token(user)}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw = error.read()
            status = error.code
        return status, json.loads(raw) if raw else None

    def stop(self, timeout: float = 30) -> None:
        """Ctrl-C, as a developer would, then wait for the launcher to exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
