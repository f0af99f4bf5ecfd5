//! `citycard print --queue`: the office's print queue into one PDF, run as
//! the real binary against an office on a temporary SQLite data directory.
//!
//! The page count is read with `pdfinfo` when it is installed; otherwise
//! the test counts `/Type /Page` objects and prints
//! `SKIPPED: pdfinfo not installed` (the count is then less certain).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod office_support;

use assert_cmd::Command;
use citycard::office::actor::Role;
use citycard::office::cards::{Attestation, EnrolOutcome, Enrolment};
use citycard_credential::{CardNumber, date};
use office_support::{Backend, TestOffice, office_with};
use std::path::{Path, PathBuf};

const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/card-templates");

/// A real JPEG (the printer decodes it): 400 × 500 px, enough for 300 dpi
/// in the template's photo box.
fn jpeg(shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(400, 500, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// Enrols residents with photos (as a clerk, through the domain).
fn enrol(t: &TestOffice, names: &[(&str, &str)]) -> Vec<CardNumber> {
    let clerk = t.user("clerk", Role::Clerk);
    names
        .iter()
        .enumerate()
        .map(|(i, (given, family))| {
            let outcome = t
                .office
                .enrol_and_issue(
                    &clerk,
                    Enrolment {
                        given_names: (*given).to_owned(),
                        family_name: (*family).to_owned(),
                        date_of_birth: Some(date::parse("1985-03-14").unwrap().into()),
                        photo: Some(jpeg(40 * i as u8)),
                        attestation: Attestation::BOTH,
                        confirm_duplicate: false,
                        pickup_site: None,
                    },
                )
                .unwrap();
            match outcome {
                EnrolOutcome::Issued(c) => c.card_number,
                EnrolOutcome::PossibleDuplicate(_) => panic!("unexpected duplicate warning"),
            }
        })
        .collect()
}

/// The office's configuration as a file for `--config`.
fn config_file(t: &TestOffice) -> PathBuf {
    config_file_with(t, Path::new(TEMPLATES))
}

/// The same with another templates folder.
fn config_file_with(t: &TestOffice, templates: &Path) -> PathBuf {
    let path = t.dir.path().join("citycard.toml");
    let toml_path = |p: &Path| p.to_str().unwrap().replace('\\', "\\\\");
    std::fs::write(
        &path,
        format!(
            "data_dir = \"{}\"\ntemplates_dir = \"{}\"\n",
            toml_path(t.data_dir()),
            toml_path(templates),
        ),
    )
    .unwrap();
    path
}

/// `citycard print …` with no `CITYCARD_*` variables from the outside.
fn citycard() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_citycard"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CITYCARD_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// The PDF's page count: `pdfinfo`, or counting page objects.
fn pages(pdf: &Path) -> usize {
    match std::process::Command::new("pdfinfo").arg(pdf).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            text.lines()
                .find_map(|l| l.strip_prefix("Pages:"))
                .map(|n| n.trim().parse().unwrap())
                .expect("pdfinfo shows the page count")
        }
        _ => {
            println!("SKIPPED: pdfinfo not installed (counting /Type /Page instead)");
            eprintln!("SKIPPED: pdfinfo not installed (counting /Type /Page instead)");
            // `/Type /Page` or `/Type/Page`, not `/Type /Pages`.
            let bytes = std::fs::read(pdf).unwrap();
            let mut count = 0;
            for (i, _) in bytes.windows(5).enumerate().filter(|(_, w)| w == b"/Type") {
                let rest = &bytes[i + 5..];
                let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
                if rest.starts_with(b"/Page") && rest.get(5) != Some(&b's') {
                    count += 1;
                }
            }
            count
        }
    }
}

#[test]
fn prints_the_queue_and_marks_it_printed() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    let names = [
        ("Zoë", "Öztürk-Dvořák"),
        ("Anh", "Nguyễn"),
        ("Анна", "Иванова"),
    ];
    let numbers = enrol(&t, &names);
    let clerk = t.user("clerk2", Role::Clerk);
    assert_eq!(t.office.print_queue(&clerk).unwrap().len(), 3);
    let config = config_file(&t);
    let out_dir = t.dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();

    // Without --mark-printed: a PDF, and the queue is left as it was.
    let first = out_dir.join("first.pdf");
    let run = citycard()
        .args(["print", "--queue", "--template", "bilingual-photo", "--out"])
        .arg(&first)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert_eq!(pages(&first), 6, "front and back of three cards");
    // The command line's PDF is in the audit log (finding 6): who, how many.
    let auditor = t.user("audit2", Role::Auditor);
    let batch: Vec<_> = t
        .office
        .audit_entries(&auditor, Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "batch_pdf_made")
        .collect();
    assert_eq!(batch.len(), 1, "the queue PDF is not audited");
    assert_eq!(
        (batch[0].actor.as_str(), batch[0].detail.as_str()),
        ("cli", "count=3")
    );
    assert_eq!(t.office.print_queue(&clerk).unwrap().len(), 3, "{stderr}");

    // With --mark-printed, on A4 sheets.
    let pdf = out_dir.join("queue.pdf");
    let run = citycard()
        .args(["print", "--queue", "--mark-printed", "--sheet", "a4"])
        .args(["--template", "bilingual-photo", "--out"])
        .arg(&pdf)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    eprintln!("{stderr}");
    assert!(run.status.success(), "{stderr}");
    assert!(pdf.is_file());
    assert_eq!(pages(&pdf), 2, "one front sheet and its back sheet");
    assert!(stderr.contains("rendering card 3/3"), "{stderr}");
    assert!(stderr.contains("Marked 3 card(s) printed"), "{stderr}");
    // Progress and messages name no resident and no card number.
    for (given, family) in names {
        assert!(
            !stderr.contains(given) && !stderr.contains(family),
            "{stderr}"
        );
    }
    for n in &numbers {
        assert!(!stderr.contains(&n.digits()), "{stderr}");
        assert!(!stderr.contains(&n.to_string()), "{stderr}");
    }
    // No temporary file left next to the PDF.
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");

    // The queue is empty and the photos are gone (default retention:
    // deleted when printed); the audit log names the command line.
    assert!(t.office.print_queue(&clerk).unwrap().is_empty());
    for n in &numbers {
        assert!(t.office.photo(&clerk, *n).unwrap().is_none());
    }
    let auditor = t.user("auditor", Role::Auditor);
    let printed: Vec<_> = t
        .office
        .audit_entries(&auditor, Default::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "card_printed")
        .collect();
    assert_eq!(printed.len(), 3);
    assert!(printed.iter().all(|e| e.actor == "cli"));

    // Now the queue is empty: a clear message, success, no PDF.
    let empty = out_dir.join("empty.pdf");
    let run = citycard()
        .args(["print", "--queue", "--mark-printed", "--out"])
        .arg(&empty)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    eprintln!("{stderr}");
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("print queue is empty"), "{stderr}");
    assert!(!empty.exists());
}

#[test]
fn a_card_that_cannot_print_leaves_no_pdf_and_marks_nothing() {
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    // The first card prints; the second has no photo, which a photo
    // template without a no-photo layout refuses (the shipped one falls
    // back to `no-photo`, so this test prints with a copy that does not).
    let numbers = enrol(&t, &[("Jo", "Roe")]);
    let clerk = t.user("clerk2", Role::Clerk);
    t.office
        .enrol_and_issue(
            &clerk,
            Enrolment {
                given_names: "Ann".to_owned(),
                family_name: "Doe".to_owned(),
                date_of_birth: None,
                photo: None,
                attestation: Attestation::BOTH,
                confirm_duplicate: false,
                pickup_site: None,
            },
        )
        .unwrap();
    let templates = t.dir.path().join("templates-without-fallback");
    let photo_only = templates.join("bilingual-photo");
    std::fs::create_dir_all(&photo_only).unwrap();
    for file in ["template.toml", "logo.svg"] {
        let text = std::fs::read_to_string(Path::new(TEMPLATES).join("bilingual-photo").join(file))
            .unwrap()
            .replace("without_photo = \"no-photo\"", "");
        std::fs::write(photo_only.join(file), text).unwrap();
    }
    let config = config_file_with(&t, &templates);
    let pdf = t.dir.path().join("queue.pdf");
    let run = citycard()
        .args(["print", "--queue", "--mark-printed", "--out"])
        .arg(&pdf)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    eprintln!("{stderr}");
    assert!(!run.status.success(), "{stderr}");
    assert!(stderr.contains("card 2"), "{stderr}");
    assert_eq!(stderr.matches("needs a photo").count(), 1, "{stderr}");
    assert!(!stderr.contains("Doe"), "{stderr}");
    assert!(!pdf.exists());
    let left = std::fs::read_dir(t.dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(left, 0);
    assert_eq!(t.office.print_queue(&clerk).unwrap().len(), 2);
    assert!(t.office.photo(&clerk, numbers[0]).unwrap().is_some());
}

/// Finding 12 (SECURITY.md): the batch PDF (names and photos) is written
/// with mode 0600, even by a binary started under `umask 022`.
#[cfg(unix)]
#[test]
fn the_batch_pdf_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let t = office_with(Backend::Sqlite, |_| {}).unwrap();
    enrol(&t, &[("Anh", "Nguyễn")]);
    let config = config_file(&t);
    let out_dir = t.dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let pdf = out_dir.join("batch.pdf");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_citycard"))
        .args(["print", "--queue", "--template", "bilingual-photo", "--out"])
        .arg(&pdf)
        .arg("--config")
        .arg(&config);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CITYCARD_") {
            cmd.env_remove(k);
        }
    }
    let run = cmd.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mode = std::fs::metadata(&pdf).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the batch PDF is mode {mode:04o}");
}
