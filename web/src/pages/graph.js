// The link chart: sigma (WebGL) over a graphology graph. Positions come from the server (x, y);
// nodes are coloured by community and sized by the chosen centrality; edge types can be
// filtered, a time slider hides links not yet recorded, a click expands a node's neighbours,
// and the chart exports as PNG.
import { api } from '../api.js';
import { h, mount, link, colour, when } from '../util.js';

// Past this many nodes the chart stops expanding: sigma stays fluid to a few thousand.
const CHART_NODES_MAX = 5_000;
const NODE_SIZE_MIN_PX = 3;
const NODE_SIZE_MAX_PX = 16;
const CENTRALITIES = ['pagerank', 'betweenness', 'degree'];
// Rows of the chart's table view; the chart itself shows every node.
const NODE_TABLE_ROWS_MAX = 50;

export async function render(main, { parts, showError, ready }) {
  const [mode, id] = parts;
  if (!['network', 'ego'].includes(mode) || !id) throw new Error('The address names no network or subject (#/graph/network/ID or #/graph/ego/ID).');
  const data = mode === 'network' ? await api.networkGraph(id) : await api.ego(id, 2);
  const chart = h('div', { id: 'chart', role: 'img', 'aria-label': `Link chart of ${mode} ${id}` });
  const info = h('div', { class: 'chart-side', 'aria-live': 'polite' });
  mount(main,
    h('h1', {}, mode === 'network' ? `Network ${id}` : `Ego network of ${id}`, ' ',
      h('span', { class: 'muted' }, `${data.nodes?.length ?? 0} nodes, ${data.edges?.length ?? 0} links`)),
    h('div', { class: 'row' },
      mode === 'network' ? h('a', { href: link(['map'], { network: id }) }, 'Route map of this network') : h('a', { href: link(['subject', id]) }, 'Back to the subject')),
    chart, info);
  const stop = drawGraph(chart, data, { info, focus: mode === 'ego' ? id : null, showError });
  ready('graph', { nodes: data.nodes?.length ?? 0 });
  return stop;
}

/** Draws `data` ({nodes, edges} of the API) into `el`; returns a function that tears it down. */
export function drawGraph(el, data, { info, focus = null, showError = () => {} } = {}) {
  const Graph = window.graphology?.MultiGraph ?? window.graphology?.Graph;
  const Sigma = window.Sigma;
  if (!Graph || !Sigma) {
    el.replaceChildren(h('p', { class: 'error' }, 'The link chart library did not load.'));
    return () => {};
  }
  const graph = new Graph({ multi: true, type: 'mixed' });
  const nodesById = new Map();
  const addData = (d) => {
    for (const n of d.nodes ?? []) {
      if (graph.order >= CHART_NODES_MAX) break;
      if (graph.hasNode(n.id)) continue;
      nodesById.set(n.id, n);
      graph.addNode(n.id, { x: Number(n.x) || 0, y: Number(n.y) || 0, label: n.caption || n.id, color: colour(n.community ?? 0), size: NODE_SIZE_MIN_PX, raw: n });
    }
    for (const e of d.edges ?? []) {
      if (graph.hasEdge(e.id) || !graph.hasNode(e.source) || !graph.hasNode(e.target)) continue;
      graph.addEdgeWithKey(e.id, e.source, e.target, { size: Math.min(4, 0.5 + Math.log2(1 + (e.weight ?? 1))), color: '#9aa4b1', raw: e });
    }
  };
  addData(data);
  const types = [...new Set((data.edges ?? []).map((e) => e.type))].sort();
  const times = (data.edges ?? []).flatMap((e) => [Date.parse(e.first_at), Date.parse(e.last_at)]).filter(Number.isFinite);
  const tMin = times.length ? Math.min(...times) : 0;
  const tMax = times.length ? Math.max(...times) : 0;

  const centrality = h('select', { id: 'centrality', 'aria-label': 'Size nodes by' }, CENTRALITIES.map((c) => h('option', { value: c }, c)));
  const typeBoxes = types.map((t) => h('input', { type: 'checkbox', checked: true, value: t, 'aria-label': `Show ${t} links` }));
  const slider = h('input', { id: 'time', type: 'range', min: tMin, max: tMax || 1, value: tMax || 1, step: 86_400_000, 'aria-label': 'Show links recorded up to this date', disabled: !times.length });
  const sliderText = h('output', { for: 'time' }, times.length ? when(new Date(tMax).toISOString().slice(0, 10)) : 'no dates');
  const selected = h('div', { class: 'selected' }, 'Click a node to see it and expand its neighbours.');
  const legend = h('div', { class: 'legend' });
  el.replaceChildren();
  const controls = h('div', { class: 'panel row', role: 'group', 'aria-label': 'Chart controls' },
    h('label', {}, 'Size by', centrality),
    h('fieldset', { class: 'row', style: 'border:0;padding:0;margin:0' }, h('legend', { class: 'muted', style: 'font-size:12px' }, 'Link types'),
      typeBoxes.map((b) => h('label', { style: 'flex-direction:row;align-items:center;color:var(--fg)' }, b, b.value))),
    h('label', {}, 'Recorded up to', slider), sliderText,
    h('button', { type: 'button', class: 'secondary', id: 'export-png', onclick: () => exportPng() }, 'Export PNG'));
  el.before(controls);

  let renderer;
  try {
    renderer = new Sigma(graph, el, { settings: { labelRenderedSizeThreshold: 7, hideEdgesOnMove: true, itemSizesReference: 'screen', autoRescale: true } });
  } catch (e) {
    el.replaceChildren(h('p', { class: 'error' }, `The link chart could not start WebGL: ${e.message}`));
    return () => controls.remove();
  }

  const resize = () => {
    const key = centrality.value;
    const values = graph.mapNodes((_, a) => Number(a.raw?.[key]) || 0);
    const max = Math.max(1e-12, ...values);
    graph.forEachNode((n, a) => {
      const v = (Number(a.raw?.[key]) || 0) / max;
      graph.setNodeAttribute(n, 'size', NODE_SIZE_MIN_PX + Math.sqrt(v) * (NODE_SIZE_MAX_PX - NODE_SIZE_MIN_PX));
    });
  };
  const filter = () => {
    const on = new Set(typeBoxes.filter((b) => b.checked).map((b) => b.value));
    const upTo = Number(slider.value);
    graph.forEachEdge((key, a) => {
      const first = Date.parse(a.raw?.first_at);
      const hidden = !on.has(a.raw?.type) || (times.length && Number.isFinite(first) && first > upTo);
      renderer.setEdgeState(key, { isHidden: Boolean(hidden) });
    });
    sliderText.textContent = times.length ? new Date(upTo).toISOString().slice(0, 10) : 'no dates';
  };
  const describe = () => {
    const communities = new Map();
    graph.forEachNode((_, a) => communities.set(a.raw?.community ?? 0, (communities.get(a.raw?.community ?? 0) ?? 0) + 1));
    mount(legend, [...communities].sort((x, y) => y[1] - x[1]).slice(0, 10).map(([c, n]) => h('span', {}, h('i', { style: `background:${colour(c)}` }), `community ${c} (${n})`)));
    // The chart as a table too: reachable by keyboard and screen readers, most central first.
    const key = centrality.value;
    const ranked = graph.mapNodes((n, a) => a.raw ?? { id: n }).sort((x, y) => (Number(y[key]) || 0) - (Number(x[key]) || 0));
    const table = h('details', {}, h('summary', {}, `Nodes as a table (${Math.min(ranked.length, NODE_TABLE_ROWS_MAX)} most central by ${key})`),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'Kind'), h('th', { class: 'num' }, 'Community'), h('th', { class: 'num' }, key))),
        h('tbody', {}, ranked.slice(0, NODE_TABLE_ROWS_MAX).map((n) => h('tr', {},
          h('td', {}, h('a', { href: link(['subject', n.id]) }, n.caption || n.id)), h('td', {}, n.kind ?? ''),
          h('td', { class: 'num' }, n.community ?? ''), h('td', { class: 'num' }, Number(n[key] ?? 0).toFixed(4)))))));
    if (info) mount(info, h('p', {}, `${graph.order} nodes, ${graph.size} links`), legend, selected, table);
    el.dataset.nodes = String(graph.order);
    el.dataset.edges = String(graph.size);
  };
  centrality.addEventListener('change', () => { resize(); describe(); });
  for (const b of typeBoxes) b.addEventListener('change', filter);
  slider.addEventListener('input', filter);

  renderer.on('clickNode', async ({ node }) => {
    const a = graph.getNodeAttributes(node);
    const n = a.raw ?? {};
    mount(selected,
      h('strong', {}, n.caption || node), ' ', h('span', { class: 'muted' }, `${n.kind ?? ''} · ${node}`),
      h('div', {}, `PageRank ${Number(n.pagerank ?? 0).toFixed(4)} · betweenness ${Number(n.betweenness ?? 0).toFixed(4)} · degree ${n.degree ?? 0}`),
      h('a', { href: link(['subject', node]) }, 'Open subject'), ' ',
      h('span', { class: 'muted' }, 'expanding…'));
    if (graph.order >= CHART_NODES_MAX) { selected.lastChild.textContent = `Chart full (${CHART_NODES_MAX} nodes).`; return; }
    try {
      const more = await api.ego(node, 1);
      const before = graph.order;
      addData(more);
      resize();
      filter();
      describe();
      selected.lastChild.textContent = `+${graph.order - before} nodes`;
    } catch (e) {
      selected.lastChild.textContent = '';
      showError(e);
    }
  });

  function exportPng() {
    // WebGL canvases keep their pixels only until the frame is shown: copy them right after a
    // render, in the same task.
    renderer.once('afterRender', () => {
      const { width, height } = renderer.getDimensions();
      const ratio = window.devicePixelRatio || 1;
      const out = document.createElement('canvas');
      out.width = width * ratio;
      out.height = height * ratio;
      const ctx = out.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, out.width, out.height);
      for (const c of el.querySelectorAll('canvas')) ctx.drawImage(c, 0, 0, out.width, out.height);
      const a = document.createElement('a');
      a.download = 'corridor-link-chart.png';
      a.href = out.toDataURL('image/png');
      a.click();
    });
    renderer.refresh();
  }

  if (focus && graph.hasNode(focus)) renderer.setNodeState(focus, { isHighlighted: true });
  resize();
  describe();
  renderer.refresh();
  return () => { renderer.kill(); controls.remove(); };
}
