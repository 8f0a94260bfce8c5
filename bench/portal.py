"""Portal benchmark: ClaudIA's answer time in a real Chromium, and the JavaScript's weight.

Starts the local stack (portal included), signs in as alice (anonymous callers are
limited to 20 messages a minute per address), opens ClaudIA's widget in Debian's
Chromium and asks 20 questions. Each time is measured inside the page, from
the click on `Envoyer` to the answer rendered in the conversation (a
MutationObserver sees it), so the driver's own round trips are not counted.
Sizes: the widget's module graph (claudia.js and what it imports), gzipped;
the portal's own JavaScript, raw and gzipped (the DSFR aside). One JSON line.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import WEEKDAY_NOW, launch, sign_in  # noqa: E402
from tests.e2e.stack import LocalStack  # noqa: E402

WEB = Path(__file__).resolve().parent.parent / "web"
WIDGET = WEB / "claudia" / "claudia.js"
IMPORT = re.compile(r"""^\s*import\s[^'"]*['"](\.{1,2}/[^'"]+)['"]""", re.MULTILINE)
QUESTIONS = [
    "Comment déposer une facture ?",
    "J'ai oublié mon mot de passe",
    "Comment créer un compte ?",
    "Ma facture est rejetée, que faire ?",
    "Comment me rattacher à une structure ?",
    "Quels sont les horaires du LiveChat ?",
    "Comment suivre mes factures ?",
    "Que signifie le statut mise en paiement ?",
    "Quel est le délai de paiement ?",
    "Comment raccorder mon logiciel par API ?",
    "Je n'ai pas reçu le lien d'activation",
    "Comment ajouter un gestionnaire secondaire ?",
    "Mon compte est bloqué",
    "Comment déposer un mémoire de frais de justice ?",
    "Demande de remboursement TIC",
    "Qui doit utiliser Chorus Pro ?",
    "Comment changer mon adresse de connexion ?",
    "Ma facture est suspendue",
    "Comment exporter un certificat de dépôt ?",
    "Facture en double, que faire ?",
]
# Click Envoyer, resolve with the milliseconds until a new answer is in the conversation
# (rejected after 10 s: an answer that never comes fails the benchmark, not hangs it).
TIMED_QUESTION = """([question]) => new Promise((resolve, reject) => {
  setTimeout(() => reject(new Error(`no answer to ${question} within 10 s`)), 10000);
  const dialog = document.querySelector('claudia-assistant dialog');
  const before = dialog.querySelectorAll('.claudia-msg--assistant').length;
  dialog.querySelector('input[name=question]').value = question;
  const observer = new MutationObserver(() => {
    if (dialog.querySelectorAll('.claudia-msg--assistant').length > before) {
      observer.disconnect();
      resolve(performance.now() - start);
    }
  });
  observer.observe(dialog, { childList: true, subtree: true });
  const button = [...dialog.querySelectorAll('button')].find((b) => b.textContent === 'Envoyer');
  const start = performance.now();
  button.click();
})"""


def module_graph(entry: Path) -> list[Path]:
    """`entry` and every module it imports, relatively, transitively."""
    seen: list[Path] = []
    stack = [entry.resolve()]
    while stack:
        module = stack.pop()
        if module in seen:
            continue
        seen.append(module)
        stack.extend(
            (module.parent / found).resolve() for found in IMPORT.findall(module.read_text())
        )
    return seen


def gzipped(paths: list[Path]) -> int:
    return sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in paths)


def answer_times(stack: LocalStack) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = launch(driver)
        page = browser.new_page()
        sign_in(page, stack, "alice")
        page.goto(stack.web_url + "/")
        page.get_by_role("button", name=re.compile("ClaudIA")).click()
        page.get_by_role("dialog").get_by_text("je suis ClaudIA").first.wait_for()
        # One question first, not timed: the API process's first answer builds its index.
        page.evaluate(TIMED_QUESTION, ["Bonjour"])
        times = [float(page.evaluate(TIMED_QUESTION, [question])) for question in QUESTIONS]
        browser.close()
    return times


def main() -> dict[str, Any]:
    widget = module_graph(WIDGET)
    portal = sorted(WEB.rglob("*.js"))
    stack = LocalStack(extra_env={"GUICHET_NOW": WEEKDAY_NOW})
    try:
        times = answer_times(stack)
    finally:
        stack.stop()
    return {
        "benchmark": "portal",
        "questions": len(times),
        "answer_ms_median": round(statistics.median(times), 1),
        "answer_ms_p90": round(statistics.quantiles(times, n=10)[-1], 1),
        "answer_ms_max": round(max(times), 1),
        "widget_modules": len(widget),
        "widget_js_bytes": sum(path.stat().st_size for path in widget),
        "widget_js_gzip_bytes": gzipped(widget),
        "portal_js_files": len(portal),
        "portal_js_bytes": sum(path.stat().st_size for path in portal),
        "portal_js_gzip_bytes": gzipped(portal),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
