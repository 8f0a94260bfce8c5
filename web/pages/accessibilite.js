// The accessibility statement (short form).

import { h } from '../lib/dom.js';

export const title = 'Accessibilité';

export function render(main) {
  main.append(
    h('h1', {}, 'Déclaration d’accessibilité'),
    h('p', {}, 'Le portail Guichet est partiellement conforme au référentiel général d’amélioration de l’accessibilité (RGAA). Chaque parcours est vérifié automatiquement (axe-core) et au clavier seul ; un audit complet reste à mener.'),
    h('h2', {}, 'Signaler un défaut'),
    h('p', {}, 'Si vous ne pouvez pas accéder à un contenu ou à un service, écrivez-nous depuis la page « Nous contacter » : nous vous répondrons et vous proposerons une autre façon d’obtenir l’information.'),
    h('p', {}, h('a', { class: 'fr-link', href: '/support/nous-contacter' }, 'Nous contacter')),
  );
}
