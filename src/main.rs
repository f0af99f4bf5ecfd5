//! The `citycard` binary.

mod cli;

use citycard::{keys, qr, web};

fn main() -> std::process::ExitCode {
    cli::main()
}
