// The "Pièces jointes" field: each chosen file goes straight to the bucket
// (presigned POST), with a progress bar, then the service's check is awaited
// (ready, or refused with its reason).

import { ApiError, api, uploadToBucket } from './api.js';
import { h } from './dom.js';
import { fileSizeText } from './format.js';
import { fileField } from './forms.js';

const TYPES_BY_EXTENSION = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', xml: 'application/xml',
};
const ACCEPT = '.png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.csv,.xml';
const CHECK_POLL_MS = 400;
const CHECK_TIMEOUT_MS = 30000;

function contentTypeOf(file) {
  if (file.type) return file.type;
  return TYPES_BY_EXTENSION[file.name.split('.').pop().toLowerCase()] || 'application/octet-stream';
}

/** A random X-Upload-Token for uploads made without an account. */
export function newUploadToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The field, and what the form needs of it: the ids of the files ready, and
 * whether any is still being sent or checked. `uploadToken` for anonymous use.
 */
export function attachmentsField({ name = 'attachment_ids', label = 'Pièces jointes', uploadToken = null } = {}) {
  const headers = uploadToken ? { 'X-Upload-Token': uploadToken } : {};
  const group = fileField({
    label,
    hint: 'Facultatif. 10 Mo au plus par fichier ; formats : PDF, PNG, JPEG, GIF, WebP, TXT, CSV, XML. Plusieurs fichiers possibles.',
    name,
    multiple: true,
    accept: ACCEPT,
  });
  const list = h('ul', { class: 'guichet-upload-list fr-mt-2w', 'aria-live': 'polite' });
  group.append(list);
  const files = [];
  const input = group.querySelector('input');

  input.addEventListener('change', () => {
    for (const file of input.files) files.push(send(file));
    input.value = '';
  });

  function send(file) {
    const entry = { file, id: null, status: 'sending' };
    const progress = h('progress', { max: '100', value: '0', 'aria-label': `Envoi de ${file.name}` });
    const state = h('p', { class: 'fr-text--sm fr-mb-0' }, 'Envoi en cours…');
    const remove = h('button', { type: 'button', class: 'fr-btn fr-btn--sm fr-btn--tertiary-no-outline', onclick: () => {
      entry.status = 'removed';
      item.remove();
    } }, `Retirer ${file.name}`);
    const item = h('li', { class: 'fr-mb-2w' }, h('p', { class: 'fr-mb-1v' }, h('strong', {}, file.name), ` (${fileSizeText(file.size)})`), progress, state, remove);
    list.append(item);
    entry.done = (async () => {
      try {
        const grant = await api.post('/tickets/attachments', { filename: file.name, content_type: contentTypeOf(file), size: file.size }, { headers });
        entry.id = grant.attachment_id;
        await uploadToBucket(grant.upload, file, (ratio) => { progress.value = Math.round(ratio * 100); });
        state.textContent = 'Fichier envoyé, vérification en cours…';
        const verdict = await awaitCheck(grant.attachment_id, headers);
        entry.status = verdict.status;
        if (verdict.status === 'ready') {
          state.replaceChildren(h('span', { class: 'fr-badge fr-badge--sm fr-badge--success' }, 'Fichier vérifié'));
        } else {
          state.replaceChildren(h('span', { class: 'fr-error-text fr-mt-0' }, `Fichier refusé : ${verdict.reason || 'il ne correspond pas à son format.'}`));
        }
      } catch (error) {
        entry.status = 'failed';
        const message = error instanceof ApiError ? error.userMessage : 'Le fichier n’a pas pu être envoyé.';
        state.replaceChildren(h('span', { class: 'fr-error-text fr-mt-0' }, `Fichier refusé : ${message}`));
      }
    })();
    return entry;
  }

  return {
    element: group,
    /** Waits for files still on their way; returns the ids of those accepted. */
    async readyIds() {
      await Promise.all(files.map((entry) => entry.done));
      return files.filter((entry) => entry.status === 'ready').map((entry) => entry.id);
    },
    reset() {
      files.length = 0;
      list.replaceChildren();
    },
  };
}

async function awaitCheck(attachmentId, headers) {
  const deadline = Date.now() + CHECK_TIMEOUT_MS;
  for (;;) {
    const status = await api.get(`/tickets/attachments/${encodeURIComponent(attachmentId)}`, { headers });
    if (status.status !== 'pending') return status;
    if (Date.now() > deadline) return { status: 'rejected', reason: 'la vérification du fichier prend trop de temps ; réessayez.' };
    await new Promise((resolve) => setTimeout(resolve, CHECK_POLL_MS));
  }
}
