//! The `users` table: rows and queries.

use super::DbConnection;
use super::schema::users;
use crate::error::{Error, Result};
use crate::office::actor::Role;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// One user as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Name (normalised).
    pub username: String,
    /// The role's stored name.
    pub role: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// A one-time password is set.
    pub must_change_password: bool,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// Consecutive failed logins, counting the password checks in progress
    /// (each is reserved before the password is looked at).
    pub failed_logins: i32,
    /// Locked after failed logins until then.
    pub locked_until: Option<PrimitiveDateTime>,
    /// Created.
    pub created_at: PrimitiveDateTime,
    /// The user's site (`None`: city-wide).
    pub site_id: Option<i64>,
}

impl UserRow {
    /// The role.
    pub fn role(&self) -> Result<Role> {
        self.role
            .parse()
            .map_err(|_| Error::Integrity("a user has an unknown role"))
    }
}

/// A user by name.
pub fn by_name(conn: &mut DbConnection, username: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// A user by id.
pub fn by_id(conn: &mut DbConnection, id: i64) -> Result<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Every user, by name.
pub fn all(conn: &mut DbConnection) -> Result<Vec<UserRow>> {
    Ok(users::table
        .order(users::username.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// How many users there are.
pub fn count(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table.count().get_result(conn)?)
}

/// How many enabled admins there are.
pub fn enabled_admins(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)?)
}

/// Inserts a user; returns the id.
pub fn insert(
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
        .get_result(c)?)
}

/// Stores a new password hash; unlocks the account.
pub fn store_password(
    c: &mut DbConnection,
    user_id: i64,
    hash: &str,
    must_change_password: bool,
    now: PrimitiveDateTime,
) -> Result<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(hash),
            users::must_change_password.eq(must_change_password),
            users::password_changed_at.eq(now),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<PrimitiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}

/// Sets a user's role.
pub fn set_role(c: &mut DbConnection, user_id: i64, role: Role) -> Result<()> {
    diesel::update(users::table.find(user_id))
        .set(users::role.eq(role.as_str()))
        .execute(c)?;
    Ok(())
}

/// Disables or enables a user.
pub fn set_disabled(c: &mut DbConnection, user_id: i64, disabled: bool) -> Result<()> {
    diesel::update(users::table.find(user_id))
        .set(users::disabled.eq(disabled))
        .execute(c)?;
    Ok(())
}

/// Reserves one login attempt on an account before its password is
/// checked: one atomic conditional increment, which succeeds only while the
/// account is not locked and has fewer than `max` failures (checks in
/// progress included). On PostgreSQL a parallel reservation waits for the
/// row lock and re-reads the condition, so at most `max` succeed on either
/// backend. Whether it was reserved.
pub fn reserve_attempt(
    c: &mut DbConnection,
    user_id: i64,
    max: i32,
    now: PrimitiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        users::table
            .find(user_id)
            .filter(users::failed_logins.lt(max))
            .filter(
                users::locked_until
                    .is_null()
                    .or(users::locked_until.le(now)),
            ),
    )
    .set(users::failed_logins.eq(users::failed_logins + 1))
    .execute(c)?;
    Ok(n == 1)
}

/// Locks an account until then once it has `max` failures (and resets its
/// count). Whether it was locked now: of parallel failures, only the one
/// that finds the count at the limit locks (and is recorded).
pub fn lock_at_limit(
    c: &mut DbConnection,
    user_id: i64,
    max: i32,
    until: PrimitiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        users::table
            .find(user_id)
            .filter(users::failed_logins.ge(max)),
    )
    .set((
        users::failed_logins.eq(0),
        users::locked_until.eq(Some(until)),
    ))
    .execute(c)?;
    Ok(n == 1)
}

/// Clears the failure count and lock after a successful login.
pub fn clear_failures(c: &mut DbConnection, user_id: i64) -> Result<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<PrimitiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}
