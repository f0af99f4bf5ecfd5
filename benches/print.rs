//! Printing benchmark (a plain bench binary: `cargo bench -p citycard --bench print`).
//!
//! Measures, in-process and after a warm-up (fonts parsed once per process):
//! - one card without photo in card-printer mode: time and PDF size;
//! - A4 sheet batches of 10, 100 and 1,000 cards (names in ten scripts,
//!   no photos): time, size and size per card (linear growth means fonts
//!   are embedded and subset once per document);
//! - a batch of 100 cards with photos, for the photo cost.
//!
//! With `CITYCARD_BENCH_BATCH=FILE.jsonl` it also writes the 1,000-card batch
//! as a JSON Lines file, so that the CLI's peak memory can be measured with
//! `/usr/bin/time -v citycard print --sheet a4 --batch FILE.jsonl …`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use citycard::output::pdf::{FontLibrary, Template};
use citycard::output::{CardFace, Layout, Printer};
use citycard_credential::{CardClaims, CardNumber, SigningKey, date};
use std::path::Path;
use std::time::{Duration, Instant};

const NAMES: [(&str, &str); 10] = [
    ("Maximiliane Alexandra", "Oberhollenzer-Wyss"),
    ("Nguyễn Thị Minh", "Trần"),
    ("Анна Сергеевна", "Иванова"),
    ("Ελένη", "Παπαδοπούλου"),
    ("محمد علي", "الحسيني"),
    ("علی‌رضا", "رضایی"),
    ("יעל", "כהן"),
    ("秀英", "王"),
    ("አበበ", "ተሰማ"),
    ("ნინო", "ბერიძე"),
];

fn card(i: usize, photo: Option<&[u8]>) -> CardFace {
    let (given, family) = NAMES[i % NAMES.len()];
    let number = (0..10)
        .find_map(|c| CardNumber::from_u64((10_000_000_000 + i as u64) * 10 + c).ok())
        .unwrap();
    let claims = CardClaims {
        issuer: "musterstadt".into(),
        card_number: number,
        given_names: given.into(),
        family_name: family.into(),
        issued: date::parse("2026-03-01").unwrap(),
        expires: date::parse("2031-02-28").unwrap(),
        date_of_birth: Some(date::parse("1990-05-17").unwrap().into()),
    };
    let key = SigningKey::from_bytes(&[2; 32]);
    CardFace {
        qr_text: citycard_credential::sign_card_text(&key, &claims).unwrap(),
        given_names: claims.given_names,
        family_name: claims.family_name,
        card_number: claims.card_number,
        issued: claims.issued,
        expires: claims.expires,
        date_of_birth: claims.date_of_birth,
        photo: photo.map(<[u8]>::to_vec),
    }
}

fn render(t: &Printer, cards: &[CardFace], layout: Layout) -> (Duration, usize) {
    let start = Instant::now();
    let pdf = t
        .render(
            cards.iter().cloned().map(Ok),
            layout,
            cards.len(),
            &mut |_, _| {},
        )
        .unwrap();
    (start.elapsed(), pdf.len())
}

fn photo_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(600, 780, |x, y| {
        let d = (x as i32 - 300).pow(2) + (y as i32 - 330).pow(2);
        if d < 160 * 160 {
            image::Rgb([220, 180, 150])
        } else {
            image::Rgb([90, 140, (200 - y / 6) as u8])
        }
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("card-templates");
    let fonts = FontLibrary::new(&[]);
    let no_photo = Printer::single(
        Template::load(&root, "no-photo", &fonts).unwrap(),
        fonts.clone(),
    );
    let with_photo = Printer::single(
        Template::load(&root, "bilingual-photo", &fonts).unwrap(),
        fonts,
    );

    // One card, Latin 40-character name, no photo.
    let one = [card(0, None)];
    for _ in 0..5 {
        render(&no_photo, &one, Layout::CardPrinter);
    }
    let mut times: Vec<Duration> = (0..50)
        .map(|_| render(&no_photo, &one, Layout::CardPrinter).0)
        .collect();
    times.sort();
    let (_, size) = render(&no_photo, &one, Layout::CardPrinter);
    println!(
        "one card, no photo, card printer: median {:.2} ms (min {:.2}, max {:.2}), {} bytes",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        size
    );

    // Sheets: 10, 100, 1000 cards in ten scripts (fonts warmed above and here).
    let all: Vec<CardFace> = (0..1000).map(|i| card(i, None)).collect();
    render(&no_photo, &all[..10], Layout::SheetA4);
    for n in [10, 100, 1000] {
        let (t, size) = render(&no_photo, &all[..n], Layout::SheetA4);
        println!(
            "{n:>4} cards, A4 sheets, no photo: {:.3} s, {} bytes ({} bytes per card)",
            t.as_secs_f64(),
            size,
            size / n
        );
    }

    // Photos: 100 cards.
    let png = photo_png();
    let photos: Vec<CardFace> = (0..100).map(|i| card(i, Some(&png))).collect();
    let (t, size) = render(&with_photo, &photos, Layout::SheetA4);
    println!(
        " 100 cards, A4 sheets, with photo (600 × 780 PNG): {:.3} s, {} bytes ({} bytes per card)",
        t.as_secs_f64(),
        size,
        size / 100
    );

    if let Some(path) = std::env::var_os("CITYCARD_BENCH_BATCH") {
        let mut lines = String::new();
        for c in &all {
            lines.push_str(&format!("{{\"qr_text\":\"{}\"}}\n", c.qr_text));
        }
        std::fs::write(&path, lines).unwrap();
        println!(
            "wrote the 1000-card batch to {}",
            Path::new(&path).display()
        );
    }
}
