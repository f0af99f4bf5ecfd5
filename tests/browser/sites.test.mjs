// Many sites on one office (issue 11) in a real browser against the real
// `citycard serve`:
//   1. the admin names the first site, adds a second counter and a partner
//      organisation, and puts a clerk at each;
//   2. the partner's clerk enrols a resident who picks the card up at a
//      counter (the form offers the partner itself and the open counters);
//   3. the other counter sees nothing of it: not on its print queue, not on
//      its pick-up list, and a direct hand-over address is refused;
//   4. the pick-up counter finds it on its print queue, prints the PDF,
//      marks it printed and hands it over after confirming that the person
//      matches the photo;
//   5. the card face, the QR and the trust list carry no hint of the
//      partner, and the counter's card page says "another site";
//   6. the admin's figures show the partner's small count as "< 5".
// Screenshots under test-artifacts/ (prefix `sites-`), axe-core on each.
//
// Needs `cargo build --bin citycard` first. Run:
//   cd tests/browser && npm ci && node --test sites.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  toolsReady, startOffice, launch, newPage, shot, setupAdmin, loginAs,
  fillEnrolment, checkA11y, cardNumberOnPage, downloadPdf, qrTextsOfPdf, t, tx,
} from './office.mjs';

const ready = toolsReady(['pdftotext', 'zbarimg']);

const PARTNER = 'Anlaufstelle Sans-Papiers Zyxwvu';
const MITTE = 'Bürgerbüro Mitte';
const NORD = 'Bürgerbüro Nord';

let office;
let browser;
let admin;
const clerks = {};
let card;

async function look(page, name) {
  await shot(page, `sites-${name}`);
  await checkA11y(page, name);
}

async function submit(page, locator) {
  await Promise.all([page.waitForNavigation(), locator.click()]);
}

before(async () => {
  if (!ready) return;
  office = await startOffice();
  browser = await launch();
  admin = await newPage(browser);
  await setupAdmin(admin, office);
});

after(async () => {
  await browser?.close();
  office?.stop();
});

test('the admin sets up three sites and a clerk at each', { skip: !ready }, async () => {
  await admin.goto(`${office.base}/sites`);
  // The first site was made at the first start, named after the office.
  const rows = admin.locator('tbody tr');
  assert.equal(await rows.count(), 1);
  const rename = rows.first().locator('input[name=name]');
  await rename.fill(MITTE);
  await submit(admin, rows.first().getByRole('button', { name: tx('sites.rename') }));
  assert.match(await admin.locator('.notice').innerText(), tx('sites.renamed'));
  for (const [name, kind] of [[NORD, 'counter'], [PARTNER, 'partner']]) {
    await admin.locator('#name').fill(name);
    await admin.locator('#kind').selectOption(kind);
    await submit(admin, admin.locator('form[action="/sites"] button[type=submit]'));
  }
  assert.equal(await admin.locator('tbody tr').count(), 3);
  assert.match(await admin.locator('tbody').innerText(), /Partnerorganisation/);
  await look(admin, 'admin-sites');
  for (const [user, site] of [['beratung', PARTNER], ['mitte', MITTE], ['nord', NORD]]) {
    await admin.goto(`${office.base}/users`);
    const form = admin.locator('form[action="/users"]');
    const oneTime = `Einmal-${user}-2026!`;
    await form.locator('#username').fill(user);
    await form.locator('#role').selectOption('clerk');
    await form.locator('#site').selectOption({ label: site });
    await form.locator('#password').fill(oneTime);
    await submit(admin, form.locator('button[type=submit]'));
    assert.match(await admin.locator('.notice').innerText(), tx('users.created'));
    clerks[user] = await loginAs(browser, office.base, user, oneTime);
  }
  await admin.goto(`${office.base}/users`);
  const table = await admin.locator('table').innerText();
  for (const site of [MITTE, NORD, PARTNER]) assert.ok(table.includes(site), site);
  await look(admin, 'admin-users');
});

test('the partner clerk enrols a resident who picks the card up at a counter', { skip: !ready }, async () => {
  const page = clerks.beratung;
  await page.goto(`${office.base}/enrol`);
  const options = await page.locator('#pickup_site option').allInnerTexts();
  // The partner itself first (selected), then the open counters.
  assert.equal(options[0], PARTNER);
  assert.deepEqual([...options].sort(), [MITTE, NORD, PARTNER].sort());
  await fillEnrolment(page, { given: 'Amina', family: 'Haddad' });
  await page.locator('#pickup_site').selectOption({ label: MITTE });
  await look(page, 'partner-enrol');
  await submit(page, page.locator('form[action="/enrol"] button[type=submit]'));
  card = cardNumberOnPage(page);
  assert.ok(card, 'the card page is shown');
  const facts = await page.locator('main').innerText();
  assert.ok(facts.includes(PARTNER), 'the partner sees its own name in the attestation');
  // Its own print queue and pick-up list do not hold the card: it goes to Mitte.
  await page.goto(`${office.base}/print-queue`);
  assert.ok(!(await page.locator('main').innerText()).includes('Haddad'));
});

test('another counter sees nothing of it', { skip: !ready }, async () => {
  const page = clerks.nord;
  await page.goto(`${office.base}/print-queue`);
  assert.ok(!(await page.locator('main').innerText()).includes('Haddad'));
  await page.goto(`${office.base}/pickup`);
  assert.ok(!(await page.locator('main').innerText()).includes('Haddad'));
  const res = await page.goto(`${office.base}/pickup/${card}/hand-over`);
  assert.equal(res.status(), 403);
  await look(page, 'nord-refused');
  assert.match(await page.locator('main').innerText(), /anderen Standort/);
  // Looking the card up (a resident may come to any counter) names no partner.
  await page.goto(`${office.base}/cards/${card}`);
  const text = await page.locator('main').innerText();
  assert.ok(!text.includes(PARTNER) && !text.includes('beratung'), text);
  assert.match(text, /an einem anderen Standort/);
  assert.match(text, /Abholung: ein anderer Standort|Wartet auf den Druck/);
  await look(page, 'nord-card');
});

test('the pick-up counter prints the card and hands it over', { skip: !ready }, async () => {
  const page = clerks.mitte;
  await page.goto(`${office.base}/print-queue`);
  assert.ok((await page.locator('main').innerText()).includes('Haddad'));
  await look(page, 'mitte-queue');
  const pdf = await downloadPdf(page, () => page.locator(`a[href^="/print-queue/pdf"]`).click(), 'sites-mitte-batch');
  // The card face and its QR: the resident's name, no hint of the partner.
  assert.match(pdf.text, /Haddad/);
  assert.ok(!/Zyxwvu|Sans-Papiers|Anlaufstelle|beratung/.test(pdf.text), pdf.text);
  const qr = qrTextsOfPdf(pdf.file);
  assert.equal(qr.length, 1);
  assert.match(qr[0], /^CC1\d+$/);
  // Mark printed from the queue, as a clerk does at the end of a run.
  await page.goto(`${office.base}/print-queue`);
  await page.locator('#confirm').check();
  await submit(page, page.locator('form[action="/print-queue/printed"] button[type=submit]'));
  await page.goto(`${office.base}/pickup`);
  const ready = page.locator('section', { hasText: tx('pickup.ready') });
  assert.ok((await ready.innerText()).includes('Haddad'));
  await look(page, 'mitte-pickup');
  await submit(page, ready.getByRole('link', { name: /ausgeben/ }));
  // Without the comparison confirmed: a field error, nothing handed over.
  await submit(page, page.getByRole('button', { name: tx('pickup.hand_over_submit') }));
  assert.ok((await page.locator('.error').first().innerText()).includes(t('field.compared')));
  await look(page, 'mitte-handover-error');
  await page.locator('#compared').check();
  await submit(page, page.getByRole('button', { name: tx('pickup.hand_over_submit') }));
  assert.match(await page.locator('.notice').innerText(), tx('pickup.handed_over_done'));
  assert.ok(!(await page.locator('main').innerText()).includes('Haddad'));
  await look(page, 'mitte-handed-over');
});

test('the trust list and the desk page name no site', { skip: !ready }, async () => {
  const res = await fetch(`${office.base}/.well-known/citycard/trust-list`);
  assert.equal(res.status, 200);
  const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
  assert.ok(text.length > 100, 'the trust list was served');
  assert.ok(!/Zyxwvu|Sans-Papiers|Mitte|Nord/.test(text));
  const desk = await (await fetch(`${office.base}/verify/`)).text();
  assert.ok(!/Zyxwvu|Sans-Papiers|Mitte|Nord/.test(desk));
});

test('the admin sees the figures, the partner\'s small count hidden', { skip: !ready }, async () => {
  await admin.goto(`${office.base}/figures`);
  const table = admin.locator('table');
  const partnerTotal = table.locator('tr.total', { hasText: PARTNER });
  assert.match(await partnerTotal.innerText(), /< 5/);
  const mitteTotal = table.locator('tr.total', { hasText: MITTE });
  assert.match(await mitteTotal.innerText(), /\b1\b/);
  assert.equal(await admin.locator('svg.chart').count(), 1);
  await look(admin, 'admin-figures');
});
