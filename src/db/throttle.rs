//! The `login_throttle` table: failed logins per client address and per
//! unknown account name (both stored only as HMACs).

use super::DbConnection;
use super::schema::login_throttle;
use crate::error::Result;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// Until when a throttle row is locked (`None`: no row, or not locked).
pub fn locked_until(conn: &mut DbConnection, subject: &[u8]) -> Result<Option<PrimitiveDateTime>> {
    Ok(login_throttle::table
        .find(subject)
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?
        .flatten())
}

/// Counts one failure on a row: one more within the window (from `cutoff`
/// on), else a new window from `now`, else a new row. Every change is an
/// atomic increment (never read-modify-write), so parallel failures are all
/// counted on PostgreSQL too. Returns the failures in the window.
pub fn add_failure(
    conn: &mut DbConnection,
    subject: &[u8],
    kind: &str,
    cutoff: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> Result<i32> {
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
    Ok(row().select(login_throttle::failures).first(conn)?)
}

/// Locks a row until then (a new window from `now`, no failures).
pub fn lock(
    conn: &mut DbConnection,
    subject: &[u8],
    now: PrimitiveDateTime,
    until: PrimitiveDateTime,
) -> Result<()> {
    diesel::update(login_throttle::table.find(subject))
        .set((
            login_throttle::failures.eq(0),
            login_throttle::window_start.eq(now),
            login_throttle::locked_until.eq(Some(until)),
        ))
        .execute(conn)?;
    Ok(())
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
