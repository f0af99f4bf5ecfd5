//! `citycard card …`: signing a card by hand.

use super::keys::PassphraseArgs;
use super::parse_date;
use crate::{keys as store, qr};
use anyhow::{Context, Result, anyhow};
use citycard_credential::{CardClaims, CardNumber, Date, date, keys as ckeys};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Sign a card with an office key and print its QR text (`CC1…`).
    ///
    /// Names are signed exactly as given: a name that breaks a rule of
    /// docs/card-format.md §5 (not NFC, a space at an end or two in a row,
    /// an invisible, control or unassigned character) is refused, never
    /// changed. The service issues cards normally; this is for tests,
    /// vectors and emergencies.
    Sign(Sign),
}

impl CardCommand {
    pub fn run(self) -> Result<()> {
        match self {
            CardCommand::Sign(a) => a.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct Sign {
    /// The office private key.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// Given names as printed (may be "" when the person has a single name).
    #[arg(long, value_name = "G")]
    given_names: String,
    /// Family name as printed.
    #[arg(long, value_name = "F")]
    family_name: String,
    /// Last day on which the card is valid.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    expires: Date,
    /// Date of birth, where the city's card shows it.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    dob: Option<Date>,
    /// The card number (12 digits) [default: a new random number].
    #[arg(long, value_name = "N")]
    card_number: Option<String>,
    /// The issuer identifier, as in the trust list (e.g. "bern").
    #[arg(long, value_name = "ID")]
    issuer: String,
    /// Issue date [default: today].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    issued: Option<Date>,
    /// Also write the QR code as a PNG image (it holds the person's name).
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
}

impl Sign {
    fn run(self) -> Result<()> {
        let card_number = match &self.card_number {
            Some(text) => text
                .parse::<CardNumber>()
                .map_err(|e| anyhow!("--card-number: {e}"))?,
            None => CardNumber::random(&mut rand_core::OsRng),
        };
        let claims = CardClaims {
            issuer: self.issuer.trim().to_owned(),
            card_number,
            given_names: self.given_names.clone(),
            family_name: self.family_name.clone(),
            issued: self.issued.unwrap_or_else(date::today_utc),
            expires: self.expires,
            date_of_birth: self.dob,
        };
        // The error names the field, the rule and the code point (U+XXXX),
        // never the value.
        claims.validate_for_signing().map_err(|e| match e {
            citycard_credential::Error::Name { .. } => anyhow!(
                "the card cannot be signed: {e}; names are signed exactly as given, \
                 so type it as the name rules of docs/card-format.md §5 require"
            ),
            other => anyhow::Error::new(other).context("the card cannot be signed"),
        })?;
        let key = store::read_private_key(&self.key, &self.passphrase.source())?;
        let text = citycard_credential::sign_card_text(&key, &claims)
            .context("the card cannot be signed")?;
        if let Some(path) = &self.png {
            let code = qr::qr_code(&text)?;
            qr::write_png(&code, path)?;
            eprintln!(
                "Wrote the QR code to {} (version {}, level {:?}).",
                path.display(),
                qr::version_number(&code),
                code.error_correction_level()
            );
        }
        eprintln!(
            "Signed card number {} with key {}.",
            claims.card_number,
            ckeys::to_hex(&ckeys::kid(&key.verifying_key()))
        );
        outln!("{text}")?;
        Ok(())
    }
}
