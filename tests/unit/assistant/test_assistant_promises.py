"""ClaudIA promises only what Guichet does.

Every action the knowledge base, the dialogue's own sentences or the self-help texts offer a
reader is one of Guichet's routes; actions Guichet does not have (resending an activation
link, a captcha, a drafts tab, a phone call back) are never promised.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from chalicelib.assistant import context, replies
from chalicelib.assistant.knowledge import load_knowledge_base

HELP_TEXTS = Path(__file__).resolve().parents[3] / "chalicelib" / "data" / "help_problems.yaml"

# What a reader is told they (or ClaudIA) can do -> the route that does it.
PROMISED_ACTIONS: dict[str, tuple[str, str]] = {
    r"cr[ée]e[rz]? (?:un|le) ticket|«\s*Créer un ticket\s*»": ("POST", "/tickets"),
    r"Nous contacter": ("POST", "/help/requests"),
    r"LiveChat": ("POST", "/livechat/sessions"),
    r"Mes tickets": ("GET", "/tickets"),
    r"Ajouter un commentaire": ("POST", "/tickets/{ticket_id}/comments"),
    r"«\s*Rouvrir\s*»": ("POST", "/tickets/{ticket_id}/reopen"),
    r"«\s*Clôturer\s*»": ("POST", "/tickets/{ticket_id}/close"),
    r"pré-rempli": ("GET", "/assistant/conversations/{conversation_id}/ticket-draft"),
    r"je (?:peux|pourrai) (?:aussi )?vous (?:en )?donner": (
        "POST",
        "/assistant/conversations/{conversation_id}/messages",
    ),
}
# Actions Guichet does not offer, in the words that would promise them.
NEVER_PROMISED = (
    r"captcha",
    r"brouillons?",
    r"demandez-le-moi",
    r"je (?:vous )?(?:le |la |les )?renvoie",
    r"je (?:peux|pourrai) (?:vous )?(?:le |la |les )?(?:r?envoyer)",
    r"rappel t[ée]l[ée]phonique|je vous rappelle",
)


def texts_read_by_users() -> list[tuple[str, str]]:
    """(where, text) of every answer, variant, dialogue sentence and self-help text."""
    texts: list[tuple[str, str]] = []
    for topic in load_knowledge_base().topics:
        texts.append((topic.id, topic.answer))
        texts.extend((f"{topic.id} ({profile})", text) for profile, text in topic.variants.items())
        texts.append((f"{topic.id} (suggestion)", topic.suggestion))
    for module in (replies, context):
        texts.extend(
            (f"{module.__name__}.{name}", value)
            for name, value in vars(module).items()
            if name.isupper() and isinstance(value, str)
        )
    for code, solutions in yaml.safe_load(HELP_TEXTS.read_text(encoding="utf-8")).items():
        texts.extend((f"help {code}", f"{s['title']} {s['text']}") for s in solutions)
    return texts


@pytest.fixture
def routes() -> set[tuple[str, str]]:
    # Function-scoped: the app (whose queue names follow the stage) is first imported inside
    # the test's environment, never before it (a module fixture would run first).
    import app

    return {(method, path) for path, methods in app.app.routes.items() for method in methods}


def test_every_promised_action_is_a_route_of_the_app(routes: set[tuple[str, str]]) -> None:
    promised = {
        route
        for _, text in texts_read_by_users()
        for pattern, route in PROMISED_ACTIONS.items()
        if re.search(pattern, text, re.IGNORECASE)
    }
    assert promised, "the promises list no longer matches any text"
    assert promised - routes == set()


def test_no_text_promises_an_action_guichet_does_not_have() -> None:
    broken = [
        (where, pattern)
        for where, text in texts_read_by_users()
        for pattern in NEVER_PROMISED
        if re.search(pattern, text, re.IGNORECASE)
    ]
    assert broken == []


def test_each_promise_pattern_is_used_by_some_text() -> None:
    texts = [text for _, text in texts_read_by_users()]
    unused = [p for p in PROMISED_ACTIONS if not any(re.search(p, t, re.I) for t in texts)]
    assert unused == []
