//! The `office_meta` table: named values of the office itself (the vault's
//! key check value, the state of a key rotation).

use super::DbConnection;
use super::schema::office_meta;
use crate::error::Result;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// A stored value.
pub fn get(c: &mut DbConnection, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(super::on_backend!(c, |c| office_meta::table
        .find(name)
        .select(office_meta::value)
        .get_result(c)
        .optional())?)
}

/// A stored value, if there is one.
pub type Stored = Option<Vec<u8>>;

/// Two stored values in one query.
pub fn get_two(c: &mut DbConnection, first: &str, second: &str) -> Result<(Stored, Stored)> {
    let rows: Vec<(String, Vec<u8>)> = super::on_backend!(c, |c| office_meta::table
        .filter(office_meta::name.eq(first).or(office_meta::name.eq(second)))
        .select((office_meta::name, office_meta::value))
        .load(c))?;
    let mut out = (None, None);
    for (name, value) in rows {
        if name == first {
            out.0 = Some(value);
        } else if name == second {
            out.1 = Some(value);
        }
    }
    Ok(out)
}

/// Stores a new value (the name must be free).
pub fn insert(c: &mut DbConnection, name: &str, value: &[u8]) -> Result<()> {
    diesel::insert_into(office_meta::table)
        .values((office_meta::name.eq(name), office_meta::value.eq(value)))
        .execute(c)?;
    Ok(())
}

/// Stores a value, replacing the one there.
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

/// The PostgreSQL advisory lock that orders sealing against a key
/// rotation (any constant; "keys").
const KEYS_LOCK: i64 = 0x6369_7479_6b65_7973;

/// What starts every writing transaction on PostgreSQL ([`super::Db::write`]):
/// `BEGIN` and a shared advisory lock held until the transaction ends, in
/// one round trip. So a key rotation that is starting
/// ([`hold_keys_exclusive`]) waits for every transaction that may seal, and
/// such a transaction sees a rotation that started before it in any later
/// statement (`Office::ensure_keys_current`). Shared holders do not wait
/// for each other and write nothing. SQLite's writers' lock (`BEGIN
/// IMMEDIATE`) does the same there.
pub(crate) fn pg_begin_write() -> String {
    format!("BEGIN; SELECT pg_advisory_xact_lock_shared({KEYS_LOCK})")
}

/// The PostgreSQL advisory lock held by a running key rotation (any
/// constant; "rotation").
const ROTATION_LOCK: i64 = 0x726f_7461_7469_6f6e;

/// A key rotation holds this for as long as it runs, on a connection of
/// its own (PostgreSQL, where rotations on two hosts could meet; SQLite
/// has one key directory, locked by the caller). Whether it got it.
pub fn try_hold_rotation(c: &mut DbConnection) -> Result<bool> {
    #[derive(QueryableByName)]
    struct Got {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        got: bool,
    }
    if let DbConnection::Pg(pg) = c {
        let r: Got = diesel::sql_query(format!(
            "SELECT pg_try_advisory_lock({ROTATION_LOCK}) AS got"
        ))
        .get_result(pg)?;
        return Ok(r.got);
    }
    Ok(true)
}

/// The start of a key rotation: waits until no transaction that seals
/// holds the shared lock of [`pg_begin_write`] (PostgreSQL), and keeps new ones out until
/// this transaction ends.
pub fn hold_keys_exclusive(c: &mut DbConnection) -> Result<()> {
    if let DbConnection::Pg(pg) = c {
        pg.batch_execute(&format!("SELECT pg_advisory_xact_lock({KEYS_LOCK})"))?;
    }
    Ok(())
}
