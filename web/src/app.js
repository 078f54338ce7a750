// The workspace shell: hash routes to pages, the session, errors shown as the server gave them,
// and keyboard shortcuts. Pages live in pages/*.js and render into <main>.
import { api, session, onExpired, ApiError } from './api.js';
import { h, mount, parseHash } from './util.js';
import * as login from './pages/login.js';
import * as search from './pages/search.js';
import * as subject from './pages/subject.js';
import * as graph from './pages/graph.js';
import * as networks from './pages/networks.js';
import * as map from './pages/map.js';
import * as money from './pages/money.js';
import * as inbox from './pages/inbox.js';
import * as audit from './pages/audit.js';

const ROUTES = { login, search, subject, graph, networks, map, money, inbox, audit };
// Errors kept on screen at once; older ones scroll away.
const ERRORS_SHOWN_MAX = 4;

const main = document.getElementById('main');
const errors = document.getElementById('errors');
let cleanup = null;
let renderSeq = 0;

/** Shows an error (an ApiError's message as the server wrote it) until dismissed. */
export function showError(e) {
  const text = e instanceof ApiError ? `${e.message}${e.code ? ` (${e.code})` : ''}` : String(e?.message ?? e);
  const box = h('div', { class: 'error', dataset: { code: e?.code ?? '' } },
    h('span', {}, text),
    h('button', { class: 'secondary', type: 'button', 'aria-label': 'Dismiss error', onclick: () => box.remove() }, '×'));
  errors.appendChild(box);
  while (errors.children.length > ERRORS_SHOWN_MAX) errors.firstChild.remove();
}

export function clearErrors() { errors.replaceChildren(); }

/** Marks the page as drawn, for people and for the browser tests. */
export function ready(name, extra = {}) {
  document.body.dataset.page = name;
  document.body.dataset.ready = 'true';
  window.corridorReady = { page: name, ...extra };
}

function header() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  const user = session.user;
  nav.hidden = !user;
  if (!user) { who.replaceChildren(); return; }
  for (const a of nav.querySelectorAll('[data-role]')) a.hidden = !session.has(a.dataset.role);
  mount(who,
    h('span', { title: (user.roles ?? []).join(', ') }, `${user.name ?? user.id} · ${user.agency}`),
    h('span', { class: 'muted', style: 'color:#cfd8e3', title: 'Justification sent with every request' }, session.justification),
    h('button', { type: 'button', onclick: logout }, 'Log out'));
}

async function logout() {
  try { await api.logout(); } catch { /* the token may have expired already; the session ends anyway */ }
  session.end();
  location.hash = '#/login';
}

async function route() {
  const seq = ++renderSeq;
  const { parts, params } = parseHash(location.hash);
  let name = parts[0] ?? 'search';
  if (!session.token && name !== 'login') name = 'login';
  if (!ROUTES[name]) name = 'search';
  document.body.dataset.ready = 'false';
  window.corridorReady = null;
  if (cleanup) { try { cleanup(); } catch { /* a page's teardown must not block the next */ } cleanup = null; }
  clearErrors();
  header();
  for (const a of document.querySelectorAll('#nav a')) {
    const target = a.getAttribute('href').slice(2);
    if (target === name || (name === 'graph' && target === 'networks')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren(h('p', { class: 'muted spinner' }, 'Loading'));
  try {
    const c = await ROUTES[name].render(main, { parts: parts.slice(1), params, showError, ready });
    if (seq !== renderSeq) { if (typeof c === 'function') c(); return; }
    cleanup = typeof c === 'function' ? c : null;
  } catch (e) {
    if (seq !== renderSeq) return;
    main.replaceChildren(h('h1', {}, 'Could not load this page'));
    showError(e);
    ready(name, { failed: true });
  }
  if (seq === renderSeq) refreshInboxCount();
}

async function refreshInboxCount() {
  const el = document.getElementById('inbox-count');
  if (!session.token || !el) return;
  try {
    const r = await api.requests();
    const pending = (r?.incoming ?? []).filter((x) => (x.status?.status ?? x.status) === 'pending').length;
    el.textContent = pending ? String(pending) : '';
    el.setAttribute('aria-label', `${pending} requests to answer`);
  } catch { el.textContent = ''; }
}

onExpired(() => {
  session.end();
  location.hash = '#/login';
});

// Keyboard: "/" focuses search, "g" then a letter goes to a page, "?" shows the help.
let pendingG = false;
document.addEventListener('keydown', (e) => {
  const t = e.target;
  const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || t?.isContentEditable;
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '/') {
    e.preventDefault();
    const q = document.getElementById('q');
    if (q) q.focus(); else location.hash = '#/search';
    return;
  }
  if (e.key === '?') {
    document.querySelector('footer.keys')?.scrollIntoView();
    document.querySelector('footer.keys')?.animate([{ background: '#f9ab00' }, { background: 'transparent' }], 900);
    return;
  }
  if (e.key === 'g') { pendingG = true; setTimeout(() => { pendingG = false; }, 1500); return; }
  if (pendingG) {
    pendingG = false;
    const a = document.querySelector(`#nav a[data-key="${e.key}"]`);
    if (a && !a.hidden) { location.hash = a.getAttribute('href'); e.preventDefault(); }
  }
});

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (e) => showError(e.reason));
route();
