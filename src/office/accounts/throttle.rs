//! Login throttling: per account (consecutive failures lock the account)
//! and per client address or unknown account name (failures within a
//! window lock the address or name).
//!
//! An attempt is *reserved* before its password is checked: the failure is
//! counted first, in one atomic conditional update per subject, and only an
//! attempt that got every reservation may check the password. So parallel
//! guesses cannot outrun the limits: of 64 guesses fired at once at an
//! account with a limit of 5, at most 5 passwords are checked. Afterwards
//! the reservation is *settled*: a wrong password keeps it as the failure
//! (and locks the subject at the limit), a right one gives it back (the
//! address) or clears the count (the account, as before). The counting is
//! in the database (`db::throttle`, `db::users`); the limits are decided
//! here.
//!
//! A refusal while locked (or, for an address or unknown name, while its
//! window's limit is taken by checks in progress) is decided from a read
//! alone: it writes nothing, not even to the audit log, where the lock
//! itself is recorded once (`account_locked`). An account whose limit is
//! taken but that is not locked yet is locked by the first refused
//! reservation (one write): otherwise reservations left by a crashed server
//! would hold it shut for good.

use crate::config::LoginThrottle;
use crate::db::throttle::ThrottleState;
use crate::db::users::UserRow;
use crate::db::{self, DbConnection};
use crate::error::Result;
use time::PrimitiveDateTime;

/// Seconds from `now` until `until`, at least one.
pub(super) fn secs_until(now: PrimitiveDateTime, until: PrimitiveDateTime) -> u64 {
    u64::try_from((until - now).whole_seconds())
        .unwrap_or(0)
        .max(1)
}

fn limit(max: u32) -> i32 {
    i32::try_from(max).unwrap_or(i32::MAX)
}

/// Until when a throttle row refuses attempts: its lock, or, when its
/// window's failures (checks in progress included) have reached the limit,
/// at most a lockout from now.
pub(super) fn row_refused_until(
    row: Option<ThrottleState>,
    max: u32,
    limits: &LoginThrottle,
    now: PrimitiveDateTime,
) -> Option<PrimitiveDateTime> {
    let row = row?;
    if let Some(until) = row.locked_until.filter(|u| *u > now) {
        return Some(until);
    }
    let in_window = row.window_start > db::earlier(now, limits.window);
    (in_window && row.failures >= limit(max)).then(|| db::later(now, limits.lockout))
}

/// Until when an account refuses attempts: its lock. (An account whose
/// limit is taken by checks in progress is refused by the reservation,
/// which locks it then: see `Office::reserve` in `login.rs`.)
pub(super) fn account_refused_until(
    user: &UserRow,
    now: PrimitiveDateTime,
) -> Option<PrimitiveDateTime> {
    user.locked_until.filter(|u| *u > now)
}

/// Reserves an attempt on a throttle row (address or unknown name).
pub(super) fn reserve_row(
    conn: &mut DbConnection,
    subject: &[u8],
    kind: &str,
    max: u32,
    limits: &LoginThrottle,
    now: PrimitiveDateTime,
) -> Result<bool> {
    let cutoff = db::earlier(now, limits.window);
    db::throttle::reserve(conn, subject, kind, limit(max), cutoff, now)
}

/// Reserves an attempt on an existing account.
pub(super) fn reserve_account(
    conn: &mut DbConnection,
    user_id: i64,
    limits: &LoginThrottle,
    now: PrimitiveDateTime,
) -> Result<bool> {
    db::users::reserve_attempt(conn, user_id, limit(limits.account_max_failures), now)
}

/// Settles a failed attempt on a throttle row: its reservation stays as the
/// failure; the row locks at the limit.
pub(super) fn settle_row_failure(
    conn: &mut DbConnection,
    subject: &[u8],
    max: u32,
    limits: &LoginThrottle,
    now: PrimitiveDateTime,
) -> Result<()> {
    let until = db::later(now, limits.lockout);
    db::throttle::lock_at_limit(conn, subject, limit(max), now, until)?;
    Ok(())
}

/// Settles a failed attempt on an account: its reservation stays as the
/// failure; the account locks at the limit. Whether it was locked now (once
/// per lock, however many failures settle at the same time).
pub(super) fn settle_account_failure(
    conn: &mut DbConnection,
    user_id: i64,
    limits: &LoginThrottle,
    now: PrimitiveDateTime,
) -> Result<bool> {
    let until = db::later(now, limits.lockout);
    db::users::lock_at_limit(conn, user_id, limit(limits.account_max_failures), until)
}
