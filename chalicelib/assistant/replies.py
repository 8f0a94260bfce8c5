"""What ClaudIA says in her own words: the greeting, fixed replies, the offer of a person.

Answers to questions come from the knowledge base (chalicelib/data/); these are the
sentences of the dialogue itself, in French, in one place for whoever rewrites them.
"""

from __future__ import annotations

from chalicelib.assistant.context import when
from chalicelib.assistant.policy import BUSINESS_AGENT, SUPPORT_AGENT, Escalation

GREETING = (
    "Bonjour{name}, je suis ClaudIA, l'assistante virtuelle de Chorus Pro. Posez-moi votre "
    "question en quelques mots, je vous réponds à toute heure."
)
GREETING_ANONYMOUS = (
    " Connectez-vous pour que je puisse aussi vous renseigner sur vos factures et vos tickets."
)
GREETING_USER = " Je peux aussi vous donner le statut de vos factures et de vos tickets."
GREETING_SUPPORT_AGENT = (
    " Je vous donne les réponses de la base de connaissances, pour vous ou pour l'usager que "
    "vous aidez, et le suivi de vos propres tickets."
)
GREETING_BUSINESS_AGENT = (
    " Je peux vous aider à traiter les factures et les sollicitations reçues par votre structure,"
    " et vous donner le statut d'une facture reçue à partir de son numéro."
)
NOT_UNDERSTOOD = (
    "Je n'ai pas compris votre question. Pourriez-vous la reformuler en quelques mots, par "
    "exemple « facture rejetée » ou « mot de passe oublié » ?"
)
OFFER = "Votre question porte-t-elle sur l'un de ces sujets ?"
# The user's side of "none of the offered topics fits", as the transcript shows it.
NONE_OF_THESE_CHOSEN = "Aucun de ces sujets"
NONE_OF_THESE = (
    "Reformulez votre question en quelques mots, par exemple « facture rejetée » : je "
    "chercherai à nouveau."
)
STILL_NOT_UNDERSTOOD = "Je ne parviens toujours pas à comprendre votre question."
ASKED = "Je vous mets en relation avec un conseiller."
NEGATIVE = "Merci pour votre avis. Désolée de ne pas avoir pu vous aider."
ASK_INVOICE_NUMBER = (
    "Quel est le numéro exact de la facture (par exemple FA-2026-0001), sans caractère "
    "ajouté ? Je vous donnerai son destinataire, son statut et la date du dernier changement."
)
OFFER_CLOSED = "Ces sujets ne sont plus proposés : posez votre question à nouveau."
TOO_LONG = "Cette conversation est trop longue : commencez-en une nouvelle pour continuer."
DRAFT_HEADER = "Échange avec l'assistant ClaudIA :\n"
DRAFT_TITLE = "Question posée à l'assistant ClaudIA"


def greeting(name: str | None, logged_in: bool, audience: str | None = None) -> str:
    """The first message: by name when known, with what a login (or an agent's role) adds."""
    opening = GREETING.format(name="" if name is None else f" {name}")
    if audience == SUPPORT_AGENT:
        return opening + GREETING_SUPPORT_AGENT
    if audience == BUSINESS_AGENT:
        return opening + GREETING_BUSINESS_AGENT
    return opening + (GREETING_USER if logged_in else GREETING_ANONYMOUS)


def escalation_text(escalation: Escalation) -> str:
    """What the assistant says when it offers a person."""
    if escalation.livechat.open:
        return (
            "Vous pouvez échanger dès maintenant avec un conseiller sur le LiveChat, ou créer "
            "un ticket pré-rempli avec notre échange."
        )
    reopening = (
        f" (réouverture le {when(escalation.livechat.next_opening)})"
        if escalation.livechat.next_opening
        else ""
    )
    return (
        f"Le LiveChat est fermé pour le moment{reopening} : vous pouvez créer un ticket, "
        "pré-rempli avec notre échange, qui sera traité par le support."
    )
