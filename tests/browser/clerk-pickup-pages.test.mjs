// The pick-up list a page at a time (issue 12, item 1), in a real browser
// against the real `citycard serve`: 55 cards (enrolled and marked printed
// through the JSON API by a city-wide clerk, so they are "to send") make a
// group that shows its 50 oldest and how many there are; the clerk opens
// the step's own pages by clicking, pages on, marks a card of the second
// page sent and comes back to that same page, and the card is then on its
// way. Screenshots: test-artifacts/pickup-page-*.png.
//
// Needs `cargo build --bin citycard` first. Run from tests/browser:
// node --test clerk-pickup-pages.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiAs, checkA11y, launch, loginAs, newPage, setupAdmin, shot, startOffice, t,
  toolsReady,
} from './office.mjs';

const ready = toolsReady([]);
const skip = ready ? false : 'tools missing (see SKIPPED above)';

const CARDS = 55;
const PAGE = 50;

let office;
let browser;
let clerk;
/** The clerk's JSON API client. */
let api;
/** The cards to send, oldest first (as the API lists them). */
let order = [];

/** The card numbers in the rows of one group of the page. */
async function rowsOf(page, group) {
  const links = await page.locator(`section:has(h2#group-${group}) table tbody tr td:first-child a`).allInnerTexts();
  return links.map((s) => s.replace(/\s/g, ''));
}

async function click(page, locator) {
  await Promise.all([page.waitForNavigation(), locator.click()]);
}

before(async () => {
  if (!ready) return;
  office = await startOffice();
  browser = await launch();
  const admin = await newPage(browser);
  await setupAdmin(admin, office);
  // A city-wide clerk: central print staff, who send the cards printed
  // centrally to their pick-up sites.
  await admin.goto(`${office.base}/users`);
  const form = admin.locator('form[action="/users"]');
  await form.locator('#username').fill('paula');
  await form.locator('#role').selectOption('clerk');
  await form.locator('#site').selectOption({ value: '' });
  const oneTime = 'Einmal-paula-2026!';
  await form.locator('#password').fill(oneTime);
  await Promise.all([admin.waitForNavigation(), form.locator('button[type=submit]').click()]);
  clerk = await loginAs(browser, office.base, 'paula', oneTime);
  api = await apiAs(office.base, 'paula');
  const families = ['Abegg', 'Brunner', 'Caflisch', 'Dubois', 'Egli', 'Frei', 'Gerber', 'Huber', 'Imhof', 'Jost', 'Keller'];
  for (let i = 0; i < CARDS; i++) {
    const { status, json } = await api('POST', '/cards', {
      given_names: `Abholung ${String.fromCharCode(65 + (i % 26))}`,
      family_name: families[i % families.length],
      attestation: { identity_checked: true, residence_checked: true },
      confirm_duplicate: true,
    });
    assert.equal(status, 201, JSON.stringify(json));
    const printed = await api('POST', `/cards/${json.card_number}/printed`);
    assert.equal(printed.status, 204);
  }
  const { json } = await api('GET', '/pickup?step=printed');
  assert.ok(Array.isArray(json), JSON.stringify(json));
  order = json.map((e) => e.card.card_number);
  assert.equal(order.length, CARDS);
});

after(async () => {
  await browser?.close();
  await office?.stop();
});

test('the pick-up list shows each step\'s oldest cards and pages through one step', { skip }, async () => {
  const page = clerk;
  await page.goto(`${office.base}/pickup?lang=de`);
  const toSend = page.locator('section:has(h2#group-sent)');
  assert.equal((await toSend.locator('h2').innerText()).trim(), `${t('pickup.to_send')} (${CARDS})`);
  assert.deepEqual(await rowsOf(page, 'sent'), order.slice(0, PAGE), 'the 50 oldest');
  assert.ok((await toSend.innerText()).includes(t('pickup.shown', { shown: PAGE, count: CARDS })));
  await shot(page, 'pickup-page-overview');
  await checkA11y(page, 'pick-up list');

  // The step's own pages.
  await click(page, page.getByRole('link', { name: t('pickup.show_all', { count: CARDS }) }));
  assert.match(page.url(), /step=printed/);
  assert.deepEqual(await rowsOf(page, 'sent'), order.slice(0, PAGE));
  await click(page, page.getByRole('link', { name: t('queue.next') }));
  assert.deepEqual(await rowsOf(page, 'sent'), order.slice(PAGE), 'page 2: the other 5');
  assert.equal(await page.getByRole('link', { name: t('queue.next') }).count(), 0, 'no page after the last');
  const second = page.url();
  await shot(page, 'pickup-page-2');
  await checkA11y(page, 'pick-up list, page 2');

  // A card of page 2 sent: back on page 2, without it.
  const sent = order[PAGE];
  await click(page, page.getByRole('button', { name: t('pickup.mark_sent', { card: sent.replace(/(\d{4})(\d{4})(\d{4})/, '$1 $2 $3') }) }));
  assert.match(await page.locator('.notice').innerText(), new RegExp(t('pickup.sent_done').replace('.', '\\.')));
  assert.equal(new URL(page.url()).searchParams.get('after'), new URL(second).searchParams.get('after'));
  assert.deepEqual(await rowsOf(page, 'sent'), order.slice(PAGE + 1));
  await shot(page, 'pickup-page-2-after-sending');

  // Back to the first page, and to every step: the card is on its way.
  await click(page, page.getByRole('link', { name: t('pickup.first_page') }));
  assert.deepEqual(await rowsOf(page, 'sent'), order.slice(0, PAGE));
  await click(page, page.getByRole('link', { name: t('pickup.all_steps') }));
  assert.deepEqual(await rowsOf(page, 'received'), [sent]);
  const heading = await page.locator('section:has(h2#group-sent) h2').innerText();
  assert.equal(heading.trim(), `${t('pickup.to_send')} (${CARDS - 1})`);
});
