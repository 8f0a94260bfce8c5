"""The portal in a real Chromium (Debian's, driven by Playwright) against the local stack.

One local stack for the session, on a Wednesday morning in Paris (the LiveChat
is open), portal included. Every page a journey visits can be checked with
axe-core (`accessibility`); every test fails if the page raised an error, broke
its Content-Security-Policy, or opened a JavaScript dialog (alert, confirm).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    sync_playwright,
)

from tests.e2e.stack import ROOT, LocalStack

# A Wednesday morning in Paris: the LiveChat is open.
WEEKDAY_NOW = "2026-12-02T10:00:00+01:00"
# A Saturday: closed until Monday 08:30.
SATURDAY_NOW = "2026-12-05T10:00:00+01:00"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root, without sandbox; without the background-networking flags Chromium
# keeps trying to reach Google's services, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=fr-FR",
]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
CLAUDIA = re.compile("ClaudIA")


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    running = LocalStack(extra_env={"GUICHET_NOW": WEEKDAY_NOW})
    yield running
    running.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


def launch(driver: Playwright) -> Browser:
    """Debian's Chromium, in French (its own strings too: chromium-l10n, LANGUAGE)."""
    environment: dict[str, str | float | bool] = {
        **os.environ,
        "LANGUAGE": "fr_FR",
        "LANG": "fr_FR.UTF-8",
    }
    return driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=environment)


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"Chromium is missing ({CHROMIUM}): `make test` installs Debian's chromium.")
    launched = launch(playwright)
    yield launched
    launched.close()


class PageWatch:
    """What went wrong on a page that a person would not see at once."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.csp_violations: list[str] = []
        self.dialogs: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)
        elif message.type == "error" and not message.text.startswith("Failed to load resource"):
            # An error the portal caught and logged (a page module that failed to load...).
            self.errors.append(message.text)

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)
    # axe-core, injected as DevTools does: not an inline script, so the CSP stays as served.
    context.add_init_script(path=str(AXE_SCRIPT))
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser: Browser, watch: PageWatch) -> Iterator[Page]:
    context = new_context(browser, viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.on("console", watch.on_console)
    opened.on("pageerror", lambda error: watch.errors.append(str(error)))
    opened.on("dialog", watch.on_dialog)
    yield opened
    context.close()
    assert watch.dialogs == [], "a JavaScript dialog opened"
    assert watch.errors == [], "the page raised errors"
    assert watch.csp_violations == [], "the Content-Security-Policy blocked something"


def sign_in(page: Page, stack: LocalStack, user_id: str) -> None:
    """Sign in as a person does: /connexion, the button named after the user."""
    page.goto(stack.web_url + "/connexion")
    page.get_by_role("button", name=user_id, exact=True).click()
    page.wait_for_url(stack.web_url + "/")


def accessibility(page: Page) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    results = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    blocking = [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert blocking == [], f"{page.url}: " + json.dumps(blocking, ensure_ascii=False, indent=1)


@pytest.fixture(autouse=True)
def _isolated_env() -> None:
    """The browser tests talk HTTP to a subprocess: no in-process environment to isolate."""
