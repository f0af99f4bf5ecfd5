//! The `citycard` binary.

mod cli;
mod keys;
mod qr;

fn main() -> std::process::ExitCode {
    cli::main()
}
