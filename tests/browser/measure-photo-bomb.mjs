// Measures what a photo decompression bomb costs the server (issue 10,
// finding 4): peak memory (VmHWM) and time for PARALLEL uploads of an
// 8000 × 8000 PNG of ~200 KB through the enrolment form. A measurement, not
// a test. Needs `cargo build --bin citycard` (or CARGO_TARGET_DIR pointing
// at another build, e.g. an old one to compare). Run:
//   cd tests/browser && node measure-photo-bomb.mjs [PARALLEL]
import { readFileSync } from 'node:fs';
import { deflateSync, crc32 } from 'node:zlib';
import { startOffice, launch, newPage, setupAdmin, createUser, loginAs, BIN } from './office.mjs';

const parallel = Number(process.argv[2] || 4);

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
  const raw = Buffer.alloc(height * (1 + 3 * width));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

const memory = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(status.match(new RegExp(`${name}:\\s+(\\d+)`))[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
};

const bomb = pngBomb(8000, 8000);
const office = await startOffice();
const browser = await launch();
try {
  const admin = await newPage(browser);
  await setupAdmin(admin, office);
  const oneTime = await createUser(admin, office.base, { username: 'clerk.bomb', role: 'clerk' });
  const clerk = await loginAs(browser, office.base, 'clerk.bomb', oneTime);
  await clerk.goto(`${office.base}/enrol`);
  const before = memory(office.pid);
  const started = Date.now();
  const statuses = await clerk.evaluate(async ({ bytes, parallel }) => {
    const csrf = document.querySelector('input[name=csrf_token]').value;
    const one = async (i) => {
      const form = new FormData();
      form.append('csrf_token', csrf);
      form.append('family_name', `Bombe${String.fromCharCode(65 + i)}`);
      form.append('attest_identity', '1');
      form.append('attest_residence', '1');
      form.append('photo', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'bomb.png');
      const res = await fetch('/enrol', { method: 'POST', body: form, redirect: 'manual' });
      return res.status;
    };
    return Promise.all([...Array(parallel).keys()].map(one));
  }, { bytes: [...bomb], parallel });
  const seconds = (Date.now() - started) / 1000;
  const after = memory(office.pid);
  console.log(JSON.stringify({
    binary: BIN, file_bytes: bomb.length, parallel, statuses, seconds,
    rss_before_mb: Math.round(before.rss), peak_before_mb: Math.round(before.peak),
    rss_after_mb: Math.round(after.rss), peak_after_mb: Math.round(after.peak),
  }));
} finally {
  await browser.close();
  await office.stop();
}
