/* Slack's mrkdwn: bold, italics, code, quotes, links and mentions, rendered as DOM nodes. */
import { slackDate } from './dates.js';
import { $, emojiChar, h } from './dom.js';
import { openConv, setTeam } from './navigation.js';
import { S, botId, convById, displayName, userById, workspaces } from './state.js';

export const unescapeEntities = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

export function emojify(text, parent) {
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

export function plainText(obj) {
  const frag = document.createDocumentFragment();
  if (!obj) return frag;
  if (typeof obj === 'string') return emojify(obj, frag);
  if (obj.type === 'mrkdwn') return mrkdwn(obj.text || '', { verbatim: obj.verbatim });
  if (obj.emoji === false) { frag.appendChild(document.createTextNode(obj.text || '')); return frag; }
  return emojify(obj.text || '', frag);
}

export const textOf = (obj) => (obj ? (typeof obj === 'string' ? obj : obj.text || '') : '');

export function mrkdwn(text) {
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

export const QUOTE = /^(?:&gt;|>)\s?(.*)$/;

export function mkLines(text, parent) {
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

export const INLINE = [
  { kind: 'angle', re: /<([^<>\n]+)>/g },
  { kind: 'code', re: /`([^`\n]+)`/g },
  { kind: 'b', re: /(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g },
  { kind: 'i', re: /(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g },
  { kind: 's', re: /(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g },
];

export const balanced = (s) => (s.match(/</g) || []).length === (s.match(/>/g) || []).length && (s.match(/`/g) || []).length % 2 === 0;

export function nextMatch(pattern, text, from) {
  pattern.re.lastIndex = from;
  let m;
  while ((m = pattern.re.exec(text))) {
    if (pattern.kind === 'angle' || pattern.kind === 'code' || balanced(m[1])) return m;
    pattern.re.lastIndex = m.index + 1;
  }
  return null;
}

export function inline(text, parent) {
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

export function safeHref(url) {
  const u = unescapeEntities(url.trim());
  return /^(https?:\/\/|mailto:)/i.test(u) ? u : null;
}

export function angleToken(body) {
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
  if (perma) a.addEventListener('click', (e) => { e.preventDefault(); if (perma.team) setTeam(perma.team, perma); else openConv(perma.channel, perma); });
  return a;
}

/** Links to messages (…/archives/C…/p1764400000000100?thread_ts=…) open here: in this workspace when
 * the channel is one of its own or shared with it, else in the person's other workspace that has it
 * (`team`: the page switches there). */
export function permalinkTarget(href) {
  let url;
  try { url = new URL(href, location.href); } catch (err) { return null; }
  const m = /\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})/.exec(url.pathname);
  if (!m) return null;
  const target = { channel: m[1], ts: `${m[2]}.${m[3]}`, thread_ts: url.searchParams.get('thread_ts') || null };
  if (convById(m[1])) return target;
  const elsewhere = workspaces().find((w) => w.is_member && w.id !== S.team && (w.channels || []).includes(m[1]));
  return elsewhere ? Object.assign(target, { team: elsewhere.id }) : null;
}
