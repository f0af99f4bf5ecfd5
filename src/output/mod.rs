//! Card output: the one description of a card's printed face
//! ([`CardFace`]) and the office's [`Printer`] (templates and fonts loaded
//! once), which the clerk UI, the JSON API, the command line and enrolment
//! share.
//!
//! ```text
//! office (print_card, print_cards, reprint) ─► CardFace ─► Printer ─► pdf (templates, fonts, PDF bytes)
//! citycard print (QR text, batch file) ─┘
//! ```
//!
//! A new kind of output (a phone wallet pass, say) is a new module beside
//! [`pdf`] that takes a [`CardFace`]; the domain does not change.

pub mod pdf;
mod printer;

pub use pdf::{Batch, Layout, NameField, PrintError, Skipped};
pub use printer::{CheckKey, Printer, SharedPrinter};

use citycard_credential::{BirthDate, CardNumber, Date};
use std::fmt;

/// What is printed on a card: everything every output needs, and nothing
/// else. Its `Debug` shows the card number only (no personal data in logs).
#[derive(Clone)]
pub struct CardFace {
    /// Given names, as on the card (may be empty).
    pub given_names: String,
    /// Family name.
    pub family_name: String,
    /// Card number.
    pub card_number: CardNumber,
    /// Issue date.
    pub issued: Date,
    /// Last valid day.
    pub expires: Date,
    /// Date of birth (a day, a month or a year), if the card shows it.
    pub date_of_birth: Option<BirthDate>,
    /// The QR text (`CC1…`).
    pub qr_text: String,
    /// The photo file's bytes (JPEG or PNG), if any (still) stored.
    pub photo: Option<Vec<u8>>,
}

impl fmt::Debug for CardFace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardFace")
            .field("card_number", &self.card_number)
            .finish_non_exhaustive()
    }
}

impl CardFace {
    /// Checks the names against the card format's rules (NFC, no control or
    /// bidi-override characters, lengths).
    pub fn validate(&self) -> Result<(), PrintError> {
        use citycard_credential::{NameField, names};
        names::check(NameField::GivenNames, &self.given_names, true).map_err(PrintError::Name)?;
        names::check(NameField::FamilyName, &self.family_name, false).map_err(PrintError::Name)?;
        if !self.qr_text.trim_ascii().is_ascii() {
            return Err(PrintError::Qr(
                "the QR text must be CC1 followed by digits".into(),
            ));
        }
        Ok(())
    }
}
