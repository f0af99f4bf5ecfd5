// Forms, dates, search, users, error pages and wording of the clerk UI in
// a real browser (issue 8): Debian's chromium, driven by playwright-core,
// against the real `citycard serve` binary. A person clicks and types;
// the test asserts what the person sees (field errors next to the fields
// and in the summary, dates written 14.03.1988 / 30.11.2031, headings,
// messages) and saves a screenshot per page under test-artifacts/ (prefix
// `forms-`), with axe-core on each.
//
// Needs `cargo build --bin citycard` first. Run:
//   cd tests/browser && npm ci && node --test clerk-forms.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  toolsReady, startOffice, launch, newPage, shot, heading, login, changePassword,
  setupAdmin, createUser, loginAs, enrol, fillEnrolment, checkA11y, t, photoFile,
} from './office.mjs';
import { deflateSync, crc32 } from 'node:zlib';

const ready = toolsReady();

let office;
let browser;
let admin; // the admin's page
let clerk; // a clerk's page
const cards = {};

const spaced = (n) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;
const GERMAN_DATE = /^\d{2}\.\d{2}\.\d{4}$/;

/** A screenshot and axe-core for every page shown. */
async function look(page, name) {
  await shot(page, `forms-${name}`);
  await checkA11y(page, name);
}

/** Submits the form that holds SELECTOR's button, waiting for the page. */
async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.locator(selector).click()]);
}

/**
 * The error a person sees next to FIELD: its text, and that the field is
 * described by it and the summary at the top links to the field.
 */
async function fieldError(page, field) {
  const error = page.locator(`#${field}-error`);
  await error.waitFor();
  const described = (await page.locator(`#${field}`).getAttribute('aria-describedby')) || '';
  assert.ok(described.split(' ').includes(`${field}-error`), `${field} is described by its error`);
  assert.equal(await page.locator(`#${field}`).getAttribute('aria-invalid'), 'true');
  const text = (await error.innerText()).trim();
  const summary = page.locator(`.error-summary a[href="#${field}"]`);
  assert.equal((await summary.innerText()).trim(), text, `${field} in the summary`);
  return text;
}

/** The link texts of the error summary, in order. */
async function summary(page) {
  return (await page.locator('.error-summary li a').allInnerTexts()).map((s) => s.trim());
}

/** The value shown for the term TERM in a <dl class="facts">. */
async function fact(page, term) {
  const dd = page.locator(`xpath=//dl[contains(@class,"facts")]/dt[normalize-space()="${term}"]/following-sibling::dd[1]`);
  return (await dd.first().innerText()).trim();
}

before(async () => {
  if (!ready) return;
  office = await startOffice();
  browser = await launch();
  admin = await newPage(browser);
  await setupAdmin(admin, office);
  const oneTime = await createUser(admin, office.base, { username: 'clerk.forms', role: 'clerk' });
  clerk = await loginAs(browser, office.base, 'clerk.forms', oneTime);
});

after(async () => {
  await browser?.close();
  await office?.stop();
});

test('an empty enrolment form flags every field at once', { skip: !ready }, async () => {
  await clerk.goto(`${office.base}/enrol`);
  assert.equal(await heading(clerk), t('enrol.title'));
  await look(clerk, '01-enrol-form');
  await submit(clerk, 'form[action="/enrol"] button[type=submit]');
  assert.equal(await fieldError(clerk, 'family_name'), t('field.family_name'));
  assert.equal(await fieldError(clerk, 'attest_identity'), t('field.attest_identity'));
  assert.equal(await fieldError(clerk, 'attest_residence'), t('field.attest_residence'));
  assert.deepEqual(await summary(clerk), [
    t('field.family_name'), t('field.attest_identity'), t('field.attest_residence'),
  ], 'every error, in the order of the form');
  // The summary's link takes the person to the field.
  await clerk.locator('.error-summary a[href="#family_name"]').click();
  assert.equal(await clerk.evaluate(() => document.activeElement?.id), 'family_name');
  await look(clerk, '02-enrol-empty');
});

/**
 * A decompression bomb (issue 10 finding 4): a PNG of WIDTH × HEIGHT black
 * pixels, about 200 KB on disk for 8000 × 8000, 192 MB once decoded.
 */
function pngBomb(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + 3 * width)); // filter 0, black RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('a photo of 8000 × 8000 pixels is refused next to the field; nothing typed is lost', { skip: !ready }, async () => {
  const bomb = pngBomb(8000, 8000);
  assert.ok(bomb.length < 400_000, `${bomb.length} bytes`);
  await clerk.goto(`${office.base}/enrol`);
  await fillEnrolment(clerk, { given: 'Paula', family: 'Bombe', dob: '29.02.1992' });
  await clerk.locator('#photo').setInputFiles({ name: 'bomb.png', mimeType: 'image/png', buffer: bomb });
  await submit(clerk, 'form[action="/enrol"] button[type=submit]');
  assert.equal(await fieldError(clerk, 'photo'), t('field.photo_too_many_pixels'));
  assert.deepEqual(await summary(clerk), [t('field.photo_too_many_pixels')]);
  assert.equal(await clerk.locator('#given_names').inputValue(), 'Paula');
  assert.equal(await clerk.locator('#family_name').inputValue(), 'Bombe');
  assert.equal(await clerk.locator('#date_of_birth').inputValue(), '29.02.1992');
  assert.ok(await clerk.locator('#attest_identity').isChecked());
  assert.ok(await clerk.locator('#attest_residence').isChecked());
  await look(clerk, '03-enrol-photo-bomb');
  // A photo of a sensible size: the card is issued with what was typed.
  await clerk.locator('#photo').setInputFiles(photoFile());
  await submit(clerk, 'form[action="/enrol"] button[type=submit]');
  assert.match(new URL(clerk.url()).pathname, /^\/cards\/\d{12}$/, 'issued');
});

test('dates: the real reason for impossible dates; 14.03.1988 accepted and shown as on the card', { skip: !ready }, async () => {
  for (const [typed, key, vars, name] of [
    ['2023-02-30', 'field.date_no_such_day', { days: 28 }, '03-date-no-such-day'],
    ['1850-01-01', 'field.date_too_early', {}, '04-date-too-early'],
    ['01.01.2999', 'field.date_in_future', {}, null],
    ['14.03.88', 'field.date_short_year', {}, null],
  ]) {
    await clerk.goto(`${office.base}/enrol`);
    await fillEnrolment(clerk, { given: 'Dora', family: 'Datum', dob: typed });
    await submit(clerk, 'form[action="/enrol"] button[type=submit]');
    const said = await fieldError(clerk, 'date_of_birth');
    assert.equal(said, t(key, vars), typed);
    assert.doesNotMatch(said, /JJJJ-MM-TT/, `${typed} is written correctly: no format advice`);
    assert.equal(await clerk.locator('#date_of_birth').inputValue(), typed, 'what was typed is kept');
    assert.equal((await summary(clerk)).length, 1, 'only the date is wrong');
    if (name) await look(clerk, name);
  }

  // German clerks type 14.03.1988 (or 14.3.1988).
  cards.dora = await enrol(clerk, office.base, { given: 'Dora Zoë', family: 'Nguyễn-Müller', dob: '14.03.1988' });
  assert.ok(cards.dora, 'the card page is shown');
  assert.equal(await fact(clerk, t('enrol.dob')), '14.03.1988');
  assert.match(await fact(clerk, t('card.expires')), GERMAN_DATE);
  assert.match(await fact(clerk, t('card.issued')), GERMAN_DATE);
  assert.equal(await clerk.locator('h2', { hasText: t('card.actions') }).count(), 1);
  await look(clerk, '05-card-german-dates');
  const again = await enrol(clerk, office.base, { given: 'Eva', family: 'Punkt', dob: '1.2.1990' });
  assert.ok(again);
  assert.equal(await fact(clerk, t('enrol.dob')), '01.02.1990');

  // In English, as the English desk page shows them: ISO.
  await clerk.goto(`${office.base}/cards/${cards.dora}?lang=en`);
  assert.equal(await fact(clerk, t('enrol.dob', {}, 'en')), '1988-03-14');
  assert.match(await fact(clerk, t('card.expires', {}, 'en')), /^\d{4}-\d{2}-\d{2}$/);
  await look(clerk, '06-card-english-dates');
  await clerk.goto(`${office.base}/?lang=de`);
});

test('search: family name and birth date find the card, given names left empty, accents loose', { skip: !ready }, async () => {
  await clerk.goto(`${office.base}/search`);
  assert.equal(await heading(clerk), t('search.title'));
  await clerk.getByText(t('search.by_name_intro')).waitFor();
  const byName = clerk.locator('form[action="/search/name"]');
  await byName.locator('#family_name').fill('nguyen muller');
  await byName.locator('#date_of_birth').fill('14.03.1988');
  await submit(clerk, 'form[action="/search/name"] button[type=submit]');
  await clerk.getByRole('heading', { name: t('search.results') }).waitFor();
  assert.equal(await clerk.getByRole('link', { name: spaced(cards.dora) }).count(), 1, 'the card is found');
  await look(clerk, '07-search-found');

  // A given name that is not hers: nothing.
  await clerk.locator('form[action="/search/name"] #given_names').fill('Berta');
  await submit(clerk, 'form[action="/search/name"] button[type=submit]');
  await clerk.getByText(t('search.none')).waitFor();
  assert.equal(await clerk.getByRole('link', { name: spaced(cards.dora) }).count(), 0);
  // One of her given names: found.
  await clerk.locator('form[action="/search/name"] #given_names').fill('zoe');
  await submit(clerk, 'form[action="/search/name"] button[type=submit]');
  assert.equal(await clerk.getByRole('link', { name: spaced(cards.dora) }).count(), 1);
});

test('a renewed card is "Ersetzt durch Verlängerung", not "Gesperrt"', { skip: !ready }, async () => {
  await clerk.goto(`${office.base}/cards/${cards.dora}/renew`);
  await clerk.locator('#attest_identity').check();
  await clerk.locator('#attest_residence').check();
  await look(clerk, '08-renew-form');
  await submit(clerk, `form[action="/cards/${cards.dora}/renew"] button[type=submit]`);
  await clerk.getByText(t('renew.done')).waitFor();
  await clerk.goto(`${office.base}/cards/${cards.dora}`);
  assert.equal(await fact(clerk, t('card.status')), t('card.status_renewed'));
  assert.doesNotMatch(await clerk.locator('main').innerText(), /Gesperrt \(verlängert\)/);
  await look(clerk, '09-renewed-card');
});

test('error pages keep the header, the menu and Abmelden', { skip: !ready }, async () => {
  const res = await clerk.goto(`${office.base}/users`);
  assert.equal(res.status(), 403);
  assert.equal(await heading(clerk), t('error.forbidden_title'));
  await clerk.getByText(t('error.forbidden')).waitFor();
  const nav = clerk.getByRole('navigation', { name: t('app.nav_label') });
  assert.ok(await nav.getByRole('link', { name: t('nav.enrol') }).isVisible(), 'the menu is there');
  assert.ok(await clerk.getByRole('button', { name: t('app.logout') }).isVisible(), 'Abmelden is there');
  await look(clerk, '10-error-forbidden');
  const missing = await clerk.goto(`${office.base}/cards/123456789012`);
  assert.equal(missing.status(), 404);
  assert.equal(await heading(clerk), t('error.not_found_title'));
  assert.ok(await clerk.getByRole('button', { name: t('app.logout') }).isVisible());
  await look(clerk, '11-error-not-found');
  // And Abmelden works from there.
  await submit(clerk, 'form[action="/logout"] button');
  assert.equal(new URL(clerk.url()).pathname, '/login');
});

test('an empty create-account form flags every field at once', { skip: !ready }, async () => {
  await admin.goto(`${office.base}/users`);
  await submit(admin, 'form[action="/users"] button[type=submit]');
  assert.equal(await fieldError(admin, 'username'), t('field.username'));
  assert.equal(await fieldError(admin, 'role'), t('field.role'));
  assert.equal(await fieldError(admin, 'password'), t('field.password'));
  assert.deepEqual(await summary(admin), [t('field.username'), t('field.role'), t('field.password')]);
  await look(admin, '12-users-empty');
});

test('user names with umlauts: jörg.weiß is created and signs in as Jörg.Weiß', { skip: !ready }, async () => {
  const oneTime = await createUser(admin, office.base, { username: 'jörg.weiß', role: 'clerk' });
  await admin.getByText(t('users.created')).waitFor();
  assert.equal(await admin.locator('td', { hasText: /^jörg\.weiß$/ }).count(), 1);
  const joerg = await newPage(browser);
  await login(joerg, office.base, 'Jörg.Weiß', oneTime);
  assert.equal(new URL(joerg.url()).pathname, '/account/password');
  await changePassword(joerg, oneTime);
  await joerg.getByText(t('dashboard.welcome', { user: 'jörg.weiß' })).waitFor();
  await look(joerg, '13-unicode-user-signed-in');
  await joerg.context().close();

  // An invisible character is refused, next to the field.
  await admin.goto(`${office.base}/users`);
  const form = admin.locator('form[action="/users"]');
  await form.locator('#username').fill('jörg\u200b');
  await form.locator('#role').selectOption('clerk');
  await form.locator('#password').fill('Einmal-Passwort-2026');
  await submit(admin, 'form[action="/users"] button[type=submit]');
  assert.equal(await fieldError(admin, 'username'), t('field.username'));
});

test('an admin disabling their own account is told so; destructive buttons look secondary', { skip: !ready }, async () => {
  await admin.goto(`${office.base}/users`);
  const own = admin.getByRole('button', { name: t('users.disable', { user: 'admin' }) });
  // Not the primary (filled blue) style: white with a red outline.
  const style = await own.evaluate((b) => {
    const s = getComputedStyle(b);
    return { bg: s.backgroundColor, fg: s.color, border: s.borderTopColor };
  });
  assert.deepEqual(style, { bg: 'rgb(255, 255, 255)', fg: 'rgb(164, 0, 15)', border: 'rgb(164, 0, 15)' });
  await look(admin, '14-users');
  await Promise.all([admin.waitForNavigation(), own.click()]);
  const alert = admin.getByRole('alert');
  assert.equal((await alert.innerText()).trim(), t('users.self_disable'));
  assert.doesNotMatch(await admin.locator('main').innerText(), /Zustand der Karte/);
  assert.ok(await admin.getByRole('button', { name: t('app.logout') }).isVisible());
  await look(admin, '15-users-own-account');

  // "Abbrechen" keeps its distance from the button beside it.
  await admin.goto(`${office.base}/users/clerk.forms/password`);
  const button = await admin.locator('main form button[type=submit]').boundingBox();
  const cancel = await admin.getByRole('link', { name: t('app.cancel') }).boundingBox();
  assert.ok(cancel.x - (button.x + button.width) >= 16, `gap ${cancel.x - (button.x + button.width)} px`);
  await look(admin, '16-reset-password');
});

test('English: the same dates and messages in English', { skip: !ready }, async () => {
  await admin.goto(`${office.base}/users?lang=en`);
  await submit(admin, 'form[action="/users"] button[type=submit]');
  assert.equal(await fieldError(admin, 'role'), t('field.role', {}, 'en'));
  const english = await newPage(browser, { locale: 'en-GB' });
  const oneTime = await createUser(admin, office.base, { username: 'clerk.en', role: 'clerk' });
  await login(english, office.base, 'clerk.en', oneTime);
  await changePassword(english, oneTime);
  await english.goto(`${office.base}/enrol`);
  await fillEnrolment(english, { family: 'Date', dob: '2023-02-30' });
  await submit(english, 'form[action="/enrol"] button[type=submit]');
  assert.equal(await fieldError(english, 'date_of_birth'), t('field.date_no_such_day', { days: 28 }, 'en'));
  await look(english, '17-enrol-english-no-such-day');
  await english.context().close();
  await admin.goto(`${office.base}/users?lang=de`);
});
