//! Logging in, step by step: look the account up (with the throttle state),
//! refuse while locked, verify the password (always hashed once, existing
//! user or not), then either count the failure or open a session. The
//! audit log names the account, never the address or the password.

use super::passwords::{dummy_hash, verify_password};
use super::sessions::NewSession;
use super::throttle::{count_account_failure, count_throttle_failure, secs_until};
use super::users::normalize_username;
use crate::db::{self, users::UserRow};
use crate::error::{Error, Result};
use crate::office::Office;
use crate::office::audit::{self, AuditAction};
use secrecy::SecretString;
use std::net::IpAddr;
use time::PrimitiveDateTime;

/// One login attempt: the name as normalised and the throttle subjects.
struct Attempt {
    /// The normalised user name (`None`: not a valid name, so no account).
    name: Option<String>,
    /// The client address's HMAC (`None`: no address, e.g. a local tool).
    address_tag: Option<Vec<u8>>,
    /// The HMAC of the name as typed, throttled when there is no such account.
    unknown_tag: Vec<u8>,
    /// When.
    now: PrimitiveDateTime,
}

impl Office {
    /// Logs in. `client` is the client's address (for throttling; `None`
    /// when there is none, e.g. a local tool). A user with a one-time
    /// password gets a session whose actor may only change the password.
    pub fn login(
        &self,
        username: &str,
        password: &SecretString,
        client: Option<IpAddr>,
    ) -> Result<NewSession> {
        let attempt = Attempt {
            now: db::now(),
            name: normalize_username(username).ok(),
            address_tag: client.map(|a| self.vault().address_tag(a)),
            unknown_tag: self.vault().account_tag(username),
        };
        let (user, locked) = self.look_up(&attempt)?;
        self.check_throttle(&attempt, user.as_ref(), locked)?;
        match verify(password, user) {
            Ok(user) => self.open_session(user, attempt.now),
            Err(user) => {
                self.count_failure(&attempt, user.as_ref())?;
                Err(Error::BadCredentials)
            }
        }
    }

    /// Step 1: the account (if the name is one) and until when the account,
    /// the address or the unknown name is locked (the latest of them).
    fn look_up(&self, a: &Attempt) -> Result<(Option<UserRow>, Option<PrimitiveDateTime>)> {
        self.db().read(|c| {
            let user = match &a.name {
                Some(n) => db::users::by_name(c, n)?,
                None => None,
            };
            let mut locked: Option<PrimitiveDateTime> = None;
            let mut consider = |until: Option<PrimitiveDateTime>| {
                if let Some(u) = until.filter(|u| *u > a.now) {
                    locked = Some(locked.map_or(u, |l| l.max(u)));
                }
            };
            if let Some(tag) = &a.address_tag {
                consider(db::throttle::locked_until(c, tag)?);
            }
            match &user {
                Some(u) => consider(u.locked_until),
                None => consider(db::throttle::locked_until(c, &a.unknown_tag)?),
            }
            Ok((user, locked))
        })
    }

    /// Step 2: locked? Then the password is not even looked at (a refused
    /// login to an existing account is recorded).
    fn check_throttle(
        &self,
        a: &Attempt,
        user: Option<&UserRow>,
        locked: Option<PrimitiveDateTime>,
    ) -> Result<()> {
        let Some(until) = locked else {
            return Ok(());
        };
        if let Some(u) = user {
            let office = self.office_name().to_owned();
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
        Err(Error::Throttled {
            retry_after_secs: secs_until(a.now, until),
        })
    }

    /// Step 4 (on failure): counts the failure on the address, and on the
    /// account or the unknown name; records it for an existing account.
    fn count_failure(&self, a: &Attempt, user: Option<&UserRow>) -> Result<()> {
        let limits = self.config().login;
        let office = self.office_name().to_owned();
        self.db().write(|c| {
            if let Some(tag) = &a.address_tag {
                count_throttle_failure(
                    c,
                    tag,
                    "address",
                    limits.address_max_failures,
                    limits.window,
                    limits.lockout,
                    a.now,
                )?;
            }
            match user {
                Some(u) => {
                    let locked_now = count_account_failure(
                        c,
                        u.id,
                        limits.account_max_failures,
                        limits.lockout,
                        a.now,
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
                    &a.unknown_tag,
                    "account",
                    limits.account_max_failures,
                    limits.window,
                    limits.lockout,
                    a.now,
                )?,
            }
            Ok(())
        })
    }
}

/// Step 3: the password, hashed once whether the account exists or not (so
/// the answer takes as long either way). `Ok` with the user when it is
/// right and the account enabled; `Err` with the user (if any) otherwise.
fn verify(password: &SecretString, user: Option<UserRow>) -> Result<UserRow, Option<UserRow>> {
    let stored: &str = match &user {
        Some(u) => &u.password_hash,
        None => dummy_hash(),
    };
    let ok = verify_password(password, stored) && user.as_ref().is_some_and(|u| !u.disabled);
    match user {
        Some(u) if ok => Ok(u),
        other => Err(other),
    }
}
