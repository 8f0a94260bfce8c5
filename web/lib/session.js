// Who is signed in. The token lives in sessionStorage (one tab, gone when it
// closes), never in a URL; the rest of the portal asks this module.

const KEY = 'guichet.session';

export function currentSession() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

export function currentToken() {
  return currentSession()?.token || null;
}

/** Keep a token and the user it belongs to (`GET /me`). */
export function saveSession(token, me) {
  sessionStorage.setItem(KEY, JSON.stringify({
    token,
    user_id: me.user_id,
    name: me.name,
    profile: me.profile,
    roles: me.roles,
  }));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

/** Small per-tab state of the portal (ClaudIA's conversation, a chat in progress). */
export function remember(key, value) {
  if (value === null || value === undefined) sessionStorage.removeItem(`guichet.${key}`);
  else sessionStorage.setItem(`guichet.${key}`, JSON.stringify(value));
}

export function recall(key) {
  try {
    return JSON.parse(sessionStorage.getItem(`guichet.${key}`));
  } catch {
    return null;
  }
}
