// Search: a name in any script, a phone, a plate, an account or a document. Readable records
// come back grouped by subject; records the user may not read come back as hits only (which
// agency holds how many, how strong), each with a button to ask the holder.
import { api, session } from '../api.js';
import { h, mount, link, badge, gradingText } from '../util.js';

const FIELDS = ['any', 'name', 'phone', 'plate', 'account', 'document'];
// Longest query the form sends; the server has its own limit and says so.
const QUERY_CHARS_MAX = 200;

export async function render(main, { params, showError, ready }) {
  const q = h('input', { id: 'q', name: 'q', type: 'search', maxlength: QUERY_CHARS_MAX, value: params.get('q') ?? '', placeholder: 'Мухамед, +38163…, BG 123-AB, RS35…', 'aria-describedby': 'q-help', size: 40 });
  const field = h('select', { id: 'field', name: 'field' }, FIELDS.map((f) => h('option', { value: f, selected: (params.get('field') ?? 'any') === f }, f)));
  const dob = h('input', { id: 'dob', name: 'dob', type: 'date', value: params.get('dob') ?? '' });
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  const form = h('form', {
    class: 'row', role: 'search',
    onsubmit: (e) => {
      e.preventDefault();
      const p = { q: q.value.trim(), field: field.value };
      if (dob.value) p.dob = dob.value;
      if (!p.q) { q.focus(); return; }
      location.hash = link(['search'], p);
    },
  },
  h('label', {}, 'Search', q),
  h('label', {}, 'Field', field),
  h('label', {}, 'Date of birth', dob),
  h('button', { type: 'submit' }, 'Search'));
  mount(main, h('h1', {}, 'Search'), form,
    h('p', { id: 'q-help', class: 'muted' }, 'Names match across scripts and spellings (Мухамед = Muhamed = Mohammed). Every search is audited with your justification: ', h('q', {}, session.justification)),
    results);
  const text = params.get('q');
  if (!text) { q.focus(); ready('search'); return; }
  results.replaceChildren(h('p', { class: 'muted spinner' }, 'Searching'));
  let r;
  try {
    r = await api.search(text, params.get('field') ?? 'any', params.get('dob') ?? '');
  } catch (e) {
    results.replaceChildren();
    showError(e);
    ready('search', { results: 0 });
    return;
  }
  const subjects = r?.subjects ?? [];
  const hits = r?.hits ?? [];
  // Hits beside the subjects, not under them: what partners hold is the lead to follow.
  mount(results, h('div', { class: 'grid2' },
    h('section', { 'aria-label': 'Subjects you may read' },
      h('h2', {}, `${subjects.length} subject${subjects.length === 1 ? '' : 's'} you may read`),
      subjects.length ? subjects.map(subjectCard) : h('p', { class: 'muted' }, 'None.')),
    h('section', { 'aria-label': 'Hits held by partners' },
      h('h2', {}, `${hits.length} hit${hits.length === 1 ? '' : 's'} held by partners`),
      hits.length ? hits.map((hit) => hitCard(hit, showError)) : h('p', { class: 'muted' }, 'No partner reported a hit.'))));
  ready('search', { results: subjects.length, hits: hits.length });
  results.querySelector('a, button')?.focus();
}

function subjectCard(s) {
  return h('article', { class: 'subject', 'aria-label': `Subject ${s.caption}` },
    h('h3', {}, h('a', { href: link(['subject', s.subject_id]), class: 'subject-link' }, s.caption || s.subject_id), ' ',
      h('span', { class: 'muted' }, `${s.subject_id} · ${s.kind}${s.score !== undefined ? ` · score ${Number(s.score).toFixed(2)}` : ''}`)),
    h('table', { class: 'compact' }, h('tbody', {}, (s.records ?? []).map((rec) => h('tr', {},
      h('td', {}, rec.origin), h('td', {}, rec.caption ?? rec.id), h('td', { class: 'muted' }, rec.id),
      h('td', { class: 'muted' }, rec.schema), h('td', {}, badge(gradingText(rec.grading), 'grading')))))));
}

// Agency codes start with their country (ISO 3166 alpha-2, UK for the United Kingdom, EU for
// EU systems); analysts think in countries first.
const COUNTRY = { RS: 'Serbia', MK: 'North Macedonia', XK: 'Kosovo', AL: 'Albania', UK: 'the United Kingdom', GB: 'the United Kingdom', EU: 'the EU', GR: 'Greece', BG: 'Bulgaria', HU: 'Hungary' };

/** "Serbia" for RS_BP; the agency's own name when the code names no known country. */
function holder(hit) {
  return COUNTRY[String(hit.agency).split(/[_-]/)[0]] ?? hit.agency_name ?? hit.agency;
}

/** A hit without content, with the form to ask its holder. */
export function hitCard(hit, showError) {
  const name = hit.agency_name || hit.agency;
  const box = h('article', { class: 'hit', 'aria-label': `Hit held by ${name}` },
    h('strong', {}, `${hit.count ?? hit.records ?? '?'} record${(hit.count ?? 0) === 1 ? '' : 's'} held by ${name}`), ' ',
    h('span', { class: 'muted' }, hit.agency), ' ',
    badge(hit.band ?? '', hit.band ?? ''), ' ',
    // One badge per distinct grading (the API may join them with '; ').
    (Array.isArray(hit.grading) ? hit.grading : String(hit.grading ?? '').split('; ')).filter(Boolean).map((g) => badge(gradingText(g), 'grading')),
    hit.how_to_ask ? h('div', { class: 'muted' }, hit.how_to_ask) : null);
  const button = h('button', { type: 'button', class: 'request-hit', title: `${name} (${hit.agency})`, onclick: () => requestDialog(hit, box, showError) }, `Held by ${holder(hit)} — request`);
  box.appendChild(h('div', {}, button));
  return box;
}

function requestDialog(hit, box, showError) {
  const name = hit.agency_name || hit.agency;
  const justification = h('textarea', { id: 'request-justification', rows: 3, cols: 50, required: true, minlength: 8, maxlength: 1000 }, session.justification);
  const dlg = h('dialog', { 'aria-label': `Request disclosure from ${name}` });
  const send = h('button', { type: 'submit' }, 'Send request');
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      send.disabled = true;
      try {
        const req = await api.request(hit.hit_id, justification.value.trim());
        dlg.close();
        dlg.remove();
        box.replaceChildren(h('div', { class: 'note request-sent' }, `Request ${req?.id ?? ''} sent to ${name}. Their answer will appear in your inbox.`));
      } catch (err) {
        showError(err);
      } finally {
        send.disabled = false;
      }
    },
  },
  h('h2', {}, `Ask ${name} to disclose`),
  h('p', { class: 'muted' }, `${hit.count ?? ''} record(s), ${hit.band ?? ''} match. They decide, and may attach conditions.`),
  h('label', {}, 'Why you need it (audited, shown to the holder)', justification),
  h('div', { class: 'row' }, send, h('button', { type: 'button', class: 'secondary', onclick: () => { dlg.close(); dlg.remove(); } }, 'Cancel')));
  dlg.appendChild(form);
  document.body.appendChild(dlg);
  dlg.showModal();
  justification.focus();
}
