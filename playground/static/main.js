/* The Knowhow playground page: a small Slack-like client for the local playground server.
 * Plain JavaScript modules, no build step and no dependencies. Every piece of text is untrusted:
 * the DOM is built with createElement/textContent only (never innerHTML). The contract with the
 * server: API.md. This module starts the page; the others are named by what they draw or do. */
import { setupComposers } from './composer.js';
import { $, loadEmoji } from './dom.js';
import { rerenderMessages } from './messages.js';
import { closeModal } from './modal.js';
import { closeThread, openConv, openHome, renderAll, setAs, setTeam } from './navigation.js';
import { refresh } from './polling.js';
import { S, convById } from './state.js';

export function setup() {
  const params = new URLSearchParams(location.search);
  try { S.as = params.get('as') || localStorage.getItem('knowhow-playground-as') || null; } catch (err) { S.as = params.get('as') || null; }
  // The workspace: ?team=, else the last one (when it is the same person's), else the person's first (the server's choice).
  try { S.team = params.get('team') || (params.get('as') ? null : localStorage.getItem('knowhow-playground-team')) || null; } catch (err) { S.team = params.get('team') || null; }
  setupComposers();
  $('workspace').addEventListener('change', (e) => setTeam(e.target.value));
  $('act-as').addEventListener('change', (e) => setAs(e.target.value));
  $('thread-close').addEventListener('click', closeThread);
  $('sidebar-open').addEventListener('click', () => document.body.classList.add('sidebar-shown'));
  $('sidebar-close').addEventListener('click', () => document.body.classList.remove('sidebar-shown'));
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    if ($('dialog-root').childNodes.length) return;
    if (S.state && S.state.modal && $('modal-root').childNodes.length) { e.preventDefault(); closeModal(S.state.modal.id || S.state.modal.view.id); return; }
    if (S.editing) { S.editing = null; rerenderMessages(); return; }
    if (document.body.classList.contains('sidebar-shown')) { document.body.classList.remove('sidebar-shown'); return; }
    if (S.thread) { e.preventDefault(); closeThread(); $('composer').focus(); }
  });
  // keep keyboard focus inside an open modal
  document.addEventListener('focusin', (e) => {
    const modal = document.querySelector('#modal-root .modal');
    if (modal && !$('dialog-root').childNodes.length && !modal.contains(e.target)) {
      const first = modal.querySelector('input, textarea, select, button');
      if (first) first.focus();
    }
  });
  // re-render relative dates ("today", "in 3 minutes") once a minute
  setInterval(() => { S.epoch++; if (S.state) renderAll(); }, 60000);
  // the back and forward buttons, a link or a typed #C… / #home: go where the hash says
  window.addEventListener('hashchange', () => {
    if (!S.state) return;
    const hash = decodeURIComponent(location.hash.slice(1));
    if (hash === 'home') { if (!S.view || S.view.kind !== 'home') openHome(); }
    else if (convById(hash) && !(S.view && S.view.kind === 'conv' && S.view.id === hash)) openConv(hash);
  });
  window.knowhowPlayground = { state: () => S.state, as: () => S.as, team: () => S.team, refresh: () => refresh(true) };
  loadEmoji().finally(() => refresh(true));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup);
else setup();
