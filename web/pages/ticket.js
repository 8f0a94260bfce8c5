// /support/ticket: the ticket form of a signed-in user.
// The recipient is shown before submitting; while the description is typed,
// ClaudIA's answers that may solve the problem appear beside it (deflection).

import { ApiError, api, idempotencyKey } from '../lib/api.js';
import { attachmentsField } from '../lib/attachments.js';
import { h, richText } from '../lib/dom.js';
import {
  alertBox, clearErrors, controlOf, localErrors, selectField, setOptions, showErrors, textField,
} from '../lib/forms.js';
import { recall, remember } from '../lib/session.js';

export const title = 'Créer un ticket';

const SUGGEST_DELAY_MS = 400;
const OBJECT_HINT = 'Le numéro de la facture, du mémoire ou de la demande de remboursement, par exemple FA-2026-0002.';
const LOOKUP_DELAY_MS = 400;

export async function render(main, { session }) {
  main.append(h('h1', {}, 'Créer un ticket'));
  if (!session) {
    main.append(
      alertBox('info', 'Connectez-vous pour créer un ticket',
        'Un ticket est suivi depuis votre compte. Vous ne pouvez pas vous connecter ? Écrivez au support sans compte.'),
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md fr-mt-3w' },
        h('li', {}, h('a', { class: 'fr-btn', href: '/connexion?retour=/support/ticket' }, 'Se connecter')),
        h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: '/support/nous-contacter' }, 'Nous contacter sans compte'))),
    );
    return;
  }
  let me;
  let catalogue;
  try {
    [me, catalogue] = await Promise.all([api.get('/me'), api.get('/tickets/catalogue')]);
  } catch (error) {
    main.append(alertBox('error', 'Le formulaire n’a pas pu être chargé', error instanceof ApiError ? error.userMessage : String(error)));
    return;
  }
  const form = new TicketForm(me, catalogue, session);
  main.append(
    h('p', {}, 'Tous les champs sont obligatoires, sauf mention contraire.'),
    form.element,
  );
  form.applyDraft(recall('brouillon'));
  remember('brouillon', null);
}

class TicketForm {
  constructor(me, catalogue, session) {
    this.me = me;
    this.catalogue = catalogue;
    this.session = session;
    this.key = idempotencyKey();
    this.build();
  }

  build() {
    const organisations = this.me.organisations.map((org) => ({ value: org.id, label: `${org.designation} – SIRET ${org.siret}` }));
    this.organisation = selectField({ label: 'Structure émettrice', hint: 'La structure au nom de laquelle vous écrivez (désignation et SIRET).', name: 'organisation_id', options: organisations, placeholder: organisations.length === 1 ? null : 'Sélectionner une structure', required: true });
    this.category = selectField({ label: 'Catégorie', name: 'category', options: this.catalogue.map((c) => ({ value: c.code, label: c.label })), placeholder: 'Sélectionner une catégorie', required: true });
    this.subcategory = selectField({ label: 'Sous-catégorie', name: 'subcategory', options: [], placeholder: 'Choisissez d’abord une catégorie', required: true });
    this.objectNumber = textField({ label: 'N° Objet', hint: OBJECT_HINT, name: 'object_number', autocomplete: 'off', spellcheck: 'false' });
    this.objectNumberBox = h('div', { class: 'fr-fieldset__element', hidden: true }, this.objectNumber);
    this.publicBody = textField({ label: 'Entité publique destinataire', hint: 'Son nom ou son SIRET (2 caractères au moins).', name: 'public_body_query', autocomplete: 'off' });
    this.publicBodyBox = h('div', { class: 'fr-fieldset__element', hidden: true }, this.publicBody);
    this.publicBodyResults = h('div', { 'aria-live': 'polite' });
    this.publicBody.append(this.publicBodyResults);
    this.recipient = h('div', { class: 'fr-mb-4w', 'aria-live': 'polite', 'data-destinataire': true });
    this.titleField = textField({ label: 'Titre', hint: '5 à 120 caractères : l’objet de votre demande en quelques mots.', name: 'title', maxlength: '120', required: true });
    this.description = textField({ label: 'Description', hint: 'Décrivez votre demande : ce que vous avez fait, ce que vous attendiez, le message d’erreur éventuel (10 caractères au moins).', name: 'description', multiline: true, rows: 8, maxlength: '10000', required: true });
    this.email = textField({ label: 'Adresse e-mail de contact', hint: 'Les réponses à ce ticket y sont signalées. Format attendu : nom@domaine.fr', name: 'contact_email', type: 'email', autocomplete: 'email', value: this.me.email, required: true });
    this.attachments = attachmentsField();
    this.suggestions = h('aside', { class: 'guichet-suggestions', 'aria-labelledby': 'suggestions-titre', hidden: true },
      h('h2', { class: 'fr-h5', id: 'suggestions-titre' }, 'Ces réponses peuvent vous aider'),
      h('div', { 'data-reponses': true }));
    this.submit = h('button', { type: 'submit', class: 'fr-btn' }, 'Soumettre');

    this.element = h('form', { novalidate: true, onsubmit: (event) => this.onSubmit(event) },
      h('fieldset', { class: 'fr-fieldset' },
        h('legend', { class: 'fr-fieldset__legend' }, 'Votre demande'),
        h('div', { class: 'fr-fieldset__element' }, this.organisation),
        h('div', { class: 'fr-fieldset__element' }, this.category),
        h('div', { class: 'fr-fieldset__element' }, this.subcategory),
        this.objectNumberBox,
        this.publicBodyBox,
        h('div', { class: 'fr-fieldset__element' }, this.recipient)),
      h('div', { class: 'fr-grid-row fr-grid-row--gutters' },
        h('div', { class: 'fr-col-12 fr-col-md-7' }, this.titleField, this.description),
        h('div', { class: 'fr-col-12 fr-col-md-5' }, this.suggestions)),
      this.email,
      this.attachments.element,
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md fr-mt-4w' }, h('li', {}, this.submit)));

    controlOf(this.category).addEventListener('change', () => this.onCategory());
    controlOf(this.subcategory).addEventListener('change', () => this.onSubcategory());
    controlOf(this.objectNumber).addEventListener('input', debounce(() => this.lookUpObject(), LOOKUP_DELAY_MS));
    controlOf(this.publicBody).addEventListener('input', debounce(() => this.searchPublicBodies(), LOOKUP_DELAY_MS));
    controlOf(this.description).addEventListener('input', debounce(() => this.suggest(), SUGGEST_DELAY_MS));
    window.addEventListener('pagehide', () => this.countLeaving());
  }

  get values() {
    return Object.fromEntries(new FormData(this.element).entries());
  }

  currentSubcategory() {
    const category = this.catalogue.find((c) => c.code === controlOf(this.category).value);
    return category?.subcategories.find((s) => s.code === controlOf(this.subcategory).value) || null;
  }

  onCategory() {
    const category = this.catalogue.find((c) => c.code === controlOf(this.category).value);
    setOptions(controlOf(this.subcategory), (category?.subcategories || []).map((s) => ({ value: s.code, label: s.label })), 'Sélectionner une sous-catégorie');
    this.onSubcategory();
  }

  onSubcategory() {
    const sub = this.currentSubcategory();
    const takesObject = Boolean(sub) && sub.object_number !== 'none';
    this.objectNumberBox.hidden = !takesObject;
    const input = controlOf(this.objectNumber);
    input.required = sub?.object_number === 'required';
    this.objectNumber.querySelector('.fr-hint-text').textContent = `${sub?.object_number === 'optional' ? 'Facultatif. ' : ''}${OBJECT_HINT}`;
    this.publicBodyBox.hidden = !(sub && sub.recipient === 'business' && sub.object_number === 'none');
    this.recipientId = null;
    this.showRecipient();
    if (takesObject && input.value.trim()) this.lookUpObject();
  }

  /** Who will receive the ticket, as far as the form knows yet. */
  showRecipient(text = null, kind = 'info') {
    const sub = this.currentSubcategory();
    this.recipient.replaceChildren();
    if (!sub) return;
    if (sub.recipient === 'support') {
      this.recipient.append(alertBox('info', null, 'Destinataire : le support outil (support Chorus Pro).'));
    } else if (text) {
      this.recipient.append(alertBox(kind, null, text));
    } else if (sub.object_number === 'none') {
      this.recipient.append(alertBox('info', null, 'Destinataire : l’entité publique que vous choisissez ci-dessus.'));
    } else {
      this.recipient.append(alertBox('info', null, 'Destinataire : le service métier de l’entité publique qui a reçu l’objet. Indiquez son numéro pour le voir.'));
    }
  }

  async lookUpObject() {
    const sub = this.currentSubcategory();
    const number = controlOf(this.objectNumber).value.trim();
    if (!sub || sub.recipient !== 'business' || this.objectNumberBox.hidden) return;
    if (!number) {
      this.showRecipient();
      return;
    }
    try {
      const found = await api.get(`/tickets/objects/${encodeURIComponent(number)}`);
      const input = controlOf(this.objectNumber);
      if (input.value.trim() !== number) return;
      // The number as the portal knows it (typed in any case), and its emitter preselected.
      input.value = found.object_number;
      const emitter = controlOf(this.organisation);
      if (!emitter.value && this.me.organisations.some((org) => org.id === found.emitter_organisation_id)) emitter.value = found.emitter_organisation_id;
      this.showRecipient(`Destinataire : ${found.recipient.designation} (service métier), qui a reçu l’objet ${found.object_number}.`, 'success');
    } catch (error) {
      if (controlOf(this.objectNumber).value.trim() !== number) return;
      const text = error instanceof ApiError && error.status === 404
        ? `Aucun objet n° ${number} émis par vos structures : vérifiez le numéro.`
        : 'Le destinataire n’a pas pu être trouvé pour le moment.';
      this.showRecipient(text, 'warning');
    }
  }

  async searchPublicBodies() {
    const query = controlOf(this.publicBody).value.trim();
    this.publicBodyResults.replaceChildren();
    this.recipientId = null;
    this.showRecipient();
    if (query.length < 2) return;
    let bodies;
    try {
      bodies = await api.get('/directory/public-organisations', { query: { query, limit: 5 } });
    } catch {
      return;
    }
    if (controlOf(this.publicBody).value.trim() !== query) return;
    if (!bodies.length) {
      this.publicBodyResults.append(h('p', { class: 'fr-text--sm' }, 'Aucune entité publique ne correspond.'));
      return;
    }
    this.publicBodyResults.append(h('fieldset', { class: 'fr-fieldset fr-mt-2w' },
      h('legend', { class: 'fr-fieldset__legend--regular fr-fieldset__legend' }, 'Choisissez l’entité publique'),
      bodies.map((body, index) => h('div', { class: 'fr-fieldset__element' }, h('div', { class: 'fr-radio-group' },
        h('input', { type: 'radio', id: `entite-${index}`, name: 'recipient_organisation_id', value: body.id, onchange: () => {
          this.recipientId = body.id;
          this.showRecipient(`Destinataire : ${body.designation} (service métier).`, 'success');
        } }),
        h('label', { class: 'fr-label', for: `entite-${index}` }, body.designation, h('span', { class: 'fr-hint-text' }, `SIRET ${body.siret}`)))))));
  }

  async suggest() {
    const text = controlOf(this.description).value.trim();
    const holder = this.suggestions.querySelector('[data-reponses]');
    if (text.length < 12) return;
    let answers;
    try {
      answers = await api.get('/assistant/suggestions', { query: { q: text.slice(0, 500), profile: this.session.profile || '' } });
    } catch {
      return;
    }
    if (!answers.length) return;
    this.suggestions.hidden = false;
    holder.replaceChildren(h('div', { class: 'fr-accordions-group' }, answers.map((answer, index) => this.answerElement(answer, index))));
  }

  answerElement(answer, index) {
    const id = `suggestion-${index}`;
    const button = h('button', { type: 'button', class: 'fr-accordion__btn', 'aria-expanded': 'false', 'aria-controls': id }, answer.title);
    button.addEventListener('click', () => { this.readTopic = answer.topic; });
    return h('section', { class: 'fr-accordion' },
      h('h3', { class: 'fr-accordion__title' }, button),
      h('div', { class: 'fr-collapse', id },
        richText(answer.answer),
        h('button', { type: 'button', class: 'fr-btn fr-btn--sm fr-btn--secondary', onclick: () => this.solved(answer) }, 'Cette réponse règle mon problème')));
  }

  /** The user leaves after reading an answer: counted once, for the reports. */
  async solved(answer) {
    this.deflected = true;
    api.post('/assistant/suggestions/deflections', { topic: answer.topic, source: 'ticket_form' }).catch(() => {});
    this.element.replaceWith(h('div', { tabindex: '-1', 'data-fin': true },
      alertBox('success', 'Tant mieux !', 'Votre ticket n’a pas été envoyé. ClaudIA reste disponible en bas à droite de chaque page.'),
      h('p', { class: 'fr-mt-3w' }, h('a', { class: 'fr-link', href: '/' }, 'Retour à l’accueil'))));
    document.querySelector('[data-fin]').focus();
  }

  countLeaving() {
    if (this.deflected || this.submitted || !this.readTopic) return;
    this.deflected = true;
    api.post('/assistant/suggestions/deflections', { topic: this.readTopic, source: 'ticket_form' }, { keepalive: true }).catch(() => {});
  }

  applyDraft(draft) {
    if (!draft) return;
    this.conversationId = draft.conversation_id || null;
    controlOf(this.category).value = draft.category;
    this.onCategory();
    controlOf(this.subcategory).value = draft.subcategory;
    this.onSubcategory();
    if (draft.object_number) controlOf(this.objectNumber).value = draft.object_number;
    controlOf(this.titleField).value = draft.title || '';
    controlOf(this.description).value = draft.description || '';
    this.element.prepend(alertBox('info', null, 'Ce formulaire est pré-rempli avec votre échange avec ClaudIA : vérifiez-le avant de le soumettre.'));
    this.lookUpObject();
  }

  validate() {
    const required = (label) => (value) => (value ? null : `${label} : champ obligatoire.`);
    return localErrors(this.element, {
      organisation_id: required('Structure émettrice'),
      category: required('Catégorie'),
      subcategory: required('Sous-catégorie'),
      object_number: (value, control) => (control.required && !value ? 'Indiquez le numéro de l’objet (facture, mémoire…).' : null),
      title: (value) => (value.length < 5 ? 'Au moins 5 caractères.' : null),
      description: (value) => (value.length < 10 ? 'Au moins 10 caractères.' : null),
      contact_email: (value) => (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value) ? null : 'Adresse e-mail invalide. Format attendu : nom@domaine.fr'),
    });
  }

  async onSubmit(event) {
    event.preventDefault();
    clearErrors(this.element);
    const invalid = this.validate();
    if (invalid) {
      showErrors(this.element, invalid);
      return;
    }
    this.submit.disabled = true;
    try {
      const values = this.values;
      const sub = this.currentSubcategory();
      const body = {
        organisation_id: values.organisation_id,
        category: values.category,
        subcategory: values.subcategory,
        title: values.title.trim(),
        description: values.description.trim(),
        contact_email: values.contact_email.trim(),
        attachment_ids: await this.attachments.readyIds(),
      };
      if (sub.object_number !== 'none' && values.object_number?.trim()) body.object_number = values.object_number.trim();
      if (this.recipientId) body.recipient_organisation_id = this.recipientId;
      if (this.conversationId) body.conversation_id = this.conversationId;
      const created = await api.post('/tickets', body, { headers: { 'Idempotency-Key': this.key } });
      this.submitted = true;
      this.confirm(created);
    } catch (error) {
      showErrors(this.element, error);
    } finally {
      this.submit.disabled = false;
    }
  }

  confirm(created) {
    const done = h('div', { tabindex: '-1', 'data-fin': true },
      h('div', { class: 'fr-alert fr-alert--success' },
        h('h2', { class: 'fr-alert__title' }, `Ticket ${created.reference} envoyé`),
        h('p', {}, created.message),
        h('p', {}, `Destinataire : ${created.recipient.designation}.`)),
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md fr-mt-3w' },
        h('li', {}, h('a', { class: 'fr-btn', href: `/support/mes-tickets/${encodeURIComponent(created.ticket_id)}` }, 'Voir le ticket')),
        h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: '/support/mes-tickets' }, 'Mes tickets'))));
    this.element.replaceWith(done);
    done.focus();
  }
}

function debounce(action, delay) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(action, delay);
  };
}
