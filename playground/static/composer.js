/* The message boxes: sending, slash command hints, autosize. */
import { $, h } from './dom.js';
import { refresh } from './polling.js';
import { S, post } from './state.js';

export function autosize(ta) {
  ta.style.height = 'auto';
  ta.style.height = Math.min(ta.scrollHeight, 200) + 'px';
}

export let hintIndex = 0;
export function slashMatches(text) {
  if (!text.startsWith('/') || /\s/.test(text)) return [];
  return ((S.state && S.state.commands) || []).filter((c) => c.command.startsWith(text.toLowerCase()));
}

export function renderHints() {
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

export function completeHint(c) {
  const ta = $('composer');
  ta.value = c.command + ' ';
  ta.focus();
  renderHints();
}

export async function sendFrom(ta, errorBox, threadTs) {
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

export function setupComposers() {
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
