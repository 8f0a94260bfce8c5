// /support/mes-tickets: the user's tickets, filtered by what they wait for.

import { ApiError, api } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { STATUS_LABELS, dateTimeText, statusBadgeClass } from '../lib/format.js';
import { alertBox } from '../lib/forms.js';

export const title = 'Mes tickets';

const FILTERS = [
  { id: 'tous', label: 'Tous', keep: () => true },
  { id: 'a-traiter', label: 'À traiter par moi', keep: (t) => t.status === 'waiting_for_user' },
  { id: 'en-cours', label: 'En cours', keep: (t) => ['submitted', 'in_progress', 'resolved'].includes(t.status) },
  { id: 'clotures', label: 'Clôturés', keep: (t) => t.status === 'closed' },
];
const MAX_PAGES = 5;

export async function render(main, { session }) {
  main.append(h('h1', {}, 'Mes tickets'));
  if (!session) {
    main.append(alertBox('info', 'Connectez-vous pour suivre vos tickets', 'Vos tickets sont liés à votre compte.'),
      h('p', { class: 'fr-mt-3w' }, h('a', { class: 'fr-btn', href: '/connexion?retour=/support/mes-tickets' }, 'Se connecter')));
    return;
  }
  let tickets = [];
  try {
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = await api.get('/tickets', { query: { limit: 100, cursor } });
      tickets = tickets.concat(result.items);
      cursor = result.next_cursor;
      if (!cursor) break;
    }
  } catch (error) {
    main.append(alertBox('error', 'Vos tickets n’ont pas pu être chargés', error instanceof ApiError ? error.userMessage : String(error)));
    return;
  }
  const params = new URLSearchParams(window.location.search);
  let current = FILTERS.find((f) => f.id === params.get('filtre')) || FILTERS[0];
  const results = h('div', { 'aria-live': 'polite' });
  const buttons = FILTERS.map((filter) => h('li', {}, h('button', {
    type: 'button',
    class: 'fr-tag',
    'aria-pressed': String(filter === current),
    onclick: () => {
      current = filter;
      for (const [index, item] of FILTERS.entries()) buttons[index].firstChild.setAttribute('aria-pressed', String(item === current));
      const url = new URL(window.location.href);
      url.searchParams.set('filtre', filter.id);
      window.history.replaceState(null, '', url);
      show();
    },
  }, `${filter.label} (${tickets.filter(filter.keep).length})`)));
  main.append(
    h('p', {}, h('a', { class: 'fr-btn fr-btn--icon-left fr-icon-add-line', href: '/support/ticket' }, 'Créer un ticket')),
    h('h2', { class: 'fr-h6 fr-mb-1w', id: 'filtres' }, 'Afficher'),
    h('ul', { class: 'fr-tags-group', 'aria-labelledby': 'filtres' }, buttons),
    results,
  );
  show();

  function show() {
    const shown = tickets.filter(current.keep);
    if (!shown.length) {
      results.replaceChildren(h('p', {}, current === FILTERS[0] ? 'Vous n’avez pas encore de ticket.' : 'Aucun ticket dans cette liste.'));
      return;
    }
    results.replaceChildren(h('div', { class: 'fr-table' }, h('div', { class: 'fr-table__wrapper' }, h('div', { class: 'fr-table__container' }, h('div', { class: 'fr-table__content' },
      h('table', {},
        h('caption', {}, `${current.label} : ${shown.length} ticket${shown.length > 1 ? 's' : ''}`),
        h('thead', {}, h('tr', {}, ['Référence', 'Titre', 'Destinataire', 'Statut', 'Mis à jour le'].map((text) => h('th', { scope: 'col' }, text)))),
        h('tbody', {}, shown.map((ticket) => h('tr', {},
          h('td', {}, h('a', { href: `/support/mes-tickets/${encodeURIComponent(ticket.ticket_id)}` }, ticket.reference)),
          h('td', {}, ticket.title),
          h('td', {}, ticket.recipient.designation),
          h('td', {}, h('p', { class: statusBadgeClass(ticket.status) }, STATUS_LABELS[ticket.status] || ticket.status)),
          h('td', {}, dateTimeText(ticket.updated_at)))))))))));
  }
}
