// Builds web/dist from web/src and the few browser files of the packages in package.json,
// with no bundler: our ES modules are copied as they are, third-party code is the packages' own
// browser builds, and the world map is cut to the region the routes cross. Run after `npm ci`.
// Node only, no dependencies of its own.
import { readFileSync, writeFileSync, mkdirSync, rmSync, readdirSync, statSync, copyFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const out = join(here, 'dist');
const modules = join(here, 'node_modules');

// Browser builds copied into dist/vendor, loaded by index.html as classic scripts (UMD globals).
const VENDOR = [
  ['graphology/dist/graphology.umd.min.js', 'graphology.umd.min.js'],
  ['sigma/dist/sigma.min.js', 'sigma.min.js'],
  ['d3-array/dist/d3-array.min.js', 'd3-array.min.js'],
  ['d3-geo/dist/d3-geo.min.js', 'd3-geo.min.js'],
  ['topojson-client/dist/topojson-client.min.js', 'topojson-client.min.js'],
  ['vis-timeline/standalone/umd/vis-timeline-graph2d.min.js', 'vis-timeline-graph2d.min.js'],
  ['vis-timeline/styles/vis-timeline-graph2d.min.css', 'vis-timeline-graph2d.min.css'],
];

// The map's region, degrees: from Ireland and Portugal to Turkey and the Levant, where the
// Western Balkans route starts; a country is kept when its bounding box meets it.
const REGION = { lonMin: -11, lonMax: 45, latMin: 30, latMax: 61 };
// Natural Earth's names that partners write differently.
const RENAME = { Macedonia: 'North Macedonia' };

function copyTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const a = join(from, name);
    const b = join(to, name);
    if (statSync(a).isDirectory()) copyTree(a, b);
    else copyFileSync(a, b);
  }
}

// Cuts a TopoJSON topology to the countries that meet REGION, keeping only the arcs they use
// (renumbered), so the embedded map is a fraction of the 50m file.
function cutRegion(topo) {
  const t = topo.transform;
  if (!t) throw new Error('world-atlas: expected a quantized topology with a transform');
  const decoded = topo.arcs.map((arc) => {
    let x = 0;
    let y = 0;
    return arc.map(([dx, dy]) => {
      x += dx;
      y += dy;
      return [x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1]];
    });
  });
  const arcsOf = (g) => {
    if (g.type === 'Polygon') return g.arcs.flat();
    if (g.type === 'MultiPolygon') return g.arcs.flat(2);
    return [];
  };
  const meets = (g) => {
    let lonMin = Infinity, lonMax = -Infinity, latMin = Infinity, latMax = -Infinity;
    for (const i of arcsOf(g)) {
      for (const [lon, lat] of decoded[i < 0 ? ~i : i]) {
        lonMin = Math.min(lonMin, lon); lonMax = Math.max(lonMax, lon);
        latMin = Math.min(latMin, lat); latMax = Math.max(latMax, lat);
      }
    }
    // A country spanning half the world (Russia) is kept only by its part in the region,
    // which the projection clips; its box still has to meet the region.
    return lonMax >= REGION.lonMin && lonMin <= REGION.lonMax && latMax >= REGION.latMin && latMin <= REGION.latMax;
  };
  const countries = topo.objects.countries;
  const kept = countries.geometries.filter(meets);
  const renumber = new Map();
  const arcs = [];
  const map = (i) => {
    const k = i < 0 ? ~i : i;
    if (!renumber.has(k)) {
      renumber.set(k, arcs.length);
      arcs.push(topo.arcs[k]);
    }
    const n = renumber.get(k);
    return i < 0 ? ~n : n;
  };
  const geometries = kept.map((g) => {
    const name = g.properties?.name ?? '';
    const properties = { name: RENAME[name] ?? name };
    // Kosovo has no ISO numeric code in Natural Earth; the name is the key for every country.
    const base = { type: g.type, properties };
    if (g.id !== undefined) base.id = g.id;
    if (g.type === 'Polygon') base.arcs = g.arcs.map((ring) => ring.map(map));
    else if (g.type === 'MultiPolygon') base.arcs = g.arcs.map((poly) => poly.map((ring) => ring.map(map)));
    return base;
  });
  return {
    type: 'Topology',
    transform: topo.transform,
    objects: { countries: { type: 'GeometryCollection', geometries } },
    arcs,
  };
}

function main() {
  if (!existsSync(modules)) {
    throw new Error(`${modules} is missing: run \`npm ci\` in web/ first`);
  }
  rmSync(out, { recursive: true, force: true });
  copyTree(src, out);
  const vendor = join(out, 'vendor');
  mkdirSync(vendor, { recursive: true });
  for (const [from, to] of VENDOR) {
    const path = join(modules, from);
    if (!existsSync(path)) throw new Error(`${path} is missing: the package version changed its layout`);
    copyFileSync(path, join(vendor, to));
  }
  const world = JSON.parse(readFileSync(join(modules, 'world-atlas/countries-50m.json'), 'utf8'));
  const region = cutRegion(world);
  const names = region.objects.countries.geometries.map((g) => g.properties.name);
  for (const needed of ['Serbia', 'North Macedonia', 'Kosovo', 'Albania', 'United Kingdom', 'Greece']) {
    if (!names.includes(needed)) throw new Error(`the region cut lost ${needed}`);
  }
  writeFileSync(join(vendor, 'region-50m.json'), JSON.stringify(region));
  console.log(`web/dist: ${names.length} countries in the map, ${VENDOR.length} vendor files`);
}

main();
