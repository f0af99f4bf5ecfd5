//! The revocation list: the sorted numbers of revoked cards, signed by the
//! root key or a trust-list key allowed to sign revocations
//! (`docs/card-format.md` §8). Version 2 (written) codes the numbers with
//! Golomb–Rice (`rice`); version 1 (5 bytes a number) is still read.

use crate::MAX_REVOCATION_LIST_BYTES;
use crate::card_number::{self, CardNumber};
use crate::cbor;
use crate::cose::{self, CONTENT_TYPE_REVOCATIONS, CONTENT_TYPE_REVOCATIONS_V2};
use crate::date;
use crate::error::{Error, Malformed, NameField, Result};
use crate::keys::{self, Kid};
use crate::names;
use crate::rice;
use crate::trust_list::{KeyUsage, TrustList};
use ciborium::Value;
use ed25519_dalek::SigningKey;
use time::Date;

const LIST: &str = "revocation list";

fn bad(problem: &'static str) -> Error {
    Error::List {
        list: LIST,
        problem,
    }
}

/// The wire format of a revocation list (`docs/card-format.md` §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ListFormat {
    /// Version 1: 5 bytes a number (§8.1). Still read; no longer written by
    /// the office.
    V1,
    /// Version 2: Golomb–Rice coded numbers (§8.2), about 23 bits a number
    /// at city scale.
    V2,
}

impl ListFormat {
    /// The content type in the protected header.
    pub fn content_type(self) -> &'static str {
        match self {
            ListFormat::V1 => CONTENT_TYPE_REVOCATIONS,
            ListFormat::V2 => CONTENT_TYPE_REVOCATIONS_V2,
        }
    }

    /// The version number (1 or 2).
    pub fn version(self) -> u8 {
        match self {
            ListFormat::V1 => 1,
            ListFormat::V2 => 2,
        }
    }
}

/// The content types a verifier reads, in [`ListFormat`] order.
const CONTENT_TYPES: [&str; 2] = [CONTENT_TYPE_REVOCATIONS, CONTENT_TYPE_REVOCATIONS_V2];

/// A revocation list. The numbers are kept as their first 11 digits (the
/// check digit follows from them), ascending, and looked up by binary
/// search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    /// The issuer identifier (must match the trust list's).
    pub issuer: String,
    /// Issue date.
    pub issued: Date,
    /// Date by which a newer list will be published.
    pub next_update: Date,
    bodies: Vec<u64>,
}

impl RevocationList {
    /// A list of these numbers (sorted and de-duplicated here).
    pub fn new(
        issuer: impl Into<String>,
        issued: Date,
        next_update: Date,
        numbers: impl IntoIterator<Item = CardNumber>,
    ) -> Self {
        let mut bodies: Vec<u64> = numbers.into_iter().map(CardNumber::body).collect();
        bodies.sort_unstable();
        bodies.dedup();
        RevocationList {
            issuer: issuer.into(),
            issued,
            next_update,
            bodies,
        }
    }

    /// How many numbers the list holds.
    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    /// Whether this card number is revoked. Exact: a number not on the list
    /// is never reported (a card number's first 11 digits determine it).
    pub fn contains(&self, number: CardNumber) -> bool {
        self.bodies.binary_search(&number.body()).is_ok()
    }

    /// The numbers, ascending.
    pub fn numbers(&self) -> impl Iterator<Item = CardNumber> + '_ {
        self.bodies.iter().map(|b| CardNumber::from_body(*b))
    }

    /// Refuses this list if it was issued before `newest_seen`, the issue
    /// date of the newest list the caller has already accepted (§8.3). A
    /// verifier that keeps state MUST call this (or
    /// [`crate::Verifier::load_revocations_since`]).
    pub fn check_not_older(&self, newest_seen: Date) -> Result<()> {
        if self.issued < newest_seen {
            return Err(Error::OlderList {
                list: LIST,
                issued: self.issued,
                newest_seen,
            });
        }
        Ok(())
    }

    fn check_header(&self) -> Result<()> {
        names::check(NameField::Issuer, &self.issuer, false)?;
        if self.next_update < self.issued {
            return Err(bad("next update is before the issue date"));
        }
        Ok(())
    }

    /// The version 2 payload (§8.2) in deterministic CBOR.
    pub fn to_cbor(&self) -> Result<Vec<u8>> {
        self.check_header()?;
        let (k, coded) = rice::encode(&self.bodies).ok_or(Error::Encode)?;
        cbor::to_vec(&Value::Map(vec![
            (cbor::key(1), Value::Text(self.issuer.clone())),
            (cbor::key(2), cbor::key(date::to_days(self.issued))),
            (cbor::key(3), cbor::key(date::to_days(self.next_update))),
            (cbor::key(5), Value::Integer(self.bodies.len().into())),
            (cbor::key(6), Value::Integer(k.into())),
            (cbor::key(7), Value::Bytes(coded)),
        ]))
    }

    /// The version 1 payload (§8.1) in deterministic CBOR: 5 bytes a
    /// number. For verifiers that cannot read version 2 yet, and for tests.
    pub fn to_cbor_v1(&self) -> Result<Vec<u8>> {
        self.check_header()?;
        let packed = self.numbers().flat_map(|n| n.to_bytes()).collect();
        cbor::to_vec(&Value::Map(vec![
            (cbor::key(1), Value::Text(self.issuer.clone())),
            (cbor::key(2), cbor::key(date::to_days(self.issued))),
            (cbor::key(3), cbor::key(date::to_days(self.next_update))),
            (cbor::key(4), Value::Bytes(packed)),
        ]))
    }

    /// Signs the list in version 2 with the root key or a
    /// revocation-signing key.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>> {
        self.sign_as(ListFormat::V2, key)
    }

    /// Signs the list in the given format.
    pub fn sign_as(&self, format: ListFormat, key: &SigningKey) -> Result<Vec<u8>> {
        let payload = match format {
            ListFormat::V1 => self.to_cbor_v1()?,
            ListFormat::V2 => self.to_cbor()?,
        };
        cose::sign(
            key,
            &keys::kid(&key.verifying_key()),
            Some(format.content_type()),
            payload,
        )
    }

    /// Parses a version 2 payload strictly (§8.2): exactly the keys 1, 2, 3,
    /// 5, 6, 7; the Rice parameter the count gives; no bits left over.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self> {
        Self::from_cbor_as(ListFormat::V2, bytes)
    }

    /// Parses a version 1 payload strictly (§8.1): sorted, no duplicates,
    /// valid check digits.
    pub fn from_cbor_v1(bytes: &[u8]) -> Result<Self> {
        Self::from_cbor_as(ListFormat::V1, bytes)
    }

    /// Parses a payload of the given format.
    pub fn from_cbor_as(format: ListFormat, bytes: &[u8]) -> Result<Self> {
        const BAD: Malformed = Malformed::Claims;
        let m = |_| bad("payload is malformed");
        let value = cbor::from_slice(bytes, BAD).map_err(m)?;
        cbor::check_deterministic(&value, bytes).map_err(m)?;
        let keys: &[i64] = match format {
            ListFormat::V1 => &[1, 2, 3, 4],
            ListFormat::V2 => &[1, 2, 3, 5, 6, 7],
        };
        let mut top = cbor::expect_map(value, keys, &[], BAD)
            .map_err(m)?
            .into_iter();
        let day = |v: Option<Value>| -> Result<Date> {
            date::from_days(cbor::int(v, BAD).map_err(m)?).ok_or(bad("a date is out of range"))
        };
        let issuer = cbor::text(top.next().flatten(), BAD).map_err(m)?;
        names::check(NameField::Issuer, &issuer, false)?;
        let issued = day(top.next().flatten())?;
        let next_update = day(top.next().flatten())?;
        if next_update < issued {
            return Err(bad("next update is before the issue date"));
        }
        let bodies = match format {
            ListFormat::V1 => Self::v1_numbers(cbor::bytes(top.next().flatten(), BAD).map_err(m)?)?,
            ListFormat::V2 => {
                let mut uint = || -> Result<u64> {
                    u64::try_from(cbor::int(top.next().flatten(), BAD).map_err(m)?)
                        .map_err(|_| bad("the count or the Rice parameter is negative"))
                };
                let (n, k) = (uint()?, uint()?);
                let k = u32::try_from(k).map_err(|_| bad(rice::RiceError::Parameter.problem()))?;
                let coded = cbor::bytes(top.next().flatten(), BAD).map_err(m)?;
                rice::decode(n, k, &coded).map_err(|e| bad(e.problem()))?
            }
        };
        Ok(RevocationList {
            issuer,
            issued,
            next_update,
            bodies,
        })
    }

    fn v1_numbers(packed: Vec<u8>) -> Result<Vec<u64>> {
        if !packed.len().is_multiple_of(card_number::BYTES) {
            return Err(bad("the numbers are not a multiple of 5 bytes"));
        }
        let mut bodies: Vec<u64> = Vec::with_capacity(packed.len() / card_number::BYTES);
        for chunk in packed.chunks_exact(card_number::BYTES) {
            let body = CardNumber::from_bytes(chunk)
                .map_err(|_| bad("a card number is not valid"))?
                .body();
            if bodies.last().is_some_and(|p| *p >= body) {
                return Err(bad("the numbers are not strictly ascending"));
            }
            bodies.push(body);
        }
        Ok(bodies)
    }

    /// Loads a signed list (version 1 or 2) and checks it against a
    /// verified trust list: the signer must be the root key, or a key
    /// allowed to sign revocations on the list's issue date; the issuer must
    /// match.
    pub fn verify(bytes: &[u8], trust: &TrustList) -> Result<Self> {
        let (parsed_kid, parsed, format) = Self::parse(bytes)?;
        let signer = if parsed_kid == keys::kid(&trust.root) {
            None
        } else {
            let key = trust
                .key(&parsed_kid)
                .ok_or(bad("signed by a key that is not in the trust list"))?;
            if !key.usage.allows(KeyUsage::REVOCATIONS) {
                return Err(bad("signed by a key not allowed to sign revocations"));
            }
            Some(key)
        };
        let public = signer.map_or(&trust.root, |k| &k.public_key);
        parsed
            .verify(public)
            .map_err(|_| bad("signature does not verify"))?;
        let list = Self::from_cbor_as(format, parsed.payload())?;
        if signer.is_some_and(|key| !key.may_sign_on(list.issued)) {
            return Err(bad("signed outside the key's signing window"));
        }
        if list.issuer != trust.issuer {
            return Err(bad("issued for another issuer than the trust list"));
        }
        Ok(list)
    }

    /// Parses a signed list **without** checking its signature, for display.
    pub fn inspect(bytes: &[u8]) -> Result<(Self, Kid)> {
        Self::inspect_format(bytes).map(|(list, kid, _)| (list, kid))
    }

    /// Like [`RevocationList::inspect`], and says which format it is in.
    pub fn inspect_format(bytes: &[u8]) -> Result<(Self, Kid, ListFormat)> {
        let (kid, parsed, format) = Self::parse(bytes)?;
        Ok((Self::from_cbor_as(format, parsed.payload())?, kid, format))
    }

    fn parse(bytes: &[u8]) -> Result<(Kid, cose::Parsed, ListFormat)> {
        let (parsed, which) =
            cose::parse_typed(bytes, MAX_REVOCATION_LIST_BYTES, &CONTENT_TYPES)
                .map_err(|_| bad("not a revocation list (malformed COSE or wrong content type)"))?;
        let format = if which == 0 {
            ListFormat::V1
        } else {
            ListFormat::V2
        };
        Ok((parsed.kid, parsed, format))
    }
}
