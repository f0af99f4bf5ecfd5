// Runs every vector in tests/vectors/*.json through the desk verifier and
// checks the same outcome, card fields and warnings as the Rust verifier.
// Run: node --test tests/desk/*.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as v from '../../src/web/desk/verifier.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../vectors');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('there are at least 20 vectors', () => {
  assert.ok(files.length >= 20, `only ${files.length} vectors in ${dir}`);
});

/** Runs one vector; `pin` is 'key' or 'fingerprint'. */
export async function runVector(vec, pin) {
  const trustList = v.fromHex(vec.trust_list);
  const root = pin === 'key'
    ? { rootPublicKey: v.fromHex(vec.root_public_key) }
    : { rootFingerprint: vec.root_fingerprint };
  const verifier = await v.createVerifier({
    trustList,
    ...root,
    revocations: vec.revocations === null ? null : v.fromHex(vec.revocations),
  });
  return verifier.verify(vec.text, vec.date);
}

for (const mode of ['webcrypto', 'js']) {
  for (const pin of ['key', 'fingerprint']) {
    test(`vectors (${mode} Ed25519, root pinned by ${pin})`, async (t) => {
      v.setEd25519Mode(mode);
      try {
        for (const file of files) {
          const vec = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
          await t.test(file, async () => {
            const got = await runVector(vec, pin);
            assert.equal(got.outcome, vec.expected.outcome, `${file}: ${vec.description} (reason: ${got.reason})`);
            assert.deepEqual(got.card, vec.expected.card, file);
            assert.deepEqual(got.warnings, vec.expected.warnings, file);
            if (got.card === null) assert.equal(got.office, null);
            else assert.equal(typeof got.office, 'string');
          });
        }
      } finally {
        v.setEd25519Mode('auto');
      }
    });
  }
}

test('cose_hex matches the decoded text', () => {
  for (const file of files) {
    const vec = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    if (vec.cose_hex === null) {
      assert.throws(() => v.decodeText(vec.text), v.FormatError, file);
    } else {
      assert.equal(v.toHex(v.decodeText(vec.text)), vec.cose_hex, file);
    }
  }
});

// ───────────── revocation-list vectors (tests/vectors/revocations/) ─────────────

const listDir = path.join(dir, 'revocations');
const listFiles = readdirSync(listDir).filter((f) => f.endsWith('.json')).sort();

test('revocation-list vectors: accepted lists hold exactly their numbers, refused ones are refused', async (t) => {
  assert.ok(listFiles.length >= 15, `only ${listFiles.length} revocation-list vectors`);
  for (const file of listFiles) {
    const vec = JSON.parse(readFileSync(path.join(listDir, file), 'utf8'));
    await t.test(file, async () => {
      const trust = await v.loadTrustList(v.fromHex(vec.trust_list), { rootPublicKey: v.fromHex(vec.root_public_key) });
      let list;
      try {
        list = await v.loadRevocationList(v.fromHex(vec.revocations), trust);
      } catch (e) {
        assert.ok(e instanceof v.ListError, `${file}: ${e}`);
        assert.equal(vec.expected.accepted, false, `${file}: refused: ${e.message}`);
        return;
      }
      assert.equal(vec.expected.accepted, true, `${file}: accepted, but meant to be refused (${vec.expected.reason})`);
      assert.equal(list.version, vec.expected.version, file);
      assert.equal(v.dayToISO(list.issued), vec.expected.issued, file);
      assert.equal(v.dayToISO(list.nextUpdate), vec.expected.next_update, file);
      assert.equal(list.count, vec.expected.numbers.length, file);
      for (const n of vec.expected.numbers) assert.equal(v.isRevoked(list, cardBytes(n)), true, `${file}: ${n}`);
      for (const n of vec.expected.not_on_list) assert.equal(v.isRevoked(list, cardBytes(n)), false, `${file}: ${n}`);
    });
  }
});

function cardBytes(digits) {
  let x = BigInt(digits);
  const out = new Uint8Array(5);
  for (let i = 4; i >= 0; i--) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}
