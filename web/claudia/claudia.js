// ClaudIA's widget: <claudia-assistant>, a launcher button and a dialog.
//
// Embedding it takes one tag: <script type="module" src=".../claudia/claudia.js">.
// The element adds itself to the page when the page has none. Attributes:
//   api-url       the API (default: api_url of the portal's /config.json)
//   ticket-url    the ticket form          (default /support/ticket)
//   contact-url   the form without account (default /support/nous-contacter)
//   livechat-url  the LiveChat page        (default /support/livechat)
// It renders DSFR markup in the light DOM, so the host page's design system
// styles it; its own stylesheet only places the launcher and the panel.
// The conversation is kept in sessionStorage: it survives a page change.

import { ApiError, createClient, loadConfig } from '../lib/api.js';
import { h, richText } from '../lib/dom.js';
import { openingText } from '../lib/format.js';
import { currentSession, currentToken, recall, remember } from '../lib/session.js';

const STORE_KEY = 'claudia';
const DRAFT_KEY = 'brouillon';

const REASONS = {
  not_understood: 'Je n’ai pas compris vos dernières questions.',
  negative_rating: 'Ma réponse ne vous a pas aidé.',
  asked: 'Vous souhaitez échanger avec une personne.',
};

const STYLE = `
claudia-assistant .claudia-launcher { position: fixed; right: 1.5rem; bottom: 1.5rem; z-index: 900; box-shadow: 0 6px 18px rgba(0, 0, 18, .16); }
claudia-assistant dialog.claudia-dialog { position: fixed; inset: auto 1.5rem 1.5rem auto; margin: 0; padding: 0;
  width: min(28rem, calc(100vw - 2rem)); height: min(40rem, calc(100dvh - 3rem));
  border: 1px solid var(--border-default-grey, #ddd); background: var(--background-default-grey, #fff);
  color: var(--text-default-grey, #3a3a3a); box-shadow: 0 6px 18px rgba(0, 0, 18, .16); }
claudia-assistant dialog.claudia-dialog[open] { display: flex; flex-direction: column; }
claudia-assistant dialog.claudia-dialog::backdrop { background: rgba(22, 22, 22, .32); }
claudia-assistant .claudia-head { display: flex; align-items: center; justify-content: space-between; gap: .5rem;
  padding: .75rem 1rem; border-bottom: 1px solid var(--border-default-grey, #ddd); }
claudia-assistant .claudia-head h2 { margin: 0; font-size: 1.125rem; line-height: 1.5rem; }
claudia-assistant .claudia-log { flex: 1; overflow-y: auto; padding: 1rem; }
claudia-assistant .claudia-msg { margin: 0 0 1rem; padding: .5rem .75rem; max-width: 92%; }
claudia-assistant .claudia-msg p, claudia-assistant .claudia-msg ul { margin: 0 0 .5rem; font-size: .875rem; line-height: 1.5rem; }
claudia-assistant .claudia-msg--assistant { background: var(--background-alt-blue-france, #f5f5fe); }
claudia-assistant .claudia-msg--user { margin-left: auto; background: var(--background-contrast-grey, #eee); }
claudia-assistant .claudia-who { display: block; font-size: .75rem; font-weight: 700; margin-bottom: .25rem; }
claudia-assistant .claudia-offer { margin: 0 0 1rem; }
claudia-assistant .claudia-form { display: flex; align-items: flex-end; gap: .5rem; padding: .75rem 1rem;
  border-top: 1px solid var(--border-default-grey, #ddd); }
claudia-assistant .claudia-form .fr-input-group { flex: 1; margin: 0; }
@media (max-width: 36em) {
  claudia-assistant dialog.claudia-dialog { inset: 0; width: 100vw; height: 100dvh; max-width: 100vw; max-height: 100dvh; }
  claudia-assistant .claudia-launcher { right: 1rem; bottom: 1rem; }
  /* A compact launcher on phones; the words stay in its accessible name. */
  claudia-assistant .claudia-long { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
}
`;

function adoptStyle() {
  if (document.querySelector('style[data-claudia]') || document.adoptedStyleSheets.some((sheet) => sheet.claudia)) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(STYLE);
  sheet.claudia = true;
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

export class ClaudiaAssistant extends HTMLElement {
  connectedCallback() {
    if (this.launcher) return;
    adoptStyle();
    this.api = createClient({
      baseUrl: async () => this.getAttribute('api-url') || (await loadConfig()).api_url,
      token: currentToken,
    });
    this.state = this.restore();
    this.build();
    this.renderAll();
  }

  // ---------------------------------------------------------------- state

  restore() {
    const saved = recall(STORE_KEY);
    const owner = currentSession()?.user_id || null;
    if (saved && saved.owner === owner) return saved;
    return { owner, conversationId: null, messages: [], suggestions: [], escalation: null, band: null };
  }

  save() {
    remember(STORE_KEY, this.state);
  }

  // ---------------------------------------------------------------- layout

  build() {
    this.launcher = h('button', {
      type: 'button',
      class: 'fr-btn fr-btn--icon-left fr-icon-chat-3-line claudia-launcher',
      'aria-haspopup': 'dialog',
      'aria-expanded': 'false',
      onclick: () => this.open(),
    }, h('span', {}, h('span', { class: 'claudia-long' }, 'Poser une question à '), 'ClaudIA'));

    this.log = h('div', { class: 'claudia-log', role: 'region', 'aria-label': 'Conversation avec ClaudIA', tabindex: '0' });
    this.announcer = h('p', { class: 'fr-sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
    this.input = h('input', {
      class: 'fr-input', id: 'claudia-question', name: 'question', type: 'text',
      autocomplete: 'off', maxlength: '1000', required: true,
    });
    this.sendButton = h('button', { type: 'submit', class: 'fr-btn' }, 'Envoyer');
    this.form = h('form', { class: 'claudia-form', onsubmit: (event) => this.onSubmit(event) },
      h('div', { class: 'fr-input-group' },
        h('label', { class: 'fr-label', for: 'claudia-question' }, 'Votre question'),
        this.input),
      this.sendButton);

    this.dialog = h('dialog', { class: 'claudia-dialog', 'aria-labelledby': 'claudia-titre' },
      h('div', { class: 'claudia-head' },
        h('h2', { id: 'claudia-titre' }, 'ClaudIA, assistante virtuelle'),
        h('button', { type: 'button', class: 'fr-btn--close fr-btn', title: 'Fermer ClaudIA', onclick: () => this.close() }, 'Fermer')),
      this.log,
      this.announcer,
      this.form);
    this.dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      this.close();
    });
    this.dialog.addEventListener('keydown', (event) => this.trapFocus(event));
    this.append(this.launcher, this.dialog);
  }

  async open() {
    if (!this.dialog.open) this.dialog.showModal();
    this.launcher.setAttribute('aria-expanded', 'true');
    this.input.focus();
    await this.ensureConversation();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.focus();
  }

  /** Tab and Shift+Tab cycle inside the dialog. */
  trapFocus(event) {
    if (event.key !== 'Tab') return;
    const focusable = [...this.dialog.querySelectorAll('button, input, a[href], [tabindex="0"]')]
      .filter((element) => !element.disabled && element.offsetParent !== null);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  // ---------------------------------------------------------------- rendering

  renderAll() {
    this.log.replaceChildren(...this.state.messages.map((message) => this.messageElement(message)));
    this.renderOffers();
  }

  messageElement(message) {
    const mine = message.author === 'user';
    const element = h('div', { class: `claudia-msg claudia-msg--${mine ? 'user' : 'assistant'}` },
      h('span', { class: 'claudia-who' }, mine ? 'Vous' : 'ClaudIA'),
      mine ? h('p', {}, message.text) : richText(message.text));
    if (message.rateable) element.append(this.ratingButtons(message));
    return element;
  }

  ratingButtons(message) {
    if (message.rating) {
      return h('p', { class: 'fr-text--xs fr-mb-0' }, message.rating === 'up' ? 'Vous avez trouvé cette réponse utile.' : 'Vous avez signalé cette réponse comme pas utile.');
    }
    const rate = (value) => () => this.rate(message, value);
    return h('ul', { class: 'fr-btns-group fr-btns-group--inline fr-btns-group--sm fr-btns-group--icon-left fr-mb-0' },
      h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--tertiary fr-icon-thumb-up-line', onclick: rate('up') }, 'Réponse utile')),
      h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--tertiary fr-icon-thumb-down-line', onclick: rate('down') }, 'Réponse pas utile')));
  }

  renderOffers() {
    this.log.querySelector('[data-offres]')?.remove();
    const { suggestions, escalation, band } = this.state;
    const offers = h('div', { class: 'claudia-offer', 'data-offres': true });
    if (escalation) offers.append(this.escalationElement(escalation));
    if (band === 'offer' && suggestions.length) {
      offers.append(this.offeredTopics(suggestions));
    } else if (suggestions.length) {
      offers.append(
        h('p', { class: 'fr-text--sm fr-mb-1w' }, 'Suggestions :'),
        h('ul', { class: 'fr-tags-group' }, suggestions.map((text) => h('li', {},
          h('button', { type: 'button', class: 'fr-tag', onclick: () => this.ask(text) }, text)))));
    }
    if (offers.childElementCount) this.log.append(offers);
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** ClaudIA is unsure: the topics the question may be about, one button each (a click
   * asks it), and a way out when none fits. */
  offeredTopics(topics) {
    const none = () => this.declineOffer();
    return h('div', { role: 'group', 'aria-label': 'Sujets proposés par ClaudIA' },
      h('ul', { class: 'fr-btns-group fr-btns-group--sm fr-mb-0' },
        topics.map((topic) => h('li', {},
          h('button', { type: 'button', class: 'fr-btn fr-btn--secondary', onclick: () => this.ask(topic) }, topic))),
        h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--tertiary-no-outline', onclick: none }, 'Aucun de ces sujets'))));
  }

  escalationElement(escalation) {
    const livechat = escalation.livechat || {};
    const actions = escalation.actions || [];
    const parts = [h('p', { class: 'fr-mb-1w' }, REASONS[escalation.reason] || 'Une personne peut prendre le relais.')];
    const buttons = [];
    if (actions.includes('livechat') && livechat.open) {
      parts.push(h('p', { class: 'fr-mb-1w' }, 'Un conseiller est disponible sur le LiveChat.'));
      buttons.push(h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--sm', onclick: () => this.toLiveChat() }, 'Parler à un conseiller')));
    } else if (livechat.next_opening) {
      parts.push(h('p', { class: 'fr-mb-1w' }, `Le LiveChat est fermé : il rouvrira ${openingText(livechat.next_opening)}.`));
    }
    if (actions.includes('ticket')) {
      parts.push(h('p', { class: 'fr-mb-1w' }, 'Vous pouvez aussi créer un ticket, pré-rempli avec notre échange.'));
      buttons.push(h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--sm fr-btn--secondary', onclick: () => this.toTicket() }, 'Créer un ticket')));
    }
    return h('div', { class: 'fr-callout fr-p-2w fr-mb-2w' },
      parts, buttons.length ? h('ul', { class: 'fr-btns-group fr-btns-group--inline fr-btns-group--sm fr-mb-0' }, buttons) : null);
  }

  addMessage(message) {
    this.state.messages.push(message);
    this.log.querySelector('[data-offres]')?.remove();
    this.log.append(this.messageElement(message));
    if (message.author === 'assistant') this.announcer.textContent = `ClaudIA : ${message.text}`;
    this.save();
  }

  showError(error) {
    const text = error instanceof ApiError ? error.userMessage : 'ClaudIA ne répond pas pour le moment. Réessayez dans quelques instants.';
    this.log.append(h('div', { class: 'fr-alert fr-alert--error fr-alert--sm fr-mb-2w' }, h('p', {}, text)));
    this.announcer.textContent = text;
  }

  // ---------------------------------------------------------------- API

  /** The conversation, started once however many callers ask at the same time. */
  ensureConversation() {
    if (this.state.conversationId) return Promise.resolve();
    this.starting ??= this.startConversation().finally(() => { this.starting = null; });
    return this.starting;
  }

  async startConversation() {
    try {
      const started = await this.api.post('/assistant/conversations');
      this.state = { ...this.state, conversationId: started.conversation_id, messages: [], suggestions: started.suggestions || [], escalation: null, band: null };
      this.log.replaceChildren();
      for (const message of started.messages) this.addMessage({ id: message.message_id, author: 'assistant', text: message.text, rateable: false });
      this.renderOffers();
      this.save();
    } catch (error) {
      this.showError(error);
    }
  }

  onSubmit(event) {
    event.preventDefault();
    const text = this.input.value.trim();
    if (!text) {
      this.input.focus();
      return;
    }
    this.ask(text);
  }

  async ask(text) {
    if (this.busy) return;
    this.busy = true;
    this.sendButton.disabled = true;
    this.input.value = '';
    try {
      await this.ensureConversation();
      if (!this.state.conversationId) return;
      this.addMessage({ id: null, author: 'user', text });
      let reply;
      try {
        reply = await this.api.post(`/assistant/conversations/${encodeURIComponent(this.state.conversationId)}/messages`, { text });
      } catch (error) {
        // A conversation that expired: start another one and ask again.
        if (!(error instanceof ApiError) || error.status !== 404) throw error;
        this.state.conversationId = null;
        await this.ensureConversation();
        this.addMessage({ id: null, author: 'user', text });
        reply = await this.api.post(`/assistant/conversations/${encodeURIComponent(this.state.conversationId)}/messages`, { text });
      }
      this.state.suggestions = reply.suggestions || [];
      this.state.escalation = reply.escalation || null;
      this.state.band = reply.band || null;
      // An offer is a question back, not an answer to rate.
      this.addMessage({ id: reply.message_id, author: 'assistant', text: reply.text, rateable: reply.band !== 'offer' });
      this.renderOffers();
    } catch (error) {
      this.showError(error);
    } finally {
      this.busy = false;
      this.sendButton.disabled = false;
      this.input.focus();
    }
  }

  /** None of the offered topics fits: ClaudIA counts the question as not understood, asks
   * to rephrase, and after a second one offers a person. */
  async declineOffer() {
    if (this.busy) return;
    this.busy = true;
    try {
      // The offer is the conversation's last message while its topics are shown.
      const offer = this.state.messages.at(-1);
      const reply = await this.api.post(
        `/assistant/conversations/${encodeURIComponent(this.state.conversationId)}/messages/${encodeURIComponent(offer.id)}/none-of-these`,
      );
      this.state.suggestions = [];
      this.state.band = null;
      this.state.escalation = reply.escalation || null;
      this.addMessage({ id: null, author: 'user', text: 'Aucun de ces sujets' });
      this.addMessage({ id: reply.message_id, author: 'assistant', text: reply.text, rateable: false });
      this.renderOffers();
    } catch (error) {
      this.showError(error);
    } finally {
      this.busy = false;
      this.input.focus();
    }
  }

  async rate(message, value) {
    try {
      const result = await this.api.put(
        `/assistant/conversations/${encodeURIComponent(this.state.conversationId)}/messages/${encodeURIComponent(message.id)}/rating`,
        { value },
      );
      message.rating = value;
      this.state.escalation = result.escalation || null;
      if (result.escalation) {
        this.state.suggestions = [];
        this.state.band = null;
      }
      if (result.text) this.addMessage({ id: null, author: 'assistant', text: result.text, rateable: false });
      this.save();
      this.renderAll();
      this.input.focus();
    } catch (error) {
      this.showError(error);
    }
  }

  toLiveChat() {
    window.location.assign(this.getAttribute('livechat-url') || '/support/livechat');
  }

  async toTicket() {
    try {
      const draft = await this.api.get(`/assistant/conversations/${encodeURIComponent(this.state.conversationId)}/ticket-draft`);
      // The conversation travels with the draft: the desk reads its transcript.
      remember(DRAFT_KEY, { ...draft, conversation_id: this.state.conversationId });
    } catch (error) {
      this.showError(error);
      return;
    }
    const signedIn = Boolean(currentSession());
    window.location.assign(signedIn
      ? this.getAttribute('ticket-url') || '/support/ticket'
      : this.getAttribute('contact-url') || '/support/nous-contacter');
  }
}

if (!customElements.get('claudia-assistant')) customElements.define('claudia-assistant', ClaudiaAssistant);

function addToPage() {
  if (!document.querySelector('claudia-assistant')) document.body.append(document.createElement('claudia-assistant'));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', addToPage);
else addToPage();
