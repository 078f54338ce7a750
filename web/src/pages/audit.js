// The audit log, for auditors: entries page by page, and the chain's integrity check.
import { api, session } from '../api.js';
import { h, mount, link, when } from '../util.js';

const AUDIT_PAGE_ROWS = 100;

export async function render(main, { params, showError, ready }) {
  if (!session.has('auditor')) {
    mount(main, h('h1', {}, 'Audit'), h('p', {}, 'Only auditors read the audit log.'));
    ready('audit', { entries: 0 });
    return;
  }
  const after = params.get('after') ?? '';
  const verifyOut = h('div', { 'aria-live': 'polite' });
  const verify = h('button', {
    type: 'button',
    onclick: async () => {
      verifyOut.textContent = 'Checking the chain…';
      try {
        const r = await api.auditVerify();
        const intact = r.intact ?? (r.ok !== false);
        mount(verifyOut, h('div', { class: intact ? 'note' : 'error', id: 'audit-verdict' }, intact
          ? `Chain intact: ${r.entries ?? '?'} entries, ${r.checkpoints ?? 0} signed checkpoints, head ${String(r.tail_hash ?? '').slice(0, 16)}…`
          : `Chain broken at entry ${r.broken_at ?? '?'}: ${r.broken_reason ?? 'no reason given'}`));
      } catch (e) { verifyOut.textContent = ''; showError(e); }
    },
  }, 'Verify the chain');
  const page = await api.audit(after || undefined, AUDIT_PAGE_ROWS);
  const entries = Array.isArray(page) ? page : page?.entries ?? [];
  const last = entries.at(-1);
  mount(main, h('h1', {}, 'Audit log'),
    h('div', { class: 'row' }, verify, verifyOut),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Seq'), h('th', {}, 'When'), h('th', {}, 'Actor'), h('th', {}, 'Agency'), h('th', {}, 'Action'), h('th', {}, 'Justification'), h('th', {}, 'Detail'))),
      h('tbody', {}, entries.map((e) => h('tr', {},
        h('td', { class: 'num' }, e.seq), h('td', {}, when(e.at)), h('td', {}, e.actor), h('td', {}, e.agency), h('td', {}, e.action),
        h('td', {}, e.justification), h('td', {}, h('code', {}, JSON.stringify(e.detail ?? '').slice(0, 160))))))),
    last && entries.length >= AUDIT_PAGE_ROWS ? h('a', { href: link(['audit'], { after: last.seq }) }, 'Next page') : null);
  ready('audit', { entries: entries.length });
}
