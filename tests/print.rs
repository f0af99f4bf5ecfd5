//! End-to-end tests of `citycard print` and `citycard templates check`.
//!
//! Cards with names in ten scripts are printed in card-printer and sheet
//! mode, rasterised with `pdftoppm` at 300 and 150 dpi, and their QR codes
//! read with `zbarimg` and with rqrr; every decoded text must verify with
//! citycard-credential. `pdfinfo` must show the exact page size and
//! `pdftotext` must give the names back. Bad inputs must fail clearly and
//! leave no PDF behind.
//!
//! Needs poppler-utils, zbar-tools, fonts-noto-core and fonts-noto-cjk; a
//! missing tool makes a test print `SKIPPED: <tool> not installed` and return.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use citycard_credential::{
    CardClaims, CardNumber, KeyUsage, Outcome, SigningKey, TrustList, TrustedKey, Verifier, date,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as Std;

const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/card-templates");

/// Ten scripts: (script, given names, family name).
const NAMES: [(&str, &str, &str); 10] = [
    ("Latin", "Zoë Łucja Şükrü", "Öztürk-Dvořák"),
    ("Vietnamese", "Nguyễn Thị Minh", "Trần"),
    ("Cyrillic", "Анна Сергеевна", "Иванова"),
    ("Greek", "Ελένη", "Παπαδοπούλου"),
    ("Arabic", "محمد علي", "الحسيني"),
    ("Persian", "علی‌رضا", "رضایی"),
    ("Hebrew", "יעל", "כהן"),
    ("Chinese", "秀英", "王"),
    ("Ethiopic", "አበበ", "ተሰማ"),
    ("Georgian", "ნინო", "ბერიძე"),
];

fn root() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn office() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}

fn verifier() -> Verifier {
    let d = |s| date::parse(s).unwrap();
    let list = TrustList {
        issuer: "musterstadt".into(),
        name: "Stadt Musterstadt".into(),
        issued: d("2026-01-01"),
        next_update: d("2027-01-01"),
        root: root().verifying_key(),
        keys: vec![TrustedKey::new(
            office().verifying_key(),
            "Bürgerbüro",
            d("2026-01-01"),
            d("2027-12-31"),
            d("2033-12-31"),
            KeyUsage::ALL,
        )],
    };
    let bytes = list.sign(&root()).unwrap();
    Verifier::new(&bytes, &root().verifying_key()).unwrap()
}

fn card_number(i: usize) -> CardNumber {
    // Eleven digits, then the Damm check digit.
    let base = 10_000_000_000u64 + 7_919 * i as u64;
    (0..10)
        .map(|c| base * 10 + c)
        .find_map(|n| CardNumber::from_u64(n).ok())
        .unwrap()
}

fn qr_text(i: usize, given: &str, family: &str, dob: bool) -> String {
    let claims = CardClaims {
        issuer: "musterstadt".into(),
        card_number: card_number(i),
        given_names: given.into(),
        family_name: family.into(),
        issued: date::parse("2026-03-01").unwrap(),
        expires: date::parse("2031-02-28").unwrap(),
        date_of_birth: dob.then(|| date::parse("1990-05-17").unwrap().into()),
    };
    citycard_credential::sign_card_text(&office(), &claims).unwrap()
}

fn assert_verifies(text: &str, verifier: &Verifier) -> CardClaims {
    let v = verifier.verify(text, date::parse("2026-06-01").unwrap());
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.reason);
    v.card.unwrap()
}

/// Whether the Noto fonts the shipped templates name for Ethiopic and
/// Chinese are installed; prints the skip notice if not.
fn have_fonts() -> bool {
    let fonts = citycard::output::pdf::FontLibrary::new(&[]);
    for (file, package) in [
        ("NotoSansEthiopic-Bold.ttf", "fonts-noto-core"),
        ("NotoSansCJK-Bold.ttc", "fonts-noto-cjk"),
    ] {
        if fonts.find(file, Path::new(TEMPLATES)).is_none() {
            println!("SKIPPED: {package} not installed");
            eprintln!("SKIPPED: {package} not installed");
            return false;
        }
    }
    true
}

/// Whether an external tool can be run; prints the skip notice if not.
fn have(tools: &[&str]) -> bool {
    for tool in tools {
        if Std::new(tool).arg("-h").output().is_err() {
            println!("SKIPPED: {tool} not installed");
            eprintln!("SKIPPED: {tool} not installed");
            return false;
        }
    }
    true
}

fn citycard() -> Command {
    let mut cmd = Command::cargo_bin("citycard").unwrap();
    cmd.env_remove("CITYCARD_FONT_DIRS")
        .env_remove("CITYCARD_TEMPLATES");
    cmd
}

/// A PNG portrait photo (a plain synthetic picture).
fn photo(dir: &Path, i: usize) -> PathBuf {
    let img = image::RgbImage::from_fn(600, 780, |x, y| {
        let d = ((x as i32 - 300).pow(2) + (y as i32 - 330).pow(2)) as f32;
        if d < 160.0f32.powi(2) {
            image::Rgb([220, 180, 150])
        } else {
            image::Rgb([(40 + i * 20) as u8, 110, (200 - y / 6) as u8])
        }
    });
    let path = dir.join(format!("photo-{i}.png"));
    img.save(&path).unwrap();
    path
}

fn run_tool(tool: &str, args: &[&str]) -> String {
    let out = Std::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `pdftotext` of one page, without the bidi marks poppler adds around
/// right-to-left text, all white space (line breaks too) as single spaces.
fn page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    let raw = run_tool(
        "pdftotext",
        &["-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"],
    );
    raw.chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{200E}' | '\u{200F}'))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn page_size(pdf: &Path) -> (usize, String) {
    let info = run_tool("pdfinfo", &[pdf.to_str().unwrap()]);
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let size = info
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .unwrap()
        .trim()
        .to_string();
    (pages, size)
}

/// Rasterises one page at `dpi` to a PNG and returns its path.
fn rasterise(pdf: &Path, page: usize, dpi: u32, out: &Path) -> PathBuf {
    let p = page.to_string();
    let prefix = out.join(format!("page{page}-{dpi}"));
    run_tool(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-f",
            &p,
            "-l",
            &p,
            "-singlefile",
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    prefix.with_extension("png")
}

/// Every QR code zbarimg finds in the image.
fn zbar(png: &Path) -> BTreeSet<String> {
    let out = Std::new("zbarimg")
        .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(png)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The QR code rqrr reads in `img` (one card). rqrr needs about three
/// pixels per module; at 150 dpi a 0.35 mm module has two, so smoothed
/// enlargements are tried as well.
fn rqrr_read(img: &image::GrayImage) -> Option<String> {
    use image::imageops::{FilterType, resize};
    let read = |img: image::GrayImage| {
        let mut prepared = rqrr::PreparedImage::prepare(img);
        prepared
            .detect_grids()
            .into_iter()
            .find_map(|g| g.decode().ok().map(|(_, text)| text))
    };
    read(img.clone()).or_else(|| {
        [
            (FilterType::CatmullRom, 2),
            (FilterType::Lanczos3, 3),
            (FilterType::Triangle, 2),
        ]
        .into_iter()
        .find_map(|(filter, k)| read(resize(img, img.width() * k, img.height() * k, filter)))
    })
}

/// Cuts card slot `i` out of a rasterised sheet.
fn slot_image(sheet: &image::GrayImage, i: usize, back: bool) -> image::GrayImage {
    let g = citycard::output::pdf::sheet::SheetGeometry::new(85.6, 53.98).unwrap();
    let (x, y) = g.slot(i, back);
    let px = sheet.width() as f32 / citycard::output::pdf::sheet::A4_WIDTH_MM;
    image::imageops::crop_imm(
        sheet,
        (x * px) as u32,
        (y * px) as u32,
        (85.6 * px) as u32,
        (53.98 * px) as u32,
    )
    .to_image()
}

#[test]
fn ten_scripts_in_card_printer_mode() {
    if !have(&["pdftoppm", "pdftotext", "pdfinfo", "zbarimg"]) || !have_fonts() {
        return;
    }
    let verifier = verifier();
    let dir = tempfile::tempdir().unwrap();
    let mut rqrr_misses = Vec::new();
    for (i, (script, given, family)) in NAMES.iter().enumerate() {
        let text = qr_text(i, given, family, true);
        let out = dir.path().join(format!("card-{i}.pdf"));
        let photo = photo(dir.path(), i);
        citycard()
            .args([
                "print",
                "--templates",
                TEMPLATES,
                "--template",
                "bilingual-photo",
            ])
            .arg("--out")
            .arg(&out)
            .args([
                "--qr-text",
                &text,
                "--given-names",
                given,
                "--family-name",
                family,
            ])
            .args(["--expires", "2031-02-28", "--dob", "1990-05-17"])
            .arg("--photo")
            .arg(&photo)
            .assert()
            .success();
        // Exactly ID-1, front then back.
        assert_eq!(
            page_size(&out),
            (2, "242.646 x 153.014 pts".to_string()),
            "{script}"
        );
        let front = page_text(&out, 1);
        assert!(
            front.contains(family),
            "{script}: {family:?} not in {front:?}"
        );
        assert!(
            front.contains(given),
            "{script}: {given:?} not in {front:?}"
        );
        assert!(front.contains(&card_number(i).to_string()), "{script}");
        assert!(front.contains("28.02.2031") && front.contains("17.05.1990"));
        // The QR code is on the back.
        for dpi in [300, 150] {
            let png = rasterise(&out, 2, dpi, dir.path());
            let found = zbar(&png);
            assert_eq!(
                found,
                BTreeSet::from([text.clone()]),
                "{script} at {dpi} dpi"
            );
            let card = assert_verifies(&text, &verifier);
            assert_eq!(
                (card.given_names.as_str(), card.family_name.as_str()),
                (*given, *family)
            );
            match rqrr_read(&image::open(&png).unwrap().to_luma8()) {
                Some(read) => assert_eq!(read, text, "{script} at {dpi} dpi (rqrr)"),
                None if dpi == 300 => panic!("{script}: rqrr cannot read the QR code at 300 dpi"),
                None => rqrr_misses.push(format!("{script}@{dpi}")),
            }
        }
    }
    report_rqrr(&rqrr_misses, 2 * NAMES.len());
}

/// rqrr (unlike zbar) cannot always read 0.35 mm modules at 150 dpi (two
/// pixels per module): report, do not fail. At 300 dpi it must read all.
fn report_rqrr(misses: &[String], total: usize) {
    println!(
        "rqrr read {} of {total} codes; missed at 150 dpi: {misses:?}",
        total - misses.len()
    );
    assert!(misses.iter().all(|m| m.ends_with("@150")), "{misses:?}");
}

#[test]
fn ten_scripts_on_a4_sheets_from_a_batch() {
    if !have(&["pdftoppm", "pdftotext", "pdfinfo", "zbarimg"]) || !have_fonts() {
        return;
    }
    let verifier = verifier();
    let dir = tempfile::tempdir().unwrap();
    let mut texts = Vec::new();
    let mut lines = String::new();
    for (i, (_, given, family)) in NAMES.iter().enumerate() {
        let text = qr_text(i, given, family, false);
        photo(dir.path(), i);
        lines.push_str(
            &serde_json::json!({ "qr_text": text, "photo": format!("photo-{i}.png") }).to_string(),
        );
        lines.push('\n');
        texts.push(text);
    }
    let batch = dir.path().join("batch.jsonl");
    std::fs::write(&batch, lines).unwrap();
    let mut rqrr_misses = Vec::new();

    for (template, qr_page) in [("no-photo", 1), ("bilingual-photo", 2)] {
        let out = dir.path().join(format!("sheet-{template}.pdf"));
        let mut cmd = citycard();
        cmd.args(["print", "--templates", TEMPLATES, "--template", template])
            .args(["--sheet", "a4", "--out"])
            .arg(&out)
            .arg("--batch")
            .arg(&batch);
        let assert = cmd.assert().success();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains("printing: 10/10 cards"), "{stderr}");
        assert_eq!(
            page_size(&out),
            (2, "595.276 x 841.89 pts (A4)".to_string())
        );
        let front = page_text(&out, 1);
        for (script, given, family) in NAMES {
            assert!(
                front.contains(family),
                "{template} {script}: {family:?} not in sheet text"
            );
            assert!(
                front.contains(given),
                "{template} {script}: {given:?} not in sheet text"
            );
        }
        for dpi in [300, 150] {
            let png = rasterise(&out, qr_page, dpi, dir.path());
            let expected: BTreeSet<String> = texts.iter().cloned().collect();
            assert_eq!(zbar(&png), expected, "{template} at {dpi} dpi");
            for text in &texts {
                assert_verifies(text, &verifier);
            }
            // rqrr, card by card: each slot holds the card of its batch line,
            // on a back sheet with the columns mirrored for duplex.
            let sheet = image::open(&png).unwrap().to_luma8();
            for (i, text) in texts.iter().enumerate() {
                match rqrr_read(&slot_image(&sheet, i, qr_page == 2)) {
                    Some(read) => assert_eq!(&read, text, "{template} slot {i} at {dpi} dpi"),
                    None if dpi == 300 => {
                        panic!("{template} slot {i}: rqrr cannot read it at 300 dpi")
                    }
                    None => rqrr_misses.push(format!("{template} slot {i}@{dpi}")),
                }
            }
        }
    }
    report_rqrr(&rqrr_misses, 2 * 2 * texts.len());
}

#[test]
fn a_card_without_photo_is_small_and_fonts_are_subset() {
    if !have(&["pdffonts"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("card.pdf");
    let text = qr_text(1, "Maximiliane Alexandra", "Oberhollenzer-Wyss", false);
    citycard()
        .args([
            "print",
            "--templates",
            TEMPLATES,
            "--template",
            "no-photo",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .args(["--qr-text", &text])
        .assert()
        .success();
    let size = std::fs::metadata(&out).unwrap().len();
    assert!(size <= 60 * 1024, "{size} bytes");
    let fonts = run_tool("pdffonts", &[out.to_str().unwrap()]);
    for line in fonts.lines().skip(2) {
        assert!(
            line.split_whitespace().nth(5) == Some("yes"),
            "not subset: {line}"
        );
    }
    // Nothing but the PDF in the folder.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("card.pdf")]);
}

#[test]
fn shipped_templates_pass_the_check() {
    let assert = citycard()
        .args(["templates", "check", "--templates", TEMPLATES])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        out.contains("bilingual-photo: ok") && out.contains("no-photo: ok"),
        "{out}"
    );
}

/// A copy of a shipped template that a test may break.
fn template_copy(root: &Path, from: &str, to: &str) -> PathBuf {
    let src = Path::new(TEMPLATES).join(from);
    let dst = root.join(to);
    std::fs::create_dir_all(&dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dst.join(entry.file_name())).unwrap();
    }
    dst
}

/// Runs `citycard print` expected to fail; checks the message and that no
/// file was left in `out_dir`.
fn print_fails(templates: &Path, template: &str, extra: &[&str], expect: &[&str]) {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("card.pdf");
    let assert = citycard()
        .arg("print")
        .arg("--templates")
        .arg(templates)
        .args(["--template", template])
        .arg("--out")
        .arg(&out)
        .args(extra)
        .assert()
        .failure()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for e in expect {
        assert!(stderr.contains(e), "expected {e:?} in: {stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn broken_templates_are_reported_with_their_place() {
    let root = tempfile::tempdir().unwrap();
    // An unknown field.
    let dir = template_copy(root.path(), "no-photo", "typo");
    let toml = std::fs::read_to_string(dir.join("template.toml")).unwrap();
    std::fs::write(
        dir.join("template.toml"),
        toml.replacen("[front.qr]\n", "[front.qr]\ncolour = \"#000000\"\n", 1),
    )
    .unwrap();
    // A missing asset, a field off the card, overlapping fields and a QR box too small.
    let dir2 = template_copy(root.path(), "no-photo", "bad");
    std::fs::remove_file(dir2.join("logo.svg")).unwrap();
    let toml = std::fs::read_to_string(dir2.join("template.toml")).unwrap();
    let toml = toml
        .replacen(
            "[front.qr]\nx = 56.6\ny = 13.6\nsize = 26.0",
            "[front.qr]\nx = 66.6\ny = 13.6\nsize = 20.0",
            1,
        )
        .replacen(
            "[front.valid_until]\nx = 3.5\ny = 37.9",
            "[front.valid_until]\nx = 80.0\ny = 20.0",
            1,
        );
    std::fs::write(dir2.join("template.toml"), toml).unwrap();

    let assert = citycard()
        .args(["templates", "check", "--templates"])
        .arg(root.path())
        .assert()
        .failure()
        .code(2);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for expected in [
        "typo/template.toml:",
        "unknown field `colour`",
        "bad/template.toml: front.logo.file: asset \"logo.svg\" is missing",
        "bad/template.toml: front.valid_until: is off the card",
        "bad/template.toml: front.qr.size: 20.00 mm is too small",
        "bad/template.toml: front.valid_until: overlaps front.qr",
    ] {
        assert!(out.contains(expected), "expected {expected:?} in:\n{out}");
    }
    let text = qr_text(3, "Anna", "Muster", false);
    print_fails(
        root.path(),
        "typo",
        &["--qr-text", &text],
        &["unknown field `colour`"],
    );
    print_fails(
        root.path(),
        "bad",
        &["--qr-text", &text],
        &["logo.svg", "missing"],
    );
    print_fails(
        root.path(),
        "nonexistent",
        &["--qr-text", &text],
        &["no template \"nonexistent\""],
    );
}

#[test]
fn names_without_a_font_are_refused_naming_the_script() {
    let root = tempfile::tempdir().unwrap();
    // A template whose chain has only the bundled DejaVu.
    let dir = template_copy(root.path(), "no-photo", "dejavu-only");
    let toml = std::fs::read_to_string(dir.join("template.toml")).unwrap();
    let start = toml.find("[[fonts]]\nregular").unwrap();
    let end = toml.find("# ───").unwrap();
    std::fs::write(
        dir.join("template.toml"),
        format!("{}{}", &toml[..start], &toml[end..]),
    )
    .unwrap();

    let text = qr_text(4, "አበበ", "ተሰማ", false);
    print_fails(
        root.path(),
        "dejavu-only",
        &["--qr-text", &text],
        &[
            "family name",
            "U+1270",
            "Ethiopic",
            "install fonts-noto-core or configure a Noto Sans Ethiopic font",
        ],
    );
    let text = qr_text(5, "秀英", "王", false);
    print_fails(
        root.path(),
        "dejavu-only",
        &["--qr-text", &text],
        &["Han", "fonts-noto-cjk"],
    );
    // Cherokee is in no template's chain, even with every Noto font installed.
    let text = qr_text(6, "", "ᏣᎳᎩ", false);
    print_fails(
        Path::new(TEMPLATES),
        "no-photo",
        &["--qr-text", &text],
        &["Cherokee", "Noto Sans Cherokee"],
    );
    // The message names the script, never the name.
    let out = citycard()
        .args([
            "print",
            "--templates",
            TEMPLATES,
            "--template",
            "no-photo",
            "--out",
        ])
        .arg(root.path().join("x.pdf"))
        .args(["--qr-text", &text])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("ᏣᎳᎩ"));
}

#[test]
fn bad_photos_are_refused_and_leave_no_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let text = qr_text(7, "Anna", "Muster", true);
    let base = ["--qr-text", text.as_str()];
    // Corrupt: a truncated PNG.
    let good = photo(dir.path(), 1);
    let mut bytes = std::fs::read(&good).unwrap();
    bytes.truncate(bytes.len() / 3);
    let corrupt = dir.path().join("corrupt.png");
    std::fs::write(&corrupt, &bytes).unwrap();
    // Not an image at all.
    let text_file = dir.path().join("photo.jpg");
    std::fs::write(&text_file, "hello").unwrap();
    // Oversized: 11 MB.
    let big = dir.path().join("big.jpg");
    std::fs::write(&big, vec![0xFFu8; 11 * 1024 * 1024]).unwrap();
    // Too many pixels: a small PNG whose header says 10000 × 10000.
    let huge = dir.path().join("huge.png");
    std::fs::write(&huge, png_claiming(10_000, 10_000)).unwrap();

    for (file, expect) in [
        (&corrupt, "damaged"),
        (&text_file, "neither a JPEG nor a PNG"),
        (&big, "at most 10 MB"),
        (&huge, "at most 40"),
    ] {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(["--photo", file.to_str().unwrap()]);
        print_fails(Path::new(TEMPLATES), "bilingual-photo", &args, &[expect]);
    }
    // The photo template without a photo.
    print_fails(
        Path::new(TEMPLATES),
        "bilingual-photo",
        &base,
        &["needs a photo"],
    );
}

#[test]
fn printed_data_must_match_the_qr_code() {
    let text = qr_text(8, "Anna", "Muster", false);
    print_fails(
        Path::new(TEMPLATES),
        "no-photo",
        &["--qr-text", &text, "--family-name", "Mustermann"],
        &["family name given does not match"],
    );
    print_fails(
        Path::new(TEMPLATES),
        "no-photo",
        &["--qr-text", &text, "--card-number", "0123 4567 8906"],
        &["card number given does not match"],
    );
    print_fails(
        Path::new(TEMPLATES),
        "no-photo",
        &["--qr-text", "CC1123"],
        &["not a card"],
    );
}

#[test]
fn a_batch_with_a_bad_line_names_the_line_and_leaves_no_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let good = qr_text(9, "Anna", "Muster", false);
    let batch = dir.path().join("batch.jsonl");
    std::fs::write(
        &batch,
        format!(
            "{}\n{{\"qr_text\": \"{good}\", \"family_name\": 42}}\n",
            serde_json::json!({ "qr_text": good })
        ),
    )
    .unwrap();
    let b = batch.to_str().unwrap();
    print_fails(
        Path::new(TEMPLATES),
        "no-photo",
        &["--batch", b],
        &["card 2", "line 2"],
    );
}

/// A valid 1 × 1 PNG whose IHDR is rewritten to claim `w` × `h` pixels.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::GrayImage::new(1, 1)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    // Signature (8), length (4), "IHDR" (4), data (13), CRC (4).
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn template_check_warns_about_shrunk_texts_and_a_missing_no_photo_layout() {
    let root = tempfile::tempdir().unwrap();
    // bilingual-photo without the no-photo template beside it.
    template_copy(root.path(), "bilingual-photo", "photo-only");
    // A German line longer than its English twin shrinks below its size:
    // the two would print at different sizes (issue 8).
    let dir = template_copy(root.path(), "no-photo", "shrunk");
    let toml = std::fs::read_to_string(dir.join("template.toml")).unwrap();
    let toml = toml.replacen(
        "text = \"Diese Karte weist Sie gegenüber der Stadt aus.\"",
        "text = \"Diese Karte weist Sie gegenüber der Stadt Musterstadt und allen ihren Ämtern aus.\"",
        1,
    );
    std::fs::write(dir.join("template.toml"), toml).unwrap();
    let assert = citycard()
        .args(["templates", "check", "--templates"])
        .arg(root.path())
        .assert()
        .failure()
        .code(2);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for expected in [
        "photo-only/template.toml: without_photo: no other template \"no-photo\" beside this one",
        "shrunk/template.toml: back.texts[1]: warning: does not fit on one line at 6.5 pt; it prints at",
    ] {
        assert!(out.contains(expected), "expected {expected:?} in:\n{out}");
    }
    // The shipped templates: no warning at all about their texts.
    let assert = citycard()
        .args(["templates", "check", "--templates", TEMPLATES])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string()
        + &String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(!out.contains("does not fit"), "{out}");
    assert!(!out.contains("without_photo"), "{out}");
}
