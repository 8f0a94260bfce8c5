// Sign in. Local stage: the demo users, one button each (POST /local/token).
// Deployed stages: the user pool's hosted UI (authorization code + PKCE).

import { ApiError } from '../lib/api.js';
import { completeHostedSignIn, localSignIn, signInConfig, startHostedSignIn } from '../lib/auth.js';
import { h } from '../lib/dom.js';
import { alertBox } from '../lib/forms.js';

export const title = 'Connexion';

const PROFILES = { fournisseur: 'Fournisseur', structure_publique: 'Entité publique' };
const ROLES = { support_agents: 'Conseiller du support', business_agents: 'Agent d’un service métier' };

export async function render(main, { session }) {
  main.append(h('h1', {}, 'Connexion'));
  if (session) main.append(alertBox('info', null, `Vous êtes connecté en tant que ${session.name}. Choisir un autre compte vous déconnecte de celui-ci.`));
  const status = h('div', { 'aria-live': 'polite' });
  main.append(status);
  const auth = await signInConfig();
  const params = new URLSearchParams(window.location.search);
  if (auth.mode === 'cognito') {
    if (params.has('code')) {
      try {
        await completeHostedSignIn(params.get('code'), params.get('state'));
        window.location.replace('/');
      } catch (error) {
        status.append(alertBox('error', 'La connexion a échoué', error.message));
      }
      return;
    }
    main.append(
      h('p', {}, 'Connectez-vous avec votre compte du portail de facturation.'),
      h('button', { type: 'button', class: 'fr-btn', onclick: () => startHostedSignIn() }, 'Se connecter'),
    );
    return;
  }
  const rows = auth.users.map((user) => h('tr', {},
    h('td', {}, h('button', { type: 'button', class: 'fr-btn fr-btn--sm', onclick: () => signIn(user.id) }, user.id)),
    h('td', {}, user.name),
    h('td', {}, PROFILES[user.profile] || '—'),
    h('td', {}, user.roles.map((role) => ROLES[role] || role).join(', ') || '—'),
    h('td', {}, user.organisations.join(', ') || '—')));
  main.append(
    h('p', {}, 'Environnement local : choisissez un utilisateur de démonstration. Sans connexion, ClaudIA et « Nous contacter » restent disponibles.'),
    h('div', { class: 'fr-table' }, h('div', { class: 'fr-table__wrapper' }, h('div', { class: 'fr-table__container' }, h('div', { class: 'fr-table__content' },
      h('table', {},
        h('caption', {}, 'Utilisateurs de démonstration'),
        h('thead', {}, h('tr', {}, ['Se connecter en tant que', 'Nom', 'Profil', 'Rôles', 'Structures'].map((text) => h('th', { scope: 'col' }, text)))),
        h('tbody', {}, rows)))))),
    h('p', { class: 'fr-mt-3w' }, 'Les e-mails envoyés par Guichet (accusés de réception, liens de suivi, réponses) arrivent dans la ',
      h('a', { href: '/local/mailbox' }, 'boîte de réception locale'), '.'),
  );

  async function signIn(userId) {
    status.replaceChildren();
    try {
      await localSignIn(userId);
      window.location.assign(params.get('retour')?.startsWith('/') ? params.get('retour') : '/');
    } catch (error) {
      status.append(alertBox('error', 'La connexion a échoué', error instanceof ApiError ? error.userMessage : String(error)));
    }
  }
}
