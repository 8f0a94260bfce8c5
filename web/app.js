// The portal's router: every page path gets index.html (the static server and
// CloudFront do that), and this module loads the page's own module into <main>.
// A page module exports `title` and `render(main, context)`.

import { h } from './lib/dom.js';
import { clearSession, currentSession, remember } from './lib/session.js';

// Path patterns (":name" is a parameter) and the module of each page. A new
// page is one line here and one module in pages/.
const ROUTES = [
  ['/', 'accueil'],
  ['/connexion', 'connexion'],
  ['/support/ticket', 'ticket'],
  ['/support/mes-tickets', 'mes-tickets'],
  ['/support/mes-tickets/:ticketId', 'ticket-detail'],
  ['/support/livechat', 'livechat'],
  ['/support/nous-contacter', 'nous-contacter'],
  ['/support/suivi', 'suivi'],
  ['/local/mailbox', 'boite-mail'],
  ['/accessibilite', 'accessibilite'],
  // The agents' portal: each page checks the role it needs.
  ['/agent/tickets', 'agent-tickets'],
  ['/agent/tickets/:ticketId', 'agent-ticket'],
  ['/agent/reponses-types', 'agent-reponses'],
  ['/agent/livechat', 'agent-livechat'],
  ['/agent/rapports', 'agent-rapports'],
];

export function match(pathname) {
  const path = pathname.replace(/\/+$/, '') || '/';
  for (const [pattern, module] of ROUTES) {
    const names = [];
    const regex = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, name) => {
      names.push(name);
      return '([^/]+)';
    })}$`);
    const found = path.match(regex);
    if (found) {
      const params = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1])]));
      return { module, params };
    }
  }
  return { module: 'introuvable', params: {} };
}

function showAccount(session) {
  const area = document.querySelector('[data-compte]');
  if (!area || !session) return;
  area.replaceChildren(
    h('li', {}, h('a', { class: 'fr-btn fr-icon-account-circle-line', href: '/connexion', title: `Connecté : ${session.name} – changer de compte` }, session.name)),
    h('li', {}, h('button', {
      type: 'button',
      class: 'fr-btn fr-icon-logout-box-r-line',
      onclick: () => {
        clearSession();
        remember('claudia', null);
        window.location.assign('/');
      },
    }, 'Se déconnecter')),
  );
}

// Agents find their pages in the menu: the desk, the LiveChat console (advisors), the reports.
function showAgentLinks(session) {
  const roles = session?.roles || [];
  if (!roles.includes('support_agents') && !roles.includes('business_agents')) return;
  const list = document.querySelector('.fr-nav__list');
  if (!list) return;
  const links = [['/agent/tickets', 'Bureau des tickets']];
  if (roles.includes('support_agents')) links.push(['/agent/livechat', 'Console LiveChat']);
  links.push(['/agent/rapports', 'Rapports']);
  for (const [href, text] of links) list.append(h('li', { class: 'fr-nav__item' }, h('a', { class: 'fr-nav__link', href }, text)));
}

function markCurrentLink(pathname) {
  for (const link of document.querySelectorAll('.fr-nav__link')) {
    const href = link.getAttribute('href');
    const current = href === '/' ? pathname === '/' : pathname.startsWith(href);
    if (current) link.setAttribute('aria-current', 'page');
  }
}

async function start() {
  const session = currentSession();
  showAccount(session);
  showAgentLinks(session);
  markCurrentLink(window.location.pathname);
  const main = document.getElementById('contenu');
  const { module, params } = match(window.location.pathname);
  try {
    const page = await import(`./pages/${module}.js`);
    document.title = `${page.title} – Guichet`;
    main.replaceChildren();
    await page.render(main, { params, session });
  } catch (error) {
    console.error(error);
    main.replaceChildren(
      h('h1', {}, 'Une erreur est survenue'),
      h('p', {}, 'La page n’a pas pu être affichée. Rechargez-la, ou réessayez dans quelques instants.'),
    );
  }
  main.setAttribute('aria-busy', 'false');
}

start();
