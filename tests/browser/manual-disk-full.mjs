// A real full disk (issue 10, finding 10), checked by hand, not in CI: it
// needs a tiny file system of its own. As root:
//   mkdir -p /tmp/ccfull && mount -t tmpfs -o size=20m tmpfs /tmp/ccfull
//   cd tests/browser && node manual-disk-full.mjs; umount /tmp/ccfull
// The office runs on /tmp/ccfull/data; a card is issued; the disk is filled
// with a file; the card page (an audited read) must show the storage-full
// page and /healthz say "storage full"; after the file is deleted both work.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startOffice, launch, newPage, setupAdmin, createUser, loginAs, enrol, shot, t } from './office.mjs';
const office = await startOffice({ dataDir: '/tmp/ccfull/data' });
const browser = await launch();
try {
  const admin = await newPage(browser);
  await setupAdmin(admin, office);
  const oneTime = await createUser(admin, office.base, { username: 'clerk.full', role: 'clerk' });
  const clerk = await loginAs(browser, office.base, 'clerk.full', oneTime);
  const number = await enrol(clerk, office.base, { family: 'Voll', given: 'Platte' });
  console.log('card', number ? 'issued' : 'NOT issued');
  try { execFileSync('dd', ['if=/dev/zero', 'of=/tmp/ccfull/filler', 'bs=64k'], { stdio: 'ignore' }); } catch { /* disk full */ }
  console.log(execFileSync('df', ['-h', '/tmp/ccfull'], { encoding: 'utf8' }).trim().split('\n')[1]);
  let status = 0;
  for (let i = 0; i < 300 && status !== 503; i++) {
    const res = await clerk.goto(`${office.base}/cards/${number}`);
    status = res.status();
  }
  console.log('card page status', status, 'text ok:', (await clerk.content()).includes(t('error.storage_full').slice(0, 40)));
  console.log('screenshot', await shot(clerk, 'manual-disk-full-card-page'));
  const h = await fetch(`${office.base}/healthz`);
  console.log('healthz', h.status, (await h.text()).trim());
  rmSync('/tmp/ccfull/filler');
  const res = await clerk.goto(`${office.base}/cards/${number}`);
  const h2 = await fetch(`${office.base}/healthz`);
  console.log('after freeing: card page', res.status(), 'healthz', h2.status, (await h2.text()).trim());
  console.log(office.log().split('\n').filter((l) => l.includes('storage_full')).slice(0, 2).join('\n'));
} finally {
  await browser.close();
  await office.stop();
}
