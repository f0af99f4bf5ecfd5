//! The `citycard` library: what the binary, the tests and the benchmarks share.
//!
//! - [`output`]: the printed face of a card ([`output::CardFace`]) and the
//!   PDF renderer ([`output::pdf`]: templates, card printers, A4 sheets).
//! - [`qr`]: making and reading the card's QR code.
//! - The issuing office's domain layer (issue 3), which the web layer and
//!   the CLI call: [`config`] (one `Config` value), [`db`] (SQLite or
//!   PostgreSQL through one diesel `MultiConnection`), [`vault`] (personal
//!   data sealed at rest), [`office`] (the `Office` handle and the domain:
//!   `office::cards`, `office::accounts`, `office::audit`,
//!   `office::publish`), [`error`].
//! - [`dates`]: dates as people type them (one parser for the UI and the API).
//! - [`keys`]: key files on disk; [`private_files`]: modes 0600/0700 for
//!   everything the office writes.
//! - [`web`]: the HTTP server (JSON API, clerk UI, desk page, published lists).

pub mod audit_key;
pub mod config;
pub mod dates;
pub mod db;
pub mod error;
pub mod keys;
pub mod office;
pub mod output;
pub mod private_files;
pub mod qr;
pub mod vault;
pub mod web;

pub use error::{Error, Result};
pub use office::Office;
