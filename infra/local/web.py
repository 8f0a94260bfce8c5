"""The portal's static server on the local stack (`make run`, WEB_PORT).

Serves web/ (the portal), the design system's files from node_modules under
/dsfr/, and /config.json, the one file that tells the portal where the API is
(deployed stages write the same file at deploy). Every path without a file
extension is a portal page: it gets web/index.html, whose router loads the
page's module. Responses carry the same security headers as CloudFront's
response-headers policy in deployed stages (infra/portal.py).
"""

from __future__ import annotations

import json
import mimetypes
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from infra.portal import content_security_policy, security_headers

ROOT = Path(__file__).resolve().parents[2]
WEB_ROOT = ROOT / "web"
DSFR_ROOT = ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"

TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}


def local_config(api_url: str, users: list[dict[str, Any]]) -> dict[str, Any]:
    """/config.json of the local stage: the API, and the demo users /connexion lists."""
    return {"stage": "local", "api_url": api_url, "auth": {"mode": "local", "users": users}}


def demo_users() -> list[dict[str, Any]]:
    from infra.demo import USERS

    return [
        {
            "id": user.user_id,
            "name": user.name,
            "profile": user.profile,
            "roles": list(user.groups),
            "organisations": [org.designation for org in orgs],
        }
        for user, orgs in USERS
    ]


@dataclass(frozen=True)
class PortalFiles:
    """Where each URL path of the portal comes from."""

    config: bytes
    web_root: Path = WEB_ROOT
    dsfr_root: Path = DSFR_ROOT

    def resolve(self, path: str) -> Path | None:
        """The file to serve for a URL path, or None (404)."""
        if path.startswith("/dsfr/"):
            return _inside(self.dsfr_root, path.removeprefix("/dsfr/"))
        found = _inside(self.web_root, path.lstrip("/"))
        if found is not None:
            return found
        # A page: no extension in its last segment. The router picks its module.
        if "." not in path.rsplit("/", 1)[-1]:
            return self.web_root / "index.html"
        return None


def _inside(root: Path, relative: str) -> Path | None:
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return candidate


def make_handler(files: PortalFiles, headers: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    class PortalHandler(BaseHTTPRequestHandler):
        server_version = "guichet-portal"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._serve(body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(body=False)

        def _serve(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            if path == "/config.json":
                self._send(HTTPStatus.OK, files.config, TYPES[".json"], body)
                return
            found = files.resolve(path)
            if found is None:
                self._send(HTTPStatus.NOT_FOUND, b"Not found", "text/plain", body)
                return
            content_type = TYPES.get(found.suffix) or (
                mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            )
            self._send(HTTPStatus.OK, found.read_bytes(), content_type, body)

        def _send(self, status: HTTPStatus, data: bytes, content_type: str, body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            # The portal changes under a developer's hands: always revalidate.
            self.send_header("Cache-Control", "no-cache")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the stack's banner and the API's logs matter more."""

    return PortalHandler


class PortalServer:
    """The static server, in a thread of the local stack's process."""

    def __init__(self, port: int, api_url: str, upload_origin: str) -> None:
        config = json.dumps(local_config(api_url, demo_users()), ensure_ascii=False).encode()
        csp = content_security_policy(connect=[api_url, upload_origin])
        handler = make_handler(PortalFiles(config=config), security_headers(csp))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
