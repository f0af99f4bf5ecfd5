// Shared harness for the browser tests of the clerk UI: start the real
// `citycard serve` binary on a free port with a fresh data directory, drive
// Debian's chromium with playwright-core as a person would (typing,
// clicking), take screenshots, run axe-core, read downloaded PDFs back.
//
// Needs `cargo build --bin citycard` first (it builds nothing itself).
// A missing tool prints SKIPPED loudly (CI fails on SKIPPED).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.CITYCARD_CHROMIUM || '/usr/bin/chromium';
export const BIN = path.join(process.env.CARGO_TARGET_DIR || path.join(REPO, 'target'), 'debug/citycard');
export const ARTIFACTS = path.join(REPO, 'test-artifacts');

/** The password every test account is given after its first login. */
export const PASSWORD = 'Richtig-Langes-Passwort-2026';

function which(tool) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the browser tests can run here; prints SKIPPED (loudly) for each
 * missing tool. Use as `test('…', { skip: !ready }, …)`.
 */
export function toolsReady(extra = []) {
  let ok = true;
  if (!existsSync(CHROMIUM)) {
    console.log(`SKIPPED: chromium not installed (${CHROMIUM}); apt-get install -y chromium`);
    ok = false;
  }
  for (const tool of extra) {
    if (!which(tool)) {
      console.log(`SKIPPED: ${tool} not installed (apt-get install -y poppler-utils zbar-tools)`);
      ok = false;
    }
  }
  return ok;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs the real binary and returns its standard output. */
export function citycard(...args) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * Starts `citycard serve` on a fresh data directory (first start: development
 * keys and the one-time admin password, read from its output).
 * Returns { base, port, dataDir, adminPassword, log(), stop() }.
 */
export async function startOffice({ env = {}, args = [], dataDir } = {}) {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`cargo build --bin citycard\` first`);
  const tmp = dataDir ? null : mkdtempSync(path.join(tmpdir(), 'citycard-ui-'));
  const data = dataDir || path.join(tmp, 'data');
  const port = await freePort();
  const child = spawn(BIN, ['serve', '--data-dir', data, '--bind', `127.0.0.1:${port}`, ...args], {
    // Outside the checkout, as an installed binary runs: the office
    // prints with its built-in card templates (written to the data dir).
    cwd: tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 300 && !up; i++) {
    if (child.exitCode !== null) throw new Error(`citycard serve exited: ${log}`);
    try {
      up = (await fetch(`${base}/healthz`)).ok;
    } catch { /* not yet listening */ }
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    child.kill('SIGTERM');
    throw new Error(`citycard serve did not start: ${log}`);
  }
  const m = log.match(/one-time password\s+(\S+)/);
  return {
    base,
    port,
    pid: child.pid,
    dataDir: data,
    adminPassword: m ? m[1] : null,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Debian's chromium, headless, with the flags this closed network needs. */
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh browser profile (no cookies) with one page, German by default. */
export async function newPage(browser, { locale = 'de-DE' } = {}) {
  const context = await browser.newContext({ locale, acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  return page;
}

/** A full-page screenshot to test-artifacts/NAME.png. */
export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The visible text of the page's <h1>. */
export async function heading(page) {
  return (await page.locator('h1').first().innerText()).trim();
}

/**
 * Types a user name and password into the login form and submits it, as a
 * person does. Returns the response of the form post's navigation.
 */
export async function login(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel(/Benutzername|User name|Username/i).fill(username);
  await page.getByLabel(/^Passwort|^Password/i).first().fill(password);
  const [res] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: /Anmelden|Sign in|Log in/i }).click(),
  ]);
  return res;
}

/** On the forced password page: type the one-time and a new password. */
export async function changePassword(page, current, fresh = PASSWORD) {
  await page.locator('#current_password').fill(current);
  await page.locator('#new_password').fill(fresh);
  await page.locator('#repeat_password').fill(fresh);
  await Promise.all([page.waitForNavigation(), page.locator('form[action="/account/password"] button[type=submit]').click()]);
}

/** First start: the admin logs in with the one-time password and sets PASSWORD. */
export async function setupAdmin(page, office) {
  assert.ok(office.adminPassword, 'the first start printed a one-time admin password');
  await login(page, office.base, 'admin', office.adminPassword);
  assert.match(page.url(), /\/account\/password$/);
  await changePassword(page, office.adminPassword);
  assert.equal(new URL(page.url()).pathname, '/');
}

/** As a signed-in admin: creates a user on /users with a one-time password. */
export async function createUser(page, base, { username, role, password = `Einmal-${username}-2026!` }) {
  await page.goto(`${base}/users`);
  const form = page.locator('form[action="/users"]');
  await form.locator('#username').fill(username);
  await form.locator('#role').selectOption(role);
  await form.locator('#password').fill(password);
  await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
  return password;
}

/** Logs out by the header's button. */
export async function logout(page) {
  await Promise.all([page.waitForNavigation(), page.locator('form[action="/logout"] button').click()]);
}

/**
 * In a fresh page: logs in as a user made by createUser and sets PASSWORD.
 * Returns the page, signed in.
 */
export async function loginAs(browser, base, username, oneTime, { locale } = {}) {
  const page = await newPage(browser, { locale });
  await login(page, base, username, oneTime);
  if (new URL(page.url()).pathname === '/account/password') await changePassword(page, oneTime);
  return page;
}

/**
 * Fills the enrolment form as a clerk does and submits it. `photo` is a
 * file path or null. Returns the 12-digit card number of the new card (or
 * null when the page did not show a card, e.g. the duplicate warning).
 */
export async function enrol(page, base, { given = '', family, dob = '', photo = null, attest = true }) {
  await page.goto(`${base}/enrol`);
  await fillEnrolment(page, { given, family, dob, photo, attest });
  await Promise.all([page.waitForNavigation(), page.locator('form[action="/enrol"] button[type=submit]').click()]);
  return cardNumberOnPage(page);
}

/** Fills (does not submit) the enrolment form. */
export async function fillEnrolment(page, { given = '', family = '', dob = '', photo = null, attest = true }) {
  if (given) await page.locator('#given_names').fill(given);
  if (family) await page.locator('#family_name').fill(family);
  if (dob && (await page.locator('#date_of_birth').count())) await page.locator('#date_of_birth').fill(dob);
  if (photo) await page.locator('#photo').setInputFiles(photo);
  if (attest) {
    await page.locator('#attest_identity').check();
    await page.locator('#attest_residence').check();
  }
}

/**
 * Signs in to the JSON API as `username` and returns a client of it:
 * `api(method, route, body)` → `{ status, headers, json }`, the route under
 * `/api/v1`.
 */
export async function apiAs(base, username, password = PASSWORD) {
  const login = await fetch(`${base}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(login.status, 201, `API login of ${username}`);
  const { token } = await login.json();
  return async (method, route, body) => {
    const res = await fetch(`${base}/api/v1${route}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
  };
}

/** The card number of the card page shown, from its URL, else null. */
export function cardNumberOnPage(page) {
  const m = new URL(page.url()).pathname.match(/^\/cards\/(\d{12})$/);
  return m ? m[1] : null;
}

/**
 * Clicks what starts a download and returns { file, text }: the PDF saved
 * under test-artifacts/NAME.pdf and its text as `pdftotext` reads it.
 */
export async function downloadPdf(page, click, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Either a download starts, or the server answers with a page (an
  // error): then fail with what that page says.
  const downloaded = page.waitForEvent('download', { timeout: 30000 });
  const answered = page.waitForResponse((r) => r.request().isNavigationRequest()
    && !(r.headers()['content-disposition'] || '').startsWith('attachment'), { timeout: 30000 });
  downloaded.catch(() => {});
  answered.catch(() => {});
  await click();
  const first = await Promise.race([downloaded.then((d) => ({ d })), answered.then((r) => ({ r }))]);
  if (first.r) {
    await page.waitForLoadState();
    const said = await page.locator('main').innerText().catch(() => '');
    throw new Error(`${name}: no PDF; the server answered ${first.r.status()}: ${said.slice(0, 300)}`);
  }
  const download = first.d;
  const file = path.join(ARTIFACTS, `${name}.pdf`);
  await download.saveAs(file);
  assert.equal(readFileSync(file).subarray(0, 5).toString(), '%PDF-', `${name} is a PDF`);
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  return { file, text };
}

/** The QR texts zbar reads from every page of a PDF rendered at 300 dpi. */
export function qrTextsOfPdf(file) {
  // QR codes only: with every symbology on, zbar now and then reads a
  // stretch of the card as an Interleaved 2 of 5 barcode (seen in CI:
  // `I2/5:791243` beside the card's one QR code).
  const dir = mkdtempSync(path.join(tmpdir(), 'citycard-qr-'));
  try {
    execFileSync('pdftoppm', ['-r', '300', '-png', file, path.join(dir, 'p')]);
    const out = execFileSync('sh', ['-c', `zbarimg --quiet --raw -Sdisable -Sqrcode.enable ${dir}/*.png || true`], { encoding: 'utf8' });
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page (WCAG 2.0/2.1 A and AA rules) and fails the
 * test on any violation, naming the rule and the elements.
 */
export async function checkA11y(page, label) {
  await page.addScriptTag({ content: AXE_SOURCE }).catch(async () => {
    // The office's CSP forbids inline scripts: evaluate the source instead.
    await page.evaluate(AXE_SOURCE);
  });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const violations = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(violations, [], `axe-core on ${label}`);
}

/** A small PNG photo (passport proportions, large enough to print). */
export function photoFile() {
  return path.join(REPO, 'tests/browser/fixtures/photo.png');
}

const catalogs = {};
/**
 * The UI's text for KEY ("section.key") in LANG, from the same catalog the
 * server renders (src/web/ui/i18n/LANG.toml), with `{name}` filled from
 * VARS. Tests find what a person sees by these texts, so a reworded
 * message changes the test's expectation with it.
 */
export function t(key, vars = {}, lang = 'de') {
  if (!catalogs[lang]) {
    const map = {};
    let section = '';
    for (const line of readFileSync(path.join(REPO, `src/web/ui/i18n/${lang}.toml`), 'utf8').split('\n')) {
      const s = line.match(/^\[([a-z_]+)\]\s*$/);
      if (s) { section = s[1]; continue; }
      const kv = line.match(/^([a-z_0-9]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/);
      if (kv) map[`${section}.${kv[1]}`] = JSON.parse(`"${kv[2]}"`);
    }
    catalogs[lang] = map;
  }
  const text = catalogs[lang][key];
  if (text === undefined) throw new Error(`no text ${key} in ${lang}.toml`);
  return text.replace(/\{([a-z_]+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** A RegExp matching t(KEY) literally, with unfilled `{…}` as wildcards. */
export function tx(key, vars = {}, lang = 'de') {
  const text = t(key, vars, lang);
  const parts = text.split(/\{[a-z_]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(parts.join('.*'));
}
