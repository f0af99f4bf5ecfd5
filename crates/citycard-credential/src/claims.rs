//! The card's claims and their CWT encoding (`docs/card-format.md` §5).

use crate::card_number::CardNumber;
use crate::cbor;
use crate::date;
use crate::error::{Error, Malformed, NameField, Result};
use crate::names;
use ciborium::Value;
use time::Date;

/// CWT claim keys (RFC 8392).
pub mod keys {
    /// `iss`: the issuer identifier.
    pub const ISS: i64 = 1;
    /// `exp`: NumericDate of 00:00 UTC on the day after the last valid day.
    pub const EXP: i64 = 4;
    /// `iat`: NumericDate of 00:00 UTC on the issue date.
    pub const IAT: i64 = 6;
    /// `cti`: the card number, 5 bytes big-endian.
    pub const CTI: i64 = 7;
    /// Private-use claim holding the card's own fields.
    pub const CARD: i64 = -65_537;
    /// In the card map: given names.
    pub const GIVEN_NAMES: i64 = 1;
    /// In the card map: family name.
    pub const FAMILY_NAME: i64 = 2;
    /// In the card map: date of birth, days since 1970-01-01.
    pub const DATE_OF_BIRTH: i64 = 3;
}

/// What a card says. Nothing else is on it, by design.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CardClaims {
    /// The issuer identifier (the city), e.g. `bern`.
    pub issuer: String,
    /// The card number.
    pub card_number: CardNumber,
    /// Given names as printed; may be empty (a single name goes in the family name).
    pub given_names: String,
    /// Family name as printed.
    pub family_name: String,
    /// Issue date.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_date"))]
    pub issued: Date,
    /// Last day on which the card is valid ("valid until").
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_date"))]
    pub expires: Date,
    /// Date of birth, where the city's card shows it.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_opt_date"))]
    pub date_of_birth: Option<Date>,
}

#[cfg(feature = "serde")]
fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&date::format(*d))
}

#[cfg(feature = "serde")]
fn ser_opt_date<S: serde::Serializer>(
    d: &Option<Date>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&date::format(*d)),
        None => s.serialize_none(),
    }
}

impl CardClaims {
    /// Checks every rule of the format; run before signing and after decoding.
    pub fn validate(&self) -> Result<()> {
        names::check(NameField::Issuer, &self.issuer, false)?;
        names::check(NameField::GivenNames, &self.given_names, true)?;
        names::check(NameField::FamilyName, &self.family_name, false)?;
        date::check_range(self.issued, "issue date")?;
        date::check_range(self.expires, "expiry date")?;
        // `exp` is the day after the last valid day; it must be in range too.
        self.expires
            .next_day()
            .ok_or(Error::DateRange {
                what: "expiry date",
            })
            .and_then(|exp| date::check_range(exp, "expiry date"))?;
        if self.expires < self.issued {
            return Err(Error::DateOrder {
                earlier: "issue date",
                later: "expiry date",
            });
        }
        if let Some(dob) = self.date_of_birth {
            date::check_range(dob, "date of birth")?;
            if dob > self.issued {
                return Err(Error::DateOrder {
                    earlier: "date of birth",
                    later: "issue date",
                });
            }
        }
        Ok(())
    }

    /// [`CardClaims::validate`] plus the signer's rule of §5: no unassigned
    /// code point in a name ([`names::check_assigned`]). Run before signing.
    pub fn validate_for_signing(&self) -> Result<()> {
        self.validate()?;
        names::check_assigned(NameField::Issuer, &self.issuer)?;
        names::check_assigned(NameField::GivenNames, &self.given_names)?;
        names::check_assigned(NameField::FamilyName, &self.family_name)
    }

    /// The CWT claims set in deterministic CBOR. Validates first, with the
    /// signer's rules ([`CardClaims::validate_for_signing`]).
    pub fn to_cbor(&self) -> Result<Vec<u8>> {
        self.validate_for_signing()?;
        let exp_day = self.expires.next_day().ok_or(Error::DateRange {
            what: "expiry date",
        })?;
        let mut card = vec![
            (
                cbor::key(keys::GIVEN_NAMES),
                Value::Text(self.given_names.clone()),
            ),
            (
                cbor::key(keys::FAMILY_NAME),
                Value::Text(self.family_name.clone()),
            ),
        ];
        if let Some(dob) = self.date_of_birth {
            card.push((
                cbor::key(keys::DATE_OF_BIRTH),
                cbor::key(date::to_days(dob)),
            ));
        }
        let claims = Value::Map(vec![
            (cbor::key(keys::ISS), Value::Text(self.issuer.clone())),
            (
                cbor::key(keys::EXP),
                cbor::key(date::to_numeric_date(exp_day)),
            ),
            (
                cbor::key(keys::IAT),
                cbor::key(date::to_numeric_date(self.issued)),
            ),
            (
                cbor::key(keys::CTI),
                Value::Bytes(self.card_number.to_bytes().to_vec()),
            ),
            (cbor::key(keys::CARD), Value::Map(card)),
        ]);
        cbor::to_vec(&claims)
    }

    /// Parses a claims set strictly: exactly these keys, these types,
    /// deterministic encoding, and every rule of [`CardClaims::validate`].
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, Malformed> {
        const BAD: Malformed = Malformed::Claims;
        let value = cbor::from_slice(bytes, BAD)?;
        cbor::check_deterministic(&value, bytes)?;
        let mut top = cbor::expect_map(
            value,
            &[keys::ISS, keys::EXP, keys::IAT, keys::CTI, keys::CARD],
            &[],
            BAD,
        )?
        .into_iter();
        let issuer = cbor::text(top.next().flatten(), BAD)?;
        let exp = cbor::int(top.next().flatten(), BAD)?;
        let iat = cbor::int(top.next().flatten(), BAD)?;
        let cti = cbor::bytes(top.next().flatten(), BAD)?;
        let card = top.next().flatten().ok_or(BAD)?;
        let mut card = cbor::expect_map(
            card,
            &[keys::GIVEN_NAMES, keys::FAMILY_NAME, keys::DATE_OF_BIRTH],
            &[keys::DATE_OF_BIRTH],
            BAD,
        )?
        .into_iter();
        let given_names = cbor::text(card.next().flatten(), BAD)?;
        let family_name = cbor::text(card.next().flatten(), BAD)?;
        let date_of_birth = match card.next().flatten() {
            None => None,
            dob => Some(date::from_days(cbor::int(dob, BAD)?).ok_or(Malformed::Date)?),
        };
        let issued = date::from_numeric_date(iat).ok_or(Malformed::Date)?;
        let expires = date::from_numeric_date(exp)
            .and_then(Date::previous_day)
            .ok_or(Malformed::Date)?;
        let card_number = CardNumber::from_bytes(&cti).map_err(|_| Malformed::CardNumber)?;
        let claims = CardClaims {
            issuer,
            card_number,
            given_names,
            family_name,
            issued,
            expires,
            date_of_birth,
        };
        claims.validate().map_err(|e| match e {
            Error::Name { .. } => Malformed::Name,
            _ => Malformed::Date,
        })?;
        Ok(claims)
    }
}
