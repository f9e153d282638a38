/* Dates and times in the acting person's time zone, and Slack's <!date^...> tokens. */
import { $ } from './dom.js';
import { myTz } from './state.js';

export function tsDate(ts) { return new Date(Math.round(parseFloat(ts) * 1000)); }

export function parts(date, opts) {
  const out = {};
  for (const p of new Intl.DateTimeFormat('en-US', Object.assign({ timeZone: myTz() }, opts)).formatToParts(date)) out[p.type] = p.value;
  return out;
}

export const fmt = (date, opts) => new Intl.DateTimeFormat('en-US', Object.assign({ timeZone: myTz() }, opts)).format(date);
export const timeOf = (date) => fmt(date, { hour: 'numeric', minute: '2-digit' });
export const dayKey = (date) => { const p = parts(date, { year: 'numeric', month: '2-digit', day: '2-digit' }); return `${p.year}-${p.month}-${p.day}`; };

export function ordinal(n) {
  const s = ['th', 'st', 'nd', 'rd'], v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
}

export function relativeDay(date) {
  const key = dayKey(date);
  const now = Date.now();
  if (key === dayKey(new Date(now))) return 'today';
  if (key === dayKey(new Date(now - 86400000))) return 'yesterday';
  if (key === dayKey(new Date(now + 86400000))) return 'tomorrow';
  return null;
}

/** Slack's <!date^epoch^format|fallback> tokens, in the reader's time zone. */
export function slackDate(epoch, format) {
  const d = new Date(epoch * 1000);
  if (isNaN(d.getTime())) return null;
  const p = parts(d, { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
  const day = ordinal(parseInt(p.day, 10));
  const long = `${p.weekday}, ${p.month} ${day}, ${p.year}`;
  const plain = `${p.month} ${day}, ${p.year}`;
  const short = fmt(d, { month: 'short', day: 'numeric', year: 'numeric' });
  const num = dayKey(d);
  const rel = relativeDay(d);
  const cap = (s) => s ? s[0].toUpperCase() + s.slice(1) : s;
  const tokens = {
    date_num: num, date: plain, date_short: short, date_long: long,
    date_pretty: rel || plain, date_short_pretty: rel || short, date_long_pretty: rel || long,
    time: timeOf(d), time_secs: fmt(d, { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago: agoText(d),
  };
  let out = format.replace(/\{(\w+)\}/g, (m, name) => (name in tokens ? tokens[name] : m));
  if (/^\{date_\w*pretty\}/.test(format) && rel) out = cap(out);
  return out;
}

export function agoText(d) {
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  const abs = Math.abs(s);
  const [n, unit] = abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86400), 'day'];
  const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}
