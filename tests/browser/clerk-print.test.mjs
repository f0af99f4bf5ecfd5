// Printing in the clerk UI, in a real browser against the real
// `citycard serve` (issue 8, the printing findings):
//   1. a card without photo prints (the no-photo layout), and a batch with
//      a card that cannot be printed prints the others and says which card
//      was left out and why;
//   2. a reprint after "mark as printed" works without the photo, the card
//      page says so beforehand, and the audit log has one `card_reprinted`;
//   3. "mark as printed" on the card page asks for confirmation;
//   4. a name the card's fonts cannot print is refused at enrolment, naming
//      the character, in the clerk's language; names in other scripts pass;
//   5. the card number is printed under the QR code, and the desk page says
//      what typing it does (check digit and revocation list only);
//   6. the card says "City Card" (never "Stadtausweis");
//   7. the German and English lines on the back are the same size.
// PDFs are read back with pdftotext, the printed QR decoded with pdftoppm +
// zbarimg, and every page saved as test-artifacts/print-*.png.
//
// Needs `cargo build --bin citycard` first. Run from tests/browser:
// node --test clerk-print.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ARTIFACTS, REPO, checkA11y, createUser, downloadPdf, enrol, heading, launch, loginAs, newPage,
  photoFile, qrTextsOfPdf, setupAdmin, shot, startOffice, t, toolsReady, tx,
} from './office.mjs';
import { decodeText, parseClaims, parseCoseSign1 } from '../../src/web/desk/verifier.js';

const ready = toolsReady(['pdftotext', 'pdftoppm', 'zbarimg']);
const skip = ready ? false : 'tools missing (see SKIPPED above)';

let office;
let browser;
let admin;
const users = {};

/** `123456789012` → `1234 5678 9012`, as the card prints it. */
const grouped = (n) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8, 12)}`;

/** Renders page PAGE of a PDF at 150 dpi to test-artifacts/NAME.png (to look at). */
function render(pdf, name, page = 1) {
  const out = path.join(ARTIFACTS, name);
  execFileSync('pdftoppm', ['-png', '-r', '150', '-f', String(page), '-l', String(page), '-singlefile', pdf, out]);
  return `${out}.png`;
}

/** The words of a PDF page with their boxes (pdftotext -bbox). */
function words(pdf, page) {
  const xml = execFileSync('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), pdf, '-'], { encoding: 'utf8' });
  return [...xml.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)]
    .map((m) => ({ x0: +m[1], y0: +m[2], x1: +m[3], y1: +m[4], text: m[5] }));
}

/** The 12-digit card number in a printed QR text (the desk's own parser). */
function cardNumberOfQr(text) {
  return parseClaims(parseCoseSign1(decodeText(text)).payload).cardNumber;
}

before(async () => {
  if (!ready) return;
  office = await startOffice();
  browser = await launch();
  admin = await newPage(browser);
  await setupAdmin(admin, office);
  for (const [name, role] of [['klara', 'clerk'], ['svenja', 'supervisor'], ['aude', 'auditor']]) {
    const oneTime = await createUser(admin, office.base, { username: name, role });
    users[name] = await loginAs(browser, office.base, name, oneTime);
  }
});

after(async () => {
  await browser?.close();
  await office?.stop();
});

test('4: a name the fonts cannot print is refused at enrolment, naming the character', { skip }, async () => {
  const page = users.klara;
  for (const lang of ['de', 'en']) {
    await page.goto(`${office.base}/enrol?lang=${lang}`);
    await page.locator('#given_names').fill('Anna 🙂');
    await page.locator('#family_name').fill('Lachend');
    await page.locator('#attest_identity').check();
    await page.locator('#attest_residence').check();
    await Promise.all([page.waitForNavigation(), page.locator('form[action="/enrol"] button[type=submit]').click()]);
    assert.equal(new URL(page.url()).pathname, '/enrol', 'no card was issued');
    const expected = t('print.field_unprintable_character', { char: 'U+1F642 🙂' }, lang);
    assert.equal((await page.locator('#given_names-error').innerText()).trim(), expected);
    assert.match(await page.locator('.error-summary').innerText(), new RegExp(expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.doesNotMatch(await page.locator('main').innerText(), /fonts-noto|install/i, 'no advice to install fonts');
    await shot(page, `print-enrol-unprintable-${lang}`);
    await checkA11y(page, `enrol with an unprintable name (${lang})`);
  }
  // Names in the scripts the fonts cover are issued.
  await page.goto(`${office.base}/?lang=de`);
  for (const [given, family] of [['محمد', 'الحسيني'], ['秀英', '王'], ['Анна', 'Иванова'], ['अनीता', 'शर्मा']]) {
    const number = await enrol(page, office.base, { given, family, dob: '1990-01-01' });
    assert.ok(number, `${family}: issued`);
  }
});

let noPhoto; // a card without photo
let withPhoto; // a card with photo

test('1, 5, 6: a card without photo prints with the no-photo layout; the card number is under the QR code', { skip }, async () => {
  const page = users.klara;
  noPhoto = await enrol(page, office.base, { given: 'Olga', family: 'Fotolos', dob: '1984-03-14' });
  assert.ok(noPhoto, 'issued');
  assert.equal(await heading(page), t('card.title', { number: grouped(noPhoto) }));
  assert.equal((await page.locator('#print-note').innerText()).trim(), t('print.note_no_photo'));
  await shot(page, 'print-card-no-photo');
  await checkA11y(page, 'card page without photo');
  const { file, text } = await downloadPdf(page, () => page.getByRole('link', { name: t('card.pdf') }).click(), 'print-card-no-photo');
  assert.match(text, /City Card/);
  assert.doesNotMatch(text, /Stadtausweis/);
  assert.match(text, /Fotolos/);
  assert.match(text, /14\.03\.1984/, 'the date of birth is on the no-photo layout too');
  assert.ok(text.includes(grouped(noPhoto)), `the card number ${grouped(noPhoto)} is printed: ${text}`);
  // The QR code decodes to this card; the number is printed right under it.
  const qrs = qrTextsOfPdf(file);
  assert.equal(qrs.length, 1, 'one QR code');
  assert.equal(cardNumberOfQr(qrs[0]), noPhoto);
  const front = words(file, 1);
  const digits = front.filter((w) => grouped(noPhoto).split(' ').includes(w.text));
  assert.equal(digits.length, 3, 'the number in three groups');
  render(file, 'print-card-no-photo-front', 1);
  render(file, 'print-card-no-photo-back', 2);
});

test('7: the card with photo; German and English lines on the back are the same size', { skip }, async () => {
  const page = users.klara;
  withPhoto = await enrol(page, office.base, { given: 'Paula', family: 'Bildhauer', dob: '1992-02-29', photo: photoFile() });
  assert.ok(withPhoto);
  assert.equal((await page.locator('#print-note').innerText()).trim(), t('print.note_photo_deleted_when_printed'));
  const { file, text } = await downloadPdf(page, () => page.getByRole('link', { name: t('card.pdf') }).click(), 'print-card-photo');
  assert.match(text, /City Card/);
  assert.doesNotMatch(text, /Stadtausweis/);
  // The number on the front and, under the QR code, on the back.
  assert.equal(text.split(grouped(withPhoto)).length - 1, 2, text);
  const qrs = qrTextsOfPdf(file);
  assert.equal(cardNumberOfQr(qrs[0]), withPhoto);
  const back = words(file, 2);
  const lineHeight = (first) => {
    const w = back.find((x) => x.text === first);
    assert.ok(w, `"${first}" is on the back`);
    return +(w.y1 - w.y0).toFixed(2);
  };
  assert.equal(lineHeight('Zum'), lineHeight('Scan'), 'German and English lines at the same size');
  assert.equal(lineHeight('Bitte'), lineHeight('Please'), 'German and English lines at the same size');
  // The number sits below the QR code (its box ends at 41 mm from the top).
  const number = back.filter((w) => grouped(withPhoto).split(' ').includes(w.text));
  assert.equal(number.length, 3);
  for (const w of number) assert.ok(w.y0 > 41 * 72 / 25.4 && w.x1 < 34 * 72 / 25.4, `under the QR code: ${JSON.stringify(w)}`);
  render(file, 'print-card-photo-front', 1);
  render(file, 'print-card-photo-back', 2);
});

test('3: "mark as printed" on the card page asks for confirmation', { skip }, async () => {
  const page = users.klara;
  await page.goto(`${office.base}/cards/${withPhoto}`);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: t('card.mark_printed') }).click()]);
  assert.equal(await heading(page), t('printed.title', { number: grouped(withPhoto) }));
  assert.equal((await page.locator('p.warning').innerText()).trim(), t('printed.intro'));
  await shot(page, 'print-mark-printed-confirm');
  await checkA11y(page, 'mark printed confirmation');
  // Without ticking: refused, nothing deleted.
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: t('printed.submit') }).click()]);
  assert.equal((await page.locator('#confirm-error').innerText()).trim(), t('printed.confirm_error'));
  await shot(page, 'print-mark-printed-unconfirmed');
  await page.goto(`${office.base}/cards/${withPhoto}`);
  assert.match(await page.locator('main').innerText(), tx('card.photo_stored'));
  // Cancel goes back to the card.
  await page.getByRole('link', { name: t('card.mark_printed') }).click();
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: t('app.cancel') }).click()]);
  assert.equal(new URL(page.url()).pathname, `/cards/${withPhoto}`);
  // Ticked: marked printed, the photo deleted.
  await page.getByRole('link', { name: t('card.mark_printed') }).click();
  await page.waitForURL(/\/printed$/);
  await page.getByLabel(t('printed.confirm')).check();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: t('printed.submit') }).click()]);
  assert.equal((await page.locator('.notice').innerText()).trim(), t('card.marked_printed'));
  assert.match(await page.locator('main').innerText(), tx('card.no_photo'));
  await shot(page, 'print-card-marked-printed');
});

test('2: a reprint after printing has no photo, says so first, and is audited once', { skip }, async () => {
  const page = users.svenja;
  await page.goto(`${office.base}/cards/${withPhoto}`);
  assert.equal((await page.locator('#print-note').innerText()).trim(), t('print.note_reprint_no_photo'));
  await shot(page, 'print-card-reprint-note');
  await checkA11y(page, 'card page before a reprint');
  const { file, text } = await downloadPdf(page, () => page.getByRole('button', { name: t('card.reprint_pdf') }).click(), 'print-card-reprint');
  assert.match(text, /Bildhauer/);
  assert.match(text, /29\.02\.1992/);
  assert.equal(cardNumberOfQr(qrTextsOfPdf(file)[0]), withPhoto);
  render(file, 'print-card-reprint-front', 1);
  // The audit log: one reprint, recorded because it happened.
  const aude = users.aude;
  await aude.goto(`${office.base}/audit`);
  const log = await aude.locator('main').innerText();
  assert.equal(log.split('card_reprinted').length - 1, 1, log);
  await shot(aude, 'print-audit-reprint');
});

test('1: the print queue offers each card with its layout and one batch PDF', { skip }, async () => {
  const page = users.klara;
  await page.goto(`${office.base}/print-queue`);
  const row = (n) => page.locator('tr', { hasText: grouped(n) });
  assert.match(await row(noPhoto).innerText(), tx('print.ready_no_photo'));
  await shot(page, 'print-queue');
  await checkA11y(page, 'print queue');
  const link = page.getByRole('link', { name: tx('queue.batch_pdf') });
  const { file, text } = await downloadPdf(page, () => link.click(), 'print-queue');
  assert.ok(text.includes(grouped(noPhoto)), 'the photo-less card is in the batch');
  assert.ok(qrTextsOfPdf(file).map(cardNumberOfQr).includes(noPhoto));
});

test('1: a card that cannot be printed says why and never blocks the batch', { skip }, async () => {
  // An office whose photo template names no layout without photo: its
  // photo-less cards cannot be printed.
  const tmp = mkdtempSync(path.join(tmpdir(), 'citycard-templates-'));
  cpSync(path.join(REPO, 'card-templates'), tmp, { recursive: true });
  const toml = path.join(tmp, 'bilingual-photo/template.toml');
  writeFileSync(toml, readFileSync(toml, 'utf8').replace('without_photo = "no-photo"', ''));
  const other = await startOffice({ env: { CITYCARD_TEMPLATES: tmp } });
  try {
    const adminPage = await newPage(browser);
    await setupAdmin(adminPage, other);
    const oneTime = await createUser(adminPage, other.base, { username: 'karl', role: 'clerk' });
    const page = await loginAs(browser, other.base, 'karl', oneTime);
    const photo = await enrol(page, other.base, { given: 'Mit', family: 'Bild', dob: '1970-01-01', photo: photoFile() });
    const bare = await enrol(page, other.base, { given: 'Ohne', family: 'Bild', dob: '1971-01-01' });
    const reason = t('print.cannot_print', { reason: t('print.photo_required') });
    // The card page says why before anyone clicks, and offers no PDF.
    assert.equal((await page.locator('[role=alert]').innerText()).trim(), reason);
    assert.equal(await page.getByRole('link', { name: t('card.pdf') }).count(), 0);
    await shot(page, 'print-card-cannot-print');
    await checkA11y(page, 'card page of a card that cannot be printed');
    // English too.
    await page.goto(`${other.base}/cards/${bare}?lang=en`);
    assert.equal((await page.locator('[role=alert]').innerText()).trim(),
      t('print.cannot_print', { reason: t('print.photo_required', {}, 'en') }, 'en'));
    await page.goto(`${other.base}/print-queue?lang=de`);
    // The queue: the reason in the row, the left-out card named, the batch of the rest.
    assert.match(await page.locator('tr', { hasText: grouped(bare) }).innerText(), new RegExp(t('print.photo_required').slice(0, 40).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal((await page.locator('#left-out').innerText()).trim(),
      t('print.left_out', { count: 1, numbers: grouped(bare) }));
    await shot(page, 'print-queue-left-out');
    await checkA11y(page, 'print queue with a card left out');
    const { file, text } = await downloadPdf(page,
      () => page.getByRole('link', { name: t('queue.batch_pdf', { count: 1 }) }).click(), 'print-queue-left-out');
    assert.ok(text.includes(grouped(photo)), 'the printable card is printed');
    assert.ok(!text.includes(grouped(bare)), 'the other one is left out');
    assert.deepEqual(qrTextsOfPdf(file).map(cardNumberOfQr), [photo]);
    // Marking the batch printed marks only the card that was in the PDF.
    await page.getByLabel(t('queue.mark_all_confirm')).check();
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: t('queue.mark_all', { count: 1 }) }).click()]);
    assert.equal((await page.locator('.notice').innerText()).trim(), t('queue.marked', { count: 1 }));
    assert.match(await page.locator('tr', { hasText: grouped(bare) }).innerText(), /.+/, 'the card left out stays in the queue');
    await shot(page, 'print-queue-after-marking');
  } finally {
    await other.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('5: the desk page says what typing a card number does, and does it', { skip }, async () => {
  const page = await newPage(browser);
  await page.goto(`${office.base}/verify/`);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15000 });
  const label = await page.locator('label[for=scan]').innerText();
  assert.match(label, /Kartennummer/);
  assert.doesNotMatch(label, /Text unter/);
  assert.match(await page.locator('#scan-help').innerText(), /nur mit der Sperrliste abgeglichen/);
  const type = async (text) => {
    await page.evaluate(() => { document.getElementById('result').dataset.outcome = 'none'; });
    await page.focus('#scan');
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#result:not([data-outcome="none"])', { timeout: 10000 });
    return page.getAttribute('#result', 'data-outcome');
  };
  // As printed under the QR code, with spaces.
  assert.equal(await type(grouped(noPhoto)), 'number_not_revoked');
  const said = await page.locator('#result').innerText();
  assert.match(said, /NICHT GESPERRT/);
  assert.match(said, new RegExp(`Kartennummer ${grouped(noPhoto)} steht nicht auf der Sperrliste`));
  assert.doesNotMatch(said, /GÜLTIG|Olga|Fotolos/, 'a typed number shows no name and never "valid"');
  await shot(page, 'print-desk-typed-number');
  // One digit wrong: the check digit catches it.
  const wrong = noPhoto.slice(0, 11) + String((Number(noPhoto[11]) + 1) % 10);
  assert.equal(await type(wrong), 'number_mistyped');
  assert.match(await page.locator('#result').innerText(), /VERTIPPT/);
  await shot(page, 'print-desk-mistyped-number');
  await page.context().close();
});
