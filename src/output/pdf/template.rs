//! Card templates: `card-templates/<name>/template.toml` and its assets.
//!
//! Units are millimetres, measured from the card's top-left corner. Every
//! table refuses unknown fields, so a typo is an error rather than a field
//! that silently does nothing. [`check`] reports every problem it can find
//! with its place (`file: field`).

use super::fonts::{FontChain, FontLibrary, Weight};
use super::{PrintError, logo, qr_draw, text};
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
    fn overlaps(&self, o: &BoxMm) -> bool {
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

    fn load_unchecked(dir: &Path, fonts: &FontLibrary) -> Result<Self, Problem> {
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

/// One problem found by [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `file: field` or `file:line:col`.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// Warnings do not make a template unusable.
    pub fn is_warning(&self) -> bool {
        self.message.starts_with("warning: ")
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Checks one template folder and returns every problem found.
pub fn check_dir(dir: &Path, fonts: &FontLibrary) -> Vec<Problem> {
    let file = match parse_file(dir) {
        Ok(f) => f,
        Err(p) => return vec![p],
    };
    let toml_place = dir.join("template.toml").display().to_string();
    let mut out = Vec::new();
    let mut problem = |field: &str, message: String| {
        out.push(Problem {
            place: format!("{toml_place}: {field}"),
            message,
        });
    };
    let card = file.card;
    if !(card.width > 0.0 && card.height > 0.0) {
        problem("card", "width and height must be positive".into());
    }
    if time::format_description::parse_owned::<2>(&file.date_format).is_err() {
        problem(
            "date_format",
            "not a valid format description (example: \"[day].[month].[year]\")".into(),
        );
    }
    if file.fonts.is_empty() {
        problem("fonts", "the font chain is empty".into());
    }
    for (i, spec) in file.fonts.iter().enumerate() {
        let field = format!("fonts[{i}]");
        match (&spec.bundled, &spec.regular, &spec.bold) {
            (Some(b), None, None) => {
                if !super::fonts::BUNDLED.contains(&b.as_str()) {
                    problem(
                        &format!("{field}.bundled"),
                        format!(
                            "unknown bundled font \"{b}\" (known: {})",
                            super::fonts::BUNDLED.join(", ")
                        ),
                    );
                }
            }
            (None, r, b) if r.is_some() || b.is_some() => {
                for (name, file) in [("regular", r), ("bold", b)] {
                    if let Some(file) = file.as_ref().filter(|f| fonts.find(f, dir).is_none()) {
                        problem(
                            &format!("{field}.{name}"),
                            format!(
                                "warning: font file \"{file}\" is not installed; names that need it will be refused"
                            ),
                        );
                    }
                }
            }
            _ => problem(
                &field,
                "give either `bundled` or `regular`/`bold` font files".into(),
            ),
        }
    }
    let mut sides = vec![("front", &file.front)];
    if let Some(b) = &file.back {
        sides.push(("back", b));
    }
    let has = |f: fn(&Side) -> bool| sides.iter().any(|(_, s)| f(s));
    if !has(|s| s.family_name.is_some()) {
        problem("front.family_name", "no side shows the family name".into());
    }
    if !has(|s| s.qr.is_some()) {
        problem("back.qr", "no side shows the QR code".into());
    }
    if !has(|s| s.card_number.is_some()) {
        problem("front.card_number", "no side shows the card number".into());
    }
    if !has(|s| s.valid_until.is_some()) {
        problem(
            "front.valid_until",
            "no side shows the valid-until date".into(),
        );
    }
    for (side_name, side) in &sides {
        check_side(dir, side_name, side, card, &mut problem);
    }
    check_without_photo(dir, &file, &sides, fonts, &mut problem);
    // Fonts can be checked only once the rest parses; fixed texts must fit.
    if out.iter().all(Problem::is_warning) {
        match Template::load_unchecked(dir, fonts) {
            Err(p) => out.push(p),
            Ok(t) => {
                for (side_name, side) in t.sides() {
                    for (i, text_box) in side.texts.iter().enumerate() {
                        let value = text_box.text.as_deref().unwrap_or("");
                        let place = format!("{toml_place}: {side_name}.texts[{i}]");
                        match text::fit(&t.fonts, value, text_box, "fixed text") {
                            Err(e) => out.push(Problem {
                                place,
                                message: e.to_string(),
                            }),
                            // A fixed text shrunk to fit prints smaller than
                            // its neighbours (a German line beside its
                            // English one): shorten it or widen the box.
                            Ok(f) if f.size + 0.01 < text_box.size || f.lines.len() > 1 => {
                                out.push(Problem {
                                    place,
                                    message: format!(
                                        "warning: does not fit on one line at {:.1} pt; it prints at {:.2} pt{} (shorten it or widen the box)",
                                        text_box.size,
                                        f.size,
                                        if f.lines.len() > 1 { " on two lines" } else { "" }
                                    ),
                                });
                            }
                            Ok(_) => {}
                        }
                    }
                }
            }
        }
    }
    out
}

/// A template whose photo box is required needs a `without_photo` layout
/// (else a card without photo cannot be printed); that layout must exist,
/// print cards without a photo, and have the same size and sides.
fn check_without_photo(
    dir: &Path,
    file: &TemplateFile,
    sides: &[(&str, &Side)],
    fonts: &FontLibrary,
    problem: &mut impl FnMut(&str, String),
) {
    let needs_photo = sides
        .iter()
        .any(|(_, s)| s.photo.as_ref().is_some_and(|p| !p.optional));
    let Some(other) = &file.without_photo else {
        if needs_photo {
            problem(
                "without_photo",
                "warning: the photo box is required and no `without_photo` template is named: \
                 cards without a photo (and reprints after the photo was deleted) cannot be printed"
                    .into(),
            );
        }
        return;
    };
    if !needs_photo {
        problem(
            "without_photo",
            "this template prints cards without a photo itself: remove `without_photo`".into(),
        );
        return;
    }
    let root = dir.parent().unwrap_or(Path::new("."));
    let other_dir = match dir_of(root, other) {
        Ok(d) if d != dir => d,
        _ => {
            problem(
                "without_photo",
                format!("no other template \"{other}\" beside this one"),
            );
            return;
        }
    };
    let other_file = match parse_file(&other_dir) {
        Ok(f) => f,
        Err(p) => {
            problem("without_photo", format!("template \"{other}\": {p}"));
            return;
        }
    };
    let mut other_sides = vec![&other_file.front];
    other_sides.extend(other_file.back.as_ref());
    if other_sides
        .iter()
        .any(|s| s.photo.as_ref().is_some_and(|p| !p.optional))
    {
        problem(
            "without_photo",
            format!("template \"{other}\" needs a photo itself"),
        );
        return;
    }
    let (a, b) = (file.card, other_file.card);
    if (a.width - b.width).abs() > 0.01
        || (a.height - b.height).abs() > 0.01
        || other_sides.len() != sides.len()
    {
        problem(
            "without_photo",
            format!("template \"{other}\" has another card size or number of sides"),
        );
    }
    let errors = check_dir(&other_dir, fonts)
        .into_iter()
        .filter(|p| !p.is_warning())
        .count();
    if errors > 0 {
        problem(
            "without_photo",
            format!("template \"{other}\" has {errors} problem(s): check it on its own"),
        );
    }
}

fn check_side(
    dir: &Path,
    side_name: &str,
    side: &Side,
    card: CardSize,
    problem: &mut impl FnMut(&str, String),
) {
    let colour = |field: &str, value: &str, problem: &mut dyn FnMut(&str, String)| {
        if parse_colour(value).is_none() {
            problem(field, format!("\"{value}\" is not a colour (#RRGGBB)"));
        }
    };
    colour(
        &format!("{side_name}.background"),
        &side.background,
        problem,
    );
    // Every placed element, for the on-card and overlap checks.
    let mut placed: Vec<(String, BoxMm)> = Vec::new();
    for (i, r) in side.rects.iter().enumerate() {
        let field = format!("{side_name}.rects[{i}]");
        colour(&format!("{field}.colour"), &r.colour, problem);
        on_card(&field, &r.at(), card, problem);
    }
    let mut text_box = |field: String, t: &TextBox, problem: &mut dyn FnMut(&str, String)| {
        colour(&format!("{field}.colour"), &t.colour, problem);
        if !(t.size > 0.0 && t.size <= 72.0) {
            problem(
                &format!("{field}.size"),
                "must be between 0 and 72 pt".into(),
            );
        }
        if t.min_size.is_some_and(|m| !(m > 0.0 && m <= t.size)) {
            problem(
                &format!("{field}.min_size"),
                "must be positive and at most `size`".into(),
            );
        }
        // The box must hold one line at the minimum size, and a wrapping
        // field two lines, or long names would be refused.
        let pt_per_mm = 72.0 / 25.4;
        let lines = if t.wrap && t.text.is_none() {
            text::LINE_EM + text::LEADING_EM
        } else {
            text::LINE_EM
        };
        let needed = t.min_size() * lines / pt_per_mm;
        if t.h + 1e-3 < needed {
            problem(
                &format!("{field}.h"),
                format!(
                    "{:.2} mm is too low for {} at min_size {:.1} pt (needs {needed:.2} mm)",
                    t.h,
                    if lines > text::LINE_EM {
                        "two lines"
                    } else {
                        "one line"
                    },
                    t.min_size()
                ),
            );
        }
        placed.push((field, t.at()));
    };
    for (i, t) in side.texts.iter().enumerate() {
        if t.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
            problem(
                &format!("{side_name}.texts[{i}].text"),
                "is missing or empty".into(),
            );
        }
        if t.only_with.as_deref().is_some_and(|w| w != "date_of_birth") {
            problem(
                &format!("{side_name}.texts[{i}].only_with"),
                "the only field a text can depend on is \"date_of_birth\"".into(),
            );
        }
        text_box(format!("{side_name}.texts[{i}]"), t, problem);
    }
    for (name, field) in [
        ("family_name", &side.family_name),
        ("given_names", &side.given_names),
        ("card_number", &side.card_number),
        ("valid_until", &side.valid_until),
        ("date_of_birth", &side.date_of_birth),
    ] {
        if let Some(t) = field {
            if t.only_with.is_some() {
                problem(
                    &format!("{side_name}.{name}.only_with"),
                    "only fixed texts (`texts`) can depend on a field".into(),
                );
            }
            if t.text.is_some() {
                problem(
                    &format!("{side_name}.{name}.text"),
                    "only fixed texts (`texts`) have a text; this field prints the card's data"
                        .into(),
                );
            }
            text_box(format!("{side_name}.{name}"), t, problem);
        }
    }
    if let Some(l) = &side.logo {
        let path = dir.join(&l.file);
        if !path.is_file() {
            problem(
                &format!("{side_name}.logo.file"),
                format!("asset \"{}\" is missing", l.file),
            );
        } else if let Err(m) = logo::Logo::load(&path) {
            problem(&format!("{side_name}.logo.file"), m);
        }
        placed.push((format!("{side_name}.logo"), l.at()));
    }
    if let Some(p) = &side.photo {
        if !(p.at().w > 0.0 && p.at().h > 0.0) {
            problem(&format!("{side_name}.photo"), "empty box".into());
        }
        placed.push((format!("{side_name}.photo"), p.at()));
    }
    if let Some(q) = &side.qr {
        let field = format!("{side_name}.qr");
        match qr_draw::reference_version() {
            Ok(version) => {
                let needed = qr_draw::min_box_mm(version);
                if q.size + 1e-3 < needed {
                    problem(
                        &format!("{field}.size"),
                        format!(
                            "{:.2} mm is too small: a reference card (40-character name, date of birth) \
                             needs QR version {version} at level M, which with modules of {MIN_MODULE_MM} mm \
                             and a 4-module quiet zone needs {needed:.2} mm",
                            q.size
                        ),
                    );
                }
            }
            Err(e) => problem(&field, e.to_string()),
        }
        placed.push((field, q.at()));
    }
    for (field, at) in &placed {
        if !(at.w > 0.0 && at.h > 0.0) {
            problem(field, "width and height must be positive".into());
        }
        on_card(field, at, card, problem);
    }
    for (i, (a, abox)) in placed.iter().enumerate() {
        for (b, bbox) in placed.iter().skip(i + 1) {
            if abox.overlaps(bbox) {
                problem(a, format!("overlaps {b}"));
            }
        }
    }
}

fn on_card(field: &str, at: &BoxMm, card: CardSize, problem: &mut dyn FnMut(&str, String)) {
    const EPS: f32 = 0.001;
    if at.x < -EPS
        || at.y < -EPS
        || at.x + at.w > card.width + EPS
        || at.y + at.h > card.height + EPS
    {
        problem(
            field,
            format!(
                "is off the card: x {:.2}–{:.2} mm, y {:.2}–{:.2} mm on a {:.2} × {:.2} mm card",
                at.x,
                at.x + at.w,
                at.y,
                at.y + at.h,
                card.width,
                card.height
            ),
        );
    }
}
