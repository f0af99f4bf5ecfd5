//! Card templates: `card-templates/<name>/template.toml` and its assets.
//!
//! Units are millimetres, measured from the card's top-left corner. Every
//! table refuses unknown fields, so a typo is an error rather than a field
//! that silently does nothing. [`check`] reports every problem it can find
//! with its place (`file: field`).

use super::fonts::{FontChain, FontLibrary, Weight};
pub use super::template_check::{Problem, check_dir};
use super::{PrintError, logo};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// ID-1 card width (ISO/IEC 7810), mm.
pub const ID1_WIDTH_MM: f32 = 85.60;
/// ID-1 card height, mm.
pub const ID1_HEIGHT_MM: f32 = 53.98;
/// Smallest QR module we print, mm.
pub const MIN_MODULE_MM: f32 = 0.34;

/// A whole template file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFile {
    /// What the template is for (shown by `templates check`).
    #[serde(default)]
    pub description: String,
    /// Card size.
    #[serde(default)]
    pub card: CardSize,
    /// How dates are printed, as a `time` format description.
    #[serde(default = "default_date_format")]
    pub date_format: String,
    /// The template (a folder beside this one) that prints the cards that
    /// have no photo — none was taken, or it was deleted after printing —
    /// when this template's photo box is not optional.
    pub without_photo: Option<String>,
    /// Font chain, in order of preference.
    pub fonts: Vec<FontSpec>,
    /// Front side.
    pub front: Side,
    /// Back side (optional: a one-sided card).
    pub back: Option<Side>,
}

fn default_date_format() -> String {
    "[day].[month].[year]".into()
}

/// Card size in mm.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSize {
    /// Width, mm.
    pub width: f32,
    /// Height, mm.
    pub height: f32,
}

impl Default for CardSize {
    fn default() -> Self {
        CardSize {
            width: ID1_WIDTH_MM,
            height: ID1_HEIGHT_MM,
        }
    }
}

/// One entry of the font chain: a bundled font, or font files looked up in
/// the font folders.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontSpec {
    /// A bundled font: `dejavu-sans` or `dejavu-sans-condensed`.
    pub bundled: Option<String>,
    /// Regular face: a file name looked up in the font folders, or a path
    /// relative to the template folder.
    pub regular: Option<String>,
    /// Bold face, likewise.
    pub bold: Option<String>,
    /// For font collections (`.ttc`): the family to use, e.g. `Noto Sans CJK SC`.
    pub family: Option<String>,
}

/// One side of the card.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Side {
    /// Background colour, `#RRGGBB`.
    #[serde(default = "white")]
    pub background: String,
    /// Filled rectangles (colour bands), drawn first.
    #[serde(default)]
    pub rects: Vec<RectSpec>,
    /// Fixed texts (titles, labels), in as many languages as wanted.
    #[serde(default)]
    pub texts: Vec<TextBox>,
    /// The city's logo.
    pub logo: Option<LogoSpec>,
    /// The holder's photo.
    pub photo: Option<PhotoSpec>,
    /// Family name.
    pub family_name: Option<TextBox>,
    /// Given names.
    pub given_names: Option<TextBox>,
    /// Card number, printed in groups of four.
    pub card_number: Option<TextBox>,
    /// Last valid day.
    pub valid_until: Option<TextBox>,
    /// Date of birth (printed only when the card data has one).
    pub date_of_birth: Option<TextBox>,
    /// The QR code (a square box; the quiet zone is inside it).
    pub qr: Option<QrSpec>,
}

fn white() -> String {
    "#FFFFFF".into()
}

/// A box, mm from the card's top-left corner.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BoxMm {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl BoxMm {
    pub(super) fn overlaps(&self, o: &BoxMm) -> bool {
        const EPS: f32 = 0.01;
        self.x + EPS < o.x + o.w
            && o.x + EPS < self.x + self.w
            && self.y + EPS < o.y + o.h
            && o.y + EPS < self.y + self.h
    }
}

/// A filled rectangle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RectSpec {
    /// Left edge, mm.
    pub x: f32,
    /// Top edge, mm.
    pub y: f32,
    /// Width, mm.
    pub w: f32,
    /// Height, mm.
    pub h: f32,
    /// Fill colour, `#RRGGBB`.
    pub colour: String,
}

/// Horizontal alignment in a text box.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    /// Left edge.
    #[default]
    Left,
    /// Centred.
    Center,
    /// Right edge.
    Right,
}

/// Text style shared by fixed texts and data fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBox {
    /// For fixed texts only: the text, e.g. `City Card`.
    pub text: Option<String>,
    /// Left edge, mm.
    pub x: f32,
    /// Top edge, mm.
    pub y: f32,
    /// Width, mm.
    pub w: f32,
    /// Height, mm.
    pub h: f32,
    /// Font size in points (the largest used).
    pub size: f32,
    /// Smallest size before the text wraps to two lines (default: 70 % of `size`).
    pub min_size: Option<f32>,
    /// Weight.
    #[serde(default)]
    pub weight: Weight,
    /// Colour, `#RRGGBB`.
    #[serde(default = "black")]
    pub colour: String,
    /// Alignment.
    #[serde(default)]
    pub align: Align,
    /// Whether the text may wrap to two lines (default: yes).
    #[serde(default = "yes")]
    pub wrap: bool,
    /// For fixed texts only: print it only when the card has this field
    /// (`"date_of_birth"`), e.g. the label of the date of birth.
    pub only_with: Option<String>,
}

fn black() -> String {
    "#000000".into()
}

fn yes() -> bool {
    true
}

impl TextBox {
    /// The smallest size.
    pub fn min_size(&self) -> f32 {
        self.min_size.unwrap_or(self.size * 0.7)
    }
}

/// The logo.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoSpec {
    /// File in the template folder: `.svg` (a simple subset) or `.png`.
    pub file: String,
    /// The logo keeps its aspect ratio, centred in the box.
    /// Left edge, mm.
    pub x: f32,
    /// Top edge, mm.
    pub y: f32,
    /// Width, mm.
    pub w: f32,
    /// Height, mm.
    pub h: f32,
}

/// The photo box.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoSpec {
    /// The photo is cropped to this box's aspect ratio.
    /// Left edge, mm.
    pub x: f32,
    /// Top edge, mm.
    pub y: f32,
    /// Width, mm.
    pub w: f32,
    /// Height, mm.
    pub h: f32,
    /// Whether a card without photo may be printed with this template.
    #[serde(default)]
    pub optional: bool,
}

/// The QR code box.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QrSpec {
    /// Left edge, mm.
    pub x: f32,
    /// Top edge, mm.
    pub y: f32,
    /// Side of the square, mm, quiet zone included.
    pub size: f32,
}

impl QrSpec {
    /// As a box.
    pub fn at(&self) -> BoxMm {
        BoxMm {
            x: self.x,
            y: self.y,
            w: self.size,
            h: self.size,
        }
    }
}

impl RectSpec {
    /// The box, mm.
    pub fn at(&self) -> BoxMm {
        BoxMm {
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
        }
    }
}

impl TextBox {
    /// The box, mm.
    pub fn at(&self) -> BoxMm {
        BoxMm {
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
        }
    }
}

impl LogoSpec {
    /// The box, mm.
    pub fn at(&self) -> BoxMm {
        BoxMm {
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
        }
    }
}

impl PhotoSpec {
    /// The box, mm.
    pub fn at(&self) -> BoxMm {
        BoxMm {
            x: self.x,
            y: self.y,
            w: self.w,
            h: self.h,
        }
    }
}

/// A colour, 0..1 per channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f32, pub f32, pub f32);

/// Parses `#RRGGBB`.
pub fn parse_colour(s: &str) -> Option<Rgb> {
    let hex = s.strip_prefix('#')?;
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(hex, 16).ok()?;
    let c = |shift: u32| ((v >> shift) & 0xFF) as f32 / 255.0;
    Some(Rgb(c(16), c(8), c(0)))
}

/// A loaded template: the parsed file, its folder, the loaded fonts and logo.
#[derive(Debug, Clone)]
pub struct Template {
    /// Template name (its folder's name).
    pub name: String,
    /// Its folder.
    pub dir: PathBuf,
    /// The parsed file.
    pub file: TemplateFile,
    /// The loaded font chain.
    pub fonts: FontChain,
    /// Parsed date format.
    pub date_format: time::format_description::OwnedFormatItem,
    /// The date format without its day, for a date of birth that is only a
    /// month and year (`[day].[month].[year]` → `[month].[year]`).
    pub month_format: time::format_description::OwnedFormatItem,
    /// Loaded logos, front then back.
    pub logos: [Option<logo::Logo>; 2],
}

/// Where templates live by default.
pub const DEFAULT_DIR: &str = "card-templates";

/// Finds a template folder by name under `root`.
pub fn dir_of(root: &Path, name: &str) -> Result<PathBuf, PrintError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let dir = root.join(name);
    if !ok || !dir.join("template.toml").is_file() {
        return Err(PrintError::TemplateNotFound {
            name: name.to_string(),
            root: root.to_path_buf(),
        });
    }
    Ok(dir)
}

/// Lists the template names under `root`, sorted.
pub fn list(root: &Path) -> Result<Vec<String>, PrintError> {
    let entries = std::fs::read_dir(root).map_err(|e| PrintError::Io {
        path: root.to_path_buf(),
        source: e,
    })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("template.toml").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    Ok(names)
}

/// Reads and parses `template.toml` (syntax and unknown fields only).
pub fn parse_file(dir: &Path) -> Result<TemplateFile, Problem> {
    let path = dir.join("template.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| Problem {
        place: path.display().to_string(),
        message: format!("cannot read: {e}"),
    })?;
    toml::from_str::<TemplateFile>(&text).map_err(|e| {
        let place = match e.span() {
            Some(span) => {
                let before = text.get(..span.start).unwrap_or("");
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!("{}:{line}:{col}", path.display())
            }
            None => path.display().to_string(),
        };
        Problem {
            place,
            message: e.message().to_string(),
        }
    })
}

impl Template {
    /// Loads a template by name from `root` and checks it; any problem is an error.
    pub fn load(root: &Path, name: &str, fonts: &FontLibrary) -> Result<Self, PrintError> {
        let dir = dir_of(root, name)?;
        let problems = check_dir(&dir, fonts);
        let errors: Vec<Problem> = problems.into_iter().filter(|p| !p.is_warning()).collect();
        if !errors.is_empty() {
            return Err(PrintError::Template { problems: errors });
        }
        Self::load_unchecked(&dir, fonts).map_err(|p| PrintError::Template { problems: vec![p] })
    }

    pub(super) fn load_unchecked(dir: &Path, fonts: &FontLibrary) -> Result<Self, Problem> {
        let file = parse_file(dir)?;
        let toml_place = dir.join("template.toml").display().to_string();
        let place = |field: &str| format!("{toml_place}: {field}");
        let chain = FontChain::load(&file.fonts, fonts, dir).map_err(|e| Problem {
            place: place("fonts"),
            message: e.to_string(),
        })?;
        let date_format =
            time::format_description::parse_owned::<2>(&file.date_format).map_err(|e| Problem {
                place: place("date_format"),
                message: e.to_string(),
            })?;
        let month_format = time::format_description::parse_owned::<2>(&without_day(
            &file.date_format,
        ))
        .map_err(|e| Problem {
            place: place("date_format"),
            message: e.to_string(),
        })?;
        let load_logo = |side: Option<&Side>, name: &str| -> Result<Option<logo::Logo>, Problem> {
            match side.and_then(|s| s.logo.as_ref()) {
                None => Ok(None),
                Some(spec) => logo::Logo::load(&dir.join(&spec.file))
                    .map(Some)
                    .map_err(|m| Problem {
                        place: place(&format!("{name}.logo.file")),
                        message: m,
                    }),
            }
        };
        let logos = [
            load_logo(Some(&file.front), "front")?,
            load_logo(file.back.as_ref(), "back")?,
        ];
        Ok(Template {
            name: dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("template")
                .to_string(),
            dir: dir.to_path_buf(),
            file,
            fonts: chain,
            date_format,
            month_format,
            logos,
        })
    }

    /// The sides in order (front, then back if any) with their names.
    pub fn sides(&self) -> Vec<(&'static str, &Side)> {
        let mut v = vec![("front", &self.file.front)];
        if let Some(b) = &self.file.back {
            v.push(("back", b));
        }
        v
    }
}

/// A date format without its `[day]` component and the separator next to
/// it: `[day].[month].[year]` → `[month].[year]`, `[year]-[month]-[day]` →
/// `[year]-[month]`. A partial date of birth is printed with it (issue 13).
pub fn without_day(format: &str) -> String {
    let Some(at) = format.find("[day") else {
        return format.to_owned();
    };
    let end = format[at..].find(']').map_or(format.len(), |e| at + e + 1);
    let (before, after) = (&format[..at], &format[end..]);
    // Drop the separator after the day (day first) or else before it.
    match after.chars().next() {
        Some(c) if c != '[' => format!("{before}{}", &after[c.len_utf8()..]),
        _ => {
            let mut before = before.to_owned();
            if before.ends_with(|c: char| c != ']') {
                before.pop();
            }
            format!("{before}{after}")
        }
    }
}

#[cfg(test)]
mod without_day_tests {
    use super::without_day;

    #[test]
    fn day_and_its_separator_go() {
        assert_eq!(without_day("[day].[month].[year]"), "[month].[year]");
        assert_eq!(without_day("[year]-[month]-[day]"), "[year]-[month]");
        assert_eq!(without_day("[month]/[day]/[year]"), "[month]/[year]");
        assert_eq!(
            without_day("[day padding:none].[month].[year]"),
            "[month].[year]"
        );
        assert_eq!(without_day("[month]/[year]"), "[month]/[year]");
    }
}
