//! Checking a card template folder: every problem with its place, so that
//! `citycard templates check` and [`super::Template::load`] report all of
//! them at once (split from `template.rs`, which reads and holds templates).

use super::fonts::FontLibrary;
use super::template::*;
use super::{logo, qr_draw, text};
use std::path::Path;

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
