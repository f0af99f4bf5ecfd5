// City Card verifier for the browser (and Node 20+), written from
// docs/card-format.md (format version 1). No dependencies, no build step.
//
// It makes no network call and keeps no record of what it verified: the
// caller hands it the trust list, the revocation list and the scanned text.
//
// Section numbers (§n) refer to docs/card-format.md.

// ───────────────────────────── constants ─────────────────────────────

/** Outcome codes, in the order of the table in §9. */
export const OUTCOMES = Object.freeze([
  'valid', 'expired', 'not_yet_valid', 'revoked',
  'unknown_key', 'key_not_allowed', 'bad_signature', 'malformed',
]);

/** Warning codes (§9). */
export const WARNINGS = Object.freeze([
  'development_keys', 'no_revocation_list', 'revocation_list_stale', 'trust_list_stale',
]);

/** The issuer identifier reserved for development trust lists (§7). */
export const DEVELOPMENT_ISSUER = 'dev';

/** Whether a loaded trust list is a development list (§7): its cards are not real City Cards. */
export function isDevelopmentList(trust) {
  return trust.issuer === DEVELOPMENT_ISSUER;
}

export const PREFIX = 'CC1';
export const MAX_COSE_BYTES = 1024;
export const MAX_TRUST_LIST_BYTES = 262144;
export const MAX_REVOCATION_LIST_BYTES = 8388608;
export const CONTENT_TYPE_TRUST_LIST = 'application/vnd.citycard.trust-list+cbor';
export const CONTENT_TYPE_REVOCATIONS = 'application/vnd.citycard.revocations+cbor';
export const CONTENT_TYPE_REVOCATIONS_V2 = 'application/vnd.citycard.revocations-v2+cbor';

/** Day range of §1: 1900-01-01 … 2199-12-31 as days since 1970-01-01. */
export const MIN_DAY = -25567;
export const MAX_DAY = 84005;
const SECONDS_PER_DAY = 86400;

/** Claim keys (§5). */
const CLAIM = Object.freeze({ ISS: 1, EXP: 4, IAT: 6, CTI: 7, CARD: -65537 });

/** An error in the input: the text, the COSE object or a list. */
export class FormatError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FormatError';
  }
}

/** A trust list or revocation list that must be refused. */
export class ListError extends Error {
  constructor(list, message) {
    super(`${list}: ${message}`);
    this.name = 'ListError';
    this.list = list;
  }
}

const fail = (message) => { throw new FormatError(message); };

// ───────────────────────────── bytes ─────────────────────────────

export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex) {
  const clean = String(hex);
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) fail('not hex');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytewise (lexicographic) comparison: <0, 0, >0. */
function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ───────────────────────────── QR text (§2) ─────────────────────────────

const GROUP_BYTES = 7;
const GROUP_DIGITS = 17;
/** Digits for a final group of k bytes, indexed by k (0 unused). */
const TAIL_DIGITS = [0, 3, 5, 8, 10, 13, 15];

/** Encodes COSE bytes as QR text (for tests and tools). */
export function encodeText(bytes) {
  let out = PREFIX;
  for (let i = 0; i < bytes.length; i += GROUP_BYTES) {
    const chunk = bytes.subarray(i, i + GROUP_BYTES);
    let value = 0n;
    for (const b of chunk) value = (value << 8n) | BigInt(b);
    const width = chunk.length === GROUP_BYTES ? GROUP_DIGITS : TAIL_DIGITS[chunk.length];
    out += value.toString().padStart(width, '0');
  }
  return out;
}

/** The ASCII whitespace of §2 step 1 (HT, LF, FF, CR, SP). */
const EDGE_WHITESPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

/** Decodes QR text into COSE bytes (§2). Throws FormatError. */
export function decodeText(text) {
  if (typeof text !== 'string') fail('text: not a string');
  const trimmed = text.replace(EDGE_WHITESPACE, '');
  // ASCII case-insensitive only: no Unicode case mapping.
  if (!/^[Cc][Cc]1/.test(trimmed)) fail('text: no CC1 prefix');
  const digits = trimmed.slice(PREFIX.length);
  if (!/^[0-9]*$/.test(digits)) fail('text: a character is not a digit 0-9');
  const n = digits.length;
  const tail = TAIL_DIGITS.indexOf(n % GROUP_DIGITS);
  if (n === 0 || (n % GROUP_DIGITS !== 0 && tail < 1)) fail('text: wrong number of digits');
  const length = GROUP_BYTES * Math.floor(n / GROUP_DIGITS) + (n % GROUP_DIGITS === 0 ? 0 : tail);
  if (length > MAX_COSE_BYTES) fail('text: too long');
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < n; i += GROUP_DIGITS) {
    const group = digits.slice(i, i + GROUP_DIGITS);
    const k = group.length === GROUP_DIGITS ? GROUP_BYTES : TAIL_DIGITS.indexOf(group.length);
    let value = BigInt(group);
    if (value >= 1n << BigInt(8 * k)) fail('text: a digit group is too large for its bytes');
    for (let j = k - 1; j >= 0; j--) {
      out[at + j] = Number(value & 0xffn);
      value >>= 8n;
    }
    at += k;
  }
  return out;
}

// ───────────────────────────── CBOR (RFC 8949) ─────────────────────────────
//
// A strict decoder for the subset this format uses: unsigned and negative
// integers (as BigInt), byte strings (Uint8Array), text strings (string),
// arrays (Array), maps (CborMap), tags (CborTag) and the simple values
// false/true/null/undefined (CborSimple). It accepts only the deterministic
// encoding of §1 (RFC 8949 §4.2.1): shortest-form heads, definite lengths,
// map keys strictly ascending in the bytewise order of their encodings (so no
// duplicates), nothing after the item. Floats and other simple values are
// refused: nothing in this format uses them.

export class CborMap {
  /** @param {Array<[any, any]>} entries in encoded order */
  constructor(entries) { this.entries = entries; }
}

export class CborTag {
  constructor(tag, value) { this.tag = tag; this.value = value; }
}

export class CborSimple {
  constructor(value) { this.value = value; }
}

const MAX_DEPTH = 16;

/** Decodes exactly one deterministically encoded CBOR item. Throws FormatError. */
export function decodeCbor(bytes, what = 'CBOR') {
  const state = { bytes, at: 0, what };
  const item = readItem(state, 0);
  if (state.at !== bytes.length) fail(`${what}: bytes after the item`);
  return item;
}

function readHead(s) {
  const { bytes, what } = s;
  if (s.at >= bytes.length) fail(`${what}: truncated`);
  const initial = bytes[s.at++];
  const major = initial >> 5;
  const info = initial & 0x1f;
  let arg;
  if (info < 24) {
    arg = BigInt(info);
  } else if (info <= 27) {
    const size = 1 << (info - 24); // 1, 2, 4, 8
    if (s.at + size > bytes.length) fail(`${what}: truncated`);
    arg = 0n;
    for (let i = 0; i < size; i++) arg = (arg << 8n) | BigInt(bytes[s.at + i]);
    s.at += size;
    // Shortest form: the argument must not fit a shorter head.
    const floor = info === 24 ? 24n : 1n << BigInt(4 * size); // 2^(8·size/2)
    if (major !== 7 && arg < floor) fail(`${what}: not deterministic (over-long head)`);
  } else if (info === 31) {
    fail(`${what}: indefinite length is not allowed`);
  } else {
    fail(`${what}: reserved additional information`);
  }
  return { major, info, arg };
}

function readItem(s, depth) {
  if (depth > MAX_DEPTH) fail(`${s.what}: nested too deeply`);
  const start = s.at;
  const { major, info, arg } = readHead(s);
  switch (major) {
    case 0:
      return arg;
    case 1:
      return -1n - arg;
    case 2:
    case 3: {
      if (arg > BigInt(s.bytes.length - s.at)) fail(`${s.what}: truncated`);
      const len = Number(arg);
      const slice = s.bytes.subarray(s.at, s.at + len);
      s.at += len;
      if (major === 2) return slice;
      try {
        return utf8Decoder.decode(slice);
      } catch {
        return fail(`${s.what}: text is not UTF-8`);
      }
    }
    case 4: {
      // Every item takes at least one byte: a cheap bound before allocating.
      if (arg > BigInt(s.bytes.length - s.at)) fail(`${s.what}: truncated`);
      const out = [];
      for (let i = 0n; i < arg; i++) out.push(readItem(s, depth + 1));
      return out;
    }
    case 5: {
      if (arg * 2n > BigInt(s.bytes.length - s.at)) fail(`${s.what}: truncated`);
      const entries = [];
      let previousKey = null;
      for (let i = 0n; i < arg; i++) {
        const keyStart = s.at;
        const key = readItem(s, depth + 1);
        const keyBytes = s.bytes.subarray(keyStart, s.at);
        if (previousKey && compareBytes(previousKey, keyBytes) >= 0) {
          fail(`${s.what}: not deterministic (map keys out of order or repeated)`);
        }
        previousKey = keyBytes;
        entries.push([key, readItem(s, depth + 1)]);
      }
      return new CborMap(entries);
    }
    case 6:
      return new CborTag(arg, readItem(s, depth + 1));
    default: // 7
      if (info >= 20 && info <= 23) return new CborSimple(info);
      s.at = start;
      return fail(`${s.what}: floats and other simple values are not allowed`);
  }
}

function encodeHead(major, value) {
  const v = BigInt(value);
  const m = major << 5;
  if (v < 24n) return Uint8Array.of(m | Number(v));
  let size;
  let info;
  if (v < 0x100n) { size = 1; info = 24; } else if (v < 0x10000n) { size = 2; info = 25; } else if (v < 0x100000000n) { size = 4; info = 26; } else { size = 8; info = 27; }
  const out = new Uint8Array(1 + size);
  out[0] = m | info;
  let rest = v;
  for (let i = size; i >= 1; i--) { out[i] = Number(rest & 0xffn); rest >>= 8n; }
  return out;
}

/**
 * Encodes a value deterministically: bigint or integer number, Uint8Array,
 * string, Array, CborMap (entries are sorted), CborTag, CborSimple.
 */
export function encodeCbor(value) {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('only integers are supported');
    value = BigInt(value);
  }
  if (typeof value === 'bigint') {
    return value >= 0n ? encodeHead(0, value) : encodeHead(1, -1n - value);
  }
  if (value instanceof Uint8Array) return concatBytes(encodeHead(2, value.length), value);
  if (typeof value === 'string') {
    const b = utf8Encoder.encode(value);
    return concatBytes(encodeHead(3, b.length), b);
  }
  if (Array.isArray(value)) return concatBytes(encodeHead(4, value.length), ...value.map(encodeCbor));
  if (value instanceof CborMap) {
    const pairs = value.entries.map(([k, v]) => [encodeCbor(k), encodeCbor(v)]);
    pairs.sort((a, b) => compareBytes(a[0], b[0]));
    return concatBytes(encodeHead(5, pairs.length), ...pairs.flat());
  }
  if (value instanceof CborTag) return concatBytes(encodeHead(6, value.tag), encodeCbor(value.value));
  if (value instanceof CborSimple) return Uint8Array.of(0xe0 | value.value);
  throw new TypeError('cannot encode this value');
}

/**
 * Takes a map apart: it must have exactly the keys `required` (plus any of
 * `optional`), all integers. Returns a Map from key number to value.
 */
function expectMap(value, required, optional, what) {
  if (!(value instanceof CborMap)) fail(`${what}: not a map`);
  const out = new Map();
  for (const [k, v] of value.entries) {
    if (typeof k !== 'bigint') fail(`${what}: a key is not an integer`);
    const key = Number(k);
    if (!required.includes(key) && !optional.includes(key)) fail(`${what}: unexpected key ${key}`);
    out.set(key, v);
  }
  for (const k of required) if (!out.has(k)) fail(`${what}: missing key ${k}`);
  return out;
}

function expectInt(v, what) {
  if (typeof v !== 'bigint') fail(`${what}: not an integer`);
  return v;
}

function expectText(v, what) {
  if (typeof v !== 'string') fail(`${what}: not a text string`);
  return v;
}

function expectBytes(v, what, length) {
  if (!(v instanceof Uint8Array)) fail(`${what}: not a byte string`);
  if (length !== undefined && v.length !== length) fail(`${what}: not ${length} bytes`);
  return v;
}

// ───────────────────────────── dates (§1) ─────────────────────────────

/** A day (days since 1970-01-01) as YYYY-MM-DD. */
export function dayToISO(day) {
  return new Date(Number(day) * SECONDS_PER_DAY * 1000).toISOString().slice(0, 10);
}

/** YYYY-MM-DD (a calendar date, no time zone) as days since 1970-01-01. */
export function isoToDay(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso));
  if (!m) throw new RangeError('a date is written YYYY-MM-DD');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError('no such date');
  }
  return Math.round(ms / (SECONDS_PER_DAY * 1000));
}

/** Today's local calendar date as YYYY-MM-DD (§9: the desk's local date). */
export function localToday(now = new Date()) {
  const p = (n, w) => String(n).padStart(w, '0');
  return `${p(now.getFullYear(), 4)}-${p(now.getMonth() + 1, 2)}-${p(now.getDate(), 2)}`;
}

/** A day value from a map (§1): an int in the supported range. */
function expectDay(v, what) {
  const d = expectInt(v, what);
  if (d < BigInt(MIN_DAY) || d > BigInt(MAX_DAY)) fail(`${what}: date out of range`);
  return Number(d);
}

// ───────────────────────────── names (§5) ─────────────────────────────

// Cc, the interlinear annotation characters, U+FFFC–U+FFFF, private use, and
// every Default_Ignorable_Code_Point as listed in §5 (the same ranges in
// Unicode 15.1 to 17.0) except ZWNJ U+200C and ZWJ U+200D. The list is
// written out rather than \p{Default_Ignorable_Code_Point} so that a browser
// on another Unicode version gives the same answer. Unassigned code points
// are the signer's rule only (§5): a verifier does not check them.
const FORBIDDEN_CHARS = new RegExp('[\\p{Cc}\\uFFF9-\\uFFFF\\uE000-\\uF8FF' +
  '\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F\\u200B\\u200E\\u200F' +
  '\\u202A-\\u202E\\u2060-\\u206F\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF0-\\uFFF8' +
  '\\u{1BCA0}-\\u{1BCA3}\\u{1D173}-\\u{1D17A}\\u{E0000}-\\u{E0FFF}]', 'u');
const WHITE_SPACE = /\p{White_Space}/gu;

/**
 * Checks the name rules of §5. Returns null when the text follows them, or a
 * short reason (which never contains the text itself).
 */
export function nameProblem(text, { issuer = false, mayBeEmpty = false } = {}) {
  const [maxChars, maxBytes] = issuer ? [32, 64] : [64, 160];
  if (typeof text !== 'string') return 'not text';
  if (text === '') return mayBeEmpty ? null : 'empty';
  if (utf8Encoder.encode(text).length > maxBytes) return `more than ${maxBytes} UTF-8 bytes`;
  if ([...text].length > maxChars) return `more than ${maxChars} characters`;
  if (FORBIDDEN_CHARS.test(text)) return 'a forbidden character';
  for (const m of text.matchAll(WHITE_SPACE)) if (m[0] !== ' ') return 'a forbidden character';
  if (text.startsWith(' ') || text.endsWith(' ') || text.includes('  ')) return 'bad spacing';
  if (text.normalize('NFC') !== text) return 'not in NFC';
  return null;
}

function expectName(v, what, options) {
  const text = expectText(v, what);
  const problem = nameProblem(text, options);
  if (problem) fail(`${what}: ${problem}`);
  return text;
}

// ───────────────────────────── card numbers (§4) ─────────────────────────────

const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/** The Damm interim over a string of digits (0 for a valid card number). */
export function damm(digits) {
  let interim = 0;
  for (const c of digits) interim = DAMM[interim][c.charCodeAt(0) - 48];
  return interim;
}

/** The 12 digits of a card number in binary form, or null if it is not valid. */
export function cardNumberFromBytes(bytes) {
  if (bytes.length !== 5) return null;
  let value = 0;
  for (const b of bytes) value = value * 256 + b;
  if (value >= 1e12) return null;
  const digits = String(value).padStart(12, '0');
  return damm(digits) === 0 ? digits : null;
}

/**
 * A card number typed by hand (12 digits; spaces and hyphens allowed), as
 * its digits, or null when the text is not shaped like a card number. The
 * check digit is not checked here (see Verifier.checkNumber).
 */
export function typedCardNumber(text) {
  const t = String(text).replace(/[\s-]/g, '');
  return /^[0-9]{12}$/.test(t) ? t : null;
}

/** `012345678906` → `0123 4567 8906`. */
export function formatCardNumber(digits) {
  return `${digits.slice(0, 4)} ${digits.slice(4, 8)} ${digits.slice(8, 12)}`;
}

// ───────────────────────────── SHA-256, kid, fingerprint (§3) ─────────────────────────────

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new Error('WebCrypto is not available (the page must be served over HTTPS or from localhost)');
  return s;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

/** kid = SHA-256(public key)[0..8] (§3.1). */
export async function kidOf(publicKey) {
  return (await sha256(publicKey)).subarray(0, 8);
}

/** The root fingerprint as 64 lower-case hex digits (§3.2). */
export async function fingerprintHex(publicKey) {
  return toHex(await sha256(publicKey));
}

/** 64 hex digits shown in 16 groups of four (§3.2). */
export function formatFingerprint(hex) {
  return hex.toLowerCase().match(/.{1,4}/g).join(' ');
}

/** A fingerprint typed by a person: spaces, colons, hyphens ignored, any case. */
export function parseFingerprint(text) {
  const hex = String(text).replace(/[\s:-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new FormatError('a fingerprint has 64 hex digits');
  return fromHex(hex);
}

// ───────────────────────────── Ed25519 (§3) ─────────────────────────────
//
// Signatures are checked with WebCrypto where the browser has Ed25519, and
// otherwise with the small BigInt implementation below (RFC 8032 §5.1.7,
// cofactorless, as ed25519-dalek's verify_strict). Either way the strict rules
// of §3 are enforced here first: S < L, R and A not of small order, A a valid
// point.

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;
const BASE = Object.freeze({
  x: 15112221349535400772501151409588531511454012693041857206046113283949847762202n,
  y: 46316835694926478169428394003475163141307993866256225615783033603165251855960n,
});
/** y coordinates (mod p) of the 8 points of small order: 1, −1, 0 and ±y₈. */
const SMALL_ORDER_Y = Object.freeze([
  0n, 1n, P - 1n,
  2707385501144840649318225287225658788936804267575313519463743609750303402022n,
  P - 2707385501144840649318225287225658788936804267575313519463743609750303402022n,
]);

const mod = (a, m = P) => { const r = a % m; return r >= 0n ? r : r + m; };

function powMod(base, exp, m = P) {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

function leToBigInt(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** The y coordinate of an encoded point, reduced mod p (the sign bit dropped). */
function encodedY(bytes) {
  return mod(leToBigInt(bytes) & ((1n << 255n) - 1n));
}

/**
 * Whether a 32-byte encoding names a point of small order, including the
 * non-canonical encodings (y ≥ p, or x = 0 with the sign bit set).
 */
export function isSmallOrderEncoding(bytes) {
  if (bytes.length !== 32) return true;
  const y = encodedY(bytes);
  return SMALL_ORDER_Y.includes(y);
}

/** Decompresses a point (RFC 8032 §5.1.3, y reduced mod p); null if not on the curve. */
function decompress(bytes) {
  if (bytes.length !== 32) return null;
  const y = encodedY(bytes);
  const sign = bytes[31] >> 7;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  const v3 = mod(v * v * v);
  let x = mod(u * v3 * powMod(u * v3 * v3 * v, (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
  else if (vx2 !== u) return null;
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = P - x;
  return { X: x, Y: y, Z: 1n, T: mod(x * y) };
}

const validKeys = new Set(); // hex of keys already found valid

/** Whether 32 bytes are a valid Ed25519 public key not of small order (§7). */
export function isValidPublicKey(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) return false;
  const id = toHex(bytes);
  if (validKeys.has(id)) return true;
  if (isSmallOrderEncoding(bytes) || decompress(bytes) === null) return false;
  if (validKeys.size < 1000) validKeys.add(id);
  return true;
}

function pointAdd(p, q) {
  const a = mod((p.Y - p.X) * (q.Y - q.X));
  const b = mod((p.Y + p.X) * (q.Y + q.X));
  const c = mod(p.T * 2n * D * q.T);
  const d = mod(p.Z * 2n * q.Z);
  const e = b - a; const f = d - c; const g = d + c; const h = b + a;
  return { X: mod(e * f), Y: mod(g * h), T: mod(e * h), Z: mod(f * g) };
}

function pointDouble(p) {
  const a = mod(p.X * p.X);
  const b = mod(p.Y * p.Y);
  const c = mod(2n * p.Z * p.Z);
  const h = a + b;
  const e = mod(h - (p.X + p.Y) * (p.X + p.Y));
  const g = a - b;
  const f = c + g;
  return { X: mod(e * f), Y: mod(g * h), T: mod(e * h), Z: mod(f * g) };
}

function scalarMult(point, k) {
  let acc = { X: 0n, Y: 1n, Z: 1n, T: 0n };
  for (let i = BigInt(k.toString(2).length) - 1n; i >= 0n; i--) {
    acc = pointDouble(acc);
    if ((k >> i) & 1n) acc = pointAdd(acc, point);
  }
  return acc;
}

function encodePoint(p) {
  const zi = powMod(p.Z, P - 2n);
  const x = mod(p.X * zi);
  const y = mod(p.Y * zi);
  const out = new Uint8Array(32);
  let v = y;
  for (let i = 0; i < 32; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  out[31] |= Number(x & 1n) << 7;
  return out;
}

/** Pure-JS Ed25519 verification (cofactorless, encodings compared). */
async function verifyFallback(publicKey, message, signature) {
  const a = decompress(publicKey);
  if (!a) return false;
  const r = signature.subarray(0, 32);
  const s = leToBigInt(signature.subarray(32));
  const h = new Uint8Array(await subtle().digest('SHA-512', concatBytes(r, publicKey, message)));
  const k = mod(leToBigInt(h), L);
  const base = { X: BASE.x, Y: BASE.y, Z: 1n, T: mod(BASE.x * BASE.y) };
  const negA = { X: mod(-a.X), Y: a.Y, Z: a.Z, T: mod(-a.T) };
  const check = pointAdd(scalarMult(base, s), scalarMult(negA, k));
  return bytesEqual(encodePoint(check), r);
}

let webCryptoEd25519 = null; // null: not yet known; true/false after the first try
const importedKeys = new Map(); // hex of public key → CryptoKey

/** For tests: 'auto' (WebCrypto if available), 'webcrypto' or 'js'. */
let ed25519Mode = 'auto';
export function setEd25519Mode(mode) {
  if (!['auto', 'webcrypto', 'js'].includes(mode)) throw new TypeError('unknown mode');
  ed25519Mode = mode;
}

/** Which implementation verifies signatures here: 'webcrypto' or 'js'. */
export async function ed25519Implementation() {
  if (ed25519Mode !== 'auto') return ed25519Mode;
  if (webCryptoEd25519 === null) {
    try {
      // RFC 8032 §7.1 TEST 1 public key: a valid point.
      await subtle().importKey('raw', fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'), { name: 'Ed25519' }, false, ['verify']);
      webCryptoEd25519 = true;
    } catch {
      webCryptoEd25519 = false;
    }
  }
  return webCryptoEd25519 ? 'webcrypto' : 'js';
}

/**
 * Strict Ed25519 verification (§3): rejects S ≥ L, small-order R (in any
 * encoding), and invalid or small-order public keys before checking the
 * signature itself.
 */
export async function verifyEd25519(publicKey, message, signature) {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!isValidPublicKey(publicKey)) return false;
  if (leToBigInt(signature.subarray(32)) >= L) return false;
  if (isSmallOrderEncoding(signature.subarray(0, 32))) return false;
  if ((await ed25519Implementation()) === 'js') return verifyFallback(publicKey, message, signature);
  const id = toHex(publicKey);
  let key = importedKeys.get(id);
  if (!key) {
    key = await subtle().importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    importedKeys.set(id, key);
  }
  try {
    return await subtle().verify({ name: 'Ed25519' }, key, signature, message);
  } catch {
    return false;
  }
}

// ───────────────────────────── COSE_Sign1 (§6) ─────────────────────────────

/** The expected protected header for this kid and optional content type. */
export function protectedHeader(kid, contentType) {
  const entries = [[1n, -8n]];
  if (contentType) entries.push([3n, contentType]);
  entries.push([4n, kid]);
  return encodeCbor(new CborMap(entries));
}

/**
 * Parses a tagged COSE_Sign1 under the rules of §6 (cards, contentType
 * undefined) or §7/§8 (lists). Throws FormatError. The signature is not
 * checked here.
 */
export function parseCoseSign1(bytes, { maxBytes = MAX_COSE_BYTES, contentType } = {}) {
  const what = 'COSE_Sign1';
  if (!(bytes instanceof Uint8Array)) fail(`${what}: not bytes`);
  if (bytes.length > maxBytes) fail(`${what}: too large`);
  const top = decodeCbor(bytes, what);
  if (!(top instanceof CborTag) || top.tag !== 18n) fail(`${what}: not tagged 18`);
  const arr = top.value;
  if (!Array.isArray(arr) || arr.length !== 4) fail(`${what}: not an array of 4`);
  const [prot, unprot, payload, signature] = arr;
  expectBytes(prot, `${what} protected header`);
  const kidLength = 8;
  if (prot.length < kidLength) fail(`${what}: protected header is not ours`);
  const kid = prot.slice(prot.length - kidLength);
  // A list may have one of several content types (revocation list v1, v2).
  const types = Array.isArray(contentType) ? contentType : [contentType];
  const which = types.findIndex((ct) => bytesEqual(prot, protectedHeader(kid, ct)));
  if (which < 0) fail(`${what}: protected header is not exactly {1: -8${contentType ? ', 3: type' : ''}, 4: kid}`);
  if (!(unprot instanceof CborMap) || unprot.entries.length !== 0) fail(`${what}: unprotected header is not empty`);
  if (!(payload instanceof Uint8Array)) fail(`${what}: payload missing`);
  expectBytes(signature, `${what} signature`, 64);
  return { kid, protectedBytes: prot, payload, signature, contentType: types[which] };
}

/** Sig_structure (RFC 9052 §4.4) with empty external AAD, protected bytes as received. */
export function sigStructure(protectedBytes, payload) {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

async function verifyCose(parsed, publicKey) {
  return verifyEd25519(publicKey, sigStructure(parsed.protectedBytes, parsed.payload), parsed.signature);
}

// ───────────────────────────── card claims (§5) ─────────────────────────────

/** Parses and checks a card payload (§5). Throws FormatError. */
export function parseClaims(payload) {
  const what = 'claims';
  const top = expectMap(decodeCbor(payload, what), [CLAIM.ISS, CLAIM.EXP, CLAIM.IAT, CLAIM.CTI, CLAIM.CARD], [], what);
  const issuer = expectName(top.get(CLAIM.ISS), 'issuer', { issuer: true });
  const exp = expectInt(top.get(CLAIM.EXP), 'exp');
  const iat = expectInt(top.get(CLAIM.IAT), 'iat');
  const cti = expectBytes(top.get(CLAIM.CTI), 'card number', 5);
  const card = expectMap(top.get(CLAIM.CARD), [1, 2], [3], 'card');
  const givenNames = expectName(card.get(1), 'given names', { mayBeEmpty: true });
  const familyName = expectName(card.get(2), 'family name', {});
  const dateOfBirth = card.has(3) ? expectDay(card.get(3), 'date of birth') : null;
  const day = (seconds, name) => {
    if (seconds % BigInt(SECONDS_PER_DAY) !== 0n) fail(`${name}: not 00:00 UTC`);
    return expectDay(seconds / BigInt(SECONDS_PER_DAY), name);
  };
  const issued = day(iat, 'iat');
  const expDay = day(exp, 'exp');
  const lastValid = expDay - 1;
  if (lastValid < MIN_DAY) fail('exp: date out of range');
  if (expDay <= issued) fail('exp is not after iat');
  if (dateOfBirth !== null && dateOfBirth > issued) fail('date of birth is after the issue date');
  const cardNumber = cardNumberFromBytes(cti);
  if (!cardNumber) fail('card number: not valid');
  return { issuer, cardNumber, givenNames, familyName, issued, lastValid, dateOfBirth };
}

// ───────────────────────────── trust list (§7) ─────────────────────────────

function parseTrustPayload(payload) {
  const what = 'trust list';
  const top = expectMap(decodeCbor(payload, what), [1, 2, 3, 4, 5, 6], [], what);
  const list = {
    issuer: expectName(top.get(1), 'trust list issuer', { issuer: true }),
    name: expectName(top.get(2), 'trust list name', {}),
    issued: expectDay(top.get(3), 'trust list issued'),
    nextUpdate: expectDay(top.get(4), 'trust list next update'),
    rootKey: expectBytes(top.get(5), 'trust list root key', 32),
    keys: [],
  };
  const entries = top.get(6);
  if (!Array.isArray(entries)) fail('trust list keys: not an array');
  for (const entry of entries) {
    const e = expectMap(entry, [1, 2, 3, 4, 5, 6, 7], [], 'trust list key');
    const usage = expectInt(e.get(7), 'key usage');
    if (usage !== 1n && usage !== 2n && usage !== 3n) fail('key usage: not 1, 2 or 3');
    list.keys.push({
      kid: expectBytes(e.get(1), 'kid', 8),
      publicKey: expectBytes(e.get(2), 'public key', 32),
      office: expectName(e.get(3), 'office', {}),
      signFrom: expectDay(e.get(4), 'sign from'),
      signUntil: expectDay(e.get(5), 'sign until'),
      verifyUntil: expectDay(e.get(6), 'verify until'),
      usage: Number(usage),
    });
  }
  return list;
}

/**
 * Loads a signed trust list (§7) against the pinned root: either
 * `rootPublicKey` (32 bytes) or `rootFingerprint` (32 bytes or text).
 * Throws ListError when the list must be refused.
 */
export async function loadTrustList(bytes, { rootPublicKey, rootFingerprint } = {}) {
  const refuse = (message) => { throw new ListError('trust list', message); };
  let parsed;
  let list;
  try {
    parsed = parseCoseSign1(bytes, { maxBytes: MAX_TRUST_LIST_BYTES, contentType: CONTENT_TYPE_TRUST_LIST });
    list = parseTrustPayload(parsed.payload);
  } catch (e) {
    if (e instanceof FormatError) refuse(`malformed (${e.message})`);
    throw e;
  }
  let root;
  if (rootPublicKey) {
    root = rootPublicKey;
  } else if (rootFingerprint) {
    const pinned = typeof rootFingerprint === 'string' ? parseFingerprint(rootFingerprint) : rootFingerprint;
    if (!bytesEqual(await sha256(list.rootKey), pinned)) refuse('its root key does not match the pinned fingerprint');
    root = list.rootKey;
  } else {
    refuse('no pinned root key or fingerprint');
  }
  if (!isValidPublicKey(root)) refuse('the root key is not a valid Ed25519 key');
  if (!bytesEqual(parsed.kid, await kidOf(root))) refuse('not signed by the pinned root key');
  if (!(await verifyCose(parsed, root))) refuse('the signature does not verify');
  if (!bytesEqual(list.rootKey, root)) refuse('it names another root key than the one that signed it');
  if (list.nextUpdate < list.issued) refuse('next update is before the issue date');
  const seen = new Set();
  for (const k of list.keys) {
    if (!isValidPublicKey(k.publicKey)) refuse('an office key is not a valid Ed25519 key');
    if (!bytesEqual(k.kid, await kidOf(k.publicKey))) refuse('a kid does not match its public key');
    if (bytesEqual(k.publicKey, root) || bytesEqual(k.kid, parsed.kid)) refuse('the root key is listed as an office key');
    if (!(k.signFrom <= k.signUntil && k.signUntil <= k.verifyUntil)) refuse("a key's dates are out of order");
    const id = toHex(k.kid);
    if (seen.has(id)) refuse('a key is listed twice');
    seen.add(id);
  }
  list.rootKid = parsed.kid;
  list.fingerprint = await fingerprintHex(root);
  return Object.freeze(list);
}

// ───────────────────────────── revocation list (§8) ─────────────────────────────

/** Card numbers are coded by their first 11 digits (§8.2): values below this. */
export const RICE_RANGE = 100_000_000_000;

/** The Rice parameter for n numbers (§8.2): floor(log2(floor(10^11 / n))), 0 for n = 0. */
export function riceParameter(n) {
  if (n === 0 || n > RICE_RANGE) return 0;
  const q = Math.floor(RICE_RANGE / n);
  let k = 0;
  while (2 ** (k + 1) <= q) k++;
  return k;
}

/**
 * Decodes n Golomb–Rice codes with parameter k (§8.2) into a Float64Array of
 * strictly ascending values below 10^11 (exact in doubles). Throws
 * FormatError for any non-canonical input: another parameter, too few bits,
 * a value out of range, bits left over.
 */
export function riceDecode(n, k, bytes) {
  const what = 'revoked numbers';
  if (k !== riceParameter(n)) fail(`${what}: the Rice parameter is not the one the count gives`);
  const len = bytes.length;
  if (n * (k + 1) > len * 8) fail(`${what}: the coded numbers end before the count is reached`);
  const out = new Float64Array(n);
  const maxQ = Math.floor(RICE_RANGE / 2 ** k);
  const scale = 2 ** k;
  let pos = 0; // bit position
  let next = 0; // smallest value the next one may have
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (;;) {
      const at = pos >>> 3;
      if (at >= len) fail(`${what}: the coded numbers end before the count is reached`);
      const bit = (bytes[at] >>> (7 - (pos & 7))) & 1;
      pos++;
      if (bit === 0) break;
      if (++q > maxQ) fail(`${what}: a coded number is out of range`);
    }
    if (pos + k > len * 8) fail(`${what}: the coded numbers end before the count is reached`);
    let low = 0;
    let width = k;
    while (width > 0) {
      const off = pos & 7;
      const take = Math.min(8 - off, width);
      const chunk = (bytes[pos >>> 3] >>> (8 - off - take)) & ((1 << take) - 1);
      low = low * (1 << take) + chunk;
      pos += take;
      width -= take;
    }
    const value = next + q * scale + low;
    if (value >= RICE_RANGE) fail(`${what}: a coded number is out of range`);
    out[i] = value;
    next = value + 1;
  }
  const left = len * 8 - pos;
  if (left >= 8 || (left > 0 && (bytes[len - 1] & ((1 << left) - 1)) !== 0)) {
    fail(`${what}: bits follow the last coded number`);
  }
  return out;
}

/** The first 11 digits of a card number in binary form (§4) as a number. */
function bodyOf(cti) {
  let value = 0;
  for (const b of cti) value = value * 256 + b;
  return Math.floor(value / 10);
}

function parseRevocationPayload(payload, contentType) {
  const what = 'revocation list';
  const v2 = contentType === CONTENT_TYPE_REVOCATIONS_V2;
  const top = expectMap(decodeCbor(payload, what), v2 ? [1, 2, 3, 5, 6, 7] : [1, 2, 3, 4], [], what);
  const list = {
    version: v2 ? 2 : 1,
    issuer: expectName(top.get(1), 'revocation list issuer', { issuer: true }),
    issued: expectDay(top.get(2), 'revocation list issued'),
    nextUpdate: expectDay(top.get(3), 'revocation list next update'),
    bodies: null,
  };
  if (v2) {
    const count = expectInt(top.get(5), 'revoked count');
    const k = expectInt(top.get(6), 'Rice parameter');
    if (count < 0n || k < 0n) fail('revoked numbers: the count or the Rice parameter is negative');
    if (count > BigInt(MAX_REVOCATION_LIST_BYTES) * 8n || k > 64n) fail('revoked numbers: the coded numbers end before the count is reached');
    list.bodies = riceDecode(Number(count), Number(k), expectBytes(top.get(7), 'revoked numbers'));
    return list;
  }
  const r = expectBytes(top.get(4), 'revoked numbers');
  if (r.length % 5 !== 0) fail('revoked numbers: not a multiple of 5 bytes');
  const bodies = new Float64Array(r.length / 5);
  for (let at = 0; at < r.length; at += 5) {
    const entry = r.subarray(at, at + 5);
    if (!cardNumberFromBytes(entry)) fail('revoked numbers: a number is not a valid card number');
    if (at > 0 && compareBytes(r.subarray(at - 5, at), entry) >= 0) fail('revoked numbers: not strictly ascending');
    bodies[at / 5] = bodyOf(entry);
  }
  list.bodies = bodies;
  return list;
}

/**
 * Loads a signed revocation list (§8, version 1 or 2) for a loaded trust
 * list. Throws ListError. `newestSeen` (a day number, or null) is the issue
 * day of the newest list this verifier accepted before: an older list is
 * refused (§8.3), since it could un-revoke cards. The error then has
 * `older: true`.
 */
export async function loadRevocationList(bytes, trust, { newestSeen = null } = {}) {
  const refuse = (message) => { throw new ListError('revocation list', message); };
  let parsed;
  let list;
  try {
    parsed = parseCoseSign1(bytes, { maxBytes: MAX_REVOCATION_LIST_BYTES, contentType: [CONTENT_TYPE_REVOCATIONS_V2, CONTENT_TYPE_REVOCATIONS] });
    list = parseRevocationPayload(parsed.payload, parsed.contentType);
  } catch (e) {
    if (e instanceof FormatError) refuse(`malformed (${e.message})`);
    throw e;
  }
  let signer = null;
  let publicKey;
  if (bytesEqual(parsed.kid, trust.rootKid)) {
    publicKey = trust.rootKey;
  } else {
    signer = trust.keys.find((k) => bytesEqual(k.kid, parsed.kid));
    if (!signer) refuse('signed by a key that is not in the trust list');
    if ((signer.usage & 2) === 0) refuse('signed by a key not allowed to sign revocations');
    publicKey = signer.publicKey;
  }
  if (!(await verifyCose(parsed, publicKey))) refuse('the signature does not verify');
  if (signer && !(signer.signFrom <= list.issued && list.issued <= signer.signUntil)) {
    refuse("issued outside the signing key's window");
  }
  if (list.issuer !== trust.issuer) refuse('issued for another issuer than the trust list');
  if (list.nextUpdate < list.issued) refuse('next update is before the issue date');
  if (newestSeen !== null && newestSeen !== undefined && list.issued < newestSeen) {
    const e = new ListError('revocation list', `issued ${dayToISO(list.issued)}, before the newest list already seen (issued ${dayToISO(newestSeen)}); an older list is refused because it could un-revoke cards`);
    e.older = true;
    e.issued = list.issued;
    e.newestSeen = newestSeen;
    throw e;
  }
  list.count = list.bodies.length;
  return Object.freeze(list);
}

/** Whether a card number (binary form, §4) is on the list: binary search over the 11-digit bodies. */
export function isRevoked(list, cti) {
  const body = bodyOf(cti);
  const r = list.bodies;
  let lo = 0;
  let hi = r.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = r[mid];
    if (x === body) return true;
    if (x < body) lo = mid + 1; else hi = mid;
  }
  return false;
}

// ───────────────────────────── verification (§9) ─────────────────────────────

function cardNumberBytes(digits) {
  let v = BigInt(digits);
  const out = new Uint8Array(5);
  for (let i = 4; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

/** What the desk sees of a card (after step 5). */
function cardView(c) {
  return {
    issuer: c.issuer,
    card_number: c.cardNumber,
    given_names: c.givenNames,
    family_name: c.familyName,
    issued: dayToISO(c.issued),
    expires: dayToISO(c.lastValid),
    date_of_birth: c.dateOfBirth === null ? null : dayToISO(c.dateOfBirth),
  };
}

export class Verifier {
  /**
   * @param trust a list from loadTrustList
   * @param revocations a list from loadRevocationList, or null
   */
  constructor(trust, revocations = null) {
    this.trust = trust;
    this.revocations = revocations;
  }

  /** Warnings about the lists on `todayISO`, independent of any card. */
  listWarnings(todayISO) {
    const today = isoToDay(todayISO);
    const warnings = [];
    if (isDevelopmentList(this.trust)) warnings.push('development_keys');
    if (today > this.trust.nextUpdate) warnings.push('trust_list_stale');
    if (!this.revocations) warnings.push('no_revocation_list');
    else if (today > this.revocations.nextUpdate) warnings.push('revocation_list_stale');
    return warnings;
  }

  /**
   * A card number typed by hand, without the QR code. Offline, without the
   * card's signature, a desk can check only the check digit and the
   * revocation list: this never says "valid". Resolves to {outcome, number,
   * card: null, office: null, warnings, reason} with outcome
   * `number_mistyped` (wrong check digit), `revoked`, `number_not_revoked`,
   * or `number_unchecked` (no revocation list loaded).
   */
  checkNumber(digits, todayISO) {
    const warnings = this.listWarnings(todayISO);
    const result = (outcome, reason) => ({ outcome, number: digits, card: null, office: null, warnings, reason });
    if (!/^[0-9]{12}$/.test(digits) || damm(digits) !== 0) return result('number_mistyped', 'the check digit does not match');
    if (!this.revocations) return result('number_unchecked', 'no revocation list is loaded');
    if (isRevoked(this.revocations, cardNumberBytes(digits))) return result('revoked', 'the card number is on the revocation list');
    return result('number_not_revoked', 'the card number is not on the revocation list');
  }

  /**
   * Verifies scanned text on the calendar day `todayISO` (YYYY-MM-DD, the
   * desk's local date). Resolves to {outcome, card, office, warnings, reason};
   * card and office are null unless the signature verified and the payload
   * parsed. Never throws for bad input.
   */
  async verify(text, todayISO) {
    const today = isoToDay(todayISO);
    const result = { outcome: 'malformed', card: null, office: null, warnings: this.listWarnings(todayISO), reason: null };
    const stop = (outcome, reason) => Object.assign(result, { outcome, reason });
    // 1, 2: text and COSE.
    let parsed;
    try {
      parsed = parseCoseSign1(decodeText(text), { maxBytes: MAX_COSE_BYTES });
    } catch (e) {
      if (e instanceof FormatError) return stop('malformed', e.message);
      throw e;
    }
    // 3: the key.
    const key = this.trust.keys.find((k) => bytesEqual(k.kid, parsed.kid));
    if (!key) return stop('unknown_key', 'the key is not in the trust list');
    // 4: the signature.
    if (!(await verifyCose(parsed, key.publicKey))) return stop('bad_signature', 'the signature does not verify');
    // 5: the claims.
    let claims;
    try {
      claims = parseClaims(parsed.payload);
    } catch (e) {
      if (e instanceof FormatError) return stop('malformed', e.message);
      throw e;
    }
    result.card = cardView(claims);
    result.office = key.office;
    // 6: may this key sign this card?
    if ((key.usage & 1) === 0) return stop('key_not_allowed', 'the key may not sign cards');
    if (claims.issuer !== this.trust.issuer) return stop('key_not_allowed', 'the card names another issuer');
    if (claims.issued < key.signFrom || claims.issued > key.signUntil) return stop('key_not_allowed', "issue date outside the key's signing window");
    if (today > key.verifyUntil) return stop('key_not_allowed', "the key's verify-until date has passed");
    // 7: revoked?
    if (this.revocations && isRevoked(this.revocations, cardNumberBytes(claims.cardNumber))) return stop('revoked', 'the card is on the revocation list');
    // 8, 9: dates.
    if (today < claims.issued) return stop('not_yet_valid', 'the issue date is after today');
    if (today > claims.lastValid) return stop('expired', 'past the valid-until date');
    result.outcome = 'valid';
    return result;
  }
}

/**
 * Convenience: loads the lists and returns a Verifier. `revocations` may be
 * null or undefined. Throws ListError when a list must be refused.
 */
export async function createVerifier({ trustList, rootPublicKey, rootFingerprint, revocations, newestSeen = null }) {
  const trust = await loadTrustList(trustList, { rootPublicKey, rootFingerprint });
  const rev = revocations ? await loadRevocationList(revocations, trust, { newestSeen }) : null;
  return new Verifier(trust, rev);
}

/** Internals for the unit tests only. */
export const __test = Object.freeze({ scalarMult, encodePoint, verifyFallback, BASE, L, P, mod });
