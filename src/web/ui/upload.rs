//! Multipart forms with a photo (enrol, renew, replace): text fields and
//! one file, each bounded. A photo over 5 MB is not an error of the whole
//! request: the form comes back with the message next to the field.

use crate::office::cards::MAX_PHOTO_BYTES;
use crate::web::body_timeout;
use crate::web::error::AppError;
use actix_multipart::Multipart;
use futures_util::StreamExt;
use std::collections::HashMap;

/// Most bytes of one text field.
const MAX_TEXT_FIELD: usize = 16 * 1024;
/// Most bytes of the kept photo (base64 of a re-encoded photo).
const MAX_KEPT_FIELD: usize = MAX_PHOTO_BYTES / 3 * 4 + 16;
/// Most fields.
const MAX_FIELDS: usize = 32;
/// Most bytes read in all (a larger body is refused with 413).
pub const MAX_BODY: usize = MAX_PHOTO_BYTES + MAX_KEPT_FIELD + 256 * 1024;

/// What a photo field held.
#[derive(Default)]
pub enum PhotoUpload {
    /// No file chosen.
    #[default]
    None,
    /// The file's bytes (at most 5 MB).
    Bytes(Vec<u8>),
    /// The file was larger than 5 MB (its bytes were dropped).
    TooLarge,
}

/// A read multipart form.
#[derive(Default)]
pub struct UploadForm {
    text: HashMap<String, String>,
    /// The `photo` file.
    pub photo: PhotoUpload,
}

impl UploadForm {
    /// A text field ("" when absent).
    pub fn text(&self, name: &str) -> &str {
        self.text.get(name).map_or("", String::as_str)
    }

    /// A checkbox.
    pub fn checked(&self, name: &str) -> bool {
        !self.text(name).is_empty()
    }
}

/// Reads the whole form.
pub async fn read(mut payload: Multipart) -> Result<UploadForm, AppError> {
    let mut form = UploadForm::default();
    let mut total = 0usize;
    let mut fields = 0usize;
    let bad = || AppError::bad_body("the form could not be read").html();
    // A body that stalls past `[http] body_timeout_seconds` is a 408.
    let failed = |e: actix_multipart::MultipartError| match e {
        actix_multipart::MultipartError::Payload(p) if body_timeout::is_timeout(&p) => {
            AppError::request_timeout().html()
        }
        _ => bad(),
    };
    while let Some(item) = payload.next().await {
        let mut field = item.map_err(failed)?;
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(bad());
        }
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = name == "photo";
        let has_filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .is_some_and(|f| !f.is_empty());
        let limit = match name.as_str() {
            "photo" => MAX_PHOTO_BYTES,
            "photo_kept" => MAX_KEPT_FIELD,
            _ => MAX_TEXT_FIELD,
        };
        let mut buf = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(failed)?;
            total += chunk.len();
            if total > MAX_BODY {
                return Err(AppError::payload_too_large(MAX_BODY).html());
            }
            if buf.len() + chunk.len() > limit {
                over = true;
                buf = Vec::new();
            }
            if !over {
                buf.extend_from_slice(&chunk);
            }
        }
        if is_file {
            form.photo = match (over, buf.is_empty() && !has_filename) {
                (true, _) => PhotoUpload::TooLarge,
                (false, true) => PhotoUpload::None,
                (false, false) if buf.is_empty() => PhotoUpload::None,
                (false, false) => PhotoUpload::Bytes(buf),
            };
        } else {
            if over {
                return Err(bad());
            }
            let text = String::from_utf8(buf).map_err(|_| bad())?;
            form.text.insert(name, text);
        }
    }
    Ok(form)
}
