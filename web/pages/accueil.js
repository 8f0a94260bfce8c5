// The home page: the three ways to get help, the LiveChat's hours of the moment.

import { api } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { openingText } from '../lib/format.js';

export const title = 'Accueil';

function tile(heading, description, href, detail = null) {
  return h('div', { class: 'fr-col-12 fr-col-md-6 fr-col-lg-4' },
    h('div', { class: 'fr-tile fr-enlarge-link' },
      h('div', { class: 'fr-tile__body' },
        h('div', { class: 'fr-tile__content' },
          h('h2', { class: 'fr-tile__title' }, h('a', { href }, heading)),
          h('p', { class: 'fr-tile__desc' }, description),
          detail ? h('p', { class: 'fr-tile__detail' }, detail) : null))));
}

export async function render(main, { session }) {
  const chatStatus = h('p', { class: 'fr-badge fr-badge--sm', 'data-livechat': true }, 'LiveChat');
  main.append(
    h('h1', {}, session ? `Bonjour ${session.name}, comment pouvons-nous vous aider ?` : 'Comment pouvons-nous vous aider ?'),
    h('p', { class: 'fr-text--lead' }, 'Une question sur le dépôt ou le suivi d’une facture, votre compte, vos structures ? Commencez par ClaudIA, l’assistante virtuelle : elle répond à toute heure et vous oriente vers un conseiller ou un ticket si besoin.'),
    h('div', { class: 'fr-grid-row fr-grid-row--gutters fr-mb-4w' },
      tile('Discuter avec un conseiller', 'Le LiveChat, en semaine de 8 h 30 à 18 h 30 (jours ouvrés).', '/support/livechat', chatStatus),
      tile('Créer un ticket', 'Une demande suivie jusqu’à sa réponse, adressée au support ou au service qui traite votre facture.', '/support/ticket'),
      tile('Suivre mes tickets', 'Les réponses reçues, les informations demandées, vos tickets clôturés.', '/support/mes-tickets'),
      tile('Nous contacter sans compte', 'Vous ne pouvez pas vous connecter ? Solutions immédiates, puis une demande au support.', '/support/nous-contacter'),
      session ? null : tile('Se connecter', 'Connecté, vous suivez vos tickets et ClaudIA vous renseigne sur vos factures.', '/connexion')),
    h('p', {}, 'ClaudIA est disponible sur chaque page : bouton « Poser une question à ClaudIA », en bas à droite.'),
  );
  try {
    const availability = await api.get('/livechat/availability');
    if (availability.open) {
      chatStatus.classList.add('fr-badge--success');
      chatStatus.textContent = 'Ouvert maintenant';
    } else {
      chatStatus.textContent = availability.next_opening ? `Fermé, ouvre ${openingText(availability.next_opening)}` : 'Fermé';
    }
  } catch {
    chatStatus.remove();
  }
}
