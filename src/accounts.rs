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

use crate::audit::{self, AuditAction};
use crate::db::schema::{api_tokens, login_throttle, sessions, users};
use crate::db::{self, DbConnection};
pub use crate::error::AccountRule;
use crate::error::{Error, Result, Rule};
use crate::office::Office;
pub use crate::office::actor::{Actor, Permission, Role};
use crate::vault::random_bytes;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use diesel::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;
use time::PrimitiveDateTime;

/// argon2id memory cost in KiB (19 MiB).
pub const ARGON2_M_KIB: u32 = 19_456;
/// argon2id iterations.
pub const ARGON2_T: u32 = 2;
/// argon2id parallelism.
pub const ARGON2_P: u32 = 1;
/// Fewest characters in a password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Most bytes in a password (hashing cost is bounded).
pub const MAX_PASSWORD_BYTES: usize = 256;
/// Most characters in a user name.
pub const MAX_USERNAME_CHARS: usize = 64;
/// The user made on the first start.
pub const INITIAL_ADMIN: &str = "admin";
/// Prefix of session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "ccs_";
/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "cca_";
/// A session's last-seen time is written at most this often.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// A user as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// Id.
    pub id: i64,
    /// Name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// A one-time password is set.
    pub must_change_password: bool,
    /// Locked after failed logins until then (UTC).
    pub locked_until: Option<PrimitiveDateTime>,
    /// Created (UTC).
    pub created_at: PrimitiveDateTime,
}

/// A new session after a successful login.
pub struct NewSession {
    /// The session token, for a cookie or an `Authorization: Bearer` header.
    /// Shown once, stored only hashed.
    pub token: SecretString,
    /// The CSRF token to put in every form of this session.
    pub csrf_token: String,
    /// Who logged in.
    pub actor: Actor,
    /// The session ends after this long without a request.
    pub idle_timeout: Duration,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// A request's authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// Who.
    pub actor: Actor,
    /// The session's CSRF token (`None` for API tokens, which need none).
    pub csrf_token: Option<String>,
}

impl Authenticated {
    /// Checks a form's CSRF token against the session's (constant time).
    pub fn check_csrf(&self, submitted: &str) -> Result<()> {
        match &self.csrf_token {
            Some(expected) if constant_time_eq(expected.as_bytes(), submitted.as_bytes()) => Ok(()),
            _ => Err(Error::Csrf),
        }
    }
}

/// A new API token.
pub struct NewApiToken {
    /// Its id (to list and revoke it).
    pub id: i64,
    /// The token, shown once.
    pub token: SecretString,
}

impl fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiToken")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// An API token as its owner sees it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenSummary {
    /// Id.
    pub id: i64,
    /// The owner's label.
    pub label: String,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// Last used.
    pub last_used_at: Option<PrimitiveDateTime>,
    /// Ends then.
    pub expires_at: Option<PrimitiveDateTime>,
    /// Revoked then.
    pub revoked_at: Option<PrimitiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    password_hash: String,
    must_change_password: bool,
    disabled: bool,
    locked_until: Option<PrimitiveDateTime>,
    created_at: PrimitiveDateTime,
}

impl UserRow {
    fn role(&self) -> Result<Role> {
        self.role
            .parse()
            .map_err(|_| Error::Integrity("a user has an unknown role"))
    }

    fn summary(self) -> Result<UserSummary> {
        Ok(UserSummary {
            role: self.role()?,
            id: self.id,
            username: self.username,
            disabled: self.disabled,
            must_change_password: self.must_change_password,
            locked_until: self.locked_until,
            created_at: self.created_at,
        })
    }
}

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|_| Error::Integrity("bad argon2 parameters"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &SecretString) -> Result<String> {
    let salt = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(salt.as_ref())
        .map_err(|_| Error::Integrity("could not encode a salt"))?;
    argon2()?
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::Integrity("could not hash the password"))
}

/// Whether `password` matches a stored PHC hash.
fn verify_password(password: &SecretString, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &hash)
        .is_ok()
}

/// A hash to verify against when the user does not exist, so that the
/// answer takes as long as for a real user.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&SecretString::from("dummy password for timing"))
            .unwrap_or_else(|_| String::new())
    })
}

/// Checks the password rules: 10 to 256 bytes' worth, not just spaces, not
/// the user name.
pub fn check_password_rules(username: &str, password: &SecretString) -> Result<()> {
    let p = password.expose_secret();
    if p.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid("password", Rule::TooShort));
    }
    if p.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid("password", Rule::TooLong));
    }
    if p.trim().is_empty() || p.chars().any(char::is_control) {
        return Err(Error::invalid("password", Rule::Characters));
    }
    if p.trim().to_lowercase() == username.trim().to_lowercase() {
        return Err(Error::invalid("password", Rule::SameAsUsername));
    }
    Ok(())
}

/// A user name in its stored form, or why it is refused.
///
/// The rule (docs/office.md, "User names"): after trimming, Unicode NFC and
/// lower-casing (`Jörg.Weiß` → `jörg.weiß`; the same at login, so the case
/// and the Unicode form typed do not matter), 1 to 64 characters, each a
/// letter (any script), a combining mark that belongs to a letter, an ASCII
/// digit, `.`, `_` or `-`; the first is a letter or digit; and all letters
/// of one script (no Latin `a` next to a Cyrillic `а`, which look alike).
/// Spaces, control, format and invisible characters (zero-width joiners,
/// direction marks) and other digits (`²`, `٣`) are refused.
pub fn normalize_username(name: &str) -> Result<String> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    use unicode_script::{Script, UnicodeScript};
    // 1 to 64 letters of one script, ASCII digits, '.', '_' and '-',
    // starting with a letter or digit (docs/office.md, "User names").
    let refused = || Error::invalid("username", Rule::Format);
    if name.len() > 4 * MAX_USERNAME_CHARS + 64 {
        return Err(refused());
    }
    let nfc: String = name.trim().nfc().collect();
    let n: String = nfc.to_lowercase().nfc().collect();
    let letter = |c: char| c.is_alphabetic() && !is_combining_mark(c);
    // A combining mark only on a letter (or on another mark).
    let mut prev_letter = false;
    let all_allowed = n.chars().all(|c| {
        let ok = if is_combining_mark(c) {
            prev_letter
        } else {
            letter(c) || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
        };
        prev_letter = letter(c) || (is_combining_mark(c) && prev_letter);
        ok
    });
    let first_ok = n
        .chars()
        .next()
        .is_some_and(|c| letter(c) || c.is_ascii_digit());
    let mut scripts = n
        .chars()
        .filter(|c| letter(*c))
        .map(|c| c.script())
        .filter(|s| !matches!(s, Script::Common | Script::Inherited));
    let one_script = match scripts.next() {
        Some(first) => scripts.all(|s| s == first),
        None => true,
    };
    let ok = first_ok && n.chars().count() <= MAX_USERNAME_CHARS && all_allowed && one_script;
    if ok { Ok(n) } else { Err(refused()) }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// A new random token with a prefix: `prefix` + 64 hex digits.
fn new_token(prefix: &str) -> Result<SecretString> {
    let bytes = random_bytes::<32>()?;
    let mut s = String::with_capacity(prefix.len() + 64);
    s.push_str(prefix);
    s.push_str(&citycard_credential::keys::to_hex(bytes.as_ref()));
    Ok(SecretString::from(s))
}

/// The stored form of a token.
fn token_hash(token: &str) -> Vec<u8> {
    sha256(token.trim().as_bytes())
}

/// A one-time password: 20 characters from an alphabet without look-alikes.
fn one_time_password() -> Result<SecretString> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479";
    let bytes = random_bytes::<20>()?;
    let s: String = bytes
        .iter()
        .map(|b| {
            let i = usize::from(*b) % ALPHABET.len();
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect();
    Ok(SecretString::from(s))
}

fn load_user(conn: &mut DbConnection, username: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

fn load_user_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

fn end_sessions(conn: &mut DbConnection, user_id: i64) -> Result<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?)
}

fn enabled_admins(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)?)
}

fn secs_until(now: PrimitiveDateTime, until: PrimitiveDateTime) -> u64 {
    u64::try_from((until - now).whole_seconds())
        .unwrap_or(0)
        .max(1)
}

/// Until when a throttle row is locked (`None`: no row, or not locked).
fn throttle_locked_until(
    conn: &mut DbConnection,
    subject: &[u8],
) -> Result<Option<PrimitiveDateTime>> {
    Ok(login_throttle::table
        .find(subject)
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?
        .flatten())
}

/// Counts one failure on a throttle row; locks it at `max` failures within
/// the window. Every change is an atomic increment (never read-modify-write),
/// so parallel failures are all counted on PostgreSQL too.
fn count_throttle_failure(
    conn: &mut DbConnection,
    subject: &[u8],
    kind: &str,
    max: u32,
    window: Duration,
    lockout: Duration,
    now: PrimitiveDateTime,
) -> Result<()> {
    let cutoff = db::earlier(now, window);
    let row = || login_throttle::table.find(subject);
    // Within the window: one more.
    let mut n = diesel::update(row().filter(login_throttle::window_start.gt(cutoff)))
        .set(login_throttle::failures.eq(login_throttle::failures + 1))
        .execute(conn)?;
    if n == 0 {
        // The window has passed: start a new one.
        n = diesel::update(row().filter(login_throttle::window_start.le(cutoff)))
            .set((
                login_throttle::failures.eq(1),
                login_throttle::window_start.eq(now),
            ))
            .execute(conn)?;
    }
    if n == 0 {
        // No row yet. Another login may insert it at the same moment: the
        // insert runs in a savepoint, and a conflict becomes an increment.
        let inserted = conn.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::insert_into(login_throttle::table)
                .values((
                    login_throttle::subject.eq(subject),
                    login_throttle::kind.eq(kind),
                    login_throttle::failures.eq(1),
                    login_throttle::window_start.eq(now),
                    login_throttle::locked_until.eq(None::<PrimitiveDateTime>),
                ))
                .execute(c)
        });
        match inserted {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {
                diesel::update(row())
                    .set(login_throttle::failures.eq(login_throttle::failures + 1))
                    .execute(conn)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let failures: i32 = row().select(login_throttle::failures).first(conn)?;
    if u32::try_from(failures).unwrap_or(0) >= max {
        diesel::update(row())
            .set((
                login_throttle::failures.eq(0),
                login_throttle::window_start.eq(now),
                login_throttle::locked_until.eq(Some(db::later(now, lockout))),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Counts one failed login on an existing account (atomic increment);
/// locks it at `max` consecutive failures.
fn count_account_failure(
    conn: &mut DbConnection,
    user_id: i64,
    max: u32,
    lockout: Duration,
    now: PrimitiveDateTime,
) -> Result<bool> {
    diesel::update(users::table.find(user_id))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .execute(conn)?;
    let failures: i32 = users::table
        .find(user_id)
        .select(users::failed_logins)
        .first(conn)?;
    if u32::try_from(failures).unwrap_or(0) >= max {
        diesel::update(users::table.find(user_id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(Some(db::later(now, lockout))),
            ))
            .execute(conn)?;
        return Ok(true);
    }
    Ok(false)
}

impl Office {
    /// On the first start (no users at all): creates the user `admin` with a
    /// one-time password, returned here to be printed once. It must be
    /// changed at the first login. Returns `None` when users exist.
    pub fn ensure_initial_admin(&self) -> Result<Option<SecretString>> {
        let password = one_time_password()?;
        let hash = hash_password(&password)?;
        let office = self.office_name().to_owned();
        let created = self.db().write(|c| {
            // Several servers may start at once: one of them makes the admin.
            db::lock_for_writing(c)?;
            let count: i64 = users::table.count().get_result(c)?;
            if count > 0 {
                return Ok(false);
            }
            let now = db::now();
            insert_user(c, INITIAL_ADMIN, Role::Admin, &hash, true, now)?;
            audit::append(
                c,
                "system",
                &office,
                AuditAction::UserCreated,
                None,
                &format!("user={INITIAL_ADMIN} role=admin one_time_password=1"),
            )?;
            Ok(true)
        })?;
        Ok(created.then_some(password))
    }

    /// Creates a user. With `must_change_password` the password is a
    /// one-time password the user must replace at the first login.
    pub fn create_user(
        &self,
        by: &Actor,
        username: &str,
        role: Role,
        password: &SecretString,
        must_change_password: bool,
    ) -> Result<i64> {
        by.require(Permission::ManageUsers)?;
        let username = normalize_username(username)?;
        check_password_rules(&username, password)?;
        let hash = hash_password(password)?;
        self.db().write(|c| {
            if load_user(c, &username)?.is_some() {
                return Err(Error::Conflict("a user with that name"));
            }
            let id = insert_user(c, &username, role, &hash, must_change_password, db::now())?;
            audit::append(
                c,
                &by.username,
                &by.office,
                AuditAction::UserCreated,
                None,
                &format!("user={username} role={role}"),
            )?;
            Ok(id)
        })
    }

    /// Sets a user's password (an admin's reset, or `citycard admin
    /// set-password`). Unlocks the account and ends its sessions.
    pub fn set_password(
        &self,
        by: &Actor,
        username: &str,
        password: &SecretString,
        must_change_password: bool,
    ) -> Result<()> {
        by.require(Permission::ManageUsers)?;
        let username = normalize_username(username)?;
        check_password_rules(&username, password)?;
        let hash = hash_password(password)?;
        self.db().write(|c| {
            let user = load_user(c, &username)?.ok_or(Error::NotFound("user"))?;
            store_password(c, user.id, &hash, must_change_password)?;
            end_sessions(c, user.id)?;
            audit::append(
                c,
                &by.username,
                &by.office,
                AuditAction::PasswordSet,
                None,
                &format!(
                    "user={username} one_time_password={}",
                    u8::from(must_change_password)
                ),
            )?;
            Ok(())
        })
    }

    /// A user changes their own password (required after a one-time
    /// password). Ends every other session of the user.
    pub fn change_own_password(
        &self,
        actor: &Actor,
        current: &SecretString,
        new: &SecretString,
        keep_session: Option<&SecretString>,
    ) -> Result<()> {
        check_password_rules(&actor.username, new)?;
        let user = self
            .db()
            .read(|c| load_user_by_id(c, actor.user_id))?
            .ok_or(Error::Unauthenticated)?;
        if user.disabled {
            return Err(Error::Unauthenticated);
        }
        if !verify_password(current, &user.password_hash) {
            return Err(Error::invalid("current_password", Rule::Wrong));
        }
        if verify_password(new, &user.password_hash) {
            return Err(Error::invalid("password", Rule::SameAsCurrent));
        }
        let hash = hash_password(new)?;
        let keep = keep_session.map(|t| token_hash(t.expose_secret()));
        self.db().write(|c| {
            store_password(c, user.id, &hash, false)?;
            let others = sessions::table.filter(sessions::user_id.eq(user.id));
            match &keep {
                Some(k) => {
                    diesel::delete(others.filter(sessions::token_hash.ne(k))).execute(c)?;
                }
                None => {
                    diesel::delete(others).execute(c)?;
                }
            }
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::PasswordChanged,
                None,
                &format!("user={}", user.username),
            )?;
            Ok(())
        })
    }

    /// Changes a user's role (ends their sessions).
    pub fn set_role(&self, by: &Actor, username: &str, role: Role) -> Result<()> {
        by.require(Permission::ManageUsers)?;
        let username = normalize_username(username)?;
        self.db().write(|c| {
            let user = load_user(c, &username)?.ok_or(Error::NotFound("user"))?;
            if user.role()? == Role::Admin && role != Role::Admin && enabled_admins(c)? <= 1 {
                return Err(Error::AccountRule(AccountRule::LastAdminRole));
            }
            diesel::update(users::table.find(user.id))
                .set(users::role.eq(role.as_str()))
                .execute(c)?;
            end_sessions(c, user.id)?;
            audit::append(
                c,
                &by.username,
                &by.office,
                AuditAction::RoleChanged,
                None,
                &format!("user={username} role={role}"),
            )?;
            Ok(())
        })
    }

    /// Disables or re-enables a user. Disabling ends their sessions and
    /// revokes their API tokens at once.
    pub fn set_user_disabled(&self, by: &Actor, username: &str, disabled: bool) -> Result<()> {
        by.require(Permission::ManageUsers)?;
        let username = normalize_username(username)?;
        self.db().write(|c| {
            let user = load_user(c, &username)?.ok_or(Error::NotFound("user"))?;
            if disabled && user.id == by.user_id {
                return Err(Error::AccountRule(AccountRule::OwnAccount));
            }
            if disabled && !user.disabled && user.role()? == Role::Admin && enabled_admins(c)? <= 1
            {
                return Err(Error::AccountRule(AccountRule::LastAdmin));
            }
            diesel::update(users::table.find(user.id))
                .set(users::disabled.eq(disabled))
                .execute(c)?;
            if disabled {
                end_sessions(c, user.id)?;
                diesel::update(
                    api_tokens::table
                        .filter(api_tokens::user_id.eq(user.id))
                        .filter(api_tokens::revoked_at.is_null()),
                )
                .set(api_tokens::revoked_at.eq(Some(db::now())))
                .execute(c)?;
            }
            let action = if disabled {
                AuditAction::UserDisabled
            } else {
                AuditAction::UserEnabled
            };
            audit::append(
                c,
                &by.username,
                &by.office,
                action,
                None,
                &format!("user={username}"),
            )?;
            Ok(())
        })
    }

    /// Every user, by name.
    pub fn list_users(&self, by: &Actor) -> Result<Vec<UserSummary>> {
        by.require(Permission::ManageUsers)?;
        let rows: Vec<UserRow> = self.db().read(|c| {
            Ok(users::table
                .order(users::username.asc())
                .select(UserRow::as_select())
                .load(c)?)
        })?;
        rows.into_iter().map(UserRow::summary).collect()
    }

    /// Logs in. `client` is the client's address (for throttling; `None`
    /// when there is none, e.g. a local tool). A user with a one-time
    /// password gets a session whose actor may only change the password.
    pub fn login(
        &self,
        username: &str,
        password: &SecretString,
        client: Option<IpAddr>,
    ) -> Result<NewSession> {
        let limits = self.config().login;
        let now = db::now();
        let name = normalize_username(username).ok();
        let address_tag = client.map(|a| self.vault().address_tag(a));
        let unknown_tag = self.vault().account_tag(username);

        // 1. Locked? Then do not even look at the password.
        let (user, locked) = self.db().read(|c| {
            let user = match &name {
                Some(n) => load_user(c, n)?,
                None => None,
            };
            let mut locked: Option<PrimitiveDateTime> = None;
            let mut consider = |until: Option<PrimitiveDateTime>| {
                if let Some(u) = until.filter(|u| *u > now) {
                    locked = Some(locked.map_or(u, |l| l.max(u)));
                }
            };
            if let Some(tag) = &address_tag {
                consider(throttle_locked_until(c, tag)?);
            }
            match &user {
                Some(u) => consider(u.locked_until),
                None => consider(throttle_locked_until(c, &unknown_tag)?),
            }
            Ok((user, locked))
        })?;
        let office = self.office_name().to_owned();
        if let Some(until) = locked {
            if let Some(u) = &user {
                self.db().write(|c| {
                    audit::append(
                        c,
                        &u.username,
                        &office,
                        AuditAction::LoginFailed,
                        None,
                        "reason=locked",
                    )?;
                    Ok(())
                })?;
            }
            return Err(Error::Throttled {
                retry_after_secs: secs_until(now, until),
            });
        }

        // 2. The password (always hashed once, existing user or not).
        let stored: &str = match &user {
            Some(u) => &u.password_hash,
            None => dummy_hash(),
        };
        let ok = verify_password(password, stored) && user.as_ref().is_some_and(|u| !u.disabled);

        // 3. Record the outcome (the audit log names the account, never
        // the address or the password).
        let idle = self.config().session_idle_timeout;
        let max_life = self.config().session_max_lifetime;
        match (ok, user) {
            (true, Some(user)) => {
                let token = new_token(SESSION_TOKEN_PREFIX)?;
                let csrf = citycard_credential::keys::to_hex(random_bytes::<32>()?.as_ref());
                let role = user.role()?;
                self.db().write(|c| {
                    diesel::update(users::table.find(user.id))
                        .set((
                            users::failed_logins.eq(0),
                            users::locked_until.eq(None::<PrimitiveDateTime>),
                        ))
                        .execute(c)?;
                    diesel::insert_into(sessions::table)
                        .values((
                            sessions::token_hash.eq(token_hash(token.expose_secret())),
                            sessions::user_id.eq(user.id),
                            sessions::csrf_token.eq(&csrf),
                            sessions::created_at.eq(now),
                            sessions::last_seen_at.eq(now),
                            sessions::expires_at.eq(db::later(now, max_life)),
                        ))
                        .execute(c)?;
                    audit::append(
                        c,
                        &user.username,
                        &office,
                        AuditAction::LoginSucceeded,
                        None,
                        &format!("role={role}"),
                    )?;
                    Ok(())
                })?;
                Ok(NewSession {
                    token,
                    csrf_token: csrf,
                    actor: Actor {
                        user_id: user.id,
                        username: user.username,
                        role,
                        office,
                        must_change_password: user.must_change_password,
                    },
                    idle_timeout: idle,
                })
            }
            (_, user) => {
                self.db().write(|c| {
                    if let Some(tag) = &address_tag {
                        count_throttle_failure(
                            c,
                            tag,
                            "address",
                            limits.address_max_failures,
                            limits.window,
                            limits.lockout,
                            now,
                        )?;
                    }
                    match &user {
                        Some(u) => {
                            let locked_now = count_account_failure(
                                c,
                                u.id,
                                limits.account_max_failures,
                                limits.lockout,
                                now,
                            )?;
                            let reason = if u.disabled { "disabled" } else { "password" };
                            audit::append(
                                c,
                                &u.username,
                                &office,
                                AuditAction::LoginFailed,
                                None,
                                &format!("reason={reason}"),
                            )?;
                            if locked_now {
                                audit::append(
                                    c,
                                    &u.username,
                                    &office,
                                    AuditAction::AccountLocked,
                                    None,
                                    &format!("minutes={}", limits.lockout.as_secs().div_ceil(60)),
                                )?;
                            }
                        }
                        None => count_throttle_failure(
                            c,
                            &unknown_tag,
                            "account",
                            limits.account_max_failures,
                            limits.window,
                            limits.lockout,
                            now,
                        )?,
                    }
                    Ok(())
                })?;
                Err(Error::BadCredentials)
            }
        }
    }

    /// The user of a session token (cookie), or `Unauthenticated`. Refreshes
    /// the idle timer (at most once a minute).
    pub fn authenticate_session(&self, token: &str) -> Result<Authenticated> {
        if !token.starts_with(SESSION_TOKEN_PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let hash = token_hash(token);
        let now = db::now();
        let idle = self.config().session_idle_timeout;
        let mut conn = self.db().conn()?;
        let found: Option<(PrimitiveDateTime, PrimitiveDateTime, String, UserRow)> =
            sessions::table
                .inner_join(users::table)
                .filter(sessions::token_hash.eq(&hash))
                .select((
                    sessions::last_seen_at,
                    sessions::expires_at,
                    sessions::csrf_token,
                    UserRow::as_select(),
                ))
                .first(&mut *conn)
                .optional()?;
        let Some((last_seen, expires, csrf, user)) = found else {
            return Err(Error::Unauthenticated);
        };
        if user.disabled || now >= expires || now >= db::later(last_seen, idle) {
            diesel::delete(sessions::table.find(&hash)).execute(&mut *conn)?;
            return Err(Error::Unauthenticated);
        }
        if now >= db::later(last_seen, TOUCH_INTERVAL) {
            diesel::update(sessions::table.find(&hash))
                .set(sessions::last_seen_at.eq(now))
                .execute(&mut *conn)?;
        }
        Ok(Authenticated {
            actor: Actor {
                user_id: user.id,
                role: user.role()?,
                username: user.username,
                office: self.office_name().to_owned(),
                must_change_password: user.must_change_password,
            },
            csrf_token: Some(csrf),
        })
    }

    /// The user of an `Authorization: Bearer` token: an API token, or a
    /// session token from `POST /api/v1/sessions`.
    pub fn authenticate_bearer(&self, token: &str) -> Result<Authenticated> {
        let token = token.trim();
        if token.starts_with(SESSION_TOKEN_PREFIX) {
            return self.authenticate_session(token).map(|mut a| {
                a.csrf_token = None;
                a
            });
        }
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Err(Error::Unauthenticated);
        }
        let hash = token_hash(token);
        let now = db::now();
        let mut conn = self.db().conn()?;
        type Row = (
            i64,
            Option<PrimitiveDateTime>,
            Option<PrimitiveDateTime>,
            Option<PrimitiveDateTime>,
            UserRow,
        );
        let found: Option<Row> = api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::token_hash.eq(&hash))
            .select((
                api_tokens::id,
                api_tokens::expires_at,
                api_tokens::revoked_at,
                api_tokens::last_used_at,
                UserRow::as_select(),
            ))
            .first(&mut *conn)
            .optional()?;
        let Some((id, expires, revoked, last_used, user)) = found else {
            return Err(Error::Unauthenticated);
        };
        if user.disabled || revoked.is_some() || expires.is_some_and(|e| now >= e) {
            return Err(Error::Unauthenticated);
        }
        if last_used.is_none_or(|l| now >= db::later(l, TOUCH_INTERVAL)) {
            diesel::update(api_tokens::table.find(id))
                .set(api_tokens::last_used_at.eq(Some(now)))
                .execute(&mut *conn)?;
        }
        Ok(Authenticated {
            actor: Actor {
                user_id: user.id,
                role: user.role()?,
                username: user.username,
                office: self.office_name().to_owned(),
                must_change_password: user.must_change_password,
            },
            csrf_token: None,
        })
    }

    /// Ends a session (logout), recorded in the audit log. Unknown tokens
    /// are ignored.
    pub fn logout(&self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        let office = self.office_name().to_owned();
        self.db().write(|c| {
            let username: Option<String> = sessions::table
                .inner_join(users::table)
                .filter(sessions::token_hash.eq(&hash))
                .select(users::username)
                .first(c)
                .optional()?;
            let Some(username) = username else {
                return Ok(());
            };
            diesel::delete(sessions::table.find(&hash)).execute(c)?;
            audit::append(c, &username, &office, AuditAction::LoggedOut, None, "")?;
            Ok(())
        })
    }

    /// Makes an API token for the actor themself.
    pub fn create_api_token(
        &self,
        actor: &Actor,
        label: &str,
        valid_for_days: Option<u32>,
    ) -> Result<NewApiToken> {
        if actor.must_change_password {
            return Err(Error::PasswordChangeRequired);
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 64 || label.chars().any(char::is_control) {
            return Err(Error::invalid("label", Rule::Format));
        }
        let token = new_token(API_TOKEN_PREFIX)?;
        let hash = token_hash(token.expose_secret());
        let now = db::now();
        let expires =
            valid_for_days.map(|d| db::later(now, Duration::from_secs(u64::from(d) * 86_400)));
        let id = self.db().write(|c| {
            diesel::insert_into(api_tokens::table)
                .values((
                    api_tokens::user_id.eq(actor.user_id),
                    api_tokens::token_hash.eq(&hash),
                    api_tokens::label.eq(label),
                    api_tokens::created_at.eq(now),
                    api_tokens::expires_at.eq(expires),
                ))
                .execute(c)?;
            let id: i64 = api_tokens::table
                .filter(api_tokens::token_hash.eq(&hash))
                .select(api_tokens::id)
                .first(c)?;
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::ApiTokenCreated,
                None,
                &format!("token_id={id}"),
            )?;
            Ok(id)
        })?;
        Ok(NewApiToken { id, token })
    }

    /// The actor's own API tokens.
    pub fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenSummary>> {
        type Row = (
            i64,
            String,
            PrimitiveDateTime,
            Option<PrimitiveDateTime>,
            Option<PrimitiveDateTime>,
            Option<PrimitiveDateTime>,
        );
        let rows: Vec<Row> = self.db().read(|c| {
            Ok(api_tokens::table
                .filter(api_tokens::user_id.eq(actor.user_id))
                .order(api_tokens::id.asc())
                .select((
                    api_tokens::id,
                    api_tokens::label,
                    api_tokens::created_at,
                    api_tokens::last_used_at,
                    api_tokens::expires_at,
                    api_tokens::revoked_at,
                ))
                .load(c)?)
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, label, created_at, last_used_at, expires_at, revoked_at)| ApiTokenSummary {
                    id,
                    label,
                    created_at,
                    last_used_at,
                    expires_at,
                    revoked_at,
                },
            )
            .collect())
    }

    /// Revokes one of the actor's API tokens (admins: anyone's).
    pub fn revoke_api_token(&self, actor: &Actor, id: i64) -> Result<()> {
        let admin = actor.require(Permission::ManageUsers).is_ok();
        self.db().write(|c| {
            let owner: Option<i64> = api_tokens::table
                .find(id)
                .select(api_tokens::user_id)
                .first(c)
                .optional()?;
            match owner {
                Some(o) if o == actor.user_id || admin => {}
                _ => return Err(Error::NotFound("API token")),
            }
            diesel::update(
                api_tokens::table
                    .find(id)
                    .filter(api_tokens::revoked_at.is_null()),
            )
            .set(api_tokens::revoked_at.eq(Some(db::now())))
            .execute(c)?;
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::ApiTokenRevoked,
                None,
                &format!("token_id={id}"),
            )?;
            Ok(())
        })
    }

    /// Deletes ended sessions and old throttle rows; returns how many rows.
    pub fn purge_sessions(&self) -> Result<usize> {
        let now = db::now();
        let idle = self.config().session_idle_timeout;
        let window = self.config().login.window;
        let mut conn = self.db().conn()?;
        let n = diesel::delete(
            sessions::table.filter(
                sessions::expires_at
                    .le(now)
                    .or(sessions::last_seen_at.le(db::earlier(now, idle))),
            ),
        )
        .execute(&mut *conn)?;
        let m = diesel::delete(
            login_throttle::table
                .filter(login_throttle::window_start.le(db::earlier(now, window)))
                .filter(
                    login_throttle::locked_until
                        .is_null()
                        .or(login_throttle::locked_until.le(now)),
                ),
        )
        .execute(&mut *conn)?;
        Ok(n + m)
    }
}

fn insert_user(
    c: &mut DbConnection,
    username: &str,
    role: Role,
    hash: &str,
    must_change_password: bool,
    now: PrimitiveDateTime,
) -> Result<i64> {
    diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::role.eq(role.as_str()),
            users::password_hash.eq(hash),
            users::must_change_password.eq(must_change_password),
            users::disabled.eq(false),
            users::failed_logins.eq(0),
            users::created_at.eq(now),
            users::password_changed_at.eq(now),
        ))
        .execute(c)?;
    Ok(users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(c)?)
}

fn store_password(
    c: &mut DbConnection,
    user_id: i64,
    hash: &str,
    must_change_password: bool,
) -> Result<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(hash),
            users::must_change_password.eq(must_change_password),
            users::password_changed_at.eq(db::now()),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<PrimitiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_permissions() {
        use Permission as P;
        let all = [
            P::IssueCards,
            P::SearchCards,
            P::PrintCards,
            P::ReprintCards,
            P::RevokeCards,
            P::EraseResidents,
            P::ManageUsers,
            P::ManageKeys,
            P::ReadAudit,
        ];
        let allowed = |r: Role| {
            all.iter()
                .filter(|p| r.allows(**p))
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            allowed(Role::Clerk),
            [P::IssueCards, P::SearchCards, P::PrintCards]
        );
        assert_eq!(allowed(Role::Auditor), [P::ReadAudit]);
        assert_eq!(allowed(Role::Admin), [P::ManageUsers, P::ManageKeys]);
        assert!(Role::Supervisor.allows(P::EraseResidents));
        assert!(!Role::Supervisor.allows(P::ManageUsers));
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
        // The command line: an admin, or a clerk for printing the queue.
        assert!(Actor::command_line("x").require(P::PrintCards).is_err());
        let printing = Actor::command_line_printing("x");
        assert_eq!(printing.username, "cli");
        assert!(printing.require(P::PrintCards).is_ok());
        assert!(printing.require(P::ReprintCards).is_err());
        let mut a = Actor::command_line("x");
        a.must_change_password = true;
        assert!(matches!(
            a.require(P::ManageUsers),
            Err(Error::PasswordChangeRequired)
        ));
    }

    #[test]
    fn usernames_and_passwords() {
        assert_eq!(normalize_username(" Anna.M ").unwrap(), "anna.m");
        // Letters of any script, NFC, lower case (as at login).
        assert_eq!(normalize_username("Jörg.Weiß").unwrap(), "jörg.weiß");
        assert_eq!(normalize_username("jo\u{308}rg").unwrap(), "jörg");
        assert_eq!(normalize_username("ä").unwrap(), "ä");
        assert_eq!(normalize_username("Ελένη_2").unwrap(), "ελένη_2");
        assert!(normalize_username("олена-k").is_err());
        assert_eq!(normalize_username("олена").unwrap(), "олена");
        assert_eq!(normalize_username(&"ö".repeat(64)).unwrap(), "ö".repeat(64));
        for bad in [
            "",
            "-x",
            "a b",
            &"a".repeat(65),
            "jörg\u{200B}",  // zero width space
            "jörg\u{200D}x", // zero width joiner
            "adm\u{202E}in", // right-to-left override
            "\u{0430}dmin",  // Cyrillic a + Latin
            "anna\u{00AD}",  // soft hyphen
            "x²",
            "٣x",
            "a/b",
            "a%2e",
            "\u{308}a",
        ] {
            assert!(normalize_username(bad).is_err(), "{bad:?}");
        }
        let p = |s: &str| SecretString::from(s.to_owned());
        assert!(check_password_rules("anna", &p("short")).is_err());
        assert!(check_password_rules("annaannaanna", &p("AnnaAnnaAnna")).is_err());
        assert!(check_password_rules("anna", &p(&"x".repeat(257))).is_err());
        assert!(check_password_rules("anna", &p("          ")).is_err());
        check_password_rules("anna", &p("correct horse battery")).unwrap();
    }

    #[test]
    fn argon2id_with_the_required_parameters() {
        let hash = hash_password(&SecretString::from("correct horse battery")).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(
            &SecretString::from("correct horse battery"),
            &hash
        ));
        assert!(!verify_password(
            &SecretString::from("correct horse batter"),
            &hash
        ));
        assert!(!verify_password(&SecretString::from("x"), "not a hash"));
        let otp = one_time_password().unwrap();
        assert_eq!(otp.expose_secret().len(), 20);
    }

    #[test]
    fn csrf_comparison() {
        let a = Authenticated {
            actor: Actor::command_line("x"),
            csrf_token: Some("abc".to_owned()),
        };
        a.check_csrf("abc").unwrap();
        assert!(a.check_csrf("abd").is_err());
        assert!(a.check_csrf("").is_err());
        let b = Authenticated {
            csrf_token: None,
            ..a
        };
        assert!(b.check_csrf("").is_err());
    }
}
