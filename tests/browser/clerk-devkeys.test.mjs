// Development keys, as a person sees them in a real browser (Debian's
// chromium) against the real `citycard serve`:
//   1. an office on development keys (made on its first start) shows the
//      DEVELOPMENT KEYS banner on every clerk-UI page: login (German and
//      English), the forced password change, the overview, an error page;
//   2. its desk page (/verify/) says the desk runs on a development trust
//      list and marks a card signed by the development key "DEVELOPMENT KEYS
//      — not a real City Card", while still showing the outcome (valid,
//      expired);
//   3. an office on keys from a key ceremony (`citycard keys init-root`,
//      `new-office`, `trust-list`) shows neither the banner nor the marking.
// Screenshots: test-artifacts/devkeys-*.png. axe-core runs on each page.
//
// Needs `cargo build --bin citycard` first.
// Run: cd tests/browser && npm ci && node --test clerk-devkeys.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  toolsReady, startOffice, launch, newPage, setupAdmin, shot, checkA11y, citycard, t, heading,
} from './office.mjs';
import { damm } from '../../src/web/desk/verifier.js';

const ready = toolsReady();
const skip = ready ? false : 'chromium not installed';

/** A valid card number from 11 digits. */
function cardNumber(body) {
  for (let c = 0; c < 10; c++) if (damm(body + c) === 0) return body + c;
  throw new Error('unreachable');
}

const isoDay = (offsetDays) => new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);

/** Signs a card by hand with KEY for ISSUER (`citycard card sign`). */
function signCard(key, issuer, { given, family, issued, expires, number }) {
  return citycard('card', 'sign', '--key', key, '--issuer', issuer, '--given-names', given,
    '--family-name', family, '--issued', issued, '--expires', expires, '--card-number', number);
}

/** The banner of the clerk UI: its visible text, or null when there is none. */
async function banner(page) {
  const region = page.getByRole('region', { name: /DEVELOPMENT KEYS|ENTWICKLUNGSSCHLÜSSEL/ });
  if ((await region.count()) === 0) return null;
  assert.equal(await region.isVisible(), true, 'the banner is visible');
  return (await region.innerText()).replace(/\s+/g, ' ').trim();
}

/** The banner must be the first thing after the skip link, above the header. */
async function assertBannerOnTop(page) {
  const order = await page.evaluate(() => {
    const b = document.querySelector('.devkeys');
    const h = document.querySelector('header');
    return b && h ? b.compareDocumentPosition(h) & Node.DOCUMENT_POSITION_FOLLOWING : 0;
  });
  assert.ok(order, 'the banner comes before the header');
  const box = await page.locator('.devkeys').boundingBox();
  assert.ok(box && box.y < 5 && box.height >= 40, `the banner is at the very top and tall enough: ${JSON.stringify(box)}`);
}

let dev; // the office on development keys
let real; // the office on ceremony keys
let browser;
let tmp;
const cards = {};

before(async () => {
  if (!ready) return;
  tmp = mkdtempSync(path.join(tmpdir(), 'citycard-devkeys-'));
  dev = await startOffice();
  assert.match(dev.log(), /DEVELOPMENT KEYS/);

  // A key ceremony: root key kept apart, office key and trust list installed
  // into a fresh data directory, then the office starts on them.
  const ceremony = path.join(tmp, 'ceremony');
  const data = path.join(tmp, 'real-data');
  mkdirSync(ceremony);
  mkdirSync(path.join(data, 'keys'), { recursive: true });
  const at = (f) => path.join(ceremony, f);
  citycard('keys', 'init-root', '--out', at('root.key'));
  citycard('keys', 'new-office', '--office', 'Bürgeramt Mitte', '--out', at('office.key'));
  citycard('keys', 'trust-list', '--root', at('root.key'), '--office', at('office.pub'),
    '--office-name', 'Bürgeramt Mitte', '--issuer', 'bern', '--city-name', 'Stadt Bern',
    '--issued', isoDay(-30), '--sign-from', isoDay(-30), '--out', at('trust-list.cose'));
  copyFileSync(at('root.pub'), path.join(data, 'keys/root.pub'));
  copyFileSync(at('office.key'), path.join(data, 'keys/office.key'));
  copyFileSync(at('trust-list.cose'), path.join(data, 'trust-list.cose'));
  real = await startOffice({ dataDir: data });
  assert.doesNotMatch(real.log(), /DEVELOPMENT KEYS/, 'no warning on real keys');

  const devKey = path.join(dev.dataDir, 'keys/office.key');
  cards.devValid = signCard(devKey, 'dev', {
    given: 'Zoë', family: 'Ünal', issued: isoDay(-1), expires: isoDay(5 * 365), number: cardNumber('10000000001'),
  });
  cards.devExpired = signCard(devKey, 'dev', {
    given: 'Erika', family: 'Expired', issued: isoDay(-3 * 365), expires: isoDay(-2), number: cardNumber('30000000003'),
  });
  cards.realValid = signCard(at('office.key'), 'bern', {
    given: 'Anna', family: 'Muster', issued: isoDay(-1), expires: isoDay(5 * 365), number: cardNumber('20000000002'),
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await dev?.stop();
  await real?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the clerk UI shows the development banner on every page', { skip }, async () => {
  const page = await newPage(browser); // German
  // Login, German.
  await page.goto(`${dev.base}/login`);
  let text = await banner(page);
  assert.ok(text, 'the login page has the banner');
  assert.ok(text.includes(t('devkeys.title')), text);
  assert.ok(text.includes(t('devkeys.text')), text);
  await assertBannerOnTop(page);
  await shot(page, 'devkeys-login-de');
  await checkA11y(page, 'login with the development banner (de)');

  // Login, English.
  await page.goto(`${dev.base}/login?lang=en`);
  text = await banner(page);
  assert.ok(text && text.startsWith(t('devkeys.title', {}, 'en')), text);
  assert.match(text, /DEVELOPMENT KEYS — not a real City Card office/);
  await shot(page, 'devkeys-login-en');
  await checkA11y(page, 'login with the development banner (en)');
  await page.goto(`${dev.base}/login?lang=de`);

  // First start: the forced password change and the overview.
  await setupAdmin(page, dev);
  text = await banner(page);
  assert.ok(text && text.includes(t('devkeys.title')), `overview: ${text}`);
  await assertBannerOnTop(page);
  await shot(page, 'devkeys-dashboard');
  await checkA11y(page, 'overview with the development banner');

  // The UI's error page (a card that does not exist) keeps the banner.
  const res = await page.goto(`${dev.base}/cards/123456789012`);
  assert.ok([403, 404].includes(res.status()), `status ${res.status()}`);
  assert.ok([t('error.not_found_title'), t('error.forbidden_title')].includes(await heading(page)));
  text = await banner(page);
  assert.ok(text && text.includes(t('devkeys.title')), `error page: ${text}`);
  await assertBannerOnTop(page);
  await shot(page, 'devkeys-error-page');
  await checkA11y(page, 'error page with the development banner');
  await page.context().close();
});

test('an office on ceremony keys shows no banner', { skip }, async () => {
  const page = await newPage(browser);
  await page.goto(`${real.base}/login`);
  assert.equal(await page.locator('h1').count(), 1);
  assert.equal(await banner(page), null, 'no banner');
  assert.equal(await page.locator('.devkeys').count(), 0);
  await shot(page, 'devkeys-real-login');
  await page.context().close();
});

/** A desk page of OFFICE in English, ready to scan. */
async function deskPage(office, locale = 'en-GB') {
  const page = await newPage(browser, { locale });
  await page.goto(`${office.base}/verify/`);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15000 });
  return page;
}

async function scan(page, text) {
  await page.evaluate(() => { document.getElementById('result').dataset.outcome = 'none'; });
  await page.focus('#scan');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#result:not([data-outcome="none"])', { timeout: 10000 });
  return page.getAttribute('#result', 'data-outcome');
}

test('the desk page marks cards from a development trust list', { skip }, async () => {
  const page = await deskPage(dev);
  // Before any scan: the desk says it runs on a development trust list.
  const deskBanner = page.getByRole('region', { name: 'DEVELOPMENT KEYS' });
  assert.equal(await deskBanner.isVisible(), true, 'the desk banner is visible');
  assert.match(await deskBanner.innerText(), /development trust list.*No card checked here is a real City Card/s);
  await checkA11y(page, 'desk page on a development trust list');

  // A valid card: still VALID, but marked.
  assert.equal(await scan(page, cards.devValid), 'valid');
  assert.equal(await page.getAttribute('#result', 'data-dev'), 'true');
  const result = page.locator('#result');
  const mark = result.locator('.devmark');
  assert.equal(await mark.isVisible(), true);
  assert.equal((await mark.innerText()).trim(), 'DEVELOPMENT KEYS — not a real City Card');
  const text = await result.innerText();
  assert.match(text, /VALID/);
  assert.match(text, /Zoë Ünal/);
  assert.match(text, /a test card, not issued by a city/, 'the reason does not claim the city issued it');
  assert.doesNotMatch(text, /Issued by the city/);
  const first = await result.evaluate((r) => r.querySelector('#result-body > *').className);
  assert.equal(first, 'devmark', 'the marking comes before the verdict');
  await shot(page, 'devkeys-desk-valid');
  await checkA11y(page, 'desk page, valid development card');

  // An expired card: the outcome, and the marking.
  assert.equal(await scan(page, cards.devExpired), 'expired');
  assert.equal(await page.getAttribute('#result', 'data-dev'), 'true');
  assert.match(await result.innerText(), /NOT VALID[\s\S]*Expired: past its valid-until date/);
  await shot(page, 'devkeys-desk-expired');

  // German.
  await page.click('#lang');
  assert.equal(await scan(page, cards.devValid), 'valid');
  assert.equal((await mark.innerText()).trim(), 'ENTWICKLUNGSSCHLÜSSEL — keine echte City Card');
  assert.match(await page.getByRole('region', { name: 'ENTWICKLUNGSSCHLÜSSEL' }).innerText(), /Entwicklungs-Vertrauensliste/);
  await shot(page, 'devkeys-desk-valid-de');
  await page.context().close();
});

test('the desk page of an office on ceremony keys shows no marking', { skip }, async () => {
  const page = await deskPage(real);
  assert.equal(await page.locator('#dev-banner').isHidden(), true, 'no desk banner');
  assert.match(await page.textContent('#trust-status'), /Stadt Bern/);
  assert.equal(await scan(page, cards.realValid), 'valid');
  assert.equal(await page.getAttribute('#result', 'data-dev'), null);
  assert.equal(await page.locator('#result .devmark').count(), 0);
  assert.doesNotMatch(await page.locator('#result').innerText(), /DEVELOPMENT|test card/);
  assert.match(await page.locator('#result').innerText(), /Issued by the city, unchanged/);
  await shot(page, 'devkeys-desk-real-valid');
  // And a development card is not a card of this city at all.
  assert.equal(await scan(page, cards.devValid), 'unknown_key');
  assert.equal(await page.getAttribute('#result', 'data-dev'), null);
  await page.context().close();
});
