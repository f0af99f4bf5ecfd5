//! `citycard print` and `citycard templates check`: PDF cards from templates.

use super::parse_date;
use anyhow::{Context, Result, anyhow, bail};
use citycard::print::{self, CardData, FontLibrary, Layout, Template, template as tpl};
use citycard_credential::{CardClaims, CardNumber, Date, cose, names, text};
use clap::{Args, Subcommand, ValueEnum};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Where templates and fonts come from.
#[derive(Debug, Args)]
pub struct TemplateSource {
    /// Folder holding one folder per template.
    #[arg(long, value_name = "DIR", default_value = tpl::DEFAULT_DIR, env = "CITYCARD_TEMPLATES")]
    templates: PathBuf,
    /// Extra folder to search for the template's font files (repeatable;
    /// also CITYCARD_FONT_DIRS, then /usr/share/fonts and the like).
    #[arg(long = "font-dir", value_name = "DIR")]
    font_dirs: Vec<PathBuf>,
}

/// Paper for sheet mode.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Sheet {
    /// A4 portrait, ten cards with crop marks, backs mirrored for duplex.
    A4,
}

/// Print cards as a PDF for a card printer (one side per page at card size)
/// or for a print shop (`--sheet a4`).
///
/// Names, card number and dates default to those signed in the QR text;
/// when given, they must match it, so the printed card and its QR code
/// always agree.
#[derive(Debug, Args)]
pub struct PrintArgs {
    /// Template name (a folder under --templates).
    #[arg(long, value_name = "NAME")]
    template: String,
    #[command(flatten)]
    source: TemplateSource,
    /// Lay cards out on sheets instead of one card side per page.
    #[arg(long, value_enum, value_name = "PAPER")]
    sheet: Option<Sheet>,
    /// The PDF to write (written to a temporary file, renamed at the end).
    #[arg(long, value_name = "FILE.pdf")]
    out: PathBuf,
    /// The card's QR text (`CC1…`, from `citycard card sign`).
    #[arg(long, value_name = "TEXT", required_unless_present = "batch")]
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
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "qr_text")]
    dob: Option<Date>,
    /// The holder's photo (JPEG or PNG, at most 10 MB).
    #[arg(long, value_name = "FILE", requires = "qr_text")]
    photo: Option<PathBuf>,
    /// Many cards: a JSON Lines file, one card per line:
    /// {"qr_text": "CC1…", "photo": "photos/1.jpg"} and optionally the other
    /// fields (given_names, family_name, expires, card_number, date_of_birth).
    /// Photo paths are relative to the batch file.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "qr_text")]
    batch: Option<PathBuf>,
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
        let names = match &self.name {
            Some(n) => vec![n.clone()],
            None => tpl::list(&self.source.templates)?,
        };
        if names.is_empty() {
            bail!("no templates in {}", self.source.templates.display());
        }
        let mut failed = 0;
        for name in &names {
            let dir = tpl::dir_of(&self.source.templates, name)?;
            let problems = tpl::check_dir(&dir, &fonts);
            let errors = problems.iter().filter(|p| !p.is_warning()).count();
            for p in &problems {
                println!("{p}");
            }
            if errors == 0 {
                println!("{name}: ok");
            } else {
                println!("{name}: {errors} problem(s)");
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
    dob: Option<Date>,
    photo: Option<&Path>,
) -> Result<CardData> {
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
    Ok(CardData {
        given_names: claims.given_names,
        family_name: claims.family_name,
        card_number: claims.card_number,
        expires: claims.expires,
        date_of_birth: claims.date_of_birth,
        qr_text: qr_text.trim_ascii().to_string(),
        photo,
    })
}

fn read_photo(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the photo {}", path.display()))?;
    if meta.len() > print::photo::MAX_PHOTO_BYTES as u64 {
        bail!(
            "photo {}: the file is {:.1} MB; at most {} MB are accepted",
            path.display(),
            meta.len() as f64 / 1_048_576.0,
            print::photo::MAX_PHOTO_BYTES / 1_048_576
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read the photo {}", path.display()))
}

fn batch_card(line: &str, base: &Path) -> Result<CardData> {
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
        date(&b.date_of_birth, "date_of_birth")?,
        photo.as_deref(),
    )
}

impl PrintArgs {
    /// Runs `citycard print`.
    pub fn run(self) -> Result<()> {
        let fonts = FontLibrary::new(&self.source.font_dirs);
        let template = Template::load(&self.source.templates, &self.template, &fonts)?;
        let layout = match self.sheet {
            Some(Sheet::A4) => Layout::SheetA4,
            None => Layout::CardPrinter,
        };
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
                print::render(&template, [Ok(card)], layout, 1, &mut |_, _| {})?
            }
            Some(batch) => self.render_batch(batch, &template, layout)?,
        };
        print::write_atomically(&self.out, &pdf)?;
        if !self.quiet {
            eprintln!(
                "wrote {} ({} KB, template {})",
                self.out.display(),
                pdf.len().div_ceil(1024),
                template.name
            );
        }
        Ok(())
    }

    fn render_batch(&self, batch: &Path, template: &Template, layout: Layout) -> Result<Vec<u8>> {
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
        let tty = std::io::stderr().is_terminal();
        let quiet = self.quiet;
        let mut progress = |done: usize, total: usize| {
            if quiet {
                return;
            }
            let step = (total / 10).max(1);
            if tty {
                eprint!("\rprinting: {done}/{total} cards");
                if done == total {
                    eprintln!();
                }
                let _ = std::io::stderr().flush();
            } else if done.is_multiple_of(step) || done == total {
                eprintln!("printing: {done}/{total} cards");
            }
        };
        let iter = cards.iter().map(|(line_no, line)| {
            batch_card(line, &base)
                .map_err(|e| print::PrintError::Input(format!("line {line_no}: {e:#}")))
        });
        Ok(print::render(template, iter, layout, total, &mut progress)?)
    }
}
