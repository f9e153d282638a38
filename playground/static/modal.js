/* Modals: the top of the person's stack, its inputs kept across redraws, submit and close. */
import { renderBlocks } from './blockkit.js';
import { $, h } from './dom.js';
import { plainText } from './mrkdwn.js';
import { toast } from './notices.js';
import { refresh } from './polling.js';
import { S, post } from './state.js';

export function collectModal(form) {
  const values = {};
  for (const entry of form.values()) {
    (values[entry.blockId] = values[entry.blockId] || {})[entry.actionId] = entry.get();
  }
  return values;
}

export function renderModal() {
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

export function showModalErrors(errors) {
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

export async function submitModal(viewId, form, formEl, submitBtn) {
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

export function closeModal(viewId) {
  delete S.modalValues[viewId];
  // A view Knowhow closed meanwhile (its submission's answer, on its way as Cancel was clicked) is
  // closed, as the person wanted: Slack's client says nothing then, and neither does the page.
  post('/api/close', { view_id: viewId }).catch((err) => {
    if (!(err.data && err.data.error === 'view_not_found')) toast(err.message, 'error');
  }).finally(() => refresh());
}
