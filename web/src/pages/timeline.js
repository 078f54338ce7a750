// The timeline of a subject or network: crossings, interceptions, calls, payments, on
// vis-timeline (loaded as a browser build: window.vis).
import { h } from '../util.js';

// vis-timeline draws every item in the DOM; past this many it becomes slow, so the rest is
// summarised.
const TIMELINE_ITEMS_MAX = 2_000;

export function drawTimeline(el, events) {
  const vis = window.vis;
  if (!vis?.Timeline) {
    el.replaceChildren(h('p', { class: 'error' }, 'The timeline library did not load.'));
    return null;
  }
  const kinds = [...new Set(events.map((e) => e.kind))].sort();
  const groups = kinds.map((k, i) => ({ id: k, content: k, order: i }));
  const shown = events.slice(0, TIMELINE_ITEMS_MAX);
  const items = shown.map((e, i) => ({
    id: i,
    group: e.kind,
    start: e.at,
    content: e.caption || e.kind,
    title: `${e.kind} · ${e.at}${e.place?.name ? ` · ${e.place.name}` : ''} · ${e.origin}/${e.id}`,
  }));
  el.replaceChildren();
  const t = new vis.Timeline(el, new vis.DataSet(items), new vis.DataSet(groups), {
    stack: true, maxHeight: 320, zoomKey: 'ctrlKey', orientation: 'top', tooltip: { followMouse: true },
  });
  if (events.length > shown.length) el.appendChild(h('p', { class: 'muted' }, `Showing ${shown.length} of ${events.length} events.`));
  return t;
}
