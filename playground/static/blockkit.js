/* Block Kit: blocks and interactive elements, rendered and wired to /api/action. */
import { parts } from './dates.js';
import { $, emojiChar, h } from './dom.js';
import { placeMenu } from './messages.js';
import { plainText, safeHref, textOf } from './mrkdwn.js';
import { act, confirmDialog } from './notices.js';
import { botId, convById, convLabel, convs, displayName, myTz, post, users } from './state.js';

export let autoId = 0;
export const COUNTED_FROM = 20; // characters: a text input's limit from which its characters are counted

export function optionByValue(options, value) { return (options || []).find((o) => o.value === value) || null; }

export function allOptions(el) {
  if (el.option_groups) return el.option_groups.flatMap((g) => g.options || []);
  return el.options || [];
}

export const cleanOption = (o) => (o ? Object.fromEntries(Object.entries(o).filter(([k]) => ['text', 'value', 'description', 'url'].includes(k))) : o);

export function conversationChoices(el) {
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

export const userChoices = () => users().filter((u) => u.id !== botId() && !u.deleted);
export const userLabel = (u) => u.real_name || u.name || u.id;

/**
 * Render blocks. ctx: {surface: 'message'|'home'|'modal', where, form?: Map for modal state,
 * restore?: saved values, errors?: {block_id: text}, viewId?}
 */
export function renderBlocks(blocks, ctx) {
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

export function renderBlock(block, blockId, ctx) {
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

export function renderRichText(el) {
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
export function safeImage(url) {
  if (!url) return null;
  const u = String(url);
  if (/^\/files\/[A-Za-z0-9._-]+$/.test(u)) return u;
  if (/^data:image\/(png|gif|jpe?g|webp);base64,[A-Za-z0-9+/=]+$/i.test(u)) return u;
  return null;
}

/** An image, or where it may not be loaded, a link to it (or a placeholder) instead. */
export function imageOr(url, cls, alt) {
  const src = safeImage(url);
  if (src) return h('img', { class: cls, src, alt: alt || '' });
  const href = url && safeHref(String(url));
  const label = `[image${alt ? ': ' + alt : ''}]`;
  return href ? h('a', { class: 'bk-image-link', href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'image-link' }, label)
    : h('span', { class: 'bk-image-link', 'data-testid': 'image-placeholder' }, label);
}

/** The action payload's selected value for an element's state entry. */
export function stateToAction(st) {
  const out = {};
  for (const k of ['value', 'selected_option', 'selected_options', 'selected_date', 'selected_time', 'selected_date_time',
    'selected_conversation', 'selected_conversations', 'selected_user', 'selected_users', 'selected_channel', 'selected_channels']) {
    if (k in st) out[k] = st[k];
  }
  return out;
}

export function sendAction(ctx, blockId, el, extra) {
  const body = Object.assign({ where: ctx.where, block_id: blockId, action_id: el.action_id }, extra);
  if (ctx.surface === 'modal' && ctx.collect) body.values = ctx.collect();
  return act(post('/api/action', body)).catch(() => {});
}

/**
 * Render one element. opt.interactive: changes send block_actions (messages, Home, modal
 * actions blocks, dispatch_action inputs); opt.input: inside an input block (collects state).
 * Every stateful element registers a getter in ctx.form (modals) under block_id/action_id.
 */
export function renderElement(el, blockId, ctx, opt) {
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
      // A counter near the limit of a text that can be long; a short field (a two-digit number
      // typed as text) is bounded by its box, and "2/2" under it would only be noise.
      if (el.max_length >= COUNTED_FROM && el.type !== 'number_input') {
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

export function validateText(el, value, optional) {
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

export function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// datetimepicker: wall-clock time in the acting person's time zone <-> epoch seconds
export function epochToLocalInput(epoch) {
  const p = parts(new Date(epoch * 1000), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${p.year}-${p.month}-${p.day}T${p.hour === '24' ? '00' : p.hour}:${p.minute}`;
}

export function localInputToEpoch(value) {
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

export function overflowMenu(el, dataAttrs, onPick) {
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
export function multiSelect(el, blockId, ctx, opt, dataAttrs, saved, fire) {
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
        // Slack's answer holds `options` or `option_groups` (the server passes on whichever Knowhow gave).
        const groups = Array.isArray(res.option_groups) ? res.option_groups : [{ options: res.options || [] }];
        const item = (o) => h('li', { role: 'option', class: 'bk-suggest-item', tabindex: '-1', 'data-value': o.value,
          onmousedown: (e) => e.preventDefault(),
          onclick: () => { if (selected.length >= max) return; known.set(o.value, { key: o.value, label: textOf(o.text), option: o }); selected.push(o.value); input.value = ''; list.hidden = true; changed(); } }, plainText(o.text));
        note.hidden = true;
        list.replaceChildren(...groups.flatMap((g) => {
          const items = (g.options || []).filter((o) => !selected.includes(o.value)).map(item);
          return items.length && g.label ? [h('li', { role: 'presentation', class: 'bk-suggest-group' }, plainText(g.label)), ...items] : items;
        }));
        list.hidden = !list.querySelector('[role="option"]');
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
      const items = [...list.querySelectorAll('[role="option"]')];
      if (e.key === 'ArrowDown' && items.length) { e.preventDefault(); list.hidden = false; items[0].focus(); }
      if (e.key === 'Enter') { e.preventDefault(); if (items.length) items[0].click(); }
    });
    list.addEventListener('keydown', (e) => {
      const items = [...list.querySelectorAll('[role="option"]')];
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
