//! Uploaded photos: decoded and encoded again as JPEG, which drops every
//! piece of metadata (EXIF with place and camera, comments) and anything
//! that is not the picture (issue 3 item 10). The one photo pipeline of the
//! clerk UI (a file field, or the kept photo as base64) and the JSON API
//! (base64): [`photo`].

use crate::office::cards::MAX_PHOTO_BYTES;

/// Largest side of a photo in pixels that is accepted for decoding.
pub const MAX_PHOTO_SIDE: u32 = 8000;
/// Smallest photo accepted, width × height in pixels: a 3:4 portrait that
/// prints at 150 dpi or more in a photo box up to 40 × 50 mm. Refusing a
/// smaller one at enrolment means the clerk learns it while the resident is
/// still at the counter, not when the card is printed.
pub const MIN_PHOTO_SIZE: (u32, u32) = (240, 300);

/// Why a photo was refused (never its content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhotoError {
    /// Over [`MAX_PHOTO_BYTES`].
    #[error("the photo is larger than 5 MB")]
    TooLarge,
    /// Not a readable JPEG or PNG (or too many pixels).
    #[error("the photo must be a JPEG or PNG image of at most 8000 × 8000 pixels")]
    NotAnImage,
    /// Smaller than [`MIN_PHOTO_SIZE`]: it would print blurred.
    #[error("the photo is too small: it must be at least 240 × 300 pixels")]
    TooSmall,
    /// Sent as base64 that is not base64.
    #[error("must be base64 (RFC 4648, with padding)")]
    NotBase64,
}

/// A photo as a form sent it.
#[derive(Debug, Default)]
pub enum PhotoInput {
    /// None sent.
    #[default]
    None,
    /// A file's bytes.
    Bytes(Vec<u8>),
    /// A file over [`MAX_PHOTO_BYTES`] (its bytes were dropped while reading).
    TooLarge,
    /// Base64 (the API's `photo`, the UI's kept photo); blank is none.
    Base64(String),
}

/// The photo of a form, re-encoded ([`reencode`]): `Ok(Ok(None))` when none
/// was sent, `Ok(Err(_))` when it cannot be used (the field's error), `Err`
/// when the blocking pool failed.
pub async fn photo(
    input: PhotoInput,
) -> Result<Result<Option<Vec<u8>>, PhotoError>, actix_web::error::BlockingError> {
    use base64::Engine;
    let raw = match input {
        PhotoInput::None => return Ok(Ok(None)),
        PhotoInput::TooLarge => return Ok(Err(PhotoError::TooLarge)),
        PhotoInput::Bytes(b) => b,
        PhotoInput::Base64(text) if text.trim().is_empty() => return Ok(Ok(None)),
        PhotoInput::Base64(text) => {
            match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
                Ok(b) => b,
                Err(_) => return Ok(Err(PhotoError::NotBase64)),
            }
        }
    };
    Ok(actix_web::web::block(move || reencode(&raw))
        .await?
        .map(Some))
}

/// Decodes a JPEG or PNG and encodes it again as JPEG (quality 90);
/// transparent parts become white, as on the printed card.
pub fn reencode(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    use image::ImageFormat;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(PhotoError::NotAnImage);
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| PhotoError::NotAnImage)?;
    if img.width() < MIN_PHOTO_SIZE.0 || img.height() < MIN_PHOTO_SIZE.1 {
        return Err(PhotoError::TooSmall);
    }
    let rgba = img.to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| {
            let (c, a) = (u16::from(c), u16::from(a));
            u8::try_from((c * a + 255 * (255 - a)) / 255).unwrap_or(255)
        };
        image::Rgb([over(r), over(g), over(b)])
    });
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    rgb.write_with_encoder(encoder)
        .map_err(|_| PhotoError::NotAnImage)?;
    if out.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    Ok(out)
}
