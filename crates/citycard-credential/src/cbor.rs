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
    // ciborium's `from_reader` zeroes a 4 KiB scratch buffer on every call,
    // which costs more than parsing a whole card. Strings and byte strings
    // that do not fit this smaller buffer are read in chunks into their own
    // allocation instead; the resulting value is the same.
    let mut scratch = [0u8; 256];
    let value: Value =
        ciborium::de::from_reader_with_buffer(&mut rest, &mut scratch).map_err(|_| bad)?;
    if !rest.is_empty() {
        return Err(Malformed::TrailingBytes);
    }
    Ok(value)
}

/// Checks that `bytes` is the deterministic encoding of `value`, by encoding
/// `value` again and comparing as it is written (no copy is made).
pub fn check_deterministic(value: &Value, bytes: &[u8]) -> Result<(), Malformed> {
    let mut rest = Compare(bytes);
    match ciborium::into_writer(value, &mut rest) {
        Ok(()) if rest.0.is_empty() => Ok(()),
        _ => Err(Malformed::NotDeterministic),
    }
}

/// A writer that accepts only the bytes it expects, in order.
struct Compare<'a>(&'a [u8]);

impl std::io::Write for Compare<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.strip_prefix(buf) {
            Some(rest) => {
                self.0 = rest;
                Ok(buf.len())
            }
            None => Err(std::io::ErrorKind::InvalidData.into()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn determinism_check_compares_every_byte() {
        let value = Value::Map(vec![
            (key(1), Value::Text("bern".into())),
            (key(2), key(500)),
        ]);
        let bytes = to_vec(&value).unwrap_or_default();
        assert_eq!(check_deterministic(&value, &bytes), Ok(()));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(check_deterministic(&value, &longer).is_err());
        assert!(check_deterministic(&value, &bytes[..bytes.len() - 1]).is_err());
        let mut changed = bytes.clone();
        changed[3] ^= 1;
        assert!(check_deterministic(&value, &changed).is_err());
        // 500 written as a 4-byte integer instead of 2.
        let overlong = [
            0xA2, 0x01, 0x64, b'b', b'e', b'r', b'n', 0x02, 0x1A, 0, 0, 0x01, 0xF4,
        ];
        let parsed = from_slice(&overlong, Malformed::Claims).unwrap_or(Value::Null);
        assert_eq!(parsed, value);
        assert!(check_deterministic(&parsed, &overlong).is_err());
    }
}
