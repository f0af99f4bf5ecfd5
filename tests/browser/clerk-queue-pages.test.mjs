// The print queue a page at a time (issue 12, item 1), in a real browser
// against the real `citycard serve`: 55 cards (seeded through the JSON
// API, every fifth with a photo) make a first page of 50 and a second of
// 5; the clerk pages forward and back by clicking, a card that leaves the
// queue meanwhile does not shift the next page, the second page's batch PDF
// holds exactly its cards (read back with pdftotext and zbarimg), and the
// dashboard still counts the whole queue. Screenshots: test-artifacts/
// queue-page-*.png.
//
// Needs `cargo build --bin citycard` first. Run from tests/browser:
// node --test clerk-queue-pages.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  apiAs, checkA11y, createUser, downloadPdf, launch, loginAs, newPage, photoFile, qrTextsOfPdf,
  setupAdmin, shot, startOffice, t, toolsReady,
} from './office.mjs';
import { decodeText, parseClaims, parseCoseSign1 } from '../../src/web/desk/verifier.js';

const ready = toolsReady(['pdftotext', 'zbarimg', 'pdftoppm']);
const skip = ready ? false : 'tools missing (see SKIPPED above)';

const CARDS = 55;
const PAGE = 50;

let office;
let browser;
let clerk;
/** The clerk's JSON API client. */
let api;
/** The queued cards' numbers in queue order (as the API lists them). */
let order = [];

const grouped = (n) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8, 12)}`;
const cardNumberOfQr = (text) => parseClaims(parseCoseSign1(decodeText(text)).payload).cardNumber;

/** The card numbers in the rows of the queue page shown. */
async function rowsShown(page) {
  const links = await page.locator('main table tbody tr td:first-child a').allInnerTexts();
  return links.map((s) => s.replace(/\s/g, ''));
}

before(async () => {
  if (!ready) return;
  office = await startOffice();
  browser = await launch();
  const admin = await newPage(browser);
  await setupAdmin(admin, office);
  const oneTime = await createUser(admin, office.base, { username: 'paula', role: 'clerk' });
  clerk = await loginAs(browser, office.base, 'paula', oneTime);
  api = await apiAs(office.base, 'paula');
  const photo = readFileSync(photoFile()).toString('base64');
  const families = ['Abegg', 'Brunner', 'Caflisch', 'Dubois', 'Egli', 'Frei', 'Gerber', 'Huber', 'Imhof', 'Jost', 'Keller'];
  for (let i = 0; i < CARDS; i++) {
    const body = {
      given_names: `Seite ${String.fromCharCode(65 + (i % 26))}`,
      family_name: families[i % families.length],
      attestation: { identity_checked: true, residence_checked: true },
      confirm_duplicate: true,
    };
    if (i % 5 === 0) body.photo = photo;
    const { status, json } = await api('POST', '/cards', body);
    assert.equal(status, 201, JSON.stringify(json));
  }
  const { json } = await api('GET', '/print-queue?limit=500');
  order = json.map((q) => q.card.card_number);
  assert.equal(order.length, CARDS);
});

after(async () => {
  await browser?.close();
  await office?.stop();
});

test('the queue pages forward and back by clicking; each page prints its own cards', { skip }, async () => {
  const page = clerk;
  await page.goto(`${office.base}/print-queue?lang=de`);
  assert.equal((await page.locator('main > p').first().innerText()).trim(), t('queue.intro', { page: PAGE }));
  assert.deepEqual(await rowsShown(page), order.slice(0, PAGE), 'page 1: the oldest 50');
  assert.equal(await page.getByRole('link', { name: t('queue.previous') }).count(), 0, 'no page before the first');
  assert.equal(await page.getByRole('link', { name: t('queue.batch_pdf', { count: PAGE }) }).count(), 1);
  await shot(page, 'queue-page-1');
  await checkA11y(page, 'print queue, page 1');

  // Forward.
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: t('queue.next') }).click()]);
  assert.deepEqual(await rowsShown(page), order.slice(PAGE), 'page 2: the other 5');
  assert.equal(await page.getByRole('link', { name: t('queue.next') }).count(), 0, 'no page after the last');
  await shot(page, 'queue-page-2');
  await checkA11y(page, 'print queue, page 2');

  // Page 2's batch PDF: exactly its five cards.
  const { file, text } = await downloadPdf(page,
    () => page.getByRole('link', { name: t('queue.batch_pdf', { count: CARDS - PAGE }) }).click(), 'queue-page-2');
  for (const n of order.slice(PAGE)) assert.ok(text.includes(grouped(n)), `${n} is in page 2's PDF`);
  assert.ok(!text.includes(grouped(order[0])), 'a card of page 1 is not');
  assert.deepEqual(qrTextsOfPdf(file).map(cardNumberOfQr).sort(), order.slice(PAGE).sort());

  // And back.
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: t('queue.previous') }).click()]);
  assert.deepEqual(await rowsShown(page), order.slice(0, PAGE), 'back on page 1');
  assert.equal(await page.getByRole('link', { name: t('queue.previous') }).count(), 0);

  // The dashboard counts the whole queue, not a page.
  await page.goto(`${office.base}/?lang=de`);
  assert.ok((await page.locator('main').innerText()).includes(t('dashboard.queue_text', { count: CARDS })));
});

test('a card leaving the queue while the clerk pages does not shift the next page', { skip }, async () => {
  const page = clerk;
  await page.goto(`${office.base}/print-queue?lang=de`);
  // Page 1's last card is printed elsewhere (the API) while page 1 is shown.
  const { status } = await api('POST', `/cards/${order[PAGE - 1]}/printed`);
  assert.equal(status, 204);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: t('queue.next') }).click()]);
  assert.deepEqual(await rowsShown(page), order.slice(PAGE), 'page 2 is still the cards after it');
  // Back: page 1 without the printed card, filled from what follows.
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: t('queue.previous') }).click()]);
  const remaining = order.filter((n) => n !== order[PAGE - 1]);
  assert.deepEqual(await rowsShown(page), remaining.slice(0, PAGE));
  await shot(page, 'queue-page-1-after-printing');
});
