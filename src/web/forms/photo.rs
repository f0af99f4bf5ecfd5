//! Uploaded photos: decoded and encoded again as JPEG, which drops every
//! piece of metadata (EXIF with place and camera, comments) and anything
//! that is not the picture (issue 3 item 10). The one photo pipeline of the
//! clerk UI (a file field, or the kept photo as base64) and the JSON API
//! (base64): [`photo`].

use crate::error::Rule;
use crate::office::cards::MAX_PHOTO_BYTES;

/// Largest side of a photo in pixels, read from the file's header before
/// anything is decoded. The card's photo box is 22 × 28 mm, 260 × 331
/// pixels at the 300 dpi it is printed at (docs/printing.md): 4096 leaves
/// room for cropping and for a 12-megapixel camera (4032 × 3024), and keeps
/// a decoded photo under [`MAX_DECODE_BYTES`].
pub const MAX_PHOTO_SIDE: u32 = 4096;
/// Most memory the decoder may allocate for one photo: a 4096 × 4096 RGBA
/// image (a 16-bit one of that size is refused).
pub const MAX_DECODE_BYTES: u64 = 4096 * 4096 * 4;
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
    /// Wider or taller than [`MAX_PHOTO_SIDE`] (or more to decode than
    /// [`MAX_DECODE_BYTES`]): refused from the header, before decoding.
    #[error("the photo has too many pixels: at most 4096 × 4096 are accepted")]
    TooManyPixels,
    /// Not a readable JPEG or PNG.
    #[error("the photo must be a JPEG or PNG image")]
    NotAnImage,
    /// Smaller than [`MIN_PHOTO_SIZE`]: it would print blurred.
    #[error("the photo is too small: it must be at least 240 × 300 pixels")]
    TooSmall,
    /// Sent as base64 that is not base64.
    #[error("must be base64 (RFC 4648, with padding)")]
    NotBase64,
}

impl PhotoError {
    /// The field rule (the API's `rule`, the UI's `field.photo_<rule>`).
    pub fn rule(self) -> Rule {
        match self {
            PhotoError::TooLarge => Rule::TooLarge,
            PhotoError::TooManyPixels => Rule::TooManyPixels,
            PhotoError::NotAnImage => Rule::NotAnImage,
            PhotoError::TooSmall => Rule::TooFewPixels,
            PhotoError::NotBase64 => Rule::Format,
        }
    }
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
/// transparent parts become white, as on the printed card. The size is
/// read from the header first, and the decoder runs under limits
/// ([`MAX_PHOTO_SIDE`], [`MAX_DECODE_BYTES`]): a small file that claims
/// 8000 × 8000 pixels (a decompression bomb) is refused without decoding.
pub fn reencode(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    use image::ImageFormat;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(PhotoError::NotAnImage);
    }
    let reader = || image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|_| PhotoError::NotAnImage)?;
    if width > MAX_PHOTO_SIDE || height > MAX_PHOTO_SIDE {
        return Err(PhotoError::TooManyPixels);
    }
    if width < MIN_PHOTO_SIZE.0 || height < MIN_PHOTO_SIZE.1 {
        return Err(PhotoError::TooSmall);
    }
    let mut reader = reader();
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        _ => PhotoError::NotAnImage,
    })?;
    // One copy at most: an RGB photo is used as it is.
    let rgb = if img.color().has_alpha() {
        let rgba = img.into_rgba8();
        image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let [r, g, b, a] = rgba.get_pixel(x, y).0;
            let over = |c: u8| {
                let (c, a) = (u16::from(c), u16::from(a));
                u8::try_from((c * a + 255 * (255 - a)) / 255).unwrap_or(255)
            };
            image::Rgb([over(r), over(g), over(b)])
        })
    } else {
        img.into_rgb8()
    };
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    rgb.write_with_encoder(encoder)
        .map_err(|_| PhotoError::NotAnImage)?;
    if out.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG whose header claims `w` × `h` pixels, followed by a broken
    /// image data chunk: only the header may be read.
    fn png_header_only(w: u32, h: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(&ihdr);
        out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        let idat = b"IDATxx".to_vec();
        out.extend_from_slice(&2u32.to_be_bytes());
        out.extend_from_slice(&idat);
        out.extend_from_slice(&crc32(&idat).to_be_bytes());
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn the_size_is_checked_from_the_header_before_decoding() {
        assert_eq!(
            reencode(&png_header_only(8000, 8000)),
            Err(PhotoError::TooManyPixels)
        );
        assert_eq!(
            reencode(&png_header_only(300, 5000)),
            Err(PhotoError::TooManyPixels)
        );
        assert_eq!(
            reencode(&png_header_only(100, 100)),
            Err(PhotoError::TooSmall)
        );
        // Within the limits, the broken data is found by decoding.
        assert_eq!(
            reencode(&png_header_only(300, 400)),
            Err(PhotoError::NotAnImage)
        );
        assert_eq!(PhotoError::TooManyPixels.rule().code(), "too_many_pixels");
    }
}
