// /support/suivi: a help request followed without an account, with the link
// its e-mails carry (/support/suivi#reference=T-…&jeton=…). The token is read
// from the URL's fragment (which no server ever receives), kept in this tab's
// sessionStorage, and the fragment is removed from the address bar at once;
// it travels in the X-Follow-Token header only, never in a URL.

import { ApiError, api } from '../lib/api.js';
import { attachmentsField, newUploadToken } from '../lib/attachments.js';
import { append, h } from '../lib/dom.js';
import { STATUS_LABELS, dateTimeText, statusBadgeClass } from '../lib/format.js';
import { alertBox } from '../lib/forms.js';
import { recall, remember } from '../lib/session.js';
import { attachmentLink, historyList, requestActions, requestAttachments } from '../lib/ticket-parts.js';

export const title = 'Suivi de votre demande';

const KEY = 'suivi';

/** The link's reference and token: from the fragment (then forgotten by the URL), or this tab. */
function followLink() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const reference = fragment.get('reference');
  const token = fragment.get('jeton');
  if (reference && token) {
    remember(KEY, { reference, token });
    window.history.replaceState(null, '', window.location.pathname);
  }
  return recall(KEY);
}

function newRequestLink() {
  return h('p', { class: 'fr-mt-3w' }, h('a', { class: 'fr-link fr-icon-arrow-right-line fr-link--icon-right', href: '/support/nous-contacter' }, 'Envoyer une nouvelle demande'));
}

export async function render(main) {
  const link = followLink();
  main.append(h('h1', {}, 'Suivi de votre demande'));
  if (!link) {
    main.append(alertBox('info', 'Ouvrez le lien reçu par e-mail', 'Chaque e-mail au sujet de votre demande contient un lien personnel pour la suivre, sans compte.'), newRequestLink());
    return;
  }
  const path = `/help/requests/${encodeURIComponent(link.reference)}`;
  const headers = { 'X-Follow-Token': link.token };
  let request;
  try {
    request = await api.get(path, { headers });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      remember(KEY, null);
      main.append(alertBox('warning', 'Ce lien de suivi ne fonctionne plus', 'Il a expiré, ou la demande a été clôturée. Utilisez le lien du dernier e-mail reçu ; pour un nouveau problème, envoyez une nouvelle demande.'), newRequestLink());
    } else {
      main.append(alertBox('error', 'Votre demande n’a pas pu être chargée', error instanceof ApiError ? error.userMessage : String(error)));
    }
    return;
  }
  document.title = `Demande ${request.reference} – Guichet`;
  main.querySelector('h1').textContent = `Demande ${request.reference} : ${request.title}`;
  const uploadToken = newUploadToken();
  const attachments = requestAttachments(request);
  append(main, [
    h('p', { class: statusBadgeClass(request.status) }, STATUS_LABELS[request.status] || request.status),
    h('dl', { class: 'fr-mt-3w fr-mb-4w' },
      h('dt', { class: 'fr-text--bold' }, 'Destinataire'), h('dd', {}, request.recipient.designation),
      h('dt', { class: 'fr-text--bold' }, 'Sujet'), h('dd', {}, request.subcategory_label || '—'),
      h('dt', { class: 'fr-text--bold' }, 'Envoyée le'), h('dd', {}, dateTimeText(request.created_at)),
      h('dt', { class: 'fr-text--bold' }, 'Lien de suivi valable jusqu’au'), h('dd', {}, dateTimeText(request.link_expires_at))),
    h('h2', { class: 'fr-h4' }, 'Description'),
    h('p', { class: 'fr-text--pre' }, request.description),
    attachments.length ? [h('h2', { class: 'fr-h4' }, 'Pièces jointes'), h('ul', {}, attachments.map(attachmentLink))] : null,
    h('h2', { class: 'fr-h4' }, 'Historique'),
    historyList(request),
    requestActions(request, {
      upload: attachmentsField({ uploadToken }),
      comment: (text, ids) => api.post(`${path}/comments`, { text, attachment_ids: ids }, { headers: { ...headers, 'X-Upload-Token': uploadToken } }),
      reopen: (text) => api.post(`${path}/reopen`, { text }, { headers }),
      rate: (body) => api.put(`${path}/satisfaction`, body, { headers }),
      close: () => api.post(`${path}/close`, {}, { headers }),
    }, (kind) => (kind === 'close' ? closed(main, request) : window.location.reload())),
  ]);
}

/** After closing: the link works no more; say so, and where to go next. */
function closed(main, request) {
  remember(KEY, null);
  const done = h('div', { tabindex: '-1' }, alertBox('success', 'Votre demande est clôturée', 'Son lien de suivi ne fonctionne plus. Un e-mail vous le confirme.'), newRequestLink());
  main.replaceChildren(h('h1', {}, `Demande ${request.reference} clôturée`), done);
  done.focus();
}
