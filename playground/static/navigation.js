/* Where the person is: the sidebar, the header, opening a conversation, the Home, a thread, acting as someone. */
import { userChoices, userLabel } from './blockkit.js';
import { $, h, icon, reconcile } from './dom.js';
import { renderHome } from './home.js';
import { gcCache, renderConversation, renderThread } from './messages.js';
import { renderModal } from './modal.js';
import { act, toast } from './notices.js';
import { refresh } from './polling.js';
import { S, botId, convById, convLabel, convs, displayName, post } from './state.js';

export function renderSidebar() {
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
export function renderHeader() {
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

export function openConv(id, target) {
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

export function openHome() {
  S.view = { kind: 'home' };
  history.replaceState(null, '', '#home');
  $('conversation').hidden = true;
  $('home').hidden = false;
  document.body.classList.remove('sidebar-shown');
  renderAll();
  act(post('/api/home', { tab: 'home' })).catch(() => {});
}

export function openThread(channel, ts) {
  S.thread = { channel, ts };
  S.threadData = null;
  renderThread();
  refresh(true);
  setTimeout(() => $('thread-composer').focus(), 0);
}

export function closeThread() {
  S.thread = null;
  S.threadData = null;
  renderThread();
  renderSidebar();
}

export function setAs(id) {
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

export function renderAll() {
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
