// A subject: every record the user may read, by agency, with grading, handling and the
// conditions that travel with it; how many records are withheld; why the records were linked
// (per-field weights); a timeline of what happened; and the subject's ego network.
import { api } from '../api.js';
import { h, mount, link, badge, gradingText, when } from '../util.js';
import { drawGraph } from './graph.js';
import { drawTimeline } from './timeline.js';

export async function render(main, { parts, showError, ready }) {
  const id = parts[0];
  if (!id) throw new Error('No subject id in the address.');
  const s = await api.subject(id);
  const byAgency = new Map();
  for (const r of s.records ?? []) {
    if (!byAgency.has(r.origin)) byAgency.set(r.origin, []);
    byAgency.get(r.origin).push(r);
  }
  const chart = h('div', { id: 'chart', role: 'img', 'aria-label': `Link chart around ${s.caption}` });
  const chartInfo = h('div', { class: 'chart-side', 'aria-live': 'polite' });
  const timeline = h('div', { id: 'timeline' });
  mount(main,
    h('h1', {}, s.caption || s.subject_id, ' ', h('span', { class: 'muted' }, `${s.subject_id} · ${s.kind}`)),
    h('div', { class: 'row' },
      h('a', { href: link(['graph', 'ego', s.subject_id]) }, 'Open the link chart'),
      h('a', { href: link(['money'], { subject: s.subject_id }) }, 'Money flows')),
    h('div', { class: 'grid2' },
      h('section', { 'aria-label': 'Records' },
        h('h2', {}, `Records (${(s.records ?? []).length})`),
        [...byAgency].map(([agency, recs]) => h('div', { class: 'panel' },
          h('h3', {}, agency, ' ', h('span', { class: 'muted' }, `${recs.length} record${recs.length === 1 ? '' : 's'}`)),
          recs.map(recordView))),
        (s.withheld ?? []).length ? h('div', { class: 'panel withheld' }, h('h3', {}, 'Withheld'),
          (s.withheld).map((w) => h('div', {}, `${w.count} record${w.count === 1 ? '' : 's'} held by ${w.agency} that you may not read — search to get a hit and request them.`))) : null),
      h('section', { 'aria-label': 'Why linked' },
        h('h2', {}, 'Why these records are one subject'),
        explanation(s, showError),
        h('h2', {}, 'Link chart (two hops)'),
        chart, chartInfo)),
    h('h2', {}, 'Timeline'),
    timeline);
  const events = s.timeline ?? [];
  if (events.length) drawTimeline(timeline, events);
  else timeline.replaceChildren(h('p', { class: 'muted' }, 'No dated events on the readable records.'));
  let stop = null;
  try {
    const g = await api.ego(s.subject_id, 2);
    stop = drawGraph(chart, g, { info: chartInfo, focus: s.subject_id });
    ready('subject', { nodes: g.nodes?.length ?? 0, records: (s.records ?? []).length });
  } catch (e) {
    chart.replaceChildren(h('p', { class: 'muted' }, 'The link chart could not be loaded.'));
    showError(e);
    ready('subject', { nodes: 0, records: (s.records ?? []).length });
  }
  return () => stop?.();
}

function recordView(r) {
  const props = Object.entries(r.properties ?? {});
  return h('div', { class: 'record', dataset: { origin: r.origin, id: r.id } },
    h('div', {}, h('strong', {}, r.caption || r.id), ' ', h('span', { class: 'muted' }, `${r.schema} · ${r.id}`)),
    h('div', {}, badge(gradingText(r.grading), 'grading'),
      (r.handling ?? []).map((x) => badge(typeof x === 'string' ? x : gradingText(x), 'handling'))),
    (r.conditions ?? []).length ? h('div', { class: 'conditions' }, h('span', { class: 'muted' }, 'Conditions: '),
      r.conditions.map((c) => badge(c, 'condition'))) : null,
    props.length ? h('dl', { class: 'props' }, props.map(([k, v]) => [h('dt', {}, k), h('dd', {}, Array.isArray(v) ? v.join('; ') : typeof v === 'object' ? JSON.stringify(v) : String(v))])) : null);
}

function explanation(s, showError) {
  // A pair is one link whichever way round the API lists it.
  const seen = new Set();
  const pairs = (s.explanation ?? []).filter((p) => {
    const ends = [`${p.a?.origin}/${p.a?.id}`, `${p.b?.origin}/${p.b?.id}`].sort().join(' ');
    if (seen.has(ends)) return false;
    seen.add(ends);
    return true;
  });
  if (!pairs.length) return h('p', { class: 'muted' }, 'One record, or links the server did not explain.');
  return pairs.map((p) => {
    const max = Math.max(1, ...(p.fields ?? []).map((f) => Math.abs(f.weight)));
    const status = h('span', { 'aria-live': 'polite' });
    const judge = async (verdict) => {
      const reason = prompt(verdict === 'same' ? 'Why are these the same?' : 'Why are these different?', '');
      if (reason === null) return;
      try {
        await api.judge(p.a, p.b, verdict, reason);
        status.textContent = verdict === 'same' ? ' Confirmed: kept together from the next resolution on.' : ' Rejected: kept apart from the next resolution on.';
      } catch (e) { showError(e); }
    };
    return h('div', { class: 'panel pair' },
      h('div', {}, `${p.a.origin}/${p.a.id} ↔ ${p.b.origin}/${p.b.id}`),
      h('div', { class: 'muted' }, `probability ${Number(p.probability).toFixed(3)} · match weight ${Number(p.weight).toFixed(2)} (log2 Bayes factors, summed)`),
      !(p.fields ?? []).length ? h('p', { class: 'muted' }, 'Matched on a shared key: no per-field weights.') :
      h('table', { class: 'field-weights' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, 'Agreement'), h('th', { class: 'num' }, 'm'),
          h('th', { class: 'num' }, 'u'), h('th', { class: 'num' }, 'Weight'), h('th', {}, ''))),
        h('tbody', {},
          h('tr', { class: 'muted' }, h('td', {}, 'prior'), h('td', {}, ''), h('td', {}), h('td', {}),
            h('td', { class: 'num' }, Number(p.prior_weight ?? 0).toFixed(2)), h('td', {})),
          (p.fields ?? []).map((f) => h('tr', {},
            h('td', {}, f.field), h('td', {}, f.level),
            h('td', { class: 'num' }, Number(f.m).toPrecision(3)), h('td', { class: 'num' }, Number(f.u).toPrecision(3)),
            h('td', { class: 'num' }, Number(f.weight).toFixed(2)),
            h('td', {}, h('span', { class: `weightbar ${f.weight >= 0 ? 'pos' : 'neg'}`, style: `width:${Math.round(60 * Math.abs(f.weight) / max)}px` }))))),
        h('tfoot', {}, h('tr', {}, h('td', {}, 'sum'), h('td', {}), h('td', {}), h('td', {}),
          h('td', { class: 'num field-weights-sum' }, Number(p.explained_weight ?? p.weight).toFixed(2)), h('td', {})))),
      h('div', { class: 'row' },
        h('button', { type: 'button', onclick: () => judge('same') }, 'Confirm link'),
        h('button', { type: 'button', class: 'secondary', onclick: () => judge('different') }, 'Reject link'),
        status));
  });
}
