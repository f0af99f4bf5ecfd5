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
use rayon::prelude::*;
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
    ///
    /// Cards are read from `cards` in chunks and prepared (texts shaped,
    /// QR codes and photos made) on every core; the document is assembled
    /// in card order, so the PDF is the same whatever the number of
    /// threads. The first failure in card order is the one reported, as
    /// when the cards are printed one by one.
    pub fn render(
        &self,
        cards: impl IntoIterator<Item = Result<CardFace, PrintError>>,
        layout: Layout,
        total: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<u8>, PrintError> {
        self.render_in_chunks(cards, layout, total, progress, CHUNK)
    }

    fn render_in_chunks(
        &self,
        cards: impl IntoIterator<Item = Result<CardFace, PrintError>>,
        layout: Layout,
        total: usize,
        progress: &mut dyn FnMut(usize, usize),
        chunk_size: usize,
    ) -> Result<Vec<u8>, PrintError> {
        let mut doc = render::Document::new(&self.main, layout);
        let mut cards = cards.into_iter().fuse();
        let mut done = 0;
        loop {
            // A chunk ends early at a card that could not be read: nothing
            // after it is read, as when printing one by one.
            let mut chunk = Vec::with_capacity(chunk_size);
            for card in cards.by_ref() {
                let failed = card.is_err();
                chunk.push(card);
                if failed || chunk.len() >= chunk_size {
                    break;
                }
            }
            if chunk.is_empty() {
                break;
            }
            let prepared = self.prepare(&chunk, layout, |card: &Result<CardFace, PrintError>| {
                card.as_ref().ok()
            });
            for (card, prepared) in chunk.into_iter().zip(prepared) {
                done += 1;
                let index = done;
                let card = card.map_err(|e| match e {
                    e @ PrintError::Card { .. } => e,
                    e => PrintError::Card {
                        index,
                        number: "unknown".into(),
                        source: Box::new(e),
                    },
                })?;
                doc.add_result(prepared).map_err(|e| PrintError::Card {
                    index,
                    number: card.card_number.to_string(),
                    source: Box::new(e),
                })?;
                progress(index, total);
            }
        }
        doc.finish()
    }

    /// Renders every card that can be printed into one PDF; a card that
    /// cannot (its data does not fit the template, or reading it failed)
    /// is left out with its reason. Faults of the office itself (a broken
    /// template, a font the PDF writer cannot read) stop the batch.
    ///
    /// Cards are prepared on every core, chunk by chunk, and added in
    /// order, as [`TemplateSet::render`] does.
    pub fn render_batch(
        &self,
        cards: impl IntoIterator<Item = (CardNumber, Result<CardFace, PrintError>)>,
        layout: Layout,
    ) -> Result<Batch, PrintError> {
        self.batch_in_chunks(cards, layout, CHUNK)
    }

    fn batch_in_chunks(
        &self,
        cards: impl IntoIterator<Item = (CardNumber, Result<CardFace, PrintError>)>,
        layout: Layout,
        chunk_size: usize,
    ) -> Result<Batch, PrintError> {
        let mut doc = render::Document::new(&self.main, layout);
        let mut printed = Vec::new();
        let mut skipped = Vec::new();
        let mut cards = cards.into_iter().fuse();
        loop {
            // A chunk ends early at a fault of the office (which stops the
            // batch): nothing after it is read.
            let mut chunk = Vec::with_capacity(chunk_size);
            for item in cards.by_ref() {
                let fault = item.1.as_ref().is_err_and(|e| !e.is_card_problem());
                chunk.push(item);
                if fault || chunk.len() >= chunk_size {
                    break;
                }
            }
            if chunk.is_empty() {
                break;
            }
            let prepared = self.prepare(
                &chunk,
                layout,
                |(_, card): &(CardNumber, Result<CardFace, PrintError>)| card.as_ref().ok(),
            );
            for ((number, card), prepared) in chunk.into_iter().zip(prepared) {
                let result = card.and_then(|_| doc.add_result(prepared));
                match result {
                    Ok(()) => printed.push(number),
                    Err(reason) if reason.is_card_problem() => {
                        skipped.push(Skipped { number, reason })
                    }
                    Err(e) => return Err(e),
                }
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

    /// Prepares the cards of a chunk ([`render::prepare_card`]), each with
    /// its layout, in parallel when there is more than one: one result per
    /// item, in order, `None` where `card` finds no card to prepare.
    fn prepare<'s, T: Sync>(
        &'s self,
        chunk: &[T],
        layout: Layout,
        card: impl Fn(&T) -> Option<&CardFace> + Sync,
    ) -> Vec<Option<Result<render::PreparedCard<'s>, PrintError>>> {
        let one = |item: &T| {
            card(item).map(|card| {
                let template = self.template_for(card.photo.is_some());
                render::prepare_card(&self.main, layout, template, card)
            })
        };
        if chunk.len() < 2 {
            chunk.iter().map(one).collect()
        } else {
            chunk.par_iter().map(one).collect()
        }
    }
}

/// Cards read and prepared at a time in a batch: enough to keep every core
/// busy between two assembly steps, few enough that photos of a chunk
/// (decoded one per thread at a time) stay small beside the document.
const CHUNK: usize = 64;

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

    fn face(i: usize, photo: Option<&[u8]>) -> CardFace {
        use citycard_credential::{CardClaims, SigningKey, date};
        const NAMES: [(&str, &str); 6] = [
            ("Maximiliane Alexandra", "Oberhollenzer-Wyss"),
            ("Анна Сергеевна", "Иванова"),
            ("علی\u{200C}رضا", "رضایی"),
            ("秀英", "王"),
            ("", "Nguyễn"),
            ("יעל", "כהן"),
        ];
        let (given, family) = NAMES[i % NAMES.len()];
        let card_number = (0..10)
            .find_map(|c| CardNumber::from_u64((10_000_000_000 + i as u64) * 10 + c).ok())
            .unwrap();
        let claims = CardClaims {
            issuer: "musterstadt".into(),
            card_number,
            given_names: given.into(),
            family_name: family.into(),
            issued: date::parse("2026-03-01").unwrap(),
            expires: date::parse("2031-02-28").unwrap(),
            date_of_birth: (!i.is_multiple_of(3))
                .then(|| date::parse("1990-05-17").unwrap().into()),
        };
        let key = SigningKey::from_bytes(&[2; 32]);
        CardFace {
            qr_text: citycard_credential::sign_card_text(&key, &claims).unwrap(),
            given_names: claims.given_names,
            family_name: claims.family_name,
            card_number,
            issued: claims.issued,
            expires: claims.expires,
            date_of_birth: claims.date_of_birth,
            photo: photo.map(<[u8]>::to_vec),
        }
    }

    fn small_png() -> Vec<u8> {
        let img = image::RgbImage::from_fn(140, 180, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn a_batch_printed_on_several_threads_is_the_serial_pdf_byte_for_byte() {
        let set = shipped();
        let png = small_png();
        // 13 cards: a full A4 sheet and a part one, two with a photo (the
        // photo layout) among cards without (the no-photo layout).
        let cards: Vec<CardFace> = (0..13)
            .map(|i| face(i, [4, 11].contains(&i).then_some(png.as_slice())))
            .collect();
        for layout in [Layout::SheetA4, Layout::CardPrinter] {
            let print = |chunk: usize| {
                let mut seen = Vec::new();
                let pdf = set
                    .render_in_chunks(
                        cards.iter().cloned().map(Ok),
                        layout,
                        cards.len(),
                        &mut |done, _| seen.push(done),
                        chunk,
                    )
                    .unwrap();
                assert_eq!(seen, (1..=cards.len()).collect::<Vec<_>>());
                pdf
            };
            // One card at a time on one thread (as before batches were
            // parallel), then chunks of 5 on four threads.
            let serial = on_threads(1, || print(1));
            assert!(serial.starts_with(b"%PDF-"));
            assert_eq!(on_threads(4, || print(5)), serial, "{layout:?}");
            // The file identifier is the content's: set once, no placeholder left.
            let text = String::from_utf8_lossy(&serial);
            assert!(!text.contains("citycard-file-identifier"));
            assert!(text.contains("/ID"));
        }
        // A batch with cards left out gives the same PDF and the same list.
        let mut with_problems: Vec<(CardNumber, Result<CardFace, PrintError>)> = cards
            .iter()
            .take(10)
            .cloned()
            .map(|c| (c.card_number, Ok(c)))
            .collect();
        with_problems[3].1 = Err(PrintError::Unavailable("revoked".into()));
        if let Ok(c) = &mut with_problems[7].1 {
            c.family_name = "W".repeat(64);
        }
        let batch = |threads: usize, chunk: usize| {
            on_threads(threads, || {
                set.batch_in_chunks(
                    with_problems.iter().map(|(n, c)| {
                        (
                            *n,
                            match c {
                                Ok(card) => Ok(card.clone()),
                                Err(e) => Err(PrintError::Unavailable(e.to_string())),
                            },
                        )
                    }),
                    Layout::CardPrinter,
                    chunk,
                )
                .unwrap()
            })
        };
        let (a, b) = (batch(1, 1), batch(4, 5));
        assert_eq!(a.printed, b.printed);
        assert_eq!(a.printed.len(), 8);
        let codes = |x: &Batch| {
            x.skipped
                .iter()
                .map(|s| (s.number, s.reason.code()))
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(&a), codes(&b));
        assert_eq!(
            codes(&a),
            [
                (with_problems[3].0, "card_unavailable"),
                (with_problems[7].0, "name_too_long")
            ]
        );
        assert!(a.pdf.is_some());
        assert_eq!(a.pdf, b.pdf);
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
