//! The QR code as inline SVG, made on the server from the QR text (the
//! same code the card printer gets: `crate::qr::qr_code`).

use crate::qr;
use qrcode::Color;

/// An SVG of the card's QR code: black modules on white with the quiet
/// zone, one path. `label` is its accessible name. `None` when the text
/// is not a card's QR text.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    let code = qr::qr_code(text).ok()?;
    let width = code.width();
    let quiet = usize::try_from(qr::QUIET_ZONE).unwrap_or(4);
    let side = width + 2 * quiet;
    let colors = code.to_colors();
    let mut path = String::with_capacity(colors.len() * 4);
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         width=\"{px}\" height=\"{px}\" role=\"img\" aria-label=\"{label}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>",
        px = side * 4,
        label = crate::web::error::escape_html(label),
    ))
}
