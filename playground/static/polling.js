/* Polling: the state every POLL_MS, the open conversation and thread when the version moved. */
import { $, EMOJI, loadEmoji } from './dom.js';
import { renderConversation } from './messages.js';
import { renderAll } from './navigation.js';
import { handleNotices, toast } from './notices.js';
import { DEFAULT_AS, POLL_MS, S, api, convById, convs, post, q, workspaces } from './state.js';

export let timer = null, running = false, again = false, forceNext = false;

export function refresh(force) {
  if (force) forceNext = true;
  if (running) { again = true; return; }
  clearTimeout(timer);
  tick();
}

export async function tick() {
  running = true;
  const force = forceNext;
  forceNext = false;
  try {
    if (!S.as) S.as = DEFAULT_AS;
    const asked = S.as, askedTeam = S.team;
    const st = await api('GET', '/api/state?' + q(Object.assign({ as: asked }, askedTeam ? { team: askedTeam } : {})));
    $('offline').hidden = true;
    // switched person or workspace meanwhile: this answer is for someone or somewhere else
    if (S.as !== asked || S.team !== askedTeam) { forceNext = true; again = true; return; }
    if (st.me && st.me !== S.as) { /* the server does not know this person: take its choice */ S.as = st.me; S.epoch++; }
    if (st.team && st.team.id !== S.team) {
      // no workspace chosen yet, or one this person is not in: the server's choice (their first)
      S.team = st.team.id;
      S.epoch++;
      try { localStorage.setItem('knowhow-playground-team', S.team); } catch (err) { /* private mode */ }
    }
    S.lastAs[S.team] = S.as;
    const changed = st.version !== S.version;
    if (changed || force) {
      const namesChanged = !S.state || JSON.stringify([S.state.users, S.state.conversations, S.state.team]) !== JSON.stringify([st.users, st.conversations, st.team]);
      if (namesChanged) S.epoch++;
      S.state = st;
      S.version = st.version;
      if (!S.view || (S.view.kind === 'conv' && !convById(S.view.id))) {
        if (chooseDefaultView() === 'elsewhere') { forceNext = true; again = true; return; }
      }
      await loadConversation();
      renderAll();
    }
    handleNotices(st.notices);
    // The emoji list, if the server was not answering when the page started: drawn again with it.
    if (!EMOJI.size) loadEmoji().then((loaded) => { if (loaded) { S.epoch++; renderAll(); } });
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

export function chooseDefaultView() {
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash === 'home') { S.view = { kind: 'home' }; $('conversation').hidden = true; $('home').hidden = false; post('/api/home', { tab: 'home' }).catch(() => {}); return; }
  // A channel of the person's other workspace (a link, a bookmark): go there.
  const elsewhere = hash && !convById(hash) && workspaces().find((w) => w.is_member && w.id !== S.team && (w.channels || []).includes(hash));
  if (elsewhere) { S.team = elsewhere.id; S.view = { kind: 'conv', id: hash }; S.epoch++; return 'elsewhere'; }
  const cs = convs();
  const pick = convById(hash) || convById(S.state.default_conversation) || cs.find((c) => c.kind === 'channel' && !c.is_private) || cs[0];
  if (pick) { S.view = { kind: 'conv', id: pick.id }; $('conversation').hidden = false; $('home').hidden = true; }
}

export async function loadConversation() {
  const jobs = [];
  if (S.view && S.view.kind === 'conv') {
    const channel = S.view.id;
    jobs.push(api('GET', '/api/messages?' + q({ as: S.as, team: S.team || '', channel })).then((res) => {
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
    jobs.push(api('GET', '/api/thread?' + q({ as: S.as, team: S.team || '', channel, ts })).then((res) => {
      if (S.thread && S.thread.channel === channel && S.thread.ts === ts) {
        S.threadData = { channel, ts, root: res.root, replies: res.replies || [] };
      }
    }).catch((err) => {
      if (err.status === 404 && S.thread && S.thread.ts === ts) { S.thread = null; S.threadData = null; toast('That thread no longer exists.', 'error'); }
    }));
  }
  await Promise.all(jobs);
}
