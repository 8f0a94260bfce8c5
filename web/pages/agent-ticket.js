// /agent/tickets/{ticket_id}: one ticket of the desk. Its details, how long it
// has waited, the description and attachments, ClaudIA's transcript when it
// came from her, its history; `Prendre en charge`, `Répondre` or `Demander des
// informations` (a canned answer can be inserted), `Transférer au support`
// (business desks, with a reason), and the desk's internal notes.

import { ApiError, api } from '../lib/api.js';
import { BUSINESS, SUPPORT, requireRole, workingHoursText } from '../lib/agent.js';
import { append, h } from '../lib/dom.js';
import { dateTimeText, fileSizeText, statusBadgeClass } from '../lib/format.js';
import { alertBox, clearErrors, selectField, showErrors, textField } from '../lib/forms.js';
import { AGENT_STATUS_LABELS } from './agent-tickets.js';

export const title = 'Ticket du bureau';

const EVENTS = {
  submitted: 'Ticket envoyé',
  assigned: 'Pris en charge',
  commented: 'Commentaire de l’émetteur',
  replied: 'Réponse',
  reopened: 'Ticket rouvert par l’émetteur',
  closed: 'Ticket clôturé',
  transferred: 'Transféré au support',
  delivered: 'Remis au destinataire',
};
const TRANSFERABLE = new Set(['submitted', 'in_progress', 'waiting_for_user']);

export async function render(main, { params, session }) {
  if (!requireRole(main, session, [SUPPORT, BUSINESS], 'Le bureau des tickets est réservé')) return;
  const path = `/desk/tickets/${encodeURIComponent(params.ticketId)}`;
  let ticket;
  let catalogue;
  try {
    // The catalogue names the category (the ticket holds its code).
    [ticket, catalogue] = await Promise.all([api.get(path), api.get('/tickets/catalogue').catch(() => [])]);
  } catch (error) {
    main.append(h('h1', {}, 'Ticket introuvable'),
      alertBox('error', null, error instanceof ApiError && error.status === 404 ? 'Ce ticket n’existe pas ou n’est pas adressé à votre bureau.' : (error.userMessage || String(error))),
      h('p', { class: 'fr-mt-3w' }, h('a', { class: 'fr-link fr-icon-arrow-left-line fr-link--icon-left', href: '/agent/tickets' }, 'Bureau des tickets')));
    return;
  }
  document.title = `Ticket ${ticket.reference} – Bureau – Guichet`;
  const mine = ticket.assignee?.user_id === session.user_id;
  const desk = ticket.recipient.type === 'business'
    ? { queue: 'business', organisation_id: ticket.recipient.organisation_id }
    : { queue: 'support' };
  const status = h('div', { 'aria-live': 'polite' });
  const age = ticket.age;

  append(main, [
    h('nav', { class: 'fr-breadcrumb', 'aria-label': 'vous êtes ici :' },
      h('div', { class: 'fr-collapse', id: 'fil-ariane' }, h('ol', { class: 'fr-breadcrumb__list' },
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', href: '/agent/tickets' }, 'Bureau des tickets')),
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', 'aria-current': 'page' }, ticket.reference))))),
    h('h1', {}, `Ticket ${ticket.reference} : `, ticket.title),
    h('ul', { class: 'fr-badges-group' },
      h('li', {}, h('p', { class: statusBadgeClass(ticket.status) }, AGENT_STATUS_LABELS[ticket.status] || ticket.status)),
      age.overdue ? h('li', {}, h('p', { class: 'fr-badge fr-badge--error' }, 'En retard')) : null),
    age.waiting
      ? h('p', {}, `En attente de votre bureau depuis ${workingHoursText(age.working_hours)} (objectif : ${workingHoursText(age.target_working_hours)}${age.due_at ? `, soit avant le ${dateTimeText(age.due_at)}` : ''}).`)
      : null,
    status,
    h('div', { class: 'fr-grid-row fr-grid-row--gutters' },
      h('div', { class: 'fr-col-12 fr-col-lg-7' }, details(), actions()),
      h('div', { class: 'fr-col-12 fr-col-lg-5' }, transcript(), notes())),
  ]);

  function details() {
    const files = ticket.attachments.map((attachment) => h('li', {}, h('a', { class: 'fr-link fr-link--download', href: attachment.download_url, download: attachment.filename },
      attachment.filename, h('span', { class: 'fr-link__detail' }, `${attachment.content_type} – ${fileSizeText(attachment.size)}`))));
    return h('div', {},
      h('dl', { class: 'fr-mb-4w' },
        h('dt', { class: 'fr-text--bold' }, 'Émetteur'), h('dd', {}, ticket.emitter_name),
        ticket.organisation ? [h('dt', { class: 'fr-text--bold' }, 'Structure émettrice'), h('dd', {}, ticket.organisation.designation)] : null,
        ticket.siret ? [h('dt', { class: 'fr-text--bold' }, 'SIRET'), h('dd', {}, ticket.siret)] : null,
        h('dt', { class: 'fr-text--bold' }, 'Adresse e-mail de contact'), h('dd', {}, ticket.contact_email),
        h('dt', { class: 'fr-text--bold' }, 'Sujet'), h('dd', {}, `${catalogue.find((c) => c.code === ticket.category)?.label || ticket.category} – ${ticket.subcategory_label || ticket.subcategory}`),
        ticket.object_number ? [h('dt', { class: 'fr-text--bold' }, 'N° Objet'), h('dd', {}, ticket.object_number)] : null,
        h('dt', { class: 'fr-text--bold' }, 'Envoyé le'), h('dd', {}, dateTimeText(ticket.created_at)),
        h('dt', { class: 'fr-text--bold' }, 'Pris en charge par'), h('dd', {}, ticket.assignee ? ticket.assignee.name : 'Personne')),
      h('h2', { class: 'fr-h4' }, 'Description'),
      h('p', { class: 'fr-text--pre' }, ticket.description),
      files.length ? [h('h2', { class: 'fr-h4' }, 'Pièces jointes'), h('ul', {}, files)] : null,
      h('h2', { class: 'fr-h4' }, 'Historique'),
      h('ul', { class: 'guichet-history' }, ticket.history.map((entry) => h('li', {},
        h('p', { class: 'fr-mb-1v' }, h('strong', {}, EVENTS[entry.event] || entry.event), ` – ${dateTimeText(entry.at)}, par ${entry.by.name} – statut : ${AGENT_STATUS_LABELS[entry.status] || entry.status}`),
        entry.text ? h('p', { class: 'fr-mb-1v fr-text--pre' }, entry.text) : null))));
  }

  function actions() {
    const area = h('div', { class: 'fr-mt-4w' }, h('h2', { class: 'fr-h4' }, 'Traiter le ticket'));
    const canTake = ticket.status === 'submitted' || (ticket.status === 'in_progress' && !mine);
    if (canTake) {
      area.append(
        ticket.status === 'in_progress' ? h('p', {}, `Ce ticket est pris en charge par ${ticket.assignee.name}. Vous pouvez le reprendre.`) : h('p', {}, 'Prenez le ticket en charge pour y répondre.'),
        h('button', { type: 'button', class: 'fr-btn', onclick: (event) => act(event.target, () => api.post(`${path}/assign`)) }, 'Prendre en charge'));
    }
    if (ticket.status === 'in_progress' && mine) area.append(replyForm());
    if (ticket.status === 'waiting_for_user') area.append(h('p', {}, 'Des informations ont été demandées à l’émetteur : le ticket revient dans votre bureau dès sa réponse.'));
    if (ticket.recipient.type === 'business' && TRANSFERABLE.has(ticket.status) && session.roles.includes(BUSINESS)) area.append(transferForm());
    if (!canTake && !(ticket.status === 'in_progress' && mine) && area.children.length === 1 && ticket.status !== 'waiting_for_user') {
      area.append(h('p', {}, ticket.status === 'closed' ? 'Ce ticket est clôturé.' : 'Ce ticket est résolu : l’émetteur peut le rouvrir ou le clôturer.'));
    }
    return area;
  }

  function replyForm() {
    const answers = selectField({ label: 'Réponse type', name: 'answer', placeholder: 'Choisir une réponse type', options: [] });
    const form = h('form', { novalidate: true, class: 'fr-mt-2w' },
      h('div', { class: 'fr-grid-row fr-grid-row--gutters fr-grid-row--bottom' },
        h('div', { class: 'fr-col-12 fr-col-md-8' }, answers),
        h('div', { class: 'fr-col-12 fr-col-md-4' }, h('button', { type: 'button', class: 'fr-btn fr-btn--secondary fr-mb-3w', onclick: insert }, 'Insérer la réponse type'))),
      textField({ label: 'Votre réponse', hint: 'L’émetteur la reçoit par e-mail et la lit dans son ticket.', name: 'text', multiline: true, rows: 7, maxlength: '10000', required: true }),
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
        h('li', {}, h('button', { type: 'submit', class: 'fr-btn', value: 'resolved' }, 'Répondre')),
        h('li', {}, h('button', { type: 'submit', class: 'fr-btn fr-btn--secondary', value: 'waiting_for_user' }, 'Demander des informations'))));
    let known = [];
    api.get('/desk/answers', { query: { ...desk, limit: 100 } }).then((page) => {
      known = page.items;
      const select = form.elements.answer;
      for (const item of known) select.append(h('option', { value: item.answer_id }, item.title));
    }).catch(() => {});
    function insert() {
      const chosen = known.find((item) => item.answer_id === form.elements.answer.value);
      if (!chosen) return;
      const box = form.elements.text;
      const at = box.selectionStart ?? box.value.length;
      box.value = `${box.value.slice(0, at)}${chosen.text}${box.value.slice(at)}`;
      box.focus();
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = form.elements.text.value.trim();
      if (!text) {
        showErrors(form, { fieldErrors: [{ field: 'text', message: 'Écrivez votre réponse ou la question à poser.' }] });
        return;
      }
      act(form, () => api.post(`${path}/reply`, { text, status: event.submitter?.value || 'resolved' }));
    });
    return form;
  }

  function transferForm() {
    const form = h('form', { novalidate: true, class: 'fr-mt-4w' },
      h('h3', { class: 'fr-h5' }, 'Ce ticket ne relève pas de votre service ?'),
      textField({ label: 'Motif du transfert', hint: 'Le support outil lit ce motif avec le ticket.', name: 'text', multiline: true, rows: 3, maxlength: '10000', required: true }),
      h('button', { type: 'submit', class: 'fr-btn fr-btn--tertiary' }, 'Transférer au support'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = form.elements.text.value.trim();
      if (!text) {
        showErrors(form, { fieldErrors: [{ field: 'text', message: 'Indiquez le motif du transfert.' }] });
        return;
      }
      act(form, () => api.post(`${path}/transfer`, { text }), '/agent/tickets');
    });
    return form;
  }

  function transcript() {
    if (!ticket.transcript) {
      return ticket.conversation_id ? h('p', { class: 'fr-hint-text' }, 'Ce ticket vient d’une conversation avec ClaudIA qui n’est plus disponible.') : null;
    }
    return h('section', { class: 'fr-mb-4w', 'aria-labelledby': 'titre-claudia' },
      h('h2', { class: 'fr-h4', id: 'titre-claudia' }, 'Conversation avec ClaudIA'),
      h('div', { class: 'guichet-transcript', tabindex: '0', role: 'region', 'aria-label': 'Transcription de la conversation avec ClaudIA' },
        ticket.transcript.map((turn) => h('p', {}, h('strong', {}, turn.author === 'user' ? 'Usager : ' : 'ClaudIA : '), turn.text))));
  }

  function notes() {
    const form = h('form', { novalidate: true },
      textField({ label: 'Nouvelle note interne', hint: 'Visible des seuls agents de votre bureau, jamais de l’émetteur.', name: 'text', multiline: true, rows: 3, maxlength: '10000', required: true }),
      h('button', { type: 'submit', class: 'fr-btn fr-btn--secondary' }, 'Ajouter la note'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = form.elements.text.value.trim();
      if (!text) {
        showErrors(form, { fieldErrors: [{ field: 'text', message: 'Écrivez la note.' }] });
        return;
      }
      act(form, () => api.post(`${path}/notes`, { text }));
    });
    return h('section', { 'aria-labelledby': 'titre-notes' },
      h('h2', { class: 'fr-h4', id: 'titre-notes' }, 'Notes internes'),
      ticket.notes.length
        ? h('ul', { class: 'fr-raw-list' }, ticket.notes.map((note) => h('li', { class: 'guichet-note' },
          h('p', { class: 'fr-text--sm fr-mb-1v' }, `${note.by.name}, ${dateTimeText(note.at)}`),
          h('p', { class: 'fr-text--pre fr-mb-0' }, note.text))))
        : h('p', {}, 'Aucune note pour l’instant.'),
      form);
  }

  async function act(form, call, then = null) {
    const isForm = form.tagName === 'FORM';
    if (isForm) clearErrors(form);
    try {
      await call();
      if (then) window.location.assign(then);
      else window.location.reload();
    } catch (error) {
      if (isForm) showErrors(form, error);
      else status.replaceChildren(alertBox('error', null, error instanceof ApiError ? error.userMessage : String(error)));
    }
  }
}
