//! Logos: PNG images, or SVG files in a small, predictable subset (filled
//! `rect`, `circle`, `ellipse`, `polygon` and `path` with the commands
//! M L H V C S Q Z, in `g` groups, without transforms). Anything outside the
//! subset is refused by name, so what `templates check` accepts prints as drawn.

use super::template::{Rgb, parse_colour};

/// Largest logo file we read.
const MAX_LOGO_BYTES: u64 = 4 * 1024 * 1024;
/// Largest PNG logo, in pixels per side.
const MAX_LOGO_SIDE: u32 = 4096;

/// A point of a path in the SVG's user units (y down); `true` marks a Bézier control point.
pub type PathPoint = (f32, f32, bool);

/// One filled shape: closed rings (sub-paths) filled with one colour (non-zero rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Fill colour.
    pub fill: Rgb,
    /// Rings.
    pub rings: Vec<Vec<PathPoint>>,
}

/// A loaded logo.
#[derive(Debug, Clone, PartialEq)]
pub enum Logo {
    /// A PNG, as RGBA pixels.
    Raster {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// RGBA, 8 bits per channel.
        rgba: Vec<u8>,
    },
    /// An SVG, as filled shapes.
    Vector {
        /// The viewBox: x, y, width, height.
        view_box: (f32, f32, f32, f32),
        /// Shapes in painting order.
        shapes: Vec<Shape>,
    },
}

impl Logo {
    /// Loads a `.png` or `.svg` file; the error says what is wrong (no personal data is involved).
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the logo: {e}"))?;
        if meta.len() > MAX_LOGO_BYTES {
            return Err("the logo file is larger than 4 MB".into());
        }
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read the logo: {e}"))?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "png" => load_png(&bytes),
            "svg" => {
                let text = std::str::from_utf8(&bytes).map_err(|_| "the SVG is not UTF-8")?;
                parse_svg(text)
            }
            _ => Err("the logo must be a .svg or .png file".into()),
        }
    }

    /// Width / height.
    pub fn aspect(&self) -> f32 {
        match self {
            Logo::Raster { width, height, .. } => *width as f32 / (*height).max(1) as f32,
            Logo::Vector { view_box, .. } => view_box.2 / view_box.3.max(f32::EPSILON),
        }
    }
}

fn load_png(bytes: &[u8]) -> Result<Logo, String> {
    let mut reader =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_LOGO_SIDE);
    limits.max_image_height = Some(MAX_LOGO_SIDE);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| format!("the PNG logo cannot be read: {e}"))?;
    let rgba = img.to_rgba8();
    Ok(Logo::Raster {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// Parses the SVG subset.
pub fn parse_svg(text: &str) -> Result<Logo, String> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let mut view_box = None;
    let mut shapes = Vec::new();
    // Inherited fill per open element.
    let mut fills: Vec<Option<Rgb>> = Vec::new();
    let mut current: Option<(String, Vec<(String, String)>)> = None;
    let mut skip_depth = 0usize;

    for token in Tokenizer::from(text) {
        let token = token.map_err(|e| format!("the SVG is not well-formed XML: {e}"))?;
        match token {
            Token::ElementStart { local, .. } => {
                current = Some((local.as_str().to_string(), Vec::new()));
            }
            Token::Attribute { local, value, .. } => {
                if let Some((_, attrs)) = current.as_mut() {
                    attrs.push((local.as_str().to_string(), value.as_str().to_string()));
                }
            }
            Token::ElementEnd { end, .. } => match end {
                ElementEnd::Open | ElementEnd::Empty => {
                    let Some((name, attrs)) = current.take() else {
                        continue;
                    };
                    let self_closing = matches!(end, ElementEnd::Empty);
                    if skip_depth > 0 {
                        if !self_closing {
                            skip_depth += 1;
                        }
                        continue;
                    }
                    let attr = |k: &str| find_attr(&attrs, k);
                    for bad in [
                        "transform",
                        "style",
                        "stroke",
                        "clip-path",
                        "mask",
                        "filter",
                    ] {
                        if attr(bad).is_some() {
                            return Err(format!(
                                "SVG attribute `{bad}` on <{name}> is not supported (use plain fill= attributes, no transforms)"
                            ));
                        }
                    }
                    let inherited = fills.last().copied().flatten();
                    let fill = match attr("fill") {
                        Some(f) => parse_fill(f)?,
                        None => inherited.or(Some(Rgb(0.0, 0.0, 0.0))),
                    };
                    match name.as_str() {
                        "svg" => {
                            let vb = attr("viewBox").ok_or("the <svg> element needs a viewBox")?;
                            let n = numbers(vb)?;
                            match n.as_slice() {
                                [x, y, w, h] if *w > 0.0 && *h > 0.0 => {
                                    view_box = Some((*x, *y, *w, *h));
                                }
                                _ => return Err("the viewBox must be four numbers with positive width and height".into()),
                            }
                        }
                        "g" => {}
                        "title" | "desc" | "metadata" => {
                            if !self_closing {
                                skip_depth = 1;
                            }
                            continue;
                        }
                        "rect" | "circle" | "ellipse" | "polygon" | "path" => {
                            let rings = shape_rings(&name, &attrs)?;
                            if let Some(fill) = fill {
                                shapes.push(Shape { fill, rings });
                            }
                        }
                        other => {
                            return Err(format!(
                                "SVG element <{other}> is not supported (supported: svg, g, rect, circle, ellipse, polygon, path)"
                            ));
                        }
                    }
                    if !self_closing {
                        fills.push(fill);
                    }
                }
                ElementEnd::Close(..) => {
                    if skip_depth > 0 {
                        skip_depth -= 1;
                    } else {
                        fills.pop();
                    }
                }
            },
            Token::Text { text } if skip_depth == 0 && !text.as_str().trim().is_empty() => {
                return Err(
                    "text content in the SVG is not supported (convert text to paths)".into(),
                );
            }
            _ => {}
        }
    }
    let view_box = view_box.ok_or("not an SVG file (no <svg> element)")?;
    if shapes.is_empty() {
        return Err("the SVG draws nothing".into());
    }
    Ok(Logo::Vector { view_box, shapes })
}

fn parse_fill(value: &str) -> Result<Option<Rgb>, String> {
    let v = value.trim();
    match v {
        "none" => Ok(None),
        "black" => Ok(Some(Rgb(0.0, 0.0, 0.0))),
        "white" => Ok(Some(Rgb(1.0, 1.0, 1.0))),
        _ if v.len() == 4 && v.starts_with('#') => {
            let long: String = v.chars().skip(1).flat_map(|c| [c, c]).collect();
            parse_colour(&format!("#{long}")).map(Some).ok_or_else(|| {
                format!("fill \"{v}\" is not a colour (#RGB, #RRGGBB, none, black, white)")
            })
        }
        _ => parse_colour(v).map(Some).ok_or_else(|| {
            format!("fill \"{v}\" is not a colour (#RGB, #RRGGBB, none, black, white)")
        }),
    }
}

fn numbers(s: &str) -> Result<Vec<f32>, String> {
    let mut out = Vec::new();
    let mut lexer = Lexer {
        s: s.as_bytes(),
        i: 0,
    };
    while let Some(n) = lexer.number()? {
        out.push(n);
    }
    Ok(out)
}

fn find_attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == key)
        .map(|(_, v)| v.as_str())
}

fn num_attr(attrs: &[(String, String)], name: &str, el: &str) -> Result<f32, String> {
    let v = find_attr(attrs, name).unwrap_or("0");
    v.trim()
        .parse::<f32>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("<{el}> attribute `{name}` must be a plain number (no units)"))
}

/// Control-point distance for a quarter circle drawn with one cubic Bézier.
const KAPPA: f32 = 0.552_284_8;

fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> Vec<PathPoint> {
    let (kx, ky) = (rx * KAPPA, ry * KAPPA);
    vec![
        (cx + rx, cy, false),
        (cx + rx, cy + ky, true),
        (cx + kx, cy + ry, true),
        (cx, cy + ry, false),
        (cx - kx, cy + ry, true),
        (cx - rx, cy + ky, true),
        (cx - rx, cy, false),
        (cx - rx, cy - ky, true),
        (cx - kx, cy - ry, true),
        (cx, cy - ry, false),
        (cx + kx, cy - ry, true),
        (cx + rx, cy - ky, true),
        (cx + rx, cy, false),
    ]
}

fn shape_rings(name: &str, attrs: &[(String, String)]) -> Result<Vec<Vec<PathPoint>>, String> {
    let n = |a: &str| num_attr(attrs, a, name);
    let attr = |k: &str| find_attr(attrs, k);
    Ok(match name {
        "rect" => {
            let (x, y, w, h) = (n("x")?, n("y")?, n("width")?, n("height")?);
            vec![vec![
                (x, y, false),
                (x + w, y, false),
                (x + w, y + h, false),
                (x, y + h, false),
            ]]
        }
        "circle" => {
            let r = n("r")?;
            vec![ellipse(n("cx")?, n("cy")?, r, r)]
        }
        "ellipse" => vec![ellipse(n("cx")?, n("cy")?, n("rx")?, n("ry")?)],
        "polygon" => {
            let pts = numbers(attr("points").unwrap_or(""))?;
            if pts.len() < 6 || pts.len() % 2 != 0 {
                return Err("<polygon> needs at least three x,y points".into());
            }
            vec![
                pts.chunks(2)
                    .filter_map(|c| match c {
                        [x, y] => Some((*x, *y, false)),
                        _ => None,
                    })
                    .collect(),
            ]
        }
        _ => parse_path(attr("d").unwrap_or(""))?,
    })
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn skip_separators(&mut self) {
        while let Some(c) = self.s.get(self.i) {
            if c.is_ascii_whitespace() || *c == b',' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_separators();
        self.s.get(self.i).copied()
    }

    fn number(&mut self) -> Result<Option<f32>, String> {
        self.skip_separators();
        let start = self.i;
        let mut seen_dot = false;
        let mut seen_e = false;
        while let Some(&c) = self.s.get(self.i) {
            let at_start = self.i == start;
            let after_e = self.i > start && matches!(self.s.get(self.i - 1), Some(b'e' | b'E'));
            match c {
                b'0'..=b'9' => {}
                b'+' | b'-' if at_start || after_e => {}
                b'.' if !seen_dot && !seen_e => seen_dot = true,
                b'e' | b'E' if !seen_e && !at_start => seen_e = true,
                _ => break,
            }
            self.i += 1;
        }
        if start == self.i {
            return Ok(None);
        }
        let text = std::str::from_utf8(self.s.get(start..self.i).unwrap_or(b""))
            .map_err(|_| "bad number in the SVG")?;
        text.parse::<f32>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| format!("bad number \"{text}\" in the SVG"))
    }

    fn need(&mut self) -> Result<f32, String> {
        self.number()?
            .ok_or_else(|| "an SVG path command lacks a number".to_string())
    }
}

fn parse_path(d: &str) -> Result<Vec<Vec<PathPoint>>, String> {
    let mut lx = Lexer {
        s: d.as_bytes(),
        i: 0,
    };
    let mut rings: Vec<Vec<PathPoint>> = Vec::new();
    let mut ring: Vec<PathPoint> = Vec::new();
    let (mut x, mut y) = (0.0f32, 0.0f32);
    let (mut sx, mut sy) = (0.0f32, 0.0f32);
    // Last cubic control point, for S.
    let mut last_ctrl: Option<(f32, f32)> = None;
    let mut cmd = b'M';
    while let Some(c) = lx.peek() {
        if c.is_ascii_alphabetic() {
            cmd = c;
            lx.i += 1;
        } else if cmd == b'Z' || cmd == b'z' {
            return Err("numbers after Z in an SVG path".into());
        }
        let rel = cmd.is_ascii_lowercase();
        let (ox, oy) = if rel { (x, y) } else { (0.0, 0.0) };
        match cmd.to_ascii_uppercase() {
            b'M' => {
                if ring.len() > 1 {
                    rings.push(std::mem::take(&mut ring));
                }
                ring.clear();
                x = ox + lx.need()?;
                y = oy + lx.need()?;
                (sx, sy) = (x, y);
                ring.push((x, y, false));
                // Further pairs are implicit line-tos.
                cmd = if rel { b'l' } else { b'L' };
                last_ctrl = None;
            }
            b'L' => {
                x = ox + lx.need()?;
                y = oy + lx.need()?;
                ring.push((x, y, false));
                last_ctrl = None;
            }
            b'H' => {
                x = ox + lx.need()?;
                ring.push((x, y, false));
                last_ctrl = None;
            }
            b'V' => {
                y = oy + lx.need()?;
                ring.push((x, y, false));
                last_ctrl = None;
            }
            b'C' => {
                let (x1, y1) = (ox + lx.need()?, oy + lx.need()?);
                let (x2, y2) = (ox + lx.need()?, oy + lx.need()?);
                let (ex, ey) = (ox + lx.need()?, oy + lx.need()?);
                ring.extend([(x1, y1, true), (x2, y2, true), (ex, ey, false)]);
                last_ctrl = Some((x2, y2));
                (x, y) = (ex, ey);
            }
            b'S' => {
                let (x1, y1) = match last_ctrl {
                    Some((cx, cy)) => (2.0 * x - cx, 2.0 * y - cy),
                    None => (x, y),
                };
                let (x2, y2) = (ox + lx.need()?, oy + lx.need()?);
                let (ex, ey) = (ox + lx.need()?, oy + lx.need()?);
                ring.extend([(x1, y1, true), (x2, y2, true), (ex, ey, false)]);
                last_ctrl = Some((x2, y2));
                (x, y) = (ex, ey);
            }
            b'Q' => {
                let (qx, qy) = (ox + lx.need()?, oy + lx.need()?);
                let (ex, ey) = (ox + lx.need()?, oy + lx.need()?);
                let c1 = (x + 2.0 / 3.0 * (qx - x), y + 2.0 / 3.0 * (qy - y));
                let c2 = (ex + 2.0 / 3.0 * (qx - ex), ey + 2.0 / 3.0 * (qy - ey));
                ring.extend([(c1.0, c1.1, true), (c2.0, c2.1, true), (ex, ey, false)]);
                last_ctrl = None;
                (x, y) = (ex, ey);
            }
            b'Z' => {
                if ring.len() > 1 {
                    rings.push(std::mem::take(&mut ring));
                }
                (x, y) = (sx, sy);
                last_ctrl = None;
            }
            other => {
                return Err(format!(
                    "SVG path command `{}` is not supported (supported: M L H V C S Q Z)",
                    char::from(other)
                ));
            }
        }
    }
    if ring.len() > 1 {
        rings.push(ring);
    }
    if rings.is_empty() {
        return Err("an SVG path draws nothing".into());
    }
    Ok(rings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">
            <title>x</title>
            <g fill="#0B5CAD"><rect x="0" y="0" width="10" height="5"/>
            <path d="M1 1 L2 2 h1 v1 c1 1 2 2 3 3 s1 1 2 2 q1 1 2 2 z m1 1 l1 0 1 1z"/></g>
            <circle cx="5" cy="5" r="2" fill="#fff"/></svg>"##;
        let Ok(Logo::Vector { view_box, shapes }) = parse_svg(svg) else {
            panic!("should parse");
        };
        assert_eq!(view_box, (0.0, 0.0, 10.0, 10.0));
        assert_eq!(shapes.len(), 3);
        assert_eq!(shapes[1].rings.len(), 2);
        assert_eq!(shapes[2].fill, Rgb(1.0, 1.0, 1.0));
    }

    #[test]
    fn refuses_what_it_cannot_draw() {
        for (svg, needle) in [
            (r#"<svg viewBox="0 0 1 1"><text>A</text></svg>"#, "<text>"),
            (
                r#"<svg viewBox="0 0 1 1"><rect transform="rotate(4)"/></svg>"#,
                "transform",
            ),
            (
                r#"<svg viewBox="0 0 1 1"><path d="M0 0 A1 1 0 0 0 1 1"/></svg>"#,
                "`A`",
            ),
            (r#"<svg><rect width="1" height="1"/></svg>"#, "viewBox"),
            (
                r#"<svg viewBox="0 0 1 1"><rect width="1mm" height="1"/></svg>"#,
                "no units",
            ),
        ] {
            let err = parse_svg(svg).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}
