//! Personal data at rest: sealing with an AEAD, and the keyed hash of the
//! duplicate check (DESIGN.md §1 rule 3).
//!
//! - **Sealing**: ChaCha20-Poly1305 (ring) under the *data key*, a fresh
//!   random 96-bit nonce per seal, and associated data that binds the blob
//!   to its purpose and row (`resident record #id`, `resident photo #id`,
//!   `card qr #number`): a blob copied into another row does not open.
//!   Blob layout: `0x01` (version) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16).
//! - **Duplicate check**: HMAC-SHA256 under the *dedup key* over the
//!   normalised name (NFC, Unicode case folding, whitespace collapsed) and
//!   the date of birth, so the database can be searched for "same name and
//!   birth date" without holding either.
//! - **Search by family name and date of birth**: HMAC-SHA256 under a
//!   *search key* derived (HKDF-SHA256) from the dedup key, over a looser
//!   form of the family name ([`fold_loosely`]: also without accents,
//!   hyphens and apostrophes) and the date of birth. Like the dedup tag it
//!   reveals nothing without the key; it groups residents only by family
//!   name *and* birth day (never by name alone), and residents without a
//!   date of birth are not in it. docs/office.md explains the choice.
//! - **Login throttling** keys its rows by an HMAC of the client address or
//!   account name under a key derived (HKDF-SHA256) from the dedup key.
//!
//! The keys live in the key directory (`data.key`, `dedup.key`: 32 random
//! bytes as 64 hex digits, mode 0600), never in the database. They are made
//! on the first start only (an empty database); after that a missing key is
//! an error, and a key check value in the database catches a wrong key
//! before anything is written with it. `citycard keys rotate-data-key`
//! replaces both ([`crate::office::key_rotation`]).

use crate::config::Config;
use crate::error::{Error, Result};
use citycard_credential::{BirthDate, date};
use ring::{aead, hkdf, hmac, rand::SecureRandom};
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Bytes in each key.
pub const KEY_LEN: usize = 32;
const VERSION: u8 = 1;
const NONCE_LEN: usize = aead::NONCE_LEN;
/// Largest key file we read.
const MAX_KEY_FILE: u64 = 1024;

/// What a sealed blob is; part of its associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A resident's names and date of birth (`residents.sealed_record`).
    ResidentRecord,
    /// A resident's photo (`residents.sealed_photo`).
    ResidentPhoto,
    /// A card's QR text, which holds the name (`cards.sealed_qr`).
    CardQr,
    /// The key check value in `office_meta`.
    KeyCheck,
    /// A site's name and kind (`sites.sealed`).
    Site,
    /// A card's route: enrolment and pick-up site, attesting clerk
    /// (`cards.sealed_route`).
    CardRoute,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::ResidentRecord => b"citycard/v1/resident-record",
            Purpose::ResidentPhoto => b"citycard/v1/resident-photo",
            Purpose::CardQr => b"citycard/v1/card-qr",
            Purpose::KeyCheck => b"citycard/v1/key-check",
            Purpose::Site => b"citycard/v1/site",
            Purpose::CardRoute => b"citycard/v1/card-route",
        }
    }

    fn aad(self, id: i64) -> Vec<u8> {
        let mut aad = self.label().to_vec();
        aad.push(0);
        aad.extend_from_slice(&id.to_be_bytes());
        aad
    }
}

/// Fills a buffer from the operating system's random generator.
pub fn random_bytes<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut buf = Zeroizing::new([0u8; N]);
    ring::rand::SystemRandom::new()
        .fill(buf.as_mut())
        .map_err(|_| Error::Keys("the system random generator failed".to_owned()))?;
    Ok(buf)
}

/// A random non-negative `i64` below 2^62 (row ids that reveal nothing).
pub fn random_id() -> Result<i64> {
    let b = random_bytes::<8>()?;
    Ok(i64::from_be_bytes(*b) & 0x3FFF_FFFF_FFFF_FFFF)
}

/// The office's secret keys for personal data.
pub struct Vault {
    data: aead::LessSafeKey,
    dedup: hmac::Key,
    search: hmac::Key,
    throttle: hmac::Key,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Vault { .. }")
    }
}

/// The HKDF output length for an HMAC-SHA256 key.
struct HmacKeyLen;
impl hkdf::KeyType for HmacKeyLen {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

impl Vault {
    /// A vault from raw key bytes.
    pub fn from_keys(data: &[u8; KEY_LEN], dedup: &[u8; KEY_LEN]) -> Result<Self> {
        let unbound = aead::UnboundKey::new(&aead::CHACHA20_POLY1305, data)
            .map_err(|_| Error::Keys("the data key has the wrong length".to_owned()))?;
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"citycard/v1/throttle").extract(dedup);
        let mut throttle = Zeroizing::new([0u8; KEY_LEN]);
        prk.expand(&[b"login throttle subjects"], HmacKeyLen)
            .and_then(|okm| okm.fill(throttle.as_mut()))
            .map_err(|_| Error::Keys("could not derive the throttle key".to_owned()))?;
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"citycard/v1/search").extract(dedup);
        let mut search = Zeroizing::new([0u8; KEY_LEN]);
        prk.expand(&[b"family name and date of birth"], HmacKeyLen)
            .and_then(|okm| okm.fill(search.as_mut()))
            .map_err(|_| Error::Keys("could not derive the search key".to_owned()))?;
        Ok(Vault {
            data: aead::LessSafeKey::new(unbound),
            dedup: hmac::Key::new(hmac::HMAC_SHA256, dedup),
            search: hmac::Key::new(hmac::HMAC_SHA256, search.as_ref()),
            throttle: hmac::Key::new(hmac::HMAC_SHA256, throttle.as_ref()),
        })
    }

    /// Reads `data.key` and `dedup.key` from the key directory. With
    /// `create_missing` (first start, empty database) missing keys are made
    /// with mode 0600; otherwise a missing key is an error.
    pub fn open(config: &Config, create_missing: bool) -> Result<Self> {
        let data = read_or_create_key(&config.layout().data_key(), create_missing)?;
        let dedup = read_or_create_key(&config.layout().dedup_key(), create_missing)?;
        Self::from_keys(&data, &dedup)
    }

    /// Reads a data key and a dedup key from the given files (both must
    /// exist): the keys being rotated to (`data.key.new`, `dedup.key.new`).
    pub fn open_files(data: &Path, dedup: &Path) -> Result<Self> {
        let data = read_or_create_key(data, false)?;
        let dedup = read_or_create_key(dedup, false)?;
        Self::from_keys(&data, &dedup)
    }

    /// Makes two new random keys, writes them to the given files (mode
    /// 0600, replacing what is there, synced to disk) and returns their
    /// vault: the start of a key rotation.
    pub fn create_key_files(data: &Path, dedup: &Path) -> Result<Self> {
        let data_key = random_bytes::<KEY_LEN>()?;
        let dedup_key = random_bytes::<KEY_LEN>()?;
        for (path, key) in [(data, &data_key), (dedup, &dedup_key)] {
            let mut text = Zeroizing::new(citycard_credential::keys::to_hex(key.as_ref()));
            text.push('\n');
            crate::keys::write_new_file(path, text.as_bytes(), 0o600, true)
                .map_err(|e| Error::Keys(format!("{e:#}")))?;
        }
        Self::from_keys(&data_key, &dedup_key)
    }

    /// Seals `plaintext` for the row `id`.
    pub fn seal(&self, purpose: Purpose, id: i64, plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let nonce = aead::Nonce::assume_unique_for_key(*nonce_bytes);
        let mut in_out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + 16);
        in_out.extend_from_slice(plaintext);
        self.data
            .seal_in_place_append_tag(nonce, aead::Aad::from(purpose.aad(id)), &mut in_out)
            .map_err(|_| Error::Keys("sealing failed".to_owned()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        out.push(VERSION);
        out.extend_from_slice(nonce_bytes.as_ref());
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    /// Opens a blob sealed for the row `id` with the same purpose.
    pub fn unseal(&self, purpose: Purpose, id: i64, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let (&version, rest) = sealed.split_first().ok_or(Error::Unseal)?;
        if version != VERSION || rest.len() < NONCE_LEN + aead::CHACHA20_POLY1305.tag_len() {
            return Err(Error::Unseal);
        }
        let (nonce_bytes, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce =
            aead::Nonce::try_assume_unique_for_key(nonce_bytes).map_err(|_| Error::Unseal)?;
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        let plain = self
            .data
            .open_in_place(nonce, aead::Aad::from(purpose.aad(id)), buf.as_mut_slice())
            .map_err(|_| Error::Unseal)?;
        Ok(Zeroizing::new(plain.to_vec()))
    }

    /// The duplicate-check tag of a name and date of birth.
    pub fn dedup_tag(
        &self,
        given_names: &str,
        family_name: &str,
        dob: Option<BirthDate>,
    ) -> Vec<u8> {
        let mut input = Zeroizing::new(Vec::new());
        input.extend_from_slice(b"citycard/v1/dedup\0");
        input.extend_from_slice(fold(given_names).as_bytes());
        input.push(0x1F);
        input.extend_from_slice(fold(family_name).as_bytes());
        input.push(0x1F);
        // ISO at its precision: `1987-03-14`, `1987-03` or `1987` (a day's
        // tag is what it was before partial dates existed).
        match dob {
            Some(d) => input.extend_from_slice(d.iso().as_bytes()),
            None => input.push(b'-'),
        }
        hmac::sign(&self.dedup, &input).as_ref().to_vec()
    }

    /// The search tag of a family name and date of birth (see the module
    /// docs): the same for `Müller`, `MULLER` and `Muller`.
    pub fn search_tag(&self, family_name: &str, dob: BirthDate) -> Vec<u8> {
        let mut input = Zeroizing::new(Vec::new());
        input.extend_from_slice(b"citycard/v1/search\0");
        input.extend_from_slice(fold_loosely(family_name).as_bytes());
        input.push(0x1F);
        input.extend_from_slice(dob.iso().as_bytes());
        hmac::sign(&self.search, &input).as_ref().to_vec()
    }

    /// The throttle row key of a client address. IPv6 addresses count per
    /// /64 (one host usually has a whole /64).
    pub fn address_tag(&self, addr: IpAddr) -> Vec<u8> {
        let mut input = b"address\0".to_vec();
        match addr.to_canonical() {
            IpAddr::V4(v4) => input.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => input.extend_from_slice(v6.octets().get(..8).unwrap_or_default()),
        }
        hmac::sign(&self.throttle, &input).as_ref().to_vec()
    }

    /// The throttle row key of an account name that has no account.
    pub fn account_tag(&self, username: &str) -> Vec<u8> {
        let mut input = b"account\0".to_vec();
        input.extend_from_slice(fold(username).as_bytes());
        hmac::sign(&self.throttle, &input).as_ref().to_vec()
    }

    /// A value stored in the database at the first start; [`Vault::check`]
    /// later proves the keys are the same ones.
    pub fn key_check_value(&self) -> Result<Vec<u8>> {
        let mut v = self.seal(Purpose::KeyCheck, 0, b"citycard data key")?;
        v.extend_from_slice(hmac::sign(&self.dedup, b"citycard/v1/dedup-key-check").as_ref());
        Ok(v)
    }

    /// Whether a value from [`Vault::key_check_value`] was made with these keys.
    pub fn check(&self, value: &[u8]) -> Result<()> {
        let split = value
            .len()
            .checked_sub(KEY_LEN)
            .ok_or_else(|| Error::Keys("the key check value is damaged".to_owned()))?;
        let (sealed, tag) = value.split_at(split);
        self.unseal(Purpose::KeyCheck, 0, sealed).map_err(|_| {
            Error::Keys(
                "data.key is not the key this database was sealed with (restore the right \
                 key file; a new one cannot open the existing records)"
                    .to_owned(),
            )
        })?;
        hmac::verify(&self.dedup, b"citycard/v1/dedup-key-check", tag).map_err(|_| {
            Error::Keys(
                "dedup.key is not the key this database was made with (restore the right \
                 key file)"
                    .to_owned(),
            )
        })?;
        Ok(())
    }
}

/// NFC, Unicode default case folding, NFC again, whitespace collapsed.
pub fn fold(text: &str) -> String {
    let nfc: String = text.nfc().collect();
    let folded = caseless::default_case_fold_str(&nfc);
    let nfc: String = folded.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`fold`], then without accents and other combining marks (`é` → `e`,
/// `ü` → `u`), a few letters that have no decomposition mapped to their
/// base letters (`ø` → `o`, `ł` → `l`, `đ` → `d`, `æ` → `ae`), apostrophes
/// dropped and hyphens read as spaces: how a clerk may type a name from a
/// card at a keyboard without those letters. German `ue` for `ü` is not
/// guessed (`Mueller` stays `mueller`).
pub fn fold_loosely(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len());
    for c in folded.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        match c {
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' | 'ð' => out.push('d'),
            'ħ' => out.push('h'),
            'ı' => out.push('i'),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'þ' => out.push_str("th"),
            '\'' | '’' | 'ʼ' | '`' | '´' => {}
            '-' | '‐' | '‑' | '–' => out.push(' '),
            c => out.push(c),
        }
    }
    let nfc: String = out.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read_or_create_key(path: &Path, create: bool) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    if !path.exists() {
        if !create {
            return Err(Error::Keys(format!(
                "{} is missing. It is made only at the first start; restore it from the \
                 backup (without it the sealed personal data cannot be read)",
                path.display()
            )));
        }
        let key = random_bytes::<KEY_LEN>()?;
        let mut text = Zeroizing::new(citycard_credential::keys::to_hex(key.as_ref()));
        text.push('\n');
        crate::keys::write_new_file(path, text.as_bytes(), 0o600, false)
            .map_err(|e| Error::Keys(format!("{e:#}")))?;
        return Ok(key);
    }
    let bytes = Zeroizing::new(
        crate::keys::read_limited(path, MAX_KEY_FILE)
            .map_err(|e| Error::Keys(format!("could not read {}: {e:#}", path.display())))?,
    );
    crate::private_files::warn_if_readable_by_others(path, "the key file");
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::Keys(format!("{} is not 64 hex digits", path.display())))?
        .trim();
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if text.len() != KEY_LEN * 2 {
        return Err(Error::Keys(format!(
            "{} is not 64 hex digits",
            path.display()
        )));
    }
    for (slot, pair) in key.iter_mut().zip(text.as_bytes().chunks(2)) {
        let hex = std::str::from_utf8(pair).unwrap_or("zz");
        *slot = u8::from_str_radix(hex, 16)
            .map_err(|_| Error::Keys(format!("{} is not 64 hex digits", path.display())))?;
    }
    Ok(key)
}

/// A resident's personal data as entered. Its `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalData {
    /// Given names (may be empty).
    pub given_names: String,
    /// Family name.
    pub family_name: String,
    /// Date of birth (a day, a month or a year), where collected.
    pub date_of_birth: Option<BirthDate>,
}

impl fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalData { .. }")
    }
}

impl PersonalData {
    /// The plaintext of a sealed record: version ‖ len16 ‖ given ‖ len16 ‖
    /// family ‖ dob flag ‖ date: flag 0 none; 1 a day, days as i32; 2 a
    /// month, year as u16 ‖ month as u8; 3 a year, year as u16. Records
    /// written before partial dates (flags 0 and 1) read unchanged.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(Vec::with_capacity(
            8 + self.given_names.len() + self.family_name.len(),
        ));
        out.push(VERSION);
        for field in [&self.given_names, &self.family_name] {
            let len = u16::try_from(field.len())
                .map_err(|_| Error::invalid("name", crate::error::Rule::TooLong))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        let year = |y: i32| {
            u16::try_from(y)
                .map_err(|_| Error::invalid("date_of_birth", crate::error::Rule::TooEarly))
        };
        match self.date_of_birth {
            Some(BirthDate::Day(d)) => {
                out.push(1);
                let days = i32::try_from(date::to_days(d))
                    .map_err(|_| Error::invalid("date_of_birth", crate::error::Rule::TooEarly))?;
                out.extend_from_slice(&days.to_be_bytes());
            }
            Some(BirthDate::Month { year: y, month }) => {
                out.push(2);
                out.extend_from_slice(&year(y)?.to_be_bytes());
                out.push(u8::from(month));
            }
            Some(BirthDate::Year(y)) => {
                out.push(3);
                out.extend_from_slice(&year(y)?.to_be_bytes());
            }
            None => out.push(0),
        }
        Ok(out)
    }

    /// Reads what [`PersonalData::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        const BAD: Error = Error::Integrity("a sealed record has a bad layout");
        let mut r = Reader(bytes);
        if r.take(1).ok_or(BAD)? != [VERSION] {
            return Err(BAD);
        }
        let mut text = || -> Result<String> {
            let len = r.take(2).ok_or(BAD)?;
            let len = usize::from(u16::from_be_bytes(len.try_into().map_err(|_| BAD)?));
            let s = std::str::from_utf8(r.take(len).ok_or(BAD)?).map_err(|_| BAD)?;
            Ok(s.to_owned())
        };
        let given_names = text()?;
        let family_name = text()?;
        let date_of_birth = match r.take(1).ok_or(BAD)? {
            [0] => None,
            [1] => {
                let b = r.take(4).ok_or(BAD)?;
                let days = i32::from_be_bytes(b.try_into().map_err(|_| BAD)?);
                Some(BirthDate::Day(date::from_days(i64::from(days)).ok_or(BAD)?))
            }
            [2] => {
                let b = r.take(3).ok_or(BAD)?;
                let (y, m) = b.split_at(2);
                let y = u16::from_be_bytes(y.try_into().map_err(|_| BAD)?);
                let m = *m.first().ok_or(BAD)?;
                Some(BirthDate::month(i32::from(y), m).ok_or(BAD)?)
            }
            [3] => {
                let b = r.take(2).ok_or(BAD)?;
                let y = u16::from_be_bytes(b.try_into().map_err(|_| BAD)?);
                Some(BirthDate::year(i32::from(y)).ok_or(BAD)?)
            }
            _ => return Err(BAD),
        };
        if !r.0.is_empty() {
            return Err(BAD);
        }
        Ok(PersonalData {
            given_names,
            family_name,
            date_of_birth,
        })
    }
}

/// Reads a byte string front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::from_keys(&[7u8; 32], &[9u8; 32]).unwrap()
    }

    #[test]
    fn seal_round_trip_and_binding() {
        let v = vault();
        let sealed = v.seal(Purpose::ResidentRecord, 42, b"hello").unwrap();
        assert_eq!(
            &*v.unseal(Purpose::ResidentRecord, 42, &sealed).unwrap(),
            b"hello"
        );
        // Another row, another purpose, another key, or one flipped bit: refused.
        assert!(v.unseal(Purpose::ResidentRecord, 43, &sealed).is_err());
        assert!(v.unseal(Purpose::ResidentPhoto, 42, &sealed).is_err());
        let other = Vault::from_keys(&[8u8; 32], &[9u8; 32]).unwrap();
        assert!(other.unseal(Purpose::ResidentRecord, 42, &sealed).is_err());
        let mut bad = sealed.clone();
        if let Some(b) = bad.last_mut() {
            *b ^= 1;
        }
        assert!(v.unseal(Purpose::ResidentRecord, 42, &bad).is_err());
        assert!(v.unseal(Purpose::ResidentRecord, 42, &[]).is_err());
        // A fresh nonce every time.
        assert_ne!(
            sealed,
            v.seal(Purpose::ResidentRecord, 42, b"hello").unwrap()
        );
        assert!(!sealed.windows(5).any(|w| w == b"hello"));
    }

    #[test]
    fn dedup_normalises_names() {
        let v = vault();
        let dob = date::parse("1987-06-05").ok().map(BirthDate::Day);
        let a = v.dedup_tag("Anna  Maria", "STRAẞE", dob);
        assert_eq!(a, v.dedup_tag(" anna maria ", "strasse", dob));
        // NFD input matches NFC input.
        assert_eq!(
            v.dedup_tag("Zoe\u{0308}", "X", None),
            v.dedup_tag("Zo\u{00EB}", "x", None)
        );
        assert_ne!(a, v.dedup_tag("Anna Maria", "Strasse", None));
        assert_ne!(a, v.dedup_tag("Maria", "Anna Strasse", dob));
        let other = Vault::from_keys(&[7u8; 32], &[1u8; 32]).unwrap();
        assert_ne!(a, other.dedup_tag("Anna Maria", "Straße", dob));
    }

    /// A partial date has its own tag: `1987` is not `1987-06` is not
    /// `1987-06-05` (docs/office.md: the duplicate check and partial dates),
    /// and a day's tag is what it was before partial dates existed.
    #[test]
    fn dedup_and_search_tags_of_partial_dates() {
        let v = vault();
        let day = BirthDate::parse_iso("1987-06-05");
        let month = BirthDate::month(1987, 6);
        let year = BirthDate::year(1987);
        let tags = [day, month, year, None].map(|d| v.dedup_tag("Amina", "Yusuf", d));
        for (i, a) in tags.iter().enumerate() {
            for b in tags.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            tags[2],
            v.dedup_tag(" amina ", "YUSUF", BirthDate::year(1987))
        );
        let (Some(day), Some(month), Some(year)) = (day, month, year) else {
            panic!("dates")
        };
        assert_ne!(v.search_tag("Yusuf", year), v.search_tag("Yusuf", month));
        assert_ne!(v.search_tag("Yusuf", day), v.search_tag("Yusuf", month));
        assert_eq!(v.search_tag("Yusuf", year), v.search_tag("YUSUF", year));
        // The input of a day's tag is its ISO date, as before issue 13.
        let mut input = b"citycard/v1/dedup\0amina\x1fyusuf\x1f".to_vec();
        input.extend_from_slice(b"1987-06-05");
        assert_eq!(tags[0], hmac::sign(&v.dedup, &input).as_ref().to_vec());
    }

    #[test]
    fn search_tag_is_loose_keyed_and_apart_from_dedup() {
        let v = vault();
        let Some(day) = date::parse("1987-06-05").ok() else {
            panic!("date")
        };
        let dob = BirthDate::Day(day);
        let a = v.search_tag("Nguyễn-Müller", dob);
        for same in [
            "NGUYEN MULLER",
            "nguyen-muller",
            " Nguyễn  Müller ",
            "Nguye\u{0302}\u{0301}n-Mu\u{0308}ller",
        ] {
            assert_eq!(a, v.search_tag(same, dob), "{same}");
        }
        assert_eq!(v.search_tag("O'Brien", dob), v.search_tag("OBrien", dob));
        assert_eq!(v.search_tag("Søren", dob), v.search_tag("Soren", dob));
        assert_eq!(v.search_tag("Straße", dob), v.search_tag("STRASSE", dob));
        assert_ne!(a, v.search_tag("Nguyen Mueller", dob));
        let Some(other_day) = day.next_day() else {
            panic!("date")
        };
        assert_ne!(a, v.search_tag("Nguyen Muller", other_day.into()));
        // Not the dedup tag, and keyed: another dedup key gives other tags.
        assert_ne!(a, v.dedup_tag("", "Nguyễn-Müller", Some(dob)));
        let other = Vault::from_keys(&[7u8; 32], &[1u8; 32]).unwrap();
        assert_ne!(a, other.search_tag("Nguyễn-Müller", dob));
        assert_eq!(fold_loosely("Łódź Æsir"), "lodz aesir");
    }

    #[test]
    fn record_round_trip() {
        let p = PersonalData {
            given_names: "Ærøskøbing Ünal".to_owned(),
            family_name: "أحمد".to_owned(),
            date_of_birth: date::parse("1900-01-01").ok().map(BirthDate::Day),
        };
        assert_eq!(PersonalData::decode(&p.encode().unwrap()).unwrap(), p);
        // Partial dates (flags 2 and 3) round-trip too; bad ones do not open.
        for partial in [
            BirthDate::month(1987, 3),
            BirthDate::year(1987),
            BirthDate::year(2199),
        ] {
            let r = PersonalData {
                date_of_birth: partial,
                ..p.clone()
            };
            let enc = r.encode().unwrap();
            assert_eq!(PersonalData::decode(&enc).unwrap(), r);
            for cut in 0..enc.len() {
                assert!(PersonalData::decode(&enc[..cut]).is_err());
            }
        }
        let mut month_13 = PersonalData {
            date_of_birth: BirthDate::month(1987, 3),
            ..p.clone()
        }
        .encode()
        .unwrap()
        .to_vec();
        if let Some(last) = month_13.last_mut() {
            *last = 13;
        }
        assert!(PersonalData::decode(&month_13).is_err());
        let q = PersonalData {
            date_of_birth: None,
            given_names: String::new(),
            ..p
        };
        let enc = q.encode().unwrap();
        assert_eq!(PersonalData::decode(&enc).unwrap(), q);
        for cut in 0..enc.len() {
            assert!(PersonalData::decode(&enc[..cut]).is_err());
        }
        assert_eq!(format!("{q:?}"), "PersonalData { .. }");
    }

    #[test]
    fn key_files_and_check_value() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::with_data_dir(dir.path());
        std::fs::create_dir_all(&config.key_dir).unwrap();
        assert!(Vault::open(&config, false).is_err());
        let v = Vault::open(&config, true).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(config.layout().data_key())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let check = v.key_check_value().unwrap();
        let again = Vault::open(&config, false).unwrap();
        again.check(&check).unwrap();
        std::fs::remove_file(config.layout().dedup_key()).unwrap();
        let wrong = Vault::open(&config, true).unwrap();
        assert!(
            wrong
                .check(&check)
                .unwrap_err()
                .to_string()
                .contains("dedup.key")
        );
    }

    #[test]
    fn address_tags() {
        let v = vault();
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff".parse().unwrap();
        let c: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(v.address_tag(a), v.address_tag(b));
        assert_ne!(v.address_tag(a), v.address_tag(c));
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(v.address_tag(v4), v.address_tag(mapped));
    }
}
