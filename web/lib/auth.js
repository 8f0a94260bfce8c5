// Signing in. Local stage: a demo user's token from POST /local/token.
// Deployed stages: the Cognito user pool's hosted UI, authorization code with
// PKCE; the code is exchanged at the pool's token endpoint and the tokens are
// kept in sessionStorage (lib/session.js), never put in a URL.

import { api, createClient, loadConfig, postForm } from './api.js';
import { remember, recall, saveSession } from './session.js';

export async function signInConfig() {
  return (await loadConfig()).auth || { mode: 'local', users: [] };
}

async function keepSessionOf(token) {
  const config = await loadConfig();
  const me = await createClient({ baseUrl: config.api_url, token: () => token }).get('/me');
  saveSession(token, me);
}

export async function localSignIn(userId) {
  const { token } = await api.post('/local/token', { user: userId });
  await keepSessionOf(token);
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function redirectUri() {
  return `${window.location.origin}/connexion`;
}

export async function startHostedSignIn() {
  const auth = await signInConfig();
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  remember('pkce', { verifier, state });
  const url = new URL('/oauth2/authorize', auth.domain);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: auth.client_id,
    redirect_uri: redirectUri(),
    scope: 'openid email profile',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  window.location.assign(url);
}

export async function completeHostedSignIn(code, state) {
  const auth = await signInConfig();
  const pkce = recall('pkce');
  remember('pkce', null);
  if (!pkce || pkce.state !== state) throw new Error('La demande de connexion a expiré : recommencez.');
  const tokens = await postForm(new URL('/oauth2/token', auth.domain), {
    grant_type: 'authorization_code',
    client_id: auth.client_id,
    code,
    redirect_uri: redirectUri(),
    code_verifier: pkce.verifier,
  });
  // The ID token carries the user's groups and e-mail; the API accepts it (aud = client id).
  await keepSessionOf(tokens.id_token);
}
