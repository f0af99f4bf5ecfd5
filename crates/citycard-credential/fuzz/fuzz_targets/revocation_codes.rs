//! The Golomb–Rice decoder of version 2 revocation lists (§8.2), reached
//! directly: the input is a count, a parameter and the coded bytes, wrapped
//! in a well-formed payload (random bytes rarely make a valid CBOR map).
//! Whatever decodes must be canonical (encode back to the same bytes) and
//! strictly ascending, and membership must agree with the numbers.
#![no_main]

use citycard_credential::RevocationList;
use libfuzzer_sys::fuzz_target;

const RANGE: u64 = 100_000_000_000;

fn uint(out: &mut Vec<u8>, major: u8, v: u64) {
    let m = major << 5;
    match v {
        0..=23 => out.push(m | v as u8),
        24..=0xFF => out.extend([m | 24, v as u8]),
        0x100..=0xFFFF => {
            out.push(m | 25);
            out.extend((v as u16).to_be_bytes());
        }
        0x1_0000..=0xFFFF_FFFF => {
            out.push(m | 26);
            out.extend((v as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(v.to_be_bytes());
        }
    }
}

fn rice(n: u64) -> u64 {
    match RANGE.checked_div(n) {
        Some(q) if q > 0 => u64::from(63 - q.leading_zeros()),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let Some((&small, codes)) = rest.split_first() else {
        return;
    };
    // Mostly small counts that the codes can hold; sometimes a huge one.
    let n = if head & 0x80 != 0 {
        u64::from(small) << (head & 0x3F)
    } else {
        u64::from(small) + u64::from(head)
    };
    // Mostly the right parameter; sometimes a neighbour.
    let k = match head & 0x60 {
        0x20 => rice(n) + 1,
        0x40 => rice(n).saturating_sub(1),
        _ => rice(n),
    };
    let mut payload = vec![0xA6, 0x01, 0x64];
    payload.extend(b"bern");
    payload.extend([0x02, 0x19, 0x50, 0x21, 0x03, 0x19, 0x50, 0x40, 0x05]);
    uint(&mut payload, 0, n);
    payload.push(0x06);
    uint(&mut payload, 0, k);
    payload.push(0x07);
    uint(&mut payload, 2, codes.len() as u64);
    payload.extend(codes);
    if let Ok(list) = RevocationList::from_cbor(&payload) {
        assert_eq!(list.len() as u64, n);
        assert_eq!(list.to_cbor().as_deref(), Ok(payload.as_slice()));
        let numbers: Vec<_> = list.numbers().collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
        assert!(numbers.iter().all(|x| list.contains(*x)));
    }
});
