"""The e-mails' one set of templates: each says what to tell, rendered in text and in HTML.

A template is a function from the facts of an event (`MailFacts`) to a `Letter`: a
subject, paragraphs, the words someone wrote (quoted, with who), a few details
(reference, object...), the one action the reader can take (a link: the portal's
ticket page, the agents' desk, or a help request's follow-up link) and a closing
note. `render` writes the same letter as plain text and as HTML, so the two never
say different things; everything a person typed is escaped in the HTML, and the
mailer strips control characters from the subject (chalicelib/routing/mail.py).

| template           | to        | on                                                   |
| ------------------ | --------- | ---------------------------------------------------- |
| acknowledgement    | emitter   | a ticket or a help request submitted                 |
| information_asked  | emitter   | a reply asking for information                       |
| resolved           | emitter   | a reply with a solution                              |
| transferred        | emitter   | a business service transferring to the tool support  |
| reminder           | emitter   | 5 working days waiting for them (lifecycle job)      |
| closed             | emitter   | a closing: theirs, or automatic (lifecycle job)      |
| user_answered      | handler   | a comment of the emitter                             |
| reopened           | handler   | the emitter reopening a resolved ticket              |
| closed_by_emitter  | handler   | the emitter closing a ticket still being handled     |
| new_ticket         | team      | a ticket delivered to its recipient                  |
| transferred_in     | team      | a transferred ticket delivered to the tool support   |

(handler: the agent who took the ticket, or the recipient's team when nobody did.)
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from chalicelib.routing.mail import OutgoingMail
from chalicelib.shared.config import Settings
from chalicelib.tickets.records import TicketEvent, TicketRecord

TemplateName = Literal[
    "acknowledgement",
    "information_asked",
    "resolved",
    "transferred",
    "reminder",
    "closed",
    "user_answered",
    "reopened",
    "closed_by_emitter",
    "new_ticket",
    "transferred_in",
]
SIGNATURE = "Guichet – assistance aux utilisateurs de la facturation électronique publique"
NO_REPLY = "Ce message est envoyé automatiquement : n'y répondez pas, utilisez le lien ci-dessus."


@dataclass(frozen=True)
class MailFacts:
    """What a template may say: the ticket, the event, where the reader acts."""

    ticket: TicketRecord
    event: TicketEvent | None
    # The page where the reader acts on the ticket.
    link: str
    settings: Settings
    # The reader follows the ticket with a follow-up link (no account).
    follow_link: bool = False


@dataclass(frozen=True)
class Letter:
    """What one e-mail says, before it is written as text or HTML."""

    subject: str
    paragraphs: list[str]
    action: tuple[str, str]
    # (who wrote, what they wrote)
    quote: tuple[str, str] | None = None
    details: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _subject(facts: MailFacts, text: str) -> str:
    return f"[{facts.ticket.reference}] {text}"


def _details(facts: MailFacts) -> list[tuple[str, str]]:
    ticket = facts.ticket
    rows = [("Référence", ticket.reference), ("Titre", ticket.title)]
    if ticket.object_number:
        rows.append(("N° Objet", ticket.object_number))
    return rows


def _quote(facts: MailFacts) -> tuple[str, str] | None:
    event = facts.event
    if event is None or not event.text:
        return None
    return event.by.name, event.text


def _emitter_action(facts: MailFacts, label: str) -> tuple[str, str]:
    if facts.follow_link:
        return f"{label} (lien personnel, à ne pas transmettre)", facts.link
    return label, facts.link


def _link_note(facts: MailFacts) -> list[str]:
    if not facts.follow_link:
        return []
    days = facts.settings.follow_link_days
    return [
        f"Ce lien est valable {days} jours et jusqu'à la clôture de votre demande ; "
        "chaque nouvel e-mail vous en donne un à jour."
    ]


def acknowledgement(facts: MailFacts) -> Letter:
    ticket = facts.ticket
    if facts.follow_link:
        return Letter(
            subject=_subject(facts, "Votre demande d'aide a bien été reçue"),
            paragraphs=[
                f"Votre demande d'aide « {ticket.title} » a bien été reçue par le "
                f"{ticket.recipient.designation}, qui vous répondra dans les meilleurs délais.",
                "Vous pouvez suivre votre demande, la compléter ou y joindre des fichiers "
                "avec le lien ci-dessous, sans compte.",
            ],
            action=_emitter_action(facts, "Suivre ma demande"),
            details=_details(facts),
            notes=_link_note(facts),
        )
    return Letter(
        subject=_subject(facts, "Votre ticket a bien été reçu"),
        paragraphs=[
            f"Votre ticket « {ticket.title} » a bien été envoyé à son destinataire, "
            f"{ticket.recipient.designation}, et sera traité dans les meilleurs délais.",
        ],
        action=_emitter_action(facts, "Suivre mon ticket"),
        details=_details(facts),
    )


def information_asked(facts: MailFacts) -> Letter:
    settings = facts.settings
    return Letter(
        subject=_subject(facts, "Des informations vous sont demandées"),
        paragraphs=[
            f"Le destinataire de votre demande, {facts.ticket.recipient.designation}, a besoin "
            "d'informations complémentaires pour la traiter."
        ],
        quote=_quote(facts),
        action=_emitter_action(facts, "Répondre"),
        details=_details(facts),
        notes=[
            f"Sans réponse de votre part, un rappel vous sera envoyé après "
            f"{settings.reminder_working_days} jours ouvrés, puis la demande sera clôturée "
            f"{settings.unanswered_close_working_days} jours ouvrés plus tard.",
            *_link_note(facts),
        ],
    )


def resolved(facts: MailFacts) -> Letter:
    return Letter(
        subject=_subject(facts, "Une réponse a été apportée à votre demande"),
        paragraphs=[
            f"Le destinataire de votre demande, {facts.ticket.recipient.designation}, y a "
            "répondu et la considère comme résolue.",
            "Dites-nous si cette réponse vous a été utile : votre avis (de 1 à 5 étoiles) nous "
            "aide à améliorer le service. Si elle ne règle pas votre problème, rouvrez la "
            "demande depuis la même page.",
        ],
        quote=_quote(facts),
        action=_emitter_action(facts, "Voir la réponse et donner mon avis"),
        details=_details(facts),
        notes=[
            f"Sans action de votre part, la demande sera clôturée dans "
            f"{facts.settings.resolved_close_days} jours.",
            *_link_note(facts),
        ],
    )


def transferred(facts: MailFacts) -> Letter:
    return Letter(
        subject=_subject(facts, "Votre demande a été transférée au support"),
        paragraphs=[
            "Le service destinataire a transféré votre demande au "
            f"{facts.ticket.recipient.designation}, mieux à même d'y répondre. Vous n'avez "
            "rien à refaire : elle sera traitée dans les meilleurs délais."
        ],
        quote=_quote(facts),
        action=_emitter_action(facts, "Suivre ma demande"),
        details=_details(facts),
        notes=_link_note(facts),
    )


def reminder(facts: MailFacts) -> Letter:
    return Letter(
        subject=_subject(facts, "Rappel : des informations vous sont toujours demandées"),
        paragraphs=[
            f"Le destinataire de votre demande, {facts.ticket.recipient.designation}, attend "
            "toujours les informations demandées pour la traiter.",
            "Sans réponse de votre part dans les "
            f"{facts.settings.unanswered_close_working_days} jours ouvrés qui viennent, elle "
            "sera clôturée automatiquement.",
        ],
        action=_emitter_action(facts, "Répondre"),
        details=_details(facts),
        notes=_link_note(facts),
    )


def closed(facts: MailFacts) -> Letter:
    event = facts.event
    automatic = event is not None and event.by.role == "system"
    if automatic and event is not None and event.text:
        why = event.text
    else:
        why = "Vous avez clôturé votre demande : nous espérons qu'elle a été réglée."
    paragraphs = [why]
    if facts.follow_link:
        paragraphs.append(
            "Le lien de suivi de cette demande ne fonctionne plus. Pour un nouveau problème, "
            "envoyez une nouvelle demande."
        )
        action = (
            "Envoyer une nouvelle demande",
            f"{facts.settings.portal_origin}/support/nous-contacter",
        )
    else:
        action = ("Voir mon ticket", facts.link)
    return Letter(
        subject=_subject(facts, "Votre demande est clôturée"),
        paragraphs=paragraphs,
        action=action,
        details=_details(facts),
    )


def user_answered(facts: MailFacts) -> Letter:
    return Letter(
        subject=_subject(facts, f"Nouvelle réponse du demandeur : {facts.ticket.title}"),
        paragraphs=[f"{facts.ticket.emitter_name} a complété sa demande."],
        quote=_quote(facts),
        action=("Traiter le ticket", facts.link),
        details=_details(facts),
    )


def reopened(facts: MailFacts) -> Letter:
    return Letter(
        subject=_subject(facts, f"Ticket rouvert : {facts.ticket.title}"),
        paragraphs=[
            f"{facts.ticket.emitter_name} a rouvert le ticket : la réponse apportée ne règle "
            "pas sa demande."
        ],
        quote=_quote(facts),
        action=("Traiter le ticket", facts.link),
        details=_details(facts),
    )


def closed_by_emitter(facts: MailFacts) -> Letter:
    return Letter(
        subject=_subject(facts, f"Ticket clôturé par le demandeur : {facts.ticket.title}"),
        paragraphs=[
            f"{facts.ticket.emitter_name} a clôturé ce ticket avant sa résolution : "
            "il n'y a plus rien à faire."
        ],
        action=("Voir le ticket", facts.link),
        details=_details(facts),
    )


def _team_details(facts: MailFacts) -> list[tuple[str, str]]:
    ticket = facts.ticket
    emitter = ticket.organisation.designation if ticket.organisation else ticket.emitter_name
    return [
        ("Référence", ticket.reference),
        ("Émetteur", emitter),
        ("Catégorie", f"{ticket.category} / {ticket.subcategory}"),
        *([("N° Objet", ticket.object_number)] if ticket.object_number else []),
        ("Titre", ticket.title),
    ]


def new_ticket(facts: MailFacts) -> Letter:
    return Letter(
        subject=_subject(facts, f"Nouveau ticket : {facts.ticket.title}"),
        paragraphs=[f"Un nouveau ticket vous est adressé ({facts.ticket.recipient.designation})."],
        action=("Traiter le ticket depuis votre bureau", facts.link),
        details=_team_details(facts),
    )


def transferred_in(facts: MailFacts) -> Letter:
    return Letter(
        subject=_subject(facts, f"Ticket transféré : {facts.ticket.title}"),
        paragraphs=[
            "Un service métier vous a transféré ce ticket, qu'il estime relever du "
            f"{facts.ticket.recipient.designation}."
        ],
        quote=_quote(facts),
        action=("Traiter le ticket depuis votre bureau", facts.link),
        details=_team_details(facts),
    )


TEMPLATES: dict[TemplateName, Callable[[MailFacts], Letter]] = {
    "acknowledgement": acknowledgement,
    "information_asked": information_asked,
    "resolved": resolved,
    "transferred": transferred,
    "reminder": reminder,
    "closed": closed,
    "user_answered": user_answered,
    "reopened": reopened,
    "closed_by_emitter": closed_by_emitter,
    "new_ticket": new_ticket,
    "transferred_in": transferred_in,
}


def render_text(letter: Letter) -> str:
    blocks = ["Bonjour,", *letter.paragraphs]
    if letter.quote is not None:
        author, said = letter.quote
        quoted = "\n".join(f"> {line}".rstrip() for line in said.splitlines() or [""])
        blocks.append(f"{author} a écrit :\n{quoted}")
    if letter.details:
        blocks.append("\n".join(f"{label} : {value}" for label, value in letter.details))
    label, url = letter.action
    blocks.append(f"{label} :\n{url}")
    blocks.extend(letter.notes)
    blocks.append(f"-- \n{SIGNATURE}\n{NO_REPLY}")
    return "\n\n".join(blocks) + "\n"


def render_html(letter: Letter) -> str:
    e = html.escape
    parts = [
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">',
        f"<title>{e(letter.subject)}</title></head>",
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:16px;'
        'line-height:1.5;color:#161616;max-width:40em">',
        "<p>Bonjour,</p>",
        *(f"<p>{e(paragraph)}</p>" for paragraph in letter.paragraphs),
    ]
    if letter.quote is not None:
        author, said = letter.quote
        lines = "<br>".join(e(line) for line in said.splitlines())
        parts.append(
            f"<p>{e(author)} a écrit :</p>"
            '<blockquote style="margin:0 0 1em;padding:0 1em;border-left:4px solid #000091">'
            f"<p>{lines}</p></blockquote>"
        )
    if letter.details:
        rows = "".join(
            f"<li><strong>{e(label)} :</strong> {e(value)}</li>" for label, value in letter.details
        )
        parts.append(f"<ul>{rows}</ul>")
    label, url = letter.action
    parts.append(
        f'<p><a href="{e(url, quote=True)}" style="display:inline-block;padding:8px 16px;'
        f'background:#000091;color:#ffffff;text-decoration:none">{e(label)}</a></p>'
        f'<p style="font-size:14px">Si le bouton ne fonctionne pas, copiez cette adresse dans '
        f"votre navigateur : {e(url)}</p>"
    )
    parts.extend(f"<p>{e(note)}</p>" for note in letter.notes)
    parts.append(
        f'<hr><p style="font-size:14px;color:#666666">{e(SIGNATURE)}<br>{e(NO_REPLY)}</p>'
        "</body></html>"
    )
    return "".join(parts)


def render(name: TemplateName, facts: MailFacts, to: str) -> OutgoingMail:
    """The e-mail `name` tells `to` about `facts`, in text and HTML."""
    letter = TEMPLATES[name](facts)
    return OutgoingMail(
        to=to, subject=letter.subject, text=render_text(letter), html=render_html(letter)
    )
