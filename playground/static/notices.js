/* What the page tells the person: confirm dialogs, toasts, the workspace's notices. */
import { $, h } from './dom.js';
import { plainText } from './mrkdwn.js';
import { refresh } from './polling.js';
import { post } from './state.js';

export function confirmDialog(confirm) {
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

export function toast(text, kind) {
  const node = h('div', { class: 'toast' + (kind ? ' toast-' + kind : ''), 'data-testid': kind === 'error' ? 'error-toast' : 'notice' }, text);
  const box = $('toasts');
  box.appendChild(node);
  while (box.childNodes.length > 3) box.removeChild(box.firstChild);
  setTimeout(() => node.remove(), kind === 'error' ? 8000 : 6000);
}

export async function act(promise) {
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

export const shownNotices = new Set();
export function handleNotices(list) {
  const fresh = (list || []).filter((n) => !shownNotices.has(n.id));
  for (const n of fresh) { shownNotices.add(n.id); toast(n.text); }
  if (fresh.length) post('/api/ack_notices', { ids: fresh.map((n) => n.id) }).catch(() => {});
}

// ---------------------------------------------------------------- polling
