// /support/nous-contacter: help without an account. One step at a time:
// the problem, its self-help solutions, then the request to the tool support.

import { ApiError, api, idempotencyKey } from '../lib/api.js';
import { attachmentsField, newUploadToken } from '../lib/attachments.js';
import { h } from '../lib/dom.js';
import { alertBox, clearErrors, localErrors, showErrors, textField } from '../lib/forms.js';
import { recall, remember } from '../lib/session.js';

export const title = 'Nous contacter sans compte';

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export async function render(main) {
  main.append(
    h('h1', {}, 'Nous contacter sans compte'),
    h('p', { class: 'fr-text--lead' }, 'Vous ne pouvez pas vous connecter au portail ? Décrivez votre problème : nous vous proposons d’abord des solutions immédiates, puis vous pouvez écrire au support.'),
  );
  const step = h('div');
  main.append(step);
  let problems;
  let catalogue;
  try {
    [problems, catalogue] = await Promise.all([api.get('/help/problems'), api.get('/tickets/catalogue')]);
  } catch (error) {
    step.append(alertBox('error', 'Cette page n’a pas pu être chargée', error instanceof ApiError ? error.userMessage : String(error)));
    return;
  }
  const draft = recall('brouillon');
  remember('brouillon', null);
  chooseProblem();

  function show(...content) {
    const first = !step.childElementCount;
    step.replaceChildren(...content);
    if (first) return;
    const heading = step.querySelector('h2');
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }

  function chooseProblem() {
    const form = h('form', { novalidate: true },
      h('fieldset', { class: 'fr-fieldset', id: 'probleme', 'aria-labelledby': 'probleme-legende' },
        h('legend', { class: 'fr-fieldset__legend', id: 'probleme-legende' }, h('h2', { class: 'fr-h4 fr-mb-2w' }, 'Étape 1 sur 3 : quel est votre problème ?')),
        problems.map((problem, index) => h('div', { class: 'fr-fieldset__element' }, h('div', { class: 'fr-radio-group' },
          h('input', { type: 'radio', id: `probleme-${index}`, name: 'problem', value: problem.code }),
          h('label', { class: 'fr-label', for: `probleme-${index}` }, problem.label))))),
      h('button', { type: 'submit', class: 'fr-btn' }, 'Continuer'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = problems.find((problem) => problem.code === form.elements.problem.value);
      if (!chosen) {
        showErrors(form, { fieldErrors: [], message: 'Choisissez le problème qui ressemble le plus au vôtre.' });
        return;
      }
      showSolutions(chosen);
    });
    show(form);
  }

  function showSolutions(problem) {
    show(
      h('h2', { class: 'fr-h4' }, 'Étape 2 sur 3 : essayez d’abord ces solutions'),
      h('p', {}, `Votre problème : ${problem.label}.`),
      h('div', { class: 'fr-grid-row fr-grid-row--gutters fr-mb-3w' }, problem.solutions.map((solution) => h('div', { class: 'fr-col-12 fr-col-md-6' },
        h('div', { class: 'fr-callout fr-mb-0' },
          h('h3', { class: 'fr-callout__title fr-h6' }, solution.title),
          h('p', { class: 'fr-callout__text fr-text--md' }, solution.text))))),
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
        h('li', {}, h('button', { type: 'button', class: 'fr-btn', onclick: () => solved() }, 'Mon problème est résolu')),
        h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--secondary', onclick: () => writeRequest(problem) }, 'Mon problème persiste : écrire au support')),
        h('li', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--tertiary', onclick: () => chooseProblem() }, 'Choisir un autre problème'))),
    );
  }

  function solved() {
    show(h('h2', { class: 'fr-h4' }, 'Tant mieux !'),
      alertBox('success', null, 'Votre problème est résolu : aucune demande n’a été envoyée.'),
      h('p', { class: 'fr-mt-3w' }, h('a', { class: 'fr-link', href: '/' }, 'Retour à l’accueil')));
  }

  function categoryOf(subcategory) {
    return catalogue.find((category) => category.subcategories.some((sub) => sub.code === subcategory))?.code;
  }

  function writeRequest(problem) {
    const uploadToken = newUploadToken();
    const upload = attachmentsField({ uploadToken });
    const key = idempotencyKey();
    const submit = h('button', { type: 'submit', class: 'fr-btn' }, 'Envoyer la demande');
    const form = h('form', { novalidate: true },
      h('p', {}, 'Tous les champs sont obligatoires, sauf mention contraire.'),
      textField({ label: 'Adresse e-mail', hint: 'Celle de votre compte, ou à défaut celle où vous joindre. Format attendu : nom@domaine.fr', name: 'email', type: 'email', autocomplete: 'email', required: true }),
      textField({ label: "Confirmation de l'adresse e-mail", hint: 'Saisissez-la une seconde fois.', name: 'email_confirmation', type: 'email', autocomplete: 'off', required: true }),
      textField({ label: 'SIRET de votre structure (facultatif)', hint: '14 chiffres, s’il vous est connu.', name: 'siret', inputmode: 'numeric', autocomplete: 'off', maxlength: '17' }),
      textField({ label: 'Titre', hint: '5 à 120 caractères.', name: 'title', maxlength: '120', required: true, value: draft?.title || '' }),
      textField({ label: 'Description', hint: 'Ce que vous avez essayé, le message affiché (10 caractères au moins).', name: 'description', multiline: true, rows: 8, maxlength: '10000', required: true }),
      upload.element,
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md fr-mt-4w' }, h('li', {}, submit)));
    if (draft?.description) form.elements.description.value = draft.description;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const invalid = localErrors(form, {
        email: (value) => (EMAIL.test(value) ? null : 'Adresse e-mail invalide. Format attendu : nom@domaine.fr'),
        email_confirmation: (value) => (value === form.elements.email.value.trim() ? null : 'Les deux adresses e-mail doivent être identiques.'),
        siret: (value) => (!value || /^\d{14}$/.test(value.replace(/\s/g, '')) ? null : 'Le SIRET compte 14 chiffres.'),
        title: (value) => (value.length < 5 ? 'Au moins 5 caractères.' : null),
        description: (value) => (value.length < 10 ? 'Au moins 10 caractères.' : null),
      });
      if (invalid) {
        showErrors(form, invalid);
        return;
      }
      submit.disabled = true;
      try {
        const values = Object.fromEntries(new FormData(form).entries());
        const body = {
          problem: problem.code,
          category: categoryOf(problem.subcategory),
          subcategory: problem.subcategory,
          email: values.email.trim(),
          email_confirmation: values.email_confirmation.trim(),
          title: values.title.trim(),
          description: values.description.trim(),
          attachment_ids: await upload.readyIds(),
        };
        if (values.siret.trim()) body.siret = values.siret.replace(/\s/g, '');
        const accepted = await api.post('/help/requests', body, { headers: { 'Idempotency-Key': key, 'X-Upload-Token': uploadToken } });
        show(h('h2', { class: 'fr-h4' }, 'Demande envoyée'),
          h('div', { class: 'fr-alert fr-alert--success' },
            h('h3', { class: 'fr-alert__title' }, `Votre demande ${accepted.reference} est envoyée`),
            h('p', {}, accepted.message)),
          h('p', { class: 'fr-mt-3w' }, 'Un e-mail de confirmation vous est adressé, avec un lien personnel pour suivre votre demande, y répondre ou y joindre des fichiers, sans compte. Gardez la référence ci-dessus : elle identifie votre demande auprès du support.'));
      } catch (error) {
        showErrors(form, error);
        submit.disabled = false;
      }
    });
    show(h('h2', { class: 'fr-h4' }, 'Étape 3 sur 3 : votre demande au support'), form);
  }
}
