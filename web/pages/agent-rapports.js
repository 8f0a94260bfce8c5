// /agent/rapports: the reports over a period. Tickets per category (received,
// waiting, overdue now); for the support, ClaudIA's knowledge gaps (questions
// she did not understand, grouped by spelling; answers rated not useful; the
// suggestions that spared a ticket) and the chat ratings per category and per
// advisor; the emitters' ratings of the tickets' answers, per desk and category
// (GET /desk/satisfaction: all ratings received). Each chart has its table (what screen readers read) and each table
// its CSV export.

import { ApiError, api } from '../lib/api.js';
import { BUSINESS, SUPPORT, barChart, csvButton, requireRole, table } from '../lib/agent.js';
import { h } from '../lib/dom.js';
import { dateTimeText } from '../lib/format.js';
import { alertBox, showErrors, textField } from '../lib/forms.js';

export const title = 'Rapports';

function number(value) {
  return String(value).replace('.', ',');
}

/** A titled block: a chart (optional), its table and the table's CSV export. */
function block(heading, { chart, caption, columns, rows, csvRows, filename }) {
  return h('section', { class: 'fr-mb-6w' },
    h('h3', { class: 'fr-h5' }, heading),
    chart && rows.length ? chart : null,
    // The heading says what the table is; its caption, read by screen readers, says it all.
    table(caption, columns, rows, { hideCaption: true }),
    rows.length ? csvButton(heading, filename, columns, csvRows || rows.map((cells) => cells.map(String))) : null);
}

export async function render(main, { session }) {
  if (!requireRole(main, session, [SUPPORT, BUSINESS], 'Les rapports sont réservés')) return;
  main.append(h('h1', {}, 'Rapports'));
  const params = new URLSearchParams(window.location.search);
  const form = h('form', { novalidate: true, class: 'fr-mb-4w' },
    h('fieldset', { class: 'fr-fieldset', 'aria-labelledby': 'periode-legende' },
      h('legend', { class: 'fr-fieldset__legend', id: 'periode-legende' }, 'Période (31 jours au plus)'),
      h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline' }, textField({ label: 'Du', name: 'from', type: 'date', value: params.get('from') || '' })),
      h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline' }, textField({ label: 'Au', name: 'to', type: 'date', value: params.get('to') || '' })),
      h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline' }, h('button', { type: 'submit', class: 'fr-btn fr-mt-4w' }, 'Afficher'))));
  const content = h('div', { 'aria-live': 'polite' });
  main.append(form, content);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = new URL(window.location.href);
    for (const name of ['from', 'to']) {
      if (form.elements[name].value) url.searchParams.set(name, form.elements[name].value);
      else url.searchParams.delete(name);
    }
    window.history.replaceState(null, '', url);
    load();
  });
  await load();

  async function load() {
    let report;
    let rated;
    try {
      [report, rated] = await Promise.all([
        api.get('/agent/reports', { query: { from: form.elements.from.value, to: form.elements.to.value } }),
        api.get('/desk/satisfaction'),
      ]);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) showErrors(form, error);
      else content.replaceChildren(alertBox('error', 'Le rapport n’a pas pu être chargé', error instanceof ApiError ? error.userMessage : String(error)));
      return;
    }
    form.elements.from.value = report.start;
    form.elements.to.value = report.end;
    const period = `du ${report.start.split('-').reverse().join('/')} au ${report.end.split('-').reverse().join('/')}`;
    content.replaceChildren(...[
      h('p', {}, `Période : ${period}.`),
      tickets(report.tickets, period),
      ticketRatings(rated),
      report.knowledge_gaps ? gaps(report.knowledge_gaps, period) : null,
      report.chat_ratings ? chats(report.chat_ratings) : null,
      leftOut(report),
    ].filter(Boolean));
  }
}

function tickets(figures, period) {
  const items = figures.categories;
  return h('section', { 'aria-labelledby': 'titre-tickets' },
    h('h2', { id: 'titre-tickets' }, 'Tickets'),
    block('Tickets par catégorie', {
      chart: barChart(items, (item) => item.label, [{ key: 'received', label: 'Reçus sur la période' }, { key: 'overdue', label: 'En retard aujourd’hui' }]),
      caption: `Tickets par catégorie, reçus ${period}, en attente et en retard aujourd’hui`,
      columns: ['Catégorie', 'Reçus', 'En attente du bureau', 'En retard'],
      rows: items.map((item) => [item.label, item.received, item.waiting, item.overdue]),
      filename: 'tickets-par-categorie.csv',
    }));
}

function ticketRatings(found) {
  const average = (figure) => (figure.average === null ? '—' : `${number(figure.average)} / 5`);
  return h('section', { 'aria-labelledby': 'titre-satisfaction-tickets' },
    h('h2', { id: 'titre-satisfaction-tickets' }, 'Satisfaction des usagers sur les tickets'),
    h('p', {}, `Moyennes de toutes les notes données aux réponses (${found.overall.count} ${found.overall.count > 1 ? 'notes' : 'note'}, moyenne ${average(found.overall)}).`),
    block('Notes des tickets par bureau', {
      caption: 'Notes données aux réponses des tickets, par bureau',
      columns: ['Bureau', 'Tickets notés', 'Note moyenne'],
      rows: found.by_desk.map((item) => [item.designation, item.count, average(item)]),
      filename: 'notes-tickets-par-bureau.csv',
    }),
    block('Notes des tickets par catégorie', {
      chart: barChart(found.by_category, (item) => item.label || item.category, [{ key: 'average', label: 'Note moyenne' }], { max: 5 }),
      caption: 'Notes données aux réponses des tickets, par catégorie',
      columns: ['Catégorie', 'Tickets notés', 'Note moyenne'],
      rows: found.by_category.map((item) => [item.label || item.category, item.count, average(item)]),
      filename: 'notes-tickets-par-categorie.csv',
    }));
}

function gaps(found, period) {
  return h('section', { 'aria-labelledby': 'titre-claudia' },
    h('h2', { id: 'titre-claudia' }, 'Les lacunes de ClaudIA'),
    block('Questions non comprises', {
      chart: barChart(found.not_understood.slice(0, 10), (item) => item.question, [{ key: 'count', label: 'Fois posée' }]),
      caption: `Questions que ClaudIA n’a pas comprises ${period} (regroupées quand seule l’orthographe diffère)`,
      columns: ['Question', 'Fois posée', 'Orthographes regroupées'],
      rows: found.not_understood.map((item) => [item.question, item.count, item.variants.length > 1 ? item.variants.join(' | ') : '—']),
      filename: 'questions-non-comprises.csv',
    }),
    block('Questions précisées par un sujet proposé', {
      caption: `Questions où ClaudIA hésitait, avec le sujet proposé que l’usager a choisi ${period} : des exemples à ajouter à la base, dans les mots des usagers`,
      columns: ['Question', 'Sujet choisi', 'Fois'],
      rows: found.offer_choices.map((item) => [item.question, item.title, item.count]),
      filename: 'sujets-choisis.csv',
    }),
    block('Réponses jugées pas utiles', {
      caption: `Sujets dont les réponses ont été jugées « pas utiles » ${period}`,
      columns: ['Sujet', 'Réponses pas utiles'],
      rows: found.unhelpful.map((item) => [item.title, item.count]),
      filename: 'reponses-pas-utiles.csv',
    }),
    block('Suggestions qui ont évité un ticket', {
      caption: `Réponses suggérées après lesquelles l’usager a quitté le formulaire de ticket ${period}`,
      columns: ['Sujet', 'Tickets évités'],
      rows: found.deflections.map((item) => [item.title, item.count]),
      filename: 'tickets-evites.csv',
    }));
}

function chats(found) {
  const stars = (figure) => `${number(figure.average)} / 5`;
  const categories = new Map(found.by_category.map((item) => [item.key, item.label]));
  return h('section', { 'aria-labelledby': 'titre-livechat' },
    h('h2', { id: 'titre-livechat' }, 'Satisfaction LiveChat'),
    h('p', {}, 'Moyennes de toutes les notes reçues.'),
    block('Notes par catégorie', {
      chart: barChart(found.by_category, (item) => item.label, [{ key: 'average', label: 'Note moyenne' }], { max: 5 }),
      caption: 'Notes des discussions par catégorie',
      columns: ['Catégorie', 'Discussions notées', 'Note moyenne'],
      rows: found.by_category.map((item) => [item.label, item.count, stars(item)]),
      filename: 'notes-par-categorie.csv',
    }),
    block('Notes par conseiller', {
      chart: barChart(found.by_advisor, (item) => item.label, [{ key: 'average', label: 'Note moyenne' }], { max: 5 }),
      caption: 'Notes des discussions par conseiller',
      columns: ['Conseiller', 'Discussions notées', 'Note moyenne'],
      rows: found.by_advisor.map((item) => [item.label, item.count, stars(item)]),
      filename: 'notes-par-conseiller.csv',
    }),
    block('Dernières notes', {
      caption: 'Les dernières notes reçues',
      columns: ['Date', 'Conseiller', 'Catégorie', 'Note', 'Commentaire'],
      rows: found.latest.map((item) => [dateTimeText(item.rated_at), item.advisor_name || '—', categories.get(item.category) || item.category, `${item.stars} / 5`, item.comment || '—']),
      filename: 'dernieres-notes.csv',
    }));
}

function leftOut(report) {
  if (!report.knowledge_gaps) {
    return h('p', { class: 'fr-mt-4w' }, 'Les lacunes de ClaudIA et la satisfaction LiveChat sont suivies par le support outil.');
  }
  return null;
}
