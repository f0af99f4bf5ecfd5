//! Printing cards: the print queue, the data to print, marking printed,
//! reprinting, the printability check, and the photos' retention.

use super::model::{CardSummary, PrintableCard};
use crate::config::PhotoRetention;
use crate::db::cards::{CardRow, from_i64, load as load_card};
use crate::db::residents::load as load_resident;
use crate::db::{self, DbConnection};
use crate::error::{Error, Result};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use crate::vault::{PersonalData, Purpose};
use citycard_credential::CardNumber;
use std::fmt;

/// Most entries in the print queue listing.
pub const PRINT_QUEUE_LIMIT: i64 = 500;

/// One card waiting to be printed.
#[derive(Clone)]
pub struct QueueEntry {
    /// The card.
    pub summary: CardSummary,
    /// Given names (to find the resident at the counter).
    pub given_names: String,
    /// Family name.
    pub family_name: String,
}

impl fmt::Debug for QueueEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueEntry")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl Office {
    /// Refuses names that a layout of the office's card template cannot
    /// print (with or without photo: a reprint after the photo was deleted
    /// uses the no-photo layout), so that no card is signed that the office
    /// cannot print. The same check for the UI, the API and the CLI.
    pub(super) fn check_printable(&self, personal: &PersonalData) -> Result<()> {
        use crate::output::PrintError;
        let printer = self.printer().map_err(|e| Error::Template(e.to_string()))?;
        printer
            .check_names(&personal.given_names, &personal.family_name)
            .map_err(|(field, e)| match e {
                PrintError::UnsupportedGlyph { .. } => Error::Unprintable {
                    field: field.as_str(),
                    character: e.character(),
                },
                PrintError::TextTooLong { .. } => Error::Unprintable {
                    field: field.as_str(),
                    character: None,
                },
                other => Error::Template(other.to_string()),
            })
    }

    /// Marks a card printed. The photo is deleted now, or its deletion
    /// scheduled, as the retention setting says.
    pub fn mark_printed(&self, actor: &Actor, card: CardNumber) -> Result<()> {
        actor.require(Permission::PrintCards)?;
        let retention = self.config().photo_retention;
        self.db().write(|c| {
            let row = load_card(c, card)?;
            if !row.is_active() {
                return Err(Error::InvalidState("the card is revoked"));
            }
            if row.printed_at.is_some() {
                return Err(Error::InvalidState("the card is already marked printed"));
            }
            let now = self.now();
            if !db::cards::mark_printed(c, row.card_number, now)? {
                return Err(Error::InvalidState("the card is already marked printed"));
            }
            if let Some(rid) = row.resident_id {
                match retention {
                    PhotoRetention::AfterPrinting => {
                        db::residents::delete_photo(c, rid)?;
                    }
                    PhotoRetention::Days(_) => {
                        db::residents::delete_photo_after(
                            c,
                            rid,
                            db::later(now, retention.after_printing()),
                        )?;
                    }
                }
            }
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::CardPrinted,
                Some(card),
                "",
            )?;
            Ok(())
        })
    }

    pub(super) fn printable(&self, c: &mut DbConnection, row: &CardRow) -> Result<PrintableCard> {
        if !row.is_active() {
            return Err(Error::InvalidState("the card is revoked"));
        }
        let rid = row
            .resident_id
            .ok_or(Error::InvalidState("the resident was erased"))?;
        let resident = load_resident(c, rid)?;
        let personal = self
            .unseal_personal(&resident)?
            .ok_or(Error::InvalidState("the resident was erased"))?;
        let qr_text = match &row.sealed_qr {
            Some(s) => {
                let plain = self.vault().unseal(Purpose::CardQr, row.card_number, s)?;
                String::from_utf8(plain.to_vec())
                    .map_err(|_| Error::Integrity("a sealed QR text is not text"))?
            }
            None => return Err(Error::InvalidState("the resident was erased")),
        };
        let photo = resident
            .sealed_photo
            .as_deref()
            .map(|s| {
                self.vault()
                    .unseal(Purpose::ResidentPhoto, rid, s)
                    .map(|p| p.to_vec())
            })
            .transpose()?;
        Ok(PrintableCard {
            given_names: personal.given_names.clone(),
            family_name: personal.family_name.clone(),
            card_number: from_i64(row.card_number)?,
            issued: row.issued,
            expires: row.expires,
            date_of_birth: personal.date_of_birth,
            qr_text,
            photo,
        })
    }

    /// The data to print a card that is not yet marked printed.
    pub fn card_for_printing(&self, actor: &Actor, card: CardNumber) -> Result<PrintableCard> {
        actor.require(Permission::PrintCards)?;
        self.db().read(|c| {
            let row = load_card(c, card)?;
            if row.printed_at.is_some() {
                return Err(Error::InvalidState(
                    "the card was already printed: a supervisor can reprint it",
                ));
            }
            self.printable(c, &row)
        })
    }

    /// Prints a card again after it was marked printed (supervisors):
    /// `print` gets the card's data (without photo once the photo was
    /// deleted after printing) and makes the PDF. Only when it succeeds is
    /// `card_reprinted` written to the audit log: a reprint that failed did
    /// not happen.
    pub fn reprint<T, E: From<Error>>(
        &self,
        actor: &Actor,
        card: CardNumber,
        print: impl FnOnce(PrintableCard) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        actor.require(Permission::ReprintCards)?;
        let printable = self.db().read(|c| {
            let row = load_card(c, card)?;
            self.printable(c, &row)
        })?;
        let photo = printable.photo.is_some();
        let out = print(printable)?;
        self.db().write(|c| {
            audit::append(
                c,
                &actor.username,
                &actor.office,
                AuditAction::CardReprinted,
                Some(card),
                &format!("photo={}", u8::from(photo)),
            )
        })?;
        Ok(out)
    }

    /// Active cards not yet marked printed, oldest first, with the names
    /// to find the residents at the counter.
    pub fn print_queue(&self, actor: &Actor) -> Result<Vec<QueueEntry>> {
        actor.require(Permission::PrintCards)?;
        let today = self.today();
        self.db().read(|c| {
            let rows = db::cards::print_queue(c, PRINT_QUEUE_LIMIT)?;
            let mut out = Vec::with_capacity(rows.len());
            for (card, resident) in rows {
                let Some(p) = self.unseal_personal(&resident)? else {
                    continue;
                };
                out.push(QueueEntry {
                    summary: CardSummary::of_row(&card, today, false)?,
                    given_names: p.given_names.clone(),
                    family_name: p.family_name.clone(),
                });
            }
            Ok(out)
        })
    }

    /// Deletes photos whose retention after printing has ended.
    pub fn purge_photos(&self) -> Result<usize> {
        let now = self.now();
        self.db().write(|c| db::residents::purge_photos(c, now))
    }
}
