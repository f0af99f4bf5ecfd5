//! The `office_meta` table: named values of the office itself (the vault's
//! key check value, the state of a key rotation).

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

/// Stores a value, replacing the one there (an update, so on PostgreSQL
/// it waits for transactions that hold the row with [`get_shared`]).
pub fn set(c: &mut DbConnection, name: &str, value: &[u8]) -> Result<()> {
    let n = diesel::update(office_meta::table.find(name))
        .set(office_meta::value.eq(value))
        .execute(c)?;
    if n == 0 {
        insert(c, name, value)?;
    }
    Ok(())
}

/// Deletes a value (if there).
pub fn delete(c: &mut DbConnection, name: &str) -> Result<()> {
    diesel::delete(office_meta::table.find(name)).execute(c)?;
    Ok(())
}

/// [`get`], and on PostgreSQL the row stays locked against updates
/// (`FOR SHARE`) until the transaction ends; SQLite's writers' lock does
/// the same there.
pub fn get_shared(c: &mut DbConnection, name: &str) -> Result<Option<Vec<u8>>> {
    if let DbConnection::Pg(pg) = c {
        #[derive(QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::Binary)]
            value: Vec<u8>,
        }
        let row: Option<Value> =
            diesel::sql_query("SELECT value FROM office_meta WHERE name = $1 FOR SHARE")
                .bind::<diesel::sql_types::Text, _>(name)
                .get_result(pg)
                .optional()?;
        return Ok(row.map(|r| r.value));
    }
    get(c, name)
}
