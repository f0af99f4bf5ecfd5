// Security findings of the login page in a real browser (Debian's chromium
// driven by playwright-core) against the real `citycard serve`
// (SECURITY.md):
// - finding 8: `/login?next=/%09/evil.example/` must not take the browser
//   to another site after login (Chromium drops the tab and followed
//   `//evil.example/` before);
// - finding 3: while every password check is taken, the login page says
//   so in the clerk's language (503, Retry-After) instead of queueing.
// Screenshots go to test-artifacts/ (prefix `security-`).
//
// Needs `cargo build --bin citycard` first. Run:
//   cd tests/browser && npm ci && node --test security.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import {
  CHROMIUM, PASSWORD, toolsReady, startOffice, launch, newPage, shot, login, setupAdmin, logout, t, freePort,
} from './office.mjs';

const ready = toolsReady();

let office;
let browser;
let evilServer; // stands in for evil.example, on this machine
let evilHits = 0;
let evilBrowser; // resolves evil.example to evilServer

before(async () => {
  if (!ready) return;
  // One password check at once (19 MiB), so that the busy answer can be
  // shown; generous throttling, so that the flood below is not locked out.
  office = await startOffice({
    env: {
      CITYCARD_PASSWORD_CHECK_MEMORY_MIB: '19',
      CITYCARD_LOGIN_ADDRESS_MAX_FAILURES: '1000',
    },
  });
  browser = await launch();
  const evilPort = await freePort();
  evilServer = createServer((req, res) => {
    if (req.url !== '/favicon.ico') evilHits += 1;
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>evil</title><h1>evil</h1>');
  });
  await new Promise((r) => evilServer.listen(evilPort, '127.0.0.1', r));
  // Playwright's routes do not see redirected requests, so evil.example
  // is mapped to the local stand-in in the browser's resolver instead.
  evilBrowser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--host-resolver-rules=MAP evil.example 127.0.0.1:${evilPort}`],
  });
});

after(async () => {
  await evilBrowser?.close();
  await browser?.close();
  evilServer?.close();
  await office?.stop();
});

test('after login, next=/%09/evil.example/ stays on the office', { skip: !ready }, async () => {
  const page = await newPage(evilBrowser);
  // Positive control: this browser does reach the stand-in for evil.example.
  await page.goto('http://evil.example/');
  assert.equal(await page.title(), 'evil');
  assert.equal(evilHits, 1);
  evilHits = 0;
  await setupAdmin(page, office);
  await logout(page);
  const origin = new URL(office.base).origin;
  for (const next of ['/%09/evil.example/', '/%0A/evil.example/', '//evil.example/', '/%5Cevil.example/', 'https://evil.example/']) {
    await page.goto(`${office.base}/login?next=${next}`);
    await page.getByLabel(/Benutzername|User name/i).fill('admin');
    await page.getByLabel(/^Passwort|^Password/i).first().fill(PASSWORD);
    const isLoginPost = (r) => r.method() === 'POST' && new URL(r.url()).pathname === '/login';
    const [outcome] = await Promise.all([
      Promise.race([
        page.waitForResponse((r) => isLoginPost(r.request())).then((res) => ({ res })),
        // Chromium's CSP (form-action 'self') aborts a form's redirect to
        // another site: the post then fails without a response.
        page.waitForEvent('requestfailed', isLoginPost).then((req) => ({ failed: req.failure()?.errorText })),
      ]),
      page.getByRole('button', { name: /Anmelden|Sign in/i }).click(),
    ]);
    assert.ok(outcome.res, `next=${next}: the login post failed (${outcome.failed}): its redirect left the site`);
    const { res } = outcome;
    // Where the office sends the browser, read as a browser reads it (the
    // WHATWG URL parser drops tabs and newlines, takes `\` for `/`).
    const target = new URL(res.headers().location ?? '', office.base);
    assert.equal(target.origin, origin, `next=${next}: the office sent the browser to ${target.href}`);
    await page.waitForURL(`${origin}/`, { timeout: 10000 });
    assert.equal(evilHits, 0, `next=${next}: the browser asked evil.example for a page (${page.url()})`);
    assert.equal(new URL(page.url()).origin, origin, `next=${next} left the office: ${page.url()}`);
    assert.equal(new URL(page.url()).pathname, '/', `next=${next}`);
    await shot(page, 'security-next-stays-home');
    await logout(page);
  }
  // A local path is still where one goes back to.
  await page.goto(`${office.base}/login?next=/search`);
  await page.getByLabel(/Benutzername|User name/i).fill('admin');
  await page.getByLabel(/^Passwort|^Password/i).first().fill(PASSWORD);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /Anmelden|Sign in/i }).click()]);
  assert.equal(new URL(page.url()).pathname, '/search');
  await page.context().close();
});

test('while every password check is taken, the login page says so', { skip: !ready }, async () => {
  // Keep the one permitted check busy: 6 API logins at a time, each one
  // started as soon as the last ends, until the browser has its answer.
  let flooding = true;
  const flood = async () => {
    while (flooding) {
      await fetch(`${office.base}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      }).then((r) => r.arrayBuffer()).catch(() => {});
    }
  };
  const floods = Array.from({ length: 6 }, flood);
  const page = await newPage(browser);
  let status = 0;
  try {
    for (let i = 0; i < 10 && status !== 503; i++) {
      const res = await login(page, office.base, 'admin', PASSWORD);
      status = res.status();
      if (status === 503) {
        assert.ok(res.headers()['retry-after'], 'Retry-After');
      } else if (new URL(page.url()).pathname !== '/login') {
        await logout(page); // it got through between two checks: again
      }
    }
  } finally {
    flooding = false;
    await Promise.all(floods);
  }
  assert.equal(status, 503, 'the login was never answered busy');
  const error = await page.locator('#password-error').innerText();
  assert.equal(error.trim(), t('error.busy'));
  await shot(page, 'security-login-busy');
  // Once the flood is over, the same login goes through.
  await login(page, office.base, 'admin', PASSWORD);
  assert.equal(new URL(page.url()).pathname, '/');
  await page.context().close();
});
