// The networks found in the link graph, largest first, each with its most central subjects.
import { api } from '../api.js';
import { h, mount, link } from '../util.js';

export async function render(main, { ready }) {
  // Largest first: the networks worth a look come first whatever order the API lists.
  const nets = [...(await api.networks())].sort((a, b) => (b.size ?? 0) - (a.size ?? 0));
  mount(main, h('h1', {}, `Networks (${nets.length})`),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Network'), h('th', { class: 'num' }, 'Subjects'), h('th', {}, 'Most central'), h('th', {}, ''))),
      h('tbody', {}, nets.map((n) => h('tr', {},
        h('td', {}, h('a', { href: link(['graph', 'network', n.network_id]) }, n.network_id)),
        h('td', { class: 'num' }, n.size),
        h('td', {}, (n.top ?? []).map((t, i) => [i ? ', ' : '', h('a', { href: link(['subject', t.subject_id]) }, t.caption || t.subject_id)])),
        h('td', {}, h('a', { href: link(['map'], { network: n.network_id }) }, 'map')))))));
  ready('networks', { networks: nets.length });
}
