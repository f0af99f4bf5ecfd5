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

/// Writes CBOR items straight into a byte buffer with ciborium's encoder
/// (shortest form of every head, like [`to_vec`]), for the signing path:
/// no `Value` tree, no copies of the strings and byte strings written. The
/// caller writes map keys in canonical order; every item written has a
/// definite length, so the output is deterministic CBOR (RFC 8949 §4.2.1),
/// the same bytes as [`to_vec`] of the equivalent `Value`.
pub struct Writer(Vec<u8>);

impl Writer {
    /// An empty buffer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Writer(Vec::with_capacity(capacity))
    }

    fn encoder(&mut self) -> ciborium_ll::Encoder<&mut Vec<u8>> {
        ciborium_ll::Encoder::from(&mut self.0)
    }

    fn head(&mut self, header: ciborium_ll::Header) {
        // Writing into a Vec<u8> cannot fail.
        let _ = self.encoder().push(header);
    }

    /// An integer (major type 0 or 1).
    pub fn int(&mut self, value: i64) -> &mut Self {
        // -1 - n is written as n (the same rule as ciborium's serializer).
        self.head(if value < 0 {
            ciborium_ll::Header::Negative(!(value as u64))
        } else {
            ciborium_ll::Header::Positive(value as u64)
        });
        self
    }

    /// A text string of definite length.
    pub fn text(&mut self, value: &str) -> &mut Self {
        let _ = self.encoder().text(value, None);
        self
    }

    /// A byte string of definite length.
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        let _ = self.encoder().bytes(value, None);
        self
    }

    /// The head of an array of `len` items.
    pub fn array(&mut self, len: usize) -> &mut Self {
        self.head(ciborium_ll::Header::Array(Some(len)));
        self
    }

    /// The head of a map of `len` entries.
    pub fn map(&mut self, len: usize) -> &mut Self {
        self.head(ciborium_ll::Header::Map(Some(len)));
        self
    }

    /// A tag (its item follows).
    pub fn tag(&mut self, tag: u64) -> &mut Self {
        self.head(ciborium_ll::Header::Tag(tag));
        self
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// A reader of deterministic CBOR for the verifier's fast path: every head
/// in its shortest form (RFC 8949 §4.2.1), definite lengths only, text as
/// UTF-8. It answers `None` for anything else, and the caller then parses
/// the same bytes the general way ([`from_slice`] and
/// [`check_deterministic`]), which accepts what this accepts and names
/// what is wrong with the rest. No `Value` tree, no copies.
pub struct Strict<'a> {
    rest: &'a [u8],
}

impl<'a> Strict<'a> {
    /// Reads `bytes` from the start.
    pub fn new(bytes: &'a [u8]) -> Self {
        Strict { rest: bytes }
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(taken)
    }

    /// A head: major type and argument, in its shortest form.
    fn head(&mut self) -> Option<(u8, u64)> {
        let first = *self.take(1)?.first()?;
        let (major, info) = (first >> 5, first & 0x1f);
        let (value, least) = match info {
            0..=23 => return Some((major, u64::from(info))),
            24 => (u64::from(*self.take(1)?.first()?), 24),
            25 => (
                u64::from(u16::from_be_bytes(self.take(2)?.try_into().ok()?)),
                0x100,
            ),
            26 => (
                u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?)),
                0x1_0000,
            ),
            27 => (
                u64::from_be_bytes(self.take(8)?.try_into().ok()?),
                0x1_0000_0000,
            ),
            _ => return None,
        };
        (value >= least).then_some((major, value))
    }

    fn expect(&mut self, major: u8) -> Option<u64> {
        match self.head()? {
            (m, value) if m == major => Some(value),
            _ => None,
        }
    }

    /// A tag's number (its item follows).
    pub fn tag(&mut self) -> Option<u64> {
        self.expect(6)
    }

    /// An array's length (its items follow).
    pub fn array(&mut self) -> Option<u64> {
        self.expect(4)
    }

    /// A map's number of entries (its keys and values follow).
    pub fn map(&mut self) -> Option<u64> {
        self.expect(5)
    }

    /// A byte string.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.expect(2)?).ok()?;
        self.take(len)
    }

    /// A text string.
    pub fn text(&mut self) -> Option<&'a str> {
        let len = usize::try_from(self.expect(3)?).ok()?;
        std::str::from_utf8(self.take(len)?).ok()
    }

    /// An integer within i64.
    pub fn int(&mut self) -> Option<i64> {
        match self.head()? {
            (0, n) => i64::try_from(n).ok(),
            (1, n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// `null`, if that comes next (read), else nothing read.
    pub fn null(&mut self) -> bool {
        match self.rest.split_first() {
            Some((0xf6, rest)) => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// Whether the next map key is `key` (then it is read; else nothing
    /// is).
    pub fn key(&mut self, key: i64) -> bool {
        let before = self.rest;
        if self.int() == Some(key) {
            return true;
        }
        self.rest = before;
        false
    }
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
    fn the_strict_reader_takes_only_shortest_definite_heads() {
        // 5 as one byte; as 0x18 0x05 it is not the shortest form.
        assert_eq!(Strict::new(&[0x05]).int(), Some(5));
        assert_eq!(Strict::new(&[0x18, 0x05]).int(), None);
        assert_eq!(Strict::new(&[0x18, 0x18]).int(), Some(24));
        assert_eq!(Strict::new(&[0x19, 0x00, 0xff]).int(), None);
        assert_eq!(Strict::new(&[0x19, 0x01, 0x00]).int(), Some(256));
        assert_eq!(Strict::new(&[0x3a, 0x00, 0x00, 0xff, 0xff]).int(), None);
        assert_eq!(Strict::new(&[0x20]).int(), Some(-1));
        // Past i64, and indefinite lengths: not here.
        assert_eq!(Strict::new(&[0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0]).int(), None);
        assert_eq!(Strict::new(&[0x5f, 0x41, 0x00, 0xff]).bytes(), None);
        assert_eq!(Strict::new(&[0x9f, 0xff]).array(), None);
        // Text must be UTF-8; a length past the end is refused.
        assert_eq!(Strict::new(&[0x62, 0xc3, 0x28]).text(), None);
        assert_eq!(Strict::new(&[0x62, 0xc3, 0xa4]).text(), Some("ä"));
        assert_eq!(Strict::new(&[0x43, 0x01]).bytes(), None);
        // A key is read only when it is the one asked for.
        let mut r = Strict::new(&[0x01, 0x02]);
        assert!(!r.key(2));
        assert!(r.key(1));
        assert!(r.key(2));
        assert!(r.is_empty());
    }

    #[test]
    fn the_writer_writes_what_ciborium_writes_for_the_same_value() {
        for i in [
            0i64,
            1,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            u32::MAX as i64,
            u32::MAX as i64 + 1,
            i64::MAX,
            -1,
            -24,
            -25,
            -256,
            -257,
            -65_537,
            i64::MIN,
        ] {
            let mut w = Writer::with_capacity(0);
            w.int(i);
            assert_eq!(w.finish(), to_vec(&key(i)).unwrap_or_default(), "{i}");
        }
        let long_text = "ä".repeat(200);
        let long_bytes = vec![7u8; 70_000];
        let value = Value::Tag(
            18,
            Box::new(Value::Array(vec![
                Value::Text(String::new()),
                Value::Text(long_text.clone()),
                Value::Bytes(Vec::new()),
                Value::Bytes(long_bytes.clone()),
                Value::Map(vec![(key(1), key(-8)), (key(4), Value::Bytes(vec![1; 8]))]),
                Value::Map(Vec::new()),
            ])),
        );
        let mut w = Writer::with_capacity(8);
        w.tag(18).array(6).text("").text(&long_text).bytes(&[]);
        w.bytes(&long_bytes)
            .map(2)
            .int(1)
            .int(-8)
            .int(4)
            .bytes(&[1; 8]);
        w.map(0);
        assert_eq!(w.finish(), to_vec(&value).unwrap_or_default());
    }

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
