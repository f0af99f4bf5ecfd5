// The City Card desk page: scan → verify offline → show the result.
//
// Privacy: a scan is verified in this page's memory only. Nothing about a scan
// is stored, logged or sent; the result disappears after 30 seconds or at the
// next scan. The network is used only to refresh the page, the config and the
// two signed lists — at start, when the device comes back online, and every
// 15 minutes — never because of a scan.
import * as V from './verifier.js';

const DATA_CACHE = 'citycard-data';
const PIN_KEY = 'citycard.root_fingerprint';
const PIN_DATE_KEY = 'citycard.root_pinned_on';
const LANG_KEY = 'citycard.lang';
// The issue day (YYYY-MM-DD) of the newest revocation list this desk has
// accepted, per pinned root: an older list is refused (spec §8.3). Kept in
// localStorage, apart from the cached list itself, so that losing the
// cached copy (storage eviction, no Cache Storage) does not lose it.
const NEWEST_REVOCATIONS_KEY = 'citycard.revocations_newest_issued.';
const RESULT_SECONDS = 30;
const REFRESH_MINUTES = 15;
const FETCH_TIMEOUT_MS = 8000;

// ───────────────────────────── strings ─────────────────────────────

const STRINGS = {
  en: {
    title: 'City Card check',
    offline: 'Offline',
    other_language: 'Deutsch',
    scan_label: 'Scan the QR code, or type the card number printed under it, then press Enter',
    scan_help: 'A USB scanner types into this field and presses Enter by itself. A typed card number is only checked against the revocation list: it does not show whose card it is or prove that it is genuine.',
    check: 'Check',
    camera_start: 'Scan with the camera',
    camera_stop: 'Stop the camera',
    camera_unsupported: 'This browser cannot read QR codes from the camera. Use a USB scanner, or type the card number printed under the QR code.',
    camera_insecure: 'The camera needs a secure (https) connection to this page.',
    camera_denied: 'The camera could not be started (permission denied or no camera).',
    camera_running: 'Hold the QR code in front of the camera.',
    result_heading: 'Result',
    status_heading: 'This desk',
    trust_list: 'Trust list',
    revocation_list: 'Revocation list',
    root_fingerprint: 'Root key fingerprint',
    fingerprint_help: 'Compare it with the fingerprint the office gave you.',
    app_status: 'Offline use',
    privacy: 'This page checks cards on this device only. It sends nothing anywhere and keeps no record of what it checked.',
    valid: 'VALID',
    not_valid: 'NOT VALID',
    unavailable: 'CANNOT CHECK',
    number_verdict: {
      number_not_revoked: 'NOT REVOKED',
      number_mistyped: 'MISTYPED',
      number_unchecked: 'CANNOT CHECK',
    },
    reason: {
      number_not_revoked: 'Card number {number} is not on the revocation list. A typed number does not show whose card it is or prove that the card is genuine: scan the QR code for that.',
      number_mistyped: 'This is not a card number: the check digit does not match. Check the 12 digits and type them again.',
      number_unchecked: 'No revocation list is loaded, so a typed card number cannot be checked. Scan the QR code.',
      number_revoked: 'Card number {number} is revoked: reported lost, stolen or withdrawn.',
      valid: 'Issued by the city, unchanged, in date, not revoked.',
      expired: 'Expired: past its valid-until date.',
      not_yet_valid: 'Not yet valid: the issue date is in the future. Check this device’s date.',
      revoked: 'Revoked: reported lost, stolen or withdrawn.',
      unknown_key: 'Unknown key: signed by a key this desk does not know (newer trust list needed? forgery?).',
      key_not_allowed: 'Signed by a city key that may not sign this card.',
      bad_signature: 'Altered or forged: the signature does not match.',
      malformed: 'This is not a City Card, or the code is damaged. Please scan again.',
      unavailable: 'This desk has no valid trust list yet. Connect to the network once and reload.',
    },
    dev_marking: 'DEVELOPMENT KEYS — not a real City Card',
    dev_valid: 'Signed with a development key, unchanged, in date, not revoked: a test card, not issued by a city.',
    dev_banner_title: 'DEVELOPMENT KEYS',
    dev_banner: 'This desk uses a development trust list (made for development and tests). No card checked here is a real City Card.',
    warning: {
      development_keys: 'Checked against a development trust list: not a real City Card.',
      no_revocation_list: 'No revocation list is loaded: a revoked card would show as valid.',
      revocation_list_stale: 'The revocation list is out of date (next update was due {date}).',
      trust_list_stale: 'The trust list is out of date (next update was due {date}).',
    },
    name: 'Name',
    card_number: 'Card number',
    valid_until: 'Valid until',
    date_of_birth: 'Date of birth',
    office: 'Issued by',
    list_trust: '{name}: issued {issued}, next update {next}; {keys} office key(s).',
    list_revocations: '{count} revoked card(s): issued {issued}, next update {next}.',
    list_none: 'not loaded',
    list_fetched: 'Last downloaded {when}.',
    list_stale: 'OUT OF DATE',
    list_refused: 'The {list} from the office was refused and not used: {why}',
    list_older: 'it was issued {issued}, before the newest list this desk has already seen (issued {newest}). An older list could make revoked cards look valid. Tell the office.',
    list_names: { trust_list: 'trust list', revocation_list: 'revocation list' },
    offline_ready: 'Ready: this page works without a network.',
    offline_not_ready: 'Not yet available offline.',
    offline_unsupported: 'This browser cannot keep the page for offline use.',
    root_changed: 'WARNING: the office now presents a different root key ({new}). This desk keeps the key it pinned ({old}). Do not rely on new lists until the office confirms the change.',
    root_missing: 'No root key fingerprint is known. Load this page once from the office.',
    repin_button: 'The office confirmed a new root key …',
    repin_prompt: 'Only if the office told you about a new root key: type the first 8 characters of the new fingerprint the office gave you.',
    repin_mismatch: 'That does not match. Nothing was changed.',
    pinned_on: 'pinned {date}',
    never: 'never',
  },
  de: {
    title: 'City Card prüfen',
    offline: 'Offline',
    other_language: 'English',
    scan_label: 'QR-Code scannen oder die Kartennummer darunter eintippen, dann Enter drücken',
    scan_help: 'Ein USB-Scanner tippt in dieses Feld und drückt Enter von selbst. Eine eingetippte Kartennummer wird nur mit der Sperrliste abgeglichen: sie zeigt nicht, wem die Karte gehört, und beweist nicht, dass sie echt ist.',
    check: 'Prüfen',
    camera_start: 'Mit der Kamera scannen',
    camera_stop: 'Kamera ausschalten',
    camera_unsupported: 'Dieser Browser kann mit der Kamera keine QR-Codes lesen. Bitte einen USB-Scanner verwenden oder die Kartennummer unter dem QR-Code eintippen.',
    camera_insecure: 'Die Kamera braucht eine sichere (https-)Verbindung zu dieser Seite.',
    camera_denied: 'Die Kamera konnte nicht gestartet werden (keine Erlaubnis oder keine Kamera).',
    camera_running: 'Den QR-Code vor die Kamera halten.',
    result_heading: 'Ergebnis',
    status_heading: 'Dieser Schalter',
    trust_list: 'Vertrauensliste',
    revocation_list: 'Sperrliste',
    root_fingerprint: 'Fingerabdruck des Stammschlüssels',
    fingerprint_help: 'Mit dem Fingerabdruck vergleichen, den das Amt ausgegeben hat.',
    app_status: 'Offline-Betrieb',
    privacy: 'Diese Seite prüft Karten nur auf diesem Gerät. Sie sendet nichts und speichert nicht, was geprüft wurde.',
    valid: 'GÜLTIG',
    not_valid: 'UNGÜLTIG',
    unavailable: 'PRÜFUNG NICHT MÖGLICH',
    number_verdict: {
      number_not_revoked: 'NICHT GESPERRT',
      number_mistyped: 'VERTIPPT',
      number_unchecked: 'PRÜFUNG NICHT MÖGLICH',
    },
    reason: {
      number_not_revoked: 'Die Kartennummer {number} steht nicht auf der Sperrliste. Eine eingetippte Nummer zeigt nicht, wem die Karte gehört, und beweist nicht, dass sie echt ist: dafür den QR-Code scannen.',
      number_mistyped: 'Das ist keine Kartennummer: die Prüfziffer passt nicht. Die 12 Ziffern prüfen und neu eintippen.',
      number_unchecked: 'Keine Sperrliste geladen: eine eingetippte Kartennummer kann nicht geprüft werden. Bitte den QR-Code scannen.',
      number_revoked: 'Die Kartennummer {number} ist gesperrt: als verloren, gestohlen oder eingezogen gemeldet.',
      valid: 'Von der Stadt ausgestellt, unverändert, im Gültigkeitszeitraum, nicht gesperrt.',
      expired: 'Abgelaufen: das Gültig-bis-Datum ist vorbei.',
      not_yet_valid: 'Noch nicht gültig: das Ausstellungsdatum liegt in der Zukunft. Datum dieses Geräts prüfen.',
      revoked: 'Gesperrt: als verloren, gestohlen oder eingezogen gemeldet.',
      unknown_key: 'Unbekannter Schlüssel: mit einem Schlüssel signiert, den dieser Schalter nicht kennt (neuere Vertrauensliste nötig? Fälschung?).',
      key_not_allowed: 'Mit einem Schlüssel der Stadt signiert, der diese Karte nicht signieren darf.',
      bad_signature: 'Verändert oder gefälscht: die Signatur passt nicht.',
      malformed: 'Das ist keine City Card, oder der Code ist beschädigt. Bitte noch einmal scannen.',
      unavailable: 'Dieser Schalter hat noch keine gültige Vertrauensliste. Einmal mit dem Netz verbinden und neu laden.',
    },
    dev_marking: 'ENTWICKLUNGSSCHLÜSSEL — keine echte City Card',
    dev_valid: 'Mit einem Entwicklungsschlüssel signiert, unverändert, im Gültigkeitszeitraum, nicht gesperrt: eine Testkarte, von keiner Stadt ausgestellt.',
    dev_banner_title: 'ENTWICKLUNGSSCHLÜSSEL',
    dev_banner: 'Dieser Schalter verwendet eine Entwicklungs-Vertrauensliste (für Entwicklung und Tests). Keine hier geprüfte Karte ist eine echte City Card.',
    warning: {
      development_keys: 'Mit einer Entwicklungs-Vertrauensliste geprüft: keine echte City Card.',
      no_revocation_list: 'Keine Sperrliste geladen: eine gesperrte Karte würde als gültig angezeigt.',
      revocation_list_stale: 'Die Sperrliste ist veraltet (nächste Aktualisierung war fällig am {date}).',
      trust_list_stale: 'Die Vertrauensliste ist veraltet (nächste Aktualisierung war fällig am {date}).',
    },
    name: 'Name',
    card_number: 'Kartennummer',
    valid_until: 'Gültig bis',
    date_of_birth: 'Geburtsdatum',
    office: 'Ausgestellt von',
    list_trust: '{name}: ausgestellt {issued}, nächste Aktualisierung {next}; {keys} Amtsschlüssel.',
    list_revocations: '{count} gesperrte Karte(n): ausgestellt {issued}, nächste Aktualisierung {next}.',
    list_none: 'nicht geladen',
    list_fetched: 'Zuletzt heruntergeladen {when}.',
    list_stale: 'VERALTET',
    list_refused: 'Die {list} des Amts wurde abgelehnt und nicht verwendet: {why}',
    list_older: 'sie wurde am {issued} ausgestellt, vor der neuesten Liste, die dieser Schalter schon kennt (ausgestellt am {newest}). Eine ältere Liste könnte gesperrte Karten als gültig erscheinen lassen. Bitte dem Amt melden.',
    list_names: { trust_list: 'Vertrauensliste', revocation_list: 'Sperrliste' },
    offline_ready: 'Bereit: diese Seite funktioniert ohne Netz.',
    offline_not_ready: 'Noch nicht offline verfügbar.',
    offline_unsupported: 'Dieser Browser kann die Seite nicht für den Offline-Betrieb speichern.',
    root_changed: 'WARNUNG: das Amt zeigt jetzt einen anderen Stammschlüssel ({new}). Dieser Schalter behält den gespeicherten Schlüssel ({old}). Neuen Listen erst vertrauen, wenn das Amt den Wechsel bestätigt.',
    root_missing: 'Kein Fingerabdruck des Stammschlüssels bekannt. Diese Seite einmal vom Amt laden.',
    repin_button: 'Das Amt hat einen neuen Stammschlüssel bestätigt …',
    repin_prompt: 'Nur wenn das Amt einen neuen Stammschlüssel angekündigt hat: die ersten 8 Zeichen des neuen Fingerabdrucks eingeben, den das Amt ausgegeben hat.',
    repin_mismatch: 'Das passt nicht. Es wurde nichts geändert.',
    pinned_on: 'gespeichert am {date}',
    never: 'nie',
  },
};

function initialLanguage() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved && STRINGS[saved]) return saved;
  } catch { /* storage may be disabled */ }
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const l of langs) {
    const base = String(l).toLowerCase().split('-')[0];
    if (STRINGS[base]) return base;
  }
  return 'en';
}

let lang = initialLanguage();
const tr = (key) => key.split('.').reduce((o, k) => (o ? o[k] : undefined), STRINGS[lang]) ?? key;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : `{${k}}`));

function formatDate(iso) {
  if (!iso) return '';
  if (lang === 'de') {
    const [y, m, d] = iso.split('-');
    return `${d}.${m}.${y}`;
  }
  return iso;
}

function formatWhen(isoTime) {
  if (!isoTime) return tr('never');
  const d = new Date(isoTime);
  if (Number.isNaN(d.getTime())) return tr('never');
  return d.toLocaleString(lang === 'de' ? 'de-CH' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

// ───────────────────────────── state ─────────────────────────────

const $ = (id) => document.getElementById(id);
const state = {
  config: null, // {root_fingerprint, trust_list, revocations}
  pinned: null, // hex fingerprint this desk trusts
  trust: null, // {list, bytes, fetchedAt}
  revocations: null, // {list, bytes, fetchedAt}
  verifier: null,
  rootAlarm: null, // a different fingerprint the office presents
  refused: [], // [{list, why}] or [{list, older: {issued, newest}}] (days)
  offlineReady: false,
  swSupported: 'serviceWorker' in navigator,
  lastResult: null,
};

function storageGet(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}
function storageSet(key, value) {
  try { localStorage.setItem(key, value); } catch { /* storage may be disabled */ }
}

// ───────────────────────────── data: config and lists ─────────────────────────────

async function openDataCache() {
  try {
    return 'caches' in self ? await caches.open(DATA_CACHE) : null;
  } catch {
    return null;
  }
}

/**
 * Downloads a file now; null when offline or failing. `no-cache` asks the
 * server every time, with the ETag of the copy in the browser's HTTP cache
 * (If-None-Match): an unchanged list costs a 304 and no download.
 */
async function download(url) {
  if (navigator.onLine === false) return null;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(url, { cache: 'no-cache', credentials: 'omit', signal: controller.signal, referrerPolicy: 'no-referrer' });
    if (!res.ok) return null;
    return new Uint8Array(await res.arrayBuffer());
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The last verified copy kept in the data cache: {bytes, fetchedAt} or null. */
async function cached(url) {
  const cache = await openDataCache();
  if (!cache) return null;
  const res = await cache.match(url);
  if (!res) return null;
  return { bytes: new Uint8Array(await res.arrayBuffer()), fetchedAt: res.headers.get('x-citycard-fetched') };
}

async function keep(url, bytes, fetchedAt) {
  const cache = await openDataCache();
  if (!cache) return;
  await cache.put(url, new Response(bytes, {
    headers: { 'content-type': 'application/octet-stream', 'x-citycard-fetched': fetchedAt },
  }));
}

const CONFIG_URL = new URL('config.json', document.baseURI).href;

async function loadConfig() {
  const fresh = await download(CONFIG_URL);
  const now = new Date().toISOString();
  let bytes = fresh;
  if (fresh) {
    try {
      JSON.parse(new TextDecoder().decode(fresh));
      await keep(CONFIG_URL, fresh, now);
    } catch {
      bytes = null;
    }
  }
  if (!bytes) bytes = (await cached(CONFIG_URL))?.bytes ?? null;
  if (!bytes) return null;
  try {
    const config = JSON.parse(new TextDecoder().decode(bytes));
    return {
      root_fingerprint: typeof config.root_fingerprint === 'string' ? config.root_fingerprint : null,
      trust_list: new URL(String(config.trust_list || '/.well-known/citycard/trust-list'), CONFIG_URL).href,
      revocations: new URL(String(config.revocations || '/.well-known/citycard/revocations'), CONFIG_URL).href,
    };
  } catch {
    return null;
  }
}

/** Pins the root fingerprint at first use; flags a different one afterwards. */
function pinRoot(config) {
  let pinned = storageGet(PIN_KEY);
  const offered = config && config.root_fingerprint ? normaliseFingerprint(config.root_fingerprint) : null;
  if (!pinned && offered) {
    pinned = offered;
    storageSet(PIN_KEY, pinned);
    storageSet(PIN_DATE_KEY, V.localToday());
  }
  state.pinned = pinned;
  state.rootAlarm = offered && pinned && offered !== pinned ? offered : null;
}

function normaliseFingerprint(text) {
  try {
    return V.toHex(V.parseFingerprint(text));
  } catch {
    return null;
  }
}

/**
 * Loads one list: the fresh download and the kept copy are both verified;
 * the valid one with the later `issued` day wins (§7: keep the later list).
 * A fresh revocation list older than the kept copy or than the newest one
 * this desk has seen (`verify` refuses it, §8.3) is refused loudly.
 */
async function loadList(url, name, verify) {
  const [fresh, kept] = [await download(url), await cached(url)];
  const now = new Date().toISOString();
  let best = null;
  if (kept) {
    try {
      best = { list: await verify(kept.bytes), bytes: kept.bytes, fetchedAt: kept.fetchedAt };
    } catch { /* a kept copy that no longer verifies (e.g. new pin) is dropped */ }
  }
  if (fresh && !(kept && V.bytesEqual(fresh, kept.bytes))) {
    try {
      const list = await verify(fresh);
      if (!best || list.issued >= best.list.issued) {
        best = { list, bytes: fresh, fetchedAt: now };
        await keep(url, fresh, now);
      } else if (name === 'revocation_list') {
        state.refused.push({ list: name, older: { issued: list.issued, newest: best.list.issued } });
      }
    } catch (e) {
      if (e instanceof V.ListError && e.older) {
        state.refused.push({ list: name, older: { issued: e.issued, newest: e.newestSeen } });
      } else {
        // The message without its "trust list: " prefix (the alarm names the list).
        const why = e instanceof V.ListError ? e.message.replace(/^[^:]*: /, '') : (e.message || String(e));
        state.refused.push({ list: name, why });
      }
    }
  } else if (fresh && best) {
    best.fetchedAt = now;
    await keep(url, fresh, now);
  }
  return best;
}

/** The newest revocation list's issue day this desk has seen (a day number), or null. */
function newestRevocations() {
  const iso = state.pinned ? storageGet(NEWEST_REVOCATIONS_KEY + state.pinned) : null;
  try {
    return iso ? V.isoToDay(iso) : null;
  } catch {
    return null;
  }
}

function rememberRevocations(list) {
  const newest = newestRevocations();
  if (state.pinned && (newest === null || list.issued > newest)) {
    storageSet(NEWEST_REVOCATIONS_KEY + state.pinned, V.dayToISO(list.issued));
  }
}

let refreshing = null;

/** Loads config and lists (network when possible, else the kept copies). */
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        state.refused = [];
        state.config = await loadConfig();
        pinRoot(state.config);
        if (state.config && state.pinned) {
          const trust = await loadList(state.config.trust_list, 'trust_list',
            (bytes) => V.loadTrustList(bytes, { rootFingerprint: state.pinned }));
          state.trust = trust;
          const newestSeen = newestRevocations();
          state.revocations = trust
            ? await loadList(state.config.revocations, 'revocation_list',
              (bytes) => V.loadRevocationList(bytes, trust.list, { newestSeen }))
            : null;
          if (state.revocations) rememberRevocations(state.revocations.list);
          state.verifier = trust ? new V.Verifier(trust.list, state.revocations?.list ?? null) : null;
        }
      } finally {
        refreshing = null;
        document.body.dataset.state = state.verifier ? 'ready' : 'error';
        renderStatus();
      }
    })();
  }
  return refreshing;
}

// ───────────────────────────── rendering ─────────────────────────────

const SVG_NS = 'http://www.w3.org/2000/svg';

function icon(kind) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 64 64');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const circle = document.createElementNS(SVG_NS, 'circle');
  circle.setAttribute('cx', '32'); circle.setAttribute('cy', '32'); circle.setAttribute('r', '30');
  circle.setAttribute('fill', '#fff');
  svg.append(circle);
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke-width', '8');
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  if (kind === 'valid') {
    path.setAttribute('d', 'M17 33 L28 44 L48 21');
    path.setAttribute('stroke', '#0b6b2b');
  } else if (kind === 'number') {
    // An "i": information, not a verdict on the card.
    path.setAttribute('d', 'M32 28 L32 46 M32 18 L32 19');
    path.setAttribute('stroke', '#1d3557');
  } else {
    path.setAttribute('d', 'M20 20 L44 44 M44 20 L20 44');
    path.setAttribute('stroke', '#b3001b');
  }
  svg.append(path);
  return svg;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'className') node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c); // strings become text nodes: never HTML
  return node;
}

let clearTimer = null;

function clearResult() {
  clearTimeout(clearTimer);
  clearTimer = null;
  state.lastResult = null;
  const result = $('result');
  result.dataset.outcome = 'none';
  delete result.dataset.warnings;
  delete result.dataset.dev;
  $('result-body').replaceChildren();
}

function warningText(code) {
  const next = code === 'trust_list_stale' ? state.trust?.list.nextUpdate : state.revocations?.list.nextUpdate;
  return fill(tr(`warning.${code}`), { date: next === undefined ? '' : formatDate(V.dayToISO(next)) });
}

function renderResult(r) {
  const result = $('result');
  const body = $('result-body');
  const ok = r.outcome === 'valid';
  // A card checked against a development trust list (§7) is marked before
  // anything else: the outcome still shows, but it is not a real card.
  const dev = (r.warnings || []).includes('development_keys');
  let parts;
  if (r.number) {
    // A typed card number: never "valid" (see Verifier.checkNumber).
    const number = V.formatCardNumber(r.number);
    const revoked = r.outcome === 'revoked';
    const verdict = el('p', { className: 'verdict' }, icon(r.outcome === 'number_not_revoked' ? 'number' : 'invalid'),
      el('span', {}, revoked ? tr('not_valid') : tr(`number_verdict.${r.outcome}`)));
    parts = [verdict, el('p', { className: 'reason' }, fill(tr(revoked ? 'reason.number_revoked' : `reason.${r.outcome}`), { number }))];
  } else {
    const verdict = el('p', { className: 'verdict' }, icon(ok ? 'valid' : 'invalid'),
      el('span', {}, ok ? tr('valid') : (r.outcome === 'unavailable' ? tr('unavailable') : tr('not_valid'))));
    const reason = dev && ok ? tr('dev_valid') : tr(`reason.${r.outcome}`);
    parts = [verdict, el('p', { className: 'reason' }, reason)];
  }
  if (dev) parts.unshift(el('p', { className: 'devmark' }, tr('dev_marking')));
  if (r.card) {
    const c = r.card;
    const name = [c.given_names, c.family_name].filter(Boolean).join(' ');
    const rows = [
      [tr('name'), el('bdi', {}, name), 'name'],
      [tr('card_number'), V.formatCardNumber(c.card_number)],
      [tr('valid_until'), formatDate(c.expires)],
    ];
    if (c.date_of_birth) rows.push([tr('date_of_birth'), formatDate(c.date_of_birth)]);
    if (r.office) rows.push([tr('office'), el('bdi', {}, r.office)]);
    const dl = el('dl');
    for (const [label, value, cls] of rows) dl.append(el('dt', {}, label), el('dd', cls ? { className: cls } : {}, value));
    parts.push(dl);
  }
  for (const w of r.warnings || []) {
    if (w !== 'development_keys') parts.push(el('p', { className: 'warning' }, '⚠ ', warningText(w)));
  }
  body.replaceChildren(...parts);
  result.dataset.outcome = r.outcome;
  if (dev) result.dataset.dev = 'true';
  else delete result.dataset.dev;
  if (r.warnings && r.warnings.length) result.dataset.warnings = r.warnings.join(' ');
  else delete result.dataset.warnings;
  state.lastResult = r;
  clearTimeout(clearTimer);
  clearTimer = setTimeout(clearResult, RESULT_SECONDS * 1000);
}

function renderStatus() {
  const trust = state.trust?.list;
  const rev = state.revocations?.list;
  const today = V.isoToDay(V.localToday());
  const line = (text, stale, fetchedAt) => {
    const nodes = [text];
    if (stale) nodes.push(' ', el('span', { className: 'stale' }, tr('list_stale')));
    nodes.push(' ', el('span', { className: 'help' }, fill(tr('list_fetched'), { when: formatWhen(fetchedAt) })));
    return nodes;
  };
  $('trust-status').replaceChildren(...(trust
    ? line(fill(tr('list_trust'), {
      name: trust.name, issued: formatDate(V.dayToISO(trust.issued)), next: formatDate(V.dayToISO(trust.nextUpdate)), keys: trust.keys.length,
    }), today > trust.nextUpdate, state.trust.fetchedAt)
    : [tr('list_none')]));
  $('revocation-status').replaceChildren(...(rev
    ? line(fill(tr('list_revocations'), {
      count: rev.count, issued: formatDate(V.dayToISO(rev.issued)), next: formatDate(V.dayToISO(rev.nextUpdate)),
    }), today > rev.nextUpdate, state.revocations.fetchedAt)
    : [el('span', { className: 'stale' }, tr('list_none'))]));
  const fp = state.pinned;
  const pinnedOn = storageGet(PIN_DATE_KEY);
  $('fingerprint').textContent = fp ? V.formatFingerprint(fp) : tr('root_missing');
  if (fp && pinnedOn) $('fingerprint').title = fill(tr('pinned_on'), { date: formatDate(pinnedOn) });
  $('offline-status').textContent = !state.swSupported ? tr('offline_unsupported')
    : (state.offlineReady && state.verifier ? tr('offline_ready') : tr('offline_not_ready'));
  // Alarms.
  if (state.rootAlarm) {
    $('root-alarm-text').textContent = fill(tr('root_changed'), {
      new: V.formatFingerprint(state.rootAlarm), old: V.formatFingerprint(state.pinned),
    });
    $('root-alarm').hidden = false;
  } else {
    $('root-alarm').hidden = true;
  }
  const listAlarm = $('list-alarm');
  const messages = state.refused.map((r) => fill(tr('list_refused'), {
    list: tr(`list_names.${r.list}`),
    why: r.older ? fill(tr('list_older'), { issued: formatDate(V.dayToISO(r.older.issued)), newest: formatDate(V.dayToISO(r.older.newest)) }) : r.why,
  }));
  if (!state.pinned) messages.unshift(tr('root_missing'));
  else if (!state.verifier) messages.unshift(tr('reason.unavailable'));
  listAlarm.replaceChildren(...messages.map((m) => el('p', {}, m)));
  listAlarm.hidden = messages.length === 0;
  $('network').hidden = navigator.onLine !== false;
  // The development banner: as long as the trust list in use is one (§7).
  const devList = Boolean(trust && V.isDevelopmentList(trust));
  $('dev-banner-title').textContent = tr('dev_banner_title');
  $('dev-banner-text').textContent = tr('dev_banner');
  $('dev-banner').hidden = !devList;
  document.body.dataset.devKeys = devList ? 'true' : 'false';
}

function applyLanguage() {
  document.documentElement.lang = lang;
  document.title = tr('title');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = tr(node.dataset.i18n);
  const other = lang === 'de' ? 'en' : 'de';
  $('lang').textContent = STRINGS[lang].other_language;
  $('lang').lang = other;
  $('camera-button').textContent = camera.stream ? tr('camera_stop') : tr('camera_start');
  if (camera.messageKey) $('camera-message').textContent = tr(camera.messageKey);
  renderStatus();
  if (state.lastResult) {
    const timer = clearTimer; // keep the original 30 s
    renderResult(state.lastResult);
    clearTimeout(clearTimer);
    clearTimer = timer;
  }
}

// ───────────────────────────── checking ─────────────────────────────

async function check(text) {
  clearResult();
  if (!text || !text.trim()) return;
  let r;
  if (!state.verifier) {
    r = { outcome: 'unavailable', card: null, office: null, warnings: [], reason: 'no trust list' };
  } else {
    const typed = V.typedCardNumber(text);
    r = typed ? state.verifier.checkNumber(typed, V.localToday()) : await state.verifier.verify(text, V.localToday());
  }
  renderResult(r);
}

// ───────────────────────────── camera ─────────────────────────────

const camera = { stream: null, detector: null, timer: null, lastText: null, lastAt: 0, messageKey: null };

function cameraMessage(key) {
  camera.messageKey = key;
  $('camera-message').textContent = key ? tr(key) : '';
  $('camera-message').hidden = !key;
}

async function startCamera() {
  if (!('BarcodeDetector' in self)) return cameraMessage('camera_unsupported');
  try {
    const formats = await self.BarcodeDetector.getSupportedFormats();
    if (!formats.includes('qr_code')) return cameraMessage('camera_unsupported');
  } catch {
    return cameraMessage('camera_unsupported');
  }
  if (!self.isSecureContext || !navigator.mediaDevices) return cameraMessage('camera_insecure');
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    return cameraMessage('camera_denied');
  }
  camera.detector = new self.BarcodeDetector({ formats: ['qr_code'] });
  const video = $('camera');
  video.srcObject = camera.stream;
  video.hidden = false;
  await video.play().catch(() => {});
  $('camera-button').textContent = tr('camera_stop');
  cameraMessage('camera_running');
  const tick = async () => {
    if (!camera.stream) return;
    try {
      const codes = await camera.detector.detect(video);
      const text = codes.find((c) => c.rawValue)?.rawValue;
      const now = Date.now();
      // The same card held in front of the camera is checked once per 5 s.
      if (text && (text !== camera.lastText || now - camera.lastAt > 5000)) {
        camera.lastText = text;
        camera.lastAt = now;
        await check(text);
      }
    } catch { /* a frame that cannot be read */ }
    camera.timer = setTimeout(tick, 200);
  };
  tick();
}

function stopCamera() {
  clearTimeout(camera.timer);
  if (camera.stream) for (const track of camera.stream.getTracks()) track.stop();
  camera.stream = null;
  camera.lastText = null;
  const video = $('camera');
  video.srcObject = null;
  video.hidden = true;
  $('camera-button').textContent = tr('camera_start');
  cameraMessage(null);
}

// ───────────────────────────── start ─────────────────────────────

async function registerServiceWorker() {
  if (!state.swSupported) return;
  try {
    await navigator.serviceWorker.register('sw.js');
    await navigator.serviceWorker.ready;
    state.offlineReady = true;
    document.body.dataset.offline = 'ready';
  } catch {
    state.offlineReady = false;
  }
  renderStatus();
}

function start() {
  const input = $('scan');
  $('scan-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = '';
    input.focus();
    check(text);
  });
  // A USB scanner types wherever the focus is: bring it back to the field.
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (target === input || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target instanceof HTMLButtonElement && (event.key === 'Enter' || event.key === ' ')) return;
    if (event.key.length === 1) input.focus();
  });
  $('lang').addEventListener('click', () => {
    lang = lang === 'de' ? 'en' : 'de';
    storageSet(LANG_KEY, lang);
    applyLanguage();
    input.focus();
  });
  $('camera-button').addEventListener('click', () => (camera.stream ? stopCamera() : startCamera()));
  $('root-repin').addEventListener('click', () => {
    if (!state.rootAlarm) return;
    const typed = (window.prompt(tr('repin_prompt')) || '').replace(/[\s:-]/g, '').toLowerCase();
    if (typed.length >= 8 && state.rootAlarm.startsWith(typed)) {
      storageSet(PIN_KEY, state.rootAlarm);
      storageSet(PIN_DATE_KEY, V.localToday());
      refresh();
    } else {
      window.alert(tr('repin_mismatch'));
    }
  });
  window.addEventListener('online', () => { renderStatus(); refresh(); });
  window.addEventListener('offline', renderStatus);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') { clearResult(); stopCamera(); }
  });
  setInterval(() => { if (navigator.onLine !== false) refresh(); }, REFRESH_MINUTES * 60 * 1000);
  applyLanguage();
  input.focus();
  refresh();
  registerServiceWorker();
}

start();
