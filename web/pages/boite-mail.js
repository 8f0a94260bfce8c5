// /local/mailbox: every e-mail the local stack sent, newest first, as Mailpit
// would show them (local stage only: elsewhere the API answers 404). Links are
// clickable, so the journey an e-mail starts can be followed from here.

import { ApiError, api } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { dateTimeText } from '../lib/format.js';
import { alertBox, textField } from '../lib/forms.js';

export const title = 'Boîte de réception locale';

const URL_PATTERN = /https?:\/\/[^\s<>"«»]+[^\s<>"«».,;:!?)\]]/g;

/** An e-mail's text as it reads, its URLs as links (the portal's own in this tab). */
function mailText(text) {
  const block = h('div', { class: 'guichet-mail-text' });
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let url;
    try {
      url = new URL(match[0]);
    } catch {
      continue;
    }
    block.append(text.slice(last, match.index));
    const own = url.origin === window.location.origin;
    block.append(h('a', own ? { href: url.href } : { href: url.href, target: '_blank', rel: 'noopener noreferrer', title: `${match[0]} – nouvelle fenêtre` }, match[0]));
    last = match.index + match[0].length;
  }
  block.append(text.slice(last));
  return block;
}

export async function render(main) {
  const to = new URLSearchParams(window.location.search).get('to') || '';
  main.append(
    h('h1', {}, 'Boîte de réception locale'),
    h('p', { class: 'fr-text--lead' }, 'Les e-mails que Guichet a envoyés depuis son démarrage sur cette machine, du plus récent au plus ancien. Aucun n’est réellement parti.'),
  );
  const filter = h('form', { method: 'get', action: '/local/mailbox', class: 'fr-mb-4w' },
    textField({ label: 'Adresse du destinataire', hint: 'Facultatif : laissez vide pour voir tous les e-mails.', name: 'to', type: 'email', value: to, autocomplete: 'off' }),
    h('button', { type: 'submit', class: 'fr-btn fr-btn--secondary' }, 'Filtrer'));
  main.append(filter);
  let mails;
  try {
    mails = await api.get('/local/mailbox', { query: { to, limit: 100 } });
  } catch (error) {
    main.append(error instanceof ApiError && error.status === 404
      ? alertBox('info', 'Boîte de réception indisponible', 'Elle n’existe que dans l’environnement local (make run).')
      : alertBox('error', 'Les e-mails n’ont pas pu être chargés', error instanceof ApiError ? error.userMessage : String(error)));
    return;
  }
  const count = mails.length === 0 ? 'Aucun e-mail' : `${mails.length} e-mail${mails.length > 1 ? 's' : ''}`;
  main.append(h('p', { role: 'status' }, to ? `${count} pour ${to}.` : `${count}.`));
  main.append(h('ul', { class: 'guichet-mailbox' }, mails.map((mail) => h('li', { class: 'fr-mb-4w' },
    h('article', { class: 'guichet-mail' },
      h('h2', { class: 'fr-h5 fr-mb-1w' }, mail.subject),
      h('p', { class: 'fr-text--sm fr-mb-2w' }, `À ${mail.to} – envoyé le ${dateTimeText(mail.sent_at)}`),
      mailText(mail.text))))));
}
