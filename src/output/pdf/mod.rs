//! Printing cards as PDF: templates, text in every script, the QR code as
//! vector shapes, the photo, and two outputs — one card side per page at the
//! card's exact size for card printers, or A4 sheets of ten cards with crop
//! marks for a print shop.
//!
//! Errors never contain personal data: they name the field, the rule, the
//! script and code point of an unprintable character, or the card's place
//! in a batch — never a name, a date of birth or the photo.
//!
//! ```text
//! template.toml ─► Template ─┐
//! CardFace (names, dates, ───┼─► render::card_side ─► sheet::pages ─► PDF bytes
//!   QR text, photo bytes)  ──┘        (text::fit, qr_draw, photo)
//! ```

pub mod builtin;
pub mod fonts;
pub mod logo;
pub mod photo;
pub mod qr_draw;
mod render;
pub mod sheet;
pub mod template;
mod template_check;
pub mod template_set;
pub mod text;

pub use fonts::{FontLibrary, Weight};
pub use sheet::Layout;
pub use template::{Problem, Template};
pub use template_set::{Batch, NameField, Skipped, TemplateSet};

use std::path::{Path, PathBuf};

/// Everything that can go wrong while printing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    /// No template of that name.
    #[error("no template \"{name}\" in {} (a folder with a template.toml)", root.display())]
    TemplateNotFound {
        /// The name asked for.
        name: String,
        /// Where templates were looked for.
        root: PathBuf,
    },
    /// The template has problems (see `citycard templates check`).
    #[error("the template has problems:\n  {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Template {
        /// Every problem with its place.
        problems: Vec<Problem>,
    },
    /// A font could not be used.
    #[error("font {font}: {problem}")]
    Font {
        /// File or font name.
        font: String,
        /// What is wrong.
        problem: String,
    },
    /// A character that none of the template's fonts can draw.
    #[error(
        "{field}: no configured font has a glyph for U+{codepoint:04X} ({script}): {hint}{}",
        if not_installed.is_empty() { String::new() } else { format!(" (the template names fonts that are not installed: {})", not_installed.join(", ")) }
    )]
    UnsupportedGlyph {
        /// Which field.
        field: &'static str,
        /// The character's code point.
        codepoint: u32,
        /// Its script.
        script: String,
        /// What to install or configure.
        hint: String,
        /// Font files the template names that are not installed.
        not_installed: Vec<String>,
    },
    /// A text that does not fit its box even on two lines at the minimum size.
    #[error(
        "{field}: too long for its box on this template, even on two lines at the minimum size"
    )]
    TextTooLong {
        /// Which field.
        field: &'static str,
    },
    /// A name breaks the card format's name rules.
    #[error("{0}")]
    Name(citycard_credential::Error),
    /// The photo cannot be used.
    #[error("photo: {problem}")]
    Photo {
        /// What is wrong.
        problem: String,
    },
    /// The template has a photo box and the card has no photo (or the other way round).
    #[error("{0}")]
    PhotoMismatch(&'static str),
    /// The QR text cannot be encoded.
    #[error("QR code: {0}")]
    Qr(String),
    /// The QR code would need modules smaller than 0.34 mm in the template's box.
    #[error(
        "QR code: the card needs version {version}, which needs a box of {needed_mm:.1} mm for modules of 0.34 mm; the template's box is {box_mm:.1} mm"
    )]
    QrTooLarge {
        /// Version needed at level M.
        version: i16,
        /// Box size needed.
        needed_mm: f32,
        /// Box size available.
        box_mm: f32,
    },
    /// One card of a batch failed.
    #[error("card {index} (number {number}): {source}")]
    Card {
        /// 1-based position in the batch.
        index: usize,
        /// The card number (not personal data: the audit log keeps it too).
        number: String,
        /// What went wrong.
        source: Box<PrintError>,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The card cannot be read for printing any more (revoked, erased or
    /// marked printed since it was listed).
    #[error("the card cannot be printed now: {0}")]
    Unavailable(String),
    /// Bad input data (a batch line, a flag).
    #[error("{0}")]
    Input(String),
    /// The PDF writer failed.
    #[error("PDF: {0}")]
    Pdf(String),
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// renamed into place at the end: a failed run leaves no partial file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PrintError> {
    use std::io::Write;
    let io = |source| PrintError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("card.pdf");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = crate::private_files::create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}
