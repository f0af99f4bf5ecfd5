//! `citycard verify`: offline check of a scanned card.

use super::keys::read_file;
use super::parse_date;
use super::revocation_state;
use crate::{keys as store, qr};
use anyhow::{Context, Result, bail};
use citycard_credential::{
    Date, Error, MAX_REVOCATION_LIST_BYTES, MAX_TRUST_LIST_BYTES, Outcome, Verification, Verifier,
    Warning, date, keys as ckeys,
};
use clap::Args;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Largest text read from stdin.
const MAX_STDIN: u64 = 64 * 1024;

#[derive(Debug, Args)]
#[command(after_help = "\
Give the card as TEXT (the scanned `CC1…` text), as `-` to read it from stdin,
or with --image to read the QR code from a photo or scan.

Exit status: 0 the card is valid (warnings allowed); 1 it is not valid (any
outcome other than valid, malformed text included); 2 the check could not run
(bad flags, unreadable files, a trust list or revocation list that is not
correctly signed, a revocation list older than --min-revocations-issued or
than the one recorded in --revocation-state).

A desk that checks cards with this command over time should pass
--revocation-state FILE: it records the issue date of the newest revocation
list accepted and refuses an older one, which would un-revoke the cards
revoked since (docs/card-format.md §8.3).

--json prints one object:
  {\"outcome\": \"valid\", \"reason\": null, \"office\": \"…\", \"card\": {…} or null,
   \"warnings\": [\"no_revocation_list\", …]}
outcome is one of valid, expired, not_yet_valid, revoked, unknown_key,
key_not_allowed, bad_signature, malformed; warnings are development_keys (a
development trust list, issuer `dev`: not a real City Card, whatever the
outcome), trust_list_stale, no_revocation_list, revocation_list_stale.")]
pub struct VerifyArgs {
    /// The trust list file (trust-list.cose).
    #[arg(long, value_name = "FILE")]
    trust_list: PathBuf,
    /// The city's root public key (root.pub) that must have signed the trust list.
    #[arg(long, value_name = "PUB", required_unless_present = "root_fingerprint")]
    root: Option<PathBuf>,
    /// The root key's fingerprint instead of its .pub file (64 hex digits; spaces allowed).
    #[arg(long, value_name = "FP", conflicts_with = "root")]
    root_fingerprint: Option<String>,
    /// The revocation list file; without it revoked cards cannot be detected.
    #[arg(long, value_name = "FILE")]
    revocations: Option<PathBuf>,
    /// Refuse a revocation list issued before this day (the issue date of the
    /// newest list you have seen): a replayed older list would un-revoke cards.
    #[arg(long, value_name = "DATE", value_parser = parse_date, requires = "revocations")]
    min_revocations_issued: Option<Date>,
    /// Keep the issue date of the newest revocation list seen in FILE (created
    /// with mode 0600): an older list is refused, a newer one updates the file.
    #[arg(long, value_name = "FILE", requires = "revocations")]
    revocation_state: Option<PathBuf>,
    /// Check as of this day [default: today, UTC].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    date: Option<Date>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Read the QR code from this PNG or JPEG image.
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    image: Option<PathBuf>,
    /// The scanned text (`CC1…`), or `-` to read it from stdin.
    #[arg(value_name = "TEXT", required_unless_present = "image")]
    text: Option<String>,
}

impl VerifyArgs {
    pub fn run(self) -> Result<ExitCode> {
        let verifier = self.load_verifier()?;
        let scanned = match (&self.image, &self.text) {
            (Some(path), _) => qr::decode_image(path)?,
            (None, Some(t)) if t == "-" => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .take(MAX_STDIN)
                    .read_to_end(&mut buf)
                    .context("could not read the text from stdin")?;
                // Not UTF-8 cannot be a card: leave it to the verifier to call it malformed.
                String::from_utf8_lossy(&buf).into_owned()
            }
            (None, Some(t)) => t.clone(),
            (None, None) => bail!("give the scanned text, `-` for stdin, or --image FILE"),
        };
        let today = self.date.unwrap_or_else(date::today_utc);
        let result = verifier.verify(&scanned, today);
        if self.json {
            outln!("{}", to_json(&result))?;
        } else {
            print_human(&result)?;
        }
        Ok(if result.outcome.is_valid() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }

    fn load_verifier(&self) -> Result<Verifier> {
        let path = &self.trust_list;
        let bytes = read_file(path, MAX_TRUST_LIST_BYTES, "trust list")?;
        let mut verifier = match (&self.root, &self.root_fingerprint) {
            (Some(root), _) => {
                let key = store::read_public_key(root)?;
                Verifier::new(&bytes, &key)
            }
            (None, Some(fp)) => {
                let fp = ckeys::parse_fingerprint(fp).context("--root-fingerprint")?;
                Verifier::with_fingerprint(&bytes, &fp)
            }
            (None, None) => bail!("give --root root.pub or --root-fingerprint"),
        }
        .with_context(|| {
            format!(
                "the trust list {} cannot be used (is it the right file for this root key?)",
                path.display()
            )
        })?;
        if let Some(rpath) = &self.revocations {
            let bytes = read_file(rpath, MAX_REVOCATION_LIST_BYTES, "revocation list")?;
            let issuer = verifier.trust_list().issuer.clone();
            let state = match &self.revocation_state {
                Some(path) => revocation_state::load(path)?,
                None => None,
            };
            if let (Some(seen), Some(path)) = (&state, &self.revocation_state)
                && seen.issuer != issuer
            {
                bail!(
                    "the revocation state file {} is for the issuer {}, the trust list for {}: \
                     give each city its own state file",
                    path.display(),
                    seen.issuer,
                    issuer
                );
            }
            let newest_seen = state
                .as_ref()
                .map(|s| s.issued)
                .max(self.min_revocations_issued);
            let list = verifier
                .load_revocations_since(&bytes, newest_seen)
                .with_context(|| {
                    format!("the revocation list {} cannot be used", rpath.display())
                })?;
            let issued = list.issued;
            if let Some(path) = &self.revocation_state
                && state.as_ref().is_none_or(|s| issued > s.issued)
            {
                revocation_state::store(path, &revocation_state::Seen { issuer, issued })?;
            }
        }
        Ok(verifier)
    }
}

/// Plain-language reason for a negative outcome.
fn explain(v: &Verification) -> String {
    let detail = v.reason.as_ref().map(Error::to_string).unwrap_or_default();
    match v.outcome {
        Outcome::Valid => String::new(),
        Outcome::Expired => match &v.card {
            Some(c) => format!(
                "the card expired: its last valid day was {}",
                date::format(c.expires)
            ),
            None => "the card has expired".into(),
        },
        Outcome::NotYetValid => "the card's issue date is in the future (check the date)".into(),
        Outcome::Revoked => "the card has been revoked (it is on the revocation list)".into(),
        Outcome::UnknownKey => "signed by a key that is not in the trust list (another city's \
                                card, a forgery, or an out-of-date trust list)"
            .into(),
        Outcome::KeyNotAllowed => format!("signed by a key not allowed to sign it ({detail})"),
        Outcome::BadSignature => {
            "the signature does not match: the code was altered or forged".into()
        }
        Outcome::Malformed => format!(
            "this is not a readable City Card code (scanned incompletely, or not a City Card): \
             {detail}"
        ),
        _ => detail,
    }
}

fn print_human(v: &Verification) -> std::io::Result<()> {
    // A card from a development trust list says so on its first line too
    // (`| head -1`), and in the warnings below.
    let dev = if v.warnings.contains(&Warning::DevelopmentKeys) {
        " [DEVELOPMENT KEYS: not a real City Card]"
    } else {
        ""
    };
    if v.outcome.is_valid() {
        outln!("VALID{dev}")?;
    } else {
        outln!("NOT VALID ({}){dev}: {}", v.outcome.code(), explain(v))?;
    }
    if let Some(card) = &v.card {
        outln!("  Given names:    {}", card.given_names)?;
        outln!("  Family name:    {}", card.family_name)?;
        if let Some(dob) = card.date_of_birth {
            outln!("  Date of birth:  {}", date::format(dob))?;
        }
        outln!("  Card number:    {}", card.card_number)?;
        outln!("  Valid until:    {}", date::format(card.expires))?;
        outln!("  Issued:         {}", date::format(card.issued))?;
        if let Some(office) = &v.office {
            outln!("  Office:         {office}")?;
        }
        outln!("  Issuer:         {}", card.issuer)?;
    }
    for w in &v.warnings {
        outln!("  WARNING: {w}")?;
    }
    Ok(())
}

fn to_json(v: &Verification) -> serde_json::Value {
    let card = v.card.as_ref().map(|c| {
        serde_json::json!({
            "issuer": c.issuer,
            "card_number": c.card_number.digits(),
            "given_names": c.given_names,
            "family_name": c.family_name,
            "issued": date::format(c.issued),
            "expires": date::format(c.expires),
            "date_of_birth": c.date_of_birth.map(date::format),
        })
    });
    serde_json::json!({
        "outcome": v.outcome.code(),
        "reason": v.reason.as_ref().map(|_| explain(v)),
        "office": v.office,
        "card": card,
        "warnings": v.warnings.iter().map(|w| w.code()).collect::<Vec<_>>(),
    })
}
