//! Finding 12 (SECURITY.md): every file the office writes is readable by
//! its own user only. The real binary runs under `umask 022` (what most
//! systems start services with), so the test sees what the binary itself
//! does, not the umask of whoever runs the tests.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `citycard ARGS` started under `umask 022`.
pub fn citycard_with_umask_022(args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_citycard"))
        .args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CITYCARD_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Every file and folder below `dir` (itself included) with its mode.
fn modes(dir: &Path) -> Vec<(PathBuf, bool, u32)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(p) = todo.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        out.push((p.clone(), meta.is_dir(), meta.permissions().mode() & 0o777));
        if meta.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                todo.push(e.unwrap().path());
            }
        }
    }
    out
}

#[test]
fn serve_writes_every_file_in_the_data_directory_private() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = citycard_with_umask_022(&["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let fetch = |path: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).ok()?;
        Some(String::from_utf8_lossy(&out).into_owned())
    };
    let mut health = None;
    for _ in 0..300 {
        if let Some(r) = fetch("/healthz") {
            health = Some(r);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = fetch("/.well-known/citycard/revocations");
    // While it runs: the database with its -wal and -shm files.
    let data = dir.path().join("citycard-data");
    let seen = modes(&data);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        health.is_some_and(|h| h.starts_with("HTTP/1.1 200")),
        "{log}"
    );
    assert!(status.success(), "{log}");

    let names: Vec<String> = seen
        .iter()
        .map(|(p, _, _)| p.strip_prefix(&data).unwrap().display().to_string())
        .collect();
    for expected in [
        "citycard.sqlite",
        "citycard.sqlite-wal",
        "citycard.sqlite-shm",
        "keys/data.key",
        "keys/dedup.key",
        "keys/office.key",
        "keys/office.pub",
        "trust-list.cose",
        "revocations.cose",
        "card-templates/bilingual-photo/template.toml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing: {names:?}"
        );
    }
    let open: Vec<String> = seen
        .iter()
        .filter(|(_, is_dir, mode)| {
            let allowed = if *is_dir { 0o700 } else { 0o600 };
            mode & !allowed != 0
        })
        .map(|(p, _, mode)| format!("{} {mode:04o}", p.display()))
        .collect();
    assert!(open.is_empty(), "readable by others: {open:#?}");
}

/// The library on its own (no umask of the binary): the SQLite file and its
/// `-wal` and `-shm` files are 0600, even when the data directory was made
/// 0755 by someone else (it is tightened to 0700).
#[test]
fn the_library_makes_the_database_files_private_too() {
    use std::fs::Permissions;
    let t = office_support::office_with(office_support::Backend::Sqlite, |_| {}).unwrap();
    // Something in the WAL.
    t.user("clerk", citycard::office::actor::Role::Clerk);
    let data = t.data_dir().to_owned();
    let data = data.as_path();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for name in [
        "citycard.sqlite",
        "citycard.sqlite-wal",
        "citycard.sqlite-shm",
    ] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(data), 0o700);
    // An existing database file with a wide mode is tightened at open.
    drop(t.office);
    std::fs::set_permissions(data.join("citycard.sqlite"), Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(data, Permissions::from_mode(0o755)).unwrap();
    let office = citycard::Office::open(&t.config).unwrap();
    assert_eq!(mode(&data.join("citycard.sqlite")), 0o600);
    assert_eq!(mode(data), 0o700);
    drop(office);
}
