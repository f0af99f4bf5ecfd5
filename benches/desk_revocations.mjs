// Load + check of a 50,000-number revocation list in the desk verifier
// (src/web/desk/verifier.js), in Node and in Chromium (docs/performance.md).
//
//   node benches/desk_revocations.mjs            # Node only
//   (cd tests/browser && npm ci) && node benches/desk_revocations.mjs   # + Chromium
//
// The list: 50,000 card numbers drawn at random (fixed seed) out of a
// population of 1,000,000 random 12-digit numbers, signed by a test key, in
// version 2 (Golomb–Rice, what the office publishes) and version 1. "Load"
// is loadRevocationList: COSE parsing, the Ed25519 signature over the whole
// list, decoding every number; "check" is one isRevoked lookup. Prints the
// median and the worst of 25 runs after 5 warm-up runs.
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as V from '../src/web/desk/verifier.js';
import * as t from '../tests/desk/issue.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 25;
const WARMUP = 5;

// mulberry32: a fixed-seed generator.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = rng(0xc17ca2d);
// An 11-digit body, uniform in [0, 10^11), from two draws.
const body = () => Math.floor(rand() * 100_000) * 1_000_000 + Math.floor(rand() * 1_000_000);
const population = Array.from({ length: 1_000_000 }, body);
const revoked = new Set();
for (let i = 0; i < 50_000; i++) revoked.add(population[i * 20 + Math.floor(rand() * 20)]);
const numbers = [...revoked].map((b) => t.withCheckDigit(String(b)));
const probe = t.cardNumberBytes(t.withCheckDigit(String(population[123_457])));

const root = t.keyFromSeed(new Uint8Array(32).fill(1));
const trustBytes = await t.trustList(root, { keys: [], issued: '2026-01-01', nextUpdate: '2027-01-01' });
const lists = {
  v2: await t.revocationListV2(root, { numbers, issued: '2026-06-01', nextUpdate: '2026-07-01' }),
  v1: await t.revocationList(root, { numbers: [...numbers].sort(), issued: '2026-06-01', nextUpdate: '2026-07-01' }),
};
console.log(`revocation list: ${numbers.length} numbers; v2 ${lists.v2.length} bytes, v1 ${lists.v1.length} bytes signed`);

const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return `median ${s[s.length >> 1].toFixed(2)} ms, worst ${s[s.length - 1].toFixed(2)} ms`;
};

// ── Node ──
const trust = await V.loadTrustList(trustBytes, { rootPublicKey: root.publicKey });
for (const [name, bytes] of Object.entries(lists)) {
  const ms = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = performance.now();
    const list = await V.loadRevocationList(bytes, trust);
    V.isRevoked(list, probe);
    if (i >= WARMUP) ms.push(performance.now() - t0);
  }
  console.log(`node ${process.version} (${await V.ed25519Implementation()} Ed25519), ${name} load + check: ${stats(ms)}`);
}

// ── Chromium ──
const require = createRequire(path.join(REPO, 'tests/browser/package.json'));
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch {
  console.log('Chromium: skipped (run `npm ci` in tests/browser for playwright-core)');
  process.exit(0);
}
const CHROMIUM = process.env.CITYCARD_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`Chromium: skipped (${CHROMIUM} missing)`);
  process.exit(0);
}
const files = {
  '/verifier.js': [readFileSync(path.join(REPO, 'src/web/desk/verifier.js')), 'text/javascript'],
  '/': ['<!doctype html><title>bench</title>', 'text/html'],
  '/trust': [Buffer.from(trustBytes), 'application/octet-stream'],
  '/v2': [Buffer.from(lists.v2), 'application/octet-stream'],
  '/v1': [Buffer.from(lists.v1), 'application/octet-stream'],
};
const server = createServer((req, res) => {
  const f = files[req.url];
  if (!f) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': f[1] }).end(f[0]);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  const version = browser.version();
  for (const name of Object.keys(lists)) {
    const out = await page.evaluate(async ({ name, root, probe, runs, warmup }) => {
      const V = await import('/verifier.js');
      const get = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
      const trust = await V.loadTrustList(await get('/trust'), { rootPublicKey: new Uint8Array(root) });
      const bytes = await get(`/${name}`);
      const ms = [];
      for (let i = 0; i < warmup + runs; i++) {
        const t0 = performance.now();
        const list = await V.loadRevocationList(bytes, trust);
        V.isRevoked(list, new Uint8Array(probe));
        if (i >= warmup) ms.push(performance.now() - t0);
      }
      return { ms, impl: await V.ed25519Implementation() };
    }, { name, root: [...root.publicKey], probe: [...probe], runs: RUNS, warmup: WARMUP });
    console.log(`chromium ${version} (${out.impl} Ed25519), ${name} load + check: ${stats(out.ms)}`);
  }
} finally {
  await browser.close();
  server.close();
}
