/* Building the DOM safely (createElement/textContent only, never innerHTML), icons and emoji. */
// Slack's emoji shortcodes (GET /api/emoji: every name of Slack's standard set, skin tones included),
// loaded once before the page first draws; a name not among them is shown as typed, as Slack does.
// (Tried again after a failure: `loadEmoji` answers whether the list is there now.)
export const EMOJI = new Map();
let loadingEmoji = null;
export function loadEmoji() {
  if (EMOJI.size) return Promise.resolve(true);
  loadingEmoji = loadingEmoji || fetch('/api/emoji').then((res) => res.json()).then((data) => {
    for (const [name, ch] of Object.entries((data && data.emoji) || {})) EMOJI.set(name, ch);
  }).catch(() => { /* the server is not answering: shortcodes stay as typed until it does */ })
    .then(() => { loadingEmoji = null; return EMOJI.size > 0; });
  return loadingEmoji;
}
export const emojiChar = (name) => EMOJI.get(name) || EMOJI.get(String(name).replace(/::skin-tone-\d$/, '')) || null;

export const $ = (id) => document.getElementById(id);

export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'style') node.style.cssText = v; // through CSSOM: the page's CSP refuses style attributes
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) node.value = v;
      else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden' || k === 'multiple') node[k] = !!v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.appendChild(c);
    else node.appendChild(document.createTextNode(String(c)));
  }
  return node;
}

export const ICONS = {
  lock: 'M5 7V5a3 3 0 0 1 6 0v2h1v7H4V7h1zm1.5 0h3V5a1.5 1.5 0 0 0-3 0v2z',
  reply: 'M2 3h12v8H7l-3 3v-3H2V3zm1.5 1.5v5h2v1.4L6.9 9.5h5.6v-5h-9z',
  eye: 'M8 4c3 0 5.5 2.2 6.5 4-1 1.8-3.5 4-6.5 4S2.5 9.8 1.5 8C2.5 6.2 5 4 8 4zm0 1.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z',
};
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '14');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('fill-rule', 'evenodd');
  svg.appendChild(path);
  return svg;
}

/** Make `container`'s children exactly `nodes`, touching only what moved (keeps focus and state). */
export function reconcile(container, nodes) {
  let i = 0;
  for (const node of nodes) {
    const current = container.childNodes[i];
    if (current !== node) container.insertBefore(node, current || null);
    i++;
  }
  while (container.childNodes.length > nodes.length) container.removeChild(container.lastChild);
}
