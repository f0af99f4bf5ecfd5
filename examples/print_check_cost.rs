//! Where the print queue's per-card printability check spends its time
//! (issue 12, item 1; figures in docs/performance.md). NOT for production
//! offices: it reads the queue of an office seeded by `scale_seed` and
//! writes `card_pdf_made` audit entries for the cards it times.
//!
//! ```text
//! cargo run --release --example print_check_cost -- DATA_DIR [ROUNDS]
//! ```
//!
//! Prints, per card (mean over the queue's first 100 cards, `ROUNDS`
//! times): the whole `Office::print_check` (database read, unsealing,
//! `Printer::check`), `Printer::check` alone on the card as read, the
//! same card with a 1200 × 1500 px photo, and its parts that are public:
//! the photo prepared for the PDF (decode, crop, resample, JPEG) and the
//! QR code made for the template's box. Text fitting is what is left.

use anyhow::{Context, Result};
use citycard::Office;
use citycard::config::Config;
use citycard::office::actor::Actor;
use citycard::output::pdf::{photo, qr_draw};
use std::time::Instant;

fn jpeg(w: u32, h: u32) -> Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

fn per_card(label: &str, n: usize, f: impl FnOnce() -> Result<()>) -> Result<()> {
    let t = Instant::now();
    f()?;
    let us = t.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64;
    println!("{label:<44} {us:>10.0} µs/card");
    Ok(())
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .context("usage: print_check_cost DATA_DIR [ROUNDS]")?;
    let rounds: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let config = Config::from_sources(None, vec![("CITYCARD_DATA_DIR".to_owned(), dir)])?;
    let office = Office::open(&config)?;
    let actor = Actor::command_line_printing(office.office_name());
    let numbers: Vec<_> = office
        .print_queue_numbers(&actor)?
        .into_iter()
        .take(100)
        .collect();
    let printer = office.printer()?;
    let mut cards = Vec::new();
    for &n in &numbers {
        cards.push(office.print_card(&actor, n, Ok::<_, citycard::error::Error>)?);
    }
    let big = jpeg(1200, 1500)?;
    let small = jpeg(400, 500)?;
    let photo_box = printer
        .main()
        .sides()
        .into_iter()
        .find_map(|(_, s)| s.photo.as_ref().map(|p| (p.w, p.h)));
    let qr_box = printer
        .main()
        .sides()
        .into_iter()
        .find_map(|(_, s)| s.qr.as_ref().map(|q| q.size));
    let n = numbers.len();
    println!("{n} queued cards, template {}", printer.main().name);
    for _ in 0..rounds {
        per_card("Office::print_check (DB, unseal, check)", n, || {
            for &c in &numbers {
                office.print_check(&actor, c)?;
            }
            Ok(())
        })?;
        per_card("Printer::check (card as read)", n, || {
            for c in &cards {
                printer.check(c)?;
            }
            Ok(())
        })?;
        for (label, bytes) in [("400 × 500", &small), ("1200 × 1500", &big)] {
            let with_photo: Vec<_> = cards
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    c.photo = Some(bytes.clone());
                    c
                })
                .collect();
            per_card(&format!("Printer::check with a {label} photo"), n, || {
                for c in &with_photo {
                    printer.check(c)?;
                }
                Ok(())
            })?;
            if let Some((w, h)) = photo_box {
                per_card(&format!("  photo::prepare {label}"), n, || {
                    for _ in 0..n {
                        photo::prepare(bytes, w, h)?;
                    }
                    Ok(())
                })?;
            }
        }
        if let Some(size) = qr_box {
            per_card("  qr_draw::code_for_box", n, || {
                for c in &cards {
                    qr_draw::code_for_box(&c.qr_text, size)?;
                }
                Ok(())
            })?;
        }
        println!();
    }
    Ok(())
}
