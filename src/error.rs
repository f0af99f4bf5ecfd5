//! The office's error type, shared by the domain modules (accounts,
//! issuance, audit, vault, db).
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

use crate::office::actor::Role;

/// Result with the office [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a domain operation can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The actor's role does not allow the operation.
    #[error("a user with the role {role} may not {action}")]
    Forbidden {
        /// The actor's role.
        role: Role,
        /// What was attempted, e.g. `revoke cards`.
        action: &'static str,
    },
    /// The user must set a new password before doing anything else.
    #[error("the password must be changed before anything else")]
    PasswordChangeRequired,
    /// A field of the input breaks a rule.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field, e.g. `family_name`.
        field: &'static str,
        /// The rule it breaks (never its value).
        problem: String,
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
    #[error("the clerk must confirm that {0} was checked")]
    AttestationMissing(&'static str),
    /// A card number that is malformed or has a wrong check digit.
    #[error("card number: {0}")]
    CardNumber(&'static str),
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
    /// A query failed.
    #[error("database error: {}", summarise(.0))]
    Database(#[from] diesel::result::Error),
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
            Error::Forbidden { .. } => "forbidden",
            Error::PasswordChangeRequired => "password_change_required",
            Error::Invalid { .. } => "invalid_input",
            Error::Unprintable {
                character: Some(_), ..
            } => "unprintable_character",
            Error::Unprintable {
                character: None, ..
            } => "name_too_long",
            Error::Template(_) => "template",
            Error::AttestationMissing(_) => "attestation_required",
            Error::CardNumber(_) => "invalid_card_number",
            Error::NotFound(_) => "not_found",
            Error::InvalidState(_) => "invalid_state",
            Error::Conflict(_) => "conflict",
            Error::AccountRule(r) => r.code(),
            Error::BadCredentials => "bad_credentials",
            Error::Throttled { .. } => "too_many_attempts",
            Error::Unauthenticated => "unauthenticated",
            Error::Csrf => "csrf",
            Error::Keys(_) => "keys",
            Error::Signing(_) => "signing_failed",
            Error::Unseal => "unseal_failed",
            Error::Unavailable(_) => "unavailable",
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
                | Error::Migration(_)
                | Error::Database(_)
                | Error::Integrity(_)
                | Error::Io { .. }
                | Error::Config(_)
        )
    }

    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            problem: problem.into(),
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
