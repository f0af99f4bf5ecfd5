//! Small helpers over `ciborium::Value` for our deterministic maps.

use crate::error::{Error, Malformed, Result};
use ciborium::Value;

/// Serializes a value. ciborium writes the shortest form of every integer
/// and length, so a map whose keys we put in canonical order comes out in
/// deterministic encoding (RFC 8949 §4.2.1).
pub fn to_vec(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|_| Error::Encode)?;
    Ok(out)
}

/// Parses exactly one CBOR item, with nothing after it.
pub fn from_slice(bytes: &[u8], bad: Malformed) -> Result<Value, Malformed> {
    let mut rest = bytes;
    let value: Value = ciborium::from_reader(&mut rest).map_err(|_| bad)?;
    if !rest.is_empty() {
        return Err(Malformed::TrailingBytes);
    }
    Ok(value)
}

/// Checks that `bytes` is the deterministic encoding of `value`.
pub fn check_deterministic(value: &Value, bytes: &[u8]) -> Result<(), Malformed> {
    match to_vec(value) {
        Ok(again) if again == bytes => Ok(()),
        _ => Err(Malformed::NotDeterministic),
    }
}

/// An integer key.
pub fn key(k: i64) -> Value {
    Value::Integer(k.into())
}

/// Takes a map apart into its entries, requiring exactly the `expected` keys
/// in this order, except that keys listed in `optional` may be missing.
pub fn expect_map(
    value: Value,
    expected: &[i64],
    optional: &[i64],
    bad: Malformed,
) -> Result<Vec<Option<Value>>, Malformed> {
    let Value::Map(entries) = value else {
        return Err(bad);
    };
    let mut out = Vec::with_capacity(expected.len());
    let mut it = entries.into_iter().peekable();
    for &k in expected {
        match it.peek() {
            Some((Value::Integer(found), _)) if i128::from(*found) == i128::from(k) => {
                out.push(it.next().map(|(_, v)| v));
            }
            _ if optional.contains(&k) => out.push(None),
            _ => return Err(bad),
        }
    }
    if it.next().is_some() {
        return Err(bad);
    }
    Ok(out)
}

/// An integer within i64.
pub fn int(value: Option<Value>, bad: Malformed) -> Result<i64, Malformed> {
    match value {
        Some(Value::Integer(i)) => i64::try_from(i128::from(i)).map_err(|_| bad),
        _ => Err(bad),
    }
}

/// A text string.
pub fn text(value: Option<Value>, bad: Malformed) -> Result<String, Malformed> {
    match value {
        Some(Value::Text(t)) => Ok(t),
        _ => Err(bad),
    }
}

/// A byte string.
pub fn bytes(value: Option<Value>, bad: Malformed) -> Result<Vec<u8>, Malformed> {
    match value {
        Some(Value::Bytes(b)) => Ok(b),
        _ => Err(bad),
    }
}
