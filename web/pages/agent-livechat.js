// /agent/livechat: the advisors' console. The waiting chats grouped by
// category, with how long each has waited and the person's login identifier;
// `Accepter` (one advisor wins: the others are told), then the chat with
// ClaudIA's transcript beside it, `Envoyer`, `Créer un ticket` (the transcript
// becomes its description), `Terminer la discussion`. Polling on the local
// stack, the WebSocket (config `websocket_url`) in deployed stages: for the
// chat's messages, and for the queue (told when a chat joins or leaves it).

import { ApiError, api, loadConfig } from '../lib/api.js';
import { SUPPORT, requireRole, waitedText } from '../lib/agent.js';
import { h } from '../lib/dom.js';
import { dateTimeText } from '../lib/format.js';
import { alertBox, clearErrors, showErrors, textField } from '../lib/forms.js';
import { openPush, openQueuePush } from '../lib/push.js';

export const title = 'Console LiveChat';

const QUEUE_POLL_MS = 3000;
// With the WebSocket, the queue is read when told it changed, and now and then.
const QUEUE_PUSHED_POLL_MS = 30000;
const CHAT_POLL_MS = 1500;
const STATUS_TEXT = { waiting: 'En attente', active: 'En discussion', closed: 'Discussion terminée' };

export async function render(main, { session }) {
  if (!requireRole(main, session, [SUPPORT], 'La console LiveChat est réservée')) return;
  main.append(h('h1', {}, 'Console LiveChat'));
  const area = h('div');
  main.append(area);
  const chosen = new URLSearchParams(window.location.search).get('discussion');
  if (chosen) await new Console(area, chosen, session).start();
  else await queuePage(area);
}

async function serverOffset() {
  // The service's clock (fixed on the local stack): waiting times are counted on it.
  try {
    const { now } = await api.get('/livechat/availability');
    return new Date(now).getTime() - Date.now();
  } catch {
    return 0;
  }
}

async function queuePage(area) {
  const offset = await serverOffset();
  const notice = h('div', { 'aria-live': 'polite' });
  const queue = h('div');
  const mine = h('div');
  area.append(notice,
    h('div', { class: 'fr-grid-row fr-grid-row--gutters' },
      h('section', { class: 'fr-col-12 fr-col-lg-8', 'aria-labelledby': 'titre-file' }, h('h2', { id: 'titre-file' }, 'File d’attente'), queue),
      h('section', { class: 'fr-col-12 fr-col-lg-4', 'aria-labelledby': 'titre-miennes' }, h('h2', { id: 'titre-miennes' }, 'Mes discussions'), mine)));
  let timer = null;
  await refresh();
  const config = await loadConfig();
  const push = config.websocket_url ? openQueuePush(config.websocket_url, refresh) : null;
  timer = setInterval(refresh, push ? QUEUE_PUSHED_POLL_MS : QUEUE_POLL_MS);
  window.addEventListener('pagehide', () => {
    clearInterval(timer);
    push?.close();
  }, { once: true });

  async function refresh() {
    let groups;
    let active;
    try {
      [groups, active] = await Promise.all([api.get('/agent/livechat/queue'), api.get('/agent/livechat/sessions')]);
    } catch (error) {
      notice.replaceChildren(alertBox('error', 'La file n’a pas pu être chargée', error instanceof ApiError ? error.userMessage : String(error)));
      return;
    }
    const now = Date.now() + offset;
    const waiting = groups.reduce((count, group) => count + group.sessions.length, 0);
    const focused = document.activeElement && queue.contains(document.activeElement) ? document.activeElement.dataset.session : null;
    queue.replaceChildren(
      h('p', {}, waiting ? `${waiting} discussion${waiting > 1 ? 's' : ''} en attente.` : 'Aucune discussion en attente.'),
      ...groups.filter((group) => group.sessions.length).map((group) => h('div', { class: 'fr-mb-3w' },
        h('h3', { class: 'fr-h5' }, `${group.label} (${group.sessions.length})`),
        h('ul', { class: 'guichet-queue' }, group.sessions.map((entry) => h('li', {},
          h('p', { class: 'fr-mb-1v', id: `qui-${entry.session_id}` }, h('strong', {}, entry.login_identifier || entry.display_name || 'Usager sans identifiant'),
            entry.display_name && entry.login_identifier ? ` (${entry.display_name})` : ''),
          h('p', { class: 'fr-text--sm fr-mb-1w' },
            `En attente depuis ${waitedText(entry.created_at, now)} – ${entry.messages} message${entry.messages > 1 ? 's' : ''}`,
            entry.has_transcript ? ' – a d’abord parlé à ClaudIA' : ''),
          h('button', {
            type: 'button',
            class: 'fr-btn fr-btn--sm',
            // Named `Accepter` as its text; whose chat it is, read after it.
            'aria-describedby': `qui-${entry.session_id}`,
            dataset: { session: entry.session_id },
            onclick: (event) => accept(event.target, entry.session_id),
          }, 'Accepter')))))),
    );
    if (focused) queue.querySelector(`[data-session="${CSS.escape(focused)}"]`)?.focus();
    mine.replaceChildren(active.length
      ? h('ul', {}, active.map((entry) => h('li', {}, h('a', { href: `/agent/livechat?discussion=${encodeURIComponent(entry.session_id)}` },
        entry.login_identifier || entry.display_name || entry.session_id))))
      : h('p', {}, 'Aucune discussion en cours.'));
  }

  async function accept(button, sessionId) {
    button.disabled = true;
    try {
      await api.post(`/agent/livechat/sessions/${encodeURIComponent(sessionId)}/accept`);
    } catch (error) {
      button.disabled = false;
      notice.replaceChildren(alertBox(error instanceof ApiError && error.status === 409 ? 'warning' : 'error', null,
        error instanceof ApiError && error.status === 409 ? 'Un autre conseiller a déjà pris cette discussion.' : (error.userMessage || String(error))));
      await refresh();
      return;
    }
    clearInterval(timer);
    push?.close();
    window.location.assign(`/agent/livechat?discussion=${encodeURIComponent(sessionId)}`);
  }
}

class Console {
  constructor(area, sessionId, session) {
    this.area = area;
    this.sessionId = sessionId;
    this.session = session;
    this.path = `/livechat/sessions/${encodeURIComponent(sessionId)}`;
    this.after = 0;
    this.seen = new Set();
  }

  async start() {
    let chat;
    try {
      chat = await api.get(this.path);
    } catch (error) {
      this.area.append(alertBox('error', 'Discussion introuvable', error instanceof ApiError ? error.userMessage : String(error)),
        h('p', { class: 'fr-mt-3w' }, h('a', { class: 'fr-link fr-icon-arrow-left-line fr-link--icon-left', href: '/agent/livechat' }, 'Retour à la file')));
      return;
    }
    this.chat = chat;
    document.title = `Discussion avec ${chat.login_identifier || chat.display_name || 'un usager'} – Console LiveChat – Guichet`;
    this.status = h('p', { class: 'fr-badge fr-badge--info' }, STATUS_TEXT[chat.status]);
    this.notice = h('div', { 'aria-live': 'polite' });
    this.log = h('div', { class: 'guichet-chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages de la discussion', tabindex: '0' });
    this.form = h('form', { novalidate: true, onsubmit: (event) => this.send(event) },
      textField({ label: 'Votre message', name: 'text', multiline: true, rows: 3, maxlength: '4000' }),
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
        h('li', {}, h('button', { type: 'submit', class: 'fr-btn' }, 'Envoyer')),
        h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--secondary', onclick: () => this.ticket() }, 'Créer un ticket')),
        h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--tertiary', onclick: () => this.end() }, 'Terminer la discussion'))));
    this.form.elements.text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    const transcript = chat.transcript.length
      ? h('div', { class: 'guichet-transcript', tabindex: '0', role: 'region', 'aria-label': 'Transcription de la conversation avec ClaudIA' },
        chat.transcript.map((line) => h('p', {}, h('strong', {}, line.author === 'user' ? 'Usager : ' : 'ClaudIA : '), line.text)))
      : h('p', {}, 'L’usager n’a pas parlé à ClaudIA avant cette discussion.');
    this.area.append(
      h('p', {}, h('a', { class: 'fr-link fr-icon-arrow-left-line fr-link--icon-left', href: '/agent/livechat' }, 'Retour à la file')),
      h('div', { class: 'fr-grid-row fr-grid-row--gutters' },
        h('section', { class: 'fr-col-12 fr-col-lg-7', 'aria-labelledby': 'titre-discussion' },
          h('h2', { id: 'titre-discussion' }, `Discussion avec ${chat.login_identifier || chat.display_name || 'un usager'}`),
          h('p', { class: 'fr-text--sm' }, `${chat.category_label} – ouverte le ${dateTimeText(chat.created_at)}`),
          this.status, this.notice, this.log, this.form),
        h('section', { class: 'fr-col-12 fr-col-lg-5', 'aria-labelledby': 'titre-claudia' },
          h('h2', { id: 'titre-claudia' }, 'Conversation avec ClaudIA'), transcript)));
    if (chat.status === 'closed') this.form.querySelector('[type=submit]').disabled = true;
    this.form.elements.text.focus();
    await this.poll();
    const config = await loadConfig();
    if (config.websocket_url) this.push = openPush(config.websocket_url, { sessionId: this.sessionId }, () => this.poll());
    this.timer = setInterval(() => this.poll(), this.push ? CHAT_POLL_MS * 10 : CHAT_POLL_MS);
    window.addEventListener('pagehide', () => this.stop(), { once: true });
  }

  stop() {
    clearInterval(this.timer);
    this.push?.close();
  }

  async poll() {
    if (this.polling) return;
    this.polling = true;
    try {
      const page = await api.get(`${this.path}/messages`, { query: { after: this.after } });
      for (const message of page.messages) this.add(message);
      this.after = page.next_after;
      this.status.textContent = STATUS_TEXT[page.status] || page.status;
      if (page.status === 'closed') {
        this.form.querySelector('[type=submit]').disabled = true;
        this.form.elements.text.disabled = true;
      }
    } catch {
      // The next poll tries again.
    } finally {
      this.polling = false;
    }
  }

  add(message) {
    if (this.seen.has(message.message_id)) return;
    this.seen.add(message.message_id);
    const who = message.author === 'advisor' ? (message.author_name ? `Vous (${message.author_name})` : 'Vous')
      : message.author === 'user' ? (this.chat.login_identifier || this.chat.display_name || 'Usager') : 'Guichet';
    const kind = message.author === 'advisor' ? 'user' : (message.author === 'system' ? 'system' : 'advisor');
    this.log.append(h('div', { class: `guichet-chat-msg guichet-chat-msg--${kind}` },
      h('span', { class: 'guichet-who' }, `${who}, ${dateTimeText(message.sent_at).split(' à ')[1]}`),
      h('p', {}, message.text)));
    this.log.scrollTop = this.log.scrollHeight;
  }

  async send(event) {
    event.preventDefault();
    clearErrors(this.form);
    const input = this.form.elements.text;
    const text = input.value.trim();
    if (!text) {
      showErrors(this.form, { fieldErrors: [{ field: 'text', message: 'Écrivez votre message.' }] });
      return;
    }
    try {
      this.add(await api.post(`${this.path}/messages`, { text }));
      input.value = '';
    } catch (error) {
      showErrors(this.form, error);
    } finally {
      input.focus();
    }
  }

  async ticket() {
    try {
      const made = await api.post(`/agent/livechat/sessions/${encodeURIComponent(this.sessionId)}/ticket`);
      this.notice.replaceChildren(alertBox('success', `Ticket ${made.reference} créé`,
        made.emitter_user_id ? 'L’usager le retrouve dans « Mes tickets » ; la discussion lui donne sa référence.' : 'L’usager, sans compte, a reçu sa référence dans la discussion.'));
      await this.poll();
    } catch (error) {
      this.notice.replaceChildren(alertBox('error', 'Le ticket n’a pas pu être créé', error instanceof ApiError ? error.userMessage : String(error)));
    }
  }

  async end() {
    try {
      await api.post(`${this.path}/close`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) {
        this.notice.replaceChildren(alertBox('error', null, error instanceof ApiError ? error.userMessage : String(error)));
        return;
      }
    }
    await this.poll();
  }
}
