//! The `citycard` binary.

mod cli;
mod keys;
mod qr;
mod web;

fn main() -> std::process::ExitCode {
    cli::main()
}
