//! Printing cards: the data to print, marking printed, reprinting, the
//! printability check, and the photos' retention (the print queue, a page
//! at a time, is in [`super::queue`]).
//!
//! Every read that hands out residents' data is audited here, so the UI,
//! the API and the command line all record it (SECURITY.md, finding 6):
//! a card's PDF (`card_pdf_made`), a PDF of several cards
//! (`batch_pdf_made count=N`), a reprint (`card_reprinted`); the queue's
//! page with names is recorded in [`super::queue`]. A PDF is recorded once
//! it was made (one that failed showed nothing). The printability check
//! shows no personal data and is not recorded.

use super::model::PrintableCard;
use super::pickup::{PickupStep, month_of};
use crate::config::PhotoRetention;
use crate::db::cards::{CardRow, from_i64, load as load_card};
use crate::db::residents::{ResidentRow, load as load_resident};
use crate::db::{self, DbConnection};
use crate::error::{Error, Result};
use crate::office::Office;
use crate::office::actor::{Actor, Permission};
use crate::office::audit::{self, AuditAction};
use crate::output::PrintError;
use crate::vault::{PersonalData, Purpose};
use citycard_credential::CardNumber;
use std::cell::Cell;

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
        self.mark_printed_handed_over(actor, card, false)
    }

    /// Marks a card printed and, with `handed_over` (the resident waits at
    /// the counter and the clerk compared them with the card's photo),
    /// handed over in the same transaction: only at its pick-up site.
    pub fn mark_printed_handed_over(
        &self,
        actor: &Actor,
        card: CardNumber,
        handed_over: bool,
    ) -> Result<()> {
        actor.require(Permission::PrintCards)?;
        if handed_over {
            actor.require(Permission::HandOverCards)?;
        }
        let retention = self.config().photo_retention;
        self.db().write(|c| {
            let row = load_card(c, card)?;
            if !row.is_active() {
                return Err(Error::InvalidState("the card is revoked"));
            }
            if row.printed_at.is_some() {
                return Err(Error::InvalidState("the card is already marked printed"));
            }
            let route = self.route_of(c, &row)?;
            if !Office::at_pickup_site(actor, &route) {
                return Err(Error::OtherSite);
            }
            let now = self.now();
            if !db::cards::mark_printed(c, row.card_number, now)? {
                return Err(Error::InvalidState("the card is already marked printed"));
            }
            // Printed at its pick-up site: ready there at once; printed
            // centrally: to be sent (office::cards::pickup).
            let here = actor.site == Some(route.pickup);
            if handed_over && !here {
                return Err(Error::OtherSite);
            }
            let next = match (here, handed_over) {
                (true, true) => PickupStep::HandedOver,
                (true, false) => PickupStep::Ready,
                (false, _) => PickupStep::Printed,
            };
            db::sites::move_step(
                c,
                row.card_number,
                &[PickupStep::Queued.as_str()],
                next.as_str(),
                now,
            )?;
            let count = |event| db::sites::SiteEvent {
                site: route.pickup,
                month: month_of(now),
                event,
            };
            let mut events = vec![count("printed")];
            if handed_over {
                events.push(count("handed_over"));
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
            audit::append_counting(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::CardPrinted,
                Some(card),
                "",
                &events,
            )?;
            if handed_over {
                if let Some(rid) = row.resident_id {
                    db::residents::delete_photo(c, rid)?;
                }
                audit::append(
                    c,
                    &actor.who(),
                    &actor.office,
                    AuditAction::CardHandedOver,
                    Some(card),
                    "",
                )?;
            }
            Ok(())
        })
    }

    pub(super) fn printable(&self, c: &mut DbConnection, row: &CardRow) -> Result<PrintableCard> {
        let rid = row
            .resident_id
            .ok_or(Error::InvalidState("the resident was erased"))?;
        let resident = load_resident(c, rid)?;
        self.face_of(row, &resident)
    }

    /// A card's data to print from its row and its resident's (read
    /// before): unsealed here.
    pub(super) fn face_of(&self, row: &CardRow, resident: &ResidentRow) -> Result<PrintableCard> {
        if !row.is_active() {
            return Err(Error::InvalidState("the card is revoked"));
        }
        let rid = resident.id;
        let personal = self
            .unseal_personal(resident)?
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

    /// The data to print a card that is not yet marked printed (not
    /// audited: callers record what they hand out).
    fn card_for_printing(&self, actor: &Actor, card: CardNumber) -> Result<PrintableCard> {
        actor.require(Permission::PrintCards)?;
        self.db().read(|c| {
            let row = load_card(c, card)?;
            if row.printed_at.is_some() {
                return Err(Error::InvalidState(
                    "the card was already printed: a supervisor can reprint it",
                ));
            }
            if !Office::at_pickup_site(actor, &self.route_of(c, &row)?) {
                return Err(Error::OtherSite);
            }
            self.printable(c, &row)
        })
    }

    /// Whether a card not yet marked printed can be printed with the
    /// office's template: `Ok(true)` with its photo, `Ok(false)` without.
    /// Shows no personal data (not audited).
    pub fn print_check(
        &self,
        actor: &Actor,
        card: CardNumber,
    ) -> std::result::Result<bool, PrintError> {
        let printer = self.printer()?;
        let card = self
            .card_for_printing(actor, card)
            .map_err(|e| PrintError::Unavailable(e.to_string()))?;
        let photo = card.photo.is_some();
        printer.check(&card).map(|()| photo)
    }

    /// Prints a card not yet marked printed: `print` gets its data and
    /// makes the PDF. Only when it succeeds is `card_pdf_made` written to
    /// the audit log.
    pub fn print_card<T, E: From<Error>>(
        &self,
        actor: &Actor,
        card: CardNumber,
        print: impl FnOnce(PrintableCard) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let printable = self.card_for_printing(actor, card)?;
        let photo = printable.photo.is_some();
        let out = print(printable)?;
        self.db().write(|c| {
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::CardPdfMade,
                Some(card),
                &format!("photo={}", u8::from(photo)),
            )
        })?;
        Ok(out)
    }

    /// Prints several cards not yet marked printed into one PDF: `print`
    /// gets them one at a time from the database ([`PrintBatch`]), makes
    /// the PDF and says how many cards it holds. Once it succeeds,
    /// `batch_pdf_made count=N` is written (N: the cards in the PDF, at
    /// most the cards whose data was read; nothing when it holds none).
    pub fn print_cards<T, E: From<Error>>(
        &self,
        actor: &Actor,
        numbers: &[CardNumber],
        print: impl FnOnce(PrintBatch<'_>) -> std::result::Result<(T, usize), E>,
    ) -> std::result::Result<T, E> {
        actor.require(Permission::PrintCards)?;
        let read = Cell::new(0usize);
        let (out, printed) = print(PrintBatch {
            office: self,
            actor,
            numbers: numbers.iter(),
            read: &read,
        })?;
        let count = printed.min(read.get());
        if count > 0 {
            self.db().write(|c| {
                audit::append(
                    c,
                    &actor.who(),
                    &actor.office,
                    AuditAction::BatchPdfMade,
                    None,
                    &format!("count={count}"),
                )
            })?;
        }
        Ok(out)
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
            self.require_card_site(c, actor, &row)?;
            self.printable(c, &row)
        })?;
        let photo = printable.photo.is_some();
        let out = print(printable)?;
        self.db().write(|c| {
            audit::append(
                c,
                &actor.who(),
                &actor.office,
                AuditAction::CardReprinted,
                Some(card),
                &format!("photo={}", u8::from(photo)),
            )
        })?;
        Ok(out)
    }

    /// Deletes photos whose retention after printing has ended.
    pub fn purge_photos(&self) -> Result<usize> {
        let now = self.now();
        self.db().write(|c| db::residents::purge_photos(c, now))
    }
}

/// The cards of [`Office::print_cards`], read one at a time as the PDF is
/// made (at most one photo decrypted at a time besides the PDF): each
/// number with its data, or why it cannot be had (printed or revoked
/// meanwhile).
pub struct PrintBatch<'a> {
    office: &'a Office,
    actor: &'a Actor,
    numbers: std::slice::Iter<'a, CardNumber>,
    read: &'a Cell<usize>,
}

impl Iterator for PrintBatch<'_> {
    type Item = (CardNumber, Result<PrintableCard>);

    fn next(&mut self) -> Option<Self::Item> {
        let &n = self.numbers.next()?;
        let card = self.office.card_for_printing(self.actor, n);
        if card.is_ok() {
            self.read.set(self.read.get() + 1);
        }
        Some((n, card))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.numbers.size_hint()
    }
}
