// Card rules and the deletion schedule (issue 13, items 2-4) in a real
// browser against the real `citycard serve`:
//   1. a 12-year-old's card: the caretaker checkbox is required, the card
//      is valid 2 years; a 9-year-old is refused with a field error;
//   2. a renewal outside the window is refused with the window's dates;
//   3. with the office's clock moved forward (CITYCARD_DEV_CLOCK_OFFSET_DAYS,
//      honoured by a debug build only; the server runs maintenance at
//      start), the card page offers renewal prominently inside the window,
//      and enrolments never printed are erased by the schedule: the card
//      page says so and the search finds nothing.
// Screenshots under test-artifacts/ (prefix `rules-`), axe-core on each.
//
// Needs `cargo build --bin citycard` first. Run:
//   cd tests/browser && npm ci && node --test clerk-rules.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  toolsReady, startOffice, launch, newPage, shot, setupAdmin, createUser, loginAs,
  enrol, fillEnrolment, checkA11y, t, cardNumberOnPage, PASSWORD,
} from './office.mjs';

const ready = toolsReady();

let tmp;
let dataDir;
let office;
let browser;
let admin;
let clerk;
const cards = {};

async function look(page, name) {
  await shot(page, `rules-${name}`);
  await checkA11y(page, name);
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.locator(selector).click()]);
}

async function fact(page, term) {
  const dd = page.locator(`xpath=//dl[contains(@class,"facts")]/dt[normalize-space()="${term}"]/following-sibling::dd[1]`);
  return (await dd.first().innerText()).trim();
}

/** A date as the German clerk UI writes it. */
function german(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}.${p(d.getUTCMonth() + 1)}.${d.getUTCFullYear()}`;
}

function todayUtc() {
  const n = new Date();
  return new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate()));
}

function addYears(d, years) {
  return new Date(Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate()));
}

function addDays(d, days) {
  return new Date(d.getTime() + days * 86400000);
}

/** Starts the office on our data directory, its clock moved by DAYS. */
async function startAt(days) {
  return startOffice({ dataDir, env: { CITYCARD_DEV_CLOCK_OFFSET_DAYS: String(days) } });
}

before(async () => {
  if (!ready) return;
  tmp = mkdtempSync(path.join(tmpdir(), 'citycard-rules-'));
  dataDir = path.join(tmp, 'data');
  office = await startAt(0);
  browser = await launch();
  admin = await newPage(browser);
  await setupAdmin(admin, office);
  const oneTime = await createUser(admin, office.base, { username: 'clerk.rules', role: 'clerk' });
  clerk = await loginAs(browser, office.base, 'clerk.rules', oneTime);
});

after(async () => {
  await browser?.close();
  await office?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('a 12-year-old: caretaker checkbox required, card valid 2 years; a 9-year-old refused', { skip: !ready }, async () => {
  const today = todayUtc();
  await clerk.goto(`${office.base}/enrol`);
  await fillEnrolment(clerk, { given: 'Mina', family: 'Kindermann', dob: german(addYears(today, -12)) });
  await submit(clerk, 'form[action="/enrol"] button[type=submit]');
  const error = clerk.locator('#attest_caretaker-error');
  await error.waitFor();
  assert.equal((await error.innerText()).trim(), t('field.attest_caretaker'));
  assert.equal(await clerk.locator('#family_name').inputValue(), 'Kindermann', 'nothing typed is lost');
  await look(clerk, '01-caretaker-required');

  await clerk.locator('#attest_identity').check();
  await clerk.locator('#attest_residence').check();
  await clerk.locator('#attest_caretaker').check();
  await submit(clerk, 'form[action="/enrol"] button[type=submit]');
  cards.minor = cardNumberOnPage(clerk);
  assert.ok(cards.minor, 'the card page is shown');
  assert.equal(await fact(clerk, t('card.expires')), german(addDays(addYears(today, 2), -1)), 'valid 2 years');
  assert.match(await fact(clerk, `${t('card.identity_checked')} / ${t('card.residence_checked')}`), new RegExp(t('card.caretaker_present')));
  await look(clerk, '02-minor-card-two-years');

  await clerk.goto(`${office.base}/enrol`);
  await fillEnrolment(clerk, { given: 'Tim', family: 'Zujung', dob: german(addDays(addYears(today, -10), 1)) });
  await clerk.locator('#attest_caretaker').check();
  await submit(clerk, 'form[action="/enrol"] button[type=submit]');
  const dob = clerk.locator('#date_of_birth-error');
  await dob.waitFor();
  assert.equal((await dob.innerText()).trim(), t('field.date_of_birth_too_young'));
  assert.equal(cardNumberOnPage(clerk), null, 'no card');
  await look(clerk, '03-too-young');
});

test('a renewal outside the window is refused and says when it opens', { skip: !ready }, async () => {
  const today = todayUtc();
  cards.adult = await enrol(clerk, office.base, { given: 'Rena', family: 'Fenster', dob: '01.02.1980' });
  assert.ok(cards.adult);
  const expires = addDays(addYears(today, 5), -1);
  // The card page does not offer renewal; it says when it opens.
  assert.equal(await clerk.getByRole('link', { name: t('card.renew') }).count(), 0);
  await clerk.locator('#renewal-note').getByText(t('card.renewal_not_yet', { opens: german(addDays(expires, -60)) })).waitFor();
  await look(clerk, '04-card-renewal-not-yet');
  // Typing the address: the office refuses, with the window's dates.
  await clerk.goto(`${office.base}/cards/${cards.adult}/renew`);
  await clerk.locator('#attest_identity').check();
  await clerk.locator('#attest_residence').check();
  await submit(clerk, `form[action="/cards/${cards.adult}/renew"] button[type=submit]`);
  await clerk.getByText(t('error.renewal_not_yet', {
    opens: german(addDays(expires, -60)),
    closes: german(addDays(expires, 180)),
  })).waitFor();
  await look(clerk, '05-renewal-refused');

  // A printed card, for the next test: kept by the schedule. The resident
  // waits at the counter, so the clerk hands it over at once (a card left
  // on the pick-up list would be revoked as not collected after 90 days).
  await clerk.goto(`${office.base}/cards/${cards.adult}`);
  await Promise.all([clerk.waitForNavigation(), clerk.getByRole('link', { name: t('card.mark_printed') }).click()]);
  const confirm = clerk.locator('#confirm');
  if (await confirm.count()) await confirm.check();
  await clerk.locator('#handed_over').check();
  await look(clerk, '05b-printed-and-handed-over');
  await Promise.all([clerk.waitForNavigation(), clerk.locator('main form button[type=submit]').click()]);
  await clerk.getByText(t('pickup.handed_over_done')).waitFor();
});

test('moved forward by the test clock: renewal offered in the window; unprinted enrolments erased', { skip: !ready }, async () => {
  const today = todayUtc();
  const expires = addDays(addYears(today, 5), -1);
  // 91 days on: the schedule (run at start) erases the never-printed card's resident.
  await office.stop();
  office = await startAt(91);
  assert.match(office.log(), /1 resident\(s\) erased by the deletion schedule \(0 ended, 1 never printed\)/);
  const page = await loginAs(browser, office.base, 'clerk.rules', PASSWORD);
  await page.goto(`${office.base}/cards/${cards.minor}`);
  await page.getByText(t('card.erased')).waitFor();
  assert.equal(await page.locator('figure.qr').count(), 0, 'no QR code any more');
  await look(page, '06-erased-by-schedule');
  const byName = page.locator('form[action="/search/name"]');
  await page.goto(`${office.base}/search`);
  await byName.locator('#family_name').fill('Kindermann');
  await byName.locator('#date_of_birth').fill(german(addYears(today, -12)));
  await submit(page, 'form[action="/search/name"] button[type=submit]');
  await page.getByText(t('search.none')).waitFor();
  await look(page, '07-search-after-erasure');
  // The printed card keeps its resident.
  await page.goto(`${office.base}/cards/${cards.adult}`);
  assert.equal(await page.getByText(t('card.erased')).count(), 0);
  await page.close();

  // 30 days before the printed card's last day: renewal is offered first.
  await office.stop();
  const inWindow = Math.round((addDays(expires, -30) - today) / 86400000);
  office = await startAt(inWindow);
  const later = await loginAs(browser, office.base, 'clerk.rules', PASSWORD);
  await later.goto(`${office.base}/cards/${cards.adult}`);
  const note = later.locator('#renewal-note');
  await note.getByText(t('card.renewal_open', { closes: german(addDays(expires, 180)) })).waitFor();
  assert.equal(await later.locator('#renew-now').innerText(), t('card.renew_now'));
  await look(later, '08-renewal-offered');
  await later.close();
});
