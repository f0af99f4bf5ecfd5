//! The trust list: the office keys, signed by the city's root key
//! (`docs/card-format.md` §7).

use crate::MAX_TRUST_LIST_BYTES;
use crate::cbor;
use crate::cose::{self, CONTENT_TYPE_TRUST_LIST};
use crate::date;
use crate::error::{Error, Malformed, NameField, Result};
use crate::keys::{self, Kid};
use crate::names;
use ciborium::Value;
use ed25519_dalek::{SigningKey, VerifyingKey};
use time::Date;

const LIST: &str = "trust list";

/// The issuer identifier reserved for **development trust lists**
/// (`docs/card-format.md` §7): lists made for development and tests, whose
/// keys belong to no city. No real city may use it, and a verifier reports
/// [`crate::Warning::DevelopmentKeys`] with every card it checks against
/// such a list.
pub const DEVELOPMENT_ISSUER: &str = "dev";

/// What a key may sign, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage(u8);

impl KeyUsage {
    /// The key signs cards.
    pub const CARDS: KeyUsage = KeyUsage(1);
    /// The key signs revocation lists.
    pub const REVOCATIONS: KeyUsage = KeyUsage(2);
    /// Both.
    pub const ALL: KeyUsage = KeyUsage(3);

    /// From the bits; unknown bits are refused.
    pub fn from_bits(bits: u8) -> Option<Self> {
        (bits != 0 && bits & !3 == 0).then_some(KeyUsage(bits))
    }

    /// The bits.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub fn allows(self, other: KeyUsage) -> bool {
        self.0 & other.0 == other.0
    }

    /// Human-readable, e.g. `cards, revocations`.
    pub fn describe(self) -> &'static str {
        match self.0 {
            1 => "cards",
            2 => "revocations",
            _ => "cards, revocations",
        }
    }
}

/// One office signing key in the trust list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// Its key identifier (derived from the public key).
    pub kid: Kid,
    /// The public key.
    pub public_key: VerifyingKey,
    /// The office that holds the private key.
    pub office: String,
    /// First day on which the key may sign.
    pub sign_from: Date,
    /// Last day on which the key may sign.
    pub sign_until: Date,
    /// Last day on which cards signed by this key may be verified.
    pub verify_until: Date,
    /// What the key may sign.
    pub usage: KeyUsage,
}

impl TrustedKey {
    /// A key entry with its kid derived from the public key.
    pub fn new(
        public_key: VerifyingKey,
        office: impl Into<String>,
        sign_from: Date,
        sign_until: Date,
        verify_until: Date,
        usage: KeyUsage,
    ) -> Self {
        TrustedKey {
            kid: keys::kid(&public_key),
            public_key,
            office: office.into(),
            sign_from,
            sign_until,
            verify_until,
            usage,
        }
    }

    /// Whether the key may sign on `day`.
    pub fn may_sign_on(&self, day: Date) -> bool {
        (self.sign_from..=self.sign_until).contains(&day)
    }
}

/// The signed list of office keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    /// The issuer identifier every card must carry as `iss`.
    pub issuer: String,
    /// The city's name for people, e.g. `Stadt Bern`.
    pub name: String,
    /// Issue date of this list.
    pub issued: Date,
    /// Date by which a newer list will be published.
    pub next_update: Date,
    /// The root public key that signs this list.
    pub root: VerifyingKey,
    /// The office keys.
    pub keys: Vec<TrustedKey>,
}

fn bad(problem: &'static str) -> Error {
    Error::List {
        list: LIST,
        problem,
    }
}

impl TrustList {
    /// Checks the rules of §7 (names, date order, kids, no duplicates).
    pub fn validate(&self) -> Result<()> {
        names::check(NameField::Issuer, &self.issuer, false)?;
        names::check(NameField::FamilyName, &self.name, false)
            .map_err(|_| bad("the city name breaks the name rules"))?;
        if self.next_update < self.issued {
            return Err(bad("next update is before the issue date"));
        }
        let root_kid = keys::kid(&self.root);
        for (i, k) in self.keys.iter().enumerate() {
            names::check(NameField::FamilyName, &k.office, false)
                .map_err(|_| bad("an office name breaks the name rules"))?;
            if k.kid != keys::kid(&k.public_key) {
                return Err(bad("a kid does not match its public key"));
            }
            if k.kid == root_kid {
                return Err(bad("the root key must not be an office key"));
            }
            if !(k.sign_from <= k.sign_until && k.sign_until <= k.verify_until) {
                return Err(bad("a key's dates are out of order"));
            }
            if self.keys.iter().skip(i + 1).any(|o| o.kid == k.kid) {
                return Err(bad("a key is listed twice"));
            }
        }
        Ok(())
    }

    /// The payload in deterministic CBOR.
    pub fn to_cbor(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let day = |d: Date| cbor::key(date::to_days(d));
        let keys = self
            .keys
            .iter()
            .map(|k| {
                Value::Map(vec![
                    (cbor::key(1), Value::Bytes(k.kid.to_vec())),
                    (cbor::key(2), Value::Bytes(k.public_key.as_bytes().to_vec())),
                    (cbor::key(3), Value::Text(k.office.clone())),
                    (cbor::key(4), day(k.sign_from)),
                    (cbor::key(5), day(k.sign_until)),
                    (cbor::key(6), day(k.verify_until)),
                    (cbor::key(7), cbor::key(i64::from(k.usage.bits()))),
                ])
            })
            .collect();
        cbor::to_vec(&Value::Map(vec![
            (cbor::key(1), Value::Text(self.issuer.clone())),
            (cbor::key(2), Value::Text(self.name.clone())),
            (cbor::key(3), day(self.issued)),
            (cbor::key(4), day(self.next_update)),
            (cbor::key(5), Value::Bytes(self.root.as_bytes().to_vec())),
            (cbor::key(6), Value::Array(keys)),
        ]))
    }

    /// Signs the list with the root key (whose public key must be `self.root`).
    pub fn sign(&self, root: &SigningKey) -> Result<Vec<u8>> {
        if root.verifying_key() != self.root {
            return Err(bad("signing key is not the list's root key"));
        }
        cose::sign(
            root,
            &keys::kid(&self.root),
            Some(CONTENT_TYPE_TRUST_LIST),
            self.to_cbor()?,
        )
    }

    /// Parses a payload strictly.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self> {
        const BAD: Malformed = Malformed::Claims;
        let m = |_| bad("payload is malformed");
        let value = cbor::from_slice(bytes, BAD).map_err(m)?;
        cbor::check_deterministic(&value, bytes).map_err(m)?;
        let mut top = cbor::expect_map(value, &[1, 2, 3, 4, 5, 6], &[], BAD)
            .map_err(m)?
            .into_iter();
        let day = |v: Option<Value>| -> Result<Date> {
            date::from_days(cbor::int(v, BAD).map_err(m)?).ok_or(bad("a date is out of range"))
        };
        let issuer = cbor::text(top.next().flatten(), BAD).map_err(m)?;
        let name = cbor::text(top.next().flatten(), BAD).map_err(m)?;
        let issued = day(top.next().flatten())?;
        let next_update = day(top.next().flatten())?;
        let root = keys::public_from_bytes(&cbor::bytes(top.next().flatten(), BAD).map_err(m)?)?;
        let Some(Value::Array(entries)) = top.next().flatten() else {
            return Err(bad("payload is malformed"));
        };
        let mut list_keys = Vec::with_capacity(entries.len());
        for entry in entries {
            let mut e = cbor::expect_map(entry, &[1, 2, 3, 4, 5, 6, 7], &[], BAD)
                .map_err(m)?
                .into_iter();
            let kid: Kid = cbor::bytes(e.next().flatten(), BAD)
                .map_err(m)?
                .as_slice()
                .try_into()
                .map_err(|_| bad("a kid is not 8 bytes"))?;
            let public_key =
                keys::public_from_bytes(&cbor::bytes(e.next().flatten(), BAD).map_err(m)?)?;
            let office = cbor::text(e.next().flatten(), BAD).map_err(m)?;
            let sign_from = day(e.next().flatten())?;
            let sign_until = day(e.next().flatten())?;
            let verify_until = day(e.next().flatten())?;
            let usage = u8::try_from(cbor::int(e.next().flatten(), BAD).map_err(m)?)
                .ok()
                .and_then(KeyUsage::from_bits)
                .ok_or(bad("unknown key usage"))?;
            list_keys.push(TrustedKey {
                kid,
                public_key,
                office,
                sign_from,
                sign_until,
                verify_until,
                usage,
            });
        }
        let list = TrustList {
            issuer,
            name,
            issued,
            next_update,
            root,
            keys: list_keys,
        };
        list.validate()?;
        Ok(list)
    }

    /// Loads a signed trust list and checks it against the pinned root key.
    pub fn verify(bytes: &[u8], root: &VerifyingKey) -> Result<Self> {
        let parsed = cose::parse(bytes, MAX_TRUST_LIST_BYTES, Some(CONTENT_TYPE_TRUST_LIST))
            .map_err(|_| bad("not a trust list (malformed COSE or wrong content type)"))?;
        if parsed.kid != keys::kid(root) {
            return Err(bad("not signed by the pinned root key"));
        }
        parsed
            .verify(root)
            .map_err(|_| bad("signature does not verify"))?;
        let list = Self::from_cbor(parsed.payload())?;
        if list.root != *root {
            return Err(bad("names another root key than the one that signed it"));
        }
        Ok(list)
    }

    /// Loads a signed trust list when only the root key's fingerprint is
    /// pinned: the root key is taken from the list and must match it.
    pub fn verify_with_fingerprint(bytes: &[u8], fingerprint: &[u8; 32]) -> Result<Self> {
        let (list, _) = Self::inspect(bytes)?;
        if keys::fingerprint(&list.root) != *fingerprint {
            return Err(bad("its root key does not match the pinned fingerprint"));
        }
        Self::verify(bytes, &list.root)
    }

    /// Parses a signed trust list **without** checking its signature, for
    /// display (`citycard keys show`). Returns the list and the signer's kid.
    pub fn inspect(bytes: &[u8]) -> Result<(Self, Kid)> {
        let parsed = cose::parse(bytes, MAX_TRUST_LIST_BYTES, Some(CONTENT_TYPE_TRUST_LIST))
            .map_err(|_| bad("not a trust list (malformed COSE or wrong content type)"))?;
        Ok((Self::from_cbor(parsed.payload())?, parsed.kid))
    }

    /// The key with this kid.
    pub fn key(&self, kid: &Kid) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| &k.kid == kid)
    }

    /// Whether this is a development trust list: its issuer is exactly the
    /// reserved [`DEVELOPMENT_ISSUER`] (§7). Its cards are not real City
    /// Cards, however well they verify.
    pub fn is_development(&self) -> bool {
        self.issuer == DEVELOPMENT_ISSUER
    }
}
