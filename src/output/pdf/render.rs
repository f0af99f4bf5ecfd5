//! Drawing card sides as PDF operations and assembling the document.

use super::fonts::Face;
use super::logo::Logo;
use super::sheet::{BLEED_MM, Layout, PER_SHEET, SheetGeometry};
use super::template::{Rgb, Side, Template, TextBox, parse_colour};
use super::text::{Fitted, fit};
use super::{PrintError, photo, qr_draw};
use crate::output::CardFace;
use printpdf::{
    Codepoint, Color, CurTransMat, DictItem, ExternalStream, ExternalXObject, FontId, Line,
    LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point,
    Polygon, PolygonRing, Pt, Px, RawImage, RawImageData, RawImageFormat, Rect, TextItem,
    TextMatrix, WindingOrder, XObject, XObjectId, XObjectTransform,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

const PT_PER_MM: f32 = 72.0 / 25.4;
/// Most copies of one font in a document (see [`Document::font_id`]).
const MAX_FONT_VARIANTS: u8 = 4;

fn pt(mm: f32) -> Pt {
    Pt(mm * PT_PER_MM)
}

fn colour(value: &str) -> Color {
    let Rgb(r, g, b) = parse_colour(value).unwrap_or(Rgb(0.0, 0.0, 0.0));
    rgb(Rgb(r, g, b))
}

fn rgb(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb {
        r: c.0,
        g: c.1,
        b: c.2,
        icc_profile: None,
    })
}

fn fill_rect(ops: &mut Vec<Op>, x: f32, y: f32, w: f32, h: f32) {
    ops.push(Op::DrawRectangle {
        rectangle: Rect {
            x: Pt(x),
            y: Pt(y),
            width: Pt(w),
            height: Pt(h),
            mode: Some(PaintMode::Fill),
            winding_order: Some(WindingOrder::NonZero),
        },
    });
}

/// A PDF being built.
pub struct Document<'t> {
    /// The first template: the page or sheet geometry.
    template: &'t Template,
    layout: Layout,
    doc: PdfDocument,
    fonts: HashMap<(usize, u8), FontId>,
    /// Text for extraction per (face, variant, glyph), see [`Document::font_id`].
    glyph_text: HashMap<(usize, u8, u16), String>,
    /// Per (template folder, side): the logo, embedded once.
    logos: HashMap<(PathBuf, usize), XObjectId>,
    pages: Vec<PdfPage>,
    /// Sheet mode: the sides of the cards waiting for a full sheet.
    pending: Vec<Vec<Vec<Op>>>,
    /// Per (template folder, side): the operations every card shares (drawn once).
    statics: HashMap<(PathBuf, usize), Vec<Op>>,
    sheet: Option<SheetGeometry>,
    error: Option<PrintError>,
    /// Resource names are numbered in the order of first use (printpdf's
    /// own are random), so that the same cards give the same bytes.
    /// Fonts: `CCAAAA`, `CCAAAB`, …; XObjects: `X1`, `X2`, ….
    next_font: usize,
    next_xobject: usize,
}

/// One side of one card, with everything that can fail about the card
/// already done (texts fitted, photo decoded, QR code made), so that a
/// refused card leaves nothing of itself in the document.
struct PreparedSide<'s> {
    side: &'s Side,
    /// The photo as an image XObject (JPEG).
    photo: Option<ExternalXObject>,
    texts: Vec<(Fitted, &'s TextBox)>,
    /// The QR code as a form XObject, and its width in modules (quiet zone included).
    qr: Option<(ExternalXObject, usize)>,
}

/// One card with everything that can fail about it done
/// ([`prepare_card`]), ready for [`Document::add_prepared`]. Preparing
/// needs no document, so cards are prepared on every core while the
/// document is assembled in card order: the PDF does not depend on how
/// many threads prepared them.
pub struct PreparedCard<'t> {
    template: &'t Template,
    sides: Vec<PreparedSide<'t>>,
}

/// Prepares one card for `template` (the layout it is printed with, for
/// example the no-photo layout of the office's template) in a document
/// whose geometry `first` sets: on a sheet every template must have the
/// first one's size and number of sides. Texts are fitted, the photo
/// decoded and re-encoded, the QR code made; nothing here touches a
/// document.
pub fn prepare_card<'t>(
    first: &Template,
    layout: Layout,
    template: &'t Template,
    card: &CardFace,
) -> Result<PreparedCard<'t>, PrintError> {
    if layout == Layout::SheetA4 {
        let (a, b) = (first.file.card, template.file.card);
        if (a.width - b.width).abs() > 0.01
            || (a.height - b.height).abs() > 0.01
            || first.sides().len() != template.sides().len()
        {
            return Err(PrintError::Pdf(format!(
                "templates {} and {} differ in card size or number of sides: they cannot share a sheet",
                first.name, template.name
            )));
        }
    }
    card.validate()?;
    let sides = template
        .sides()
        .into_iter()
        .map(|(_, side)| prepare_side(template, side, card, Mode::Print))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PreparedCard { template, sides })
}

impl<'t> Document<'t> {
    pub fn new(template: &'t Template, layout: Layout) -> Self {
        let card = template.file.card;
        let sheet = SheetGeometry::new(card.width, card.height);
        let error = (layout == Layout::SheetA4 && sheet.is_none()).then(|| {
            PrintError::Pdf("ten cards of this template's size do not fit on an A4 sheet".into())
        });
        let mut doc = PdfDocument::new("City Card");
        doc.metadata.info.creator = "citycard".into();
        doc.metadata.info.producer = "citycard".into();
        Document {
            template,
            layout,
            doc,
            fonts: HashMap::new(),
            glyph_text: HashMap::new(),
            logos: HashMap::new(),
            pages: Vec::new(),
            pending: Vec::new(),
            statics: HashMap::new(),
            sheet,
            error,
            next_font: 0,
            next_xobject: 0,
        }
    }

    /// Adds a card made by [`prepare_card`] for this document's first
    /// template and layout. Only what every card shares is still made
    /// here, once per document, and the card's resources are named here,
    /// in the order cards are added.
    pub fn add_prepared(&mut self, card: PreparedCard<'t>) -> Result<(), PrintError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let template = card.template;
        let bleed = self.layout == Layout::SheetA4;
        let mut sides = Vec::with_capacity(card.sides.len());
        for (i, side) in card.sides.into_iter().enumerate() {
            sides.push(self.side(template, i, side, bleed)?);
        }
        match self.layout {
            Layout::CardPrinter => {
                let size = template.file.card;
                for ops in sides {
                    self.pages
                        .push(PdfPage::new(Mm(size.width), Mm(size.height), ops));
                }
            }
            Layout::SheetA4 => {
                self.pending.push(sides);
                if self.pending.len() == PER_SHEET {
                    self.flush_sheet();
                }
            }
        }
        Ok(())
    }

    /// Adds the outcome of preparing a card: a fault of the document (a
    /// template too large for a sheet) comes first, then the card's own
    /// problem. A card that fails adds nothing to the document (no page,
    /// no photo).
    pub fn add_result(
        &mut self,
        prepared: Option<Result<PreparedCard<'t>, PrintError>>,
    ) -> Result<(), PrintError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let prepared =
            prepared.unwrap_or_else(|| Err(PrintError::Pdf("the card was not prepared".into())))?;
        self.add_prepared(prepared)
    }

    /// A resource name for the next XObject (`X1`, `X2`, … in the order of use).
    fn add_xobject(&mut self, xobject: XObject) -> XObjectId {
        self.next_xobject += 1;
        let id = XObjectId(format!("X{}", self.next_xobject));
        self.doc.resources.xobjects.map.insert(id.clone(), xobject);
        id
    }

    fn flush_sheet(&mut self) {
        let Some(geometry) = self.sheet else { return };
        let cards = std::mem::take(&mut self.pending);
        if cards.is_empty() {
            return;
        }
        let mut cards = cards;
        let side_count = cards.first().map_or(0, Vec::len);
        let card_h = self.template.file.card.height;
        for side in 0..side_count {
            let back = side % 2 == 1;
            let mut ops = Vec::new();
            for (slot, sides) in cards.iter_mut().enumerate() {
                let Some(side_ops) = sides.get_mut(side).map(std::mem::take) else {
                    continue;
                };
                let (x, y) = geometry.slot(slot, back);
                ops.push(Op::SaveGraphicsState);
                ops.push(Op::SetTransformationMatrix {
                    matrix: CurTransMat::Translate(
                        pt(x),
                        pt(super::sheet::A4_HEIGHT_MM - y - card_h),
                    ),
                });
                ops.extend(side_ops);
                ops.push(Op::RestoreGraphicsState);
            }
            ops.push(Op::SetOutlineColor {
                col: rgb(Rgb(0.0, 0.0, 0.0)),
            });
            ops.push(Op::SetOutlineThickness { pt: Pt(0.25) });
            for ((x1, y1), (x2, y2)) in geometry.crop_marks() {
                let p = |x: f32, y: f32| LinePoint {
                    p: Point {
                        x: pt(x),
                        y: pt(super::sheet::A4_HEIGHT_MM - y),
                    },
                    bezier: false,
                };
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![p(x1, y1), p(x2, y2)],
                        is_closed: false,
                    },
                });
            }
            self.pages.push(PdfPage::new(
                Mm(super::sheet::A4_WIDTH_MM),
                Mm(super::sheet::A4_HEIGHT_MM),
                ops,
            ));
        }
    }

    /// Serialises the document (fonts subset once for all cards).
    pub fn finish(mut self) -> Result<Vec<u8>, PrintError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.flush_sheet();
        if self.pages.is_empty() {
            return Err(PrintError::Pdf("no cards to print".into()));
        }
        let pages = std::mem::take(&mut self.pages);
        self.doc.with_pages(pages);
        let mut warnings = Vec::new();
        // What `PdfDocument::save` does (`optimize`: every stream compressed
        // at zlib's best level), with the streams compressed on every core
        // and a file identifier that depends on the content only.
        let opts = PdfSaveOptions {
            image_optimization: None,
            optimize: false,
            ..PdfSaveOptions::default()
        };
        let mut lo = self.doc.to_lopdf_document(&opts, &mut warnings);
        drop(self.doc);
        lo.objects.par_iter_mut().for_each(|(_, object)| {
            if let lopdf::Object::Stream(stream) = object
                && stream.allows_compression
            {
                // As lopdf's `Document::compress`: a stream that cannot be
                // compressed stays as it is.
                let _ = stream.compress();
            }
        });
        let placeholder = ID_PLACEHOLDER.to_vec();
        lo.trailer.set(
            "ID",
            lopdf::Object::Array(vec![
                lopdf::Object::String(placeholder.clone(), lopdf::StringFormat::Literal),
                lopdf::Object::String(placeholder, lopdf::StringFormat::Literal),
            ]),
        );
        let mut bytes = Vec::new();
        lo.save_to(&mut std::io::BufWriter::new(&mut bytes))
            .map_err(|e| PrintError::Pdf(e.to_string()))?;
        set_file_id(&mut bytes);
        Ok(bytes)
    }

    /// The font resource for a face. A face can be embedded more than once
    /// (`variant`) because ToUnicode maps each glyph to one text per font
    /// resource: the space glyph that stands for a ZWNJ in a Persian name
    /// must map to U+200C there and to a space elsewhere.
    fn font_id(&mut self, face: &Arc<Face>, variant: u8) -> Result<FontId, PrintError> {
        if let Some(id) = self.fonts.get(&(face.id, variant)) {
            return Ok(id.clone());
        }
        // As printpdf's `add_font`, with a name in the order of first use.
        // printpdf takes the name's first six characters as the subset tag
        // (`ABCDEF+Font`), which must be six capital letters: `CCAAAA`,
        // `CCAAAB`, … (base 26).
        let n = self.next_font;
        self.next_font += 1;
        let tag: String = (0..4)
            .rev()
            .map(|i| char::from(b'A' + (n / 26usize.pow(i) % 26) as u8))
            .collect();
        let id = FontId(format!("CC{tag}"));
        let font = printpdf::font::PdfFont::new(face.pdf_font()?.clone());
        self.doc.resources.fonts.map.insert(id.clone(), font);
        self.fonts.insert((face.id, variant), id.clone());
        Ok(id)
    }

    /// The variant of `face` whose ToUnicode entry for `gid` is `text`
    /// (registering it where the glyph is still free).
    fn variant_for(&mut self, face: &Arc<Face>, gid: u16, text: &str) -> u8 {
        for variant in 0..MAX_FONT_VARIANTS {
            match self.glyph_text.get(&(face.id, variant, gid)) {
                None => {
                    self.glyph_text
                        .insert((face.id, variant, gid), text.to_string());
                    return variant;
                }
                Some(t) if t == text => return variant,
                Some(_) => {}
            }
        }
        0
    }

    fn side(
        &mut self,
        template: &'t Template,
        index: usize,
        prepared: PreparedSide<'t>,
        bleed: bool,
    ) -> Result<Vec<Op>, PrintError> {
        let ch = template.file.card.height;
        let side = prepared.side;
        // What every card shares is drawn once per document.
        let key = (template.dir.clone(), index);
        let mut ops = match self.statics.get(&key).cloned() {
            Some(ops) => ops,
            None => {
                let ops = self.static_ops(template, index, side, bleed)?;
                self.statics.insert(key, ops.clone());
                ops
            }
        };
        if let (Some(spec), Some(photo)) = (&side.photo, prepared.photo) {
            let id = self.add_xobject(XObject::External(photo));
            place_image(&mut ops, id, spec.at(), ch);
        }
        for (fitted, style) in &prepared.texts {
            self.text(&mut ops, fitted, style, ch)?;
        }
        if let (Some(q), Some((qr, modules))) = (&side.qr, prepared.qr) {
            let id = self.add_xobject(XObject::External(qr));
            let module = pt(q.size).0 / modules as f32;
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::SetTransformationMatrix {
                matrix: CurTransMat::Raw([
                    module,
                    0.0,
                    0.0,
                    module,
                    pt(q.x).0,
                    pt(ch - q.y - q.size).0,
                ]),
            });
            ops.push(Op::UseXobject {
                id,
                transform: XObjectTransform {
                    no_auto_scale: true,
                    ..XObjectTransform::default()
                },
            });
            ops.push(Op::RestoreGraphicsState);
        }
        Ok(ops)
    }

    /// Background, colour bands, logo and fixed texts: the same on every card.
    fn static_ops(
        &mut self,
        template: &'t Template,
        index: usize,
        side: &Side,
        bleed: bool,
    ) -> Result<Vec<Op>, PrintError> {
        let size = template.file.card;
        let (cw, ch) = (size.width, size.height);
        let mut ops = Vec::new();
        let b = if bleed { BLEED_MM } else { 0.0 };
        // Background.
        if parse_colour(&side.background) != Some(Rgb(1.0, 1.0, 1.0)) {
            ops.push(Op::SetFillColor {
                col: colour(&side.background),
            });
            fill_rect(
                &mut ops,
                pt(-b).0,
                pt(-b).0,
                pt(cw + 2.0 * b).0,
                pt(ch + 2.0 * b).0,
            );
        }
        // Colour bands; those touching an edge bleed past it on sheets.
        for r in &side.rects {
            let mut x0 = r.x;
            let mut y0 = r.y;
            let mut x1 = r.x + r.w;
            let mut y1 = r.y + r.h;
            if bleed {
                if x0 <= 0.01 {
                    x0 -= b;
                }
                if y0 <= 0.01 {
                    y0 -= b;
                }
                if x1 >= cw - 0.01 {
                    x1 += b;
                }
                if y1 >= ch - 0.01 {
                    y1 += b;
                }
            }
            ops.push(Op::SetFillColor {
                col: colour(&r.colour),
            });
            fill_rect(
                &mut ops,
                pt(x0).0,
                pt(ch - y1).0,
                pt(x1 - x0).0,
                pt(y1 - y0).0,
            );
        }
        if let Some(spec) = &side.logo {
            self.logo(&mut ops, template, index, spec.at())?;
        }
        for t in side.texts.iter().filter(|t| t.only_with.is_none()) {
            let fitted = fit(
                &template.fonts,
                t.text.as_deref().unwrap_or(""),
                t,
                "fixed text",
            )?;
            self.text(&mut ops, &fitted, t, ch)?;
        }
        Ok(ops)
    }

    fn logo(
        &mut self,
        ops: &mut Vec<Op>,
        template: &'t Template,
        index: usize,
        at: super::template::BoxMm,
    ) -> Result<(), PrintError> {
        let Some(logo) = template.logos.get(index).and_then(Option::as_ref) else {
            return Ok(());
        };
        let ch = template.file.card.height;
        // Keep the aspect ratio, centred in the box.
        let aspect = logo.aspect();
        let (w, h) = if at.w / at.h > aspect {
            (at.h * aspect, at.h)
        } else {
            (at.w, at.w / aspect)
        };
        let placed = super::template::BoxMm {
            x: at.x + (at.w - w) / 2.0,
            y: at.y + (at.h - h) / 2.0,
            w,
            h,
        };
        match logo {
            Logo::Raster {
                width,
                height,
                rgba,
            } => {
                let key = (template.dir.clone(), index);
                let id = match self.logos.get(&key).cloned() {
                    Some(id) => id,
                    None => {
                        let id = self.add_xobject(XObject::Image(RawImage {
                            pixels: RawImageData::U8(rgba.clone()),
                            width: *width as usize,
                            height: *height as usize,
                            data_format: RawImageFormat::RGBA8,
                            tag: Vec::new(),
                        }));
                        self.logos.insert(key, id.clone());
                        id
                    }
                };
                place_image(ops, id, placed, ch);
            }
            Logo::Vector { view_box, shapes } => {
                let s = placed.w / view_box.2;
                for shape in shapes {
                    ops.push(Op::SetFillColor {
                        col: rgb(shape.fill),
                    });
                    let rings = shape
                        .rings
                        .iter()
                        .map(|ring| PolygonRing {
                            points: ring
                                .iter()
                                .map(|&(x, y, bezier)| LinePoint {
                                    p: Point {
                                        x: pt(placed.x + (x - view_box.0) * s),
                                        y: pt(ch - (placed.y + (y - view_box.1) * s)),
                                    },
                                    bezier,
                                })
                                .collect(),
                        })
                        .collect();
                    ops.push(Op::DrawPolygon {
                        polygon: Polygon {
                            rings,
                            mode: PaintMode::Fill,
                            winding_order: WindingOrder::NonZero,
                        },
                    });
                }
            }
        }
        Ok(())
    }

    /// Draws fitted text: every glyph placed absolutely in visual order (the
    /// PDF writer merges each baseline into one text run). Each glyph maps
    /// back to its characters through the font's ToUnicode table, so text
    /// extraction (poppler's bidi reordering) gives back the name as typed.
    ///
    /// No `/ActualText`: poppler treats it as visual-order text and returns
    /// right-to-left names reversed.
    fn text(
        &mut self,
        ops: &mut Vec<Op>,
        fitted: &Fitted,
        style: &TextBox,
        ch: f32,
    ) -> Result<(), PrintError> {
        let left = pt(style.x).0;
        let top = pt(ch - style.y).0;
        ops.push(Op::SetFillColor {
            col: colour(&style.colour),
        });
        ops.push(Op::StartTextSection);
        let mut current: Option<(usize, u8)> = None;
        let size = fitted.size;
        for (x, y, line) in fitted.place(style) {
            // One text run per stretch of glyphs in one font on one baseline:
            // a single `Tm`, then the glyphs with kerning numbers that put
            // each exactly where shaping placed it (relative to the PDF
            // widths the viewer advances by).
            let mut run: Option<Run> = None;
            for g in &line.glyphs {
                let variant = self.variant_for(&g.face, g.gid, &g.text);
                let key = (g.face.id, variant);
                let gx = g.x * 1000.0; // thousandths of an em from the line start
                let continues = run
                    .as_ref()
                    .is_some_and(|r| current == Some(key) && r.y == g.y);
                if !continues {
                    if let Some(r) = run.take() {
                        r.flush(ops);
                    }
                    if current != Some(key) {
                        let id = self.font_id(&g.face, variant)?;
                        ops.push(Op::SetFont {
                            font: PdfFontHandle::External(id),
                            size: Pt(size),
                        });
                        current = Some(key);
                    }
                    ops.push(Op::SetTextMatrix {
                        matrix: TextMatrix::Translate(
                            Pt(left + x + g.x * size),
                            Pt(top + y + g.y * size),
                        ),
                    });
                    run = Some(Run {
                        y: g.y,
                        start: gx,
                        pen: 0.0,
                        glyphs: Vec::new(),
                    });
                }
                if let Some(r) = run.as_mut() {
                    let target = gx - r.start;
                    if let Some(prev) = r.glyphs.last_mut() {
                        // A TJ number n moves the pen by -n/1000 em.
                        prev.offset = r.pen - target;
                    }
                    r.pen = target + g.face.pdf_width(g.gid);
                    r.glyphs.push(Codepoint {
                        gid: g.gid,
                        offset: 0.0,
                        cid: (!g.text.is_empty()).then(|| g.text.clone()),
                    });
                }
            }
            if let Some(r) = run.take() {
                r.flush(ops);
            }
        }
        ops.push(Op::EndTextSection);
        Ok(())
    }
}

/// Stands for the file identifier (trailer `/ID`) until the file is written.
const ID_PLACEHOLDER: &[u8; 32] = b"citycard-file-identifier-0000000";

/// Puts the file identifier into the trailer in place of [`ID_PLACEHOLDER`]:
/// the first 16 bytes of SHA-256 over the file, in hex (the same length, so
/// no offset moves). printpdf draws random identifiers; this one makes the
/// same cards give the same file, and different files different identifiers.
fn set_file_id(bytes: &mut [u8]) {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let hex: String = digest
        .as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    let hex = hex.as_bytes();
    let trailer = bytes
        .windows(b"trailer".len())
        .rposition(|w| w == b"trailer")
        .unwrap_or(0);
    let mut at = trailer;
    while let Some(found) = bytes.get(at..).and_then(|rest| {
        rest.windows(ID_PLACEHOLDER.len())
            .position(|w| w == ID_PLACEHOLDER)
    }) {
        let start = at + found;
        if let Some(slot) = bytes.get_mut(start..start + hex.len()) {
            slot.copy_from_slice(hex);
        }
        at = start + hex.len();
    }
}

/// Checks that `card` can be printed with `template` (names, fonts,
/// photo, QR code) without drawing anything.
pub fn check_card(template: &Template, card: &CardFace) -> Result<(), PrintError> {
    card.validate()?;
    for (_, side) in template.sides() {
        prepare_side(template, side, card, Mode::Check)?;
    }
    Ok(())
}

/// What [`prepare_side`] makes of a side.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Everything the PDF needs.
    Print,
    /// Only what can fail ([`check_card`]): the photo decoded and measured
    /// but not resampled nor re-encoded ([`photo::check`]), the QR code's
    /// version chosen but the code not made ([`qr_draw::check_for_box`]),
    /// the texts fitted as for printing. What is left out cannot fail, so
    /// a card that passes prints; it costs a fraction of printing.
    Check,
}

/// Everything about one card's side that can fail: the data fields fitted
/// into their boxes, the photo decoded and cropped, the QR code made
/// (with [`Mode::Check`], the photo and QR code are checked, not made).
fn prepare_side<'s>(
    template: &'s Template,
    side: &'s Side,
    card: &CardFace,
    mode: Mode,
) -> Result<PreparedSide<'s>, PrintError> {
    let photo = match (&side.photo, &card.photo) {
        (Some(spec), Some(bytes)) if mode == Mode::Check => {
            photo::check(bytes, spec.w, spec.h)?;
            None
        }
        (Some(spec), Some(bytes)) => Some(jpeg_xobject(photo::prepare(bytes, spec.w, spec.h)?)),
        (Some(spec), None) if !spec.optional => {
            return Err(PrintError::PhotoMismatch(
                "this template needs a photo and the card has none",
            ));
        }
        _ => None,
    };
    let date = |d: citycard_credential::Date| {
        d.format(&template.date_format).map_err(|_| {
            PrintError::Pdf("the template's date format cannot print this date".into())
        })
    };
    // A partial date of birth as it is: `03.1987` or `1987`, never a day.
    let birth_date = |b: citycard_credential::BirthDate| match b {
        citycard_credential::BirthDate::Day(d) => date(d),
        citycard_credential::BirthDate::Month { year, month } => {
            citycard_credential::Date::from_calendar_date(year, month, 1)
                .map_err(|_| PrintError::Pdf("the date of birth cannot be printed".into()))?
                .format(&template.month_format)
                .map_err(|_| {
                    PrintError::Pdf("the template's date format cannot print this date".into())
                })
        }
        citycard_credential::BirthDate::Year(year) => Ok(format!("{year:04}")),
    };
    let fields: [(&'static str, &'s Option<TextBox>, Option<String>); 5] = [
        (
            "family name",
            &side.family_name,
            Some(card.family_name.clone()),
        ),
        (
            "given names",
            &side.given_names,
            Some(card.given_names.clone()).filter(|g| !g.is_empty()),
        ),
        (
            "card number",
            &side.card_number,
            Some(card.card_number.to_string()),
        ),
        ("valid until", &side.valid_until, Some(date(card.expires)?)),
        (
            "date of birth",
            &side.date_of_birth,
            card.date_of_birth.map(birth_date).transpose()?,
        ),
    ];
    let mut texts = Vec::new();
    // Fixed texts that belong to a field the card has (the date of birth's label).
    for t in &side.texts {
        if t.only_with.as_deref() == Some("date_of_birth") && card.date_of_birth.is_some() {
            let value = t.text.as_deref().unwrap_or("");
            texts.push((fit(&template.fonts, value, t, "fixed text")?, t));
        }
    }
    for (field, style, value) in fields {
        if let (Some(style), Some(value)) = (style.as_ref(), value) {
            texts.push((fit(&template.fonts, &value, style, field)?, style));
        }
    }
    let qr = match (&side.qr, mode) {
        (Some(q), Mode::Check) => {
            qr_draw::check_for_box(&card.qr_text, q.size)?;
            None
        }
        (Some(q), Mode::Print) => {
            let code = qr_draw::code_for_box(&card.qr_text, q.size)?;
            Some((qr_xobject(&code), code.width() + 2 * qr_draw::QUIET))
        }
        (None, _) => None,
    };
    Ok(PreparedSide {
        side,
        photo,
        texts,
        qr,
    })
}

/// Glyphs being collected into one `TJ`.
struct Run {
    /// Baseline offset (em) shared by the run's glyphs.
    y: f32,
    /// x of the first glyph, thousandths of an em from the line start.
    start: f32,
    /// Where the viewer's pen stands after the last glyph, relative to `start`.
    pen: f32,
    glyphs: Vec<Codepoint>,
}

impl Run {
    fn flush(self, ops: &mut Vec<Op>) {
        if !self.glyphs.is_empty() {
            ops.push(Op::ShowText {
                items: vec![TextItem::GlyphIds(self.glyphs)],
            });
        }
    }
}

fn jpeg_xobject(p: photo::Prepared) -> ExternalXObject {
    let dict = BTreeMap::from([
        ("Type".to_string(), DictItem::Name(b"XObject".to_vec())),
        ("Subtype".to_string(), DictItem::Name(b"Image".to_vec())),
        ("Width".to_string(), DictItem::Int(i64::from(p.width))),
        ("Height".to_string(), DictItem::Int(i64::from(p.height))),
        (
            "ColorSpace".to_string(),
            DictItem::Name(b"DeviceRGB".to_vec()),
        ),
        ("BitsPerComponent".to_string(), DictItem::Int(8)),
        ("Filter".to_string(), DictItem::Name(b"DCTDecode".to_vec())),
    ]);
    ExternalXObject {
        stream: ExternalStream {
            dict,
            content: p.jpeg,
            compress: false,
        },
        width: Some(Px(p.width as usize)),
        height: Some(Px(p.height as usize)),
        dpi: Some(photo::DPI),
    }
}

/// Draws an image XObject filling `at` (mm from the card's top-left).
fn place_image(ops: &mut Vec<Op>, id: XObjectId, at: super::template::BoxMm, ch: f32) {
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetTransformationMatrix {
        matrix: CurTransMat::Raw([
            pt(at.w).0,
            0.0,
            0.0,
            pt(at.h).0,
            pt(at.x).0,
            pt(ch - at.y - at.h).0,
        ]),
    });
    ops.push(Op::UseXobject {
        id,
        transform: XObjectTransform {
            no_auto_scale: true,
            ..XObjectTransform::default()
        },
    });
    ops.push(Op::RestoreGraphicsState);
}

/// The QR code as a form XObject in module units: a white square (quiet
/// zone included), then the dark modules as one path of rectangles, one per
/// horizontal run, filled once (no seams between modules). DeviceGray 0 is
/// pure black, which card printer drivers put on the resin black panel.
fn qr_xobject(code: &qrcode::QrCode) -> ExternalXObject {
    use std::fmt::Write;
    let n = code.width() + 2 * qr_draw::QUIET;
    let mut content = format!("1 g 0 0 {n} {n} re f 0 g\n");
    for (row, col, len) in qr_draw::runs(code) {
        let y = n - qr_draw::QUIET - row - 1;
        let _ = writeln!(content, "{} {y} {len} 1 re", col + qr_draw::QUIET);
    }
    content.push_str("f\n");
    let side = i64::try_from(n).unwrap_or(0);
    let dict = BTreeMap::from([
        ("Type".to_string(), DictItem::Name(b"XObject".to_vec())),
        ("Subtype".to_string(), DictItem::Name(b"Form".to_vec())),
        (
            "BBox".to_string(),
            DictItem::Array(vec![
                DictItem::Int(0),
                DictItem::Int(0),
                DictItem::Int(side),
                DictItem::Int(side),
            ]),
        ),
    ]);
    ExternalXObject {
        stream: ExternalStream {
            dict,
            content: content.into_bytes(),
            compress: true,
        },
        width: None,
        height: None,
        dpi: None,
    }
}
