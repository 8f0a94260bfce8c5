// /agent/reponses-types: the desk's canned answers, written once and inserted
// into replies from a ticket's page. A desk's answers are its own.

import { ApiError, api } from '../lib/api.js';
import { BUSINESS, SUPPORT, requireRole } from '../lib/agent.js';
import { h } from '../lib/dom.js';
import { dateTimeText } from '../lib/format.js';
import { alertBox, clearErrors, selectField, showErrors, textField } from '../lib/forms.js';

export const title = 'Réponses types';

export async function render(main, { session }) {
  if (!requireRole(main, session, [SUPPORT, BUSINESS], 'Les réponses types sont réservées')) return;
  main.append(
    h('nav', { class: 'fr-breadcrumb', 'aria-label': 'vous êtes ici :' },
      h('div', { class: 'fr-collapse', id: 'fil-ariane' }, h('ol', { class: 'fr-breadcrumb__list' },
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', href: '/agent/tickets' }, 'Bureau des tickets')),
        h('li', {}, h('a', { class: 'fr-breadcrumb__link', 'aria-current': 'page' }, 'Réponses types'))))),
    h('h1', {}, 'Réponses types'),
    h('p', { class: 'fr-text--lead' }, 'Les textes que votre bureau insère dans ses réponses, depuis la page d’un ticket.'));
  const me = await api.get('/me');
  const desks = [];
  if (me.roles.includes(SUPPORT)) desks.push({ value: 'support', label: 'Support outil' });
  if (me.roles.includes(BUSINESS)) for (const o of me.organisations.filter((x) => x.kind === 'public')) desks.push({ value: `business:${o.id}`, label: o.designation });
  const picker = desks.length > 1 ? selectField({ label: 'Bureau', name: 'desk', options: desks, placeholder: null }) : null;
  const list = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, class: 'fr-mt-4w' },
    h('h2', { class: 'fr-h4' }, 'Nouvelle réponse type'),
    textField({ label: 'Titre de la réponse type', hint: 'Pour la retrouver dans la liste, par exemple « Bon de commande manquant ».', name: 'title', maxlength: '120', required: true }),
    textField({ label: 'Texte de la réponse type', name: 'text', multiline: true, rows: 6, maxlength: '10000', required: true }),
    h('button', { type: 'submit', class: 'fr-btn' }, 'Enregistrer la réponse type'));
  let editing = null;
  main.append(picker || '', list, form);
  picker?.querySelector('select').addEventListener('change', load);
  form.addEventListener('submit', save);
  await load();

  function desk() {
    const value = picker?.querySelector('select').value || desks[0]?.value || 'support';
    return value.startsWith('business:') ? { queue: 'business', organisation_id: value.slice(9) } : { queue: 'support' };
  }

  async function load() {
    let page;
    try {
      page = await api.get('/desk/answers', { query: { ...desk(), limit: 100 } });
    } catch (error) {
      list.replaceChildren(alertBox('error', 'Les réponses types n’ont pas pu être chargées', error instanceof ApiError ? error.userMessage : String(error)));
      return;
    }
    if (!page.items.length) {
      list.replaceChildren(h('p', {}, 'Votre bureau n’a pas encore de réponse type.'));
      return;
    }
    list.replaceChildren(h('ul', { class: 'fr-raw-list' }, page.items.map((answer) => h('li', { class: 'fr-mb-3w' },
      h('h2', { class: 'fr-h6 fr-mb-1v' }, answer.title),
      h('p', { class: 'fr-text--pre fr-mb-1v' }, answer.text),
      h('p', { class: 'fr-text--xs fr-mb-1w' }, `Modifiée le ${dateTimeText(answer.updated_at)} par ${answer.updated_by}`),
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm' },
        h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--sm fr-btn--secondary', 'aria-label': `Modifier « ${answer.title} »`, onclick: () => edit(answer) }, 'Modifier')),
        h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--sm fr-btn--tertiary', 'aria-label': `Supprimer « ${answer.title} »`, onclick: () => remove(answer) }, 'Supprimer')))))));
  }

  function edit(answer) {
    editing = answer;
    form.querySelector('h2').textContent = `Modifier « ${answer.title} »`;
    form.elements.title.value = answer.title;
    form.elements.text.value = answer.text;
    form.elements.title.focus();
  }

  async function remove(answer) {
    try {
      await api.del(`/desk/answers/${encodeURIComponent(answer.answer_id)}`, { query: desk() });
    } catch (error) {
      list.prepend(alertBox('error', null, error instanceof ApiError ? error.userMessage : String(error)));
      return;
    }
    await load();
  }

  async function save(event) {
    event.preventDefault();
    clearErrors(form);
    const body = { title: form.elements.title.value.trim(), text: form.elements.text.value.trim() };
    try {
      if (editing) await api.put(`/desk/answers/${encodeURIComponent(editing.answer_id)}`, body, { query: desk() });
      else await api.post('/desk/answers', body, { query: desk() });
    } catch (error) {
      showErrors(form, error);
      return;
    }
    editing = null;
    form.reset();
    form.querySelector('h2').textContent = 'Nouvelle réponse type';
    await load();
  }
}
