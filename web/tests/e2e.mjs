// End-to-end browser test of the workspace: starts `corridor demo` on a free loopback port,
// drives Debian's Chromium with playwright-core, and walks the request flow between two
// agencies: the UK analyst searches a Cyrillic name, opens the subject (link chart drawn),
// asks Serbia for a hit; the Serbian supervisor approves it with a condition; the UK analyst then
// reads the Serbian record with that condition. A screenshot of each page is saved in
// docs/screenshots/. Any page error, failed API call the test did not expect, or missing
// element fails the run.
//
// Environment: CORRIDOR_BIN (the corridor binary; default: target/release/corridor under
// CARGO_TARGET_DIR or the repository), CHROMIUM (default /usr/bin/chromium),
// CORRIDOR_E2E_NAME (the Cyrillic name to search).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const shots = join(repo, 'docs/screenshots');
const PASSWORD = 'corridor-demo';
// A Serbian police record holds this name in Cyrillic; the UK may discover it but not read it.
const NAME = process.env.CORRIDOR_E2E_NAME ?? 'Мухамед';
const CONDITION = 'Intelligence only: not for evidential use without consent of UGP Beograd';
// The demo must be ready within this (it prints its URL when serving).
const DEMO_READY_MS = 120_000;
const STEP_MS = 30_000;
const VIEWPORT = { width: 1280, height: 800 };

function binary() {
  if (process.env.CORRIDOR_BIN) return process.env.CORRIDOR_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target');
  const path = join(target, 'release', 'corridor');
  if (!existsSync(path)) throw new Error(`${path} is missing: build it with cargo build --release -p corridor-cli, or set CORRIDOR_BIN`);
  return path;
}

function startDemo() {
  const child = spawn(binary(), ['demo', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => { child.kill('SIGTERM'); fail(new Error(`corridor demo printed no URL in ${DEMO_READY_MS} ms:\n${out}`)); }, DEMO_READY_MS);
    const look = (chunk) => {
      out += chunk;
      const m = out.match(/https?:\/\/127\.0\.0\.1:\d+/);
      if (m) { clearTimeout(timer); ok({ child, url: m[0], log: () => out }); }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', (c) => { out += c; });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`corridor demo exited (${code}) before serving:\n${out}`)); });
  });
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok - ${what}`);
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const demo = await startDemo();
  console.log(`demo at ${demo.url}`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const failures = [];
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 500) failures.push(`HTTP ${r.status()} from ${r.url()}`);
      if (!r.url().startsWith(demo.url)) failures.push(`request outside the server: ${r.url()}`);
    });
    const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });
    const readyOn = (name) => page.waitForFunction((n) => document.body.dataset.page === n && document.body.dataset.ready === 'true', name);
    const noErrorsShown = async (what) => {
      const errs = await page.locator('#errors .error').allTextContents();
      check(errs.length === 0, `${what}: no error shown${errs.length ? ` (${errs.join(' | ')})` : ''}`);
    };
    const login = async (user) => {
      await page.goto(`${demo.url}/#/login`, { waitUntil: 'commit' });
      await readyOn('login');
      await page.fill('#login-user', user);
      await page.fill('#login-password', PASSWORD);
      await page.fill('#login-justification', 'Operation Kestrel: Western Balkans smuggling network');
      if (user === 'uk.analyst') await shot('login');
      await page.click('form[aria-label="Log in"] button[type=submit]');
      await readyOn('search');
      check((await page.textContent('#who')).includes(user), `logged in as ${user}`);
    };
    const logout = async () => {
      await page.click('#who button');
      await readyOn('login');
    };
    const search = async (q) => {
      await page.fill('#q', q);
      await page.press('#q', 'Enter');
      await page.waitForFunction(() => document.body.dataset.page === 'search' && document.body.dataset.ready === 'true' && window.corridorReady?.results !== undefined);
    };

    // 1. The UK analyst searches a Cyrillic name: readable subjects and a hit held by Serbia.
    await login('uk.analyst');
    await search(NAME);
    await noErrorsShown('search');
    const subjects = await page.locator('article.subject').count();
    const serbianHit = page.locator('article.hit', { hasText: 'RS_BP' }).or(page.locator('article.hit', { hasText: 'granič' })).first();
    check(subjects > 0, `search '${NAME}' lists ${subjects} readable subjects`);
    check(await serbianHit.count() === 1, 'search shows a hit held by the Serbian border police');
    await shot('search');

    // 2. The subject page: records, explanation and the link chart with nodes. The subject
    // with the most readable records makes the fullest page.
    const richest = await page.evaluate(() => {
      const cards = [...document.querySelectorAll('article.subject')];
      const rows = cards.map((c) => c.querySelectorAll('tbody tr').length);
      return rows.indexOf(Math.max(...rows));
    });
    await page.locator('article.subject a.subject-link').nth(richest).click();
    await readyOn('subject');
    await noErrorsShown('subject');
    const nodes = await page.evaluate(() => window.corridorReady?.nodes ?? 0);
    check(nodes > 0, `subject link chart drawn with ${nodes} nodes`);
    check(Number(await page.getAttribute('#chart', 'data-nodes')) > 0, 'chart element reports its nodes');
    // Each explained link lists its fields with m, u and weight, which add up to the sum row.
    const sums = await page.evaluate(() => [...document.querySelectorAll('table.field-weights')].map((t) => {
      const cells = [...t.querySelectorAll('tbody tr')].map((r) => Number(r.children[4].textContent));
      const sum = Number(t.querySelector('.field-weights-sum').textContent);
      // Each shown number is rounded to 0.005: the sum may be off by that much per row.
      return Math.abs(cells.reduce((a, b) => a + b, 0) - sum) <= 0.005 * (cells.length + 1) + 1e-9;
    }));
    check(sums.length > 0 && sums.every(Boolean), `per-field weights add up on ${sums.length} links`);
    await page.waitForTimeout(500);
    await shot('subject');
    // The chart exports as a PNG with the WebGL layers in it (not a blank canvas).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
    const png = readFileSync(await download.path());
    check(png.subarray(1, 4).toString() === 'PNG' && png.length > 5_000, `the chart exports as a PNG (${png.length} bytes)`);

    // 3. Ask Serbia for the hit.
    await page.goBack();
    await readyOn('search');
    await serbianHit.locator('button.request-hit').click();
    await page.fill('#request-justification', 'Operation Kestrel: the subject crossed from Serbia before the Channel crossing');
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('.request-sent');
    check(true, 'request sent to Serbia');

    // Other pages, for the record: networks, a network's chart, the map, money (the map's
    // screenshot is Serbia's, below: the UK reads no crossing without a request).
    await page.goto(`${demo.url}/#/networks`, { waitUntil: 'commit' });
    await readyOn('networks');
    await shot('networks');
    const firstNet = page.locator('main table a[href^="#/graph/network/"]').first();
    if (await firstNet.count()) {
      await firstNet.click();
      await readyOn('graph');
      check(await page.evaluate(() => window.corridorReady?.nodes ?? 0) > 0, 'network chart drawn with nodes');
      await page.waitForTimeout(500);
      await shot('network');
    }
    await page.goto(`${demo.url}/#/map`, { waitUntil: 'commit' });
    await readyOn('map');
    check(await page.locator('svg.map path.country').count() > 10, 'route map draws the countries');
    await page.goto(`${demo.url}/#/money`, { waitUntil: 'commit' });
    await readyOn('money');
    await shot('money');
    await logout();

    // 4. The Serbian supervisor approves with a condition.
    await login('rs.supervisor');
    await page.goto(`${demo.url}/#/inbox`, { waitUntil: 'commit' });
    await readyOn('inbox');
    const pending = page.locator('article.request[data-status=pending]').first();
    check(await pending.count() === 1, 'Serbia sees the pending request');
    await pending.locator('select[name=decision]').selectOption('approve');
    await pending.locator('input[name=conditions]').fill(CONDITION);
    await pending.locator('input[name=reason]').fill('Shared for Operation Kestrel');
    await shot('inbox');
    await pending.locator('button[type=submit]').click();
    await page.waitForSelector('.answered');
    await noErrorsShown('answer');
    check(true, 'Serbia approved the request');
    // Serbia reads its own crossings and interceptions: the route is drawn on its map.
    await page.goto(`${demo.url}/#/map`, { waitUntil: 'commit' });
    await readyOn('map');
    check(await page.locator('svg.map circle').count() > 0, 'the route map shows Serbia\'s places');
    await shot('map');
    await logout();

    // 5. The UK analyst reads the Serbian record with its condition.
    await login('uk.analyst');
    // By keyboard: "g" then "i" opens the inbox.
    await page.locator('main h1').click();
    await page.keyboard.press('g');
    await page.keyboard.press('i');
    await readyOn('inbox');
    check(await page.locator('tr.outgoing[data-status=approved]').count() >= 1, 'the UK sees its request approved');
    await page.goto(`${demo.url}/#/search`, { waitUntil: 'commit' });
    await readyOn('search');
    await search(NAME);
    const withSerbian = page.locator('article.subject', { hasText: 'RS_BP' }).first();
    check(await withSerbian.count() === 1, 'the Serbian record is now readable in the search');
    await withSerbian.locator('a.subject-link').click();
    await readyOn('subject');
    const record = page.locator('.record[data-origin="RS_BP"]', { hasText: CONDITION }).first();
    check(await record.count() === 1, 'the Serbian record carries the condition');
    await record.scrollIntoViewIfNeeded();
    await shot('disclosed');
    await logout();

    // 6. The auditor sees the log, including the request and its answer.
    await login('uk.auditor');
    await page.goto(`${demo.url}/#/audit`, { waitUntil: 'commit' });
    await readyOn('audit');
    check(await page.evaluate(() => window.corridorReady?.entries ?? 0) > 0, 'the auditor reads audit entries');
    await page.click('main button');
    await page.waitForSelector('#audit-verdict');
    check((await page.textContent('#audit-verdict')).startsWith('Chain intact'), 'the audit chain verifies');
    await shot('audit');
  } finally {
    await browser.close();
    demo.child.kill('SIGTERM');
  }
  if (failures.length) throw new Error(`browser saw failures:\n${failures.join('\n')}`);
  console.log('e2e: every step passed');
}

main().catch((e) => {
  console.error(`e2e failed: ${e.stack ?? e}`);
  process.exit(1);
});
