//! `citycard keys rotate-data-key`: new personal-data keys, everything
//! sealed again (`citycard::office::key_rotation`).

use anyhow::{Context, Result};
use citycard::config::Config;
use citycard::office::key_rotation::{self, RotationOptions};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(after_help = "\
Run it with every office server stopped (a server left running refuses to
seal anything until restarted; the office refuses to start while a rotation
is unfinished). It is resumable: interrupted at any point, run it again and
it finishes. When it is done, data.key and dedup.key hold new keys and the
old ones are gone: destroy every other copy of them (key backups included),
so that old database backups and disk images can no longer be read.
Database backups made before the rotation need the old keys: make a fresh
backup now. docs/operations.md, \"Rotating the personal-data keys\".")]
pub struct RotateDataKey {
    /// The configuration file [default: ./citycard.toml when it exists;
    /// CITYCARD_* environment variables override it].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Rows sealed again per transaction.
    #[arg(long, value_name = "N", default_value_t = key_rotation::DEFAULT_BATCH_SIZE)]
    batch_size: usize,
    /// Stop after N batches, leaving the rotation unfinished (the next run
    /// continues it).
    #[arg(long, value_name = "N", hide = true)]
    max_batches: Option<usize>,
}

impl RotateDataKey {
    pub fn run(self) -> Result<()> {
        let config = Config::load(self.config.as_deref()).context("configuration")?;
        let report = key_rotation::rotate_data_keys(
            &config,
            RotationOptions {
                batch_size: self.batch_size,
                max_batches: self.max_batches,
            },
        )
        .context("the key rotation stopped")?;
        let c = report.counts;
        if !report.finished {
            eprintln!(
                "Key rotation unfinished after {} batch(es) ({} records, {} photos, {} QR texts \
                 sealed again so far). Run `citycard keys rotate-data-key` again to finish it; \
                 the office does not start until then.",
                report.batches, c.records, c.photos, c.qr_texts
            );
            return Ok(());
        }
        if report.resumed {
            eprintln!("Finished the key rotation that was under way.");
        }
        eprintln!(
            "Personal-data keys rotated: {} records, {} photos and {} QR texts sealed again \
             under new keys in {}. The old keys are gone from there: destroy every other copy \
             of them, and make a new database backup.",
            c.records,
            c.photos,
            c.qr_texts,
            config.layout().key_dir().display()
        );
        Ok(())
    }
}
