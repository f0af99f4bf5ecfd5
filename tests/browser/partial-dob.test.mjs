// A year-only date of birth from enrolment to the printed card and the
// desk page (issue 13 #1), in a real browser against the real
// `citycard serve`:
//   1. the enrolment form's hint says that a year or a month and year is
//      enough; a clerk types `1987` (and `03.1987` for a second resident);
//   2. the card page shows `1987` (and `03.1987` in German, `03/1987` in
//      English), never a made-up 01.01.;
//   3. the printed card (pdftotext) shows 1987; its QR code (zbarimg)
//      verifies with `citycard verify`, which prints the year only;
//   4. the desk page, fed that QR text as a scanner types it, says VALID and
//      shows the date of birth as `1987` (and `03/1987`, `03.1987`).
// Screenshots and the rendered card go to test-artifacts/pdob-*.png.
//
// Needs `cargo build --bin citycard` first. Run from tests/browser:
// node --test partial-dob.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ARTIFACTS, BIN, checkA11y, createUser, downloadPdf, enrol, launch, loginAs, newPage, qrTextsOfPdf,
  setupAdmin, shot, startOffice, t, toolsReady,
} from './office.mjs';

const ready = toolsReady(['pdftotext', 'pdftoppm', 'zbarimg']);
const skip = ready ? false : 'tools missing (see SKIPPED above)';

let office;
let browser;
let clerk;
let tmp;
const cards = {};

before(async () => {
  if (!ready) return;
  tmp = mkdtempSync(path.join(tmpdir(), 'citycard-pdob-'));
  office = await startOffice();
  browser = await launch();
  const admin = await newPage(browser);
  await setupAdmin(admin, office);
  const oneTime = await createUser(admin, office.base, { username: 'klara', role: 'clerk' });
  clerk = await loginAs(browser, office.base, 'klara', oneTime);
});

after(async () => {
  await browser?.close();
  await office?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The text of the card page's date-of-birth row. */
async function dobOnCardPage(page, lang = 'de') {
  const dt = page.locator('dt', { hasText: t('enrol.dob', {}, lang) });
  return (await dt.locator('xpath=following-sibling::dd[1]').innerText()).trim();
}

test('1, 2: enrolment takes 1987 and 03.1987; the card page shows them as they are', { skip }, async () => {
  const page = clerk;
  for (const lang of ['de', 'en']) {
    await page.goto(`${office.base}/enrol?lang=${lang}`);
    const hint = await page.locator('#date_of_birth-hint').innerText().catch(async () => page.locator('main').innerText());
    assert.ok(hint.includes(t('enrol.dob_hint', {}, lang)), `${lang}: the hint: ${hint}`);
    assert.match(hint, /1987/, `${lang}: the hint shows a year-only example`);
  }
  await page.goto(`${office.base}/enrol?lang=de`);
  await shot(page, 'pdob-enrol-form');
  cards.year = await enrol(page, office.base, { given: 'Amina', family: 'Yusuf', dob: '1987' });
  assert.ok(cards.year, 'a year of birth is accepted');
  assert.equal(await dobOnCardPage(page), '1987');
  assert.doesNotMatch(await page.locator('main').innerText(), /01\.01\.1987/);
  await shot(page, 'pdob-card-page-year');
  await checkA11y(page, 'card page with a year of birth');

  cards.month = await enrol(page, office.base, { given: 'Dawit', family: 'Tesfaye', dob: '03.1987' });
  assert.ok(cards.month, 'a month and year are accepted');
  await shot(page, 'pdob-card-page-month');
  assert.equal(await dobOnCardPage(page), '03.1987');
  await page.goto(`${office.base}/cards/${cards.month}?lang=en`);
  assert.equal(await dobOnCardPage(page, 'en'), '03/1987');
  await shot(page, 'pdob-card-page-month-en');
  await page.goto(`${office.base}/cards/${cards.month}?lang=de`);

  // A month that does not exist is told so, in the form, and nothing is issued.
  await page.goto(`${office.base}/enrol`);
  await page.locator('#family_name').fill('Haddad');
  await page.locator('#date_of_birth').fill('13.1987');
  await page.locator('#attest_identity').check();
  await page.locator('#attest_residence').check();
  await Promise.all([page.waitForNavigation(), page.locator('form[action="/enrol"] button[type=submit]').click()]);
  assert.equal(new URL(page.url()).pathname, '/enrol');
  assert.ok((await page.locator('#date_of_birth-error').innerText()).trim().length > 0);
  await shot(page, 'pdob-enrol-month-13');
});

test('3, 4: the printed card shows 1987; its QR verifies with citycard verify and on the desk page', { skip }, async () => {
  const page = clerk;
  await page.goto(`${office.base}/cards/${cards.year}`);
  const { file, text } = await downloadPdf(page, () => page.getByRole('link', { name: t('card.pdf') }).click(), 'pdob-card-year');
  assert.match(text, /Yusuf/);
  assert.match(text, /(^|\s)1987(\s|$)/m, `the year of birth is printed: ${text}`);
  assert.doesNotMatch(text, /\d\d\.\d\d\.1987/, 'no made-up day');
  execFileSync('pdftoppm', ['-png', '-r', '150', '-f', '1', '-l', '1', '-singlefile', file, path.join(ARTIFACTS, 'pdob-card-year-front')]);
  const qrs = qrTextsOfPdf(file);
  assert.equal(qrs.length, 1, 'one QR code');
  const qr = qrs[0];

  // citycard verify, offline, with the served trust list and root fingerprint.
  const trust = Buffer.from(await (await fetch(`${office.base}/.well-known/citycard/trust-list`)).arrayBuffer());
  const trustFile = path.join(tmp, 'trust-list.cose');
  writeFileSync(trustFile, trust);
  const { root_fingerprint: fp } = await (await fetch(`${office.base}/verify/config.json`)).json();
  const out = execFileSync(BIN, ['verify', '--trust-list', trustFile, '--root-fingerprint', fp, qr], { encoding: 'utf8' });
  assert.match(out, /^VALID/m, out);
  assert.match(out, /Date of birth:\s+1987$/m, out);
  const json = JSON.parse(execFileSync(BIN, ['verify', '--json', '--trust-list', trustFile, '--root-fingerprint', fp, qr], { encoding: 'utf8' }));
  assert.equal(json.outcome, 'valid');
  assert.equal(json.card.date_of_birth, '1987');

  // The month card's QR text, from its PDF, for the desk.
  await page.goto(`${office.base}/cards/${cards.month}`);
  const month = await downloadPdf(page, () => page.getByRole('link', { name: t('card.pdf') }).click(), 'pdob-card-month');
  assert.match(month.text, /03\.1987/, 'printed as 03.1987 (the template date format without its day)');
  const monthQr = qrTextsOfPdf(month.file)[0];

  // The desk page (English first), fed the QR text as a scanner types it.
  const desk = await newPage(browser, { locale: 'en-GB' });
  await desk.goto(`${office.base}/verify/`);
  await desk.waitForSelector('body[data-state="ready"]', { timeout: 15000 });
  const scan = async (text) => {
    await desk.evaluate(() => { document.getElementById('result').dataset.outcome = 'none'; });
    await desk.focus('#scan');
    await desk.keyboard.type(text);
    await desk.keyboard.press('Enter');
    await desk.waitForSelector('#result:not([data-outcome="none"])', { timeout: 10000 });
    return desk.getAttribute('#result', 'data-outcome');
  };
  const lang = async () => (await desk.textContent('#lang')).trim();
  if ((await lang()) !== 'Deutsch') await desk.click('#lang'); // the button names the other language
  assert.equal(await scan(qr), 'valid');
  assert.equal((await desk.locator('#result dd.dob').innerText()).trim(), '1987');
  assert.match(await desk.textContent('#result'), /Yusuf/);
  await desk.screenshot({ path: path.join(ARTIFACTS, 'pdob-desk-year-en.png'), fullPage: true });
  assert.equal(await scan(monthQr), 'valid');
  assert.equal((await desk.locator('#result dd.dob').innerText()).trim(), '03/1987');
  await desk.screenshot({ path: path.join(ARTIFACTS, 'pdob-desk-month-en.png'), fullPage: true });
  await desk.click('#lang');
  assert.equal(await lang(), 'English', 'now German');
  assert.equal(await scan(monthQr), 'valid');
  assert.equal((await desk.locator('#result dd.dob').innerText()).trim(), '03.1987');
  assert.equal(await scan(qr), 'valid');
  assert.equal((await desk.locator('#result dd.dob').innerText()).trim(), '1987');
  await desk.screenshot({ path: path.join(ARTIFACTS, 'pdob-desk-year-de.png'), fullPage: true });
  await desk.context().close();
});
