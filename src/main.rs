//! The `citycard` binary.

mod cli;
mod keys;
mod qr;
use citycard::web;

fn main() -> std::process::ExitCode {
    cli::main()
}
