//! `citycard desk …`: the desk verifier page.

use crate::web::desk;
use anyhow::Result;
use citycard::config::Layout;
use citycard_credential::{date, keys as ckeys};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DeskCommand {
    /// Write the desk page with the current lists as static files for any web server.
    ///
    /// Re-run it (or copy the two list files) whenever the lists are
    /// re-signed; see docs/desk-verifier.md.
    Export(ExportArgs),
}

impl DeskCommand {
    pub fn run(self) -> Result<()> {
        match self {
            DeskCommand::Export(a) => a.run(),
        }
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The directory to write (created if needed; files of the same names are replaced).
    dir: PathBuf,
    /// The data directory whose lists and root key are used by default.
    #[arg(long, value_name = "DIR", default_value = "./citycard-data")]
    data_dir: PathBuf,
    /// The signed trust list [default: DATA_DIR/trust-list.cose].
    #[arg(long, value_name = "FILE")]
    trust_list: Option<PathBuf>,
    /// The signed revocation list [default: DATA_DIR/revocations.cose].
    #[arg(long, value_name = "FILE")]
    revocations: Option<PathBuf>,
    /// The root public key whose fingerprint the page pins
    /// [default: DATA_DIR/keys/root.pub if it exists, else the trust list's root key].
    #[arg(long, value_name = "PUB")]
    root: Option<PathBuf>,
}

impl ExportArgs {
    fn run(self) -> Result<()> {
        let data = desk::DeskConfig::from_layout(&Layout::in_data_dir(&self.data_dir));
        let trust_list = self.trust_list.unwrap_or(data.trust_list);
        let revocations = self.revocations.unwrap_or(data.revocations);
        let root = self.root.or(data.root_public_key);
        let export = desk::export(&self.dir, &trust_list, &revocations, root.as_deref())?;
        for file in &export.files {
            eprintln!("wrote {}", file.display());
        }
        let fingerprint = ckeys::parse_fingerprint(&export.root_fingerprint)?;
        eprintln!(
            "The page pins the root key fingerprint\n  {}\nThe trust list is due for renewal on {}, the revocation list on {}:\n\
             publish new lists (re-run this command) before then.",
            fingerprint
                .chunks(2)
                .map(ckeys::to_hex)
                .collect::<Vec<_>>()
                .join(" "),
            date::format(export.trust_list_next_update),
            date::format(export.revocations_next_update),
        );
        Ok(())
    }
}
