//! Login throttling: per account (consecutive failures lock the account)
//! and per client address or unknown account name (failures within a
//! window lock the address or name). The counting is atomic in the
//! database (`db::throttle`, `db::users`); the limits are decided here.

use crate::db::{self, DbConnection};
use crate::error::Result;
use std::time::Duration;
use time::PrimitiveDateTime;

/// Seconds from `now` until `until`, at least one.
pub(super) fn secs_until(now: PrimitiveDateTime, until: PrimitiveDateTime) -> u64 {
    u64::try_from((until - now).whole_seconds())
        .unwrap_or(0)
        .max(1)
}

/// Counts one failure on a throttle row; locks it at `max` failures within
/// the window.
pub(super) fn count_throttle_failure(
    conn: &mut DbConnection,
    subject: &[u8],
    kind: &str,
    max: u32,
    window: Duration,
    lockout: Duration,
    now: PrimitiveDateTime,
) -> Result<()> {
    let cutoff = db::earlier(now, window);
    let failures = db::throttle::add_failure(conn, subject, kind, cutoff, now)?;
    if u32::try_from(failures).unwrap_or(0) >= max {
        db::throttle::lock(conn, subject, now, db::later(now, lockout))?;
    }
    Ok(())
}

/// Counts one failed login on an existing account (atomic increment);
/// locks it at `max` consecutive failures. Whether it was locked now.
pub(super) fn count_account_failure(
    conn: &mut DbConnection,
    user_id: i64,
    max: u32,
    lockout: Duration,
    now: PrimitiveDateTime,
) -> Result<bool> {
    let failures = db::users::add_failed_login(conn, user_id)?;
    if u32::try_from(failures).unwrap_or(0) >= max {
        db::users::lock(conn, user_id, db::later(now, lockout))?;
        return Ok(true);
    }
    Ok(false)
}
