//! Text layout: font fallback per character, bidi reordering
//! (unicode-bidi), shaping (rustybuzz), and fitting into a box: shrink to
//! the minimum size, then wrap to two lines, never overflow.
//!
//! Positions are in em (multiples of the font size), x to the right from the
//! line's start and y upwards from the baseline.

use super::PrintError;
use super::fonts::{Face, FontChain, Weight, unsupported};
use super::template::{Align, TextBox};
use std::sync::Arc;
use unicode_bidi::ParagraphBidiInfo;

/// Height of one line, in em, for fitting.
pub const LINE_EM: f32 = 1.25;
/// Distance between two baselines, in em.
pub const LEADING_EM: f32 = 1.15;
/// Distance from the top of the box to the first baseline, in em.
pub const ASCENT_EM: f32 = 1.0;

const PT_PER_MM: f32 = 72.0 / 25.4;

/// One positioned glyph.
#[derive(Debug, Clone)]
pub struct Glyph {
    /// The face.
    pub face: Arc<Face>,
    /// Glyph id in the face.
    pub gid: u16,
    /// Position of the glyph origin, em.
    pub x: f32,
    /// Baseline offset, em.
    pub y: f32,
    /// The text this glyph stands for (for text extraction); may be empty
    /// for the second and later glyphs of one character.
    pub text: String,
}

/// One shaped line in visual order.
#[derive(Debug, Clone)]
pub struct Line {
    /// Glyphs, left to right.
    pub glyphs: Vec<Glyph>,
    /// Advance width, em.
    pub width: f32,
    /// The line's text in logical order (for extraction hints).
    pub text: String,
}

/// A text fitted into its box.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// Font size, pt.
    pub size: f32,
    /// One or two lines.
    pub lines: Vec<Line>,
}

impl Fitted {
    /// Glyph positions in pt relative to the box's top-left corner
    /// (x right, y up, so baselines are negative), per line.
    pub fn place(&self, style: &TextBox) -> Vec<(f32, f32, &Line)> {
        let box_w = style.w * PT_PER_MM;
        self.lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let w = line.width * self.size;
                let x = match style.align {
                    Align::Left => 0.0,
                    Align::Center => (box_w - w) / 2.0,
                    Align::Right => box_w - w,
                };
                let y = -(ASCENT_EM + LEADING_EM * i as f32) * self.size;
                (x, y, line)
            })
            .collect()
    }
}

/// Which face each character uses: the first face of the chain that has all
/// of its grapheme's characters; neutral characters (spaces, punctuation)
/// stay with the face before them when it has them.
fn assign_faces(
    text: &str,
    chain: &FontChain,
    weight: Weight,
    field: &'static str,
) -> Result<(Vec<Arc<Face>>, Vec<usize>), PrintError> {
    // Faces in chain order, loaded as needed; `None` for entries not loaded yet.
    let mut faces: Vec<Option<Option<Arc<Face>>>> = vec![None; chain.len()];
    let mut face_at = |i: usize| -> Result<Option<Arc<Face>>, PrintError> {
        match faces.get(i) {
            Some(Some(f)) => Ok(f.clone()),
            _ => {
                let f = chain.face(i, weight)?;
                if let Some(slot) = faces.get_mut(i) {
                    *slot = Some(f.clone());
                }
                Ok(f)
            }
        }
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut per_byte = vec![0usize; text.len()];
    let mut used: Vec<Arc<Face>> = Vec::new();
    let mut prev: Option<usize> = None;
    let mut i = 0;
    while let Some(&(start, c)) = chars.get(i) {
        // A grapheme: the base and following marks / joiners.
        let mut j = i + 1;
        while let Some(&(_, m)) = chars.get(j) {
            if is_mark(m) || matches!(m, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}') {
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(text.len(), |&(p, _)| p);
        let cluster: Vec<char> = chars
            .get(i..j)
            .unwrap_or(&[])
            .iter()
            .map(|&(_, ch)| ch)
            .collect();
        let covers = |f: &Face| cluster.iter().all(|ch| f.covers(*ch));
        let mut chosen = None;
        // Neutral characters stay with the face before them when it has them.
        if let Some(p) = prev.filter(|&p| is_neutral(c) && used.get(p).is_some_and(|f| covers(f))) {
            chosen = Some(p);
        }
        if chosen.is_none() {
            for e in 0..chain.len() {
                if let Some(face) = face_at(e)?.filter(|f| covers(f)) {
                    let k = match used.iter().position(|u| u.id == face.id) {
                        Some(k) => k,
                        None => {
                            used.push(face);
                            used.len() - 1
                        }
                    };
                    chosen = Some(k);
                    break;
                }
            }
        }
        let Some(chosen) = chosen else {
            let missing = cluster
                .iter()
                .copied()
                .find(|ch| {
                    !(0..chain.len()).any(|e| matches!(face_at(e), Ok(Some(f)) if f.covers(*ch)))
                })
                .unwrap_or(c);
            return Err(unsupported(field, missing, chain));
        };
        for slot in per_byte.get_mut(start..end).unwrap_or(&mut []) {
            *slot = chosen;
        }
        prev = Some(chosen);
        i = j;
    }
    Ok((used, per_byte))
}

fn is_mark(c: char) -> bool {
    use unicode_script::{Script, UnicodeScript};
    // Combining marks are (mostly) of the Inherited script; Arabic harakat
    // and other script-specific marks are covered by the ranges below.
    c.script() == Script::Inherited
        || matches!(c,
            '\u{0591}'..='\u{05C7}' | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}'
            | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}'
            | '\u{0E47}'..='\u{0E4E}' | '\u{135D}'..='\u{135F}')
}

fn is_neutral(c: char) -> bool {
    use unicode_script::{Script, UnicodeScript};
    c.script() == Script::Common && !c.is_alphanumeric()
}

/// Shapes `text[range]` of a paragraph into one visual line.
fn shape_line(
    text: &str,
    range: std::ops::Range<usize>,
    para: &ParagraphBidiInfo<'_>,
    faces: &[Arc<Face>],
    assigned: &[usize],
) -> Line {
    let mut glyphs = Vec::new();
    let mut pen = 0.0f32;
    if range.is_empty() {
        return Line {
            glyphs,
            width: 0.0,
            text: String::new(),
        };
    }
    let (levels, runs) = para.visual_runs(range.clone());
    for run in runs {
        let rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
        // Split the run into pieces of one face each, in logical order.
        let mut pieces: Vec<(std::ops::Range<usize>, usize)> = Vec::new();
        for (pos, _) in text.get(run.clone()).unwrap_or("").char_indices() {
            let at = run.start + pos;
            let face = assigned.get(at).copied().unwrap_or(0);
            match pieces.last_mut() {
                Some((r, f)) if *f == face => r.end = next_char_end(text, at),
                _ => pieces.push((at..next_char_end(text, at), face)),
            }
        }
        if rtl {
            pieces.reverse();
        }
        for (piece, face_index) in pieces {
            let Some(face) = faces.get(face_index) else {
                continue;
            };
            shape_piece(text, piece, rtl, face, &mut pen, &mut glyphs);
        }
    }
    Line {
        glyphs,
        width: pen,
        text: text.get(range).unwrap_or("").to_string(),
    }
}

fn next_char_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|s| s.chars().next())
        .map_or(at, |c| at + c.len_utf8())
}

fn shape_piece(
    text: &str,
    piece: std::ops::Range<usize>,
    rtl: bool,
    face: &Arc<Face>,
    pen: &mut f32,
    out: &mut Vec<Glyph>,
) {
    let s = text.get(piece.clone()).unwrap_or("");
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(s);
    if let Some(pre) = text.get(..piece.start) {
        buffer.set_pre_context(pre);
    }
    if let Some(post) = text.get(piece.end..) {
        buffer.set_post_context(post);
    }
    buffer.set_direction(if rtl {
        rustybuzz::Direction::RightToLeft
    } else {
        rustybuzz::Direction::LeftToRight
    });
    buffer.guess_segment_properties();
    let shaped = face.shape(buffer);
    let upm = face.units_per_em();
    let infos = shaped.glyph_infos();
    let positions = shaped.glyph_positions();

    // Cluster start offsets, sorted, to cut the text of each cluster.
    let mut starts: Vec<usize> = infos.iter().map(|g| g.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let cluster_text = |c: usize| -> &str {
        let end = starts.iter().find(|&&s| s > c).copied().unwrap_or(s.len());
        s.get(c..end).unwrap_or("")
    };
    // Glyph indices per cluster, in buffer order.
    let mut by_cluster: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, g) in infos.iter().enumerate() {
        by_cluster.entry(g.cluster as usize).or_default().push(i);
    }
    let mut texts = vec![String::new(); infos.len()];
    for (cluster, members) in &by_cluster {
        let t = cluster_text(*cluster);
        let chars: Vec<char> = t.chars().collect();
        let one_to_one = members.len() == chars.len()
            && members.len() > 1
            && members.iter().all(|&m| {
                infos.get(m).is_some_and(|g| {
                    chars
                        .iter()
                        .any(|c| face.glyph_for(*c) == Some(g.glyph_id as u16))
                })
            });
        if one_to_one {
            for &m in members {
                let gid = infos.get(m).map_or(0, |g| g.glyph_id as u16);
                if let (Some(c), Some(slot)) = (
                    chars.iter().find(|c| face.glyph_for(**c) == Some(gid)),
                    texts.get_mut(m),
                ) {
                    *slot = c.to_string();
                }
            }
        } else if let Some(slot) = members.first().and_then(|&m| texts.get_mut(m)) {
            // A ligature in right-to-left text (Arabic lam-alef): text
            // extractors read the glyph's characters in visual order and
            // reverse them, so store them reversed to get them back as typed.
            *slot = if rtl {
                t.chars().rev().collect()
            } else {
                t.to_string()
            };
        }
    }
    for ((info, pos), text) in infos.iter().zip(positions).zip(texts) {
        out.push(Glyph {
            face: face.clone(),
            gid: info.glyph_id as u16,
            x: *pen + pos.x_offset as f32 / upm,
            y: pos.y_offset as f32 / upm,
            text,
        });
        *pen += pos.x_advance as f32 / upm;
    }
}

/// A shaper for one text: the faces assigned and the bidi paragraph.
struct Shaper<'a> {
    text: &'a str,
    para: ParagraphBidiInfo<'a>,
    faces: Vec<Arc<Face>>,
    assigned: Vec<usize>,
}

impl<'a> Shaper<'a> {
    fn new(
        chain: &FontChain,
        text: &'a str,
        weight: Weight,
        field: &'static str,
    ) -> Result<Self, PrintError> {
        let (faces, assigned) = assign_faces(text, chain, weight, field)?;
        Ok(Shaper {
            text,
            para: ParagraphBidiInfo::new(text, None),
            faces,
            assigned,
        })
    }

    fn line(&self, range: std::ops::Range<usize>) -> Result<Line, PrintError> {
        let line = shape_line(self.text, range, &self.para, &self.faces, &self.assigned);
        if let Some(g) = line.glyphs.iter().find(|g| g.gid == 0) {
            // The font's cmap promised a glyph but shaping found none.
            let c = g.text.chars().next().unwrap_or('\u{FFFD}');
            return Err(PrintError::UnsupportedGlyph {
                field: "text",
                codepoint: u32::from(c),
                script: "unknown".into(),
                hint: format!("the font {} cannot draw it", g.face.name),
                not_installed: Vec::new(),
            });
        }
        Ok(line)
    }
}

/// Shapes `text` on one line at any size (for measuring and tests).
pub fn shape(
    chain: &FontChain,
    text: &str,
    weight: Weight,
    field: &'static str,
) -> Result<Line, PrintError> {
    Shaper::new(chain, text, weight, field)?.line(0..text.len())
}

/// Fits `text` into `style`'s box: the largest size up to `size` on one
/// line; below `min_size`, two lines; if even that does not fit, an error.
pub fn fit(
    chain: &FontChain,
    text: &str,
    style: &TextBox,
    field: &'static str,
) -> Result<Fitted, PrintError> {
    let shaper = Shaper::new(chain, text, style.weight, field)?;
    let box_w = style.w * PT_PER_MM;
    let box_h = style.h * PT_PER_MM;
    let (max, min) = (style.size, style.min_size().min(style.size));
    let round = |s: f32| (s * 20.0).floor() / 20.0;

    let one = shaper.line(0..text.len())?;
    let s1 = round(
        max.min(box_w / one.width.max(f32::EPSILON))
            .min(box_h / LINE_EM),
    );
    if s1 >= min {
        return Ok(Fitted {
            size: s1,
            lines: vec![one],
        });
    }
    if style.wrap {
        let mut best: Option<(f32, Line, Line)> = None;
        for (a, b) in break_candidates(text) {
            let l1 = shaper.line(0..a)?;
            let l2 = shaper.line(b..text.len())?;
            let widest = l1.width.max(l2.width).max(f32::EPSILON);
            let s = round(max.min(box_w / widest).min(box_h / (LINE_EM + LEADING_EM)));
            if best.as_ref().is_none_or(|(bs, _, _)| s > *bs) {
                best = Some((s, l1, l2));
            }
        }
        if let Some((s, l1, l2)) = best.filter(|(s, _, _)| *s >= min) {
            return Ok(Fitted {
                size: s,
                lines: vec![l1, l2],
            });
        }
    }
    Err(PrintError::TextTooLong { field })
}

/// Where a text may break: at spaces (the space is dropped); without
/// spaces, between any two characters that are not joined by a mark.
fn break_candidates(text: &str) -> Vec<(usize, usize)> {
    let spaces: Vec<(usize, usize)> = text
        .char_indices()
        .filter(|&(i, c)| c == ' ' && i > 0 && i + 1 < text.len())
        .map(|(i, _)| (i, i + 1))
        .collect();
    if !spaces.is_empty() {
        return spaces;
    }
    text.char_indices()
        .skip(1)
        .filter(|&(_, c)| !is_mark(c) && !matches!(c, '\u{200C}' | '\u{200D}'))
        .map(|(i, _)| (i, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::pdf::fonts::FontLibrary;
    use crate::output::pdf::template::FontSpec;

    fn dejavu() -> FontChain {
        let spec = FontSpec {
            bundled: Some("dejavu-sans".into()),
            regular: None,
            bold: None,
            family: None,
        };
        FontChain::load(
            &[spec],
            &FontLibrary::with_dirs(vec![]),
            std::path::Path::new("."),
        )
        .unwrap()
    }

    fn logical_text(line: &Line) -> String {
        line.glyphs.iter().map(|g| g.text.as_str()).collect()
    }

    #[test]
    fn latin_is_left_to_right() {
        let line = shape(&dejavu(), "Zoë Łukasz", Weight::Regular, "t").unwrap();
        assert_eq!(logical_text(&line), "Zoë Łukasz");
        assert!(line.glyphs.windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn arabic_is_joined_and_right_to_left() {
        let chain = dejavu();
        let line = shape(&chain, "محمد", Weight::Regular, "t").unwrap();
        // Visual order: the first logical letter is rightmost.
        assert_eq!(line.glyphs.last().unwrap().text, "م");
        // Joined: the medial/initial forms differ from the isolated ones.
        let face = chain.face(0, Weight::Regular).unwrap().unwrap();
        let isolated = face.glyph_for('م').unwrap();
        assert_ne!(line.glyphs.last().unwrap().gid, isolated);
    }

    #[test]
    fn mixed_direction_orders_runs() {
        // LTR paragraph with an Arabic word: Latin first, Arabic after, the
        // Arabic letters reversed within their run.
        let line = shape(&dejavu(), "Ali علي", Weight::Regular, "t").unwrap();
        let visual: String = line.glyphs.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(visual, "Ali يلع");
        // RTL paragraph (starts with Arabic): the Latin word goes left.
        let line = shape(&dejavu(), "علي Ali", Weight::Regular, "t").unwrap();
        let visual: String = line.glyphs.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(visual, "Ali يلع");
    }

    #[test]
    fn shrinks_then_wraps_then_refuses() {
        let chain = dejavu();
        let style = |w: f32| TextBox {
            text: None,
            x: 0.0,
            y: 0.0,
            w,
            h: 10.0,
            size: 10.0,
            min_size: Some(7.0),
            weight: Weight::Bold,
            colour: "#000000".into(),
            align: Align::Left,
            wrap: true,
            only_with: None,
        };
        let name = "Maximilian Alexander Konstantin";
        let wide = fit(&chain, name, &style(200.0), "t").unwrap();
        assert_eq!((wide.size, wide.lines.len()), (10.0, 1));
        let one = shape(&chain, name, Weight::Bold, "t").unwrap();
        let w_mm = one.width * 8.0 / PT_PER_MM;
        let shrunk = fit(&chain, name, &style(w_mm + 0.1), "t").unwrap();
        assert_eq!(shrunk.lines.len(), 1);
        assert!(shrunk.size < 10.0 && shrunk.size >= 7.0);
        let wrapped = fit(&chain, name, &style(w_mm * 0.7), "t").unwrap();
        assert_eq!(wrapped.lines.len(), 2);
        for line in &wrapped.lines {
            assert!(line.width * wrapped.size <= w_mm * 0.7 * PT_PER_MM + 0.01);
        }
        assert!(matches!(
            fit(&chain, name, &style(5.0), "t"),
            Err(PrintError::TextTooLong { .. })
        ));
    }

    #[test]
    fn unknown_script_is_refused_with_a_hint() {
        let err = shape(&dejavu(), "ሰላም", Weight::Regular, "family name").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("Ethiopic"), "{msg}");
        assert!(msg.contains("fonts-noto-core"), "{msg}");
        assert!(!msg.contains("ሰላም"));
        let err = shape(&dejavu(), "王", Weight::Regular, "family name").unwrap_err();
        assert!(err.to_string().contains("fonts-noto-cjk"));
    }
}
