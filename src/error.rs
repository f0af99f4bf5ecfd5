//! The office's error type, shared by the domain modules (accounts,
//! cards, audit, vault, db).
//!
//! Policy (docs/logging.md):
//! - An error says *what* went wrong and *where* (which field, which rule,
//!   which file), never a value that could be personal data: no name, no
//!   date of birth, no password, no token.
//! - Every variant has a stable machine-readable [`Error::code`] that the web
//!   layer puts in its JSON errors and the UI translates; the `Display` text
//!   is an English message a person can act on.
//! - Database and pool errors are summarised; their text never reaches a
//!   resident-facing page (and our tables hold no personal data in the
//!   clear, so no database message can carry any).

/// Result with the office [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a domain operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The actor's role does not allow the operation.
    #[error("a user with the role {role} may not {action}")]
    Forbidden {
        /// The actor's role, as stored (`clerk`, …): a code, so that this
        /// file imports nothing of the domain.
        role: &'static str,
        /// What was attempted, e.g. `revoke cards`.
        action: &'static str,
    },
    /// The API token the request came with is limited to permissions that
    /// do not include this one (its owner's role may).
    #[error("this API token may not {action} (it is limited to some permissions)")]
    TokenForbidden {
        /// What was attempted, e.g. `revoke cards`.
        action: &'static str,
    },
    /// The user must set a new password before doing anything else.
    #[error("the password must be changed before anything else")]
    PasswordChangeRequired,
    /// The card or list belongs to another site than the user's (a
    /// clerk or supervisor acts within their site).
    #[error("this belongs to another site")]
    OtherSite,
    /// The user's site is closed: no work is done there any more.
    #[error("this site is closed")]
    SiteClosed,
    /// A field of the input breaks a rule. The rule is a code
    /// ([`Rule::code`]) that the UI translates; never the field's value.
    #[error("{field}: {}{}", rule.describe(), match code_point {
        Some(c) => format!(" (U+{c:04X})"),
        None => String::new(),
    })]
    Invalid {
        /// The field, e.g. `family_name`.
        field: &'static str,
        /// The rule it breaks.
        rule: Rule,
        /// The code point that breaks it, where one does (a lone code point
        /// is not personal data).
        code_point: Option<u32>,
    },
    /// A name that the office's card templates cannot print (a character
    /// no font has, or too long for its box): refused before a card is
    /// signed. Names the field, the rule and the character, never the name.
    #[error("{field}: {}", match character {
        Some(c) => format!("U+{:04X} {c} cannot be printed with the installed fonts", u32::from(*c)),
        None => "is too long to print on the card, even on two lines at the smallest size".to_owned(),
    })]
    Unprintable {
        /// The field, `given_names` or `family_name`.
        field: &'static str,
        /// The character no font has; `None` for a name too long for its box.
        character: Option<char>,
    },
    /// The office's card template cannot be used (missing, broken): a
    /// fault of the installation, logged for the operator.
    #[error("card template: {0}")]
    Template(String),
    /// The clerk did not attest that identity and residence were checked.
    #[error("the clerk must confirm that the {}", match .0 {
        Attested::Identity => "identity was checked",
        Attested::Residence => "residence in the city was checked",
        Attested::Caretaker => "resident's caretaker is present (the resident is a minor)",
    })]
    AttestationMissing(Attested),
    /// A renewal outside the card's renewal window (`renewal` settings):
    /// a new enrolment is needed once it has closed. Dates of the card,
    /// never of the resident.
    #[error("{}", if *too_early {
        format!("this card can be renewed from {opens} (the renewal window is {opens} to {closes})")
    } else {
        format!("the renewal window of this card closed on {closes}: a new enrolment is needed")
    })]
    OutsideRenewalWindow {
        /// The first day a renewal is possible.
        opens: citycard_credential::Date,
        /// The last day a renewal is possible.
        closes: citycard_credential::Date,
        /// Whether the window has not opened yet (else it has closed).
        too_early: bool,
    },
    /// A card number that is malformed ([`Rule::Format`]) or has a wrong
    /// check digit ([`Rule::CheckDigit`]).
    #[error("card number: {}", .0.describe())]
    CardNumber(Rule),
    /// No such card, user or token.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The operation does not fit the record's state (e.g. revoking a
    /// revoked card).
    #[error("{0}")]
    InvalidState(&'static str),
    /// An account rule refuses the change (own account, last admin).
    #[error("{0}")]
    AccountRule(AccountRule),
    /// Something with that name already exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// Login failed. Says nothing about which part was wrong.
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failed logins from this account or address.
    #[error("too many failed logins: try again in {} minute(s)", retry_after_secs.div_ceil(60).max(1))]
    Throttled {
        /// Seconds until the lock ends.
        retry_after_secs: u64,
    },
    /// Every password check the office may run at once is taken (the bound
    /// that keeps argon2's memory in check): try again shortly.
    #[error("the office is busy checking other passwords: try again in a few seconds")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// Only a session opened with a password may do this (make an API
    /// token, change the password), not an API token.
    #[error("an API token cannot do this: sign in with a password (POST /api/v1/sessions)")]
    SessionRequired,
    /// No valid session or token.
    #[error("not signed in, or the session has ended")]
    Unauthenticated,
    /// The CSRF token of a form does not match the session's.
    #[error("the form has expired: reload the page and try again")]
    Csrf,
    /// A key file is missing, unreadable or does not fit.
    #[error("keys: {0}")]
    Keys(String),
    /// The card or list could not be signed (key outside its window, …).
    #[error("signing: {0}")]
    Signing(String),
    /// A sealed record does not open with the configured data key.
    #[error("a sealed record does not open with the configured data key")]
    Unseal,
    /// The database cannot be reached.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The migrations could not run.
    #[error("the database migrations failed: {0}")]
    Migration(String),
    /// The database cannot write: its disk is full (SQLite's
    /// `SQLITE_FULL`, also when `max_page_count` is reached; PostgreSQL's
    /// disk-full errors, SQLSTATE class 53).
    #[error("disk full: the database cannot write until space is freed")]
    StorageFull,
    /// A query failed.
    #[error("database error: {}", summarise(.0))]
    Database(diesel::result::Error),
    /// The stored data breaks an invariant.
    #[error("stored data is inconsistent: {0}")]
    Integrity(&'static str),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        if is_storage_full(&e) {
            Error::StorageFull
        } else {
            Error::Database(e)
        }
    }
}

/// Whether a database error says the disk is full. diesel gives neither
/// SQLite's result code nor PostgreSQL's SQLSTATE, so this reads the
/// drivers' fixed texts: SQLite's message for `SQLITE_FULL` ("database or
/// disk is full"); PostgreSQL's for SQLSTATE 53100 (`disk_full`: the
/// operating system's "No space left on device" in the message, or the
/// hint "Check free disk space."), as a server with English messages
/// (`lc_messages`, the default) writes them.
fn is_storage_full(e: &diesel::result::Error) -> bool {
    let diesel::result::Error::DatabaseError(_, info) = e else {
        return false;
    };
    info.message() == "database or disk is full"
        || info.message().contains("No space left on device")
        || info.hint() == Some("Check free disk space.")
}

fn summarise(e: &diesel::result::Error) -> &'static str {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match e {
        E::NotFound => "row not found",
        E::DatabaseError(K::UniqueViolation, _) => "unique constraint violated",
        E::DatabaseError(K::ForeignKeyViolation, _) => "foreign key violated",
        E::DatabaseError(K::CheckViolation, _) => "check constraint violated",
        E::DatabaseError(K::NotNullViolation, _) => "not-null constraint violated",
        E::DatabaseError(K::SerializationFailure, _) => "serialization failure",
        E::DatabaseError(K::ClosedConnection, _) => "connection closed",
        E::DatabaseError(..) => "the database refused the statement",
        E::DeserializationError(_) => "a stored value could not be read",
        E::SerializationError(_) => "a value could not be written",
        E::RollbackTransaction | E::RollbackErrorOnCommit { .. } => "transaction rolled back",
        _ => "query failed",
    }
}

impl Error {
    /// A stable machine-readable code for APIs and translations.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Forbidden { .. } | Error::TokenForbidden { .. } => "forbidden",
            Error::PasswordChangeRequired => "password_change_required",
            Error::OtherSite => "other_site",
            Error::SiteClosed => "site_closed",
            Error::Invalid { .. } => "invalid_input",
            Error::Unprintable {
                character: Some(_), ..
            } => "unprintable_character",
            Error::Unprintable {
                character: None, ..
            } => "name_too_long",
            Error::Template(_) => "template",
            Error::AttestationMissing(_) => "attestation_required",
            Error::OutsideRenewalWindow { .. } => "outside_renewal_window",
            Error::CardNumber(_) => "invalid_card_number",
            Error::NotFound(_) => "not_found",
            Error::InvalidState(_) => "invalid_state",
            Error::Conflict(_) => "conflict",
            Error::AccountRule(r) => r.code(),
            Error::BadCredentials => "bad_credentials",
            Error::Throttled { .. } => "throttled",
            Error::Busy { .. } => "busy",
            Error::SessionRequired => "session_required",
            Error::Unauthenticated => "unauthenticated",
            Error::Csrf => "csrf",
            Error::Keys(_) => "keys",
            Error::Signing(_) => "signing_failed",
            Error::Unseal => "unseal_failed",
            Error::Unavailable(_) => "database_unavailable",
            Error::StorageFull => "storage_full",
            Error::Migration(_) | Error::Database(_) | Error::Integrity(_) | Error::Io { .. } => {
                "internal"
            }
            Error::Config(_) => "config",
        }
    }

    /// Whether the caller (the person at the screen) caused it and can fix
    /// it, as opposed to a fault of the server. The web layer maps this to
    /// 4xx versus 5xx.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            Error::Keys(_)
                | Error::Template(_)
                | Error::Signing(_)
                | Error::Unseal
                | Error::Unavailable(_)
                | Error::StorageFull
                | Error::Busy { .. }
                | Error::Migration(_)
                | Error::Database(_)
                | Error::Integrity(_)
                | Error::Io { .. }
                | Error::Config(_)
        )
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: &'static str, rule: Rule) -> Self {
        Error::Invalid {
            field,
            rule,
            code_point: None,
        }
    }

    /// The rule a field breaks, for [`Error::Invalid`] and
    /// [`Error::CardNumber`].
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Error::Invalid { rule, .. } | Error::CardNumber(rule) => Some(*rule),
            _ => None,
        }
    }
}

/// Which check the clerk did not attest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attested {
    /// The resident's identity.
    Identity,
    /// The resident's residence in the city.
    Residence,
    /// A caretaker is present (a resident below `minors.caretaker_under`).
    Caretaker,
}

impl Attested {
    /// `identity` or `residence`.
    pub fn code(self) -> &'static str {
        match self {
            Attested::Identity => "identity",
            Attested::Residence => "residence",
            Attested::Caretaker => "caretaker",
        }
    }
}

/// The rule a field of the input breaks: the one code table of field
/// errors. The JSON API sends [`Rule::code`] as `rule` beside the field;
/// the UI translates the pair (`field.<field>_<rule>`, else
/// `field.<field>`), never the English text of [`Rule::describe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// It must be given.
    Required,
    /// This office does not record it: it must be left empty.
    NotCollected,
    /// Longer than allowed (characters or bytes).
    TooLong,
    /// Shorter than allowed.
    TooShort,
    /// A character that may not stand there (control, direction, invisible,
    /// another script, a space at the ends, two spaces in a row, not NFC).
    Characters,
    /// Not in the form the field takes.
    Format,
    /// A date in the future.
    InFuture,
    /// A date before the earliest one allowed (1 January 1900).
    TooEarly,
    /// A file larger than allowed.
    TooLarge,
    /// Not a JPEG or PNG image.
    NotAnImage,
    /// An image wider or taller than allowed (checked before decoding).
    TooManyPixels,
    /// An image too small to print sharply.
    TooFewPixels,
    /// Not one of the values offered.
    Choice,
    /// A password equal to the user name.
    SameAsUsername,
    /// A new password equal to the current one.
    SameAsCurrent,
    /// The current password is not right.
    Wrong,
    /// A card number whose check digit does not fit (a mistyped digit).
    CheckDigit,
    /// A date of birth below the office's minimum age (`minors.minimum_age`).
    TooYoung,
}

impl Rule {
    /// Every rule, for the code table's tests.
    pub const ALL: [Rule; 18] = [
        Rule::Required,
        Rule::NotCollected,
        Rule::TooLong,
        Rule::TooShort,
        Rule::Characters,
        Rule::Format,
        Rule::InFuture,
        Rule::TooEarly,
        Rule::TooLarge,
        Rule::NotAnImage,
        Rule::TooManyPixels,
        Rule::TooFewPixels,
        Rule::Choice,
        Rule::SameAsUsername,
        Rule::SameAsCurrent,
        Rule::Wrong,
        Rule::CheckDigit,
        Rule::TooYoung,
    ];

    /// The stable code: the API's `rule`, the UI's translation key.
    pub fn code(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::NotCollected => "not_collected",
            Rule::TooLong => "too_long",
            Rule::TooShort => "too_short",
            Rule::Characters => "characters",
            Rule::Format => "format",
            Rule::InFuture => "in_future",
            Rule::TooEarly => "too_early",
            Rule::TooLarge => "too_large",
            Rule::NotAnImage => "not_an_image",
            Rule::TooManyPixels => "too_many_pixels",
            Rule::TooFewPixels => "too_few_pixels",
            Rule::Choice => "choice",
            Rule::SameAsUsername => "same_as_username",
            Rule::SameAsCurrent => "same_as_current",
            Rule::Wrong => "wrong",
            Rule::CheckDigit => "check_digit",
            Rule::TooYoung => "too_young",
        }
    }

    /// An English description for logs and the JSON API's `message`.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::Required => "is required",
            Rule::NotCollected => "is not recorded by this office: leave it empty",
            Rule::TooLong => "is too long",
            Rule::TooShort => "is too short",
            Rule::Characters => "has a character that may not stand there",
            Rule::Format => "is not in the form this field takes",
            Rule::InFuture => "is in the future",
            Rule::TooEarly => "is before 1900",
            Rule::TooLarge => "is larger than allowed (5 MB)",
            Rule::NotAnImage => "must be a JPEG or PNG image",
            Rule::TooManyPixels => "has too many pixels (at most 4096 × 4096)",
            Rule::TooFewPixels => "has too few pixels to print sharply (at least 240 × 300)",
            Rule::Choice => "is not one of the values offered",
            Rule::SameAsUsername => "must not be the user name",
            Rule::SameAsCurrent => "must differ from the current password",
            Rule::Wrong => "is not right",
            Rule::CheckDigit => "has a wrong check digit (probably a mistyped digit)",
            Rule::TooYoung => "is below the minimum age for a card",
        }
    }
}

/// A rule about accounts that refuses a change, whatever the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountRule {
    /// An admin may not disable their own account.
    OwnAccount,
    /// The last enabled admin cannot be disabled.
    LastAdmin,
    /// The last enabled admin cannot lose the admin role.
    LastAdminRole,
}

impl AccountRule {
    /// A stable code (the JSON API's `reason`, the key the UI translates).
    pub fn code(self) -> &'static str {
        match self {
            AccountRule::OwnAccount => "own_account",
            AccountRule::LastAdmin => "last_admin",
            AccountRule::LastAdminRole => "last_admin_role",
        }
    }
}

impl std::fmt::Display for AccountRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AccountRule::OwnAccount => "you cannot disable your own account",
            AccountRule::LastAdmin => "the last admin cannot be disabled",
            AccountRule::LastAdminRole => "the last admin cannot lose the admin role",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_codes_are_unique_snake_case() {
        let mut codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Rule::ALL.len());
    }

    #[test]
    fn a_field_error_names_the_rule_and_the_code_point_never_the_value() {
        let e = Error::Invalid {
            field: "given_names",
            rule: Rule::Characters,
            code_point: Some(0x202E),
        };
        assert_eq!(e.code(), "invalid_input");
        assert_eq!(e.rule(), Some(Rule::Characters));
        assert!(e.to_string().contains("U+202E"), "{e}");
        assert_eq!(
            Error::Throttled {
                retry_after_secs: 1
            }
            .code(),
            "throttled"
        );
    }
}
