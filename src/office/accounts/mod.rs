//! Clerk accounts, roles, login throttling, sessions and API tokens.
//!
//! - Passwords are hashed with argon2id (m = 19 MiB, t = 2, p = 1, the OWASP
//!   minimum); verification takes the parameters from the stored hash, so
//!   they can be raised later.
//! - At most `password_check_memory_mib / 19` argon2id runs at once
//!   ([`password_checks`]); beyond that a request is answered `busy` at
//!   once.
//! - Login is throttled per account (consecutive failures lock the account)
//!   and per client address (failures over *any* account names within a
//!   window lock the address: one password sprayed over many accounts hits
//!   this limit). Unknown account names are throttled like real ones, so
//!   the answers do not reveal which accounts exist. Addresses and unknown
//!   names are stored only as HMACs. An attempt is reserved before its
//!   password is checked, so parallel guesses cannot outrun the limits; a
//!   refusal while locked writes nothing ([`throttle`]).
//! - Session and API tokens are 32 random bytes; only their SHA-256 is
//!   stored. Sessions end after an idle timeout and a maximum lifetime, and
//!   carry a CSRF token for forms. Disabling a user, a password change and
//!   a password reset end their sessions and revoke their API tokens. API
//!   tokens live at most `api_token_max_days`, are made only from a
//!   password session, and may be limited to some of the owner's
//!   permissions ([`tokens`]).
//! - Roles are enforced here, in the domain ([`Actor::require`]), not only
//!   in the web layer.
//!
//! Where things are: [`users`], [`passwords`], [`login`] (step by step),
//! [`throttle`], [`sessions`] (who a request belongs to), [`tokens`] (API
//! tokens). Rows and queries are in `db::users`, `db::sessions`,
//! `db::tokens` and `db::throttle`.

pub mod auth_cache;
pub mod login;
pub mod password_checks;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use auth_cache::AuthCache;
pub use password_checks::{ARGON2_M_KIB, ARGON2_P, ARGON2_T, PasswordCheckPermit, PasswordChecks};
pub use passwords::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, check_password_rules};
pub use sessions::{Authenticated, NewSession};
pub use tokens::{API_TOKEN_PREFIX, ApiTokenSummary, NewApiToken, SESSION_TOKEN_PREFIX};
pub use users::{INITIAL_ADMIN, MAX_USERNAME_CHARS, UserSummary, normalize_username};
