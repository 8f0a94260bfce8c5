// The one API client of the portal: every network call goes through here.
// JSON in and out, the bearer token of the session, and problem+json errors
// turned into an ApiError whose `fieldErrors` name the fields that are wrong.

import { currentToken } from './session.js';

let configPromise = null;

/** The portal's /config.json: API URL, sign-in settings (written at deploy). */
export function loadConfig() {
  configPromise ??= fetch(new URL('../config.json', import.meta.url), { cache: 'no-cache' })
    .then((response) => {
      if (!response.ok) throw new Error(`config.json: ${response.status}`);
      return response.json();
    });
  return configPromise;
}

const UNREACHABLE = {
  title: 'Service injoignable',
  detail: 'Le service ne répond pas. Vérifiez votre connexion, puis réessayez dans quelques instants.',
};

export class ApiError extends Error {
  constructor(status, problem) {
    const body = problem && typeof problem === 'object' ? problem : {};
    super(body.detail || body.title || `Erreur ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = body;
    /** [{field, message}] from problem+json `errors`. */
    this.fieldErrors = Array.isArray(body.errors) ? body.errors : [];
  }

  /** A sentence for a person. */
  get userMessage() {
    if (this.status === 401) return 'Votre session a expiré ou vous n’êtes pas connecté : connectez-vous puis réessayez.';
    if (this.status === 429) return 'Trop de demandes en peu de temps : patientez quelques minutes avant de réessayer.';
    if (this.status >= 500) return 'Le service a rencontré une erreur. Réessayez dans quelques instants.';
    return this.message;
  }
}

/**
 * A client for one API. `baseUrl` is a string or an async function giving it;
 * `token` a function giving the bearer token (or null).
 */
export function createClient({ baseUrl, token = () => null }) {
  async function request(method, path, { body, query, headers = {}, signal, keepalive = false } = {}) {
    const base = String(typeof baseUrl === 'function' ? await baseUrl() : baseUrl).replace(/\/+$/, '');
    const url = new URL(base + path);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
    }
    const allHeaders = { Accept: 'application/json, application/problem+json', ...headers };
    const bearer = token();
    if (bearer) allHeaders.Authorization = `Bearer ${bearer}`;
    const init = { method, headers: allHeaders, signal, keepalive };
    if (body !== undefined) {
      allHeaders['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      throw new ApiError(0, UNREACHABLE);
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { detail: text.slice(0, 200) };
      }
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  return {
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, body = {}, options) => request('POST', path, { ...options, body }),
    put: (path, body = {}, options) => request('PUT', path, { ...options, body }),
    del: (path, options) => request('DELETE', path, options),
  };
}

/** The portal's client: the API of /config.json, the session's token. */
export const api = createClient({
  baseUrl: async () => (await loadConfig()).api_url,
  token: currentToken,
});

/** A fresh Idempotency-Key for one creating call (retries reuse it). */
export function idempotencyKey() {
  return crypto.randomUUID();
}

/** A secret the client keeps (32 random bytes, base64url): the server stores only its hash. */
export function clientSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * POST a file to the bucket with a presigned POST (`upload.url`, `upload.fields`).
 * XMLHttpRequest, not fetch: only it reports upload progress (0..1 to `onProgress`).
 */
export function uploadToBucket(upload, file, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new ApiError(xhr.status, { detail: 'Le fichier n’a pas pu être envoyé.' }));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { detail: 'Le fichier n’a pas pu être envoyé : connexion interrompue.' })));
    xhr.send(form);
  });
}

/** An application/x-www-form-urlencoded POST (the user pool's token endpoint). */
export async function postForm(url, fields) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  } catch {
    throw new ApiError(0, UNREACHABLE);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, { detail: 'La connexion a échoué.' });
  return data;
}
