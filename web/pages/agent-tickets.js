// /agent/tickets: the desk. The tickets addressed to the agent's desk (the
// support's, or one of their public bodies'), searched with `Rechercher`
// (reference, N° Objet, e-mail, SIRET, words of the title), filtered, and by
// default the longest-waiting first, in working hours, overdue ones marked.

import { ApiError, api } from '../lib/api.js';
import { BUSINESS, SUPPORT, requireRole, workingHoursText } from '../lib/agent.js';
import { h } from '../lib/dom.js';
import { STATUS_LABELS, dateTimeText, statusBadgeClass } from '../lib/format.js';
import { alertBox, selectField, textField } from '../lib/forms.js';

export const title = 'Bureau des tickets';

export const AGENT_STATUS_LABELS = { ...STATUS_LABELS, submitted: 'Nouveau', waiting_for_user: 'En attente de l’usager' };
const SORTS = [
  { value: 'ageing', label: 'Attente la plus longue d’abord' },
  { value: 'newest', label: 'Les plus récents d’abord' },
  { value: 'oldest', label: 'Les plus anciens d’abord' },
];
const WAITING = new Set(['submitted', 'in_progress']);

export async function render(main, { session }) {
  if (!requireRole(main, session, [SUPPORT, BUSINESS], 'Le bureau des tickets est réservé')) return;
  main.append(h('h1', {}, 'Bureau des tickets'));
  let me;
  let catalogue;
  try {
    [me, catalogue] = await Promise.all([api.get('/me'), api.get('/tickets/catalogue')]);
  } catch (error) {
    main.append(alertBox('error', 'Le bureau n’a pas pu être chargé', error instanceof ApiError ? error.userMessage : String(error)));
    return;
  }
  const params = new URLSearchParams(window.location.search);
  const desks = [];
  if (me.roles.includes(SUPPORT)) desks.push({ value: 'support', label: 'Support outil' });
  if (me.roles.includes(BUSINESS)) {
    for (const organisation of me.organisations.filter((o) => o.kind === 'public')) {
      desks.push({ value: `business:${organisation.id}`, label: organisation.designation });
    }
  }
  main.append(h('p', { class: 'fr-text--lead' }, desks.length === 1 ? `Les tickets adressés à : ${desks[0].label}.` : 'Les tickets adressés à votre bureau.'),
    h('p', {}, h('a', { class: 'fr-link fr-icon-chat-3-line fr-link--icon-left', href: '/agent/reponses-types' }, 'Réponses types du bureau')));

  const form = h('form', { novalidate: true, role: 'search', class: 'fr-mb-4w' },
    h('div', { class: 'fr-search-bar fr-mb-2w' },
      h('label', { class: 'fr-label', for: 'recherche' }, 'Rechercher'),
      h('input', { class: 'fr-input', id: 'recherche', name: 'q', type: 'search', placeholder: 'Référence, N° Objet, e-mail, SIRET ou mots du titre', value: params.get('q') || '' }),
      h('button', { class: 'fr-btn', type: 'submit', title: 'Rechercher' }, 'Rechercher')),
    h('div', { class: 'fr-grid-row fr-grid-row--gutters' },
      desks.length > 1 ? h('div', { class: 'fr-col-12 fr-col-md-3' }, selectField({ label: 'Bureau', name: 'desk', options: desks, placeholder: null })) : null,
      h('div', { class: 'fr-col-12 fr-col-md-3' }, selectField({ label: 'Statut', name: 'status', placeholder: null, options: [{ value: '', label: 'Tous' }, ...Object.entries(AGENT_STATUS_LABELS).map(([value, label]) => ({ value, label }))] })),
      h('div', { class: 'fr-col-12 fr-col-md-3' }, selectField({ label: 'Catégorie', name: 'category', placeholder: null, options: [{ value: '', label: 'Toutes' }, ...catalogue.map((c) => ({ value: c.code, label: c.label }))] })),
      h('div', { class: 'fr-col-12 fr-col-md-3' }, selectField({ label: 'Prise en charge', name: 'assignee', placeholder: null, options: [{ value: '', label: 'Tous les tickets' }, { value: 'me', label: 'Pris en charge par moi' }, { value: 'none', label: 'Non pris en charge' }] })),
      h('div', { class: 'fr-col-12 fr-col-md-3' }, selectField({ label: 'Trier par', name: 'sort', placeholder: null, options: SORTS }))),
    h('div', { class: 'fr-checkbox-group fr-mt-2w' },
      h('input', { type: 'checkbox', id: 'en-retard', name: 'overdue' }),
      h('label', { class: 'fr-label', for: 'en-retard' }, 'En retard uniquement')),
    h('button', { type: 'submit', class: 'fr-btn fr-btn--secondary fr-mt-2w' }, 'Filtrer'));
  for (const name of ['status', 'category', 'assignee', 'sort', 'desk']) {
    if (params.get(name) && form.elements[name]) form.elements[name].value = params.get(name);
  }
  form.elements.overdue.checked = params.get('overdue') === 'true';
  const results = h('div', { 'aria-live': 'polite' });
  main.append(form, results);

  let cursor = null;
  let shown = [];
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = new URL(window.location.href);
    url.search = '';
    for (const [name, value] of Object.entries(queryOf())) if (value) url.searchParams.set(name, value);
    window.history.replaceState(null, '', url);
    load(true);
  });
  form.addEventListener('change', (event) => {
    if (event.target.name !== 'q') form.requestSubmit();
  });
  await load(true);

  function queryOf() {
    const values = Object.fromEntries(['q', 'status', 'category', 'assignee', 'sort', 'desk'].map((name) => [name, form.elements[name]?.value.trim() || '']));
    if (form.elements.overdue.checked) values.overdue = 'true';
    return values;
  }

  async function load(fresh) {
    const values = queryOf();
    const query = { q: values.q, status: values.status, category: values.category, assignee: values.assignee, overdue: values.overdue, limit: 25, cursor: fresh ? null : cursor };
    // Only tickets waiting for their recipient have a wait to sort by.
    query.sort = values.sort === 'ageing' && values.status && !WAITING.has(values.status) ? 'newest' : values.sort || 'ageing';
    const desk = values.desk || desks[0]?.value || '';
    if (desk.startsWith('business:')) {
      query.queue = 'business';
      query.organisation_id = desk.slice('business:'.length);
    } else if (desk === 'support') {
      query.queue = 'support';
    }
    let page;
    try {
      page = await api.get('/desk/tickets', { query });
    } catch (error) {
      results.replaceChildren(alertBox('error', 'La recherche n’a pas abouti', error instanceof ApiError ? error.userMessage : String(error)));
      return;
    }
    shown = fresh ? page.items : shown.concat(page.items);
    cursor = page.next_cursor;
    show(values);
  }

  function show(values) {
    const searching = values.q ? ` pour « ${values.q} »` : '';
    const byWait = !values.q && (values.sort || 'ageing') === 'ageing' && (!values.status || WAITING.has(values.status));
    if (!shown.length) {
      results.replaceChildren(h('p', {}, `Aucun ticket${searching}.`));
      return;
    }
    const rows = shown.map((ticket) => h('tr', {},
      h('td', {}, h('a', { href: `/agent/tickets/${encodeURIComponent(ticket.ticket_id)}` }, ticket.reference), h('span', { class: 'fr-hint-text' }, `le ${dateTimeText(ticket.created_at)}`)),
      h('td', {}, ticket.title, ticket.object_number ? h('span', { class: 'fr-hint-text' }, `N° Objet ${ticket.object_number}`) : null),
      h('td', {}, ticket.organisation?.designation || ticket.emitter_name, h('span', { class: 'fr-hint-text' }, ticket.contact_email)),
      h('td', {}, h('p', { class: statusBadgeClass(ticket.status) }, AGENT_STATUS_LABELS[ticket.status] || ticket.status),
        h('span', { class: 'fr-hint-text' }, ticket.assignee ? `Pris en charge par ${ticket.assignee.name}` : 'Non pris en charge')),
      h('td', {}, ageCell(ticket.age))));
    results.replaceChildren(
      h('div', { class: 'fr-table' }, h('div', { class: 'fr-table__wrapper' }, h('div', { class: 'fr-table__container' }, h('div', { class: 'fr-table__content' },
        h('table', {},
          h('caption', {}, `${shown.length} ticket${shown.length > 1 ? 's' : ''}${searching}${byWait ? ' en attente de votre bureau, l’attente la plus longue d’abord' : ''}${cursor ? ' (d’autres suivent)' : ''}`),
          h('thead', {}, h('tr', {}, ['Référence', 'Titre', 'Émetteur', 'Statut', 'Attente'].map((text) => h('th', { scope: 'col' }, text)))),
          h('tbody', {}, rows)))))),
      cursor ? h('button', { type: 'button', class: 'fr-btn fr-btn--secondary', onclick: () => load(false) }, 'Afficher plus de tickets') : '',
    );
  }
}

export function ageCell(age) {
  if (!age.waiting) return h('span', {}, '—');
  return h('span', {},
    workingHoursText(age.working_hours),
    age.overdue ? h('p', { class: 'fr-badge fr-badge--sm fr-badge--error fr-mt-1v' }, 'En retard') : null,
    !age.overdue && age.due_at ? h('span', { class: 'fr-hint-text' }, `avant le ${dateTimeText(age.due_at)}`) : null);
}
