//! Standard output for the commands, without panics.
//!
//! `println!` panics when standard output fails, and Rust ignores SIGPIPE,
//! so `citycard verify … | head -1` died with "Broken pipe" and exit status
//! 101. Every command prints through `outln!` or [`stdout`]
//! instead:
//!
//! - a reader that went away (a broken pipe) is not an error: what is left
//!   to print is discarded, as if written to `/dev/null`, and the command
//!   ends with the exit status it would have had (for `verify`: 0 valid,
//!   1 not valid);
//! - any other write error (a full disk behind `>`) is an error of the
//!   command: exit status 2.

use std::fmt;
use std::io::{self, Write};

/// Standard output (locked) that treats a broken pipe as a sink.
pub struct Stdout(io::StdoutLock<'static>);

/// Standard output for one command's printing.
pub fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

/// `r`, or `gone` when the reader has gone away.
fn reader_gone_is_ok<T>(r: io::Result<T>, gone: T) -> io::Result<T> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(gone),
        r => r,
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        reader_gone_is_ok(self.0.write(buf), buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        reader_gone_is_ok(self.0.flush(), ())
    }
}

/// Writes one line (what `outln!` expands to).
pub fn line(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = stdout();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// `println!` that returns `std::io::Result<()>` instead of panicking and
/// ignores a closed reader (see [`crate::cli::out`]).
macro_rules! outln {
    () => {
        $crate::cli::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_broken_pipe_is_swallowed() {
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert_eq!(reader_gone_is_ok(Err(pipe), 7).unwrap(), 7);
        let full = io::Error::from(io::ErrorKind::StorageFull);
        assert!(reader_gone_is_ok::<usize>(Err(full), 7).is_err());
        assert_eq!(reader_gone_is_ok(Ok(3), 7).unwrap(), 3);
    }
}
