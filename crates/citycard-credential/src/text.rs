//! The QR text: `CC1` followed by the COSE bytes written in decimal.
//!
//! Every 7-byte group (big-endian) becomes exactly 17 digits; a final group of
//! k < 7 bytes becomes exactly 3, 5, 8, 10, 13 or 15 digits. Digits survive
//! keyboard-wedge scanners on every layout and fill a QR code in numeric mode.

use crate::error::Malformed;

/// The prefix, in its canonical (upper) case.
pub const PREFIX: &str = "CC1";
/// Largest COSE object a decoder accepts, in bytes.
pub const MAX_COSE_BYTES: usize = 1024;

const GROUP_BYTES: usize = 7;
const GROUP_DIGITS: usize = 17;
/// Digits for a final group of k bytes, indexed by k (0 unused).
const TAIL_DIGITS: [usize; GROUP_BYTES] = [0, 3, 5, 8, 10, 13, 15];

/// "00", "01", …, "99".
const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// Encodes COSE bytes as QR text.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(PREFIX.len() + bytes.len().div_ceil(7) * GROUP_DIGITS);
    out.extend_from_slice(PREFIX.as_bytes());
    let mut group = [0u8; GROUP_DIGITS];
    for chunk in bytes.chunks(GROUP_BYTES) {
        let mut value = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let width = if chunk.len() == GROUP_BYTES {
            GROUP_DIGITS
        } else {
            TAIL_DIGITS
                .get(chunk.len())
                .copied()
                .unwrap_or(GROUP_DIGITS)
        };
        // The digits of `value`, zero-padded to `width` (which always holds
        // them: 256^k - 1 has at most TAIL_DIGITS[k] digits).
        // Two digits at a time from the right, then a last single one.
        let digits = group.get_mut(..width).unwrap_or_default();
        let mut pairs = digits.rchunks_exact_mut(2);
        for pair in pairs.by_ref() {
            let at = (value % 100) as usize * 2;
            pair.copy_from_slice(DIGIT_PAIRS.get(at..at + 2).unwrap_or(b"00"));
            value /= 100;
        }
        for single in pairs.into_remainder() {
            *single = b'0' + (value % 10) as u8;
        }
        out.extend_from_slice(digits);
    }
    // Only ASCII was written, so this never fails.
    String::from_utf8(out).unwrap_or_default()
}

/// Number of bytes that `digits` digits encode, if the count is valid.
fn byte_count(digits: usize) -> Option<usize> {
    let full = digits / GROUP_DIGITS;
    let rest = digits % GROUP_DIGITS;
    let tail = TAIL_DIGITS.iter().position(|&d| d == rest)?;
    Some(full * GROUP_BYTES + tail)
}

/// Decodes QR text into COSE bytes. Leading and trailing ASCII whitespace
/// (the Enter a USB scanner types) is ignored; the prefix may be in any case.
pub fn decode(text: &str) -> Result<Vec<u8>, Malformed> {
    let text = text.trim_ascii();
    let (prefix, digits) = text
        .split_at_checked(PREFIX.len())
        .ok_or(Malformed::Prefix)?;
    if !prefix.eq_ignore_ascii_case(PREFIX) {
        return Err(Malformed::Prefix);
    }
    let digits = digits.as_bytes();
    // One pass without early exit (cheap), the search only on the error path.
    if digits
        .iter()
        .fold(false, |bad, b| bad | !b.is_ascii_digit())
    {
        let offset = digits
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or_default();
        return Err(Malformed::NotDigit {
            offset: offset + PREFIX.len(),
        });
    }
    let total = byte_count(digits.len()).ok_or(Malformed::DigitCount)?;
    if total > MAX_COSE_BYTES {
        return Err(Malformed::TooLarge);
    }
    if total == 0 {
        return Err(Malformed::DigitCount);
    }
    let mut out = Vec::with_capacity(total);
    for (group, chunk) in digits.chunks(GROUP_DIGITS).enumerate() {
        let nbytes = if chunk.len() == GROUP_DIGITS {
            GROUP_BYTES
        } else {
            TAIL_DIGITS
                .iter()
                .position(|&d| d == chunk.len())
                .ok_or(Malformed::DigitCount)?
        };
        let value = chunk
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        if value >> (8 * nbytes) != 0 {
            return Err(Malformed::GroupOverflow { group });
        }
        let be = value.to_be_bytes();
        out.extend_from_slice(be.get(8 - nbytes..).ok_or(Malformed::DigitCount)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        assert_eq!(encode(&[]), "CC1");
        assert_eq!(encode(&[0xFF]), "CC1255");
        assert_eq!(encode(&[0x01, 0x02]), "CC100258");
        assert_eq!(encode(&[0xFF; 7]), "CC172057594037927935");
        assert_eq!(encode(&[0; 8]), "CC100000000000000000000");
        let bytes: Vec<u8> = (0u8..=20).collect();
        assert_eq!(decode(&encode(&bytes)), Ok(bytes));
    }

    #[test]
    fn decode_is_strict() {
        assert_eq!(decode("cc1255"), Ok(vec![0xFF]));
        assert_eq!(decode(" CC1255\r\n"), Ok(vec![0xFF]));
        assert_eq!(decode("CC1256"), Err(Malformed::GroupOverflow { group: 0 }));
        assert_eq!(decode("CC12555"), Err(Malformed::DigitCount));
        assert_eq!(decode("CC1"), Err(Malformed::DigitCount));
        assert_eq!(decode("CC2255"), Err(Malformed::Prefix));
        assert_eq!(decode("C"), Err(Malformed::Prefix));
        assert_eq!(decode("CC12a5"), Err(Malformed::NotDigit { offset: 4 }));
        assert_eq!(decode("CC1٢٥٥"), Err(Malformed::NotDigit { offset: 3 }));
        let big = encode(&[0u8; MAX_COSE_BYTES + 1]);
        assert_eq!(decode(&big), Err(Malformed::TooLarge));
        assert!(decode(&encode(&[0u8; MAX_COSE_BYTES])).is_ok());
    }
}
