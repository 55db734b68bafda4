// tests/serve/browser.mjs - the page of `tessera serve` in a real browser.
//
//   node tests/serve/browser.mjs URL QUERY_FILE EXPECT_JSON SCREENSHOT
//
// Playwright (playwright-core, no bundled browser) drives Debian's chromium
// headless: load the page, paste QUERY_FILE (a text built from indexed
// documents), press Check, and see the highlighted passages, the coverage
// bars, the side-by-side source of a clicked passage, and the document view
// behind a source link.  EXPECT_JSON names what must be found:
// {"sources": [ids...]}.  Saves a screenshot of the page with a passage open
// to SCREENSHOT (and SCREENSHOT with -doc before .png: the document view).
// Fails on any script error or console error of the page (a CSP violation
// shows there).  Prints "ok - ..." / "FAIL - ..." and "N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [url, queryFile, expectFile, shot] = process.argv.slice(2);
if (!shot) {
  console.error('usage: node browser.mjs URL QUERY_FILE EXPECT_JSON SCREENSHOT');
  process.exit(2);
}
const query = fs.readFileSync(queryFile, 'utf8');
const expect = JSON.parse(fs.readFileSync(expectFile, 'utf8'));
let passed = 0, failed = 0;
function ok(name) { passed++; console.log('ok - ' + name); }
function fail(name, why) { failed++; console.log('FAIL - ' + name + ': ' + why); }
async function step(name, fn) {
  try { await fn(); ok(name); } catch (e) { fail(name, (e && e.message || String(e)).split('\n')[0]); }
}
function assert(c, msg) { if (!c) throw new Error(msg || 'assertion failed'); }

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tsr-chromium-'));
const timer = setTimeout(() => { console.log('FAIL - browser test: timed out'); process.exit(1); }, 120000);
let ctx;
try {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
    timeout: 60000,
  });
} catch (e) {
  console.log('FAIL - launch chromium: ' + String(e.message).split('\n')[0]);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const page = ctx.pages()[0] || await ctx.newPage();
page.setDefaultTimeout(15000);
const problems = [];
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
// the page must not reach out: every request goes to the server under test
const origin = new URL(url).origin;
page.on('request', (r) => {
  if (!r.url().startsWith(origin) && !r.url().startsWith('data:'))
    problems.push('external request: ' + r.url());
});

await step('page loads, shows the index size', async () => {
  const r = await page.goto(url, { waitUntil: 'load' });
  assert(r.ok(), 'status ' + r.status());
  await page.waitForFunction(() => /documents indexed/.test(document.getElementById('ixname').textContent));
});

await step('paste a text and check it: passages highlighted', async () => {
  await page.fill('#text', query);
  await page.click('#check');
  await page.waitForSelector('#doc mark.m');
  const text = await page.$eval('#doc', (d) => d.textContent);
  assert(text === query, 'the checked text is not shown as given');
  const marks = await page.$$eval('#doc mark.m', (ms) => ms.map((m) => [m.className, m.getAttribute('data-src')]));
  const srcs = new Set(marks.flatMap((m) => m[1].split(' ')));
  assert(srcs.size === expect.sources.length, 'highlights name ' + srcs.size + ' of ' +
         expect.sources.length + ' sources');
  const colours = new Set(marks.map((m) => m[0].split(' ').find((x) => /^s\d+$/.test(x))));
  assert(colours.size >= 2, 'one colour only: ' + [...colours]);
  const bg = await page.$$eval('#doc mark.m', (ms) => new Set(ms.map((m) => getComputedStyle(m).backgroundColor + getComputedStyle(m).backgroundImage)).size);
  assert(bg >= 2, 'highlights are not coloured by source');
});

await step('sources listed with a coverage bar each and a link', async () => {
  const ids = await page.$$eval('#sources .src .id', (xs) => xs.map((x) => x.textContent));
  for (const id of expect.sources)
    assert(ids.includes(id), 'source ' + id + ' not listed (' + ids.join(', ') + ')');
  const widths = await page.$$eval('#sources .bar .tr i', (xs) => xs.map((x) => x.getBoundingClientRect().width));
  assert(widths.length === ids.length && widths.every((w) => w > 0), 'bars: ' + widths);
  const links = await page.$$eval('#sources .src a', (xs) => xs.map((x) => x.getAttribute('href')));
  assert(links.length === ids.length && links.every((h) => h.startsWith('/doc.html?id=')), 'links: ' + links);
  const cov = await page.$eval('.card.main .v', (x) => x.textContent);
  assert(/%$/.test(cov) && parseFloat(cov) > 10, 'coverage card: ' + cov);
});

await step('click a passage: its source side by side, passage highlighted', async () => {
  const mark = page.locator('#doc mark.m').first();
  const want = (await mark.getAttribute('data-p')).split(' ')[0];
  await mark.click();
  await page.waitForSelector('#pair:not([hidden]) .src-text .pas');
  const split = await page.$eval('#layout', (l) => l.classList.contains('split'));
  assert(split, 'layout not split');
  const shown = await page.$eval('#pair', (p) => p.getAttribute('data-passage'));
  assert(shown === want, 'pair shows passage ' + shown + ', clicked ' + want);
  const srcId = await page.$eval('#pair .ph b a', (a) => a.textContent);
  const pas = await page.$eval('#pair .src-text .pas', (x) => x.textContent);
  const r = await page.evaluate(async (id) => {
    const d = await (await fetch('/api/documents/' + encodeURIComponent(id))).json();
    return d.text;
  }, srcId);
  assert(pas.length > 20 && r.includes(pas), 'source excerpt is not from the source text');
  const mine = await page.$eval('#pair .mine .pas', (x) => x.textContent);
  assert(query.includes(mine), 'checked excerpt is not from the text');
  // both columns on screen, side by side
  const a = await page.$eval('main.panel', (x) => x.getBoundingClientRect().toJSON());
  const b = await page.$eval('#pair', (x) => x.getBoundingClientRect().toJSON());
  assert(b.left >= a.right - 1 && b.top < a.bottom, 'not side by side');
  const sel = await page.$$eval('#doc mark.sel', (xs) => xs.length);
  assert(sel >= 1, 'the passage is not marked in the text');
});

await step('next passage, then the screenshot', async () => {
  const n = await page.$$eval('#doc mark.m', (xs) => xs.length);
  if (n > 1) {
    await page.click('#pair .nav button:has-text("next")');
    await page.waitForFunction(() => document.getElementById('pair').getAttribute('data-passage') === '1');
    await page.waitForSelector('#pair .src-text .pas');
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  assert(fs.statSync(shot).size > 10000, 'screenshot too small');
});

await step('source link opens the document view with the passage marked', async () => {
  const href = await page.$eval('#pair .ph b a', (a) => a.getAttribute('href'));
  const p2 = await ctx.newPage();
  p2.on('pageerror', (e) => problems.push('doc page error: ' + e.message));
  await p2.goto(new URL(href, url).href);
  await p2.waitForSelector('#view:not([hidden]) #doc mark');
  const id = await p2.$eval('#info dd', (x) => x.textContent);
  assert(href.includes(encodeURIComponent(id)), 'wrong document: ' + id);
  await p2.screenshot({ path: shot.replace(/\.png$/, '-doc.png') });
  await p2.close();
});

await step('an error is shown, not thrown', async () => {
  await page.fill('#text', '   ');
  await page.click('#check');
  await page.waitForSelector('#status.err');
});

await step('no script errors, no external requests', async () => {
  assert(problems.length === 0, problems.join('; '));
});

await ctx.close();
fs.rmSync(profile, { recursive: true, force: true });
clearTimeout(timer);
console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
