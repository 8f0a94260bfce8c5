// /support/mes-tickets/{ticket_id}: one ticket, its history with who and
// when, its comments and attachments; comment, reopen or close it.

import { ApiError, api } from '../lib/api.js';
import { attachmentsField } from '../lib/attachments.js';
import { append, h } from '../lib/dom.js';
import { STATUS_LABELS, dateTimeText, fileSizeText, statusBadgeClass } from '../lib/format.js';
import { alertBox, clearErrors, showErrors, textField } from '../lib/forms.js';

export const title = 'Ticket';

const EVENTS = {
  submitted: 'Ticket envoyé',
  assigned: 'Pris en charge',
  commented: 'Commentaire ajouté',
  replied: 'Réponse du destinataire',
  reopened: 'Ticket rouvert',
  closed: 'Ticket clôturé',
  transferred: 'Transféré au support',
  delivered: 'Remis au destinataire',
};
const ROLES = { emitter: 'émetteur', agent: 'destinataire' };

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
  const attachmentsById = new Map(ticket.attachments.map((a) => [a.attachment_id, a]));
  const link = (attachment) => h('li', {}, h('a', { class: 'fr-link fr-link--download', href: attachment.download_url, download: attachment.filename },
    attachment.filename, h('span', { class: 'fr-link__detail' }, `${attachment.content_type} – ${fileSizeText(attachment.size)}`)));
  const commentAttachmentIds = new Set(ticket.comments.flatMap((c) => c.attachment_ids || []));
  const ticketAttachments = ticket.attachments.filter((a) => !commentAttachmentIds.has(a.attachment_id));

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
    ticketAttachments.length ? [h('h2', { class: 'fr-h4' }, 'Pièces jointes'), h('ul', {}, ticketAttachments.map(link))] : null,
    h('h2', { class: 'fr-h4' }, 'Historique'),
    h('ul', { class: 'guichet-history' }, ticket.history.map((entry) => h('li', {},
      h('p', { class: 'fr-mb-1v' }, h('strong', {}, EVENTS[entry.event] || entry.event), ` – ${dateTimeText(entry.at)}, par ${entry.by.name}${ROLES[entry.by.role] ? ` (${ROLES[entry.by.role]})` : ''} – statut : ${STATUS_LABELS[entry.status] || entry.status}`),
      entry.text ? h('p', { class: 'fr-mb-1v' }, entry.text) : null,
      commentFiles(entry)))),
  ]);

  function commentFiles(entry) {
    const comment = ticket.comments.find((c) => c.at === entry.at && c.text === entry.text);
    const files = (comment?.attachment_ids || []).map((id) => attachmentsById.get(id)).filter(Boolean);
    return files.length ? h('ul', {}, files.map(link)) : null;
  }

  const actions = h('div', { class: 'fr-mt-4w' });
  main.append(actions);
  if (ticket.status !== 'closed') actions.append(commentForm());
  if (ticket.status === 'resolved') actions.append(reopenForm());
  if (ticket.status !== 'closed') {
    actions.append(h('h2', { class: 'fr-h4 fr-mt-4w' }, 'Clôturer le ticket'),
      h('p', {}, 'Votre demande est réglée ? Clôturez le ticket.'),
      h('button', { type: 'button', class: 'fr-btn fr-btn--secondary', onclick: (event) => change(event.target, () => api.post(`${path}/close`)) }, 'Clôturer'));
  }

  function commentForm() {
    const upload = attachmentsField();
    const form = h('form', { novalidate: true },
      h('h2', { class: 'fr-h4' }, ticket.status === 'waiting_for_user' ? 'Répondre : des informations vous sont demandées' : 'Ajouter un commentaire'),
      textField({ label: 'Votre commentaire', name: 'text', multiline: true, rows: 5, maxlength: '10000', required: true }),
      upload.element,
      h('button', { type: 'submit', class: 'fr-btn' }, 'Ajouter un commentaire'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      change(form, async () => api.post(`${path}/comments`, { text: form.elements.text.value.trim(), attachment_ids: await upload.readyIds() }));
    });
    return form;
  }

  function reopenForm() {
    const form = h('form', { novalidate: true, class: 'fr-mt-4w' },
      h('h2', { class: 'fr-h4' }, 'La réponse ne règle pas votre demande ?'),
      textField({ label: 'Pourquoi rouvrir ce ticket ?', name: 'text', multiline: true, rows: 4, maxlength: '10000', required: true }),
      h('button', { type: 'submit', class: 'fr-btn fr-btn--secondary' }, 'Rouvrir'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      change(form, () => api.post(`${path}/reopen`, { text: form.elements.text.value.trim() }));
    });
    return form;
  }

  async function change(form, call) {
    const target = form.tagName === 'FORM' ? form : actions;
    if (form.tagName === 'FORM') clearErrors(form);
    if (form.tagName === 'FORM' && !form.elements.text.value.trim()) {
      showErrors(form, { fieldErrors: [{ field: 'text', message: 'Écrivez quelques mots.' }] });
      return;
    }
    try {
      await call();
      window.location.reload();
    } catch (error) {
      if (target.tagName === 'FORM') showErrors(target, error);
      else target.prepend(alertBox('error', null, error instanceof ApiError ? error.userMessage : String(error)));
    }
  }
}
