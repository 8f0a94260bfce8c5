// /support/mes-tickets/{ticket_id}: one ticket, its history with who and
// when, its comments and attachments; comment, reopen, close it, and rate the
// answer once it is resolved.

import { ApiError, api } from '../lib/api.js';
import { attachmentsField } from '../lib/attachments.js';
import { append, h } from '../lib/dom.js';
import { STATUS_LABELS, dateTimeText, statusBadgeClass } from '../lib/format.js';
import { alertBox } from '../lib/forms.js';
import { attachmentLink, historyList, requestActions, requestAttachments } from '../lib/ticket-parts.js';

export const title = 'Ticket';

export async function render(main, { params, session }) {
  if (!session) {
    main.append(h('h1', {}, 'Ticket'), alertBox('info', 'Connectez-vous pour voir ce ticket', 'Vos tickets sont liés à votre compte.'),
      h('p', { class: 'fr-mt-3w' }, h('a', { class: 'fr-btn', href: `/connexion?retour=${encodeURIComponent(window.location.pathname)}` }, 'Se connecter')));
    return;
  }
  const path = `/tickets/${encodeURIComponent(params.ticketId)}`;
  let ticket;
  try {
    ticket = await api.get(path);
  } catch (error) {
    main.append(h('h1', {}, 'Ticket introuvable'),
      alertBox('error', null, error instanceof ApiError && error.status === 404 ? 'Ce ticket n’existe pas ou ne vous est pas adressé.' : (error.userMessage || String(error))),
      h('p', { class: 'fr-mt-3w' }, h('a', { class: 'fr-link fr-icon-arrow-left-line fr-link--icon-left', href: '/support/mes-tickets' }, 'Mes tickets')));
    return;
  }
  document.title = `Ticket ${ticket.reference} – Guichet`;
  const attachments = requestAttachments(ticket);

  append(main, [
    h('nav', { class: 'fr-breadcrumb', 'aria-label': 'vous êtes ici :' },
      h('div', { class: 'fr-collapse', id: 'fil-ariane' }, h('ol', { class: 'fr-breadcrumb__list' },
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', href: '/support/mes-tickets' }, 'Mes tickets')),
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', 'aria-current': 'page' }, ticket.reference))))),
    h('h1', {}, `Ticket ${ticket.reference} : `, ticket.title),
    h('p', { class: statusBadgeClass(ticket.status) }, STATUS_LABELS[ticket.status] || ticket.status),
    h('dl', { class: 'fr-mt-3w fr-mb-4w' },
      h('dt', { class: 'fr-text--bold' }, 'Destinataire'), h('dd', {}, ticket.recipient.designation),
      h('dt', { class: 'fr-text--bold' }, 'Sujet'), h('dd', {}, ticket.subcategory_label || ticket.subcategory),
      ticket.object_number ? [h('dt', { class: 'fr-text--bold' }, 'N° Objet'), h('dd', {}, ticket.object_number)] : null,
      ticket.organisation ? [h('dt', { class: 'fr-text--bold' }, 'Structure émettrice'), h('dd', {}, ticket.organisation.designation)] : null,
      h('dt', { class: 'fr-text--bold' }, 'Envoyé le'), h('dd', {}, dateTimeText(ticket.created_at))),
    h('h2', { class: 'fr-h4' }, 'Description'),
    h('p', { class: 'fr-text--pre' }, ticket.description),
    attachments.length ? [h('h2', { class: 'fr-h4' }, 'Pièces jointes'), h('ul', {}, attachments.map(attachmentLink))] : null,
    h('h2', { class: 'fr-h4' }, 'Historique'),
    historyList(ticket),
    requestActions(ticket, {
      upload: attachmentsField(),
      comment: (text, ids) => api.post(`${path}/comments`, { text, attachment_ids: ids }),
      reopen: (text) => api.post(`${path}/reopen`, { text }),
      rate: (body) => api.put(`${path}/satisfaction`, body),
      close: () => api.post(`${path}/close`),
    }, () => window.location.reload()),
  ]);
}
