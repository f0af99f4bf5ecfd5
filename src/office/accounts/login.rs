//! Logging in, step by step: look the account up with the throttle state
//! and refuse while locked (a read: a refusal writes nothing), take a
//! password-check permit (or answer `busy`), reserve the attempt on every
//! throttle subject (one write; refused if a parallel attempt took the last
//! one), verify the password (always hashed once, existing user or not),
//! then settle: open a session, or keep the reservation as the failure and
//! lock at the limit. The audit log names the account, never the address or
//! the password.

use super::password_checks::PasswordCheckPermit;
use super::passwords::dummy_hash;
use super::sessions::NewSession;
use super::throttle::{
    account_refused_until, reserve_account, reserve_row, row_refused_until, secs_until,
    settle_account_failure, settle_row_failure,
};
use super::users::normalize_username;
use crate::config::LoginThrottle;
use crate::db::{self, DbConnection, users::UserRow};
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
    ///
    /// Errors: [`Error::BadCredentials`], [`Error::Throttled`] (locked, or
    /// the limit is taken by checks in progress), [`Error::Busy`] (every
    /// password check the office may run at once is taken).
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
        let user = self.look_up(&attempt)?;
        let permit = self.password_checks().try_permit()?;
        self.reserve(&attempt, user.as_ref())?;
        let right = verify(&permit, password, user.as_ref());
        drop(permit);
        match (right, user) {
            (true, Some(user)) => {
                self.open_session(user, attempt.now, attempt.address_tag.as_deref())
            }
            (_, user) => {
                self.count_failure(&attempt, user.as_ref())?;
                Err(Error::BadCredentials)
            }
        }
    }

    /// Step 1 (a read): the account, if the name is one; refused while the
    /// account, the address or the unknown name is locked or has its limit
    /// taken (until the latest of them). A refusal writes nothing: the lock
    /// was recorded once when it was set.
    fn look_up(&self, a: &Attempt) -> Result<Option<UserRow>> {
        let limits = self.config().login;
        let (user, refused) = self.db().read(|c| {
            let user = match &a.name {
                Some(n) => db::users::by_name(c, n)?,
                None => None,
            };
            let mut refused: Option<PrimitiveDateTime> = None;
            let mut consider = |until: Option<PrimitiveDateTime>| {
                if let Some(u) = until {
                    refused = Some(refused.map_or(u, |l| l.max(u)));
                }
            };
            if let Some(tag) = &a.address_tag {
                let row = db::throttle::state(c, tag)?;
                consider(row_refused_until(
                    row,
                    limits.address_max_failures,
                    &limits,
                    a.now,
                ));
            }
            match &user {
                Some(u) => consider(account_refused_until(u, a.now)),
                None => {
                    let row = db::throttle::state(c, &a.unknown_tag)?;
                    consider(row_refused_until(
                        row,
                        limits.account_max_failures,
                        &limits,
                        a.now,
                    ));
                }
            }
            Ok((user, refused))
        })?;
        match refused {
            Some(until) => Err(Error::Throttled {
                retry_after_secs: secs_until(a.now, until),
            }),
            None => Ok(user),
        }
    }

    /// Step 2 (one write, before the password is looked at): reserves the
    /// attempt on the address, and on the account or the unknown name. If
    /// one refuses (a parallel attempt took the last one), none is kept.
    /// An account refused because its limit is taken, not yet locked, is
    /// locked now (recorded once): its checks in progress are failing
    /// guesses, or the reservations of a crashed server, which would else
    /// hold the account forever (an address or an unknown name frees itself
    /// when its window ends).
    fn reserve(&self, a: &Attempt, user: Option<&UserRow>) -> Result<()> {
        let limits = self.config().login;
        let office = self.office_name().to_owned();
        let reserved = self.db().write(|c| {
            if let Some(tag) = &a.address_tag
                && !reserve_row(
                    c,
                    tag,
                    "address",
                    limits.address_max_failures,
                    &limits,
                    a.now,
                )?
            {
                return Ok(false);
            }
            let reserved = match user {
                Some(u) => reserve_account(c, u.id, &limits, a.now)?,
                None => reserve_row(
                    c,
                    &a.unknown_tag,
                    "account",
                    limits.account_max_failures,
                    &limits,
                    a.now,
                )?,
            };
            if reserved {
                return Ok(true);
            }
            if let Some(tag) = &a.address_tag {
                db::throttle::release(c, tag)?;
            }
            if let Some(u) = user
                && settle_account_failure(c, u.id, &limits, a.now)?
            {
                record_lock(c, &u.username, &office, &limits)?;
            }
            Ok(false)
        })?;
        if reserved {
            Ok(())
        } else {
            Err(Error::Throttled {
                retry_after_secs: secs_until(a.now, db::later(a.now, limits.lockout)),
            })
        }
    }

    /// Step 4 (on failure): the reservations stay as the failures; each
    /// subject locks at its limit. Records the failure on an existing
    /// account, and the lock once when it is set.
    fn count_failure(&self, a: &Attempt, user: Option<&UserRow>) -> Result<()> {
        let limits = self.config().login;
        let office = self.office_name().to_owned();
        self.db().write(|c| {
            if let Some(tag) = &a.address_tag {
                settle_row_failure(c, tag, limits.address_max_failures, &limits, a.now)?;
            }
            match user {
                Some(u) => {
                    let locked_now = settle_account_failure(c, u.id, &limits, a.now)?;
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
                        record_lock(c, &u.username, &office, &limits)?;
                    }
                }
                None => settle_row_failure(
                    c,
                    &a.unknown_tag,
                    limits.account_max_failures,
                    &limits,
                    a.now,
                )?,
            }
            Ok(())
        })
    }
}

/// Records that an account was locked (once per lock).
fn record_lock(
    c: &mut DbConnection,
    username: &str,
    office: &str,
    limits: &LoginThrottle,
) -> Result<()> {
    audit::append(
        c,
        username,
        office,
        AuditAction::AccountLocked,
        None,
        &format!("minutes={}", limits.lockout.as_secs().div_ceil(60)),
    )?;
    Ok(())
}

/// Step 3: the password, hashed once whether the account exists or not (so
/// the answer takes as long either way). Whether it is right and the
/// account exists and is enabled.
fn verify(permit: &PasswordCheckPermit, password: &SecretString, user: Option<&UserRow>) -> bool {
    let stored: &str = match user {
        Some(u) => &u.password_hash,
        None => dummy_hash(permit),
    };
    permit.verify(password, stored) && user.is_some_and(|u| !u.disabled)
}
