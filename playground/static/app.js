/* Knowhow playground page: a small Slack-like client for the local playground server.
 * Plain JavaScript, no dependencies. Every piece of text is untrusted: the DOM is built with
 * createElement/textContent only (never innerHTML). The contract with the server: API.md. */
'use strict';

(() => {
  const POLL_MS = 700;
  const DEFAULT_AS = 'U0ALICE001'; // the sample organisation's first person, when the page is given none
  const QUICK_EMOJI = ['white_check_mark', '+1', 'tada', 'eyes', 'heart', 'raised_hands', 'pray', 'joy'];

  // ---------------------------------------------------------------- emoji
  const EMOJI = {
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
  const emojiChar = (name) => EMOJI[name] || EMOJI[String(name).replace(/::skin-tone-\d$/, '')] || null;

  // ---------------------------------------------------------------- app state
  const S = {
    as: null,
    state: null,
    version: null,
    view: null,            // {kind: 'conv', id} | {kind: 'home'}
    thread: null,          // {channel, ts}
    messages: [],
    messagesFor: null,
    threadData: null,
    editing: null,         // {channel, ts}
    dismissed: new Set(),  // ephemeral messages hidden locally
    epoch: 0,              // bumps when names/me change: message nodes are rebuilt
    modalKey: null,
    modalValues: {},       // view id -> {block_id: {action_id: state}} kept across re-renders
    homeKey: null,
    sidebarKey: null,
    focusTarget: null,     // a message ts to highlight after load
    clientErrors: {},      // the modal's own validation errors (required fields)
  };
  const msgCache = new Map();  // key -> node

  // ---------------------------------------------------------------- DOM helpers
  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
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

  function append(node, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) append(node, c);
      else if (c instanceof Node) node.appendChild(c);
      else node.appendChild(document.createTextNode(String(c)));
    }
    return node;
  }

  const ICONS = {
    lock: 'M5 7V5a3 3 0 0 1 6 0v2h1v7H4V7h1zm1.5 0h3V5a1.5 1.5 0 0 0-3 0v2z',
    reply: 'M2 3h12v8H7l-3 3v-3H2V3zm1.5 1.5v5h2v1.4L6.9 9.5h5.6v-5h-9z',
    eye: 'M8 4c3 0 5.5 2.2 6.5 4-1 1.8-3.5 4-6.5 4S2.5 9.8 1.5 8C2.5 6.2 5 4 8 4zm0 1.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z',
  };
  function icon(name) {
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
  function reconcile(container, nodes) {
    let i = 0;
    for (const node of nodes) {
      const current = container.childNodes[i];
      if (current !== node) container.insertBefore(node, current || null);
      i++;
    }
    while (container.childNodes.length > nodes.length) container.removeChild(container.lastChild);
  }

  // ---------------------------------------------------------------- server
  async function api(method, path, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (err) {
      throw Object.assign(new Error('The playground server is not answering'), { offline: true });
    }
    let data = null;
    try { data = await res.json(); } catch (err) { data = null; }
    if (!res.ok || !data || data.ok === false) {
      const error = (data && data.error) || `HTTP ${res.status}`;
      throw Object.assign(new Error(error), { status: res.status, data });
    }
    return data;
  }

  const post = (path, body) => api('POST', path, Object.assign({ as: S.as }, body));
  const q = (params) => Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

  // ---------------------------------------------------------------- lookups
  const users = () => (S.state && S.state.users) || [];
  const convs = () => (S.state && S.state.conversations) || [];
  const botId = () => (S.state && S.state.bot && S.state.bot.user_id) || null;
  const userById = (id) => users().find((u) => u.id === id) || null;
  const convById = (id) => convs().find((c) => c.id === id) || null;
  const meUser = () => userById(S.as);
  const myTz = () => {
    const u = meUser();
    if (u && u.tz) {
      try { new Intl.DateTimeFormat('en-US', { timeZone: u.tz }); return u.tz; } catch (err) { /* unknown zone */ }
    }
    return undefined;
  };

  function displayName(id) {
    if (!id) return 'someone';
    if (id === botId()) return (S.state.bot && S.state.bot.name) || 'Knowhow';
    const u = userById(id);
    return u ? (u.real_name || u.name || id) : id;
  }

  function convLabel(c) {
    if (!c) return '';
    if (c.kind === 'channel') return '#' + c.name;
    return c.name || c.id;
  }

  function initials(name) {
    const parts = String(name || '?').trim().split(/\s+/);
    return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
  }

  // ---------------------------------------------------------------- dates
  function tsDate(ts) { return new Date(Math.round(parseFloat(ts) * 1000)); }

  function parts(date, opts) {
    const out = {};
    for (const p of new Intl.DateTimeFormat('en-US', Object.assign({ timeZone: myTz() }, opts)).formatToParts(date)) out[p.type] = p.value;
    return out;
  }

  const fmt = (date, opts) => new Intl.DateTimeFormat('en-US', Object.assign({ timeZone: myTz() }, opts)).format(date);
  const timeOf = (date) => fmt(date, { hour: 'numeric', minute: '2-digit' });
  const dayKey = (date) => { const p = parts(date, { year: 'numeric', month: '2-digit', day: '2-digit' }); return `${p.year}-${p.month}-${p.day}`; };

  function ordinal(n) {
    const s = ['th', 'st', 'nd', 'rd'], v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }

  function relativeDay(date) {
    const key = dayKey(date);
    const now = Date.now();
    if (key === dayKey(new Date(now))) return 'today';
    if (key === dayKey(new Date(now - 86400000))) return 'yesterday';
    if (key === dayKey(new Date(now + 86400000))) return 'tomorrow';
    return null;
  }

  /** Slack's <!date^epoch^format|fallback> tokens, in the reader's time zone. */
  function slackDate(epoch, format) {
    const d = new Date(epoch * 1000);
    if (isNaN(d.getTime())) return null;
    const p = parts(d, { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
    const day = ordinal(parseInt(p.day, 10));
    const long = `${p.weekday}, ${p.month} ${day}, ${p.year}`;
    const plain = `${p.month} ${day}, ${p.year}`;
    const short = fmt(d, { month: 'short', day: 'numeric', year: 'numeric' });
    const num = dayKey(d);
    const rel = relativeDay(d);
    const cap = (s) => s ? s[0].toUpperCase() + s.slice(1) : s;
    const tokens = {
      date_num: num, date: plain, date_short: short, date_long: long,
      date_pretty: rel || plain, date_short_pretty: rel || short, date_long_pretty: rel || long,
      time: timeOf(d), time_secs: fmt(d, { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
      ago: agoText(d),
    };
    let out = format.replace(/\{(\w+)\}/g, (m, name) => (name in tokens ? tokens[name] : m));
    if (/^\{date_\w*pretty\}/.test(format) && rel) out = cap(out);
    return out;
  }

  function agoText(d) {
    const s = Math.round((Date.now() - d.getTime()) / 1000);
    const abs = Math.abs(s);
    const [n, unit] = abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86400), 'day'];
    const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
    return s >= 0 ? `${text} ago` : `in ${text}`;
  }

  // ---------------------------------------------------------------- mrkdwn
  const unescapeEntities = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

  function emojify(text, parent) {
    const re = /:([a-z0-9_+'-]+(?:::skin-tone-\d)?):/gi;
    let pos = 0, m;
    while ((m = re.exec(text))) {
      const ch = emojiChar(m[1].toLowerCase());
      if (!ch) { re.lastIndex = m.index + m[0].length - 1; continue; }
      if (m.index > pos) parent.appendChild(document.createTextNode(text.slice(pos, m.index)));
      parent.appendChild(h('span', { class: 'emoji', title: `:${m[1]}:`, role: 'img', 'aria-label': m[1].replace(/_/g, ' ') }, ch));
      pos = m.index + m[0].length;
    }
    if (pos < text.length) parent.appendChild(document.createTextNode(text.slice(pos)));
    return parent;
  }

  function plainText(obj) {
    const frag = document.createDocumentFragment();
    if (!obj) return frag;
    if (typeof obj === 'string') return emojify(obj, frag);
    if (obj.type === 'mrkdwn') return mrkdwn(obj.text || '', { verbatim: obj.verbatim });
    if (obj.emoji === false) { frag.appendChild(document.createTextNode(obj.text || '')); return frag; }
    return emojify(obj.text || '', frag);
  }

  const textOf = (obj) => (obj ? (typeof obj === 'string' ? obj : obj.text || '') : '');

  function mrkdwn(text) {
    const frag = document.createDocumentFragment();
    const chunks = String(text || '').split('```');
    chunks.forEach((chunk, i) => {
      const odd = i % 2 === 1;
      if (odd && i < chunks.length - 1) {
        frag.appendChild(h('pre', { class: 'mk-pre' }, unescapeEntities(chunk.replace(/^\n/, '').replace(/\n$/, ''))));
        return;
      }
      let body = odd ? '```' + chunk : chunk; // an unmatched fence stays as it is
      if (i > 0 && !odd) body = body.replace(/^\n/, '');
      if (!odd && i < chunks.length - 1) body = body.replace(/\n$/, '');
      mkLines(body, frag);
    });
    return frag;
  }

  const QUOTE = /^(?:&gt;|>)\s?(.*)$/;

  function mkLines(text, parent) {
    if (!text) return;
    const lines = text.split('\n');
    let i = 0;
    while (i < lines.length) {
      const group = [];
      if (QUOTE.test(lines[i])) {
        while (i < lines.length && QUOTE.test(lines[i])) group.push(QUOTE.exec(lines[i++])[1]);
        parent.appendChild(inline(group.join('\n'), h('blockquote', { class: 'mk-quote' })));
      } else {
        while (i < lines.length && !QUOTE.test(lines[i])) group.push(lines[i++]);
        inline(group.join('\n'), parent);
      }
    }
  }

  const INLINE = [
    { kind: 'angle', re: /<([^<>\n]+)>/g },
    { kind: 'code', re: /`([^`\n]+)`/g },
    { kind: 'b', re: /(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g },
    { kind: 'i', re: /(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g },
    { kind: 's', re: /(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g },
  ];

  const balanced = (s) => (s.match(/</g) || []).length === (s.match(/>/g) || []).length && (s.match(/`/g) || []).length % 2 === 0;

  function nextMatch(pattern, text, from) {
    pattern.re.lastIndex = from;
    let m;
    while ((m = pattern.re.exec(text))) {
      if (pattern.kind === 'angle' || pattern.kind === 'code' || balanced(m[1])) return m;
      pattern.re.lastIndex = m.index + 1;
    }
    return null;
  }

  function inline(text, parent) {
    parent = parent || document.createDocumentFragment();
    let pos = 0;
    while (pos < text.length) {
      let best = null, bestKind = null;
      for (const p of INLINE) {
        const m = nextMatch(p, text, pos);
        if (m && (!best || m.index < best.index)) { best = m; bestKind = p.kind; }
      }
      if (!best) break;
      if (best.index > pos) emojify(unescapeEntities(text.slice(pos, best.index)), parent);
      if (bestKind === 'angle') parent.appendChild(angleToken(best[1]));
      else if (bestKind === 'code') parent.appendChild(h('code', { class: 'mk-code' }, unescapeEntities(best[1])));
      else parent.appendChild(inline(best[1], h(bestKind === 'b' ? 'strong' : bestKind === 'i' ? 'em' : 'del')));
      pos = best.index + best[0].length;
    }
    if (pos < text.length) emojify(unescapeEntities(text.slice(pos)), parent);
    return parent;
  }

  function safeHref(url) {
    const u = unescapeEntities(url.trim());
    return /^(https?:\/\/|mailto:)/i.test(u) ? u : null;
  }

  function angleToken(body) {
    const bar = body.indexOf('|');
    const head = bar >= 0 ? body.slice(0, bar) : body;
    const label = bar >= 0 ? body.slice(bar + 1) : null;
    if (head[0] === '@') {
      const id = head.slice(1);
      const name = userById(id) || id === botId() ? displayName(id) : (label || id);
      return h('span', { class: 'mention' + (id === S.as ? ' mention-me' : ''), 'data-user': id }, '@' + name);
    }
    if (head[0] === '#') {
      const id = head.slice(1);
      const c = convById(id);
      const name = c && c.kind === 'channel' ? c.name : (label || (c ? c.name : id));
      return h('a', { class: 'mention channel-link', href: '#' + id, 'data-channel': id, onclick: (e) => { e.preventDefault(); if (convById(id)) openConv(id); } }, '#' + name);
    }
    if (head[0] === '!') {
      const cmd = head.slice(1);
      if (cmd.startsWith('date^')) {
        const [, epoch, format, link] = cmd.split('^');
        const shown = slackDate(parseInt(epoch, 10), format || '{date}');
        const text = shown === null ? unescapeEntities(label || '') : shown;
        const href = link && safeHref(link);
        return href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'mk-date' }, text) : h('time', { class: 'mk-date', datetime: new Date(parseInt(epoch, 10) * 1000).toISOString?.() || '' }, text);
      }
      if (cmd.startsWith('subteam^')) return h('span', { class: 'mention' }, unescapeEntities(label || '@group'));
      if (['here', 'channel', 'everyone'].includes(cmd)) return h('span', { class: 'mention mention-broadcast' }, '@' + cmd);
      return document.createTextNode(unescapeEntities(label || cmd));
    }
    const href = safeHref(head);
    const shownText = label !== null ? label : unescapeEntities(head).replace(/^mailto:/i, '');
    if (!href) return document.createTextNode(unescapeEntities(shownText));
    const a = h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'mk-link' });
    if (label !== null) inline(label, a); else a.textContent = shownText;
    const perma = permalinkTarget(href);
    if (perma) a.addEventListener('click', (e) => { e.preventDefault(); openConv(perma.channel, perma); });
    return a;
  }

  /** Links to messages of this workspace (…/archives/C…/p1764400000000100?thread_ts=…) open here. */
  function permalinkTarget(href) {
    let url;
    try { url = new URL(href, location.href); } catch (err) { return null; }
    const m = /\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})/.exec(url.pathname);
    if (!m || !convById(m[1])) return null;
    const ts = `${m[2]}.${m[3]}`;
    return { channel: m[1], ts, thread_ts: url.searchParams.get('thread_ts') || null };
  }

  // ---------------------------------------------------------------- dialogs
  function confirmDialog(confirm) {
    return new Promise((resolve) => {
      const root = $('dialog-root');
      const previous = document.activeElement;
      const done = (ok) => { root.replaceChildren(); document.removeEventListener('keydown', onKey, true); if (previous && previous.focus) previous.focus(); resolve(ok); };
      const onKey = (e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); done(false); } };
      const ok = h('button', { type: 'button', class: 'bk-btn ' + (confirm.style === 'danger' ? 'bk-danger' : 'bk-primary'), 'data-testid': 'confirm-ok', onclick: () => done(true) }, plainText(confirm.confirm || { type: 'plain_text', text: 'Yes' }));
      const deny = h('button', { type: 'button', class: 'bk-btn', 'data-testid': 'confirm-deny', onclick: () => done(false) }, plainText(confirm.deny || { type: 'plain_text', text: 'Cancel' }));
      const box = h('div', { class: 'dialog', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text', 'data-testid': 'confirm-dialog' },
        h('h2', { id: 'confirm-title', class: 'dialog-title' }, plainText(confirm.title || { type: 'plain_text', text: 'Are you sure?' })),
        h('div', { id: 'confirm-text', class: 'dialog-text' }, plainText(confirm.text || { type: 'plain_text', text: '' })),
        h('div', { class: 'dialog-buttons' }, deny, ok));
      root.replaceChildren(h('div', { class: 'overlay overlay-top', onclick: (e) => { if (e.target === e.currentTarget) done(false); } }, box));
      document.addEventListener('keydown', onKey, true);
      ok.focus();
    });
  }

  function toast(text, kind) {
    const node = h('div', { class: 'toast' + (kind ? ' toast-' + kind : ''), 'data-testid': kind === 'error' ? 'error-toast' : 'notice' }, text);
    const box = $('toasts');
    box.appendChild(node);
    while (box.childNodes.length > 3) box.removeChild(box.firstChild);
    setTimeout(() => node.remove(), kind === 'error' ? 8000 : 6000);
  }

  async function act(promise) {
    try {
      const res = await promise;
      refresh();
      return res;
    } catch (err) {
      toast(err.message, 'error');
      refresh();
      throw err;
    }
  }

  // ---------------------------------------------------------------- Block Kit
  let autoId = 0;

  function optionByValue(options, value) { return (options || []).find((o) => o.value === value) || null; }

  function allOptions(el) {
    if (el.option_groups) return el.option_groups.flatMap((g) => g.options || []);
    return el.options || [];
  }

  const cleanOption = (o) => (o ? Object.fromEntries(Object.entries(o).filter(([k]) => ['text', 'value', 'description', 'url'].includes(k))) : o);

  function conversationChoices(el) {
    const f = el.filter || {};
    const include = f.include && f.include.length ? f.include : ['public', 'private', 'im', 'mpim'];
    return convs().filter((c) => {
      if (c.kind === 'channel') return include.includes(c.is_private ? 'private' : 'public');
      if (c.kind === 'im') {
        if (f.exclude_bot_users && (c.members || []).includes(botId())) return false;
        return include.includes('im');
      }
      return include.includes(c.kind);
    }).filter((c) => !(f.exclude_external_shared_channels && c.is_ext_shared));
  }

  const userChoices = () => users().filter((u) => u.id !== botId() && !u.deleted);
  const userLabel = (u) => u.real_name || u.name || u.id;

  /**
   * Render blocks. ctx: {surface: 'message'|'home'|'modal', where, form?: Map for modal state,
   * restore?: saved values, errors?: {block_id: text}, viewId?}
   */
  function renderBlocks(blocks, ctx) {
    return (blocks || []).map((block, i) => {
      const blockId = block.block_id || `auto-${i}`;
      try {
        return renderBlock(block, blockId, ctx);
      } catch (err) {
        console.error(err);
        return h('div', { class: 'bk-unknown' }, `[block ${block.type} could not be shown: ${err.message}]`);
      }
    });
  }

  function renderBlock(block, blockId, ctx) {
    const attrs = { class: `bk bk-block-${block.type}`, 'data-block-id': blockId, 'data-block-type': block.type };
    switch (block.type) {
      case 'section': {
        const node = h('div', attrs);
        const body = h('div', { class: 'bk-section-body' });
        if (block.text) body.appendChild(h('div', { class: 'bk-text' }, plainText(block.text)));
        if (block.fields && block.fields.length) body.appendChild(h('div', { class: 'bk-fields' }, block.fields.map((f) => h('div', { class: 'bk-field' }, plainText(f)))));
        node.appendChild(body);
        if (block.accessory) node.appendChild(h('div', { class: 'bk-accessory' }, renderElement(block.accessory, blockId, ctx, { interactive: true })));
        return node;
      }
      case 'header':
        return h('h3', attrs, plainText(block.text));
      case 'divider':
        return h('hr', attrs);
      case 'context':
        return h('div', attrs, (block.elements || []).map((el) => el.type === 'image'
          ? imageOr(el.image_url || (el.slack_file && el.slack_file.url), 'bk-context-img', el.alt_text)
          : h('span', { class: 'bk-context-text' }, plainText(el))));
      case 'actions':
        return h('div', attrs, (block.elements || []).map((el) => renderElement(el, blockId, ctx, { interactive: true })));
      case 'image': {
        const url = block.image_url || (block.slack_file && (block.slack_file.url || (block.slack_file.id && `/files/${block.slack_file.id}`)));
        const src = safeImage(url);
        return h('figure', attrs,
          block.title ? h('figcaption', { class: 'bk-image-title' }, plainText(block.title)) : null,
          src ? h('a', { href: src, target: '_blank', rel: 'noopener noreferrer' }, h('img', { class: 'bk-image', src, alt: block.alt_text || '', loading: 'lazy' }))
            : url ? imageOr(url, 'bk-image', block.alt_text) : null);
      }
      case 'input': {
        const el = block.element || {};
        const id = `in-${blockId}-${el.action_id || 'x'}-${autoId++}`.replace(/[^\w-]/g, '_');
        const error = ctx.errors && ctx.errors[blockId];
        const errId = id + '-err';
        const hintId = id + '-hint';
        const control = renderElement(el, blockId, ctx, {
          interactive: !!block.dispatch_action, inputId: id, input: true, optional: !!block.optional,
          describedBy: [block.hint ? hintId : null, errId].filter(Boolean).join(' '),
        });
        const isGroup = ['checkboxes', 'radio_buttons'].includes(el.type);
        const label = h(isGroup ? 'div' : 'label', Object.assign({ class: 'bk-label' }, isGroup ? { id: id + '-label' } : { for: id }),
          plainText(block.label), block.optional ? h('span', { class: 'bk-optional' }, ' (optional)') : null);
        if (isGroup) control.setAttribute('aria-labelledby', id + '-label');
        return h('div', Object.assign(attrs, { class: attrs.class + (error ? ' bk-has-error' : '') }),
          label, control,
          block.hint ? h('div', { class: 'bk-hint', id: hintId }, plainText(block.hint)) : null,
          h('div', { class: 'bk-error', id: errId, role: 'alert', 'data-testid': 'input-error', hidden: !error }, error || ''));
      }
      case 'rich_text':
        return h('div', attrs, (block.elements || []).map(renderRichText));
      case 'file':
        return h('div', attrs, `[file ${block.external_id || ''}]`);
      default:
        return h('div', Object.assign(attrs, { class: attrs.class + ' bk-unknown' }), `[unsupported block: ${block.type}]`);
    }
  }

  function renderRichText(el) {
    const inlineEls = (els) => (els || []).map((e) => {
      let node;
      if (e.type === 'text') node = document.createTextNode(e.text || '');
      else if (e.type === 'link') node = safeHref(e.url || '') ? h('a', { href: safeHref(e.url), target: '_blank', rel: 'noopener noreferrer' }, e.text || e.url) : document.createTextNode(e.text || e.url || '');
      else if (e.type === 'user') node = h('span', { class: 'mention' }, '@' + displayName(e.user_id));
      else if (e.type === 'channel') node = h('span', { class: 'mention' }, '#' + ((convById(e.channel_id) || {}).name || e.channel_id));
      else if (e.type === 'emoji') node = document.createTextNode(emojiChar(e.name) || `:${e.name}:`);
      else if (e.type === 'broadcast') node = document.createTextNode('@' + e.range);
      else node = document.createTextNode(e.text || '');
      const st = e.style || {};
      if (st.code) node = h('code', { class: 'mk-code' }, node);
      if (st.bold) node = h('strong', null, node);
      if (st.italic) node = h('em', null, node);
      if (st.strike) node = h('del', null, node);
      return node;
    });
    switch (el.type) {
      case 'rich_text_section': return h('div', { class: 'rt-section' }, inlineEls(el.elements));
      case 'rich_text_preformatted': return h('pre', { class: 'mk-pre' }, inlineEls(el.elements));
      case 'rich_text_quote': return h('blockquote', { class: 'mk-quote' }, inlineEls(el.elements));
      case 'rich_text_list': return h(el.style === 'ordered' ? 'ol' : 'ul', { class: 'rt-list' }, (el.elements || []).map((s) => h('li', null, inlineEls(s.elements))));
      default: return h('div', null, inlineEls(el.elements));
    }
  }

  /** An image the page may load: the playground's own files and data: images, nothing from elsewhere
   * (the page never reaches the network; its CSP says img-src 'self' data:). */
  function safeImage(url) {
    if (!url) return null;
    const u = String(url);
    if (/^\/files\/[A-Za-z0-9._-]+$/.test(u)) return u;
    if (/^data:image\/(png|gif|jpe?g|webp);base64,[A-Za-z0-9+/=]+$/i.test(u)) return u;
    return null;
  }

  /** An image, or where it may not be loaded, a link to it (or a placeholder) instead. */
  function imageOr(url, cls, alt) {
    const src = safeImage(url);
    if (src) return h('img', { class: cls, src, alt: alt || '' });
    const href = url && safeHref(String(url));
    const label = `[image${alt ? ': ' + alt : ''}]`;
    return href ? h('a', { class: 'bk-image-link', href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'image-link' }, label)
      : h('span', { class: 'bk-image-link', 'data-testid': 'image-placeholder' }, label);
  }

  /** The action payload's selected value for an element's state entry. */
  function stateToAction(st) {
    const out = {};
    for (const k of ['value', 'selected_option', 'selected_options', 'selected_date', 'selected_time', 'selected_date_time',
      'selected_conversation', 'selected_conversations', 'selected_user', 'selected_users', 'selected_channel', 'selected_channels']) {
      if (k in st) out[k] = st[k];
    }
    return out;
  }

  function sendAction(ctx, blockId, el, extra) {
    const body = Object.assign({ where: ctx.where, block_id: blockId, action_id: el.action_id }, extra);
    if (ctx.surface === 'modal' && ctx.collect) body.values = ctx.collect();
    return act(post('/api/action', body)).catch(() => {});
  }

  /**
   * Render one element. opt.interactive: changes send block_actions (messages, Home, modal
   * actions blocks, dispatch_action inputs); opt.input: inside an input block (collects state).
   * Every stateful element registers a getter in ctx.form (modals) under block_id/action_id.
   */
  function renderElement(el, blockId, ctx, opt) {
    const actionId = el.action_id || `auto-${blockId}-${el.type}`;
    el = el.action_id ? el : Object.assign({}, el, { action_id: actionId });
    const dataAttrs = { 'data-action-id': actionId, 'data-element-type': el.type };
    const live = !!opt.interactive;
    const saved = ctx.restore && ctx.restore[blockId] && ctx.restore[blockId][actionId];
    let getState = null;
    const fire = (st) => { if (live) sendAction(ctx, blockId, el, stateToAction(st)); };
    const describedBy = opt.describedBy || null;
    let node;

    switch (el.type) {
      case 'button': {
        const cls = 'bk-btn' + (el.style === 'primary' ? ' bk-primary' : el.style === 'danger' ? ' bk-danger' : '') + (el.url ? ' bk-link-btn' : '');
        node = h('button', Object.assign({ type: 'button', class: cls, 'aria-label': el.accessibility_label || null }, dataAttrs), plainText(el.text), el.url ? h('span', { class: 'bk-ext', 'aria-hidden': 'true' }, ' ↗') : null);
        node.addEventListener('click', async () => {
          if (el.confirm && !(await confirmDialog(el.confirm))) return;
          if (el.url && safeHref(el.url)) window.open(safeHref(el.url), '_blank', 'noopener,noreferrer');
          node.classList.add('bk-busy');
          setTimeout(() => node.classList.remove('bk-busy'), 600);
          const extra = {};
          if (el.value !== undefined) extra.value = el.value;
          sendAction(ctx, blockId, el, extra);
        });
        return node;
      }
      case 'static_select':
      case 'external_select':
      case 'users_select':
      case 'conversations_select':
      case 'channels_select': {
        let choices, initial, stateKey, toState, fromValue;
        if (el.type === 'users_select') {
          choices = userChoices().map((u) => ({ value: u.id, label: userLabel(u) + (u.title ? ` (${u.title})` : '') }));
          initial = el.initial_user; stateKey = 'selected_user';
        } else if (el.type === 'conversations_select' || el.type === 'channels_select') {
          const list = el.type === 'channels_select' ? convs().filter((c) => c.kind === 'channel') : conversationChoices(el);
          choices = list.map((c) => ({ value: c.id, label: convLabel(c) }));
          initial = el.type === 'channels_select' ? el.initial_channel : el.initial_conversation;
          if (!initial && el.default_to_current_conversation && ctx.currentChannel) initial = ctx.currentChannel;
          stateKey = el.type === 'channels_select' ? 'selected_channel' : 'selected_conversation';
        } else {
          stateKey = 'selected_option';
          initial = el.initial_option ? el.initial_option.value : undefined;
        }
        const select = h('select', Object.assign({ id: opt.inputId || null, class: 'bk-select', 'aria-describedby': describedBy, 'aria-label': opt.inputId ? null : textOf(el.placeholder) || 'Select' }, dataAttrs));
        select.appendChild(h('option', { value: '' }, textOf(el.placeholder) || 'Select an item'));
        const flat = [];
        if (stateKey === 'selected_option') {
          const addOpt = (parent, o) => { const idx = flat.push(o) - 1; parent.appendChild(h('option', { value: String(idx) }, textOf(o.text))); };
          if (el.option_groups) {
            for (const g of el.option_groups) {
              const og = h('optgroup', { label: textOf(g.label) });
              (g.options || []).forEach((o) => addOpt(og, o));
              select.appendChild(og);
            }
          } else (el.options || []).forEach((o) => addOpt(select, o));
          toState = () => { const o = flat[parseInt(select.value, 10)]; return { type: el.type, selected_option: select.value === '' ? null : cleanOption(o) }; };
          fromValue = (v) => { const i = flat.findIndex((o) => o.value === v); select.value = i >= 0 ? String(i) : ''; };
          if (el.type === 'external_select' && !flat.length && el.initial_option) { addOpt(select, el.initial_option); }
        } else {
          for (const c of choices) select.appendChild(h('option', { value: c.value }, c.label));
          toState = () => ({ type: el.type, [stateKey]: select.value || null });
          fromValue = (v) => { select.value = v || ''; };
        }
        if (saved) fromValue(stateKey === 'selected_option' ? (saved.selected_option && saved.selected_option.value) : saved[stateKey]);
        else if (initial !== undefined) fromValue(initial);
        select.addEventListener('change', () => fire(toState()));
        getState = toState;
        node = select;
        break;
      }
      case 'multi_static_select':
      case 'multi_users_select':
      case 'multi_conversations_select':
      case 'multi_channels_select':
      case 'multi_external_select': {
        node = multiSelect(el, blockId, ctx, opt, dataAttrs, saved, fire);
        getState = node._getState;
        break;
      }
      case 'datepicker': {
        const input = h('input', Object.assign({ type: 'date', id: opt.inputId || null, class: 'bk-date', 'aria-describedby': describedBy, 'aria-label': opt.inputId ? null : textOf(el.placeholder) || 'Date' }, dataAttrs));
        input.value = saved ? (saved.selected_date || '') : (el.initial_date || '');
        getState = () => ({ type: 'datepicker', selected_date: input.value || null });
        input.addEventListener('change', () => { if (input.value) fire(getState()); });
        node = input;
        break;
      }
      case 'timepicker': {
        const input = h('input', Object.assign({ type: 'time', id: opt.inputId || null, class: 'bk-time', 'aria-describedby': describedBy, 'aria-label': opt.inputId ? null : textOf(el.placeholder) || 'Time' }, dataAttrs));
        input.value = saved ? (saved.selected_time || '') : (el.initial_time || '');
        getState = () => { const st = { type: 'timepicker', selected_time: input.value || null }; if (el.timezone) st.timezone = el.timezone; return st; };
        input.addEventListener('change', () => { if (input.value) fire(getState()); });
        node = el.timezone ? h('span', { class: 'bk-time-wrap' }, input, h('span', { class: 'bk-tz' }, ' ' + el.timezone)) : input;
        if (node !== input) { node._control = input; }
        break;
      }
      case 'datetimepicker': {
        const input = h('input', Object.assign({ type: 'datetime-local', id: opt.inputId || null, class: 'bk-datetime', 'aria-describedby': describedBy }, dataAttrs));
        const epoch = saved ? saved.selected_date_time : el.initial_date_time;
        if (epoch) input.value = epochToLocalInput(epoch);
        getState = () => ({ type: 'datetimepicker', selected_date_time: input.value ? localInputToEpoch(input.value) : null });
        input.addEventListener('change', () => { if (input.value) fire(getState()); });
        node = h('span', { class: 'bk-time-wrap' }, input, h('span', { class: 'bk-tz' }, ' ' + (myTz() || 'local time')));
        break;
      }
      case 'checkboxes':
      case 'radio_buttons': {
        const isRadio = el.type === 'radio_buttons';
        const name = `g-${blockId}-${actionId}-${autoId++}`;
        const opts = el.options || [];
        const initialValues = saved
          ? (isRadio ? [saved.selected_option && saved.selected_option.value] : (saved.selected_options || []).map((o) => o.value))
          : (isRadio ? [el.initial_option && el.initial_option.value] : (el.initial_options || []).map((o) => o.value));
        const inputs = [];
        node = h('div', Object.assign({ class: 'bk-choices', role: isRadio ? 'radiogroup' : 'group', id: opt.inputId || null, 'aria-describedby': describedBy }, dataAttrs),
          opts.map((o, i) => {
            const input = h('input', { type: isRadio ? 'radio' : 'checkbox', name, value: String(i), checked: initialValues.includes(o.value), 'data-value': o.value });
            inputs.push(input);
            input.addEventListener('change', () => fire(getState()));
            return h('label', { class: 'bk-choice' }, input,
              h('span', { class: 'bk-choice-text' }, h('span', null, plainText(o.text)), o.description ? h('span', { class: 'bk-choice-desc' }, plainText(o.description)) : null));
          }));
        getState = () => {
          const chosen = inputs.filter((x) => x.checked).map((x) => cleanOption(opts[parseInt(x.value, 10)]));
          return isRadio ? { type: el.type, selected_option: chosen[0] || null } : { type: el.type, selected_options: chosen };
        };
        break;
      }
      case 'plain_text_input':
      case 'email_text_input':
      case 'url_text_input':
      case 'number_input': {
        const multiline = el.type === 'plain_text_input' && el.multiline;
        const type = { email_text_input: 'email', url_text_input: 'url', number_input: 'text' }[el.type] || 'text';
        const input = h(multiline ? 'textarea' : 'input', Object.assign({
          id: opt.inputId || null, class: 'bk-input' + (multiline ? ' bk-multiline' : ''), type: multiline ? null : type,
          placeholder: textOf(el.placeholder) || null, maxlength: el.max_length || null, minlength: el.min_length || null,
          rows: multiline ? 4 : null, inputmode: el.type === 'number_input' ? (el.is_decimal_allowed ? 'decimal' : 'numeric') : null,
          'aria-describedby': describedBy, 'aria-label': opt.inputId ? null : textOf(el.placeholder) || 'Text',
        }, dataAttrs));
        input.value = saved ? (saved.value || '') : (el.initial_value || '');
        getState = () => ({ type: el.type, value: input.value === '' ? null : input.value });
        if (live) {
          const triggers = (el.dispatch_action_config && el.dispatch_action_config.trigger_actions_on) || ['on_enter_pressed'];
          if (triggers.includes('on_enter_pressed')) input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !multiline) { e.preventDefault(); fire(getState()); } });
          if (triggers.includes('on_character_entered')) input.addEventListener('input', debounce(() => fire(getState()), 400));
        }
        const wrap = h('div', { class: 'bk-input-wrap' }, input);
        if (el.max_length) {
          const counter = h('div', { class: 'bk-counter', 'aria-hidden': 'true' });
          const update = () => { const n = input.value.length; counter.textContent = n > el.max_length * 0.8 || (el.min_length && n < el.min_length && n > 0) ? `${n}/${el.max_length}` : ''; };
          input.addEventListener('input', update);
          update();
          wrap.appendChild(counter);
        }
        wrap._validate = () => validateText(el, input.value, opt.optional);
        node = wrap;
        break;
      }
      case 'overflow': {
        node = overflowMenu(el, dataAttrs, (o) => sendAction(ctx, blockId, el, { selected_option: cleanOption(o) }));
        return node;
      }
      case 'image':
        return imageOr(el.image_url || (el.slack_file && el.slack_file.url), 'bk-accessory-img', el.alt_text);
      case 'workflow_button':
        return h('button', Object.assign({ type: 'button', class: 'bk-btn', disabled: true }, dataAttrs), plainText(el.text));
      default:
        return h('span', { class: 'bk-unknown' }, `[unsupported element: ${el.type}]`);
    }
    if (getState && ctx.form) ctx.form.set(`${blockId}\u0000${actionId}`, { blockId, actionId, get: getState, node, el, optional: opt.optional, input: !!opt.input });
    if (el.focus_on_load && ctx.surface === 'modal') node.dataset.focusOnLoad = '1';
    return node;
  }

  function validateText(el, value, optional) {
    if (!value) return optional ? null : 'Please complete this required field.';
    if (el.type === 'number_input') {
      const re = el.is_decimal_allowed ? /^-?\d+(\.\d+)?$/ : /^-?\d+$/;
      if (!re.test(value.trim())) return el.is_decimal_allowed ? 'Please enter a number.' : 'Please enter a whole number.';
      const n = parseFloat(value);
      if (el.min_value !== undefined && n < parseFloat(el.min_value)) return `Please enter a number of at least ${el.min_value}.`;
      if (el.max_value !== undefined && n > parseFloat(el.max_value)) return `Please enter a number no greater than ${el.max_value}.`;
      return null;
    }
    if (el.min_length && value.length < el.min_length) return `Please enter at least ${el.min_length} characters.`;
    if (el.max_length && value.length > el.max_length) return `Please enter no more than ${el.max_length} characters.`;
    if (el.type === 'email_text_input' && !/^[^@\s]+@[^@\s]+$/.test(value)) return 'Please enter a valid email address.';
    return null;
  }

  function debounce(fn, ms) {
    let t = null;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  // datetimepicker: wall-clock time in the acting person's time zone <-> epoch seconds
  function epochToLocalInput(epoch) {
    const p = parts(new Date(epoch * 1000), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return `${p.year}-${p.month}-${p.day}T${p.hour === '24' ? '00' : p.hour}:${p.minute}`;
  }

  function localInputToEpoch(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
    if (!m) return null;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    const offsetAt = (t) => {
      const p = parts(new Date(t), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
      return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second) - t;
    };
    let t = wall - offsetAt(wall);
    t = wall - offsetAt(t);
    return Math.round(t / 1000);
  }

  function overflowMenu(el, dataAttrs, onPick) {
    const wrap = h('div', { class: 'bk-overflow' });
    const btn = h('button', Object.assign({ type: 'button', class: 'bk-btn bk-overflow-btn', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-label': 'More options' }, dataAttrs), '⋯');
    const menu = h('div', { class: 'menu', role: 'menu', hidden: true });
    const close = () => { menu.hidden = true; btn.setAttribute('aria-expanded', 'false'); };
    (el.options || []).forEach((o) => menu.appendChild(h('button', { type: 'button', role: 'menuitem', class: 'menu-item', 'data-value': o.value, onclick: async () => {
      close();
      if (el.confirm && !(await confirmDialog(el.confirm))) return;
      if (o.url && safeHref(o.url)) window.open(safeHref(o.url), '_blank', 'noopener,noreferrer');
      onPick(o);
    } }, plainText(o.text))));
    btn.addEventListener('click', () => { const open = menu.hidden; menu.hidden = !open; btn.setAttribute('aria-expanded', String(open)); if (open) { placeMenu(menu); menu.querySelector('button')?.focus(); } });
    menu.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); close(); btn.focus(); } });
    wrap.append(btn, menu);
    return wrap;
  }

  /** Multi selects: chips of the chosen items, and a picker (a select, or a search box for external data). */
  function multiSelect(el, blockId, ctx, opt, dataAttrs, saved, fire) {
    const kind = el.type.replace(/^multi_/, '').replace(/_select$/, ''); // static | users | conversations | channels | external
    const stateKey = { static: 'selected_options', external: 'selected_options', users: 'selected_users', conversations: 'selected_conversations', channels: 'selected_channels' }[kind];
    let choices; // [{key, label, option?}]
    if (kind === 'users') choices = userChoices().map((u) => ({ key: u.id, label: userLabel(u) }));
    else if (kind === 'conversations') choices = conversationChoices(el).map((c) => ({ key: c.id, label: convLabel(c) }));
    else if (kind === 'channels') choices = convs().filter((c) => c.kind === 'channel').map((c) => ({ key: c.id, label: convLabel(c) }));
    else choices = allOptions(el).map((o) => ({ key: o.value, label: textOf(o.text), option: o }));
    const known = new Map(choices.map((c) => [c.key, c]));
    let selected = [];
    const initial = saved ? saved[stateKey] : (kind === 'users' ? el.initial_users : kind === 'conversations' ? el.initial_conversations : kind === 'channels' ? el.initial_channels : el.initial_options);
    for (const item of initial || []) {
      if (typeof item === 'string') { if (!known.has(item)) known.set(item, { key: item, label: kind === 'users' ? displayName(item) : convLabel(convById(item)) || item }); selected.push(item); }
      else if (item && item.value !== undefined) { if (!known.has(item.value)) known.set(item.value, { key: item.value, label: textOf(item.text), option: item }); selected.push(item.value); }
    }
    const max = el.max_selected_items || Infinity;
    const chips = h('ul', { class: 'bk-chips', 'aria-label': 'Selected' });
    const wrap = h('div', Object.assign({ class: 'bk-multi' }, dataAttrs), chips);
    const toState = () => ({ type: el.type, [stateKey]: selected.map((k) => { const c = known.get(k); return c && c.option ? cleanOption(c.option) : k; }) });
    const changed = () => { drawChips(); refreshPicker(); fire(toState()); };
    const drawChips = () => {
      chips.replaceChildren(...selected.map((k) => {
        const c = known.get(k) || { label: k };
        return h('li', { class: 'bk-chip', 'data-value': k }, h('span', null, c.option ? plainText(c.option.text) : c.label),
          h('button', { type: 'button', class: 'bk-chip-x', 'aria-label': `Remove ${c.label}`, onclick: () => { selected = selected.filter((x) => x !== k); changed(); } }, '×'));
      }));
    };
    let refreshPicker;
    if (kind === 'external') {
      const input = h('input', { type: 'text', id: opt.inputId || null, class: 'bk-input', placeholder: textOf(el.placeholder) || 'Type to search', 'aria-describedby': opt.describedBy || null, 'aria-autocomplete': 'list', role: 'combobox', 'aria-expanded': 'false' });
      const list = h('ul', { class: 'bk-suggest', role: 'listbox', hidden: true });
      const note = h('div', { class: 'bk-hint', hidden: true });
      let seq = 0;
      const load = debounce(async () => {
        const value = input.value;
        if (value.length < (el.min_query_length ?? 3) && document.activeElement === input && value.length !== 0) { list.hidden = true; return; }
        const mine = ++seq;
        try {
          const res = await post('/api/options', { where: ctx.where, view_id: ctx.viewId, block_id: blockId, action_id: el.action_id, value });
          if (mine !== seq) return;
          const opts = res.option_groups ? res.option_groups.flatMap((g) => g.options || []) : (res.options || []);
          note.hidden = true;
          list.replaceChildren(...opts.filter((o) => !selected.includes(o.value)).map((o) => h('li', { role: 'option', class: 'bk-suggest-item', tabindex: '-1', 'data-value': o.value,
            onmousedown: (e) => e.preventDefault(),
            onclick: () => { if (selected.length >= max) return; known.set(o.value, { key: o.value, label: textOf(o.text), option: o }); selected.push(o.value); input.value = ''; list.hidden = true; changed(); } }, plainText(o.text))));
          list.hidden = !list.childNodes.length;
          input.setAttribute('aria-expanded', String(!list.hidden));
        } catch (err) {
          note.textContent = 'Suggestions are not available here (' + err.message + ').';
          note.hidden = false;
        }
      }, 200);
      input.addEventListener('input', load);
      input.addEventListener('focus', load);
      input.addEventListener('blur', () => setTimeout(() => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); }, 150));
      input.addEventListener('keydown', (e) => {
        const items = [...list.querySelectorAll('li')];
        if (e.key === 'ArrowDown' && items.length) { e.preventDefault(); list.hidden = false; items[0].focus(); }
        if (e.key === 'Enter') { e.preventDefault(); if (items.length) items[0].click(); }
      });
      list.addEventListener('keydown', (e) => {
        const items = [...list.querySelectorAll('li')];
        const i = items.indexOf(document.activeElement);
        if (e.key === 'ArrowDown') { e.preventDefault(); items[Math.min(i + 1, items.length - 1)].focus(); }
        if (e.key === 'ArrowUp') { e.preventDefault(); if (i <= 0) input.focus(); else items[i - 1].focus(); }
        if (e.key === 'Enter') { e.preventDefault(); document.activeElement.click(); input.focus(); }
      });
      wrap.append(h('div', { class: 'bk-suggest-wrap' }, input, list), note);
      refreshPicker = () => { input.disabled = selected.length >= max; };
    } else {
      const picker = h('select', { id: opt.inputId || null, class: 'bk-select', 'aria-describedby': opt.describedBy || null, 'aria-label': opt.inputId ? null : textOf(el.placeholder) || 'Add' });
      picker.addEventListener('change', () => {
        if (picker.value !== '' && selected.length < max) { selected.push(picker.value); changed(); }
        picker.value = '';
      });
      refreshPicker = () => {
        const full = selected.length >= max;
        picker.replaceChildren(h('option', { value: '' }, full ? `Up to ${max} items` : (textOf(el.placeholder) || 'Select items')));
        if (kind === 'static' && el.option_groups) {
          for (const g of el.option_groups) {
            const og = h('optgroup', { label: textOf(g.label) });
            for (const o of g.options || []) if (!selected.includes(o.value)) og.appendChild(h('option', { value: o.value }, textOf(o.text)));
            picker.appendChild(og);
          }
        } else {
          for (const c of choices) if (!selected.includes(c.key)) picker.appendChild(h('option', { value: c.key }, c.label));
        }
        picker.disabled = full;
      };
      wrap.appendChild(picker);
    }
    drawChips();
    refreshPicker();
    wrap._getState = toState;
    wrap._validate = () => (!opt.optional && !selected.length ? 'Please complete this required field.' : null);
    return wrap;
  }

  // ---------------------------------------------------------------- messages
  function authorOf(msg) {
    const isBot = msg.bot || msg.user === botId();
    const name = msg.username || (isBot && !msg.user ? ((S.state.bot && S.state.bot.name) || 'Knowhow') : displayName(msg.user));
    const u = userById(msg.user);
    const color = isBot ? '#611f69' : (u && u.color) || '#6b6b6b';
    return { isBot, name, color };
  }

  function messageKey(msg, where) {
    const editing = S.editing && S.editing.ts === msg.ts ? 'E' : '';
    return `${where}|${S.epoch}|${editing}|${JSON.stringify(msg)}`;
  }

  function renderMessage(msg, where, channel) {
    const key = messageKey(msg, where);
    const cached = msgCache.get(key);
    if (cached) { cached._used = true; return cached; }
    const author = authorOf(msg);
    const date = tsDate(msg.ts);
    const own = msg.user === S.as && !msg.bot && !msg.ephemeral;
    const node = h('div', {
      class: 'message' + (msg.ephemeral ? ' message-ephemeral' : '') + (own ? ' message-own' : ''),
      'data-testid': 'message', 'data-ts': msg.ts, 'data-user': msg.user || '', 'data-channel': channel, tabindex: '-1',
      'aria-label': `${author.name}, ${timeOf(date)}`,
    });
    const avatar = h('div', { class: 'avatar', style: `background:${author.color}`, 'aria-hidden': 'true' }, author.isBot ? 'K' : initials(author.name));
    const head = h('div', { class: 'message-head' },
      h('span', { class: 'author', style: `color:${author.color}` }, author.name),
      author.isBot ? h('span', { class: 'app-badge' }, 'APP') : null,
      h('time', { class: 'msg-time', datetime: date.toISOString(), title: fmt(date, { dateStyle: 'full', timeStyle: 'short' }) }, timeOf(date)));
    const body = h('div', { class: 'message-body' });
    if (msg.ephemeral) body.appendChild(h('div', { class: 'ephemeral-note' }, icon('eye'), ' Only visible to you',
      h('button', { type: 'button', class: 'link-btn', 'data-testid': 'dismiss', onclick: () => { S.dismissed.add(`${channel}|${msg.ts}`); renderConversation(); } }, 'Dismiss')));
    if (S.editing && S.editing.ts === msg.ts && S.editing.channel === channel) {
      body.appendChild(editBox(msg, channel));
    } else {
      const ctx = { surface: 'message', where: { type: 'message', channel, ts: msg.ts }, currentChannel: channel };
      // A person's message carries rich_text blocks built from what they typed: Slack's client shows
      // their formatting, so the text's mrkdwn is shown (a bot's blocks are always rendered as they are).
      const typed = !msg.bot && msg.text && (msg.blocks || []).every((bl) => bl.type === 'rich_text');
      if (msg.blocks && msg.blocks.length && !typed) body.appendChild(h('div', { class: 'blocks' }, renderBlocks(msg.blocks, ctx)));
      const edited = msg.edited ? h('span', { class: 'edited', 'data-testid': 'edited' }, '(edited)') : null;
      if (msg.blocks && msg.blocks.length && !typed) { if (edited) body.appendChild(edited); }
      else if (msg.text || edited) body.appendChild(h('div', { class: 'message-text bk-text' }, mrkdwn(msg.text || ''), edited));
    }
    for (const f of msg.files || []) {
      const url = safeImage(f.url || (f.id && `/files/${f.id}`));
      const isImage = /^image\//.test(f.mimetype || '') || /\.(png|jpe?g|gif|webp)$/i.test(f.name || '');
      body.appendChild(h('figure', { class: 'file', 'data-testid': 'file' },
        f.title || f.name ? h('figcaption', { class: 'file-title' }, f.title || f.name) : null,
        isImage && url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, h('img', { class: 'file-img', src: url, alt: f.title || f.name || 'image' }))
          : url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, f.name || 'file') : null));
    }
    if (msg.reactions && msg.reactions.length) {
      body.appendChild(h('div', { class: 'reactions' }, msg.reactions.map((r) => {
        const mine = (r.users || []).includes(S.as);
        const who = (r.users || []).map(displayName).join(', ');
        return h('button', { type: 'button', class: 'reaction' + (mine ? ' reaction-mine' : ''), 'data-testid': 'reaction', 'data-name': r.name, 'aria-pressed': String(mine),
          title: `${who} reacted with :${r.name}:`, onclick: () => act(post('/api/react', Object.assign({ channel, ts: msg.ts, name: r.name }, mine ? { remove: true } : {}))).catch(() => {}) },
        h('span', { class: 'emoji' }, emojiChar(r.name) || `:${r.name}:`), ' ', String(r.count || (r.users || []).length));
      })));
    }
    if (where === 'main' && msg.reply_count > 0) {
      const last = msg.latest_reply ? ` · Last reply ${timeOf(tsDate(msg.latest_reply))}` : '';
      body.appendChild(h('button', { type: 'button', class: 'replies-link', 'data-testid': 'replies', onclick: () => openThread(channel, msg.ts) },
        (msg.reply_users || []).slice(0, 4).map((uid) => { const u = userById(uid); return h('span', { class: 'mini-avatar', style: `background:${uid === botId() ? '#611f69' : (u && u.color) || '#888'}`, 'aria-hidden': 'true' }, uid === botId() ? 'K' : initials(displayName(uid))); }),
        h('span', { class: 'replies-count' }, `${msg.reply_count} ${msg.reply_count === 1 ? 'reply' : 'replies'}`), h('span', { class: 'replies-last' }, last)));
    }
    node.append(avatar, h('div', { class: 'message-main' }, head, body));
    if (!msg.ephemeral) node.appendChild(messageMenu(msg, where, channel, own));
    msgCache.set(key, node);
    node._used = true;
    return node;
  }

  function messageMenu(msg, where, channel, own) {
    const bar = h('div', { class: 'msg-actions', role: 'toolbar', 'aria-label': 'Message actions' });
    const pop = h('div', { class: 'menu emoji-menu', role: 'menu', hidden: true, 'data-testid': 'emoji-menu' });
    const more = h('div', { class: 'menu more-menu', role: 'menu', hidden: true, 'data-testid': 'more-menu' });
    const closeAll = () => { pop.hidden = true; more.hidden = true; };
    for (const name of QUICK_EMOJI) {
      pop.appendChild(h('button', { type: 'button', role: 'menuitem', class: 'menu-emoji', 'data-testid': `react-${name}`, title: `:${name}:`, 'aria-label': `React with ${name.replace(/_/g, ' ')}`,
        onclick: () => { closeAll(); act(post('/api/react', { channel, ts: msg.ts, name })).catch(() => {}); } }, emojiChar(name)));
    }
    for (const sc of (S.state.shortcuts || [])) {
      more.appendChild(h('button', { type: 'button', role: 'menuitem', class: 'menu-item', 'data-testid': `shortcut-${sc.callback_id}`, title: sc.description || '',
        onclick: () => { closeAll(); act(post('/api/shortcut', { callback_id: sc.callback_id, channel, ts: msg.ts })).catch(() => {}); } }, sc.name));
    }
    if (where === 'main') {
      more.appendChild(h('button', { type: 'button', role: 'menuitem', class: 'menu-item', 'data-testid': 'reply', onclick: () => { closeAll(); openThread(channel, msg.ts); } }, 'Reply in thread'));
    }
    if (own) {
      more.appendChild(h('button', { type: 'button', role: 'menuitem', class: 'menu-item', 'data-testid': 'edit', onclick: () => { closeAll(); S.editing = { channel, ts: msg.ts, text: msg.text || '' }; rerenderMessages(); } }, 'Edit message'));
      more.appendChild(h('button', { type: 'button', role: 'menuitem', class: 'menu-item menu-danger', 'data-testid': 'delete', onclick: async () => {
        closeAll();
        const ok = await confirmDialog({ title: { type: 'plain_text', text: 'Delete message' }, text: { type: 'plain_text', text: 'Are you sure you want to delete this message? This cannot be undone.' }, confirm: { type: 'plain_text', text: 'Delete' }, deny: { type: 'plain_text', text: 'Cancel' }, style: 'danger' });
        if (ok) act(post('/api/delete', { channel, ts: msg.ts })).catch(() => {});
      } }, 'Delete message'));
    }
    const reactBtn = h('button', { type: 'button', class: 'icon-btn', 'data-testid': 'react', 'aria-label': 'Add reaction', 'aria-haspopup': 'menu', title: 'Add reaction',
      onclick: () => { const open = pop.hidden; closeAll(); pop.hidden = !open; if (open) { placeMenu(pop); pop.querySelector('button').focus(); } } }, '☺');
    const moreBtn = h('button', { type: 'button', class: 'icon-btn', 'data-testid': 'msg-menu', 'aria-label': 'More actions', 'aria-haspopup': 'menu', title: 'More actions',
      onclick: () => { const open = more.hidden; closeAll(); more.hidden = !open; if (open) { placeMenu(more); more.querySelector('button')?.focus(); } } }, '⋯');
    bar.append(reactBtn);
    if (where === 'main') bar.append(h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Reply in thread', title: 'Reply in thread', 'data-testid': 'reply-btn', onclick: () => openThread(channel, msg.ts) }, icon('reply')));
    if (more.childNodes.length) bar.append(moreBtn);
    bar.append(pop, more);
    bar.addEventListener('keydown', (e) => { if (e.key === 'Escape' && (!pop.hidden || !more.hidden)) { e.stopPropagation(); closeAll(); moreBtn.focus(); } });
    bar.addEventListener('focusout', () => setTimeout(() => { if (!bar.contains(document.activeElement)) closeAll(); }, 0));
    return bar;
  }

  /** Open a menu upwards when there is no room below it in its scrolling pane. */
  function placeMenu(menu) {
    menu.classList.remove('menu-up');
    const pane = menu.closest('.messages') || document.body;
    const room = pane.getBoundingClientRect().bottom - menu.getBoundingClientRect().bottom;
    if (room < 4) menu.classList.add('menu-up');
  }

  function editBox(msg, channel) {
    const ta = h('textarea', { class: 'edit-box', 'data-testid': 'edit-box', 'aria-label': 'Edit message', rows: 2 });
    ta.value = S.editing.text;
    const cancel = () => { S.editing = null; rerenderMessages(); };
    const save = async () => {
      const text = ta.value.trim();
      if (!text) return;
      try { await act(post('/api/edit', { channel, ts: msg.ts, text })); S.editing = null; rerenderMessages(); } catch (err) { /* toast shown */ }
    };
    ta.addEventListener('input', () => { S.editing.text = ta.value; });
    ta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); save(); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); cancel(); }
    });
    setTimeout(() => { ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); }, 0);
    return h('div', { class: 'edit-wrap' }, ta, h('div', { class: 'edit-buttons' },
      h('button', { type: 'button', class: 'bk-btn', onclick: cancel, 'data-testid': 'edit-cancel' }, 'Cancel'),
      h('button', { type: 'button', class: 'bk-btn bk-primary', onclick: save, 'data-testid': 'edit-save' }, 'Save')));
  }

  function daySeparator(date) {
    const rel = relativeDay(date);
    const text = rel ? rel[0].toUpperCase() + rel.slice(1) : fmt(date, { weekday: 'long', month: 'long', day: 'numeric' });
    return h('div', { class: 'day-sep', role: 'separator' }, h('span', null, text));
  }

  function buildList(msgs, where, channel) {
    const nodes = [];
    let lastDay = null;
    const sepCache = buildList.seps || (buildList.seps = new Map());
    for (const msg of msgs) {
      if (S.dismissed.has(`${channel}|${msg.ts}`)) continue;
      const day = dayKey(tsDate(msg.ts));
      if (day !== lastDay && where === 'main') {
        const k = `${channel}|${day}|${S.epoch}`;
        if (!sepCache.has(k)) sepCache.set(k, daySeparator(tsDate(msg.ts)));
        nodes.push(sepCache.get(k));
        lastDay = day;
      }
      nodes.push(renderMessage(msg, where, channel));
    }
    return nodes;
  }

  function withScroll(container, fn, forceBottom) {
    const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
    const top = container.scrollTop;
    fn();
    if (forceBottom || atBottom) container.scrollTop = container.scrollHeight;
    else container.scrollTop = top;
  }

  function renderConversation(forceBottom) {
    const box = $('messages');
    const channel = S.view && S.view.kind === 'conv' ? S.view.id : null;
    if (!channel) return;
    const msgs = (S.messagesFor === channel ? S.messages : []).slice().sort((a, b) => parseFloat(a.ts) - parseFloat(b.ts));
    withScroll(box, () => {
      const nodes = buildList(msgs, 'main', channel);
      if (!nodes.length) nodes.push(emptyNote(channel));
      reconcile(box, nodes);
    }, forceBottom);
    if (S.focusTarget && S.focusTarget.channel === channel) {
      const node = box.querySelector(`[data-ts="${CSS.escape(S.focusTarget.ts)}"]`);
      if (node) { node.scrollIntoView({ block: 'center' }); node.classList.add('flash'); setTimeout(() => node.classList.remove('flash'), 2000); S.focusTarget = null; }
    }
  }

  const emptyNotes = new Map();
  function emptyNote(channel) {
    const c = convById(channel);
    const k = `${channel}|${S.epoch}`;
    if (!emptyNotes.has(k)) emptyNotes.set(k, h('div', { class: 'empty' }, c && c.kind === 'channel' ? `This is the very beginning of #${c.name}.` : `This is the very beginning of your conversation with ${c ? c.name : 'them'}.`));
    return emptyNotes.get(k);
  }

  function renderThread(forceBottom) {
    const pane = $('thread');
    if (!S.thread) { pane.hidden = true; document.body.classList.remove('thread-open'); return; }
    pane.hidden = false;
    document.body.classList.add('thread-open');
    const c = convById(S.thread.channel);
    $('thread-where').textContent = c ? convLabel(c) : '';
    const box = $('thread-messages');
    const data = S.threadData && S.threadData.channel === S.thread.channel && S.threadData.ts === S.thread.ts ? S.threadData : null;
    withScroll(box, () => {
      const nodes = [];
      if (data && data.root) {
        nodes.push(renderMessage(data.root, 'thread-root', S.thread.channel));
        const n = (data.replies || []).filter((r) => !r.ephemeral).length;  // as Slack counts them
        const k = `sep|${n}`;
        const seps = renderThread.seps || (renderThread.seps = new Map());
        if (!seps.has(k)) seps.set(k, h('div', { class: 'thread-sep' }, h('span', null, `${n} ${n === 1 ? 'reply' : 'replies'}`)));
        nodes.push(seps.get(k));
        nodes.push(...buildList(data.replies || [], 'thread', S.thread.channel));
      }
      reconcile(box, nodes);
    }, forceBottom);
  }

  function rerenderMessages() { renderConversation(); renderThread(); gcCache(); }

  function gcCache() {
    const live = new Set([...$('messages').children, ...$('thread-messages').children]);
    for (const [k, node] of msgCache) if (!live.has(node)) msgCache.delete(k);
  }

  // ---------------------------------------------------------------- sidebar
  function renderSidebar() {
    const st = S.state;
    const key = JSON.stringify([S.as, st.team, st.users, st.conversations, S.view, S.thread && S.thread.channel]);
    if (key === S.sidebarKey) return;
    S.sidebarKey = key;
    $('workspace-name').textContent = (st.team && st.team.name) || 'Playground';
    document.title = `${(st.team && st.team.name) || 'Playground'} · Knowhow playground`;

    const sel = $('act-as');
    const people = userChoices();
    const want = people.map((u) => `${u.id}|${userLabel(u)}|${u.title || ''}|${u.location || ''}`).join(',');
    if (sel.dataset.key !== want) {
      sel.dataset.key = want;
      sel.replaceChildren(...people.map((u) => h('option', { value: u.id }, `${userLabel(u)}${u.title ? ' · ' + u.title : ''}${u.location ? ' · ' + u.location : ''}`)));
    }
    if (sel.value !== S.as) sel.value = S.as;

    const item = (id, label, icon, extra) => {
      const active = S.view && ((id === 'home' && S.view.kind === 'home') || (S.view.kind === 'conv' && S.view.id === id));
      return h('li', null, h('button', Object.assign({
        type: 'button', class: 'nav-item' + (active ? ' active' : ''), 'data-testid': id === 'home' ? 'nav-home' : `conv-${id}`,
        'aria-current': active ? 'page' : null, onclick: () => (id === 'home' ? openHome() : openConv(id)),
      }, extra || {}), h('span', { class: 'nav-icon', 'aria-hidden': 'true' }, icon), h('span', { class: 'nav-label' }, label)));
    };
    const section = (title, items) => (items.length ? h('section', { class: 'nav-section' }, h('h2', { class: 'nav-title' }, title), h('ul', { class: 'nav-list' }, items)) : null);
    const cs = convs();
    const channels = cs.filter((c) => c.kind === 'channel').sort((a, b) => a.name.localeCompare(b.name));
    const ims = cs.filter((c) => c.kind === 'im');
    const mpims = cs.filter((c) => c.kind === 'mpim');
    const imOther = (c) => (c.members || []).find((m) => m !== S.as) || S.as;
    const imLabel = (c) => { const o = imOther(c); return o === botId() ? c.name || displayName(o) : displayName(o) + (o === S.as ? ' (you)' : ''); };
    ims.sort((a, b) => (imOther(a) === botId() ? -1 : imOther(b) === botId() ? 1 : imLabel(a).localeCompare(imLabel(b))));
    const appName = (st.bot && st.bot.name) || 'Knowhow';
    reconcile($('sidebar-lists'), [
      section('Apps', [item('home', `${appName} · Home`, '⌂', { title: 'App Home' })]),
      section('Channels', channels.map((c) => item(c.id, c.name, c.is_private ? icon('lock') : '#', { title: c.topic || null }))),
      section('Direct messages', ims.map((c) => item(c.id, imLabel(c), imOther(c) === botId() ? '◆' : '●'))),
      section('Group messages', mpims.map((c) => item(c.id, c.name, '◎'))),
    ].filter(Boolean));
  }

  // ---------------------------------------------------------------- header, home
  function renderHeader() {
    const title = $('main-title'), topic = $('main-topic');
    if (S.view.kind === 'home') {
      title.textContent = (S.state.bot && S.state.bot.name) || 'Knowhow';
      topic.textContent = 'App Home';
      return;
    }
    const c = convById(S.view.id);
    title.textContent = c ? convLabel(c) : S.view.id;
    const n = c && c.members ? c.members.length : 0;
    topic.textContent = c ? [c.topic, c.kind === 'channel' && n ? `${n} members` : null].filter(Boolean).join(' · ') : '';
    $('composer').placeholder = c ? `Message ${convLabel(c)}` : 'Message';
  }

  function renderHome() {
    const body = $('home-body');
    const home = S.state.home;
    const key = JSON.stringify([home, S.epoch]);
    if (key === S.homeKey) return;
    S.homeKey = key;
    if (!home) {
      body.replaceChildren(h('div', { class: 'empty' }, 'Opening the App Home… (Knowhow has not published a Home view for this person yet.)'));
      return;
    }
    const view = home.view || home;
    const viewId = home.id || home.view_id || view.id || null;
    const ctx = { surface: 'home', where: { type: 'view', view_id: viewId } };
    body.replaceChildren(h('div', { class: 'blocks home-blocks' }, renderBlocks(view.blocks, ctx)));
  }

  // ---------------------------------------------------------------- modal
  function collectModal(form) {
    const values = {};
    for (const entry of form.values()) {
      (values[entry.blockId] = values[entry.blockId] || {})[entry.actionId] = entry.get();
    }
    return values;
  }

  function renderModal() {
    const root = $('modal-root');
    const modal = S.state.modal;
    if (!modal || !modal.view) {
      if (S.modalKey !== null) { root.replaceChildren(); S.modalKey = null; document.body.classList.remove('modal-open'); if (S.modalReturnFocus && document.contains(S.modalReturnFocus)) S.modalReturnFocus.focus(); }
      return;
    }
    const view = modal.view;
    const viewId = modal.id || view.id;
    const key = JSON.stringify([viewId, view, modal.stack_depth, S.as]);
    if (key === S.modalKey) { showModalErrors(Object.assign({}, modal.errors || {}, S.clientErrors)); return; }
    const previousKey = S.modalKey;
    // where the person was typing, to put them back there when the same view is drawn again
    const active = document.activeElement;
    const activeBlock = active && root.contains(active) ? active.closest('[data-block-id]') : null;
    const focusAgain = activeBlock ? { block: activeBlock.dataset.blockId, action: (active.closest('[data-action-id]') || active).dataset.actionId,
      start: active.selectionStart, end: active.selectionEnd } : null;
    // keep what was typed when the same view is re-rendered (views.update keeps input state in Slack)
    if (root._form && root._viewId) S.modalValues[root._viewId] = collectModal(root._form);
    if (previousKey === null) S.modalReturnFocus = document.activeElement;
    S.modalKey = key;
    S.clientErrors = {};
    document.body.classList.add('modal-open');
    const form = new Map();
    const ctx = { surface: 'modal', where: { type: 'view', view_id: viewId }, viewId, form, restore: S.modalValues[viewId] || null, errors: modal.errors || {}, currentChannel: S.view && S.view.id };
    ctx.collect = () => collectModal(form);
    const blocks = renderBlocks(view.blocks, ctx);
    if (modal.problem) blocks.unshift(h('div', { class: 'modal-problem', role: 'alert', 'data-testid': 'modal-problem' }, `Slack would refuse this view: ${modal.problem}`));
    const titleId = 'modal-title';
    const submitBtn = view.submit ? h('button', { type: 'submit', class: 'bk-btn bk-primary', 'data-testid': 'modal-submit' }, plainText(view.submit)) : null;
    const closeBtn = h('button', { type: 'button', class: 'bk-btn', 'data-testid': 'modal-close', onclick: () => closeModal(viewId) }, plainText(view.close || { type: 'plain_text', text: submitBtn ? 'Cancel' : 'Close' }));
    const formEl = h('form', { class: 'modal-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); submitModal(viewId, form, formEl, submitBtn); } },
      h('div', { class: 'modal-body' }, blocks),
      h('footer', { class: 'modal-footer' }, closeBtn, submitBtn));
    const box = h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, 'data-testid': 'modal', 'data-view-id': viewId || '', 'data-callback-id': view.callback_id || '' },
      h('header', { class: 'modal-header' },
        modal.stack_depth > 1 ? h('span', { class: 'modal-depth', title: 'Pushed view', 'aria-hidden': 'true' }, '‹ ') : null,
        h('h2', { id: titleId, class: 'modal-title' }, plainText(view.title)),
        h('button', { type: 'button', class: 'icon-btn modal-x', 'aria-label': 'Close', 'data-testid': 'modal-x', onclick: () => closeModal(viewId) }, '×')),
      formEl);
    root._form = form;
    root._viewId = viewId;
    const overlay = h('div', { class: 'overlay' }, box);
    root.replaceChildren(overlay);
    const sameView = previousKey && JSON.parse(previousKey)[0] === viewId;
    if (sameView && focusAgain) {
      const blockNode = [...box.querySelectorAll('[data-block-id]')].find((n) => n.dataset.blockId === focusAgain.block);
      const target = blockNode && ([...blockNode.querySelectorAll('[data-action-id]')].find((n) => n.dataset.actionId === focusAgain.action) || blockNode);
      const control = target && (target.matches('input, textarea, select, button') ? target : target.querySelector('input, textarea, select, button'));
      if (control) {
        control.focus();
        try { if (focusAgain.start != null) control.setSelectionRange(focusAgain.start, focusAgain.end); } catch (err) { /* not a text field */ }
      }
    }
    if (!box.contains(document.activeElement)) {
      const first = box.querySelector('[data-focus-on-load] input, [data-focus-on-load]:is(input,textarea,select), [data-focus-on-load] textarea') || box.querySelector('.modal-body input, .modal-body textarea, .modal-body select, .modal-body button') || closeBtn;
      first.focus();
    }
  }

  function showModalErrors(errors) {
    const root = $('modal-root');
    for (const blockNode of root.querySelectorAll('[data-block-type="input"]')) {
      const err = errors[blockNode.dataset.blockId];
      const slot = blockNode.querySelector(':scope > .bk-error');
      if (!slot) continue;
      slot.textContent = err || '';
      slot.hidden = !err;
      blockNode.classList.toggle('bk-has-error', !!err);
    }
  }

  async function submitModal(viewId, form, formEl, submitBtn) {
    const errors = {};
    for (const entry of form.values()) {
      if (!entry.input) continue;
      const node = entry.node;
      let err = null;
      if (node._validate) err = node._validate();
      else if (!entry.optional) {
        const st = entry.get();
        const empty = Object.entries(st).filter(([k]) => k !== 'type' && k !== 'timezone').every(([, v]) => v === null || v === undefined || (Array.isArray(v) && !v.length));
        if (empty) err = 'Please complete this required field.';
      }
      if (err && !errors[entry.blockId]) errors[entry.blockId] = err;
    }
    S.clientErrors = errors;
    if (Object.keys(errors).length) {
      showModalErrors(errors);
      const first = formEl.querySelector('.bk-has-error input, .bk-has-error textarea, .bk-has-error select');
      if (first) first.focus();
      return;
    }
    showModalErrors({});
    const values = collectModal(form);
    S.modalValues[viewId] = values;
    if (submitBtn) { submitBtn.disabled = true; submitBtn.classList.add('bk-busy'); }
    try {
      const res = await post('/api/submit', { view_id: viewId, values });
      if (res && res.errors) showModalErrors(res.errors);
    } catch (err) {
      if (err.data && err.data.errors) showModalErrors(err.data.errors);
      else toast(err.message, 'error');
    } finally {
      if (submitBtn) { submitBtn.disabled = false; submitBtn.classList.remove('bk-busy'); }
      refresh();
    }
  }

  function closeModal(viewId) {
    delete S.modalValues[viewId];
    act(post('/api/close', { view_id: viewId })).catch(() => {});
  }

  // ---------------------------------------------------------------- navigation
  function openConv(id, target) {
    S.view = { kind: 'conv', id };
    if (target && target.thread_ts) S.thread = { channel: id, ts: target.thread_ts };
    if (target && target.ts) S.focusTarget = { channel: id, ts: target.ts };
    if (location.hash !== '#' + id) history.replaceState(null, '', '#' + id);
    $('conversation').hidden = false;
    $('home').hidden = true;
    document.body.classList.remove('sidebar-shown');
    if (S.messagesFor !== id) {
      S.messages = []; S.messagesFor = null;
      const c = convById(id);
      if (c && c.kind === 'im' && (c.members || []).includes(botId())) post('/api/home', { tab: 'messages' }).catch(() => {});
    }
    renderAll();
    refresh(true);
    $('composer').focus();
  }

  function openHome() {
    S.view = { kind: 'home' };
    history.replaceState(null, '', '#home');
    $('conversation').hidden = true;
    $('home').hidden = false;
    document.body.classList.remove('sidebar-shown');
    renderAll();
    act(post('/api/home', { tab: 'home' })).catch(() => {});
  }

  function openThread(channel, ts) {
    S.thread = { channel, ts };
    S.threadData = null;
    renderThread();
    refresh(true);
    setTimeout(() => $('thread-composer').focus(), 0);
  }

  function closeThread() {
    S.thread = null;
    S.threadData = null;
    renderThread();
    renderSidebar();
  }

  function setAs(id) {
    if (!id || id === S.as) return;
    S.as = id;
    try { localStorage.setItem('knowhow-playground-as', id); } catch (err) { /* private mode */ }
    S.version = null;
    S.epoch++;
    S.modalKey = null; S.homeKey = null; S.sidebarKey = null;
    $('modal-root').replaceChildren();
    S.thread = null; S.threadData = null; S.editing = null;
    post('/api/as', {}).catch((err) => toast(err.message, 'error'));
    // On the App Home, the new person opens their own (Slack sends app_home_opened for them).
    if (S.view && S.view.kind === 'home') post('/api/home', { tab: 'home' }).catch(() => {});
    refresh(true);
  }

  function renderAll() {
    if (!S.state) return;
    document.body.dataset.version = String(S.state.version);
    document.body.dataset.as = S.as || '';
    renderSidebar();
    if (S.view) renderHeader();
    if (S.view && S.view.kind === 'home') renderHome();
    else renderConversation();
    renderThread();
    renderModal();
    gcCache();
  }

  /** The server hands each notice out once (the state read that returns it clears it). */
  /** Each notice once (another poll may answer before the acknowledgement is in), then acknowledged. */
  const shownNotices = new Set();
  function handleNotices(list) {
    const fresh = (list || []).filter((n) => !shownNotices.has(n.id));
    for (const n of fresh) { shownNotices.add(n.id); toast(n.text); }
    if (fresh.length) post('/api/ack_notices', { ids: fresh.map((n) => n.id) }).catch(() => {});
  }

  // ---------------------------------------------------------------- polling
  let timer = null, running = false, again = false, forceNext = false;

  function refresh(force) {
    if (force) forceNext = true;
    if (running) { again = true; return; }
    clearTimeout(timer);
    tick();
  }

  async function tick() {
    running = true;
    const force = forceNext;
    forceNext = false;
    try {
      if (!S.as) S.as = DEFAULT_AS;
      const asked = S.as;
      const st = await api('GET', '/api/state?' + q({ as: asked }));
      $('offline').hidden = true;
      if (S.as !== asked) { forceNext = true; again = true; return; }  // switched person meanwhile: this answer is someone else's
      if (st.me && st.me !== S.as) { /* the server does not know this person: take its choice */ S.as = st.me; S.epoch++; }
      const changed = st.version !== S.version;
      if (changed || force) {
        const namesChanged = !S.state || JSON.stringify([S.state.users, S.state.conversations]) !== JSON.stringify([st.users, st.conversations]);
        if (namesChanged) S.epoch++;
        S.state = st;
        S.version = st.version;
        if (!S.view || (S.view.kind === 'conv' && !convById(S.view.id))) chooseDefaultView();
        await loadConversation();
        renderAll();
      }
      handleNotices(st.notices);
    } catch (err) {
      if (err.offline) $('offline').hidden = false;
      else if (err.status >= 400 && err.status < 500 && S.as !== DEFAULT_AS && !S.state) {
        // a person this server does not know (a stale choice from another run): start over as the default
        S.as = DEFAULT_AS;
        try { localStorage.removeItem('knowhow-playground-as'); } catch (e) { /* private mode */ }
        again = true;
      } else if (err.status >= 400 && err.status < 500 && !S.state) {
        $('offline').textContent = `The playground does not know the person ${S.as} (${err.message}). Open the page with ?as=<a user id>.`;
        $('offline').hidden = false;
      } else console.warn(err);
    } finally {
      running = false;
      if (again) { again = false; tick(); } else timer = setTimeout(tick, POLL_MS);
    }
  }

  function chooseDefaultView() {
    const hash = decodeURIComponent(location.hash.slice(1));
    if (hash === 'home') { S.view = { kind: 'home' }; $('conversation').hidden = true; $('home').hidden = false; post('/api/home', {}).catch(() => {}); return; }
    const cs = convs();
    const pick = convById(hash) || convById(S.state.default_conversation) || cs.find((c) => c.kind === 'channel' && !c.is_private) || cs[0];
    if (pick) { S.view = { kind: 'conv', id: pick.id }; $('conversation').hidden = false; $('home').hidden = true; }
  }

  async function loadConversation() {
    const jobs = [];
    if (S.view && S.view.kind === 'conv') {
      const channel = S.view.id;
      jobs.push(api('GET', '/api/messages?' + q({ as: S.as, channel })).then((res) => {
        if (S.view && S.view.kind === 'conv' && S.view.id === channel) {
          const first = S.messagesFor !== channel;
          S.messages = res.messages || [];
          S.messagesFor = channel;
          if (first) requestAnimationFrame(() => renderConversation(true));
        }
      }).catch((err) => console.warn(err)));
    }
    if (S.thread) {
      const { channel, ts } = S.thread;
      jobs.push(api('GET', '/api/thread?' + q({ as: S.as, channel, ts })).then((res) => {
        if (S.thread && S.thread.channel === channel && S.thread.ts === ts) {
          S.threadData = { channel, ts, root: res.root, replies: res.replies || [] };
        }
      }).catch((err) => {
        if (err.status === 404 && S.thread && S.thread.ts === ts) { S.thread = null; S.threadData = null; toast('That thread no longer exists.', 'error'); }
      }));
    }
    await Promise.all(jobs);
  }

  // ---------------------------------------------------------------- composers
  function autosize(ta) {
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight, 200) + 'px';
  }

  let hintIndex = 0;
  function slashMatches(text) {
    if (!text.startsWith('/') || /\s/.test(text)) return [];
    return ((S.state && S.state.commands) || []).filter((c) => c.command.startsWith(text.toLowerCase()));
  }

  function renderHints() {
    const ta = $('composer');
    const list = $('slash-hints');
    const matches = slashMatches(ta.value);
    if (!matches.length) { list.hidden = true; ta.setAttribute('aria-expanded', 'false'); ta.removeAttribute('aria-activedescendant'); return; }
    hintIndex = Math.max(0, Math.min(hintIndex, matches.length - 1));
    list.replaceChildren(...matches.map((c, i) => h('li', {
      id: `hint-${i}`, role: 'option', class: 'slash-hint' + (i === hintIndex ? ' active' : ''), 'aria-selected': String(i === hintIndex), 'data-command': c.command,
      onmousedown: (e) => e.preventDefault(), onclick: () => completeHint(c),
    }, h('span', { class: 'slash-cmd' }, c.command), c.usage_hint ? h('span', { class: 'slash-usage' }, ' ' + c.usage_hint) : null,
    h('div', { class: 'slash-desc' }, c.description || ''))));
    list.hidden = false;
    ta.setAttribute('aria-expanded', 'true');
    ta.setAttribute('aria-activedescendant', `hint-${hintIndex}`);
  }

  function completeHint(c) {
    const ta = $('composer');
    ta.value = c.command + ' ';
    ta.focus();
    renderHints();
  }

  async function sendFrom(ta, errorBox, threadTs) {
    const text = ta.value.trim();
    if (!text || !S.view) return;
    const channel = threadTs ? S.thread.channel : S.view.id;
    errorBox.textContent = '';
    if (text.startsWith('/')) {
      const cmd = text.split(/\s/)[0].toLowerCase();
      if (!((S.state && S.state.commands) || []).some((c) => c.command === cmd)) {
        errorBox.textContent = `${cmd} is not a valid command. In the playground: ${((S.state && S.state.commands) || []).map((c) => c.command).join(', ')}.`;
        return;
      }
    }
    const saved = ta.value;
    ta.value = '';
    autosize(ta);
    renderHints();
    try {
      const body = { channel, text };
      if (threadTs) body.thread_ts = threadTs;
      await post('/api/message', body);
      refresh(true);
      if (!threadTs) requestAnimationFrame(() => { const box = $('messages'); box.scrollTop = box.scrollHeight; });
    } catch (err) {
      if (!ta.value) ta.value = saved;
      autosize(ta);
      errorBox.textContent = err.message;
    }
  }

  function setupComposers() {
    const ta = $('composer');
    ta.addEventListener('input', () => { autosize(ta); hintIndex = 0; renderHints(); $('composer-error').textContent = ''; });
    ta.addEventListener('blur', () => setTimeout(() => { $('slash-hints').hidden = true; }, 150));
    ta.addEventListener('focus', renderHints);
    ta.addEventListener('keydown', (e) => {
      const matches = slashMatches(ta.value);
      const open = !$('slash-hints').hidden && matches.length;
      if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
        e.preventDefault();
        hintIndex = (hintIndex + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
        renderHints();
        return;
      }
      if (open && e.key === 'Tab') { e.preventDefault(); completeHint(matches[hintIndex]); return; }
      if (open && e.key === 'Escape') { e.preventDefault(); $('slash-hints').hidden = true; return; }
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        const exact = matches.some((c) => c.command === ta.value.trim().toLowerCase());
        if (open && !exact) { completeHint(matches[hintIndex]); return; }
        sendFrom(ta, $('composer-error'), null);
      }
    });
    $('composer-form').addEventListener('submit', (e) => { e.preventDefault(); sendFrom(ta, $('composer-error'), null); });

    const tta = $('thread-composer');
    tta.addEventListener('input', () => { autosize(tta); $('thread-error').textContent = ''; });
    tta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); if (S.thread) sendFrom(tta, $('thread-error'), S.thread.ts); }
    });
    $('thread-form').addEventListener('submit', (e) => { e.preventDefault(); if (S.thread) sendFrom(tta, $('thread-error'), S.thread.ts); });
  }

  function setup() {
    const params = new URLSearchParams(location.search);
    try { S.as = params.get('as') || localStorage.getItem('knowhow-playground-as') || null; } catch (err) { S.as = params.get('as') || null; }
    setupComposers();
    $('act-as').addEventListener('change', (e) => setAs(e.target.value));
    $('thread-close').addEventListener('click', closeThread);
    $('sidebar-open').addEventListener('click', () => document.body.classList.add('sidebar-shown'));
    $('sidebar-close').addEventListener('click', () => document.body.classList.remove('sidebar-shown'));
    document.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      if ($('dialog-root').childNodes.length) return;
      if (S.state && S.state.modal && $('modal-root').childNodes.length) { e.preventDefault(); closeModal(S.state.modal.id || S.state.modal.view.id); return; }
      if (S.editing) { S.editing = null; rerenderMessages(); return; }
      if (document.body.classList.contains('sidebar-shown')) { document.body.classList.remove('sidebar-shown'); return; }
      if (S.thread) { e.preventDefault(); closeThread(); $('composer').focus(); }
    });
    // keep keyboard focus inside an open modal
    document.addEventListener('focusin', (e) => {
      const modal = document.querySelector('#modal-root .modal');
      if (modal && !$('dialog-root').childNodes.length && !modal.contains(e.target)) {
        const first = modal.querySelector('input, textarea, select, button');
        if (first) first.focus();
      }
    });
    // re-render relative dates ("today", "in 3 minutes") once a minute
    setInterval(() => { S.epoch++; if (S.state) renderAll(); }, 60000);
    // the back and forward buttons, a link or a typed #C… / #home: go where the hash says
    window.addEventListener('hashchange', () => {
      if (!S.state) return;
      const hash = decodeURIComponent(location.hash.slice(1));
      if (hash === 'home') { if (!S.view || S.view.kind !== 'home') openHome(); }
      else if (convById(hash) && !(S.view && S.view.kind === 'conv' && S.view.id === hash)) openConv(hash);
    });
    window.knowhowPlayground = { state: () => S.state, as: () => S.as, refresh: () => refresh(true) };
    refresh(true);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup);
  else setup();
})();
