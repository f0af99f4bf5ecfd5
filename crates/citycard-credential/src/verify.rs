//! Offline verification of a scanned card (`docs/card-format.md` §9).

use crate::claims::CardClaims;
use crate::cose;
use crate::error::{Error, Malformed, Result};
use crate::keys;
use crate::revocation::RevocationList;
use crate::text::{self, MAX_COSE_BYTES};
use crate::trust_list::{KeyUsage, TrustList};
use std::fmt;
use time::Date;

/// The result of checking a card. The codes are stable and shared with the
/// CLI (`--json`) and the desk web page (`data-outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Issued by the city, unchanged, in date, not revoked.
    Valid,
    /// Past its last valid day.
    Expired,
    /// Its issue date is after the verification date.
    NotYetValid,
    /// On the revocation list.
    Revoked,
    /// Signed by a key the trust list does not know.
    UnknownKey,
    /// Signed by a known key that may not sign it (outside its signing
    /// window, past its verify-until date, not a card key, other issuer).
    KeyNotAllowed,
    /// The signature does not verify: forged or altered.
    BadSignature,
    /// Not a card of this format at all.
    Malformed,
}

impl Outcome {
    /// Every outcome, in the order of the table in the spec.
    pub const ALL: [Outcome; 8] = [
        Outcome::Valid,
        Outcome::Expired,
        Outcome::NotYetValid,
        Outcome::Revoked,
        Outcome::UnknownKey,
        Outcome::KeyNotAllowed,
        Outcome::BadSignature,
        Outcome::Malformed,
    ];

    /// The stable code, e.g. `not_yet_valid`.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Expired => "expired",
            Outcome::NotYetValid => "not_yet_valid",
            Outcome::Revoked => "revoked",
            Outcome::UnknownKey => "unknown_key",
            Outcome::KeyNotAllowed => "key_not_allowed",
            Outcome::BadSignature => "bad_signature",
            Outcome::Malformed => "malformed",
        }
    }

    /// The outcome for a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    /// Whether the card may be accepted.
    pub fn is_valid(self) -> bool {
        self == Outcome::Valid
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Something the desk should know even though the card verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The trust list is a development list (issuer `dev`, §7): the card is
    /// not a real City Card, whatever the outcome.
    DevelopmentKeys,
    /// No revocation list was loaded: a revoked card would pass.
    NoRevocationList,
    /// The revocation list is past its next-update date.
    RevocationListStale {
        /// Its next-update date.
        next_update: Date,
    },
    /// The trust list is past its next-update date.
    TrustListStale {
        /// Its next-update date.
        next_update: Date,
    },
}

impl Warning {
    /// The stable code, e.g. `revocation_list_stale`.
    pub fn code(self) -> &'static str {
        match self {
            Warning::DevelopmentKeys => "development_keys",
            Warning::NoRevocationList => "no_revocation_list",
            Warning::RevocationListStale { .. } => "revocation_list_stale",
            Warning::TrustListStale { .. } => "trust_list_stale",
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::DevelopmentKeys => f.write_str(
                "DEVELOPMENT KEYS: checked against a development trust list (issuer \"dev\"): \
                 this is not a real City Card",
            ),
            Warning::NoRevocationList => {
                f.write_str("no revocation list loaded: revoked cards cannot be detected")
            }
            Warning::RevocationListStale { next_update } => write!(
                f,
                "the revocation list is out of date (next update was due {})",
                crate::date::format(*next_update)
            ),
            Warning::TrustListStale { next_update } => write!(
                f,
                "the trust list is out of date (next update was due {})",
                crate::date::format(*next_update)
            ),
        }
    }
}

/// What [`Verifier::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The outcome.
    pub outcome: Outcome,
    /// Why, when the outcome is not valid (never contains personal data).
    pub reason: Option<Error>,
    /// The card's claims, once the signature has verified (so for valid,
    /// expired, not yet valid, revoked and key-not-allowed cards).
    pub card: Option<CardClaims>,
    /// The office whose key signed the card, once the signature has verified.
    pub office: Option<String>,
    /// Warnings about the lists used.
    pub warnings: Vec<Warning>,
}

/// A verifier set up with a trust list (checked against the pinned root
/// key) and optionally a revocation list. It makes no network calls and
/// keeps no record of what it verified.
#[derive(Debug, Clone)]
pub struct Verifier {
    trust: TrustList,
    revocations: Option<RevocationList>,
}

impl Verifier {
    /// Loads a signed trust list against the pinned root public key.
    pub fn new(trust_list: &[u8], root: &keys::PublicKey) -> Result<Self> {
        Ok(Verifier {
            trust: TrustList::verify(trust_list, root)?,
            revocations: None,
        })
    }

    /// Loads a signed trust list against the pinned root key fingerprint.
    pub fn with_fingerprint(trust_list: &[u8], fingerprint: &[u8; 32]) -> Result<Self> {
        Ok(Verifier {
            trust: TrustList::verify_with_fingerprint(trust_list, fingerprint)?,
            revocations: None,
        })
    }

    /// Loads a signed revocation list (replacing any earlier one). A
    /// verifier that keeps state across lists MUST use
    /// [`Verifier::load_revocations_since`] instead (§8.3).
    pub fn load_revocations(&mut self, bytes: &[u8]) -> Result<&RevocationList> {
        let list = RevocationList::verify(bytes, &self.trust)?;
        Ok(self.revocations.insert(list))
    }

    /// Loads a signed revocation list unless it was issued before
    /// `newest_seen` (the issue date of the newest list this verifier has
    /// accepted before): a replayed older list would un-revoke cards
    /// (§8.3). `None` accepts any correctly signed list.
    pub fn load_revocations_since(
        &mut self,
        bytes: &[u8],
        newest_seen: Option<Date>,
    ) -> Result<&RevocationList> {
        let list = RevocationList::verify(bytes, &self.trust)?;
        if let Some(seen) = newest_seen {
            list.check_not_older(seen)?;
        }
        Ok(self.revocations.insert(list))
    }

    /// The verified trust list.
    pub fn trust_list(&self) -> &TrustList {
        &self.trust
    }

    /// The verified revocation list, if one is loaded.
    pub fn revocations(&self) -> Option<&RevocationList> {
        self.revocations.as_ref()
    }

    /// Warnings about the lists on `today`, independent of any card.
    pub fn list_warnings(&self, today: Date) -> Vec<Warning> {
        let mut warnings = Vec::new();
        if self.trust.is_development() {
            warnings.push(Warning::DevelopmentKeys);
        }
        if today > self.trust.next_update {
            warnings.push(Warning::TrustListStale {
                next_update: self.trust.next_update,
            });
        }
        match &self.revocations {
            None => warnings.push(Warning::NoRevocationList),
            Some(r) if today > r.next_update => warnings.push(Warning::RevocationListStale {
                next_update: r.next_update,
            }),
            Some(_) => {}
        }
        warnings
    }

    /// Verifies a scanned QR text as of `today` (a calendar date; use
    /// [`crate::date::today_utc`] or the desk's local date).
    pub fn verify(&self, scanned: &str, today: Date) -> Verification {
        let mut v = Verification {
            outcome: Outcome::Malformed,
            reason: None,
            card: None,
            office: None,
            warnings: self.list_warnings(today),
        };
        if let Err((outcome, reason)) = self.check(scanned, today, &mut v) {
            v.outcome = outcome;
            v.reason = Some(reason);
        } else {
            v.outcome = Outcome::Valid;
        }
        v
    }

    fn check(
        &self,
        scanned: &str,
        today: Date,
        v: &mut Verification,
    ) -> std::result::Result<(), (Outcome, Error)> {
        let malformed = |m: Malformed| (Outcome::Malformed, Error::Malformed(m));
        let bytes = text::decode(scanned).map_err(malformed)?;
        let parsed = cose::parse(&bytes, MAX_COSE_BYTES, None).map_err(malformed)?;
        let key = self
            .trust
            .key(&parsed.kid)
            .ok_or((Outcome::UnknownKey, Error::UnknownKey))?;
        parsed
            .verify(&key.public_key)
            .map_err(|e| (Outcome::BadSignature, e))?;
        let card = CardClaims::from_cbor(parsed.payload()).map_err(malformed)?;
        let (issued, expires, number, issuer_ok) = (
            card.issued,
            card.expires,
            card.card_number,
            card.issuer == self.trust.issuer,
        );
        v.card = Some(card);
        v.office = Some(key.office.clone());
        let not_allowed = |why| (Outcome::KeyNotAllowed, Error::KeyNotAllowed(why));
        if !key.usage.allows(KeyUsage::CARDS) {
            return Err(not_allowed("the key may not sign cards"));
        }
        if !issuer_ok {
            return Err(not_allowed("the card names another issuer"));
        }
        if !key.may_sign_on(issued) {
            return Err(not_allowed("issue date outside the key's signing window"));
        }
        if today > key.verify_until {
            return Err(not_allowed("the key's verify-until date has passed"));
        }
        if self
            .revocations
            .as_ref()
            .is_some_and(|r| r.contains(number))
        {
            return Err((Outcome::Revoked, Error::Revoked));
        }
        if today < issued {
            return Err((
                Outcome::NotYetValid,
                Error::DateOrder {
                    earlier: "issue date",
                    later: "verification date",
                },
            ));
        }
        if today > expires {
            return Err((
                Outcome::Expired,
                Error::DateOrder {
                    earlier: "verification date",
                    later: "expiry date",
                },
            ));
        }
        Ok(())
    }
}
