// The desk page in a real browser (Debian's chromium, headless), against a
// running `citycard serve`:
//   1. load /verify/, wait until the service worker and the lists are cached;
//   2. cut the network, reload (the page comes from the service worker);
//   3. scan a valid, a tampered, a revoked (issued and revoked through the
//      office's JSON API) and an expired card and garbage,
//      asserting data-outcome each time, that no request is made during the
//      scans, and saving a screenshot of each result in test-artifacts/;
//   4. run every tests/vectors/*.json through the page's own verifier module;
//   5. the same with the page exported by `citycard desk export` on a plain
//      static web server;
//   6. check that an older revocation list is refused loudly (§8.3);
//   7. check that a trust list from another root key is refused loudly.
//
// Needs `cargo build -p citycard` first (it builds nothing itself).
// Run: npm ci --prefix tests/browser && npm --prefix tests/browser test
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { damm, decodeText, encodeText } from '../../src/web/desk/verifier.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CITYCARD_CHROMIUM || '/usr/bin/chromium';
const BIN = path.join(REPO, 'target/debug/citycard');
const ARTIFACTS = path.join(REPO, 'test-artifacts');
const VECTORS = path.join(REPO, 'tests/vectors');

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`SKIPPED: chromium not installed (${CHROMIUM}); apt-get install -y chromium`);

// ───────────── helpers ─────────────

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function citycard(...args) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A valid card number from 11 digits. */
function cardNumber(body) {
  for (let c = 0; c < 10; c++) if (damm(body + c) === 0) return body + c;
  throw new Error('unreachable');
}

const isoDay = (offsetDays) => new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);

async function startServer(dataDir, port) {
  // From the checkout, as the README's `cargo run -- serve` does: enrolment
  // checks names against the card templates in ./card-templates.
  const child = spawn(BIN, ['serve', '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`citycard serve exited: ${log}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return { child, base, log: () => log };
    } catch { /* not yet listening */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`citycard serve did not start: ${log}`);
}

async function stopServer(server) {
  if (!server || server.child.exitCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

// ───────────── the run ─────────────

let tmp;
let server;
let port;
let browser;
let context;
let page;
let requests = [];
const pageErrors = [];
const cards = {};

before(async () => {
  if (!haveChromium) return;
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`cargo build -p citycard\` first`);
  tmp = mkdtempSync(path.join(tmpdir(), 'citycard-desk-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  port = await freePort();
  const data = path.join(tmp, 'data');
  server = await startServer(data, port);
  assert.match(server.log(), /DEVELOPMENT KEYS/);

  // Cards signed by the development office key the server made.
  const key = path.join(data, 'keys/office.key');
  const sign = (opts) => citycard('card', 'sign', '--key', key, '--issuer', 'dev',
    '--given-names', opts.given, '--family-name', opts.family,
    '--issued', opts.issued, '--expires', opts.expires, '--card-number', opts.number);
  const numbers = { valid: cardNumber('10000000001'), expired: cardNumber('30000000003') };
  cards.valid = sign({ given: 'Zoë', family: 'Ünal-Łukasiewicz', issued: isoDay(-1), expires: isoDay(5 * 365), number: numbers.valid });
  cards.expired = sign({ given: 'Erika', family: 'Expired', issued: isoDay(-3 * 365), expires: isoDay(-2), number: numbers.expired });
  // Tampered: one letter of the family name changed after signing.
  const bytes = decodeText(cards.valid);
  const at = Buffer.from(bytes).indexOf(Buffer.from('nal-', 'utf8'));
  assert.ok(at > 0);
  bytes[at] = 'm'.charCodeAt(0);
  cards.tampered = encodeText(bytes);
  cards.garbage = 'HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH';
  // The revoked card goes through the real office: a supervisor (made with
  // the admin CLI while the server runs) issues a card over the JSON API and
  // revokes it; the office re-signs the revocation list it serves.
  const password = 'desk-test-supervisor-1';
  execFileSync(BIN, ['admin', 'create-user', '--username', 'desk-sup', '--role', 'supervisor', '--password-stdin'],
    { input: `${password}\n`, env: { ...process.env, CITYCARD_DATA_DIR: data }, stdio: ['pipe', 'pipe', 'pipe'] });
  const api = async (method, route, body, token) => {
    const res = await fetch(`${server.base}/api/v1${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    assert.ok(res.ok, `${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const { token } = await api('POST', '/sessions', { username: 'desk-sup', password });
  const before = Buffer.from(await (await fetch(`${server.base}/.well-known/citycard/revocations`)).arrayBuffer());
  const issued = await api('POST', '/cards', {
    given_names: 'Ravi', family_name: 'Revoked',
    attestation: { identity_checked: true, residence_checked: true },
  }, token);
  cards.revoked = issued.qr_text;
  await api('POST', `/cards/${issued.card_number}/revoke`, { reason: 'lost' }, token);
  // The served list is cached for a few seconds: wait until the new one is out.
  for (let i = 0; ; i++) {
    const now = Buffer.from(await (await fetch(`${server.base}/.well-known/citycard/revocations`)).arrayBuffer());
    if (!now.equals(before)) break;
    assert.ok(i < 100, 'the revocation list served after the revocation is the new one');
    await new Promise((r) => setTimeout(r, 100));
  }

  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ locale: 'en-GB', viewport: { width: 900, height: 1000 } });
  page = await context.newPage();
  const record = (where) => (req) => requests.push(`${where} ${req.method()} ${req.url()}`);
  page.on('request', record('page'));
  context.on('request', record('context'));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(async () => {
  if (haveChromium) assert.deepEqual(pageErrors, [], 'no script errors in the page');
  await browser?.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const skip = haveChromium ? false : 'chromium not installed';

async function waitReady() {
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15000 });
}

async function scan(text) {
  await page.evaluate(() => { document.getElementById('result').dataset.outcome = 'none'; });
  await page.focus('#scan');
  // A USB scanner is a keyboard: it types the text and presses Enter.
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#result:not([data-outcome="none"])', { timeout: 10000 });
  assert.equal(await page.inputValue('#scan'), '', 'the field is cleared for the next scan');
  return page.getAttribute('#result', 'data-outcome');
}

test('the page installs itself for offline use', { skip }, async () => {
  await page.goto(`${server.base}/verify`);
  assert.equal(new URL(page.url()).pathname, '/verify/');
  await waitReady();
  await page.waitForSelector('body[data-offline="ready"]', { timeout: 15000 });
  await page.waitForFunction(async () => {
    if (!navigator.serviceWorker.controller) return false;
    const data = await caches.open('citycard-data');
    const keys = (await data.keys()).map((r) => new URL(r.url).pathname);
    return keys.includes('/.well-known/citycard/trust-list') && keys.includes('/.well-known/citycard/revocations');
  }, null, { timeout: 15000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'scan', 'the input has the focus');
  const untranslated = await page.evaluate(() => [...document.querySelectorAll('[data-i18n]')]
    .filter((n) => n.textContent === n.dataset.i18n).map((n) => n.dataset.i18n));
  assert.deepEqual(untranslated, [], 'every string is in the catalog');
  assert.equal(await page.textContent('#lang'), 'Deutsch');
  const fingerprint = await page.textContent('#fingerprint');
  const served = await (await fetch(`${server.base}/verify/config.json`)).json();
  assert.equal(fingerprint.replace(/ /g, ''), served.root_fingerprint);
  assert.match(await page.textContent('#revocation-status'), /1 revoked card/);
});

test('offline: valid, tampered, revoked, expired and garbage', { skip }, async () => {
  await context.setOffline(true);
  await page.reload();
  await waitReady();
  assert.equal(await page.isVisible('#network'), true, 'shows that it is offline');
  assert.match(await page.textContent('#trust-status'), /Development City/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-offline-start.png'), fullPage: true });

  requests = [];
  const expected = { valid: 'valid', tampered: 'bad_signature', revoked: 'revoked', expired: 'expired', garbage: 'malformed' };
  for (const [name, outcome] of Object.entries(expected)) {
    assert.equal(await scan(cards[name]), outcome, name);
    const text = await page.textContent('#result');
    if (['valid', 'revoked', 'expired'].includes(name)) {
      assert.match(text, /Card number/, `${name}: shows the card`);
    } else {
      assert.doesNotMatch(text, /Card number/, `${name}: shows nothing of the payload`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, `desk-${name}.png`), fullPage: true });
  }
  // Letters in either case, and the scanner's whitespace.
  assert.equal(await scan(cards.valid.toLowerCase()), 'valid');
  assert.match(await page.textContent('#result'), /VALID/);
  assert.match(await page.textContent('#result'), /Zoë Ünal-Łukasiewicz/);
  assert.deepEqual(requests, [], 'no network request during the scans');

  // German.
  await page.click('#lang');
  assert.equal(await page.textContent('#lang'), 'English');
  const untranslated = await page.evaluate(() => [...document.querySelectorAll('[data-i18n]')]
    .filter((n) => n.textContent === n.dataset.i18n).map((n) => n.dataset.i18n));
  assert.deepEqual(untranslated, [], 'every string is in the German catalog');
  assert.equal(await scan(cards.expired), 'expired');
  assert.match(await page.textContent('#result'), /UNGÜLTIG/);
  assert.match(await page.textContent('#result'), /Abgelaufen/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-expired-de.png'), fullPage: true });
  await page.click('#lang');
  assert.deepEqual(requests, [], 'no network request during the scans');
});

test('every test vector gives the Rust outcome in the browser', { skip }, async () => {
  const files = readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 20, `only ${files.length} vectors`);
  const vectors = files.map((f) => ({ file: f, ...JSON.parse(readFileSync(path.join(VECTORS, f), 'utf8')) }));
  const results = await page.evaluate(async (vecs) => {
    const V = await import('./verifier.js');
    const out = [];
    for (const mode of ['webcrypto', 'js']) {
      V.setEd25519Mode(mode);
      for (const vec of vecs) {
        for (const pin of ['key', 'fingerprint']) {
          try {
            const verifier = await V.createVerifier({
              trustList: V.fromHex(vec.trust_list),
              ...(pin === 'key' ? { rootPublicKey: V.fromHex(vec.root_public_key) } : { rootFingerprint: vec.root_fingerprint }),
              revocations: vec.revocations === null ? null : V.fromHex(vec.revocations),
            });
            const r = await verifier.verify(vec.text, vec.date);
            out.push({ file: vec.file, mode, pin, outcome: r.outcome, card: r.card, warnings: r.warnings });
          } catch (e) {
            out.push({ file: vec.file, mode, pin, error: String(e) });
          }
        }
      }
    }
    V.setEd25519Mode('auto');
    return { out, implementation: await V.ed25519Implementation() };
  }, vectors);
  assert.equal(results.implementation, 'webcrypto', 'this chromium verifies Ed25519 with WebCrypto');
  assert.equal(results.out.length, vectors.length * 4);
  for (const r of results.out) {
    const vec = vectors.find((v) => v.file === r.file);
    const label = `${r.file} (${r.mode}, ${r.pin})`;
    assert.equal(r.error, undefined, label);
    assert.equal(r.outcome, vec.expected.outcome, label);
    assert.deepEqual(r.card, vec.expected.card, label);
    assert.deepEqual(r.warnings, vec.expected.warnings, label);
  }
});

test('the result disappears after 30 seconds', { skip }, async () => {
  await page.clock.install();
  assert.equal(await scan(cards.valid), 'valid');
  await page.clock.runFor(29000);
  assert.equal(await page.getAttribute('#result', 'data-outcome'), 'valid');
  await page.clock.runFor(2000);
  assert.equal(await page.getAttribute('#result', 'data-outcome'), 'none');
  assert.equal(await page.textContent('#result-body'), '');
});

test('citycard desk export: the static copy works offline too', { skip }, async () => {
  const out = path.join(tmp, 'public');
  citycard('desk', 'export', out, '--data-dir', path.join(tmp, 'data'));
  // Any static web server will do; this one sends the recommended headers.
  const csp = (await fetch(`${server.base}/verify/`)).headers.get('content-security-policy');
  const types = {
    '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
    '.webmanifest': 'application/manifest+json', '.svg': 'image/svg+xml', '.cose': 'application/octet-stream',
  };
  const http = await import('node:http');
  const web = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const name = url.pathname === '/desk/' ? 'index.html' : url.pathname.replace(/^\/desk\//, '');
    const file = path.join(out, name);
    if (!url.pathname.startsWith('/desk/') || name.includes('/') || name.startsWith('.') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(name)] || 'application/octet-stream', 'cache-control': 'no-cache', 'content-security-policy': csp });
    res.end(readFileSync(file));
  });
  const webPort = await freePort();
  await new Promise((r) => web.listen(webPort, '127.0.0.1', r));
  try {
    await context.setOffline(false);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`http://127.0.0.1:${webPort}/desk/`);
    await waitReady();
    await page.waitForSelector('body[data-offline="ready"]', { timeout: 15000 });
    await page.waitForFunction(async () => {
      if (!navigator.serviceWorker.controller) return false;
      const keys = (await (await caches.open('citycard-data')).keys()).map((r) => new URL(r.url).pathname);
      return keys.includes('/desk/trust-list.cose') && keys.includes('/desk/revocations.cose');
    }, null, { timeout: 15000 });
    await context.setOffline(true);
    await page.reload();
    await waitReady();
    requests = [];
    assert.equal(await scan(cards.valid), 'valid');
    assert.equal(await scan(cards.revoked), 'revoked');
    assert.deepEqual(requests, [], 'no network request during the scans');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desk-export-valid.png'), fullPage: true });
  } finally {
    await context.setOffline(false);
    await new Promise((r) => web.close(r));
  }
});

test('an unchanged revocation list is not downloaded again (If-None-Match → 304)', { skip }, async () => {
  const desk = await browser.newContext({ locale: 'en-GB', serviceWorkers: 'block' });
  try {
    const p = await desk.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    const seen = [];
    p.on('requestfinished', async (r) => {
      if (!r.url().endsWith('/.well-known/citycard/revocations')) return;
      const headers = await r.allHeaders();
      const sizes = await r.sizes();
      seen.push({ conditional: 'if-none-match' in headers, body: sizes.responseBodySize });
    });
    await p.goto(`${server.base}/verify/`);
    await p.waitForSelector('body[data-state="ready"]', { timeout: 15000 });
    await p.reload();
    await p.waitForSelector('body[data-state="ready"]', { timeout: 15000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(seen.length, 2);
    assert.equal(seen[0].conditional, false);
    assert.ok(seen[0].body > 0, 'the first load downloads the list');
    assert.equal(seen[1].conditional, true, 'the second load sends If-None-Match');
    assert.equal(seen[1].body, 0, 'and gets no body (304)');
  } finally {
    await desk.close();
  }
});

test('an older revocation list is refused, loudly, and does not un-revoke a card', { skip }, async () => {
  // A correctly signed revocation list issued two days ago, without the
  // revoked card: what an attacker (or a stale mirror) could serve.
  const data = path.join(tmp, 'data');
  const none = path.join(tmp, 'none.txt');
  writeFileSync(none, '# nothing revoked\n');
  const old = path.join(tmp, 'old-revocations.cose');
  citycard('keys', 'revocations', '--root', path.join(data, 'keys/root.key'), '--revoked', none,
    '--trust-list', path.join(data, 'trust-list.cose'), '--issued', isoDay(-2), '--next-update', isoDay(30), '--out', old);
  const desk = await browser.newContext({ locale: 'en-GB', viewport: { width: 900, height: 1000 }, serviceWorkers: 'block' });
  try {
    const p = await desk.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    const previous = page;
    page = p;
    try {
      await page.goto(`${server.base}/verify/`);
      await waitReady();
      assert.equal(await scan(cards.revoked), 'revoked', 'the current list is loaded');
      // From now on the office URL serves the older list.
      await desk.route('**/.well-known/citycard/revocations', (route) => route.fulfill({
        status: 200, contentType: 'application/octet-stream', body: readFileSync(old),
      }));
      await page.reload();
      await waitReady();
      await page.waitForSelector('#list-alarm:not([hidden])', { timeout: 15000 });
      assert.match(await page.textContent('#list-alarm'),
        /revocation list from the office was refused .*before the newest list this desk has already seen/s);
      assert.equal(await scan(cards.revoked), 'revoked', 'the newer kept list stays in use');
      await page.screenshot({ path: path.join(ARTIFACTS, 'desk-older-revocation-list.png'), fullPage: true });
      // The kept copy is gone (storage evicted): the remembered issue day
      // still refuses the older list; the desk says it has no list.
      await page.evaluate(async () => { await caches.delete('citycard-data'); });
      await page.reload();
      await waitReady();
      await page.waitForSelector('#list-alarm:not([hidden])', { timeout: 15000 });
      assert.match(await page.textContent('#list-alarm'), /before the newest list this desk has already seen/);
      assert.equal(await scan(cards.revoked), 'valid');
      assert.match(await page.getAttribute('#result', 'data-warnings') ?? '', /no_revocation_list/,
        'a revoked card passes only with the warning that no revocation list is loaded');
      await page.screenshot({ path: path.join(ARTIFACTS, 'desk-older-revocation-list-no-copy.png'), fullPage: true });
    } finally {
      page = previous;
    }
  } finally {
    await desk.close();
  }
});

test('a trust list from another root key is refused, loudly', { skip }, async () => {
  // The office now presents another root key and a trust list signed by it.
  const other = path.join(tmp, 'other');
  const s2 = await startServer(other, await freePort());
  await stopServer(s2);
  await stopServer(server);
  const data = path.join(tmp, 'data');
  copyFileSync(path.join(other, 'keys/root.pub'), path.join(data, 'keys/root.pub'));
  copyFileSync(path.join(other, 'trust-list.cose'), path.join(data, 'trust-list.cose'));
  server = await startServer(data, port);

  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await context.setOffline(false);
  await page.goto(`${server.base}/verify/`);
  await page.waitForSelector('#root-alarm:not([hidden])', { timeout: 15000 });
  assert.match(await page.textContent('#root-alarm'), /different root key/);
  assert.match(await page.textContent('#list-alarm'), /trust list .* was refused/i);
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-root-changed.png'), fullPage: true });
  // The desk keeps the pinned root and its last good trust list.
  await waitReady();
  assert.equal(await scan(cards.valid), 'valid');
});
