//! The `published_lists` table: the signed lists every server instance
//! serves (one row per list, e.g. `revocations`).

use super::DbConnection;
use super::schema::published_lists;
use crate::error::Result;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// A stored list.
pub struct StoredList {
    /// When it was signed.
    pub issued_at: PrimitiveDateTime,
    /// What its content was (see `office::publish`).
    pub content_hash: Vec<u8>,
    /// The signed bytes (empty: none signed yet).
    pub bytes: Vec<u8>,
}

/// Locks a list's row until the end of the transaction (a no-op update);
/// whether the row exists.
pub fn lock(c: &mut DbConnection, name: &str) -> Result<bool> {
    let n = diesel::update(published_lists::table.find(name))
        .set(published_lists::name.eq(published_lists::name))
        .execute(c)?;
    Ok(n == 1)
}

/// A list's row (it must exist).
pub fn load(c: &mut DbConnection, name: &str) -> Result<StoredList> {
    let (issued_at, content_hash, bytes): (PrimitiveDateTime, Vec<u8>, Vec<u8>) =
        published_lists::table
            .find(name)
            .select((
                published_lists::issued_at,
                published_lists::content_hash,
                published_lists::bytes,
            ))
            .get_result(c)?;
    Ok(StoredList {
        issued_at,
        content_hash,
        bytes,
    })
}

/// Stores a newly signed list.
pub fn store(
    c: &mut DbConnection,
    name: &str,
    issued_at: PrimitiveDateTime,
    content_hash: &[u8],
    bytes: &[u8],
) -> Result<()> {
    diesel::update(published_lists::table.find(name))
        .set((
            published_lists::issued_at.eq(issued_at),
            published_lists::content_hash.eq(content_hash),
            published_lists::bytes.eq(bytes),
        ))
        .execute(c)?;
    Ok(())
}

/// A list's signed bytes, if the row exists.
pub fn bytes(c: &mut DbConnection, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(published_lists::table
        .find(name)
        .select(published_lists::bytes)
        .get_result(c)
        .optional()?)
}
