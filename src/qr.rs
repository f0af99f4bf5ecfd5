//! Making and reading QR codes (`docs/card-format.md`, DESIGN.md §2).
//!
//! The code holds two segments: the prefix `CC1` in alphanumeric mode and
//! the digits in numeric mode. The version is the smallest that fits; the
//! error correction level is Q when that fits in version 12, else M.

use citycard_credential::text::PREFIX;
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};
use std::path::Path;

/// What went wrong making or reading a QR code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not start with `CC1`.
    #[error("the text does not start with {PREFIX}")]
    NoPrefix,
    /// The text after `CC1` is empty or not all digits.
    #[error("the text after {PREFIX} must be digits only")]
    NotDigits,
    /// No QR version holds the text.
    #[error("the text is too long for a QR code")]
    TooLong,
    /// The QR library refused the segments.
    #[error("could not make the QR code: {0}")]
    Encode(qrcode::types::QrError),
    /// An image could not be opened, read, decoded or written; `doing`
    /// says which.
    #[error("{doing}")]
    Image {
        /// What was being done, with the file.
        doing: String,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The image holds no QR code.
    #[error("no QR code found in the image {}", path.display())]
    NotFound {
        /// The image.
        path: std::path::PathBuf,
    },
    /// The image holds a QR code that could not be read.
    #[error("the QR code in {} could not be read", path.display())]
    Unreadable {
        /// The image.
        path: std::path::PathBuf,
    },
}

type Result<T, E = QrError> = std::result::Result<T, E>;

fn image_error<E: std::error::Error + Send + Sync + 'static>(
    doing: String,
) -> impl FnOnce(E) -> QrError {
    move |source| QrError::Image {
        doing,
        source: Box::new(source),
    }
}

/// Largest version that gets level Q; beyond it the code uses level M.
pub const MAX_VERSION_AT_Q: i16 = 12;
/// Modules of white border around the code.
pub const QUIET_ZONE: u32 = 4;
/// Pixels per module in the PNG.
pub const MODULE_PIXELS: u32 = 8;

/// Splits a QR text into its prefix (upper-cased) and its digits.
fn split(text: &str) -> Result<(String, &str)> {
    let text = text.trim_ascii();
    let (prefix, digits) = text
        .split_at_checked(PREFIX.len())
        .ok_or(QrError::NoPrefix)?;
    if !prefix.eq_ignore_ascii_case(PREFIX) {
        return Err(QrError::NoPrefix);
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QrError::NotDigits);
    }
    Ok((prefix.to_ascii_uppercase(), digits))
}

/// The segments in the given version and level, or `None` if they do not fit.
fn bits_for(prefix: &str, digits: &str, version: i16, ec: EcLevel) -> Option<Bits> {
    let mut bits = Bits::new(Version::Normal(version));
    bits.push_alphanumeric_data(prefix.as_bytes()).ok()?;
    bits.push_numeric_data(digits.as_bytes()).ok()?;
    bits.push_terminator(ec).ok()?;
    Some(bits)
}

#[cfg(test)]
/// The smallest version (1–40) holding the text at this level.
pub fn smallest_version(text: &str, ec: EcLevel) -> Result<i16> {
    let (prefix, digits) = split(text)?;
    (1..=40)
        .find(|&v| bits_for(&prefix, digits, v, ec).is_some())
        .ok_or(QrError::TooLong)
}

/// The QR code for a card's text: Q if it fits in version 12, else M.
pub fn qr_code(text: &str) -> Result<QrCode> {
    let (bits, ec) = qr_bits(text)?;
    QrCode::with_bits(bits, ec).map_err(QrError::Encode)
}

/// The data [`qr_code`] encodes, with its level: the version is chosen
/// here, before the costly part (error correction, the mask chosen among
/// eight), which cannot fail for data that fits.
pub fn qr_bits(text: &str) -> Result<(Bits, EcLevel)> {
    let (prefix, digits) = split(text)?;
    for ec in [EcLevel::Q, EcLevel::M] {
        let max = if ec == EcLevel::Q {
            MAX_VERSION_AT_Q
        } else {
            40
        };
        if let Some(bits) = (1..=max).find_map(|v| bits_for(&prefix, digits, v, ec)) {
            return Ok((bits, ec));
        }
    }
    Err(QrError::TooLong)
}

/// The version number of a code.
pub fn version_number(code: &QrCode) -> i16 {
    match code.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    }
}

/// Renders the code as a greyscale image: pure black on white, a quiet zone
/// of [`QUIET_ZONE`] modules, `module_pixels` pixels per module.
pub fn render(code: &QrCode, module_pixels: u32) -> image::GrayImage {
    let width = u32::try_from(code.width()).unwrap_or(0);
    let side = (width + 2 * QUIET_ZONE) * module_pixels;
    let colors = code.to_colors();
    image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / module_pixels, y / module_pixels);
        let dark = mx >= QUIET_ZONE
            && my >= QUIET_ZONE
            && mx < width + QUIET_ZONE
            && my < width + QUIET_ZONE
            && usize::try_from((my - QUIET_ZONE) * width + (mx - QUIET_ZONE))
                .ok()
                .and_then(|i| colors.get(i))
                == Some(&Color::Dark);
        image::Luma([if dark { 0 } else { 255 }])
    })
}

/// Writes the code as a PNG file (mode 0600: it holds a name).
pub fn write_png(code: &QrCode, path: &Path) -> Result<()> {
    let doing = || format!("could not write the PNG file {}", path.display());
    let mut png = std::io::Cursor::new(Vec::new());
    render(code, MODULE_PIXELS)
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(image_error(doing()))?;
    crate::private_files::write_private(path, png.get_ref()).map_err(image_error(doing()))
}

/// Reads the first QR code found in a PNG or JPEG image.
pub fn decode_image(path: &Path) -> Result<String> {
    let img = image::ImageReader::open(path)
        .map_err(image_error(format!(
            "could not open the image {}",
            path.display()
        )))?
        .with_guessed_format()
        .map_err(image_error(format!(
            "could not read the image {}",
            path.display()
        )))?
        .decode()
        .map_err(image_error(format!(
            "could not decode the image {} (PNG or JPEG expected)",
            path.display()
        )))?
        .to_luma8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        u32::try_from(x)
            .ok()
            .zip(u32::try_from(y).ok())
            .and_then(|(x, y)| img.get_pixel_checked(x, y))
            .map_or(255, |p| p.0[0])
    });
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(QrError::NotFound {
            path: path.to_owned(),
        });
    }
    grids
        .iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
        .ok_or_else(|| QrError::Unreadable {
            path: path.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use citycard_credential::{CardClaims, CardNumber, date, keys, sign_card};

    fn long_name_card() -> (String, usize) {
        let key = keys::generate();
        let claims = CardClaims {
            issuer: "bern".into(),
            card_number: CardNumber::random(&mut rand_core::OsRng),
            given_names: "Maximiliane Alexandra".into(),
            family_name: "Oberhollenzer-Wyss".into(),
            issued: date::parse("2026-03-01").unwrap(),
            expires: date::parse("2031-02-28").unwrap(),
            date_of_birth: Some(date::parse("1987-11-23").unwrap().into()),
        };
        assert_eq!(
            claims.given_names.chars().count() + 1 + claims.family_name.chars().count(),
            40
        );
        let cose = sign_card(&key, &claims).unwrap();
        (citycard_credential::text::encode(&cose), cose.len())
    }

    #[test]
    fn forty_character_name_fits_the_size_budget() {
        let (text, cose_len) = long_name_card();
        let at_m = smallest_version(&text, EcLevel::M).unwrap();
        let at_q = smallest_version(&text, EcLevel::Q).unwrap();
        let code = qr_code(&text).unwrap();
        println!(
            "40-character name: COSE {cose_len} bytes, text {} chars, QR version {at_m} at M, \
             {at_q} at Q; chosen: version {} at {:?}",
            text.len(),
            version_number(&code),
            code.error_correction_level()
        );
        assert!(cose_len <= 170, "COSE is {cose_len} bytes");
        assert!(at_m <= 10, "version {at_m} at M");
        assert!(at_q <= 12, "version {at_q} at Q");
        assert_eq!(code.error_correction_level(), EcLevel::Q);
        assert_eq!(version_number(&code), at_q);
    }

    #[test]
    fn png_round_trip() {
        let (text, _) = long_name_card();
        let code = qr_code(&text).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("card.png");
        write_png(&code, &path).unwrap();
        assert_eq!(decode_image(&path).unwrap(), text);
        let img = image::open(&path).unwrap();
        let side = (u32::try_from(code.width()).unwrap() + 8) * MODULE_PIXELS;
        assert_eq!((img.width(), img.height()), (side, side));
        // A JPEG (lossy, as from a phone) decodes too.
        let jpeg = dir.path().join("card.jpg");
        render(&code, 4)
            .save_with_format(&jpeg, image::ImageFormat::Jpeg)
            .unwrap();
        assert_eq!(decode_image(&jpeg).unwrap(), text);
    }

    #[test]
    fn lower_case_prefix_is_upper_cased_and_bad_text_refused() {
        assert!(qr_code("cc1255").is_ok());
        assert!(qr_code("CC1").is_err());
        assert!(qr_code("CC12a5").is_err());
        assert!(qr_code("XX1255").is_err());
        assert!(qr_code("").is_err());
    }
}
