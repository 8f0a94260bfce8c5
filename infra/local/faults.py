"""A fault-injecting proxy in front of the local stack's moto server (the fault suite's).

`make run` with `FAULTS_PORT` set puts this proxy between moto and everything
that calls AWS (chalice local, the pump): each request is forwarded unchanged,
unless its service is "down", in which case it gets the 503 ServiceUnavailable
AWS would give (JSON for DynamoDB and SQS, XML for SES), which boto3 retries
and then raises. The service is read from the request's SigV4 credential scope
(`.../eu-west-3/sqs/aws4_request`).

Control, on the proxy itself (local only, never forwarded):
- `POST /_faults/outage {"service": "sqs", "seconds": 20}`: that service fails
  for that long (from now);
- `GET /_faults/mail`: every e-mail SES accepted through the proxy, as
  `[{"to", "subject"}]`, to count duplicates.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

CONTROL = "/_faults/"
SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
QUERY_SCOPE = re.compile(r"X-Amz-Credential=[^&]*%2F([a-z0-9-]+)%2Faws4_request")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
XML_SERVICES = {"ses", "email"}


class FaultState:
    """Which services are down until when, and the mail that got through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_until: dict[str, float] = {}
        self.mail: list[dict[str, str]] = []

    def outage(self, service: str, seconds: float) -> None:
        with self._lock:
            self._down_until[service] = time.monotonic() + seconds

    def is_down(self, service: str) -> bool:
        with self._lock:
            return time.monotonic() < self._down_until.get(service, 0.0)

    def record_mail(self, form: dict[str, list[str]]) -> None:
        with self._lock:
            self.mail.append(
                {
                    "to": form.get("Destination.ToAddresses.member.1", [""])[0],
                    "subject": form.get("Message.Subject.Data", [""])[0],
                }
            )


def service_of(headers: Any, path: str) -> str:
    """The AWS service a request is signed for ("s3" for a browser's presigned POST)."""
    found = SCOPE.search(headers.get("Authorization") or "") or QUERY_SCOPE.search(path)
    service = found.group(1) if found else "s3"
    return "ses" if service == "email" else service


def _refusal(service: str) -> tuple[str, bytes]:
    if service in XML_SERVICES:
        body = (
            "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>"
            "<Message>injected outage</Message></Error><RequestId>fault</RequestId>"
            "</ErrorResponse>"
        )
        return "text/xml", body.encode()
    body = json.dumps({"__type": "ServiceUnavailable", "message": "injected outage"})
    return "application/x-amz-json-1.0", body.encode()


class _Handler(BaseHTTPRequestHandler):
    """One connection to the proxy; `proxy` is set on the subclass each proxy makes."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see infra/local/api_server.py
    proxy: FaultProxy

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: one line per AWS call would drown the stack's output."""

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith(CONTROL):
            self._answer(*self.proxy.control(self.command, self.path, body))
        else:
            self._answer(*self.proxy.relay(self.command, self.path, self.headers, body))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay


Answer = tuple[int, list[tuple[str, str]], bytes]


class FaultProxy:
    """A threaded HTTP proxy to `target` (moto's URL) on 127.0.0.1:`port`."""

    def __init__(self, target: str, port: int) -> None:
        self.state = FaultState()
        parsed = urlparse(target)
        self._host, self._port = str(parsed.hostname), int(parsed.port or 80)
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 128
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def control(self, method: str, path: str, body: bytes) -> Answer:
        json_type = [("Content-Type", "application/json")]
        if method == "POST" and path == CONTROL + "outage":
            order = json.loads(body)
            self.state.outage(str(order["service"]), float(order["seconds"]))
            return 200, json_type, b"{}"
        if method == "GET" and path == CONTROL + "mail":
            return 200, json_type, json.dumps(self.state.mail).encode()
        return 404, json_type, b"{}"

    def relay(self, method: str, path: str, headers: Any, body: bytes) -> Answer:
        service = service_of(headers, path)
        if self.state.is_down(service):
            content_type, refusal = _refusal(service)
            return 503, [("Content-Type", content_type)], refusal
        status, answer_headers, answer = self.send(method, path, headers, body)
        if status == 200 and service == "ses":
            form = parse_qs(body.decode(errors="replace"))
            if form.get("Action", [""])[0] == "SendEmail":
                self.state.record_mail(form)
        return status, answer_headers, answer

    def send(self, method: str, path: str, headers: Any, body: bytes) -> Answer:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=60)
        try:
            # The Host header is kept: moto builds URLs (queue URLs) from it, so they
            # name the proxy and later calls come through it too.
            forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()
