//! Card output: what is printed on a card, and the PDF renderer.

pub mod pdf;
