//! The holder's photo: JPEG or PNG, size-limited before decoding, turned
//! upright (EXIF orientation), cropped to the template's box, resampled to
//! 300 dpi and re-encoded as a baseline JPEG, which drops every piece of
//! metadata the original carried (EXIF, GPS, XMP, ICC, comments).

use super::PrintError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, imageops::FilterType};
use std::io::Cursor;

/// Largest photo file accepted.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// Largest photo accepted, in pixels.
pub const MAX_PHOTO_PIXELS: u64 = 40_000_000;
/// Resolution the photo is embedded at.
pub const DPI: f32 = 300.0;
/// Below this effective resolution the photo is refused as too small.
pub const MIN_DPI: f32 = 150.0;

const JPEG_QUALITY: u8 = 90;

/// A photo ready for the PDF: a baseline JPEG of exactly the box's ratio.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// JPEG bytes (no metadata).
    pub jpeg: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

fn bad(problem: impl Into<String>) -> PrintError {
    PrintError::Photo {
        problem: problem.into(),
    }
}

/// Prepares `bytes` for a box of `w_mm` × `h_mm`.
pub fn prepare(bytes: &[u8], w_mm: f32, h_mm: f32) -> Result<Prepared, PrintError> {
    let img = decode(bytes)?;
    let (x, y, cw, ch) = crop_box(img.width(), img.height(), w_mm, h_mm)?;
    // Transparent parts of a PNG become white, not black.
    let img = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(
            rgba.width(),
            rgba.height(),
            |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                let over = |c: u8| {
                    ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8
                };
                image::Rgb([over(r), over(g), over(b)])
            },
        ))
    } else {
        DynamicImage::ImageRgb8(img.to_rgb8())
    };
    let cropped = img.crop_imm(x, y, cw, ch);
    // Resample to 300 dpi at the box size.
    let (tw, th) = target_size(w_mm, h_mm);
    let resized = cropped.resize_exact(tw, th, FilterType::Lanczos3);
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY);
    resized
        .write_with_encoder(encoder)
        .map_err(|_| bad("the photo could not be re-encoded"))?;
    Ok(Prepared {
        jpeg,
        width: tw,
        height: th,
    })
}

/// Whether [`prepare`] can prepare `bytes` for this box, without making
/// the JPEG: the same limits, the whole image decoded (a damaged file is
/// found), turned upright and measured against the box. What [`prepare`]
/// does beyond that (flattening, cropping, resampling, encoding a picture
/// of the box's fixed size) cannot fail, so a photo that passes is one
/// that prints: the print queue's check, at a fraction of the cost.
pub fn check(bytes: &[u8], w_mm: f32, h_mm: f32) -> Result<(), PrintError> {
    let img = decode(bytes)?;
    crop_box(img.width(), img.height(), w_mm, h_mm).map(|_| ())
}

/// The photo decoded with the limits and turned upright (EXIF orientation).
fn decode(bytes: &[u8]) -> Result<DynamicImage, PrintError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(bad(format!(
            "the photo file is {:.1} MB; at most {} MB are accepted",
            bytes.len() as f64 / 1_048_576.0,
            MAX_PHOTO_BYTES / 1_048_576
        )));
    }
    let format = image::guess_format(bytes)
        .map_err(|_| bad("the photo is neither a JPEG nor a PNG file"))?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(bad("the photo is neither a JPEG nor a PNG file"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|_| bad("the photo file is damaged or not a valid image"))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PHOTO_PIXELS {
        return Err(bad(format!(
            "the photo has {:.1} megapixels; at most {} are accepted",
            f64::from(w) * f64::from(h) / 1e6,
            MAX_PHOTO_PIXELS / 1_000_000
        )));
    }
    let mut decoder = decoder;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder)
        .map_err(|_| bad("the photo file is damaged or not a valid image"))?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// The part of an upright `iw` × `ih` image cropped to the box's ratio,
/// centred: `(x, y, w, h)`; an error when it is too small to print.
fn crop_box(iw: u32, ih: u32, w_mm: f32, h_mm: f32) -> Result<(u32, u32, u32, u32), PrintError> {
    let (fw, fh) = (iw as f32, ih as f32);
    let ratio = w_mm / h_mm;
    let (cw, ch) = if fw / fh > ratio {
        ((fh * ratio).round(), fh)
    } else {
        (fw, (fw / ratio).round())
    };
    let (cw, ch) = (cw.max(1.0) as u32, ch.max(1.0) as u32);
    let min_w = (w_mm / 25.4 * MIN_DPI).ceil() as u32;
    if cw < min_w {
        return Err(bad(format!(
            "the photo is too small: after cropping it is {cw} × {ch} pixels; \
             at least {min_w} × {} are needed",
            (h_mm / 25.4 * MIN_DPI).ceil() as u32
        )));
    }
    Ok((iw.saturating_sub(cw) / 2, ih.saturating_sub(ch) / 2, cw, ch))
}

/// The box's size in pixels at [`DPI`].
fn target_size(w_mm: f32, h_mm: f32) -> (u32, u32) {
    (
        (w_mm / 25.4 * DPI).ceil() as u32,
        (h_mm / 25.4 * DPI).ceil() as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn crops_and_resamples_to_300_dpi() {
        let p = prepare(&png(600, 600), 24.0, 30.0).unwrap();
        assert_eq!((p.width, p.height), (284, 355));
        let back = image::load_from_memory(&p.jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (284, 355));
        // A JPEG without APP1 (EXIF/XMP) segments.
        assert!(!p.jpeg.windows(2).any(|w| w == [0xFF, 0xE1]));
    }

    #[test]
    fn transparency_becomes_white() {
        let img = image::RgbaImage::from_pixel(400, 400, image::Rgba([0, 0, 0, 0]));
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let p = prepare(&png, 20.0, 20.0).unwrap();
        let back = image::load_from_memory(&p.jpeg).unwrap().to_rgb8();
        assert!(back.get_pixel(10, 10).0.iter().all(|&c| c > 250));
    }

    #[test]
    fn refuses_bad_photos() {
        let msg = |r: Result<Prepared, PrintError>| r.unwrap_err().to_string();
        assert!(msg(prepare(b"not an image", 24.0, 30.0)).contains("neither"));
        let mut broken = png(300, 300);
        broken.truncate(100);
        assert!(msg(prepare(&broken, 24.0, 30.0)).contains("damaged"));
        assert!(msg(prepare(&png(60, 60), 24.0, 30.0)).contains("too small"));
        let big = vec![0u8; MAX_PHOTO_BYTES + 1];
        assert!(msg(prepare(&big, 24.0, 30.0)).contains("at most 10 MB"));
    }

    #[test]
    fn check_agrees_with_prepare() {
        let mut broken = png(300, 300);
        broken.truncate(100);
        let big = vec![0u8; MAX_PHOTO_BYTES + 1];
        for bytes in [
            png(600, 600),
            png(60, 60),
            png(300, 200),
            broken,
            big,
            b"not an image".to_vec(),
        ] {
            let made = prepare(&bytes, 24.0, 30.0).map(|_| ());
            let checked = check(&bytes, 24.0, 30.0);
            assert_eq!(
                made.map_err(|e| e.to_string()),
                checked.map_err(|e| e.to_string())
            );
        }
    }
}
