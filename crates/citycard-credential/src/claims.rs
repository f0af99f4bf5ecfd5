//! The card's claims and their CWT encoding (`docs/card-format.md` §5).

use crate::birth_date::BirthDate;
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
    /// In the card map: a partial date of birth, `[year]` or `[year, month]`
    /// (card payload version 2, `docs/card-format.md` §5.1).
    pub const PARTIAL_DATE_OF_BIRTH: i64 = 4;
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
    /// Date of birth (a day, or only a month and year, or only a year),
    /// where the city's card shows it. Serialized as `1987-03-14`,
    /// `1987-03` or `1987`.
    pub date_of_birth: Option<BirthDate>,
}

#[cfg(feature = "serde")]
fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&date::format(*d))
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
            // A partial date must be in range as a whole (a year is checked
            // through its first and last day), and could have been before
            // the issue date: its earliest day is not after it.
            date::check_range(dob.earliest(), "date of birth")?;
            date::check_range(dob.latest(), "date of birth")?;
            if dob.earliest() > self.issued {
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
        self.encode()
    }

    /// The claims set as §5 lays it out, written straight into one buffer
    /// (keys in canonical order, shortest heads): no `Value` tree and no
    /// copies of the names. The same bytes as [`CardClaims::to_value`]
    /// serialized, which the tests check.
    fn encode(&self) -> Result<Vec<u8>> {
        let exp_day = self.expires.next_day().ok_or(Error::DateRange {
            what: "expiry date",
        })?;
        let card_entries = 2 + usize::from(self.date_of_birth.is_some());
        let mut w = cbor::Writer::with_capacity(
            48 + self.issuer.len() + self.given_names.len() + self.family_name.len(),
        );
        w.map(5);
        w.int(keys::ISS).text(&self.issuer);
        w.int(keys::EXP).int(date::to_numeric_date(exp_day));
        w.int(keys::IAT).int(date::to_numeric_date(self.issued));
        w.int(keys::CTI).bytes(&self.card_number.to_bytes());
        w.int(keys::CARD).map(card_entries);
        w.int(keys::GIVEN_NAMES).text(&self.given_names);
        w.int(keys::FAMILY_NAME).text(&self.family_name);
        match self.date_of_birth {
            None => {}
            Some(BirthDate::Day(dob)) => {
                w.int(keys::DATE_OF_BIRTH).int(date::to_days(dob));
            }
            Some(BirthDate::Month { year, month }) => {
                w.int(keys::PARTIAL_DATE_OF_BIRTH)
                    .array(2)
                    .int(i64::from(year))
                    .int(i64::from(u8::from(month)));
            }
            Some(BirthDate::Year(year)) => {
                w.int(keys::PARTIAL_DATE_OF_BIRTH)
                    .array(1)
                    .int(i64::from(year));
            }
        }
        Ok(w.finish())
    }

    /// The claims set as a ciborium `Value` (how [`CardClaims::encode`]
    /// was first written; the tests compare the two).
    #[cfg(test)]
    fn to_value(&self) -> Result<Value> {
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
        match self.date_of_birth {
            None => {}
            Some(BirthDate::Day(dob)) => card.push((
                cbor::key(keys::DATE_OF_BIRTH),
                cbor::key(date::to_days(dob)),
            )),
            Some(BirthDate::Month { year, month }) => card.push((
                cbor::key(keys::PARTIAL_DATE_OF_BIRTH),
                Value::Array(vec![
                    cbor::key(i64::from(year)),
                    cbor::key(i64::from(u8::from(month))),
                ]),
            )),
            Some(BirthDate::Year(year)) => card.push((
                cbor::key(keys::PARTIAL_DATE_OF_BIRTH),
                Value::Array(vec![cbor::key(i64::from(year))]),
            )),
        }
        Ok(Value::Map(vec![
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
        ]))
    }

    /// Parses a claims set strictly: exactly these keys, these types,
    /// deterministic encoding, and every rule of [`CardClaims::validate`].
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, Malformed> {
        if let Some(fast) = Self::from_cbor_fast(bytes) {
            debug_assert_eq!(
                Ok(&fast),
                Self::from_cbor_general(bytes).as_ref(),
                "the fast path accepts only what the general one does"
            );
            return Ok(fast);
        }
        Self::from_cbor_general(bytes)
    }

    /// A valid claims set read straight from its bytes with
    /// [`cbor::Strict`]: `None` for anything else, which
    /// [`CardClaims::from_cbor_general`] then reads and names what is wrong
    /// with. It accepts exactly what the general reader accepts, with the
    /// same result (checked in debug builds, so by every test, property
    /// test and fuzz target).
    fn from_cbor_fast(bytes: &[u8]) -> Option<Self> {
        let mut r = cbor::Strict::new(bytes);
        if r.map()? != 5 || !r.key(keys::ISS) {
            return None;
        }
        let issuer = r.text()?;
        let exp = if r.key(keys::EXP) {
            r.int()?
        } else {
            return None;
        };
        let iat = if r.key(keys::IAT) {
            r.int()?
        } else {
            return None;
        };
        let cti = if r.key(keys::CTI) {
            r.bytes()?
        } else {
            return None;
        };
        if !r.key(keys::CARD) {
            return None;
        }
        let entries = r.map()?;
        let given_names = if r.key(keys::GIVEN_NAMES) {
            r.text()?
        } else {
            return None;
        };
        let family_name = if r.key(keys::FAMILY_NAME) {
            r.text()?
        } else {
            return None;
        };
        let date_of_birth = match entries {
            2 => None,
            3 if r.key(keys::DATE_OF_BIRTH) => Some(BirthDate::Day(date::from_days(r.int()?)?)),
            3 if r.key(keys::PARTIAL_DATE_OF_BIRTH) => {
                let parts = r.array()?;
                let year = i32::try_from(r.int()?).ok()?;
                match parts {
                    1 => Some(BirthDate::year(year)?),
                    2 => Some(BirthDate::month(year, u8::try_from(r.int()?).ok()?)?),
                    _ => return None,
                }
            }
            _ => return None,
        };
        if !r.is_empty() {
            return None;
        }
        let claims = CardClaims {
            issuer: issuer.to_owned(),
            card_number: CardNumber::from_bytes(cti).ok()?,
            given_names: given_names.to_owned(),
            family_name: family_name.to_owned(),
            issued: date::from_numeric_date(iat)?,
            expires: date::from_numeric_date(exp).and_then(Date::previous_day)?,
            date_of_birth,
        };
        claims.validate().ok()?;
        Some(claims)
    }

    /// The general reader: the claims as a `ciborium::Value`, checked
    /// against their deterministic encoding; it names what is wrong.
    fn from_cbor_general(bytes: &[u8]) -> Result<Self, Malformed> {
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
            &[
                keys::GIVEN_NAMES,
                keys::FAMILY_NAME,
                keys::DATE_OF_BIRTH,
                keys::PARTIAL_DATE_OF_BIRTH,
            ],
            &[keys::DATE_OF_BIRTH, keys::PARTIAL_DATE_OF_BIRTH],
            BAD,
        )?
        .into_iter();
        let given_names = cbor::text(card.next().flatten(), BAD)?;
        let family_name = cbor::text(card.next().flatten(), BAD)?;
        let date_of_birth = match (card.next().flatten(), card.next().flatten()) {
            (None, None) => None,
            (day @ Some(_), None) => Some(BirthDate::Day(
                date::from_days(cbor::int(day, BAD)?).ok_or(Malformed::Date)?,
            )),
            (None, Some(partial)) => Some(partial_date(partial)?),
            // Both a day and a partial date: one date of birth only.
            (Some(_), Some(_)) => return Err(BAD),
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

/// Card key 4: `[year]` or `[year, month]`, year 1900–2199, month 1–12.
/// Any other shape is malformed; an out-of-range number is a bad date.
fn partial_date(value: Value) -> Result<BirthDate, Malformed> {
    const BAD: Malformed = Malformed::Claims;
    let Value::Array(items) = value else {
        return Err(BAD);
    };
    let mut numbers = Vec::with_capacity(2);
    for item in items {
        match item {
            Value::Integer(i) => numbers.push(i128::from(i)),
            _ => return Err(BAD),
        }
    }
    let year = |y: i128| i32::try_from(y).map_err(|_| Malformed::Date);
    match numbers.as_slice() {
        [y] => BirthDate::year(year(*y)?).ok_or(Malformed::Date),
        [y, m] => {
            let m = u8::try_from(*m).map_err(|_| Malformed::Date)?;
            BirthDate::month(year(*y)?, m).ok_or(Malformed::Date)
        }
        _ => Err(BAD),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_encoding_is_the_value_encoding() {
        let day = |s: &str| date::parse(s).unwrap();
        let number = (0..10)
            .find_map(|d| CardNumber::from_u64(12_345_678_901 * 10 + d).ok())
            .unwrap();
        let births = [
            None,
            Some(BirthDate::Day(day("1990-05-17"))),
            Some(BirthDate::Day(day("1969-12-31"))),
            Some(BirthDate::Day(day("1900-01-01"))),
            Some(BirthDate::Day(day("1970-01-01"))),
            BirthDate::month(1987, 3),
            BirthDate::month(1900, 12),
            BirthDate::year(1955),
            BirthDate::year(2026),
        ];
        let names = [
            ("", "X"),
            ("Maximiliane Alexandra", "Oberhollenzer-Wyss"),
            ("Анна Сергеевна", "Иванова"),
            ("علی\u{200C}رضا", "رضایی"),
            (&*"W".repeat(64), &*"ä".repeat(64)),
        ];
        for birth in births {
            for (given, family) in names {
                for (issued, expires) in
                    [("2026-03-01", "2031-02-28"), ("2026-12-31", "2026-12-31")]
                {
                    let claims = CardClaims {
                        issuer: "musterstadt".into(),
                        card_number: number,
                        given_names: given.into(),
                        family_name: family.into(),
                        issued: day(issued),
                        expires: day(expires),
                        date_of_birth: birth,
                    };
                    let direct = claims.to_cbor().unwrap();
                    let via_value = cbor::to_vec(&claims.to_value().unwrap()).unwrap();
                    assert_eq!(direct, via_value, "{birth:?}");
                    assert_eq!(CardClaims::from_cbor(&direct), Ok(claims));
                }
            }
        }
    }
}
