// Unit tests of the desk verifier, with cards and lists made here by Node's
// crypto (independently of the Rust crate). Run: node --test tests/desk/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as v from '../../src/web/desk/verifier.js';
import * as t from './issue.mjs';

const hex = v.fromHex;
const root = t.keyFromSeed(new Uint8Array(32).fill(1));
const office = t.keyFromSeed(new Uint8Array(32).fill(2));
const revoker = t.keyFromSeed(new Uint8Array(32).fill(3));
const stranger = t.keyFromSeed(new Uint8Array(32).fill(4));

const rejects = (fn, re) => assert.throws(fn, (e) => e instanceof v.FormatError && (!re || re.test(e.message)));

// ───────────── §2 text ─────────────

test('text: examples of §2', () => {
  assert.deepEqual(v.decodeText('CC100258'), Uint8Array.of(1, 2));
  assert.deepEqual(v.decodeText('CC172057594037927935'), new Uint8Array(7).fill(0xff));
  assert.equal(v.encodeText(Uint8Array.of(1, 2)), 'CC100258');
  assert.equal(v.encodeText(new Uint8Array(7).fill(0xff)), 'CC172057594037927935');
  assert.equal(v.encodeText(new Uint8Array(8)), 'CC100000000000000000000');
  for (let n = 1; n <= 30; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 255) & 0xff);
    assert.deepEqual(v.decodeText(v.encodeText(bytes)), bytes);
  }
});

test('text: prefix in any case, edge whitespace removed', () => {
  assert.deepEqual(v.decodeText('cc1255'), Uint8Array.of(255));
  assert.deepEqual(v.decodeText('cC1255'), Uint8Array.of(255));
  assert.deepEqual(v.decodeText(' \t CC1255\r\n'), Uint8Array.of(255));
  assert.deepEqual(v.decodeText('\fCC1255 '), Uint8Array.of(255));
});

test('text: strict', () => {
  rejects(() => v.decodeText('CC1256'), /too large/);
  rejects(() => v.decodeText('CC12555'), /number of digits/);
  rejects(() => v.decodeText('CC1'), /number of digits/);
  rejects(() => v.decodeText(''), /prefix/);
  rejects(() => v.decodeText('CC2255'), /prefix/);
  rejects(() => v.decodeText('C'), /prefix/);
  rejects(() => v.decodeText('ÇC1255'), /prefix/);
  rejects(() => v.decodeText('CC12a5'), /digit/);
  rejects(() => v.decodeText('CC1٢٥٥'), /digit/);
  rejects(() => v.decodeText('CC1２５５'), /digit/);
  rejects(() => v.decodeText('CC1 255'), /digit/);
  rejects(() => v.decodeText('CC1255\u000b'), /digit/); // VT is not in the §2 list
  rejects(() => v.decodeText('\u00a0CC1255'), /prefix/);
  rejects(() => v.decodeText('CC1' + '9'.repeat(17)), /too large/);
  // Every remainder that is not a valid tail.
  for (let r = 0; r < 17; r++) {
    const ok = [0, 3, 5, 8, 10, 13, 15].includes(r);
    const text = 'CC1' + '0'.repeat(17 + r);
    if (ok) assert.equal(v.decodeText(text).length, 7 + [0, 3, 5, 8, 10, 13, 15].indexOf(r));
    else rejects(() => v.decodeText(text), /number of digits/);
  }
});

test('text: size cap of 1024 bytes decided before decoding', () => {
  assert.equal(v.decodeText(v.encodeText(new Uint8Array(1024))).length, 1024);
  rejects(() => v.decodeText(v.encodeText(new Uint8Array(1025))), /too long/);
});

// ───────────── CBOR ─────────────

test('cbor: round trip and values', () => {
  const value = new v.CborMap([[1n, 'bern'], [-65537n, new v.CborMap([[2n, 'x']])], [4n, 1930089600n], [7n, hex('02dfdc1c3a')]]);
  const bytes = v.encodeCbor(value);
  assert.equal(v.toHex(bytes), 'a401646265726e041a730ad4800745' + '02dfdc1c3a' + '3a00010000a1026178');
  const back = v.decodeCbor(bytes);
  assert.ok(back instanceof v.CborMap);
  assert.deepEqual(back.entries.map(([k]) => k), [1n, 4n, 7n, -65537n]);
  assert.equal(v.decodeCbor(hex('1bffffffffffffffff')), 2n ** 64n - 1n);
  assert.equal(v.decodeCbor(hex('3bffffffffffffffff')), -(2n ** 64n));
  assert.ok(v.decodeCbor(hex('f6')) instanceof v.CborSimple);
  assert.equal(v.decodeCbor(hex('d21849')).tag, 18n);
});

test('cbor: only deterministic encoding', () => {
  for (const bad of [
    '1817', // 23 in a 1-byte argument
    '190017', '1a000000ff', '1b00000000ffffffff', // over-long integers
    '3817', // over-long negative
    '5800', '590001ff', // over-long byte string lengths
    '7800', // over-long text length
    '9800', 'b800', // over-long array/map lengths
    'd81218', // tag 18 in a 1-byte argument (and truncated)
    '5f4100ff', '7f6161ff', '9fff', 'bfff', // indefinite lengths
    'a2020101 01', // keys out of order
    'a201010101', // duplicate keys
    'a2200101 01', // -1 sorts after 1 (0x20 > 0x01)
    'f97e00', 'fa00000000', 'fb0000000000000000', // floats
    'f820', 'f0', // other simple values
    '00 00', // trailing byte
    '62c328', // invalid UTF-8
    '63eda080', // a surrogate in UTF-8
    '5a00010000', // truncated
    '9a00010000', // truncated array length
    '1c', '3f', // reserved additional information
  ]) {
    rejects(() => v.decodeCbor(hex(bad.replace(/ /g, ''))), undefined);
  }
  // Keys sorted bytewise by encoding: 1 (01) before -1 (20).
  assert.equal(v.decodeCbor(hex('a201002000')).entries.length, 2);
  // A byte-order mark inside text is kept (and later refused by the name rules).
  assert.equal(v.decodeCbor(hex('63efbbbf')), '\ufeff');
});

test('cbor: nesting is bounded', () => {
  rejects(() => v.decodeCbor(new Uint8Array(100).fill(0x81)), /deeply|truncated/);
});

// ───────────── §3, §4 ─────────────

test('kid and fingerprint of the RFC 8032 TEST 1 key (§3.1, §3.2)', async () => {
  const pk = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  assert.equal(v.toHex(await v.kidOf(pk)), '21fe31dfa154a261');
  const fp = await v.fingerprintHex(pk);
  assert.equal(v.formatFingerprint(fp), '21fe 31df a154 a261 626b f854 046f d227 1b7b ed4b 6abe 45aa 5887 7ef4 7f97 21b9');
  assert.equal(v.toHex(v.parseFingerprint('21FE:31DF-A154 a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9')), fp);
  assert.throws(() => v.parseFingerprint('21fe'));
});

test('card numbers (§4)', () => {
  assert.equal(t.withCheckDigit('01234567890'), '012345678906');
  assert.equal(v.damm('012345678906'), 0);
  assert.equal(v.cardNumberFromBytes(hex('02dfdc1c3a')), '012345678906');
  assert.equal(v.cardNumberFromBytes(hex('02dfdc1c3b')), null); // check digit
  assert.equal(v.cardNumberFromBytes(hex('e8d4a51000')), null); // 10^12
  assert.equal(v.cardNumberFromBytes(hex('02dfdc1c')), null);
  assert.equal(v.formatCardNumber('012345678906'), '0123 4567 8906');
});

test('dates (§1)', () => {
  assert.equal(v.isoToDay('1970-01-01'), 0);
  assert.equal(v.isoToDay('1900-01-01'), v.MIN_DAY);
  assert.equal(v.isoToDay('2199-12-31'), v.MAX_DAY);
  assert.equal(v.isoToDay('2026-03-01') * 86400, 1772323200);
  assert.equal(v.dayToISO(v.MIN_DAY), '1900-01-01');
  assert.equal(v.dayToISO(1930089600 / 86400 - 1), '2031-02-28');
  assert.throws(() => v.isoToDay('2026-02-30'));
  assert.throws(() => v.isoToDay('2026-2-3'));
  assert.equal(v.localToday(new Date(2026, 0, 9, 23, 59)), '2026-01-09');
});

// ───────────── Ed25519 ─────────────

const RFC8032 = [
  ['d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
  ['3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
];

const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p: non-canonical 0
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p+1: non-canonical 1
];

for (const mode of ['webcrypto', 'js']) {
  test(`ed25519 (${mode}): RFC 8032 vectors and strictness`, async () => {
    v.setEd25519Mode(mode);
    try {
      for (const [pk, msg, sig] of RFC8032) {
        assert.equal(await v.verifyEd25519(hex(pk), hex(msg), hex(sig)), true);
        const bad = hex(sig); bad[10] ^= 1;
        assert.equal(await v.verifyEd25519(hex(pk), hex(msg), bad), false);
        assert.equal(await v.verifyEd25519(hex(pk), Uint8Array.of(1), hex(sig)), false);
        // S + L: the same signature with a non-canonical S.
        const s = hex(sig);
        let carry = 0n;
        let big = 0n;
        for (let i = 63; i >= 32; i--) big = (big << 8n) | BigInt(s[i]);
        big += v.__test.L + carry;
        for (let i = 32; i < 64; i++) { s[i] = Number(big & 0xffn); big >>= 8n; }
        assert.equal(await v.verifyEd25519(hex(pk), hex(msg), s), false);
      }
      // A signature that passes the cofactorless equation but uses a
      // small-order R (the identity): S = k·a makes [S]B = [k]A = R + [k]A.
      const seed = new Uint8Array(32).fill(7);
      const key = t.keyFromSeed(seed);
      const h = createHash('sha512').update(seed).digest();
      h[0] &= 248; h[31] &= 127; h[31] |= 64;
      let a = 0n;
      for (let i = 31; i >= 0; i--) a = (a << 8n) | BigInt(h[i]);
      const identity = hex(SMALL_ORDER[1]);
      const msg = Uint8Array.of(1, 2, 3);
      const hk = createHash('sha512').update(identity).update(key.publicKey).update(msg).digest();
      let k = 0n;
      for (let i = 63; i >= 0; i--) k = (k << 8n) | BigInt(hk[i]);
      let sVal = v.__test.mod(k * a, v.__test.L);
      const sig = new Uint8Array(64);
      sig.set(identity);
      for (let i = 32; i < 64; i++) { sig[i] = Number(sVal & 0xffn); sVal >>= 8n; }
      assert.equal(await v.__test.verifyFallback(key.publicKey, msg, sig), true, 'the equation holds');
      assert.equal(await v.verifyEd25519(key.publicKey, msg, sig), false, 'small-order R refused');
      // Small-order public key with R = [r]B, S = r: verifies without the check.
      const r = 12345n;
      const rb = v.__test.encodePoint(v.__test.scalarMult({ X: v.__test.BASE.x, Y: v.__test.BASE.y, Z: 1n, T: v.__test.mod(v.__test.BASE.x * v.__test.BASE.y) }, r));
      const sig2 = new Uint8Array(64);
      sig2.set(rb); sig2[32] = 0x39; sig2[33] = 0x30; // 12345 little-endian
      assert.equal(await v.__test.verifyFallback(identity, msg, sig2), true, 'the equation holds');
      assert.equal(await v.verifyEd25519(identity, msg, sig2), false, 'small-order A refused');
    } finally {
      v.setEd25519Mode('auto');
    }
  });
}

test('ed25519: small-order encodings, canonical and not', () => {
  for (const h of SMALL_ORDER) {
    const b = hex(h);
    assert.equal(v.isSmallOrderEncoding(b), true, h);
    b[31] ^= 0x80;
    assert.equal(v.isSmallOrderEncoding(b), true, `${h} with the sign bit flipped`);
    assert.equal(v.isValidPublicKey(b), false);
  }
  assert.equal(v.isSmallOrderEncoding(root.publicKey), false);
  assert.equal(v.isValidPublicKey(root.publicKey), true);
  // y = 2 is not on the curve.
  assert.equal(v.isValidPublicKey(hex('02' + '00'.repeat(31))), false);
});

// ───────────── §5 names ─────────────

test('names (§5)', () => {
  for (const ok of ['Zoë Ünal-Łukasiewicz', 'Nguyễn Thị Minh Khai', 'محمد عبد الله', 'زهرا\u200Cسادات', '王小明', 'ተስፋዬ', "O'Brien", 'क्‍ष']) {
    assert.equal(v.nameProblem(ok), null, ok);
  }
  assert.equal(v.nameProblem('', { mayBeEmpty: true }), null);
  assert.equal(v.nameProblem(''), 'empty');
  assert.equal(v.nameProblem(' Ana'), 'bad spacing');
  assert.equal(v.nameProblem('Ana '), 'bad spacing');
  assert.equal(v.nameProblem('Ana  Maria'), 'bad spacing');
  assert.equal(v.nameProblem('Rene\u0301'), 'not in NFC');
  assert.equal(v.nameProblem('a'.repeat(64)), null);
  assert.match(v.nameProblem('a'.repeat(65)), /64 characters/);
  assert.match(v.nameProblem('王'.repeat(54)), /160 UTF-8 bytes/);
  assert.equal(v.nameProblem('王'.repeat(53)), null);
  assert.equal(v.nameProblem('😀'.repeat(40)), null); // 40 scalar values, 160 bytes
  assert.equal(v.nameProblem('b'.repeat(32), { issuer: true }), null);
  assert.match(v.nameProblem('b'.repeat(33), { issuer: true }), /32/);
  assert.equal(v.nameProblem('ü'.repeat(32), { issuer: true }), null);
  assert.match(v.nameProblem('ü'.repeat(33), { issuer: true }), /64 UTF-8 bytes/);
  for (const c of ['\t', '\n', '\u0000', '\u007f', '\u0085', '\u009f', '\u00a0', '\u1680', '\u2000', '\u2028', '\u2029', '\u202f', '\u3000',
    '\u061c', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\ufeff', '\ufff9', '\ufffd', '\uffff', '\ue000', '\uf8ff']) {
    assert.equal(v.nameProblem(`A${c}B`), 'a forbidden character', c.codePointAt(0).toString(16));
  }
});

// Issue 10 finding 11: invisible (Default_Ignorable_Code_Point) characters.
test('names (§5): default-ignorable code points are forbidden, ZWNJ and ZWJ allowed', () => {
  for (const c of ['\u200b', '\u2060', '\u00ad', '\u3164', '\u034f', '\u115f', '\u180e', '\ufe0f', '\uffa0', '\u{e0041}', '\u{e0100}', '\u{1d173}']) {
    assert.equal(v.nameProblem(`A${c}B`), 'a forbidden character', c.codePointAt(0).toString(16));
  }
  assert.equal(v.nameProblem('\u3164\u3164\u3164'), 'a forbidden character');
  // Unassigned code points are the signer's rule only (§5).
  assert.equal(v.nameProblem('A\u0378'), null);
  // The written-out list of §5 is exactly Default_Ignorable_Code_Point of this
  // engine's Unicode version, less ZWNJ and ZWJ.
  const di = /\p{Default_Ignorable_Code_Point}/u;
  const other = /[\p{Cc}\p{White_Space}\uFFF9-\uFFFF\uE000-\uF8FF]/u;
  const differ = [];
  for (let cp = 0; cp < 0x110000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    if (other.test(c)) continue;
    const want = di.test(c) && cp !== 0x200c && cp !== 0x200d;
    const got = v.nameProblem(`A${c}B`) === 'a forbidden character';
    if (want !== got) differ.push(cp.toString(16));
  }
  assert.deepEqual(differ, []);
});

// ───────────── §6-§9 with lists ─────────────

const TODAY = '2026-03-05';
const setup = async ({ trust = {}, revoked = [], revSigner = root, rev = {} } = {}) => {
  const trustList = await t.trustList(root, { keys: [{ key: office }, { key: revoker, usage: 2, office: 'Stadtarchiv' }], ...trust });
  const revocations = revoked === null ? null : await t.revocationList(revSigner, { numbers: revoked, ...rev });
  return v.createVerifier({ trustList, rootPublicKey: root.publicKey, revocations });
};

test('verify: every outcome (§9)', async () => {
  const revokedNumber = t.withCheckDigit('99');
  const ver = await setup({ revoked: [revokedNumber] });
  const ok = await t.card(office, {});
  let r = await ver.verify(ok, TODAY);
  assert.equal(r.outcome, 'valid');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.office, 'Einwohnerdienste');
  assert.deepEqual(r.card, { issuer: 'bern', card_number: '012345678906', given_names: 'Anna', family_name: 'Muster', issued: '2026-03-01', expires: '2031-02-28', date_of_birth: '1990-05-17' });
  assert.equal((await ver.verify(ok.toLowerCase(), TODAY)).outcome, 'valid');
  assert.equal((await ver.verify(`  ${ok}\r\n`, TODAY)).outcome, 'valid');
  assert.equal((await ver.verify(ok, '2026-03-01')).outcome, 'valid');
  assert.equal((await ver.verify(ok, '2031-02-28')).outcome, 'valid');
  assert.equal((await ver.verify(ok, '2031-03-01')).outcome, 'expired');
  r = await ver.verify(ok, '2026-02-28');
  assert.equal(r.outcome, 'not_yet_valid');
  assert.equal(r.card.family_name, 'Muster');
  assert.equal((await ver.verify(await t.card(office, { number: revokedNumber }), TODAY)).outcome, 'revoked');
  assert.equal((await ver.verify(await t.card(stranger, {}), TODAY)).outcome, 'unknown_key');
  // Tampered: change one payload byte (the last letter of the family name).
  const bytes = v.decodeText(ok);
  const at = bytes.indexOf(0x72, 40); // 'r' of Muster
  bytes[at] = 0x73;
  r = await ver.verify(v.encodeText(bytes), TODAY);
  assert.equal(r.outcome, 'bad_signature');
  assert.equal(r.card, null);
  assert.equal(r.office, null);
  for (const garbage of ['', 'hello', 'CC1', 'CC1255', 'HC1:6BFOXN', '{"a":1}']) {
    r = await ver.verify(garbage, TODAY);
    assert.equal(r.outcome, 'malformed', garbage);
    assert.equal(r.card, null);
  }
  // key_not_allowed: a revocation-only key signs a card.
  assert.equal((await ver.verify(await t.card(revoker, {}), TODAY)).outcome, 'key_not_allowed');
  // key_not_allowed: another issuer.
  assert.equal((await ver.verify(await t.card(office, { iss: 'thun' }), TODAY)).outcome, 'key_not_allowed');
  // key_not_allowed: issued outside the signing window.
  assert.equal((await ver.verify(await t.card(office, { issued: '2025-12-31' }), TODAY)).outcome, 'key_not_allowed');
  assert.equal((await ver.verify(await t.card(office, { issued: '2029-01-01', validUntil: '2030-01-01' }), TODAY)).outcome, 'key_not_allowed');
  // key_not_allowed: past the key's verify-until (checked before expiry).
  assert.equal((await ver.verify(ok, '2035-01-01')).outcome, 'key_not_allowed');
  // Revoked beats not yet valid and expired (step 7 before 8, 9).
  const futureRevoked = await t.card(office, { number: revokedNumber, issued: '2027-01-01' });
  assert.equal((await ver.verify(futureRevoked, TODAY)).outcome, 'revoked');
});

test('verify: malformed payloads are reported after the signature (§9 step 5)', async () => {
  const ver = await setup();
  const cases = {
    extra: { extra: [[4n, 'x']] },
    emptyFamily: { family: '' },
    notNfc: { family: 'Rene\u0301' },
    bidi: { given: 'A\u202eB' },
    dobAfterIssue: { dob: '2026-03-02' },
    expBeforeIat: { validUntil: '2026-02-28' },
    badNumber: { number: '012345678907' },
    issuerTooLong: { iss: 'b'.repeat(33) },
    dobOutOfRange: { dob: '1899-12-31' },
  };
  for (const [name, opts] of Object.entries(cases)) {
    const r = await ver.verify(await t.card(office, opts), TODAY);
    assert.equal(r.outcome, 'malformed', name);
    assert.equal(r.card, null, name);
  }
  // Same-day validity: issued and valid until the same day is allowed.
  assert.equal((await ver.verify(await t.card(office, { issued: TODAY, validUntil: TODAY }), TODAY)).outcome, 'valid');
  // No date of birth is fine.
  const r = await ver.verify(await t.card(office, { dob: null }), TODAY);
  assert.equal(r.outcome, 'valid');
  assert.equal(r.card.date_of_birth, null);
  // exp not at 00:00 UTC.
  const payload = v.encodeCbor(new v.CborMap([
    [1n, 'bern'], [4n, 1930089601n], [6n, 1772323200n], [7n, hex('02dfdc1c3a')], [-65537n, new v.CborMap([[1n, ''], [2n, 'X']])],
  ]));
  assert.equal((await ver.verify(v.encodeText(await t.coseSign1(office, payload)), TODAY)).outcome, 'malformed');
  // A non-deterministic payload (over-long integer) that is validly signed.
  const overlong = v.encodeCbor(new v.CborMap([[1n, 'bern'], [4n, 1930089600n], [6n, 1772323200n], [7n, hex('02dfdc1c3a')], [-65537n, new v.CborMap([[1n, ''], [2n, 'X']])]]));
  const hexed = v.toHex(overlong).replace('a50164', 'b8050164');
  assert.equal((await ver.verify(v.encodeText(await t.coseSign1(office, hex(hexed))), TODAY)).outcome, 'malformed');
});

test('verify: COSE envelope rules (§6)', async () => {
  const ver = await setup();
  const payload = t.claims({});
  const kid = await v.kidOf(office.publicKey);
  const sign = (prot) => t.signRaw(office, v.sigStructure(prot, payload));
  const tagged = (arr, tag = 18n) => v.encodeText(v.encodeCbor(new v.CborTag(tag, arr)));
  const prot = v.protectedHeader(kid);
  assert.equal(v.toHex(prot), `a2012704${'48'}${v.toHex(kid)}`);
  const good = [prot, new v.CborMap([]), payload, sign(prot)];
  assert.equal((await ver.verify(tagged(good), TODAY)).outcome, 'valid');
  const variants = {
    untagged: v.encodeText(v.encodeCbor(good)),
    tag98: tagged(good, 98n),
    three: tagged(good.slice(0, 3)),
    otherAlg: (() => { const p = v.encodeCbor(new v.CborMap([[1n, -7n], [4n, kid]])); return tagged([p, new v.CborMap([]), payload, sign(p)]); })(),
    crit: (() => { const p = v.encodeCbor(new v.CborMap([[1n, -8n], [2n, [1n]], [4n, kid]])); return tagged([p, new v.CborMap([]), payload, sign(p)]); })(),
    contentType: (() => { const p = v.protectedHeader(kid, 'application/cwt'); return tagged([p, new v.CborMap([]), payload, sign(p)]); })(),
    kidUnprotected: tagged([prot, new v.CborMap([[4n, kid]]), payload, sign(prot)]),
    detached: tagged([prot, new v.CborMap([]), new v.CborSimple(22), sign(prot)]),
    shortSig: tagged([prot, new v.CborMap([]), payload, sign(prot).subarray(0, 63)]),
    trailing: v.encodeText(Uint8Array.from([...v.encodeCbor(new v.CborTag(18n, good)), 0])),
    overlongPayloadLength: (() => {
      const b = v.toHex(v.encodeCbor(new v.CborTag(18n, good)));
      const len = payload.length.toString(16).padStart(2, '0');
      return v.encodeText(hex(b.replace(`a058${len}`, `a05900${len}`)));
    })(),
    kid7: (() => { const p = v.encodeCbor(new v.CborMap([[1n, -8n], [4n, kid.subarray(0, 7)]])); return tagged([p, new v.CborMap([]), payload, sign(p)]); })(),
  };
  for (const [name, text] of Object.entries(variants)) {
    const r = await ver.verify(text, TODAY);
    assert.equal(r.outcome, 'malformed', name);
    assert.equal(r.card, null, name);
  }
});

test('warnings (§9)', async () => {
  const fresh = await setup({ rev: { nextUpdate: '2026-03-08' }, trust: { nextUpdate: '2026-07-01' } });
  const ok = await t.card(office, {});
  assert.deepEqual((await fresh.verify(ok, '2026-03-08')).warnings, []);
  assert.deepEqual((await fresh.verify(ok, '2026-03-09')).warnings, ['revocation_list_stale']);
  assert.deepEqual((await fresh.verify(ok, '2026-07-02')).warnings, ['trust_list_stale', 'revocation_list_stale']);
  const none = await setup({ revoked: null });
  const r = await none.verify('garbage', TODAY);
  assert.equal(r.outcome, 'malformed');
  assert.deepEqual(r.warnings, ['no_revocation_list']);
});

test('development trust lists: the reserved issuer dev (§7)', async () => {
  const dev = await setup({ trust: { issuer: 'dev', name: 'Development City (NOT REAL)', nextUpdate: '2026-07-01' }, rev: { issuer: 'dev' } });
  assert.equal(v.isDevelopmentList(dev.trust), true);
  const card = await t.card(office, { iss: 'dev' });
  let r = await dev.verify(card, TODAY);
  assert.equal(r.outcome, 'valid', 'the outcome is unchanged');
  assert.deepEqual(r.warnings, ['development_keys'], 'and marked');
  // With every outcome, first among the warnings.
  r = await dev.verify('garbage', '2026-07-02');
  assert.equal(r.outcome, 'malformed');
  assert.deepEqual(r.warnings, ['development_keys', 'trust_list_stale', 'revocation_list_stale']);
  // A bern card against the dev list is another issuer's card.
  assert.equal((await dev.verify(await t.card(office, {}), TODAY)).outcome, 'key_not_allowed');
  // Only exactly "dev" is reserved.
  for (const issuer of ['Dev', 'devel', 'bern']) {
    const other = await setup({ trust: { issuer }, rev: { issuer } });
    assert.equal(v.isDevelopmentList(other.trust), false, issuer);
    assert.deepEqual((await other.verify(await t.card(office, { iss: issuer }), TODAY)).warnings, [], issuer);
  }
  assert.equal(v.WARNINGS[0], 'development_keys');
});

// ───────────── §7 trust list ─────────────

const refused = (promise, re) => assert.rejects(promise, (e) => e instanceof v.ListError && (!re || re.test(e.message)));

test('trust list (§7)', async () => {
  const keys = [{ key: office }];
  const good = await t.trustList(root, { keys });
  const list = await v.loadTrustList(good, { rootPublicKey: root.publicKey });
  assert.equal(list.issuer, 'bern');
  assert.equal(list.keys.length, 1);
  const fp = await v.fingerprintHex(root.publicKey);
  assert.equal((await v.loadTrustList(good, { rootFingerprint: fp.toUpperCase() })).name, 'Stadt Bern');
  await refused(v.loadTrustList(good, { rootFingerprint: await v.fingerprintHex(office.publicKey) }), /fingerprint/);
  await refused(v.loadTrustList(good, { rootPublicKey: office.publicKey }), /pinned root/);
  await refused(v.loadTrustList(good, {}), /pinned/);
  // Signed by the root but naming another root in key 5.
  const payload = await t.trustPayload({ root: office, keys: [{ key: stranger }] });
  const other = await t.coseSign1(root, payload, { contentType: v.CONTENT_TYPE_TRUST_LIST });
  await refused(v.loadTrustList(other, { rootPublicKey: root.publicKey }), /another root/);
  // Fingerprint pinned, list signed by a key that is not the one in key 5.
  await refused(v.loadTrustList(other, { rootFingerprint: await v.fingerprintHex(office.publicKey) }), /pinned root|signature/);
  const bad = async (opts, re) => refused(v.loadTrustList(await t.trustList(root, { keys, ...opts }), { rootPublicKey: root.publicKey }), re);
  await bad({ nextUpdate: '2025-12-31' }, /next update/);
  await bad({ keys: [{ key: office, kid: new Uint8Array(8) }] }, /kid/);
  await bad({ keys: [{ key: office }, { key: office }] }, /twice/);
  await bad({ keys: [{ key: root }] }, /root key/);
  await bad({ keys: [{ key: office, signFrom: '2027-01-01', signUntil: '2026-01-01' }] }, /out of order/);
  await bad({ keys: [{ key: office, verifyUntil: '2027-01-01', signUntil: '2028-01-01' }] }, /out of order/);
  await bad({ keys: [{ key: office, usage: 0 }] }, /usage/);
  await bad({ keys: [{ key: office, usage: 4 }] }, /usage/);
  await bad({ keys: [{ key: office, office: 'Amt\u202e' }] }, /office/);
  await bad({ keys: [{ key: { publicKey: hex('01' + '00'.repeat(31)) } }] }, /valid Ed25519|kid/);
  await bad({ issuer: '' }, /issuer/);
  // Wrong content type, tampered, too large.
  const asRev = await t.coseSign1(root, await t.trustPayload({ root, keys }), { contentType: v.CONTENT_TYPE_REVOCATIONS });
  await refused(v.loadTrustList(asRev, { rootPublicKey: root.publicKey }), /malformed/);
  const tampered = good.slice(); tampered[60] ^= 1;
  await refused(v.loadTrustList(tampered, { rootPublicKey: root.publicKey }));
  await refused(v.loadTrustList(new Uint8Array(v.MAX_TRUST_LIST_BYTES + 1), { rootPublicKey: root.publicKey }), /too large/);
  // Empty key list is allowed.
  assert.equal((await v.loadTrustList(await t.trustList(root, { keys: [] }), { rootPublicKey: root.publicKey })).keys.length, 0);
});

// ───────────── §8 revocation list ─────────────

test('revocation list (§8)', async () => {
  const trust = await v.loadTrustList(await t.trustList(root, {
    keys: [{ key: office }, { key: revoker, usage: 2, office: 'Archiv', signFrom: '2026-01-01', signUntil: '2026-12-31' }],
  }), { rootPublicKey: root.publicKey });
  const n = ['000000000059', '012345678906', t.withCheckDigit('55555555555')].sort();
  const rev = await v.loadRevocationList(await t.revocationList(root, { numbers: n }), trust);
  assert.equal(rev.count, 3);
  for (const x of n) assert.equal(v.isRevoked(rev, t.cardNumberBytes(x)), true);
  assert.equal(v.isRevoked(rev, t.cardNumberBytes(t.withCheckDigit('1'))), false);
  assert.equal((await v.loadRevocationList(await t.revocationList(revoker, { numbers: n }), trust)).count, 3);
  const bad = (signer, opts, re) => refused(t.revocationList(signer, opts).then((b) => v.loadRevocationList(b, trust)), re);
  await bad(office, { numbers: n }, /not allowed/);
  await bad(stranger, { numbers: n }, /not in the trust list/);
  await bad(revoker, { numbers: n, issued: '2027-01-01', nextUpdate: '2027-01-08' }, /window/);
  await bad(root, { numbers: [n[1], n[0]] }, /ascending/);
  await bad(root, { numbers: [n[0], n[0]] }, /ascending/);
  await bad(root, { numbers: ['012345678907'] }, /valid card number/);
  await bad(root, { issuer: 'thun' }, /issuer/);
  await bad(root, { nextUpdate: '2026-02-01' }, /next update/);
  const payload = v.encodeCbor(new v.CborMap([[1n, 'bern'], [2n, t.day('2026-03-01')], [3n, t.day('2026-03-08')], [4n, new Uint8Array(4)]]));
  await refused(t.coseSign1(root, payload, { contentType: v.CONTENT_TYPE_REVOCATIONS }).then((b) => v.loadRevocationList(b, trust)), /multiple of 5/);
  await refused(v.loadRevocationList(await t.trustList(root, { keys: [] }), trust), /malformed/);
});

test('revocation list v2: Golomb–Rice coded numbers (§8.2)', async () => {
  const trust = await v.loadTrustList(await t.trustList(root, {
    keys: [{ key: revoker, usage: 2, office: 'Archiv', signFrom: '2026-01-01', signUntil: '2026-12-31' }],
  }), { rootPublicKey: root.publicKey });
  const n = ['000000000059', '012345678906', t.withCheckDigit('55555555555'), t.withCheckDigit('99999999999')].sort();
  const rev = await v.loadRevocationList(await t.revocationListV2(revoker, { numbers: n }), trust);
  assert.equal(rev.version, 2);
  assert.equal(rev.count, 4);
  for (const x of n) assert.equal(v.isRevoked(rev, t.cardNumberBytes(x)), true);
  for (const x of ['1', '5555555555', '55555555556', '99999999998']) {
    assert.equal(v.isRevoked(rev, t.cardNumberBytes(t.withCheckDigit(x))), false, x);
  }
  const empty = await v.loadRevocationList(await t.revocationListV2(root, { numbers: [] }), trust);
  assert.equal(empty.count, 0);
  assert.equal(v.riceParameter(50000), 20);
  assert.equal(v.riceParameter(1), 36);
  // Non-canonical encodings are refused.
  const bad = (opts, re) => refused(t.revocationListV2(root, opts).then((b) => v.loadRevocationList(b, trust)), re);
  await bad({ numbers: n, k: 33 }, /Rice parameter/);
  await bad({ numbers: n, extraBits: '1' }, /bits follow/);
  await bad({ numbers: n, extraBits: '00000000' }, /bits follow/);
  await bad({ numbers: n, count: 5n }, /end before/);
  await bad({ numbers: [], coded: new Uint8Array(1) }, /bits follow/);
  await bad({ numbers: [], count: -1n }, /negative|end before|Rice/);
  // One number, k = 36: a quotient of 2 is past 10^11.
  await bad({ numbers: ['000000000059'], coded: new Uint8Array([0b11000000, 0, 0, 0, 0]) }, /out of range/);
  // A v2 payload under the v1 content type (and the other way round) is malformed.
  const v2payload = t.revocationPayloadV2({ numbers: n });
  await refused(t.coseSign1(root, v2payload, { contentType: v.CONTENT_TYPE_REVOCATIONS }).then((b) => v.loadRevocationList(b, trust)), /malformed/);
  await refused(t.coseSign1(root, t.revocationPayload({ numbers: n }), { contentType: v.CONTENT_TYPE_REVOCATIONS_V2 }).then((b) => v.loadRevocationList(b, trust)), /malformed/);
});

test('an older revocation list is refused once a newer one was seen (§8.3)', async () => {
  const trust = await v.loadTrustList(await t.trustList(root, { keys: [] }), { rootPublicKey: root.publicKey });
  const revoked = ['012345678906'];
  // Version 1 lists (the rule is the same for both versions; with version 1
  // this test also runs against the verifier from before the rule).
  const march = await t.revocationList(root, { numbers: [], issued: '2026-03-01', nextUpdate: '2026-04-01' });
  const april = await t.revocationList(root, { numbers: revoked, issued: '2026-04-01', nextUpdate: '2026-05-01' });
  const newestSeen = (await v.loadRevocationList(april, trust)).issued;
  // Without the marker the old list loads and the card is no longer revoked: the attack.
  assert.equal(v.isRevoked(await v.loadRevocationList(march, trust), t.cardNumberBytes(revoked[0])), false);
  await assert.rejects(v.loadRevocationList(march, trust, { newestSeen }), (e) => e instanceof v.ListError && e.older === true && /before the newest list already seen \(issued 2026-04-01\)/.test(e.message));
  // The same or a later list is accepted.
  assert.equal((await v.loadRevocationList(april, trust, { newestSeen })).count, 1);
  assert.equal((await v.loadRevocationList(march, trust, { newestSeen: v.isoToDay('2026-02-01') })).count, 0);
});
