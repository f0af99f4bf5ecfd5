// The clerk UI in a real browser (Debian's chromium, headless, driven by
// playwright-core) against the real `citycard serve` binary, as the people
// who use it meet it: the admin's first start, users, a clerk's day
// (enrol, card page, PDF, print queue, search), a supervisor's renew,
// replace, revoke and erase, an auditor's log, roles refused, the language
// switch, throttling, a cross-site attack, axe-core on every page and a
// keyboard-only run. Every step asserts what the person sees and saves a
// screenshot under test-artifacts/ (prefix `ui-`).
//
// Needs `cargo build --bin citycard` first. Run:
//   npm ci --prefix tests/browser && npm --prefix tests/browser test
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import {
  PASSWORD, toolsReady, startOffice, launch, newPage, shot, heading, login, logout,
  changePassword, createUser, loginAs, enrol, fillEnrolment, downloadPdf, qrTextsOfPdf,
  checkA11y, photoFile, citycard, cardNumberOnPage, t, tx,
} from './office.mjs';

const ready = toolsReady(['pdftotext', 'pdftoppm', 'zbarimg']);

let office;
let browser;
let admin; // the admin's page
const users = {}; // name -> one-time password
const pages = {}; // role -> signed-in page
const cards = {}; // what -> 12-digit number

const spaced = (n) => `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}`;

/** A screenshot and axe-core, for every page the suite shows. */
async function look(page, name) {
  await shot(page, `ui-${name}`);
  await checkA11y(page, name);
}

before(async () => {
  if (!ready) return;
  // Renewal mechanics on fresh cards: the window's own test is clerk-rules.
  office = await startOffice({ env: { CITYCARD_RENEWAL_DAYS_BEFORE: '3650' } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await office?.stop();
});

test('axe-core finds violations where there are some (positive control)', { skip: !ready }, async () => {
  const page = await newPage(browser);
  await page.setContent('<!doctype html><html><title>x</title><body><img src="data:,"><input id="q"></body></html>');
  await assert.rejects(checkA11y(page, 'control'), /image-alt/);
  await page.context().close();
});

test('first start: the one-time admin password, a wrong password, the forced change', { skip: !ready }, async () => {
  assert.match(office.log(), /DEVELOPMENT KEYS/);
  assert.ok(office.adminPassword, 'serve printed the one-time password');
  admin = await newPage(browser);

  // The office's root sends a person who is not signed in to the login page.
  await admin.goto(office.base);
  assert.equal(new URL(admin.url()).pathname, '/login');
  assert.equal(await heading(admin), t('login.title'));
  await look(admin, '01-login');

  const wrong = await login(admin, office.base, 'admin', 'nicht-das-passwort');
  assert.equal(wrong.status(), 401);
  await assert.doesNotReject(admin.getByText(t('login.bad_credentials')).first().waitFor());
  assert.equal(await admin.locator('#username').inputValue(), 'admin', 'the user name is kept');
  await look(admin, '02-login-wrong-password');

  // The one-time password works and forces a new password first.
  await login(admin, office.base, 'admin', office.adminPassword);
  assert.equal(new URL(admin.url()).pathname, '/account/password');
  assert.equal(await heading(admin), t('password.title'));
  await look(admin, '03-forced-password-change');
  // Every other page sends the user back here until the password is set.
  await admin.goto(`${office.base}/users`);
  assert.equal(new URL(admin.url()).pathname, '/account/password');

  // Repeating it wrongly is refused with a message next to the field.
  await admin.locator('#current_password').fill(office.adminPassword);
  await admin.locator('#new_password').fill(PASSWORD);
  await admin.locator('#repeat_password').fill(`${PASSWORD}x`);
  await Promise.all([admin.waitForNavigation(), admin.locator('form[action="/account/password"] button').click()]);
  await admin.locator('#repeat_password-error').waitFor();
  await look(admin, '04-password-mismatch');

  await changePassword(admin, office.adminPassword);
  assert.equal(new URL(admin.url()).pathname, '/');
  assert.equal(await heading(admin), t('dashboard.title'));
  await assert.doesNotReject(admin.getByText(tx('app.signed_in_as', { user: 'admin' })).waitFor());
  await look(admin, '05-admin-dashboard');
});

test('admin: users are created, disabled, enabled and reset', { skip: !ready }, async () => {
  await admin.goto(`${office.base}/users`);
  assert.equal(await heading(admin), t('users.title'));
  await look(admin, '06-users');

  for (const [name, role] of [['clara', 'clerk'], ['sven', 'supervisor'], ['aud', 'auditor'], ['tim', 'clerk']]) {
    users[name] = await createUser(admin, office.base, { username: name, role });
    await assert.doesNotReject(admin.locator('.notice').waitFor());
    await assert.doesNotReject(admin.locator('td', { hasText: new RegExp(`^${name}$`) }).waitFor());
  }
  await look(admin, '07-users-created');

  // A second user of the same name is refused next to the field.
  await createUser(admin, office.base, { username: 'clara', role: 'clerk' });
  await admin.locator('#username-error').waitFor();
  await look(admin, '08-user-exists');

  // Disable tim: the row says so; tim cannot sign in.
  const row = admin.locator('tr', { has: admin.locator('td', { hasText: /^tim$/ }) });
  await Promise.all([admin.waitForNavigation(), row.locator('form[action$="/disable"], form[action$="/enable"]').getByRole('button').click()]);
  await assert.doesNotReject(admin.locator('.notice').waitFor());
  assert.match(await row.innerText(), tx('users.disabled'));
  const timPage = await newPage(browser);
  const refused = await login(timPage, office.base, 'tim', users.tim);
  assert.equal(refused.status(), 401);
  // Enable again, then reset the password: tim signs in with the new one-time password.
  await Promise.all([admin.waitForNavigation(), row.locator('form[action$="/disable"], form[action$="/enable"]').getByRole('button').click()]);
  assert.doesNotMatch(await row.innerText(), tx('users.disabled'));
  await Promise.all([admin.waitForNavigation(), row.getByRole('link').click()]);
  assert.equal(new URL(admin.url()).pathname, '/users/tim/password');
  await look(admin, '09-user-reset');
  await admin.locator('#password').fill('Neues-Einmal-Passwort-9');
  await Promise.all([admin.waitForNavigation(), admin.locator('main form button[type=submit]').click()]);
  await assert.doesNotReject(admin.locator('.notice').waitFor());
  await login(timPage, office.base, 'tim', 'Neues-Einmal-Passwort-9');
  assert.equal(new URL(timPage.url()).pathname, '/account/password');
  await timPage.context().close();

  // The keys page: the root fingerprint a desk is set up with.
  await admin.goto(`${office.base}/keys`);
  assert.equal(await heading(admin), t('keys.title'));
  const fingerprint = (await admin.locator('code.fingerprint').innerText()).replace(/\s/g, '');
  assert.match(fingerprint, /^[0-9a-f]{64}$/i);
  await look(admin, '10-keys');

  // The others sign in for the first time and choose their passwords.
  pages.clerk = await loginAs(browser, office.base, 'clara', users.clara);
  pages.supervisor = await loginAs(browser, office.base, 'sven', users.sven);
  pages.auditor = await loginAs(browser, office.base, 'aud', users.aud);
});

test('clerk: enrol with a photo, without a photo, and through the duplicate warning', { skip: !ready }, async () => {
  const clerk = pages.clerk;
  await clerk.goto(office.base);
  assert.equal(await heading(clerk), t('dashboard.title'));
  await look(clerk, '11-clerk-dashboard');

  await clerk.goto(`${office.base}/enrol`);
  assert.equal(await heading(clerk), t('enrol.title'));
  await look(clerk, '12-enrol-form');

  cards.photo = await enrol(clerk, office.base, { given: 'Zoë Amira', family: 'Ünal-Łukasiewicz', dob: '1988-03-14', photo: photoFile() });
  assert.ok(cards.photo, 'the card page of the new card is shown');
  assert.match(await heading(clerk), new RegExp(spaced(cards.photo)));
  await assert.doesNotReject(clerk.getByText(t('enrol.issued')).waitFor());
  await assert.doesNotReject(clerk.getByText('Ünal-Łukasiewicz').waitFor());
  await look(clerk, '13-card-issued-with-photo');

  cards.plain = await enrol(clerk, office.base, { given: 'Marta', family: 'Okafor', dob: '1975-11-02' });
  assert.ok(cards.plain);
  await assert.doesNotReject(clerk.getByText(t('card.no_photo')).waitFor());
  await look(clerk, '14-card-issued-without-photo');

  // The same name and birth date again: the warning lists the existing card.
  await clerk.goto(`${office.base}/enrol`);
  await fillEnrolment(clerk, { given: 'Marta', family: 'Okafor', dob: '1975-11-02' });
  await Promise.all([clerk.waitForNavigation(), clerk.locator('form[action="/enrol"] button[type=submit]').click()]);
  assert.equal(new URL(clerk.url()).pathname, '/enrol');
  await assert.doesNotReject(clerk.getByRole('heading', { name: t('enrol.dup_title') }).waitFor());
  await assert.doesNotReject(clerk.locator(`a[href="/cards/${cards.plain}"]`).waitFor());
  await look(clerk, '15-duplicate-warning');
  // A different person of the same name: the clerk confirms.
  await Promise.all([clerk.waitForNavigation(), clerk.getByRole('button', { name: t('enrol.dup_confirm') }).click()]);
  cards.namesake = cardNumberOnPage(clerk);
  assert.ok(cards.namesake && cards.namesake !== cards.plain);
  await look(clerk, '16-duplicate-issued');
});

test('card page: PDF, mark printed (confirmed), reprint', { skip: !ready }, async () => {
  const clerk = pages.clerk;
  await clerk.goto(`${office.base}/cards/${cards.photo}`);
  const pdf = await downloadPdf(clerk, () => clerk.getByRole('link', { name: t('card.pdf') }).click(), 'ui-card-photo');
  assert.match(pdf.text, /Ünal-Łukasiewicz/);
  assert.match(pdf.text, /Zoë Amira/);
  // The QR printed on the card is the card's signed credential.
  const [qr] = qrTextsOfPdf(pdf.file);
  assert.match(qr ?? '', /^CC1\d+$/);
  const verdict = JSON.parse(citycard('verify', '--trust-list', `${office.dataDir}/trust-list.cose`,
    '--root', `${office.dataDir}/keys/root.pub`, '--json', qr));
  assert.equal(verdict.outcome, 'valid');
  assert.equal(verdict.card.card_number, cards.photo);

  // A card without a photo prints too.
  await clerk.goto(`${office.base}/cards/${cards.plain}`);
  const plainPdf = await downloadPdf(clerk, () => clerk.getByRole('link', { name: t('card.pdf') }).click(), 'ui-card-no-photo');
  assert.match(plainPdf.text, /Okafor/);

  // Mark as printed: asks first, then says so and the photo is gone.
  await clerk.goto(`${office.base}/cards/${cards.photo}`);
  await Promise.all([clerk.waitForNavigation(), clerk.getByRole('link', { name: t('card.mark_printed') }).click()]);
  await look(clerk, '17-mark-printed-confirm');
  const confirm = clerk.locator('#confirm');
  if (await confirm.count()) {
    await confirm.check();
    await Promise.all([clerk.waitForNavigation(), clerk.locator('main form button[type=submit]').click()]);
  }
  await assert.doesNotReject(clerk.getByText(t('card.marked_printed')).waitFor());
  await assert.doesNotReject(clerk.getByText(t('card.no_photo')).waitFor());
  await look(clerk, '18-card-printed');

  // The supervisor reprints it (the page says what the reprint looks like).
  const sup = pages.supervisor;
  await sup.goto(`${office.base}/cards/${cards.photo}`);
  await look(sup, '19-card-supervisor');
  const reprint = await downloadPdf(sup, () => sup.getByRole('button', { name: t('card.reprint_pdf') }).click(), 'ui-card-reprint');
  assert.match(reprint.text, /Ünal-Łukasiewicz/);
});

test('print queue: the list, the batch PDF, marking all printed', { skip: !ready }, async () => {
  const clerk = pages.clerk;
  await clerk.goto(`${office.base}/print-queue`);
  assert.equal(await heading(clerk), t('queue.title'));
  for (const n of [cards.plain, cards.namesake]) {
    await assert.doesNotReject(clerk.locator(`a[href="/cards/${n}"]`).waitFor());
  }
  await look(clerk, '20-print-queue');
  const batch = await downloadPdf(clerk, () => clerk.getByRole('link', { name: tx('queue.batch_pdf') }).click(), 'ui-queue-batch');
  assert.match(batch.text, /Okafor/);
  assert.equal(qrTextsOfPdf(batch.file).length >= 2, true, 'both queued cards carry a readable QR');

  // Without the confirmation box the queue stays; with it, it empties.
  await Promise.all([clerk.waitForNavigation(), clerk.locator('form[action="/print-queue/printed"] button').click()]);
  await clerk.locator('#confirm-error').waitFor();
  await clerk.locator('#confirm').check();
  await Promise.all([clerk.waitForNavigation(), clerk.locator('form[action="/print-queue/printed"] button').click()]);
  await assert.doesNotReject(clerk.getByText(tx('queue.marked')).first().waitFor());
  await clerk.goto(`${office.base}/print-queue`);
  await assert.doesNotReject(clerk.getByText(t('queue.empty')).waitFor());
  await look(clerk, '21-print-queue-empty');
});

test('search by number (also mistyped) and by name', { skip: !ready }, async () => {
  const clerk = pages.clerk;
  await clerk.goto(`${office.base}/search`);
  assert.equal(await heading(clerk), t('search.title'));
  await look(clerk, '22-search');

  // Typed with spaces, as printed.
  await clerk.locator('#card_number').fill(spaced(cards.plain));
  await Promise.all([clerk.waitForNavigation(), clerk.getByRole('button', { name: t('search.submit_number') }).click()]);
  assert.equal(cardNumberOnPage(clerk), cards.plain);

  // One digit mistyped: the check digit catches it.
  const typo = cards.plain.slice(0, 5) + ((Number(cards.plain[5]) + 1) % 10) + cards.plain.slice(6);
  await clerk.goto(`${office.base}/search`);
  await clerk.locator('#card_number').fill(typo);
  await Promise.all([clerk.waitForNavigation(), clerk.getByRole('button', { name: t('search.submit_number') }).click()]);
  await assert.doesNotReject(clerk.locator('#card_number-error').getByText(t('field.card_number_check_digit')).waitFor());
  await look(clerk, '23-search-typo');

  // By name and date of birth: both Okafor cards.
  await clerk.goto(`${office.base}/search`);
  await clerk.locator('form[action="/search/name"] #given_names').fill('Marta');
  await clerk.locator('form[action="/search/name"] #family_name').fill('Okafor');
  await clerk.locator('form[action="/search/name"] #date_of_birth').fill('1975-11-02');
  await Promise.all([clerk.waitForNavigation(), clerk.getByRole('button', { name: t('search.submit_name'), exact: true }).click()]);
  for (const n of [cards.plain, cards.namesake]) {
    await assert.doesNotReject(clerk.locator(`a[href="/cards/${n}"]`).waitFor());
  }
  await look(clerk, '24-search-by-name');
});

test('supervisor: renew, replace, revoke and erase, each confirmed', { skip: !ready }, async () => {
  const sup = pages.supervisor;
  // Renew the plain card: a new card, the old one no longer active.
  await sup.goto(`${office.base}/cards/${cards.plain}`);
  await Promise.all([sup.waitForNavigation(), sup.getByRole('link', { name: t('card.renew'), exact: true }).click()]);
  await look(sup, '25-renew-form');
  await sup.locator('#attest_identity').check();
  await sup.locator('#attest_residence').check();
  await Promise.all([sup.waitForNavigation(), sup.locator('main form button[type=submit]').click()]);
  cards.renewed = cardNumberOnPage(sup);
  assert.ok(cards.renewed && cards.renewed !== cards.plain);
  await assert.doesNotReject(sup.locator('.notice').waitFor());
  await look(sup, '26-renewed');

  // Replace it as lost: the reason is asked.
  await Promise.all([sup.waitForNavigation(), sup.getByRole('link', { name: t('card.replace') }).click()]);
  await sup.locator('#attest_identity').check();
  await sup.locator('#attest_residence').check();
  await Promise.all([sup.waitForNavigation(), sup.locator('main form button[type=submit]').click()]);
  await sup.locator('#reason-error').waitFor();
  await look(sup, '27-replace-needs-reason');
  await sup.locator('#reason').selectOption('lost');
  await sup.locator('#attest_identity').check();
  await sup.locator('#attest_residence').check();
  await Promise.all([sup.waitForNavigation(), sup.locator('main form button[type=submit]').click()]);
  cards.replaced = cardNumberOnPage(sup);
  assert.ok(cards.replaced && cards.replaced !== cards.renewed);
  await look(sup, '28-replaced');

  // Revoke the namesake's card: refused without the box, done with it.
  await sup.goto(`${office.base}/cards/${cards.namesake}`);
  await Promise.all([sup.waitForNavigation(), sup.getByRole('link', { name: t('card.revoke'), exact: true }).click()]);
  await look(sup, '29-revoke-form');
  await sup.locator('#reason').selectOption('withdrawn');
  await Promise.all([sup.waitForNavigation(), sup.locator('main form button[type=submit]').click()]);
  await sup.locator('#confirm-error').waitFor();
  await sup.locator('#reason').selectOption('withdrawn');
  await sup.locator('#confirm').check();
  await Promise.all([sup.waitForNavigation(), sup.locator('main form button[type=submit]').click()]);
  await assert.doesNotReject(sup.getByText(t('revoke.done')).waitFor());
  await assert.doesNotReject(sup.locator('.status-revoked').waitFor());
  await look(sup, '30-revoked');

  // Erase the photo card's resident: names gone, the card revoked.
  await sup.goto(`${office.base}/cards/${cards.photo}`);
  await Promise.all([sup.waitForNavigation(), sup.getByRole('link', { name: t('card.erase') }).click()]);
  await look(sup, '31-erase-form');
  await sup.locator('#confirm').check();
  await Promise.all([sup.waitForNavigation(), sup.locator('main form button[type=submit]').click()]);
  await assert.doesNotReject(sup.locator('.notice').waitFor());
  assert.equal(await sup.getByText('Ünal-Łukasiewicz').count(), 0, 'the name is gone');
  await look(sup, '32-erased');
});

test('auditor: the audit log and its CSV; no names in it', { skip: !ready }, async () => {
  const aud = pages.auditor;
  await aud.goto(office.base);
  assert.equal(await heading(aud), t('dashboard.title'));
  await aud.goto(`${office.base}/audit`);
  assert.equal(await heading(aud), t('audit.title'));
  await assert.doesNotReject(aud.getByText(tx('audit.chain_ok')).waitFor());
  await assert.doesNotReject(aud.locator('td', { hasText: 'card_revoked' }).first().waitFor());
  assert.equal(await aud.getByText('Okafor').count(), 0);
  await look(aud, '33-audit');
  const [download] = await Promise.all([aud.waitForEvent('download'), aud.getByRole('link', { name: /CSV/ }).click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv, /resident_erased/);
  assert.doesNotMatch(csv, /Okafor|Ünal/);
});

test('auditor: the reads of personal data are in the log, in the reader\'s language, and the chain is keyed', { skip: !ready }, async () => {
  // The clerk's day above listed the print queue, made card PDFs and a
  // batch PDF and met the duplicate warning: each read is an entry
  // (SECURITY.md, finding 6), named in German on the page.
  const aud = pages.auditor;
  await aud.goto(`${office.base}/audit`);
  await assert.doesNotReject(aud.getByText(t('audit.keyed_all')).waitFor());
  const wanted = ['print_queue_viewed', 'batch_pdf_made', 'card_pdf_made', 'duplicates_shown'];
  const found = new Map(); // action -> URL of the first page showing it
  for (;;) {
    const text = await aud.locator('main').innerText();
    for (const action of wanted) {
      if (!found.has(action) && text.includes(t(`audit_action.${action}`)) && text.includes(action)) {
        found.set(action, aud.url());
      }
    }
    const older = aud.getByRole('link', { name: t('audit.older') });
    if (found.size === wanted.length || (await older.count()) === 0) break;
    await Promise.all([aud.waitForNavigation(), older.click()]);
  }
  assert.deepEqual([...found.keys()].sort(), [...wanted].sort(), 'every read is in the log');
  await aud.goto(found.get('batch_pdf_made'));
  const row = aud.locator('tr', { hasText: t('audit_action.batch_pdf_made') }).first();
  await row.scrollIntoViewIfNeeded();
  assert.match(await row.innerText(), /count=\d+/);
  assert.equal(await aud.getByText('Okafor').count(), 0);
  await look(aud, '33b-audit-reads');

  // A checkpoint (SECURITY.md, finding 7): downloaded, kept, pasted back.
  await aud.goto(`${office.base}/audit`);
  const [cp] = await Promise.all([aud.waitForEvent('download'), aud.getByRole('link', { name: t('audit.checkpoint_download') }).click()]);
  const text = readFileSync(await cp.path(), 'utf8');
  assert.match(text, /^citycard audit checkpoint v1\n/);
  const seq = text.match(/\nentry: (\d+)\n/)[1];
  await aud.locator('#checkpoint').fill(text);
  await Promise.all([aud.waitForNavigation(), aud.getByRole('button', { name: t('audit.checkpoint_submit') }).click()]);
  await assert.doesNotReject(aud.getByText(t('audit.checkpoint_ok', { seq })).waitFor());
  await look(aud, '33c-audit-checkpoint-ok');
  await aud.locator('#checkpoint').fill(text.replace(`entry: ${seq}`, `entry: ${Number(seq) - 1}`));
  await Promise.all([aud.waitForNavigation(), aud.getByRole('button', { name: t('audit.checkpoint_submit') }).click()]);
  await assert.doesNotReject(aud.locator('#checkpoint-error').waitFor());
  await look(aud, '33d-audit-checkpoint-forged');
});

test('roles: every page refuses the roles it is not meant for', { skip: !ready }, async () => {
  const refused = async (page, path, name) => {
    const res = await page.goto(`${office.base}${path}`);
    assert.equal(res.status(), 403, `${name} on ${path}`);
    assert.equal(await heading(page), t('error.forbidden_title'));
  };
  for (const path of ['/users', '/keys', '/audit', '/audit.csv']) await refused(pages.clerk, path, 'clerk');
  for (const path of [`/cards/${cards.replaced}/revoke`, `/cards/${cards.replaced}/erase`]) await refused(pages.clerk, path, 'clerk');
  await look(pages.clerk, '34-forbidden');
  for (const path of ['/enrol', '/search', '/print-queue', `/cards/${cards.replaced}`, '/users', '/keys']) await refused(pages.auditor, path, 'auditor');
  for (const path of ['/enrol', '/search', '/print-queue', '/audit']) await refused(admin, path, 'admin');
  for (const path of ['/users', '/keys']) await refused(pages.supervisor, path, 'supervisor');
  // What the navigation offers matches: the clerk sees no Benutzer link.
  await pages.clerk.goto(`${office.base}/`);
  assert.equal(await pages.clerk.locator('nav.main-nav a', { hasText: t('nav.users') }).count(), 0);
});

test('language: German by default, English by the switch, remembered', { skip: !ready }, async () => {
  const clerk = pages.clerk;
  await clerk.goto(`${office.base}/`);
  assert.equal(await clerk.locator('html').getAttribute('lang'), 'de');
  await Promise.all([clerk.waitForNavigation(), clerk.getByRole('link', { name: 'English' }).click()]);
  assert.equal(await clerk.locator('html').getAttribute('lang'), 'en');
  assert.equal(await heading(clerk), t('dashboard.title', {}, 'en'));
  await clerk.goto(`${office.base}/enrol`);
  assert.equal(await heading(clerk), t('enrol.title', {}, 'en'));
  await look(clerk, '35-enrol-english');
  await clerk.goto(`${office.base}/cards/${cards.replaced}`);
  await assert.doesNotReject(clerk.getByRole('heading', { name: t('card.actions', {}, 'en') }).waitFor());
  await look(clerk, '36-card-english');
  await Promise.all([clerk.waitForNavigation(), clerk.getByRole('link', { name: 'Deutsch' }).click()]);
  assert.equal(await clerk.locator('html').getAttribute('lang'), 'de');
});

test('logout ends the session', { skip: !ready }, async () => {
  const clerk = pages.clerk;
  await clerk.goto(`${office.base}/`);
  await logout(clerk);
  assert.equal(new URL(clerk.url()).pathname, '/login');
  await look(clerk, '37-logged-out');
  await clerk.goto(`${office.base}/enrol`);
  assert.equal(new URL(clerk.url()).pathname, '/login', 'the old session is gone');
});

test('cross-site attack: forms posted from another origin are refused', { skip: !ready }, async () => {
  const target = cards.replaced;
  // The supervisor is signed in; an attacker's page on another port
  // auto-submits forms to the office.
  const sup = pages.supervisor;
  const csrfOf = async () => sup.locator('input[name=csrf_token]').first().inputValue();
  await sup.goto(`${office.base}/cards/${target}`);
  const token = await csrfOf();
  const forms = {
    login: `<form method="post" action="${office.base}/login"><input name="username" value="admin"><input name="password" value="${PASSWORD}"></form>`,
    enrol: `<form method="post" action="${office.base}/enrol" enctype="multipart/form-data"><input name="csrf_token" value="${token}"><input name="family_name" value="Attacker"><input name="attest_identity" value="1"><input name="attest_residence" value="1"></form>`,
    revoke: `<form method="post" action="${office.base}/cards/${target}/revoke"><input name="csrf_token" value="${token}"><input name="reason" value="withdrawn"><input name="confirm" value="1"></form>`,
  };
  const evil = createServer((req, res) => {
    const which = req.url.slice(1);
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>evil</title><body>${forms[which]}<script>document.forms[0].submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const evilBase = `http://127.0.0.1:${evil.address().port}`;
  try {
    for (const which of Object.keys(forms)) {
      const [res] = await Promise.all([
        sup.waitForResponse((r) => r.url().startsWith(office.base) && r.request().method() === 'POST'),
        sup.goto(`${evilBase}/${which}`),
      ]);
      assert.equal(res.status(), 403, `${which} posted from another origin is refused`);
      await sup.waitForLoadState();
      await assert.doesNotReject(sup.getByText(t('error.csrf')).waitFor(), which);
      await shot(sup, `ui-38-cross-site-${which}`);
    }
  } finally {
    evil.close();
  }
  // Nothing happened: the card is still active, no "Attacker" was enrolled.
  await sup.goto(`${office.base}/cards/${target}`);
  assert.equal(await sup.locator('.status-revoked').count(), 0, 'the card was not revoked');
  await sup.goto(`${office.base}/print-queue`);
  assert.equal(await sup.getByText('Attacker').count(), 0);
});

test('keyboard only: login, enrol, card PDF', { skip: !ready }, async () => {
  const page = await newPage(browser);
  const kb = page.keyboard;
  await page.goto(`${office.base}/login`);
  // Tab from the top of the page to the user name field.
  const tabTo = async (selector, max = 25) => {
    for (let i = 0; i < max; i++) {
      if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
      await kb.press('Tab');
    }
    throw new Error(`Tab never reached ${selector}`);
  };
  await tabTo('#username');
  await kb.type('clara');
  await kb.press('Tab');
  await kb.type(PASSWORD);
  await Promise.all([page.waitForNavigation(), kb.press('Enter')]);
  assert.equal(await heading(page), t('dashboard.title'));
  // The skip link comes first and moves the focus to the content.
  await kb.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip');
  await tabTo('a[href="/enrol"]');
  await Promise.all([page.waitForNavigation(), kb.press('Enter')]);
  assert.equal(new URL(page.url()).pathname, '/enrol');
  await tabTo('#given_names');
  await kb.type('Kai');
  await tabTo('#family_name');
  await kb.type('Tastatur');
  await tabTo('#date_of_birth');
  await kb.type('2001-01-21');
  await tabTo('#attest_identity');
  await kb.press('Space');
  await tabTo('#attest_residence');
  await kb.press('Space');
  await tabTo('form[action="/enrol"] button[type=submit]');
  await shot(page, 'ui-39-keyboard-enrol');
  await Promise.all([page.waitForNavigation(), kb.press('Enter')]);
  const number = cardNumberOnPage(page);
  assert.ok(number, 'the card was issued by keyboard');
  await tabTo(`a[href="/cards/${number}/pdf"]`, 60);
  const pdf = await downloadPdf(page, () => kb.press('Enter'), 'ui-keyboard-card');
  assert.match(pdf.text, /Tastatur/);
  await page.context().close();
});

test('throttling: the person is told to wait', { skip: !ready }, async () => {
  // Its own office, so that the failed sign-ins block nobody else.
  const other = await startOffice({ env: { CITYCARD_LOGIN_ACCOUNT_MAX_FAILURES: '3' } });
  try {
    const page = await newPage(browser);
    let last;
    for (let i = 0; i < 4; i++) last = await login(page, other.base, 'admin', `falsch-${i}`);
    assert.equal(last.status(), 429);
    await assert.doesNotReject(page.locator('#password-error').getByText(tx('login.throttled')).waitFor());
    await look(page, '40-throttled');
    // Even the right password waits now.
    const blocked = await login(page, other.base, 'admin', other.adminPassword);
    assert.equal(blocked.status(), 429);
    await page.context().close();
  } finally {
    await other.stop();
  }
});
