// The route map, offline: Natural Earth countries cut to the region at build time (d3-geo,
// topojson-client, SVG), crossing points and interceptions from our own data, and the legs of
// a selected network.
import { api } from '../api.js';
import { h, s, mount, link, when } from '../util.js';

const WIDTH_PX = 1000;
const HEIGHT_PX = 620;
// The view's frame: from the UK to Turkey and Greece, the route's two ends.
const FRAME = { type: 'MultiPoint', coordinates: [[-8, 36], [30, 36], [30, 58], [-8, 58]] };
const PARTNERS = new Set(['Serbia', 'North Macedonia', 'Kosovo', 'Albania', 'United Kingdom']);
const KIND_COLOUR = { crossing: '#0b57d0', interception: '#d62728', city: '#333333', port: '#17becf' };
let regionCache = null;

export async function render(main, { params, showError, ready }) {
  const d3 = window.d3;
  const topojson = window.topojson;
  if (!d3?.geoPath || !topojson?.feature) throw new Error('The map libraries did not load.');
  const network = params.get('network') ?? '';
  const [region, data, nets] = await Promise.all([
    regionCache ??= fetch('/vendor/region-50m.json').then((r) => {
      if (!r.ok) throw new Error(`The map data is missing (HTTP ${r.status}).`);
      return r.json();
    }),
    // Without the places and legs the countries are still worth drawing; the error is shown.
    api.map(network || undefined).catch((e) => { showError(e); return null; }),
    api.networks().catch((e) => { showError(e); return []; }),
  ]);
  const select = h('select', { id: 'network', 'aria-label': 'Network' },
    h('option', { value: '' }, 'All readable records'),
    nets.map((n) => h('option', { value: n.network_id, selected: n.network_id === network }, `${n.network_id} (${n.size})`)));
  select.addEventListener('change', () => { location.hash = link(['map'], select.value ? { network: select.value } : {}); });
  const countries = topojson.feature(region, region.objects.countries);
  const projection = d3.geoConicConformal().parallels([40, 55]).rotate([-12, 0]).fitSize([WIDTH_PX, HEIGHT_PX], FRAME);
  const path = d3.geoPath(projection);
  const places = data?.places ?? [];
  const legs = data?.legs ?? [];
  const maxCount = Math.max(1, ...places.map((p) => p.count ?? 1), ...legs.map((l) => l.count ?? 1));
  const tip = (text) => s('title', {}, text);
  const svg = s('svg', { class: 'map', viewBox: `0 0 ${WIDTH_PX} ${HEIGHT_PX}`, role: 'img', 'aria-label': `Route map: ${places.length} places, ${legs.length} legs` },
    s('g', {}, countries.features.map((f) => s('path', { class: `country${PARTNERS.has(f.properties.name) ? ' partner' : ''}`, d: path(f) ?? '' }, tip(f.properties.name)))),
    s('g', {}, countries.features.filter((f) => PARTNERS.has(f.properties.name)).map((f) => {
      const [x, y] = path.centroid(f);
      return Number.isFinite(x) ? s('text', { x, y, 'text-anchor': 'middle' }, f.properties.name) : null;
    })),
    s('g', {}, legs.map((l) => {
      const a = projection([l.from.lon, l.from.lat]);
      const b = projection([l.to.lon, l.to.lat]);
      if (!a || !b) return null;
      return s('line', { class: 'leg', x1: a[0], y1: a[1], x2: b[0], y2: b[1], 'stroke-width': 1 + 5 * Math.sqrt((l.count ?? 1) / maxCount) },
        tip(`${l.from.name} → ${l.to.name}: ${l.count} (${when(l.first_at)} – ${when(l.last_at)})`));
    })),
    s('g', {}, places.map((p) => {
      const xy = projection([p.lon, p.lat]);
      if (!xy) return null;
      return s('circle', { cx: xy[0], cy: xy[1], r: 2 + 6 * Math.sqrt((p.count ?? 1) / maxCount), fill: KIND_COLOUR[p.kind] ?? '#555', 'fill-opacity': 0.75, stroke: '#fff', 'stroke-width': 0.5 },
        tip(`${p.name} (${p.kind}): ${p.count}`));
    })));
  mount(main,
    h('h1', {}, 'Route map'),
    h('div', { class: 'row' }, h('label', {}, 'Network', select),
      h('span', { class: 'legend' }, Object.entries(KIND_COLOUR).map(([k, c]) => h('span', {}, h('i', { style: `background:${c}` }), k))),
      network ? h('a', { href: link(['graph', 'network', network]) }, 'Link chart of this network') : null),
    svg,
    h('details', {}, h('summary', {}, `Places (${places.length})`),
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Place'), h('th', {}, 'Kind'), h('th', { class: 'num' }, 'Count'))),
        h('tbody', {}, [...places].sort((a, b) => (b.count ?? 0) - (a.count ?? 0)).map((p) => h('tr', {}, h('td', {}, p.name), h('td', {}, p.kind), h('td', { class: 'num' }, p.count))))))
  );
  ready('map', { places: places.length, legs: legs.length });
}
