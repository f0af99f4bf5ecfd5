//! `citycard print` and `citycard templates check`: PDF cards from templates.

use super::{parse_birth_date, parse_date};
use anyhow::{Context, Result, anyhow, bail};
use citycard::config::PhotoRetention;
use citycard::office::actor::Actor;
use citycard::office::cards::PRINT_QUEUE_LIMIT;
use citycard::output::pdf::{self, FontLibrary, Layout, Template, template as tpl};
use citycard::output::{CardFace, Printer};
use citycard_credential::{BirthDate, CardClaims, CardNumber, Date, cose, names, text};
use clap::{Args, Subcommand, ValueEnum};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Where templates and fonts come from.
#[derive(Debug, Args)]
pub struct TemplateSource {
    /// Folder holding one folder per template [default: ./card-templates].
    #[arg(long, value_name = "DIR", env = "CITYCARD_TEMPLATES")]
    templates: Option<PathBuf>,
    /// Extra folder to search for the template's font files (repeatable;
    /// also CITYCARD_FONT_DIRS, then /usr/share/fonts and the like).
    #[arg(long = "font-dir", value_name = "DIR")]
    font_dirs: Vec<PathBuf>,
}

impl TemplateSource {
    /// The templates folder: the flag (or `CITYCARD_TEMPLATES`), else `fallback`.
    fn dir_or(&self, fallback: &Path) -> PathBuf {
        self.templates
            .clone()
            .unwrap_or_else(|| fallback.to_path_buf())
    }
}

/// Paper for sheet mode.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Sheet {
    /// A4 portrait, ten cards with crop marks, backs mirrored for duplex.
    A4,
}

/// Print cards as a PDF for a card printer (one side per page at card size)
/// or for a print shop (`--sheet a4`). The text below is its `--help` (the
/// subcommand's one-line doc in [`super::Command`] replaces a doc comment
/// here).
#[derive(Debug, Args)]
#[command(after_help = "\
One card (--qr-text), many (--batch FILE.jsonl) or the office's print queue
(--queue). Names, card number and dates default to those signed in the QR
text; when given, they must match it, so the printed card and its QR code
always agree.

--queue opens the office from its configuration, as `citycard admin` does;
--templates and --template then default to the configuration's templates_dir
and card_template.")]
pub struct PrintArgs {
    /// Template name (a folder under --templates) [with --queue, default:
    /// the configuration's card_template].
    #[arg(long, value_name = "NAME", required_unless_present = "queue")]
    template: Option<String>,
    #[command(flatten)]
    source: TemplateSource,
    /// Lay cards out on sheets instead of one card side per page.
    #[arg(long, value_enum, value_name = "PAPER")]
    sheet: Option<Sheet>,
    /// The PDF to write (written to a temporary file, renamed at the end).
    #[arg(long, value_name = "FILE.pdf")]
    out: PathBuf,
    /// The card's QR text (`CC1…`, from `citycard card sign`).
    #[arg(long, value_name = "TEXT", required_unless_present_any = ["batch", "queue"])]
    qr_text: Option<String>,
    /// Given names as printed [default: from the QR text].
    #[arg(long, value_name = "G", requires = "qr_text")]
    given_names: Option<String>,
    /// Family name as printed [default: from the QR text].
    #[arg(long, value_name = "F", requires = "qr_text")]
    family_name: Option<String>,
    /// Last valid day [default: from the QR text].
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "qr_text")]
    expires: Option<Date>,
    /// Card number [default: from the QR text].
    #[arg(long, value_name = "N", requires = "qr_text")]
    card_number: Option<String>,
    /// Date of birth [default: from the QR text, if it has one].
    #[arg(long, value_name = "DATE", value_parser = parse_birth_date, requires = "qr_text")]
    dob: Option<BirthDate>,
    /// The holder's photo (JPEG or PNG, at most 10 MB).
    #[arg(long, value_name = "FILE", requires = "qr_text")]
    photo: Option<PathBuf>,
    /// Many cards: a JSON Lines file, one card per line:
    /// {"qr_text": "CC1…", "photo": "photos/1.jpg"} and optionally the other
    /// fields (given_names, family_name, expires, card_number, date_of_birth).
    /// Photo paths are relative to the batch file.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "qr_text")]
    batch: Option<PathBuf>,
    /// Print every card in the office's print queue (oldest first, at most
    /// 500 per run) into one PDF.
    #[arg(long, conflicts_with_all = ["qr_text", "batch"])]
    queue: bool,
    /// With --queue: the office's configuration file [default:
    /// ./citycard.toml when it exists; CITYCARD_* variables override it].
    #[arg(long, value_name = "FILE", requires = "queue")]
    config: Option<PathBuf>,
    /// With --queue: once the PDF is written, mark its cards printed (their
    /// photos are deleted as the photo_retention setting says).
    #[arg(long, requires = "queue")]
    mark_printed: bool,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

/// `citycard templates …`
#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Check one template (or all) and report every problem with its place.
    Check(CheckArgs),
}

/// Arguments of `templates check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The template to check [default: every template].
    name: Option<String>,
    #[command(flatten)]
    source: TemplateSource,
}

impl TemplatesCommand {
    /// Runs the command; problems make it fail.
    pub fn run(self) -> Result<()> {
        match self {
            TemplatesCommand::Check(a) => a.run(),
        }
    }
}

impl CheckArgs {
    fn run(self) -> Result<()> {
        let fonts = FontLibrary::new(&self.source.font_dirs);
        let root = self.source.dir_or(Path::new(tpl::DEFAULT_DIR));
        let names = match &self.name {
            Some(n) => vec![n.clone()],
            None => tpl::list(&root)?,
        };
        if names.is_empty() {
            bail!("no templates in {}", root.display());
        }
        let mut failed = 0;
        for name in &names {
            let dir = tpl::dir_of(&root, name)?;
            let problems = tpl::check_dir(&dir, &fonts);
            let errors = problems.iter().filter(|p| !p.is_warning()).count();
            for p in &problems {
                outln!("{p}")?;
            }
            if errors == 0 {
                outln!("{name}: ok")?;
            } else {
                outln!("{name}: {errors} problem(s)")?;
                failed += 1;
            }
        }
        if failed > 0 {
            bail!("{failed} of {} template(s) have problems", names.len());
        }
        Ok(())
    }
}

/// One line of a batch file.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    qr_text: String,
    given_names: Option<String>,
    family_name: Option<String>,
    expires: Option<String>,
    card_number: Option<String>,
    date_of_birth: Option<String>,
    photo: Option<PathBuf>,
}

/// What the QR text says (read without verifying the signature: this is
/// only to print and cross-check, never to trust).
fn claims_of(qr_text: &str) -> Result<CardClaims> {
    let bytes = text::decode(qr_text).map_err(|e| anyhow!("the QR text is not a card: {e}"))?;
    let parsed = cose::parse(&bytes, text::MAX_COSE_BYTES, None)
        .map_err(|e| anyhow!("the QR text is not a card: {e}"))?;
    CardClaims::from_cbor(parsed.payload()).map_err(|e| anyhow!("the QR text is not a card: {e}"))
}

/// Builds the card from the QR text, checking each given value against it.
fn card_from(
    qr_text: &str,
    given_names: Option<String>,
    family_name: Option<String>,
    expires: Option<Date>,
    card_number: Option<&str>,
    dob: Option<BirthDate>,
    photo: Option<&Path>,
) -> Result<CardFace> {
    let claims = claims_of(qr_text)?;
    let check = |what: &str, ok: bool| -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(anyhow!(
                "the {what} given does not match the one signed in the QR text"
            ))
        }
    };
    if let Some(g) = &given_names {
        check("given names", names::normalize(g) == claims.given_names)?;
    }
    if let Some(f) = &family_name {
        check("family name", names::normalize(f) == claims.family_name)?;
    }
    if let Some(e) = expires {
        check("expiry date", e == claims.expires)?;
    }
    if let Some(n) = card_number {
        let n: CardNumber = n.parse().context("bad card number")?;
        check("card number", n == claims.card_number)?;
    }
    if let Some(d) = dob {
        check("date of birth", Some(d) == claims.date_of_birth)?;
    }
    let photo = match photo {
        None => None,
        Some(p) => Some(read_photo(p)?),
    };
    Ok(CardFace {
        given_names: claims.given_names,
        family_name: claims.family_name,
        card_number: claims.card_number,
        issued: claims.issued,
        expires: claims.expires,
        date_of_birth: claims.date_of_birth,
        qr_text: qr_text.trim_ascii().to_string(),
        photo,
    })
}

fn read_photo(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the photo {}", path.display()))?;
    if meta.len() > pdf::photo::MAX_PHOTO_BYTES as u64 {
        bail!(
            "photo {}: the file is {:.1} MB; at most {} MB are accepted",
            path.display(),
            meta.len() as f64 / 1_048_576.0,
            pdf::photo::MAX_PHOTO_BYTES / 1_048_576
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read the photo {}", path.display()))
}

fn batch_card(line: &str, base: &Path) -> Result<CardFace> {
    let b: BatchLine = serde_json::from_str(line).map_err(|e| match e.classify() {
        // Messages of data errors can quote the values (names): keep only the place.
        serde_json::error::Category::Data if e.to_string().starts_with("unknown field") => {
            anyhow!("{e}")
        }
        _ => anyhow!(
            "not a valid card line (JSON error at column {})",
            e.column()
        ),
    })?;
    let date = |s: &Option<String>, what: &str| -> Result<Option<Date>> {
        s.as_deref()
            .map(|s| parse_date(s).map_err(|_| anyhow!("{what}: not a date YYYY-MM-DD")))
            .transpose()
    };
    let photo = b.photo.as_ref().map(|p| base.join(p));
    card_from(
        &b.qr_text,
        b.given_names,
        b.family_name,
        date(&b.expires, "expires")?,
        b.card_number.as_deref(),
        b.date_of_birth
            .as_deref()
            .map(|s| {
                parse_birth_date(s)
                    .map_err(|_| anyhow!("date_of_birth: not a date YYYY-MM-DD, YYYY-MM or YYYY"))
            })
            .transpose()?,
        photo.as_deref(),
    )
}

impl PrintArgs {
    /// Runs `citycard print`.
    pub fn run(self) -> Result<()> {
        if self.queue {
            return self.run_queue();
        }
        let fonts = FontLibrary::new(&self.source.font_dirs);
        let name = self
            .template
            .as_deref()
            .ok_or_else(|| anyhow!("give --template"))?;
        let root = self.source.dir_or(Path::new(tpl::DEFAULT_DIR));
        // Exactly this template: no fallback layout for cards without photo.
        let printer = Printer::single(Template::load(&root, name, &fonts)?, fonts);
        let layout = self.layout();
        let pdf = match &self.batch {
            None => {
                let qr_text = self
                    .qr_text
                    .as_deref()
                    .ok_or_else(|| anyhow!("give --qr-text or --batch"))?;
                let card = card_from(
                    qr_text,
                    self.given_names.clone(),
                    self.family_name.clone(),
                    self.expires,
                    self.card_number.as_deref(),
                    self.dob,
                    self.photo.as_deref(),
                )?;
                flat(printer.render([Ok(card)], layout, 1, &mut |_, _| {}))?
            }
            Some(batch) => self.render_batch(batch, &printer, layout)?,
        };
        flat(pdf::write_atomically(&self.out, &pdf))?;
        if !self.quiet {
            eprintln!(
                "wrote {} ({} KB, template {})",
                self.out.display(),
                pdf.len().div_ceil(1024),
                printer.main().name
            );
        }
        Ok(())
    }

    fn render_batch(&self, batch: &Path, printer: &Printer, layout: Layout) -> Result<Vec<u8>> {
        let file = std::fs::File::open(batch)
            .with_context(|| format!("cannot read the batch file {}", batch.display()))?;
        let lines: Vec<String> = std::io::BufReader::new(file)
            .lines()
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read the batch file {}", batch.display()))?;
        let base = batch.parent().unwrap_or(Path::new(".")).to_path_buf();
        let cards: Vec<(usize, &String)> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (i + 1, l))
            .collect();
        let total = cards.len();
        if total == 0 {
            bail!("the batch file {} has no cards", batch.display());
        }
        let mut progress = progress(self.quiet, |done, total| {
            format!("printing: {done}/{total} cards")
        });
        let iter = cards.iter().map(|(line_no, line)| {
            batch_card(line, &base)
                .map_err(|e| pdf::PrintError::Input(format!("line {line_no}: {e:#}")))
        });
        flat(printer.render(iter, layout, total, &mut progress))
    }
}

impl PrintArgs {
    fn layout(&self) -> Layout {
        match self.sheet {
            Some(Sheet::A4) => Layout::SheetA4,
            None => Layout::CardPrinter,
        }
    }

    /// `citycard print --queue`: every card of the office's print queue into
    /// one PDF, then (with `--mark-printed`) each marked printed.
    ///
    /// The command line acts as [`Actor::command_line_printing`] (recorded
    /// as `cli`): the admin of `citycard admin` may not print.
    fn run_queue(&self) -> Result<()> {
        let office = super::admin::open_office(self.config.as_deref())?;
        let actor = Actor::command_line_printing(office.office_name());
        let config = office.config();
        // --font-dir first, then the configuration's font_dirs.
        let fonts = FontLibrary::new(&[&self.source.font_dirs[..], &config.font_dirs[..]].concat());
        let root = self.source.dir_or(&config.templates_dir);
        let name = self.template.as_deref().unwrap_or(&config.card_template);
        // The template and its layout for cards without photo.
        let printer = Printer::load(&root, name, fonts)?;

        // Card numbers only: each card's data is read as it is printed.
        let numbers: Vec<CardNumber> = office.print_queue_numbers(&actor)?;
        if numbers.is_empty() {
            eprintln!(
                "The print queue is empty: nothing to print, no PDF written ({} left as it was).",
                self.out.display()
            );
            return Ok(());
        }
        let total = numbers.len();
        if !self.quiet {
            eprintln!(
                "{total} card(s) in the print queue; template {}.",
                printer.main().name
            );
        }
        if i64::try_from(total).is_ok_and(|n| n >= PRINT_QUEUE_LIMIT) {
            eprintln!(
                "note: the queue may hold more cards; this PDF has the oldest {total}. \
                 Run again after marking them printed."
            );
        }

        // One card at a time from the database (at most one photo in
        // memory); a card revoked or printed meanwhile stops the run. The
        // office records the PDF in the audit log once it is written.
        let pdf = office.print_cards(&actor, &numbers, |cards| -> Result<(Vec<u8>, usize)> {
            let cards = cards.enumerate().map(|(i, (n, card))| {
                card.map_err(|e| pdf::PrintError::Card {
                    index: i + 1,
                    number: n.to_string(),
                    source: Box::new(pdf::PrintError::Input(format!(
                        "{e} (run the command again to print the queue as it is now)"
                    ))),
                })
            });
            let mut progress = progress(self.quiet, |done, total| {
                format!("rendering card {done}/{total}")
            });
            let pdf = flat(printer.render(cards, self.layout(), total, &mut progress))?;
            flat(pdf::write_atomically(&self.out, &pdf))?;
            Ok((pdf, total))
        })?;
        eprintln!(
            "Wrote {} ({total} card(s), {} KB).",
            self.out.display(),
            pdf.len().div_ceil(1024)
        );
        drop(pdf);

        if !self.mark_printed {
            eprintln!(
                "The cards stay in the queue: mark them printed once they are printed \
                 (--mark-printed, or the print queue page)."
            );
            return Ok(());
        }
        let (mut marked, mut skipped) = (0usize, 0usize);
        for n in &numbers {
            match office.mark_printed(&actor, *n) {
                Ok(()) => marked += 1,
                // Marked printed or revoked meanwhile: leave it.
                Err(citycard::Error::InvalidState(_)) => skipped += 1,
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "marking printed stopped after {marked} of {total} card(s); \
                         the PDF holds all {total}, the others stay in the queue"
                    )));
                }
            }
        }
        let photos = match config.photo_retention {
            PhotoRetention::AfterPrinting => "their photos are deleted".to_owned(),
            PhotoRetention::Days(d) => format!("their photos will be deleted in {d} day(s)"),
        };
        eprintln!("Marked {marked} card(s) printed; {photos}.");
        if skipped > 0 {
            eprintln!(
                "{skipped} card(s) were marked printed or revoked meanwhile and were left alone."
            );
        }
        Ok(())
    }
}

/// Progress on stderr, counts only (never a name or card number): updated
/// in place on a terminal, otherwise a line every tenth of the run.
fn progress(quiet: bool, line: fn(usize, usize) -> String) -> impl FnMut(usize, usize) {
    let tty = std::io::stderr().is_terminal();
    move |done, total| {
        if quiet {
            return;
        }
        let step = (total / 10).max(1);
        if tty {
            eprint!("\r{}", line(done, total));
            if done >= total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        } else if done.is_multiple_of(step) || done == total {
            eprintln!("{}", line(done, total));
        }
    }
}

/// A print error as one message: its text already holds its cause (which
/// `{:#}` would otherwise repeat).
fn flat<T>(r: Result<T, pdf::PrintError>) -> Result<T> {
    r.map_err(|e| anyhow!("{e}"))
}
