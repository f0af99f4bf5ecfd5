//! The `login_throttle` table: failed logins per client address and per
//! unknown account name (both stored only as HMACs).

use super::DbConnection;
use super::schema::login_throttle;
use crate::error::Result;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// A throttle row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    /// Failures in the window (password checks in progress included).
    pub failures: i32,
    /// When the window began.
    pub window_start: PrimitiveDateTime,
    /// Locked until then.
    pub locked_until: Option<PrimitiveDateTime>,
}

/// A throttle row's state (`None`: no row).
pub fn state(conn: &mut DbConnection, subject: &[u8]) -> Result<Option<ThrottleState>> {
    Ok(login_throttle::table
        .find(subject)
        .select((
            login_throttle::failures,
            login_throttle::window_start,
            login_throttle::locked_until,
        ))
        .get_result::<(i32, PrimitiveDateTime, Option<PrimitiveDateTime>)>(conn)
        .optional()?
        .map(|(failures, window_start, locked_until)| ThrottleState {
            failures,
            window_start,
            locked_until,
        }))
}

/// Reserves one login attempt on a row before a password is checked: one
/// more failure within the window (from `cutoff` on) while under `max`, else
/// a new window from `now`, else a new row; never while the row is locked.
/// Every change is one conditional update (never read-modify-write): on
/// PostgreSQL a parallel reservation waits for the row lock and re-reads
/// the condition, so at most `max` succeed in a window on either backend.
/// Whether it was reserved.
pub fn reserve(
    conn: &mut DbConnection,
    subject: &[u8],
    kind: &str,
    max: i32,
    cutoff: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> Result<bool> {
    if reserve_in_row(conn, subject, max, cutoff, now)? {
        return Ok(true);
    }
    // No row yet, or a refusal. Another login may insert the row at the same
    // moment: the insert runs in a savepoint, and a conflict means the row
    // is there now, so the reservation is tried on it once more.
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
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => reserve_in_row(conn, subject, max, cutoff, now),
        Err(e) => Err(e.into()),
    }
}

/// [`reserve`] on an existing row: `false` when there is none, or it is
/// locked or at the limit.
fn reserve_in_row(
    conn: &mut DbConnection,
    subject: &[u8],
    max: i32,
    cutoff: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> Result<bool> {
    use login_throttle::{failures, locked_until, window_start};
    let row = || login_throttle::table.find(subject);
    let free = || locked_until.is_null().or(locked_until.le(now));
    // Within the window and under the limit: one more.
    let n = diesel::update(
        row()
            .filter(window_start.gt(cutoff))
            .filter(failures.lt(max))
            .filter(free()),
    )
    .set(failures.eq(failures + 1))
    .execute(conn)?;
    if n == 1 {
        return Ok(true);
    }
    // The window has passed: a new one.
    let n = diesel::update(row().filter(window_start.le(cutoff)).filter(free()))
        .set((failures.eq(1), window_start.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Gives back a reservation whose password was right (it is no failure).
pub fn release(conn: &mut DbConnection, subject: &[u8]) -> Result<()> {
    use login_throttle::failures;
    diesel::update(login_throttle::table.find(subject).filter(failures.gt(0)))
        .set(failures.eq(failures - 1))
        .execute(conn)?;
    Ok(())
}

/// Locks a row until then once it has `max` failures (a new window from
/// `now`, no failures). Whether it was locked now: of parallel failures,
/// only one finds the count at the limit.
pub fn lock_at_limit(
    conn: &mut DbConnection,
    subject: &[u8],
    max: i32,
    now: PrimitiveDateTime,
    until: PrimitiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        login_throttle::table
            .find(subject)
            .filter(login_throttle::failures.ge(max)),
    )
    .set((
        login_throttle::failures.eq(0),
        login_throttle::window_start.eq(now),
        login_throttle::locked_until.eq(Some(until)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes rows whose window began before `cutoff` and that are not
/// locked after `now`; how many.
pub fn purge(
    conn: &mut DbConnection,
    cutoff: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> Result<usize> {
    Ok(diesel::delete(
        login_throttle::table
            .filter(login_throttle::window_start.le(cutoff))
            .filter(
                login_throttle::locked_until
                    .is_null()
                    .or(login_throttle::locked_until.le(now)),
            ),
    )
    .execute(conn)?)
}
