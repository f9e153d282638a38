/* The page's state, the server's JSON API (API.md) and lookups in what it last said. */
import { parts } from './dates.js';
import { $ } from './dom.js';

export const POLL_MS = 700;
export const DEFAULT_AS = 'U0ALICE001'; // the sample organisation's first person, when the page is given none
export const QUICK_EMOJI = ['white_check_mark', '+1', 'tada', 'eyes', 'heart', 'raised_hands', 'pray', 'joy'];

export const S = {
  as: null,
  team: null,            // the workspace the person is in (state.team says which the server used)
  lastAs: {},            // workspace id -> the person last acted as there (switching workspace goes back to them)
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
export const msgCache = new Map();  // key -> node

export async function api(method, path, body) {
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

export const post = (path, body) => api('POST', path, Object.assign({ as: S.as }, S.team ? { team: S.team } : {}, body));
export const q = (params) => Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

// ---------------------------------------------------------------- lookups
export const users = () => (S.state && S.state.users) || [];
export const convs = () => (S.state && S.state.conversations) || [];
export const botId = () => (S.state && S.state.bot && S.state.bot.user_id) || null;
export const userById = (id) => users().find((u) => u.id === id) || null;
export const convById = (id) => convs().find((c) => c.id === id) || null;
export const meUser = () => userById(S.as);
export const workspaces = () => (S.state && S.state.workspaces) || [];
export const workspaceById = (id) => workspaces().find((w) => w.id === id) || null;
/** The workspaces a person is in, their first one first. */
export const teamsOf = (id) => ((userById(id) || {}).teams) || [];
export const myTz = () => {
  const u = meUser();
  if (u && u.tz) {
    try { new Intl.DateTimeFormat('en-US', { timeZone: u.tz }); return u.tz; } catch (err) { /* unknown zone */ }
  }
  return undefined;
};

export function displayName(id) {
  if (!id) return 'someone';
  if (id === botId()) return (S.state.bot && S.state.bot.name) || 'Knowhow';
  const u = userById(id);
  return u ? (u.real_name || u.name || id) : id;
}

export function convLabel(c) {
  if (!c) return '';
  if (c.kind === 'channel') return '#' + c.name;
  return c.name || c.id;
}

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/);
  return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}
