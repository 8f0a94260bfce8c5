// What the agents' pages share: the role check and its "accès réservé" page,
// working hours in words, DSFR tables with a CSV export, and bar charts drawn
// in inline SVG (hidden from screen readers, who read the table beside them).

import { h } from './dom.js';

export const SUPPORT = 'support_agents';
export const BUSINESS = 'business_agents';

/**
 * True when the signed-in person has one of `roles`; otherwise the page shows
 * why it is reserved (`what`: "La console LiveChat est réservée") and how to
 * sign in, and the caller stops.
 */
export function requireRole(main, session, roles, what) {
  if (session && roles.some((role) => (session.roles || []).includes(role))) return true;
  document.title = 'Accès réservé – Guichet';
  main.append(
    h('h1', {}, 'Accès réservé'),
    h('p', { class: 'fr-text--lead' }, `${what} aux ${roles.includes(BUSINESS) ? 'conseillers du support et aux agents des entités publiques' : 'conseillers du support'}.`),
    session
      ? h('p', {}, `Vous êtes connecté en tant que ${session.name}, qui n’a pas ce rôle. Si vous pensez devoir y accéder, adressez-vous au gestionnaire de votre structure.`)
      : h('p', {}, 'Connectez-vous avec votre compte d’agent pour y accéder.'),
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
      session ? null : h('li', {}, h('a', { class: 'fr-btn', href: `/connexion?retour=${encodeURIComponent(window.location.pathname)}` }, 'Se connecter')),
      h('li', {}, h('a', { class: `fr-btn${session ? '' : ' fr-btn--secondary'}`, href: '/' }, 'Retour à l’accueil'))),
  );
  return false;
}

/** "3 h 30 ouvrées", "2 j 4 h ouvrés" (a working day of `dayHours`). */
export function workingHoursText(hours, dayHours = 10) {
  if (hours < 1) return Math.round(hours * 60) < 1 ? 'moins d’une minute' : `${Math.round(hours * 60)} min ouvrées`;
  if (hours < dayHours) {
    const whole = Math.floor(hours);
    const minutes = Math.round((hours - whole) * 60);
    return `${whole} h${minutes ? ` ${String(minutes).padStart(2, '0')}` : ''} ouvrée${whole > 1 ? 's' : ''}`;
  }
  const days = Math.floor(hours / dayHours);
  const rest = Math.round(hours - days * dayHours);
  return `${days} j${rest ? ` ${rest} h` : ''} ouvré${days > 1 ? 's' : ''}`;
}

/** "il y a 4 min" for a waiting chat. */
export function waitedText(since, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - new Date(since).getTime()) / 60000));
  if (minutes < 1) return 'moins d’une minute';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`;
}

/** A DSFR table: `columns` are header texts, `rows` arrays of cells (text or nodes). */
export function table(caption, columns, rows, { id, hideCaption = false } = {}) {
  return h('div', { class: `fr-table${hideCaption ? ' fr-table--no-caption' : ''}`, id },
    h('div', { class: 'fr-table__wrapper' }, h('div', { class: 'fr-table__container' }, h('div', { class: 'fr-table__content' },
      h('table', {},
        h('caption', {}, caption),
        h('thead', {}, h('tr', {}, columns.map((text) => h('th', { scope: 'col' }, text)))),
        h('tbody', {}, rows.length
          ? rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))
          : h('tr', {}, h('td', { colspan: String(columns.length) }, 'Aucune donnée sur la période.'))))))));
}

function csvCell(value) {
  const text = String(value ?? '');
  return /[";\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A download button for one table as CSV (semicolons, UTF-8 with BOM: what a
 * French spreadsheet opens as is). Built in the browser: no token in a URL.
 */
export function csvButton(name, filename, columns, rows) {
  return h('button', {
    type: 'button',
    class: 'fr-btn fr-btn--sm fr-btn--tertiary fr-icon-download-line fr-btn--icon-left',
    onclick: () => {
      const lines = [columns, ...rows].map((cells) => cells.map(csvCell).join(';'));
      const blob = new Blob([`\ufeff${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
      const link = h('a', { href: URL.createObjectURL(blob), download: filename });
      document.body.append(link);
      link.click();
      setTimeout(() => {
        URL.revokeObjectURL(link.href);
        link.remove();
      }, 0);
    },
  }, `Télécharger « ${name} » (CSV)`);
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/**
 * Horizontal bars, one row per item, up to two series (`series`: [{key, label}]).
 * Decorative for assistive technologies: the table beside it holds the figures.
 * Not shown on phones, where its words would be too small to read: the table is.
 */
export function barChart(items, labelOf, series, { max } = {}) {
  const top = max || Math.max(1, ...items.flatMap((item) => series.map((s) => Number(item[s.key]) || 0)));
  const rowHeight = 18 * series.length + 14;
  const width = 640;
  const labelWidth = 220;
  const barSpace = width - labelWidth - 50;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${Math.max(1, items.length) * rowHeight + 24}`, class: 'guichet-chart', 'aria-hidden': 'true', focusable: 'false' });
  items.forEach((item, index) => {
    const y = index * rowHeight;
    const label = String(labelOf(item));
    chart.append(svg('text', { x: 0, y: y + 16, class: 'guichet-chart__label' }, label.length > 32 ? `${label.slice(0, 31)}…` : label));
    series.forEach((serie, position) => {
      const value = Number(item[serie.key]) || 0;
      const barY = y + 4 + position * 18;
      chart.append(svg('rect', { x: labelWidth, y: barY, width: Math.max(1, (value / top) * barSpace), height: 14, class: `guichet-chart__bar guichet-chart__bar--${position}` }));
      chart.append(svg('text', { x: labelWidth + Math.max(1, (value / top) * barSpace) + 6, y: barY + 12, class: 'guichet-chart__value' }, String(value).replace('.', ',')));
    });
  });
  const legend = series.length > 1
    ? h('ul', { class: 'guichet-legend', 'aria-hidden': 'true' }, series.map((serie, position) => h('li', {}, h('span', { class: `guichet-legend__key guichet-legend__key--${position}` }), serie.label)))
    : null;
  return h('figure', { class: 'fr-mb-2w guichet-chart-figure' }, chart, legend);
}
