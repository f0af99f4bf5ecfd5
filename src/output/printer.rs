//! The office's printer: its card templates and fonts, loaded once and
//! kept, and the one way a card becomes a PDF for the clerk UI, the JSON
//! API and the command line.
//!
//! - [`Printer::card_pdf`] makes one card's PDF: the card's own problem
//!   (it does not fit the template) and a fault of the office (a broken
//!   template) are both a [`PrintError`]; [`PrintError::code`] and
//!   [`PrintError::is_card_problem`] tell them apart, so every front end
//!   maps them the same way (the web layer: `422 cannot_print` with the
//!   `reason`, or `500 internal`).
//! - [`Printer::batch`] prints what it can and lists the cards it left out;
//!   [`Printer::render`] prints all or nothing (`citycard print`).
//! - [`SharedPrinter`] is what the office holds: loaded at the first use
//!   (the server loads it at start), kept until [`SharedPrinter::reload`].

use super::pdf::{FontLibrary, Template, TemplateSet};
use super::{Batch, CardFace, Layout, NameField, PrintError};
use crate::config::Config;
use citycard_credential::CardNumber;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// The office's template (with its no-photo layout) and fonts, loaded.
/// Other templates asked for by name (the API's `?template=`) are loaded at
/// their first use and kept too.
pub struct Printer {
    root: PathBuf,
    fonts: FontLibrary,
    office: Arc<TemplateSet>,
    others: Mutex<HashMap<String, Arc<TemplateSet>>>,
    passed: Mutex<HashSet<CheckKey>>,
}

/// What a card's check read, as a digest the caller makes of it (the
/// print queue: of the card's sealed data, see
/// `office::cards::queue`): equal keys, equal cards.
pub type CheckKey = [u8; 32];

/// Most cards [`Printer::passed`] remembers (then it starts afresh).
const PASSED_MAX: usize = 100_000;

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("template", &self.office.main().name)
            .finish_non_exhaustive()
    }
}

impl Printer {
    /// Loads the template `name` from `root` (and its `without_photo`
    /// layout, if it names one) with these fonts.
    pub fn load(root: &Path, name: &str, fonts: FontLibrary) -> Result<Self, PrintError> {
        let office = Arc::new(TemplateSet::load(root, name, &fonts)?);
        Ok(Printer {
            root: root.to_path_buf(),
            fonts,
            office,
            others: Mutex::new(HashMap::new()),
            passed: Mutex::new(HashSet::new()),
        })
    }

    /// The configured template (`templates_dir`, `card_template`) with the
    /// configured font folders (`font_dirs`) and the system's.
    pub fn from_config(config: &Config) -> Result<Self, PrintError> {
        Self::load(
            &config.templates_dir,
            &config.card_template,
            FontLibrary::new(&config.font_dirs),
        )
    }

    /// Exactly this template, without a fallback layout for cards without
    /// a photo (`citycard print --template`).
    pub fn single(template: Template, fonts: FontLibrary) -> Self {
        Printer {
            root: PathBuf::new(),
            fonts,
            office: Arc::new(TemplateSet::single(template)),
            others: Mutex::new(HashMap::new()),
            passed: Mutex::new(HashSet::new()),
        }
    }

    /// The office's template and its no-photo layout.
    pub fn templates(&self) -> &TemplateSet {
        &self.office
    }

    /// The office's template (not a no-photo layout).
    pub fn main(&self) -> &Template {
        self.office.main()
    }

    /// Whether a card without a photo is printed with another layout than a
    /// card with one.
    pub fn has_no_photo_layout(&self) -> bool {
        self.office.has_no_photo_layout()
    }

    /// The templates named `name`: the office's own, or another one from
    /// the templates folder (loaded once, then kept).
    pub fn named(&self, name: &str) -> Result<Arc<TemplateSet>, PrintError> {
        if name == self.office.main().name {
            return Ok(self.office.clone());
        }
        let mut others = self.others.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(set) = others.get(name) {
            return Ok(set.clone());
        }
        let set = Arc::new(TemplateSet::load(&self.root, name, &self.fonts)?);
        others.insert(name.to_owned(), set.clone());
        Ok(set)
    }

    /// The enrolment check: whether every layout of the office can print
    /// these names (see [`TemplateSet::check_names`]).
    pub fn check_names(
        &self,
        given_names: &str,
        family_name: &str,
    ) -> Result<(), (NameField, PrintError)> {
        self.office.check_names(given_names, family_name)
    }

    /// Whether a card can be printed (everything but the PDF).
    pub fn check(&self, card: &CardFace) -> Result<(), PrintError> {
        self.office.check(card).map(|_| ())
    }

    /// Whether the card with this key passed [`Printer::check`] with these
    /// templates before. A printer loaded afresh (the templates changed)
    /// remembers nothing.
    pub fn passed(&self, key: &CheckKey) -> bool {
        self.passed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(key)
    }

    /// Remembers that the card with this key passed [`Printer::check`].
    pub fn remember_passed(&self, key: CheckKey) {
        let mut passed = self.passed.lock().unwrap_or_else(PoisonError::into_inner);
        if passed.len() >= PASSED_MAX {
            passed.clear();
        }
        passed.insert(key);
    }

    /// One card as a PDF with the office's template (or its no-photo
    /// layout). The error is the card's own problem or a fault of the
    /// office ([`PrintError::is_card_problem`]).
    pub fn card_pdf(&self, card: CardFace, layout: Layout) -> Result<Vec<u8>, PrintError> {
        one_pdf(&self.office, card, layout)
    }

    /// [`Printer::card_pdf`] with the template `name` (see [`Printer::named`]).
    pub fn card_pdf_with(
        &self,
        name: &str,
        card: CardFace,
        layout: Layout,
    ) -> Result<Vec<u8>, PrintError> {
        one_pdf(&*self.named(name)?, card, layout)
    }

    /// Every card that can be printed in one PDF; the others are left out
    /// with their reasons (see [`TemplateSet::render_batch`]).
    pub fn batch(
        &self,
        cards: impl IntoIterator<Item = (CardNumber, Result<CardFace, PrintError>)>,
        layout: Layout,
    ) -> Result<Batch, PrintError> {
        self.office.render_batch(cards, layout)
    }

    /// All cards in one PDF, or the first failure (`citycard print`, which
    /// writes all or nothing); `progress` gets (done, total).
    pub fn render(
        &self,
        cards: impl IntoIterator<Item = Result<CardFace, PrintError>>,
        layout: Layout,
        total: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<u8>, PrintError> {
        self.office.render(cards, layout, total, progress)
    }
}

fn one_pdf(set: &TemplateSet, card: CardFace, layout: Layout) -> Result<Vec<u8>, PrintError> {
    let number = card.card_number;
    let batch = set.render_batch([(number, Ok(card))], layout)?;
    match (batch.pdf, batch.skipped.into_iter().next()) {
        (Some(pdf), _) => Ok(pdf),
        (None, Some(s)) => Err(s.reason),
        (None, None) => Err(PrintError::Pdf("no page was made".into())),
    }
}

/// The office's printer as the server shares it between its workers: loaded
/// at the first use and kept (a failed load is not kept: the next use tries
/// again), replaced by [`SharedPrinter::reload`].
pub struct SharedPrinter {
    templates_dir: PathBuf,
    card_template: String,
    font_dirs: Vec<PathBuf>,
    current: RwLock<Option<Arc<Printer>>>,
}

impl std::fmt::Debug for SharedPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPrinter")
            .field("card_template", &self.card_template)
            .finish_non_exhaustive()
    }
}

impl SharedPrinter {
    /// The configured printer, not loaded yet.
    pub fn new(config: &Config) -> Self {
        SharedPrinter {
            templates_dir: config.templates_dir.clone(),
            card_template: config.card_template.clone(),
            font_dirs: config.font_dirs.clone(),
            current: RwLock::new(None),
        }
    }

    fn load(&self) -> Result<Arc<Printer>, PrintError> {
        Printer::load(
            &self.templates_dir,
            &self.card_template,
            FontLibrary::new(&self.font_dirs),
        )
        .map(Arc::new)
    }

    /// The loaded printer (loaded now when it is the first use).
    pub fn get(&self) -> Result<Arc<Printer>, PrintError> {
        if let Some(p) = &*self.current.read().unwrap_or_else(PoisonError::into_inner) {
            return Ok(p.clone());
        }
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(p) = &*current {
            return Ok(p.clone());
        }
        let printer = self.load()?;
        *current = Some(printer.clone());
        Ok(printer)
    }

    /// Loads the templates and fonts afresh (after the operator changed
    /// them). When they cannot be loaded, the printer in use stays.
    /// Requests already printing finish with the printer they started with.
    pub fn reload(&self) -> Result<Arc<Printer>, PrintError> {
        let printer = self.load()?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(printer.clone());
        Ok(printer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file: Option<&str>, env: &[(&str, &str)]) -> Config {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(file.map(|t| (Path::new("test.toml"), t)), env).unwrap()
    }

    #[test]
    fn font_dirs_come_from_the_file_or_the_environment() {
        assert!(load(None, &[]).font_dirs.is_empty());
        let c = load(Some("font_dirs = [\"/srv/fonts\", \"fonts\"]\n"), &[]);
        assert_eq!(c.font_dirs, [Path::new("/srv/fonts"), Path::new("fonts")]);
        let c = load(
            Some("font_dirs = [\"/srv/fonts\"]\n"),
            &[("CITYCARD_FONT_DIRS", "/a:/b,/c::")],
        );
        assert_eq!(
            c.font_dirs,
            [Path::new("/a"), Path::new("/b"), Path::new("/c")]
        );
    }

    fn shipped(config: &mut Config) {
        config.templates_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-templates");
    }

    #[test]
    fn the_shared_printer_loads_once_and_reloads_on_demand() {
        let mut config = load(None, &[]);
        shipped(&mut config);
        let shared = SharedPrinter::new(&config);
        let first = shared.get().unwrap();
        assert!(Arc::ptr_eq(&first, &shared.get().unwrap()));
        assert!(first.has_no_photo_layout());
        let reloaded = shared.reload().unwrap();
        assert!(!Arc::ptr_eq(&first, &reloaded));
        assert!(Arc::ptr_eq(&reloaded, &shared.get().unwrap()));
        // Another template by name is loaded once and kept too.
        let a = first.named("no-photo").unwrap();
        assert!(Arc::ptr_eq(&a, &first.named("no-photo").unwrap()));
        assert_eq!(
            first.named("no-such-template").unwrap_err().code(),
            "template"
        );
    }

    #[test]
    fn a_template_that_cannot_load_is_not_kept() {
        let mut config = load(None, &[]);
        config.templates_dir = std::env::temp_dir().join("citycard-no-templates-here");
        let shared = SharedPrinter::new(&config);
        assert_eq!(shared.get().unwrap_err().code(), "template");
        assert_eq!(shared.reload().unwrap_err().code(), "template");
    }
}
