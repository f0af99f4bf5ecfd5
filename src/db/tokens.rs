//! The `api_tokens` table: rows and queries (only token hashes are stored).

use super::DbConnection;
use super::schema::{api_tokens, users};
use super::users::UserRow;
use crate::error::Result;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// An API token as stored, without its hash.
#[derive(Queryable)]
pub struct TokenRow {
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
    /// The permissions it is limited to (codes separated by spaces; `None`:
    /// the owner's role).
    pub permissions: Option<String>,
}

/// An API token with its user, as found by its hash.
pub struct TokenUser {
    /// Id.
    pub id: i64,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// The permissions it is limited to (codes separated by spaces; `None`:
    /// the owner's role).
    pub permissions: Option<String>,
    /// Ends then.
    pub expires_at: Option<PrimitiveDateTime>,
    /// Revoked then.
    pub revoked_at: Option<PrimitiveDateTime>,
    /// Last used.
    pub last_used_at: Option<PrimitiveDateTime>,
    /// Its user.
    pub user: UserRow,
}

/// Inserts a token; returns its id.
pub fn insert(
    c: &mut DbConnection,
    user_id: i64,
    token_hash: &[u8],
    label: &str,
    now: PrimitiveDateTime,
    expires_at: Option<PrimitiveDateTime>,
    permissions: Option<&str>,
) -> Result<i64> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::label.eq(label),
            api_tokens::created_at.eq(now),
            api_tokens::expires_at.eq(expires_at),
            api_tokens::permissions.eq(permissions),
        ))
        .execute(c)?;
    Ok(api_tokens::table
        .filter(api_tokens::token_hash.eq(token_hash))
        .select(api_tokens::id)
        .get_result(c)?)
}

/// The token with this hash, and its user.
pub fn find(c: &mut DbConnection, token_hash: &[u8]) -> Result<Option<TokenUser>> {
    type Row = (
        i64,
        PrimitiveDateTime,
        Option<String>,
        Option<PrimitiveDateTime>,
        Option<PrimitiveDateTime>,
        Option<PrimitiveDateTime>,
        UserRow,
    );
    let found: Option<Row> = super::on_backend!(c, |c| api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .select((
            api_tokens::id,
            api_tokens::created_at,
            api_tokens::permissions,
            api_tokens::expires_at,
            api_tokens::revoked_at,
            api_tokens::last_used_at,
            UserRow::as_select(),
        ))
        .get_result(c)
        .optional())?;
    Ok(found.map(
        |(id, created_at, permissions, expires_at, revoked_at, last_used_at, user)| TokenUser {
            id,
            created_at,
            permissions,
            expires_at,
            revoked_at,
            last_used_at,
            user,
        },
    ))
}

/// Records a token's use.
pub fn touch(c: &mut DbConnection, id: i64, now: PrimitiveDateTime) -> Result<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(Some(now)))
        .execute(c)?;
    Ok(())
}

/// A user's tokens, oldest first.
pub fn of_user(c: &mut DbConnection, user_id: i64) -> Result<Vec<TokenRow>> {
    Ok(api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.asc())
        .select((
            api_tokens::id,
            api_tokens::label,
            api_tokens::created_at,
            api_tokens::last_used_at,
            api_tokens::expires_at,
            api_tokens::revoked_at,
            api_tokens::permissions,
        ))
        .load(c)?)
}

/// A token's owner.
pub fn owner(c: &mut DbConnection, id: i64) -> Result<Option<i64>> {
    Ok(api_tokens::table
        .find(id)
        .select(api_tokens::user_id)
        .get_result(c)
        .optional()?)
}

/// Revokes a token (if not revoked yet).
pub fn revoke(c: &mut DbConnection, id: i64, now: PrimitiveDateTime) -> Result<()> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(c)?;
    Ok(())
}

/// Revokes every token of a user not revoked yet.
pub fn revoke_of_user(c: &mut DbConnection, user_id: i64, now: PrimitiveDateTime) -> Result<()> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(c)?;
    Ok(())
}
