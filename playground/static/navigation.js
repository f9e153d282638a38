/* Where the person is: the sidebar, the header, opening a conversation, the Home, a thread, acting as
 * someone, and in which workspace of the organisation (switching workspace is switching person's place:
 * a person of the other office switches the workspace, and a workspace the person is not in switches
 * to someone who is). */
import { userChoices, userLabel } from './blockkit.js';
import { $, h, icon, reconcile } from './dom.js';
import { renderHome } from './home.js';
import { gcCache, renderConversation, renderThread } from './messages.js';
import { renderModal } from './modal.js';
import { act, toast } from './notices.js';
import { refresh } from './polling.js';
import { S, botId, convById, convLabel, convs, displayName, post, teamsOf, workspaceById, workspaces } from './state.js';

export function renderSidebar() {
  const st = S.state;
  const key = JSON.stringify([S.as, st.team, st.workspaces, st.users, st.conversations, S.view, S.thread && S.thread.channel]);
  if (key === S.sidebarKey) return;
  S.sidebarKey = key;
  $('workspace-name').textContent = (st.team && st.team.name) || 'Playground';
  document.title = `${(st.team && st.team.name) || 'Playground'} · Knowhow playground`;

  // The organisation's workspaces: choosing one the person is not in switches to someone who is.
  const wsel = $('workspace');
  const offices = workspaces();
  const wantWs = offices.map((w) => `${w.id}|${w.name}|${w.is_member}`).join(',');
  if (wsel.dataset.key !== wantWs) {
    wsel.dataset.key = wantWs;
    wsel.replaceChildren(...offices.map((w) => h('option', { value: w.id }, w.name)));
  }
  if (wsel.value !== (st.team && st.team.id)) wsel.value = st.team && st.team.id;

  // Everyone in the organisation, the people of this workspace first; choosing someone of the other
  // office only switches the workspace too. The menu shows whole names; who the chosen person is
  // (title, place, admin or not) is said under it, where it has the room.
  const sel = $('act-as');
  const people = userChoices();
  const here = (st.team && st.team.id) || '';
  const groups = [[here, people.filter((u) => (u.teams || []).includes(here))]];
  for (const w of offices) {
    if (w.id !== here) groups.push([w.id, people.filter((u) => (u.teams || [])[0] === w.id && !(u.teams || []).includes(here))]);
  }
  const want = JSON.stringify([here, groups.map(([id, us]) => [id, us.map((u) => [userLabel(u), whoIs(u)])])]);
  if (sel.dataset.key !== want) {
    sel.dataset.key = want;
    sel.replaceChildren(...groups.filter(([, us]) => us.length).map(([id, us]) => {
      const w = workspaceById(id);
      const title = w ? (id === here ? w.name : `${w.name} (switches workspace)`) : id;
      return h('optgroup', { label: title }, us.map((u) => h('option', { value: u.id, title: whoIs(u) }, userLabel(u))));
    }));
  }
  if (sel.value !== S.as) sel.value = S.as;
  const me = people.find((u) => u.id === S.as);
  $('act-as-who').textContent = me ? whoIs(me) : '';

  const item = (id, label, icon, extra, suffix) => {
    const active = S.view && ((id === 'home' && S.view.kind === 'home') || (S.view.kind === 'conv' && S.view.id === id));
    return h('li', null, h('button', Object.assign({
      type: 'button', class: 'nav-item' + (active ? ' active' : ''), 'data-testid': id === 'home' ? 'nav-home' : `conv-${id}`,
      'aria-current': active ? 'page' : null, onclick: () => (id === 'home' ? openHome() : openConv(id)),
    }, extra || {}), h('span', { class: 'nav-icon', 'aria-hidden': 'true' }, icon), h('span', { class: 'nav-label' }, label), suffix || null));
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
    section('Channels', channels.map((c) => item(c.id, c.name, c.is_private ? icon('lock') : '#', {
      title: [c.topic, sharedNote(c)].filter(Boolean).join(' · ') || null,
    }, sharedNote(c) ? h('span', { class: 'nav-shared', 'data-testid': 'shared', 'aria-hidden': 'true' }, '⇄') : null))),
    section('Direct messages', ims.map((c) => item(c.id, imLabel(c), imOther(c) === botId() ? '◆' : '●'))),
    section('Group messages', mpims.map((c) => item(c.id, c.name, '◎'))),
  ].filter(Boolean));
}

/** "Head of Learning & Development · London · Slack admin": who someone one may act as is. */
export function whoIs(u) {
  const role = u.is_slack_admin ? 'Slack admin' : u.is_admin ? 'Knowhow admin' : null;
  return [u.title, u.location, role].filter(Boolean).join(' · ');
}

/** "Shared by Acme London and Acme Singapore" for a channel the organisation's workspaces share. */
export function sharedNote(c) {
  const teams = [c.team_id, ...(c.shared_team_ids || [])].filter(Boolean);
  if (teams.length < 2) return null;
  const names = teams.map((id) => (workspaceById(id) || { name: id }).name);
  return `Shared by ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
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
  topic.textContent = c ? [c.topic, c.kind === 'channel' && n ? `${n} members` : null, c.kind === 'channel' ? sharedNote(c) : null].filter(Boolean).join(' · ') : '';
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

function remember() {
  try {
    localStorage.setItem('knowhow-playground-as', S.as);
    if (S.team) localStorage.setItem('knowhow-playground-team', S.team);
  } catch (err) { /* private mode */ }
}

function moved() {
  S.version = null;
  S.epoch++;
  S.modalKey = null; S.homeKey = null; S.sidebarKey = null;
  $('modal-root').replaceChildren();
  S.thread = null; S.threadData = null; S.editing = null;
  remember();
  // On the App Home, the person opens theirs there (Slack sends app_home_opened for them).
  if (S.view && S.view.kind === 'home') post('/api/home', { tab: 'home' }).catch(() => {});
  refresh(true);
}

/** Act as another person; one who is not in the current workspace takes the page to theirs. */
export function setAs(id) {
  if (!id || id === S.as) return;
  S.as = id;
  const teams = teamsOf(id);
  if (teams.length && !teams.includes(S.team)) S.team = teams[0];
  if (S.team) S.lastAs[S.team] = id;
  post('/api/as', {}).catch((err) => toast(err.message, 'error'));
  moved();
}

/** Switch workspace; when the person is not in it, act as whoever was last acted as there, or its first person. */
export function setTeam(team, then) {
  if (!team) return;
  if (team === S.team && !then) return;
  const w = workspaceById(team);
  S.team = team;
  if (!teamsOf(S.as).includes(team)) {
    const last = S.lastAs[team];
    S.as = last && teamsOf(last).includes(team) ? last : ((w && w.members && w.members[0]) || S.as);
  }
  S.lastAs[team] = S.as;
  if (then) {
    S.view = { kind: 'conv', id: then.channel };
    $('conversation').hidden = false;
    $('home').hidden = true;
    if (then.thread_ts) S.thread = { channel: then.channel, ts: then.thread_ts };
  }
  else if (S.view && S.view.kind === 'conv' && !(w && (w.channels || []).includes(S.view.id)) && !/^[DG]/.test(S.view.id)) {
    S.view = null;  // a channel the new workspace does not have: its default one opens
    history.replaceState(null, '', location.pathname + location.search);
  }
  const thread = S.thread;
  moved();
  if (then) {
    S.thread = thread;
    if (then.ts) S.focusTarget = { channel: then.channel, ts: then.ts };
    history.replaceState(null, '', '#' + then.channel);
  }
}

export function renderAll() {
  if (!S.state) return;
  document.body.dataset.version = String(S.state.version);
  document.body.dataset.as = S.as || '';
  document.body.dataset.team = S.team || '';
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
