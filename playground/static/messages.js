/* Messages: a conversation, a thread, one message with its menu, reactions and edit box. */
import { renderBlocks, safeImage } from './blockkit.js';
import { autosize } from './composer.js';
import { dayKey, fmt, relativeDay, timeOf, tsDate } from './dates.js';
import { $, emojiChar, h, icon, reconcile } from './dom.js';
import { mrkdwn } from './mrkdwn.js';
import { openThread } from './navigation.js';
import { act, confirmDialog } from './notices.js';
import { QUICK_EMOJI, S, botId, convById, convLabel, displayName, initials, msgCache, post, userById } from './state.js';

export function authorOf(msg) {
  const isBot = msg.bot || msg.user === botId();
  const name = msg.username || (isBot && !msg.user ? ((S.state.bot && S.state.bot.name) || 'Knowhow') : displayName(msg.user));
  const u = userById(msg.user);
  const color = isBot ? '#611f69' : (u && u.color) || '#6b6b6b';
  return { isBot, name, color };
}

export function messageKey(msg, where) {
  const editing = S.editing && S.editing.ts === msg.ts ? 'E' : '';
  return `${where}|${S.epoch}|${editing}|${JSON.stringify(msg)}`;
}

export function renderMessage(msg, where, channel) {
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

export function messageMenu(msg, where, channel, own) {
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
export function placeMenu(menu) {
  menu.classList.remove('menu-up');
  const pane = menu.closest('.messages') || document.body;
  const room = pane.getBoundingClientRect().bottom - menu.getBoundingClientRect().bottom;
  if (room < 4) menu.classList.add('menu-up');
}

export function editBox(msg, channel) {
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

export function daySeparator(date) {
  const rel = relativeDay(date);
  const text = rel ? rel[0].toUpperCase() + rel.slice(1) : fmt(date, { weekday: 'long', month: 'long', day: 'numeric' });
  return h('div', { class: 'day-sep', role: 'separator' }, h('span', null, text));
}

export function buildList(msgs, where, channel) {
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

export function withScroll(container, fn, forceBottom) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
  const top = container.scrollTop;
  fn();
  if (forceBottom || atBottom) container.scrollTop = container.scrollHeight;
  else container.scrollTop = top;
}

export function renderConversation(forceBottom) {
  const box = $('messages');
  const channel = S.view && S.view.kind === 'conv' ? S.view.id : null;
  if (!channel) return;
  const msgs = (S.messagesFor === channel ? S.messages : []).slice().sort((a, b) => parseFloat(a.ts) - parseFloat(b.ts));
  withScroll(box, () => reconcile(box, [intro(channel), ...buildList(msgs, 'main', channel)]), forceBottom);
  if (S.focusTarget && S.focusTarget.channel === channel) {
    const node = box.querySelector(`[data-ts="${CSS.escape(S.focusTarget.ts)}"]`);
    if (node) { node.scrollIntoView({ block: 'center' }); node.classList.add('flash'); setTimeout(() => node.classList.remove('flash'), 2000); S.focusTarget = null; }
  }
}

/** What opens a conversation's history, as in Slack: where it begins; in the Q&A channel, where the
 * page opens, the playground's welcome, unless --demo filled the playground (state.demo). */
export const intros = new Map();
export function intro(channel) {
  const c = convById(channel);
  const k = `${channel}|${S.epoch}|${S.state.demo}`;
  if (!intros.has(k)) {
    intros.set(k, channel === S.state.default_conversation && !S.state.demo ? welcome(c) : h('div', { class: 'empty' },
      c && c.kind === 'channel' ? `This is the very beginning of #${c.name}.` : `This is the very beginning of your conversation with ${c ? c.name : 'them'}.`));
  }
  return intros.get(k);
}

// Three things to try, each a command the "Try it" button puts in the message box (the person sends it).
const TRIES = [
  ['Ask the whole company', '/ask How do I get a second monitor for working from home?',
    'Knowhow posts it here. Then act as someone else and answer in its thread, and back as the asker, accept the answer.'],
  ['Host an expert session', '/expert channels add #ask-the-expert',
    'An admin’s step (Alice is one): that channel then hosts sessions, and /expert schedule plans one there.'],
  ['Find a mentor', '/mentor',
    'Opens the Mentor Center: volunteer as one person, then look for a mentor as another.'],
];

/** The playground's first-run message: what it is, three things to try, and the demo's tip. */
export function welcome(c) {
  const org = (S.state.enterprise && S.state.enterprise.name) || 'the company';
  const tryIt = (command) => () => {
    const box = $('composer');
    box.value = command;
    autosize(box);
    box.focus();
  };
  return h('section', { class: 'welcome', 'data-testid': 'welcome', 'aria-labelledby': 'welcome-title' },
    h('h3', { id: 'welcome-title', class: 'welcome-title' }, 'Welcome to the Knowhow playground'),
    h('p', null, `${org}, a pretend company on your machine, with Knowhow answering as it would in Slack. `,
      'Be anyone: choose them under ', h('strong', null, 'Act as'), ', top left. Three things to try:'),
    h('ol', { class: 'welcome-tries' }, TRIES.map(([title, command, what]) => h('li', null,
      h('strong', null, title), ': ', h('code', { class: 'mk-code' }, command), ' ',
      h('button', { type: 'button', class: 'link-btn', 'data-testid': 'try', onclick: tryIt(command) }, 'Try it'),
      h('div', { class: 'welcome-what' }, what)))),
    h('p', { class: 'welcome-tip' }, 'Tip: stop it and run ', h('code', { class: 'mk-code' }, 'make demo'),
      ' to start with answered questions, an expert session about to open and mentors who volunteered.'),
    h('p', { class: 'welcome-end' }, c ? `This is the very beginning of #${c.name}.` : ''));
}

export function renderThread(forceBottom) {
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

export function rerenderMessages() { renderConversation(); renderThread(); gcCache(); }

export function gcCache() {
  const live = new Set([...$('messages').children, ...$('thread-messages').children]);
  for (const [k, node] of msgCache) if (!live.has(node)) msgCache.delete(k);
}
