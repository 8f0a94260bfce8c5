"""Synthesise the stacks around tests/infra/fake_app: `python -m tests.infra.synth_fake_app OUTDIR`.

Run in its own process (Chalice imports the packaged app as `app`, which must
not meet Guichet's own app.py in one interpreter).
"""

from __future__ import annotations

import sys
from pathlib import Path

from infra.app import synthesize
from infra.permissions import (
    MAIL_SENDER,
    POST_TO_CONNECTION,
    READ_ITEMS,
    SEND_MAIL,
    SEND_MESSAGE,
    WEBSOCKET_CONNECTIONS,
    Access,
    Objects,
)
from infra.resources import LIVECHAT, SUPPORT_QUEUE, TICKETS, UPLOADS

FAKE_APP = Path(__file__).resolve().parent / "fake_app"

FAKE_PERMISSIONS: dict[str, tuple[Access, ...]] = {
    "APIHandler": (
        Access(TICKETS, READ_ITEMS),
        Access(Objects(UPLOADS, "uploads/"), ("s3:PutObject",)),
    ),
    "OnSupportTicket": (Access(MAIL_SENDER, SEND_MAIL),),
    "DispatchTickets": (Access(SUPPORT_QUEUE, SEND_MESSAGE),),
    "CloseIdleChats": (
        Access(LIVECHAT, READ_ITEMS),
        Access(WEBSOCKET_CONNECTIONS, POST_TO_CONNECTION),
    ),
    "WebsocketConnect": (Access(LIVECHAT, ("dynamodb:PutItem",)),),
    "WebsocketMessage": (Access(WEBSOCKET_CONNECTIONS, POST_TO_CONNECTION),),
    "WebsocketDisconnect": (Access(LIVECHAT, ("dynamodb:DeleteItem",)),),
}


def main() -> None:
    synthesize(
        Path(sys.argv[1]),
        source_dir=FAKE_APP,
        permissions=FAKE_PERMISSIONS,
        with_dependencies=False,
    )


if __name__ == "__main__":
    main()
