//! The `citycard` command line: one [`Command`] enum, one module per area.
//! Commands print to standard output with `outln!` ([`out`]), never
//! `println!`: a closed pipe must not panic.

#[macro_use]
mod out;
mod admin;
mod card;
mod desk;
mod keys;
mod maintenance;
mod print;
mod revocation_state;
mod rotate;
mod serve;
mod verify;

use anyhow::Result;
use citycard_credential::{Date, date};
use clap::Parser;
use std::io::Write as _;
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Exit status:
  0  success (for `verify`: the card is valid; warnings are allowed)
  1  `verify`: the card is NOT valid (expired, revoked, forged, malformed, …);
     `audit verify`: the audit log's hash chain is broken
  2  the command could not run: bad flags, unreadable files, a bad or badly
     signed trust list or revocation list, input that breaks the rules, or
     output that cannot be written (a closed pipe, as in `| head -1`, is not
     an error: the output stops and the status stays as above)

Dates are calendar days written YYYY-MM-DD; \"today\" is today in UTC.";

/// City Card: issue and check ID cards for every resident.
#[derive(Debug, Parser)]
#[command(name = "citycard", version, after_help = AFTER_HELP, propagate_version = true)]
pub enum Command {
    /// Key ceremony: root and office keys, trust list, revocation list.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Sign a card by hand (for tests, vectors and offline emergencies).
    #[command(subcommand)]
    Card(card::CardCommand),
    /// Check a scanned card offline against the trust list (and revocation list).
    Verify(verify::VerifyArgs),
    /// Print cards as a PDF from a card template.
    Print(print::PrintArgs),
    /// Card templates.
    #[command(subcommand)]
    Templates(print::TemplatesCommand),
    /// Run the issuing office: clerk UI (/), JSON API (/api/v1), desk page (/verify/), signed lists.
    Serve(serve::ServeArgs),
    /// The desk verifier page.
    #[command(subcommand)]
    Desk(desk::DeskCommand),
    /// User accounts, sites and per-site figures of the issuing office (works without the server).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The office's audit log: check the keyed chain, export a checkpoint or CSV.
    #[command(subcommand)]
    Audit(admin::AuditCommand),
    /// Daily upkeep by hand: photos, sessions, the deletion schedule, the revocation list.
    #[command(subcommand)]
    Maintenance(maintenance::MaintenanceCommand),
}

impl Command {
    fn run(self) -> Result<ExitCode> {
        match self {
            Command::Keys(cmd) => cmd.run().map(|()| ExitCode::SUCCESS),
            Command::Card(cmd) => cmd.run().map(|()| ExitCode::SUCCESS),
            Command::Verify(args) => args.run(),
            Command::Print(args) => args.run().map(|()| ExitCode::SUCCESS),
            Command::Templates(cmd) => cmd.run().map(|()| ExitCode::SUCCESS),
            Command::Serve(args) => args.run().map(|()| ExitCode::SUCCESS),
            Command::Desk(cmd) => cmd.run().map(|()| ExitCode::SUCCESS),
            Command::Admin(cmd) => cmd.run().map(|()| ExitCode::SUCCESS),
            Command::Audit(cmd) => cmd.run(),
            Command::Maintenance(cmd) => cmd.run().map(|()| ExitCode::SUCCESS),
        }
    }
}

/// Parses the command line, runs the command and maps errors to exit status 2.
pub fn main() -> ExitCode {
    // Everything this process writes (database, -wal, PDFs, lists, key
    // files) is readable by its own user only (SECURITY.md, finding 12).
    citycard::private_files::restrict_umask();
    match Command::parse().run() {
        Ok(code) => code,
        Err(e) => {
            // Not eprintln!: a closed stderr must not panic either.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `YYYY-MM-DD` for clap.
fn parse_date(text: &str) -> Result<Date, String> {
    date::parse(text).map_err(|e| format!("{e} (for example 2026-12-31)"))
}

fn parse_birth_date(text: &str) -> Result<citycard_credential::BirthDate, String> {
    citycard_credential::BirthDate::parse_iso(text.trim()).ok_or_else(|| {
        "not a date of birth: YYYY-MM-DD, or only YYYY-MM or YYYY (for example 1987-03-14, 1987-03, 1987)"
            .to_owned()
    })
}

/// The latest date the format supports.
fn max_date() -> Date {
    date::from_days(date::MAX_DAYS).unwrap_or(Date::MAX)
}

/// `d` plus `days` days, capped at the latest supported date.
fn add_days(d: Date, days: i64) -> Date {
    d.checked_add(time::Duration::days(days))
        .unwrap_or(Date::MAX)
        .min(max_date())
}

/// The same day `years` years later (29 February becomes 28 February),
/// capped at the latest supported date.
fn add_years(d: Date, years: i32) -> Date {
    let year = d.year().saturating_add(years);
    d.replace_year(year)
        .or_else(|_| d.replace_day(28).and_then(|d28| d28.replace_year(year)))
        .unwrap_or(Date::MAX)
        .min(max_date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Command::command().debug_assert();
    }

    #[test]
    fn date_arithmetic() {
        let d = |s| date::parse(s).unwrap();
        assert_eq!(add_years(d("2028-02-29"), 2), d("2030-02-28"));
        assert_eq!(add_years(d("2026-03-01"), 10), d("2036-03-01"));
        assert_eq!(add_years(d("2190-01-01"), 20), d("2199-12-31"));
        assert_eq!(add_days(d("2026-12-25"), 30), d("2027-01-24"));
        assert!(parse_date("2026-13-01").is_err());
    }
}
