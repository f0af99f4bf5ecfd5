//! Card numbers: 11 random decimal digits and a Damm check digit.
//!
//! The Damm algorithm detects every single-digit error and every transposition
//! of two adjacent digits, which are the mistakes people make when they type a
//! number from a card. See `docs/card-format.md` §4.

use crate::error::{Error, Result};
use rand_core::{CryptoRng, RngCore};
use std::fmt;
use std::str::FromStr;

/// Digits in a card number, check digit included.
pub const DIGITS: usize = 12;
/// Bytes of a card number in binary form (big-endian; 10^12 < 2^40).
pub const BYTES: usize = 5;
const LIMIT: u64 = 1_000_000_000_000;

/// The Damm quasigroup of order 10 (H. M. Damm, 2004), as published.
const DAMM: [[u8; 10]; 10] = [
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

/// Runs the Damm algorithm over decimal digits (each 0..=9).
fn damm(digits: impl IntoIterator<Item = u8>) -> u8 {
    digits.into_iter().fold(0u8, |interim, d| {
        DAMM.get(usize::from(interim))
            .and_then(|row| row.get(usize::from(d)))
            .copied()
            .unwrap_or(u8::MAX)
    })
}

fn digits_of(value: u64) -> [u8; DIGITS] {
    let mut out = [0u8; DIGITS];
    let mut v = value;
    for slot in out.iter_mut().rev() {
        *slot = (v % 10) as u8;
        v /= 10;
    }
    out
}

/// A valid card number (its check digit is right).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CardNumber(u64);

impl CardNumber {
    /// A new random card number from a cryptographic RNG.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        // Rejection sampling for a uniform 11-digit body.
        const BODY_LIMIT: u64 = LIMIT / 10;
        const ZONE: u64 = u64::MAX - (u64::MAX % BODY_LIMIT);
        let body = loop {
            let candidate = rng.next_u64();
            if candidate < ZONE {
                break candidate % BODY_LIMIT;
            }
        };
        Self::from_body(body)
    }

    /// The card number whose first 11 digits are `body` (must be < 10^11).
    pub(crate) fn from_body(body: u64) -> Self {
        let digits = digits_of(body * 10);
        let check = damm(digits.iter().take(DIGITS - 1).copied());
        CardNumber(body * 10 + u64::from(check))
    }

    /// From the 12-digit value; checks the check digit.
    pub fn from_u64(value: u64) -> Result<Self> {
        if value >= LIMIT {
            return Err(Error::CardNumber("more than 12 digits"));
        }
        if damm(digits_of(value)) != 0 {
            return Err(Error::CardNumber("the check digit does not match"));
        }
        Ok(CardNumber(value))
    }

    /// The first 11 digits (the number without its check digit), as an
    /// integer below 10^11: what a version 2 revocation list codes.
    pub fn body(self) -> u64 {
        self.0 / 10
    }

    /// The number as an integer (0 ≤ n < 10^12).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Binary form: 5 bytes, big-endian.
    pub fn to_bytes(self) -> [u8; BYTES] {
        let be = self.0.to_be_bytes();
        let mut out = [0u8; BYTES];
        out.copy_from_slice(be.get(8 - BYTES..).unwrap_or(&[0; BYTES]));
        out
    }

    /// From the 5-byte binary form; checks range and check digit.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != BYTES {
            return Err(Error::CardNumber("binary form is not 5 bytes"));
        }
        let value = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        Self::from_u64(value)
    }

    /// The 12 digits without separators.
    pub fn digits(self) -> String {
        format!("{:012}", self.0)
    }
}

impl FromStr for CardNumber {
    type Err = Error;

    /// Accepts the 12 digits with optional spaces, hyphens or dots between them.
    fn from_str(s: &str) -> Result<Self> {
        let mut value = 0u64;
        let mut count = 0usize;
        for c in s.trim().chars() {
            match c {
                '0'..='9' => {
                    count += 1;
                    if count > DIGITS {
                        return Err(Error::CardNumber("more than 12 digits"));
                    }
                    value = value * 10 + u64::from(c as u32 - '0' as u32);
                }
                ' ' | '-' | '.' | '\u{a0}' => {}
                _ => {
                    return Err(Error::CardNumber(
                        "only digits, spaces and hyphens are allowed",
                    ));
                }
            }
        }
        if count != DIGITS {
            return Err(Error::CardNumber("a card number has 12 digits"));
        }
        Self::from_u64(value)
    }
}

impl fmt::Display for CardNumber {
    /// Three groups of four digits: `0123 4567 8901`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        let (a, rest) = d.split_at(4);
        let (b, c) = rest.split_at(4);
        write!(f, "{a} {b} {c}")
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.digits())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CardNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.digits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damm_known_value() {
        // Published example: 572 → check digit 4.
        assert_eq!(damm([5, 7, 2]), 4);
        assert_eq!(damm([5, 7, 2, 4]), 0);
    }

    #[test]
    fn vector_numbers() {
        let n = CardNumber::from_body(1_234_567_890);
        assert_eq!(n.digits(), "012345678906");
        assert_eq!(n.to_string(), "0123 4567 8906");
        assert_eq!("0123-4567-8906".parse::<CardNumber>(), Ok(n));
        assert_eq!(n.to_bytes(), [0x02, 0xDF, 0xDC, 0x1C, 0x3A]);
        assert_eq!(CardNumber::from_bytes(&n.to_bytes()), Ok(n));
    }

    #[test]
    fn every_single_digit_error_and_adjacent_swap_is_caught() {
        let n = CardNumber::from_body(98_765_432_101);
        let d = n.digits().into_bytes();
        for i in 0..DIGITS {
            for wrong in b'0'..=b'9' {
                if wrong == d[i] {
                    continue;
                }
                let mut typo = d.clone();
                typo[i] = wrong;
                let s = String::from_utf8(typo).unwrap_or_default();
                assert!(s.parse::<CardNumber>().is_err(), "{s}");
            }
            if i + 1 < DIGITS && d[i] != d[i + 1] {
                let mut swap = d.clone();
                swap.swap(i, i + 1);
                let s = String::from_utf8(swap).unwrap_or_default();
                assert!(s.parse::<CardNumber>().is_err(), "{s}");
            }
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!("".parse::<CardNumber>().is_err());
        assert!("0123 4567 890".parse::<CardNumber>().is_err());
        assert!("0123 4567 89022".parse::<CardNumber>().is_err());
        assert!("0123 4567 890x".parse::<CardNumber>().is_err());
        assert!(CardNumber::from_u64(LIMIT).is_err());
        assert!(CardNumber::from_bytes(&[0xFF; 5]).is_err());
    }
}
