//! End-to-end tests of the `citycard` command line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;
use tempfile::TempDir;

const PASSPHRASE: &str = "test passphrase 123";

/// A temporary directory with a root key, two office keys and a trust list.
struct Setup {
    dir: TempDir,
    root_fingerprint: String,
    mitte_kid: String,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_citycard"));
    cmd.current_dir(dir)
        .env_remove("CITYCARD_ROOT_PASSPHRASE")
        .write_stdin("");
    cmd
}

/// Runs `citycard ARGS` in `dir` with empty stdin.
fn run(dir: &Path, args: &[&str]) -> Run {
    command(dir).args(args).output().unwrap().into()
}

/// Runs and expects exit status 0.
fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = run(dir, args);
    assert_eq!(
        r.code, 0,
        "citycard {args:?} failed:\n{}\n{}",
        r.stdout, r.stderr
    );
    r
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let root_fingerprint = ok(d, &["keys", "init-root", "--out", "root.key"])
            .stdout
            .trim()
            .to_owned();
        let mitte_kid = ok(
            d,
            &[
                "keys",
                "new-office",
                "--office",
                "Bürgeramt Mitte",
                "--out",
                "mitte.key",
            ],
        )
        .stdout
        .trim()
        .to_owned();
        ok(
            d,
            &[
                "keys",
                "new-office",
                "--office",
                "Nord",
                "--out",
                "nord.key",
            ],
        );
        ok(
            d,
            &[
                "keys",
                "trust-list",
                "--root",
                "root.key",
                "--office",
                "mitte.pub",
                "--office-name",
                "Bürgeramt Mitte",
                "--office",
                "nord.pub",
                "--office-name",
                "Bürgeramt Nord",
                "--issuer",
                "bern",
                "--city-name",
                "Stadt Bern",
                "--issued",
                "2026-01-01",
                "--next-update",
                "2027-12-31",
                "--sign-from",
                "2026-01-01",
                "--sign-until",
                "2027-12-31",
                "--out",
                "trust-list.cose",
            ],
        );
        Setup {
            dir,
            root_fingerprint,
            mitte_kid,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// Signs a card with the Mitte key; extra flags are appended.
    fn sign(&self, extra: &[&str]) -> String {
        let mut args = vec![
            "card",
            "sign",
            "--key",
            "mitte.key",
            "--given-names",
            "Zoë Anna",
            "--family-name",
            "Ünal-Łukasiewicz",
            "--expires",
            "2031-06-30",
            "--dob",
            "1990-02-03",
            "--issuer",
            "bern",
        ];
        if !extra.contains(&"--issued") {
            args.extend_from_slice(&["--issued", "2026-07-01"]);
        }
        args.extend_from_slice(extra);
        ok(self.path(), &args).stdout.trim().to_owned()
    }

    /// `citycard verify --trust-list … --root root.pub --date 2027-01-15 EXTRA…`.
    fn verify(&self, extra: &[&str]) -> Run {
        let mut args = vec![
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "root.pub",
            "--date",
            "2027-01-15",
        ];
        args.extend_from_slice(extra);
        run(self.path(), &args)
    }

    fn verify_json(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        let r = self.verify(&args);
        let json = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
        (r.code, json)
    }
}

#[test]
fn round_trip_valid_card() {
    let s = Setup::new();
    assert_eq!(
        s.root_fingerprint.split(' ').count(),
        16,
        "{}",
        s.root_fingerprint
    );
    assert_eq!(s.mitte_kid.len(), 16);
    let text = s.sign(&["--card-number", "0000 0000 0000"]);
    assert!(text.starts_with("CC1"), "{text}");
    assert!(text[3..].bytes().all(|b| b.is_ascii_digit()));

    let r = s.verify(&[&text]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("VALID"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Zoë Anna"),
        "names are normalised: {}",
        r.stdout
    );
    assert!(r.stdout.contains("Ünal-Łukasiewicz"));
    assert!(r.stdout.contains("0000 0000 0000"));
    assert!(r.stdout.contains("2031-06-30"));
    assert!(r.stdout.contains("Bürgeramt Mitte"));
    assert!(r.stdout.contains("WARNING: no revocation list"));

    let (code, json) = s.verify_json(&[&text]);
    assert_eq!(code, 0);
    let obj = json.as_object().unwrap();
    for key in ["outcome", "card", "warnings"] {
        assert!(obj.contains_key(key), "missing {key}: {json}");
    }
    assert_eq!(json["outcome"], "valid");
    assert_eq!(json["warnings"], serde_json::json!(["no_revocation_list"]));
    assert_eq!(json["office"], "Bürgeramt Mitte");
    assert_eq!(
        json["card"],
        serde_json::json!({
            "issuer": "bern",
            "card_number": "000000000000",
            "given_names": "Zoë Anna",
            "family_name": "Ünal-Łukasiewicz",
            "issued": "2026-07-01",
            "expires": "2031-06-30",
            "date_of_birth": "1990-02-03",
        })
    );

    // The fingerprint pins the root as well as the .pub file does.
    let r = run(
        s.path(),
        &[
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root-fingerprint",
            &s.root_fingerprint,
            "--date",
            "2027-01-15",
            &text,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    // `-` reads the text from stdin (with the Enter a scanner types).
    let r: Run = command(s.path())
        .args([
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "root.pub",
            "--date",
            "2027-01-15",
            "-",
        ])
        .write_stdin(format!("{text}\r\n"))
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn card_without_date_of_birth_and_random_number() {
    let s = Setup::new();
    let r = ok(
        s.path(),
        &[
            "card",
            "sign",
            "--key",
            "nord.key",
            "--given-names",
            "",
            "--family-name",
            "王小明",
            "--expires",
            "2030-01-01",
            "--issuer",
            "bern",
            "--issued",
            "2026-02-01",
        ],
    );
    let (code, json) = s.verify_json(&[r.stdout.trim()]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["card"]["date_of_birth"], serde_json::Value::Null);
    assert_eq!(json["card"]["given_names"], "");
    assert_eq!(json["office"], "Bürgeramt Nord");
    let number = json["card"]["card_number"].as_str().unwrap();
    assert_eq!(number.len(), 12);
    assert!(
        r.stderr.contains(&format!(
            "{} {} {}",
            &number[..4],
            &number[4..8],
            &number[8..]
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn tampered_text_is_not_valid() {
    let s = Setup::new();
    let text = s.sign(&[]);

    // One digit changed in the middle of the text: whatever it hits, the
    // card is refused with exit status 1.
    let mut bytes = text.clone().into_bytes();
    let mid = bytes.len() / 2;
    bytes[mid] = if bytes[mid] == b'5' { b'6' } else { b'5' };
    let tampered = String::from_utf8(bytes).unwrap();
    let (code, json) = s.verify_json(&[&tampered]);
    assert_eq!(code, 1, "{json}");
    let outcome = json["outcome"].as_str().unwrap();
    assert!(["bad_signature", "malformed"].contains(&outcome), "{json}");

    // A digit inside the signature (the last 64 bytes), lowered by one so
    // that its group cannot overflow: exactly bad_signature, and no card.
    let cose = citycard_credential::text::decode(&text).unwrap();
    let signature_start = cose.len() - 64;
    let group = signature_start.div_ceil(7) + 1;
    let last_digit = 3 + group * 17 + 16;
    let mut bytes = text.into_bytes();
    bytes[last_digit] = if bytes[last_digit] == b'0' {
        b'1'
    } else {
        bytes[last_digit] - 1
    };
    let tampered = String::from_utf8(bytes).unwrap();
    let (code, json) = s.verify_json(&[&tampered]);
    assert_eq!(code, 1);
    assert_eq!(json["outcome"], "bad_signature", "{json}");
    assert_eq!(json["card"], serde_json::Value::Null);
    let r = s.verify(&[&tampered]);
    assert!(
        r.stdout.starts_with("NOT VALID (bad_signature)"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("Ünal"),
        "no fields of a forged card: {}",
        r.stdout
    );
}

#[test]
fn garbage_is_malformed() {
    let s = Setup::new();
    for garbage in ["hello", "CC1", "CC12a5", "CC1123", "https://example.org"] {
        let (code, json) = s.verify_json(&[garbage]);
        assert_eq!(code, 1, "{garbage}: {json}");
        assert_eq!(json["outcome"], "malformed", "{garbage}");
        assert_eq!(json["card"], serde_json::Value::Null);
    }
    let r = s.verify(&["nonsense"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("NOT VALID (malformed)"),
        "{}",
        r.stdout
    );
}

#[test]
fn expired_and_not_yet_valid() {
    let s = Setup::new();
    let text = s.sign(&[]);
    let at = |date: &str| {
        let r = run(
            s.path(),
            &[
                "verify",
                "--trust-list",
                "trust-list.cose",
                "--root",
                "root.pub",
                "--json",
                "--date",
                date,
                &text,
            ],
        );
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        (r.code, json["outcome"].as_str().unwrap().to_owned())
    };
    assert_eq!(at("2031-06-30"), (0, "valid".to_owned()));
    assert_eq!(at("2031-07-01"), (1, "expired".to_owned()));
    assert_eq!(at("2026-06-30"), (1, "not_yet_valid".to_owned()));
}

#[test]
fn revoked_card() {
    let s = Setup::new();
    let text = s.sign(&["--card-number", "0000-0000-0000"]);
    let other = s.sign(&[]);
    std::fs::write(
        s.file("revoked.txt"),
        "# revoked cards\n\n000000000000   # lost\n",
    )
    .unwrap();
    let r = ok(
        s.path(),
        &[
            "keys",
            "revocations",
            "--root",
            "root.key",
            "--revoked",
            "revoked.txt",
            "--trust-list",
            "trust-list.cose",
            "--issued",
            "2027-01-01",
            "--out",
            "revocations.cose",
        ],
    );
    assert!(r.stdout.contains("1 number(s)"), "{}", r.stdout);
    let at = |date: &str, list: &str, card: &str| {
        let r = run(
            s.path(),
            &[
                "verify",
                "--trust-list",
                "trust-list.cose",
                "--root",
                "root.pub",
                "--revocations",
                list,
                "--date",
                date,
                "--json",
                card,
            ],
        );
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        (r.code, json)
    };
    let (code, json) = at("2027-01-05", "revocations.cose", &text);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["outcome"], "revoked");
    assert_eq!(json["warnings"], serde_json::json!([]));
    let r = s.verify(&["--revocations", "revocations.cose", &text]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("NOT VALID (revoked)"), "{}", r.stdout);
    let (code, json) = at("2027-01-05", "revocations.cose", &other);
    assert_eq!((code, &json["outcome"]), (0, &serde_json::json!("valid")));
    // Past its next update (default: issued + 7 days) the list gives a warning.
    let (code, json) = at("2027-01-09", "revocations.cose", &other);
    assert_eq!(code, 0);
    assert_eq!(
        json["warnings"],
        serde_json::json!(["revocation_list_stale"])
    );

    // An office key with usage "all" may sign revocation lists too.
    ok(
        s.path(),
        &[
            "keys",
            "revocations",
            "--key",
            "mitte.key",
            "--revoked",
            "revoked.txt",
            "--trust-list",
            "trust-list.cose",
            "--issued",
            "2027-01-01",
            "--out",
            "revocations-mitte.cose",
        ],
    );
    let (code, json) = at("2027-01-05", "revocations-mitte.cose", &text);
    assert_eq!((code, &json["outcome"]), (1, &serde_json::json!("revoked")));
}

/// Issue 10, finding 14: a correctly signed but older revocation list must
/// not un-revoke a card when the verifier knows a newer one was seen
/// (`--min-revocations-issued`, `--revocation-state`).
#[test]
fn older_revocation_list_is_refused_with_a_marker_or_state_file() {
    let s = Setup::new();
    let text = s.sign(&["--card-number", "0000-0000-0000"]);
    std::fs::write(s.file("revoked.txt"), "000000000000\n").unwrap();
    std::fs::write(s.file("none.txt"), "# nothing revoked yet\n").unwrap();
    for (numbers, issued, out) in [
        ("revoked.txt", "2027-01-04", "new.cose"),
        ("none.txt", "2027-01-01", "old.cose"),
    ] {
        ok(
            s.path(),
            &[
                "keys",
                "revocations",
                "--root",
                "root.key",
                "--revoked",
                numbers,
                "--trust-list",
                "trust-list.cose",
                "--issued",
                issued,
                "--out",
                out,
            ],
        );
    }
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "root.pub",
            "--date",
            "2027-01-05",
            "--json",
        ];
        args.extend_from_slice(extra);
        args.push(&text);
        run(s.path(), &args)
    };
    let outcome = |r: &Run| -> String {
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Stateless, the old list un-revokes the card: the attack.
    let r = verify(&["--revocations", "old.cose"]);
    assert_eq!((r.code, outcome(&r).as_str()), (0, "valid"));

    // With the newest issue date seen, the old list is refused (exit 2).
    let r = verify(&[
        "--revocations",
        "old.cose",
        "--min-revocations-issued",
        "2027-01-04",
    ]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("before the newest list already seen (issued 2027-01-04)"),
        "{}",
        r.stderr
    );
    let r = verify(&[
        "--revocations",
        "new.cose",
        "--min-revocations-issued",
        "2027-01-04",
    ]);
    assert_eq!((r.code, outcome(&r).as_str()), (1, "revoked"));

    // A state file records the newest list and refuses an older one later.
    let r = verify(&["--revocations", "new.cose", "--revocation-state", "state"]);
    assert_eq!((r.code, outcome(&r).as_str()), (1, "revoked"));
    let state = std::fs::read_to_string(s.file("state")).unwrap();
    assert!(
        state.contains("issuer bern\nissued 2027-01-04\n"),
        "{state}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.file("state"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let r = verify(&["--revocations", "old.cose", "--revocation-state", "state"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("could un-revoke cards"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(s.file("state")).unwrap(), state);
    // A damaged state file is an error, never a fresh start.
    std::fs::write(s.file("state"), "garbage\n").unwrap();
    let r = verify(&["--revocations", "old.cose", "--revocation-state", "state"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("never reset"), "{}", r.stderr);
}

#[test]
fn bad_numbers_file_names_the_line() {
    let s = Setup::new();
    std::fs::write(s.file("revoked.txt"), "000000000000\n\n# x\n000000000001\n").unwrap();
    let r = run(
        s.path(),
        &[
            "keys",
            "revocations",
            "--root",
            "root.key",
            "--revoked",
            "revoked.txt",
            "--issuer",
            "bern",
            "--out",
            "revocations.cose",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("revoked.txt line 4"), "{}", r.stderr);
    assert!(r.stderr.contains("check digit"), "{}", r.stderr);
    assert!(!s.file("revocations.cose").exists());
}

#[test]
fn wrong_root_is_exit_2() {
    let s = Setup::new();
    let text = s.sign(&[]);
    let wrong = "0".repeat(64);
    let r = run(
        s.path(),
        &[
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root-fingerprint",
            &wrong,
            &text,
        ],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("fingerprint"), "{}", r.stderr);
    assert!(r.stdout.is_empty());

    // Another root's public key.
    ok(s.path(), &["keys", "init-root", "--out", "other-root.key"]);
    let r = run(
        s.path(),
        &[
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "other-root.pub",
            &text,
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("trust-list.cose cannot be used"),
        "{}",
        r.stderr
    );

    // A private key where the public key belongs.
    let r = run(
        s.path(),
        &[
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "root.key",
            &text,
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is a private key"), "{}", r.stderr);
}

#[test]
fn missing_files_and_bad_flags_are_exit_2() {
    let s = Setup::new();
    let text = s.sign(&[]);
    let r = run(
        s.path(),
        &[
            "verify",
            "--trust-list",
            "missing.cose",
            "--root",
            "root.pub",
            &text,
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("could not read the trust list file missing.cose"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());

    // A revocation list that is not one.
    let r = s.verify(&["--revocations", "trust-list.cose", &text]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("revocation list"), "{}", r.stderr);

    // Bad flags: clap's usage errors exit with 2 as well.
    assert_eq!(run(s.path(), &["verify", "--trust-list", "x"]).code, 2);
    assert_eq!(
        run(
            s.path(),
            &[
                "verify",
                "--trust-list",
                "t",
                "--root",
                "r",
                "--date",
                "2026-02-30",
                "x"
            ]
        )
        .code,
        2
    );
    assert_eq!(run(s.path(), &["frobnicate"]).code, 2);
}

#[test]
fn image_round_trip() {
    let s = Setup::new();
    let text = s.sign(&["--png", "card.png"]);
    let (code, json) = s.verify_json(&["--image", "card.png"]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["outcome"], "valid");
    let (_, direct) = s.verify_json(&[&text]);
    assert_eq!(json, direct);
    // The PNG holds a name: written 0600 (SECURITY.md, finding 12).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.file("card.png"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Not an image: the command cannot run.
    let r = s.verify(&["--image", "root.pub"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // An image without a QR code.
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(s.file("blank.png"))
        .unwrap();
    let r = s.verify(&["--image", "blank.png"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no QR code found"), "{}", r.stderr);
}

#[test]
fn encrypted_root_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("pass.txt"), format!("{PASSPHRASE}\n")).unwrap();
    let fp = ok(
        d,
        &[
            "keys",
            "init-root",
            "--out",
            "root.key",
            "--encrypt",
            "--passphrase-file",
            "pass.txt",
        ],
    )
    .stdout;
    let pem = std::fs::read_to_string(d.join("root.key")).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{pem}"
    );
    ok(
        d,
        &[
            "keys",
            "new-office",
            "--office",
            "Mitte",
            "--out",
            "office.key",
        ],
    );
    let trust_list = |extra: &[&str]| {
        let mut args = vec![
            "keys",
            "trust-list",
            "--root",
            "root.key",
            "--office",
            "office.pub",
            "--office-name",
            "Mitte",
            "--issuer",
            "bern",
            "--city-name",
            "Bern",
            "--issued",
            "2026-01-01",
            "--out",
            "trust-list.cose",
        ];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    // No passphrase and no terminal: a clear error, nothing written.
    let r = trust_list(&[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("root.key is encrypted"), "{}", r.stderr);
    assert!(r.stderr.contains("--passphrase-file"), "{}", r.stderr);
    assert!(!d.join("trust-list.cose").exists());
    // A wrong passphrase.
    let r: Run = command(d)
        .args([
            "keys",
            "trust-list",
            "--root",
            "root.key",
            "--office",
            "office.pub",
            "--office-name",
            "Mitte",
            "--issuer",
            "bern",
            "--city-name",
            "Bern",
            "--out",
            "trust-list.cose",
        ])
        .env("CITYCARD_ROOT_PASSPHRASE", "not it")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("wrong passphrase"), "{}", r.stderr);
    assert!(!r.stderr.contains("not it"));
    // From the file, then from the environment.
    let r = trust_list(&["--passphrase-file", "pass.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(fp.trim()), "{}", r.stdout);
    let r: Run = command(d)
        .args([
            "keys",
            "revocations",
            "--root",
            "root.key",
            "--revoked",
            "pass.txt",
            "--issuer",
            "bern",
            "--out",
            "revocations.cose",
        ])
        .env("CITYCARD_ROOT_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap()
        .into();
    // The passphrase file is not a numbers file, and its content is not echoed.
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("pass.txt line 1"), "{}", r.stderr);
    assert!(!r.stderr.contains(PASSPHRASE));
    std::fs::write(d.join("none.txt"), "").unwrap();
    let r: Run = command(d)
        .args([
            "keys",
            "revocations",
            "--root",
            "root.key",
            "--revoked",
            "none.txt",
            "--issuer",
            "bern",
            "--out",
            "revocations.cose",
        ])
        .env("CITYCARD_ROOT_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);

    // set-passphrase: decrypt to a plain copy and encrypt it again.
    ok(
        d,
        &[
            "keys",
            "set-passphrase",
            "--key",
            "root.key",
            "--passphrase-file",
            "pass.txt",
            "--remove",
            "--out",
            "plain.key",
        ],
    );
    let plain = std::fs::read_to_string(d.join("plain.key")).unwrap();
    assert!(plain.starts_with("-----BEGIN PRIVATE KEY-----"));
    ok(
        d,
        &[
            "keys",
            "set-passphrase",
            "--key",
            "plain.key",
            "--new-passphrase-file",
            "pass.txt",
            "--out",
            "again.key",
        ],
    );
    let show = ok(
        d,
        &["keys", "show", "again.key", "--passphrase-file", "pass.txt"],
    );
    assert!(show.stdout.contains(fp.trim()), "{}", show.stdout);
    openssl_reads(d, "root.key", Some(PASSPHRASE));
    openssl_reads(d, "again.key", Some(PASSPHRASE));
}

#[test]
fn key_files_are_private_and_never_overwritten() {
    let s = Setup::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for name in ["root.key", "mitte.key", "nord.key"] {
            let mode = std::fs::metadata(s.file(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
        }
        let mode = std::fs::metadata(s.file("root.pub"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }
    let before = std::fs::read(s.file("root.key")).unwrap();
    let r = run(s.path(), &["keys", "init-root", "--out", "root.key"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(std::fs::read(s.file("root.key")).unwrap(), before);
    // Only the .pub exists: still refused, and no .key appears.
    std::fs::write(s.file("x.pub"), "x").unwrap();
    let r = run(
        s.path(),
        &["keys", "new-office", "--office", "X", "--out", "x.key"],
    );
    assert_eq!(r.code, 2);
    assert!(!s.file("x.key").exists());
    // --force replaces both, still with mode 0600.
    ok(
        s.path(),
        &["keys", "init-root", "--out", "root.key", "--force"],
    );
    assert_ne!(std::fs::read(s.file("root.key")).unwrap(), before);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.file("root.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn show_every_file_type() {
    let s = Setup::new();
    let text = s.sign(&["--card-number", "000000000000"]);
    assert!(!text.is_empty());
    std::fs::write(s.file("revoked.txt"), "000000000000\n").unwrap();
    ok(
        s.path(),
        &[
            "keys",
            "revocations",
            "--root",
            "root.key",
            "--revoked",
            "revoked.txt",
            "--issuer",
            "bern",
            "--issued",
            "2027-01-01",
            "--next-update",
            "2027-02-01",
            "--out",
            "revocations.cose",
        ],
    );

    let r = ok(s.path(), &["keys", "show", "root.key"]);
    assert!(r.stdout.contains("private key"), "{}", r.stdout);
    assert!(r.stdout.contains("not encrypted"));
    assert!(r.stdout.contains(&s.root_fingerprint));
    let pem = std::fs::read_to_string(s.file("root.key")).unwrap();
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!r.stdout.contains(line), "the secret must never be shown");
    }

    let r = ok(s.path(), &["keys", "show", "mitte.pub"]);
    assert!(r.stdout.contains("public key"), "{}", r.stdout);
    assert!(r.stdout.contains(&s.mitte_kid));

    let r = ok(s.path(), &["keys", "show", "trust-list.cose"]);
    assert!(r.stdout.contains("trust list"), "{}", r.stdout);
    assert!(r.stdout.contains("SIGNATURE NOT CHECKED"));
    assert!(r.stdout.contains("Stadt Bern"));
    assert!(r.stdout.contains("bern"));
    assert!(r.stdout.contains(&s.root_fingerprint));
    assert!(r.stdout.contains(&s.mitte_kid));
    assert!(r.stdout.contains("Bürgeramt Mitte"));
    assert!(r.stdout.contains("Bürgeramt Nord"));
    assert!(
        r.stdout.contains("2026-01-01 to 2027-12-31"),
        "{}",
        r.stdout
    );
    // Default verify-until: sign-until + 10 years + 1 day.
    assert!(r.stdout.contains("until 2038-01-01"), "{}", r.stdout);
    assert!(r.stdout.contains("cards, revocations"));

    let r = ok(s.path(), &["keys", "show", "revocations.cose"]);
    assert!(r.stdout.contains("revocation list"), "{}", r.stdout);
    assert!(r.stdout.contains("SIGNATURE NOT CHECKED"));
    assert!(r.stdout.contains("Revoked card numbers: 1"));
    assert!(r.stdout.contains("0000 0000 0000"));
    assert!(r.stdout.contains("2027-02-01"));

    std::fs::write(s.file("junk.bin"), [0u8, 1, 2, 3]).unwrap();
    let r = run(s.path(), &["keys", "show", "junk.bin"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("not a key, trust list or revocation list")
    );
}

/// Issue 10 finding 11: `card sign` refuses a name that breaks §5 (it
/// used to normalise spaces and NFD silently, and accepted invisible and
/// unassigned code points), naming the rule and the code point, never the
/// name.
#[test]
fn card_sign_refuses_names_that_break_the_rules_instead_of_changing_them() {
    let s = Setup::new();
    for (given, expected) in [
        (" Secret", "leading, trailing or repeated spaces"),
        ("Secret  Name", "leading, trailing or repeated spaces"),
        ("Secre\u{0301}t", "normalization form C"),
        ("Secret\u{200B}Name", "U+200B"),
        ("Secret\u{2060}", "U+2060"),
        ("Sec\u{00AD}ret", "U+00AD"),
        ("\u{3164}\u{3164}", "U+3164"),
        ("Secret\u{0378}", "U+0378"),
    ] {
        let r = run(
            s.path(),
            &[
                "card",
                "sign",
                "--key",
                "mitte.key",
                "--given-names",
                given,
                "--family-name",
                "Doe",
                "--expires",
                "2030-01-01",
                "--issuer",
                "bern",
            ],
        );
        assert_eq!(r.code, 2, "{expected}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{expected}: {}", r.stdout);
        assert!(r.stderr.contains("given names"), "{}", r.stderr);
        assert!(r.stderr.contains(expected), "{expected}: {}", r.stderr);
        assert!(r.stderr.contains("§5"), "{}", r.stderr);
        assert!(!r.stderr.contains("Secret"), "{}", r.stderr);
        assert!(!r.stderr.contains("Secre"), "{}", r.stderr);
    }
}

#[test]
fn card_sign_refuses_bad_input_without_echoing_it() {
    let s = Setup::new();
    let r = run(
        s.path(),
        &[
            "card",
            "sign",
            "--key",
            "mitte.key",
            "--given-names",
            "Secret\u{202E}Name",
            "--family-name",
            "Doe",
            "--expires",
            "2030-01-01",
            "--issuer",
            "bern",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("given names"), "{}", r.stderr);
    assert!(!r.stderr.contains("Secret"), "{}", r.stderr);
    let r = run(
        s.path(),
        &[
            "card",
            "sign",
            "--key",
            "mitte.key",
            "--given-names",
            "A",
            "--family-name",
            "B",
            "--expires",
            "2030-01-01",
            "--issuer",
            "bern",
            "--card-number",
            "000000000001",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("check digit"), "{}", r.stderr);
    // The root key is not in the trust list: unknown_key.
    let r = ok(
        s.path(),
        &[
            "card",
            "sign",
            "--key",
            "root.key",
            "--given-names",
            "A",
            "--family-name",
            "B",
            "--expires",
            "2030-01-01",
            "--issuer",
            "bern",
            "--issued",
            "2026-07-01",
        ],
    );
    let (code, json) = s.verify_json(&[r.stdout.trim()]);
    assert_eq!(
        (code, &json["outcome"]),
        (1, &serde_json::json!("unknown_key"))
    );
    // Signed outside the key's window (it may sign until 2027-12-31).
    let text = s.sign(&["--issued", "2028-01-05"]);
    let r = run(
        s.path(),
        &[
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "root.pub",
            "--date",
            "2028-02-01",
            "--json",
            &text,
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (r.code, &json["outcome"]),
        (1, &serde_json::json!("key_not_allowed"))
    );
}

#[test]
fn openssl_reads_key_files() {
    let s = Setup::new();
    openssl_reads(s.path(), "mitte.key", None);
    openssl_reads(s.path(), "root.key", None);
}

/// Checks with `openssl pkey` that a private key and its .pub are readable,
/// and that openssl derives the same public key.
fn openssl_reads(dir: &Path, key: &str, passphrase: Option<&str>) {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        // Written to stderr directly, past the test harness's capture, so
        // that the skip shows in every run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: openssl not installed: key files not checked with openssl ***\n"
        );
        return;
    }
    let mut args = vec!["pkey", "-in", key, "-pubout"];
    let pass;
    if let Some(p) = passphrase {
        pass = format!("pass:{p}");
        args.extend(["-passin", &pass]);
    }
    let out = std::process::Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl pkey -in {key}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = match key {
        "root.encrypted.key" => "root.pub".to_owned(),
        _ => key.strip_suffix(".key").unwrap().to_owned() + ".pub",
    };
    if dir.join(&public).exists() {
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(dir.join(&public)).unwrap(),
            "openssl derives another public key for {key}"
        );
        let out = std::process::Command::new("openssl")
            .args(["pkey", "-pubin", "-in", &public, "-noout"])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl pkey -pubin -in {public}");
    }
}

#[test]
fn keys_example_is_consistent() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys.example");
    // The trust list verifies against root.pub and the revocation list loads.
    let text = ok(
        &dir,
        &[
            "card",
            "sign",
            "--key",
            "office-mitte.key",
            "--given-names",
            "Erika",
            "--family-name",
            "Mustermann",
            "--expires",
            "2029-12-31",
            "--issuer",
            "example",
            "--issued",
            "2026-06-01",
            "--card-number",
            "1234 5678 9018",
        ],
    )
    .stdout;
    let verify = |card: &str| {
        let r = run(
            &dir,
            &[
                "verify",
                "--trust-list",
                "trust-list.cose",
                "--root",
                "root.pub",
                "--revocations",
                "revocations.cose",
                "--date",
                "2027-01-01",
                "--json",
                card,
            ],
        );
        let json: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
        (r.code, json)
    };
    let (code, json) = verify(text.trim());
    assert_eq!((code, &json["outcome"]), (1, &serde_json::json!("revoked")));
    let text = ok(
        &dir,
        &[
            "card",
            "sign",
            "--key",
            "office-nord.key",
            "--given-names",
            "Erika",
            "--family-name",
            "Mustermann",
            "--expires",
            "2029-12-31",
            "--issuer",
            "example",
            "--issued",
            "2026-06-01",
        ],
    )
    .stdout;
    let (code, json) = verify(text.trim());
    assert_eq!((code, &json["outcome"]), (0, &serde_json::json!("valid")));
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert_eq!(json["office"], "Office Nord");

    // The encrypted root key is the same key, with the passphrase example-only.
    let plain = ok(&dir, &["keys", "show", "root.key"]).stdout;
    let fingerprint = plain
        .lines()
        .find_map(|l| l.trim().strip_prefix("fingerprint (as the root key):"))
        .unwrap()
        .trim()
        .to_owned();
    let r: Run = command(&dir)
        .args(["keys", "show", "root.encrypted.key"])
        .env("CITYCARD_ROOT_PASSPHRASE", "example-only")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&fingerprint), "{}", r.stdout);
    let shown = ok(&dir, &["keys", "show", "trust-list.cose"]).stdout;
    assert!(shown.contains(&fingerprint));
    assert!(shown.contains("Example City"));
    assert!(shown.contains("2026-01-01 to 2029-12-31, cards verifiable until 2040-01-01"));
    assert!(
        ok(&dir, &["keys", "show", "revocations.cose"])
            .stdout
            .contains("Revoked card numbers: 2")
    );
    for key in ["root.key", "office-mitte.key", "office-nord.key"] {
        openssl_reads(&dir, key, None);
    }
    openssl_reads(&dir, "root.encrypted.key", Some("example-only"));
}

/// Runs `citycard ARGS` in `dir` with standard output a pipe whose reading
/// end is already closed (`citycard … | head -c0`, deterministically: the
/// first write fails with EPIPE). Returns the exit code and stderr.
fn run_with_closed_stdout(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_citycard"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("CITYCARD_ROOT_PASSPHRASE")
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `citycard verify … | head -1` used to panic with "Broken pipe" (exit
/// 101). Every command that prints keeps its exit status when the reader
/// has gone: the status with a closed stdout equals the status of a normal
/// run, and nothing panics.
#[test]
fn closed_stdout_keeps_the_exit_status_of_every_printing_command() {
    let s = Setup::new();
    let d = s.path();
    let valid = s.sign(&[]);
    // The last digit changed (to another digit: a fixed "1" was the same
    // text one time in ten, and that card verified).
    let last = if valid.ends_with('1') { "2" } else { "1" };
    let tampered = format!("{}{last}", &valid[..valid.len() - 1]);
    let data = d.join("office-data");
    std::fs::create_dir_all(&data).unwrap();
    let env: [(&str, &Path); 1] = [("CITYCARD_DATA_DIR", &data)];
    let r: Run = command(d)
        .args([
            "admin",
            "create-user",
            "--username",
            "pipe",
            "--role",
            "clerk",
        ])
        .args(["--password-stdin"])
        .env("CITYCARD_DATA_DIR", &data)
        .write_stdin("a-long-enough-password\n")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let verify = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "root.pub",
            "--date",
            "2027-01-15",
        ]
        .map(String::from)
        .to_vec();
        v.extend(extra.iter().map(|s| (*s).to_owned()));
        v
    };
    let cases: Vec<(Vec<String>, i32)> = vec![
        (verify(&[&valid]), 0),
        (verify(&["--json", &valid]), 0),
        (verify(&[&tampered]), 1),
        (verify(&["--json", &tampered]), 1),
        (verify(&["garbage"]), 1),
        (verify(&["--revocations", "trust-list.cose", &valid]), 2),
        (
            ["keys", "show", "trust-list.cose"]
                .map(String::from)
                .to_vec(),
            0,
        ),
        (["keys", "show", "root.pub"].map(String::from).to_vec(), 0),
        (
            ["keys", "init-root", "--out", "r2.key", "--force"]
                .map(String::from)
                .to_vec(),
            0,
        ),
        (
            [
                "keys",
                "new-office",
                "--office",
                "X",
                "--out",
                "o2.key",
                "--force",
            ]
            .map(String::from)
            .to_vec(),
            0,
        ),
        (
            [
                "card",
                "sign",
                "--key",
                "mitte.key",
                "--issuer",
                "bern",
                "--given-names",
                "Anna",
                "--family-name",
                "Muster",
                "--expires",
                "2031-06-30",
            ]
            .map(String::from)
            .to_vec(),
            0,
        ),
        (["admin", "list-users"].map(String::from).to_vec(), 0),
        (["audit", "verify"].map(String::from).to_vec(), 0),
        (["maintenance", "due"].map(String::from).to_vec(), 0),
        (
            ["audit", "export", "--out", "-"].map(String::from).to_vec(),
            0,
        ),
        (["--help"].map(String::from).to_vec(), 0),
        (["verify", "--help"].map(String::from).to_vec(), 0),
        (["--version"].map(String::from).to_vec(), 0),
    ];
    for (args, want) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let normal: Run = command(d)
            .args(&args)
            .env("CITYCARD_DATA_DIR", &data)
            .output()
            .unwrap()
            .into();
        assert_eq!(normal.code, *want, "{args:?}: {}", normal.stderr);
        if *want != 2 {
            assert!(!normal.stdout.is_empty(), "{args:?} prints something");
        }
        let (code, stderr) = run_with_closed_stdout(d, &args, &env);
        assert_eq!(code, *want, "{args:?} with a closed stdout: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }

    // The same through a shell pipeline, as a person types it.
    let bin = env!("CARGO_BIN_EXE_citycard");
    for (text, want) in [(&valid, "0"), (&tampered, "1")] {
        let script = format!(
            "for i in 1 2 3; do '{bin}' verify --trust-list trust-list.cose --root root.pub \
             --date 2027-01-15 {text} | head -c0; s=\"$s${{PIPESTATUS[0]}}\"; done; echo $s"
        );
        let out = std::process::Command::new("bash")
            .current_dir(d)
            .args(["-c", &script])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            want.repeat(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A write error other than a closed reader (a full disk) is an error of
/// the command (exit status 2), never a panic.
#[test]
fn full_stdout_is_exit_2() {
    if !Path::new("/dev/full").exists() {
        eprintln!("SKIPPED: no /dev/full");
        return;
    }
    let s = Setup::new();
    let valid = s.sign(&[]);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_citycard"))
        .current_dir(s.path())
        .args([
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "root.pub",
        ])
        .arg(&valid)
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A trust list with the reserved issuer `dev` is a development list
/// (docs/card-format.md §7): `citycard verify` marks its cards on the first
/// line and with the warning `development_keys`, whatever the outcome; a
/// city's own list gets no such mark.
#[test]
fn verify_marks_cards_from_a_development_trust_list() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["keys", "init-root", "--out", "root.key"]);
    ok(
        d,
        &["keys", "new-office", "--office", "Dev", "--out", "o.key"],
    );
    let r = ok(
        d,
        &[
            "keys",
            "trust-list",
            "--root",
            "root.key",
            "--office",
            "o.pub",
            "--office-name",
            "Development office",
            "--issuer",
            "dev",
            "--city-name",
            "Development City (NOT REAL)",
            "--issued",
            "2026-01-01",
            "--next-update",
            "2027-12-31",
            "--out",
            "trust-list.cose",
        ],
    );
    assert!(
        r.stderr.contains("reserved for development"),
        "{}",
        r.stderr
    );
    let sign = |expires: &str| {
        ok(
            d,
            &[
                "card",
                "sign",
                "--key",
                "o.key",
                "--issuer",
                "dev",
                "--given-names",
                "",
                "--family-name",
                "Muster",
                "--issued",
                "2026-07-01",
                "--expires",
                expires,
            ],
        )
        .stdout
        .trim()
        .to_owned()
    };
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--trust-list",
            "trust-list.cose",
            "--root",
            "root.pub",
            "--date",
            "2027-01-15",
        ];
        args.extend_from_slice(extra);
        run(d, &args)
    };
    let valid = sign("2031-06-30");
    let r = verify(&[&valid]);
    assert_eq!(r.code, 0, "still valid: {}", r.stderr);
    assert_eq!(
        r.stdout.lines().next(),
        Some("VALID [DEVELOPMENT KEYS: not a real City Card]")
    );
    assert!(
        r.stdout.contains(
            "WARNING: DEVELOPMENT KEYS: checked against a development trust list (issuer \"dev\"): \
             this is not a real City Card"
        ),
        "{}",
        r.stdout
    );
    let r = verify(&["--json", &valid]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["outcome"], "valid");
    assert_eq!(
        json["warnings"],
        serde_json::json!(["development_keys", "no_revocation_list"])
    );

    let expired = sign("2026-12-31");
    let r = verify(&[&expired]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .starts_with("NOT VALID (expired) [DEVELOPMENT KEYS: not a real City Card]: "),
        "{}",
        r.stdout
    );

    // A city's own list: no mark.
    let s = Setup::new();
    let r = s.verify(&[&s.sign(&[])]);
    assert_eq!(r.code, 0);
    assert!(!r.stdout.contains("DEVELOPMENT"), "{}", r.stdout);
}

/// Every `--help` names only flags its command has (`templates check --help`
/// used to point to a `--queue` that only `print` has). Mentions of another
/// command's flags are listed here with that command.
#[test]
fn help_texts_name_only_their_own_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // (command, flags of other commands it may name, and whose)
    let commands: &[(&[&str], &[&str])] = &[
        (&["keys", "init-root"], &[]),
        (&["keys", "new-office"], &["--office-name"]), // of `keys trust-list`
        (&["keys", "trust-list"], &[]),
        (&["keys", "revocations"], &[]),
        (&["keys", "show"], &[]),
        (&["keys", "set-passphrase"], &[]),
        (&["card", "sign"], &[]),
        (&["verify"], &[]),
        (&["print"], &[]),
        (&["templates", "check"], &[]),
        (&["serve"], &[]),
        (&["desk", "export"], &[]),
        (&["admin", "create-user"], &[]),
        (&["admin", "set-password"], &[]),
        (&["admin", "disable-user"], &[]),
        (&["admin", "enable-user"], &[]),
        (&["admin", "list-users"], &[]),
        (&["admin", "site", "add"], &[]),
        (&["admin", "site", "list"], &[]),
        (&["admin", "site", "rename"], &[]),
        (&["admin", "site", "close"], &[]),
        (&["admin", "site", "reopen"], &[]),
        (&["admin", "set-site"], &[]),
        (&["admin", "figures"], &[]),
        (&["audit", "verify"], &[]),
        (&["audit", "export"], &[]),
        (&["maintenance", "run"], &[]),
        (&["maintenance", "due"], &[]),
    ];
    let flags_in = |text: &str| -> Vec<String> {
        let mut out = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        while let Some(at) = text[i..].find("--") {
            let start = i + at;
            let mut end = start + 2;
            while end < b.len() && (b[end].is_ascii_lowercase() || b[end] == b'-') {
                end += 1;
            }
            let before_ok = start == 0 || !b[start - 1].is_ascii_alphanumeric();
            if before_ok && end > start + 2 {
                out.push(text[start..end].trim_end_matches('-').to_owned());
            }
            i = end;
        }
        out
    };
    for (cmd, foreign) in commands {
        let mut args = cmd.to_vec();
        args.push("--help");
        let help = ok(d, &args).stdout;
        let options = help
            .split_once("Options:")
            .map(|(_, o)| o)
            .unwrap_or_default();
        // The flags the command has: each option line starts with one.
        let own: Vec<String> = options
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
            .flat_map(|l| flags_in(l.split("  ").next().unwrap_or_default()))
            .chain(flags_in(&help).into_iter().filter(|f| {
                help.contains(&format!("[alias: {f}]")) || help.contains(&format!("[aliases: {f}"))
            }))
            .collect();
        for flag in flags_in(&help) {
            assert!(
                own.contains(&flag) || foreign.contains(&flag.as_str()),
                "`citycard {}` --help names {flag}, which it does not have:\n{help}",
                cmd.join(" ")
            );
        }
    }
    assert!(
        !ok(d, &["templates", "check", "--help"])
            .stdout
            .contains("--queue")
    );
}

/// Issue 13 #1: `card sign --dob` takes a year or a month and year, and
/// `verify` prints it at that precision (never a made-up day); a month 13
/// is refused.
#[test]
fn partial_date_of_birth_signs_and_verifies() {
    let s = Setup::new();
    for (dob, shown) in [("1987", "1987"), ("1987-03", "1987-03")] {
        let r = ok(
            s.path(),
            &[
                "card",
                "sign",
                "--key",
                "nord.key",
                "--given-names",
                "Amina",
                "--family-name",
                "Yusuf",
                "--expires",
                "2030-01-01",
                "--issuer",
                "bern",
                "--issued",
                "2026-02-01",
                "--dob",
                dob,
            ],
        );
        let (code, json) = s.verify_json(&[r.stdout.trim()]);
        assert_eq!(code, 0, "{json}");
        assert_eq!(json["card"]["date_of_birth"], shown);
        let text = s.verify(&[r.stdout.trim()]);
        assert!(
            text.stdout
                .lines()
                .any(|l| l.trim() == format!("Date of birth:  {shown}")),
            "{}",
            text.stdout
        );
    }
    let r = run(
        s.path(),
        &[
            "card",
            "sign",
            "--key",
            "nord.key",
            "--family-name",
            "Yusuf",
            "--expires",
            "2030-01-01",
            "--issuer",
            "bern",
            "--dob",
            "1987-13",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// A data directory with three users made by `citycard admin`, and a
/// runner of the binary on it.
fn audit_office(dir: &Path) -> (PathBuf, impl Fn(&[&str]) -> Run + '_) {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    let run_in = data.clone();
    let run = move |args: &[&str]| -> Run {
        command(dir)
            .env("CITYCARD_DATA_DIR", &run_in)
            .args(args)
            .write_stdin("correct horse battery staple\n")
            .output()
            .unwrap()
            .into()
    };
    for user in ["anna", "ben", "cleo"] {
        let r = run(&[
            "admin",
            "create-user",
            "--username",
            user,
            "--role",
            "clerk",
            "--password-stdin",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    (data, run)
}

/// The report's attack with SQL on the database file only: triggers
/// dropped, entry 2 deleted, the rest renumbered, the plain SHA-256 chain
/// and the head recomputed as the office used to.
fn rewrite_chain_with_sql(data: &Path) {
    use diesel::connection::SimpleConnection;
    let url = format!("sqlite://{}", data.join("citycard.sqlite").display());
    let db =
        citycard::db::Db::connect(&citycard::config::DatabaseUrl::parse(&url).unwrap(), 1).unwrap();
    let mut conn = db.conn().unwrap();
    let sql = |conn: &mut citycard::db::DbConnection, statements: &str| {
        let citycard::db::DbConnection::Sqlite(c) = conn else {
            panic!("not SQLite");
        };
        c.batch_execute(statements).unwrap();
    };
    sql(
        &mut conn,
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
    );
    let entries = citycard::db::audit::batch_from(&mut conn, 1, 100).unwrap();
    sql(
        &mut conn,
        "DELETE FROM audit_log; UPDATE audit_head SET seq = 0, hash = zeroblob(32);",
    );
    let mut prev = vec![0u8; 32];
    let mut seq = 0;
    for e in entries.into_iter().filter(|e| e.seq != 2) {
        seq += 1;
        let hash = citycard::office::audit::entry_hash(
            &prev,
            seq,
            e.at,
            &e.actor,
            &e.office,
            &e.action,
            e.card_number,
            &e.detail,
        );
        let new = citycard::db::audit::AuditEntry {
            seq,
            prev_hash: prev.clone(),
            hash: hash.clone(),
            ..e
        };
        citycard::db::audit::insert(&mut conn, &new, &[]).unwrap();
        prev = hash;
    }
}

/// SECURITY.md finding 7 through the real binary: the report's attack
/// (triggers dropped, an entry deleted, the plain SHA-256 chain and head
/// recomputed with SQL) makes `citycard audit verify` say BROKEN with exit
/// status 1, where it used to say "intact".
#[test]
fn audit_verify_detects_a_chain_rewritten_with_sql() {
    let dir = TempDir::new().unwrap();
    let (data, run) = audit_office(dir.path());
    let r = run(&["audit", "verify"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    rewrite_chain_with_sql(&data);
    let r = run(&["audit", "verify"]);
    assert_eq!(r.code, 1, "the rewrite passed: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("BROKEN at entry 1"), "{}", r.stdout);
}

/// `citycard audit verify` says from which entry on the chain is keyed;
/// `audit checkpoint --out FILE` exports the head for an auditor to keep;
/// `audit verify --checkpoint FILE` checks that the database still holds
/// that history, and fails after the rewrite.
#[test]
fn audit_checkpoint_is_exported_and_checked() {
    let dir = TempDir::new().unwrap();
    let (data, run) = audit_office(dir.path());
    let key = std::fs::read_to_string(data.join("keys/audit.key")).unwrap();
    assert!(key.ends_with("keyed-from 1\n"), "{key}");
    let r = run(&["audit", "verify"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("intact: 3 entries; keyed with audit.key from the first entry"),
        "{}",
        r.stdout
    );
    let checkpoint = dir.path().join("checkpoint.txt");
    let file = checkpoint.to_str().unwrap();
    let r = run(&["audit", "checkpoint", "--out", file]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&checkpoint).unwrap();
    assert!(text.starts_with("citycard audit checkpoint v1\n"), "{text}");
    assert!(text.contains("\nentry: 4\n"), "{text}");
    let r = run(&["audit", "verify", "--checkpoint", file]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("the checkpoint at entry 4 matches"),
        "{}",
        r.stdout
    );
    // Refused: an existing file is not overwritten.
    let r = run(&["audit", "checkpoint", "--out", file]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    rewrite_chain_with_sql(&data);
    let r = run(&["audit", "verify", "--checkpoint", file]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("BROKEN"), "{}", r.stdout);
}

/// Issue 11: `citycard admin site add/list/rename/close/reopen`,
/// `create-user --site`, `set-site` and `figures` through the real binary.
#[test]
fn admin_sites() {
    let dir = TempDir::new().unwrap();
    let (_data, run) = audit_office(dir.path());
    let ok_run = |args: &[&str]| -> Run {
        let r = run(args);
        assert_eq!(r.code, 0, "citycard {args:?}: {}{}", r.stdout, r.stderr);
        r
    };
    // The first site exists from the start.
    let r = ok_run(&["admin", "site", "list"]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    let first = r.stdout.split('\t').next().unwrap().to_owned();
    assert!(r.stdout.contains("\tcounter\topen\t"), "{}", r.stdout);

    let nord = ok_run(&[
        "admin",
        "site",
        "add",
        "--name",
        "Bürgerbüro Nord",
        "--kind",
        "counter",
    ]);
    let nord = nord.stdout.trim().to_owned();
    assert!(nord.parse::<i64>().unwrap() > 0, "{nord}");
    let partner = ok_run(&[
        "admin",
        "site",
        "add",
        "--name",
        "Beratungsstelle Sans-Papiers",
        "--kind",
        "partner",
    ]);
    // The message names no site (a site's name and kind are sealed).
    assert!(
        !partner.stderr.contains("Sans-Papiers"),
        "{}",
        partner.stderr
    );
    assert!(!partner.stderr.contains("partner"), "{}", partner.stderr);
    let partner = partner.stdout.trim().to_owned();
    let r = ok_run(&["admin", "site", "list"]);
    assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!(
            "{partner}\tpartner\topen\tBeratungsstelle Sans-Papiers"
        )),
        "{}",
        r.stdout
    );
    // Bad input: exit status 2, nothing made.
    let r = run(&["admin", "site", "add", "--name", "X", "--kind", "embassy"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("counter, pop_up or partner"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "admin",
        "site",
        "add",
        "--name",
        "bürgerbüro nord",
        "--kind",
        "pop_up",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains("ürgerbüro"), "{}", r.stderr);

    ok_run(&[
        "admin",
        "site",
        "rename",
        &nord,
        "--name",
        "Bürgerbüro Nord-Ost",
    ]);
    let r = ok_run(&["admin", "site", "list"]);
    assert!(r.stdout.contains("\tBürgerbüro Nord-Ost\n"), "{}", r.stdout);

    // Users at sites.
    let r = command(dir.path())
        .env("CITYCARD_DATA_DIR", dir.path().join("data"))
        .args([
            "admin",
            "create-user",
            "--username",
            "dana",
            "--role",
            "clerk",
            "--site",
            &partner,
            "--password-stdin",
        ])
        .write_stdin("correct horse battery staple\n")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    ok_run(&["admin", "set-site", "anna", &nord]);
    ok_run(&["admin", "set-site", "ben", "city"]);
    // Clerks made without --site are city-wide: put one at the first site.
    ok_run(&["admin", "set-site", "cleo", &first]);
    let r = ok_run(&["admin", "list-users"]);
    assert!(
        r.stdout.contains(&format!("dana\tclerk\t{partner}\t")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("anna\tclerk\t{nord}\t")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ben\tclerk\tcity\t"), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("cleo\tclerk\t{first}\t")),
        "{}",
        r.stdout
    );
    let r = run(&["admin", "set-site", "anna", "nowhere"]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // Close and reopen.
    ok_run(&["admin", "site", "close", &partner]);
    let r = ok_run(&["admin", "site", "list"]);
    assert!(
        r.stdout.contains(&format!("{partner}\tpartner\tclosed\t")),
        "{}",
        r.stdout
    );
    let r = run(&["admin", "set-site", "ben", &partner]);
    assert_eq!(r.code, 2, "no one is put at a closed site: {}", r.stderr);
    ok_run(&["admin", "site", "reopen", &partner]);

    // The figures: a header and a total row per site.
    let r = ok_run(&["admin", "figures", "--months", "3"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("site\tname\tkind\tmonth\tenrolled"),
        "{}",
        r.stdout
    );
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!(
            "{partner}\tBeratungsstelle Sans-Papiers\tpartner\ttotal\t0\t0\t0\t0\t0"
        )),
        "{}",
        r.stdout
    );
    let r = run(&["admin", "figures", "--months", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
