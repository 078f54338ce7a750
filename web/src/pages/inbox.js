// The inbox: requests to answer (approve, approve in part, refuse, with conditions), the
// user's own requests and how they were answered, and deconfliction notices.
import { api } from '../api.js';
import { h, mount, when, badge } from '../util.js';

const statusOf = (r) => (typeof r.status === 'string' ? r.status : r.status?.status) ?? 'pending';
// The request's records (shown to the originator only) and the refusal's reason.
const recordsOf = (r) => r.records ?? r.record_ids ?? [];
const reasonOf = (r) => r.reason ?? r.status?.reason ?? '';

export async function render(main, { showError, ready }) {
  const [reqs, notices] = await Promise.all([
    api.requests(),
    api.notices().catch((e) => { showError(e); return []; }),
  ]);
  const incoming = reqs?.incoming ?? [];
  const outgoing = reqs?.outgoing ?? [];
  mount(main,
    h('h1', {}, 'Inbox'),
    h('section', { 'aria-label': 'Requests to answer' },
      h('h2', {}, `Requests to answer (${incoming.filter((r) => statusOf(r) === 'pending').length} pending)`),
      incoming.length ? incoming.map((r) => incomingCard(r, showError)) : h('p', { class: 'muted' }, 'None.')),
    h('section', { 'aria-label': 'Your requests' },
      h('h2', {}, `Your requests (${outgoing.length})`),
      outgoing.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Request'), h('th', {}, 'To'), h('th', {}, 'Sent'), h('th', {}, 'Status'), h('th', {}, 'Justification'))),
        h('tbody', {}, outgoing.map((r) => h('tr', { class: 'outgoing', dataset: { status: statusOf(r) } },
          h('td', {}, r.id), h('td', {}, r.originator), h('td', {}, when(r.at)),
          h('td', {}, badge(statusOf(r), statusOf(r) === 'approved' ? 'strong' : statusOf(r) === 'refused' ? 'weak' : 'possible'),
            reasonOf(r) ? ` ${reasonOf(r)}` : '',
            statusOf(r) === 'approved' ? h('span', { class: 'muted' }, ' — search again to read the records') : ''),
          h('td', {}, r.justification))))) : h('p', { class: 'muted' }, 'None.')),
    h('section', { 'aria-label': 'Deconfliction notices' },
      h('h2', {}, `Notices (${notices.length})`),
      notices.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Kind'), h('th', {}, 'Searching'), h('th', {}, 'Holding'), h('th', {}, 'Operations'), h('th', { class: 'num' }, 'Records'), h('th', {}, 'Detail'))),
        h('tbody', {}, notices.map((n) => h('tr', { dataset: { cause: n.cause ?? 'search' } },
          h('td', {}, when(n.at)), h('td', {}, noticeKind(n.cause)), h('td', {}, `${n.searching_agency} (${n.searcher})`), h('td', {}, n.holding_agency),
          h('td', {}, (n.operations ?? []).join(', ')), h('td', { class: 'num' }, (n.record_ids ?? []).length),
          h('td', {}, [n.subject_id, n.detail, n.contact ? `call ${n.contact}` : ''].filter(Boolean).join(' · ')))))) : h('p', { class: 'muted' }, 'None: no other agency searched what you hold for an operation, and no request waits too long.')));
  ready('inbox', { incoming: incoming.length, outgoing: outgoing.length });
  main.querySelector('.answer select')?.focus();
}

// A reminder is about a request to answer (above); the others about another agency's work.
function noticeKind(cause) {
  if (cause === 'request_waiting') return badge('reminder', 'weak');
  if (cause === 'deconfliction') return badge('deconfliction', 'probable');
  return badge('search', 'possible');
}

function incomingCard(r, showError) {
  const status = statusOf(r);
  const box = h('article', { class: 'panel request', dataset: { id: r.id, status }, 'aria-label': `Request ${r.id} from ${r.requester_agency}` },
    h('div', {}, h('strong', {}, `${r.requester} (${r.requester_agency})`), ` asks for hit ${r.hit_id ?? r.hit_ref}`, ' ', badge(status),
      r.overdue ? [' ', badge('overdue', 'weak')] : ''),
    h('div', {}, h('span', { class: 'muted' }, 'Justification: '), r.justification),
    h('div', { class: 'muted' }, `${when(r.at)} · records: ${recordsOf(r).join(', ') || 'as in the hit'}`));
  if (status !== 'pending') return box;
  const decision = h('select', { name: 'decision', 'aria-label': 'Decision' },
    h('option', { value: 'approve' }, 'approve'), h('option', { value: 'partial' }, 'approve in part'), h('option', { value: 'refuse' }, 'refuse'));
  const conditions = h('input', { name: 'conditions', size: 40, value: 'Intelligence only: not for evidential use without consent', 'aria-label': 'Conditions (one per line or separated by ;)' });
  const records = h('input', { name: 'records', size: 30, value: recordsOf(r).join(', '), 'aria-label': 'Records to disclose (for a partial approval)' });
  const reason = h('input', { name: 'reason', size: 30, value: '', 'aria-label': 'Reason' });
  const send = h('button', { type: 'submit' }, 'Send answer');
  const form = h('form', {
    class: 'row answer',
    onsubmit: async (e) => {
      e.preventDefault();
      send.disabled = true;
      const conds = conditions.value.split(/[;\n]/).map((c) => c.trim()).filter(Boolean);
      const body = { decision: decision.value, conditions: conds, reason: reason.value.trim() };
      if (decision.value === 'partial') body.records = records.value.split(/[,\s]+/).filter(Boolean);
      try {
        await api.answer(r.id, body.decision, body.conditions, body.reason, body.records);
        box.dataset.status = decision.value === 'refuse' ? 'refused' : 'approved';
        form.replaceWith(h('div', { class: 'note answered' }, `Answered: ${decision.value}${conds.length ? ` under: ${conds.join('; ')}` : ''}.`));
      } catch (err) {
        showError(err);
        send.disabled = false;
      }
    },
  },
  h('label', {}, 'Decision', decision),
  h('label', {}, 'Conditions', conditions),
  h('label', {}, 'Records (partial)', records),
  h('label', {}, 'Reason', reason),
  send);
  box.appendChild(form);
  return box;
}
