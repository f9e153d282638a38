/* Building the DOM safely (createElement/textContent only, never innerHTML), icons and emoji. */
export const EMOJI = {
  white_check_mark: '✅', heavy_check_mark: '✔️', check: '✔️', x: '❌', warning: '⚠️', grey_question: '❔',
  question: '❓', grey_exclamation: '❕', exclamation: '❗', speech_balloon: '💬', raising_hand: '🙋',
  raised_hand: '✋', tada: '🎉', '+1': '👍', thumbsup: '👍', '-1': '👎', thumbsdown: '👎', eyes: '👀',
  heart: '❤️', raised_hands: '🙌', pray: '🙏', joy: '😂', smile: '😄', slightly_smiling_face: '🙂',
  wave: '👋', clap: '👏', rocket: '🚀', fire: '🔥', star: '⭐', sparkles: '✨', bulb: '💡', memo: '📝',
  calendar: '📅', spiral_calendar_pad: '🗓️', date: '📅', alarm_clock: '⏰', clock: '🕐', hourglass: '⌛',
  hourglass_flowing_sand: '⏳', stopwatch: '⏱️', bell: '🔔', mega: '📣', loudspeaker: '📢', mag: '🔍',
  books: '📚', book: '📖', mortar_board: '🎓', handshake: '🤝', busts_in_silhouette: '👥',
  bust_in_silhouette: '👤', seedling: '🌱', trophy: '🏆', medal: '🏅', chart_with_upwards_trend: '📈',
  bar_chart: '📊', large_green_circle: '🟢', red_circle: '🔴', large_blue_circle: '🔵', white_circle: '⚪',
  large_yellow_circle: '🟡', no_entry: '⛔', no_entry_sign: '🚫', lock: '🔒', key: '🔑', gear: '⚙️',
  wrench: '🔧', hammer_and_wrench: '🛠️', link: '🔗', pushpin: '📌', point_right: '👉', point_up: '☝️',
  arrow_right: '➡️', arrow_forward: '▶️', information_source: 'ℹ️', thinking_face: '🤔', muscle: '💪',
  coffee: '☕', zap: '⚡', inbox_tray: '📥', outbox_tray: '📤', envelope: '✉️', email: '📧',
  microphone: '🎤', studio_microphone: '🎙️', person_raising_hand: '🙋', wave_hand: '👋', dart: '🎯',
  pencil: '📝', pencil2: '✏️', page_facing_up: '📄', clipboard: '📋', hugging_face: '🤗', sunglasses: '😎',
  sweat_smile: '😅', confused: '😕', cry: '😢', ok_hand: '👌', 100: '💯', heavy_plus_sign: '➕',
  heavy_minus_sign: '➖', new: '🆕', sos: '🆘', globe_with_meridians: '🌐', earth_africa: '🌍',
  office: '🏢', house: '🏠', student: '🧑‍🎓', teacher: '🧑‍🏫', compass: '🧭', crown: '👑',
};
export const emojiChar = (name) => EMOJI[name] || EMOJI[String(name).replace(/::skin-tone-\d$/, '')] || null;

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
