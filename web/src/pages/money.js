// Money: alerts by typology, and a subject's flows as a flow chart (plain SVG Sankey: columns
// by hops from the subject, bands as wide as the amounts).
import { api } from '../api.js';
import { h, s, mount, link, money as fmt, when, colour } from '../util.js';

const TYPOLOGIES = ['', 'fan_in', 'fan_out', 'scatter_gather', 'gather_scatter', 'cycle', 'structuring', 'pass_through', 'hawala_settlement'];
const ALERTS_SHOWN_MAX = 200;
const SANKEY_WIDTH_PX = 1000;
const SANKEY_NODE_WIDTH_PX = 10;
const SANKEY_GAP_PX = 6;

export async function render(main, { params, showError, ready }) {
  const typology = params.get('typology') ?? '';
  const subject = params.get('subject') ?? '';
  const tsel = h('select', { id: 'typology', 'aria-label': 'Typology' }, TYPOLOGIES.map((t) => h('option', { value: t, selected: t === typology }, t || 'every typology')));
  const subj = h('input', { id: 'flow-subject', value: subject, placeholder: 'P-0000042', size: 14 });
  const go = () => {
    const p = {};
    if (tsel.value) p.typology = tsel.value;
    if (subj.value.trim()) p.subject = subj.value.trim();
    location.hash = link(['money'], p);
  };
  tsel.addEventListener('change', go);
  const flowsBox = h('section', { 'aria-label': 'Flows' });
  const alertsBox = h('section', { 'aria-label': 'Alerts' }, h('p', { class: 'muted spinner' }, 'Loading alerts'));
  mount(main, h('h1', {}, 'Money'),
    h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); go(); } },
      h('label', {}, 'Typology', tsel), h('label', {}, 'Flows of subject', subj), h('button', { type: 'submit' }, 'Show')),
    flowsBox, alertsBox);
  const jobs = [];
  if (subject) {
    jobs.push(api.flows(subject, 3).then((f) => mount(flowsBox, h('h2', {}, `Flows of ${subject}`), sankey(f)))
      .catch((e) => { showError(e); flowsBox.replaceChildren(); }));
  }
  jobs.push(api.alerts(typology || undefined, ALERTS_SHOWN_MAX).then((alerts) => {
    const counts = new Map();
    for (const a of alerts) counts.set(a.typology, (counts.get(a.typology) ?? 0) + 1);
    mount(alertsBox,
      h('h2', {}, `${alerts.length} alert${alerts.length === 1 ? '' : 's'}`),
      h('p', {}, [...counts].map(([t, n]) => h('span', { class: 'badge', style: `border-color:${colour(t)}` }, `${t} ${n}`))),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Alert'), h('th', {}, 'Typology'), h('th', { class: 'num' }, 'Score'), h('th', {}, 'Window'), h('th', {}, 'Accounts'), h('th', {}, 'Subjects'), h('th', { class: 'num' }, 'Transactions'))),
        h('tbody', {}, alerts.map((a) => h('tr', {},
          h('td', {}, a.alert_id), h('td', {}, a.typology), h('td', { class: 'num' }, Number(a.score).toFixed(2)),
          h('td', {}, `${when(a.window?.from)} – ${when(a.window?.to)}`),
          h('td', {}, (a.accounts ?? []).slice(0, 4).join(', '), (a.accounts ?? []).length > 4 ? ` +${a.accounts.length - 4}` : ''),
          h('td', {}, (a.subjects ?? []).map((sid, i) => [i ? ', ' : '', h('a', { href: link(['money'], { subject: sid }) }, sid)])),
          h('td', { class: 'num' }, (a.transactions ?? []).length))))));
  }).catch((e) => { showError(e); alertsBox.replaceChildren(); }));
  await Promise.all(jobs);
  ready('money');
}

/** A left-to-right flow chart: nodes in columns by their distance from the first sources. */
function sankey(f) {
  const nodes = new Map((f?.nodes ?? []).map((n) => [n.id, { ...n, in: 0, out: 0, col: 0 }]));
  const links = (f?.links ?? []).filter((l) => nodes.has(l.source) && nodes.has(l.target) && l.source !== l.target);
  if (!links.length) return h('p', { class: 'muted' }, 'No readable flows.');
  for (const l of links) { nodes.get(l.source).out += l.amount_minor; nodes.get(l.target).in += l.amount_minor; }
  // Columns by longest path from a source, bounded so that cycles cannot loop.
  for (let pass = 0; pass < nodes.size; pass++) {
    let moved = false;
    for (const l of links) {
      const a = nodes.get(l.source); const b = nodes.get(l.target);
      if (b.col < a.col + 1 && a.col + 1 < 8) { b.col = a.col + 1; moved = true; }
    }
    if (!moved) break;
  }
  const cols = Math.max(...[...nodes.values()].map((n) => n.col)) + 1;
  const byCol = Array.from({ length: cols }, () => []);
  for (const n of nodes.values()) byCol[n.col].push(n);
  const total = Math.max(...byCol.map((c) => c.reduce((sum, n) => sum + Math.max(n.in, n.out), 0)));
  const height = Math.max(200, Math.min(900, 40 * Math.max(...byCol.map((c) => c.length))));
  const scale = (height - SANKEY_GAP_PX * 40) > 0 ? (height - SANKEY_GAP_PX * Math.max(...byCol.map((c) => c.length))) / total : height / total;
  const xStep = (SANKEY_WIDTH_PX - 200) / Math.max(1, cols - 1);
  for (const [ci, c] of byCol.entries()) {
    let y = 0;
    for (const n of c) {
      n.x = 20 + ci * xStep; n.y = y; n.h = Math.max(2, Math.max(n.in, n.out) * scale); n.inY = y; n.outY = y;
      y += n.h + SANKEY_GAP_PX;
    }
  }
  const bands = links.map((l) => {
    const a = nodes.get(l.source); const b = nodes.get(l.target);
    const w = Math.max(1, l.amount_minor * scale);
    const y0 = a.outY + w / 2; const y1 = b.inY + w / 2;
    a.outY += w; b.inY += w;
    const x0 = a.x + SANKEY_NODE_WIDTH_PX; const x1 = b.x; const mx = (x0 + x1) / 2;
    return s('path', { d: `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}`, fill: 'none', stroke: colour(l.source), 'stroke-opacity': 0.45, 'stroke-width': w },
      s('title', {}, `${a.caption ?? a.id} → ${b.caption ?? b.id}: ${fmt(l.amount_minor, l.currency)} in ${l.count} transaction(s), ${when(l.first_at)} – ${when(l.last_at)}`));
  });
  const boxes = [...nodes.values()].map((n) => s('g', {},
    s('rect', { x: n.x, y: n.y, width: SANKEY_NODE_WIDTH_PX, height: n.h, fill: n.kind === 'subject' ? '#14213d' : '#0b57d0' }),
    s('text', { x: n.x + SANKEY_NODE_WIDTH_PX + 3, y: n.y + n.h / 2 + 4 }, `${n.caption ?? n.id}`)));
  return s('svg', { class: 'sankey', viewBox: `0 0 ${SANKEY_WIDTH_PX} ${height + 20}`, width: '100%', role: 'img', 'aria-label': `Money flows: ${nodes.size} accounts and subjects, ${links.length} flows` }, bands, boxes);
}
