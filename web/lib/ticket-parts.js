// What a ticket's page and a help request's follow-up page both show: the
// history with who and when (and the files of each comment), the actions a
// person can take, and the satisfaction rating once the request is resolved.

import { ApiError } from './api.js';
import { h } from './dom.js';
import { STATUS_LABELS, dateTimeText, fileSizeText } from './format.js';
import { alertBox, clearErrors, showErrors, textField } from './forms.js';

const EVENTS = {
  submitted: 'Demande envoyée',
  assigned: 'Prise en charge',
  commented: 'Commentaire ajouté',
  replied: 'Réponse du destinataire',
  reopened: 'Demande rouverte',
  closed: 'Demande clôturée',
  transferred: 'Transférée au support',
  delivered: 'Remise au destinataire',
  reminded: 'Rappel envoyé',
  rated: 'Avis donné',
};
const ROLES = { emitter: 'émetteur', agent: 'destinataire' };
const OPEN_FOR_COMMENTS = ['submitted', 'in_progress', 'waiting_for_user'];

export function starsText(stars) {
  return `${stars} étoile${stars > 1 ? 's' : ''} sur 5`;
}

/** A downloadable attachment, as a DSFR download link. */
export function attachmentLink(attachment) {
  return h('li', {}, h('a', { class: 'fr-link fr-link--download', href: attachment.download_url, download: attachment.filename },
    attachment.filename, h('span', { class: 'fr-link__detail' }, `${attachment.content_type} – ${fileSizeText(attachment.size)}`)));
}

/** The attachments sent with the request itself (not with a later comment). */
export function requestAttachments(ticket) {
  const inComments = new Set(ticket.comments.flatMap((c) => c.attachment_ids || []));
  return ticket.attachments.filter((a) => !inComments.has(a.attachment_id));
}

/** The history, oldest first: what happened, when, by whom, and what was written. */
export function historyList(ticket) {
  const byId = new Map(ticket.attachments.map((a) => [a.attachment_id, a]));
  const files = (entry) => {
    const comment = ticket.comments.find((c) => c.at === entry.at && c.text === entry.text);
    const found = (comment?.attachment_ids || []).map((id) => byId.get(id)).filter(Boolean);
    return found.length ? h('ul', {}, found.map(attachmentLink)) : null;
  };
  return h('ul', { class: 'guichet-history' }, ticket.history.map((entry) => h('li', {},
    h('p', { class: 'fr-mb-1v' },
      h('strong', {}, EVENTS[entry.event] || entry.event),
      ` – ${dateTimeText(entry.at)}, par ${entry.by.name}${ROLES[entry.by.role] ? ` (${ROLES[entry.by.role]})` : ''} – statut : ${STATUS_LABELS[entry.status] || entry.status}`),
    entry.stars ? h('p', { class: 'fr-mb-1v' }, starsText(entry.stars)) : null,
    entry.text ? h('p', { class: 'fr-mb-1v fr-text--pre' }, entry.text) : null,
    files(entry))));
}

/** What the person said of the answer, once rated. */
export function satisfactionSummary(satisfaction) {
  return h('div', { class: 'fr-mt-4w' },
    h('h2', { class: 'fr-h4' }, 'Votre avis sur la réponse'),
    h('p', {}, starsText(satisfaction.stars)),
    satisfaction.comment ? h('p', { class: 'fr-text--pre' }, satisfaction.comment) : null);
}

/**
 * A rating, 1 to 5 stars: five radio buttons (« 1 étoile » … « 5 étoiles »), a comment,
 * « Envoyer mon avis ». `send(body)` calls the API; `done(form)` follows. By default the
 * rating of a resolved request; the LiveChat's names its own heading, legend and hint.
 */
export function ratingForm(send, done, {
  heading = 'La réponse vous a-t-elle été utile ?',
  legend = 'Votre avis sur la réponse',
  hint = 'De 1 (pas satisfait) à 5 (très satisfait). Vous ne pouvez donner votre avis qu’une fois.',
  id = 'note',
} = {}) {
  const stars = [1, 2, 3, 4, 5].map((count) => h('div', { class: 'fr-fieldset__element fr-fieldset__element--inline' },
    h('div', { class: 'fr-radio-group' },
      h('input', { type: 'radio', id: `${id}-${count}`, name: 'stars', value: String(count) }),
      h('label', { class: 'fr-label', for: `${id}-${count}` }, `${count} étoile${count > 1 ? 's' : ''}`))));
  const form = h('form', { novalidate: true, class: 'fr-mt-4w' },
    heading ? h('h2', { class: 'fr-h4' }, heading) : null,
    h('fieldset', { class: 'fr-fieldset', id, 'aria-labelledby': `${id}-legende` },
      h('legend', { class: 'fr-fieldset__legend', id: `${id}-legende` }, legend, h('span', { class: 'fr-hint-text' }, hint)),
      stars),
    textField({ label: 'Commentaire (facultatif)', name: 'comment', multiline: true, rows: 3, maxlength: '2000' }),
    h('button', { type: 'submit', class: 'fr-btn' }, 'Envoyer mon avis'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const chosen = form.elements.stars.value;
    if (!chosen) {
      showErrors(form, { fieldErrors: [], message: 'Choisissez une note de 1 à 5 étoiles.' });
      return;
    }
    const body = { stars: Number(chosen) };
    const comment = form.elements.comment.value.trim();
    if (comment) body.comment = comment;
    try {
      await send(body);
      done(form);
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}

/**
 * The forms a person acts with on their request: comment (with files), reopen
 * when resolved, rate once resolved, close. `actions` gives the API calls:
 * {comment(text, files), reopen(text), rate(body), close(), upload (an attachments field)};
 * `after(kind)` follows a change that went through ('comment', 'reopen', 'rate', 'close').
 */
export function requestActions(ticket, actions, after) {
  const area = h('div', { class: 'fr-mt-4w' });
  // A resolved request is reopened, not commented (the API answers 409).
  if (OPEN_FOR_COMMENTS.includes(ticket.status)) area.append(commentForm());
  if (ticket.status === 'resolved') area.append(reopenForm());
  if (ticket.rateable) area.append(ratingForm(actions.rate, () => after('rate')));
  else if (ticket.satisfaction) area.append(satisfactionSummary(ticket.satisfaction));
  if (ticket.status !== 'closed') {
    area.append(h('h2', { class: 'fr-h4 fr-mt-4w' }, 'Clôturer la demande'),
      h('p', {}, 'Votre demande est réglée ? Clôturez-la.'),
      h('button', { type: 'button', class: 'fr-btn fr-btn--secondary', onclick: () => change(null, 'close', () => actions.close()) }, 'Clôturer'));
  }
  return area;

  function commentForm() {
    const form = h('form', { novalidate: true },
      h('h2', { class: 'fr-h4' }, ticket.status === 'waiting_for_user' ? 'Répondre : des informations vous sont demandées' : 'Ajouter un commentaire'),
      textField({ label: 'Votre commentaire', name: 'text', multiline: true, rows: 5, maxlength: '10000', required: true }),
      actions.upload.element,
      h('button', { type: 'submit', class: 'fr-btn' }, 'Ajouter un commentaire'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      change(form, 'comment', async () => actions.comment(form.elements.text.value.trim(), await actions.upload.readyIds()));
    });
    return form;
  }

  function reopenForm() {
    const form = h('form', { novalidate: true, class: 'fr-mt-4w' },
      h('h2', { class: 'fr-h4' }, 'La réponse ne règle pas votre demande ?'),
      textField({ label: 'Pourquoi rouvrir cette demande ?', name: 'text', multiline: true, rows: 4, maxlength: '10000', required: true }),
      h('button', { type: 'submit', class: 'fr-btn fr-btn--secondary' }, 'Rouvrir'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      change(form, 'reopen', () => actions.reopen(form.elements.text.value.trim()));
    });
    return form;
  }

  async function change(form, kind, call) {
    if (form) {
      clearErrors(form);
      if (!form.elements.text.value.trim()) {
        showErrors(form, { fieldErrors: [{ field: 'text', message: 'Écrivez quelques mots.' }] });
        return;
      }
    }
    try {
      await call();
    } catch (error) {
      if (form) showErrors(form, error);
      else area.prepend(alertBox('error', null, error instanceof ApiError ? error.userMessage : String(error)));
      return;
    }
    after(kind);
  }
}
