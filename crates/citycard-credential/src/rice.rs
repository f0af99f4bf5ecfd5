//! Golomb–Rice coding of a strictly ascending set of integers below
//! [`RANGE`]: the numbers of a version 2 revocation list
//! (`docs/card-format.md` §8.2).
//!
//! Each value is coded as its gap to the one before *minus one* (the first
//! as its distance from −1), so two equal values cannot be written at all:
//! every bit string decodes to at most one strictly ascending set, and a set
//! has exactly one encoding. A gap `d` is written as `q = d >> k` one-bits,
//! a zero-bit, then the low `k` bits of `d`, most significant first. Bits
//! fill each byte from its most significant bit; the last byte is padded
//! with zero-bits.

/// Every value is below this: the 11 random digits of a card number
/// (the number without its check digit).
pub const RANGE: u64 = 100_000_000_000;

/// The Rice parameter for `n` values: `floor(log2(floor(RANGE / n)))`, and
/// 0 for `n = 0` (and for `n > RANGE`, which cannot decode).
pub fn parameter(n: u64) -> u32 {
    match RANGE.checked_div(n) {
        Some(q) if q > 0 => 63 - q.leading_zeros(),
        _ => 0,
    }
}

/// Why a coded set is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiceError {
    /// The Rice parameter is not the one `parameter(n)` gives.
    Parameter,
    /// The bits end before `n` values were read.
    Truncated,
    /// A value is not below [`RANGE`].
    OutOfRange,
    /// Bits are left after the `n`-th value (a whole byte, or padding bits
    /// that are not zero).
    TrailingBits,
}

impl RiceError {
    /// What is wrong, for an error message.
    pub fn problem(self) -> &'static str {
        match self {
            RiceError::Parameter => "the Rice parameter is not the one the count gives",
            RiceError::Truncated => "the coded numbers end before the count is reached",
            RiceError::OutOfRange => "a coded number is out of range",
            RiceError::TrailingBits => "bits follow the last coded number",
        }
    }
}

struct Writer {
    out: Vec<u8>,
    acc: u64,
    len: u32,
}

impl Writer {
    /// Appends the low `width` bits of `value` (`width` ≤ 56), most
    /// significant first.
    fn push(&mut self, value: u64, width: u32) {
        if width == 0 {
            return;
        }
        self.acc = (self.acc << width) | (value & ((1u64 << width) - 1));
        self.len += width;
        while self.len >= 8 {
            self.len -= 8;
            self.out.push((self.acc >> self.len) as u8);
        }
        self.acc &= (1u64 << self.len) - 1;
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.out.push((self.acc << (8 - self.len)) as u8);
        }
        self.out
    }
}

/// Codes strictly ascending values below [`RANGE`]; gives the Rice parameter
/// and the bytes. `None` if the values are not strictly ascending or not
/// below [`RANGE`].
pub fn encode(values: &[u64]) -> Option<(u32, Vec<u8>)> {
    let k = parameter(values.len() as u64);
    let mut w = Writer {
        out: Vec::with_capacity(values.len() * (k as usize + 3) / 8 + 1),
        acc: 0,
        len: 0,
    };
    let mut next = 0u64; // the smallest value the next one may have
    for &v in values {
        if v < next || v >= RANGE {
            return None;
        }
        let d = v - next;
        let mut q = d >> k;
        while q >= 32 {
            w.push(u64::from(u32::MAX), 32);
            q -= 32;
        }
        // q one-bits, then the terminating zero-bit.
        w.push(((1u64 << q) - 1) << 1, q as u32 + 1);
        w.push(d, k);
        next = v + 1;
    }
    Some((k, w.finish()))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The next `avail` bits, left-aligned; the bits after them are zero.
    acc: u64,
    avail: u32,
}

impl Reader<'_> {
    fn refill(&mut self) {
        while self.avail <= 56 {
            let Some(&b) = self.bytes.get(self.pos) else {
                return;
            };
            self.acc |= u64::from(b) << (56 - self.avail);
            self.avail += 8;
            self.pos += 1;
        }
    }

    fn consume(&mut self, n: u32) {
        self.acc = self.acc.checked_shl(n).unwrap_or(0);
        self.avail -= n;
    }

    /// A run of one-bits and its terminating zero-bit; gives the run's
    /// length, or `None` if the bits end first or the run exceeds `limit`.
    fn unary(&mut self, limit: u64) -> Option<u64> {
        let mut q = 0u64;
        loop {
            self.refill();
            if self.avail == 0 {
                return None;
            }
            // Bits past `avail` are zero, so this never counts past it.
            let ones = (!self.acc).leading_zeros().min(self.avail);
            q += u64::from(ones);
            if q > limit {
                return None;
            }
            if ones < self.avail {
                self.consume(ones + 1);
                return Some(q);
            }
            self.consume(ones);
        }
    }

    /// `width` bits (≤ 56) as an integer, or `None` if the bits end first.
    fn bits(&mut self, width: u32) -> Option<u64> {
        if width == 0 {
            return Some(0);
        }
        self.refill();
        if self.avail < width {
            return None;
        }
        let v = self.acc >> (64 - width);
        self.consume(width);
        Some(v)
    }
}

/// Decodes `n` values coded with parameter `k`, strictly: the parameter must
/// be `parameter(n)`, every value below [`RANGE`], and after the `n`-th
/// value only zero-bits may remain, fewer than eight. The values come out
/// strictly ascending.
pub fn decode(n: u64, k: u32, bytes: &[u8]) -> Result<Vec<u64>, RiceError> {
    if k != parameter(n) {
        return Err(RiceError::Parameter);
    }
    // Every value takes at least k + 1 bits: refuse a count the bytes cannot
    // hold before allocating for it.
    let bits = (bytes.len() as u64).saturating_mul(8);
    if n.saturating_mul(u64::from(k) + 1) > bits {
        return Err(RiceError::Truncated);
    }
    let mut values = Vec::with_capacity(usize::try_from(n).map_err(|_| RiceError::Truncated)?);
    let mut r = Reader {
        bytes,
        pos: 0,
        acc: 0,
        avail: 0,
    };
    let max_q = RANGE >> k;
    let mut next = 0u64;
    for _ in 0..n {
        // A quotient above RANGE >> k puts the value out of range.
        let Some(q) = r.unary(max_q) else {
            return Err(if r.avail == 0 && r.pos == bytes.len() {
                RiceError::Truncated
            } else {
                RiceError::OutOfRange
            });
        };
        let low = r.bits(k).ok_or(RiceError::Truncated)?;
        let v = next
            .checked_add((q << k) | low)
            .filter(|v| *v < RANGE)
            .ok_or(RiceError::OutOfRange)?;
        values.push(v);
        next = v + 1;
    }
    r.refill();
    if r.pos != bytes.len() || r.avail >= 8 || r.acc != 0 {
        return Err(RiceError::TrailingBits);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_follows_the_count() {
        assert_eq!(parameter(0), 0);
        assert_eq!(parameter(1), 36); // 2^36 ≤ 10^11 < 2^37
        assert_eq!(parameter(50_000), 20); // 10^11 / 50,000 = 2,000,000
        assert_eq!(parameter(RANGE), 0);
        assert_eq!(parameter(RANGE + 1), 0);
    }

    #[test]
    fn small_sets_code_as_specified() {
        // n = 3 → k = floor(log2(33,333,333,333)) = 34. Gaps 0, 0, 2^34:
        // "0" + 34 zeros, "0" + 34 zeros, "10" + 34 zeros = 106 bits → 14 bytes.
        let (k, bytes) = encode(&[0, 1, 2 + (1 << 34)]).unwrap_or_default();
        assert_eq!(k, 34);
        assert_eq!(bytes.len(), 14);
        assert_eq!(bytes[8], 0b0000_0010); // bit 70 is the one-bit of the third code
        assert_eq!(decode(3, 34, &bytes), Ok(vec![0, 1, 2 + (1 << 34)]));
        assert_eq!(encode(&[]), Some((0, vec![])));
        assert_eq!(decode(0, 0, &[]), Ok(vec![]));
        assert_eq!(encode(&[5, 5]), None);
        assert_eq!(encode(&[RANGE]), None);
    }

    #[test]
    fn non_canonical_codes_are_refused() {
        let (k, bytes) = encode(&[7, 99, 123_456_789]).unwrap_or_default();
        assert_eq!(decode(3, k, &bytes).map(|v| v.len()), Ok(3));
        assert_eq!(decode(3, k + 1, &bytes), Err(RiceError::Parameter));
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(3, k, &longer), Err(RiceError::TrailingBits));
        let mut padded = bytes.clone();
        if let Some(last) = padded.last_mut() {
            *last |= 1;
        }
        assert_eq!(decode(3, k, &padded), Err(RiceError::TrailingBits));
        assert_eq!(
            decode(3, k, &bytes[..bytes.len() - 1]),
            Err(RiceError::Truncated)
        );
        assert_eq!(decode(0, 0, &[0]), Err(RiceError::TrailingBits));
        assert_eq!(decode(u64::MAX, 0, &[0]), Err(RiceError::Truncated));
        // One value, k = 36: a quotient of 2 is 2 · 2^36 > 10^11.
        assert_eq!(
            decode(1, 36, &[0b1100_0000, 0, 0, 0, 0]),
            Err(RiceError::OutOfRange)
        );
        // All ones: the run never ends within range.
        assert_eq!(decode(1, 36, &[0xFF; 5]), Err(RiceError::OutOfRange));
    }
}
