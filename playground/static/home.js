/* The App Home tab, as Knowhow last published it. */
import { renderBlocks } from './blockkit.js';
import { $, h } from './dom.js';
import { S } from './state.js';

export function renderHome() {
  const body = $('home-body');
  const home = S.state.home;
  const key = JSON.stringify([home, S.epoch]);
  if (key === S.homeKey) return;
  S.homeKey = key;
  if (!home) {
    body.replaceChildren(h('div', { class: 'empty' }, 'Opening the App Home… (Knowhow has not published a Home view for this person yet.)'));
    return;
  }
  const view = home.view || home;
  const viewId = home.id || home.view_id || view.id || null;
  const ctx = { surface: 'home', where: { type: 'view', view_id: viewId } };
  body.replaceChildren(h('div', { class: 'blocks home-blocks' }, renderBlocks(view.blocks, ctx)));
}
