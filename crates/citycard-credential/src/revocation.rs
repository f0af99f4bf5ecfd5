//! The revocation list: the sorted numbers of revoked cards, signed by the
//! root key or a trust-list key allowed to sign revocations
//! (`docs/card-format.md` §8).

use crate::MAX_REVOCATION_LIST_BYTES;
use crate::card_number::{self, CardNumber};
use crate::cbor;
use crate::cose::{self, CONTENT_TYPE_REVOCATIONS};
use crate::date;
use crate::error::{Error, Malformed, NameField, Result};
use crate::keys::{self, Kid};
use crate::names;
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

/// A revocation list. The numbers are kept packed (5 bytes each, ascending),
/// exactly as on the wire, and looked up by binary search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    /// The issuer identifier (must match the trust list's).
    pub issuer: String,
    /// Issue date.
    pub issued: Date,
    /// Date by which a newer list will be published.
    pub next_update: Date,
    packed: Vec<u8>,
}

impl RevocationList {
    /// A list of these numbers (sorted and de-duplicated here).
    pub fn new(
        issuer: impl Into<String>,
        issued: Date,
        next_update: Date,
        numbers: impl IntoIterator<Item = CardNumber>,
    ) -> Self {
        let mut numbers: Vec<CardNumber> = numbers.into_iter().collect();
        numbers.sort_unstable();
        numbers.dedup();
        let packed = numbers.iter().flat_map(|n| n.to_bytes()).collect();
        RevocationList {
            issuer: issuer.into(),
            issued,
            next_update,
            packed,
        }
    }

    /// How many numbers the list holds.
    pub fn len(&self) -> usize {
        self.packed.len() / card_number::BYTES
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    /// Whether this card number is revoked.
    pub fn contains(&self, number: CardNumber) -> bool {
        let needle = number.to_bytes();
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = mid * card_number::BYTES;
            match self.packed.get(at..at + card_number::BYTES) {
                Some(entry) => match entry.cmp(needle.as_slice()) {
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                    std::cmp::Ordering::Equal => return true,
                },
                None => return false,
            }
        }
        false
    }

    /// The numbers, ascending.
    pub fn numbers(&self) -> impl Iterator<Item = CardNumber> + '_ {
        self.packed
            .chunks_exact(card_number::BYTES)
            .filter_map(|c| CardNumber::from_bytes(c).ok())
    }

    /// The payload in deterministic CBOR.
    pub fn to_cbor(&self) -> Result<Vec<u8>> {
        names::check(NameField::Issuer, &self.issuer, false)?;
        if self.next_update < self.issued {
            return Err(bad("next update is before the issue date"));
        }
        cbor::to_vec(&Value::Map(vec![
            (cbor::key(1), Value::Text(self.issuer.clone())),
            (cbor::key(2), cbor::key(date::to_days(self.issued))),
            (cbor::key(3), cbor::key(date::to_days(self.next_update))),
            (cbor::key(4), Value::Bytes(self.packed.clone())),
        ]))
    }

    /// Signs the list with the root key or a revocation-signing key.
    pub fn sign(&self, key: &SigningKey) -> Result<Vec<u8>> {
        cose::sign(
            key,
            &keys::kid(&key.verifying_key()),
            Some(CONTENT_TYPE_REVOCATIONS),
            self.to_cbor()?,
        )
    }

    /// Parses a payload strictly: sorted, no duplicates, valid check digits.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self> {
        const BAD: Malformed = Malformed::Claims;
        let m = |_| bad("payload is malformed");
        let value = cbor::from_slice(bytes, BAD).map_err(m)?;
        cbor::check_deterministic(&value, bytes).map_err(m)?;
        let mut top = cbor::expect_map(value, &[1, 2, 3, 4], &[], BAD)
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
        let packed = cbor::bytes(top.next().flatten(), BAD).map_err(m)?;
        if packed.len() % card_number::BYTES != 0 {
            return Err(bad("the numbers are not a multiple of 5 bytes"));
        }
        let mut previous: Option<&[u8]> = None;
        for chunk in packed.chunks_exact(card_number::BYTES) {
            CardNumber::from_bytes(chunk).map_err(|_| bad("a card number is not valid"))?;
            if previous.is_some_and(|p| p >= chunk) {
                return Err(bad("the numbers are not strictly ascending"));
            }
            previous = Some(chunk);
        }
        Ok(RevocationList {
            issuer,
            issued,
            next_update,
            packed,
        })
    }

    /// Loads a signed list and checks it against a verified trust list: the
    /// signer must be the root key, or a key allowed to sign revocations on
    /// the list's issue date; the issuer must match.
    pub fn verify(bytes: &[u8], trust: &TrustList) -> Result<Self> {
        let (parsed_kid, parsed) = Self::parse(bytes)?;
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
        let list = Self::from_cbor(parsed.payload())?;
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
        let (kid, parsed) = Self::parse(bytes)?;
        Ok((Self::from_cbor(parsed.payload())?, kid))
    }

    fn parse(bytes: &[u8]) -> Result<(Kid, cose::Parsed)> {
        let parsed = cose::parse(
            bytes,
            MAX_REVOCATION_LIST_BYTES,
            Some(CONTENT_TYPE_REVOCATIONS),
        )
        .map_err(|_| bad("not a revocation list (malformed COSE or wrong content type)"))?;
        Ok((parsed.kid, parsed))
    }
}
