//! The `sessions` table: rows and queries (only token hashes are stored).

use super::DbConnection;
use super::schema::{sessions, users};
use super::users::UserRow;
use crate::error::Result;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// A session with its user, as found by its token hash.
pub struct SessionRow {
    /// Last request.
    pub last_seen_at: PrimitiveDateTime,
    /// Ends then at the latest.
    pub expires_at: PrimitiveDateTime,
    /// The CSRF token of its forms.
    pub csrf_token: String,
    /// Its user.
    pub user: UserRow,
}

/// Inserts a session.
pub fn insert(
    c: &mut DbConnection,
    token_hash: &[u8],
    user_id: i64,
    csrf_token: &str,
    now: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
) -> Result<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(csrf_token),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(c)?;
    Ok(())
}

/// The session with this token hash, and its user.
pub fn find(c: &mut DbConnection, token_hash: &[u8]) -> Result<Option<SessionRow>> {
    let found: Option<(PrimitiveDateTime, PrimitiveDateTime, String, UserRow)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .select((
            sessions::last_seen_at,
            sessions::expires_at,
            sessions::csrf_token,
            UserRow::as_select(),
        ))
        .get_result(c)
        .optional()?;
    Ok(
        found.map(|(last_seen_at, expires_at, csrf_token, user)| SessionRow {
            last_seen_at,
            expires_at,
            csrf_token,
            user,
        }),
    )
}

/// The user name of the session with this token hash.
pub fn username(c: &mut DbConnection, token_hash: &[u8]) -> Result<Option<String>> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .select(users::username)
        .get_result(c)
        .optional()?)
}

/// Refreshes a session's last-seen time.
pub fn touch(c: &mut DbConnection, token_hash: &[u8], now: PrimitiveDateTime) -> Result<()> {
    diesel::update(sessions::table.find(token_hash))
        .set(sessions::last_seen_at.eq(now))
        .execute(c)?;
    Ok(())
}

/// Deletes a session.
pub fn delete(c: &mut DbConnection, token_hash: &[u8]) -> Result<()> {
    diesel::delete(sessions::table.find(token_hash)).execute(c)?;
    Ok(())
}

/// Deletes every session of a user; how many.
pub fn delete_of_user(c: &mut DbConnection, user_id: i64) -> Result<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(c)?)
}

/// Deletes every session of a user but the one with this token hash.
pub fn delete_of_user_except(c: &mut DbConnection, user_id: i64, keep: &[u8]) -> Result<()> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::token_hash.ne(keep)),
    )
    .execute(c)?;
    Ok(())
}

/// Deletes sessions that ended by `now` or were idle since `idle_cutoff`;
/// how many.
pub fn purge(
    c: &mut DbConnection,
    now: PrimitiveDateTime,
    idle_cutoff: PrimitiveDateTime,
) -> Result<usize> {
    Ok(diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(now)
                .or(sessions::last_seen_at.le(idle_cutoff)),
        ),
    )
    .execute(c)?)
}
