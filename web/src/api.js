// The HTTP API client: bearer token and the session's justification from sessionStorage, JSON
// in and out, and every error turned into an ApiError carrying the body's code and message so
// that pages can show what the server said.

const BASE = '/api/v1';
const TOKEN_KEY = 'corridor.token';
const USER_KEY = 'corridor.user';
const JUSTIFICATION_KEY = 'corridor.justification';
// A request that takes longer than this is abandoned and reported (the server has its own).
const REQUEST_TIMEOUT_MS = 30_000;

/** An error answer from the API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get user() {
    try { return JSON.parse(sessionStorage.getItem(USER_KEY) ?? 'null'); } catch { return null; }
  },
  get justification() { return sessionStorage.getItem(JUSTIFICATION_KEY) ?? ''; },
  set justification(text) { sessionStorage.setItem(JUSTIFICATION_KEY, text); },
  start(token, user, justification) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
    sessionStorage.setItem(JUSTIFICATION_KEY, justification);
  },
  end() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
  has(role) { return (this.user?.roles ?? []).includes(role); },
};

/** Listeners told when the server says the token is no longer valid. */
const expiredListeners = [];
export function onExpired(f) { expiredListeners.push(f); }

async function call(method, path, { query, body, justify = false } = {}) {
  const url = new URL(BASE + path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  if (justify && method === 'GET' && session.justification) url.searchParams.set('justification', session.justification);
  const headers = { Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(justify && body.justification === undefined ? { ...body, justification: session.justification } : body);
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  let res;
  try {
    res = await fetch(url, { method, headers, body: payload, signal: abort.signal });
  } catch (e) {
    throw new ApiError(0, abort.signal.aborted ? 'timeout' : 'network', abort.signal.aborted
      ? `${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS / 1000} s`
      : `${method} ${path}: the server cannot be reached (${e.message})`);
  } finally {
    clearTimeout(timer);
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!res.ok) {
    const err = json?.error;
    const e = new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `${method} ${path}: HTTP ${res.status}${text && !json ? ` — ${text.slice(0, 200)}` : ''}`);
    if (res.status === 401 && path !== '/login') expiredListeners.forEach((f) => f(e));
    throw e;
  }
  return json;
}

const enc = encodeURIComponent;

export const api = {
  login: (user, password) => call('POST', '/login', { body: { user, password } }),
  logout: () => call('POST', '/logout', { body: {} }),
  me: () => call('GET', '/me'),
  search: (q, field, dob) => call('GET', '/search', { query: { q, field, dob }, justify: true }),
  subject: (id) => call('GET', `/subjects/${enc(id)}`, { justify: true }),
  record: (origin, id) => call('GET', `/records/${enc(origin)}/${enc(id)}`, { justify: true }),
  judge: (a, b, verdict, reason) => call('POST', '/judgements', { body: { a, b, verdict, reason } }),
  networks: () => call('GET', '/networks', { justify: true }),
  networkGraph: (id) => call('GET', `/networks/${enc(id)}/graph`, { justify: true }),
  ego: (id, hops = 2) => call('GET', `/subjects/${enc(id)}/ego`, { query: { hops }, justify: true }),
  map: (network) => call('GET', '/map', { query: { network }, justify: true }),
  alerts: (typology, limit = 200) => call('GET', '/money/alerts', { query: { typology, limit }, justify: true }),
  account: (id) => call('GET', `/money/accounts/${enc(id)}`, { justify: true }),
  flows: (subject, hops = 3) => call('GET', `/money/flows/${enc(subject)}`, { query: { hops }, justify: true }),
  requests: () => call('GET', '/requests'),
  request: (hitId, justification) => call('POST', '/requests', { body: { hit_id: hitId, justification } }),
  answer: (id, decision, conditions, reason, records) => call('POST', `/requests/${enc(id)}/answer`, { body: { decision, conditions, reason, ...(records ? { records } : {}) } }),
  grants: () => call('GET', '/grants'),
  notices: () => call('GET', '/notices'),
  audit: (after, limit = 100) => call('GET', '/audit', { query: { after, limit } }),
  auditVerify: () => call('GET', '/audit/verify'),
};
