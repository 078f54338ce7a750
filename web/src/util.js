// Small DOM functions shared by every page. Text always goes in through textContent (never
// innerHTML), so record content from any agency cannot inject markup.

/** Creates an element: h('div', {class: 'x', onclick: f}, child, 'text', [more]). */
export function h(tag, attrs, ...children) {
  const el = document.createElementNS(tag.startsWith('svg:') ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag.replace(/^svg:/, ''));
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Same as h() for SVG elements. */
export function s(tag, attrs, ...children) {
  return h(`svg:${tag}`, attrs, ...children);
}

/** Replaces the children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A date or RFC 3339 time as the analyst reads it (UTC, no seconds). */
export function when(value) {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value === 'number') value = new Date(value * 1000).toISOString();
  const text = String(value);
  return text.length > 10 ? text.replace('T', ' ').replace(/:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/, ' UTC') : text;
}

/** Minor units as a decimal amount with its currency. */
export function money(minor, currency) {
  if (minor === undefined || minor === null) return '';
  const major = Number(minor) / 100;
  return `${major.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}${currency ? ` ${currency}` : ''}`;
}

/** A stable colour for a category (community, agency, typology). */
export function colour(key) {
  const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#393b79', '#637939', '#843c39', '#7b4173'];
  let hash = 0;
  for (const ch of String(key)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

/** A labelled badge, e.g. grading or handling. */
export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

/** Text of a grading as sent by the API (a string or an object of its parts). */
export function gradingText(g) {
  if (g === undefined || g === null) return '';
  if (typeof g === 'string') return g;
  if (g.code) return g.code;
  return Object.entries(g).map(([k, v]) => (typeof v === 'object' ? `${k}:${JSON.stringify(v)}` : `${k}:${v}`)).join(' ');
}

/** Parses `#/route/a/b?x=1` into {parts, params}. */
export function parseHash(hash) {
  const raw = (hash || '#/').replace(/^#/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query ?? '') };
}

/** Builds a hash link. */
export function link(parts, params) {
  const path = parts.map(encodeURIComponent).join('/');
  const q = params ? new URLSearchParams(params).toString() : '';
  return `#/${path}${q ? `?${q}` : ''}`;
}
