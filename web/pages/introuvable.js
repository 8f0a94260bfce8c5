// Any path the router does not know.

import { h } from '../lib/dom.js';

export const title = 'Page non trouvée';

export function render(main) {
  main.append(
    h('h1', {}, 'Page non trouvée'),
    h('p', { class: 'fr-text--lead' }, 'La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.'),
    h('p', {}, 'Si vous avez tapé l’adresse web dans le navigateur, vérifiez qu’elle est correcte.'),
    h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, h('a', { class: 'fr-btn', href: '/' }, 'Page d’accueil'))),
  );
}
