//! The QR code as vector shapes: one filled path of black modules on a white
//! square that includes the quiet zone of 4 modules.
//!
//! The code itself comes from [`crate::qr::qr_code`] (prefix `CC1` in an
//! alphanumeric segment, digits in a numeric segment; level Q up to version
//! 12, else M). If that code's modules would be smaller than 0.34 mm in the
//! template's box, level M is used instead; if even M does not fit, the card
//! is refused.

use super::PrintError;
use super::template::MIN_MODULE_MM;
use qrcode::bits::{Bits, encode_auto};
use qrcode::{Color, EcLevel, QrCode, Version};

/// Quiet zone, in modules.
pub const QUIET: usize = 4;

/// Modules per side for a version, without the quiet zone.
fn modules(version: i16) -> usize {
    17 + 4 * usize::try_from(version).unwrap_or(0)
}

/// The smallest box (mm, quiet zone included) for `version` at 0.34 mm modules.
pub fn min_box_mm(version: i16) -> f32 {
    (modules(version) + 2 * QUIET) as f32 * MIN_MODULE_MM
}

/// The largest version whose modules are at least 0.34 mm in a box of `box_mm`.
pub fn max_version_for(box_mm: f32) -> i16 {
    (1..=40)
        .rev()
        .find(|&v| min_box_mm(v) <= box_mm + 1e-4)
        .unwrap_or(0)
}

fn version_number(code: &QrCode) -> i16 {
    match code.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    }
}

/// The QR code for `text` whose modules are at least 0.34 mm in `box_mm`.
pub fn code_for_box(text: &str, box_mm: f32) -> Result<QrCode, PrintError> {
    let (bits, ec) = bits_for_box(text, box_mm)?;
    QrCode::with_bits(bits, ec).map_err(|e| PrintError::Qr(e.to_string()))
}

/// Whether [`code_for_box`] can make the code: the version and level are
/// chosen as it chooses them, without making the code (error correction
/// and the mask, which cannot fail for data that fits: most of the cost).
pub fn check_for_box(text: &str, box_mm: f32) -> Result<(), PrintError> {
    bits_for_box(text, box_mm).map(|_| ())
}

/// The data and level of [`code_for_box`]'s code.
fn bits_for_box(text: &str, box_mm: f32) -> Result<(Bits, EcLevel), PrintError> {
    let max = max_version_for(box_mm);
    let (preferred, ec) = crate::qr::qr_bits(text).map_err(|e| PrintError::Qr(e.to_string()))?;
    if bits_version(&preferred) <= max {
        return Ok((preferred, ec));
    }
    // Level M packs more into a smaller version.
    let upper = text.trim_ascii().to_ascii_uppercase();
    let at_m =
        encode_auto(upper.as_bytes(), EcLevel::M).map_err(|e| PrintError::Qr(e.to_string()))?;
    let v = bits_version(&at_m);
    if v <= max {
        return Ok((at_m, EcLevel::M));
    }
    Err(PrintError::QrTooLarge {
        version: v,
        needed_mm: min_box_mm(v),
        box_mm,
    })
}

fn bits_version(bits: &Bits) -> i16 {
    match bits.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    }
}

/// The version a reference card needs at level M: a 40-character Latin
/// name with a date of birth, signed with a throwaway key. `templates check`
/// requires every QR box to hold it with 0.34 mm modules (the size budget of
/// DESIGN.md §2: version 10 at M).
pub fn reference_version() -> Result<i16, PrintError> {
    use citycard_credential::{CardClaims, CardNumber, SigningKey, date};
    let claims = CardClaims {
        issuer: "bern".into(),
        card_number: CardNumber::from_u64(12_345_678_906)
            .map_err(|e| PrintError::Qr(e.to_string()))?,
        given_names: "Maximiliane Alexandra".into(),
        family_name: "Oberhollenzer-Wyss".into(),
        issued: date::parse("2026-03-01").map_err(|e| PrintError::Qr(e.to_string()))?,
        expires: date::parse("2031-02-28").map_err(|e| PrintError::Qr(e.to_string()))?,
        date_of_birth: Some(
            date::parse("1987-11-23")
                .map_err(|e| PrintError::Qr(e.to_string()))?
                .into(),
        ),
    };
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let text = citycard_credential::sign_card_text(&key, &claims)
        .map_err(|e| PrintError::Qr(e.to_string()))?;
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| PrintError::Qr(e.to_string()))?;
    Ok(version_number(&code))
}

/// The dark modules as horizontal runs: (row, first column, length).
pub fn runs(code: &QrCode) -> Vec<(usize, usize, usize)> {
    let width = code.width();
    let colors = code.to_colors();
    let mut out = Vec::new();
    for (row, line) in colors.chunks(width.max(1)).enumerate() {
        let mut col = 0;
        while col < line.len() {
            if line.get(col) == Some(&Color::Dark) {
                let start = col;
                while line.get(col) == Some(&Color::Dark) {
                    col += 1;
                }
                out.push((row, start, col - start));
            } else {
                col += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_card_needs_version_10_at_m() {
        let v = reference_version().unwrap();
        assert!(v <= 10, "version {v}");
        // 57 + 8 modules of 0.34 mm.
        assert!((min_box_mm(10) - 22.1).abs() < 0.01);
        assert_eq!(max_version_for(22.1), 10);
        assert_eq!(max_version_for(22.0), 9);
    }

    #[test]
    fn falls_back_to_m_then_refuses() {
        let digits = "1".repeat(300);
        let text = format!("CC1{digits}");
        let q = code_for_box(&text, 40.0).unwrap();
        assert_eq!(q.error_correction_level(), EcLevel::Q);
        let q_version = version_number(&q);
        let m = code_for_box(&text, min_box_mm(q_version) - 0.5).unwrap();
        assert_eq!(m.error_correction_level(), EcLevel::M);
        assert!(matches!(
            code_for_box(&text, 10.0),
            Err(PrintError::QrTooLarge { .. })
        ));
    }
}
