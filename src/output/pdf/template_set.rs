//! A card template with its layout for cards without a photo: what the
//! office prints with ([`crate::output::Printer`] holds one, loaded).
//!
//! - [`TemplateSet::template_for`] picks the layout: a card with a photo
//!   gets the office's template; a card without one (no photo was taken,
//!   or it was deleted after printing) gets the template's `without_photo`
//!   layout. Every card the office issues can be printed.
//! - [`TemplateSet::check_names`] is the enrolment check: a name that a
//!   layout cannot print (a character no font has, a name too long for its
//!   box) is refused before a card is signed, not at the printer.
//! - [`TemplateSet::render_batch`] prints what it can: a card that cannot
//!   be printed is left out with its reason ([`PrintError::code`]) and
//!   never stops the others.

use super::fonts::FontLibrary;
use super::sheet::Layout;
use super::template::{Template, TextBox};
use super::{PrintError, render, text};
use crate::output::CardFace;
use citycard_credential::CardNumber;
use std::path::Path;

/// A name field the enrolment check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameField {
    /// Given names.
    GivenNames,
    /// Family name.
    FamilyName,
}

impl NameField {
    /// The form field (`given_names`, `family_name`).
    pub fn as_str(self) -> &'static str {
        match self {
            NameField::GivenNames => "given_names",
            NameField::FamilyName => "family_name",
        }
    }
}

/// The office's template and its no-photo layout, loaded.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    main: Template,
    without_photo: Option<Template>,
}

/// A card left out of a batch.
#[derive(Debug)]
pub struct Skipped {
    /// Its number (not personal data).
    pub number: CardNumber,
    /// Why (no personal data; see [`PrintError::code`]).
    pub reason: PrintError,
}

/// The result of [`TemplateSet::render_batch`].
#[derive(Debug)]
pub struct Batch {
    /// The PDF of the cards that could be printed; `None` when none could.
    pub pdf: Option<Vec<u8>>,
    /// The cards in the PDF, in order.
    pub printed: Vec<CardNumber>,
    /// The cards left out, with their reasons.
    pub skipped: Vec<Skipped>,
}

impl TemplateSet {
    /// Loads the template `name` from `root` and, if it names one, its
    /// `without_photo` layout (a sibling folder).
    pub fn load(root: &Path, name: &str, fonts: &FontLibrary) -> Result<Self, PrintError> {
        let main = Template::load(root, name, fonts)?;
        let without_photo = match &main.file.without_photo {
            Some(other) => Some(Template::load(root, other, fonts)?),
            None => None,
        };
        Ok(TemplateSet {
            main,
            without_photo,
        })
    }

    /// Exactly this template, without a fallback layout (`citycard print
    /// --template`: a card that does not fit it is an error).
    pub fn single(main: Template) -> Self {
        TemplateSet {
            main,
            without_photo: None,
        }
    }

    /// The office's template.
    pub fn main(&self) -> &Template {
        &self.main
    }

    /// The template a card with or without a photo is printed with.
    pub fn template_for(&self, has_photo: bool) -> &Template {
        match (&self.without_photo, has_photo) {
            (Some(t), false) => t,
            _ => &self.main,
        }
    }

    /// Whether a card without a photo is printed with another layout than a
    /// card with one.
    pub fn has_no_photo_layout(&self) -> bool {
        self.without_photo.is_some()
    }

    /// Every template a card of this office may be printed with (the photo
    /// can be deleted after printing, so a reprint may use the other one).
    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.main).chain(self.without_photo.as_ref())
    }

    /// Whether every layout of the office can print these names: every
    /// character has a glyph in the fonts, and each name fits its box. The
    /// error names the field and the rule (and the character), never the
    /// name.
    pub fn check_names(
        &self,
        given_names: &str,
        family_name: &str,
    ) -> Result<(), (NameField, PrintError)> {
        for template in self.templates() {
            for (_, side) in template.sides() {
                let fields: [(NameField, &Option<TextBox>, &str); 2] = [
                    (NameField::FamilyName, &side.family_name, family_name),
                    (NameField::GivenNames, &side.given_names, given_names),
                ];
                for (field, style, value) in fields {
                    if let Some(style) = style
                        && !value.is_empty()
                    {
                        let label = match field {
                            NameField::GivenNames => "given names",
                            NameField::FamilyName => "family name",
                        };
                        text::fit(&template.fonts, value, style, label).map_err(|e| (field, e))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks that a card can be printed (everything [`Self::render_batch`]
    /// does to it but the PDF) and gives the template it will use.
    pub fn check(&self, card: &CardFace) -> Result<&Template, PrintError> {
        let template = self.template_for(card.photo.is_some());
        render::check_card(template, card)?;
        Ok(template)
    }

    /// Renders cards into one PDF, each with its layout; the first failure
    /// stops the run (for `citycard print`, which writes all or nothing).
    pub fn render(
        &self,
        cards: impl IntoIterator<Item = Result<CardFace, PrintError>>,
        layout: Layout,
        total: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<u8>, PrintError> {
        let mut doc = render::Document::new(&self.main, layout);
        for (i, card) in cards.into_iter().enumerate() {
            let index = i + 1;
            let card = card.map_err(|e| match e {
                e @ PrintError::Card { .. } => e,
                e => PrintError::Card {
                    index,
                    number: "unknown".into(),
                    source: Box::new(e),
                },
            })?;
            let template = self.template_for(card.photo.is_some());
            doc.add_card_with(template, &card)
                .map_err(|e| PrintError::Card {
                    index,
                    number: card.card_number.to_string(),
                    source: Box::new(e),
                })?;
            progress(index, total);
        }
        doc.finish()
    }

    /// Renders every card that can be printed into one PDF; a card that
    /// cannot (its data does not fit the template, or reading it failed)
    /// is left out with its reason. Faults of the office itself (a broken
    /// template, a font the PDF writer cannot read) stop the batch.
    pub fn render_batch(
        &self,
        cards: impl IntoIterator<Item = (CardNumber, Result<CardFace, PrintError>)>,
        layout: Layout,
    ) -> Result<Batch, PrintError> {
        let mut doc = render::Document::new(&self.main, layout);
        let mut printed = Vec::new();
        let mut skipped = Vec::new();
        for (number, card) in cards {
            let result = card.and_then(|card| {
                let template = self.template_for(card.photo.is_some());
                doc.add_card_with(template, &card)
            });
            match result {
                Ok(()) => printed.push(number),
                Err(reason) if reason.is_card_problem() => skipped.push(Skipped { number, reason }),
                Err(e) => return Err(e),
            }
        }
        let pdf = if printed.is_empty() {
            None
        } else {
            Some(doc.finish()?)
        };
        Ok(Batch {
            pdf,
            printed,
            skipped,
        })
    }
}

impl PrintError {
    /// A stable code for the UI to translate and the API to return: what
    /// is wrong with the card (`unprintable_character`, `name_too_long`,
    /// `photo_unusable`, `photo_required`, `qr_too_large`, `name_rule`,
    /// `card_unavailable`) or with the office (`template`, `font`, `pdf`,
    /// `io`, `input`).
    pub fn code(&self) -> &'static str {
        match self {
            PrintError::Card { source, .. } => source.code(),
            PrintError::UnsupportedGlyph { .. } => "unprintable_character",
            PrintError::TextTooLong { .. } => "name_too_long",
            PrintError::Name(_) => "name_rule",
            PrintError::Photo { .. } => "photo_unusable",
            PrintError::PhotoMismatch(_) => "photo_required",
            PrintError::Qr(_) | PrintError::QrTooLarge { .. } => "qr_too_large",
            PrintError::Unavailable(_) => "card_unavailable",
            PrintError::TemplateNotFound { .. } | PrintError::Template { .. } => "template",
            PrintError::Font { .. } => "font",
            PrintError::Io { .. } => "io",
            PrintError::Input(_) => "input",
            PrintError::Pdf(_) => "pdf",
        }
    }

    /// Whether the problem is the card's own (its data does not fit the
    /// template, or it cannot be read for printing any more), as opposed to
    /// a fault of the office's template, fonts or disk.
    pub fn is_card_problem(&self) -> bool {
        matches!(
            self.code(),
            "unprintable_character"
                | "name_too_long"
                | "name_rule"
                | "photo_unusable"
                | "photo_required"
                | "qr_too_large"
                | "card_unavailable"
        )
    }

    /// For [`PrintError::UnsupportedGlyph`]: the character.
    pub fn character(&self) -> Option<char> {
        match self {
            PrintError::Card { source, .. } => source.character(),
            PrintError::UnsupportedGlyph { codepoint, .. } => char::from_u32(*codepoint),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> TemplateSet {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-templates");
        TemplateSet::load(&root, "bilingual-photo", &FontLibrary::new(&[])).unwrap()
    }

    #[test]
    fn the_photo_template_falls_back_to_its_no_photo_layout() {
        let p = shipped();
        assert!(p.has_no_photo_layout());
        assert_eq!(p.template_for(true).name, "bilingual-photo");
        assert_eq!(p.template_for(false).name, "no-photo");
    }

    #[test]
    fn names_are_checked_against_every_layout() {
        let p = shipped();
        assert!(p.check_names("Zoë Łucja", "Öztürk-Dvořák").is_ok());
        assert!(p.check_names("Анна", "Иванова").is_ok());
        assert!(p.check_names("محمد", "الحسيني").is_ok());
        // A character no font of the chain has: the field and the character.
        let (field, e) = p.check_names("Anna \u{1F642}", "X").unwrap_err();
        assert_eq!(field, NameField::GivenNames);
        assert_eq!(e.code(), "unprintable_character");
        assert_eq!(e.character(), Some('\u{1F642}'));
        // Too long for the box even on two lines at the smallest size.
        let long = "W".repeat(64);
        let (field, e) = p.check_names("", &long).unwrap_err();
        assert_eq!(field, NameField::FamilyName);
        assert_eq!(e.code(), "name_too_long");
    }
}
