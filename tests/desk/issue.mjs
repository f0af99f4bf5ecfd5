// Test helper: issues cards, trust lists and revocation lists with Node's
// crypto, independently of the Rust crate, following docs/card-format.md.
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { encodeCbor, CborMap, CborTag, protectedHeader, sigStructure, kidOf, encodeText, isoToDay,
  CONTENT_TYPE_TRUST_LIST, CONTENT_TYPE_REVOCATIONS, CONTENT_TYPE_REVOCATIONS_V2, damm } from '../../src/web/desk/verifier.js';

/** An Ed25519 key pair from a 32-byte seed. */
export function keyFromSeed(seed) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { privateKey, publicKey: new Uint8Array(Buffer.from(jwk.x, 'base64url')) };
}

export function signRaw(key, message) {
  return new Uint8Array(nodeSign(null, Buffer.from(message), key.privateKey));
}

export const day = (iso) => BigInt(isoToDay(iso));

/** A tagged COSE_Sign1; options let tests break it. */
export async function coseSign1(key, payload, { contentType, protectedBytes, unprotected, signature, kid } = {}) {
  const prot = protectedBytes ?? protectedHeader(kid ?? (await kidOf(key.publicKey)), contentType);
  const sig = signature ?? signRaw(key, sigStructure(prot, payload));
  return encodeCbor(new CborTag(18n, [prot, unprotected ?? new CborMap([]), payload, sig]));
}

export function cardNumberBytes(digits) {
  let v = BigInt(digits);
  const out = new Uint8Array(5);
  for (let i = 4; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

/** A valid card number from 11 digits. */
export function withCheckDigit(body) {
  const d = body.padStart(11, '0');
  for (let c = 0; c < 10; c++) if (damm(d + c) === 0) return d + c;
  throw new Error('unreachable');
}

export function claims({ iss = 'bern', issued = '2026-03-01', validUntil = '2031-02-28', number = '012345678906',
  given = 'Anna', family = 'Muster', dob = '1990-05-17', extra } = {}) {
  const card = [[1n, given], [2n, family]];
  if (dob) card.push([3n, day(dob)]);
  if (extra) card.push(...extra);
  return encodeCbor(new CborMap([
    [1n, iss],
    [4n, (day(validUntil) + 1n) * 86400n],
    [6n, day(issued) * 86400n],
    [7n, cardNumberBytes(number)],
    [-65537n, new CborMap(card)],
  ]));
}

export async function trustPayload({ issuer = 'bern', name = 'Stadt Bern', issued = '2026-01-01', nextUpdate = '2026-07-01', root, keys }) {
  const entries = [];
  for (const k of keys) {
    entries.push(new CborMap([
      [1n, k.kid ?? (await kidOf(k.key.publicKey))],
      [2n, k.key.publicKey],
      [3n, k.office ?? 'Einwohnerdienste'],
      [4n, day(k.signFrom ?? '2026-01-01')],
      [5n, day(k.signUntil ?? '2028-12-31')],
      [6n, day(k.verifyUntil ?? '2034-12-31')],
      [7n, BigInt(k.usage ?? 1)],
    ]));
  }
  return encodeCbor(new CborMap([
    [1n, issuer], [2n, name], [3n, day(issued)], [4n, day(nextUpdate)], [5n, root.publicKey], [6n, entries],
  ]));
}

export async function trustList(root, opts) {
  return coseSign1(root, await trustPayload({ root, ...opts }), { contentType: CONTENT_TYPE_TRUST_LIST });
}

export function revocationPayload({ issuer = 'bern', issued = '2026-03-01', nextUpdate = '2026-03-08', numbers = [] } = {}) {
  const bytes = new Uint8Array(numbers.length * 5);
  numbers.forEach((n, i) => bytes.set(cardNumberBytes(n), i * 5));
  return encodeCbor(new CborMap([[1n, issuer], [2n, day(issued)], [3n, day(nextUpdate)], [4n, bytes]]));
}

export async function revocationList(signer, opts) {
  return coseSign1(signer, revocationPayload(opts), { contentType: CONTENT_TYPE_REVOCATIONS });
}

/**
 * Golomb–Rice codes of card numbers (§8.2), written with BigInt from the
 * spec, independently of the verifier's decoder: the first 11 digits of each
 * number, gap to the previous minus one, q one-bits, a zero-bit, k low bits;
 * bits fill bytes from the most significant end, zero-padded. `k` and
 * `bits` (extra bits appended before padding) let tests break it.
 */
export function riceCode(numbers, { k, extraBits = '' } = {}) {
  const bodies = numbers.map((n) => BigInt(n) / 10n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const n = BigInt(bodies.length);
  let param = 0n;
  if (n > 0n) { const q = 100_000_000_000n / n; while ((1n << (param + 1n)) <= q) param++; }
  const kk = k === undefined ? param : BigInt(k);
  let bits = '';
  let next = 0n;
  for (const b of bodies) {
    const d = b - next;
    bits += '1'.repeat(Number(d >> kk)) + '0';
    if (kk > 0n) bits += (d & ((1n << kk) - 1n)).toString(2).padStart(Number(kk), '0');
    next = b + 1n;
  }
  bits += extraBits;
  while (bits.length % 8 !== 0) bits += '0';
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return { n, k: kk, bytes: out };
}

export function revocationPayloadV2({ issuer = 'bern', issued = '2026-03-01', nextUpdate = '2026-03-08', numbers = [],
  k, extraBits, count, coded } = {}) {
  const rc = riceCode(numbers, { k, extraBits });
  return encodeCbor(new CborMap([[1n, issuer], [2n, day(issued)], [3n, day(nextUpdate)],
    [5n, count ?? rc.n], [6n, rc.k], [7n, coded ?? rc.bytes]]));
}

export async function revocationListV2(signer, opts) {
  return coseSign1(signer, revocationPayloadV2(opts), { contentType: CONTENT_TYPE_REVOCATIONS_V2 });
}

export async function card(office, opts, coseOpts) {
  return encodeText(await coseSign1(office, claims(opts), coseOpts));
}
