//! The crate's one error type.
//!
//! Policy: an error names *what* is wrong and *where* (which field, which
//! header, which byte offset), never the value. Names and dates of birth are
//! personal data and must not end up in a log line through an error message,
//! so no variant carries them.

use std::fmt;

/// Which name field a [`Error::Name`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameField {
    /// The given names.
    GivenNames,
    /// The family name.
    FamilyName,
    /// The issuer identifier.
    Issuer,
}

impl fmt::Display for NameField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameField::GivenNames => "given names",
            NameField::FamilyName => "family name",
            NameField::Issuer => "issuer",
        })
    }
}

/// Why a name field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameProblem {
    /// The field is empty but must not be.
    Empty,
    /// More characters (Unicode scalar values) than allowed.
    TooManyChars {
        /// The limit.
        max: usize,
    },
    /// More UTF-8 bytes than allowed.
    TooManyBytes {
        /// The limit.
        max: usize,
    },
    /// The text is not in Unicode Normalization Form C.
    NotNfc,
    /// The text starts or ends with a space, or has two spaces in a row.
    BadSpacing,
    /// A character that may not appear in a name (control, bidi override,
    /// line break, default-ignorable such as U+200B, …).
    ForbiddenChar {
        /// The code point, e.g. `0x202E`. A lone code point is not personal data.
        code_point: u32,
    },
    /// A code point that is unassigned in the signer's Unicode tables
    /// (General_Category `Cn`): refused when signing only.
    Unassigned {
        /// The code point, e.g. `0x0378`.
        code_point: u32,
    },
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::TooManyChars { max } => write!(f, "has more than {max} characters"),
            NameProblem::TooManyBytes { max } => write!(f, "is longer than {max} bytes in UTF-8"),
            NameProblem::NotNfc => f.write_str("is not in Unicode normalization form C (NFC)"),
            NameProblem::BadSpacing => f.write_str("has leading, trailing or repeated spaces"),
            NameProblem::ForbiddenChar { code_point } => {
                write!(f, "contains the forbidden character U+{code_point:04X}")
            }
            NameProblem::Unassigned { code_point } => {
                write!(
                    f,
                    "contains U+{code_point:04X}, which is not an assigned Unicode character"
                )
            }
        }
    }
}

/// Why a QR text or COSE object is malformed. Each is a stable, documented
/// reason (see `docs/card-format.md` §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// The text does not start with `CC1` (in any case).
    Prefix,
    /// A character after the prefix is not an ASCII digit.
    NotDigit {
        /// Offset of the character in the text (after trimming).
        offset: usize,
    },
    /// The number of digits is not 17·n + r with r in {0, 3, 5, 8, 10, 13, 15}.
    DigitCount,
    /// A digit group encodes a value that does not fit its byte count.
    GroupOverflow {
        /// Index of the group, from 0.
        group: usize,
    },
    /// The COSE object would be larger than the cap.
    TooLarge,
    /// The bytes are not a tagged COSE_Sign1.
    NotCoseSign1,
    /// Bytes follow the COSE_Sign1.
    TrailingBytes,
    /// The CBOR is valid but not in deterministic encoding.
    NotDeterministic,
    /// The protected header is not exactly what this format allows
    /// (other `alg`, missing `kid`, `crit` or another label).
    ProtectedHeader,
    /// The unprotected header is not empty (a `kid` there is not accepted).
    UnprotectedHeader,
    /// The payload is missing (detached payloads are not accepted).
    MissingPayload,
    /// The signature is not 64 bytes.
    SignatureLength,
    /// The payload is not a claims set of this format.
    Claims,
    /// A date in the payload is out of range or not at 00:00 UTC.
    Date,
    /// The card number has a wrong length or check digit.
    CardNumber,
    /// A name in the payload breaks the name rules.
    Name,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::Prefix => f.write_str("the text does not start with CC1"),
            Malformed::NotDigit { offset } => {
                write!(f, "character at offset {offset} is not a digit")
            }
            Malformed::DigitCount => f.write_str("the number of digits is not valid"),
            Malformed::GroupOverflow { group } => {
                write!(f, "digit group {group} is too large for its bytes")
            }
            Malformed::TooLarge => f.write_str("the credential is larger than allowed"),
            Malformed::NotCoseSign1 => f.write_str("not a tagged COSE_Sign1 object"),
            Malformed::TrailingBytes => f.write_str("extra bytes after the COSE object"),
            Malformed::NotDeterministic => f.write_str("CBOR is not deterministically encoded"),
            Malformed::ProtectedHeader => f.write_str("protected header not allowed"),
            Malformed::UnprotectedHeader => f.write_str("unprotected header must be empty"),
            Malformed::MissingPayload => f.write_str("payload missing"),
            Malformed::SignatureLength => f.write_str("signature is not 64 bytes"),
            Malformed::Claims => f.write_str("payload is not a valid claims set"),
            Malformed::Date => f.write_str("a date in the payload is out of range"),
            Malformed::CardNumber => f.write_str("card number is not valid"),
            Malformed::Name => f.write_str("a name in the payload breaks the name rules"),
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A name field breaks the rules of `docs/card-format.md` §5.
    #[error("the {field} {problem}")]
    Name {
        /// Which field.
        field: NameField,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// A date is outside the range this format supports.
    #[error("the {what} is out of range")]
    DateRange {
        /// Which date.
        what: &'static str,
    },
    /// Two dates are in the wrong order.
    #[error("the {later} must not be before the {earlier}")]
    DateOrder {
        /// The date that must come first.
        earlier: &'static str,
        /// The date that must come later.
        later: &'static str,
    },
    /// A date could not be parsed (expected `YYYY-MM-DD`).
    #[error("not a date of the form YYYY-MM-DD")]
    DateSyntax,
    /// A card number was mistyped: wrong length, a non-digit, or a wrong check digit.
    #[error("card number: {0}")]
    CardNumber(&'static str),
    /// The text or COSE object is malformed.
    #[error("malformed: {0}")]
    Malformed(Malformed),
    /// No key with this kid in the trust list.
    #[error("the signing key is not in the trust list")]
    UnknownKey,
    /// The key exists but may not sign this object.
    #[error("the key is not allowed to sign this: {0}")]
    KeyNotAllowed(&'static str),
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// The card number is on the revocation list.
    #[error("the card is on the revocation list")]
    Revoked,
    /// A trust list or revocation list is not acceptable.
    #[error("{list}: {problem}")]
    List {
        /// `trust list` or `revocation list`.
        list: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A correctly signed revocation list that is older than the newest one
    /// this verifier has already seen (`docs/card-format.md` §8.3): taking
    /// it would un-revoke the cards revoked since.
    #[error(
        "{list}: issued {issued}, before the newest list already seen (issued {newest_seen}); \
         an older list is refused because it could un-revoke cards"
    )]
    OlderList {
        /// `revocation list`.
        list: &'static str,
        /// The refused list's issue date.
        issued: time::Date,
        /// The issue date of the newest list seen before.
        newest_seen: time::Date,
    },
    /// A key (file or bytes) could not be read.
    #[error("key: {0}")]
    Key(&'static str),
    /// Encoding CBOR failed (out of memory, in practice).
    #[error("CBOR encoding failed")]
    Encode,
}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Self {
        Error::Malformed(m)
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
