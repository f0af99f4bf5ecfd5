//! The `citycard` library: what the binary, the tests and the benchmarks share.
//!
//! - [`print`]: card templates and PDF cards for card printers and A4 sheets.
//! - [`qr`]: making and reading the card's QR code.

pub mod print;
pub mod qr;
