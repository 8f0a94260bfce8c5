// DSFR form fields, and API errors shown where they belong: under the field
// the problem+json `errors[].field` names (the input of that name), linked by
// aria-describedby, and an error summary at the top of the form.

import { ApiError } from './api.js';
import { h, uid } from './dom.js';

const KINDS = {
  input: { group: 'fr-input-group', control: 'fr-input' },
  textarea: { group: 'fr-input-group', control: 'fr-input' },
  select: { group: 'fr-select-group', control: 'fr-select' },
  file: { group: 'fr-upload-group', control: 'fr-upload' },
};

// The hint sits beside the label, not inside it, and describes the control:
// the control's accessible name is then its label alone ("Titre", "Adresse
// e-mail"), as people and tests call it.
function labelFor(id, label, hint) {
  return [
    h('label', { class: 'fr-label', for: id }, label),
    hint ? h('p', { class: 'fr-hint-text fr-mb-1w', id: `${id}-aide` }, hint) : null,
  ];
}

function described(id, hint) {
  return hint ? { 'aria-describedby': `${id}-aide` } : {};
}

/** A text input or textarea in its DSFR group; options are attributes of the control. */
export function textField({ label, hint, name, type = 'text', multiline = false, rows = 6, ...attributes }) {
  const id = uid(name);
  const control = multiline
    ? h('textarea', { class: 'fr-input', id, name, rows, ...described(id, hint), ...attributes })
    : h('input', { class: 'fr-input', id, name, type, ...described(id, hint), ...attributes });
  return h('div', { class: 'fr-input-group' }, labelFor(id, label, hint), control);
}

/** A select; `options` are {value, label}; `placeholder` a first empty choice. */
export function selectField({ label, hint, name, options = [], placeholder = 'Sélectionner une option', ...attributes }) {
  const id = uid(name);
  const select = h('select', { class: 'fr-select', id, name, ...described(id, hint), ...attributes });
  setOptions(select, options, placeholder);
  return h('div', { class: 'fr-select-group' }, labelFor(id, label, hint), select);
}

export function setOptions(select, options, placeholder = 'Sélectionner une option') {
  select.replaceChildren(
    placeholder === null ? [] : h('option', { value: '', disabled: true, selected: true }, placeholder),
    ...options.map((option) => h('option', { value: option.value }, option.label)),
  );
}

/** A file input in its DSFR upload group. */
export function fileField({ label, hint, name, ...attributes }) {
  const id = uid(name);
  return h('div', { class: 'fr-upload-group' }, labelFor(id, label, hint), h('input', { class: 'fr-upload', type: 'file', id, name, ...described(id, hint), ...attributes }));
}

export function controlOf(group) {
  return group.querySelector('input, select, textarea');
}

function kindOf(control) {
  if (control.tagName === 'SELECT') return KINDS.select;
  if (control.type === 'file') return KINDS.file;
  return KINDS.input;
}

/** Show one message under a control (DSFR fr-error-text, linked by aria-describedby). */
export function setFieldError(control, message) {
  clearFieldError(control);
  const kind = kindOf(control);
  const group = control.closest(`.${kind.group}`) || control.parentElement;
  const errorId = `${control.id}-erreur`;
  group.classList.add(`${kind.group}--error`);
  if (kind !== KINDS.file) control.classList.add(`${kind.control}--error`);
  control.setAttribute('aria-invalid', 'true');
  const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  control.setAttribute('aria-describedby', [...described, errorId].join(' '));
  group.append(h('p', { class: 'fr-error-text', id: errorId }, message));
}

export function clearFieldError(control) {
  const kind = kindOf(control);
  const group = control.closest(`.${kind.group}`) || control.parentElement;
  const errorId = `${control.id}-erreur`;
  group.classList.remove(`${kind.group}--error`);
  control.classList.remove(`${kind.control}--error`);
  control.removeAttribute('aria-invalid');
  const described = (control.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== errorId);
  if (described.length) control.setAttribute('aria-describedby', described.join(' '));
  else control.removeAttribute('aria-describedby');
  document.getElementById(errorId)?.remove();
}

/** Remove every error shown in a form, and its summary. */
export function clearErrors(form) {
  for (const control of form.querySelectorAll('[aria-invalid="true"]')) clearFieldError(control);
  form.querySelector('[data-resume-erreurs]')?.remove();
}

/**
 * Show an error on a form: each field error under its control, then a summary
 * at the top of the form, focused so that a screen reader reads it first.
 * `labels` names fields whose control is not named like the API field.
 */
export function showErrors(form, error, { aliases = {} } = {}) {
  clearErrors(form);
  const items = [];
  const fieldErrors = error instanceof ApiError ? error.fieldErrors : (error.fieldErrors || []);
  for (const { field, message } of fieldErrors) {
    const name = aliases[field] || String(field).split('.').pop();
    const control = form.elements.namedItem(name);
    if (control && control.id) {
      setFieldError(control, message);
      items.push(h('li', {}, h('a', { href: `#${control.id}` }, `${fieldLabel(control)} : ${message}`)));
    } else {
      items.push(h('li', {}, message));
    }
  }
  const general = error instanceof ApiError ? error.userMessage : error.message;
  const summary = h('div', { class: 'fr-alert fr-alert--error fr-mb-4w', tabindex: '-1', 'data-resume-erreurs': true },
    h('h2', { class: 'fr-alert__title' }, items.length ? 'Le formulaire contient des erreurs' : 'La demande n’a pas abouti'),
    items.length ? h('ul', {}, items) : h('p', {}, general),
  );
  form.prepend(summary);
  summary.focus();
  return summary;
}

function fieldLabel(control) {
  return control.labels?.[0]?.textContent.trim() || control.name;
}

/** Check the required and typed fields in the browser, the API's way. */
export function localErrors(form, checks) {
  const errors = [];
  for (const [name, check] of Object.entries(checks)) {
    const control = form.elements.namedItem(name);
    if (!control || control.closest('[hidden]')) continue;
    const message = check(control.value.trim(), control);
    if (message) errors.push({ field: name, message });
  }
  return errors.length ? { message: 'Le formulaire contient des erreurs', fieldErrors: errors } : null;
}

/** An alert (info, success, warning, error) in DSFR markup. */
export function alertBox(type, title, ...body) {
  return h('div', { class: `fr-alert fr-alert--${type}${title ? '' : ' fr-alert--sm'}` },
    title ? h('h3', { class: 'fr-alert__title' }, title) : null,
    body.map((item) => (typeof item === 'string' ? h('p', {}, item) : item)));
}
