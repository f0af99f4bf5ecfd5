//! Page layouts: one card side per page for card printers, or A4 sheets of
//! 2 × 5 cards with crop marks for a print shop (back sheets mirrored left
//! to right, so that long-edge duplex printing puts each back behind its front).

/// How cards are laid out on pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One card side per page at exactly the card's size: front, then back.
    CardPrinter,
    /// A4 portrait sheets of ten cards with crop marks; a front sheet, then
    /// its back sheet mirrored for long-edge duplex.
    SheetA4,
}

/// A4 width, mm.
pub const A4_WIDTH_MM: f32 = 210.0;
/// A4 height, mm.
pub const A4_HEIGHT_MM: f32 = 297.0;
/// Cards per row on a sheet.
pub const COLUMNS: usize = 2;
/// Rows per sheet.
pub const ROWS: usize = 5;
/// Cards per sheet.
pub const PER_SHEET: usize = COLUMNS * ROWS;
/// Space between cards side by side, mm.
pub const GUTTER_X_MM: f32 = 6.0;
/// Space between rows, mm.
pub const GUTTER_Y_MM: f32 = 3.0;
/// How far colour that touches a card edge is extended past it on sheets, mm.
pub const BLEED_MM: f32 = 1.0;
/// Crop mark length, mm.
pub const MARK_MM: f32 = 4.0;
/// Gap between a crop mark and the card area, mm.
pub const MARK_GAP_MM: f32 = 1.5;

/// Where the cards go on a sheet.
#[derive(Debug, Clone, Copy)]
pub struct SheetGeometry {
    card_w: f32,
    card_h: f32,
    margin_x: f32,
    margin_y: f32,
}

impl SheetGeometry {
    /// The geometry for cards of `w` × `h` mm, or `None` if ten do not fit on A4.
    pub fn new(w: f32, h: f32) -> Option<Self> {
        let used_w = COLUMNS as f32 * w + (COLUMNS - 1) as f32 * GUTTER_X_MM;
        let used_h = ROWS as f32 * h + (ROWS - 1) as f32 * GUTTER_Y_MM;
        let margin_x = (A4_WIDTH_MM - used_w) / 2.0;
        let margin_y = (A4_HEIGHT_MM - used_h) / 2.0;
        (margin_x >= MARK_GAP_MM + 2.0 && margin_y >= MARK_GAP_MM + 2.0).then_some(SheetGeometry {
            card_w: w,
            card_h: h,
            margin_x,
            margin_y,
        })
    }

    /// Top-left corner (mm from the sheet's top-left) of slot `i` (0-based,
    /// row by row); on a back sheet the columns are mirrored.
    pub fn slot(&self, i: usize, back: bool) -> (f32, f32) {
        let (row, mut col) = (i / COLUMNS, i % COLUMNS);
        if back {
            col = COLUMNS - 1 - col;
        }
        (
            self.margin_x + col as f32 * (self.card_w + GUTTER_X_MM),
            self.margin_y + row as f32 * (self.card_h + GUTTER_Y_MM),
        )
    }

    /// Crop marks as line segments ((x1, y1), (x2, y2)) in mm from the
    /// sheet's top-left corner: at every card edge, in the margins.
    pub fn crop_marks(&self) -> Vec<((f32, f32), (f32, f32))> {
        let mut marks = Vec::new();
        let top = self.margin_y;
        let bottom = A4_HEIGHT_MM - self.margin_y;
        let left = self.margin_x;
        let right = A4_WIDTH_MM - self.margin_x;
        let len_y = MARK_MM.min(self.margin_y - MARK_GAP_MM - 0.5);
        let len_x = MARK_MM.min(self.margin_x - MARK_GAP_MM - 0.5);
        for col in 0..COLUMNS {
            let x0 = self.margin_x + col as f32 * (self.card_w + GUTTER_X_MM);
            for x in [x0, x0 + self.card_w] {
                marks.push(((x, top - MARK_GAP_MM), (x, top - MARK_GAP_MM - len_y)));
                marks.push(((x, bottom + MARK_GAP_MM), (x, bottom + MARK_GAP_MM + len_y)));
            }
        }
        for row in 0..ROWS {
            let y0 = self.margin_y + row as f32 * (self.card_h + GUTTER_Y_MM);
            for y in [y0, y0 + self.card_h] {
                marks.push(((left - MARK_GAP_MM, y), (left - MARK_GAP_MM - len_x, y)));
                marks.push(((right + MARK_GAP_MM, y), (right + MARK_GAP_MM + len_x, y)));
            }
        }
        marks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_id1_cards_fit_and_backs_mirror() {
        let g = SheetGeometry::new(85.6, 53.98).unwrap();
        let (x0, y0) = g.slot(0, false);
        let (x1, _) = g.slot(1, false);
        assert!(x0 > 10.0 && y0 > 5.0);
        assert_eq!(g.slot(0, true).0, x1);
        assert_eq!(g.slot(1, true).0, x0);
        let (_, y9) = g.slot(9, false);
        assert!(y9 + 53.98 < A4_HEIGHT_MM - 5.0);
        // Mirror symmetry: the back of slot 0 is where a long-edge flip puts it.
        assert!(((A4_WIDTH_MM - (x0 + 85.6)) - x1).abs() < 1e-3);
        assert!(SheetGeometry::new(100.0, 60.0).is_none());
        assert_eq!(g.crop_marks().len(), 2 * 2 * 2 + 5 * 2 * 2);
    }
}
