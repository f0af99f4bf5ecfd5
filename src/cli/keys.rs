//! `citycard keys …`: the key ceremony.

use super::{add_days, add_years, parse_date};
use crate::keys::{self as store, KeyFileKind, PassphraseSource};
use anyhow::{Context, Result, anyhow, bail};
use citycard_credential::trust_list::{KeyUsage, TrustList, TrustedKey};
use citycard_credential::{
    CardNumber, Date, ListFormat, MAX_REVOCATION_LIST_BYTES, MAX_TRUST_LIST_BYTES, RevocationList,
    SigningKey, date, keys as ckeys, names,
};
use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// Where to find the passphrase of an encrypted private key.
#[derive(Debug, Clone, Args)]
pub struct PassphraseArgs {
    /// Read the passphrase from the first line of FILE. Without it the
    /// passphrase comes from the environment variable CITYCARD_ROOT_PASSPHRASE,
    /// or is asked for when stdin is a terminal.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

impl PassphraseArgs {
    pub fn source(&self) -> PassphraseSource {
        PassphraseSource {
            file: self.passphrase_file.clone(),
            use_env: true,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make the city root key (keep it offline): writes KEY and its .pub, prints the fingerprint.
    ///
    /// The private key is written as PKCS#8 PEM with mode 0600, the public key
    /// next to it as SPKI PEM (`root.key` → `root.pub`). Existing files are
    /// never overwritten without --force. With --encrypt, --passphrase-file
    /// or CITYCARD_ROOT_PASSPHRASE set, the private key is encrypted (PBES2:
    /// scrypt + AES-256-CBC; `openssl pkey` reads it).
    InitRoot(InitRoot),
    /// Make an office signing key: writes KEY and its .pub, prints the kid.
    ///
    /// The .pub file is plain SPKI PEM and does not hold the office name: give
    /// the name again with --office-name when making the trust list.
    NewOffice(NewOffice),
    /// Sign the trust list (the office keys desks accept) with the root key.
    TrustList(TrustListArgs),
    /// Sign a revocation list (the numbers of revoked cards).
    Revocations(Revocations),
    /// Show a key, trust list or revocation list in readable form (never a secret).
    Show(Show),
    /// Encrypt a private key with a (new) passphrase, or decrypt it, into a new file.
    SetPassphrase(SetPassphrase),
    /// New personal-data keys (data.key, dedup.key): seal everything again, retire the old ones.
    RotateDataKey(super::rotate::RotateDataKey),
}

impl KeysCommand {
    pub fn run(self) -> Result<()> {
        match self {
            KeysCommand::InitRoot(a) => a.run(),
            KeysCommand::NewOffice(a) => a.run(),
            KeysCommand::TrustList(a) => a.run(),
            KeysCommand::Revocations(a) => a.run(),
            KeysCommand::Show(a) => a.run(),
            KeysCommand::SetPassphrase(a) => a.run(),
            KeysCommand::RotateDataKey(a) => a.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct InitRoot {
    /// The private key file to write; the public key goes next to it (.key → .pub).
    #[arg(long, value_name = "KEY")]
    out: PathBuf,
    /// Encrypt the private key with a passphrase.
    #[arg(long)]
    encrypt: bool,
    /// Overwrite existing files (the old key is lost).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

impl InitRoot {
    fn run(self) -> Result<()> {
        let source = self.passphrase.source();
        let public_path = store::public_path_for(&self.out);
        store::check_can_write(&[&self.out, &public_path], self.force)?;
        let passphrase = if self.encrypt {
            Some(source.for_writing(&self.out)?)
        } else {
            source.given()?
        };
        let key = ckeys::generate();
        store::write_key_pair(
            &self.out,
            &key,
            passphrase.as_deref().map(String::as_str),
            self.force,
        )?;
        let public = key.verifying_key();
        eprintln!(
            "Wrote the root private key {} ({}, mode 0600) and the public key {}.",
            self.out.display(),
            if passphrase.is_some() {
                "encrypted"
            } else {
                "NOT encrypted"
            },
            public_path.display()
        );
        eprintln!("Keep the private key offline. Root key fingerprint (give it to every desk):");
        outln!("{}", ckeys::fingerprint_display(&public))?;
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct NewOffice {
    /// The office's name, as the trust list will show it (e.g. "Bürgeramt Mitte").
    #[arg(long, value_name = "NAME")]
    office: String,
    /// The private key file to write; the public key goes next to it (.key → .pub).
    #[arg(long, value_name = "KEY")]
    out: PathBuf,
    /// Encrypt the private key with a passphrase (the server then needs it too).
    #[arg(long)]
    encrypt: bool,
    /// Overwrite existing files (the old key is lost).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

impl NewOffice {
    fn run(self) -> Result<()> {
        let office = office_name(&self.office)?;
        let public_path = store::public_path_for(&self.out);
        store::check_can_write(&[&self.out, &public_path], self.force)?;
        let source = self.passphrase.source();
        let passphrase = if self.encrypt || self.passphrase.passphrase_file.is_some() {
            Some(source.for_writing(&self.out)?)
        } else {
            None
        };
        let key = ckeys::generate();
        store::write_key_pair(
            &self.out,
            &key,
            passphrase.as_deref().map(String::as_str),
            self.force,
        )?;
        let kid = ckeys::to_hex(&ckeys::kid(&key.verifying_key()));
        eprintln!(
            "Wrote the office key {} (mode 0600) and the public key {}.",
            self.out.display(),
            public_path.display()
        );
        eprintln!(
            "Add it to the trust list with: --office {} --office-name {:?}",
            public_path.display(),
            office
        );
        eprintln!("Key id (kid):");
        outln!("{kid}")?;
        Ok(())
    }
}

/// Normalises an office name and checks it against the name rules.
fn office_name(text: &str) -> Result<String> {
    let name = names::normalize(text);
    names::check(citycard_credential::NameField::FamilyName, &name, false)
        .map_err(|e| anyhow!("the office name {}", describe_name_problem(&e)))?;
    Ok(name)
}

/// "is empty", "has more than 64 characters", … from a name error.
fn describe_name_problem(e: &citycard_credential::Error) -> String {
    match e {
        citycard_credential::Error::Name { problem, .. } => problem.to_string(),
        other => other.to_string(),
    }
}

/// What an office key may sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Usage {
    /// Cards only.
    Cards,
    /// Revocation lists only.
    Revocations,
    /// Cards and revocation lists (lets the office server publish revocations).
    All,
}

impl From<Usage> for KeyUsage {
    fn from(u: Usage) -> Self {
        match u {
            Usage::Cards => KeyUsage::CARDS,
            Usage::Revocations => KeyUsage::REVOCATIONS,
            Usage::All => KeyUsage::ALL,
        }
    }
}

#[derive(Debug, Args)]
#[command(after_help = "\
Office names: .pub files hold only the key, so give one --office-name per
--office, in the same order:
  citycard keys trust-list --root root.key --issuer bern --city-name \"Stadt Bern\" \\
      --office mitte.pub --office-name \"Bürgeramt Mitte\" \\
      --office nord.pub --office-name \"Bürgeramt Nord\" --out trust-list.cose

Date defaults (they apply to every --office key):
  --issued        today
  --next-update   issued + 30 days
  --sign-from     issued
  --sign-until    sign-from + 2 years
  --verify-until  sign-until + 10 years + 1 day (room for a card signed on the
                  last day with a validity of up to 10 years)

Key rotation: --keep-from OLD.cose copies every key of the previous list (which
must verify against the same root key) with its own dates, so cards signed by
retired keys stay valid; add the new key with --office.")]
pub struct TrustListArgs {
    /// The root private key that signs the list.
    #[arg(long, value_name = "KEY")]
    root: PathBuf,
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// An office public key (.pub) to list; repeat for several offices.
    #[arg(long, value_name = "PUB")]
    office: Vec<PathBuf>,
    /// The office name for the --office at the same position; one per --office.
    #[arg(long, value_name = "NAME")]
    office_name: Vec<String>,
    /// Keep all keys of this earlier trust list (for key rotation).
    #[arg(long, value_name = "FILE")]
    keep_from: Option<PathBuf>,
    /// The file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The issuer identifier every card carries, e.g. "bern" ("dev" is reserved for development lists).
    #[arg(long, value_name = "ID")]
    issuer: String,
    /// The city's name for people, e.g. "Stadt Bern".
    #[arg(long, value_name = "NAME")]
    city_name: String,
    /// Issue date of the list [default: today].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    issued: Option<Date>,
    /// Date by which a newer list will be published; desks warn after it [default: issued + 30 days].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    next_update: Option<Date>,
    /// First day the --office keys may sign [default: issued].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    sign_from: Option<Date>,
    /// Last day the --office keys may sign [default: sign-from + 2 years].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    sign_until: Option<Date>,
    /// Last day cards signed by the --office keys may be verified [default: sign-until + 10 years + 1 day].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    verify_until: Option<Date>,
    /// What the --office keys may sign.
    #[arg(long, value_enum, default_value_t = Usage::All)]
    usage: Usage,
}

impl TrustListArgs {
    fn run(self) -> Result<()> {
        if self.office.len() != self.office_name.len() {
            bail!(
                "give exactly one --office-name for each --office (got {} --office and {} \
                 --office-name)",
                self.office.len(),
                self.office_name.len()
            );
        }
        if self.office.is_empty() && self.keep_from.is_none() {
            bail!("give at least one --office key (or --keep-from an earlier trust list)");
        }
        let issuer = issuer_id(&self.issuer)?;
        if issuer == citycard_credential::DEVELOPMENT_ISSUER {
            eprintln!(
                "Note: the issuer \"{issuer}\" is reserved for development trust lists: every \
                 verifier marks their cards as DEVELOPMENT KEYS, not real City Cards."
            );
        }
        let city = names::normalize(&self.city_name);
        names::check(citycard_credential::NameField::FamilyName, &city, false)
            .map_err(|e| anyhow!("the city name {}", describe_name_problem(&e)))?;
        let issued = self.issued.unwrap_or_else(date::today_utc);
        let next_update = self.next_update.unwrap_or_else(|| add_days(issued, 30));
        let sign_from = self.sign_from.unwrap_or(issued);
        let sign_until = self.sign_until.unwrap_or_else(|| add_years(sign_from, 2));
        let verify_until = self
            .verify_until
            .unwrap_or_else(|| add_days(add_years(sign_until, 10), 1));
        if next_update < issued {
            bail!("--next-update must not be before --issued");
        }
        if !(sign_from <= sign_until && sign_until <= verify_until) {
            bail!("the dates must be in order: --sign-from ≤ --sign-until ≤ --verify-until");
        }

        let root = store::read_private_key(&self.root, &self.passphrase.source())?;
        let root_public = root.verifying_key();
        let mut keys: Vec<TrustedKey> = Vec::new();
        if let Some(old) = &self.keep_from {
            let bytes = read_file(old, MAX_TRUST_LIST_BYTES, "trust list")?;
            let list = TrustList::verify(&bytes, &root_public).with_context(|| {
                format!(
                    "the trust list {} cannot be kept: it does not verify with this root key",
                    old.display()
                )
            })?;
            keys.extend(list.keys);
        }
        for (path, name) in self.office.iter().zip(&self.office_name) {
            let public = store::read_public_key(path)?;
            if public == root_public {
                bail!(
                    "{} is the root key's public key; the root key must not sign cards",
                    path.display()
                );
            }
            let office = office_name(name)?;
            let entry = TrustedKey::new(
                public,
                office,
                sign_from,
                sign_until,
                verify_until,
                self.usage.into(),
            );
            if keys.iter().any(|k| k.kid == entry.kid) {
                bail!("the key {} is listed twice", path.display());
            }
            keys.push(entry);
        }
        let list = TrustList {
            issuer,
            name: city,
            issued,
            next_update,
            root: root_public,
            keys,
        };
        let bytes = list.sign(&root).context("could not sign the trust list")?;
        TrustList::verify(&bytes, &root_public).context("the signed trust list does not verify")?;
        store::write_new_file(&self.out, &bytes, 0o644, true)?;
        outln!(
            "Wrote the trust list {} ({} bytes): issuer {}, {} key(s), issued {}, next update {}.",
            self.out.display(),
            bytes.len(),
            list.issuer,
            list.keys.len(),
            date::format(list.issued),
            date::format(list.next_update)
        )?;
        outln!(
            "Root key fingerprint: {}",
            ckeys::fingerprint_display(&root_public)
        )?;
        Ok(())
    }
}

/// Checks an issuer identifier against the rules.
fn issuer_id(text: &str) -> Result<String> {
    let id = text.trim().to_owned();
    names::check(citycard_credential::NameField::Issuer, &id, false)
        .map_err(|e| anyhow!("the issuer {}", describe_name_problem(&e)))?;
    Ok(id)
}

/// Reads a list file with a size cap and a clear error.
pub fn read_file(path: &Path, max: usize, what: &str) -> Result<Vec<u8>> {
    store::read_limited(path, max as u64)
        .with_context(|| format!("could not read the {what} file {}", path.display()))
}

#[derive(Debug, Args)]
#[command(after_help = "\
The numbers file has one card number a line (12 digits; spaces and hyphens
between them are fine). Blank lines are skipped, and everything from a `#` to
the end of the line is a comment. Every number's check digit is verified.

The issuer comes from --issuer, or from --trust-list (which also checks that
the signing key is the root key or an office key allowed to sign revocations).")]
pub struct Revocations {
    /// The signing key: the root key, or an office key whose usage includes revocations.
    #[arg(long, visible_alias = "key", value_name = "KEY")]
    root: PathBuf,
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// The file with the revoked card numbers.
    #[arg(long, value_name = "FILE")]
    revoked: PathBuf,
    /// The file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The issuer identifier, as in the trust list.
    #[arg(
        long,
        value_name = "ID",
        required_unless_present = "trust_list",
        conflicts_with = "trust_list"
    )]
    issuer: Option<String>,
    /// Take the issuer from this trust list and check the signing key against it.
    #[arg(long, value_name = "FILE")]
    trust_list: Option<PathBuf>,
    /// Issue date of the list [default: today].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    issued: Option<Date>,
    /// Date by which a newer list will be published; desks warn after it [default: issued + 7 days].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    next_update: Option<Date>,
    /// The list format (docs/card-format.md §8): 2 (Golomb–Rice, ~45 % of
    /// the size) or 1 (5 bytes a number, for verifiers that cannot read 2 yet).
    #[arg(long, value_name = "VERSION", default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
    list_version: u8,
}

/// Parses the numbers file; errors name the line.
pub fn parse_numbers(text: &str, file: &Path) -> Result<Vec<CardNumber>> {
    let mut numbers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let number: CardNumber = content
            .parse()
            .map_err(|e| anyhow!("{} line {}: {e}", file.display(), i + 1))?;
        numbers.push(number);
    }
    Ok(numbers)
}

impl Revocations {
    fn run(self) -> Result<()> {
        let issued = self.issued.unwrap_or_else(date::today_utc);
        let next_update = self.next_update.unwrap_or_else(|| add_days(issued, 7));
        if next_update < issued {
            bail!("--next-update must not be before --issued");
        }
        let bytes = read_file(&self.revoked, 64 * 1024 * 1024, "revoked numbers")?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow!("{} is not UTF-8 text", self.revoked.display()))?;
        let numbers = parse_numbers(&text, &self.revoked)?;
        let count = numbers.len();

        let key = store::read_private_key(&self.root, &self.passphrase.source())?;
        let trust = match &self.trust_list {
            Some(path) => {
                let bytes = read_file(path, MAX_TRUST_LIST_BYTES, "trust list")?;
                let (list, _) = TrustList::inspect(&bytes)
                    .with_context(|| format!("could not read the trust list {}", path.display()))?;
                check_revocation_signer(&list, &key, issued)?;
                Some(list)
            }
            None => None,
        };
        let issuer = match (&self.issuer, &trust) {
            (Some(id), _) => issuer_id(id)?,
            (None, Some(list)) => list.issuer.clone(),
            (None, None) => bail!("give --issuer or --trust-list"),
        };
        let list = RevocationList::new(issuer, issued, next_update, numbers);
        let format = if self.list_version == 1 {
            ListFormat::V1
        } else {
            ListFormat::V2
        };
        let bytes = list
            .sign_as(format, &key)
            .context("could not sign the revocation list")?;
        if let Some(trust) = &trust {
            RevocationList::verify(&bytes, trust)
                .context("the signed revocation list would not be accepted with this trust list")?;
        }
        store::write_new_file(&self.out, &bytes, 0o644, true)?;
        outln!(
            "Wrote the revocation list {} ({} bytes): issuer {}, {} number(s){}, issued {}, next \
             update {}.",
            self.out.display(),
            bytes.len(),
            list.issuer,
            list.len(),
            if list.len() < count {
                format!(" ({} duplicate(s) dropped)", count - list.len())
            } else {
                String::new()
            },
            date::format(list.issued),
            date::format(list.next_update)
        )?;
        Ok(())
    }
}

/// Checks that a key may sign revocation lists under this trust list.
fn check_revocation_signer(list: &TrustList, key: &SigningKey, issued: Date) -> Result<()> {
    let public = key.verifying_key();
    if public == list.root {
        return Ok(());
    }
    let Some(entry) = list.key(&ckeys::kid(&public)) else {
        bail!("the signing key is neither the trust list's root key nor one of its office keys");
    };
    if !entry.usage.allows(KeyUsage::REVOCATIONS) {
        bail!("the trust list does not allow this office key to sign revocation lists");
    }
    if !entry.may_sign_on(issued) {
        bail!("the issue date is outside this office key's signing window in the trust list");
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct Show {
    /// A private key, public key, trust list or revocation list file.
    file: PathBuf,
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

impl Show {
    fn run(self) -> Result<()> {
        let path = &self.file;
        let bytes = read_file(path, MAX_REVOCATION_LIST_BYTES, "input")?;
        match store::kind_of(&bytes) {
            KeyFileKind::PrivateKey => {
                let key = store::read_private_key(path, &self.passphrase.source())?;
                outln!(
                    "{}: Ed25519 private key, PKCS#8 PEM, not encrypted",
                    path.display()
                )?;
                show_public_info(&key.verifying_key())?;
                outln!("(the secret key itself is never shown)")?;
            }
            KeyFileKind::EncryptedPrivateKey => {
                outln!(
                    "{}: Ed25519 private key, encrypted PKCS#8 PEM (PBES2)",
                    path.display()
                )?;
                if self.passphrase.source().given()?.is_some() {
                    let key = store::read_private_key(path, &self.passphrase.source())?;
                    show_public_info(&key.verifying_key())?;
                } else {
                    outln!(
                        "kid and fingerprint: see the matching .pub file, or give the passphrase \
                         (--passphrase-file or CITYCARD_ROOT_PASSPHRASE)"
                    )?;
                }
                outln!("(the secret key itself is never shown)")?;
            }
            KeyFileKind::PublicKey => {
                let key = store::read_public_key(path)?;
                outln!("{}: Ed25519 public key, SPKI PEM", path.display())?;
                show_public_info(&key)?;
            }
            KeyFileKind::OtherPem => bail!(
                "{} is a PEM file of a kind citycard does not use",
                path.display()
            ),
            KeyFileKind::Binary => show_list(path, &bytes)?,
        }
        Ok(())
    }
}

fn show_public_info(key: &citycard_credential::VerifyingKey) -> Result<()> {
    outln!(
        "  kid (as an office key):         {}",
        ckeys::to_hex(&ckeys::kid(key))
    )?;
    outln!(
        "  fingerprint (as the root key):  {}",
        ckeys::fingerprint_display(key)
    )?;
    Ok(())
}

fn show_list(path: &Path, bytes: &[u8]) -> Result<()> {
    const UNCHECKED: &str = "SIGNATURE NOT CHECKED: this shows what the file says, not whether \
                             it is genuine (`citycard verify` checks it against the root key)";
    if let Ok((list, signer)) = TrustList::inspect(bytes) {
        outln!("{}: trust list", path.display())?;
        outln!("{UNCHECKED}")?;
        outln!("  Issuer:       {}", list.issuer)?;
        outln!("  City name:    {}", list.name)?;
        outln!("  Issued:       {}", date::format(list.issued))?;
        outln!("  Next update:  {}", date::format(list.next_update))?;
        outln!(
            "  Root key fingerprint: {}",
            ckeys::fingerprint_display(&list.root)
        )?;
        let signer_note = if signer == ckeys::kid(&list.root) {
            "the root key named in the list"
        } else {
            "NOT the root key named in the list: desks will refuse this file"
        };
        outln!("  Signed by kid {} ({signer_note})", ckeys::to_hex(&signer))?;
        outln!("  Office keys:  {}", list.keys.len())?;
        for k in &list.keys {
            outln!("  - kid {}  office: {}", ckeys::to_hex(&k.kid), k.office)?;
            outln!(
                "      may sign {} to {}, cards verifiable until {}, usage: {}",
                date::format(k.sign_from),
                date::format(k.sign_until),
                date::format(k.verify_until),
                k.usage.describe()
            )?;
        }
        return Ok(());
    }
    if let Ok((list, signer, format)) = RevocationList::inspect_format(bytes) {
        outln!(
            "{}: revocation list (version {})",
            path.display(),
            format.version()
        )?;
        outln!("{UNCHECKED}")?;
        outln!("  Issuer:       {}", list.issuer)?;
        outln!("  Issued:       {}", date::format(list.issued))?;
        outln!("  Next update:  {}", date::format(list.next_update))?;
        outln!("  Signed by kid {}", ckeys::to_hex(&signer))?;
        outln!("  Revoked card numbers: {}", list.len())?;
        for n in list.numbers() {
            outln!("    {n}")?;
        }
        return Ok(());
    }
    bail!(
        "{} is not a key, trust list or revocation list that citycard can read",
        path.display()
    )
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  citycard keys set-passphrase --key root.key --out root.encrypted.key
  citycard keys set-passphrase --key root.encrypted.key --out root.key --remove

The old passphrase (if KEY is encrypted) comes from --passphrase-file,
CITYCARD_ROOT_PASSPHRASE or a prompt; the new one from --new-passphrase-file
or a prompt.")]
pub struct SetPassphrase {
    /// The private key to read (plain or encrypted).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// The private key file to write (mode 0600).
    #[arg(long, value_name = "KEY")]
    out: PathBuf,
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// Read the new passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "remove")]
    new_passphrase_file: Option<PathBuf>,
    /// Write the key without encryption.
    #[arg(long)]
    remove: bool,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    force: bool,
}

impl SetPassphrase {
    fn run(self) -> Result<()> {
        store::check_can_write(&[&self.out], self.force)?;
        let key = store::read_private_key(&self.key, &self.passphrase.source())?;
        let passphrase = if self.remove {
            None
        } else {
            // The environment variable holds the old passphrase here: only
            // the file or a prompt give the new one.
            let source = PassphraseSource {
                file: self.new_passphrase_file.clone(),
                use_env: false,
            };
            Some(source.for_writing(&self.out)?)
        };
        let pem = store::private_key_pem(&key, passphrase.as_deref().map(String::as_str))?;
        store::write_new_file(&self.out, pem.as_bytes(), 0o600, self.force)?;
        outln!(
            "Wrote {} ({}, mode 0600), kid {}.",
            self.out.display(),
            if passphrase.is_some() {
                "encrypted"
            } else {
                "NOT encrypted"
            },
            ckeys::to_hex(&ckeys::kid(&key.verifying_key()))
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_file() {
        let a = CardNumber::random(&mut rand_core::OsRng);
        let b = CardNumber::random(&mut rand_core::OsRng);
        let text = format!("# revoked\n\n{a}\n  {}  # lost\n", b.digits());
        let got = parse_numbers(&text, Path::new("n.txt")).unwrap();
        assert_eq!(got, vec![a, b]);
        let mut bad = b.digits().into_bytes();
        bad[3] = if bad[3] == b'9' { b'0' } else { bad[3] + 1 };
        let text = format!("{a}\n\n{}\n", String::from_utf8(bad).unwrap());
        let err = parse_numbers(&text, Path::new("n.txt")).unwrap_err();
        assert!(
            err.to_string().starts_with("n.txt line 3: card number"),
            "{err}"
        );
    }
}
