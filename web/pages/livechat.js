// /support/livechat: a chat with an advisor, signed in or without an account.
// New messages come by polling on the local stack, and over the WebSocket in
// deployed stages (config `websocket_url`; README "LiveChat: push and polling").

import { ApiError, api, clientSecret, idempotencyKey, loadConfig } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { dateTimeText, openingText } from '../lib/format.js';
import { alertBox, clearErrors, localErrors, selectField, showErrors, textField } from '../lib/forms.js';
import { openPush } from '../lib/push.js';
import { recall, remember } from '../lib/session.js';
import { ratingForm } from '../lib/ticket-parts.js';

export const title = 'LiveChat';

const STORE_KEY = 'livechat';
const POLL_MS = 1500;
const STATUS_TEXT = {
  waiting: 'En attente d’un conseiller',
  active: 'En discussion',
  closed: 'Discussion terminée',
};

export async function render(main, { session }) {
  main.append(
    h('h1', {}, 'Discuter avec un conseiller'),
    h('p', { class: 'fr-text--lead' }, 'Un conseiller du support répond en direct à vos questions sur le portail de facturation.'),
  );
  const area = h('div');
  main.append(area);
  const saved = recall(STORE_KEY);
  if (saved && saved.owner === (session?.user_id || null)) {
    new Chat(area, saved, session).start();
    return;
  }
  let availability;
  let categories;
  try {
    [availability, categories] = await Promise.all([api.get('/livechat/availability'), api.get('/livechat/categories')]);
  } catch (error) {
    area.append(alertBox('error', 'Le LiveChat est indisponible', error instanceof ApiError ? error.userMessage : String(error)));
    return;
  }
  if (!availability.open) {
    area.append(closedNotice(availability.next_opening, availability.hours));
    return;
  }
  area.append(startForm(area, categories, session, availability));
}

function closedNotice(nextOpening, hours) {
  return h('div', {},
    alertBox('info', 'Le LiveChat est fermé',
      nextOpening ? `Il rouvrira ${openingText(nextOpening)}.` : 'Il rouvrira le prochain jour ouvré.',
      hours ? `Horaires : ${hours}.` : null),
    h('p', { class: 'fr-mt-3w' }, 'En attendant, ClaudIA répond à toute heure (bouton en bas à droite), et un ticket est traité dès l’ouverture.'),
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, h('a', { class: 'fr-btn', href: '/support/ticket' }, 'Créer un ticket')),
      h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: '/support/nous-contacter' }, 'Nous contacter sans compte'))));
}

function startForm(area, categories, session, availability) {
  const key = idempotencyKey();
  // Without an account the chat is the holder's of this secret (sent, never sent back).
  const secret = session ? null : clientSecret();
  const form = h('form', { novalidate: true },
    availability.closes_at ? h('p', {}, `Le LiveChat est ouvert jusqu’à ${openingText(availability.closes_at).split(' à ')[1]}.`) : null,
    selectField({ label: 'Catégorie', hint: 'Le sujet de votre question, pour être orienté vers le bon conseiller.', name: 'category', options: categories.map((c) => ({ value: c.code, label: c.label })), placeholder: 'Sélectionner une catégorie', required: true }),
    session ? null : textField({ label: 'Adresse e-mail de connexion', hint: 'Celle avec laquelle vous vous connectez au portail (ou essayez de le faire). Format attendu : nom@domaine.fr', name: 'login_identifier', type: 'email', autocomplete: 'email', required: true }),
    h('button', { type: 'submit', class: 'fr-btn' }, 'Démarrer la discussion'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const invalid = localErrors(form, {
      category: (value) => (value ? null : 'Catégorie : champ obligatoire.'),
      login_identifier: (value) => (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value) ? null : 'Adresse e-mail invalide. Format attendu : nom@domaine.fr'),
    });
    if (invalid) {
      showErrors(form, invalid);
      return;
    }
    const body = { category: form.elements.category.value };
    const conversation = recall('claudia')?.conversationId;
    if (conversation) body.conversation_id = conversation;
    if (!session) body.login_identifier = form.elements.login_identifier.value.trim();
    try {
      const headers = { 'Idempotency-Key': key };
      if (secret) headers['X-Session-Token'] = secret;
      const created = await api.post('/livechat/sessions', body, { headers });
      const state = {
        owner: session?.user_id || null,
        sessionId: created.session_id,
        sessionToken: secret || created.session_token || recall(STORE_KEY)?.sessionToken || null,
        position: created.position,
        status: created.status,
        after: 0,
        messages: [],
      };
      remember(STORE_KEY, state);
      area.replaceChildren();
      new Chat(area, state, session).start();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.problem.next_opening) {
        area.replaceChildren(closedNotice(error.problem.next_opening));
        return;
      }
      showErrors(form, error);
    }
  });
  return form;
}

class Chat {
  constructor(area, state, session) {
    this.area = area;
    this.state = state;
    this.session = session;
    this.headers = state.sessionToken ? { 'X-Session-Token': state.sessionToken } : {};
    this.path = `/livechat/sessions/${encodeURIComponent(state.sessionId)}`;
  }

  start() {
    this.status = h('p', { class: 'fr-badge fr-badge--info', 'aria-live': 'polite' });
    this.position = h('p', { 'aria-live': 'polite' });
    this.log = h('div', { class: 'guichet-chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages de la discussion', tabindex: '0' });
    this.text = textField({ label: 'Votre message', name: 'text', multiline: true, rows: 3, maxlength: '4000' });
    this.send = h('button', { type: 'submit', class: 'fr-btn' }, 'Envoyer');
    this.form = h('form', { novalidate: true, onsubmit: (event) => this.onSend(event) }, this.text,
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
        h('li', {}, this.send),
        h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--secondary', onclick: () => this.end() }, 'Terminer la discussion'))));
    this.form.elements.text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.area.append(this.status, this.position, this.log, this.form);
    for (const message of this.state.messages) this.log.append(this.messageElement(message));
    this.showStatus(this.state.status);
    if (this.state.status === 'closed') {
      this.finish();
      return;
    }
    this.form.elements.text.focus();
    this.listen();
  }

  async listen() {
    const config = await loadConfig();
    if (config.websocket_url) {
      this.push = openPush(config.websocket_url, this.state, () => this.poll());
    }
    // Polling is the local stack's way, and the fallback when push is not there.
    this.poll();
    this.timer = setInterval(() => this.poll(), this.push ? POLL_MS * 10 : POLL_MS);
  }

  async poll() {
    if (this.polling) return;
    this.polling = true;
    try {
      const page = await api.get(`${this.path}/messages`, { query: { after: this.state.after }, headers: this.headers });
      for (const message of page.messages) this.add(message);
      this.state.after = page.next_after;
      if (page.status !== this.state.status) this.showStatus(page.status);
      remember(STORE_KEY, this.state);
      if (page.status === 'closed') this.finish();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        remember(STORE_KEY, null);
        this.stop();
        this.area.replaceChildren(alertBox('warning', 'Cette discussion n’existe plus', 'Rechargez la page pour en démarrer une autre.'));
      }
    } finally {
      this.polling = false;
    }
  }

  add(message) {
    if (this.state.messages.some((known) => known.message_id === message.message_id)) return;
    this.state.messages.push(message);
    this.log.append(this.messageElement(message));
    this.log.scrollTop = this.log.scrollHeight;
  }

  messageElement(message) {
    const who = message.author === 'user' ? 'Vous' : (message.author_name || (message.author === 'system' ? 'Guichet' : 'Conseiller'));
    return h('div', { class: `guichet-chat-msg guichet-chat-msg--${message.author === 'user' ? 'user' : (message.author === 'system' ? 'system' : 'advisor')}` },
      h('span', { class: 'guichet-who' }, `${who}, ${dateTimeText(message.sent_at).split(' à ')[1]}`),
      h('p', {}, message.text));
  }

  showStatus(status) {
    this.state.status = status;
    this.status.textContent = STATUS_TEXT[status] || status;
    this.position.textContent = status === 'waiting' && this.state.position
      ? `Vous êtes en position ${this.state.position} dans la file d’attente. Un conseiller va vous répondre.`
      : '';
  }

  async onSend(event) {
    event.preventDefault();
    const input = this.form.elements.text;
    const text = input.value.trim();
    clearErrors(this.form);
    if (!text) {
      showErrors(this.form, { fieldErrors: [{ field: 'text', message: 'Écrivez votre message.' }] });
      return;
    }
    this.send.disabled = true;
    try {
      const message = await api.post(`${this.path}/messages`, { text }, { headers: this.headers });
      input.value = '';
      this.add(message);
      remember(STORE_KEY, this.state);
    } catch (error) {
      showErrors(this.form, error);
    } finally {
      this.send.disabled = false;
      input.focus();
    }
  }

  async end() {
    try {
      await api.post(`${this.path}/close`, {}, { headers: this.headers });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) {
        showErrors(this.form, error);
        return;
      }
    }
    await this.poll();
    this.showStatus('closed');
    this.finish();
  }

  stop() {
    clearInterval(this.timer);
    this.push?.close();
  }

  finish() {
    if (this.finished) return;
    this.finished = true;
    this.stop();
    this.form.remove();
    remember(STORE_KEY, { ...this.state, status: 'closed' });
    if (this.state.rated) {
      this.area.append(this.restartLink());
      return;
    }
    const form = ratingForm(
      (body) => api.put(`${this.path}/rating`, body, { headers: this.headers }),
      (rated) => {
        this.state.rated = true;
        remember(STORE_KEY, { ...this.state, status: 'closed' });
        const thanks = h('div', { tabindex: '-1' }, alertBox('success', 'Merci pour votre avis', 'Il nous aide à améliorer le LiveChat.'), this.restartLink());
        rated.replaceWith(thanks);
        thanks.focus();
      },
      { heading: null, legend: 'Votre avis sur cette discussion', hint: 'De 1 (pas satisfait) à 5 (très satisfait).', id: 'avis' },
    );
    this.area.append(alertBox('info', null, 'La discussion est terminée.'), form);
  }

  restartLink() {
    return h('p', { class: 'fr-mt-3w' }, h('button', { type: 'button', class: 'fr-btn fr-btn--secondary', onclick: () => {
      remember(STORE_KEY, null);
      window.location.reload();
    } }, 'Démarrer une nouvelle discussion'));
  }
}
