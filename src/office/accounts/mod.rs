//! Clerk accounts, roles, login throttling, sessions and API tokens.
//!
//! - Passwords are hashed with argon2id (m = 19 MiB, t = 2, p = 1, the OWASP
//!   minimum); verification takes the parameters from the stored hash, so
//!   they can be raised later.
//! - Login is throttled per account (consecutive failures lock the account)
//!   and per client address (failures over *any* account names within a
//!   window lock the address: one password sprayed over many accounts hits
//!   this limit). Unknown account names are throttled like real ones, so
//!   the answers do not reveal which accounts exist. Addresses and unknown
//!   names are stored only as HMACs.
//! - Session and API tokens are 32 random bytes; only their SHA-256 is
//!   stored. Sessions end after an idle timeout and a maximum lifetime, and
//!   carry a CSRF token for forms. Disabling a user ends their sessions and
//!   revokes their API tokens.
//! - Roles are enforced here, in the domain ([`Actor::require`]), not only
//!   in the web layer.
//!
//! Where things are: [`users`], [`passwords`], [`login`] (step by step),
//! [`throttle`], [`sessions`] (who a request belongs to), [`tokens`] (API
//! tokens). Rows and queries are in `db::users`, `db::sessions`,
//! `db::tokens` and `db::throttle`.

pub mod login;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use passwords::{
    ARGON2_M_KIB, ARGON2_P, ARGON2_T, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, check_password_rules,
    hash_password,
};
pub use sessions::{Authenticated, NewSession};
pub use tokens::{API_TOKEN_PREFIX, ApiTokenSummary, NewApiToken, SESSION_TOKEN_PREFIX};
pub use users::{INITIAL_ADMIN, MAX_USERNAME_CHARS, UserSummary, normalize_username};
