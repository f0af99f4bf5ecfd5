//! The `office_meta` table: named values of the office itself (the vault's
//! key check value).

use super::DbConnection;
use super::schema::office_meta;
use crate::error::Result;
use diesel::prelude::*;

/// A stored value.
pub fn get(c: &mut DbConnection, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(office_meta::table
        .find(name)
        .select(office_meta::value)
        .first(c)
        .optional()?)
}

/// Stores a new value (the name must be free).
pub fn insert(c: &mut DbConnection, name: &str, value: &[u8]) -> Result<()> {
    diesel::insert_into(office_meta::table)
        .values((office_meta::name.eq(name), office_meta::value.eq(value)))
        .execute(c)?;
    Ok(())
}
