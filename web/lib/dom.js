// Building DOM from data. Strings always become text nodes: nothing a person
// typed (a question, a title, a comment, a file name) is ever parsed as HTML.

/**
 * h('p', {class: 'fr-text'}, 'Bonjour ', h('strong', {}, name))
 * Attributes whose name starts with "on" and whose value is a function are
 * event listeners; null, undefined and false attributes are left out.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'value' && 'value' in element) {
      element.value = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

let counter = 0;
/** A fresh id for label/field pairs. */
export function uid(prefix = 'champ') {
  counter += 1;
  return `${prefix}-${counter}`;
}

const URL_PATTERN = /https?:\/\/[^\s<>"«»]+[^\s<>"«».,;:!?)\]]/g;

/**
 * A text that may hold URLs and "- " lists, as elements: paragraphs, lists,
 * and links built with textContent and a checked href (http/https only).
 */
export function richText(text) {
  const fragment = document.createDocumentFragment();
  let list = null;
  for (const line of String(text).split('\n')) {
    const item = line.match(/^\s*[-•]\s+(.*)$/);
    if (item) {
      if (!list) {
        list = h('ul');
        fragment.append(list);
      }
      list.append(h('li', {}, linkify(item[1])));
      continue;
    }
    list = null;
    if (line.trim()) fragment.append(h('p', {}, linkify(line)));
  }
  return fragment;
}

function linkify(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let href;
    try {
      href = new URL(match[0]);
    } catch {
      continue;
    }
    if (href.protocol !== 'https:' && href.protocol !== 'http:') continue;
    parts.push(text.slice(last, match.index));
    parts.push(h('a', { href: href.href, target: '_blank', rel: 'noopener noreferrer', title: `${match[0]} – nouvelle fenêtre` }, match[0]));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}
